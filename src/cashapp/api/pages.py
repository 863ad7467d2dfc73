"""The review queue in the browser: server-rendered pages (Jinja2), plain forms that work
without JavaScript, a small script for shortcuts and the running total (no build step).

Sign-in takes an API key with the ``review`` scope and keeps it in an HttpOnly, SameSite=Strict
cookie scoped to ``/review``; POSTs also check ``Origin`` when the browser sends it. Every
action goes through the same use cases as the API (version checked, audited).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cashapp.api.deps import principal_from_header
from cashapp.api.proposals import top_allocations
from cashapp.api.routes.ledger import _detail, money
from cashapp.core.clock import utc_now
from cashapp.core.errors import CashappError, InputError, NotFoundError
from cashapp.domain.money import parse_amount
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.reconciliation.review_actions import (
    ReviewAction,
    apply_reviewed,
    reject_proposals,
    reverse_reviewed,
    write_off_allocations,
)
from cashapp.storage import review as views
from cashapp.storage.apikeys import Principal, Scope
from cashapp.storage.tables import TenantRow
from cashapp.storage.transactions import read_session, write_transaction

COOKIE = "cashapp_review"
PAGE = 50
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(prefix="/review", include_in_schema=False)

MESSAGES = {
    "applied": ("Applied.", "ok"), "rejected": ("Proposals rejected; the payment stays open.", "ok"),
    "reversed": ("Application reversed.", "ok"), "stale": ("Someone acted on this payment first: reload and check.", "error"),
}


def _principal(request: Request) -> Principal | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    principal = principal_from_header(request.app.state.engine, f"Bearer {key}")
    return principal if principal and principal.allows(Scope.REVIEW) else None


def _require(request: Request) -> Principal:
    principal = _principal(request)
    if principal is None:
        raise HTTPException(303, headers={"Location": "/review/login"})
    if request.method == "POST":
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
            raise HTTPException(403, "cross-site request refused")
    return principal


def _render(request: Request, name: str, principal: Principal | None, **context: Any) -> HTMLResponse:
    tenant_name = None
    if principal is not None:
        with read_session(request.app.state.engine) as session:
            tenant = session.get(TenantRow, principal.tenant_id)
            tenant_name = tenant.name if tenant else None
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    context.update(tenant_name=tenant_name, flash=msg[0] if msg else context.get("flash"),
                   flash_kind=msg[1] if msg else context.get("flash_kind"))
    return templates.TemplateResponse(request, name, context)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _render(request, "login.html", None)


@router.post("/login")
def login(request: Request, key: Annotated[str, Form(max_length=200)]) -> Response:
    principal = principal_from_header(request.app.state.engine, f"Bearer {key.strip()}")
    if principal is None or not principal.allows(Scope.REVIEW):
        refused = _render(request, "login.html", None, flash="That key is not valid for review.", flash_kind="error")
        refused.status_code = 401
        return refused
    response = RedirectResponse("/review", status_code=303)
    response.set_cookie(COOKIE, key.strip(), httponly=True, samesite="strict", path="/review",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(COOKIE, path="/review")
    return response


def _minor(text: str | None) -> int | None:
    try:
        return int(Decimal(text) * 100) if text else None
    except ArithmeticError:
        return None


@router.get("", response_class=HTMLResponse)
def queue(request: Request, customer: str | None = None, q: str | None = None,
          min_amount: Annotated[str | None, Query(alias="min")] = None,
          max_amount: Annotated[str | None, Query(alias="max")] = None,
          reason: str | None = None, state: str = "open", sort: str = "amount", page: int = 0) -> HTMLResponse:
    principal = _require(request)
    state = state if state in ("open", "suggested", "unmatched", "new") else "open"
    sort = sort if sort in ("amount", "age") else "amount"
    reason = reason if reason in {r.value for r in ReasonCode} else None
    page = max(page, 0)
    with read_session(request.app.state.engine) as session:
        rows = views.list_lines(session, principal.tenant_id, state=state, credits_only=True,
                                customer_key=(customer or None), reason=reason, text=q or None,
                                min_amount_minor=_minor(min_amount), max_amount_minor=_minor(max_amount), sort=sort,
                                offset=page * PAGE, limit=PAGE + 1)
        total = views.count_lines(session, principal.tenant_id, state="open")
        items = [{"id": r.line.id, "booking_date": r.line.booking_date, "counterparty_name": r.line.counterparty_name,
                  "remittance_text": r.line.remittance_text or "", "amount": money(r.line.amount_minor, r.line.currency),
                  "currency": r.line.currency, "customer_id": r.customer_key, "confidence": r.confidence,
                  "state": r.state} for r in rows[:PAGE]]
    filters = {"customer": customer, "q": q, "min": min_amount, "max": max_amount, "reason": reason,
               "state": state, "sort": sort}
    base = {k: v for k, v in filters.items() if v}
    return _render(request, "queue.html", principal, active="queue", rows=items, total=total, f=filters, page=page,
                   reasons=[r.value for r in ReasonCode],
                   more=len(rows) > PAGE, next_url="/review?" + urlencode({**base, "page": page + 1}),
                   prev_url="/review?" + urlencode({**base, "page": page - 1}))


def _remittances(session: Any, tenant: int, currency: str, amount: str) -> list[dict[str, Any]]:
    return [json.loads(p) for p in views.remittances_for_amount(session, tenant, currency=currency, amount=amount)]


@router.get("/lines/{bank_line_id}", response_class=HTMLResponse)
def line_page(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)]) -> HTMLResponse:
    principal = _require(request)
    tenant = principal.tenant_id
    with read_session(request.app.state.engine) as session:
        try:
            detail = _detail(session, tenant, bank_line_id)
        except NotFoundError as exc:
            raise HTTPException(404, "payment not found") from exc
        summary = views.get_line_summary(session, tenant, bank_line_id)
        assert summary is not None
        raw = {"counterparty_account": summary.line.counterparty_account, "end_to_end_id": summary.line.end_to_end_id}
        top_customer = detail.proposals[0].customer_id if detail.proposals else summary.customer_key
        open_items = _open_items(session, tenant, top_customer, None)
        remittances = _remittances(session, tenant, detail.currency, detail.amount)
        next_id = views.next_open_line_id(session, tenant, bank_line_id)
    proposals = []
    for p in detail.proposals:
        allocations = [a.model_dump(mode="json") for a in p.allocations]
        proposals.append({**p.model_dump(mode="json"), "allocations_json": json.dumps(allocations)})
    top_invoices = ",".join(a["invoice_number"] for a in (proposals[0]["allocations"] if proposals else [])
                            if a["kind"] == "invoice" and a["invoice_number"])
    live = [a for a in detail.applications if a.reversed_at is None and a.reverses_id is None]
    return _render(request, "line.html", principal, active="queue", line=detail, raw=raw, version=detail.version,
                   proposals=proposals, applications=[a.model_dump(mode="json") for a in detail.applications],
                   applied=bool(live), kinds=[k.value for k in AllocationKind], reasons=[r.value for r in ReasonCode],
                   top_customer=top_customer, top_invoices=top_invoices, open_items=open_items,
                   remittances=remittances, next_id=next_id)


def _open_items(session: Any, tenant: int, customer: str | None, q: str | None) -> list[dict[str, Any]]:
    rows = views.search_open_items(session, tenant, customer_key=customer or None, text=q or None, limit=50)
    return [{"invoice_number": v.item.invoice_number, "customer_name": v.customer_name, "due_date": v.item.due_date,
             "open_amount": money(v.item.open_minor, v.item.currency)} for v in rows]


@router.get("/lines/{bank_line_id}/open-items", response_class=HTMLResponse)
def search_open_items(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)], customer: str | None = None, q: str | None = None,
                      fragment: int = 0) -> HTMLResponse:
    principal = _require(request)
    with read_session(request.app.state.engine) as session:
        items = _open_items(session, principal.tenant_id, customer, q)
    if fragment:
        return templates.TemplateResponse(request, "_open_items.html", {"open_items": items})
    return RedirectResponse(f"/review/lines/{bank_line_id}", status_code=303)  # type: ignore[return-value]


def _after(bank_line_id: int, next_id: int | None, msg: str) -> RedirectResponse:
    target = f"/review/lines/{next_id}" if next_id else "/review"
    return RedirectResponse(f"{target}?msg={msg}", status_code=303)


def _act(request: Request, bank_line_id: int, work: Any) -> Response:
    principal = _require(request)
    actor = f"key:{principal.key_id}"
    try:
        with write_transaction(request.app.state.engine) as session:
            if views.get_line_summary(session, principal.tenant_id, bank_line_id) is None:
                raise HTTPException(404, "payment not found")
            msg = work(session, principal.tenant_id, actor)
            next_id = views.next_open_line_id(session, principal.tenant_id, bank_line_id)
    except CashappError as exc:
        if getattr(exc, "code", "") == "stale_version":
            return RedirectResponse(f"/review/lines/{bank_line_id}?msg=stale", status_code=303)
        return _with_flash(request, bank_line_id, exc.message, exc.status)
    if msg == "reversed":
        return RedirectResponse(f"/review/lines/{bank_line_id}?msg=reversed", status_code=303)
    return _after(bank_line_id, next_id, msg)


def _with_flash(request: Request, bank_line_id: int, message: str, status: int) -> Response:
    response = line_page(request, bank_line_id)
    body = bytes(response.body).replace(b'<main id="main" tabindex="-1">',
                                        b'<main id="main" tabindex="-1"><p class="flash error" role="alert">'
                                        + _escape(message).encode() + b"</p>", 1)
    return HTMLResponse(body, status_code=status)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@router.post("/lines/{bank_line_id}/confirm")
def confirm(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)], version: Annotated[int, Form(ge=0)]) -> Response:
    def work(session: Any, tenant: int, actor: str) -> str:
        summary = views.get_line_summary(session, tenant, bank_line_id)
        assert summary is not None
        allocations, customer = top_allocations(views.find_suggestion(session, tenant, bank_line_id), summary.line.currency)
        apply_reviewed(session, tenant, bank_line_id, allocations, version_seen=version, action=ReviewAction.CONFIRM,
                       actor=actor, customer_id=customer)
        return "applied"
    return _act(request, bank_line_id, work)


@router.post("/lines/{bank_line_id}/apply")
async def apply_form(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)]) -> Response:
    form = await request.form()
    kinds, numbers = form.getlist("kind"), form.getlist("invoice_number")
    amounts, reasons = form.getlist("amount"), form.getlist("reason_code")
    version = int(str(form.get("version", "-1")) or -1)
    action = str(form.get("action", "change"))
    customer = str(form.get("customer_id") or "") or None

    def work(session: Any, tenant: int, actor: str) -> str:
        summary = views.get_line_summary(session, tenant, bank_line_id)
        assert summary is not None
        allocations = []
        for n, (kind, number, amount, reason) in enumerate(zip(kinds, numbers, amounts, reasons, strict=False)):
            if not str(amount).strip():
                continue
            try:
                allocations.append(ProposedAllocation(
                    kind=AllocationKind(str(kind)), amount=parse_amount(str(amount).strip(), summary.line.currency),
                    invoice_number=(str(number).strip() or None) if kind != "on_account" else None,
                    reason_code=ReasonCode(str(reason)) if kind in ("deduction", "write_off") and reason else None))
            except ValueError as exc:
                raise InputError(f"row {n + 1}: {exc}") from exc
        if not allocations:
            raise InputError("the allocation is empty")
        act = ReviewAction(action) if action in ReviewAction.__members__.values() else ReviewAction.CHANGE
        apply_reviewed(session, tenant, bank_line_id, allocations, version_seen=version, action=act, actor=actor,
                       customer_id=customer)
        return "applied"
    from starlette.concurrency import run_in_threadpool
    return await run_in_threadpool(_act, request, bank_line_id, work)


@router.post("/lines/{bank_line_id}/write-off")
def write_off(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)], version: Annotated[int, Form(ge=0)],
              reason: Annotated[str, Form()], invoices: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def work(session: Any, tenant: int, actor: str) -> str:
        summary = views.get_line_summary(session, tenant, bank_line_id)
        assert summary is not None
        numbers = [n.strip() for n in invoices.split(",") if n.strip()]
        if not numbers:
            raise InputError("choose the invoices paid in full first")
        opens = {v.item.invoice_number: v.item for v in views.search_open_items(session, tenant, open_only=False, limit=500)
                 if v.item.invoice_number in numbers}
        missing = [n for n in numbers if n not in opens]
        if missing:
            raise NotFoundError(f"no open item {missing[0]}")
        cash = Decimal(money(summary.line.amount_minor, summary.line.currency))
        allocations = write_off_allocations(
            cash, [(n, Decimal(money(opens[n].open_minor, opens[n].currency))) for n in numbers], ReasonCode(reason))
        apply_reviewed(session, tenant, bank_line_id, allocations, version_seen=version, action=ReviewAction.WRITE_OFF,
                       actor=actor, note=f"paid in full, difference written off as {reason}")
        return "applied"
    return _act(request, bank_line_id, work)


@router.post("/lines/{bank_line_id}/reject")
def reject(request: Request, bank_line_id: Annotated[int, PathParam(ge=1, le=2**62)], version: Annotated[int, Form(ge=0)],
           reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    def work(session: Any, tenant: int, actor: str) -> str:
        reject_proposals(session, tenant, bank_line_id, version_seen=version, actor=actor, reason=reason)
        return "rejected"
    return _act(request, bank_line_id, work)


@router.post("/applications/{application_id}/reverse")
def reverse(request: Request, application_id: Annotated[int, PathParam(ge=1, le=2**62)], version: Annotated[int, Form(ge=0)],
            reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    principal = _require(request)
    with read_session(request.app.state.engine) as session:
        found = views.list_applications(session, principal.tenant_id, application_id=application_id, limit=1)
        if not found:
            raise HTTPException(404, "application not found")
        line_id = found[0].application.bank_line_id

    def work(session: Any, tenant: int, actor: str) -> str:
        reverse_reviewed(session, tenant, application_id, actor=actor, reason=reason, version_seen=version)
        return "reversed"
    return _act(request, line_id, work)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    principal = _require(request)
    tenant = principal.tenant_id
    with read_session(request.app.state.engine) as session:
        counts = views.decision_counts(session, tenant)
        queue_size = views.count_lines(session, tenant, state="open")
        unmatched = views.count_lines(session, tenant, state="unmatched")
        oldest = views.oldest_open_booking_date(session, tenant)
        daily = [{"day": d.day, "account": d.account, "count": d.count, "currency": d.currency,
                  "amount": money(d.amount_minor, d.currency)} for d in views.applied_per_account_and_day(session, tenant)]
    auto, confirmed = counts.get("auto", 0), counts.get("confirmed", 0)
    rate = f"{100 * auto / (auto + confirmed):.1f}%" if auto + confirmed else "—"
    return _render(request, "dashboard.html", principal, active="dashboard", auto_rate=rate, auto=auto,
                   confirmed=confirmed, queue_size=queue_size, unmatched=unmatched, oldest=oldest,
                   age_days=(utc_now().date() - oldest).days if oldest else None, daily=daily)
