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


class Flat:
    """``Values.flat``: the first element at each relative path (``elements``), the
    stripped text of that first element (``texts``: ``None`` when it has none), and every
    element at the paths that occur more than once (``more``, ``None`` when none does).

    Plain dicts of elements and strings, with no list per path: a list per element made
    the walk a third slower (allocation, and the garbage collector's rounds it triggers).
    """

    __slots__ = ("elements", "more", "texts")

    def __init__(
        self,
        elements: dict[str, etree._Element] | None = None,
        texts: dict[str, str | None] | None = None,
        more: Kids | None = None,
    ) -> None:
        self.elements: dict[str, etree._Element] = {} if elements is None else elements
        self.texts: dict[str, str | None] = {} if texts is None else texts
        self.more = more

    def all(self, path: str) -> list[etree._Element]:
        """Every element at ``path``, in document order."""
        more = self.more
        if more is not None and path in more:
            return more[path]
        element = self.elements.get(path)
        return [] if element is None else [element]


class Values:
    """Leaf readers bound to one file (for error messages) and one namespace."""

    __slots__ = ("_cut", "_two_decimals", "source")

    def __init__(self, namespace: str, source: str) -> None:
        self._cut = len(namespace) + 2 if namespace else 0
        self.source = source
        # Ccy attributes as written -> their code, for codes seen to have 2 decimals
        self._two_decimals: dict[str, str] = {}

    def _in_two_decimals(self, written: str, currency: str) -> bool:
        if written in self._two_decimals:
            return True
        try:
            places = minor_units(currency)
        except AmountError:
            return False
        if places == 2 and len(self._two_decimals) < 64:
            self._two_decimals[written] = currency
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

    def batch_and_details(
        self, holder: etree._Element
    ) -> tuple[etree._Element | None, list[etree._Element]]:
        """An ``NtryDtls``'s first ``Btch`` and its ``TxDtls`` (``kids`` without the rest)."""
        batch = None
        details: list[etree._Element] = []
        cut = self._cut
        for child in holder:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[cut:] if cut else tag
            if name == "TxDtls":
                details.append(child)
            elif name == "Btch" and batch is None:
                batch = child
        return batch, details

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
            found.more = self._walk(found.elements, found.texts, None, element, "", stop)
        return found

    def flat_top(self, element: etree._Element, stop: frozenset[str]) -> Flat:
        """``flat``, never entering the element's children named in ``stop`` (an entry's
        ``NtryDtls``): each other child's insides get a walk of their own."""
        elements: dict[str, etree._Element] = {}
        texts: dict[str, str | None] = {}
        more: Kids | None = None
        cut = self._cut
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[cut:] if cut else tag
            if len(child) and name not in stop:
                prefix = name + "/"
                for inner in child:  # mostly a leaf or two (BookgDt/Dt): no walk needed
                    tag = inner.tag
                    if tag.__class__ is not str:
                        continue
                    name = tag[cut:] if cut else tag
                    path = prefix + name
                    if len(inner) and name not in stop:
                        more = self._walk(elements, texts, more, inner, path + "/", stop)
                    elif path not in elements:
                        elements[path] = inner
                        text = inner.text
                        texts[path] = (text and text.strip()) or None
                    else:
                        more = _more(more, elements, path, inner)
            elif name not in elements:
                elements[name] = child
                text = child.text
                texts[name] = (text and text.strip()) or None
            else:
                more = _more(more, elements, name, child)
        return Flat(elements, texts, more)

    def _walk(
        self,
        elements: dict[str, etree._Element],
        texts: dict[str, str | None],
        more: Kids | None,
        element: etree._Element,
        start: str,
        stop: frozenset[str],
    ) -> Kids | None:
        """Add ``element``'s descendants, their paths starting with ``start``; gives
        ``more`` (made when a path repeats)."""
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
            name = tag[cut:] if cut else tag
            path = prefix + name
            if len(child) and name not in stop:
                prefixes[child] = path + "/"
            elif path not in elements:
                elements[path] = child
                text = child.text
                texts[path] = (text and text.strip()) or None
            else:
                more = _more(more, elements, path, child)
        return more

    def error(self, message: str, element: etree._Element | None, path: str) -> StatementParseError:
        line = element.sourceline if element is not None else None
        return StatementParseError(message, file=self.source, line=line, element=path)

    def amount(self, element: etree._Element, path: str, leaf: str = "") -> tuple[Decimal, str]:
        """An ``...Amt`` element: (exact Decimal in its currency's decimals, currency).

        ``leaf`` is appended to ``path`` (``path/leaf``) only when there is an error to name.
        """
        currency = element.get("Ccy")
        text = element.text
        if text is not None and currency is not None:
            code = self._two_decimals.get(currency)
            if code is not None:  # the usual: a currency seen before, two decimals
                plain = text.strip()
                if _TWO_DECIMALS.fullmatch(plain):
                    return Decimal(plain), code
        if not currency:
            raise self.error("amount without a Ccy currency attribute", element, _at(path, leaf))
        if text is None:
            raise self.error("empty amount", element, _at(path, leaf))
        plain = text.strip()
        if _TWO_DECIMALS.fullmatch(plain) and self._in_two_decimals(currency, currency.strip()):
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


def _more(
    more: Kids | None, elements: dict[str, etree._Element], path: str, element: etree._Element
) -> Kids:
    """``more`` with ``element``, a second or later one at ``path``."""
    if more is None:
        more = {}
    bucket = more.get(path)
    if bucket is None:
        more[path] = [elements[path], element]
    else:
        bucket.append(element)
    return more


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
