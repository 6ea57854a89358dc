"""`make bench`: how close liqo-tutor runs the tutorial to its critical path, and what it costs itself.

Every figure is measured on whole `liqo-tutor` processes driving the simulated playground (real
kubectl), except `overhead_ms_per_call`, which times the subprocess seam in-process. Medians of
several runs are reported with min and max; the JSON lands in bench-results.json.

Critical path: the playground appends one line per simulated duration it imposes (tool work such as
`kind create` steps or a Helm install, controller delays such as image pulls, pod start, peering
stages, reflection), tagged with the cluster it keeps busy. The tutorial's steps are sequential by
definition; within a step the clusters are independent. So the lower bound no scheduler can beat is
the sum over steps of the busiest cluster's busy time (the union of its intervals) in that step.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TUTOR = [sys.executable, "-m", "liqo_tutor"]
STEPS = ("provision", "peer", "offload", "consume")
CLUSTERS = ("london", "newyork")
TARGETS = {
    "wall_ratio_critical": ("<=", 1.10),
    "wall_ratio_sequential": ("<=", 0.60),
    "detect_slack_s": ("<=", 0.25),
    "overhead_ms_per_call": ("<=", 10.0),
    "startup_ms": ("<=", 250.0),
    "instant_run_s": ("<=", 10.0),
    "idle_daemon_cpu_percent": ("<=", 0.5),
}


def _figure(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def _peak_rss_watch(proc: subprocess.Popen[str], out: list[int]) -> None:
    """Poll VmHWM (the process's own peak resident set) until it exits."""
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)


def _tutor(
    workdir: Path,
    args: Sequence[str],
    env: dict[str, str],
    rss: list[int] | None = None,
    timeout: float = 600,
) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*TUTOR, *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    watcher = None
    if rss is not None:
        watcher = threading.Thread(target=_peak_rss_watch, args=(proc, rss), daemon=True)
        watcher.start()
    out, err = proc.communicate(timeout=timeout)
    elapsed = time.perf_counter() - start
    if watcher is not None:
        watcher.join()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), elapsed


