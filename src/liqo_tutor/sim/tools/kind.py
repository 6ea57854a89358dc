"""Simulated kind v0.29.0: clusters live in the playground daemon, kubeconfigs are written like kind does.

The command tree follows kind's pkg/cmd/kind (v0.29.0) on the shared cobra-like parser (cobra.py);
`kind create cluster` lives in kind_create.py, the config in kind_config.py, kubeconfigs in
kind_kubeconfig.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from liqo_tutor.sim import delays, faults
from liqo_tutor.sim.tools import docker
from liqo_tutor.sim.tools import kind_base as kb
from liqo_tutor.sim.tools.cobra import NO_ARGS, Command, Flag, UsageError, help_text, minimum_n, resolve
from liqo_tutor.sim.tools.common import DOCKER_DOWN, out, pause, simdir
from liqo_tutor.sim.tools.kind_base import (
    DEFAULT_IMAGE,
    GO_VERSION,
    KIND_VERSION,
    SALUTATIONS,
    KindError,
    Log,
    cluster_name,
    docker_failed,
    go_list,
    ps_cmd,
    token_of,
    wake,
)
from liqo_tutor.sim.tools.kind_create import cmd_create_cluster
from liqo_tutor.sim.tools.kind_kubeconfig import (
    kubeconfig,
    kubeconfig_targets,
    merge_kubeconfig,
    remove_from_kubeconfig,
    server_of,
)

__all__ = ["DEFAULT_IMAGE", "KIND_VERSION", "SALUTATIONS", "build", "main", "wake"]

Run = Callable[[dict[str, Any], list[str], Log], int]


# --- commands ------------------------------------------------------------------------------------

def _delete_one(sd: Path, name: str, explicit: str | None, log: Log, clusters: dict[str, Any]) -> bool:
    for path in kubeconfig_targets(explicit, for_write=False):
        remove_from_kubeconfig(path, name)
    if name not in clusters:
        return False
    pause(delays.delay("kind_delete"))
    ctl = kb.control(sd, start=True)
    result = ctl.delete_cluster(name) if ctl is not None else {"nodes": []}
    containers = kb.node_containers(clusters[name])
    nodes = [n for n in result.get("nodes") or [] if n in containers] or containers
    log(f"Deleted nodes: {go_list(nodes)}")
    return True


def cmd_delete_cluster(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = cluster_name(values)
    log(f'Deleting cluster "{name}" ...')
    if faults.docker_down():
        raise KindError(f'failed to delete cluster "{name}": error listing nodes: failed to list nodes: '
                        f"{docker_failed(ps_cmd(name), '').message}", DOCKER_DOWN)
    sd = simdir()
    _delete_one(sd, name, values.get("kubeconfig") or None, log, kb.clusters(sd))
    return 0


def cmd_delete_clusters(values: dict[str, Any], args: list[str], log: Log) -> int:
    if faults.docker_down():
        raise KindError(f"failed to list clusters: {docker_failed(ps_cmd(None), '').message}", DOCKER_DOWN)
    sd = simdir()
    found = kb.clusters(sd)
    if values.get("all"):
        names = sorted(found)
    elif args:
        names = list(args)
    else:
        raise KindError("no cluster names provided")
    deleted = []
    for name in names:
        if _delete_one(sd, name, values.get("kubeconfig") or None, log, found):
            deleted.append(name)
    log(f"Deleted clusters: {go_list(deleted)}")
    return 0


def cmd_get_clusters(values: dict[str, Any], args: list[str], log: Log) -> int:
    if faults.docker_down():
        raise KindError(f"failed to list clusters: {docker_failed(ps_cmd(None), '').message}", DOCKER_DOWN)
    sd = simdir()
    ctl = kb.control(sd, start=False)
    names = sorted({c["name"] for c in ctl.clusters()}) if ctl is not None else kb.state_clusters(sd)
    if not names:
        log("No kind clusters found.")
        return 0
    out("".join(n + "\n" for n in names))
    return 0


def cmd_get_nodes(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = cluster_name(values)
    if faults.docker_down():
        raise KindError(f"failed to list nodes: {docker_failed(ps_cmd(name), '').message}", DOCKER_DOWN)
    found = kb.clusters(simdir())
    wanted = sorted(found) if values.get("all-clusters") else [name]
    nodes = [n for c in wanted if c in found for n in kb.node_containers(found[c])]
    if not nodes:
        log(f'No kind nodes found for cluster "{name}".')
        return 0
    out("".join(n + "\n" for n in nodes))
    return 0


def _locate(name: str) -> dict[str, Any]:
    if faults.docker_down():
        raise KindError(f"failed to list nodes: {docker_failed(ps_cmd(name), '').message}", DOCKER_DOWN)
    info = kb.clusters(simdir()).get(name)
    if info is None:
        raise KindError(f"could not locate any control plane nodes for cluster named '{name}'. "
                        "Use the --name option to select a different cluster")
    return info


def cmd_get_kubeconfig(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = cluster_name(values)
    info = _locate(name)
    cfg = kubeconfig(name, server_of(info, bool(values.get("internal"))), token_of(info))
    out(yaml.safe_dump(cfg, sort_keys=True, default_flow_style=False) + "\n")
    return 0


def cmd_export_kubeconfig(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = cluster_name(values)
    info = _locate(name)
    cfg = kubeconfig(name, server_of(info, bool(values.get("internal"))), token_of(info))
    merge_kubeconfig(kubeconfig_targets(values.get("kubeconfig") or None, for_write=True)[0], cfg)
    log(f'Set kubectl context to "kind-{name}"')
    return 0


def cmd_load_image(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = cluster_name(values)
    sd = simdir()
    down = faults.docker_down()
    entries = []
    for image in args:
        entry = None if down else docker.find_image(sd, image)
        if entry is None:
            raise KindError(f'image: "{image}" not present locally')
        entries.append((image, entry))
    info = kb.clusters(sd).get(name)
    if info is None:
        raise KindError(f'no nodes found for cluster "{name}"')
    only = set(values.get("nodes") or ())
    containers = kb.node_containers(info)
    unknown = [n for n in values.get("nodes") or () if n not in containers]
    if unknown:  # kind pkg/cmd/kind/load/docker-image/docker-image.go
        raise KindError(f'unknown node: "{unknown[0]}"')
    nodes = [n for n in containers if not only or n in only]
    ctl = kb.control(sd, start=True)
    for image, entry in entries:
        already = any(e.get("image") == image and e.get("id") == entry["id"] for e in info.get("images", []))
        if already:
            log(f'Image: "{image}" with ID "{entry["id"]}" found to be already present on all nodes.')
            continue
        for node in nodes:
            log(f'Image: "{image}" with ID "{entry["id"]}" not yet present on node "{node}", loading...')
        pause(delays.delay("image_pull") / 2)
        ctl.load_image(name, image, str(entry["id"]), int(entry.get("size", 0)))
    return 0


def cmd_version(values: dict[str, Any], args: list[str], log: Log) -> int:
    if values.get("quiet"):
        out(KIND_VERSION + "\n")
    else:
        out(f"kind v{KIND_VERSION} {GO_VERSION} linux/amd64\n")
    return 0



def _group_run(values: dict[str, Any], args: list[str], log: Log) -> int:
    """kind's group commands (create, delete, get, export, load) print their help, then fail."""
    raise KindError("Subcommand is required")


