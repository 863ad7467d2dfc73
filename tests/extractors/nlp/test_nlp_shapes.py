"""Learning the seller's numbering and reading it back through every kind of damage."""

import pytest

from cashapp.extractors.nlp.api import find_references, learn_shapes, resolve_invoice

LEDGER = [
    "INV-2024-00123",
    "INV-2024-00124",
    "INV-2024-01587",
    "INV-2025-00007",
    "CN-2024-00001",
    "FA000123",
    "FA004711",
    "RE-10023",
    "RE-10578",
]


@pytest.fixture(scope="module")
def shapes():  # type: ignore[no-untyped-def]
    return learn_shapes(LEDGER)


def test_families_are_learned(shapes) -> None:  # type: ignore[no-untyped-def]
    described = [f.describe() for f in shapes.families]
    assert "INV|CN '-' year4 '-' padded5" in described
    assert "FA '' padded6" in described
    assert "RE '-' digits5" in described


@pytest.mark.parametrize(
    ("written", "number", "edit"),
    [
        ("INV-2024-00123", "INV-2024-00123", None),
        ("INV/2024/00123", "INV-2024-00123", "separators"),
        ("INV202400123", "INV-2024-00123", "separators"),
        ("2024-00123", "INV-2024-00123", "prefix_missing"),
        ("INV-2024-123", "INV-2024-00123", "zeros_dropped"),
        ("FA4711", "FA004711", "zeros_dropped"),
        ("INV-2O24-00123", "INV-2024-00123", "confusion:O>0"),
        ("INV-2024-0O124", "INV-2024-00124", "confusion:O>0"),
        ("RE-1OO23", "RE-10023", "confusion:many"),
        ("INV-2024-0l587", "INV-2024-01587", "confusion:l>1"),
        ("INV-2024-OI587", "INV-2024-01587", "confusion:many"),
        ("RE-1OS78", "RE-10578", "confusion:many"),
        ("FA0047l1", "FA004711", "confusion:l>1"),
        ("INV-2024-0I587", "INV-2024-01587", "confusion:I>1"),
        ("RE-10S78", "RE-10578", "confusion:S>5"),
        ("INV-2024-0158B", "INV-2024-01587", None),  # B is 8, not 7: must not resolve
        ("INV-2024-00213", "INV-2024-00123", "transposition"),
        ("RE-10587", "RE-10578", "transposition"),
    ],
)
def test_resolve_each_edit_kind(shapes, written: str, number: str, edit: str | None) -> None:  # type: ignore[no-untyped-def]
    found = resolve_invoice(written, shapes)
    if edit is None and written != number:
        assert all(r.number != number for r in found)
        return
    assert found and found[0].number == number
    if edit is None:
        assert found[0].edits == ()
    else:
        assert edit in found[0].edits


def test_confused_z_and_b(shapes) -> None:  # type: ignore[no-untyped-def]
    ledger = learn_shapes(["INV-2024-00128"])
    assert resolve_invoice("INV-Z024-00128", ledger)[0].number == "INV-2024-00128"
    assert resolve_invoice("INV-2024-0012B", ledger)[0].number == "INV-2024-00128"


def test_split_across_subfields(shapes) -> None:  # type: ignore[no-untyped-def]
    found = find_references("SVWZ+Rechnung INV-2024-0\n0124 Danke", shapes=shapes)
    invoices = [c for c in found if c.kind == "invoice"]
    assert [c.normalized for c in invoices] == ["INV-2024-00124"]
    assert "split" in invoices[0].evidence


def test_unknown_number_of_the_right_shape_is_low_confidence(shapes) -> None:  # type: ignore[no-untyped-def]
    found = find_references("INV-2024-09999", shapes=shapes)
    assert found[0].normalized == "INV-2024-09999" and found[0].confidence < 0.5


def test_shapes_without_numbers_rerender_canonically() -> None:
    shapes = learn_shapes(LEDGER, keep_numbers=False)
    found = find_references("paid inv 2024/123", shapes=shapes)
    assert found[0].normalized == "INV-2024-00123"


def test_short_bare_numbers_are_not_invoices(shapes) -> None:  # type: ignore[no-untyped-def]
    assert find_references("qty 123 items", shapes=shapes) == []


def test_amount_next_to_reference(shapes) -> None:  # type: ignore[no-untyped-def]
    found = find_references("INV-2024-00123 1.234,56 INV-2024-00124: 99,00 EUR", shapes=shapes)
    assert [(c.normalized, str(c.amount)) for c in found] == [
        ("INV-2024-00123", "1234.56"),
        ("INV-2024-00124", "99.00"),
    ]


def test_po_and_customer_numbers_where_labelled(shapes) -> None:  # type: ignore[no-untyped-def]
    found = find_references("Bestellung 4500012345 Kunden-Nr. K1234 RE-10023", shapes=shapes)
    assert [(c.kind.value, c.normalized) for c in found] == [
        ("po", "4500012345"),
        ("customer", "K1234"),
        ("invoice", "RE-10023"),
    ]


def test_without_shapes_labelled_numbers_are_read() -> None:
    found = find_references("Facture n° 2024-778 et pedido 88123")
    assert [(c.kind.value, c.normalized) for c in found] == [
        ("invoice", "2024-778"),
        ("po", "88123"),
    ]
