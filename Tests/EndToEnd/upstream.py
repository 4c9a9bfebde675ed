#!/usr/bin/env python3
"""A local stand-in for the LLM providers, for Chaperone's end-to-end tests.

Runs inside a test network namespace, on port 443 of the "public" addresses, over TLS with a
certificate from the test public CA, HTTP/1.1 with keep-alive (aiohttp). It speaks the
providers' wire formats:

  OpenAI     POST /v1/chat/completions (JSON, or SSE `chat.completion.chunk` + `[DONE]`),
             POST /v1/embeddings, GET /v1/models, GET /v1/realtime (WebSocket),
             errors as {"error": {"message", "type", "param", "code"}}
  Anthropic  POST /v1/messages (JSON, or SSE message_start ... message_stop with `event:` lines),
             errors as {"type": "error", "error": {"type", "message"}}
  Copilot    POST /chat/completions (OpenAI-shaped SSE with Azure's prompt_filter_results chunk)
  Gemini     POST /v1beta/models/MODEL:streamGenerateContent (`?alt=sse`: `data:` events with CRLF
             line endings; without it a pretty-printed JSON array streamed as application/json),
             POST /v1beta/models/MODEL:generateContent, the same under Vertex AI's
             /v1/projects/P/locations/L/publishers/google/models/MODEL:…;
             errors as {"error": {"code", "message", "status"}}
  Tests      * /echo -> JSON with method, path, headers and the exact body (base64)

What the reply says is scripted by the request, so tests can plant text:
  x-test-script: TEXT       reply TEXT; split on '|' into deltas if it has one, else by words
  last user message "say: TEXT"   same as x-test-script: TEXT (Gemini: the last user `contents` text)
  x-test-events: N          N deltas "tok0 ", "tok1 ", ...
  x-test-delay-ms: N        sleep N ms before every SSE event after the first
  (default)                 DEFAULT_TEXT in 10 deltas
  x-test-status: N          answer with HTTP status N and the provider's error shape
  x-test-force-encoding: C  compress the answer as C whatever Accept-Encoding says (a provider
                            ignoring `identity`): gzip, deflate (zlib), deflate-raw (raw deflate
                            sent as `deflate`), br (the `brotli` command), gzip-corrupt (a bad
                            CRC at the end), zstd (not compressed at all, labelled zstd); an SSE
                            stream takes gzip or deflate, one sync-flushed block per event

Every request is appended to the JSONL file given by --record (type "request": method, path,
host, headers, body sha256 and body, plus the TLS facts: local address, SNI, ALPN). Each
answer gets a "response" line (status, the exact body bytes sent — before a forced encoding,
which is named in "encoding" — and for a stream whether it completed or was cut by the peer:
completed, cancelled, sent_events, total_events); a WebSocket gets a "websocket_end" line.
Logs go to stderr; "READY" is printed on stdout once every address listens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import hashlib
import itertools
import json
import logging
import re
import secrets
import signal
import ssl
import struct
import subprocess
import sys
import time
import zlib
from typing import Any

from aiohttp import WSMsgType, web

try:  # aiohttp >= 3.10
    from aiohttp import ClientConnectionResetError as _ResetError  # type: ignore
except ImportError:  # pragma: no cover
    _ResetError = ConnectionResetError

log = logging.getLogger("upstream")

DEFAULT_DELTAS = [
    "Chaperone", " relays", " this", " reply", " one", " small", " piece",
    " at a time", " to prove", " streaming.",
]
DEFAULT_TEXT = "".join(DEFAULT_DELTAS)

OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini", "text-embedding-3-small"]

_ids = itertools.count(1)
_record_fh = None
_tls_by_obj: dict[int, str] = {}


def record(obj: dict[str, Any]) -> None:
    obj.setdefault("time", time.time())
    if _record_fh is not None:
        _record_fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        _record_fh.flush()


# ---------------------------------------------------------------- helpers


def tls_facts(request: web.Request) -> dict[str, Any]:
    t = request.transport
    if t is None:
        return {}
    obj = t.get_extra_info("ssl_object")
    sock = t.get_extra_info("sockname")
    peer = t.get_extra_info("peername")
    facts: dict[str, Any] = {
        "local": _fmt_addr(sock),
        "peer": _fmt_addr(peer),
    }
    if obj is not None:
        facts["sni"] = getattr(obj, "chp_sni", None)
        facts["alpn"] = obj.selected_alpn_protocol()
        facts["tls_version"] = obj.version()
    return facts


def _fmt_addr(a) -> str | None:
    if not a:
        return None
    host, port = a[0], a[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_text(s: str) -> list[str]:
    if "|" in s:
        return [p for p in s.split("|")]
    parts = re.findall(r"\s*\S+", s)
    return parts or [s]


def last_user_text(messages: Any) -> str | None:
    if not isinstance(messages, list):
        return None
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return None


def gemini_user_text(contents: Any) -> str | None:
    if not isinstance(contents, list):
        return None
    for c in reversed(contents):
        if isinstance(c, dict) and c.get("role", "user") == "user":
            return "".join(p.get("text", "") for p in c.get("parts") or [] if isinstance(p, dict))
    return None


def script_deltas(request: web.Request, body: dict[str, Any]) -> list[str]:
    h = request.headers
    if "x-test-events" in h:
        return [f"tok{i} " for i in range(int(h["x-test-events"]))]
    if "x-test-script" in h:
        return split_text(h["x-test-script"])
    text = last_user_text(body.get("messages"))
    if text is None:
        text = gemini_user_text(body.get("contents"))
    if text is not None and text.startswith("say:"):
        return split_text(text[4:].strip())
    return list(DEFAULT_DELTAS)


def delay_s(request: web.Request) -> float:
    try:
        return max(0, int(request.headers.get("x-test-delay-ms", "0"))) / 1000
    except ValueError:
        return 0.0


def count_tokens(body: dict[str, Any]) -> int:
    text = json.dumps(body.get("messages", body.get("input", "")))
    return max(1, len(text.split()))


def openai_error(status: int, message: str, type_: str, param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": type_, "param": param, "code": code}},
        status=status, headers=headers)


def anthropic_error(status: int, type_: str, message: str) -> web.Response:
    return web.json_response(
        {"type": "error", "error": {"type": type_, "message": message},
         "request_id": "req_e2e" + secrets.token_hex(8)},
        status=status, headers={"request-id": "req_e2e" + secrets.token_hex(8)})


def openai_headers() -> dict[str, str]:
    return {
        "openai-version": "2020-10-01",
        "openai-organization": "chaperone-e2e",
        "openai-processing-ms": "7",
        "x-request-id": "req_" + secrets.token_hex(16),
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "9999",
    }


def maybe_gzip(request: web.Request, resp: web.Response) -> web.Response:
    """Real providers compress JSON bodies for clients that ask; so do we (gzip only)."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        resp.enable_compression(web.ContentCoding.gzip)
    return resp


