"""Policy and just-in-time approvals on the data path (issue 8).

Real clients (the openai and anthropic SDKs as root, curl and node as other local users) go
through the daemon in a namespace; the policy below maps local accounts to groups, so each
principal is a real uid the kernel reports (SO_PEERCRED, sock_diag), never a claim.
"""
from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import netns
from conftest import CHAPERONE_BIN, CLIENTS, DIRECT, NODE, PY, Env, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="policy needs the daemon (direct mode)")

ALICE, CAROL, MALLORY, CI = "chp-alice", "chp-carol", "chp-mallory", "chp-ci"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"

POLICY = f"""\
version: 1
defaults:
  unauthenticated: deny
  inspect_limit_kb: 64
unix_users:
  root: [engineering]
  {ALICE}: [engineering]
  {CAROL}: [security]
  {CI}: [ci]
groups:
  engineering:
    providers: [openai, anthropic]
    models: ["gpt-4o*", "claude-*", "o1-pro*", "text-embedding-*"]
    endpoints: [chat, embeddings, models]
  security:
    providers: [openai]
    endpoints: [chat, models]
  ci:
    providers: [openai]
    endpoints: [embeddings]
deny:
  - name: no-davinci
    when: {{models: ["davinci*"]}}
    message: "davinci is retired here; use gpt-4o-mini."
  - name: no-huge-prompts
    when: {{min_body_kb: 32}}
    message: "prompts over 32 KiB need the batch API."
approvals:
  - name: expensive-models
    when: {{models: ["o1-pro*"]}}
    mode: ticket
    approvers: [security]
    grant_for: 4s
  - name: cloud-keys-in-prompt
    when: {{entities: [aws_access_key]}}
    mode: hold
    approvers: [security]
    timeout: 6s
    require_justification: true
"""

AUTH = "Authorization: Bearer sk-e2e-test-key"


@pytest.fixture(scope="module")
def penv(base_dir, pki, daemon_user):
    """One environment under the test policy, shared by this module's tests."""
    from conftest import Options, _make
    for user in (ALICE, CAROL, MALLORY, CI):
        netns.ensure_system_user(user)
    e = _make(base_dir, pki, daemon_user, Options(policy=POLICY), "policy")
    yield e
    e.close()


def chat_curl(env: Env, user: str | None, model: str, tid: str, prompt: str = "hi") -> tuple[int, dict]:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}]})
    p = env.curl("-H", AUTH, "-H", "content-type: application/json", "-H", f"x-test-id: {tid}",
                 "-w", "\n%{http_code}", "-d", body, "https://api.openai.com/v1/chat/completions", user=user)
    assert p.returncode == 0, p.stderr
    text, _, code = p.stdout.rpartition("\n")
    return int(code), json.loads(text)


def embeddings_curl(env: Env, user: str | None, tid: str) -> tuple[int, dict]:
    body = json.dumps({"model": "text-embedding-3-small", "input": ["x"]})
    p = env.curl("-H", AUTH, "-H", "content-type: application/json", "-H", f"x-test-id: {tid}",
                 "-w", "\n%{http_code}", "-d", body, "https://api.openai.com/v1/embeddings", user=user)
    assert p.returncode == 0, p.stderr
    text, _, code = p.stdout.rpartition("\n")
    return int(code), json.loads(text)


def reached_upstream(env: Env, tid: str) -> bool:
    time.sleep(0.2)
    return bool(env.upstream_records(tid))


def approvals(env: Env, user: str) -> list[dict]:
    return env.chaperone_json("approvals", "list", user=user)


