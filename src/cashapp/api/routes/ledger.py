"""The ERP's ledger routes: open items, files, bank lines with proposals, review actions,
applications and their reversal, deductions and the lettrage feed. Thin: parse, call a use
case inside the request's transaction, shape the answer. Another tenant's id is a 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from cashapp.api.deps import EngineDep, IdempotencyKey, Reader, Reviewer, Writer
from cashapp.api.ledger_schemas import (
    AllocationRead,
    ApplicationRead,
    BankAccountPage,
    BankAccountRead,
    BankLineDetail,
    BankLinePage,
    BankLineRead,
    DeductionPage,
    DeductionRead,
    FileStored,
    LettrageEntry,
    LettragePage,
    LineState,
    OpenItemBulk,
    OpenItemPage,
    OpenItemRead,
    ProposalRead,
    ReverseRequest,
    ReverseResult,
    ReviewApply,
    ReviewConfirmTop,
    ReviewReject,
    ReviewResult,
    UpsertResult,
)
from cashapp.api.proposals import allocations_from_input, proposals_of, top_allocations
from cashapp.api.schemas import MAX_PAGE
from cashapp.core.errors import InputError, NotFoundError
from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import from_minor, parse_amount
from cashapp.domain.remittances import RemittanceFile
from cashapp.extractors.read import read_untrusted
from cashapp.reconciliation.ingest import sha256_of, store_remittance_file, store_statement_file
from cashapp.reconciliation.open_items import import_open_items
from cashapp.reconciliation.review_actions import (
    ReviewAction,
    apply_reviewed,
    reject_proposals,
    reverse_reviewed,
)
from cashapp.storage import review as views
from cashapp.storage.transactions import read_session, write_transaction

router = APIRouter(prefix="/v1")
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[int | None, Query(ge=0, le=2**62)]
LineId = Annotated[int, Path(ge=1, le=2**62)]
ApplicationId = Annotated[int, Path(ge=1, le=2**62)]


def money(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def _line_read(s: views.LineSummary) -> BankLineRead:
    line = s.line
    assert line.id is not None
    return BankLineRead(
        id=line.id, bank_account=s.account, statement_id=s.statement_key, bank_ref=line.bank_ref,
        booking_date=line.booking_date, amount=money(line.amount_minor, line.currency),
        currency=line.currency, status=line.status, counterparty_name=line.counterparty_name,
        remittance_text=line.remittance_text, state=s.state, confidence=s.confidence,
        customer_id=s.customer_key, application_id=s.live_application_id,
    )


def _application_read(v: views.ApplicationView) -> ApplicationRead:
    a = v.application
    assert a.id is not None
    return ApplicationRead(
        id=a.id, bank_line_id=a.bank_line_id, bank_ref=v.bank_ref, reverses_id=a.reverses_id,
        reversed_at=a.reversed_at, reversed_by=a.reversed_by, lettrage_code=a.lettrage_code,
        lettrage_date=a.lettrage_date, partial=a.lettrage_partial, created_at=a.created_at,
        allocations=[AllocationRead(kind=x.kind, amount=money(x.amount_minor, a.currency),  # type: ignore[arg-type]
                                    invoice_number=x.invoice_number, reason_code=x.reason_code)  # type: ignore[arg-type]
                     for x in v.allocations],
    )


# --- receivables and files ----------------------------------------------------------------


@router.get("/bank-accounts", response_model=BankAccountPage, tags=["bank"])
def list_bank_accounts(principal: Reader, engine: EngineDep) -> BankAccountPage:
    with read_session(engine) as session:
        rows = views.list_bank_accounts(session, principal.tenant_id)
        return BankAccountPage(items=[BankAccountRead(id=r.id or 0, account=r.account, currency=r.currency) for r in rows])


@router.post("/open-items", response_model=UpsertResult, tags=["open-items"])
def upsert_open_items(body: OpenItemBulk, principal: Writer, engine: EngineDep, _key: IdempotencyKey) -> UpsertResult:
    items = []
    for n, row in enumerate(body.items):
        try:
            amount = parse_amount(row.amount, row.currency)
            open_amount = parse_amount(row.open_amount, row.currency) if row.open_amount is not None else amount
        except ValueError as exc:
            raise InputError(str(exc), element=f"items[{n}]") from exc
        if (amount >= 0 and not Decimal(0) <= open_amount <= amount) or (amount < 0 and not amount <= open_amount <= 0):
            raise InputError("open_amount must lie between 0 and amount", element=f"items[{n}]")
        items.append(OpenItem(
            invoice_number=row.invoice_number, customer_id=row.customer_id, customer_name=row.customer_name,
            issue_date=row.issue_date, due_date=row.due_date, currency=row.currency, amount=amount,
            open_amount=open_amount, customer_iban=row.customer_iban or None,
            payment_reference=row.payment_reference or None, po_number=row.po_number or None,
        ))
    with write_transaction(engine) as session:
        counts = import_open_items(session, principal.tenant_id, items)
    return UpsertResult(created=counts.created, updated=counts.updated, unchanged=counts.unchanged,
                        customers_created=counts.customers_created)


@router.get("/open-items", response_model=OpenItemPage, tags=["open-items"])
def list_open_items(
    principal: Reader, engine: EngineDep, customer_id: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None, include_settled: bool = False,
    cursor: Cursor = None, limit: Limit = 100,
) -> OpenItemPage:
    with read_session(engine) as session:
        rows = views.search_open_items(session, principal.tenant_id, customer_key=customer_id, text=q,
                                       open_only=not include_settled, after_id=cursor, limit=limit)
        items = [OpenItemRead(
            id=v.item.id or 0, invoice_number=v.item.invoice_number, customer_id=v.customer_key,
            customer_name=v.customer_name, issue_date=v.item.issue_date, due_date=v.item.due_date,
            currency=v.item.currency, amount=money(v.item.amount_minor, v.item.currency),
            open_amount=money(v.item.open_minor, v.item.currency), payment_reference=v.item.payment_reference,
            version=v.item.version) for v in rows]
    return OpenItemPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


def _store_upload(engine: Any, settings: Any, tenant: int, upload: UploadFile, *, want: str, cap: int) -> FileStored:
    data = upload.file.read(cap + 1)
    name = (upload.filename or "upload")[-200:]
    if len(data) > cap:
        raise InputError(f"the file is over the {cap} byte cap", file=name)
    parsed = read_untrusted(data, source=name, settings=settings)  # sandboxed child process
    kind = "remittance" if isinstance(parsed, RemittanceFile) else "statement"
    if kind != want:
        raise InputError(f"this is a {kind} file, not a {want}", file=name)
    with write_transaction(engine) as session:
        if isinstance(parsed, RemittanceFile):
            stored = store_remittance_file(session, tenant, parsed, sha256=sha256_of(data), filename=name, size_bytes=len(data))
        else:
            stored = store_statement_file(session, tenant, parsed, sha256=sha256_of(data), filename=name, size_bytes=len(data))
    return FileStored(file_id=stored.file_id, created=stored.created, kind=stored.kind, format=stored.format,
                      statements=stored.statements, lines_new=stored.lines_new, lines_known=stored.lines_known,
                      remittances=stored.remittances)


@router.post("/statements", response_model=FileStored, tags=["files"])
def upload_statement(request: Request, principal: Writer, engine: EngineDep, _key: IdempotencyKey,
                     file: Annotated[UploadFile, File(description="camt.05x, MT940, OFX, BAI2, CODA, CFONB")]) -> FileStored:
    from cashapp.api.app import UPLOAD_CAP
    return _store_upload(engine, request.app.state.settings, principal.tenant_id, file, want="statement", cap=UPLOAD_CAP)


@router.post("/remittances", response_model=FileStored, tags=["files"])
def upload_remittance(request: Request, principal: Writer, engine: EngineDep, _key: IdempotencyKey,
                      file: Annotated[UploadFile, File(description="remt.001, X12 820, e-mail, PDF, spreadsheet")]) -> FileStored:
    from cashapp.api.app import UPLOAD_CAP
    return _store_upload(engine, request.app.state.settings, principal.tenant_id, file, want="remittance", cap=UPLOAD_CAP)


# --- bank lines and review --------------------------------------------------------------


@router.get("/bank-lines", response_model=BankLinePage, tags=["bank-lines"])
def list_bank_lines(principal: Reader, engine: EngineDep, state: LineState | None = None,
                    bank_account_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                    cursor: Cursor = None, limit: Limit = 100) -> BankLinePage:
    with read_session(engine) as session:
        rows = views.list_lines(session, principal.tenant_id, state=state, bank_account_id=bank_account_id,
                                after_id=cursor, limit=limit)
        items = [_line_read(r) for r in rows]
    return BankLinePage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


def _detail(session: Any, tenant: int, bank_line_id: int) -> BankLineDetail:
    summary = views.get_line_summary(session, tenant, bank_line_id)
    if summary is None:
        raise NotFoundError("bank line not found")
    suggestion = views.find_suggestion(session, tenant, bank_line_id)
    currency = summary.line.currency
    proposals = [ProposalRead(rank=rank, confidence=p.confidence, customer_id=p.customer_id,
                              model_version=p.model_version,
                              allocations=[AllocationRead(kind=a.kind, amount=str(a.amount), invoice_number=a.invoice_number,
                                                          reason_code=a.reason_code) for a in p.allocations],
                              evidence=[{"name": e.name, "detail": e.detail, "weight": e.weight} for e in p.evidence])  # type: ignore[misc]
                 for rank, p in enumerate(proposals_of(suggestion, currency), start=1)]
    return BankLineDetail(
        **_line_read(summary).model_dump(), version=views.line_version(session, tenant, bank_line_id),
        proposals=proposals,
        applications=[_application_read(a) for a in views.list_applications(session, tenant, bank_line_id=bank_line_id)],
    )


@router.get("/bank-lines/{bank_line_id}", response_model=BankLineDetail, tags=["bank-lines"])
def read_bank_line(bank_line_id: LineId, principal: Reader, engine: EngineDep) -> BankLineDetail:
    with read_session(engine) as session:
        return _detail(session, principal.tenant_id, bank_line_id)


def _result(session: Any, tenant: int, bank_line_id: int, application_id: int | None, code: str | None) -> ReviewResult:
    return ReviewResult(bank_line_id=bank_line_id, version=views.line_version(session, tenant, bank_line_id),
                        application_id=application_id, lettrage_code=code)


@router.post("/bank-lines/{bank_line_id}/confirm", response_model=ReviewResult, tags=["review"])
def confirm_top_proposal(bank_line_id: LineId, body: ReviewConfirmTop, principal: Reviewer, engine: EngineDep,
                         _key: IdempotencyKey) -> ReviewResult:
    with write_transaction(engine) as session:
        summary = views.get_line_summary(session, principal.tenant_id, bank_line_id)
        if summary is None:
            raise NotFoundError("bank line not found")
        suggestion = views.find_suggestion(session, principal.tenant_id, bank_line_id)
        allocations, customer = top_allocations(suggestion, summary.line.currency)
        done = apply_reviewed(session, principal.tenant_id, bank_line_id, allocations, version_seen=body.version,
                              action=ReviewAction.CONFIRM, actor=f"key:{principal.key_id}", customer_id=customer)
        return _result(session, principal.tenant_id, bank_line_id, done.applied.application_id, done.applied.lettrage_code)


@router.post("/bank-lines/{bank_line_id}/apply", response_model=ReviewResult, tags=["review"])
def apply_allocation(bank_line_id: LineId, body: ReviewApply, principal: Reviewer, engine: EngineDep,
                     _key: IdempotencyKey) -> ReviewResult:
    with write_transaction(engine) as session:
        summary = views.get_line_summary(session, principal.tenant_id, bank_line_id)
        if summary is None:
            raise NotFoundError("bank line not found")
        allocations = allocations_from_input(body.allocations, summary.line.currency)
        done = apply_reviewed(session, principal.tenant_id, bank_line_id, allocations, version_seen=body.version,
                              action=ReviewAction(body.action), actor=f"key:{principal.key_id}",
                              customer_id=body.customer_id, note=body.note)
        return _result(session, principal.tenant_id, bank_line_id, done.applied.application_id, done.applied.lettrage_code)


@router.post("/bank-lines/{bank_line_id}/reject", response_model=ReviewResult, tags=["review"])
def reject(bank_line_id: LineId, body: ReviewReject, principal: Reviewer, engine: EngineDep,
           _key: IdempotencyKey) -> ReviewResult:
    with write_transaction(engine) as session:
        if views.get_line_summary(session, principal.tenant_id, bank_line_id) is None:
            raise NotFoundError("bank line not found")
        reject_proposals(session, principal.tenant_id, bank_line_id, version_seen=body.version,
                         actor=f"key:{principal.key_id}", reason=body.reason)
        return _result(session, principal.tenant_id, bank_line_id, None, None)


# --- applications, deductions, lettrage --------------------------------------------------


@router.get("/applications/{application_id}", response_model=ApplicationRead, tags=["applications"])
def read_application(application_id: ApplicationId, principal: Reader, engine: EngineDep) -> ApplicationRead:
    with read_session(engine) as session:
        found = views.list_applications(session, principal.tenant_id, application_id=application_id, limit=1)
        if not found:
            raise NotFoundError("application not found")
        return _application_read(found[0])


@router.post("/applications/{application_id}/reverse", response_model=ReverseResult, tags=["applications"])
def reverse(application_id: ApplicationId, body: ReverseRequest, principal: Reviewer, engine: EngineDep,
            _key: IdempotencyKey) -> ReverseResult:
    with write_transaction(engine) as session:
        reversal_id = reverse_reviewed(session, principal.tenant_id, application_id, actor=f"key:{principal.key_id}",
                                       reason=body.reason, version_seen=body.version)
    return ReverseResult(application_id=application_id, reversal_id=reversal_id)


@router.get("/deductions", response_model=DeductionPage, tags=["deductions"])
def list_deductions(principal: Reader, engine: EngineDep, cursor: Cursor = None, limit: Limit = 100) -> DeductionPage:
    with read_session(engine) as session:
        rows = views.list_deductions(session, principal.tenant_id, after_id=cursor, limit=limit)
        items = [DeductionRead(application_id=d.application_id, bank_line_id=d.bank_line_id, kind=d.kind,
                               amount=money(d.amount_minor, d.currency), currency=d.currency,
                               invoice_number=d.invoice_number, reason_code=d.reason_code, created_at=d.created_at)
                 for d in rows]
    return DeductionPage(items=items, next_cursor=items[-1].application_id if len(items) == limit else None)


@router.get("/lettrage", response_model=LettragePage, tags=["lettrage"])
def lettrage_feed(principal: Reader, engine: EngineDep, cursor: Cursor = None, limit: Limit = 100) -> LettragePage:
    """Every application (lettrage) and reversal (délettrage) in order; resume from ``next_cursor``."""
    with read_session(engine) as session:
        rows = views.list_applications(session, principal.tenant_id, after_id=cursor, limit=limit)
        originals = {}
        reversed_ids = [v.application.reverses_id for v in rows if v.application.reverses_id]
        for rid in reversed_ids:
            found = views.list_applications(session, principal.tenant_id, application_id=rid, limit=1)
            if found:
                originals[rid] = found[0]
        items = []
        for v in rows:
            a = v.application
            assert a.id is not None
            if a.reverses_id is None:
                items.append(LettrageEntry(
                    cursor=a.id, event="lettrage", application_id=a.id, bank_line_id=a.bank_line_id, bank_ref=v.bank_ref,
                    EcritureLet=a.lettrage_code, DateLet=a.lettrage_date.strftime("%Y%m%d") if a.lettrage_date else None,
                    partial=a.lettrage_partial, allocations=_application_read(v).allocations))
            else:
                original = originals.get(a.reverses_id)
                items.append(LettrageEntry(
                    cursor=a.id, event="delettrage", application_id=a.reverses_id, bank_line_id=a.bank_line_id,
                    bank_ref=v.bank_ref, EcritureLet=original.application.lettrage_code if original else None,
                    DateLet=a.created_at.strftime("%Y%m%d"), partial=False, allocations=[]))
    return LettragePage(items=items, next_cursor=items[-1].cursor if len(items) == limit else None)
