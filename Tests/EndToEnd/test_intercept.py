"""Real clients, unchanged (no base URL, no proxy), reach the providers through Chaperone.

Each test talks to https://<provider host>/... inside the test namespace; the nat OUTPUT rules
that `chaperone rules install` added send it to the daemon, which terminates TLS with a leaf
from the org CA and forwards to the upstream stand-in. In direct mode (CHP_E2E_DIRECT=1) the
same clients reach the stand-in directly, which validates the harness.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import shutil
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import netns
import sse
from conftest import (CHAPERONE_BIN, CLIENTS, DAEMON_USER, DIRECT, NODE, PY, Env, LISTEN_PORT, PeerCert,
                      _json_out as _json_from, check_exchange, dsts_for, new_id)
from upstream import DEFAULT_DELTAS, DEFAULT_TEXT

daemon_only = pytest.mark.skipif(DIRECT, reason="needs the daemon (direct mode)")

AUTH = "Authorization: Bearer sk-e2e-test-key"
CT = "Content-Type: application/json"
CHAT_URL = "https://api.openai.com/v1/chat/completions"


def chat_body(stream: bool = True, prompt: str = "hi") -> str:
    return json.dumps({"model": "gpt-4o-mini", "stream": stream,
                       "messages": [{"role": "user", "content": prompt}]})


def sse_data(raw: bytes) -> list[str]:
    return [ln[6:] for ln in raw.decode().split("\n") if ln.startswith("data: ")]


# ---------------------------------------------------------------- curl


@pytest.mark.parametrize("proto", ["http1.1", "http2"])
def test_curl_stream_body_is_what_upstream_sent(env: Env, proto: str):
    """curl, HTTP/1.1 and HTTP/2: the client gets the upstream's SSE stream: the same text and the same
    events, fields and terminator (masking may move held-back text to a later delta: see sse.py)."""
    tid, mark = new_id(), env.mark()
    body = chat_body()
    out = env.dir / f"{tid}.out"
    p = env.curl(f"--{proto}", "-4", "-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}",
                 "-H", "x-test-script: one|two|three", "-d", body, "-o", out,
                 "-w", "%{http_version} %{http_code}", CHAT_URL)
    assert p.returncode == 0, p.stderr
    version, code = p.stdout.split()
    assert code == "200"
    if env.intercepting:
        assert version == ("2" if proto == "http2" else "1.1")
    else:
        assert version == "1.1"  # the stand-in speaks HTTP/1.1 only
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    got = out.read_bytes()
    sse.assert_equivalent(got, sent)
    data = sse_data(got)
    assert data[-1] == "[DONE]"
    assert "".join(json.loads(d)["choices"][0]["delta"].get("content", "")
                   for d in data[:-1] if json.loads(d)["choices"]) == "onetwothree"
    (req,) = env.upstream_records(tid)
    assert req["body"] == body
    assert req["host"] == "api.openai.com"
    assert req["sni"] == "api.openai.com"            # upstream was reached with the client's SNI
    assert req["local"] == "198.18.0.10:443"          # ... at the original destination
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.openai.com", dsts=["198.18.0.10:443"], method="POST",
                       path="/v1/chat/completions", status=200,
                       alpn=["h2" if proto == "http2" else "http/1.1"])
        assert recs[0]["request_bytes"] >= len(body)


@pytest.mark.parametrize("proto", ["http1.1", "http2"])
def test_curl_echo_exact_request_bytes(env: Env, proto: str):
    """The upstream receives exactly the bytes and headers the client sent (binary, 100 KB)."""
    tid = new_id()
    payload = bytes(range(256)) * 400
    f = env.dir / f"{tid}.bin"
    f.write_bytes(payload)
    p = env.curl(f"--{proto}", "-H", f"x-test-id: {tid}", "-H", "X-E2E-Custom: Value, with; odd=chars",
                 "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{f}",
                 "https://api.openai.com/echo?q=1&r=%20x")
    assert p.returncode == 0, p.stderr
    echo = json.loads(p.stdout)
    assert base64.b64decode(echo["body_b64"]) == payload
    assert echo["method"] == "POST"
    assert echo["path"] == "/echo?q=1&r=%20x"
    assert echo["host"] == "api.openai.com"
    hdrs = {k.lower(): v for k, v in echo["headers"]}
    assert hdrs["x-e2e-custom"] == "Value, with; odd=chars"
    assert hdrs["content-type"] == "application/octet-stream"
    assert int(hdrs.get("content-length", len(payload))) == len(payload)


@pytest.mark.parametrize("proto", ["http1.1", "http2"])
def test_sequential_requests_share_one_upstream_connection(env: Env, proto: str):
    """Four requests one after the other on one client connection reach the provider over one
    pooled connection, HTTP/2 streams included (a stream's close used to leak its upstream
    connection, so every HTTP/2 request paid a new TCP and TLS handshake)."""
    tid = new_id()
    urls = [f"https://api.openai.com/echo?n={i}" for i in range(4)]
    p = env.curl(f"--{proto}", "-H", f"x-test-id: {tid}", "-d", "ping", *urls)
    assert p.returncode == 0, p.stderr
    recs = env.upstream_records(tid)
    assert len(recs) == 4, recs
    assert len({r["peer"] for r in recs}) == 1, [r["peer"] for r in recs]
    if env.daemon is not None:
        env.still_serving()


def test_provider_error_passes_through(env: Env):
    """A provider's own error (bad JSON -> 400, OpenAI shape) reaches the client unchanged."""
    tid, mark = new_id(), env.mark()
    p = env.curl("-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}", "-d", "{not json",
                 "-w", "\n%{http_code}", CHAT_URL)
    body, code = p.stdout.rsplit("\n", 1)
    assert code == "400"
    err = json.loads(body)["error"]
    assert err["type"] == "invalid_request_error" and err["param"] is None and err["code"] is None
    assert "could not parse the JSON body" in err["message"]
    assert base64.b64decode(env.upstream_response(tid)["body_b64"]) == body.encode()
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1 and recs[0]["status"] == 400, recs


