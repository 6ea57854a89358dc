"""helm as a tool: its connection flags (`--kubeconfig`, `--kube-context`: helm's pkg/cli/environment.go
EnvSettings.AddFlags), its files kept in the workdir (HELM_CONFIG_HOME/CACHE_HOME/DATA_HOME,
pkg/helmpath/lazypath.go), its argv builders and default timeouts."""

from __future__ import annotations

from pathlib import Path

from kind_helpers import context, load, run_action, step, step_yaml, write_tutorial
from liqo_tutor.timeouts import default_timeout
from liqo_tutor.tools import helm
from liqo_tutor.tools.kubectl import with_kubeconfig


def test_helm_gets_its_own_context_flag() -> None:
    argv = with_kubeconfig(helm.install("db", "bitnami/mariadb-galera", "liqo-demo", ["values.yaml"]), "kc", "ctx")
    assert argv == ["helm", "install", "db", "bitnami/mariadb-galera", "-n", "liqo-demo", "-f", "values.yaml",
                    "--kubeconfig", "kc", "--kube-context", "ctx"]
    assert with_kubeconfig(["kubectl", "get", "pods"], "kc", "ctx")[-2:] == ["--context", "ctx"]
    assert with_kubeconfig(["helm", "status", "db", "--kube-context=x"], "kc", "ctx") == [
        "helm", "status", "db", "--kube-context=x", "--kubeconfig", "kc"]


def test_argv_builders() -> None:
    assert helm.repo_add("bitnami", "https://charts.bitnami.com/bitnami") == [
        "helm", "repo", "add", "bitnami", "https://charts.bitnami.com/bitnami"]
    assert helm.status_json("db", "ns") == ["helm", "status", "db", "-n", "ns", "-o", "json"]
    assert helm.uninstall("db", "ns") == ["helm", "uninstall", "db", "-n", "ns"]


def test_default_timeouts() -> None:
    assert default_timeout("helm install db bitnami/mariadb-galera -n liqo-demo") == 300
    assert default_timeout("helm repo add bitnami https://charts.bitnami.com/bitnami") == 60


def test_a_run_keeps_helms_files_in_the_workdir(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, step_yaml(actions="""\
    - run: sh -c 'echo "$HELM_CONFIG_HOME $HELM_CACHE_HOME $HELM_DATA_HOME"'
      save: homes
    """)))
    ctx = context(tut, tmp_path / "work")
    run_action(ctx, step(tut).actions[0], None)
    base = tmp_path / "work" / ".liqo-tutor" / "helm"
    assert ctx.captured("homes") == f"{base / 'config'} {base / 'cache'} {base / 'data'}"
