"""Masking on the data path: real SDKs, planted secrets, split across SSE events.

What must hold (issue 6): the client sees placeholders where the provider streamed a secret or
personal data, even when the value is cut across events; the provider never receives a value
found in the request; the record says what was found (rule, entity, offsets) and never the value.
"""
from __future__ import annotations

import base64
import json

import pytest

import sse
from conftest import DIRECT, Env, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="masking needs the daemon (direct mode)")

# Canaries: syntactically valid, so the detectors must find them.
EMAIL = "jane.doe@example.com"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
ANTHROPIC_KEY = "sk-ant-api03-" + "Q" * 45 + "r7" * 24 + "AA"  # prefix + 93 characters + AA


def no_canary(text: str, *canaries: str) -> None:
    for canary in canaries:
        assert canary not in text, f"raw canary leaked: {canary[:12]}…"
        # no distinctive 12-byte piece of it either
        for i in range(0, len(canary) - 12, 4):
            assert canary[i:i + 12] not in text, f"part of a canary leaked: {canary[i:i + 12]!r}"


@daemon_only
def test_openai_stream_masks_values_split_across_events(env: Env):
    """An e-mail cut `jane.` | `doe@example.com` and a key cut in three reach the client masked."""
    tid, mark = new_id(), env.mark()
    k = ANTHROPIC_KEY
    script = f"Write to jane.|doe@example.com| with key {k[:20]}|{k[20:60]}|{k[60:]}| today."
    out = env.py_client("openai_client.py", "--header", f"x-test-id: {tid}", "--header", f"x-test-script: {script}")
    assert out["ok"], out
    text = out["text"]
    assert text == "Write to [EMAIL_1] with key [ANTHROPIC_KEY] today.", text
    no_canary(json.dumps(out), EMAIL, ANTHROPIC_KEY)
    # the provider did send the raw values: the masking happened on the way
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"]).decode()
    assert "doe@example.com" in sent
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    found = {(f["rule"], f["direction"]): f for f in rec["findings"]}
    assert found[("email", "response")]["count"] == 1
    assert found[("anthropic-key", "response")]["entity"] == "ANTHROPIC_KEY"
    no_canary(json.dumps(rec), EMAIL, ANTHROPIC_KEY)


@daemon_only
def test_request_secrets_never_reach_the_provider(env: Env):
    """A prompt with an AWS key and an e-mail arrives upstream with placeholders only."""
    tid, mark = new_id(), env.mark()
    prompt = f"deploy with {AWS_KEY} and mail {EMAIL} when done"
    out = env.py_client("openai_client.py", "--header", f"x-test-id: {tid}", "--prompt", prompt)
    assert out["ok"], out
    (req,) = env.upstream_records(tid)
    body = base64.b64decode(req["body_b64"]).decode()
    no_canary(body, AWS_KEY, EMAIL)
    sent_prompt = json.loads(body)["messages"][-1]["content"]
    assert sent_prompt == "deploy with [AWS_ACCESS_KEY] and mail [EMAIL_1] when done"
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    rules = {(f["rule"], f["direction"]) for f in rec["findings"]}
    assert {("aws-access-key", "request"), ("email", "request")} <= rules
    no_canary(env.exchanges_path.read_text(), AWS_KEY, EMAIL)
    no_canary(env.logs(), AWS_KEY, EMAIL)


@daemon_only
def test_pseudonyms_are_consistent_within_a_connection(env: Env):
    """The same address in the request and in the streamed answer gets the same pseudonym."""
    tid = new_id()
    out = env.py_client("openai_client.py", "--header", f"x-test-id: {tid}",
                        "--prompt", f"who is {EMAIL}?",
                        "--header", "x-test-script: That| is| jane.doe@|example.com| and| bob@corp.example.")
    assert out["ok"], out
    assert out["text"] == "That is [EMAIL_1] and [EMAIL_2].", out["text"]


@daemon_only
def test_anthropic_stream_masks_text_deltas(env: Env):
    tid = new_id()
    out = env.py_client("anthropic_client.py", "--header", f"x-test-id: {tid}",
                        "--header", f"x-test-script: Reach| me| at| jane.doe|@exa|mple.com| please.")
    assert out["ok"], out
    assert out["final_text"] == "Reach me at [EMAIL_1] please.", out
    no_canary(json.dumps(out), EMAIL)


