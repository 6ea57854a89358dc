"""The v1 IPAM's network tree (pkg/ipam/core/node.go and ipam.go at v1.2.0), replayed from a log.

A binary tree per pool (10.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12: deployments/liqo/values.yaml
ipam.pools). An exact prefix descends to its node, splitting on the way (allocateNetworkWithPrefix);
a network of a size descends preferring the half already split, left first (allocateNetwork,
bestDirection). `networkAcquire` (pkg/ipam/networks.go) tries the exact prefix exclusively, then any
free network of its size; immutable networks (the cluster's pod and service CIDRs) are acquired as
given, shared. The remapped CIDR of a peer is what the tree gives its remote CIDR.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["POOLS", "replay"]

Net = ipaddress.IPv4Network
POOLS = ("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12")


@dataclass
class _Node:
    prefix: Net
    ref: int = 0  # -1 exclusive, >0 shared acquisitions
    left: _Node | None = None
    right: _Node | None = None

    def split(self) -> None:
        low, high = self.prefix.subnets(prefixlen_diff=1)
        self.left, self.right = _Node(low), _Node(high)

    @property
    def splitted(self) -> bool:
        return self.left is not None and self.right is not None

    def children(self) -> list[_Node]:
        return [c for c in (self.left, self.right) if c is not None]

    def acquired_below(self) -> bool:
        return any(c.ref != 0 or c.acquired_below() for c in self.children())

    def exclusive_below(self) -> bool:
        return any(c.ref == -1 or c.exclusive_below() for c in self.children())


def _with_prefix(prefix: Net, node: _Node, exclusive: bool) -> Net | None:
    if not prefix.subnet_of(node.prefix):
        return None
    if node.prefix == prefix:
        if exclusive:
            if node.ref != 0 or node.acquired_below():
                return None
            node.ref = -1
        else:
            if node.ref == -1 or node.exclusive_below():
                return None
            node.ref += 1
        return node.prefix
    if node.ref == -1 or (exclusive and node.ref != 0):
        return None
    if not node.splitted:
        node.split()
    for child in node.children():
        if child.prefix.overlaps(prefix):
            return _with_prefix(prefix, child, exclusive)
    return None


def _any(size: int, node: _Node, exclusive: bool) -> Net | None:
    if node.ref != 0 or node.prefix.prefixlen > size:
        return None
    if node.prefix.prefixlen == size:
        if node.splitted:
            return None
        node.ref = -1 if exclusive else 1
        return node.prefix
    if not node.splitted:
        node.split()
    assert node.left is not None and node.right is not None
    first, second = (
        (node.right, node.left) if not node.left.splitted and node.right.splitted else (node.left, node.right)
    )
    return _any(size, first, exclusive) or _any(size, second, exclusive)


def replay(log: list[tuple[str, str]]) -> list[str | None]:
    """Apply (mode, cidr) acquisitions in order; mode `shared` (immutable, as given) or `remap`
    (networkAcquire). Returns what each acquisition got (None: nothing free / out of the pools)."""
    roots = [_Node(ipaddress.IPv4Network(p)) for p in POOLS]
    out: list[str | None] = []
    for mode, cidr in log:
        prefix = ipaddress.IPv4Network(cidr, strict=False)
        got: Net | None = None
        in_pool = [r for r in roots if prefix.subnet_of(r.prefix)]
        if mode == "shared":
            got = _with_prefix(prefix, in_pool[0], False) if in_pool else prefix
        else:
            got = _with_prefix(prefix, in_pool[0], True) if in_pool else None
            for root in roots:
                if got is None:
                    got = _any(prefix.prefixlen, root, True)
        out.append(str(got) if got is not None else None)
    return out
