"""Settings from the environment: every setting is ``CASHAPP_<NAME>`` and has a working default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CASHAPP_{name}", default)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a process needs to know. Built once by an entry point, passed down explicitly."""

    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", "sqlite:///cashapp.db"))
    default_tenant: str = field(default_factory=lambda: _env("DEFAULT_TENANT", "default"))
    max_file_bytes: int = field(
        default_factory=lambda: int(_env("MAX_FILE_BYTES", str(200 * 1024 * 1024)))
    )
    sandbox_memory_bytes: int = field(
        default_factory=lambda: int(_env("SANDBOX_MEMORY_BYTES", str(2 * 1024 * 1024 * 1024)))
    )
    sandbox_cpu_seconds: int = field(
        default_factory=lambda: int(_env("SANDBOX_CPU_SECONDS", "120"))
    )
    sandbox_wall_seconds: int = field(
        default_factory=lambda: int(_env("SANDBOX_WALL_SECONDS", "180"))
    )
    # the target precision of the automatic decisions as a set (the model's table turns it
    # into a threshold), and the calibrated probability below which no single line is applied
    auto_apply_precision: Decimal = field(
        default_factory=lambda: Decimal(_env("AUTO_APPLY_PRECISION", "0.999"))
    )
    auto_min_confidence: Decimal = field(
        default_factory=lambda: Decimal(_env("AUTO_MIN_CONFIDENCE", "0.99"))
    )
    write_off_absolute: Decimal = field(
        default_factory=lambda: Decimal(_env("WRITE_OFF_ABSOLUTE", "5.00"))
    )
    write_off_relative: Decimal = field(
        default_factory=lambda: Decimal(_env("WRITE_OFF_RELATIVE", "0.005"))
    )
    # a round fee the bank did not state, read as its charges (MatchPolicy); 0 turns it off
    bank_charges_absolute: Decimal = field(
        default_factory=lambda: Decimal(_env("BANK_CHARGES_ABSOLUTE", "25.00"))
    )
    bank_charges_relative: Decimal = field(
        default_factory=lambda: Decimal(_env("BANK_CHARGES_RELATIVE", "0.05"))
    )
    inbox: Path = field(default_factory=lambda: Path(_env("INBOX", "inbox")))


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()