def force_encode(coding: str, data: bytes) -> tuple[str, bytes]:
    """`data` compressed as `x-test-force-encoding: coding` asks: (Content-Encoding, bytes)."""
    if coding == "gzip":
        return "gzip", gzip.compress(data, mtime=0)
    if coding == "gzip-corrupt":
        bad = bytearray(gzip.compress(data, mtime=0))
        bad[-6] ^= 0xFF  # the CRC-32: every byte decodes, the check at the end fails
        return "gzip", bytes(bad)
    if coding == "deflate":
        return "deflate", zlib.compress(data)
    if coding == "deflate-raw":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return "deflate", c.compress(data) + c.flush()
    if coding == "br":
        return "br", subprocess.run(["brotli", "-c"], input=data, capture_output=True, check=True, timeout=10).stdout
    if coding == "zstd":
        return "zstd", data
    raise ValueError(f"x-test-force-encoding: unknown coding {coding!r}")


def stream_compressor(coding: str | None):
    """A zlib compressor for an SSE stream forced to gzip or deflate, else None."""
    if coding == "gzip":
        return zlib.compressobj(6, zlib.DEFLATED, 31)
    if coding == "deflate":
        return zlib.compressobj(6, zlib.DEFLATED, 15)
    return None


async def read_json(request: web.Request) -> tuple[dict[str, Any] | None, bytes]:
    raw = request["raw_body"]
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, raw
    return (obj if isinstance(obj, dict) else None), raw