def _plain_kubectl_dir() -> str | None:
    """A directory whose `kubectl` is one plain binary, when the machine's is a version dispatcher.

    Google Cloud SDK's `kubectl` asks the server for its version, then starts the matching
    `kubectl.1.XX` next to it: two process starts and a round trip per call that a user's single
    kubectl binary does not pay. The bench measures liqo-tutor, so it uses the binary the dispatcher
    would pick for the tutorial's clusters (the node image of manifests/kind-v1.yaml) directly.
    """
    found = shutil.which("kubectl")
    if found is None:
        return None
    probe = subprocess.run([found, "version", "--client"], capture_output=True, text=True)
    if "dispatcher" not in probe.stdout:
        return None
    config = (REPO / "manifests" / "kind-v1.yaml").read_text()
    minor = config.split("kindest/node:v1.", 1)[1].split(".", 1)[0]
    direct = Path(os.path.realpath(found)).parent / f"kubectl.1.{minor}"
    if not direct.exists():
        return None
    folder = Path(tempfile.mkdtemp(prefix="liqo-tutor-bench-kubectl-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "kubectl").symlink_to(direct)
    return str(folder)


_PLAIN_KUBECTL: list[str | None] = []


def _env(**extra: str) -> dict[str, str]:
    """The environment of every process the bench starts. As installed: byte code is cached (pip
    compiles it at install time; a PYTHONDONTWRITEBYTECODE left in the shell would make each of the
    ~40 simulated tool processes of a run compile its modules again, a cost no installed copy has)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIQO_TUTOR_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(NO_COLOR="1", **extra)
    if not _PLAIN_KUBECTL:
        _PLAIN_KUBECTL.append(_plain_kubectl_dir())
    if _PLAIN_KUBECTL[0] is not None:
        env["PATH"] = _PLAIN_KUBECTL[0] + os.pathsep + env.get("PATH", "")
    return env


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for s, e in sorted(intervals):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def _step_windows(result: dict[str, Any], transcript: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Absolute [start, end] of each step: its commands (from --json) found in the transcript, in order."""
    pool: dict[str, list[dict[str, Any]]] = {}
    for entry in transcript:
        pool.setdefault(entry["display"], []).append(entry)
    windows = {}
    for step in result["steps"]:
        starts, ends = [], []
        for cmd in step["commands"]:
            candidates = pool.get(cmd.get("command") or cmd.get("display") or "") or []
            if candidates:
                e = candidates.pop(0)
                starts.append(e["started"])
                ends.append(e["started"] + e["duration"])
        if starts:
            windows[step["id"]] = (min(starts), max(ends))
    return windows


def _critical_path(trace: list[dict[str, Any]], windows: dict[str, tuple[float, float]]) -> float:
    total = 0.0
    for step in STEPS:
        if step not in windows:
            continue
        ws, we = windows[step]
        busiest = 0.0
        for cluster in CLUSTERS:
            spans = [
                (max(t["start"], ws), min(t["end"], we))
                for t in trace
                if t["cluster"] in (cluster, None) and t["end"] > ws and t["start"] < we
            ]
            busiest = max(busiest, _union([s for s in spans if s[1] > s[0]]))
        total += busiest
    return total


def _detect_slack(
    records: list[list[Any]], transcript: list[dict[str, Any]], span: tuple[float, float]
) -> list[float]:
    """For each condition that became true while liqo-tutor itself was the one watching (no kind or
    liqoctl call running, which would be the tool's own wait): the time until the first of its kubectl
    calls on that cluster ended, i.e. the earliest the runner could act on it."""
    samples = []
    for t_rec, cluster, _what in records:
        if not span[0] <= t_rec <= span[1]:
            continue
        if any(
            e["argv"][0] != "kubectl" and e["started"] <= t_rec <= e["started"] + e["duration"]
            for e in transcript
        ):
            continue
        after = [
            e["started"] + e["duration"]
            for e in transcript
            if e["cluster"] in (cluster, None)
            and e["argv"][0] == "kubectl"
            and e["started"] + e["duration"] >= t_rec
        ]
        if after:
            samples.append(min(after) - t_rec)
    return samples


def _discard(work: Path) -> None:
    """Throw a benchmark playground away: stop its server (no process left) and delete the folder."""
    from liqo_tutor.sim.client import stop

    stop(work / ".liqo-tutor" / "sim")
    shutil.rmtree(work, ignore_errors=True)


def realistic_run(scale: float, sequential: bool) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="liqo-tutor-bench-"))
    trace_file = work / "trace.jsonl"
    env = _env(
        LIQO_TUTOR_SIM_SPEED="realistic",
        LIQO_TUTOR_SIM_REALISTIC_SCALE=str(scale),
        LIQO_TUTOR_SIM_TRACE=str(trace_file),
    )
    try:
        args = ["run", "service-offloading", "--simulate", "--to", "consume", "--json"]
        if sequential:
            args.append("--sequential")
        res, _ = _tutor(work, args, env)
        if res.returncode != 0:
            raise SystemExit(f"bench: realistic run failed (exit {res.returncode}):\n{res.stderr[-2000:]}")
        result = json.loads(res.stdout)
        transcript = [
            json.loads(x) for x in (work / ".liqo-tutor" / "transcript.jsonl").read_text().splitlines()
        ]
        trace = [json.loads(x) for x in trace_file.read_text().splitlines()] if trace_file.exists() else []
        windows = _step_windows(result, transcript)
        span = (min(w[0] for w in windows.values()), max(w[1] for w in windows.values()))
        wall = span[1] - span[0]
        state = json.loads((work / ".liqo-tutor" / "sim" / "state.json").read_text())
        slack = _detect_slack(state.get("records", []), transcript, span)
        return {
            "wall": wall,
            "critical": _critical_path(trace, windows),
            "slack": statistics.median(slack) if slack else float("nan"),
            "calls": float(len(transcript)),
        }
    finally:
        _discard(work)


def instant_run(keep: list[Path] | None = None) -> tuple[float, int, int]:
    """`run --to consume` at speed 0; with `keep`, its playground stays up (appended) for the caller."""
    work = Path(tempfile.mkdtemp(prefix="liqo-tutor-bench-"))
    try:
        rss: list[int] = []
        res, elapsed = _tutor(
            work,
            ["run", "service-offloading", "--simulate", "--to", "consume"],
            _env(LIQO_TUTOR_SIM_SPEED="0"),
            rss=rss,
        )
        if res.returncode != 0:
            raise SystemExit(f"bench: instant run failed (exit {res.returncode}):\n{res.stdout[-2000:]}")
        calls = len((work / ".liqo-tutor" / "transcript.jsonl").read_text().splitlines())
        if keep is not None:
            keep.append(work)
        return elapsed, max(rss, default=0), calls
    finally:
        if keep is None or work not in keep:
            _discard(work)


