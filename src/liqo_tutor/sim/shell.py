"""One shell for the playground's containers: `sh -c SCRIPT`, a command line, or an interactive session.

Behaves like busybox ash (alpine, busybox, curl images) or dash (Debian images) for what tutorials
type: pipelines joined by `;`, `&&`, `||`, quoting, `$VAR`/`${VAR}`/`$?`, `>`/`2>`/`2>&1` redirections,
`exit N`, and the commands of sim/shellcmds.py. It parses text itself and never runs a host process.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liqo_tutor.sim.images import ImageFs
    from liqo_tutor.sim.store import Cluster, World

__all__ = ["Result", "Shell", "ShellContext", "SHELLS"]

SHELLS = {"sh", "ash", "bash", "dash"}
_OPS = ("&&", "||", "2>&1", "1>&2", ">&2", "2>", ">>", ">", "|", ";", "&")


@dataclass
class Result:
    out: str = ""
    err: str = ""
    code: int = 0
    exited: bool = False  # `exit` ran: an interactive shell ends


@dataclass
class ShellContext:
    """Where a command runs: the pod (for DNS, Services, hostname) and the image's file system."""

    world: World
    cluster: Cluster
    namespace: str
    hostname: str
    fs: ImageFs
    env: dict[str, str] = field(default_factory=dict)
    tty: bool = False
    sleep: Callable[[float], None] = lambda _s: None
    files: dict[str, str] = field(default_factory=dict)  # written by redirections during the session


class _Word(str):
    """A word of the command line, expanded, with its source text (operators are plain str)."""

    raw: str

    def __new__(cls, text: str, raw: str = "") -> _Word:
        word = super().__new__(cls, text)
        word.raw = raw or text
        return word


def _expand_var(text: str, i: int, env: dict[str, str], last: int) -> tuple[str, int]:
    """`$NAME`, `${NAME}` or `$?` at text[i] == '$': (value, index after it)."""
    if i + 1 < len(text) and text[i + 1] == "?":
        return str(last), i + 2
    if i + 1 < len(text) and text[i + 1] == "{":
        end = text.find("}", i + 2)
        if end < 0:
            return "$", i + 1
        return env.get(text[i + 2 : end], ""), end + 1
    j = i + 1
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    if j == i + 1:
        return "$", i + 1
    return env.get(text[i + 1 : j], ""), j


def _double_quoted(line: str, i: int, env: dict[str, str], last: int) -> tuple[str, int]:
    """The text of a "..." string starting after its quote: (expanded text, index after the closing quote)."""
    out: list[str] = []
    while i < len(line) and line[i] != '"':
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in '"\\$`':
            out.append(line[i + 1])
            i += 2
        elif line[i] == "$":
            value, i = _expand_var(line, i, env, last)
            out.append(value)
        else:
            out.append(line[i])
            i += 1
    if i >= len(line):
        raise ValueError("unterminated quoted string")
    return "".join(out), i + 1


def tokenize(line: str, env: dict[str, str], last: int = 0) -> list[str]:
    """Words (as _Word, expanded) and operators; raises ValueError on an unterminated quote."""
    tokens: list[str] = []
    cur: list[str] = []
    have_word = False
    start = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\n":
            if have_word:
                tokens.append(_Word("".join(cur), line[start:i]))
                cur, have_word = [], False
            tokens.append(";")
            i += 1
            continue
        if ch in " \t":
            if have_word:
                tokens.append(_Word("".join(cur), line[start:i]))
                cur, have_word = [], False
            i += 1
            continue
        if ch == "#" and not have_word:
            end = line.find("\n", i)
            i = len(line) if end < 0 else end
            continue
        op = next((o for o in _OPS if line.startswith(o, i)), None)
        if op is not None and not (op in ("2>", "2>&1", "1>&2") and have_word):
            if have_word:
                tokens.append(_Word("".join(cur), line[start:i]))
                cur, have_word = [], False
            tokens.append(op)
            i += len(op)
            continue
        if not have_word:
            start = i
        have_word = True
        if ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ValueError("unterminated quoted string")
            cur.append(line[i + 1 : end])
            i = end + 1
        elif ch == '"':
            text, i = _double_quoted(line, i + 1, env, last)
            cur.append(text)
        elif ch == "\\" and i + 1 < len(line):
            cur.append(line[i + 1])
            i += 2
        elif ch == "$":
            value, i = _expand_var(line, i, env, last)
            cur.append(value)
        else:
            cur.append(ch)
            i += 1
    if have_word:
        tokens.append(_Word("".join(cur), line[start:]))
    return tokens


@dataclass
class _Command:
    argv: list[str] = field(default_factory=list)
    out_file: str = ""
    append: bool = False
    err_file: str = ""
    err_to_out: bool = False
    out_to_err: bool = False


