"""doctor: each host check, driven through a fake runner and a fake /proc."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from liqo_tutor import doctor
from liqo_tutor.errors import ToolFailed, ToolNotFound
from liqo_tutor.results import CommandResult


def _result(argv: Sequence[str], out: str = "", err: str = "", code: int = 0) -> CommandResult:
    return CommandResult(tuple(argv), code, out, err, 0.0, 0.01, " ".join(argv))


class FakeTools:
    """Answers like the real tools would, per program, with knobs for what is missing or broken."""

    def __init__(
        self,
        missing: set[str] = frozenset(),
        daemon: bool = True,
        liqoctl: str = "v1.2.0",
        mem: int = 16 * 1024**3,
    ) -> None:
        self.missing, self.daemon, self.liqoctl, self.mem = set(missing), daemon, liqoctl, mem

    def __call__(self, argv: Sequence[str], *, env: Mapping[str, str], timeout: float) -> CommandResult:
        prog = argv[0]
        if prog in self.missing:
            raise ToolNotFound(prog)
        if prog == "docker" and argv[1:2] == ["--version"]:
            return _result(argv, "Docker version 28.2.2, build e6534b4\n")
        if prog == "docker" and not self.daemon:
            raise ToolFailed(
                _result(
                    argv,
                    "\n",
                    "Cannot connect to the Docker daemon at unix:///var/run/"
                    "docker.sock. Is the docker daemon running?\n",
                    1,
                )
            )
        if prog == "docker" and argv[1] == "version":
            return _result(argv, "28.2.2\n")
        if prog == "docker" and argv[1] == "info":
            return _result(argv, json.dumps({"MemTotal": self.mem, "NCPU": 8}))
        if prog == "kind":
            return _result(argv, "kind v0.29.0 go1.24.2 linux/amd64\n")
        if prog == "kubectl":
            return _result(argv, json.dumps({"clientVersion": {"gitVersion": "v1.33.1"}}))
        if prog == "liqoctl":
            return _result(argv, f"Client version: {self.liqoctl}\n")
        raise AssertionError(argv)


def _accept(text: str) -> str | None:
    return "v1" if "v1." in text else ("v0" if "v0.10" in text else None)


def _proc(tmp: Path, watches: int, instances: int) -> Path:
    base = tmp / "proc" / "sys" / "fs" / "inotify"
    base.mkdir(parents=True)
    (base / "max_user_watches").write_text(f"{watches}\n")
    (base / "max_user_instances").write_text(f"{instances}\n")
    return tmp / "proc"


def _by_check(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {f.check: f for f in findings}


def test_healthy_host_is_all_ok(tmp_path: Path) -> None:
    found = _by_check(
        doctor.diagnose(
            FakeTools(),
            {"PATH": ""},
            workdir=tmp_path,
            supported={"v1": ">=1.0.0,<2.0.0"},
            accept=_accept,
            proc=_proc(tmp_path, 524288, 512),
        )
    )
    assert {f.status for f in found.values()} <= {"ok", "warn"}
    assert found["docker daemon"].found == "Docker Engine 28.2.2"
    assert found["liqoctl"].status == "ok" and "line v1" in found["liqoctl"].found


def test_daemon_down_and_missing_tools_fail_with_fixes(tmp_path: Path) -> None:
    found = _by_check(
        doctor.diagnose(
            FakeTools(missing={"kind", "liqoctl"}, daemon=False),
            {"PATH": ""},
            workdir=tmp_path,
            supported={"v1": ">=1.0.0,<2.0.0"},
            accept=_accept,
            proc=_proc(tmp_path, 524288, 512),
        )
    )
    assert found["docker daemon"].status == "fail"
    assert "Cannot connect to the Docker daemon" in found["docker daemon"].found
    assert "systemctl start docker" in found["docker daemon"].fix
    assert found["kind"].status == "fail" and "kind.sigs.k8s.io" in found["kind"].fix
    assert found["liqoctl"].status == "fail" and ">=1.0.0,<2.0.0" in found["liqoctl"].fix


def test_low_inotify_and_memory_are_warnings_with_the_sysctl_line(tmp_path: Path) -> None:
    found = _by_check(
        doctor.diagnose(
            FakeTools(mem=4 * 1024**3),
            {"PATH": ""},
            workdir=tmp_path,
            supported={},
            accept=_accept,
            proc=_proc(tmp_path, 8192, 128),
        )
    )
    assert found["inotify max_user_watches"].status == "warn"
    assert found["inotify max_user_watches"].fix == "sudo sysctl fs.inotify.max_user_watches=524288"
    assert found["inotify max_user_instances"].fix == "sudo sysctl fs.inotify.max_user_instances=512"
    assert found["docker memory"].status == "warn"


def test_unsupported_liqoctl_version_fails(tmp_path: Path) -> None:
    found = _by_check(
        doctor.diagnose(
            FakeTools(liqoctl="v0.5.0"),
            {"PATH": ""},
            workdir=tmp_path,
            supported={"v0": ">=0.7.0,<0.11.0", "v1": ">=1.0.0,<2.0.0"},
            accept=_accept,
            proc=_proc(tmp_path, 524288, 512),
        )
    )
    assert found["liqoctl"].status == "fail"
    assert "v0: >=0.7.0,<0.11.0" in found["liqoctl"].fix
