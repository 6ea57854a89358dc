"""One cobra/pflag-like command line for the simulated Go CLIs: kind, docker, liqoctl and helm.

Behaviour follows spf13/cobra v1.8 (command.go: Find, stripFlags, execute; args.go) and spf13/pflag v1.0.5
(flag.go: parseLongArg, parseSingleShortArg, FlagUsages), the versions kind v0.29.0 and Liqo build with.

API, in the order a tool uses it:

- ``Flag(name, kind, default, short, required, help)``: kind is one of ``KINDS``: ``bool``, ``str``,
  ``int``/``int32`` (Go ParseInt base 0), ``duration`` (Go time.ParseDuration, the value in seconds),
  ``list`` (pflag StringSlice: comma separated, repeated occurrences append) and ``array`` (pflag
  StringArray: one item per occurrence, commas kept). A bool flag takes no value unless written
  ``--flag=false`` / ``-f=false``. ``check(raw)`` may refuse a value (ValueError: pflag's
  ``invalid argument "raw" for "--flag" flag: <error>``), as a custom pflag.Value's Set does.
- ``Command(name, short=..., flags=[...], persistent=[...], subs=[...], aliases=(...), args=..., run=...)``:
  ``flags`` are local, ``persistent`` ones are inherited by every descendant. ``run`` is whatever callable
  the tool likes (the parser never calls it); a command without ``run`` is a group: called, it asks for help.
  ``args`` validates the positional words like cobra's ``Args``: ``NO_ARGS``, ``ARBITRARY``,
  ``minimum_n(n)``, ``maximum_n(n)``, ``exact_n(n)``, ``range_n(lo, hi)`` or any
  ``(command path, args) -> error message | None``; ``None`` is cobra's legacy rule (a root with
  subcommands rejects unknown words with suggestions, everything else takes any).
  ``version`` on the root adds ``--version`` as cobra does. ``use`` is the Use line (default: the name).
- ``resolve(root, argv) -> Invocation`` (raises ``UsageError``): ``.chain``, ``.command``, ``.path``,
  ``.values`` (every flag of the command, defaults filled in), ``.seen`` (flags given on the command line),
  ``.args`` (positional words), ``.help`` (print ``inv.help_output()`` on stdout and exit 0:
  ``-h``/``--help``, a group without ``run`` called, or cobra's ``help [command]``), ``.version``
  (``--version`` on a root with a version).
- ``parse_flags(flags, argv, interspersed=...)``: one pflag FlagSet alone (docker's global flags).
- ``UsageError.message`` is cobra's error text: each tool prints it its own way (kind: ``ERROR: msg``,
  liqoctl and helm: ``Error: msg``), exit 1. ``.flag_error`` marks pflag's errors (what cobra hands to
  a FlagErrorFunc: docker's answer them with its usage line and exit 125), ``.chain`` the command.
- ``help_text(chain)``: cobra's default help template with pflag's flag columns.

Porting a tool: its Flag kinds map 1:1 (a former ``dur`` is ``duration``); a ``(lo, hi)`` positional
range becomes ``NO_ARGS`` for (0, 0), ``exact_n(n)`` for (n, n), else ``range_n(lo, hi)``; a set of
flags seen is ``inv.seen``; a group is a Command without ``run``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from liqo_tutor.sim.tools.common import format_duration, parse_duration

__all__ = [
    "ARBITRARY",
    "KINDS",
    "NO_ARGS",
    "ArgsCheck",
    "Command",
    "Flag",
    "Invocation",
    "UsageError",
    "exact_n",
    "help_text",
    "maximum_n",
    "minimum_n",
    "parse_go_bool",
    "parse_flags",
    "parse_go_int",
    "range_n",
    "resolve",
]

KINDS = ("bool", "str", "int", "int32", "duration", "list", "array")
_TYPE_NAMES = {"bool": "", "str": "string", "int": "int", "int32": "int32", "duration": "duration",
               "list": "strings", "array": "stringArray"}
MIN_NAME_PADDING = 11  # cobra's minNamePadding

RunT = TypeVar("RunT")
ArgsCheck = Callable[[str, list[str]], "str | None"]


class UsageError(Exception):
    """A cobra/pflag usage error; `message` is the exact text cobra returns. `flag_error` marks the errors
    cobra hands to FlagErrorFunc (pflag's), `chain` is the command whose flags failed (set by resolve)."""

    def __init__(self, message: str, *, flag_error: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.flag_error = flag_error
        self.chain: list[Command[Any]] = []


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str = "str"
    default: Any = None
    short: str = ""
    required: bool = False
    help: str = ""
    check: Callable[[str], None] | None = field(default=None, compare=False)  # raises ValueError: refused

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"flag --{self.name}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")

    @property
    def label(self) -> str:
        """pflag's name of the flag in `invalid argument` errors."""
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"

    def initial(self) -> Any:
        if self.default is not None:
            return list(self.default) if isinstance(self.default, list | tuple) else self.default
        zero: dict[str, Any] = {"bool": False, "int": 0, "int32": 0, "duration": 0.0, "list": [], "array": []}
        return zero.get(self.kind, "")


@dataclass
class Command(Generic[RunT]):
    name: str
    short: str = ""
    flags: list[Flag] = field(default_factory=list)
    persistent: list[Flag] = field(default_factory=list)
    subs: list[Command[RunT]] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    args: ArgsCheck | None = None
    run: RunT | None = None
    long: str = ""
    use: str = ""
    version: str = ""
    parent: Command[RunT] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for sub in self.subs:
            sub.parent = self

    def add(self, *subs: Command[RunT]) -> None:
        for sub in subs:
            sub.parent = self
            self.subs.append(sub)

    def sub(self, word: str) -> Command[RunT] | None:
        for c in self.subs:
            if word == c.name or word in c.aliases:
                return c
        return None

    @property
    def runnable(self) -> bool:
        return self.run is not None


def all_flags(chain: Sequence[Command[Any]]) -> list[Flag]:
    """The flags the last command of `chain` parses: local, persistent, inherited, help, version."""
    cmd = chain[-1]
    found: dict[str, Flag] = {}
    for fl in (*cmd.flags, *cmd.persistent, *(f for c in reversed(chain[:-1]) for f in c.persistent)):
        found.setdefault(fl.name, fl)
    shorts = {f.short for f in found.values() if f.short}
    if "help" not in found:
        found["help"] = Flag("help", "bool", False, "" if "h" in shorts else "h",
                             help=f"help for {cmd.name or 'this command'}")
    if cmd.version and "version" not in found:
        found["version"] = Flag("version", "bool", False, "" if "v" in shorts else "v",
                                help=f"version for {cmd.name or 'this command'}")
    return list(found.values())


# --- positional argument rules (cobra args.go) -------------------------------------------------


def NO_ARGS(path: str, args: list[str]) -> str | None:  # noqa: N802 - cobra.NoArgs
    return f'unknown command "{args[0]}" for "{path}"' if args else None


def ARBITRARY(path: str, args: list[str]) -> str | None:  # noqa: N802 - cobra.ArbitraryArgs
    return None


def minimum_n(n: int) -> ArgsCheck:
    return lambda path, args: (f"requires at least {n} arg(s), only received {len(args)}"
                               if len(args) < n else None)


def maximum_n(n: int) -> ArgsCheck:
    return lambda path, args: f"accepts at most {n} arg(s), received {len(args)}" if len(args) > n else None


def exact_n(n: int) -> ArgsCheck:
    return lambda path, args: f"accepts {n} arg(s), received {len(args)}" if len(args) != n else None


def range_n(lo: int, hi: int) -> ArgsCheck:
    return lambda path, args: (f"accepts between {lo} and {hi} arg(s), received {len(args)}"
                               if not lo <= len(args) <= hi else None)


def _levenshtein(s: str, t: str) -> int:
    s, t = s.lower(), t.lower()
    prev = list(range(len(t) + 1))
    for i, cs in enumerate(s, 1):
        cur = [i]
        for j, ct in enumerate(t, 1):
            cur.append(prev[j - 1] if cs == ct else 1 + min(prev[j], cur[j - 1], prev[j - 1]))
        prev = cur
    return prev[-1]


def _suggestions(cmd: Command[Any], typed: str) -> str:
    """cobra's findSuggestions: Levenshtein distance <= 2 or a prefix, in the order of the commands."""
    names = [c.name for c in _sorted(cmd.subs)
             if _levenshtein(typed, c.name) <= 2 or c.name.lower().startswith(typed.lower())]
    if not names:
        return ""
    return "\n\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in names)


def _legacy_args(cmd: Command[Any], path: str, args: list[str]) -> str | None:
    if not cmd.subs or cmd.parent is not None or not args:
        return None
    return f'unknown command "{args[0]}" for "{path}"{_suggestions(cmd, args[0])}'


# --- finding the command (cobra Find) ----------------------------------------------------------


def _takes_value(tok: str, flags: dict[str, Flag], shorts: dict[str, Flag]) -> bool:
    """stripFlags' test: `--x` / `-x` without `=` whose flag is not a bool (unknown flags count as valued)."""
    if "=" in tok:
        return False
    if tok.startswith("--"):
        fl = flags.get(tok[2:])
        return fl is None or fl.kind != "bool"
    if len(tok) == 2 and tok.startswith("-"):
        fl = shorts.get(tok[1])
        return fl is None or fl.kind != "bool"
    return False


def _words(chain: list[Command[Any]], argv: list[str]) -> list[int]:
    """Indexes of the words of `argv` that are neither flags nor flag values (stripFlags)."""
    flags = {f.name: f for f in all_flags(chain)}
    shorts = {f.short: f for f in flags.values() if f.short}
    found: list[int] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            break
        if tok.startswith("-") and _takes_value(tok, flags, shorts):
            i += 2
            continue
        if tok and not tok.startswith("-"):
            found.append(i)
        i += 1
    return found


def find(root: Command[RunT], argv: list[str]) -> tuple[list[Command[RunT]], list[str]]:
    chain, rest = [root], list(argv)
    while True:
        words = _words(chain, rest)
        nxt = chain[-1].sub(rest[words[0]]) if words else None
        if nxt is None:
            break
        del rest[words[0]]
        chain.append(nxt)
    cmd = chain[-1]
    if cmd.args is None:
        message = _legacy_args(cmd, _path(chain), [rest[i] for i in _words(chain, rest)])
        if message:
            raise UsageError(message)
    return chain, rest


def _path(chain: Sequence[Command[Any]]) -> str:
    return " ".join(c.name for c in chain)


# --- flag values (pflag) ---------------------------------------------------------------------------

_GO_INT = re.compile(
    r"[+-]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO](_?[0-7])+|0(_?[0-7])*|[1-9](_?[0-9])*)")


def parse_go_bool(raw: str) -> bool:
    """strconv.ParseBool."""
    if raw in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if raw in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{raw}": invalid syntax')


def parse_go_int(raw: str, bits: int = 64) -> int:
    """strconv.ParseInt(raw, 0, bits): decimal, 0x, 0b, 0o and leading-0 octal, `_` only after a prefix."""
    if not _GO_INT.fullmatch(raw):
        raise ValueError(f'strconv.ParseInt: parsing "{raw}": invalid syntax')
    body = raw.lstrip("+-")
    if body[:1] == "0" and body[1:2].isdigit():
        body = "0o" + body[1:]
    value = int(body.replace("_", ""), 0) * (-1 if raw.startswith("-") else 1)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f'strconv.ParseInt: parsing "{raw}": value out of range')
    return value