@pytest.mark.parametrize("host", ["api.openai.com", "api.anthropic.com", "api.githubcopilot.com",
                                  "generativelanguage.googleapis.com"])
def test_leaf_seen_by_client_is_from_org_ca(env: Env, host: str):
    """openssl s_client (an independent TLS peer) sees a leaf for the host issued by the org CA."""
    seen = env.s_client(f"{host}:443", host)
    assert seen.leaf is not None, seen.output
    assert seen.verify_code == 0, seen.output
    assert seen.leaf.issuer == env.expected_issuer()
    assert host in seen.san_dns()
    if env.intercepting:
        ca = x509.load_pem_x509_certificate(env.org_ca.read_bytes())
        seen.leaf.verify_directly_issued_by(ca)
        life = seen.leaf.not_valid_after_utc - seen.leaf.not_valid_before_utc
        assert life <= _dt.timedelta(days=7), f"leaf lives {life}; invariant 4 says hours"
        eku = seen.leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ExtendedKeyUsageOID.SERVER_AUTH in eku
        aki = seen.leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == ski.digest


# ---------------------------------------------------------------- SDKs and node


def test_openai_sdk_stream(env: Env):
    """The openai SDK streams a chat completion; the deltas are the upstream's planted text."""
    tid, mark = new_id(), env.mark()
    out = env.py_client("openai_client.py", "--header", f"x-test-id: {tid}",
                        "--header", "x-test-script: Planted| text| for| the| openai| SDK.", "--include-usage")
    assert out["ok"], out
    assert out["base_url"] == "https://api.openai.com/v1/"
    assert "".join(out["deltas"]) == "Planted text for the openai SDK."
    assert len(out["deltas"]) >= 5  # streamed, not one block (the masker holds back at most a word)
    assert out["finish_reason"] == "stop"
    assert out["usage"]["completion_tokens"] == 6
    (req,) = env.upstream_records(tid)
    assert json.loads(req["body"])["stream"] is True
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.openai.com", dsts=dsts_for("api.openai.com"), method="POST",
                       path="/v1/chat/completions", status=200, alpn=["http/1.1", "h2"])


