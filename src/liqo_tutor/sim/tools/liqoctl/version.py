"""`liqoctl version` (both lines; v0.6 reads the Helm release)."""

from __future__ import annotations

import json

from liqo_tutor.sim.kclient import ApiError
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Failed, Printer
from liqo_tutor.sim.tools.liqoctl.common import client, server_version, unb64
from liqo_tutor.sim.tools.liqoctl.install import _releases

__all__ = ["cmd_version"]


def cmd_version(ctx: Ctx) -> int:
    Printer.result(f"Client version: {ctx.version}\n")
    if ctx.f("client"):
        return 0
    ns = ctx.f("namespace")
    if ctx.line.v0 and ctx.line.minor < 7:
        return _version_v06(ctx, ns)
    try:
        kc = client(ctx)
        found = server_version(kc, ns)
        err = "failed to retrieve the liqo controller manager deployment" if found is None else ""
    except (ApiError, Failed) as exc:
        found, err = None, str(exc)
    if ctx.line.v0:
        if found is None:
            raise ctx.out.fail(f"Failed to retrieve Liqo version: {err}")
        Printer.result(f"Server version: {found}\n")
        return 0
    if found is None:
        Printer.result("Server version: Unknown\n")
        ctx.out.warn(f"Failed to retrieve Liqo server version: {err}")
        ctx.out.warn(
            "Is Liqo installed in your cluster? Is the cluster reachable? "
            "Do you have the permissions to access the target cluster?"
        )
        return 1
    Printer.result(f"Server version: {found}\n")
    if found != ctx.version:
        ctx.out.warn(
            "The version of liqoctl does not match the Liqo server version. "
            "This might cause unexpected behaviors."
        )
    return 0


def _version_v06(ctx: Ctx, ns: str) -> int:
    """v0.6.x reads the server version from the deployed Helm release (chart appVersion), §3.1."""
    try:
        kc = client(ctx)
        deployed = [
            r for r in _releases(kc, ns) if (r["metadata"].get("labels") or {}).get("status") == "deployed"
        ]
        if not deployed:
            raise ApiError(404, "NotFound", "release: not found")
        release = json.loads(unb64(unb64(str((deployed[-1].get("data") or {}).get("release", "")))))
        found = str(release["chart"]["metadata"].get("appVersion") or release["config"].get("tag", ""))
    except Failed:
        raise
    except (ApiError, ValueError, KeyError, TypeError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        raise ctx.out.fail(
            f'Failed to retrieve release information from namespace "{ns}": {message}'
        ) from None
    Printer.result(f"Server version: {found}\n")
    return 0
