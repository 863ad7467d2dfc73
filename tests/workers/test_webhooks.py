"""Webhook delivery against a real HTTP server on loopback: signatures, refusals, redirects."""

from __future__ import annotations

import json
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.workers.receiver import Receiver, running_receiver

from cashapp.reconciliation.webhooks import (
    RetryPolicy,
    SignatureInvalid,
    WebhookEvent,
    WebhookUrlRefused,
    attempt_delivery,
    check_webhook_url,
    make_client,
    signature_header,
    verify_signature,
)

SECRET = "whsec_test_0123456789"


def _event(n: int = 1) -> WebhookEvent:
    body = json.dumps({"id": f"evt_{n}", "type": "application.created", "amount": "100.00"}).encode()
    return WebhookEvent(event_id=f"evt_{n}", event_type="application.created", body=body)


def test_signed_delivery_is_verified_by_the_receiver() -> None:
    with running_receiver(Receiver(secret=SECRET)) as rx, make_client() as client:
        outcome = attempt_delivery(rx.url, SECRET, _event(), client=client, allow_loopback=True)
    assert outcome.delivered and outcome.status == 200
    assert list(rx.accepted) == ["evt_1"]
    headers = rx.requests[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["Event-Id"] == "evt_1"
    assert headers["X-CashApp-Timestamp"].isdigit()
    assert headers["Host"].startswith("127.0.0.1")


def test_wrong_secret_is_rejected_by_the_receiver() -> None:
    with running_receiver(Receiver(secret=SECRET)) as rx, make_client() as client:
        outcome = attempt_delivery(rx.url, "another-secret", _event(), client=client, allow_loopback=True)
    assert not outcome.delivered and outcome.status == 400
    assert rx.rejected_signatures == 1 and not rx.accepted


def test_a_500_is_a_failed_attempt_and_the_retry_delivers_once() -> None:
    with running_receiver(Receiver(secret=SECRET, fail_first=2)) as rx, make_client() as client:
        outcomes = [
            attempt_delivery(rx.url, SECRET, _event(), client=client, allow_loopback=True)
            for _ in range(4)
        ]
    assert [o.status for o in outcomes] == [500, 500, 200, 200]
    assert list(rx.accepted) == ["evt_1"]  # the 4th (duplicate) delivery is deduplicated


def test_redirects_are_not_followed() -> None:
    with running_receiver(Receiver(secret=SECRET)) as target:
        with running_receiver(Receiver(secret=SECRET, redirect_to=target.url)) as rx, make_client() as client:
            outcome = attempt_delivery(rx.url, SECRET, _event(), client=client, allow_loopback=True)
        assert not outcome.delivered and outcome.status == 302
        assert target.requests == []


def test_loopback_is_refused_at_send_time_without_the_test_switch() -> None:
    with running_receiver(Receiver(secret=SECRET)) as rx, make_client() as client:
        outcome = attempt_delivery(rx.url, SECRET, _event(), client=client, allow_loopback=False)
    assert not outcome.delivered and outcome.error and "loopback" in outcome.error
    assert rx.requests == []


def test_connection_refused_is_a_failed_attempt_not_an_exception() -> None:
    with make_client(timeout=2) as client:
        outcome = attempt_delivery("http://127.0.0.1:9/x", SECRET, _event(), client=client, allow_loopback=True)
    assert not outcome.delivered and outcome.status is None and outcome.error


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://169.254.169.254/latest/meta-data", ["169.254.169.254"]),
        ("https://metadata.internal/", ["169.254.169.254"]),
        ("https://127.0.0.1:5432/", ["127.0.0.1"]),
        ("https://[::1]/", ["::1"]),
        ("https://erp.example.com/", ["10.1.2.3"]),
        ("https://erp.example.com/", ["93.184.216.34", "192.168.1.10"]),  # one bad answer refuses
        ("https://erp.example.com/", ["::ffff:10.0.0.1"]),
        ("https://erp.example.com/", ["fe80::1"]),
        ("https://erp.example.com/", ["100.64.0.1"]),
        ("https://erp.example.com/", ["0.0.0.0"]),
        ("http://erp.example.com/", ["93.184.216.34"]),  # plain http
        ("ftp://erp.example.com/", ["93.184.216.34"]),
        ("https://user:pw@erp.example.com/", ["93.184.216.34"]),
    ],
)
def test_unsafe_urls_are_refused(url: str, addresses: list[str]) -> None:
    with pytest.raises(WebhookUrlRefused):
        check_webhook_url(url, allow_loopback=False, resolver=lambda _h, _p: addresses)


def test_the_loopback_switch_does_not_open_private_ranges() -> None:
    with pytest.raises(WebhookUrlRefused):
        check_webhook_url("http://erp.lan/", allow_loopback=True, resolver=lambda _h, _p: ["10.0.0.5"])
    with pytest.raises(WebhookUrlRefused):
        check_webhook_url("http://x/", allow_loopback=True, resolver=lambda _h, _p: ["169.254.169.254"])


def test_public_https_url_is_pinned_to_the_checked_address() -> None:
    checked = check_webhook_url(
        "https://erp.example.com/hooks?x=1", allow_loopback=False, resolver=lambda _h, _p: ["93.184.216.34"]
    )
    assert checked.pinned_url() == "https://93.184.216.34:443/hooks?x=1"
    assert checked.host == "erp.example.com"


def test_signature_rejects_tampering_and_stale_replays() -> None:
    body = b'{"a":1}'
    now = int(time.time())
    header = signature_header(SECRET, now, body)
    assert verify_signature(SECRET, header, body) == now
    with pytest.raises(SignatureInvalid):
        verify_signature(SECRET, header, b'{"a":2}')
    with pytest.raises(SignatureInvalid):
        verify_signature(SECRET, header, body, now=now + 600)  # a replay 10 minutes later
    with pytest.raises(SignatureInvalid):
        verify_signature(SECRET, "v1=deadbeef", body)


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_with_jitter_and_stays_under_the_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=600, max_attempts=10)
    delay = policy.delay(attempt, rng=random.Random(seed))
    ceiling = min(600, 2 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling
