"""Lettrage codes, as in a French FEC's ``EcritureLet``: letters shared by a payment and the
invoices it settles. Upper case when every invoice touched is fully settled, lower case for
a partial lettrage (something is still open)."""

from __future__ import annotations

import string

_LETTERS = string.ascii_uppercase
MIN_LENGTH = 3


def lettrage_code(number: int, *, partial: bool = False) -> str:
    """The ``number``-th code of a tenant (1 -> ``AAA``, 2 -> ``AAB``, 17577 -> ``BAAA``)."""
    if number < 1:
        raise ValueError(f"lettrage numbers start at 1, got {number}")
    value = number - 1
    letters = []
    while value:
        value, digit = divmod(value, 26)
        letters.append(_LETTERS[digit])
    code = "".join(reversed(letters)).rjust(MIN_LENGTH, "A")
    return code.lower() if partial else code
