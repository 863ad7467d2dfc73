"""Reads what the payer meant: references (check-digit validated or shaped like the
seller's own numbering), amounts and deduction reasons in short, noisy, multilingual text.

Contract with the use cases (``cashapp.extractors.nlp.api``):

- ``learn_shapes(invoice_numbers) -> ReferenceShapes``: the seller's numbering, learned
  from the open items (prefixes, separators, padding, year parts).
- ``find_references(text, *, shapes, source) -> list[ReferenceCandidate]``: invoice
  numbers (even mistyped), structured creditor references validated by their check
  digits, PO numbers, with confidence and position. Never decides a match.
- ``find_reason(text) -> tuple[ReasonCode, float] | None``: the deduction reason written
  in the text, mapped to the canonical codes, with a confidence.
"""