def wait_pending(env: Env, user: str, predicate, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for a in approvals(env, user):
            if predicate(a):
                return a
        time.sleep(0.2)
    raise AssertionError(f"no pending approval matched within {timeout}s: {approvals(env, user)}")


# ---------------------------------------------------------------- the decision table


TABLE = [
    # user, request, expected status, rule or phrase the answer names
    (ALICE, ("chat", "gpt-4o-mini"), 200, None),
    (ALICE, ("embeddings", None), 200, None),
    (ALICE, ("chat", "davinci-002"), 403, "davinci is retired"),
    (ALICE, ("chat", "gemini-1.5-pro"), 403, "gemini-1.5-pro"),
    (CAROL, ("chat", "gpt-4o-mini"), 200, None),
    (CAROL, ("embeddings", None), 403, "embeddings"),
    (CI, ("embeddings", None), 200, None),
    (CI, ("chat", "gpt-4o-mini"), 403, "chat"),
    (MALLORY, ("chat", "gpt-4o-mini"), 403, "chaperone login"),
]


@daemon_only
@pytest.mark.parametrize("user,request_,status,phrase", TABLE,
                         ids=[f"{u}-{r[0]}-{r[1]}-{s}" for u, r, s, _ in TABLE])
def test_decision_table_with_curl_as_each_user(penv: Env, user, request_, status, phrase):
    tid = new_id()
    kind, model = request_
    code, body = chat_curl(penv, user, model, tid) if kind == "chat" else embeddings_curl(penv, user, tid)
    assert code == status, body
    if status == 200:
        assert reached_upstream(penv, tid)
    else:
        assert not reached_upstream(penv, tid), "a denied request must send no byte upstream"
        assert body["error"]["type"] in ("policy_denied", "approval_required"), body
        assert phrase.lower() in body["error"]["message"].lower(), body


@daemon_only
def test_body_size_and_uninspectable_bodies(penv: Env):
    """A 40 KiB prompt meets the size rule; a 70 KiB one is over the inspect limit (64 KiB), so
    the model rules cannot be checked and the policy fails closed (on_uninspectable: deny)."""
    tid = new_id()
    code, body = chat_curl(penv, ALICE, "gpt-4o-mini", tid, prompt="x " * 20_000)
    assert code == 403 and "32 KiB" in body["error"]["message"], body
    assert not reached_upstream(penv, tid)
    tid = new_id()
    code, body = chat_curl(penv, ALICE, "gpt-4o-mini", tid, prompt="y " * 36_000)
    assert code == 403, body
    assert not reached_upstream(penv, tid)


@daemon_only
def test_sdks_get_the_providers_own_error_shape(penv: Env):
    """The openai SDK raises PermissionDeniedError with the reason; anthropic's raises its own."""
    out = penv.py_client("openai_client.py", "--mode", "chat", "--model", "davinci-002")
    assert out["ok"] is False and out["status"] == 403 and out["error"] == "PermissionDeniedError", out
    assert "davinci is retired here" in out["message"], out
    out = penv.py_client("openai_client.py", "--model", "gpt-4o-mini")  # root is engineering: streams
    assert out["ok"] and out["text"], out
    out = penv.py_client("anthropic_client.py", "--model", "claude-sonnet-4-5")
    assert out["ok"] and out["text"], out
    out = penv.py_client("anthropic_client.py", "--model", "davinci-claude")  # the deny rule matches any provider
    assert out["ok"] is False and out["status"] == 403 and out["error"] == "PermissionDeniedError", out
    assert out["body"]["type"] == "error" and out["body"]["error"]["type"] == "policy_denied", out


@daemon_only
def test_node_client_to_a_provider_outside_the_groups_is_denied(penv: Env):
    """Copilot is not among engineering's providers: node's https gets a 403 JSON body."""
    p = penv.run([NODE, CLIENTS / "copilot_sse.mjs", json.dumps({})], user=ALICE, timeout=30)
    out = json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])
    assert out["status"] == 403, out


# ---------------------------------------------------------------- hold


