"""`liqoctl offload namespace` and `liqoctl unoffload namespace` (both lines)."""

from __future__ import annotations

import json

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res, wait_for
from liqo_tutor.sim.liqo.selectors import SelectorError, parse_term
from liqo_tutor.sim.liqo.versions import (
    Line,
)
from liqo_tutor.sim.tools.liqoctl.cli import CobraError, Ctx, Printer
from liqo_tutor.sim.tools.liqoctl.common import CRD, NS, Obj, client, confirm

__all__ = ["cmd_offload", "cmd_unoffload"]


# --------------------------------------------------------------------------------------------
# offload / unoffload
# --------------------------------------------------------------------------------------------


def _nso_res(line: Line) -> Res:
    return Res("offloading.liqo.io", line.offloading_version, "namespaceoffloadings", True)


def _spec(ctx: Ctx) -> Obj:
    """The NamespaceOffloading spec from the flags (cobra validates the enums first)."""
    line = ctx.line
    mapping = ctx.f("namespace-mapping-strategy")
    pod = ctx.f("pod-offloading-strategy")
    if pod not in ("Local", "Remote", "LocalAndRemote"):
        raise CobraError(
            f'invalid argument "{pod}" for "--pod-offloading-strategy" flag: '
            "allowed values are Local, Remote, LocalAndRemote"
        )
    allowed = ["EnforceSameName", "DefaultName"] + (["SelectedName"] if line.v1 or line.minor >= 10 else [])
    if mapping not in allowed:
        raise CobraError(
            f'invalid argument "{mapping}" for "--namespace-mapping-strategy" flag: '
            f"allowed values are {', '.join(allowed)}"
        )
    try:
        # One term per --selector (OR); an empty selector matches every cluster (no default term).
        terms = [parse_term(sel) for sel in ctx.f("selector") or []]
    except SelectorError as exc:
        raise ctx.out.fail(str(exc)) from None
    spec: Obj = {
        "namespaceMappingStrategy": mapping,
        "podOffloadingStrategy": pod,
        "clusterSelector": {"nodeSelectorTerms": terms},
    }
    if ctx.f("remote-namespace-name"):
        spec["remoteNamespaceName"] = ctx.f("remote-namespace-name")
    return spec


def _apply(ctx: Ctx, kc: KubeClient, namespace: str, obj: Obj) -> None:
    """Create the NamespaceOffloading, or update it as the validating webhook allows."""
    out, line, nso_r, spec = ctx.out, ctx.line, _nso_res(ctx.line), obj["spec"]
    mapping, pod = spec["namespaceMappingStrategy"], spec["podOffloadingStrategy"]
    if kc.get(CRD, "namespaceoffloadings.offloading.liqo.io") is None:
        raise ApiError(
            404, "NotFound", f'no matches for kind "NamespaceOffloading" in version "{nso_r.api_version}"'
        )
    if kc.get(NS, namespace) is None:
        raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
    current = kc.get(nso_r, "offloading", namespace)
    if current is not None:
        cur_spec = current.get("spec") or {}
        if cur_spec.get("namespaceMappingStrategy") != mapping:
            raise ApiError(
                403,
                "Forbidden",
                'admission webhook "nsoff.validate.liqo.io" denied the request: '
                "The NamespaceMappingStrategy value cannot be modified after creation",
            )
        if line.v1 and (cur_spec.get("remoteNamespaceName") or "") != (spec.get("remoteNamespaceName") or ""):
            raise ApiError(
                403,
                "Forbidden",
                'admission webhook "nsoff.validate.liqo.io" denied the request: '
                "The RemoteNamespaceName value cannot be modified after creation",
            )
        restrictive = {"LocalAndRemote": 0, "Local": 1, "Remote": 1}
        was = cur_spec.get("podOffloadingStrategy")
        current["spec"] = {**cur_spec, **spec}
        kc.update(nso_r, current)
        if was != pod and restrictive.get(pod, 0) > restrictive.get(str(was), 0):
            out.warn("The pod offloading strategy was tightened: pods already running may violate it")
            out.warn("Delete and recreate them to enforce the new strategy")
    else:
        kc.create(nso_r, obj)


def _wait(ctx: Ctx, kc: KubeClient, namespace: str) -> None:
    out, nso_r = ctx.out, _nso_res(ctx.line)

    def settled() -> str | None:
        o = kc.get(nso_r, "offloading", namespace) or {}
        st = o.get("status") or {}
        if st.get("observedGeneration") != (o.get("metadata") or {}).get("generation"):
            return None
        phase = str(st.get("offloadingPhase") or "")
        return phase if phase in ("Ready", "NoClusterSelected", "SomeFailed", "AllFailed") else None

    phase = wait_for(settled, float(ctx.f("timeout")), interval=0.1)
    if phase is None:
        raise out.fail("Failed waiting for offloading to complete: timed out waiting for the condition")
    if phase == "Ready":
        out.info("Offloading completed successfully")
    elif phase == "NoClusterSelected":
        out.warn("Offloading completed, but no cluster was selected")
    else:
        raise out.fail(f'Failed waiting for offloading to complete: the offloading is in "{phase}" state')


def cmd_offload(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    namespace = ctx.args[0]
    spec = _spec(ctx)
    nso_r = _nso_res(line)
    obj: Obj = {
        "apiVersion": nso_r.api_version,
        "kind": "NamespaceOffloading",
        "metadata": {"name": "offloading", "namespace": namespace},
        "spec": spec,
    }
    if ctx.f("output") in ("json", "yaml"):
        import yaml

        Printer.result(
            json.dumps(obj, indent=4) + "\n"
            if ctx.f("output") == "json"
            else yaml.safe_dump(obj, sort_keys=False)
        )
        return 0
    kc = client(ctx)
    out.step(f'Enabling namespace offloading for "{namespace}"')
    try:
        _apply(ctx, kc, namespace, obj)
    except ApiError as exc:
        raise out.fail(f"Failed enabling namespace offloading: {exc.message}") from None
    out.info(f'Offloading of namespace "{namespace}" correctly enabled')
    out.step(f'Waiting for offloading of namespace "{namespace}" to complete')
    _wait(ctx, kc, namespace)
    return 0


def cmd_unoffload(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    if line.has_skip_confirm:
        confirm(ctx, "unoffload")
    namespace = ctx.args[0]
    kc = client(ctx)
    nso_r = _nso_res(line)
    out.step(f'Disabling namespace offloading for "{namespace}"')
    try:
        if kc.get(CRD, "namespaceoffloadings.offloading.liqo.io") is None:
            raise ApiError(
                404, "NotFound", f'no matches for kind "NamespaceOffloading" in version "{nso_r.api_version}"'
            )
        if kc.get(NS, namespace) is not None:
            kc.delete(nso_r, "offloading", namespace)
    except ApiError as exc:
        raise out.fail(f"Failed disabling namespace offloading: {exc.message}") from None
    out.info(f'Offloading of namespace "{namespace}" correctly disabled')
    out.step(f'Waiting for unoffloading of namespace "{namespace}" to complete')
    ok = wait_for(
        lambda: kc.get(NS, namespace) is None or kc.get(nso_r, "offloading", namespace) is None,
        float(ctx.f("timeout")),
        interval=0.1,
    )
    if not ok:
        raise out.fail("Failed waiting for unoffloading to complete: timed out waiting for the condition")
    out.info("Unoffloading completed successfully")
    return 0