def _convert(fl: Flag, raw: str, current: Any, again: bool) -> Any:
    try:
        if fl.check is not None:
            fl.check(raw)
        if fl.kind == "bool":
            return parse_go_bool(raw)
        if fl.kind in ("int", "int32"):
            return parse_go_int(raw, 32 if fl.kind == "int32" else 64)
        if fl.kind == "duration":
            return parse_duration(raw)
        if fl.kind == "list":
            items = next(csv.reader([raw])) if raw else []
            return [*current, *items] if again else items
        if fl.kind == "array":
            return [*current, raw] if again else [raw]
    except (ValueError, csv.Error) as exc:
        raise UsageError(f'invalid argument "{raw}" for "{fl.label}" flag: {exc}', flag_error=True) from None
    return raw


@dataclass
class Invocation(Generic[RunT]):
    chain: list[Command[RunT]]
    values: dict[str, Any]
    seen: set[str]
    args: list[str]
    help: bool = False
    version: bool = False
    unknown_topic: list[str] = field(default_factory=list)

    @property
    def command(self) -> Command[RunT]:
        return self.chain[-1]

    @property
    def path(self) -> str:
        return _path(self.chain)

    def help_output(self) -> str:
        """What cobra prints (on stdout) when `help` is set: the command's help, or, for `help` with a topic
        it does not know, `Unknown help topic` and the root's usage."""
        if self.unknown_topic:
            topic = " ".join(f"`{t}`" for t in self.unknown_topic)
            return f"Unknown help topic [{topic}]\n" + help_text(self.chain, usage_only=True)
        return help_text(self.chain)


