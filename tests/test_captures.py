"""Saved outputs kept in the workdir (captures.py): a new process uses them as variables, never as
fresh answers for claims; a changed tutorial starts without them; a value holding a secret stays in
memory only."""

from __future__ import annotations

import json
from pathlib import Path

from liqo_tutor import secrets
from liqo_tutor.captures import CaptureStore, captures_path


def test_kept_for_a_new_process_but_not_fresh_there(tmp_path: Path) -> None:
    CaptureStore(tmp_path, "d1").put("pod_ip@alpha", "10.0.0.1")
    again = CaptureStore(tmp_path, "d1")
    assert again.get("pod_ip@alpha") == "10.0.0.1"
    assert again.get("pod_ip@alpha", fresh=True) is None
    again.put("pod_ip@alpha", "10.0.0.2")
    assert again.get("pod_ip@alpha", fresh=True) == "10.0.0.2"


def test_a_changed_tutorial_starts_empty(tmp_path: Path) -> None:
    CaptureStore(tmp_path, "d1").put("x", "1")
    assert CaptureStore(tmp_path, "d2").get("x") is None


def test_a_value_with_a_secret_is_never_written(tmp_path: Path) -> None:
    token = "c3" * 64
    secrets.register(token)
    store = CaptureStore(tmp_path, "d1")
    store.put("peer_command", f"liqoctl peer --auth-token {token}")
    store.put("ip", "10.0.0.3")
    written = captures_path(tmp_path).read_text()
    assert token not in written and json.loads(written)["values"] == {"ip": "10.0.0.3"}
    assert store.get("peer_command", fresh=True) == f"liqoctl peer --auth-token {token}"
