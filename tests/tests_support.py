"""Shared test support: what to do when a real service the tests need is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_service(why: str) -> NoReturn:
    """Skip on a developer's machine without the service; fail in CI, where it must exist."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must have it: .ci/run and make test set it up)")
    pytest.skip(why)
