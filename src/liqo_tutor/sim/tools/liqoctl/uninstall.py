"""`liqoctl uninstall` (both lines) and its pre-uninstall checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res
from liqo_tutor.sim.liqo.versions import Line
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Failed, Printer
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

REMOTE_ID = "liqo.io/remote-cluster-id"  # pkg/consts RemoteClusterID


def cmd_uninstall(ctx: Ctx) -> int:
    out = ctx.out
    if ctx.line.has_skip_confirm:
        confirm(ctx, "uninstall")
    kc = client(ctx)
    ns = ctx.f("namespace")
    out.step("Running pre-uninstall checks")
    try:
        if ctx.line.v0:
            problems = _preuninstall_v0(kc)
            if problems:
                raise out.fail("Pre-uninstall checks failed: you should:\n" + "\n".join(problems))
        else:
            _preuninstall_v1(kc).refuse(out)
    except ApiError as exc:
        raise out.fail(f"Pre-uninstall checks failed: {exc.message}") from None
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


def _preuninstall_v0(kc: KubeClient) -> list[str]:
    problems: list[str] = []
    offloaded: list[str] = []
    for ln in _installed_crd_lines(kc):
        offloaded += _offloaded(kc, ln)
        if not ln.v0:
            continue
        outgoing, incoming, network = [], [], []
        for fc in _safe_list(kc, res(ln, "foreignclusters")):
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
    if offloaded:
        problems.append("disable offloading for namespaces:")
        problems += [f"- {n}" for n in offloaded]
    return problems


def _offloaded(kc: KubeClient, ln: Line) -> list[str]:
    nso = Res("offloading.liqo.io", ln.offloading_version, "namespaceoffloadings", True)
    return [str(o["metadata"]["namespace"]) for o in _safe_list(kc, nso)]


@dataclass
class _Pending:
    """v1.2.0's pre-uninstall findings (pkg/utils/preuninstall.go errorMap), each list in finding order."""

    networking: list[str] = field(default_factory=list)
    authentication: list[str] = field(default_factory=list)
    offloading: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    generic: list[str] = field(default_factory=list)

    def message(self) -> str:
        """errorMap.getError: `you should:` then one blank-line-led section per non-empty list."""
        text = ""
        for title, items in (
            ("disable networking for clusters:", self.networking),
            ("disable authentication for clusters:", self.authentication),
            ("disable offloading for clusters:", self.offloading),
            ("unoffload the following namespaces:", self.namespaces),
            ("remove the following resources:", self.generic),
        ):
            if items:
                text += f"\n{title}\n" + "".join(f"- {i}\n" for i in items)
        return "you should:\n" + text if text else ""

    def refuse(self, out: Printer) -> None:
        """pkg/liqoctl/uninstall/handler.go Run: the spinner fails with the message, then one hint per kind of
        pending work (peerings, offloaded namespaces); liqoctl exits 1 without cobra's `Error:` line."""
        message = self.message()
        if not message:
            return
        out.error("Pre-uninstall checks failed: " + message)
        if self.networking or self.authentication or self.offloading:
            out.error("You must remove all the active peerings with other clusters before uninstalling "
                      "Liqo.\nYou can disable the active peerings via the 'liqoctl unpeer' command.\n"
                      "Check 'liqoctl unpeer --help' for further information.")
        if self.namespaces:
            out.error("You must remove all the offloaded namespaces before uninstalling Liqo.\n"
                      "You can disable the namespace offloading 'liqoctl unoffload' command.\n"
                      "Check 'liqoctl unoffload --help' for further information.\n")
        raise Failed("pre-uninstall")


def _preuninstall_v1(kc: KubeClient) -> _Pending:
    """What v1.2.0's PreUninstall finds: ForeignClusters with a module enabled, NamespaceOffloadings, and
    ResourceSlices/Configurations left behind (counted for their remote cluster when it is still known)."""
    found = _Pending()
    for ln in _installed_crd_lines(kc):
        if ln.v0:
            continue
        ids: list[str] = []
        for fc in _safe_list(kc, res(ln, "foreignclusters")):
            cid = str((fc.get("spec") or {}).get("clusterID") or fc["metadata"]["name"])
            ids.append(cid)
            modules = (fc.get("status") or {}).get("modules") or {}
            for module, names in (("networking", found.networking), ("authentication", found.authentication),
                                  ("offloading", found.offloading)):
                if (modules.get(module) or {}).get("enabled"):
                    names.append(cid)
        found.namespaces += _offloaded(kc, ln)
        for plural, kind, names in (("resourceslices", "ResourceSlice", found.authentication),
                                    ("configurations", "Configuration", found.networking)):
            r = res(ln, plural)
            for obj in _safe_list(kc, r):
                meta = obj["metadata"]
                remote = (meta.get("labels") or {}).get(REMOTE_ID, "")
                if remote and remote in ids:
                    if remote not in names:
                        names.append(remote)
                    continue
                entry = f"{kind}.{r.group}: {meta.get('namespace', '')}/{meta['name']}"
                if entry not in found.generic:
                    found.generic.append(entry)
    return found