def _start_sdk(env: Env, *args: str) -> subprocess.Popen:
    return netns.popen_in_ns(env.ns, [PY, CLIENTS / "openai_client.py", *args], env=env.client_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(p: subprocess.Popen, timeout: float = 30) -> dict:
    out, err = p.communicate(timeout=timeout)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    assert lines, f"client printed nothing\n{out}\n{err}"
    return json.loads(lines[-1])


@daemon_only
def test_hold_approve_completes_the_sdk_call(penv: Env):
    tid = new_id()
    p = _start_sdk(penv, "--mode", "chat", "--header", f"x-test-id: {tid}",
                   "--prompt", f"rotate {AWS_KEY} please")
    pending = wait_pending(penv, CAROL, lambda a: a["rule"] == "cloud-keys-in-prompt" and a["status"] == "pending")
    assert pending["mode"] == "hold" and pending["requester"].startswith("unix:root(0)@"), pending
    assert not reached_upstream(penv, tid), "nothing goes upstream while the request is held"
    # An approver must justify; a non-approver and the requester cannot approve.
    r = penv.chaperone("approvals", "approve", pending["id"], user=CAROL)
    assert r.returncode != 0 and "reason" in r.stderr.lower(), r.stderr
    r = penv.chaperone("approvals", "approve", pending["id"], "--reason", "ok", user=ALICE)
    assert r.returncode != 0 and "security" in r.stderr, r.stderr
    r = penv.chaperone("approvals", "approve", pending["id"], "--reason", "rotating keys today", user=CAROL)
    assert r.returncode == 0, r.stderr
    out = _finish(p)
    assert out["ok"], out
    up = penv.upstream_records(tid)
    assert up and AWS_KEY not in json.dumps(up), "the approved request still goes out masked"


@daemon_only
def test_hold_deny_raises_in_the_sdk_with_the_reason(penv: Env):
    p = _start_sdk(penv, "--mode", "chat", "--prompt", f"store {AWS_KEY} in the wiki")
    pending = wait_pending(penv, CAROL, lambda a: a["rule"] == "cloud-keys-in-prompt" and a["status"] == "pending")
    r = penv.chaperone("approvals", "deny", pending["id"], "--reason", "never paste keys into prompts", user=CAROL)
    assert r.returncode == 0, r.stderr
    out = _finish(p)
    assert out["ok"] is False and out["status"] == 403, out
    assert "never paste keys into prompts" in out["message"], out


@daemon_only
def test_hold_times_out_with_an_error(penv: Env):
    t0 = time.monotonic()
    out = _finish(_start_sdk(penv, "--mode", "chat", "--prompt", f"{AWS_KEY} again"), timeout=40)
    assert out["ok"] is False and out["status"] in (403, 408), out
    assert "no approver" in out["message"].lower() or "timed out" in out["message"].lower(), out
    assert time.monotonic() - t0 >= 5, "the hold lasts the rule's timeout"


@daemon_only
def test_nobody_approves_their_own_request(penv: Env):
    """carol is an approver, but not of her own request."""
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"use {AWS_KEY}"}]})
    p = netns.popen_in_ns(penv.ns, ["curl", "-sS", "--max-time", "20", "-H", AUTH, "-H",
                                    "content-type: application/json", "-d", body,
                                    "https://api.openai.com/v1/chat/completions"],
                          user=CAROL, env=penv.client_env(), stdout=subprocess.PIPE, text=True)
    pending = wait_pending(penv, CAROL, lambda a: a["requester"].startswith(f"unix:{CAROL}(") and a["status"] == "pending")
    r = penv.chaperone("approvals", "approve", pending["id"], "--reason", "mine", user=CAROL)
    assert r.returncode != 0 and "own" in r.stderr.lower(), r.stderr
    p.kill()
    p.wait()


@daemon_only
def test_a_client_that_goes_away_withdraws_its_held_request(penv: Env):
    p = _start_sdk(penv, "--mode", "chat", "--prompt", f"{AWS_KEY} then leave")
    pending = wait_pending(penv, CAROL, lambda a: a["rule"] == "cloud-keys-in-prompt" and a["status"] == "pending")
    p.kill()
    p.wait()
    deadline = time.monotonic() + 5
    status = None
    while time.monotonic() < deadline:
        status = next(a["status"] for a in approvals(penv, CAROL) if a["id"] == pending["id"])
        if status != "pending":
            break
        time.sleep(0.2)
    assert status == "denied", status
    r = penv.chaperone("approvals", "approve", pending["id"], "--reason", "late", user=CAROL)
    assert r.returncode != 0, "a withdrawn request cannot be approved"


