"""Outlook ``.msg`` files (OLE compound documents), read with ``extract-msg``.

The message is converted to a stdlib ``EmailMessage`` (``asEmailMessage``) so the same
bodies/attachments/trust rules as ``.eml`` apply; the transport headers it kept (with any
``Authentication-Results``) are those of the converted message. Caps: the raw size (by the
caller), at most ``MAX_PARTS`` attachments, and a ``RecursionError`` from deeply embedded
messages is a parse error, never a crash.
"""

from __future__ import annotations

from email.message import EmailMessage

from cashapp.core.errors import RemittanceParseError
from cashapp.extractors.remittance.mime_caps import MAX_PARTS


def _check_attachment_count(data: bytes, source: str) -> None:
    """Count attachment storages in the OLE directory before extract-msg loads any of them."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            names = {entry[0] for entry in ole.listdir(streams=True, storages=True) if entry}
    except Exception as exc:  # olefile raises several types on a broken compound file
        raise RemittanceParseError(f"unreadable .msg file: {exc}", file=source) from exc
    attachments = sum(1 for name in names if name.startswith("__attach_version1.0_"))
    if attachments > MAX_PARTS:
        raise RemittanceParseError(f"more than {MAX_PARTS} attachments", file=source)


def msg_as_email(data: bytes, source: str) -> EmailMessage:
    """The ``.msg`` in ``data`` as an ``EmailMessage``."""
    _check_attachment_count(data, source)
    import extract_msg  # heavy import, only for .msg files and after the cheap check

    try:
        message = extract_msg.openMsg(data, delayAttachments=False)
    except RecursionError as exc:
        raise RemittanceParseError("embedded messages nest too deeply", file=source) from exc
    except Exception as exc:  # extract-msg raises many types on a broken file
        raise RemittanceParseError(f"unreadable .msg file: {exc}", file=source) from exc
    try:
        attachments = getattr(message, "attachments", [])
        if len(attachments) > MAX_PARTS:
            raise RemittanceParseError(f"more than {MAX_PARTS} attachments", file=source)
        converted = message.asEmailMessage()  # type: ignore[attr-defined]
    except RemittanceParseError:
        raise
    except RecursionError as exc:
        raise RemittanceParseError("embedded messages nest too deeply", file=source) from exc
    except Exception as exc:
        raise RemittanceParseError(f"unreadable .msg file: {exc}", file=source) from exc
    finally:
        message.close()
    if not isinstance(converted, EmailMessage):
        raise RemittanceParseError("the .msg file holds no email message", file=source)
    return converted
