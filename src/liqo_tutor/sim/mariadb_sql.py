"""The SQL of the emulated MariaDB server (Python's sqlite3 underneath) and the client's result formats.

What the server answers follows MariaDB 11.4's messages (error numbers, SQLSTATEs and texts of
sql/share/errmsg-utf8.txt: 1044, 1045, 1046, 1049, 1050, 1054, 1064, 1146, 1007, 1008) and what the
client prints follows client/mysql.cc (print_table_data: `+---+` borders, numbers right-aligned,
NULL; print_tab_data: tab-separated with \\t \\n \\\\ escaped; `N rows in set`, `Query OK, N rows
affected`, `Empty set`, `Database changed`). A database is kept as its SQL dump in a plain dict (the
member's data directory), so it can live on a volume of the playground and be copied by SST.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Engine", "Outcome", "SqlError", "format_tab", "format_table", "format_vertical", "new_datadir"]

VERSION = "11.4.5-MariaDB-log"
SYSTEM_DBS = ("information_schema", "mysql", "performance_schema", "sys")


class SqlError(Exception):
    """A server error: `ERROR code (state): message`."""

    def __init__(self, code: int, state: str, message: str) -> None:
        super().__init__(message)
        self.code, self.state, self.message = code, state, message

    def line(self, at_line: int | None = None) -> str:
        where = f" at line {at_line}" if at_line is not None else ""
        return f"ERROR {self.code} ({self.state}){where}: {self.message}"


@dataclass
class Outcome:
    columns: list[str] | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    affected: int = 0
    info: str = ""  # "Database changed", "Records: ..."
    wrote: bool = False


def new_datadir(
    root_user: str, root_password: str, database: str, user: str, password: str
) -> dict[str, Any]:
    """What the image's first start creates: root, the optional user with ALL on its database."""
    users: dict[str, Any] = {root_user or "root": {"password": root_password, "grants": ["*"]}}
    if user:
        users[user] = {"password": password, "grants": [database] if database else []}
    dbs: dict[str, str] = {}
    if database:
        dbs[database] = ""
    return {"users": users, "dbs": dbs, "seqno": 0}


def _translate(sql: str) -> str:
    """MariaDB DDL details sqlite does not know."""
    # an AUTO_INCREMENT integer key becomes sqlite's INTEGER PRIMARY KEY (the rowid: 1, 2, ...)
    out = re.sub(
        r"\b(?:TINY|SMALL|MEDIUM|BIG)?INT(?:EGER)?(?:\s*\(\d+\))?(?=[^,()]*\bAUTO_INCREMENT\b)",
        "INTEGER",
        sql,
        flags=re.I,
    )
    out = re.sub(r"\bAUTO_INCREMENT\b(\s*=\s*\d+)?", "", out, flags=re.I)
    out = re.sub(
        r"\b(ENGINE|(DEFAULT\s+)?CHARSET|(DEFAULT\s+)?CHARACTER\s+SET|COLLATE)\s*=?\s*\w+",
        "",
        out,
        flags=re.I,
    )
    out = re.sub(r"\bUNSIGNED\b", "", out, flags=re.I)
    return out


def _near(sql: str, fragment: str) -> str:
    at = sql.find(fragment) if fragment else -1
    rest = sql[at:] if at >= 0 else sql
    return rest[:80]


