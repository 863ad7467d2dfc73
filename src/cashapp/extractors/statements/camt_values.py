"""Small, strict readers of camt leaf values: amounts, indicators, dates, codes, children.

Every failure is a ``StatementParseError`` naming the file, the element path and the line.
Children are indexed by local name in one pass (``Kids``): lxml's ``find`` costs a few
microseconds per call, a dict lookup a few tens of nanoseconds, and an entry needs dozens.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from lxml import etree

from cashapp.core.errors import StatementParseError
from cashapp.domain.money import AmountError, minor_units, parse_amount

Kids = dict[str, list[etree._Element]]

# the usual amount: unsigned, ASCII digits, exactly two decimals (checked in a 2-decimal currency)
_TWO_DECIMALS = re.compile(r"[0-9]{1,15}\.[0-9][0-9]")


class Flat(dict[str, list[etree._Element]]):
    """``Values.flat``: elements by relative path, and ``texts``: the stripped text of the
    first element at each leaf path (what most lookups want, without a call each)."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}


class Values:
    """Leaf readers bound to one file (for error messages) and one namespace."""

    __slots__ = ("_cut", "_two_decimals", "source")

    def __init__(self, namespace: str, source: str) -> None:
        self._cut = len(namespace) + 2 if namespace else 0
        self.source = source
        self._two_decimals: set[str] = set()  # currencies seen to have 2 decimals

    def _in_two_decimals(self, currency: str) -> bool:
        if currency in self._two_decimals:
            return True
        try:
            places = minor_units(currency)
        except AmountError:
            return False
        if places == 2 and len(self._two_decimals) < 64:
            self._two_decimals.add(currency)
        return places == 2

    def kids(self, element: etree._Element | None) -> Kids:
        """The element's children by local name (comments and PIs skipped)."""
        found: Kids = {}
        if element is None:
            return found
        cut = self._cut
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[cut:]
            bucket = found.get(name)
            if bucket is None:
                found[name] = [child]
            else:
                bucket.append(child)
        return found

    def child(self, element: etree._Element | None, name: str) -> etree._Element | None:
        """The element's first child of that local name (``first(kids(element), name)``
        without indexing every child)."""
        if element is None:
            return None
        cut = self._cut
        for child in element:
            tag = child.tag
            if tag.__class__ is str and tag[cut:] == name:
                return child
        return None

    def flat(self, element: etree._Element | None, stop: frozenset[str]) -> Flat:
        """The element's descendants by relative path (``RltdPties/Dbtr/Nm``): leaves, and
        elements named in ``stop`` without their insides (for repeated groups).

        One pass over ``iterdescendants()`` (C iteration) with each element's path prefix
        looked up from its parent's: cheaper than recursing in Python or iterating each
        parent's children (an iterator per parent). The insides of ``stop`` elements are
        still walked (and skipped), so use ``flat_top`` when they hold most of the element.
        """
        found = Flat()
        if element is not None:
            self._walk(found, element, "", stop)
        return found

    def flat_top(self, element: etree._Element, stop: frozenset[str]) -> Flat:
        """``flat``, never entering the element's children named in ``stop`` (an entry's
        ``NtryDtls``): each other child's insides get a walk of their own."""
        found = Flat()
        texts = found.texts
        cut = self._cut
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[cut:]
            if len(child) and name not in stop:
                prefix = name + "/"
                for inner in child:  # mostly a leaf or two (BookgDt/Dt): no walk needed
                    tag = inner.tag
                    if tag.__class__ is not str:
                        continue
                    name = tag[cut:]
                    path = prefix + name
                    if len(inner) and name not in stop:
                        self._walk(found, inner, path + "/", stop)
                        continue
                    bucket = found.get(path)
                    if bucket is None:
                        found[path] = [inner]
                        text = inner.text
                        if text and (text := text.strip()):
                            texts[path] = text
                    else:
                        bucket.append(inner)
                continue
            bucket = found.get(name)
            if bucket is None:
                found[name] = [child]
                text = child.text
                if text and (text := text.strip()):
                    texts[name] = text
            else:
                bucket.append(child)
        return found

    def _walk(self, found: Flat, element: etree._Element, start: str, stop: frozenset[str]) -> None:
        """Add ``element``'s descendants to ``found``, their paths starting with ``start``."""
        texts = found.texts
        cut = self._cut
        prefixes: dict[etree._Element, str] = {element: start}
        prefix_of = prefixes.get
        for child in element.iterdescendants():
            prefix = prefix_of(child.getparent())  # type: ignore[arg-type]
            if prefix is None:  # inside a stop element
                continue
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[cut:]
            path = prefix + name
            if len(child) and name not in stop:
                prefixes[child] = path + "/"
                continue
            bucket = found.get(path)
            if bucket is None:
                found[path] = [child]
                text = child.text
                if text and (text := text.strip()):
                    texts[path] = text
            else:
                bucket.append(child)

    def error(self, message: str, element: etree._Element | None, path: str) -> StatementParseError:
        line = element.sourceline if element is not None else None
        return StatementParseError(message, file=self.source, line=line, element=path)

    def amount(self, element: etree._Element, path: str, leaf: str = "") -> tuple[Decimal, str]:
        """An ``...Amt`` element: (exact Decimal in its currency's decimals, currency).

        ``leaf`` is appended to ``path`` (``path/leaf``) only when there is an error to name.
        """
        currency = element.get("Ccy")
        text = element.text
        if not currency:
            raise self.error("amount without a Ccy currency attribute", element, _at(path, leaf))
        if text is None:
            raise self.error("empty amount", element, _at(path, leaf))
        plain = text.strip()
        if _TWO_DECIMALS.fullmatch(plain) and self._in_two_decimals(currency.strip()):
            # what parse_amount gives for it, without the checks it cannot fail
            return Decimal(plain), currency.strip()
        try:
            value = parse_amount(text, currency.strip())
        except AmountError as exc:
            raise self.error(
                f"garbled amount {text.strip()!r}: {exc}", element, _at(path, leaf)
            ) from None
        if value < 0 or text.lstrip()[:1] in ("-", "+"):
            raise self.error(
                f"negative amount {text.strip()!r}: the sign belongs in CdtDbtInd",
                element,
                _at(path, leaf),
            )
        return value, currency.strip()

    def credit(
        self,
        element: etree._Element | None,
        path: str,
        leaf: str = "",
        *,
        default: bool | None,
        parent: etree._Element | None = None,
    ) -> bool:
        """``CdtDbtInd``: True for CRDT, False for DBIT; required unless a default is given
        (a missing one is reported at its ``parent``'s line)."""
        if element is None:
            if default is None:
                raise self.error("missing CdtDbtInd", parent, _at(path, leaf))
            return default
        text = (element.text or "").strip()
        if text == "CRDT":
            return True
        if text == "DBIT":
            return False
        raise self.error(f"CdtDbtInd must be CRDT or DBIT, not {text!r}", element, _at(path, leaf))

    def date_of(self, element: etree._Element | None, path: str, leaf: str = "") -> date | None:
        """A ``DateAndDateTimeChoice`` (``Dt`` or ``DtTm``) or a plain date element."""
        if element is None:
            return None
        inner = element.text if len(element) == 0 else None
        where = element
        if inner is None:
            for child in element:
                if child.tag.__class__ is str and child.text and child.text.strip():
                    inner, where = child.text, child
                    break
        if inner is None or not inner.strip():
            return None
        text = inner.strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise self.error(f"not a date: {text!r}", where, _at(path, leaf)) from None


def _at(path: str, leaf: str) -> str:
    """An element path for an error message: ``path/leaf``, or ``path`` alone."""
    return f"{path}/{leaf}" if leaf else path


def text_of(element: etree._Element | None) -> str | None:
    """Stripped text, or None when absent or blank."""
    if element is None:
        return None
    text = element.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def first(kids: Kids, name: str) -> etree._Element | None:
    bucket = kids.get(name)
    return bucket[0] if bucket else None


def first_text(kids: Kids, name: str) -> str | None:
    bucket = kids.get(name)
    return text_of(bucket[0]) if bucket else None
