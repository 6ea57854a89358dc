"""A Secret created without a type is Opaque, and its type never changes (the API server's defaulting,
pkg/apis/core/v1/defaults.go SetDefaults_Secret, and ValidateSecretUpdate in
pkg/apis/core/validation/validation.go), seen through the REAL kubectl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim_world import Kube, playground


@pytest.fixture
def kube(kubectl_bin: str, tmp_path: Path) -> Iterator[Kube]:
    with playground(kubectl_bin, tmp_path) as pg:
        yield pg.add("c1", workers=1)


SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\n{type}stringData: {{k: v}}\n"


def test_a_secret_without_type_is_opaque_and_keeps_its_type(kube: Kube) -> None:
    kube.ok("apply", "-f", "-", stdin=SECRET.format(type=""))
    assert kube.ok("get", "secret", "s", "-o", "jsonpath={.type}") == "Opaque"
    changed = kube("apply", "-f", "-", stdin=SECRET.format(type="type: kubernetes.io/basic-auth\n"))
    assert changed.returncode != 0 and "field is immutable" in changed.stderr, changed.stderr
    kube.ok("create", "secret", "generic", "t", "--from-literal=a=b")
    assert kube.ok("get", "secret", "t", "-o", "jsonpath={.type}") == "Opaque"
