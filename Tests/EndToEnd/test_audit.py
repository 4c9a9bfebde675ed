"""The audit log on the data path (issue 7): what a real client's exchange leaves behind.

A real SDK streams through the daemon; the hash-chained SQLite store then holds the session,
the masked request and the masked chunks with their times; `audit verify` passes and names the
seq of an edit; an evidence export verifies offline and fails after an edit; planted secrets
appear nowhere on disk; a kill -9 mid-stream loses no acknowledged event.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import netns
from conftest import CLIENTS, DAEMON_USER, DIRECT, PY, Env, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="the audit log needs the daemon (direct mode)")

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
EMAIL = "jane.doe@example.com"


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cli(env: Env, *args, timeout: float = 60) -> subprocess.CompletedProcess:
    """The audit commands run as the daemon's user, who owns the store (as an operator would: sudo -u)."""
    return env.chaperone(*args, user=DAEMON_USER, timeout=timeout)


def cli_json(env: Env, *args, timeout: float = 60):
    p = cli(env, *args, "--json", timeout=timeout)
    assert p.returncode == 0, f"{args}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    return json.loads(p.stdout)


def replay_events(env: Env, session: str) -> list[dict]:
    p = cli(env, "replay", session, "--speed", "max", "--json")
    assert p.returncode == 0, p.stderr
    return [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]


