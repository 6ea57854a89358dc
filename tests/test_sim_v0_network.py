"""The network of a v0 peering in the playground (Liqo v0.10.3), seen through the real kubectl.

Upstream facts followed (no code carried over):
- internal/liqonet/network-manager/netcfgcreator/networkconfig.go: one local NetworkConfig per joined
  peering, named foreignCluster.UniqueName (name + 6 hex of sha256(id)), label liqo.io/replication=true;
  internal/crdReplicator/reflection/handler.go: its copy on the other side, liqo.io/replication=false.
- internal/liqonet/network-manager/tunnelendpointcreator/tunnelendpointcreator.go: one TunnelEndpoint,
  label clusterID=<remote id>, in the tenant namespace, once both NetworkConfigs are processed; it goes
  with the local NetworkConfig.
- apis/net/v1alpha1/{networkconfig,tunnel_endpoint}_types.go: the printer columns kubectl shows.
- internal/liqonet/tunnel-operator/labelerOperator.go + pkg/utils/getters/dataGetters.go
  RetrieveWGEPFromService: the gateway Service (label net.liqo.io/gateway=true, port "wireguard")
  annotated net.liqo.io/gatewayNodeIP; a NodePort one is reached at that address and its nodePort.
- pkg/liqoctl/status/peer/peerinfo.go (+ consts.go): the "Network connection" section (Gateway IPs
  Local/Remote, Status, Latency) and, with --verbose, "Local CIDRs"/"Remote CIDRs".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import test_sim_liqo
from test_sim_liqo import V0, Playground, install, kubectl, liqoctl, wait_until

playground = test_sim_liqo.playground  # two in-process clusters (same pod CIDR), real API listeners


def _get(kubectl_bin: str, pg: Playground, cluster: str, *args: str) -> Any:
    res = kubectl(kubectl_bin, pg, cluster, "get", *args, "-o", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _gateway(kubectl_bin: str, pg: Playground, cluster: str) -> str:
    """ip:nodePort of the cluster's gateway Service, from its annotation and its wireguard port."""
    svcs = _get(kubectl_bin, pg, cluster, "services", "-n", "liqo", "-l", "net.liqo.io/gateway=true")["items"]
    assert [s["metadata"]["name"] for s in svcs] == ["liqo-gateway"]
    svc = svcs[0]
    assert svc["spec"]["type"] == "NodePort"
    (port,) = [p for p in svc["spec"]["ports"] if p["name"] == "wireguard"]
    assert (port["port"], port["protocol"]) == (5871, "UDP")
    ip = svc["metadata"]["annotations"]["net.liqo.io/gatewayNodeIP"]
    nodes = _get(kubectl_bin, pg, cluster, "nodes")["items"]
    node_ips = {a["address"] for n in nodes for a in n["status"]["addresses"] if a["type"] == "InternalIP"}
    assert ip in node_ips
    return f"{ip}:{port['nodePort']}"