class Engine:
    """One connection: a user, its current database and the member's data directory."""

    def __init__(
        self,
        datadir: dict[str, Any],
        user: str,
        client_host: str,
        status: dict[str, str],
        version: str = VERSION,
    ) -> None:
        self.version = version  # what VERSION() returns: the server's release, e.g. 11.4.5-MariaDB-log
        self.data = datadir
        self.user = user
        self.client_host = client_host
        self.status = status
        self.db: str | None = None

    # --- access ---
    def visible(self, db: str) -> bool:
        grants = self.data["users"].get(self.user, {}).get("grants", [])
        return "*" in grants or db in grants or db == "information_schema"

    def use(self, db: str) -> None:
        if db not in self.data["dbs"] and db not in SYSTEM_DBS:
            raise SqlError(1049, "42000", f"Unknown database '{db}'")
        if not self.visible(db):
            raise SqlError(1044, "42000", f"Access denied for user '{self.user}'@'%' to database '{db}'")
        self.db = db

    # --- statements ---
    def execute(self, stmt: str) -> Outcome:
        sql = stmt.strip().rstrip(";").strip()
        if not sql:
            raise SqlError(1065, "42000", "Query was empty")
        words = sql.split()
        head = words[0].upper()
        second = words[1].upper() if len(words) > 1 else ""
        if head == "USE" and len(words) == 2:
            self.use(words[1].strip("`"))
            return Outcome(info="Database changed")
        if head == "SHOW":
            return self._show(sql, words)
        if head in ("CREATE", "DROP") and second in ("DATABASE", "SCHEMA"):
            return self._database_ddl(head, words)
        if head in ("DESCRIBE", "DESC"):
            return self._describe(words[1].strip("`") if len(words) > 1 else "")
        return self._sqlite(sql, head)

    def _show(self, sql: str, words: list[str]) -> Outcome:
        what = " ".join(w.upper() for w in words[1:3])
        if what.startswith(("DATABASES", "SCHEMAS")):
            names = sorted({*self.data["dbs"], *SYSTEM_DBS})
            return Outcome(["Database"], [(n,) for n in names if self.visible(n)])
        if what.startswith("TABLES"):
            db = self._need_db()
            conn = self._open(db)
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall()
            return Outcome([f"Tables_in_{db}"], [(r[0],) for r in rows])
        match = re.search(r"\bSTATUS\b(?:\s+LIKE\s+'([^']*)')?", sql, re.I)
        if match:
            pattern = re.compile(
                "^" + re.escape(match.group(1) or "%").replace("%", ".*").replace("_", ".") + "$", re.I
            )
            rows = [(k, v) for k, v in sorted(self.status.items()) if pattern.match(k)]
            return Outcome(["Variable_name", "Value"], rows)
        raise _syntax(sql, words[1] if len(words) > 1 else "")

    def _database_ddl(self, head: str, words: list[str]) -> Outcome:
        upper = [w.upper() for w in words]
        guard = "IF" in upper[2:4]
        name = words[-1].strip("`")
        if "*" not in self.data["users"].get(self.user, {}).get("grants", []):
            raise SqlError(1044, "42000", f"Access denied for user '{self.user}'@'%' to database '{name}'")
        if head == "CREATE":
            if name in self.data["dbs"] or name in SYSTEM_DBS:
                if guard:
                    return Outcome(affected=0, wrote=False)
                raise SqlError(1007, "HY000", f"Can't create database '{name}'; database exists")
            self.data["dbs"][name] = ""
            return Outcome(affected=1, wrote=True)
        if name not in self.data["dbs"]:
            if guard:
                return Outcome(affected=0)
            raise SqlError(1008, "HY000", f"Can't drop database '{name}'; database doesn't exist")
        tables = len(self._open(name).execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall())
        del self.data["dbs"][name]
        if self.db == name:
            self.db = None
        return Outcome(affected=tables, wrote=True)

    def _describe(self, table: str) -> Outcome:
        db = self._need_db()
        conn = self._open(db)
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        if not info:
            raise SqlError(1146, "42S02", f"Table '{db}.{table}' doesn't exist")
        rows = [
            (r[1], (r[2] or "").lower(), "NO" if r[3] or r[5] else "YES", "PRI" if r[5] else "", r[4], "")
            for r in info
        ]
        return Outcome(["Field", "Type", "Null", "Key", "Default", "Extra"], rows)

    def _need_db(self) -> str:
        if self.db is None:
            raise SqlError(1046, "3D000", "No database selected")
        return self.db

    def _open(self, db: str) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:")
        conn.create_function("VERSION", 0, lambda: self.version)
        conn.create_function("DATABASE", 0, lambda: self.db)
        conn.create_function("USER", 0, lambda: f"{self.user}@{self.client_host}")
        conn.create_function("CURRENT_USER", 0, lambda: f"{self.user}@%")
        conn.create_function("NOW", 0, lambda: conn.execute("SELECT datetime('now')").fetchone()[0])
        dump = self.data["dbs"].get(db, "")
        if dump:
            conn.executescript(dump)
        return conn

    def _sqlite(self, sql: str, head: str) -> Outcome:
        reads = head in ("SELECT", "WITH", "EXPLAIN", "VALUES")
        if reads and not re.search(r"\bFROM\b", sql, re.I):
            conn = self._open(self.db) if self.db else self._open("")
        else:
            conn = self._open(self._need_db())
        prefix = re.compile(rf"`?{re.escape(self.db)}`?\.", re.I) if self.db else None
        text = _translate(prefix.sub("", sql) if prefix else sql)
        try:
            cur = conn.execute(text)
            rows = cur.fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, sql) from None
        if cur.description is not None:
            return Outcome([d[0] for d in cur.description], [tuple(r) for r in rows])
        affected = max(cur.rowcount, 0)
        conn.commit()
        if self.db is not None:
            self.data["dbs"][self.db] = "\n".join(conn.iterdump())
            self.data["seqno"] = int(self.data.get("seqno", 0)) + 1
        info = ""
        if head == "INSERT" and affected > 1:
            info = f"Records: {affected}  Duplicates: 0  Warnings: 0"
        elif head == "UPDATE":
            info = f"Rows matched: {affected}  Changed: {affected}  Warnings: 0"
        return Outcome(affected=affected, info=info, wrote=True)

    def _error(self, exc: sqlite3.Error, sql: str) -> SqlError:
        msg = str(exc)
        db = self.db or ""
        if m := re.match(r"no such table: (?:\w+\.)?(\w+)", msg):
            return SqlError(1146, "42S02", f"Table '{db}.{m.group(1)}' doesn't exist")
        if m := re.match(r"table (\w+) already exists", msg):
            return SqlError(1050, "42S01", f"Table '{m.group(1)}' already exists")
        if m := re.match(r"no such column: (\S+)", msg):
            return SqlError(1054, "42S22", f"Unknown column '{m.group(1)}' in 'field list'")
        if m := re.match(r'near "([^"]*)": syntax error', msg):
            return _syntax(sql, m.group(1))
        if "UNIQUE constraint failed" in msg:
            return SqlError(1062, "23000", "Duplicate entry for key 'PRIMARY'")
        return _syntax(sql, "")


