"""Logging to stderr only (stdout is the stdio protocol channel), with every configured secret masked."""

from __future__ import annotations

import base64
import functools
import logging
import math
import re
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Any run of this many characters of a secret, or of an encoding of it, is masked (a partial leak
# of a 32-character key is still most of it).
PARTIAL_MIN = 12
# Encodings and case variants are masked for secrets at least this long; a shorter secret is masked
# exactly as it is (its encodings would match ordinary text). CAL_MCP_AUTH_TOKEN must be far longer
# (secrets_policy.check_auth_token).
DERIVED_MIN = 8


def _base64_cores(raw: bytes) -> set[str]:
    """Base64 text of ``raw`` wherever it sits in a longer base64 string: one core per alignment.

    Inside ``base64(prefix + secret + suffix)`` the characters that depend on the secret alone
    start at ``ceil(8k/6)`` for a prefix of ``k % 3`` bytes and end before the character the suffix
    shares; both alphabets (standard and URL-safe) are covered.
    """
    cores = set()
    for k in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * k + raw).decode("ascii")
            cores.add(text[math.ceil(8 * k / 6): (8 * (k + len(raw))) // 6])
    return cores


def encoded_forms(secret: str) -> set[str]:
    """The secret and the encodings it travels in: percent-encoding (both flavours) and base64."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms |= _base64_cores(secret.encode())
    return {f for f in forms if f}


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation for many literals, shared prefixes merged (far faster than ``a|b|c``)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class SecretMatcher:
    """Finds and masks secrets: exact, any case, percent-encoded, base64, and any 12-character run of those."""

    def __init__(self, secrets: Iterable[str], public: Iterable[str] = ()) -> None:
        """``public``: configured values known not to be secret (the OAuth client ID); a run a secret
        shares with one of them is no sign of a leak (the sandbox's client ID and secret share a prefix)."""
        unique = {s for s in secrets if s}
        shared = tuple(p.lower() for p in public if p)
        # Short secrets: exact only, longest first so a secret that contains another is masked whole.
        self.exact = tuple(sorted((s for s in unique if len(s) < DERIVED_MIN), key=len, reverse=True))
        pieces: set[str] = set()
        anchors: set[str] = set()
        half = PARTIAL_MIN // 2
        for secret in (s for s in unique if len(s) >= DERIVED_MIN):
            for form in encoded_forms(secret):
                form = form.lower()
                if len(form) <= PARTIAL_MIN:
                    pieces.add(form)
                    anchors.add(form)
                    continue
                runs = (form[i: i + PARTIAL_MIN] for i in range(len(form) - PARTIAL_MIN + 1))
                pieces.update(run for run in runs if not any(run in p for p in shared))
                pieces.add(form)  # whole, whatever it shares with a public value
                # Each 12-character run of the form contains one of its aligned 6-character chunks:
                # a cheap substring test before the regex.
                anchors.update(form[i: i + half] for i in range(0, len(form) - half + 1, half))
        self.anchors = tuple(anchors)
        self.pattern = re.compile(f"(?=({_trie_pattern(pieces)}))", re.IGNORECASE) if pieces else None

    def __bool__(self) -> bool:
        return bool(self.exact or self.pattern)

    def found_in(self, text: str) -> bool:
        if any(s in text for s in self.exact):
            return True
        if self.pattern is None:
            return False
        lowered = text.lower()
        return any(anchor in lowered for anchor in self.anchors) and self.pattern.search(text) is not None

    def mask(self, text: str) -> str:
        for secret in self.exact:
            text = text.replace(secret, MASK)
        if self.pattern is None:
            return text
        lowered = text.lower()
        if not any(anchor in lowered for anchor in self.anchors):
            return text
        spans: list[list[int]] = []
        for match in self.pattern.finditer(text):
            start, end = match.start(1), match.end(1)
            if end == start:
                continue
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        for start, end in reversed(spans):
            text = text[:start] + MASK + text[end:]
        return text


@functools.lru_cache(maxsize=32)
def matcher_for(secrets: tuple[str, ...], public: tuple[str, ...] = ()) -> SecretMatcher:
    return SecretMatcher(secrets, public)


def _matcher(secrets: Iterable[str] | SecretMatcher) -> SecretMatcher:
    if isinstance(secrets, SecretMatcher):
        return secrets
    return matcher_for(tuple(sorted(set(secrets))), tuple(sorted(_public)))


def mask_text(text: str, secrets: Iterable[str] | SecretMatcher) -> str:
    return _matcher(secrets).mask(text)


def contains_secret(text: str, secrets: Iterable[str] | SecretMatcher) -> bool:
    return _matcher(secrets).found_in(text)


def redact(value: Any, secrets: Iterable[str] | SecretMatcher) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every secret, in any form above, replaced by ``***``."""
    matcher = _matcher(secrets)
    if not matcher:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return matcher.mask(item) if matcher.found_in(item) else item
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
        self.secrets = _matcher(secrets)

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
_public: set[str] = set()
_record_filter = SecretFilter(())


def mask_secrets_in_logs(secrets: Iterable[str], public: Iterable[str] = ()) -> None:
    """Mask these values in every log record made in this process, whichever handler receives it.

    A handler filter only protects that handler; records also reach handlers added later (an
    embedding application's, pytest's caplog). So the masking happens where records are made.
    """
    new = {s for s in secrets if s} - _masked
    new_public = {p for p in public if p} - _public
    if not new and not new_public:
        return
    _masked.update(new)
    _public.update(new_public)
    _record_filter.secrets = _matcher(_masked)
    if getattr(logging.getLogRecordFactory(), "_cal_mcp_masking", False):
        return
    make = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            _record_filter.filter(record)
        except Exception:  # arguments that do not fit the format: keep them, masked, as text
            record.msg, record.args = mask_text(f"{record.msg!s} {record.args!r}", _record_filter.secrets), None
        return record

    masked_record._cal_mcp_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


class _SessionlessTermination(logging.Filter):
    """Drops the SDK's "Terminating session: None" line.

    In stateless Streamable HTTP the SDK builds a transport per request and, tearing it down, logs
    "Terminating session: None" at INFO on every request: noise that buries the real log. Terminations
    of real sessions (an id, not None) still log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Terminating session: None"


def quiet_sdk_noise() -> None:
    """Install the SDK log filters once (idempotent); called at start-up by the CLI and by ``http_app``."""
    sdk = logging.getLogger("mcp.server.streamable_http")
    if not any(isinstance(f, _SessionlessTermination) for f in sdk.filters):
        sdk.addFilter(_SessionlessTermination())


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
    quiet_sdk_noise()
