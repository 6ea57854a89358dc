"""Simulated `kind create cluster`: kind's progress lines, the cluster in the daemon, the kubeconfig."""

from __future__ import annotations

import secrets
import shlex
import time
from pathlib import Path
from typing import Any

from liqo_tutor.sim import delays
from liqo_tutor.sim.store import ClusterSpec
from liqo_tutor.sim.tools import docker
from liqo_tutor.sim.tools.common import format_duration, pause, simdir
from liqo_tutor.sim.tools.kind_base import (
    DEFAULT_IMAGE,
    NAME_RE,
    SALUTATIONS,
    KindError,
    Log,
    check_docker,
    cluster_name,
    clusters,
    exists_message,
)
from liqo_tutor.sim.tools.kind_config import Config, k8s_version, load_config, node_names
from liqo_tutor.sim.tools.kind_kubeconfig import kubeconfig, kubeconfig_targets, merge_kubeconfig, server_of

__all__ = ["cmd_create_cluster"]


class _Steps:
    """kind's plain (non-TTY) status lines: ` • text  ...` at the start, ` ✓ text` / ` ✗ text` at the end."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.current = ""

    def start(self, text: str) -> None:
        self.current = text
        self.log(f" • {text}  ...")

    def done(self, ok: bool = True) -> None:
        self.log(f" {'✓' if ok else '✗'} {self.current}")


def _ensure_images(sd: Path, images: list[str], steps: _Steps, step_delay: float) -> None:
    for image in dict.fromkeys(img.split("@", 1)[0] for img in images):
        steps.start(f"Ensuring node image ({image}) 🖼")
        if docker.find_image(sd, image) is None:
            if not docker.known_image(image):
                steps.done(False)
                repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
                raise KindError(
                    f'failed to create cluster: failed to pull image "{image}": '
                    f'command "docker pull {image}" failed with error: exit status 1',
                    f"Error response from daemon: pull access denied for {repo}, repository does not exist "
                    "or may require 'docker login'")
            pause(delays.delay("image_pull"))
            docker.add_image(sd, image)
        else:
            pause(step_delay)
        steps.done()


def _start_cluster(sd: Path, spec: ClusterSpec, cfg: Config, images: list[str], token: str,
                   steps: _Steps) -> tuple[Any, dict[str, Any]]:
    from liqo_tutor.sim import client

    nodes = [n for n, _ in spec.nodes]
    try:
        control = client.ensure_daemon(sd)
        info = control.create_cluster(spec, kind={"token": token, "created": time.time()})
    except client.ControlError as exc:
        steps.done(False)
        if exc.code == 409 and exc.reason == "AlreadyExists":
            raise KindError(exists_message(spec.name)) from None
        cmd = (f"docker run --name {nodes[0]} --hostname {nodes[0]} --label io.x-k8s.kind.role=control-plane "
               f"--privileged --detach --tty --label io.x-k8s.kind.cluster={spec.name} --net kind "
               "--restart=on-failure:1 "
               f"--publish=127.0.0.1:{cfg.api_port}:6443/TCP {images[0]}")
        raise KindError(f'failed to create cluster: command "{cmd}" failed with error: exit status 125',
                        f"docker: Error response from daemon: {exc.message}.") from None
    except client.DaemonError as exc:
        steps.done(False)
        raise KindError(f"failed to create cluster: {exc}") from None
    steps.done()
    return control, info


def _bootstrap_steps(cfg: Config, roles: list[str]) -> list[str]:
    cp_count = roles.count("control-plane")
    texts = []
    if cp_count > 1:
        texts.append("Configuring the external load balancer ⚖️")
    texts += ["Writing configuration 📜", "Starting control-plane 🕹️"]
    if not cfg.disable_cni:
        texts.append("Installing CNI 🔌")
    texts.append("Installing StorageClass 💾")
    if cp_count > 1:
        texts.append("Joining more control-plane nodes 🎮")
    if len(roles) > cp_count:
        texts.append("Joining worker nodes 🚜")
    return texts


def _wait_ready(control: Any, name: str, wait: float, steps: _Steps) -> None:
    """`--wait`: poll the control-plane nodes' Ready condition for at most `wait` seconds."""
    steps.start(f"Waiting ≤ {format_duration(wait)} for control-plane = Ready ⏳")
    began = time.monotonic()

    def ready() -> bool:
        found = control.cluster(name) or {}
        cps = [n for n in found.get("nodes", []) if n["role"] == "control-plane"]
        return bool(cps) and all(n["ready"] for n in cps)

    ok = ready()
    while not ok and time.monotonic() - began < wait:
        time.sleep(0.05)
        ok = ready()
    steps.done(ok)
    if ok:
        steps.log(f" • Ready after {format_duration(time.monotonic() - began)} 💚")
    else:
        steps.log(" • WARNING: Timed out waiting for Ready ⚠️")


