"""The command tree of each Liqo line and the entry point."""

from __future__ import annotations

import sys
from typing import Any

from liqo_tutor.sim.liqo.versions import (
    Line,
    client_version,
    line_of,
)
from liqo_tutor.sim.tools.liqoctl.cli import (
    CobraError,
    Command,
    Ctx,
    Failed,
    Flag,
    Printer,
    _all_flags,
    _help,
    parse_argv,
)
from liqo_tutor.sim.tools.liqoctl.common import PROG
from liqo_tutor.sim.tools.liqoctl.info import cmd_info, cmd_info_peer
from liqo_tutor.sim.tools.liqoctl.install import cmd_install
from liqo_tutor.sim.tools.liqoctl.offload import cmd_offload, cmd_unoffload
from liqo_tutor.sim.tools.liqoctl.peer_v0 import cmd_generate_peer, cmd_peer_oob, cmd_unpeer_oob
from liqo_tutor.sim.tools.liqoctl.peer_v1 import cmd_peer_v1, cmd_unpeer_v1
from liqo_tutor.sim.tools.liqoctl.status import cmd_status, cmd_status_peer
from liqo_tutor.sim.tools.liqoctl.uninstall import cmd_uninstall
from liqo_tutor.sim.tools.liqoctl.version import cmd_version

__all__ = ["build", "main"]


# --------------------------------------------------------------------------------------------
# the command tree, per line
# --------------------------------------------------------------------------------------------


def _group(name: str, subs: list[Command], **kw: Any) -> Command:
    return Command(name, subs=subs, args=None, **kw)


NS_FLAG = Flag("namespace", "str", "liqo", "n")
REMOTE_FLAGS = [
    Flag("remote-kubeconfig", "str", ""),
    Flag("remote-context", "str", ""),
    Flag("remote-cluster", "str", ""),
    Flag("remote-user", "str", ""),
    Flag("remote-namespace", "str", "liqo"),
]


def _root_flags(line: Line) -> list[Flag]:
    persistent = [
        Flag("kubeconfig", "str", ""),
        Flag("context", "str", ""),
        Flag("cluster", "str", ""),
        Flag("user", "str", ""),
        Flag("verbose", "bool", False, "v"),
    ]
    if line.has_skip_confirm:
        persistent.append(Flag("skip-confirm", "bool", False))
    if line.v1:
        persistent += [Flag("global-labels", "list", []), Flag("global-annotations", "list", [])]
    return persistent


def _install(line: Line) -> Command:
    v0, ns_flag = line.v0, NS_FLAG
    install_flags = [
        ns_flag,
        Flag("version", "str", ""),
        Flag("repo-url", "str", "https://github.com/liqotech/liqo"),
        Flag("local-chart-path", "str", ""),
        Flag("only-output-values", "bool", False),
        Flag("dump-values-path", "str", ""),
        Flag("dry-run", "bool", False),
        Flag("timeout", "dur", 600.0),
        Flag("cluster-labels", "list", []),
        Flag("reserved-subnets", "list", []),
        Flag("set", "list", []),
        Flag("disable-api-server-sanity-check", "bool", False),
        Flag("skip-validation", "bool", False),
        Flag("enable-metrics", "bool", False),
        Flag("disable-telemetry", "bool", False),
    ]
    if v0:
        install_flags += [
            Flag("cluster-name", "str", ""),
            Flag("sharing-percentage", "int", 90),
            Flag("enable-ha", "bool", False),
        ]
        if line.minor >= 10:
            install_flags += [Flag("values", "list", []), Flag("service-type", "str", "")]
    else:
        install_flags += [
            Flag("cluster-id", "str", ""),
            Flag("set-string", "list", []),
            Flag("values", "list", []),
            Flag("disable-kernel-version-check", "bool", False),
        ]
    bare = [Flag("pod-cidr", "str", ""), Flag("service-cidr", "str", ""), Flag("api-server-url", "str", "")]
    return Command(
        "install",
        flags=bare,
        persistent=install_flags,
        aliases=("upgrade",),
        run=cmd_install,
        subs=[Command(p, run=cmd_install) for p in ("kind", "kubeadm", "k3s", "eks", "gke", "aks")],
    )


def _offload(line: Line) -> list[Command]:
    offload_flags = [
        Flag("pod-offloading-strategy", "str", "LocalAndRemote"),
        Flag("namespace-mapping-strategy", "str", "DefaultName"),
        Flag("selector", "array", [], "l"),
        Flag("output", "str", "", "o"),
        Flag("timeout", "dur", 20.0),
    ]
    if line.v1 or line.minor >= 10:
        offload_flags.append(Flag("remote-namespace-name", "str", ""))
    ns_aliases = ("ns", "namespaces") if line.v1 and (line.minor, line.patch) >= (0, 1) else ("ns",)
    offload = _group(
        "offload",
        [Command("namespace", flags=offload_flags, aliases=ns_aliases, args=(1, 1), run=cmd_offload)],
    )
    unoffload = _group(
        "unoffload",
        [
            Command(
                "namespace",
                flags=[Flag("timeout", "dur", 120.0)],
                aliases=ns_aliases,
                args=(1, 1),
                run=cmd_unoffload,
            )
        ],
    )
    return [offload, unoffload]


