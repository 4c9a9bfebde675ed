"""Bad input on intercepted addresses: the daemon closes or answers cleanly, and keeps serving.

Raw-byte tests open their sockets inside the namespace from the pytest process itself
(`netns.ns_connect`, setns in a helper thread) as root, so they are redirected like any client.
"""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest

import netns
from conftest import DIRECT, LISTEN_PORT, Env, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="needs the daemon (direct mode)")

AUTH = "Authorization: Bearer sk-e2e-test-key"
CT = "Content-Type: application/json"
CHAT = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})


def client_hello(sni: str | None = "api.openai.com") -> bytes:
    """The bytes of a real ClientHello from Python's OpenSSL (TLS 1.3, ALPN h2/http1.1)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def wait_closed(s: socket.socket, timeout: float) -> tuple[float | None, bytes]:
    """Seconds until the peer closed (EOF or reset), or None if still open after `timeout`."""
    t0 = time.monotonic()
    got = b""
    s.settimeout(0.1)
    while time.monotonic() - t0 < timeout:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0, got
        if not d:
            return time.monotonic() - t0, got
        got += d
    return None, got


def test_plain_http_on_443(env: Env):
    """`GET / HTTP/1.1` bytes where a ClientHello belongs: the connection is closed, nothing crashes."""
    mark = env.mark()
    s = netns.ns_connect(env.ns, "198.18.0.10", 443)
    s.sendall(b"GET / HTTP/1.1\r\nHost: api.openai.com\r\n\r\n")
    elapsed, got = wait_closed(s, 6)
    s.close()
    assert elapsed is not None, "connection left open"
    assert not got.startswith(b"HTTP/1.1 2"), got
    env.still_serving()
    if env.intercepting:
        recs = env.new_records(mark, 1)
        assert all(r["kind"] != "exchange" or r.get("path") == "/echo" for r in recs), recs


def test_clienthello_without_sni_is_spliced(env: Env):
    """No SNI on an intercepted address: the daemon splices; the client sees the upstream's cert."""
    mark = env.mark()
    seen = env.s_client("198.18.0.10:443", None)
    assert seen.leaf is not None, seen.output
    assert seen.leaf.issuer == env.public_issuer()
    env.still_serving()
    if env.intercepting:
        recs = env.new_records(mark, 2)
        splices = [r for r in recs if r["kind"] == "splice"]
        assert len(splices) == 1, recs
        assert splices[0]["sni"] is None and splices[0]["original_dst"] == "198.18.0.10:443"


@daemon_only
@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_direct_connection_to_listen_port_is_not_a_loop(env: Env, addr: str):
    """A connection straight to the listen port (not redirected) is closed at once, never proxied to itself."""
    mark = env.mark()
    s = netns.ns_connect(env.ns, addr, LISTEN_PORT)
    s.sendall(client_hello("api.openai.com"))
    elapsed, got = wait_closed(s, 6)
    s.close()
    # conntrack still reports an "original destination" for it: the listen address itself.
    # Proxying there would be a loop; the daemon must refuse at once, without a handshake.
    assert elapsed is not None and elapsed < 2.0, f"not refused at once ({elapsed})"
    assert got == b"" or got[:1] == b"\x15", f"answered a non-redirected connection: {got[:16]!r}"
    recs = env.new_records(mark, 0, settle=0.5)
    assert recs == [], f"a connection that was not redirected produced records (loop?): {recs}"
    env.still_serving()


