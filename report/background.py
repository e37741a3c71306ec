"""Work done in a forked process while this one goes on: the report's two cores.

Rendering the published grid is pure computation over values already in memory, and the
machines that run it (CI runners, a maintainer's laptop) have at least two cores.  A forked
child sees the parent's values copy-on-write (nothing is pickled on the way in); only its
result comes back, pickled through a pipe.  Where ``fork`` is not available (Windows, macOS's
default) or not wanted, the work runs here when its result is asked for: the result is the
same either way.

An exception in the child is raised again here: the same exception where it pickles (a
:class:`~matrix.model.errors.MatrixError` keeps its message, so the command still prints
``error: ...`` and exits 2), else a :class:`BackgroundError` carrying its text.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from matrix.model.errors import MatrixError

T = TypeVar("T")
A = TypeVar("A")


class BackgroundError(RuntimeError):
    """Work in a forked process failed with an exception that could not be sent back, or the
    process died (killed, out of memory) before sending anything."""


def can_fork() -> bool:
    """Whether work can go to a forked process here: ``fork`` exists and this process may use
    more than one core."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) > 1


@dataclass
class Pending(Generic[T]):
    """The result of :func:`start`: :meth:`result` waits for it (once)."""

    work: Callable[[], T]
    process: BaseProcess | None = None
    receiver: Connection | None = None
    _done: list[T] = field(default_factory=list)

    def result(self) -> T:
        """The work's return value; raises what the work raised (see the module's text)."""
        if self._done:
            return self._done[0]
        if self.process is None or self.receiver is None:
            value = self.work()
        else:
            try:
                ok, payload = self.receiver.recv()
            except EOFError:
                self.process.join()  # reaped first: its exit status is known only then
                ok, payload = False, BackgroundError(
                    f"the forked process died (exit status {self.process.exitcode})")
            finally:
                self.receiver.close()
                self.process.join()
            if not ok:
                raise payload
            value = payload
        self._done.append(value)
        return value


def start(work: Callable[[], T], *, fork: bool = True) -> Pending[T]:
    """Begin ``work`` in a forked process (if ``fork`` and :func:`can_fork`), else leave it to
    run here when :meth:`Pending.result` is called.  ``work`` returns a value; any file it
    writes must be its own (nothing this process writes too), and it prints nothing."""
    pending: Pending[T] = Pending(work)
    if not fork or not can_fork():
        return pending
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, sender), daemon=True)
    process.start()
    sender.close()
    pending.process, pending.receiver = process, receiver
    return pending


@dataclass
class Standby(Generic[A, T]):
    """The result of :func:`standby`: :meth:`give` hands the work its argument (once),
    :meth:`result` waits for what it returns."""

    work: Callable[[A], T]
    pending: Pending[T] | None = None
    sender: Connection | None = None
    _given: list[A] = field(default_factory=list)

    def give(self, argument: A) -> None:
        """Start the work on ``argument`` (pickled to the forked process, if there is one)."""
        if self._given:
            raise RuntimeError("a standby process takes one argument")
        self._given.append(argument)
        if self.sender is not None:
            try:
                self.sender.send(argument)
            except OSError:  # it died while getting ready: result() says how
                pass
            finally:
                self.sender.close()

    def result(self) -> T:
        """What the work returned; raises what it raised (see the module's text)."""
        if not self._given:
            raise RuntimeError("the standby process was given nothing to work on")
        if self.pending is None:
            self.pending = Pending(functools.partial(self.work, self._given[0]))
        return self.pending.result()


def standby(work: Callable[[A], T], prepare: Callable[[], object], *,
            fork: bool = True) -> Standby[A, T]:
    """A forked process (if ``fork`` and :func:`can_fork`) that runs ``prepare`` at once
    (importing what ``work`` needs, say) and ``work`` on the argument :meth:`Standby.give`
    sends it, while this process goes on; else ``work`` runs here when its result is asked
    for.  A process given nothing ends when this one does."""
    if not fork or not can_fork():
        return Standby(work)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    pending: Pending[T] = start(functools.partial(_when_given, work, prepare, receiver, sender))
    receiver.close()
    return Standby(work, pending, sender)


def _when_given(work: Callable[[A], T], prepare: Callable[[], object],
                receiver: Connection, sender: Connection) -> T:
    sender.close()  # the parent's end: held here too, it would keep the pipe from ending
    prepare()
    argument = receiver.recv()  # EOFError: the parent ended without giving any
    receiver.close()
    return work(argument)


def _child(work: Callable[[], Any], sender: Connection) -> None:
    try:
        reply: tuple[bool, Any] = (True, work())
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        reply = (False, _sendable(exc))
    try:
        sender.send(reply)
    except Exception as exc:  # noqa: BLE001 - a result that does not pickle
        sender.send((False, BackgroundError(f"its result could not be sent back: {exc}")))
    finally:
        sender.close()


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an error with its text (of the same family)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - an exception class whose arguments do not round-trip
        kind = MatrixError if isinstance(exc, MatrixError) else BackgroundError
        return kind(str(exc) if isinstance(exc, MatrixError) else f"{type(exc).__name__}: {exc}")
