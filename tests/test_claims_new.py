"""Claims on saved text (text:, json:), JSON paths and list forms on command output, table rows by
prefix / names / label selector with counts, column matchers and distinct columns, `hold:`, and
cidr with networks. Each is shown to hold on a matching output and to fail on a wrong one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kind_helpers import context, load, step, step_yaml, write_tutorial
from liqo_tutor import claims
from liqo_tutor.results import Status

PODS = (
    "NAME                          READY   STATUS    NODE\\n"
    "app-south-6d4cf56db6-abcde    1/1     Running   liqo-naples\\n"
    "app-center-7f9b8c6d5-fghij    0/1     Pending   <none>\\n"
    "app-south-6d4cf56db6-klmno    1/1     Running   liqo-naples2\\n"
)


def _run_checks(tmp_path: Path, checks: str, actions: str = "") -> list[tuple[str, bool, str]]:
    tut = load(write_tutorial(tmp_path, step_yaml(actions=actions, checks=checks)))
    ctx = context(tut, tmp_path / "work")
    from liqo_tutor import verbs

    for action in step(tut).actions:
        verbs.get(action.kind).run(ctx, action, "alpha")
    out = []
    for chk in step(tut).checks:
        res = claims.run_check(ctx, chk, chk.cluster or "alpha")
        out.append((res.claim, res.status is Status.PASSED, res.message))
    return out


def test_text_claims_on_a_saved_page(tmp_path: Path) -> None:
    results = _run_checks(
        tmp_path,
        actions="""\
        - run: printf '<title>Welcome to nginx!</title>\\nserved by 10.0.0.7\\n'
          cluster: alpha
          save: page
        """,
        checks="""\
        - claim: nginx page
          text: page@alpha
          contains: [Welcome to nginx!, "{namespace}"]
        - claim: nginx page, right parts
          text: page
          cluster: alpha
          contains: Welcome to nginx!
          not_contains: Apache
          regex: 'served by 10\\.0\\.0\\.\\d+$'
          line: served by 10.0.0.7
        - claim: not an error
          text: page@alpha
          equals: oops
        """,
    )
    assert results[0][1] is False and "containing 'demo'" in results[0][2]
    assert results[1][1] is True, results[1]
    assert results[2][1] is False and "text 'oops'" in results[2][2]


def test_json_paths_on_a_capture_and_on_command_output(tmp_path: Path) -> None:
    doc = '{"peers": [{"clusterID": "florence", "role": "Consumer"}, {"clusterID": "naples", "role": "Provider", "labels": {"topology.liqo.io/region": "south"}}]}'
    (tmp_path / "info.json").write_text(doc)
    (tmp_path / "info.yaml").write_text("peers:\n- clusterID: naples\n  role: Provider\n")
    results = _run_checks(
        tmp_path,
        actions=f"""\
        - run: cat {tmp_path / "info.json"}
          cluster: alpha
          save: info
        """,
        checks=f"""\
        - claim: naples is a provider in the south
          json: info@alpha
          assert:
            - {{path: [peers, {{clusterID: naples}}, role], equals: Provider}}
            - {{path: [peers, {{clusterID: naples}}, labels, topology.liqo.io/region], in: [south, centre]}}
            - {{path: [peers], length: 2}}
            - {{path: [peers, -1, clusterID], regex: '^nap'}}
            - {{path: [peers, 0, missing], exists: false}}
        - claim: milan is a provider
          json: info@alpha
          assert: [{{path: [peers, {{clusterID: milan}}, role], equals: Provider}}]
        - claim: liqoctl info says so (YAML too)
          command: cat {tmp_path / "info.yaml"}
          cluster: alpha
          stdout_json: [{{path: [peers, 0, role], equals: Provider}}]
          timeout: 1s
        """,
    )
    assert results[0][1] is True, results[0]
    assert results[1][1] is False and "no item with clusterID=milan among 2" in results[1][2]
    assert results[2][1] is True, results[2]


def test_list_forms_and_whole_lines_on_command_output(tmp_path: Path) -> None:
    results = _run_checks(
        tmp_path,
        checks="""\
        - claim: both clusters listed
          command: printf 'milan\\nrome\\nother\\n'
          cluster: alpha
          stdout_lines: [milan, rome]
          stdout_contains: [mil, rom]
          stdout_regex: ['^milan$', '^rome$']
          timeout: 1s
        - claim: a cluster that is not there
          command: printf 'milan\\nromeo\\n'
          cluster: alpha
          stdout_lines: [milan, rome]
          timeout: 0.3s
        - claim: a variable in a regex is literal
          command: printf 'namespace dexmo'
          cluster: alpha
          stdout_regex: 'namespace {namespace}'
          timeout: 0.3s
        """,
    )
    assert [ok for _, ok, _ in results] == [True, False, False]


@pytest.mark.parametrize(
    ("rows", "ok", "seen"),
    [
        ({"rows": {"prefix": "app-south-"}, "count": 2, "columns": {"STATUS": "Running", "NODE": {"contains": "naples"}},
          "distinct": ["NODE"]}, True, ""),
        ({"rows": {"prefix": "app-south-"}, "count": 1}, False, "2 rows"),
        ({"rows": {"prefixes": ["app-south-", "app-center-"]}}, False, "2 rows named app-south-*"),
        ({"rows": {"prefix": "app-center-"}, "columns": {"STATUS": "Pending", "NODE": "<none>"}}, True, ""),
        ({"rows": {"prefix": "app-south-"}, "columns": {"NODE": {"in": ["liqo-naples"]}}}, False, "NODE liqo-naples2"),
        ({"rows": {"prefix": "app-south-"}, "columns": {"NODE": {"regex": "^liqo-naples\\d?$"}}, "distinct": ["STATUS"]},
         False, "STATUS Running, Running"),
        ({"rows": {"all": True, "where": {"NODE": "liqo-florence"}}, "count": 0}, True, ""),
        ({"rows": {"names": ["app-center-7f9b8c6d5-fghij"]}, "columns": {"READY": {"not": "1/1"}}}, True, ""),
        ({"rows": {"prefix": "app-east-"}}, False, "no rows"),
        ({"rows": {"all": True}, "min_count": 4}, False, "3 rows"),
        ({"rows": {"prefix": "app-south-"}, "columns": {"NODE": {"contains": ["liqo-", "naples2"]}}}, False,
         "row app-south-6d4cf56db6-abcde: NODE lacks 'naples2'"),
    ],
)
def test_table_rows_counts_and_column_matchers(tmp_path: Path, rows: dict[str, object], ok: bool, seen: str) -> None:
    (tmp_path / "pods.txt").write_text(PODS.replace("\\n", "\n"))
    item = {"claim": "the pods", "table": f"cat {tmp_path / 'pods.txt'}", "cluster": "alpha", "timeout": "0.3s", **rows}
    [(_, held, message)] = _run_checks(tmp_path, checks=yaml.safe_dump([item], sort_keys=False))
    assert held is ok, message
    assert seen in message


def test_a_label_selector_is_part_of_the_command(tmp_path: Path) -> None:
    [(_, held, message)] = _run_checks(
        tmp_path,
        checks="""\
        - claim: the selector reaches the command
          table: sh -c 'printf "NAME   SEL\\nx      %s\\n" "$2"' sh
          cluster: alpha
          rows: {selector: app=south}
          columns: {SEL: app=south}
          timeout: 0.3s
        """,
    )
    assert held, message


def test_hold_fails_when_the_claim_stops_holding(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    flag.write_text("Pending")
    # Once `flip` exists, each answer turns the next one to Running: the claim holds at first, then stops
    # holding while it is held (no timer racing the hold).
    flip = tmp_path / "flip"
    tut = load(write_tutorial(tmp_path, step_yaml(checks=f"""\
    - claim: stays Pending
      command: sh -c 'cat {flag}; if [ -e {flip} ]; then printf Running > {flag}; fi'
      cluster: alpha
      stdout: Pending
      hold: 1s
      interval: 0.1
      timeout: 5s
    """)))
    ctx = context(tut, tmp_path / "work")
    chk = step(tut).checks[0]
    res = claims.run_check(ctx, chk, "alpha")
    assert res.status is Status.PASSED and "for 1s" in res.expected
    flip.touch()
    res = claims.run_check(ctx, chk, "alpha")
    assert res.status is Status.FAILED and "then: stdout 'Running'" in res.message


def test_cidr_accepts_networks_and_several_values(tmp_path: Path) -> None:
    results = _run_checks(
        tmp_path,
        actions="""\
        - run: printf '10.200.1.0/24 10.200.2.0/24'
          cluster: alpha
          save: pod_cidrs
        - run: printf '10.201.0.0/24'
          cluster: alpha
          save: other
        """,
        checks="""\
        - claim: inside
          cidr: pod_cidrs@alpha
          within: 10.200.0.0/16
        - claim: outside
          cidr: other@alpha
          within: 10.200.0.0/16
        """,
    )
    assert [ok for _, ok, _ in results] == [True, False]


def test_a_claim_on_an_output_the_engine_did_not_produce_is_skipped_not_failed(tmp_path: Path) -> None:
    """An install skipped because Liqo already runs (`unless:`) has no log: "it ends with All Set!" is
    then not applicable. A capture that was simply never made still fails."""
    tut = load(write_tutorial(tmp_path, step_yaml(
        actions="- run: printf 'All Set!'\n  cluster: alpha\n  save: install_log\n",
        checks="- claim: the install ends with All Set!\n  text: install_log\n  each: true\n  contains: All Set!\n",
    )))
    ctx = context(tut, tmp_path / "work")
    [action], [chk] = step(tut).actions, step(tut).checks
    ctx.action_skipped(action, "alpha")
    skipped = claims.run_check(ctx, chk, "alpha")
    assert skipped.status is Status.SKIPPED and "install_log@alpha was not produced" in skipped.seen
    never = claims.run_check(ctx, chk, "beta")
    assert never.status is Status.FAILED and "nothing captured as install_log@beta" in never.message