def _v0_commands(line: Line) -> list[Command]:
    ns_flag = NS_FLAG
    oob_flags = [
        ns_flag,
        Flag("auth-url", "str", "", required=True),
        Flag("cluster-id", "str", "", required=True),
        Flag("auth-token", "str", "", required=True),
    ]
    unpeer_flags: list[Flag] = []
    if line.minor >= 10:
        oob_flags.append(Flag("incoming", "bool", False))
        unpeer_flags.append(Flag("incoming", "bool", False))
    return [
        _group(
            "generate",
            [
                Command(
                    "peer-command",
                    flags=[Flag("only-command", "bool", False), ns_flag],
                    run=cmd_generate_peer,
                )
            ],
        ),
        _group(
            "peer",
            [Command("out-of-band", flags=oob_flags, aliases=("oob",), args=(1, 1), run=cmd_peer_oob)],
            persistent=[Flag("timeout", "dur", 120.0)],
        ),
        _group(
            "unpeer",
            [Command("out-of-band", flags=unpeer_flags, aliases=("oob",), args=(1, 1), run=cmd_unpeer_oob)],
            persistent=[Flag("timeout", "dur", 120.0)],
        ),
        Command(
            "status",
            persistent=[ns_flag],
            run=cmd_status,
            subs=[Command("peer", aliases=("peers",), args=(0, 1000), run=cmd_status_peer)],
        ),
    ]


def _v1_commands(line: Line) -> list[Command]:
    ns_flag, remote = NS_FLAG, REMOTE_FLAGS
    peer_flags = [
        ns_flag,
        *remote,
        Flag("timeout", "dur", 600.0),
        Flag("skip-validation", "bool", False),
        Flag("networking-disabled", "bool", False),
        Flag("gw-server-service-location", "str", "Provider"),
        Flag("gw-server-service-type", "str", "LoadBalancer"),
        Flag("gw-server-service-port", "int", 51840),
        Flag("gw-server-service-nodeport", "int", 0),
        Flag("gw-server-service-loadbalancerip", "str", ""),
        Flag("gw-client-address", "str", ""),
        Flag("gw-client-port", "int", 0),
        Flag("mtu", "int", 1340),
        Flag("create-resource-slice", "bool", True),
        Flag("resource-slice-class", "str", "default"),
        Flag("in-band", "bool", False),
        Flag("proxy-url", "str", ""),
        Flag("create-virtual-node", "bool", True),
        Flag("cpu", "str", ""),
        Flag("memory", "str", ""),
        Flag("pods", "str", ""),
    ]
    if line.minor >= 2:
        peer_flags.append(Flag("resource", "list", []))
    return [
        _group("generate", [Command(n, run=lambda ctx: 0) for n in ("peering-user", "kubeconfig")]),
        Command("peer", flags=peer_flags, run=cmd_peer_v1),
        Command(
            "unpeer",
            flags=[
                ns_flag,
                *remote,
                Flag("timeout", "dur", 120.0),
                Flag("wait", "bool", True),
                Flag("delete-namespaces", "bool", False),
            ],
            run=cmd_unpeer_v1,
        ),
        Command(
            "info",
            persistent=[ns_flag, Flag("output", "str", "", "o"), Flag("get", "str", "", "g")],
            run=cmd_info,
            subs=[Command("peer", args=(0, 1000), run=cmd_info_peer)],
        ),
    ]


def build(line: Line) -> Command:
    ns_flag = NS_FLAG
    cmds = [
        Command("version", flags=[Flag("client", "bool", False), ns_flag], run=cmd_version),
        _install(line),
        Command(
            "uninstall",
            flags=[ns_flag, Flag("purge", "bool", False), Flag("timeout", "dur", 600.0)],
            run=cmd_uninstall,
        ),
        *_offload(line),
        *(_v0_commands(line) if line.v0 else _v1_commands(line)),
    ]
    return _group(PROG, cmds, persistent=_root_flags(line))


def main(argv: list[str]) -> int:
    version = client_version()
    line = line_of(version)
    root = build(line)
    try:
        chain, flags, args, want_help = parse_argv(root, list(argv))
        cmd = chain[-1]
        path = " ".join(c.name for c in chain)
        if want_help:
            sys.stdout.write(_help(chain))
            return 0
        if cmd.run is None:
            if args:
                raise CobraError(f'unknown command "{args[0]}" for "{path}"')
            sys.stdout.write(_help(chain))
            return 0
        lo, hi = cmd.args or (0, 0)
        if hi == 0 and args:
            raise CobraError(f'unknown command "{args[0]}" for "{path}"')
        if not lo <= len(args) <= hi:
            raise CobraError(
                f"accepts {lo} arg(s), received {len(args)}"
                if lo == hi
                else f"accepts between {lo} and {hi} arg(s), received {len(args)}"
            )
        missing = sorted(f.name for f in _all_flags(chain) if f.required and f.name not in flags["__seen__"])
        if missing:
            raise CobraError("required flag(s) " + ", ".join(f'"{m}"' for m in missing) + " not set")
        ctx = Ctx(line, version, [c.name for c in chain], flags, args, Printer(line))
        return cmd.run(ctx)
    except CobraError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"Error: {exc}\n")
        sys.stderr.flush()
        return 1
    except Failed:
        return 1
    except KeyboardInterrupt:
        return 1
