"""tools/runner.py exercised for real (sh, processes) with tests/fakebin/fake-tool."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from liqo_tutor.errors import Interrupted, ToolFailed, ToolNotFound, ToolTimeout
from liqo_tutor.results import CommandResult
from liqo_tutor.tools import runner

FAKEBIN = Path(__file__).parent / "fakebin"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A private bin/ holding fake-tool (executable bit set whatever git kept)."""
    target = tmp_path / "bin"
    target.mkdir()
    tool = target / "fake-tool"
    shutil.copy(FAKEBIN / "fake-tool", tool)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


@pytest.fixture
def env(bin_dir: Path) -> dict[str, str]:
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"}


@pytest.fixture(autouse=True)
def _clean_runner() -> Iterator[None]:
    runner.reset()
    yield
    runner.reset()


def _when_ready(marker: Path, fn: object, *args: object) -> threading.Thread:
    """Call fn(*args) from a thread once fake-tool has installed its SIGTERM trap."""

    def wait_then_call() -> None:
        # Wait for the condition (the trap is installed), never a fixed time: a busy machine may take
        # long to start the child. The bound only keeps a broken fake-tool from hanging the suite.
        ready = marker.with_name(marker.name + ".ready")
        deadline = time.monotonic() + 120
        # The trap is installed and the runner waits for the child (so Ctrl-C now stops it).
        while not (ready.exists() and runner.running()) and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        fn(*args)  # type: ignore[operator]

    thread = threading.Thread(target=wait_then_call)
    thread.start()
    return thread


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def test_stdout_stderr_exit_code_and_display(env: dict[str, str]) -> None:
    res = runner.run(["fake-tool", "echo", "a b", "c"], env=env, timeout=10, cluster="london")
    assert res.exit_code == 0
    assert res.stdout == "a b\nc\n"
    assert res.stderr == "to-stderr\n"
    assert res.argv == ("fake-tool", "echo", "a b", "c")
    assert res.display == "fake-tool echo 'a b' c"
    assert res.cluster == "london"
    assert res.duration >= 0


def test_nonzero_exit_raises_tool_failed_with_the_full_result(env: dict[str, str]) -> None:
    with pytest.raises(ToolFailed) as info:
        runner.run(["fake-tool", "echo", "x"], env={**env, "FAKE_EXIT": "3"}, timeout=10)
    assert info.value.result.exit_code == 3
    assert info.value.result.stdout == "x\n"
    assert "exited 3: to-stderr" in info.value.message
    ok = runner.run(["fake-tool", "echo", "y"], env={**env, "FAKE_EXIT": "3"}, timeout=10, ok_codes=(0, 3))
    assert ok.exit_code == 3


def test_program_not_on_the_given_path(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                       bin_dir: Path) -> None:
    # Found on the process PATH is not enough: only env["PATH"] counts.
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(ToolNotFound) as info:
        runner.run(["fake-tool", "echo"], env={"PATH": "/nonexistent"}, timeout=5)
    assert info.value.program == "fake-tool"
    assert info.value.hint and "--simulate" in info.value.hint
    with pytest.raises(ToolNotFound):
        runner.run(["no-such-tool-here"], env=env, timeout=5)