def test_openai_sdk_default_reply_and_prompt_script(env: Env):
    """Without a script the reply is the fixed sentence in 10 deltas; `say:` in the prompt plants text."""
    out = env.py_client("openai_client.py")
    assert out["ok"], out
    assert out["text"] == DEFAULT_TEXT and len(DEFAULT_DELTAS) == 10
    assert len([d for d in out["deltas"] if d]) >= 9, out["deltas"]
    out = env.py_client("openai_client.py", "--prompt", "say: from the prompt")
    assert out["text"] == "from the prompt", out


@pytest.mark.parametrize("mode", ["chat", "embeddings", "models"])
def test_openai_sdk_json_endpoints(env: Env, mode: str):
    """Non-streaming JSON (gzip-compressed by the upstream, as the SDK asks), embeddings, models."""
    tid, mark = new_id(), env.mark()
    out = env.py_client("openai_client.py", "--mode", mode, "--header", f"x-test-id: {tid}",
                        "--header", "x-test-script: JSON reply")
    assert out["ok"], out
    if mode == "chat":
        assert out["text"] == "JSON reply" and out["finish_reason"] == "stop"
    elif mode == "embeddings":
        assert out["count"] == 2 and out["dims"] == 8
    else:
        assert "gpt-4o-mini" in out["models"]
    (req,) = env.upstream_records(tid)
    path = {"chat": "/v1/chat/completions", "embeddings": "/v1/embeddings", "models": "/v1/models"}[mode]
    assert req["path"] == path
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.openai.com", dsts=dsts_for("api.openai.com"),
                       method="GET" if mode == "models" else "POST", path=path, status=200,
                       alpn=["http/1.1", "h2"])


ANTHROPIC_EVENTS = ["message_start", "content_block_start", "ping", "content_block_delta",
                    "content_block_stop", "message_delta", "message_stop"]


def test_anthropic_sdk_stream(env: Env):
    """The anthropic SDK streams messages; the text is the planted script, the stop reason arrives."""
    tid, mark = new_id(), env.mark()
    out = env.py_client("anthropic_client.py", "--header", f"x-test-id: {tid}",
                        "--header", "x-test-script: Claude| says| what| the| test| planted.")
    assert out["ok"], out
    assert out["base_url"] == "https://api.anthropic.com"
    assert "".join(out["deltas"]) == "Claude says what the test planted."
    assert out["final_text"] == "Claude says what the test planted."
    assert out["stop_reason"] == "end_turn"
    raw_types = [e for e in out["events"] if e in ANTHROPIC_EVENTS]
    assert raw_types[0] == "message_start" and raw_types[-1] == "message_stop"
    # six deltas, plus at most one that flushes the masker's held-back tail before content_block_stop
    assert raw_types.count("content_block_delta") in (6, 7)
    # ... and the wire sequence the upstream sent is the provider's exact one
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"]).decode()
    names = [ln[7:] for ln in sent.split("\n") if ln.startswith("event: ")]
    assert names == ANTHROPIC_EVENTS[:3] + ["content_block_delta"] * 6 + ANTHROPIC_EVENTS[4:]
    (req,) = env.upstream_records(tid)
    hdrs = {k.lower(): v for k, v in req["headers"]}
    # older SDKs send x-api-key; anthropic 2.x sends the API key as a Bearer token
    assert "sk-ant-e2e-test-key" in (hdrs.get("x-api-key"), hdrs.get("authorization", "").removeprefix("Bearer "))
    assert hdrs["anthropic-version"]
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.anthropic.com", dsts=dsts_for("api.anthropic.com"), method="POST",
                       path="/v1/messages", status=200, alpn=["http/1.1", "h2"])


def test_curl_anthropic_wire_events(env: Env):
    """curl gets Anthropic's `event:` + `data:` stream: the same events and the same text."""
    tid = new_id()
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True,
                       "messages": [{"role": "user", "content": "say: a|b"}]})
    p = env.run(["curl", "-sS", "--max-time", "10", "-H", "x-api-key: k", "-H", "anthropic-version: 2023-06-01",
                 "-H", CT, "-H", f"x-test-id: {tid}", "-d", body, "https://api.anthropic.com/v1/messages"],
                text=False)
    assert p.returncode == 0, p.stderr
    sse.assert_equivalent(p.stdout, base64.b64decode(env.upstream_response(tid)["body_b64"]))
    assert p.stdout.startswith(b"event: message_start\ndata: {")