def _say_hello(name: str, explicit: str | None, log: Log) -> None:
    log(f'Set kubectl context to "kind-{name}"')
    log("You can now use your cluster with:")
    log("")
    sample = f"kubectl cluster-info --context kind-{name}"
    if explicit:
        sample += f" --kubeconfig {shlex.quote(str(explicit))}"
    log(sample)
    log("")
    log(SALUTATIONS[sum(name.encode()) % len(SALUTATIONS)])


def _config_and_name(values: dict[str, Any], sd: Path, log: Log) -> tuple[Config, str]:
    try:
        cfg = load_config(values.get("config") or None)
    except KindError as exc:
        raise KindError(f"failed to create cluster: {exc.message}", exc.output) from None
    name = cluster_name(values, cfg.name)
    if not NAME_RE.match(name):
        raise KindError(f"failed to create cluster: '{name}' is not a valid cluster name, cluster names must "
                        "match `^[a-z0-9.-]+$`")
    if name in clusters(sd):
        raise KindError(exists_message(name))
    if len(name) > 50:
        log(f'WARNING: cluster name "{name}" is probably too long, this might not work properly on some '
            "systems")
    return cfg, name


def cmd_create_cluster(values: dict[str, Any], args: list[str], log: Log) -> int:
    check_docker("failed to create cluster")
    sd = simdir()
    cfg, name = _config_and_name(values, sd, log)
    override = values.get("image")
    images = [str(override or img or DEFAULT_IMAGE) for _, img in cfg.nodes]
    roles = [r for r, _ in cfg.nodes]
    nodes = node_names(name, roles)
    step_delay = delays.delay("kind_create_step")
    create_began = time.time()
    log(f'Creating cluster "{name}" ...')
    steps = _Steps(log)
    _ensure_images(sd, images, steps, step_delay)
    steps.start("Preparing nodes " + "📦 " * len(nodes))
    pause(step_delay)
    control_plane_image = images[roles.index("control-plane")]
    spec = ClusterSpec(
        name=name, k8s_version=k8s_version(control_plane_image),
        service_subnet=cfg.service_subnet, pod_subnet=cfg.pod_subnet,
        nodes=tuple(zip(nodes, roles, strict=True)), api_port=cfg.api_port, image=control_plane_image,
    )
    token = secrets.token_hex(16)
    control, info = _start_cluster(sd, spec, cfg, images, token, steps)
    for text in _bootstrap_steps(cfg, roles):
        steps.start(text)
        pause(step_delay)
        steps.done()
    wait = float(values.get("wait") or 0.0)
    if wait > 0:
        _wait_ready(control, name, wait, steps)
    explicit = values.get("kubeconfig") or None
    fresh = kubeconfig(name, server_of(info, False), token)
    merge_kubeconfig(kubeconfig_targets(explicit, for_write=True)[0], fresh)
    _say_hello(name, explicit, log)
    delays.trace("kind_create", name, create_began, time.time() - create_began)
    return 0