def sse(data: Any, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    out = f"event: {event}\n" if event else ""
    return (out + f"data: {payload}\n\n").encode()


async def stream_events(request: web.Request, events: list[bytes], headers: dict[str, str],
                        content_type: str = "text/event-stream; charset=utf-8") -> web.StreamResponse:
    """Write SSE events (or any pieces of a streamed body) one by one, noting whether the peer stayed to the end."""
    rid = request["record_id"]
    pause = delay_s(request)
    forced = request.headers.get("x-test-force-encoding")
    compressor = stream_compressor(forced)
    if compressor is not None:
        headers = {**headers, "Content-Encoding": forced}
    resp = web.StreamResponse(status=200, headers={
        "Content-Type": content_type,
        "Cache-Control": "no-cache",
        **headers,
    })
    sent = 0
    try:
        await resp.prepare(request)
        for i, ev in enumerate(events):
            if i and pause:
                await asyncio.sleep(pause)
            if request.transport is None or request.transport.is_closing():
                raise ConnectionResetError("peer closed")
            # A compressed stream flushes each event whole, as a streaming server must.
            await resp.write(ev if compressor is None else compressor.compress(ev) + compressor.flush(zlib.Z_SYNC_FLUSH))
            sent += 1
        if compressor is not None:
            await resp.write(compressor.flush())
        await resp.write_eof()
    except (ConnectionResetError, _ResetError, asyncio.CancelledError, OSError) as e:
        log.info("stream %s cut after %d/%d events: %r", rid, sent, len(events), e)
        record({"type": "response", "request_id": rid, "test_id": request.headers.get("x-test-id"),
                "status": 200, "streamed": True, "completed": False, "cancelled": True, "sent_events": sent,
                "total_events": len(events), "error": type(e).__name__,
                "body_b64": base64.b64encode(b"".join(events[:sent])).decode()})
        if isinstance(e, asyncio.CancelledError):
            raise
        return resp
    record({"type": "response", "request_id": rid, "test_id": request.headers.get("x-test-id"),
            "status": 200, "streamed": True, "completed": True, "cancelled": False, "sent_events": sent,
            "total_events": len(events), "body_b64": base64.b64encode(b"".join(events)).decode(),
            "encoding": forced if compressor is not None else None})
    return resp


# ---------------------------------------------------------------- middleware: record + auth


@web.middleware
async def recorder(request: web.Request, handler):
    try:
        raw = await request.read()
    except (ConnectionResetError, _ResetError) as e:
        log.info("%s %s: peer closed while sending the body (%s)", request.method, request.path_qs, e)
        raise web.HTTPBadRequest() from None
    rid = next(_ids)
    request["raw_body"] = raw
    request["record_id"] = rid
    text: str | None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    rec = {
        "type": "request",
        "id": rid,
        "test_id": request.headers.get("x-test-id"),
        "method": request.method,
        "path": request.path_qs,
        "host": request.headers.get("Host"),
        "http_version": f"{request.version.major}.{request.version.minor}",
        "headers": [[k, v] for k, v in request.headers.items()],
        "body_sha256": hashlib.sha256(raw).hexdigest(),
        "body_len": len(raw),
        "body": text,
        "body_b64": base64.b64encode(raw).decode(),
        **tls_facts(request),
    }
    record(rec)
    log.info("%s %s host=%s len=%d %s", request.method, request.path_qs, rec["host"], len(raw),
             {k: rec.get(k) for k in ("local", "sni", "alpn")})
    status = request.headers.get("x-test-status")
    if status and request.path != "/echo":
        resp = error_for(request, int(status))
    else:
        resp = await handler(request)
    if isinstance(resp, web.Response):
        body = resp.body if isinstance(resp.body, (bytes, bytearray)) else b""
        forced = request.headers.get("x-test-force-encoding")
        if forced and body:
            # A provider that compresses although it was asked for identity.
            name, resp.body = force_encode(forced, bytes(body))
            resp.headers["Content-Encoding"] = name
        record({"type": "response", "request_id": rid, "test_id": rec["test_id"], "status": resp.status,
                "streamed": False, "completed": True, "cancelled": False,
                "body_b64": base64.b64encode(bytes(body)).decode(), "encoding": forced if body else None})
    return resp


def error_for(request: web.Request, status: int) -> web.Response:
    if ":" in request.path.rsplit("/", 1)[-1]:
        return gemini_error(status, f"scripted status {status}")
    if request.path.startswith("/v1/messages"):
        kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}
        return anthropic_error(status, kinds.get(status, "api_error"), f"scripted status {status}")
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}
    return openai_error(status, f"scripted status {status}", kinds.get(status, "server_error"))


def need_bearer(request: web.Request) -> web.Response | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or len(auth) <= 7:
        return openai_error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
            "username) if you're accessing the API from your browser and are prompted for a username. You "
            "can obtain an API key from https://platform.openai.com/account/api-keys.",
            "invalid_request_error")
    return None


