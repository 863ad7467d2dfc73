"""The outbox relay inside ``cashapp serve``: a background thread that delivers the events
of what the API (and anyone else) committed, every ``CASHAPP_RELAY_INTERVAL`` seconds
(default 5; 0 turns it off, e.g. when the nightly workers deliver instead).

Several server processes may each run one: claims are leased (and ``SKIP LOCKED`` on
PostgreSQL), so an event is sent by one of them at a time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from cashapp.reconciliation.outbox import relay_once

log = logging.getLogger("cashapp.relay")


def relay_interval() -> float:
    return float(os.environ.get("CASHAPP_RELAY_INTERVAL", "5") or 0)


def _loop(engine: Any, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            relay_once(engine)
        except Exception:  # keep relaying; the next pass retries what failed
            log.exception("outbox relay pass failed")


@asynccontextmanager
async def relay_lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = relay_interval()
    stop = threading.Event()
    thread = None
    if interval > 0:
        thread = threading.Thread(target=_loop, args=(app.state.engine, interval, stop),
                                  name="cashapp-outbox-relay", daemon=True)
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=interval + 5)
