"""Reads what the payer meant: references (check-digit validated or shaped like the
seller's own numbering), amounts and deduction reasons in short, noisy, multilingual text.

Contract with the use cases (``cashapp.extractors.nlp.api``):

- ``learn_shapes(invoice_numbers) -> ReferenceShapes``: the seller's numbering, learned
  from the open items (prefixes, separators, padding, year parts). It keeps the numbers for
  exact and fuzzy lookup (``keep_numbers=False`` to only learn the shapes);
  ``payment_references=`` the structured references printed on the open invoices.
- ``find_references(text, *, shapes, source) -> list[ReferenceCandidate]``: invoice
  numbers (even mistyped), structured creditor references validated by their check
  digits, PO numbers, with confidence and position. Never decides a match.
  ``normalized`` is the ledger's own invoice number when ``shapes`` knows it; ``evidence``
  names the edits undone (``separators``, ``prefix_missing``, ``zeros_dropped``,
  ``confusion:O>0``, ``transposition``, ``split``, ``invalid_check_digits``, ``model``).
  ``use_model=True`` adds what the trained spaCy pipeline finds and the rules miss;
  ``find_references_batch`` does the same for many texts (batched ``nlp.pipe``).
- ``find_reason(text) -> tuple[ReasonCode, float] | None``: the deduction reason written
  in the text, mapped to the canonical codes, with a confidence.
- ``resolve_invoice(candidate, shapes) -> list[Resolution]``: the open invoice number(s) a
  written candidate may mean, with the edit kind as evidence.
- ``normalize_structured(reference) -> (scheme, compact) | None``: the form
  ``find_references`` emits for a structured reference, to normalise the ledger's
  ``payment_reference`` the same way.

Modules: ``checkdigits`` (RF, OGM/VCS, QRR, Finnish, KID), ``structured`` (those references
in text), ``shapes`` (the learned numbering), ``resolve`` (fuzzy lookup), ``invoices``
(numbers in text), ``labels``, ``amounts``, ``reasons`` (lexicon), ``model`` (the shipped
spaCy pipeline in ``model/``, with its ``MODEL_CARD.md``).
"""