def test_node_copilot_sse(env: Env):
    """node's https module, Copilot's endpoint, SSE; the org CA arrives via NODE_EXTRA_CA_CERTS."""
    tid, mark = new_id(), env.mark()
    out = env.node_client({"headers": {"x-test-id": tid, "x-test-script": "Copilot| streams| through."}})
    assert out["ok"], out
    assert out["status"] == 200
    assert out["headers"]["content-type"].startswith("text/event-stream")
    assert out["text"] == "Copilot streams through."
    assert out["events"][-1] == "[DONE]"
    assert json.loads(out["events"][0])["prompt_filter_results"]
    assert out["issuer_cn"] == env.expected_issuer().get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    (req,) = env.upstream_records(tid)
    assert req["path"] == "/chat/completions" and req["host"] == "api.githubcopilot.com"
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.githubcopilot.com", dsts=dsts_for("api.githubcopilot.com"),
                       method="POST", path="/chat/completions", status=200, alpn=[None, "http/1.1"])


@pytest.mark.parametrize("client", ["openai", "node"])
def test_streaming_is_not_buffered(env: Env, client: str):
    """8 events 300 ms apart: the client's first delta arrives >= 1.5 s before its last."""
    hdrs = {"x-test-delay-ms": "300", "x-test-events": "8", "x-test-id": new_id()}
    if client == "openai":
        out = env.py_client("openai_client.py", *[a for k, v in hdrs.items() for a in ("--header", f"{k}: {v}")])
    else:
        out = env.node_client({"headers": hdrs})
    assert out["ok"], out
    assert out["deltas"] == [f"tok{i} " for i in range(8)]
    times = out["times"] if client == "openai" else \
        [t for t, e in zip(out["times"], out["events"]) if '"content":"tok' in e]
    assert len(times) == 8
    spread = times[-1] - times[0]
    assert spread >= 1.5, f"deltas arrived within {spread:.2f}s: buffered? {times}"
    assert out["elapsed"] < 10


# ---------------------------------------------------------------- splice, loops, address families


def test_splice_unlisted_host_on_redirected_address(env: Env):
    """cdn.example.net shares api.openai.com's address but is not listed: spliced, upstream's own cert."""
    mark = env.mark()
    seen = env.s_client("198.18.0.10:443", "cdn.example.net")
    assert seen.leaf is not None, seen.output
    assert seen.leaf.issuer == env.public_issuer()
    assert seen.verify_code == 0, seen.output
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert [r["kind"] for r in recs] == ["splice"], recs
        assert recs[0]["sni"] == "cdn.example.net"
        assert recs[0]["original_dst"] == "198.18.0.10:443"


@pytest.mark.parametrize("family", ["-4", "-6"])
def test_splice_carries_a_whole_request(env: Env, family: str):
    """A full HTTPS request to the spliced host works, end to end, over both address families."""
    tid, mark = new_id(), env.mark()
    p = env.curl(family, "-H", f"x-test-id: {tid}", "-d", "spliced", "https://cdn.example.net/echo")
    assert p.returncode == 0, p.stderr
    echo = json.loads(p.stdout)
    assert base64.b64decode(echo["body_b64"]) == b"spliced" and echo["sni"] == "cdn.example.net"
    (req,) = env.upstream_records(tid)
    v4, v6 = netns.HOSTS["cdn.example.net"]
    assert req["local"] == (f"{v4}:443" if family == "-4" else f"[{v6}]:443")
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert [r["kind"] for r in recs] == ["splice"], recs
        assert recs[0]["original_dst"] == req["local"]


def test_no_loop_one_record_per_request(env: Env):
    """The daemon's own upstream connection is exempt: one request, one record, one upstream hit."""
    tid, mark = new_id(), env.mark()
    p = env.curl("-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}", "-d", chat_body(stream=False),
                 "-w", "\n%{http_code} %{time_total}", CHAT_URL)
    assert p.returncode == 0, p.stderr
    code, total = p.stdout.rsplit("\n", 1)[1].split()
    assert code == "200" and float(total) < 3, p.stdout
    assert len(env.upstream_records(tid)) == 1
    if env.intercepting:
        recs = env.new_records(mark, 1, settle=1.0)
        assert len(recs) == 1, f"a request produced {len(recs)} records (loop?): {recs}"
        assert recs[0]["duration_ms"] < 3000


