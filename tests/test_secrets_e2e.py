"""The v0.x auth token and the kubeconfig credentials never leave the playground through liqo-tutor.

One v0.10.3 playground goes through a failed peering (the generated command is rejected by the
simulated liqoctl, so its re-runnable command is shown), the successful run with every command's
output (-v), JSON results, and the teardown. Then every byte the tool printed and every file it wrote
in the working directory is searched for newyork's token, read from newyork's Secret `auth-token`
with the real kubectl. Only `.liqo-tutor/sim/` (the simulated clusters' own storage) is excluded.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from lines_cli import cleanup, hermetic_env, require_kubectl, tutor

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Session:
    workdir: Path
    printed: list[tuple[str, str]] = field(default_factory=list)  # (what, text)
    token: str = ""
    kube_token: str = ""
    files_before_teardown: dict[str, bytes] = field(default_factory=dict)
    results: dict[str, int] = field(default_factory=dict)


def _no_retries(tmp: Path) -> Path:
    """A copy of the steps whose peering is not retried: the injected failure then ends the step."""
    steps = tmp / "steps"
    shutil.copytree(REPO / "steps", steps)
    (tmp / "manifests").symlink_to(REPO / "manifests")  # a tutorial's manifests sit next to its steps
    path = steps / "service-offloading.yaml"
    text = path.read_text()
    marker = "        retries: 4\n        retry_delay: 5s\n"
    assert text.count(marker) == 1, "the peer action's retries changed; update this test"
    path.write_text(text.replace(marker, ""))
    return steps


def _files(workdir: Path) -> dict[str, bytes]:
    sim = workdir / ".liqo-tutor" / "sim"
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted(workdir.rglob("*"))
        if p.is_file() and sim not in p.parents
    }


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, kubectl_path: str) -> Iterator[Session]:
    workdir = tmp_path_factory.mktemp("secrets")
    env = hermetic_env(tmp_path_factory.mktemp("home"), "v0.10.3")
    s = Session(workdir)

    def step(what: str, *args: str, **extra: str) -> None:
        res = tutor(workdir, dict(env, **extra), *args)
        s.results[what] = res.returncode
        s.printed += [(f"{what} stdout", res.stdout), (f"{what} stderr", res.stderr)]

    try:
        step("provision", "run", "--simulate", "--to", "provision")
        steps = _no_retries(tmp_path_factory.mktemp("steps"))
        step(
            "failed peer",
            "step", "peer", "--simulate", "--json", "--steps-dir", str(steps),
            LIQO_TUTOR_SIM_FAULTS="liqoctl peer out-of-band:fail",
        )  # fmt: skip
        step("run", "run", "--simulate", "-v")
        step("status", "status", "--simulate", "--json")
        secret = subprocess.run(
            [kubectl_path, "get", "secret", "auth-token", "-n", "liqo", "-o", "jsonpath={.data.token}",
             "--kubeconfig", str(workdir / "liqo_kubeconf_newyork")],
            capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert secret.returncode == 0, secret.stderr
        s.token = base64.b64decode(secret.stdout).decode()
        kubeconfig = yaml.safe_load((workdir / "liqo_kubeconf_london").read_text())
        s.kube_token = kubeconfig["users"][0]["user"]["token"]
        s.files_before_teardown = _files(workdir)
        step("teardown", "teardown", "--simulate", "-v")
        yield s
    finally:
        cleanup(workdir, env)


@pytest.fixture(scope="module")
def kubectl_path() -> str:
    return require_kubectl()


def test_the_flow_ran_failed_where_injected_and_masked_the_token(session: Session) -> None:
    assert re.fullmatch(r"[0-9a-f]{128}", session.token), "newyork's auth token has the v0.x shape"
    assert session.results == {"provision": 0, "failed peer": 1, "run": 0, "status": 0, "teardown": 0}
    failed = dict(session.printed)["failed peer stdout"]
    # The failure names the command to re-run, with the token masked.
    assert re.search(r"liqoctl peer out-of-band newyork --auth-url \S+ --cluster-id \S+ --auth-token '?\*\*\*", failed)
    run = dict(session.printed)["run stdout"]
    assert "--auth-token '***'" in run


def test_the_token_is_nowhere_in_output_or_files(session: Session) -> None:
    token = session.token
    shapes = {
        "token": token.encode(),
        "base64 token": base64.b64encode(token.encode()),
        "token prefix": token[:32].encode(),
    }
    after = _files(session.workdir)
    assert ".liqo-tutor/state.json" in after and ".liqo-tutor/transcript.jsonl" in after
    everything = [(what, text.encode()) for what, text in session.printed]
    everything += [(f"file {name} (before teardown)", data) for name, data in session.files_before_teardown.items()]
    everything += [(f"file {name}", data) for name, data in after.items()]
    leaks = [(what, label) for what, data in everything for label, needle in shapes.items() if needle in data]
    assert leaks == []


def test_kubeconfig_credentials_are_never_printed(session: Session) -> None:
    assert len(session.kube_token) >= 16
    printed = "".join(text for _, text in session.printed)
    assert session.kube_token not in printed
    transcript = (session.workdir / ".liqo-tutor" / "transcript.jsonl").read_text()
    assert session.kube_token not in transcript