# -- idle cost of the playground (issue 10): its daemon sleeps until a timer, a change or a request ----
IDLE_SETTLE_S = 5.0  # the daemon's safety-net ticks end 3 s after the last change
IDLE_WINDOW_S = 60.0


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_daemon_cpu_percent(
    work: Path, settle: float = IDLE_SETTLE_S, window: float = IDLE_WINDOW_S
) -> float:
    """Percent of one core used by the daemon of a playground left up after the tutorial (`run --to
    consume` in `work`: two clusters peered, the app offloaded) while nothing happens in it: `settle`
    seconds after the run, over `window` seconds. It counts the daemon's own CPU time (utime + stime),
    which other processes on the machine do not add to, so it is measured while the bench goes on."""
    pid = int(json.loads((work / ".liqo-tutor" / "sim" / "daemon.json").read_text())["pid"])
    time.sleep(settle)
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return 100.0 * (_cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)


class _Background(threading.Thread):
    """A figure measured while the bench goes on; `result()` waits for it."""

    def __init__(self, fn: Callable[[], float]) -> None:
        super().__init__(daemon=True)
        self._fn = fn
        self._value: float | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in result()
            self._error = exc

    def result(self) -> float:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


STARTUP_COMMANDS = (("--help",), ("list",), ("show",), ("status",))


def startup(n: int) -> dict[str, list[float]]:
    """Wall time (ms) of whole `liqo-tutor` processes for each command of STARTUP_COMMANDS, in rounds
    (one run of each command per round, so that noise on the machine hits them alike), after a
    warm-up round. As installed: byte code is cached (PYTHONDONTWRITEBYTECODE unset) and so is the
    validated tutorial (in a cache folder of this bench's own)."""
    work = Path(tempfile.mkdtemp(prefix="liqo-tutor-bench-"))
    env = _env(XDG_CACHE_HOME=str(work / "cache"))
    times: dict[str, list[float]] = {" ".join(c): [] for c in STARTUP_COMMANDS}
    try:
        for round_ in range(n + 1):
            for args in STARTUP_COMMANDS:
                res, elapsed = _tutor(work, args, env)
                if res.returncode != 0:
                    raise SystemExit(f"bench: `liqo-tutor {' '.join(args)}` failed: {res.stderr}")
                if round_:
                    times[" ".join(args)].append(elapsed * 1000)
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def seam_overhead(n: int) -> list[float]:
    """The seam's own cost per call: runner.run(true) minus a bare posix_spawn+wait of true, paired."""
    from liqo_tutor.tools import runner

    true = shutil.which("true") or "/bin/true"
    env = dict(os.environ)

    def bare() -> None:
        pid = os.posix_spawn(true, [true], env)
        os.waitpid(pid, 0)

    def seam() -> None:
        runner.run([true], env=env, timeout=10)

    diffs = []
    for _ in range(n):
        t0 = time.perf_counter()
        bare()
        t1 = time.perf_counter()
        seam()
        t2 = time.perf_counter()
        diffs.append(((t2 - t1) - (t1 - t0)) * 1000)
    return diffs


def _timed(label: str, fn: Callable[[], Any]) -> Any:
    print(f"  {label} ...", file=sys.stderr, flush=True)
    return fn()


def _realistic_pairs(runs: int, scale: float) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """`runs` realistic runs and as many --sequential ones, interleaved, so that noise on the machine
    hits both alike."""
    par: list[dict[str, float]] = []
    seq: list[dict[str, float]] = []
    for i in range(runs):
        par.append(_timed(f"realistic run {i + 1}/{runs}", lambda: realistic_run(scale, False)))
        seq.append(_timed(f"realistic --sequential run {i + 1}/{runs}", lambda: realistic_run(scale, True)))
    return par, seq