BAD_JSON = ("We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
            "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
            "valid JSON. If you have trouble figuring out how to fix this, please open an issue at "
            "https://github.com/openai/openai-python/issues.)")


# ---------------------------------------------------------------- OpenAI


def chat_events(body: dict[str, Any], deltas: list[str], copilot: bool) -> list[bytes]:
    cid = "chatcmpl-E2E" + secrets.token_hex(12)
    created = int(time.time())
    model = body.get("model", "gpt-4o-mini")
    opts = body.get("stream_options") or {}
    include_usage = bool(opts.get("include_usage"))
    obfuscate = opts.get("include_obfuscation", True) and not copilot

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        c: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
        if not copilot:
            c["service_tier"] = "default"
        c["system_fingerprint"] = "fp_e2e0c4a9"
        c["choices"] = choices
        if include_usage:
            c["usage"] = None
        c.update(extra)
        if obfuscate:
            c["obfuscation"] = "x" * (1 + len(json.dumps(choices)) % 7)
        return c

    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        ch: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        if copilot:
            ch.pop("logprobs")
            ch["content_filter_offsets"] = {"check_offset": 0, "start_offset": 0, "end_offset": 0}
        return ch

    events: list[bytes] = []
    if copilot:
        events.append(sse({"choices": [], "created": 0, "id": "", "prompt_filter_results": [
            {"content_filter_results": {k: {"filtered": False, "severity": "safe"}
                                        for k in ("hate", "self_harm", "sexual", "violence")},
             "prompt_index": 0}]}))
    events.append(sse(chunk([choice({"role": "assistant", "content": "", "refusal": None})])))
    for d in deltas:
        events.append(sse(chunk([choice({"content": d})])))
    events.append(sse(chunk([choice({}, "stop")])))
    if include_usage:
        pt = count_tokens(body)
        u = chunk([], usage={"prompt_tokens": pt, "completion_tokens": len(deltas),
                             "total_tokens": pt + len(deltas),
                             "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                           "accepted_prediction_tokens": 0,
                                                           "rejected_prediction_tokens": 0}})
        events.append(sse(u))
    events.append(b"data: [DONE]\n\n")
    return events


async def chat_completions(request: web.Request, copilot: bool = False) -> web.StreamResponse:
    if (r := need_bearer(request)) is not None:
        return r
    body, _ = await read_json(request)
    if body is None:
        return openai_error(400, BAD_JSON, "invalid_request_error")
    if "model" not in body:
        return openai_error(400, "you must provide a model parameter", "invalid_request_error")
    if not isinstance(body.get("messages"), list):
        return openai_error(400, "Missing required parameter: 'messages'.", "invalid_request_error",
                            "messages", "missing_required_parameter")
    deltas = script_deltas(request, body)
    headers = {} if copilot else openai_headers()
    if body.get("stream"):
        return await stream_events(request, chat_events(body, deltas, copilot), headers)
    pt = count_tokens(body)
    resp = web.json_response({
        "id": "chatcmpl-E2E" + secrets.token_hex(12),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "".join(deltas), "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": pt, "completion_tokens": len(deltas), "total_tokens": pt + len(deltas),
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0,
                                                "rejected_prediction_tokens": 0}},
        "service_tier": "default",
        "system_fingerprint": "fp_e2e0c4a9",
    }, headers=headers)
    return maybe_gzip(request, resp)


async def copilot_chat(request: web.Request) -> web.StreamResponse:
    return await chat_completions(request, copilot=True)


def fake_embedding(text: str, dims: int = 8) -> list[float]:
    h = hashlib.sha256(text.encode()).digest()
    return [round((b - 128) / 128, 6) for b in h[:dims]]


async def embeddings(request: web.Request) -> web.Response:
    if (r := need_bearer(request)) is not None:
        return r
    body, _ = await read_json(request)
    if body is None:
        return openai_error(400, BAD_JSON, "invalid_request_error")
    inp = body.get("input")
    if inp is None:
        return openai_error(400, "Missing required parameter: 'input'.", "invalid_request_error",
                            "input", "missing_required_parameter")
    items = inp if isinstance(inp, list) else [inp]
    data = []
    for i, item in enumerate(items):
        vec = fake_embedding(json.dumps(item))
        emb: Any = vec
        if body.get("encoding_format") == "base64":
            emb = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": emb})
    n = sum(len(str(x).split()) for x in items)
    resp = web.json_response({"object": "list", "data": data, "model": body.get("model", "text-embedding-3-small"),
                              "usage": {"prompt_tokens": n, "total_tokens": n}}, headers=openai_headers())
    return maybe_gzip(request, resp)