# ---------------------------------------------------------------- ticket


@daemon_only
def test_ticket_denies_then_grant_lets_the_retry_pass_until_it_expires(penv: Env):
    out = penv.py_client("openai_client.py", "--mode", "chat", "--model", "o1-pro")
    assert out["ok"] is False and out["status"] == 403, out
    assert out["body"]["type"] == "approval_required", out
    pending = wait_pending(penv, CAROL, lambda a: a["rule"] == "expensive-models" and a["status"] == "pending")
    assert pending["id"] in out["message"] and "chaperone approvals approve" in out["message"], out
    r = penv.chaperone("approvals", "approve", pending["id"], "--reason", "quarterly eval", user=CAROL)
    assert r.returncode == 0, r.stderr
    grants = penv.chaperone_json("grants")
    assert any(g["subject"].startswith("unix:root(0)@") for g in grants), grants
    out = penv.py_client("openai_client.py", "--mode", "chat", "--model", "o1-pro")
    assert out["ok"], out
    time.sleep(5)  # grant_for: 4s
    out = penv.py_client("openai_client.py", "--mode", "chat", "--model", "o1-pro")
    assert out["ok"] is False and out["body"]["type"] == "approval_required", out


@daemon_only
def test_an_admin_grant_lets_a_user_past_the_groups_until_it_expires(penv: Env):
    """carol (an approver, hence an admin) grants alice Copilot for 4 s; alice's node client gets
    through, then not; nobody grants themselves; a non-admin cannot grant."""
    def copilot_status() -> int:
        p = penv.run([NODE, CLIENTS / "copilot_sse.mjs", json.dumps({})], user=ALICE, timeout=30)
        return json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])["status"]

    assert copilot_status() == 403
    r = penv.chaperone("grant", f"unix:{ALICE}", "--provider", "github-copilot", "--for", "4s",
                       "--reason", "INC-42 pairing session", user=ALICE)
    assert r.returncode != 0 and "approver group may grant" in r.stderr, r.stderr
    r = penv.chaperone("grant", f"unix:{CAROL}", "--provider", "github-copilot", "--for", "4s",
                       "--reason", "myself", user=CAROL)
    assert r.returncode != 0 and "themselves" in r.stderr, r.stderr
    r = penv.chaperone("grant", f"unix:{ALICE}", "--provider", "github-copilot", "--for", "4s",
                       "--reason", "INC-42 pairing session", user=CAROL)
    assert r.returncode == 0, r.stderr
    listed = penv.chaperone_json("grants", user=ALICE)  # alice sees the grant that applies to her
    assert [g["reason"] for g in listed] == ["INC-42 pairing session"], listed
    assert copilot_status() == 200
    time.sleep(4.5)
    assert copilot_status() == 403


# ---------------------------------------------------------------- webhook and reload


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("content-length", "0"))
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


@daemon_only
def test_webhook_announces_each_pending_approval_once(make_env):
    hook_port = 18090
    e = make_env(policy=POLICY, policy_options={"approval_webhook": f"http://127.0.0.1:{hook_port}/hook"})
    _Hook.received = []
    server = netns.in_ns(e.ns, lambda: http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), _Hook))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = e.py_client("openai_client.py", "--mode", "chat", "--model", "o1-pro")
        assert out["body"]["type"] == "approval_required", out
        deadline = time.monotonic() + 10
        while not _Hook.received and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert len(_Hook.received) == 1, _Hook.received
        notice = _Hook.received[0]
        assert "text" in notice and "expensive-models" in notice["text"], notice  # Slack-compatible
        assert notice["approval"]["rule"] == "expensive-models" and notice["approval"]["id"] in out["message"], notice
    finally:
        server.shutdown()


