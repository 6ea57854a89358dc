"""The container side of a terminal: the line discipline a pty gives a shell (echo, CR/LF, erase, ^C, ^D).

Without a tty the shell reads plain lines from stdin and prints no prompt, as ash and dash do when
their input is not a terminal.
"""

from __future__ import annotations

from typing import Protocol

from liqo_tutor.sim.shell import Shell
from liqo_tutor.sim.streams.channels import Channels

__all__ = ["Emit", "LineReader", "emitter", "interact", "to_terminal", "write_text"]


def to_terminal(text: str) -> bytes:
    """Output as a pty passes it on (ONLCR: newline becomes CR LF)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


class Emit(Protocol):
    def __call__(self, text: str, err: bool = False) -> None: ...


def write_text(chan: Channels, tty: bool, text: str, err: bool = False) -> None:
    """Text to the client: on a terminal as typed output (CRLF), else to stdout or stderr."""
    if tty:
        chan.write_out(to_terminal(text))
    elif err:
        chan.write_err(text.encode())
    else:
        chan.write_out(text.encode())


def emitter(chan: Channels, tty: bool, log: list[str] | None = None) -> Emit:
    """What a process's output goes through: empty text dropped, the rest logged (when asked) and written."""

    def emit(text: str, err: bool = False) -> None:
        if not text:
            return
        if log is not None:
            log.append(text)
        write_text(chan, tty, text, err)

    return emit


class LineReader:
    """Lines from the client's stdin; with `tty`, raw keystrokes edited and echoed like a cooked pty."""

    def __init__(self, chan: Channels, tty: bool) -> None:
        self.chan = chan
        self.tty = tty
        self._pending = ""
        self._eof = False
        self._escape = ""

    def _more(self) -> bool:
        if self._eof or self.chan.stdin is None:
            return False
        while not self.chan.gone.is_set():
            data = self.chan.stdin.read(timeout=0.5)
            if data is None:
                continue
            if data == b"":
                self._eof = True
                return False
            self._pending += data.decode(errors="replace")
            return True
        return False

    def readline(self) -> str | None:
        """One line without its end; None at end of input (or ^D on an empty line)."""
        if not self.tty:
            while "\n" not in self._pending:
                if not self._more():
                    rest, self._pending = self._pending, ""
                    return rest if rest else None
            line, _, self._pending = self._pending.partition("\n")
            return line
        return self._cooked()

    def _cooked(self) -> str | None:
        line = ""
        while True:
            while not self._pending:
                if not self._more():
                    return None
            ch, self._pending = self._pending[0], self._pending[1:]
            if self._escape or ch == "\x1b":
                self._escape += ch
                if len(self._escape) > 1 and (self._escape[-1].isalpha() or self._escape[-1] == "~"):
                    self._escape = ""  # arrow keys and the like: no history here
                continue
            if ch in "\r\n":
                self.chan.write_out(b"\r\n")
                return line
            if ch in "\x7f\x08":
                if line:
                    line = line[:-1]
                    self.chan.write_out(b"\x08 \x08")
            elif ch == "\x03":
                self.chan.write_out(b"^C\r\n")
                return ""
            elif ch == "\x04":
                if not line:
                    return None
            elif ch == "\x15":
                self.chan.write_out(b"\x08 \x08" * len(line))
                line = ""
            elif ch >= " " or ch == "\t":
                line += ch
                self.chan.write_out(ch.encode())


def interact(shell: Shell, chan: Channels, tty: bool, log: list[str] | None = None) -> int:
    """Run `shell` on the client's input until `exit` or end of input: the shell's exit status."""
    reader = LineReader(chan, tty)
    emit = emitter(chan, tty, log)
    shell.emit = emit
    while not chan.gone.is_set():
        if tty:
            emit(shell.prompt())
        line = reader.readline()
        if line is None:
            return shell.last
        if not line.strip():
            continue
        res = shell.run_line(line)
        emit(res.out)
        emit(res.err, err=True)
        if res.exited:
            return res.code
    return shell.last
