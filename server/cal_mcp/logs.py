"""Logging to stderr only (stdout is the stdio protocol channel), with every configured secret masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary text


def _usable(secrets: Iterable[str]) -> tuple[str, ...]:
    # Longest first, so a secret that contains another is masked whole.
    return tuple(sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True))


def mask_text(text: str, secrets: Iterable[str]) -> str:
    for secret in _usable(secrets):
        text = text.replace(secret, MASK)
    return text


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every secret replaced by ``***``."""
    usable = _usable(secrets)
    if not usable:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return mask_text(item, usable) if any(s in item for s in usable) else item
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return type(item)(walk(v) for v in item)
        return item

    return walk(value)


class SecretFilter(logging.Filter):
    """Replaces secret values in the final message text, whatever formatted them in."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = _usable(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            # Render the traceback now so it can be masked too, then drop the raw exception.
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = mask_text(message, self.secrets), None
        return True


_masked: set[str] = set()
_record_filter = SecretFilter(())


def mask_secrets_in_logs(secrets: Iterable[str]) -> None:
    """Mask these values in every log record made in this process, whichever handler receives it.

    A handler filter only protects that handler; records also reach handlers added later (an
    embedding application's, pytest's caplog). So the masking happens where records are made.
    """
    new = set(_usable(secrets)) - _masked
    if not new:
        return
    _masked.update(new)
    _record_filter.secrets = _usable(_masked)
    if getattr(logging.getLogRecordFactory(), "_cal_mcp_masking", False):
        return
    make = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            _record_filter.filter(record)
        except Exception:  # arguments that do not fit the format: keep them, masked, as text
            record.msg, record.args = mask_text(f"{record.msg!s} {record.args!r}", _masked), None
        return record

    masked_record._cal_mcp_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    mask_secrets_in_logs(secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; ours are enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
