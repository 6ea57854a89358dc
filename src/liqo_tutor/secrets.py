"""Redaction of tokens and kubeconfig credentials in anything shown or written."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

__all__ = ["MASK", "redact", "redact_argv", "register", "registered"]

MASK = "***"
_MIN_LEN = 4  # shorter registered values would mask ordinary words

_lock = threading.Lock()
_values: set[str] = set()
_values_re: re.Pattern[str] | None = None

# `--auth-token 6a1f...` / `--auth-token=6a1f...` (the v0.x generated peer command) and similar flags.
_FLAG_RE = re.compile(r"(--(?:auth-token|token|password)(?:=|[ \t]+))(['\"]?)[^\s'\"]+\2")
# YAML (`token: x`, `  client-key-data: LS0t...`) and JSON (`"token": "x"`) credential fields.
_FIELD_RE = re.compile(
    r"""(?P<key>(?<![\w-])["']?(?:[\w-]*token|client-key-data|client-certificate-data|"""
    r"""certificate-authority-data|password)["']?[ \t]*:[ \t]*)"""
    r"""(?P<val>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,}\]'"][^\s,}\]]*)"""
)
_BEARER_RE = re.compile(r"(\bBearer[ \t]+)[A-Za-z0-9\-._~+/=]+", re.IGNORECASE)
_SECRET_FLAGS = frozenset({"--auth-token", "--token", "--password"})


def register(value: str | None) -> None:
    """Mask `value` wherever it appears from now on (a token read from a file, a generated password)."""
    global _values_re
    if not value or len(value) < _MIN_LEN:
        return
    with _lock:
        if value in _values:
            return
        _values.add(value)
        alternatives = sorted(_values, key=len, reverse=True)
        _values_re = re.compile("|".join(re.escape(v) for v in alternatives))


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_values)


def _mask_field(match: re.Match[str]) -> str:
    val = match.group("val")
    if val in ("", '""', "''", "null", "~") or val.startswith(("DATA+OMITTED", "REDACTED", MASK, '"***"')):
        return match.group(0)
    quote = val[0] if val[0] in "\"'" else ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """`text` with every registered value and every known credential shape replaced by `***`."""
    if not text:
        return text
    with _lock:
        values_re = _values_re
    if values_re is not None:
        text = values_re.sub(MASK, text)
    if "-" in text:
        text = _FLAG_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", text)
    if ":" in text:
        text = _FIELD_RE.sub(_mask_field, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text


def redact_argv(argv: Sequence[str] | Iterable[str]) -> list[str]:
    """Each argument redacted; the value after a secret flag (`--auth-token VALUE`) is masked whole."""
    out: list[str] = []
    mask_next = False
    for arg in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
            continue
        if arg in _SECRET_FLAGS:
            mask_next = True
            out.append(arg)
            continue
        flag, eq, _ = arg.partition("=")
        if eq and flag in _SECRET_FLAGS:
            out.append(f"{flag}={MASK}")
            continue
        out.append(redact(arg))
    return out
