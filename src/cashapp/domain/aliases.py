"""A learned payer alias as a person reads it: "account DE89... pays for customer C042
(seen 3 times)". The rules themselves are proposed by ``matcher.aliases`` and stored by
``storage.alias_rules``; this is their one wording."""

from __future__ import annotations


def alias_text(kind: str, value: str, customer_id: str, support: int) -> str:
    """The rule as a sentence: ``kind`` is ``account`` or ``name``."""
    what = "account" if kind == "account" else "payer name"
    return f"{what} {value} pays for customer {customer_id} (seen {support} times)"