def _realistic_figures(
    par: list[dict[str, float]], seq: list[dict[str, float]]
) -> dict[str, dict[str, float]]:
    return {
        "wall_ratio_critical": _figure([r["wall"] / r["critical"] for r in par]),
        "wall_ratio_sequential": _figure([p["wall"] / s["wall"] for p, s in zip(par, seq, strict=True)]),
        "detect_slack_s": _figure([r["slack"] for r in par if r["slack"] == r["slack"]] or [float("nan")]),
        "realistic_wall_s": _figure([r["wall"] for r in par]),
        "realistic_critical_path_s": _figure([r["critical"] for r in par]),
        "sequential_wall_s": _figure([s["wall"] for s in seq]),
    }


def _all_figures(opts: argparse.Namespace) -> dict[str, dict[str, float]]:
    starts = _timed("startup: --help, list, show, status", lambda: startup(8))
    overhead = _timed("seam overhead", lambda: seam_overhead(200))
    kept: list[Path] = []  # the last instant run's playground: the idle figure's
    instant = []
    for i in range(opts.runs):
        keep = kept if i == opts.runs - 1 else None
        instant.append(_timed(f"instant run {i + 1}/{opts.runs}", partial(instant_run, keep)))
    print(f"  idle playground daemon ({IDLE_WINDOW_S:g} s, alongside what follows) ...", file=sys.stderr)
    idle = _Background(lambda: idle_daemon_cpu_percent(kept[0]))
    idle.start()
    try:
        par, seq = _realistic_pairs(opts.runs, opts.scale)
        idle_cpu = idle.result()
    finally:  # on a failure the measuring thread (a daemon thread) is left behind
        for work in kept:
            _discard(work)
    realistic = _realistic_figures(par, seq)
    return {
        "wall_ratio_critical": realistic.pop("wall_ratio_critical"),
        "wall_ratio_sequential": realistic.pop("wall_ratio_sequential"),
        "detect_slack_s": realistic.pop("detect_slack_s"),
        "overhead_ms_per_call": _figure(overhead),
        "startup_ms": _figure(max(starts.values(), key=statistics.median)),  # the slowest command
        **{f"startup_{cmd.strip('-')}_ms": _figure(ms) for cmd, ms in starts.items()},
        "instant_run_s": _figure([i[0] for i in instant]),
        "peak_rss_mb": _figure([i[1] / 1024 for i in instant]),
        **realistic,
        "tool_calls_per_run": _figure([float(i[2]) for i in instant]),
        "idle_daemon_cpu_percent": _figure([idle_cpu]),
    }


def _print_table(figures: dict[str, dict[str, float]]) -> None:
    rows = []
    for key, fig in figures.items():
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"target {target[0]} {target[1]:g}: " + (
                "met" if fig["median"] <= target[1] else "MISSED"
            )
        rows.append((key, f"{fig['median']:.3f}", f"[{fig['min']:.3f}-{fig['max']:.3f}]", verdict))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure'.ljust(width)}  {'median':>9}  {'range':<19}  verdict")
    for key, med, rng, verdict in rows:
        print(f"{key.ljust(width)}  {med:>9}  {rng:<19}  {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per end-to-end figure (default 3)")
    parser.add_argument(
        "--scale", type=float, default=0.08, help="realistic durations are multiplied by this (default 0.08)"
    )
    parser.add_argument(
        "--only",
        choices=("realistic",),
        help="only these figures (realistic: the interleaved realistic and --sequential runs)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench-results.json")
    opts = parser.parse_args(argv)
    if (
        shutil.which("kubectl") is None
        and shutil.which("kubectl", path=str(Path(sys.executable).parent)) is None
    ):
        raise SystemExit("bench: the real kubectl is needed (make install provides it)")

    print("liqo-tutor bench (medians; min-max in brackets)", file=sys.stderr)
    if opts.only == "realistic":
        figures = _realistic_figures(*_realistic_pairs(opts.runs, opts.scale))
    else:
        figures = _all_figures(opts)
    _print_table(figures)
    payload = {
        "scale": opts.scale,
        "runs": opts.runs,
        "cores": os.cpu_count(),
        "only": opts.only or "all",
        "kubectl": "plain binary, dispatcher bypassed" if _PLAIN_KUBECTL and _PLAIN_KUBECTL[0] else "PATH",
        **{k: round(v["median"], 4) for k, v in figures.items()},
        "details": figures,
    }
    opts.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten to {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
