"""Per-credential rate limit (OWASP API4/API6): a token bucket per API key (per client
address for calls without one), in this process. Over the limit: 429 with ``Retry-After``.

``CASHAPP_RATE_LIMIT_PER_MINUTE`` (default 6000, bursts up to the same) sets it; 0 turns it
off (benchmarks). Several server processes each keep their own buckets: put a limit at the
proxy too when running more than one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send


class RateLimit:
    def __init__(self, app: ASGIApp, *, per_minute: int | None = None) -> None:
        self.app = app
        rate = per_minute if per_minute is not None else int(os.environ.get("CASHAPP_RATE_LIMIT_PER_MINUTE", "6000"))
        self.capacity = float(rate)
        self.refill_per_second = rate / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}  # who -> (tokens, last time)
        self.lock = threading.Lock()

    def _who(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return "key:" + hashlib.sha256(value).hexdigest()[:32]
        client = scope.get("client")
        return f"ip:{client[0] if client else '?'}"

    def _take(self, who: str) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            if tokens >= 1:
                self.buckets[who] = (tokens - 1, now)
                return 0.0
            self.buckets[who] = (tokens, now)
            if len(self.buckets) > 100_000:  # forget idle callers
                self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 120}
            return (1 - tokens) / self.refill_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.capacity <= 0 or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        wait = self._take(self._who(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "rate_limited", "detail": "too many requests for this API key"}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, math.ceil(wait))).encode())]})
        await send({"type": "http.response.body", "body": body})