def _images_required(path: str, args: list[str]) -> str | None:
    return None if args else "a list of image names is required"


def build() -> Command[Run]:
    """kind's command tree (pkg/cmd/kind/**: Use, Short, Long, Args and flags of v0.29.0)."""
    kubeconfig_flag = Flag("kubeconfig",
                           help="sets kubeconfig path instead of $KUBECONFIG or $HOME/.kube/config")
    internal = Flag("internal", "bool", help="use internal address instead of external")

    def name(text: str = "the cluster context name", default: str = "kind") -> Flag:
        return Flag("name", "str", default, "n", help=text)

    def group(word: str, about: str, *subs: Command[Run], long: str = "", args: Any = None) -> Command[Run]:
        return Command(word, about, long=long or about, subs=list(subs), run=_group_run, args=args)

    create = group("create", "Creates one of [cluster]", Command(
        "cluster", "Creates a local Kubernetes cluster",
        long="Creates a local Kubernetes cluster using Docker container 'nodes'", args=NO_ARGS,
        run=cmd_create_cluster,
        flags=[name("cluster name, overrides KIND_CLUSTER_NAME, config (default kind)", ""),
               Flag("config", help="path to a kind config file"),
               Flag("image", help="node docker image to use for booting the cluster"),
               Flag("retain", "bool", help="retain nodes for debugging when cluster creation fails"),
               Flag("wait", "duration", help="wait for control plane node to be ready (default 0s)"),
               kubeconfig_flag]), long="Creates one of local Kubernetes cluster (cluster)")
    delete = group(
        "delete", "Deletes one of [cluster]",
        Command("cluster", "Deletes a cluster", args=NO_ARGS, run=cmd_delete_cluster,
                flags=[name("the cluster name"), kubeconfig_flag]),
        Command("clusters", "Deletes one or more clusters", args=minimum_n(0), run=cmd_delete_clusters,
                flags=[kubeconfig_flag, Flag("all", "bool", short="A", help="delete all clusters")]))
    get = group(
        "get", "Gets one of [clusters, nodes, kubeconfig]",
        Command("clusters", "Lists existing kind clusters by their name", args=NO_ARGS, run=cmd_get_clusters),
        Command("nodes", "Lists existing kind nodes by their name", args=NO_ARGS, run=cmd_get_nodes,
                flags=[name(), Flag("all-clusters", "bool", short="A", help=(
                    "If present, list all the available nodes across all cluster contexts. Current context "
                    "is ignored even if specified with --name."))]),
        Command("kubeconfig", "Prints cluster kubeconfig", args=NO_ARGS, run=cmd_get_kubeconfig,
                flags=[name(), internal]))
    export = group("export", "Exports one of [kubeconfig, logs]", Command(
        "kubeconfig", "Exports cluster kubeconfig", args=NO_ARGS, run=cmd_export_kubeconfig,
        flags=[name(), kubeconfig_flag, internal]))
    load = group("load", "Loads images into nodes", Command(
        "docker-image", "Loads docker images from host into nodes", use="docker-image <IMAGE> [IMAGE...]",
        long="Loads docker images from host into all or specified nodes by name", args=_images_required,
        run=cmd_load_image,
        flags=[name(), Flag("nodes", "list", help="comma separated list of nodes to load images into")]),
        long="Loads images into node from an archive or image on host", args=NO_ARGS)
    version: Command[Run] = Command("version", "Prints the kind CLI version", run=cmd_version)
    return Command(
        "kind", "kind is a tool for managing local Kubernetes clusters",
        long="kind creates and manages local Kubernetes clusters using Docker container 'nodes'",
        version=KIND_VERSION, subs=[create, delete, get, export, load, version],
        persistent=[
            Flag("verbosity", "int32", 0, "v", help="info log verbosity, higher value produces more output"),
            Flag("quiet", "bool", False, "q", help="silence all stderr output")])


def main(argv: list[str]) -> int:
    log = Log("-q" in argv or "--quiet" in argv)
    try:
        inv = resolve(build(), argv)
        log = Log(bool(inv.values.get("quiet")))
        if inv.help:
            out(inv.help_output())
            return 0
        if inv.version:
            out(f"kind version {KIND_VERSION}\n")
            return 0
        if "name" not in inv.seen:
            inv.values["name"] = ""  # cli.OverrideDefaultName: KIND_CLUSTER_NAME, then the default
        run = inv.command.run
        assert run is not None
        if run is _group_run:
            out(help_text(inv.chain))
        return run(inv.values, inv.args, log)
    except UsageError as exc:
        log(f"ERROR: {exc.message}")
        return 1
    except KindError as exc:
        log(f"ERROR: {exc.message}")
        if exc.output:
            log(f"\nCommand Output: {exc.output}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