def _section(out: str, title: str) -> list[str]:
    """The lines of the section `title` (up to the next line indented as much as it or less)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line.strip())
    return body


def test_v0_peering_network_objects_and_status_peer(
    playground: Playground, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kubectl_bin: str
) -> None:
    pg = playground
    lon, ny = str(pg.kubeconfigs["london"]), str(pg.kubeconfigs["newyork"])
    install(capsys, monkeypatch, pg, V0)
    lon_gw = wait_until(lambda: _safe_gateway(kubectl_bin, pg, "london"))
    ny_gw = wait_until(lambda: _safe_gateway(kubectl_bin, pg, "newyork"))

    # Before any peering: no network objects anywhere.
    for cluster in ("london", "newyork"):
        for plural in ("tunnelendpoints", "networkconfigs"):
            res = kubectl(kubectl_bin, pg, cluster, "get", plural, "-A")
            assert res.returncode == 0 and res.stdout == "", res.stdout + res.stderr

    def peer_command() -> str | None:
        c, o, _e = liqoctl(capsys, monkeypatch, V0, "generate", "peer-command", "--only-command", "--kubeconfig", ny)
        return o if c == 0 else None

    argv = str(wait_until(peer_command)).split()
    code, out, _ = liqoctl(capsys, monkeypatch, V0, *argv[1:], "--kubeconfig", lon)
    assert code == 0 and out.rstrip().endswith("INFO: Peering successfully established"), out

    fc = _get(kubectl_bin, pg, "london", "foreignclusters", "newyork")
    tenant = fc["status"]["tenantNamespace"]["local"]
    ny_id = fc["spec"]["clusterIdentity"]["clusterID"]

    # The real kubectl lists one TunnelEndpoint with the CRD's columns (-o wide adds priority 1).
    res = kubectl(kubectl_bin, pg, "london", "get", "tunnelendpoints", "-A")
    assert res.returncode == 0, res.stderr
    rows = res.stdout.splitlines()
    assert re.split(r"\s{2,}", rows[0].strip()) == [
        "NAMESPACE", "NAME", "PEERING CLUSTER", "BACKEND TYPE", "CONNECTION STATUS", "AGE"]
    assert len(rows) == 2
    assert rows[1].split()[:5] == [tenant, f"newyork-{tenant.rsplit('-', 1)[1]}", "newyork", "wireguard", "Connected"]
    wide = kubectl(kubectl_bin, pg, "london", "get", "tunnelendpoints", "-n", tenant, "-o", "wide").stdout.splitlines()
    assert re.split(r"\s{2,}", wide[0].strip()) == [
        "NAME", "PEERING CLUSTER", "ENDPOINT IP", "BACKEND TYPE", "LATENCY", "CONNECTION STATUS", "AGE"]
    cells = wide[1].split()
    assert cells[2] == str(ny_gw).split(":")[0] and re.fullmatch(r"\d+(ms|μs)", cells[4])
    # Found the way GetTunnelEndpoint looks it up: label clusterID in the tenant namespace.
    teps = _get(kubectl_bin, pg, "london", "tunnelendpoints", "-n", tenant, "-l", f"clusterID={ny_id}")["items"]
    assert len(teps) == 1

    # NetworkConfigs: the local one and newyork's replicated one, both processed.
    res = kubectl(kubectl_bin, pg, "london", "get", "networkconfigs", "-n", tenant)
    rows = res.stdout.splitlines()
    assert re.split(r"\s{2,}", rows[0].strip()) == ["NAME", "PEERING CLUSTER", "PROCESSED", "LOCAL", "AGE"]
    table = sorted(r.split()[1:4] for r in rows[1:])
    assert table == [["london", "true", "false"], ["newyork", "true", "true"]]

    # liqoctl status peer: the Network connection section from the Service and the TunnelEndpoint.
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "newyork", "--kubeconfig", lon)
    assert code == 0, out
    assert "TunnelEndpoint Not Found" not in out and "some checks failed" not in out
    assert _section(out, "Gateway IPs") == [f"Local:  {lon_gw}", f"Remote: {ny_gw}"]
    conn = _section(out, "Network connection")
    assert "Status:  Connected" in conn
    latency = next(line for line in conn if line.startswith("Latency:"))
    assert re.fullmatch(r"Latency: +\d+(ms|μs)", latency)
    assert lon_gw != ny_gw

    # --verbose: the CIDRs; both clusters use 10.200.0.0/16 for pods, so each remaps the other's.
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "newyork", "--verbose", "--kubeconfig", lon)
    assert code == 0, out
    local = _section(out, "Local CIDRs")
    remote = _section(out, "Remote CIDRs")
    assert local[:3] == ["Original", "Pod CIDR:      10.200.0.0/16", "External CIDR: " + local[2].split()[-1]]
    assert local[3] == 'Remapped - how "london" has been remapped by "newyork"'
    assert remote[3] == 'Remapped - how "london" remapped "newyork"'
    assert remote[4].startswith("Pod CIDR:") and remote[4].split()[-1] != "10.200.0.0/16"
    assert "NetWorkConfig Not Found" not in out

    # The provider side has its own TunnelEndpoint towards london.
    ny_teps = _get(kubectl_bin, pg, "newyork", "tunnelendpoints", "-A")["items"]
    assert [t["spec"]["clusterIdentity"]["clusterName"] for t in ny_teps] == ["london"]
    assert ny_teps[0]["status"]["connection"]["peerConfiguration"]["endpointIP"] == str(lon_gw).split(":")[0]

    # Deleting the TunnelEndpoint by hand: the tunnelendpointcreator makes it again (a new object).
    uid = teps[0]["metadata"]["uid"]
    res = kubectl(kubectl_bin, pg, "london", "delete", "tunnelendpoints", "-n", tenant, teps[0]["metadata"]["name"])
    assert res.returncode == 0, res.stderr
    wait_until(lambda: [t["metadata"]["uid"] for t in _get(
        kubectl_bin, pg, "london", "tunnelendpoints", "-n", tenant)["items"]] not in ([], [uid]))

    # A wrong step: the gateway Service without its label is no longer found, so status peer fails;
    # the peering's network objects stay (the network manager keeps the last endpoint it saw).
    res = kubectl(kubectl_bin, pg, "london", "label", "service", "-n", "liqo", "liqo-gateway", "net.liqo.io/gateway-")
    assert res.returncode == 0, res.stderr
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "newyork", "--kubeconfig", lon)
    assert code == 0 and "Network connection" not in out, out
    assert 'ERRO: unable to get local network endpoint address: services "services" not found' in out
    assert out.rstrip().endswith("some checks failed")
    assert len(_get(kubectl_bin, pg, "london", "tunnelendpoints", "-n", tenant)["items"]) == 1
    res = kubectl(kubectl_bin, pg, "london", "label", "service", "-n", "liqo", "liqo-gateway", "net.liqo.io/gateway=true")
    assert res.returncode == 0, res.stderr
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "newyork", "--kubeconfig", lon)
    assert _section(out, "Gateway IPs") == [f"Local:  {lon_gw}", f"Remote: {ny_gw}"]

    # A wrong step: a peer that does not exist is reported as such, and the check fails.
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "paris", "--kubeconfig", lon)
    assert "paris - Peer Not Found" in out and "some checks failed" in out

    # Unpeer: the network objects go with the peering, and status peer no longer lists newyork.
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "unpeer", "out-of-band", "newyork", "--skip-confirm",
                           "--kubeconfig", lon)
    assert code == 0 and "INFO: Foreign cluster resource successfully removed" in out, out
    for cluster in ("london", "newyork"):
        wait_until(lambda c=cluster: not _get(kubectl_bin, pg, c, "tunnelendpoints", "-A")["items"])
        wait_until(lambda c=cluster: not _get(kubectl_bin, pg, c, "networkconfigs", "-A")["items"])
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "status", "peer", "--kubeconfig", lon)
    assert code == 0 and 'Local cluster "london" is not peered with any remote cluster' in out
    assert "newyork" not in out


def _safe_gateway(kubectl_bin: str, pg: Playground, cluster: str) -> str | None:
    try:
        return _gateway(kubectl_bin, pg, cluster)
    except (KeyError, AssertionError):
        return None