class _Parser:
    def __init__(self, flags: list[Flag]) -> None:
        self.by_long = {f.name: f for f in flags}
        self.by_short = {f.short: f for f in flags if f.short}
        self.values: dict[str, Any] = {f.name: f.initial() for f in flags}
        self.seen: set[str] = set()
        self.args: list[str] = []

    def set(self, fl: Flag, raw: str) -> None:
        self.values[fl.name] = _convert(fl, raw, self.values[fl.name], fl.name in self.seen)
        self.seen.add(fl.name)

    def long(self, tok: str, rest: list[str]) -> None:
        name, eq, raw = tok[2:].partition("=")
        if not name or name[0] in "-=":
            raise UsageError(f"bad flag syntax: {tok}", flag_error=True)
        fl = self.by_long.get(name)
        if fl is None:
            raise UsageError(f"unknown flag: --{name}", flag_error=True)
        if not eq:
            if fl.kind == "bool":
                raw = "true"
            elif rest:
                raw = rest.pop(0)
            else:
                raise UsageError(f"flag needs an argument: {tok}", flag_error=True)
        self.set(fl, raw)

    def short(self, tok: str, rest: list[str]) -> None:
        letters = tok[1:]
        while letters:
            ch = letters[0]
            fl = self.by_short.get(ch)
            if fl is None:
                raise UsageError(f"unknown shorthand flag: '{ch}' in -{letters}", flag_error=True)
            if len(letters) > 2 and letters[1] == "=":
                raw, nxt = letters[2:], ""
            elif fl.kind == "bool":
                raw, nxt = "true", letters[1:]
            elif len(letters) > 1:
                raw, nxt = letters[1:], ""
            elif rest:
                raw, nxt = rest.pop(0), ""
            else:
                raise UsageError(f"flag needs an argument: '{ch}' in -{letters}", flag_error=True)
            self.set(fl, raw)
            letters = nxt

    def parse(self, argv: list[str], *, interspersed: bool = True) -> None:
        rest = list(argv)
        while rest:
            tok = rest.pop(0)
            if tok == "--":
                self.args.extend(rest)
                return
            if len(tok) < 2 or tok[0] != "-":
                self.args.append(tok)
                if not interspersed:  # pflag SetInterspersed(false): the first word ends the flags
                    self.args.extend(rest)
                    return
            elif tok[1] == "-":
                self.long(tok, rest)
            else:
                self.short(tok, rest)


def parse_flags(flags: list[Flag], argv: Sequence[str], *,
                interspersed: bool = True) -> tuple[dict[str, Any], set[str], list[str]]:
    """A bare pflag FlagSet: (values with defaults, flags seen, remaining words); raises UsageError."""
    parser = _Parser(flags)
    parser.parse(list(argv), interspersed=interspersed)
    return parser.values, parser.seen, parser.args


def _help_command(root: Command[RunT], argv: list[str]) -> Invocation[RunT] | None:
    """cobra's default `help [command]` of a root with subcommands (InitDefaultHelpCmd)."""
    if not root.subs or root.sub("help") is not None:
        return None
    words = _words([root], argv)
    if not words or argv[words[0]] != "help":
        return None
    topic = [argv[i] for i in words[1:]]
    try:
        chain, _ = find(root, topic)
    except UsageError:
        return Invocation([root], {}, set(), [], help=True, unknown_topic=topic)
    return Invocation(chain, {}, set(), [], help=True)


def resolve(root: Command[RunT], argv: Sequence[str]) -> Invocation[RunT]:
    """cobra's ExecuteC up to the Run call: find the command, parse its flags, check help, version, args."""
    asked = _help_command(root, list(argv))
    if asked is not None:
        return asked
    chain, rest = find(root, list(argv))
    cmd = chain[-1]
    parser = _Parser(all_flags(chain))
    try:
        parser.parse(rest)
    except UsageError as exc:
        exc.chain = list(chain)
        raise
    inv = Invocation(chain, parser.values, parser.seen, parser.args)
    if parser.values.get("help"):
        inv.help = True
        return inv
    if cmd.version and parser.values.get("version"):
        inv.version = True
        return inv
    if not cmd.runnable:
        inv.help = True
        return inv
    message = (cmd.args or ARBITRARY)(inv.path, inv.args)  # ValidateArgs: no Args = ArbitraryArgs
    if message:
        raise UsageError(message)
    missing = sorted(f.name for f in all_flags(chain) if f.required and f.name not in parser.seen)
    if missing:
        raise UsageError('required flag(s) "' + '", "'.join(missing) + '" not set')
    return inv


# --- help (cobra's default help and usage templates, pflag's FlagUsages) ----------------------------


def _sorted(cmds: list[Command[RunT]]) -> list[Command[RunT]]:
    return sorted(cmds, key=lambda c: c.name)  # cobra's EnableCommandSorting


def _default_text(fl: Flag) -> str:
    value = fl.initial()
    if fl.kind == "bool":
        return "" if not value else " (default true)"
    if fl.kind == "duration":
        return "" if not value else f" (default {format_duration(float(value))})"
    if fl.kind in ("int", "int32"):
        return "" if not value else f" (default {value})"
    if fl.kind in ("list", "array"):
        return "" if not value else " (default [" + ",".join(value) + "])"
    return "" if not value else f' (default "{value}")'


def flag_usages(flags: list[Flag]) -> str:
    lines: list[tuple[str, str]] = []
    for fl in sorted(flags, key=lambda f: f.name):
        head = f"  -{fl.short}, --{fl.name}" if fl.short else f"      --{fl.name}"
        usage = fl.help
        quoted = re.search(r"`([^`]*)`", usage)
        varname = quoted.group(1) if quoted else _TYPE_NAMES[fl.kind]
        if quoted:
            usage = usage[:quoted.start()] + varname + usage[quoted.end():]
        if varname:
            head += " " + varname
        lines.append((head, usage + _default_text(fl)))
    width = max((len(h) for h, _ in lines), default=0)
    return "".join(f"{h}{' ' * (width - len(h) + 3)}{u}".rstrip() + "\n" for h, u in lines)


def help_text(chain: Sequence[Command[Any]], *, usage_only: bool = False) -> str:
    """What `CMD --help` prints: Long (or Short), then the usage template (alone with `usage_only`)."""
    cmd = chain[-1]
    path = _path(chain)
    parts: list[str] = []
    about = (cmd.long or cmd.short).rstrip()
    if about and not usage_only:
        parts.append(about + "\n\n")
    flags = all_flags(chain)
    own = {f.name for f in (*cmd.flags, *cmd.persistent)}
    inherited = {f.name for c in chain[:-1] for f in c.persistent} - own
    usage = "Usage:"
    if cmd.runnable:
        use = " ".join([*(c.name for c in chain[:-1]), cmd.use or cmd.name])
        usage += f"\n  {use}" + (" [flags]" if flags and "[flags]" not in use else "")
    if cmd.subs:
        usage += f"\n  {path} [command]"
    if cmd.aliases:
        usage += "\n\nAliases:\n  " + ", ".join((cmd.name, *cmd.aliases))
    if cmd.subs:
        listed = [(c.name, c.short) for c in cmd.subs]
        if cmd.parent is None and cmd.sub("help") is None:
            listed.append(("help", "Help about any command"))
        pad = max(MIN_NAME_PADDING, *(len(n) for n, _ in listed))
        usage += "\n\nAvailable Commands:"
        usage += "".join(f"\n  {n:<{pad}} {about}" for n, about in sorted(listed))
    local = [f for f in flags if f.name not in inherited]
    if local:
        usage += "\n\nFlags:\n" + flag_usages(local).rstrip("\n")
    glob = [f for f in flags if f.name in inherited]
    if glob:
        usage += "\n\nGlobal Flags:\n" + flag_usages(glob).rstrip("\n")
    if cmd.subs:
        usage += f'\n\nUse "{path} [command] --help" for more information about a command.'
    if cmd.runnable or cmd.subs or usage_only:
        parts.append(usage + "\n")
    return "".join(parts)
