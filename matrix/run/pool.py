"""Cells measured on worker processes: one loop, used by the grid run and the re-checks.

Work is submitted a little ahead of the workers (twice as many as there are) and handed back
as each item finishes.  When the harness is interrupted (Ctrl-C, SIGTERM: see
:mod:`matrix.run.hygiene`), queued work is cancelled and the pool's own workers are ended at
once (a worker mid-cell would otherwise finish its cell first: the executor joins its workers
at exit); SIGTERM unwinds a worker, killing the tool it waits for.  The workers are found
through :func:`multiprocessing.active_children`, never through the executor's internals.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, TypeVar

from matrix.run.hygiene import Terminated, worker_init

T = TypeVar("T")
R = TypeVar("R")


class WorkerPool:
    """``with WorkerPool(jobs) as pool:`` a spawn-context process pool whose workers die with
    the harness; :meth:`as_finished` runs work on it."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._before: set[multiprocessing.process.BaseProcess] = set()
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        self._before = set(multiprocessing.active_children())
        self._executor = ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_init)
        return self

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            raise RuntimeError("WorkerPool used outside its `with` block")
        return self._executor

    def as_finished(self, work: Sequence[T], start: Callable[[ProcessPoolExecutor, T], Future[R]]
                    ) -> Iterator[tuple[T, Future[R]]]:
        """``(item, its finished future)`` for every item of ``work``, in the order they
        finish; ``start`` submits one item to the executor."""
        futures: dict[Future[R], T] = {}
        queue = list(reversed(work))
        try:
            while queue or futures:
                while queue and len(futures) < self.jobs * 2:
                    item = queue.pop()
                    futures[start(self.executor, item)] = item
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield futures.pop(future), future
        finally:
            for future in futures:
                future.cancel()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> Any:
        interrupted = kind is not None and issubclass(kind, (KeyboardInterrupt, Terminated))
        if interrupted:
            for process in set(multiprocessing.active_children()) - self._before:
                process.terminate()
        self.executor.shutdown(wait=not interrupted, cancel_futures=True)
        self._executor = None
        return None
