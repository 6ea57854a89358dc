"""`cidr: x within: NET`: a saved address (or network, or several of either, space-separated) lies
inside NET: an address in it, a network a subnet of it."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.tutorial import variables_in

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["CidrClaim", "CidrModel", "in_cidr", "inside"]


class CidrModel(CheckModel):
    cidr: str
    within: str


def in_cidr(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip.strip()) in ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False


def inside(value: str, cidr: str) -> tuple[bool, str]:
    """Every whitespace-separated address or network of `value` inside `cidr`; (ok, problem)."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError as exc:
        return False, str(exc)
    words = value.split()
    if not words:
        return False, "nothing captured"
    for word in words:
        try:
            if "/" not in word:
                if ipaddress.ip_address(word) not in net:
                    return False, f"{word} is outside {net}"
                continue
            sub = ipaddress.ip_network(word, strict=False)
        except ValueError:
            return False, f"{word!r} is neither an address nor a network"
        if sub.version != net.version or not sub.subnet_of(net):  # type: ignore[arg-type]
            return False, f"{word} is not inside {net}"
    return True, ""


class CidrClaim(Claim[CidrModel]):
    name = "cidr"
    model = CidrModel

    def validate(self, spec: CidrModel, refs: Refs, scope: Scope) -> None:
        refs.variables(spec.within, scope.at("within"))
        if not variables_in(spec.within):
            try:
                ipaddress.ip_network(spec.within, strict=False)
            except ValueError as exc:
                raise refs.error(scope.loc + ("within",), str(exc)) from None
        validate_captures(refs, [spec.cidr], scope, self.name, indexed=False)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        spec = self.spec(check)
        got = read_captures(ctx, [spec.cidr], cluster)
        if isinstance(got, Outcome):
            return got
        within = ctx.text(spec.within, cluster)
        value = got[1][0]
        ok, _ = inside(value, within)
        return Outcome(ok, f"an address in {within}", value, final=True)


register(CidrClaim())
