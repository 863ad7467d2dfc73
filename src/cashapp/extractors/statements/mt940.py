"""Placeholder until this format's reader lands: it recognises nothing."""

from __future__ import annotations

name = "placeholder"


def identify(head: bytes) -> bool:
    return False


def extract(data: bytes, *, source: str) -> object:
    raise NotImplementedError(source)
