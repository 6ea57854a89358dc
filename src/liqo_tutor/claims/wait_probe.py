"""A quiet first look for `kubectl wait --for=condition=...` claims.

The real kubectl spends about 100 ms per object in `wait` even when every condition already holds: for
each object it lists it, opens a watch and syncs an informer whose cache check polls every 100 ms
(staging/src/k8s.io/kubectl/pkg/cmd/wait/condition.go, client-go tools/cache WaitForCacheSync). Nine
Liqo Deployments make a claim that is already true cost a second. So the first try of such a claim is
one `kubectl get ... -o json` (plumbing, in the transcript and with --verbose), judged the way kubectl
wait judges a condition: the first condition whose type matches (case-folded), its status compared
case-folded with the wanted one (default True), and not met while its observedGeneration (or the
status's) is behind metadata.generation. When every object holds, the claim is reported with the
`kubectl wait` line a person types and the lines kubectl would print; otherwise (nothing found, one
object not there yet, any error) the real `kubectl wait` runs, exactly as before.

Only the shapes read here are probed: `--for=condition=NAME[=VALUE]`, TYPE with `--all` or `-l`, or
TYPE/NAME targets, `-n`, `-A`, `--timeout`, `--kubeconfig`, `--context`. Anything else runs as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["WaitProbe", "condition_met", "met_lines", "probe_of"]

_VALUE_FLAGS = {
    "-n": "--namespace",
    "--namespace": "--namespace",
    "-l": "--selector",
    "--selector": "--selector",
    "--kubeconfig": "--kubeconfig",
    "--context": "--context",
    "--timeout": "--timeout",
    "--for": "--for",
}
_BOOL_FLAGS = {"--all", "-A", "--all-namespaces"}


@dataclass(frozen=True)
class WaitProbe:
    get_argv: tuple[str, ...]  # the `kubectl get ... -o json` that answers at once
    condition: str
    status: str


def _options(args: list[str]) -> tuple[dict[str, str], set[str], list[str]] | None:
    values: dict[str, str] = {}
    flags: set[str] = set()
    targets: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            if name in _BOOL_FLAGS and not eq:
                flags.add(name)
            elif name in _VALUE_FLAGS:
                if not eq:
                    i += 1
                    if i >= len(args):
                        return None
                    value = args[i]
                values[_VALUE_FLAGS[name]] = value
            else:
                return None  # a flag this probe does not read: run the real command
        else:
            targets.append(arg)
        i += 1
    return values, flags, targets


def probe_of(argv: list[str]) -> WaitProbe | None:
    """The probe for a `kubectl wait --for=condition=...` argv, None for any other shape."""
    if len(argv) < 3 or argv[0] != "kubectl" or argv[1] != "wait":
        return None
    parsed = _options(argv[2:])
    if parsed is None:
        return None
    values, flags, targets = parsed
    wanted = values.get("--for", "")
    if not wanted.lower().startswith("condition=") or not targets:
        return None
    name, _, status = wanted[len("condition=") :].partition("=")
    named = all("/" in t for t in targets)
    listed = len(targets) == 1 and "/" not in targets[0] and ("--all" in flags or "--selector" in values)
    if not name or not (named or listed):
        return None
    get = ["kubectl", "get", *targets]
    for flag in ("--namespace", "--selector", "--kubeconfig", "--context"):
        if flag in values:
            get.append(f"{flag}={values[flag]}")
    if flags & {"-A", "--all-namespaces"}:
        get.append("--all-namespaces")
    get += ["-o", "json"]
    return WaitProbe(tuple(get), name, status or "true")


def _observed(obj: dict[str, Any], condition: dict[str, Any]) -> int | None:
    for holder in (condition, obj.get("status") or {}):
        value = holder.get("observedGeneration")
        if isinstance(value, int):
            return value
    return None


def condition_met(obj: dict[str, Any], name: str, status: str) -> bool:
    """kubectl wait's judgement of one object (condition.go, ConditionalWait.checkCondition)."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if not isinstance(cond, dict) or str(cond.get("type", "")).casefold() != name.casefold():
            continue
        if "status" not in cond:
            continue
        generation = (obj.get("metadata") or {}).get("generation")
        observed = _observed(obj, cond)
        if isinstance(generation, int) and observed is not None and observed < generation:
            return False
        return str(cond["status"]).casefold() == status.casefold()
    return False


def _name_of(obj: dict[str, Any]) -> str:
    """`kind.group/name` lowercased, as kubectl's name printer writes it."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    kind = str(obj.get("kind", "")).lower()
    return f"{kind}.{group}/{obj['metadata']['name']}" if group else f"{kind}/{obj['metadata']['name']}"


def met_lines(stdout: str, probe: WaitProbe) -> str | None:
    """What `kubectl wait` would print when every listed object holds; None when one does not (or
    nothing was listed, or the output is no object list)."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    items = doc.get("items") if doc.get("kind", "").endswith("List") else [doc]
    if not isinstance(items, list) or not items:
        return None
    lines = []
    for obj in items:
        if not isinstance(obj, dict) or not isinstance((obj.get("metadata") or {}).get("name"), str):
            return None
        if not condition_met(obj, probe.condition, probe.status):
            return None
        lines.append(f"{_name_of(obj)} condition met")
    return "\n".join(lines) + "\n"