@daemon_only
def test_exempt_user_is_not_redirected(env: Env):
    """Connections of the `chaperone` user go straight out: it sees the upstream's own cert."""
    mark = env.mark()
    seen = env.run(["openssl", "s_client", "-connect", "api.openai.com:443", "-servername", "api.openai.com",
                    "-showcerts", "-CAfile", env.pki.public_ca], user=DAEMON_USER, input="")
    cert = PeerCert.parse(seen)
    assert cert.leaf is not None, cert.output
    assert cert.leaf.issuer == env.public_issuer()
    assert env.new_records(mark, 0, settle=0.5) == []


@pytest.mark.parametrize("family", ["-4", "-6"])
def test_address_families_intercepted(env: Env, family: str):
    """IPv4 and IPv6 connections to api.openai.com are both intercepted, with the right original dst."""
    dst = "198.18.0.10:443" if family == "-4" else "[fd00:c4a9::10]:443"
    seen = env.s_client(dst, "api.openai.com")
    assert seen.leaf is not None and seen.leaf.issuer == env.expected_issuer(), seen.output
    tid, mark = new_id(), env.mark()
    p = env.curl(family, "-H", f"x-test-id: {tid}", "-d", "fam", "https://api.openai.com/echo")
    assert p.returncode == 0, p.stderr
    (req,) = env.upstream_records(tid)
    assert req["local"] == dst  # the daemon dialled the original destination's family and address
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        check_exchange(recs[0], sni="api.openai.com", dsts=[dst], method="POST", path="/echo", status=200,
                       alpn=["h2", "http/1.1"])


def test_websocket_echo(env: Env):
    """wss://api.openai.com/v1/realtime through the interceptor: upgrade, text, binary, 70 KB frames."""
    tid, mark = new_id(), env.mark()
    out = env.py_client("ws_echo.py", tid)
    assert out["ok"], out
    assert out["first"]["type"] == "session.created"
    assert out["echoed"] == [True, True, True, True]
    assert out["issuer"]["commonName"] == \
        env.expected_issuer().get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    ends = []
    for _ in range(60):
        ends = env.upstream_records(tid, type="websocket_end")
        if ends:
            break
        time.sleep(0.05)
    assert ends and ends[0]["messages"] == 4, ends
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert len(recs) == 1, recs
        r = recs[0]
        assert r["kind"] == "websocket" and r["sni"] == "api.openai.com", r
        assert r["path"].split("?")[0] == "/v1/realtime" and r["original_dst"] in dsts_for("api.openai.com")


# ---------------------------------------------------------------- rules


@daemon_only
def test_rules_install_idempotent_and_uninstall_restores(make_env):
    """`rules install` adds REDIRECTs to the listen port (v4 and v6), twice is once; uninstall restores."""
    e = make_env(install_rules=False)
    before = netns.nat_rules(e.ns)
    e.install_rules()
    once = netns.nat_rules(e.ns)
    for table in once:
        assert "REDIRECT" in table and str(LISTEN_PORT) in table, table
        assert "--uid-owner" in table, table
    e.install_rules()
    assert netns.nat_rules(e.ns) == once, "install is not idempotent"
    st = e.rules("status", "--json")
    assert st.returncode == 0, st.stderr
    json.loads(st.stdout)
    p = e.uninstall_rules()
    assert p.returncode == 0, p.stderr
    assert netns.nat_rules(e.ns) == before
    p = e.uninstall_rules()
    assert p.returncode == 0, f"second uninstall failed: {p.stderr}"
    assert netns.nat_rules(e.ns) == before


@daemon_only
def test_fail_closed_when_daemon_is_down(make_env):
    """Invariant 3: with the daemon stopped and rules in place, connections are refused, not sent around."""
    e = make_env()
    e.stop_daemon()
    tid = new_id()
    p = e.curl("-4", "-H", f"x-test-id: {tid}", "-d", "x", "https://api.openai.com/echo", timeout=10)
    assert p.returncode == 7, f"curl exit {p.returncode}: {p.stderr}"  # couldn't connect
    assert e.upstream_records(tid) == []