def _syntax(sql: str, fragment: str) -> SqlError:
    return SqlError(
        1064,
        "42000",
        "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server "
        f"version for the right syntax to use near '{_near(sql, fragment)}' at line 1",
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- output formats of the client --------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def _numeric(rows: list[tuple[Any, ...]], i: int) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def format_table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """print_table_data: borders, header left-aligned, numbers right-aligned."""
    widths = [max([len(c)] + [len(_cell(r[i])) for r in rows]) for i, c in enumerate(columns)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"
    out = sep + "|" + "|".join(f" {c:<{w}} " for c, w in zip(columns, widths, strict=True)) + "|\n" + sep
    numeric = [_numeric(rows, i) for i in range(len(columns))]
    for r in rows:
        cells = []
        for i, w in enumerate(widths):
            text = _cell(r[i])
            cells.append(f" {text:>{w}} " if numeric[i] else f" {text:<{w}} ")
        out += "|" + "|".join(cells) + "|\n"
    return out + sep


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\0", "\\0")


def format_tab(columns: list[str], rows: list[tuple[Any, ...]], headers: bool = True) -> str:
    """print_tab_data: tab-separated, special characters escaped."""
    out = "\t".join(columns) + "\n" if headers else ""
    for r in rows:
        out += "\t".join(_escape(_cell(v)) for v in r) + "\n"
    return out


def format_vertical(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """print_table_data_vertically (\\G)."""
    width = max((len(c) for c in columns), default=0)
    out = ""
    for n, r in enumerate(rows, 1):
        out += f"{'*' * 27} {n}. row {'*' * 27}\n"
        for c, v in zip(columns, r, strict=True):
            out += f"{c:>{width}}: {_cell(v)}\n"
    return out
