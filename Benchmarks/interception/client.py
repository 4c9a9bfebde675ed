#!/usr/bin/env python3
"""Measuring clients the benchmark runs inside its namespace (where h2load cannot measure).

  newconn  N sequential new connections (TCP + TLS + one request): connect, handshake and
           time-to-first-byte of each, in microseconds
  sse      streams over one kept-alive connection: time to first event of short streams, then
           long streams: each event's transit time (client CLOCK_MONOTONIC at arrival minus the
           upstream's `bench_t`) and the gaps between arrivals
  idle     N connections each holding an open SSE stream (first event received); prints
           "OPEN n" and waits for a line on stdin (or --hold-s), then closes them all

Every mode prints one JSON object on stdout. Blocking sockets with Python's ssl (the handshake
and record layer are OpenSSL's C code); one request at a time, so the client adds a constant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import ssl
import sys
import time

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello to the benchmark in five words."}]}, separators=(",", ":")).encode()
SBODY = json.dumps({"model": "gpt-4o-mini", "stream": True, "messages": [
    {"role": "user", "content": "Count for the benchmark."}]}, separators=(",", ":")).encode()


def now_us() -> float:
    return time.monotonic_ns() / 1000.0


def request(host: str, path: str, body: bytes, extra: dict[str, str] | None = None) -> bytes:
    h = [f"POST {path} HTTP/1.1", f"Host: {host}", "User-Agent: chaperone-bench/1",
         "Authorization: Bearer sk-bench-not-a-key", "Content-Type: application/json",
         f"Content-Length: {len(body)}"]
    for k, v in (extra or {}).items():
        h.append(f"{k}: {v}")
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def ctx_for(cafile: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Reader:
    """HTTP/1.1 response reader over a blocking TLS socket: Content-Length or chunked."""

    def __init__(self, s: ssl.SSLSocket) -> None:
        self.s = s
        self.buf = bytearray()

    def fill(self) -> float:
        d = self.s.recv(65536)
        t = now_us()
        if not d:
            raise ConnectionError("peer closed")
        self.buf += d
        return t

    def head(self) -> tuple[int, dict[str, str], float]:
        t_first = None
        while b"\r\n\r\n" not in self.buf:
            t = self.fill()
            t_first = t_first or t
        end = self.buf.index(b"\r\n\r\n")
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        del self.buf[:end + 4]
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs, t_first or now_us()

    def body_fixed(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.fill()
        b = bytes(self.buf[:n])
        del self.buf[:n]
        return b

    def chunks(self):
        """Yield (arrival time, chunk data) for a chunked body; the time is when its last byte came."""
        while True:
            t = None
            while b"\r\n" not in self.buf:
                t = self.fill()
            i = self.buf.index(b"\r\n")
            size = int(bytes(self.buf[:i]).split(b";")[0], 16)
            while len(self.buf) < i + 2 + size + 2:
                t = self.fill()
            data = bytes(self.buf[i + 2:i + 2 + size])
            del self.buf[:i + 2 + size + 2]
            if size == 0:
                return
            yield (t if t is not None else now_us()), data

    def body(self, hdrs: dict[str, str]) -> bytes:
        if "content-length" in hdrs:
            return self.body_fixed(int(hdrs["content-length"]))
        return b"".join(d for _, d in self.chunks())


def connect(addr: str, host: str, ctx: ssl.SSLContext) -> tuple[ssl.SSLSocket, float, float]:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    raw = socket.socket(fam, socket.SOCK_STREAM)
    raw.settimeout(10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = now_us()
    raw.connect((addr, 443))
    t1 = now_us()
    s = ctx.wrap_socket(raw, server_hostname=host)
    t2 = now_us()
    return s, t1 - t0, t2 - t0


def mode_newconn(a: argparse.Namespace) -> dict:
    ctx = ctx_for(a.cafile)
    req = request(a.host, "/v1/chat/completions", BODY)
    out = {"connect_us": [], "handshake_us": [], "ttfb_us": [], "total_us": [], "errors": 0}
    deadline = time.monotonic() + a.max_s
    for i in range(a.n + a.warmup):
        if time.monotonic() > deadline:
            break
        try:
            t0 = now_us()
            s, c, h = connect(a.addr, a.host, ctx)
            s.sendall(req)
            r = Reader(s)
            status, hdrs, tfb = r.head()
            r.body(hdrs)
            t3 = now_us()
            s.close()
            if status != 200:
                raise RuntimeError(f"status {status}")
        except Exception as e:  # noqa: BLE001 - counted, reported
            out["errors"] += 1
            out.setdefault("error", repr(e))
            continue
        if i >= a.warmup:
            out["connect_us"].append(c)
            out["handshake_us"].append(h)
            out["ttfb_us"].append(tfb - t0)
            out["total_us"].append(t3 - t0)
    return out


def one_stream(s: ssl.SSLSocket, r: Reader, host: str, path: str, events: int, gap_us: int):
    t0 = now_us()
    s.sendall(request(host, path, SBODY, {"x-bench-events": str(events), "x-bench-gap-us": str(gap_us)}))
    status, hdrs, _ = r.head()
    if status != 200:
        raise RuntimeError(f"status {status}: {r.body(hdrs)[:200]!r}")
    arrivals: list[tuple[float, int]] = []   # (arrival us, upstream bench_t ns)
    pending = b""
    for t, data in r.chunks():
        pending += data
        while b"\n\n" in pending:
            ev, pending = pending.split(b"\n\n", 1)
            if ev.startswith(b"data: [DONE]"):
                continue
            k = ev.find(b'"bench_t":')
            bt = int(ev[k + 10:ev.index(b",", k)]) if k >= 0 else -1
            arrivals.append((t, bt))
    return t0, arrivals


def mode_sse(a: argparse.Namespace) -> dict:
    ctx = ctx_for(a.cafile)
    s, _, _ = connect(a.addr, a.host, ctx)
    r = Reader(s)
    out: dict = {"ttfe_us": [], "transit_us": [], "gap_us": [], "events_expected": 0, "events_received": 0,
                 "bench_t_missing": 0}
    deadline = time.monotonic() + a.max_s
    for i in range(a.short + a.warmup):
        t0, arr = one_stream(s, r, a.host, a.path, 3, 0)
        if i >= a.warmup and arr:
            out["ttfe_us"].append(arr[0][0] - t0)
        if time.monotonic() > deadline:
            break
    for _ in range(a.long):
        if time.monotonic() > deadline:
            break
        _, arr = one_stream(s, r, a.host, a.path, a.events, a.gap_us)
        out["events_expected"] += a.events
        out["events_received"] += len(arr)
        for j, (t, bt) in enumerate(arr):
            if bt < 0:
                out["bench_t_missing"] += 1
            else:
                out["transit_us"].append(t - bt / 1000.0)
            if j:
                out["gap_us"].append(t - arr[j - 1][0])
    s.close()
    return out


async def mode_idle(a: argparse.Namespace) -> dict:
    ctx = ctx_for(a.cafile)
    sem = asyncio.Semaphore(a.parallel)
    writers: list[asyncio.StreamWriter] = []
    errors: list[str] = []
    req = request(a.host, a.path, SBODY, {"x-bench-hold": "1"})

    async def open_one() -> None:
        async with sem:
            try:
                rd, wr = await asyncio.wait_for(asyncio.open_connection(a.addr, 443, ssl=ctx, server_hostname=a.host), 10)
                wr.write(req)
                buf = b""
                while b"\n\n" not in buf.split(b"\r\n\r\n", 1)[-1] or b"\r\n\r\n" not in buf:
                    d = await asyncio.wait_for(rd.read(65536), 10)
                    if not d:
                        raise ConnectionError("closed before the first event")
                    buf += d
                writers.append(wr)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(open_one()) for _ in range(a.n)]
    done, pending = await asyncio.wait(tasks, timeout=a.max_s)
    for t in pending:
        t.cancel()
    if pending:
        errors.append(f"{len(pending)} streams not open after {a.max_s}s")
    opened = time.monotonic() - t0
    print(f"OPEN {len(writers)}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), a.hold_s)
    except asyncio.TimeoutError:
        pass
    for w in writers:
        w.transport.abort()
    return {"opened": len(writers), "errors": len(errors), "first_error": errors[0] if errors else None,
            "open_s": opened}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["newconn", "sse", "idle"])
    ap.add_argument("--host", required=True, help="TLS server name and Host header")
    ap.add_argument("--addr", required=True, help="address to connect to (port 443)")
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--path", default="/chat/completions")
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--short", type=int, default=30, help="sse: short streams for time-to-first-event")
    ap.add_argument("--long", type=int, default=1, help="sse: long streams for inter-event timing")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--gap-us", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=32, help="idle: handshakes in flight")
    ap.add_argument("--hold-s", type=float, default=60)
    ap.add_argument("--max-s", type=float, default=120, help="stop early after this long")
    a = ap.parse_args()
    if a.mode == "newconn":
        out = mode_newconn(a)
    elif a.mode == "sse":
        out = mode_sse(a)
    else:
        out = asyncio.run(mode_idle(a))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