async def models(request: web.Request) -> web.Response:
    if (r := need_bearer(request)) is not None:
        return r
    return web.json_response({"object": "list", "data": [
        {"id": m, "object": "model", "created": 1715367049, "owned_by": "system"} for m in OPENAI_MODELS
    ]}, headers=openai_headers())


async def realtime(request: web.Request) -> web.StreamResponse:
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    rid = request["record_id"]
    await ws.send_str(json.dumps({"type": "session.created", "event_id": "event_e2e" + secrets.token_hex(6),
                                  "session": {"id": "sess_e2e" + secrets.token_hex(6), "object": "realtime.session",
                                              "model": request.query.get("model", "gpt-4o-realtime-preview")}}))
    n = 0
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            n += 1
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            n += 1
            await ws.send_bytes(msg.data)
        elif msg.type == WSMsgType.ERROR:
            break
    record({"type": "websocket_end", "request_id": rid, "test_id": request.headers.get("x-test-id"),
            "messages": n, "close_code": ws.close_code})
    return ws


# ---------------------------------------------------------------- Anthropic


async def messages(request: web.Request) -> web.StreamResponse:
    if not request.headers.get("x-api-key") and not request.headers.get("Authorization", "").startswith("Bearer "):
        return anthropic_error(401, "authentication_error", "x-api-key header is required")
    body, _ = await read_json(request)
    if body is None:
        return anthropic_error(400, "invalid_request_error", "There was an error parsing the body of your request")
    for field in ("model", "max_tokens", "messages"):
        if field not in body:
            return anthropic_error(400, "invalid_request_error", f"{field}: Field required")
    deltas = script_deltas(request, body)
    mid = "msg_e2e" + secrets.token_hex(10)
    model = body["model"]
    it = count_tokens(body)
    headers = {"request-id": "req_e2e" + secrets.token_hex(10), "anthropic-organization-id": "chaperone-e2e"}
    if body.get("stream"):
        events = [
            sse({"type": "message_start", "message": {
                "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": it, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                          "output_tokens": 1, "service_tier": "standard"}}}, "message_start"),
            sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                "content_block_start"),
            sse({"type": "ping"}, "ping"),
        ]
        for d in deltas:
            events.append(sse({"type": "content_block_delta", "index": 0,
                               "delta": {"type": "text_delta", "text": d}}, "content_block_delta"))
        events += [
            sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                 "usage": {"output_tokens": len(deltas)}}, "message_delta"),
            sse({"type": "message_stop"}, "message_stop"),
        ]
        return await stream_events(request, events, headers)
    resp = web.json_response({
        "id": mid, "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "".join(deltas)}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": it, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                  "output_tokens": len(deltas), "service_tier": "standard"},
    }, headers=headers)
    return maybe_gzip(request, resp)


# ---------------------------------------------------------------- Gemini / Vertex AI

GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def gemini_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": message,
                                        "status": GEMINI_STATUS.get(status, "UNKNOWN")}}, status=status)


def gemini_json(obj: Any, indent: int | None = None) -> str:
    """Google's spelling: `{"a": 1,"b": 2}` in SSE events, two-space indents in JSON bodies."""
    return json.dumps(obj, ensure_ascii=False, indent=indent, separators=(",", ": "))