@daemon_only
def test_clean_traffic_is_unchanged(env: Env):
    """Masking changes nothing it has nothing to mask: same text, same events and fields; a JSON
    body with nothing to mask is byte for byte the provider's."""
    tid = new_id()
    body = json.dumps({"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    out = env.dir / f"{tid}.out"
    p = env.curl("-4", "-H", "Authorization: Bearer sk-e2e", "-H", "Content-Type: application/json",
                 "-H", f"x-test-id: {tid}", "-H", "x-test-script: plain| words| only.", "-d", body, "-o", out,
                 "https://api.openai.com/v1/chat/completions")
    assert p.returncode == 0, p.stderr
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    sse.assert_equivalent(out.read_bytes(), sent)
    # Non-streaming JSON: byte-exact.
    tid = new_id()
    p = env.curl("-4", "-H", "Authorization: Bearer sk-e2e", "-H", "Content-Type: application/json",
                 "-H", f"x-test-id: {tid}", "-d", json.dumps({"model": "text-embedding-3-small", "input": "hi"}),
                 "https://api.openai.com/v1/embeddings")
    assert p.returncode == 0, p.stderr
    assert p.stdout.encode() == base64.b64decode(env.upstream_response(tid)["body_b64"])


@daemon_only
def test_a_key_in_the_query_string_never_reaches_the_record_or_the_log(env: Env):
    """Gemini-style `?key=`: the provider needs it, the record and the log must not have it."""
    key = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
    tid, mark = new_id(), env.mark()
    p = env.curl("-4", "-H", f"x-test-id: {tid}", f"https://api.openai.com/v1/models?alt=json&key={key}")
    assert p.returncode == 0, p.stderr
    (req,) = env.upstream_records(tid)
    assert key in req["path"]  # the provider got the real key
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["path"] == "/v1/models?alt=json&key=[GOOGLE_API_KEY]", rec["path"]
    no_canary(env.exchanges_path.read_text(), key)
    no_canary(env.daemon_log.read_text(), key)  # (the stand-in provider's own log has it, rightly)


GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"


def gemini_curl(env: Env, tid: str, script: str, url: str, out) -> None:
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    p = env.curl("-4", "-H", "x-goog-api-key: e2e-gemini-test-key", "-H", "Content-Type: application/json",
                 "-H", f"x-test-id: {tid}", "-H", f"x-test-script: {script}", "-d", body, "-o", out, url)
    assert p.returncode == 0, p.stderr


@daemon_only
def test_gemini_stream_masks_values_split_across_events(env: Env):
    """streamGenerateContent?alt=sse through the daemon with curl: an e-mail, an Anthropic key and an
    AWS key each cut across `data:` events (CRLF, as Google frames them) reach the client masked."""
    tid, mark = new_id(), env.mark()
    k = ANTHROPIC_KEY
    script = (f"Write to jane.|doe@example.com| with key {k[:20]}|{k[20:60]}|{k[60:]}| or "
              f"{AWS_KEY[:9]}|{AWS_KEY[9:]}| today.")
    out = env.dir / f"{tid}.out"
    gemini_curl(env, tid, script, GEMINI + ":streamGenerateContent?alt=sse", out)
    got = out.read_bytes()
    assert sse.text(got) == "Write to [EMAIL_1] with key [ANTHROPIC_KEY] or [AWS_ACCESS_KEY] today.", got
    no_canary(got.decode(), EMAIL, ANTHROPIC_KEY, AWS_KEY)
    # Google's framing is kept: every line ends with CRLF, every event is a GenerateContentResponse.
    assert b"\n" not in got.replace(b"\r\n", b""), got
    events = sse.events(got)
    assert all(json.loads(data).get("modelVersion") == "gemini-2.5-flash" for _, data in events), events
    assert json.loads(events[-1][1])["candidates"][0]["finishReason"] == "STOP"
    # the provider did send the raw values: the masking happened on the way
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    assert b"doe@example.com" in sent and AWS_KEY[9:].encode() in sent
    assert sent.count(b"\r\n\r\n") == len(script.split("|"))
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    assert rec["sni"] == "generativelanguage.googleapis.com", rec
    found = {(f["rule"], f["direction"]) for f in rec["findings"]}
    assert {("email", "response"), ("anthropic-key", "response"), ("aws-access-key", "response")} <= found, found
    no_canary(json.dumps(rec), EMAIL, ANTHROPIC_KEY, AWS_KEY)


@daemon_only
def test_gemini_sdk_stream_masks_values_split_across_events(env: Env):
    """The google-genai SDK (alt=sse, default host) gets placeholders for values cut across events."""
    tid = new_id()
    out = env.py_client("gemini_client.py", "--header", f"x-test-id: {tid}",
                        "--header", f"x-test-script: Reach| me| at| jane.doe|@exa|mple.com| or {AWS_KEY[:6]}|{AWS_KEY[6:]}|.")
    assert out["ok"], out
    assert out["base_url"].startswith("https://generativelanguage.googleapis.com"), out
    assert out["text"] == "Reach me at [EMAIL_1] or [AWS_ACCESS_KEY].", out
    assert out["finish_reason"] == "STOP" and out["usage"]["candidates_token_count"] == 9, out
    no_canary(json.dumps(out), EMAIL, AWS_KEY)
    (req,) = env.upstream_records(tid)
    assert req["path"].endswith(":streamGenerateContent?alt=sse"), req["path"]


@daemon_only
def test_gemini_clean_stream_is_unchanged(env: Env):
    """A Gemini stream with nothing to mask keeps its text and every other field."""
    tid = new_id()
    out = env.dir / f"{tid}.out"
    gemini_curl(env, tid, "plain| words| only.", GEMINI + ":streamGenerateContent?alt=sse", out)
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    sse.assert_equivalent(out.read_bytes(), sent)
    assert sse.text(sent) == "plain words only."


@daemon_only
def test_gemini_json_array_stream_masks_values_split_across_elements(env: Env):
    """streamGenerateContent without alt=sse: a JSON array streamed as application/json, one
    GenerateContentResponse per element. An e-mail and an AWS key cut across elements reach the client
    masked, the body is still a JSON array of the provider's elements, held text flushed in one more."""
    tid, mark = new_id(), env.mark()
    out = env.dir / f"{tid}.out"
    gemini_curl(env, tid, f"Mail jane.|doe@example.com| now. Key {AWS_KEY[:9]}|{AWS_KEY[9:]}| ok. Bye.",
                GEMINI + ":streamGenerateContent", out)
    got = out.read_bytes()
    no_canary(got.decode(), EMAIL, AWS_KEY)
    chunks = json.loads(got)
    texts = [p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    assert "".join(texts) == "Mail [EMAIL_1] now. Key [AWS_ACCESS_KEY] ok. Bye.", texts
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    assert b"doe@example.com" in sent
    assert len(chunks) == len(json.loads(sent))  # the last element finishes: nothing left to flush
    assert all(c["modelVersion"] == "gemini-2.5-flash" for c in chunks)
    assert got.count(b",\r\n") == sent.count(b",\r\n")  # Google's separators kept
    (rec,) = [r for r in env.new_records(mark, 1) if r["kind"] == "exchange"]
    found = {(f["rule"], f["direction"]) for f in rec["findings"]}
    assert {("email", "response"), ("aws-access-key", "response")} <= found, found


@daemon_only
def test_gemini_error_body_is_masked_as_json(env: Env):
    """A Gemini error (a JSON object, not an array) on the streaming path is masked string by string."""
    tid = new_id()
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    p = env.curl("-4", "-H", "Content-Type: application/json", "-H", f"x-test-id: {tid}", "-d", body,
                 GEMINI + ":streamGenerateContent")
    assert p.returncode == 0, p.stderr
    sent = base64.b64decode(env.upstream_response(tid)["body_b64"])
    assert json.loads(p.stdout)["error"]["status"] == "PERMISSION_DENIED"
    assert p.stdout.encode() == sent
