"""HTML email bodies: sanitised first (nh3), then read as tables and text; never rendered.

``sanitize_html`` is the only form of an HTML body that may be shown to a person (the review
UI): scripts, styles, event handlers, forms, iframes and every image (remote images are
tracking beacons) are removed, links keep only http/https/mailto. The reader itself works on
that sanitised HTML too, with the stdlib ``HTMLParser`` (no network, no rendering), so no
text of a script or style ever reaches a remittance.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

_DISPLAY_TAGS = {
    "a",
    "b",
    "br",
    "caption",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "blockquote",
}
_DISPLAY_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "table",
    "hr",
    "blockquote",
    "pre",
}
MAX_HTML_CHARS = 2_000_000


def sanitize_html(html: str) -> str:
    """HTML safe to show: no script/style/image/form/iframe, no event handlers, safe links only."""
    return nh3.clean(
        html[:MAX_HTML_CHARS],
        tags=_DISPLAY_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=_DISPLAY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _Collector(HTMLParser):
    """Tables as rows of cell texts, and the text outside tables as lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.text_lines: list[str] = []
        self._stack: list[list[list[str]]] = []  # open tables (nested tables are flattened)
        self._cell: list[str] | None = None
        self._line: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._flush_line()
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in {"td", "th"} and self._stack:
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
        elif tag in _BLOCK_TAGS and not self._stack:
            self._flush_line()
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._stack:
            self._stack[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._stack:
            table = self._stack.pop()
            if self._stack:  # a table inside a cell: its rows join the outer table
                self._stack[-1].extend(table)
            else:
                self.tables.append(table)
        elif tag in _BLOCK_TAGS and not self._stack:
            self._flush_line()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif not self._stack:
            self._line.append(data)

    def _flush_line(self) -> None:
        text = " ".join("".join(self._line).split())
        if text:
            self.text_lines.append(text)
        self._line = []

    def close(self) -> None:
        super().close()
        self._flush_line()


def read_html(html: str) -> tuple[list[list[list[str]]], list[str]]:
    """``(tables, text_lines)`` of an HTML body, read from its sanitised form."""
    collector = _Collector()
    collector.feed(sanitize_html(html))
    collector.close()
    return collector.tables, collector.text_lines