def session_of(env: Env, test_id: str, timeout: float = 10) -> str:
    """The session whose recorded (masked) request body carries this test id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for s in cli_json(env, "sessions", "list", "--limit", "500"):
            if s["closed"] is None:
                continue
            events = replay_events(env, s["id"])
            if any(test_id in json.dumps(e["payload"]) for e in events if e["kind"] == "exchange.request"):
                return s["id"]
        time.sleep(0.3)
    raise AssertionError(f"no closed session with {test_id}")


@pytest.fixture(scope="module")
def aenv(base_dir, pki, daemon_user):
    from conftest import Options, _make
    e = _make(base_dir, pki, daemon_user,
              Options(audit={"sinks": [{"name": "shipper", "type": "jsonl", "path": "STATE/sink.jsonl"}]}), "audit")
    yield e
    e.close()


@daemon_only
def test_streamed_completion_is_recorded_masked_with_its_pace(aenv: Env):
    tid = new_id()
    out = aenv.py_client("openai_client.py", "--header", f"x-test-id: {tid}", "--header", "x-test-events: 8",
                         "--header", "x-test-delay-ms: 300", "--prompt", f"mail {EMAIL} the key {AWS_KEY} ({tid})",
                         "--include-usage")
    assert out["ok"], out
    session = session_of(aenv, tid)
    summary = [s for s in cli_json(aenv, "sessions", "list") if s["id"] == session][0]
    assert summary["principal"].startswith("unix:root(0)@") and summary["exchanges"] == 1, summary
    assert summary["provider"] == "openai" and summary["sni"] == "api.openai.com", summary
    events = replay_events(aenv, session)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "session.open" and kinds[-1] == "session.close", kinds
    assert "exchange.request" in kinds and "exchange.response" in kinds and "policy.decision" in kinds, kinds
    opened = events[0]["payload"]
    assert opened["process"]["executable"].endswith("python3.11") or "python" in opened["process"]["executable"]
    request = next(e for e in events if e["kind"] == "exchange.request")["payload"]
    assert request["model"] == "gpt-4o-mini" and request["path"] == "/v1/chat/completions", request
    assert "[EMAIL_1]" in request["body"] and "[AWS_ACCESS_KEY]" in request["body"], request["body"]
    assert {f["rule"] for f in request["findings"]} >= {"email", "aws-access-key"}, request["findings"]
    response = next(e for e in events if e["kind"] == "exchange.response")["payload"]
    assert response["status"] == 200 and response["stream"] is True, response
    chunks = response["chunks"]
    times = [c["t_ms"] for c in chunks]
    assert times == sorted(times) and times[-1] - times[0] >= 1500, times  # 8 events 300 ms apart
    text = "".join(c["data"] for c in chunks)
    for delta in out["deltas"]:
        assert delta in text
    assert response["usage"] and response["usage"].get("total_tokens"), response["usage"]
    # Replay at the original pace takes the stream's time; at max speed it does not.
    t0 = time.monotonic()
    p = cli(aenv, "replay", session, "--speed", "1")
    paced = time.monotonic() - t0
    assert p.returncode == 0 and out["deltas"][0] in p.stdout, p.stdout
    assert paced >= 1.5, paced
    t0 = time.monotonic()
    assert cli(aenv, "replay", session, "--speed", "max").returncode == 0
    assert time.monotonic() - t0 < paced


@daemon_only
def test_gemini_stream_is_recorded_masked_and_replays_as_text(aenv: Env):
    """A Gemini SSE stream (CRLF events) is recorded as masked chunks; replay shows its text."""
    tid = new_id()
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": f"hello ({tid})"}]}]})
    p = aenv.curl("-4", "-H", "x-goog-api-key: e2e-gemini-test-key", "-H", "Content-Type: application/json",
                  "-H", f"x-test-id: {tid}", "-H", "x-test-script: Mail jane.|doe@example.com| today.", "-d", body,
                  "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    assert p.returncode == 0, p.stderr
    session = session_of(aenv, tid)
    summary = [s for s in cli_json(aenv, "sessions", "list") if s["id"] == session][0]
    assert summary["provider"] == "gemini" and summary["sni"] == "generativelanguage.googleapis.com", summary
    response = next(e for e in replay_events(aenv, session) if e["kind"] == "exchange.response")["payload"]
    assert response["stream"] is True, response
    recorded = "".join(c["data"] for c in response["chunks"])
    assert "[EMAIL_1]" in recorded and "jane" not in recorded and "doe@" not in recorded, recorded
    p = cli(aenv, "replay", session, "--speed", "max")
    assert p.returncode == 0 and "Mail [EMAIL_1] today." in p.stdout, p.stdout


@daemon_only
def test_verify_passes_and_export_verifies_offline(aenv: Env, tmp_path: Path):
    aenv.py_client("openai_client.py", "--mode", "chat")
    report = cli_json(aenv, "audit", "verify")
    assert report["ok"] is True and report["events"] > 0, report
    out = aenv.daemon_dir("evidence") / "package"
    now = dt.datetime.now(dt.timezone.utc)
    p = cli(aenv, "audit", "export", "--from", iso(now - dt.timedelta(hours=1)), "--to",
            iso(now + dt.timedelta(minutes=1)), "--format", "csv", "--out", out)
    assert p.returncode == 0, p.stderr
    names = {f.name for f in out.iterdir()}
    assert {"manifest.json", "CONTROLS.md", "public-key.pem", "events.jsonl"} <= names, names
    controls = (out / "CONTROLS.md").read_text()
    for control in ("5.15", "8.11", "8.15", "A.12.4"):
        assert control in controls
    key = tmp_path / "pinned.pem"
    key.write_text(cli(aenv, "audit", "public-key").stdout)
    # Offline: no daemon, no store, only the package and the key the auditor pinned.
    p = aenv.chaperone("audit", "verify", "--export", out, "--public-key", key, config=False)
    assert p.returncode == 0, p.stdout + p.stderr
    victim = next(f for f in out.iterdir() if f.suffix == ".csv")
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    p = aenv.chaperone("audit", "verify", "--export", out, "--public-key", key, config=False)
    assert p.returncode != 0 and victim.name in (p.stdout + p.stderr), p.stdout + p.stderr


@daemon_only
def test_no_raw_canary_anywhere(aenv: Env, tmp_path: Path):
    """Planted secrets in the prompt and in the streamed answer: none reaches disk, export, sink or log."""
    tid = new_id()
    script = f"reply to {EMAIL} with {AWS_KEY} now"
    out = aenv.py_client("openai_client.py", "--header", f"x-test-id: {tid}", "--header", f"x-test-script: {script}",
                         "--prompt", f"my key is {AWS_KEY} and mail is {EMAIL} ({tid})")
    assert out["ok"] and AWS_KEY not in out["text"], out
    session_of(aenv, tid)
    export = aenv.daemon_dir("evidence") / "package"
    now = dt.datetime.now(dt.timezone.utc)
    assert cli(aenv, "audit", "export", "--from", iso(now - dt.timedelta(hours=1)), "--to",
               iso(now + dt.timedelta(minutes=1)), "--format", "json", "--out", export).returncode == 0
    time.sleep(1.5)  # the sink catches up
    sink = aenv.state_dir / "sink.jsonl"
    assert sink.is_file() and sink.stat().st_size > 0
    files = [f for d in (aenv.state_dir, export) for f in d.rglob("*") if f.is_file()]
    files.append(aenv.daemon_log)
    for f in files:
        data = f.read_bytes()
        for canary in (AWS_KEY, EMAIL):
            assert canary.encode() not in data, f"raw canary {canary[:8]}… in {f}"


@daemon_only
def test_an_edited_event_is_named_by_seq(make_env):
    e = make_env()
    e.py_client("openai_client.py", "--mode", "chat", "--prompt", "first")
    e.py_client("openai_client.py", "--mode", "chat", "--prompt", "second")
    assert cli_json(e, "audit", "verify")["ok"]
    e.stop_daemon()
    db = sqlite3.connect(e.audit_db)
    # The store's triggers refuse UPDATE; someone with the file drops them first.
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    seq, canonical = db.execute(
        "SELECT seq, canonical FROM events WHERE kind = 'exchange.request' ORDER BY seq LIMIT 1").fetchone()
    db.execute("UPDATE events SET canonical = ? WHERE seq = ?", (canonical.replace("first", "fir5t"), seq))
    db.commit()
    db.close()
    netns.chown_tree(e.state_dir, DAEMON_USER)
    p = cli(e, "audit", "verify", "--json")
    assert p.returncode == 1, p.stdout
    report = json.loads(p.stdout)
    assert report["ok"] is False and report["first_bad_seq"] == seq and report["problem"] == "changed", report
    assert f"{seq}" in cli(e, "audit", "verify").stderr


@daemon_only
def test_kill_9_mid_stream_loses_no_acknowledged_event(make_env):
    e = make_env(audit={"sinks": [{"name": "shipper", "type": "jsonl", "path": "STATE/sink.jsonl"}]})
    clients = [netns.popen_in_ns(e.ns, [PY, CLIENTS / "openai_client.py", "--header", "x-test-events: 20",
                                        "--header", "x-test-delay-ms: 100"],
                                 env=e.client_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(6)]
    time.sleep(1.2)
    sink = e.state_dir / "sink.jsonl"
    e.daemon.send_signal(signal.SIGKILL)
    e.daemon.wait(10)
    acknowledged = [json.loads(ln) for ln in sink.read_text().splitlines() if ln.strip()] if sink.exists() else []
    for c in clients:
        c.wait(30)
    e.daemon = None
    e.start_daemon()
    report = cli_json(e, "audit", "verify")
    assert report["ok"], report
    db = sqlite3.connect(e.audit_db)
    stored = {row[0]: row[1] for row in db.execute("SELECT seq, hash FROM events")}
    db.close()
    assert acknowledged, "the sink had received events before the kill"
    for event in acknowledged:
        assert stored.get(event["seq"]) == event["hash"], f"acknowledged event {event['seq']} lost or changed"


@daemon_only
def test_prune_leaves_a_verifiable_chain(make_env):
    e = make_env()
    for _ in range(3):
        e.py_client("openai_client.py", "--mode", "chat")
    time.sleep(0.5)
    cutoff = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))
    time.sleep(1.5)
    e.py_client("openai_client.py", "--mode", "chat")
    result = cli_json(e, "audit", "prune", "--before", cutoff)
    assert result["pruned"] > 0, result
    report = cli_json(e, "audit", "verify")
    assert report["ok"], report