@daemon_only
def test_truncated_clienthello_times_out(make_env):
    """Half a ClientHello, then silence: closed after client_hello_ms (1000 ms here), not before."""
    e = make_env(client_hello_ms=1000)
    hello = client_hello()
    s = netns.ns_connect(e.ns, "198.18.0.11", 443)
    s.sendall(hello[: len(hello) // 2])
    elapsed, got = wait_closed(s, 6)
    s.close()
    assert elapsed is not None, "connection with a truncated ClientHello left open past 6 s"
    assert 0.8 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s, client_hello_ms is 1000"
    e.still_serving()


@daemon_only
def test_idle_tls_connection_is_closed(make_env):
    """A client that completes TLS and then sends nothing is closed after idle_ms (1000 ms here)."""
    import ssl
    import time
    e = make_env(idle_ms=1000)
    ctx = ssl.create_default_context(cafile=str(e.bundle))
    s = netns.ns_connect(e.ns, "198.18.0.10", 443)
    tls = ctx.wrap_socket(s, server_hostname="api.openai.com")
    tls.settimeout(6)
    start = time.monotonic()
    try:
        got = tls.recv(1)
    except (ssl.SSLError, ConnectionError, TimeoutError) as err:
        got = repr(err).encode()
    elapsed = time.monotonic() - start
    tls.close()
    assert b"Timeout" not in got, f"idle connection left open past 6 s: {got!r}"
    assert got == b"" or got.startswith(b"SSL") or got.startswith(b"Conn"), f"unexpected bytes: {got!r}"
    assert 0.8 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s, idle_ms is 1000"
    e.still_serving()


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_oversize_record_header_closed_at_once(env: Env, family: str):
    """A handshake record header declaring 60 KB (> 16 KB + 2048) is refused at once."""
    host = "198.18.0.10" if family == "v4" else "fd00:c4a9::10"
    s = netns.ns_connect(env.ns, host, 443)
    s.sendall(bytes([0x16, 0x03, 0x01, 0xEA, 0x60]) + b"\x01" * 64)
    elapsed, got = wait_closed(s, 6)
    s.close()
    assert elapsed is not None and elapsed < 1.0, f"closed after {elapsed}"
    env.still_serving()


def test_garbage_then_valid_connection_pool(env: Env):
    """Random bytes on several connections at once; then a normal request still works."""
    socks = []
    for i in range(8):
        s = netns.ns_connect(env.ns, "198.18.0.12" if i % 2 else "fd00:c4a9::12", 443)
        s.sendall(bytes((i * 37 + k) % 256 for k in range(300)))
        socks.append(s)
    for s in socks:
        elapsed, _ = wait_closed(s, 6)
        s.close()
        assert elapsed is not None
    env.still_serving()


def test_upstream_unreachable_gives_502(make_env):
    """Upstream stopped: the client gets 502 with an OpenAI-shaped error of type upstream_unreachable."""
    e = make_env()
    e.stop_upstream()
    tid, mark = new_id(), e.mark()
    p = e.curl("-4", "-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}", "-d", CHAT,
               "-w", "\n%{http_code}", "https://api.openai.com/v1/chat/completions", timeout=12)
    if e.direct:
        assert p.returncode == 7, p  # nothing listens: connection refused
    else:
        assert p.returncode == 0, p.stderr
        body, code = p.stdout.rsplit("\n", 1)
        assert code == "502", p.stdout
        err = json.loads(body)["error"]
        assert err["type"] == "upstream_unreachable" and err["message"], err
        recs = e.new_records(mark, 1)
        assert recs and recs[-1]["error"], recs
        # the openai SDK surfaces the same shape
        out = e.py_client("openai_client.py", "--mode", "chat")
        assert out["ok"] is False and out.get("status") == 502, out
        assert out["body"]["type"] == "upstream_unreachable", out
    e.start_upstream()
    e.still_serving()


def test_upstream_untrusted_certificate_gives_502(make_env):
    """Upstream presents a self-signed cert: 502 with type upstream_certificate_invalid, no bytes forwarded."""
    e = make_env(untrusted_upstream=True)
    tid = new_id()
    p = e.curl("-4", "-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}", "-d", CHAT,
               "-w", "\n%{http_code}", "https://api.openai.com/v1/chat/completions", timeout=12)
    if e.direct:
        assert p.returncode == 60, p  # curl: peer certificate cannot be authenticated
    else:
        assert p.returncode == 0, p.stderr
        body, code = p.stdout.rsplit("\n", 1)
        assert code == "502", p.stdout
        err = json.loads(body)["error"]
        assert err["type"] == "upstream_certificate_invalid" and err["message"], err
    assert e.upstream_records(tid) == [], "the request reached an untrusted upstream"
    e.stop_upstream()
    e.start_upstream(untrusted=False)
    e.still_serving()


def test_client_abort_mid_stream_cancels_upstream(env: Env):
    """The client drops a long stream after 3 events: the upstream sees its stream cut, not finished."""
    tid = new_id()
    out = env.py_client("abort_stream.py", "api.openai.com", tid, "3")
    assert out["head"].startswith("HTTP/1.1 200"), out
    t_abort = time.monotonic()
    r = env.upstream_response(tid, timeout=6)
    waited = time.monotonic() - t_abort
    assert r["cancelled"] is True and r["completed"] is False, r
    assert r["sent_events"] < r["total_events"], r
    assert waited < 6
    env.still_serving()
