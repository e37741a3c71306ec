"""matrix.model.versions: the version order every table and sort uses."""

from __future__ import annotations

import random
from collections.abc import Iterator

from packaging.version import Version

from matrix.model.versions import release_order, sorted_versions, version_key

PEP440_IN_ORDER = [
    "0.27", "0.27.3", "0.29.dev3", "0.29a1.dev1", "0.29a1", "0.29a1.post2", "0.29b2",
    "0.29rc1", "0.29", "0.29.0.post1.dev1", "0.29.post1", "0.29.1", "0.29.37", "3.0.0a11",
    "3.0.0b1", "3.0.0rc2", "3.0.0", "3.0.12", "3.1.0", "3.2.9", "3.3.1", "3.10", "1!0.1",
]


def test_release_order_is_packagings_order() -> None:
    """The plain key sorts as packaging's own comparison does, shuffles included."""
    expected = sorted(PEP440_IN_ORDER, key=Version)
    assert expected == PEP440_IN_ORDER
    for seed in range(20):
        shuffled = PEP440_IN_ORDER[:]
        random.Random(seed).shuffle(shuffled)
        assert sorted(shuffled, key=lambda v: release_order(Version(v))) == expected


def test_trailing_zeros_compare_equal_as_in_packaging() -> None:
    assert Version("3.1") == Version("3.1.0")
    assert release_order(Version("3.1")) == release_order(Version("3.1.0"))


def test_interpreter_kinds_sort_after_their_cpython_minor() -> None:
    values = ["pypy3.11", "3.12", "3.11", "3.13t", "2.7", "3.13", "pypy3.9", "3.11t-weird", None]
    assert sorted_versions(values) == [
        "2.7", "pypy3.9", "3.11", "pypy3.11", "3.12", "3.13", "3.13t", "3.11t-weird"]
    assert version_key(None) < version_key("0.1")


def test_keys_hold_only_ints_and_strings() -> None:
    """The point of the key: comparing two never calls back into Python."""
    def flat(value: object) -> Iterator[object]:
        if isinstance(value, tuple):
            for item in value:
                yield from flat(item)
        else:
            yield value
    for text in [*PEP440_IN_ORDER, "pypy3.11", "3.13t", "nonsense", None]:
        assert all(isinstance(item, (int, str)) for item in flat(version_key(text)))