def test_runner_image_system_trust_store(make_env):
    """The org CA only in the system store (update-ca-certificates), no CA variables at all.

    curl and the openai/anthropic SDKs (httpx2 reads OpenSSL's compiled-in paths, not certifi)
    trust it; node does not read the system store unless told (--use-openssl-ca), so a
    runner image must also set NODE_EXTRA_CA_CERTS.
    """
    e = make_env()
    e.install_system_trust()
    p = e.run(["curl", "-sS", "--max-time", "8", "-d", "sys", "https://api.openai.com/echo"], ca_env=False)
    assert p.returncode == 0, p.stderr
    assert base64.b64decode(json.loads(p.stdout)["body_b64"]) == b"sys"
    out = _json_from(e.run([PY, CLIENTS / "openai_client.py", "--header", "x-test-script: sys|store"],
                           ca_env=False, timeout=30))
    assert out["ok"] and out["text"] == "sysstore", out
    out = _json_from(e.run([PY, CLIENTS / "anthropic_client.py", "--header", "x-test-script: sys|store"],
                           ca_env=False, timeout=30))
    assert out["ok"] and out["text"] == "sysstore", out
    out = _json_from(e.run([NODE, CLIENTS / "copilot_sse.mjs", "{}"], ca_env=False, timeout=30))
    assert out["ok"] is False and out["error"] in ("SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                                                   "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), out
    out = _json_from(e.run([NODE, "--use-openssl-ca", CLIENTS / "copilot_sse.mjs", "{}"], ca_env=False, timeout=30))
    assert out["ok"] and out["status"] == 200, out


# ---------------------------------------------------------------- attribution


@daemon_only
@pytest.mark.parametrize("user,uid", [("root", 0), ("daemon", 1)])
def test_exchange_is_attributed_to_the_calling_uid(env: Env, user: str, uid: int):
    """sock_diag names the uid behind each connection; the record carries it and a unix principal."""
    tid, mark = new_id(), env.mark()
    p = env.curl("-4", "-H", AUTH, "-H", f"x-test-id: {tid}", "https://api.openai.com/v1/models",
                 user=None if user == "root" else user)
    assert p.returncode == 0, p.stderr
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["uid"] == uid, rec
    assert rec["principal"]["subject"].startswith(f"unix:{user}({uid})@"), rec["principal"]
    assert rec["principal"]["source"] == "unix"
    # With the unit's capabilities the daemon reads the client's /proc entries: curl it was.
    assert rec["process"]["executable"] == "/usr/bin/curl", rec
    assert isinstance(rec["process"]["pid"], int) and rec["process"]["cgroup"], rec
    assert "command" not in json.dumps(rec["process"]), "the command line must not be recorded"


# ---------------------------------------------------------------- doctor


@daemon_only
def test_doctor_proves_interception_and_names_what_to_fix(env: Env):
    """Rules, daemon, a real request answered by an org-CA leaf and recorded: ok. The namespace's
    runtimes do not trust the org CA system-wide, and doctor says so with the fix."""
    p = env.run([CHAPERONE_BIN, "doctor", "--json", "--config", env.config_path], ca_env=False, timeout=60)
    checks = {c["name"]: c for c in json.loads(p.stdout)}
    for name in ("rules", "daemon", "org-ca", "self-test", "recorded"):
        assert checks[name]["ok"], checks[name]
    assert not checks["trust-system"]["ok"] and "update-ca-certificates" in checks["trust-system"]["fix"]
    assert not checks["trust-node"]["ok"] and checks["trust-node"]["fix"]
    # Java: one check per cacerts keystore when keytool is installed, none when it is not
    java = [c for c in json.loads(p.stdout) if c["name"] == "trust-java"]
    if shutil.which("keytool"):
        assert java and all(not c["ok"] and "keytool -importcert" in c["fix"] for c in java), java
        assert any("/etc/ssl/certs/java/cacerts" in c["detail"] for c in java), java
    else:
        assert java == []
    assert p.returncode == 1  # something failed, and the exit status says so