@daemon_only
def test_reload_with_a_broken_file_keeps_the_old_policy(make_env):
    e = make_env(policy=POLICY)
    code, _ = chat_curl(e, ALICE, "gpt-4o-mini", new_id())
    assert code == 200
    policy = e.rules_dir / "policy.yaml"
    policy.write_text(POLICY.replace("  unauthenticated: deny", "  unauthenticated: maybe"))
    e.daemon.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    log = e.daemon_log.read_text()
    assert "policy.yaml" in log and "unauthenticated" in log and "kept" in log.lower(), log[-2000:]
    code, _ = chat_curl(e, ALICE, "gpt-4o-mini", new_id())
    assert code == 200, "the old policy stays in force"
    # A valid change takes effect without a signal (the files are watched).
    policy.write_text(POLICY.replace('models: ["gpt-4o*", ', 'models: ['))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        code, body = chat_curl(e, ALICE, "gpt-4o-mini", new_id())
        if code == 403:
            break
        time.sleep(0.5)
    assert code == 403 and "gpt-4o-mini" in body["error"]["message"], body


# ---------------------------------------------------------------- masking rule sets per group


STRICT_POLICY = POLICY.replace(
    '    endpoints: [chat, embeddings, models]\n',
    '    endpoints: [chat, embeddings, models]\n    masking: strict\n', 1)

STRICT_MASKING = """\
version: 1
rules:
  - id: codenames
    entity: PROJECT
    terms: ["Project Kestrel"]
    action: redact
  - id: email
    builtin: email
    action: redact
"""


@daemon_only
def test_each_group_gets_the_masking_rule_set_the_policy_names(make_env):
    """engineering (alice) runs under masking.strict.yaml, which masks a code name; security
    (carol) under masking.yaml, which does not know it."""
    e = make_env(policy=STRICT_POLICY, rules_files={"masking.strict.yaml": STRICT_MASKING})
    sent = {}
    for user in (ALICE, CAROL):
        tid = new_id()
        code, _ = chat_curl(e, user, "gpt-4o-mini", tid, prompt="status of Project Kestrel?")
        assert code == 200
        sent[user] = json.dumps(e.upstream_records(tid))
    assert "Project Kestrel" not in sent[ALICE] and "[PROJECT]" in sent[ALICE], sent[ALICE]
    assert "Project Kestrel" in sent[CAROL], sent[CAROL]


@daemon_only
def test_a_policy_naming_a_missing_masking_rule_set_is_refused(penv: Env, tmp_path: Path):
    """`policy check` names the missing file; a reload to such a policy keeps the old one."""
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "policy.yaml").write_text(STRICT_POLICY)
    p = penv.chaperone("policy", "check", bad, config=False)
    assert p.returncode != 0 and "masking.strict.yaml" in p.stderr, p.stderr


# ---------------------------------------------------------------- the CLI


@daemon_only
def test_policy_check_names_file_line_and_fix(penv: Env, tmp_path: Path):
    good = penv.chaperone("policy", "check", penv.rules_dir, config=False)
    assert good.returncode == 0, good.stderr
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "policy.yaml").write_text(POLICY.replace("    endpoints: [chat, models]", "    endpoint: [chat, models]"))
    p = penv.chaperone("policy", "check", bad, config=False)
    assert p.returncode != 0
    assert "policy.yaml:" in p.stderr and "endpoints" in p.stderr, p.stderr
    shipped = penv.chaperone("policy", "check", Path(__file__).resolve().parents[2] / "Rules", config=False)
    assert shipped.returncode == 0, shipped.stderr


@daemon_only
def test_policy_explain_prints_the_decision_and_its_rules(penv: Env, tmp_path: Path):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "davinci-002", "messages": []}))
    p = penv.chaperone("policy", "explain", "--user", ALICE, "--host", "api.openai.com",
                       "--path", "/v1/chat/completions", "--body", body, "--json")
    assert p.returncode == 0, p.stderr
    answer = json.loads(p.stdout)
    assert answer["outcome"] == "deny" and "deny:no-davinci" in answer["matched_rules"], answer
    p = penv.chaperone("policy", "explain", "--user", ALICE, "--host", "api.openai.com",
                       "--path", "/v1/embeddings")
    assert p.returncode == 0 and "allow" in p.stdout.lower(), p.stdout