class Shell:
    """An ash/dash-like interpreter bound to one container (its cwd, variables and last status)."""

    def __init__(self, ctx: ShellContext, name: str = "sh") -> None:
        self.ctx = ctx
        self.name = name
        self.cwd = ctx.fs.workdir
        self.vars: dict[str, str] = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOSTNAME": ctx.hostname,
            "HOME": ctx.fs.home,
            **ctx.env,
        }
        self.last = 0
        self.line_no = 0
        self.emit: Callable[[str, bool], None] | None = None  # (text, is_stderr), in order

    # -- prompt and messages --
    def prompt(self) -> str:
        if self.ctx.fs.shell == "dash":
            return "# " if self.ctx.fs.user == "root" else "$ "
        home = self.ctx.fs.home
        where = "~" if self.cwd == home else self.cwd
        if where.startswith(home + "/"):
            where = "~" + where[len(home) :]
        return f"{where} {'#' if self.ctx.fs.user == 'root' else '$'} "

    def not_found(self, prog: str) -> Result:
        if self.ctx.fs.shell == "dash":
            return Result(err=f"{self.name}: {self.line_no}: {prog}: not found\n", code=127)
        return Result(err=f"{self.name}: {prog}: not found\n", code=127)

    def syntax_error(self, what: str) -> Result:
        if self.ctx.fs.shell == "dash":
            return Result(err=f"{self.name}: {self.line_no}: Syntax error: {what}\n", code=2)
        return Result(err=f"{self.name}: syntax error: {what}\n", code=2)

    # -- running --
    def expand(self, word: str) -> str:
        """A word's value now (variables and `$?` as they are when its command runs)."""
        raw = word.raw if isinstance(word, _Word) else word
        words = tokenize(raw, self.vars, self.last)
        return words[0] if words else ""

    def run_line(self, line: str) -> Result:
        """A command line of pipelines; `exit` stops at once. With `emit` set, output leaves per pipeline."""
        self.line_no += 1
        try:
            tokens = tokenize(line, self.vars, self.last)
        except ValueError:
            return self.syntax_error("unterminated quoted string")
        total = Result(code=self.last)
        pipeline: list[_Command] = [_Command()]
        pending = ""  # the operator before the current pipeline
        expect_file = ""
        for tok in [*tokens, ";"]:
            if expect_file:
                if isinstance(tok, _Word):
                    cmd = pipeline[-1]
                    if expect_file == "2>":
                        cmd.err_file = tok
                    else:
                        cmd.out_file, cmd.append = tok, expect_file == ">>"
                    expect_file = ""
                    continue
                return self.syntax_error(f'unexpected "{tok}"')
            if isinstance(tok, _Word):
                pipeline[-1].argv.append(tok)
            elif tok in (">", ">>", "2>"):
                expect_file = tok
            elif tok == "2>&1":
                pipeline[-1].err_to_out = True
            elif tok in (">&2", "1>&2"):
                pipeline[-1].out_to_err = True
            elif tok == "|":
                if not pipeline[-1].argv:
                    return self.syntax_error('unexpected "|"')
                pipeline.append(_Command())
            else:  # ; && || &
                if pipeline[-1].argv:
                    skip = (pending == "&&" and self.last != 0) or (pending == "||" and self.last == 0)
                    if not skip:
                        res = self._pipeline(pipeline)
                        if self.emit is not None:
                            self.emit(res.out, False)
                            self.emit(res.err, True)
                        else:
                            total.out += res.out
                            total.err += res.err
                        self.last = total.code = res.code
                        if res.exited:
                            total.exited = True
                            return total
                elif tok in ("&&", "||"):
                    return self.syntax_error(f'unexpected "{tok}"')
                pipeline = [_Command()]
                pending = tok
        return total

    def _pipeline(self, pipeline: list[_Command]) -> Result:
        stdin = ""
        res = Result()
        err = ""
        for cmd in pipeline:
            cmd.argv = [self.expand(w) for w in cmd.argv]
            cmd.out_file, cmd.err_file = self.expand(cmd.out_file), self.expand(cmd.err_file)
            res = self.run_argv(cmd.argv, stdin)
            out = res.out
            if cmd.err_to_out:
                out, res.err = out + res.err, ""
            elif cmd.out_to_err:
                out, res.err = "", res.err + out
            if cmd.err_file:
                if cmd.err_file != "/dev/null":
                    self.ctx.files[self._path(cmd.err_file)] = res.err
                res.err = ""
            if cmd.out_file:
                if cmd.out_file != "/dev/null":
                    path = self._path(cmd.out_file)
                    self.ctx.files[path] = (self.ctx.files.get(path, "") if cmd.append else "") + out
                out = ""
            err += res.err
            stdin = out
            if res.exited:
                break
        return Result(out=stdin, err=err, code=res.code, exited=res.exited)

    def _path(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, path))

    def run_argv(self, argv: list[str], stdin: str = "") -> Result:
        """One simple command (builtins first, then the image's programs)."""
        from liqo_tutor.sim import shellcmds

        if not argv:
            return Result()
        assigns = 0
        while assigns < len(argv) and "=" in argv[assigns] and argv[assigns].split("=")[0].isidentifier():
            assigns += 1
        if assigns == len(argv):
            for a in argv:
                k, _, v = a.partition("=")
                self.vars[k] = v
            return Result()
        argv = argv[assigns:]
        prog = argv[0]
        builtin = shellcmds.BUILTINS.get(prog)
        if builtin is not None:
            return builtin(self, argv, stdin)
        base = prog.rsplit("/", 1)[-1]
        if base in self.ctx.fs.programs and ("/" not in prog or prog.startswith(("/bin/", "/usr/bin/"))):
            if base in SHELLS:
                return self.subshell(base, argv, stdin)
            command = shellcmds.PROGRAMS.get(base)
            if command is not None:
                return command(self, argv, stdin)
        return self.not_found(prog)

    def subshell(self, name: str, argv: list[str], stdin: str) -> Result:
        """`sh -c SCRIPT` or `sh` reading a script from stdin (no stdin: it exits at once)."""
        child = Shell(self.ctx, name)
        child.cwd = self.cwd
        child.vars = dict(self.vars)
        if len(argv) >= 2 and argv[1] == "-c":
            if len(argv) < 3:
                return Result(err=f"{name}: -c requires an argument\n", code=2)
            res = child.run_line(argv[2])
        else:
            res = Result()
            for line in stdin.splitlines():
                step = child.run_line(line)
                res.out += step.out
                res.err += step.err
                res.code = step.code
                if step.exited:
                    break
        res.exited = False
        return res
