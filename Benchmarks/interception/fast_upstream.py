#!/usr/bin/env python3
"""A fast stand-in provider for the interception benchmark (HTTP/1.1 over TLS, raw asyncio).

The end-to-end stand-in (Tests/EndToEnd/upstream.py) is aiohttp and records every request;
this one does neither: a hand-written asyncio Protocol answering fixed bodies, so the
upstream is not what the benchmark measures. It serves the streamed side of the benchmark
(nginx serves the JSON side, see run.py), and can serve the JSON side too (`run.py
--upstream python`).

  POST /v1/chat/completions, POST /chat/completions, anything else
    without "stream": true in the body -> a fixed OpenAI chat.completion JSON (Content-Length)
    with "stream": true -> SSE, Transfer-Encoding: chunked, one chunk per event:
      x-bench-events: N     N chat.completion.chunk events (default 10), then `data: [DONE]`
      x-bench-gap-us: G     pause G microseconds between events (default 0)
      x-bench-hold: 1       send one event, then hold the stream open (no more bytes) until the
                            peer closes or --max-hold-s passes
    Every event carries "bench_t": the upstream's CLOCK_MONOTONIC in ns when it was written, so
    a client on the same host measures each event's transit time.

Prints READY on stdout once every address listens; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import ssl
import sys
import time

JSON_BODY = json.dumps({
    "id": "chatcmpl-bench0000000000000000",
    "object": "chat.completion",
    "created": 1735689600,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content":
                 "Benchmarks measure what the interceptor adds, nothing else.",
                 "refusal": None, "annotations": []}, "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default",
    "system_fingerprint": "fp_bench0000",
}, separators=(",", ":")).encode()

JSON_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"openai-processing-ms: 1\r\nx-request-id: req_bench\r\n"
                 b"Content-Length: " + str(len(JSON_BODY)).encode() + b"\r\n\r\n" + JSON_BODY)
SSE_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            b"Cache-Control: no-cache\r\nx-request-id: req_bench\r\nTransfer-Encoding: chunked\r\n\r\n")

MAX_HOLD_S = 300.0


def sse_event(i: int) -> bytes:
    ev = (b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1735689600,'
          b'"model":"gpt-4o-mini-2024-07-18","bench_t":' + str(time.monotonic_ns()).encode() +
          b',"choices":[{"index":0,"delta":{"content":"tok' + str(i).encode() +
          b' "},"logprobs":null,"finish_reason":null}]}\n\n')
    return b"%x\r\n" % len(ev) + ev + b"\r\n"


DONE = b"data: [DONE]\n\n"
DONE_CHUNK = b"%x\r\n" % len(DONE) + DONE + b"\r\n0\r\n\r\n"


def dechunk(buf: bytearray, pos: int) -> tuple[bytes | None, int]:
    """A complete chunked body starting at pos: (body, end offset), or (None, 0) if incomplete."""
    out = bytearray()
    while True:
        i = buf.find(b"\r\n", pos)
        if i < 0:
            return None, 0
        size = int(bytes(buf[pos:i]).split(b";")[0], 16)
        if size == 0:
            k = buf.find(b"\r\n", i + 2)  # no trailers expected: "0\r\n\r\n"
            if k < 0:
                return None, 0
            return bytes(out), k + 2
        if len(buf) < i + 2 + size + 2:
            return None, 0
        out += buf[i + 2:i + 2 + size]
        pos = i + 2 + size + 2


class Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.streaming: asyncio.Task | None = None
        self.closed = False
        self.paused = False
        self.resume = asyncio.Event()
        self.resume.set()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.resume.set()
        if self.streaming is not None:
            self.streaming.cancel()

    def pause_writing(self) -> None:
        self.resume.clear()

    def resume_writing(self) -> None:
        self.resume.set()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self.process()

    def process(self) -> None:
        while self.streaming is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            headers: dict[str, str] = {}
            for line in head[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                body, used = dechunk(self.buf, end + 4)
                if body is None:
                    return
                del self.buf[:used]
            else:
                n = int(headers.get("content-length", "0") or 0)
                if len(self.buf) < end + 4 + n:
                    return
                body = bytes(self.buf[end + 4:end + 4 + n])
                del self.buf[:end + 4 + n]
            if b'"stream":true' in body.replace(b" ", b""):
                self.streaming = asyncio.ensure_future(self.stream(headers))
                return
            assert self.transport is not None
            self.transport.write(JSON_RESPONSE)

    async def stream(self, headers: dict[str, str]) -> None:
        t = self.transport
        assert t is not None
        try:
            n = int(headers.get("x-bench-events", "10"))
            gap = int(headers.get("x-bench-gap-us", "0")) / 1e6
            hold = headers.get("x-bench-hold") == "1"
            t.write(SSE_HEAD)
            if hold:
                t.write(sse_event(0))
                deadline = time.monotonic() + MAX_HOLD_S
                while not self.closed and time.monotonic() < deadline:
                    await asyncio.sleep(1.0)
                t.close()
                return
            for i in range(n):
                if self.closed:
                    return
                if i and gap:
                    await asyncio.sleep(gap)
                if not self.resume.is_set():
                    await self.resume.wait()
                t.write(sse_event(i))
            t.write(DONE_CHUNK)
        except asyncio.CancelledError:
            return
        self.streaming = None
        if self.buf:
            self.process()


def make_ssl(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


async def main_async(args: argparse.Namespace) -> None:
    global MAX_HOLD_S
    MAX_HOLD_S = args.max_hold_s
    loop = asyncio.get_running_loop()
    ctx = make_ssl(args.cert, args.key)
    servers = []
    for addr in args.listen:
        servers.append(await loop.create_server(Conn, addr, args.port, ssl=ctx, reuse_address=True, backlog=2048))
    print("READY", flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--max-hold-s", type=float, default=300.0)
    args = ap.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
