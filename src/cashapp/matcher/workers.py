"""Chunks of a matcher run in forked worker processes.

Once the ledger index is built, bank lines are independent: each chunk of lines is
featurized, scored and decided on its own. With more than one worker, the chunks run in
processes forked after the index was built, so they share it (and the lines) copy-on-write
instead of receiving a copy; only chunk bounds go to a worker and only its results come
back, in chunk order, so the output does not depend on the number of workers. The calling
process is one of the workers.

``workers``: ``None`` means ``CASHAPP_MATCHER_WORKERS`` or the machine's CPU count, capped
at the number of chunks; 1 (or a platform without ``fork``) runs the chunks in-process.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHUNK = 20_000  # lines featurized and scored together: bounds memory, keeps batches large
MIN_CHUNK = 2_000  # below this, a chunk's fork and result transfer cost more than it saves
CHUNKS_PER_WORKER = 4  # smaller chunks when parallel, so workers finish together

Span = tuple[int, int]
_work: Callable[[Span], Any] | None = None  # set in the parent just before forking


def plan(total: int, workers: int | None) -> tuple[list[Span], int]:
    """The chunk bounds for ``total`` lines and the number of workers that will run them."""
    wanted = workers if workers is not None else default_workers()
    wanted = max(1, wanted) if "fork" in mp.get_all_start_methods() else 1
    size = CHUNK
    if wanted > 1:
        size = min(CHUNK, max(MIN_CHUNK, -(-total // (wanted * CHUNKS_PER_WORKER))))
    spans = [(start, min(start + size, total)) for start in range(0, total, size)]
    return spans, max(1, min(wanted, len(spans)))


def default_workers() -> int:
    configured = os.environ.get("CASHAPP_MATCHER_WORKERS")
    return int(configured) if configured else (os.cpu_count() or 1)


def run_chunks(work: Callable[[Span], Any], spans: list[Span], workers: int) -> Iterator[Any]:
    """``work(span)`` for every span, results in span order. With more than one worker,
    this process runs every ``workers``-th span itself and ``workers - 1`` forked processes
    run the others meanwhile: every forked process ends up with a private copy of the pages
    it touches (CPython writes reference counts into every object it reads), so one process
    fewer is one copy of the ledger's objects fewer."""
    if workers <= 1:
        # the ledger's and the lines' objects stay out of the collector while matching: a
        # full collection between chunks would otherwise walk all of them again
        gc.freeze()
        try:
            for span in spans:
                yield _uncollected(work, span)
        finally:
            gc.unfreeze()
        return
    global _work
    _work = work
    gc.freeze()  # objects made so far stay out of the collector: no copy-on-write by gc
    pool = mp.get_context("fork").Pool(workers - 1)
    try:
        theirs = pool.imap(_call, [s for n, s in enumerate(spans) if n % workers])
        for n, span in enumerate(spans):
            yield next(theirs) if n % workers else _uncollected(work, span)
        pool.close()
        pool.join()
    finally:
        pool.terminate()
        _work = None
        gc.unfreeze()


def _call(span: Span) -> Any:
    assert _work is not None, "run_chunks sets the work before forking"
    return _uncollected(_work, span)


def _uncollected(work: Callable[[Span], Any], span: Span) -> Any:
    """``work(span)`` with the cyclic garbage collector paused: a chunk makes millions of
    short-lived objects and no cycles to speak of, and every collection the allocations
    would trigger walks all the chunk's live objects again. Resumed (if it was on) after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return work(span)
    finally:
        if enabled:
            gc.enable()


def private_mb() -> float:
    """This process's own memory (pages not shared with its parent or children), in MB;
    0 if unknown."""
    rollup = Path("/proc/self/smaps_rollup")
    if not rollup.exists():
        return 0.0
    total = 0
    for row in rollup.read_text().splitlines():
        if row.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(row.split()[1])
    return total / 1024
