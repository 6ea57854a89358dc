"""MariaDB Galera in the playground: replicas forming one cluster, one database on their volumes, the client.

Server facts: bitnami/mariadb-galera chart 14.2.1 (env, Secret, volumes) and image (bootstrap when no
peer answers, join by SST); client facts: MariaDB 11.4 client/mysql.cc (table and tab formats, the
banner, prompts, `N row(s) in set`, `Query OK`, `Bye`, `ERROR N (STATE)[ at line N]: ...`) and the
error texts of sql/share/errmsg-utf8.txt. The flow is Liqo's docs/examples/stateful-applications.md
(v1.2.0) with examples/stateful-applications/manifests/values.yaml.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from liqo_tutor.sim.images_mariadb import parse_options, split_statements
from liqo_tutor.sim.mariadb_sql import Engine, SqlError, format_tab, format_table, new_datadir
from reliability_helpers import sim_processes
from stateful_helpers import Playground, playground, wait_until

BITNAMI = "https://charts.bitnami.com/bitnami"
IMAGE = "docker.io/bitnami/mariadb-galera:11.4.5-debian-12-r6"
LIQO = Path("/work/.mirror/liqotech+liqo/repo")
CREATE = (
    "CREATE TABLE People (PersonID int, LastName varchar(255), FirstName varchar(255), "
    "Address varchar(255), City varchar(255));"
)
INSERT = (
    "INSERT INTO People (PersonID, LastName, FirstName, Address, City) "
    "VALUES (1, 'Smith', 'John', '123 Main St', 'Anytown');"
)
# The SELECT's answer as the example's doc shows it (interactive client).
DOC_TABLE = """+----------+----------+-----------+-------------+---------+
| PersonID | LastName | FirstName | Address     | City    |
+----------+----------+-----------+-------------+---------+
|        1 | Smith    | John      | 123 Main St | Anytown |
+----------+----------+-----------+-------------+---------+
"""


def test_sql_engine_and_result_formats() -> None:
    data = new_datadir("root", "r00t", "my_database", "user", "password")
    engine = Engine(data, "user", "10.244.0.9", {})
    with pytest.raises(SqlError) as no_db:
        engine.execute("SELECT * FROM People")
    assert no_db.value.line() == "ERROR 1046 (3D000): No database selected"
    engine.use("my_database")
    assert engine.execute(CREATE).wrote
    assert engine.execute(INSERT).affected == 1
    result = engine.execute("SELECT * FROM People")
    assert result.columns is not None
    assert format_table(result.columns, result.rows) == DOC_TABLE
    assert format_tab(result.columns, result.rows) == (
        "PersonID\tLastName\tFirstName\tAddress\tCity\n1\tSmith\tJohn\t123 Main St\tAnytown\n"
    )
    shown = engine.execute("SHOW DATABASES")
    assert shown.rows == [("information_schema",), ("my_database",)]  # the user sees only its grants
    with pytest.raises(SqlError) as denied:
        engine.execute("CREATE DATABASE other")
    assert denied.value.line() == "ERROR 1044 (42000): Access denied for user 'user'@'%' to database 'other'"
    with pytest.raises(SqlError) as missing:
        engine.execute("SELECT * FROM Nope")
    assert missing.value.line(1) == "ERROR 1146 (42S02) at line 1: Table 'my_database.Nope' doesn't exist"
    engine.execute(
        "CREATE TABLE orders (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, item VARCHAR(20)) ENGINE=InnoDB"
    )
    engine.execute("INSERT INTO orders (item) VALUES ('a'), ('b')")
    assert engine.execute("SELECT * FROM orders").rows == [(1, "a"), (2, "b")]
    stmts, rest = split_statements("CREATE TABLE t (a int);\nINSERT INTO t VALUES (';');\nSELECT")
    assert [s[0] for s in stmts] == [
        "CREATE TABLE t (a int)",
        "INSERT INTO t VALUES (';')",
    ] and rest == "\nSELECT"
    opts = parse_options(
        ["mariadb", "-h", "db-mariadb-galera.liqo-demo", "-uuser", "-ppassword", "my_database"]
    )
    assert (opts.host, opts.user, opts.password, opts.database) == (
        "db-mariadb-galera.liqo-demo",
        "user",
        "password",
        "my_database",
    )


def _install(pg: Playground, tmp_path: Path, extra: str = "") -> None:
    values = tmp_path / "values.yaml"
    values.write_text(f'db:\n  user: "user"\n  password: "password"\nreplicaCount: 2\n{extra}')
    pg(f"helm repo add bitnami {BITNAMI}")
    pg("kubectl create namespace liqo-demo")
    pg(f"helm install db bitnami/mariadb-galera -n liqo-demo -f {values}")
    pg("kubectl rollout status sts/db-mariadb-galera -n liqo-demo --timeout=120s")


def _sql(pg: Playground, pod: str, sql: str, password: str = "password", ok: bool = True) -> str:
    res = pg(f'kubectl exec -n liqo-demo {pod} -- mariadb -uuser -p{password} my_database -e "{sql}"', ok=ok)
    return res.stdout if ok else res.stderr


def _delete_and_wait(pg: Playground, pod: str, timeout: float = 120) -> None:
    """Delete a replica and wait (bounded) until its replacement, a new pod of the same name, is Ready."""
    get = (
        f"kubectl get pod {pod} -n liqo-demo -o "
        """'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}'"""
    )
    old = pg(get).stdout.split()[0]
    pg(f"kubectl delete pod {pod} -n liqo-demo")

    def replaced() -> bool:
        fields = pg(get, ok=False).stdout.split()
        return len(fields) == 2 and fields[0] != old and fields[1] == "True"

    wait_until(replaced, timeout=timeout, what=f"{pod} replaced and Ready")


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Playground:
    with playground(tmp_path) as p:
        p("kind create cluster --name turin --kubeconfig $KUBECONFIG")
        yield p  # type: ignore[misc]


def test_replicas_share_one_database_that_survives_a_pod(pg: Playground, tmp_path: Path) -> None:
    _install(pg, tmp_path)
    size = _sql(pg, "db-mariadb-galera-0", "SHOW STATUS LIKE 'wsrep_cluster_size'")
    assert size == "Variable_name\tValue\nwsrep_cluster_size\t2\n"
    _sql(pg, "db-mariadb-galera-1", CREATE + " " + INSERT)
    expected = "PersonID\tLastName\tFirstName\tAddress\tCity\n1\tSmith\tJohn\t123 Main St\tAnytown\n"
    assert _sql(pg, "db-mariadb-galera-0", "SELECT * FROM People") == expected
    # through the client Service from another pod, not on a terminal: tab-separated
    client = pg(
        f"kubectl run client --rm -i --restart=Never --image {IMAGE} --command -- mariadb -h "
        "db-mariadb-galera.liqo-demo -uuser -ppassword my_database -e 'SELECT * FROM People'"
    )
    assert client.stdout == expected + 'pod "client" deleted\n'
    denied = pg(
        f"kubectl run client2 --rm -i --restart=Never --image {IMAGE} --command -- mariadb -h "
        "db-mariadb-galera.liqo-demo -uuser -pwrong my_database -e 'SELECT 1'",
        ok=False,
    )
    assert denied.returncode == 1
    assert "ERROR 1045 (28000): Access denied for user 'user'@'10.244." in denied.stderr
    assert "(using password: YES)" in denied.stderr

    _delete_and_wait(pg, "db-mariadb-galera-0")
    assert _sql(pg, "db-mariadb-galera-0", "SELECT * FROM People") == expected


def test_without_volumes_the_data_dies_with_the_pods(pg: Playground, tmp_path: Path) -> None:
    """A wrong step: persistence disabled (emptyDir). Losing every replica loses the database."""
    _install(pg, tmp_path, "persistence:\n  enabled: false\n")
    assert pg("kubectl get pvc -n liqo-demo -o name").stdout == ""
    _sql(pg, "db-mariadb-galera-0", CREATE + " " + INSERT)
    # every replica gone at once (one after the other, the survivor would hand the data over by SST)
    pg("""kubectl patch sts db-mariadb-galera -n liqo-demo -p '{"spec":{"replicas":0}}'""")
    wait_until(lambda: pg("kubectl get pods -n liqo-demo -o name").stdout == "", what="no replica left")
    pg("""kubectl patch sts db-mariadb-galera -n liqo-demo -p '{"spec":{"replicas":2}}'""")
    wait_until(
        lambda: pg.table("kubectl get sts -n liqo-demo")[1][1] == "2/2",
        timeout=120,
        what="two replicas again",
    )
    err = _sql(pg, "db-mariadb-galera-0", "SELECT * FROM People", ok=False)
    assert "ERROR 1146 (42S02) at line 1: Table 'my_database.People' doesn't exist" in err


def test_interactive_client_on_a_terminal(pg: Playground, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    _install(pg, tmp_path)
    child = pexpect.spawn(
        "kubectl",
        ["run", "db-mariadb-galera-client", "--rm", "--tty", "-i", "--restart=Never", "--namespace", "default",
         "--image", IMAGE, "--command", "--", "mariadb", "-h", "db-mariadb-galera.liqo-demo", "-uuser",
         "-ppassword", "my_database"],
        env=pg.env, encoding="utf-8", timeout=60, cwd=str(pg.workdir),
    )  # fmt: skip
    child.expect(r"Welcome to the MariaDB monitor\.")
    child.expect(r"MariaDB \[my_database\]> ")
    child.sendline("CREATE TABLE People (")
    child.expect(r"    -> ")
    child.sendline(CREATE.split("(", 1)[1])
    child.expect(r"Query OK, 0 rows affected")
    child.expect(r"MariaDB \[my_database\]> ")
    child.sendline(INSERT)
    child.expect(r"Query OK, 1 row affected")
    child.expect(r"MariaDB \[my_database\]> ")
    child.sendline("SELECT * FROM People;")
    child.expect(r"1 row in set \(0\.\d+ sec\)")
    assert DOC_TABLE.replace("\n", "\r\n") in child.before
    child.sendline("exit")
    child.expect("Bye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    wait_until(lambda: pg("kubectl get pods -n default -o name").stdout == "", what="the client pod deleted")


@pytest.mark.slow
@pytest.mark.skipif(
    not LIQO.exists(), reason="Liqo's sources (the example's manifests) are not on this machine"
)
def test_stateful_applications_example(tmp_path: Path, kubectl_bin: str) -> None:
    """Liqo's example by hand: two peered clusters, the chart with the example's values, the liqo class."""
    with playground(tmp_path) as pg:
        for f in ("cluster1.yaml", "cluster2.yaml", "values.yaml"):
            text = subprocess.run(
                ["git", "-C", str(LIQO), "show", f"v1.2.0:examples/stateful-applications/manifests/{f}"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            (pg.workdir / f).write_text(text)
        pg("kind create cluster --name turin --kubeconfig liqo_kubeconf_turin --config cluster1.yaml")
        pg("kind create cluster --name lyon --kubeconfig liqo_kubeconf_lyon --config cluster2.yaml")
        pg("liqoctl install kind --cluster-id turin --kubeconfig liqo_kubeconf_turin", timeout=300)
        pg("liqoctl install kind --cluster-id lyon --kubeconfig liqo_kubeconf_lyon", timeout=300)
        pg(
            'liqoctl peer --remote-kubeconfig "$KUBECONFIG_LYON" --gw-server-service-type NodePort',
            timeout=300,
        )
        pg(f"helm repo add bitnami {BITNAMI}")
        pg("kubectl create namespace liqo-demo")
        pg("liqoctl offload namespace liqo-demo --namespace-mapping-strategy EnforceSameName", timeout=300)
        pg("helm install db bitnami/mariadb-galera -n liqo-demo -f values.yaml")
        pg("kubectl rollout status sts/db-mariadb-galera -n liqo-demo --timeout=180s", timeout=200)

        releases = {r[0]: r for r in pg.table("helm list -A")[1:]}
        assert releases["db"][1:3] == ["liqo-demo", "1"] and releases["db"][4:6] == [
            "deployed",
            "mariadb-galera-14.2.1",
        ]
        assert releases["liqo"][1] == "liqo" and releases["liqo"][5] == "liqo-v1.2.0"
        rows = pg.table("kubectl get pods -n liqo-demo -o wide")
        nodes = {r[0]: r[6] for r in rows[1:]}
        virtual = pg("kubectl get nodes -l liqo.io/type=virtual-node -o name").stdout.split("/")[-1].strip()
        assert sorted(nodes.values()) == sorted([virtual, "turin-control-plane"]), nodes
        assert {r[5] for r in pg.table("kubectl get pvc -n liqo-demo")[1:]} == {"liqo"}
        remote = pg.table("kubectl get pvc -n liqo-demo --kubeconfig $KUBECONFIG_LYON")
        assert len(remote) == 2 and remote[1][1] == "Bound" and remote[1][5] == "standard"

        run = (
            f"kubectl run db-mariadb-galera-client --rm -i --restart=Never --namespace default --image {IMAGE} "
            "--command -- mariadb -h db-mariadb-galera.liqo-demo -uuser -ppassword my_database --execute"
        )
        pg(f'{run} "{CREATE} {INSERT}"')
        expected = "PersonID\tLastName\tFirstName\tAddress\tCity\n1\tSmith\tJohn\t123 Main St\tAnytown\n"
        deleted = 'pod "db-mariadb-galera-client" deleted\n'
        assert pg(f'{run} "SELECT * FROM People;"').stdout == expected + deleted
        _delete_and_wait(pg, "db-mariadb-galera-0", timeout=180)
        again = pg.table("kubectl get pods -n liqo-demo -o wide")
        assert {r[0]: r[6] for r in again[1:]} == nodes  # the claim's volume brings the replica back there
        assert pg(f'{run} "SELECT * FROM People;"').stdout == expected + deleted

        pg("kind delete cluster --name turin")
        pg("kind delete cluster --name lyon")
        wait_until(
            lambda: not sim_processes(pg.workdir), timeout=30, what="the playground's processes to end"
        )
