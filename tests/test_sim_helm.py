"""The playground's `helm`, driven as a person would, its objects seen through the REAL kubectl.

Messages and formats follow helm v3.17 cmd/helm (repo_add.go, repo_update.go, repo_list.go, install.go,
upgrade.go, uninstall.go, list.go, status.go; testdata/output/list-*.txt for the table),
pkg/downloader/chart_downloader.go (`repo X not found`, `chart "X" matching V not found in R index`),
pkg/storage/driver/secrets.go (release Secrets and their labels); the chart's objects follow
bitnami/charts bitnami/mariadb-galera 14.2.1 templates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from stateful_helpers import Playground, playground

BITNAMI = "https://charts.bitnami.com/bitnami"


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Playground:
    with playground(tmp_path) as p:
        p("kind create cluster --name turin --kubeconfig $KUBECONFIG")
        yield p  # type: ignore[misc]


def test_repositories(pg: Playground) -> None:
    empty = pg("helm repo list", ok=False)
    assert (empty.returncode, empty.stderr) == (1, "Error: no repositories to show\n")
    assert pg(f"helm repo add bitnami {BITNAMI}").stdout == '"bitnami" has been added to your repositories\n'
    again = pg(f"helm repo add bitnami {BITNAMI}")
    assert again.stdout == '"bitnami" already exists with the same configuration, skipping\n'
    clash = pg("helm repo add bitnami https://helm.liqo.io/", ok=False)
    assert clash.stderr == (
        "Error: repository name (bitnami) already exists, please specify a different name\n"
    )
    unknown = pg("helm repo add nowhere https://charts.example.invalid/stable", ok=False)
    assert unknown.returncode == 1
    assert unknown.stderr == (
        'Error: looks like "https://charts.example.invalid/stable" is not a valid chart repository or cannot '
        'be reached: Get "https://charts.example.invalid/stable/index.yaml": dial tcp: lookup '
        "charts.example.invalid: no such host\n"
    )
    wrong_path = pg("helm repo add b2 https://charts.bitnami.com/nope", ok=False)
    assert "failed to fetch https://charts.bitnami.com/nope/index.yaml : 404 Not Found" in wrong_path.stderr
    assert pg("helm repo list").stdout == f"NAME   \tURL                               \nbitnami\t{BITNAMI}\n"
    assert pg("helm repo update").stdout == (
        "Hang tight while we grab the latest from your chart repositories...\n"
        '...Successfully got an update from the "bitnami" chart repository\n'
        "Update Complete. ⎈Happy Helming!⎈\n"
    )


def test_install_list_status_upgrade_uninstall(pg: Playground, tmp_path: Path) -> None:
    missing_repo = pg("helm install db bitnami/mariadb-galera -n liqo-demo", ok=False)
    assert missing_repo.stderr == "Error: INSTALLATION FAILED: repo bitnami not found\n"
    pg(f"helm repo add bitnami {BITNAMI}")
    no_chart = pg("helm install db bitnami/mariadb-galeria -n liqo-demo", ok=False)
    assert no_chart.stderr == (
        'Error: INSTALLATION FAILED: chart "mariadb-galeria" matching  not found in bitnami index. '
        "(try 'helm repo update'): no chart name found\n"
    )
    no_version = pg("helm install db bitnami/mariadb-galera --version 1.0.0 -n liqo-demo", ok=False)
    assert "no chart version found for mariadb-galera-1.0.0" in no_version.stderr
    no_ns = pg("helm install db bitnami/mariadb-galera -n liqo-demo", ok=False)
    assert (
        no_ns.stderr
        == 'Error: INSTALLATION FAILED: create: failed to create: namespaces "liqo-demo" not found\n'
    )

    values = tmp_path / "values.yaml"
    values.write_text('db:\n  user: "user"\n  password: "password"\nreplicaCount: 2\n')
    out = pg(
        f"helm install db bitnami/mariadb-galera -n liqo-demo --create-namespace -f {values} --wait"
    ).stdout
    lines = out.splitlines()
    assert lines[0] == "NAME: db" and lines[1].startswith("LAST DEPLOYED: ")
    assert lines[2:6] == ["NAMESPACE: liqo-demo", "STATUS: deployed", "REVISION: 1", "TEST SUITE: None"]
    assert "CHART VERSION: 14.2.1" in out
    reuse = pg(f"helm install db bitnami/mariadb-galera -n liqo-demo -f {values}", ok=False)
    assert reuse.stderr == "Error: INSTALLATION FAILED: cannot re-use a name that is still in use\n"

    # What the chart's templates create, as kubectl shows them.
    assert pg.table("kubectl get sts -n liqo-demo")[1][:2] == ["db-mariadb-galera", "2/2"]
    services = {r[0]: r for r in pg.table("kubectl get svc -n liqo-demo")[1:]}
    assert services["db-mariadb-galera"][4] == "3306/TCP"
    assert services["db-mariadb-galera-headless"][2] == "None"
    secret = json.loads(pg("kubectl get secret db-mariadb-galera -n liqo-demo -o json").stdout)
    assert sorted(secret["data"]) == [
        "mariadb-galera-mariabackup-password",
        "mariadb-password",
        "mariadb-root-password",
    ]
    assert pg("kubectl get cm db-mariadb-galera-configuration -n liqo-demo -o name").returncode == 0
    pvcs = [r[0] for r in pg.table("kubectl get pvc -n liqo-demo")[1:]]
    assert pvcs == ["data-db-mariadb-galera-0", "data-db-mariadb-galera-1"]

    release = pg.table("kubectl get secret -n liqo-demo -l owner=helm,name=db,status=deployed")
    assert release[1][:2] == ["sh.helm.release.v1.db.v1", "helm.sh/release.v1"]
    listing = pg("helm list -n liqo-demo").stdout.splitlines()
    header = listing[0].split("\t")
    assert [c.strip() for c in header] == [
        "NAME",
        "NAMESPACE",
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
    ]
    assert all(
        len(cell) == len(row_cell) for cell, row_cell in zip(header, listing[1].split("\t"), strict=True)
    )
    cells = [c.strip() for c in listing[1].split("\t")]
    assert cells[:3] == ["db", "liqo-demo", "1"] and cells[4:] == [
        "deployed",
        "mariadb-galera-14.2.1",
        "11.4.5",
    ]
    assert pg("helm status db -n liqo-demo").stdout.splitlines()[3] == "STATUS: deployed"
    # helm v3 cmd/helm/status.go: -o json/yaml print the release object itself, not the text.
    as_json = json.loads(pg("helm status db -n liqo-demo -o json").stdout)
    assert (as_json["name"], as_json["namespace"], as_json["info"]["status"]) == ("db", "liqo-demo", "deployed")
    assert yaml.safe_load(pg("helm status db -n liqo-demo --output yaml").stdout)["version"] == 1
    # cmd/helm/flags.go outputValue.Set refuses the format (pkg/cli/output ErrInvalidFormatType), pflag wraps it
    assert pg("helm status db -n liqo-demo -o xml", ok=False).stderr == (
        'Error: invalid argument "xml" for "-o, --output" flag: invalid format type\n')

    search = pg.table("helm search repo galera")
    assert search[0] == ["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"]
    assert search[1][:3] == ["bitnami/mariadb-galera", "14.2.1", "11.4.5"] and search[1][3].endswith("...")
    assert pg("helm get values db -n liqo-demo").stdout == (
        "USER-SUPPLIED VALUES:\ndb:\n  password: password\n  user: user\nreplicaCount: 2\n"
    )
    up = pg(f"helm upgrade db bitnami/mariadb-galera -n liqo-demo -f {values} --set replicaCount=1").stdout
    assert up.splitlines()[0] == 'Release "db" has been upgraded. Happy Helming!'
    statuses = pg(
        "kubectl get secret -n liqo-demo -l owner=helm -o jsonpath={.items[*].metadata.labels.status}"
    )
    assert statuses.stdout.split() == ["superseded", "deployed"]
    history = [
        [c.strip() for c in line.split("\t")]
        for line in pg("helm history db -n liqo-demo").stdout.splitlines()
    ]
    assert history[0] == ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]
    assert [r[0] for r in history[1:]] == ["1", "2"]
    assert [r[2:4] for r in history[1:]] == [
        ["superseded", "mariadb-galera-14.2.1"],
        ["deployed", "mariadb-galera-14.2.1"],
    ]
    assert history[2][5] == "Upgrade complete"
    forbidden = pg(f"helm upgrade db bitnami/mariadb-galera -n liqo-demo -f {values} --set persistence.size=9Gi",
                   ok=False)  # fmt: skip
    assert forbidden.stderr.startswith(
        'Error: UPGRADE FAILED: cannot patch "db-mariadb-galera" with kind StatefulSet: StatefulSet.apps '
        '"db-mariadb-galera" is invalid: spec: Forbidden: updates to statefulset spec for fields other than'
    )
    assert pg("helm uninstall db -n liqo-demo").stdout == 'release "db" uninstalled\n'
    gone = pg("helm uninstall db -n liqo-demo", ok=False)
    assert gone.stderr == "Error: uninstall: Release not loaded: db: release: not found\n"
    assert pg("kubectl get sts,svc,secret -n liqo-demo -o name").stdout == ""
    # the claims of the StatefulSet's templates are not part of the release: they stay
    assert len(pg.table("kubectl get pvc -n liqo-demo")) == 3
