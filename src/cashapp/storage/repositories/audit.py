"""The auditor's SQL (RELIABILITY 1.6/1.8): each query returns the rows that break one
invariant, so a clean ledger returns nothing. Reads only; runs on both backends."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

CHECKS: dict[str, str] = {
    # R1: at most one live application per bank line.
    "R1": """
        SELECT a.bank_line_id, count(*) FROM application AS a
         WHERE a.tenant_id = :tenant AND a.reversed_at IS NULL AND a.reverses_id IS NULL
         GROUP BY a.bank_line_id HAVING count(*) > 1""",
    # R2: a live application's cash allocations equal its bank line's amount;
    # a reversal carries no allocations.
    "R2": """
        SELECT a.id, b.amount_minor,
               COALESCE(SUM(CASE WHEN al.kind IN ('invoice', 'on_account')
                                 THEN al.amount_minor ELSE 0 END), 0)
          FROM application AS a
          JOIN bank_line AS b ON b.id = a.bank_line_id
          LEFT JOIN allocation AS al ON al.application_id = a.id
         WHERE a.tenant_id = :tenant AND a.reverses_id IS NULL
         GROUP BY a.id, b.amount_minor
        HAVING COALESCE(SUM(CASE WHEN al.kind IN ('invoice', 'on_account')
                                 THEN al.amount_minor ELSE 0 END), 0) <> b.amount_minor
        UNION ALL
        SELECT a.id, 0, count(al.id) FROM application AS a
          JOIN allocation AS al ON al.application_id = a.id
         WHERE a.tenant_id = :tenant AND a.reverses_id IS NOT NULL
         GROUP BY a.id""",
    # R3: open = what the ERP said was open - what live applications took; never negative.
    "R3": """
        SELECT oi.invoice_number, oi.open_minor,
               oi.baseline_open_minor - COALESCE(taken.amount, 0)
          FROM open_item AS oi
          LEFT JOIN (SELECT al.invoice_id, SUM(al.amount_minor) AS amount
                       FROM allocation AS al
                       JOIN application AS a ON a.id = al.application_id
                      WHERE a.tenant_id = :tenant
                        AND a.reversed_at IS NULL AND a.reverses_id IS NULL
                      GROUP BY al.invoice_id) AS taken ON taken.invoice_id = oi.id
         WHERE oi.tenant_id = :tenant
           AND ((oi.amount_minor >= 0 AND oi.open_minor < 0)
                OR oi.open_minor <> oi.baseline_open_minor - COALESCE(taken.amount, 0))""",
    # R8: every application has a decision; automated decisions name their model version.
    "R8": """
        SELECT a.id, 'no decision' FROM application AS a
          LEFT JOIN decision AS d ON d.id = a.decision_id
         WHERE a.tenant_id = :tenant AND d.id IS NULL
        UNION ALL
        SELECT d.id, 'automated decision without model version' FROM decision AS d
         WHERE d.tenant_id = :tenant AND d.actor_type <> 'user' AND d.model_version IS NULL""",
    # R9: a reversed application is reversed by a reversal of it, and every reversal marks
    # its original.
    "R9": """
        SELECT a.id, 'reversed without a reversal' FROM application AS a
         WHERE a.tenant_id = :tenant AND a.reversed_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM application AS r
                            WHERE r.id = a.reversed_by AND r.reverses_id = a.id)
        UNION ALL
        SELECT r.id, 'reversal of an application not marked reversed' FROM application AS r
          JOIN application AS a ON a.id = r.reverses_id
         WHERE r.tenant_id = :tenant AND (a.reversed_by IS NULL OR a.reversed_by <> r.id)""",
}


# R11: per currency, the cash of booked credit lines is either allocated by a live
# application or still unprocessed (Formance's "aggregated volumes" in our terms).
_R11_LINES = """
    SELECT b.currency, SUM(b.amount_minor),
           SUM(CASE WHEN a.id IS NULL THEN b.amount_minor ELSE 0 END)
      FROM bank_line AS b
      LEFT JOIN application AS a ON a.tenant_id = b.tenant_id AND a.bank_line_id = b.id
           AND a.reversed_at IS NULL AND a.reverses_id IS NULL
     WHERE b.tenant_id = :tenant AND b.amount_minor > 0 AND b.status = 'booked'
     GROUP BY b.currency"""
_R11_CASH = """
    SELECT a.currency, SUM(al.amount_minor)
      FROM application AS a JOIN allocation AS al ON al.application_id = a.id
     WHERE a.tenant_id = :tenant AND a.reversed_at IS NULL AND a.reverses_id IS NULL
       AND al.kind IN ('invoice', 'on_account')
     GROUP BY a.currency"""


def run_checks(session: Session, tenant_id: int) -> list[tuple[str, tuple[object, ...]]]:
    """``(invariant, offending row)`` for every violation found."""
    found: list[tuple[str, tuple[object, ...]]] = []
    params = {"tenant": tenant_id}
    for name, sql in CHECKS.items():
        for row in session.execute(text(sql), params):
            found.append((name, tuple(row)))
    cash = {currency: int(total) for currency, total in session.execute(text(_R11_CASH), params)}
    for currency, total, unprocessed in session.execute(text(_R11_LINES), params):
        if int(total) != int(unprocessed) + cash.get(currency, 0):
            found.append(("R11", (currency, int(total), int(unprocessed), cash.get(currency, 0))))
    return found
