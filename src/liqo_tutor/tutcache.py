"""A per-user cache of validated tutorials, so that `show`, `status` and `run` skip re-validating.

Validation builds the pydantic schemas (most of a command's start-up). Its result, a frozen
`Tutorial`, is kept in `$XDG_CACHE_HOME/liqo-tutor/` (default `~/.cache/liqo-tutor/`) under a key made
of everything it depends on: the file's bytes and path, the manifests it may name, the code that
builds it (every file of this package and its subpackages: names, sizes, mtimes) and the Python
version. Any change is a miss, and then the file is validated as usual. Only a file owned by this
user, not writable by others, is read back; anything unreadable is a miss. `liqo-tutor validate`
never uses the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

from liqo_tutor.tutorial import Tutorial

__all__ = ["cache_dir", "get", "key", "put"]

_ENV_OFF = "LIQO_TUTOR_NO_CACHE"
_KEEP = 32  # entries; older ones are removed when a new one is written


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "liqo-tutor" / "tutorials"


def key(path: Path, raw: bytes, manifests: Path) -> str:
    """What a validated tutorial depends on, hashed."""
    digest = hashlib.sha256()
    digest.update(raw)
    digest.update(str(path.resolve()).encode())
    digest.update(sys.version.encode())
    code = Path(__file__).parent
    for folder in (code, manifests):
        digest.update(str(folder).encode())
        # Every file below it: an edit inside a subpackage (verbs/, claims/...) changes no folder's mtime.
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                where = os.path.relpath(root, folder)
                digest.update(f"{where}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()


def get(cache_key: str) -> Tutorial | None:
    if os.environ.get(_ENV_OFF):
        return None
    file = cache_dir() / f"{cache_key}.pickle"
    try:
        with open(file, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return None
            value = pickle.load(fh)  # noqa: S301 (written by this user, see above)
    except Exception:  # a miss, whatever went wrong
        return None
    return value if isinstance(value, Tutorial) else None


def put(cache_key: str, tutorial: Tutorial) -> None:
    if os.environ.get(_ENV_OFF):
        return
    folder = cache_dir()
    tmp = folder / f".{cache_key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(tutorial, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{cache_key}.pickle")
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
