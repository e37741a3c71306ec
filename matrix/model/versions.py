"""Version order, in one place: PEP 440 releases and Python axis values as sort keys made of
plain ints and strings (compared in C), oldest first."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from packaging.version import InvalidVersion, Version

from matrix.model.interpreters import axis_key

VersionKey = tuple[Any, ...]
"""A sort key made of ints and strings only, so that comparing two is done in C."""


def release_order(version: Version) -> VersionKey:
    """PEP 440 order of ``version`` as plain ints and strings (the order of packaging's own
    comparison: ``1.0.dev1 < 1.0a1.dev1 < 1.0a1 < 1.0a1.post1 < 1.0rc1 < 1.0 < 1.0.post1``;
    trailing zeros of the release do not count; a local label sorts after its public
    version)."""
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if version.pre is None and version.post is None and version.dev is not None:
        pre: tuple[Any, ...] = (-1,)
    elif version.pre is None:
        pre = (1,)
    else:
        pre = (0, version.pre[0], version.pre[1])
    post = -1 if version.post is None else version.post
    dev: tuple[int, ...] = (1,) if version.dev is None else (0, version.dev)
    return (version.epoch, tuple(release), pre, post, dev, version.local or "")


@functools.lru_cache(maxsize=65536)
def version_key(text: str | None) -> VersionKey:
    """Sort key for a version string; a Python axis value of another interpreter kind
    (``3.13t``, ``pypy3.11``) sorts by its language minor, right after CPython's (in the order of
    ``interpreters.toml``); other unparsable strings sort after every real version."""
    if text is None:
        return (0, release_order(Version("0")))
    try:
        return (1, release_order(Version(text)), -1)
    except InvalidVersion:
        python = axis_key(text)
        if python is None:
            return (2, text)
        version, kind_order = python
        return (1, release_order(version), kind_order)


def sorted_versions(values: Iterable[str | None]) -> list[str]:
    """Distinct non-empty versions (or Python axis values, :func:`version_key`), oldest
    first."""
    return sorted({v for v in values if v}, key=version_key)


CHANNELS = ("final", "pre", "dev")
"""The kinds of release the harness tells apart (PEP 440): a final release, a pre-release
(``a``/``b``/``rc``) and a development build (``.devN``, or a local label ``+g1a2b3c``: a build
from a branch or a nightly index).  Only final releases make the released table; the others
are canary cells (:mod:`matrix.plan.canary`)."""


def channel(text: str | None) -> str:
    """``"final"``, ``"pre"`` or ``"dev"`` (:data:`CHANNELS`) for a release string; a string
    that is no PEP 440 version (a Python axis value) is ``"final"``."""
    if not text:
        return "final"
    try:
        version = Version(text)
    except InvalidVersion:
        return "final"
    if version.is_devrelease or version.local:
        return "dev"
    return "pre" if version.is_prerelease else "final"
