"""Compressed bodies on the masking path: Content-Encoding gzip, deflate and br, both ways.

What must hold: a compressed request body is decoded, masked and sent upstream identity (no
Content-Encoding, chunked), so a planted secret never reaches the provider; a body that does not
decode gets a 400 in the provider's error shape and nothing reaches the provider; a coding we
do not read (zstd) keeps its 415. A provider that compresses although it was asked for
identity has its answer decoded, masked and sent to the client identity; one whose compressed
answer stops decoding has it cut, never passed on undecoded.
"""
from __future__ import annotations

import base64
import gzip
import json
import subprocess
import time
import zlib

import pytest

from conftest import DIRECT, Env, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="decoding is the daemon's (direct mode)")
pytestmark = daemon_only

EMAIL = "jane.doe@example.com"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AUTH = "Authorization: Bearer sk-e2e-test-key"
CT = "Content-Type: application/json"
PROMPT = f"deploy with {AWS_KEY} and mail {EMAIL} when done"
MASKED_PROMPT = "deploy with [AWS_ACCESS_KEY] and mail [EMAIL_1] when done"
CHAT = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}).encode()


def encode(coding: str, data: bytes) -> bytes:
    """`data` as a client would send it under `Content-Encoding: coding` (deflate-raw: raw deflate)."""
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "deflate-raw":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if coding == "br":
        return subprocess.run(["brotli", "-c"], input=data, capture_output=True, check=True, timeout=10).stdout
    raise ValueError(coding)


def header_name(coding: str) -> str:
    return "deflate" if coding == "deflate-raw" else coding


def no_canary(text: str, *canaries: str) -> None:
    for canary in canaries:
        assert canary not in text, f"raw canary leaked: {canary[:8]}…"


def write(env: Env, name: str, data: bytes):
    path = env.dir / name
    path.write_bytes(data)
    return path


def assert_arrived_masked(env: Env, tid: str) -> None:
    """The provider got the prompt decoded (no Content-Encoding) and masked."""
    (req,) = env.upstream_records(tid)
    names = {k.lower(): v for k, v in req["headers"]}
    assert "content-encoding" not in names, names
    assert names.get("transfer-encoding") == "chunked", names
    body = base64.b64decode(req["body_b64"]).decode()
    no_canary(body, EMAIL, AWS_KEY)
    assert json.loads(body)["messages"][-1]["content"] == MASKED_PROMPT, body


def curl_post(env: Env, tid: str, coding: str, body_file, *extra: str, url: str = "https://api.openai.com/v1/chat/completions"):
    p = env.curl("-4", *extra, "-H", AUTH, "-H", CT, "-H", f"Content-Encoding: {coding}", "-H", f"x-test-id: {tid}",
                 "--data-binary", f"@{body_file}", "-w", "\n%{http_code}", url)
    assert p.returncode == 0, p.stderr
    body, code = p.stdout.rsplit("\n", 1)
    return int(code), body


# ---------------------------------------------------------------- requests


@pytest.mark.parametrize("http", ["http1.1", "http2"])
def test_gzip_request_from_curl_arrives_decoded_and_masked(env: Env, http: str):
    """curl --data-binary @body.gz -H 'content-encoding: gzip': the provider gets plain, masked JSON."""
    tid, mark = new_id(), env.mark()
    body_file = write(env, f"{tid}.gz", encode("gzip", CHAT))
    code, body = curl_post(env, tid, "gzip", body_file, "--http2" if http == "http2" else "--http1.1")
    assert code == 200, body
    assert json.loads(body)["choices"][0]["message"]["role"] == "assistant"
    assert_arrived_masked(env, tid)
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["status"] == 200 and rec["error"] is None, rec
    rules = {(f["rule"], f["direction"]) for f in rec["findings"]}
    assert {("aws-access-key", "request"), ("email", "request")} <= rules
    no_canary(env.exchanges_path.read_text(), EMAIL, AWS_KEY)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "br"])
