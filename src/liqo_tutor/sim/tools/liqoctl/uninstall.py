"""`liqoctl uninstall` (both lines) and its pre-uninstall checks."""

from __future__ import annotations

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Failed
from liqo_tutor.sim.tools.liqoctl.common import (
    CRD,
    NS,
    TENANT_LABEL_V0,
    _busy,
    _installed_crd_lines,
    _safe_list,
    client,
    cond_status,
    confirm,
    res,
)
from liqo_tutor.sim.tools.liqoctl.install import _helm_uninstall

__all__ = ["cmd_uninstall"]


def cmd_uninstall(ctx: Ctx) -> int:
    out = ctx.out
    if ctx.line.has_skip_confirm:
        confirm(ctx, "uninstall")
    kc = client(ctx)
    ns = ctx.f("namespace")
    out.step("Running pre-uninstall checks")
    try:
        problems = _preuninstall(kc)
    except ApiError as exc:
        raise out.fail(f"Pre-uninstall checks failed: {exc.message}") from None
    if problems:
        if ctx.line.v0:
            raise out.fail("Pre-uninstall checks failed: you should:\n" + "\n".join(problems))
        out.error("Pre-uninstall checks failed: " + "\n".join(problems))
        out.error(
            'Please use "liqoctl unpeer" to remove the peerings and "liqoctl unoffload" '
            "to unoffload the namespaces before uninstalling Liqo"
        )
        raise Failed("pre-uninstall")
    out.info("Pre-uninstall checks passed")
    out.step("Uninstalling Liqo")
    try:
        _helm_uninstall(kc, ns, ctx.line)
    except ApiError as exc:
        raise out.fail(f"Error uninstalling Liqo: {exc.message}") from None
    _busy("uninstall", kc)
    out.info("Liqo uninstalled")
    if ctx.f("purge"):
        out.step("Purging Liqo CRDs")
        try:
            for c in kc.list(CRD):
                if str((c.get("spec") or {}).get("group", "")).endswith("liqo.io"):
                    kc.delete(CRD, c["metadata"]["name"])
        except ApiError as exc:
            raise out.fail(f"Error purging CRDs: {exc.message}") from None
        out.info("Liqo CRDs purged")
        out.step("Deleting Liqo namespaces")
        try:
            for n in kc.list(NS):
                labels = n["metadata"].get("labels") or {}
                if labels.get(TENANT_LABEL_V0) == "true" or labels.get("liqo.io/tenant-namespace") == "true":
                    kc.delete(NS, n["metadata"]["name"])
            kc.delete(NS, ns)
        except ApiError as exc:
            raise out.fail(f"Error deleting Liqo namespaces: {exc.message}") from None
        out.info("Liqo namespaces deleted")
    return 0


def _preuninstall(kc: KubeClient) -> list[str]:
    problems: list[str] = []
    offloaded: list[str] = []
    for ln in _installed_crd_lines(kc):
        nso = Res("offloading.liqo.io", ln.offloading_version, "namespaceoffloadings", True)
        offloaded += [o["metadata"]["namespace"] for o in _safe_list(kc, nso)]
        fcs = _safe_list(kc, res(ln, "foreignclusters"))
        if ln.v0:
            outgoing, incoming, network = [], [], []
            for fc in fcs:
                conds = (fc.get("status") or {}).get("peeringConditions")
                if cond_status(conds, "OutgoingPeering") not in ("", "None"):
                    outgoing.append(fc["metadata"]["name"])
                if cond_status(conds, "IncomingPeering") not in ("", "None"):
                    incoming.append(fc["metadata"]["name"])
                if cond_status(conds, "NetworkStatus") == "Established":
                    network.append(fc["metadata"]["name"])
            for label, names in (
                ("disable outgoing peering for clusters:", outgoing),
                ("disable incoming peering for clusters:", incoming),
                ("disable networking for clusters:", network),
            ):
                if names:
                    problems.append(label)
                    problems += [f"- {n}" for n in names]
        else:
            active = []
            for fc in fcs:
                st = fc.get("status") or {}
                modules = st.get("modules") or {}
                if st.get("role", "Unknown") != "Unknown" or any(
                    (modules.get(m) or {}).get("enabled")
                    for m in ("networking", "authentication", "offloading")
                ):
                    active.append(fc["metadata"]["name"])
            if active:
                problems.append("active peerings with clusters: " + ", ".join(active))
            slices = _safe_list(kc, res(ln, "resourceslices"))
            if slices:
                problems.append(
                    "resourceslices still present: "
                    + ", ".join(f"{s['metadata']['namespace']}/{s['metadata']['name']}" for s in slices)
                )
    if offloaded:
        problems.append("disable offloading for namespaces:")
        problems += [f"- {n}" for n in offloaded]
    return problems
