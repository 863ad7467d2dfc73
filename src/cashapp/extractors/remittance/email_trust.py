"""Who sent an email, and whether that can be believed (RELIABILITY.md 3.5, scenario P9).

A sender is verified only when the receiving MTA's ``Authentication-Results`` header (the
topmost one: headers added by the sender sit below it) reports ``dmarc=pass`` with
``header.from`` equal to the From address's domain. A From header with defects, several
addresses or none, or a message with parser defects, is never verified. An unverified or
defective message may still suggest a match; it never authorises an automatic one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage, Message
from typing import Any

_DMARC = re.compile(r"^\s*dmarc\s*=\s*([a-z]+)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*([^\s;()]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sender:
    """The From of one message and what is known about it."""

    name: str | None
    domain: str | None
    verified: bool
    problems: tuple[str, ...]
    sent: date | None


def dmarc_pass_for(domain: str, results: str | None) -> bool:
    """Does one ``Authentication-Results`` value report dmarc=pass for ``domain``?"""
    if not results:
        return False
    for clause in results.split(";")[1:]:  # the first element is the authserv-id
        verdict = _DMARC.match(clause)
        if not verdict:
            continue
        header_from = _HEADER_FROM.search(clause)
        return (
            verdict.group(1).lower() == "pass"
            and header_from is not None
            and header_from.group(1).strip().lower().rstrip(".") == domain
        )
    return False


def message_defects(message: Message) -> list[str]:
    """Parser defects of the message and of every part (the walk is bounded by mime_caps)."""
    found: list[str] = []
    for part in message.walk():
        found.extend(type(defect).__name__ for defect in part.defects)
    return found


def sender_of(message: EmailMessage) -> Sender:
    problems: list[str] = []
    name: str | None = None
    domain: str | None = None
    try:
        header = message["From"]
    except Exception as exc:  # a malformed header the policy cannot even build
        header = None
        problems.append(f"From header unreadable ({type(exc).__name__})")
    addresses: tuple[Any, ...] = tuple(getattr(header, "addresses", ()) or ())
    if header is not None and tuple(getattr(header, "defects", ()) or ()):
        problems.append("From header has defects")
    if len(addresses) != 1:
        problems.append(f"From has {len(addresses)} addresses")
    else:
        address = addresses[0]
        name = address.display_name or None
        domain = (address.domain or "").lower().rstrip(".") or None
        if domain is None:
            problems.append("From has no domain")
    verified = False
    if domain and not problems:
        results = message.get_all("Authentication-Results") or []
        verified = bool(results) and dmarc_pass_for(domain, str(results[0]))
        if not verified:
            problems.append(f"sender unverified: no dmarc=pass for {domain}")
    sent = None
    try:
        date_header = message["Date"]
        stamp = getattr(date_header, "datetime", None)
        sent = stamp.date() if stamp is not None else None
    except Exception:  # a bad Date header only loses the date
        sent = None
    return Sender(name=name, domain=domain, verified=verified, problems=tuple(problems), sent=sent)
