"""The money guards installed by revision 0001 (triggers on both backends, PostgreSQL's
deferred R2 check), kept beside the revision so its table DDL stays readable.

Frozen with revision 0001: a later change to a guard belongs in a new revision.
"""

from __future__ import annotations

from typing import Any

_SQLITE_GUARDS = [
    """CREATE TRIGGER allocation_no_update BEFORE UPDATE ON allocation
       BEGIN SELECT RAISE(ABORT, 'R9: allocations are append-only'); END""",
    """CREATE TRIGGER allocation_no_delete BEFORE DELETE ON allocation
       BEGIN SELECT RAISE(ABORT, 'R9: allocations are append-only'); END""",
    """CREATE TRIGGER decision_no_update BEFORE UPDATE ON decision
       BEGIN SELECT RAISE(ABORT, 'R8: decisions are append-only'); END""",
    """CREATE TRIGGER decision_no_delete BEFORE DELETE ON decision
       BEGIN SELECT RAISE(ABORT, 'R8: decisions are append-only'); END""",
    """CREATE TRIGGER application_no_delete BEFORE DELETE ON application
       BEGIN SELECT RAISE(ABORT, 'R9: applications are never deleted, only reversed'); END""",
    """CREATE TRIGGER application_reverse_once BEFORE UPDATE ON application
       WHEN OLD.reversed_at IS NOT NULL OR NEW.reversed_at IS NULL
         OR NEW.id IS NOT OLD.id OR NEW.tenant_id IS NOT OLD.tenant_id
         OR NEW.bank_line_id IS NOT OLD.bank_line_id OR NEW.currency IS NOT OLD.currency
         OR NEW.decision_id IS NOT OLD.decision_id OR NEW.reverses_id IS NOT OLD.reverses_id
         OR NEW.lettrage_code IS NOT OLD.lettrage_code
         OR NEW.lettrage_date IS NOT OLD.lettrage_date
         OR NEW.lettrage_partial IS NOT OLD.lettrage_partial
         OR NEW.created_at IS NOT OLD.created_at
         OR NOT EXISTS (SELECT 1 FROM application AS r
                        WHERE r.id = NEW.reversed_by AND r.reverses_id = OLD.id)
       BEGIN SELECT RAISE(ABORT, 'R9: reversed only once, by its reversal');
       END""",
]

_SQLITE_GUARD_NAMES = [
    "allocation_no_update",
    "allocation_no_delete",
    "decision_no_update",
    "decision_no_delete",
    "application_no_delete",
    "application_reverse_once",
]

_PG_GUARDS = [
    """CREATE FUNCTION cashapp_append_only() RETURNS trigger LANGUAGE plpgsql
       SET search_path FROM CURRENT AS $$
       BEGIN
         RAISE EXCEPTION 'R9: % rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
           USING ERRCODE = 'restrict_violation';
       END $$""",
    """CREATE TRIGGER allocation_append_only BEFORE UPDATE OR DELETE ON allocation
       FOR EACH ROW EXECUTE FUNCTION cashapp_append_only()""",
    """CREATE TRIGGER decision_append_only BEFORE UPDATE OR DELETE ON decision
       FOR EACH ROW EXECUTE FUNCTION cashapp_append_only()""",
    """CREATE TRIGGER application_no_delete BEFORE DELETE ON application
       FOR EACH ROW EXECUTE FUNCTION cashapp_append_only()""",
    """CREATE FUNCTION cashapp_application_reverse_once() RETURNS trigger LANGUAGE plpgsql
       SET search_path FROM CURRENT AS $$
       BEGIN
         IF OLD.reversed_at IS NOT NULL OR NEW.reversed_at IS NULL
            OR (NEW.id, NEW.tenant_id, NEW.bank_line_id, NEW.currency, NEW.decision_id,
                NEW.reverses_id, NEW.lettrage_code, NEW.lettrage_date, NEW.lettrage_partial,
                NEW.created_at)
               IS DISTINCT FROM
               (OLD.id, OLD.tenant_id, OLD.bank_line_id, OLD.currency, OLD.decision_id,
                OLD.reverses_id, OLD.lettrage_code, OLD.lettrage_date, OLD.lettrage_partial,
                OLD.created_at)
            OR NOT EXISTS (SELECT 1 FROM application AS r
                           WHERE r.id = NEW.reversed_by AND r.reverses_id = OLD.id) THEN
           RAISE EXCEPTION 'R9: an application may only be marked reversed, once, by its reversal'
             USING ERRCODE = 'restrict_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER application_reverse_once BEFORE UPDATE ON application
       FOR EACH ROW EXECUTE FUNCTION cashapp_application_reverse_once()""",
    """CREATE FUNCTION cashapp_application_balanced() RETURNS trigger LANGUAGE plpgsql
       SET search_path FROM CURRENT AS $$
       DECLARE
         app_id bigint;
         reverses bigint;
         line_amount bigint;
         cash bigint;
         lines integer;
       BEGIN
         IF TG_TABLE_NAME = 'allocation' THEN app_id := NEW.application_id;
         ELSE app_id := NEW.id;
         END IF;
         SELECT a.reverses_id, b.amount_minor INTO reverses, line_amount
           FROM application AS a JOIN bank_line AS b ON b.id = a.bank_line_id
          WHERE a.id = app_id;
         SELECT count(*), coalesce(sum(amount_minor) FILTER (
                  WHERE kind IN ('invoice', 'on_account')), 0)
           INTO lines, cash FROM allocation WHERE application_id = app_id;
         IF reverses IS NOT NULL THEN
           IF lines > 0 THEN
             RAISE EXCEPTION 'R2: reversal % carries allocations', app_id
               USING ERRCODE = 'check_violation';
           END IF;
         ELSIF cash <> line_amount THEN
           RAISE EXCEPTION 'R2: application % allocates % of a bank line of %',
             app_id, cash, line_amount USING ERRCODE = 'check_violation';
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE CONSTRAINT TRIGGER application_balanced AFTER INSERT ON application
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
       EXECUTE FUNCTION cashapp_application_balanced()""",
    """CREATE CONSTRAINT TRIGGER allocation_balanced AFTER INSERT ON allocation
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
       EXECUTE FUNCTION cashapp_application_balanced()""",
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS allocation_balanced ON allocation",
    "DROP TRIGGER IF EXISTS application_balanced ON application",
    "DROP TRIGGER IF EXISTS application_reverse_once ON application",
    "DROP TRIGGER IF EXISTS application_no_delete ON application",
    "DROP TRIGGER IF EXISTS decision_append_only ON decision",
    "DROP TRIGGER IF EXISTS allocation_append_only ON allocation",
    "DROP FUNCTION IF EXISTS cashapp_application_balanced()",
    "DROP FUNCTION IF EXISTS cashapp_application_reverse_once()",
    "DROP FUNCTION IF EXISTS cashapp_append_only()",
]


def install_guards(op: Any) -> None:
    dialect = op.get_bind().dialect.name
    statements = _PG_GUARDS if dialect == "postgresql" else _SQLITE_GUARDS
    for statement in statements:
        op.execute(statement)


def drop_guards(op: Any) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_GUARD_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
