"""secrets.py: registered values and credential shapes never survive redaction."""

from __future__ import annotations

import threading

from liqo_tutor import secrets

TOKEN = "6a1f" + "0123456789abcdef" * 7 + "beef"  # 120 hex chars, shaped like the v0 peer token


def test_auth_token_flag_in_both_spellings() -> None:
    line = f"liqoctl peer out-of-band newyork --auth-url https://172.18.0.4:31753 --cluster-id 3f0e --auth-token {TOKEN}"
    out = secrets.redact(line)
    assert TOKEN not in out
    assert out.endswith("--auth-token ***")
    assert "--auth-url https://172.18.0.4:31753 --cluster-id 3f0e" in out  # identifiers stay
    assert secrets.redact(f"--auth-token={TOKEN}") == "--auth-token=***"


def test_kubeconfig_yaml_and_json_fields() -> None:
    yaml_text = (
        "clusters:\n- cluster:\n    certificate-authority-data: LS0tQ0EK\n    server: http://127.0.0.1:40001\n"
        "users:\n- name: kind-london\n  user:\n    token: abc.def-ghi\n    client-key-data: LS0tS0VZ\n"
        "    client-certificate-data: LS0tQ0VSVA==\n    password: hunter2hunter2\n"
    )
    out = secrets.redact(yaml_text)
    for secret in ("LS0tQ0EK", "abc.def-ghi", "LS0tS0VZ", "LS0tQ0VSVA==", "hunter2hunter2"):
        assert secret not in out
    assert "server: http://127.0.0.1:40001" in out
    assert "    token: ***" in out
    json_text = '{"user": {"token": "abc.def-ghi", "client-key-data": "LS0tS0VZ"}}'
    assert secrets.redact(json_text) == '{"user": {"token": "***", "client-key-data": "***"}}'


def test_bearer_header_and_already_masked_values() -> None:
    assert secrets.redact("Authorization: Bearer eyJhbGciOi.x.y") == "Authorization: Bearer ***"
    # kubectl's own masking is left as is; ordinary words containing "token" are untouched.
    assert secrets.redact("client-key-data: DATA+OMITTED") == "client-key-data: DATA+OMITTED"
    assert secrets.redact("tokens: 3 and no secrets here") == "tokens: 3 and no secrets here"


def test_registered_values_longest_first_and_short_ones_ignored() -> None:
    secrets.register("reg-secret-abc")
    secrets.register("reg-secret-abc-longer")
    secrets.register("ab")  # too short to mask safely
    secrets.register(None)
    out = secrets.redact("x reg-secret-abc-longer y reg-secret-abc z ab")
    assert out == "x *** y *** z ab"
    assert "reg-secret-abc" in secrets.registered()


def test_redact_argv_masks_the_value_after_a_secret_flag() -> None:
    argv = ["liqoctl", "peer", "out-of-band", "newyork", "--auth-token", "zz-not-hex", "--token=qq", "-n", "liqo"]
    assert secrets.redact_argv(argv) == [
        "liqoctl", "peer", "out-of-band", "newyork", "--auth-token", "***", "--token=***", "-n", "liqo"]


def test_register_and_redact_from_many_threads() -> None:
    values = [f"thread-secret-{i:03d}" for i in range(40)]
    threads = [threading.Thread(target=secrets.register, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert secrets.redact(" ".join(values)) == " ".join(["***"] * 40)