def test_encoded_request_from_http_client_arrives_decoded_and_masked(env: Env, coding: str):
    """Python's http.client sends the encoded body chunked 7 bytes at a time: decoded across every cut."""
    tid = new_id()
    body_file = write(env, f"{tid}.{coding}", encode(coding, CHAT))
    out = env.py_client("encoded_post.py", "api.openai.com", "/v1/chat/completions", header_name(coding),
                        body_file, "7", f"x-test-id: {tid}")
    assert out["status"] == 200, out
    assert json.loads(out["body"])["object"] == "chat.completion"
    assert_arrived_masked(env, tid)


def test_anthropic_br_request(env: Env):
    """The Anthropic endpoint, a br body: decoded and masked the same way."""
    tid = new_id()
    chat = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64,
                       "messages": [{"role": "user", "content": PROMPT}]}).encode()
    body_file = write(env, f"{tid}.br", encode("br", chat))
    out = env.py_client("encoded_post.py", "api.anthropic.com", "/v1/messages", "br", body_file, "64",
                        f"x-test-id: {tid}")
    assert out["status"] == 200, out
    assert json.loads(out["body"])["type"] == "message"
    assert_arrived_masked(env, tid)


@pytest.mark.parametrize("damage", ["not-gzip", "bad-crc", "truncated"])
def test_undecodable_gzip_request_gets_400_and_nothing_reaches_upstream(env: Env, damage: str):
    """Plain bytes labelled gzip, a gzip body whose CRC fails at the very end, one cut short:
    a 400 request_body_undecodable in OpenAI's shape naming the problem; the provider records nothing."""
    tid, mark = new_id(), env.mark()
    good = encode("gzip", CHAT)
    data = {"not-gzip": CHAT,
            "bad-crc": good[:-6] + bytes([good[-6] ^ 0xFF]) + good[-5:],
            "truncated": good[: len(good) // 2]}[damage]
    code, body = curl_post(env, tid, "gzip", write(env, f"{tid}.gz", data))
    assert code == 400, body
    err = json.loads(body)["error"]
    assert err["type"] == "request_body_undecodable", err
    assert "gzip" in err["message"]
    expected = {"not-gzip": "incorrect header check", "bad-crc": "incorrect data check", "truncated": "truncated"}
    assert expected[damage] in err["message"], err["message"]
    time.sleep(0.5)
    assert env.upstream_records(tid) == [], "an undecodable request reached the provider"
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["status"] == 400 and "undecodable" in rec["error"], rec
    no_canary(env.exchanges_path.read_text(), EMAIL, AWS_KEY)
    env.still_serving()


def test_undecodable_request_gets_anthropic_error_shape(env: Env):
    """The same refusal on the Anthropic endpoint comes in Anthropic's error shape."""
    tid = new_id()
    out = env.py_client("encoded_post.py", "api.anthropic.com", "/v1/messages", "br",
                        write(env, f"{tid}.br", b"\xff" * 64), "16", f"x-test-id: {tid}")
    assert out["status"] == 400, out
    body = json.loads(out["body"])
    assert body["type"] == "error" and body["error"]["type"] == "request_body_undecodable", body
    assert "br" in body["error"]["message"], body
    time.sleep(0.3)
    assert env.upstream_records(tid) == []


def test_gzip_bomb_request_is_refused(env: Env):
    """30 MB of one letter in ~30 KB of gzip: refused by the ratio check, never sent upstream."""
    tid = new_id()
    bomb = encode("gzip", b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' + b"a" * (30 << 20) + b'"}]}')
    code, body = curl_post(env, tid, "gzip", write(env, f"{tid}.gz", bomb))
    assert code == 400, body
    err = json.loads(body)["error"]
    assert err["type"] == "request_body_undecodable" and "decompression bomb" in err["message"], err
    time.sleep(0.3)
    assert env.upstream_records(tid) == []
    env.still_serving()


def test_unknown_request_encoding_still_gets_415(env: Env):
    """zstd is not decoded: the request is refused with 415 as before, and nothing goes upstream."""
    tid = new_id()
    code, body = curl_post(env, tid, "zstd", write(env, f"{tid}.zst", CHAT))
    assert code == 415, body
    err = json.loads(body)["error"]
    assert err["type"] == "request_encoding_unsupported" and "zstd" in err["message"], err
    time.sleep(0.3)
    assert env.upstream_records(tid) == []


# ---------------------------------------------------------------- responses


@pytest.mark.parametrize("coding,http", [("gzip", "http1.1"), ("gzip", "http2"), ("deflate", "http1.1"),
                                         ("deflate-raw", "http1.1"), ("br", "http1.1")])
def test_compressed_response_reaches_client_decoded_and_masked(env: Env, coding: str, http: str):
    """The provider compresses its JSON answer despite `accept-encoding: identity`: the client
    (curl, which asks for nothing and so would print compressed bytes raw) gets identity JSON
    with the address masked, and no content-encoding or stale content-length."""
    tid, mark = new_id(), env.mark()
    headers = env.dir / f"{tid}.headers"
    p = env.curl("-4", "--http2" if http == "http2" else "--http1.1", "-D", headers, "-H", AUTH, "-H", CT,
                 "-H", f"x-test-id: {tid}", "-H", f"x-test-force-encoding: {coding}",
                 "-H", f"x-test-script: Mail {EMAIL} now.",
                 "-d", json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
                 "https://api.openai.com/v1/chat/completions")
    assert p.returncode == 0, p.stderr
    head = headers.read_text().lower()
    assert " 200" in head.splitlines()[0], head
    assert "content-encoding" not in head, head
    reply = json.loads(p.stdout)
    assert reply["choices"][0]["message"]["content"] == "Mail [EMAIL_1] now.", reply
    no_canary(p.stdout, EMAIL)
    # The provider really did send it compressed, with the address in it.
    sent = env.upstream_response(tid)
    assert sent["encoding"] == coding and EMAIL in base64.b64decode(sent["body_b64"]).decode()
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert ("email", "response") in {(f["rule"], f["direction"]) for f in rec["findings"]}


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_sse_stream_is_decoded_event_by_event(env: Env, coding: str):
    """A compressed SSE stream (one sync-flushed block per event), an address cut across events:
    the openai SDK streams the masked text."""
    tid = new_id()
    out = env.py_client("openai_client.py", "--header", f"x-test-id: {tid}",
                        "--header", f"x-test-force-encoding: {coding}",
                        "--header", "x-test-script: Write to jane.|doe@example.com| today.")
    assert out["ok"], out
    assert out["text"] == "Write to [EMAIL_1] today.", out["text"]
    no_canary(json.dumps(out), EMAIL)
    assert env.upstream_response(tid)["encoding"] == coding


def test_corrupt_compressed_response_is_cut(env: Env):
    """A gzip answer whose CRC fails at the end: the client's response is cut short (not ended
    cleanly), the record says why, and the daemon keeps serving."""
    tid, mark = new_id(), env.mark()
    p = env.curl("-4", "--http1.1", "-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}",
                 "-H", "x-test-force-encoding: gzip-corrupt", "-H", f"x-test-script: Mail {EMAIL} now.",
                 "-d", json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
                 "https://api.openai.com/v1/chat/completions")
    assert p.returncode in (18, 52, 56), (p.returncode, p.stderr)  # partial transfer / connection cut
    no_canary(p.stdout, EMAIL)
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["error"] and "could not be decoded" in rec["error"] and "incorrect data check" in rec["error"], rec
    env.still_serving()


def test_unknown_response_encoding_gets_502(env: Env):
    """A zstd-labelled answer to a masked media type cannot be read: 502 upstream_unreadable, as before."""
    tid = new_id()
    p = env.curl("-4", "-H", AUTH, "-H", CT, "-H", f"x-test-id: {tid}", "-H", "x-test-force-encoding: zstd",
                 "-d", json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
                 "-w", "\n%{http_code}", "https://api.openai.com/v1/chat/completions")
    assert p.returncode == 0, p.stderr
    body, code = p.stdout.rsplit("\n", 1)
    assert code == "502", p.stdout
    err = json.loads(body)["error"]
    assert err["type"] == "upstream_unreadable" and "zstd" in err["message"], err
