#!/usr/bin/env python3
"""The audit log's cost: append throughput of the store and the latency it adds to an exchange.

Two measurements, one run, ratios only (these machines are shared and noisy):

1. `chaperone audit bench` on a scratch store: what `submit` costs the caller (the event
   loop's share), events per second made durable by group commit (WAL, synchronous=FULL), and
   the latency of one durable append.
2. The same requests through two daemons in two network namespaces, one with the audit log on
   (the default: masked bodies and timed chunks recorded) and one with `audit.enabled: false`;
   the batches alternate between them so drift hits both. A non-streamed chat completion and
   a streamed one (20 events) per request. The figure is the ratio of medians.

Writes docs/benchmarks-audit.md and docs/benchmarks-audit.json (or --out-dir).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))

import conftest  # noqa: E402
import netns  # noqa: E402
import pki as pki_module  # noqa: E402

# One keep-alive TLS connection; per request the wall time from sending to the last body byte.
CLIENT = r'''
import http.client, json, ssl, sys, time
n, stream = int(sys.argv[1]), sys.argv[2] == "stream"
ctx = ssl.create_default_context(cafile=sys.argv[3])
conn = http.client.HTTPSConnection("api.openai.com", 443, context=ctx, timeout=30)
body = json.dumps({"model": "gpt-4o-mini", "stream": stream,
                   "messages": [{"role": "user", "content": "write to jane.doe@example.com about the plan " * 4}]})
headers = {"content-type": "application/json", "authorization": "Bearer sk-bench",
           "x-test-events": "20"}
out = []
for _ in range(n):
    t0 = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    out.append((time.perf_counter() - t0) * 1e6)
    assert r.status == 200, r.status
print(json.dumps(out))
'''


def log(msg: str) -> None:
    print(f"[audit-bench] {msg}", file=sys.stderr, flush=True)


def store_bench(binary: Path, events: int, appends: int) -> dict:
    p = subprocess.run([binary, "audit", "bench", "--events", str(events), "--appends", str(appends), "--json"],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"audit bench failed: {p.stderr}")
    return json.loads(p.stdout)


def latencies(env: conftest.Env, n: int, mode: str) -> list[float]:
    p = netns.run_in_ns(env.ns, [conftest.PY, "-c", CLIENT, str(n), mode, str(env.bundle)], timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"client failed: {p.stderr}\n{env.logs()}")
    return json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    rel, dbg = REPO / ".build" / "release" / "chaperone", REPO / ".build" / "debug" / "chaperone"
    ap.add_argument("--binary", type=Path, default=rel if rel.is_file() else dbg)
    ap.add_argument("--out-dir", type=Path, default=REPO / "docs")
    ap.add_argument("--quick", action="store_true", help="a few seconds: checks the harness")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    conftest.CHAPERONE_BIN = a.binary.resolve()
    events, appends = (2_000, 50) if a.quick else (50_000, 1_000)
    batch, rounds = (20, 1) if a.quick else (100, 5)

    log(f"store: {events} submitted events, {appends} sequential appends ({a.binary})")
    store = store_bench(a.binary, events, appends)

    netns.sweep_stale()
    netns.ensure_system_user(conftest.DAEMON_USER)
    base = Path(tempfile.mkdtemp(prefix="chp-audit-bench-"))
    os.chmod(base, 0o755)
    test_pki = pki_module.make_pki(base / "pki")
    envs = {}
    try:
        for name, audit in (("on", {}), ("off", {"enabled": False})):
            e = conftest.Env(name=name, dir=base / name, pki=test_pki, opts=conftest.Options(audit=audit),
                             daemon_user=conftest.DAEMON_USER, direct=False)
            envs[name] = e
            e.setup()
        samples: dict[str, dict[str, list[float]]] = {k: {"json": [], "stream": []} for k in envs}
        for name in envs:  # warm-up: leaves minted, pools filled
            for mode in ("json", "stream"):
                latencies(envs[name], 10, mode)
        for r in range(rounds):
            for mode in ("json", "stream"):
                for name in (("on", "off") if r % 2 == 0 else ("off", "on")):
                    samples[name][mode] += latencies(envs[name], batch, mode)
            log(f"round {r + 1}/{rounds}")
    finally:
        for e in envs.values():
            e.close()

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    exchange = {}
    for mode in ("json", "stream"):
        on, off = samples["on"][mode], samples["off"][mode]
        exchange[mode] = {
            "requests_each": len(on), "median_us_audit_on": med(on), "median_us_audit_off": med(off),
            "ratio_on_to_off": med(on) / med(off),
            "added_us_median": med(on) - med(off),
        }
    result = {"binary": str(a.binary), "quick": a.quick, "store": store, "exchange": exchange,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count()}
    a.out_dir.mkdir(parents=True, exist_ok=True)
    name = "benchmarks-audit" + ("-quick" if a.quick else "")
    (a.out_dir / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (a.out_dir / f"{name}.md").write_text(report(result))
    print(report(result))
    return 0


def report(r: dict) -> str:
    s, x = r["store"], r["exchange"]
    lines = [
        "# Audit log benchmark",
        "",
        f"One run of `Benchmarks/audit/run.py` ({'quick, ' if r['quick'] else ''}{r['cores']} shared cores, {r['time']}, "
        f"`{Path(r['binary']).parent.name}` build). Figures are from the same run; compare ratios, not absolutes.",
        "",
        "## The store (`chaperone audit bench`)",
        "",
        "| | |",
        "|---|---|",
        f"| events submitted, {s['payload_bytes']} B of body each | {s['events']} |",
        f"| caller's cost of `submit` (the event loop's share) | {s['submit_ns_per_event']:.0f} ns/event |",
        f"| durable throughput (group commit, WAL, synchronous=FULL) | {s['events_per_second']:.0f} events/s |",
        f"| one durable append, nothing else queued: p50 / p99 | {s['append_p50_us']:.0f} µs / {s['append_p99_us']:.0f} µs |",
        f"| file size per event | {s['db_bytes_per_event']} B |",
        "",
        "An exchange writes about four events (session open and close are shared by the requests of a",
        "connection; request, decision, response per request), so the durable throughput covers roughly a",
        "quarter as many exchanges per second. Nothing on the data path waits for durability: the event",
        "loop only enqueues (`submit`); a session is logged closed once its close event is durable.",
        "",
        "## What the audit log adds to an exchange",
        "",
        "The same requests through two daemons, audit log on (default) and off, batches alternating.",
        "",
        "| request | n each | median, audit on | median, audit off | on / off | added |",
        "|---|---|---|---|---|---|",
    ]
    for mode, label in (("json", "chat, JSON response"), ("stream", "chat, SSE stream of 20 events")):
        m = x[mode]
        lines.append(f"| {label} | {m['requests_each']} | {m['median_us_audit_on']:.0f} µs | {m['median_us_audit_off']:.0f} µs "
                     f"| {m['ratio_on_to_off']:.2f}× | {m['added_us_median']:+.0f} µs |")
    lines += ["", "Regenerate: `make bench-audit` (release build) or `python3 Benchmarks/audit/run.py --binary PATH`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