def test_environment_is_exactly_the_one_given(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKY_VARIABLE", "from-parent")
    res = runner.run(["fake-tool", "env"], env={**env, "KUBECONFIG": "/tmp/kc"}, timeout=10)
    lines = res.stdout.splitlines()
    assert "KUBECONFIG=/tmp/kc" in lines
    assert not any(line.startswith("LEAKY_VARIABLE=") for line in lines)
    assert not any(line.startswith("HOME=") for line in lines)


def test_stdin_is_never_inherited_and_can_be_given(env: dict[str, str]) -> None:
    # A prompt reading stdin gets EOF at once instead of blocking on the terminal.
    assert runner.run(["fake-tool", "stdin"], env=env, timeout=10).stdout == "eof\n"
    assert runner.run(["fake-tool", "stdin"], env=env, timeout=10, stdin="yes\n").stdout == "line:yes\n"


def test_timeout_sends_sigterm_first(env: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    with pytest.raises(ToolTimeout) as info:
        runner.run(["fake-tool", "term", str(marker)], env=env, timeout=0.5, grace=5)
    assert marker.read_text().strip() == "term"
    assert info.value.result.exit_code == 143
    assert info.value.result.stdout == "ready\n"
    assert info.value.timeout == 0.5


def test_timeout_then_sigkill_for_the_whole_group(env: dict[str, str]) -> None:
    with pytest.raises(ToolTimeout) as info:
        runner.run(["fake-tool", "stubborn"], env=env, timeout=0.3, grace=0.3)
    assert info.value.result.exit_code == -signal.SIGKILL
    grandchild = int(info.value.result.stdout.split()[0])
    # SIGKILL went to the whole group; the kernel may take a moment to end the grandchild.
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert not _alive(grandchild)


def test_on_event_sees_start_and_redacted_finish(env: dict[str, str]) -> None:
    calls: list[tuple[str, CommandResult | None]] = []
    res = runner.run(["fake-tool", "token", "--auth-token", "abcdef0123"], env=env, timeout=10,
                     on_event=lambda display, result: calls.append((display, result)))
    assert [c[0] for c in calls] == ["fake-tool token --auth-token '***'"] * 2
    assert calls[0][1] is None
    shown = calls[1][1]
    assert shown is not None and shown.exit_code == 0
    assert "6a1fdeadbeefcafe" not in shown.stdout and "s3cr3t-t0ken-value" not in shown.stdout
    assert "abcdef0123" not in " ".join(shown.argv)
    # The caller still gets the raw output: the engine parses the generated peer command.
    assert "--auth-token 6a1fdeadbeefcafe" in res.stdout
    assert res.argv[-1] == "abcdef0123"


def test_on_event_is_called_from_several_threads(env: dict[str, str]) -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def listener(display: str, result: CommandResult | None) -> None:
        with lock:
            seen.append("start" if result is None else "end")

    threads = [threading.Thread(target=runner.run, args=(["fake-tool", "echo", str(i)],),
                                kwargs={"env": env, "timeout": 10, "on_event": listener}) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == ["end"] * 4 + ["start"] * 4


def test_display_shows_paths_below_the_current_directory_relative(
        env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    kubeconfig = str(tmp_path / "liqo_kubeconf_newyork")
    res = runner.run(["fake-tool", "echo", "--kubeconfig", kubeconfig], env=env, timeout=10)
    assert res.display == "fake-tool echo --kubeconfig liqo_kubeconf_newyork"
    assert res.argv[-1] == kubeconfig  # the child got the absolute path
    elsewhere = runner.run(["fake-tool", "echo", kubeconfig], env=env, timeout=10, cwd=Path("/"))
    assert elsewhere.display.endswith(kubeconfig)


def test_keyboard_interrupt_stops_the_child_and_reraises(env: dict[str, str], tmp_path: Path) -> None:
    """SIGUSR1 stands in for Ctrl-C (the CLI turns SIGTERM into KeyboardInterrupt the same way)."""
    marker = tmp_path / "marker"

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, raise_interrupt)
    sender = _when_ready(marker, os.kill, os.getpid(), signal.SIGUSR1)
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(["fake-tool", "term", str(marker)], env=env, timeout=30, grace=5)
    finally:
        sender.join()
        signal.signal(signal.SIGUSR1, previous)
    assert marker.read_text().strip() == "term"


def test_terminate_all_stops_commands_of_other_threads(env: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    errors: list[BaseException] = []

    def work() -> None:
        try:
            runner.run(["fake-tool", "term", str(marker)], env=env, timeout=30)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    _when_ready(marker, runner.terminate_all, 5.0).join()
    thread.join(10)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], Interrupted)
    assert marker.read_text().strip() == "term"
    with pytest.raises(Interrupted):
        runner.run(["fake-tool", "echo"], env=env, timeout=5)
    runner.reset()
    assert runner.run(["fake-tool", "echo", "again"], env=env, timeout=5).stdout == "again\n"


def test_exec_failure_is_a_tool_failure(tmp_path: Path) -> None:
    bad = tmp_path / "bin" / "broken"
    bad.parent.mkdir()
    bad.write_text("#!/nonexistent/interpreter\n")
    bad.chmod(0o755)
    with pytest.raises(ToolFailed) as info:
        runner.run(["broken"], env={"PATH": str(bad.parent)}, timeout=5)
    assert info.value.result.exit_code == 127


def test_a_ctrl_c_while_sh_starts_the_child_still_stops_it(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C that lands after sh has forked the child but before the runner knows of it: held back
    until the child is registered, then delivered, so it stops that child instead of orphaning it."""
    real_spawn = runner._spawn
    pids: list[int] = []

    def spawn_then_ctrl_c(*args: object) -> object:
        proc = real_spawn(*args)  # type: ignore[arg-type]
        pids.append(proc.process.pid)
        signal.raise_signal(signal.SIGINT)
        return proc

    monkeypatch.setattr(runner, "_spawn", spawn_then_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(["fake-tool", "term", str(tmp_path / "marker")], env=env, timeout=60, grace=5)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert pids and not runner.running()
    deadline = time.monotonic() + 30
    while _alive(pids[0]) and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert not _alive(pids[0]), "the child outlived the Ctrl-C"
    assert signal.getsignal(signal.SIGINT) is previous


def test_a_ctrl_c_held_while_a_start_fails_is_not_lost(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start fails (exec error) after a Ctrl-C was held: the Ctrl-C wins, it is not swallowed."""

    def ctrl_c_then_fail(*args: object) -> object:
        signal.raise_signal(signal.SIGINT)
        raise OSError("exec format error")

    monkeypatch.setattr(runner, "_spawn", ctrl_c_then_fail)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(["fake-tool", "echo"], env=env, timeout=10)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not runner.running()
