"""The command tree of each Liqo line and the entry point."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from liqo_tutor.sim.liqo.versions import (
    Line,
    client_version,
    line_of,
)
from liqo_tutor.sim.tools.cobra import ARBITRARY, NO_ARGS, Flag, UsageError, exact_n, resolve
from liqo_tutor.sim.tools.cobra import Command as _Command
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Failed, Printer
from liqo_tutor.sim.tools.liqoctl.common import PROG

__all__ = ["build", "main"]


# --------------------------------------------------------------------------------------------
# the command tree, per line
# --------------------------------------------------------------------------------------------


Run = Callable[[Ctx], int]
Command = _Command[Run]


def _lazy(module: str, name: str) -> Run:
    """The command `name` of liqoctl/`module`.py, imported when it runs: a call loads one command's module."""

    def run(ctx: Ctx) -> int:
        fn: Run = getattr(importlib.import_module(f"liqo_tutor.sim.tools.liqoctl.{module}"), name)
        return fn(ctx)

    return run


cmd_info, cmd_info_peer = _lazy("info", "cmd_info"), _lazy("info", "cmd_info_peer")
cmd_install = _lazy("install", "cmd_install")
cmd_offload, cmd_unoffload = _lazy("offload", "cmd_offload"), _lazy("offload", "cmd_unoffload")
cmd_generate_peer = _lazy("peer_v0", "cmd_generate_peer")
cmd_peer_oob, cmd_unpeer_oob = _lazy("peer_v0", "cmd_peer_oob"), _lazy("peer_v0", "cmd_unpeer_oob")
cmd_peer_v1, cmd_unpeer_v1 = _lazy("peer_v1", "cmd_peer_v1"), _lazy("peer_v1", "cmd_unpeer_v1")
cmd_status, cmd_status_peer = _lazy("status", "cmd_status"), _lazy("status", "cmd_status_peer")
cmd_uninstall = _lazy("uninstall", "cmd_uninstall")
cmd_version = _lazy("version", "cmd_version")


def _cmd(name: str, **kw: Any) -> Command:
    """A runnable command (`run=`); like every liqoctl command, cobra.NoArgs unless `args` says otherwise."""
    kw.setdefault("args", NO_ARGS)
    return Command(name, **kw)


def _group(name: str, subs: list[Command], **kw: Any) -> Command:
    """A command without Run: called, cobra prints its help."""
    return _Command(name, subs=subs, **kw)


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
        Flag("timeout", "duration", 600.0),
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
    return _cmd(
        "install",
        flags=bare,
        persistent=install_flags,
        aliases=("upgrade",),
        run=cmd_install,
        subs=[_cmd(p, run=cmd_install) for p in ("kind", "kubeadm", "k3s", "eks", "gke", "aks")],
    )


def _offload(line: Line) -> list[Command]:
    offload_flags = [
        Flag("pod-offloading-strategy", "str", "LocalAndRemote"),
        Flag("namespace-mapping-strategy", "str", "DefaultName"),
        Flag("selector", "array", [], "l"),
        Flag("output", "str", "", "o"),
        Flag("timeout", "duration", 20.0),
    ]
    if line.v1 or line.minor >= 10:
        offload_flags.append(Flag("remote-namespace-name", "str", ""))
    ns_aliases = ("ns", "namespaces") if line.v1 and (line.minor, line.patch) >= (0, 1) else ("ns",)
    offload = _group(
        "offload",
        [
            _cmd(
                "namespace",
                use="namespace name",
                flags=offload_flags,
                aliases=ns_aliases,
                args=exact_n(1),
                run=cmd_offload,
            )
        ],
    )
    unoffload = _group(
        "unoffload",
        [
            _cmd(
                "namespace",
                use="namespace name",
                flags=[Flag("timeout", "duration", 120.0)],
                aliases=ns_aliases,
                args=exact_n(1),
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
                _cmd(
                    "peer-command",
                    flags=[Flag("only-command", "bool", False), ns_flag],
                    run=cmd_generate_peer,
                )
            ],
        ),
        _group(
            "peer",
            [
                _cmd(
                    "out-of-band",
                    use="out-of-band cluster-name",
                    flags=oob_flags,
                    aliases=("oob",),
                    args=exact_n(1),
                    run=cmd_peer_oob,
                )
            ],
            persistent=[Flag("timeout", "duration", 120.0)],
        ),
        _group(
            "unpeer",
            [
                _cmd(
                    "out-of-band",
                    use="out-of-band cluster-name",
                    flags=unpeer_flags,
                    aliases=("oob",),
                    args=exact_n(1),
                    run=cmd_unpeer_oob,
                )
            ],
            persistent=[Flag("timeout", "duration", 120.0)],
        ),
        _cmd(
            "status",
            persistent=[ns_flag],
            run=cmd_status,
            subs=[
                _cmd(
                    "peer",
                    use="peer <peer-name ...>",
                    aliases=("peers",),
                    args=ARBITRARY,
                    run=cmd_status_peer,
                )
            ],
        ),
    ]


def _v1_commands(line: Line) -> list[Command]:
    ns_flag, remote = NS_FLAG, REMOTE_FLAGS
    peer_flags = [
        ns_flag,
        *remote,
        Flag("timeout", "duration", 600.0),
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
        _group("generate", [_cmd(n, run=lambda ctx: 0) for n in ("peering-user", "kubeconfig")]),
        _cmd("peer", flags=peer_flags, run=cmd_peer_v1),
        _cmd(
            "unpeer",
            flags=[
                ns_flag,
                *remote,
                Flag("timeout", "duration", 120.0),
                Flag("wait", "bool", True),
                Flag("delete-namespaces", "bool", False),
            ],
            run=cmd_unpeer_v1,
        ),
        _cmd(
            "info",
            persistent=[ns_flag, Flag("output", "str", "", "o"), Flag("get", "str", "", "g")],
            run=cmd_info,
            subs=[_cmd("peer", args=ARBITRARY, run=cmd_info_peer)],
        ),
    ]


def build(line: Line) -> Command:
    ns_flag = NS_FLAG
    cmds = [
        _cmd("version", flags=[Flag("client", "bool", False), ns_flag], run=cmd_version),
        _install(line),
        _cmd(
            "uninstall",
            flags=[ns_flag, Flag("purge", "bool", False), Flag("timeout", "duration", 600.0)],
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
        inv = resolve(root, argv)
        if inv.help:
            sys.stdout.write(inv.help_output())
            return 0
        run = inv.command.run
        assert run is not None  # resolve asks for help on a command without Run
        ctx = Ctx(line, version, [c.name for c in inv.chain], inv.values, inv.args, Printer(line), inv.seen)
        return run(ctx)
    except UsageError as exc:  # cobra's errors and the ones a command returns (CobraError)
        sys.stdout.flush()
        sys.stderr.write(f"Error: {exc.message}\n")
        sys.stderr.flush()
        return 1
    except Failed:
        return 1
    except KeyboardInterrupt:
        return 1
