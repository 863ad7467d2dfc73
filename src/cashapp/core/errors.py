"""The documented error tree. Every error cashapp raises on purpose is a ``CashappError``.

Errors carry their meaning: a ``<Noun><Problem>`` name, a one-line message fit for a
terminal, and the HTTP status the API renders them with (in one place, ``api``).
"""

from __future__ import annotations


class CashappError(Exception):
    """Base of every error raised on purpose. ``status`` is the HTTP status it maps to."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(CashappError):
    """Input that cannot be accepted as it is. ``where`` names the file and the line or element.

    Rendered as one line: ``<file>:<line>: <message>`` or ``<file>: <element>: <message>``.
    """

    status = 422

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        element: str | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.element = element
        self.column = column
        self.reason = message
        super().__init__(self._render(message))

    def _render(self, message: str) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.column:
            parts.append(f"column {self.column}")
        if self.element:
            parts.append(self.element)
        return ": ".join([*parts, message])

    def located(self, file: str) -> InputError:
        """The same error, naming ``file`` (for readers that only saw bytes)."""
        clone = type(self).__new__(type(self))
        InputError.__init__(
            clone, self.reason, file=file, line=self.line, element=self.element, column=self.column
        )
        return clone


class StatementParseError(InputError):
    """A bank statement that cannot be read: truncated, malformed, unsafe or too large."""


class RemittanceParseError(InputError):
    """A remittance advice that cannot be read."""


class UnknownFormatError(InputError):
    """No reader recognises the file's content."""

    status = 415


class FileTooLargeError(InputError):
    """The file is over the configured size cap."""

    status = 413


class CsvRowError(InputError):
    """A malformed row in an imported CSV file (names the file, line and column)."""


class NotFoundError(CashappError):
    """The object does not exist for this tenant (another tenant's object is not found either)."""

    status = 404


class ConflictError(CashappError):
    """The request conflicts with the current state (already applied, stale version, in flight)."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message)
        self.code = code


class AlreadyAppliedError(ConflictError):
    """The bank line already has a live application."""

    def __init__(self, message: str = "the bank line already has a live application") -> None:
        super().__init__(message, code="already_applied")


class AlreadyReversedError(ConflictError):
    """The application was already reversed (a second reversal is refused)."""

    def __init__(self, message: str = "the application is already reversed") -> None:
        super().__init__(message, code="already_reversed")


class InvariantViolation(CashappError):
    """A money invariant would break (the database refused, or a pre-commit check did)."""

    status = 409