def gemini_chunks(body: dict[str, Any], deltas: list[str], model: str) -> list[dict[str, Any]]:
    """One GenerateContentResponse per delta; the last carries finishReason and the final usage."""
    rid = secrets.token_urlsafe(16)
    prompt = count_tokens({"messages": body.get("contents")})
    chunks = []
    for i, d in enumerate(deltas):
        last = i == len(deltas) - 1
        cand: dict[str, Any] = {"content": {"parts": [{"text": d}], "role": "model"}}
        usage: dict[str, Any] = {"promptTokenCount": prompt, "totalTokenCount": prompt,
                                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
        if last:
            cand["finishReason"] = "STOP"
            cand["index"] = 0  # proto3 JSON leaves the zero out of the earlier chunks
            usage = {"promptTokenCount": prompt, "candidatesTokenCount": len(deltas),
                     "totalTokenCount": prompt + len(deltas),
                     "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
        chunks.append({"candidates": [cand], "usageMetadata": usage, "modelVersion": model, "responseId": rid})
    return chunks


def gemini_key_ok(request: web.Request) -> bool:
    return bool(request.headers.get("x-goog-api-key") or request.query.get("key")
                or request.headers.get("Authorization", "").startswith("Bearer "))


async def gemini_models(request: web.Request) -> web.StreamResponse:
    """`…/models/MODEL:generateContent` and `:streamGenerateContent` (Gemini API and Vertex AI)."""
    model, _, method = request.match_info["target"].partition(":")
    if method not in ("generateContent", "streamGenerateContent"):
        return gemini_error(404, f"Method {method!r} not found for models/{model}.")
    if not gemini_key_ok(request):
        return gemini_error(403, "Method doesn't allow unregistered callers (callers without established identity). "
                                 "Please use API Key or other form of API consumer identity to call this API.")
    body, _ = await read_json(request)
    if body is None:
        return gemini_error(400, "Invalid JSON payload received.")
    if not isinstance(body.get("contents"), list):
        return gemini_error(400, "* GenerateContentRequest.contents: contents is not specified")
    deltas = script_deltas(request, body)
    chunks = gemini_chunks(body, deltas, model)
    if method == "generateContent":
        whole = chunks[-1]
        whole["candidates"][0]["content"]["parts"][0]["text"] = "".join(deltas)
        return maybe_gzip(request, web.json_response(whole, dumps=lambda o: gemini_json(o, indent=2)))
    if request.query.get("alt") == "sse":
        events = [f"data: {gemini_json(c)}\r\n\r\n".encode() for c in chunks]
        return await stream_events(request, events, {})
    # Without alt=sse: one JSON array, written an element at a time.
    pieces = [("[" if i == 0 else ",\r\n") + gemini_json(c, indent=2) + "\n" for i, c in enumerate(chunks)]
    pieces[-1] += "]"
    return await stream_events(request, [p.encode() for p in pieces], {},
                               content_type="application/json; charset=UTF-8")


# ---------------------------------------------------------------- echo / fallback


async def echo(request: web.Request) -> web.Response:
    raw = request["raw_body"]
    return web.json_response({
        "method": request.method,
        "path": request.path_qs,
        "host": request.headers.get("Host"),
        "http_version": f"{request.version.major}.{request.version.minor}",
        "headers": [[k, v] for k, v in request.headers.items()],
        "body_b64": base64.b64encode(raw).decode(),
        "body_sha256": hashlib.sha256(raw).hexdigest(),
        "body_len": len(raw),
        **tls_facts(request),
    })


async def not_found(request: web.Request) -> web.Response:
    if request.path.startswith("/v1/messages") or "anthropic" in (request.host or ""):
        return anthropic_error(404, "not_found_error", "Not Found")
    return openai_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")


def make_app() -> web.Application:
    app = web.Application(middlewares=[recorder], client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/chat/completions", copilot_chat)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/v1/realtime", realtime)
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1beta/models/{target}", gemini_models)
    app.router.add_post("/v1/models/{target}", gemini_models)
    app.router.add_post("/v1/projects/{project}/locations/{location}/publishers/google/models/{target}", gemini_models)
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app


def make_ssl(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])

    def on_sni(obj, name, _ctx):
        try:
            obj.chp_sni = name
        except AttributeError:  # pragma: no cover
            pass
        return None

    ctx.sni_callback = on_sni
    return ctx


async def main_async(args: argparse.Namespace) -> None:
    global _record_fh
    if args.record:
        _record_fh = open(args.record, "a", buffering=1)
    runner = web.AppRunner(make_app(), access_log=None, handler_cancellation=False,
                           keepalive_timeout=75)
    await runner.setup()
    ctx = make_ssl(args.cert, args.key)
    for addr in args.listen:
        site = web.TCPSite(runner, addr, args.port, ssl_context=ctx, reuse_address=True, backlog=128)
        await site.start()
        log.info("listening on %s port %d", addr, args.port)
    print("READY", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cert", required=True, help="PEM chain (leaf first)")
    ap.add_argument("--key", required=True)
    ap.add_argument("--listen", action="append", required=True, help="address to listen on (repeat)")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--record", help="append one JSON line per request to this file")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="upstream %(asctime)s %(levelname)s %(message)s")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
