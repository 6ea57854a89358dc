"""The terminal: plain or rich, colours, width (set once per command), and writing one text.

ui.py (one-shot printing) and reporters.py (progress of a run) write through here; nothing else in
the core writes to the terminal. Everything written passes through `secrets.redact`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from liqo_tutor import secrets

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["configure", "console", "is_plain", "out", "unicode_ok"]


@dataclass
class _Config:
    no_color: bool = False
    width: int | None = None
    plain: bool | None = None


_cfg = _Config()


def configure(*, no_color: bool = False, width: int | None = None, plain: bool | None = None) -> None:
    """Set once per command by the CLI. `plain=None` decides from the terminal and NO_COLOR."""
    _cfg.no_color, _cfg.width, _cfg.plain = no_color, width, plain


def is_plain(stream: TextIO | None = None) -> bool:
    if _cfg.plain is not None:
        return _cfg.plain
    if _cfg.no_color or os.environ.get("NO_COLOR", "") != "":
        return True
    stream = stream or sys.stdout
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(
        stderr=stderr,
        width=_cfg.width,
        no_color=_cfg.no_color or None,
        highlight=False,
        emoji=False,
    )


def unicode_ok(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:  # an in-memory text stream holds any character
        return True
    return str(encoding).lower().replace("-", "") in ("utf8", "utf16", "utf32")


def out(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(secrets.redact(text) + ("" if text.endswith("\n") else "\n"))
    stream.flush()
