#!/usr/bin/env python3
"""Interception-latency benchmark (issue 9): what Chaperone adds to an LLM API call.

Builds the end-to-end tests' world (Tests/EndToEnd: a network namespace whose "public"
provider addresses live on its loopback, the test PKI, the daemon as user `chaperone` with its
redirect rules) and measures, interleaved in one run, the same traffic

  direct      no interceptor: daemon stopped, rules uninstalled, client trusts the public CA
  chaperone   daemon running, `chaperone rules install`, client trusts the org CA
  mitmproxy   `mitmdump --mode transparent` as user chp-bench-mitm behind an equivalent nat
              OUTPUT REDIRECT exempting that uid (installed only while it is measured)
  squid       Squid (Debian squid-openssl) `https_port ... intercept ssl-bump` as user
              chp-bench-squid behind the same kind of REDIRECT exempting its uid

against a fast stand-in provider: nginx (TLS, HTTP/1.1 and HTTP/2, a fixed OpenAI
chat.completion JSON) on api.openai.com, and fast_upstream.py (raw asyncio TLS, OpenAI SSE
streams with configurable gaps, each event stamped with the upstream's monotonic clock) on
api.githubcopilot.com and api.anthropic.com.

Tools: h2load (latency of kept-alive requests, requests/s over HTTP/1.1 and HTTP/2), client.py
(new-connection cost, SSE time-to-first-event and per-event delay, idle streams), /proc (CPU
seconds and resident memory of the interceptor process).

Writes REPORT.md (docs/benchmarks.md), benchmarks.json and benchmarks-latency.png into
--out-dir (default docs/). Everything happens inside a namespace this script creates and
removes; every load is bounded in time and count.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))

import conftest  # noqa: E402  (the end-to-end harness: Env, Options, the daemon's config)
import netns  # noqa: E402
import pki as pki_module  # noqa: E402

PY = sys.executable
CLIENT = HERE / "client.py"
FAST_UPSTREAM = HERE / "fast_upstream.py"
MITM_USER = "chp-bench-mitm"
MITM_PORT = 18080
MITM_VENV = Path(os.environ.get("CHP_BENCH_MITM_VENV", "/tmp/chp-mitm-venv"))
SQUID_USER = "chp-bench-squid"
SQUID_PORT = 18443                     # https_port ... intercept ssl-bump
SQUID_FWD_PORT = 3128                  # the forward http_port Squid insists on (127.0.0.1 only)
SQUID_BIN = Path(os.environ.get("CHP_BENCH_SQUID", "/usr/sbin/squid"))
SQUID_CERTGEN = Path("/usr/lib/squid/security_file_certgen")
PEERS = ("mitmproxy", "squid")         # the other interceptors Chaperone is compared with
TARGETS = ("direct", "chaperone", *PEERS)
JSON_HOST = "api.openai.com"          # nginx (or fast_upstream with --upstream python)
SSE_HOST = "api.githubcopilot.com"    # fast_upstream: OpenAI-shaped SSE (Copilot's wire format is OpenAI's)
JSON_PATH = "/v1/chat/completions"
SSE_PATH = "/chat/completions"
PCTS = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9]

REQUEST_BODY = json.dumps({"model": "gpt-4o-mini", "messages": [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello to the benchmark in five words."}]}, separators=(",", ":"))


class Deadline(Exception):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics


def pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(xs: list[float]) -> dict[str, Any]:
    if not xs:
        return {"n": 0}
    out: dict[str, Any] = {"n": len(xs), "mean": statistics.fmean(xs), "min": min(xs), "max": max(xs)}
    for p in PCTS:
        out[f"p{p:g}"] = pct(xs, p)
    return out


# ---------------------------------------------------------------- the environment


class BenchEnv(conftest.Env):
    """The E2E Env with the benchmark's upstreams instead of the aiohttp stand-in."""

    upstream_kind = "nginx"

    @property
    def nginx_dir(self) -> Path:
        return self.dir / "nginx"

    def start_upstream(self, untrusted: bool | None = None) -> None:  # noqa: ARG002
        v4 = {h: a for h, (a, _) in netns.HOSTS.items()}
        v6 = {h: a for h, (_, a) in netns.HOSTS.items()}
        json_addrs = [v4[JSON_HOST], v6[JSON_HOST]]
        py_addrs = [a for a in netns.addresses() if a not in json_addrs]
        self.nginx = None
        if self.upstream_kind == "python":
            py_addrs = netns.addresses()
        else:
            self.nginx_dir.mkdir(exist_ok=True)
            conf = self.nginx_dir / "nginx.conf"
            conf.write_text(nginx_conf(self.nginx_dir, json_addrs, self.pki))
            log_fh = open(self.nginx_dir / "stderr.log", "ab")
            self.nginx = netns.popen_in_ns(self.ns, ["nginx", "-p", self.nginx_dir, "-c", conf, "-g", "daemon off;"],
                                           stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT)
            log_fh.close()
        argv = [PY, FAST_UPSTREAM, "--cert", self.pki.upstream_cert, "--key", self.pki.upstream_key]
        for a in py_addrs:
            argv += ["--listen", a]
        log_fh = open(self.upstream_log, "ab")
        self.upstream = netns.popen_in_ns(self.ns, argv, stdout=subprocess.PIPE, stderr=log_fh)
        log_fh.close()
        line = conftest._read_line(self.upstream.stdout, 15)
        if line.strip() != "READY":
            raise RuntimeError(f"fast_upstream did not start: {line!r}\n{conftest._tail(self.upstream_log)}")
        if self.nginx is not None:
            netns.wait_port(self.ns, json_addrs[0], 443, timeout=10, alive=lambda: self.nginx.poll() is None)

    def stop_upstream(self) -> None:
        conftest._stop(getattr(self, "nginx", None))
        self.nginx = None
        conftest._stop(self.upstream)
        self.upstream = None


def nginx_conf(d: Path, addrs: list[str], pki: pki_module.Pki) -> str:
    body = (REPO / "Benchmarks" / "interception" / "response.json").read_text().strip()
    (d / "response.json").write_text(body)
    listens = "\n".join(f"    listen {'[' + a + ']' if ':' in a else a}:443 ssl http2 backlog=4096;" for a in addrs)
    temps = "\n".join(f"  {k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
{temps}
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {{
{listens}
    server_name {JSON_HOST};
    ssl_certificate {pki.upstream_cert};
    ssl_certificate_key {pki.upstream_key};
    ssl_protocols TLSv1.2 TLSv1.3;
    http2_max_concurrent_streams 512;
    # The answer comes only after the whole request body was read (the mirror module reads it
    # first): Squid closes a bumped connection whose upstream answered before it had sent all
    # of the body ("Request not yet fully sent"), which `return 200` would provoke.
    location / {{
      rewrite ^ /response.json last;
    }}
    location = /response.json {{
      mirror /chp-read-body;
      root {d};
      default_type application/json;
      add_header x-request-id req_bench always;
      etag off;
      error_page 405 =200 /response.json;  # static files refuse POST: answer it as a GET of the file
    }}
    location = /chp-read-body {{
      internal;
      return 204;
    }}
  }}
}}
"""


# ---------------------------------------------------------------- process accounting


def cpu_seconds(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text()
    fields = f[f.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    kids = []
    for ent in os.listdir("/proc"):
        if ent.isdigit():
            try:
                st = Path(f"/proc/{ent}/stat").read_text()
            except OSError:
                continue
            if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                kids.append(int(ent))
    return kids


def squid_conf(d: Path, public_ca: Path) -> str:
    """Squid 5 (squid-openssl): transparent TLS interception with ssl-bump; no cache, logs and
    state in d. Squid runs as a non-root user, so cache_effective_user does not apply."""
    return f"""# written by Benchmarks/interception/run.py
workers 1
http_port 127.0.0.1:{SQUID_FWD_PORT}
https_port {SQUID_PORT} intercept ssl-bump tls-cert={d}/ca.pem tls-key={d}/ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program {SQUID_CERTGEN} -s {d}/ssl_db -M 16MB
sslcrtd_children 4 startup=1 idle=1
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
tls_outgoing_options cafile={public_ca}
http_access allow all
cache deny all
cache_mem 8 MB
access_log stdio:{d}/access.log
cache_log {d}/cache.log
cache_store_log none
pid_filename {d}/squid.pid
coredump_dir {d}
netdb_filename none
pinger_enable off
logfile_rotate 0
max_filedescriptors 16384
visible_hostname chp-bench-squid
client_persistent_connections on
server_persistent_connections on
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
"""


def rss_kib(pid: int) -> int:
    for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    return 0


# ---------------------------------------------------------------- the bench


class Bench:
    def __init__(self, a: argparse.Namespace, env: BenchEnv) -> None:
        self.a = a
        self.env = env
        self.quick = a.quick
        self.mode = "setup"
        self.mitm: subprocess.Popen | None = None
        self.mitm_rules = False
        self.mitm_ok: bool | str = "not started"
        self.squid: subprocess.Popen | None = None
        self.squid_rules = False
        self.squid_ok: bool | str = "not started"
        self.samples: dict[str, dict[str, list[float]]] = {}   # figure -> target -> samples
        self.results: dict[str, Any] = {"latency": {}, "newconn": {}, "sse": {}, "throughput": {},
                                        "cpu": {}, "idle_rss": {}}
        self.body_file = env.dir / "request.json"
        self.body_file.write_text(REQUEST_BODY)
        self.deadline = time.monotonic() + a.max_seconds
        self.problems: list[str] = []

    # ------------------------------------------------------------ helpers

    def left(self) -> float:
        r = self.deadline - time.monotonic()
        if r <= 0:
            raise Deadline(f"time limit of {self.a.max_seconds}s reached")
        return r

    def bundle(self, target: str) -> Path:
        if target == "mitmproxy":
            return self.env.dir / "mitm-bundle.pem"
        if target == "squid":
            return self.env.dir / "squid-bundle.pem"
        if target == "direct":
            return self.env.pki.public_ca
        return self.env.bundle

    def pid(self, target: str) -> int | None:
        if target == "chaperone" and self.env.daemon is not None:
            return self.env.daemon.pid
        if target == "mitmproxy" and self.mitm is not None:
            return self.mitm.pid
        if target == "squid" and self.squid is not None:
            return self.squid.pid
        return None

    def cpu(self, target: str, pid: int) -> float:
        """CPU seconds of the interceptor: the process, and for Squid also its live helper children
        (security_file_certgen); a helper that exited between two readings would be missed."""
        c = cpu_seconds(pid)
        if target == "squid":
            for kid in child_pids(pid):
                try:
                    c += cpu_seconds(kid)
                except (OSError, ValueError):
                    pass
        return c

    def ns_run(self, argv: list[Any], timeout: float) -> subprocess.CompletedProcess:
        return netns.run_in_ns(self.env.ns, argv, timeout=min(timeout, self.left() + 5))

    # ------------------------------------------------------------ switching targets

    def switch(self, target: str) -> None:
        e = self.env
        self.stop_mitm()
        self.stop_squid()
        if target in ("direct", *PEERS):
            if e.rules_installed:
                p = e.uninstall_rules()
                assert p.returncode == 0, f"rules uninstall failed: {p.stdout}{p.stderr}"
            e.stop_daemon()
        if target == "chaperone":
            if e.daemon is None or e.daemon.poll() is not None:
                e.daemon = None
                e.start_daemon()
            if not e.rules_installed:
                e.install_rules()
            comm = Path(f"/proc/{e.daemon.pid}/comm").read_text().strip()
            assert comm.startswith("chaperone"), f"daemon pid {e.daemon.pid} is {comm!r}, not chaperone"
        if target == "mitmproxy":
            self.start_mitm()
        if target == "squid":
            self.start_squid()
        self.mode = target

    def start_mitm(self) -> None:
        e = self.env
        conf = e.dir / "mitm"
        conf.mkdir(exist_ok=True)
        netns.chown_tree(conf, MITM_USER)
        self.mitm_count_file = conf / "count.txt"
        argv = [MITM_VENV / "bin" / "mitmdump", "--mode", "transparent", "--listen-port", str(MITM_PORT),
                "-s", HERE / "mitm_count.py",
                "--set", f"confdir={conf}", "--set", f"ssl_verify_upstream_trusted_ca={e.pki.public_ca}",
                "--set", "stream_large_bodies=1", "--set", "flow_detail=0", "--set", "termlog_verbosity=warn"]
        log_fh = open(e.dir / "mitm.log", "ab")
        self.mitm = netns.popen_in_ns(e.ns, argv, user=MITM_USER, home=str(conf), stdin=subprocess.DEVNULL,
                                      env={"CHP_BENCH_MITM_COUNT": str(self.mitm_count_file)},
                                      stdout=log_fh, stderr=subprocess.STDOUT)
        log_fh.close()
        netns.wait_port(e.ns, "127.0.0.1", MITM_PORT, timeout=30, alive=lambda: self.mitm.poll() is None)
        ca = conf / "mitmproxy-ca-cert.pem"
        for _ in range(100):
            if ca.is_file():
                break
            time.sleep(0.05)
        (e.dir / "mitm-bundle.pem").write_bytes(ca.read_bytes() + e.pki.public_ca.read_bytes())
        self.mitm_rule_cmds("-A")
        self.mitm_rules = True

    def mitm_rule_cmds(self, op: str) -> None:
        uid = str(netns.ensure_system_user(MITM_USER).pw_uid)
        for tool, fam in (("iptables", 0), ("ip6tables", 1)):
            dsts = ",".join(sorted({v[fam] for v in netns.HOSTS.values()}))
            p = netns.run_in_ns(self.env.ns, [tool, "-w", "-t", "nat", op, "OUTPUT", "-p", "tcp", "-d", dsts,
                                              "--dport", "443", "-m", "owner", "!", "--uid-owner", uid,
                                              "-j", "REDIRECT", "--to-ports", str(MITM_PORT)], timeout=10)
            if op == "-A" and p.returncode != 0:
                raise RuntimeError(f"{tool} mitm redirect failed: {p.stderr}")

    def stop_mitm(self) -> None:
        if self.mitm_rules:
            self.mitm_rule_cmds("-D")
            self.mitm_rules = False
        if self.mitm is not None:
            conftest._stop(self.mitm)
            self.mitm = None

    def start_squid(self) -> None:
        """Squid with ssl-bump in intercept mode, as its own user, everything under env.dir/squid."""
        e = self.env
        d = e.dir / "squid"
        fresh = not d.is_dir()
        d.mkdir(exist_ok=True)
        ca, key, db = d / "ca.pem", d / "ca.key", d / "ssl_db"
        if fresh:
            # Squid's own CA (like mitmproxy's, made once per run): it signs the leaves Squid mints.
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", ca, "-days", "7", "-subj", "/CN=chp-bench Squid CA",
                            "-addext", "basicConstraints=critical,CA:TRUE",
                            "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                           check=True, capture_output=True, timeout=30)
            (d / "squid.conf").write_text(squid_conf(d, e.pki.public_ca))
            netns.chown_tree(d, SQUID_USER)
            p = netns.run_in_ns(e.ns, [SQUID_CERTGEN, "-c", "-s", db, "-M", "16MB"], user=SQUID_USER, timeout=30)
            if p.returncode != 0:
                raise RuntimeError(f"security_file_certgen -c failed: {p.stdout}{p.stderr}")
        (e.dir / "squid-bundle.pem").write_bytes(ca.read_bytes() + e.pki.public_ca.read_bytes())
        self.squid_log = d / "access.log"
        log_fh = open(e.dir / "squid.log", "ab")
        self.squid = netns.popen_in_ns(e.ns, [SQUID_BIN, "-N", "-f", d / "squid.conf"], user=SQUID_USER,
                                       home=str(d), stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT)
        log_fh.close()
        try:
            # Probe the forward port, never the intercept one: a connection to 18443 that was not
            # redirected fails Squid's NAT lookup, and Squid 5.7 then stops accepting on that port.
            netns.wait_port(e.ns, "127.0.0.1", SQUID_FWD_PORT, timeout=30, alive=lambda: self.squid.poll() is None)
        except RuntimeError as ex:
            tail = conftest._tail(d / "cache.log") + conftest._tail(e.dir / "squid.log")
            raise RuntimeError(f"{ex}; squid said:\n{tail}") from None
        self.squid_rule_cmds("-A")
        self.squid_rules = True

    def squid_rule_cmds(self, op: str) -> None:
        uid = str(netns.ensure_system_user(SQUID_USER).pw_uid)
        for tool, fam in (("iptables", 0), ("ip6tables", 1)):
            dsts = ",".join(sorted({v[fam] for v in netns.HOSTS.values()}))
            p = netns.run_in_ns(self.env.ns, [tool, "-w", "-t", "nat", op, "OUTPUT", "-p", "tcp", "-d", dsts,
                                              "--dport", "443", "-m", "owner", "!", "--uid-owner", uid,
                                              "-j", "REDIRECT", "--to-ports", str(SQUID_PORT)], timeout=10)
            if op == "-A" and p.returncode != 0:
                raise RuntimeError(f"{tool} squid redirect failed: {p.stderr}")

    def stop_squid(self) -> None:
        if self.squid_rules:
            self.squid_rule_cmds("-D")
            self.squid_rules = False
        if self.squid is not None:
            conftest._stop(self.squid)
            self.squid = None

    # ------------------------------------------------------------ measurements

    def h2load(self, target: str, proto: str, conc: int, *, seconds: float | None = None, n: int | None = None,
               warmup: float = 0.5, log_latency: bool = False) -> dict[str, Any]:
        if proto == "h1":
            clients, streams, extra = conc, 1, ["--h1"]
        else:
            clients = max(1, conc // 16) if conc >= 16 else 1
            streams = max(1, conc // clients)
            extra = ["--npn-list=h2"]
        argv: list[Any] = ["h2load", *extra, "-c", clients, "-m", streams, "-t", 1, "-d", self.body_file,
                           "-H", "content-type: application/json", "-H", "authorization: Bearer sk-bench-not-a-key"]
        if seconds is not None:
            # -N: a connection silent for 10 s is dropped (counted as failed) instead of hanging h2load.
            argv += ["-D", f"{int(seconds * 1000)}ms", f"--warm-up-time={int(warmup * 1000)}ms", "-N", "10s"]
            budget = seconds + warmup + 30
        else:
            argv += ["-n", n]
            budget = 60
        logf = self.env.dir / f"h2load-{target}-{proto}-{conc}.log"
        if log_latency:
            logf.unlink(missing_ok=True)
            argv += [f"--log-file={logf}"]
        argv.append(f"https://{JSON_HOST}{JSON_PATH}")
        pid = self.pid(target)
        c0 = self.cpu(target, pid) if pid else None
        i0 = self.intercepted(target)
        try:
            p = self.ns_run(argv, timeout=budget)
        except subprocess.TimeoutExpired:
            self.left()
            return {"clients": clients, "streams_per_client": streams, "rc": None,
                    "error": f"h2load did not finish within {budget:g}s (killed): requests stalled"}
        c1 = self.cpu(target, pid) if pid else None
        i1 = self.intercepted(target) if i0 is not None else None
        out: dict[str, Any] = {"clients": clients, "streams_per_client": streams, "rc": p.returncode}
        for ln in p.stdout.splitlines():
            ln = ln.strip()
            if ln.startswith("finished in"):
                out["rps"] = float(ln.split(",")[1].split()[0])
            elif ln.startswith("requests:"):
                parts = [x.strip().split() for x in ln[len("requests:"):].split(",")]
                for num, name in parts:
                    out[f"req_{name}"] = int(num)
            elif ln.startswith("status codes:"):
                out["status_codes"] = ln[len("status codes:"):].strip()
        # Only 2xx answers count: an interceptor that fails fast (502s, resets) is not fast.
        if "status_codes" in out:
            codes = {k: int(v) for v, k in (x.split() for x in out["status_codes"].split(","))}
            out["status_2xx"] = codes.get("2xx", 0)
            if "rps" in out and out.get("req_done"):
                out["rps_all"] = out["rps"]
                out["rps"] = out["rps"] * out["status_2xx"] / out["req_done"]
            bad = out.get("req_done", 0) - out["status_2xx"] + out.get("req_failed", 0) + out.get("req_errored", 0)
            if bad and bad > 0.01 * max(1, out.get("req_total", 0)):
                out["error"] = f"{bad} of {out.get('req_total')} requests failed or were not 2xx: {out['status_codes']}"
        if i0 is not None and i1 is not None and out.get("status_2xx"):
            # Every counted request must have gone through the interceptor's HTTP layer
            # (warm-up requests count too, hence >=; mitmproxy's count moves in steps of 100).
            out["intercepted"] = i1 - i0
            if out["intercepted"] < 0.9 * out["status_2xx"] - 100:
                out["error"] = (f"only {out['intercepted']} of {out['status_2xx']} answered requests went "
                                f"through {target}'s HTTP layer: the rest bypassed it (run discarded)")
        if "rps" not in out or p.returncode != 0:
            out["error"] = (out.get("error", "") + " " + p.stdout[-600:] + p.stderr[-600:]).strip()
        if c0 is not None and out.get("status_2xx"):
            out["cpu_s"] = c1 - c0
            out["cpu_s_per_1000"] = (c1 - c0) / out["status_2xx"] * 1000
        if log_latency and logf.is_file():
            lat = []
            for ln in logf.read_text().splitlines():
                f = ln.split("\t")
                if len(f) >= 3 and f[1] == "200":
                    lat.append(float(f[2]))
            out["latency_us"] = lat
        return out

    def intercepted(self, target: str) -> int | None:
        """How many exchanges the interceptor has handled so far (its own record), or None."""
        try:
            if target == "chaperone":
                time.sleep(0.1 if self.quick else 0.3)  # let the last records land
                return self.env.exchanges_path.read_bytes().count(b"\n")
            if target == "mitmproxy":
                time.sleep(0.1 if self.quick else 0.3)
                return int(self.mitm_count_file.read_text() or 0) if self.mitm_count_file.is_file() else 0
            if target == "squid":
                # One access.log line per HTTP transaction Squid relayed; the bumped TLS tunnels
                # (CONNECT) and aborted non-transactions (NONE_NONE/000, e.g. the port probe) are not counted.
                time.sleep(0.1 if self.quick else 0.3)
                if not self.squid_log.is_file():
                    return 0
                return sum(1 for ln in self.squid_log.read_bytes().splitlines()
                           if b" CONNECT " not in ln and b" NONE_NONE/000 " not in ln)
        except (OSError, ValueError):
            return None
        return None

    def latency(self, target: str, rnd: int) -> None:
        for conc in (1, 16):
            key = f"h1_c{conc}"
            secs = 0.6 if self.quick else 3.0
            r = self.h2load(target, "h1", conc, seconds=secs, warmup=0.2 if self.quick else 1.0, log_latency=True)
            lat = r.pop("latency_us", [])
            if "error" in r:
                self.problems.append(f"{target} latency {key}: {r['error'][:300]}")
                lat = []
            self.samples.setdefault(key, {}).setdefault(target, []).extend(lat)
            self.results["latency"].setdefault(key, {}).setdefault(target, {"runs": []})["runs"].append(
                {k: v for k, v in r.items()})
            log(f"  {target} latency {key}: n={len(lat)} p50={pct(lat, 50)} p99={pct(lat, 99)} us, {r.get('rps')} req/s")

    def throughput(self, target: str, rnd: int) -> None:
        concs = [16] if self.quick else [1, 16, 256]
        for proto in ("h1", "h2"):
            if proto == "h2" and target == "squid":
                continue  # Squid 5 speaks HTTP/1.1 only to its clients (no ALPN h2 on a bumped connection)
            for conc in concs:
                secs = 0.6 if self.quick else 3.0
                r = self.h2load(target, proto, conc, seconds=secs, warmup=0.2 if self.quick else 1.0)
                if "error" in r:
                    self.problems.append(f"{target} {proto} c={conc}: {r['error'][:300]}")
                cell = self.results["throughput"].setdefault(proto, {}).setdefault(str(conc), {})
                cell.setdefault(target, {"runs": []})["runs"].append(r)
                if "cpu_s_per_1000" in r and "error" not in r:
                    self.results["cpu"].setdefault(target, {}).setdefault(f"{proto}_c{conc}", []).append(
                        r["cpu_s_per_1000"])
                log(f"  {target} {proto} c={conc}: {r.get('rps')} req/s"
                    + (f", cpu/1000={r['cpu_s_per_1000']:.3f}s" if 'cpu_s_per_1000' in r else "")
                    + (f" ERROR {r['error'][:300]}" if 'error' in r else ""))

    def client(self, target: str, mode: str, *args: Any, timeout: float = 120) -> dict[str, Any]:
        host = JSON_HOST if mode == "newconn" else SSE_HOST
        addr = netns.HOSTS[host][0]
        p = self.ns_run([PY, CLIENT, mode, "--host", host, "--addr", addr, "--cafile", self.bundle(target),
                         *args], timeout=timeout)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not lines:
            raise RuntimeError(f"client {mode} for {target} failed ({p.returncode}): {p.stderr[-1500:]}")
        return json.loads(lines[-1])

    def newconn(self, target: str, rnd: int) -> None:
        n = 5 if self.quick else 150
        r = self.client(target, "newconn", "-n", n, "--warmup", 2, "--max-s", 20 if self.quick else 60)
        for k in ("connect_us", "handshake_us", "ttfb_us"):
            self.samples.setdefault(f"newconn_{k}", {}).setdefault(target, []).extend(r[k])
        self.results["newconn"].setdefault(target, {"errors": 0})["errors"] += r["errors"]
        if r.get("error"):
            self.results["newconn"][target]["first_error"] = r["error"]
        log(f"  {target} newconn: n={len(r['ttfb_us'])} ttfb p50={pct(r['ttfb_us'], 50)} us errors={r['errors']}")

    def sse(self, target: str, rnd: int) -> None:
        if self.quick:
            args = ["--short", 3, "--long", 1, "--events", 100, "--gap-us", self.a.sse_gap_us, "--max-s", 15]
        else:
            args = ["--short", 40, "--long", 1, "--events", 1000, "--gap-us", self.a.sse_gap_us, "--max-s", 60]
        r = self.client(target, "sse", *args)
        for k in ("ttfe_us", "transit_us", "gap_us"):
            self.samples.setdefault(f"sse_{k}", {}).setdefault(target, []).extend(r[k])
        agg = self.results["sse"].setdefault(target, {"events_expected": 0, "events_received": 0,
                                                      "bench_t_missing": 0})
        for k in ("events_expected", "events_received", "bench_t_missing"):
            agg[k] += r[k]
        log(f"  {target} sse: ttfe p50={pct(r['ttfe_us'], 50)} transit p50={pct(r['transit_us'], 50)} "
            f"p99={pct(r['transit_us'], 99)} us, {r['events_received']}/{r['events_expected']} events")

    def idle(self, target: str) -> None:
        pid = self.pid(target)
        if pid is None:
            return
        n = 10 if self.quick else self.a.idle_streams
        time.sleep(0.5)
        before = rss_kib(pid)
        argv = netns.ns_argv(self.env.ns, [PY, CLIENT, "idle", "--host", SSE_HOST, "--addr",
                                           netns.HOSTS[SSE_HOST][0], "--cafile", self.bundle(target),
                                           "-n", n, "--hold-s", 90, "--parallel", 16,
                                           "--max-s", 15 if self.quick else 60])
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=netns.base_env(), text=True)
        try:
            r, _, _ = select.select([p.stdout], [], [], min(120, self.left()))
            line = p.stdout.readline() if r else ""
            if not line.startswith("OPEN"):
                raise RuntimeError(f"idle client did not open its streams: {line!r}")
            opened = int(line.split()[1])
            time.sleep(1.0)
            after = rss_kib(pid)
            p.stdin.write("\n")
            p.stdin.flush()
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        res = json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])
        per = (after - before) / opened if opened else None
        self.results["idle_rss"][target] = {"streams_requested": n, "streams_open": opened,
                                            "rss_before_kib": before, "rss_after_kib": after,
                                            "per_stream_kib": per, "client": res}
        log(f"  {target} idle: {opened} streams, RSS {before} -> {after} KiB, {per} KiB/stream")

    # ------------------------------------------------------------ the run

    def run(self) -> None:
        targets = ["direct", "chaperone"]
        if self.a.mitm:
            if (MITM_VENV / "bin" / "mitmdump").exists():
                targets.append("mitmproxy")
                netns.ensure_system_user(MITM_USER)
            else:
                self.mitm_ok = f"mitmdump not found in {MITM_VENV} (set CHP_BENCH_MITM_VENV)"
        else:
            self.mitm_ok = "disabled (--no-mitm)"
        if self.a.squid:
            if SQUID_BIN.exists() and SQUID_CERTGEN.exists():
                targets.append("squid")
                netns.ensure_system_user(SQUID_USER)
            else:
                self.squid_ok = (f"{SQUID_BIN} or {SQUID_CERTGEN} not found "
                                 "(apt-get install --no-install-recommends squid-openssl)")
        else:
            self.squid_ok = "disabled (--no-squid)"
        self.targets = targets
        rounds = 1 if self.quick else self.a.rounds
        for rnd in range(rounds):
            order = targets if rnd % 2 == 0 else list(reversed(targets))
            for t in order:
                self.left()
                log(f"round {rnd + 1}/{rounds}: {t}")
                try:
                    self.switch(t)
                except Exception as e:  # noqa: BLE001
                    if t not in PEERS:
                        raise
                    setattr(self, "mitm_ok" if t == "mitmproxy" else "squid_ok", f"failed to start: {e!r}")
                    log(f"  {t} unavailable: {e!r}")
                    self.targets.remove(t)
                    self.stop_mitm()
                    self.stop_squid()
                    continue
                if t == "mitmproxy":
                    self.mitm_ok = True
                if t == "squid":
                    self.squid_ok = True
                try:
                    self.warm(t)
                except Exception as e:  # noqa: BLE001
                    if t != "squid":
                        raise
                    self.squid_ok = f"warm-up failed: {e!r}"[:600]
                    log(f"  squid unusable: {e!r}")
                    self.targets.remove(t)
                    self.stop_squid()
                    continue

                self.latency(t, rnd)
                self.sse(t, rnd)
                self.newconn(t, rnd)
                self.throughput(t, rnd)
                if rnd == 0 and t == "chaperone" or (t in PEERS and rnd == 0 and not self.quick):
                    self.idle(t)
        self.switch("direct")

    def warm(self, target: str) -> None:
        n = 60 if self.quick else 200
        r = self.h2load(target, "h1", 4, n=n)
        if r.get("req_succeeded", 0) < n:
            raise RuntimeError(f"warm-up through {target} failed: {r}")
        if target != "squid":
            r = self.h2load(target, "h2", 4, n=n)


# ---------------------------------------------------------------- results


def machine() -> dict[str, Any]:
    model = ""
    for ln in Path("/proc/cpuinfo").read_text().splitlines():
        if ln.startswith("model name"):
            model = ln.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "mem_total_kib": int(mem), "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "python": platform.python_version()}


def tool_versions() -> dict[str, str]:
    def first(argv: list[str]) -> str:
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except Exception as e:  # noqa: BLE001
            return f"unavailable ({e.__class__.__name__})"
    return {
        "h2load": first(["h2load", "--version"]),
        "nginx": first(["nginx", "-v"]),
        "openssl": first(["openssl", "version"]),
        "mitmproxy": first([str(MITM_VENV / "bin" / "mitmdump"), "--version"]),
        "squid": first([str(SQUID_BIN), "-v"]),
        "python": platform.python_version(),
    }


def binary_info(path: Path) -> dict[str, Any]:
    kind = "release" if "/release/" in str(path.resolve()) else ("debug" if "/debug/" in str(path.resolve()) else "unknown")
    st = path.stat()
    return {"path": str(path), "kind": kind, "size_bytes": st.st_size,
            "mtime_utc": _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}


def median_rps(cell: dict[str, Any], target: str) -> float | None:
    runs = cell.get(target, {}).get("runs", [])
    vals = [r["rps"] for r in runs if "rps" in r and not r.get("error")]
    return statistics.median(vals) if vals else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


def diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def build_results(bench: Bench, meta: dict[str, Any]) -> dict[str, Any]:
    S = bench.samples
    targets = list(TARGETS)
    res = bench.results
    lat = {k: {t: summary(S.get(k, {}).get(t, [])) for t in targets} for k in ("h1_c1", "h1_c16")}
    newconn = {k: {t: summary(S.get(f"newconn_{k}", {}).get(t, [])) for t in targets}
               for k in ("connect_us", "handshake_us", "ttfb_us")}
    sse = {k: {t: summary(S.get(f"sse_{k}", {}).get(t, [])) for t in targets} for k in ("ttfe_us", "transit_us", "gap_us")}
    thr: dict[str, Any] = {}
    for proto, cells in res["throughput"].items():
        for conc, cell in cells.items():
            thr.setdefault(proto, {})[conc] = {t: median_rps(cell, t) for t in targets}
    cpu = {t: {k: statistics.median(v) for k, v in d.items()} for t, d in res["cpu"].items()}

    def g(d, t, k):
        return d.get(t, {}).get(k)

    derived: dict[str, Any] = {}
    for key in ("h1_c1", "h1_c16"):
        for p in ("p50", "p99"):
            derived[f"added_latency_{key}_{p}_us"] = diff(g(lat[key], "chaperone", p), g(lat[key], "direct", p))
            derived[f"mitm_added_latency_{key}_{p}_us"] = diff(g(lat[key], "mitmproxy", p), g(lat[key], "direct", p))
            derived[f"squid_added_latency_{key}_{p}_us"] = diff(g(lat[key], "squid", p), g(lat[key], "direct", p))
    for p in ("p50", "p99"):
        derived[f"added_sse_transit_{p}_us"] = diff(g(sse["transit_us"], "chaperone", p), g(sse["transit_us"], "direct", p))
        derived[f"added_sse_gap_{p}_us"] = diff(g(sse["gap_us"], "chaperone", p), g(sse["gap_us"], "direct", p))
        derived[f"added_sse_ttfe_{p}_us"] = diff(g(sse["ttfe_us"], "chaperone", p), g(sse["ttfe_us"], "direct", p))
        derived[f"added_newconn_ttfb_{p}_us"] = diff(g(newconn["ttfb_us"], "chaperone", p), g(newconn["ttfb_us"], "direct", p))
    rps_vs_direct, rps_vs_mitm, rps_vs_squid = {}, {}, {}
    for proto, cells in thr.items():
        for conc, c in cells.items():
            rps_vs_direct[f"{proto}_c{conc}"] = ratio(c.get("chaperone"), c.get("direct"))
            rps_vs_mitm[f"{proto}_c{conc}"] = ratio(c.get("chaperone"), c.get("mitmproxy"))
            rps_vs_squid[f"{proto}_c{conc}"] = ratio(c.get("chaperone"), c.get("squid"))
    derived["rps_chaperone_over_direct"] = rps_vs_direct
    derived["rps_chaperone_over_mitmproxy"] = rps_vs_mitm
    derived["rps_chaperone_over_squid"] = rps_vs_squid
    idle = res["idle_rss"]

    def verdict(value, limit, le=True):
        if value is None:
            return None
        return value <= limit if le else value >= limit

    vd = [v for v in rps_vs_direct.values() if v is not None]
    vm = [v for v in rps_vs_mitm.values() if v is not None]
    targets_eval = [
        {"id": "ttfb_p50_c16", "what": "added time-to-first-byte p50, kept-alive, concurrency 16",
         "target": "<= 250 us", "value": derived["added_latency_h1_c16_p50_us"], "unit": "us",
         "met": verdict(derived["added_latency_h1_c16_p50_us"], 250)},
        {"id": "ttfb_p99_c16", "what": "added time-to-first-byte p99, kept-alive, concurrency 16",
         "target": "<= 1000 us", "value": derived["added_latency_h1_c16_p99_us"], "unit": "us",
         "met": verdict(derived["added_latency_h1_c16_p99_us"], 1000)},
        {"id": "rps_vs_mitmproxy", "what": "requests/s >= 10x mitmproxy (worst of all protocol/concurrency cells)",
         "target": ">= 10x", "value": min(vm) if vm else None, "unit": "x", "met": verdict(min(vm) if vm else None, 10, le=False)},
        {"id": "rps_vs_direct", "what": "requests/s within 2x of direct (worst of all protocol/concurrency cells)",
         "target": ">= 0.5x", "value": min(vd) if vd else None, "unit": "x", "met": verdict(min(vd) if vd else None, 0.5, le=False)},
        {"id": "sse_inter_event_p99", "what": "SSE added per-event delay p99 (transit upstream write -> client read)",
         "target": "<= 200 us", "value": derived["added_sse_transit_p99_us"], "unit": "us",
         "met": verdict(derived["added_sse_transit_p99_us"], 200)},
        {"id": "rss_per_idle_stream", "what": "daemon resident memory per idle open SSE stream",
         "target": "<= 64 KiB", "value": g(idle, "chaperone", "per_stream_kib"), "unit": "KiB",
         "met": verdict(g(idle, "chaperone", "per_stream_kib"), 64)},
    ]
    return {
        "schema": 1,
        **meta,
        "measured": {"direct": "direct" in bench.targets, "chaperone": "chaperone" in bench.targets,
                     "mitmproxy": True if bench.mitm_ok is True else f"not measured: {bench.mitm_ok}",
                     "squid": True if bench.squid_ok is True else f"not measured: {bench.squid_ok}"},
        "latency_us": lat,
        "newconn_us": newconn,
        "sse_us": sse,
        "sse_events": res["sse"],
        "throughput_rps": thr,
        "throughput_runs": res["throughput"],
        "latency_runs": res["latency"],
        "cpu_s_per_1000_requests": cpu,
        "idle_rss": idle,
        "newconn_errors": res["newconn"],
        "derived": derived,
        "targets": targets_eval,
    }


# Squid 5 does not speak HTTP/2 to its clients: its HTTP/2 cells are not measured, and say why.
SQUID_H2_NOTE = "Squid 5 offers no HTTP/2 (ALPN h2) on a bumped client connection; HTTP/2 cells are n/m for it"


# ---------------------------------------------------------------- report


def fmt(v: Any, unit: str = "", nd: int = 0) -> str:
    if v is None:
        return "n/m"
    if isinstance(v, float):
        s = f"{v:,.{nd}f}"
    else:
        s = f"{v:,}"
    return s + unit


def us(v: float | None) -> str:
    if v is None:
        return "n/m"
    if abs(v) >= 10000:
        return f"{v / 1000:,.1f} ms"
    if abs(v) >= 1000:
        return f"{v / 1000:,.2f} ms"
    return f"{v:,.0f} µs"


def xr(v: float | None) -> str:
    return "n/m" if v is None else f"{v:.2f}×"


def write_report(R: dict[str, Any], out: Path, png_name: str, json_name: str) -> None:
    b = R["binary"]
    m = R["machine"]
    L: list[str] = []
    L.append("# Interception benchmark (issue 9)\n")
    L.append(f"Generated by `Benchmarks/interception/run.py{' --quick' if R['quick'] else ''}` on {m['date_utc']}. "
             "Every number below is what that run measured; this file, "
             f"[`{json_name}`]({json_name}) and [`{png_name}`]({png_name}) are rewritten by each run and never edited by hand.\n")
    if b["kind"] != "release":
        L.append(f"> **WARNING: this is a {b['kind'].upper()} build of chaperone** (`{b['path']}`). Debug Swift "
                 "binaries are typically several times slower than release ones; these numbers say how the "
                 "harness works and where a debug build stands, not what Chaperone costs in production. "
                 "Re-run with a release binary (`swift build -c release`, then `make bench` or "
                 "`run.py --binary .build/release/chaperone`) before quoting any figure.\n")
    if R["quick"]:
        L.append("> **QUICK RUN** (`--quick`): a few seconds of load per figure, for smoke testing only.\n")
    L.append("## Machine and software\n")
    L.append("| | |\n|---|---|")
    L.append(f"| CPU | {m['cpu_model']} — {m['nproc']} cores visible (shared) |")
    L.append(f"| memory | {m['mem_total_kib'] // 1024:,} MiB |")
    L.append(f"| kernel | {m['kernel']} |")
    L.append(f"| date | {m['date_utc']} |")
    L.append(f"| chaperone | `{b['path']}` — **{b['kind']} build**, {b['size_bytes']:,} bytes, built {b['mtime_utc']}, "
             f"sha256 `{b.get('sha256', '?')[:16]}…` (run from a private copy) |")
    for k, v in R["tools"].items():
        L.append(f"| {k} | {v} |")
    L.append(f"| upstream | {R['upstream_desc']} |")
    L.append(f"| duration | {R['elapsed_s']:.0f} s, {R['rounds']} interleaved round(s) |")
    L.append("")
    L.append("## Targets from the issue\n")
    L.append("| target | limit | measured | verdict |\n|---|---|---|---|")
    for t in R["targets"]:
        v = t["value"]
        val = us(v) if t["unit"] == "us" else (xr(v) if t["unit"] == "x" else fmt(v, " KiB", 1))
        verdict = "not measured" if t["met"] is None else ("**MET**" if t["met"] else "**NOT MET**")
        L.append(f"| {t['what']} | {t['target']} | {val} | {verdict} |")
    L.append("")
    if b["kind"] != "release":
        L.append(f"Verdicts are for this {b['kind']} build; the issue's targets are about the release build.\n")

    meas = R["measured"]
    L.append("## Results\n")
    L.append("`n/m` = not measured. Columns: **direct** (no interceptor), **chaperone**, **mitmproxy** "
             f"(transparent mode; {'measured' if meas['mitmproxy'] is True else meas['mitmproxy']}), "
             f"**squid** (ssl-bump, intercept mode; {'measured' if meas['squid'] is True else meas['squid']}).\n")
    T = TARGETS
    lat = R["latency_us"]
    d = R["derived"]
    L.append("### Kept-alive request latency (h2load, HTTP/1.1 over TLS, POST of a chat completion, ~0.8 KB JSON answer)\n")
    L.append("h2load logs the time from sending each request to the end of its response; the answer is one "
             "small TLS record, so this is the time to first byte plus a few microseconds.\n")
    L.append("| concurrency | percentile | direct | chaperone | mitmproxy | squid | chaperone − direct | chaperone / direct "
             "| chaperone / mitmproxy | chaperone / squid |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for key, c in (("h1_c1", 1), ("h1_c16", 16)):
        for p in ("p50", "p90", "p99"):
            dv, cv, mv, sv = (lat[key][t].get(p) for t in T)
            L.append(f"| {c} | {p} | {us(dv)} | {us(cv)} | {us(mv)} | {us(sv)} | {us(diff(cv, dv))} | {xr(ratio(cv, dv))} "
                     f"| {xr(ratio(cv, mv))} | {xr(ratio(cv, sv))} |")
    L.append(f"\nSamples: " + ", ".join(f"{key}: " + "/".join(str(lat[key][t].get('n', 0)) for t in T)
                                        for key in ("h1_c1", "h1_c16")) + " (direct/chaperone/mitmproxy/squid).\n")

    nc = R["newconn_us"]
    HDR = ("| figure | percentile | direct | chaperone | mitmproxy | squid | chaperone − direct | chaperone / mitmproxy "
           "| chaperone / squid |\n|---|---|---|---|---|---|---|---|---|")
    L.append("### New connection (TCP + TLS to the client, + the interceptor's upstream connection; one request; warm leaf cache)\n")
    L.append(HDR)
    for k, label in (("handshake_us", "TCP + TLS handshake done"), ("ttfb_us", "first response byte (from connect)")):
        for p in ("p50", "p99"):
            dv, cv, mv, sv = (nc[k][t].get(p) for t in T)
            L.append(f"| {label} | {p} | {us(dv)} | {us(cv)} | {us(mv)} | {us(sv)} | {us(diff(cv, dv))} "
                     f"| {xr(ratio(cv, mv))} | {xr(ratio(cv, sv))} |")
    L.append("")

    s = R["sse_us"]
    ev = R["sse_events"]
    L.append(f"### SSE streaming (client.py; stream of {R['config']['sse_events']} OpenAI chunks, upstream gap "
             f"{R['config']['sse_gap_us']} µs)\n")
    L.append("*Time to first event*: request sent → first event parsed, on a kept-alive connection (short streams). "
             "*Per-event delay*: client arrival time − the upstream's write time stamped in the event (same host, "
             "CLOCK_MONOTONIC), i.e. what the path adds to every event. *Gap*: time between consecutive arrivals.\n")
    L.append(HDR)
    for k, label in (("ttfe_us", "time to first event"), ("transit_us", "per-event delay"), ("gap_us", "inter-event gap")):
        for p in ("p50", "p99"):
            dv, cv, mv, sv = (s[k][t].get(p) for t in T)
            L.append(f"| {label} | {p} | {us(dv)} | {us(cv)} | {us(mv)} | {us(sv)} | {us(diff(cv, dv))} "
                     f"| {xr(ratio(cv, mv))} | {xr(ratio(cv, sv))} |")
    L.append("\nEvents received/expected: " + ", ".join(
        f"{t} {ev[t]['events_received']}/{ev[t]['events_expected']}" for t in T if t in ev) + ".\n")

    thr = R["throughput_rps"]
    L.append("### Requests per second (h2load, median of rounds)\n")
    L.append("HTTP/1.1: one request at a time per connection, concurrency = connections. HTTP/2: concurrency = "
             "connections × streams (1×1, 1×16, 16×16); Chaperone talks HTTP/1.1 to the upstream either way.\n")
    L.append("| protocol | concurrency | direct | chaperone | mitmproxy | squid | chaperone / direct | chaperone / mitmproxy "
             "| chaperone / squid |\n|---|---|---|---|---|---|---|---|---|")
    for proto in ("h1", "h2"):
        for conc, c in sorted(thr.get(proto, {}).items(), key=lambda kv: int(kv[0])):
            L.append(f"| {'HTTP/1.1' if proto == 'h1' else 'HTTP/2'} | {conc} | {fmt(c.get('direct'), '', 0)} | "
                     f"{fmt(c.get('chaperone'), '', 0)} | {fmt(c.get('mitmproxy'), '', 0)} | {fmt(c.get('squid'), '', 0)} | "
                     f"{xr(ratio(c.get('chaperone'), c.get('direct')))} | {xr(ratio(c.get('chaperone'), c.get('mitmproxy')))} "
                     f"| {xr(ratio(c.get('chaperone'), c.get('squid')))} |")
    if meas["squid"] is True:
        L.append(f"\n{SQUID_H2_NOTE}.")
    L.append("")
    cpu = R["cpu_s_per_1000_requests"]
    L.append("### CPU seconds of the interceptor process per 1,000 requests (utime + stime from /proc, during the runs above)\n")
    L.append("For squid: the squid process plus its live `security_file_certgen` helpers (children of it).\n")
    keys = sorted({k for t in cpu.values() for k in t}, key=lambda k: (k[:2], int(k.split("_c")[1])))
    L.append("| run | chaperone | mitmproxy | squid | chaperone / mitmproxy | chaperone / squid |\n|---|---|---|---|---|---|")
    for k in keys:
        cv, mv, sv = (cpu.get(t, {}).get(k) for t in ("chaperone", "mitmproxy", "squid"))
        L.append(f"| {k.replace('_c', ', concurrency ').replace('h1', 'HTTP/1.1').replace('h2', 'HTTP/2')} | "
                 f"{fmt(cv, ' s', 3)} | {fmt(mv, ' s', 3)} | {fmt(sv, ' s', 3)} | {xr(ratio(cv, mv))} | {xr(ratio(cv, sv))} |")
    L.append("")
    idle = R["idle_rss"]
    L.append("### Resident memory with idle open SSE streams (VmRSS of the interceptor process)\n")
    L.append("Each stream: its own client TLS connection, an SSE request answered with one event, then silence; "
             "the interceptor holds the client connection and its upstream connection.\n")
    L.append("| | streams open | RSS before | RSS with streams | per stream |\n|---|---|---|---|---|")
    for t in ("chaperone", *PEERS):
        i = idle.get(t)
        if i:
            L.append(f"| {t} | {i['streams_open']}/{i['streams_requested']} | {i['rss_before_kib']:,} KiB | "
                     f"{i['rss_after_kib']:,} KiB | {fmt(i['per_stream_kib'], ' KiB', 1)} |")
        else:
            L.append(f"| {t} | n/m | | | |")
    L.append("")
    L.append(f"## Latency distributions\n\n![latency distributions]({png_name})\n")
    L.append("## Method\n")
    L.append(R["method"])
    if R.get("problems"):
        L.append("\n## Problems during this run\n")
        for pb in R["problems"]:
            L.append(f"- {pb}")
    L.append("")
    out.write_text("\n".join(L))


METHOD = """\
- One network namespace built by the end-to-end harness (`Tests/EndToEnd`: `netns.py`, `pki.py`,
  `conftest.Env`); provider names resolve to addresses on its loopback; nothing leaves it. The
  namespace, its `/etc/netns` entry and every process in it are removed at the end, also on failure.
- Upstream: nginx (1 worker; TLS 1.3, HTTP/1.1 and HTTP/2; a fixed OpenAI chat.completion served
  as a static file only after the request body was read — the mirror module reads it — since Squid
  drops a bumped connection whose upstream answers before the body was sent) for `api.openai.com`, and `Benchmarks/interception/fast_upstream.py` (raw asyncio
  TLS, HTTP/1.1, chunked SSE) for `api.githubcopilot.com`. A SwiftNIO upstream, as the issue
  suggests, is not built: this harness may not run `swift build`.
- Targets, switched in turn in every round (order reversed on odd rounds): **direct** (daemon
  stopped, `chaperone rules uninstall`, client trusts the public test CA); **chaperone** (`chaperone
  run` as user `chaperone` with the systemd unit's capabilities, `chaperone rules install`, client
  trusts the org CA + public CA); **mitmproxy** (`mitmdump --mode transparent --listen-port 18080`
  as user `chp-bench-mitm`, `stream_large_bodies=1` so every response body, SSE included, is streamed; nat OUTPUT REDIRECT of tcp/443
  to the provider addresses exempting that uid, v4 and v6, present only while it is measured; its CA
  from its confdir in the client bundle; it verifies the upstream against the public test CA);
  **squid** (Debian `squid-openssl`, `squid -N -f squid.conf` as user `chp-bench-squid`, one
  worker, no cache: `https_port 18443 intercept ssl-bump generate-host-certificates=on` with its
  own CA made by `openssl req` for this run, `sslcrtd_program security_file_certgen` on a
  database initialised for the run, `ssl_bump peek step1` + `ssl_bump bump all`,
  `tls_outgoing_options cafile=` the public test CA; the same nat OUTPUT REDIRECT, to port 18443,
  exempting its uid, present only while it is measured; its CA in the client bundle). Squid 5
  speaks only HTTP/1.1 to clients, so it has no HTTP/2 figures. It needs `http_port` for forward
  proxying too: that one listens on 127.0.0.1:3128 and carries no benchmark traffic.
- Each target is warmed (400 requests, leaf minted, pools filled) before it is measured.
- h2load: 1 thread, POST of a 180-byte chat request; `-D` seconds after `--warm-up-time`.
- Bypass check: after every h2load run the interceptor's own count of the exchanges it handled
  (Chaperone's `exchanges.jsonl`, a counting mitmproxy addon, the non-CONNECT lines of Squid's
  `access.log`) must cover the answered requests;
  a run where traffic went around the interceptor's HTTP layer is discarded and listed below.
- CPU: `/proc/PID/stat` utime + stime of the interceptor process (for Squid: plus its live
  certificate-generator helpers) before and after each h2load run, divided by the requests that
  succeeded. RSS: `/proc/PID/status` VmRSS before opening the idle
  streams (after all other traffic of the round) and once they are all open.
- Two shared cores run the client, the upstream and the interceptor at once: absolute numbers are
  this machine's; ratios measured in the same run are the meaningful part.
"""


def plot(bench: Bench, path: Path, title_note: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("h1_c1", "kept-alive request latency, concurrency 1"),
              ("h1_c16", "kept-alive request latency, concurrency 16"),
              ("newconn_ttfb_us", "new connection: connect → first byte"),
              ("sse_transit_us", "SSE per-event delay (upstream write → client read)")]
    colors = {"direct": "#4c72b0", "chaperone": "#dd8452", "mitmproxy": "#55a868", "squid": "#8172b3"}
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (key, title) in zip(axes.flat, panels):
        for t in TARGETS:
            xs = sorted(bench.samples.get(key, {}).get(t, []))
            if not xs:
                continue
            xs_ms = [max(x, 1.0) / 1000.0 for x in xs]
            ys = [(i + 1) / len(xs_ms) for i in range(len(xs_ms))]
            ax.step(xs_ms, ys, where="post", label=f"{t} (n={len(xs)}, p50 {pct(xs, 50) / 1000:.3g} ms)",
                    color=colors[t])
        ax.set_xscale("log")
        ax.set_xlabel("milliseconds (log)")
        ax.set_ylabel("fraction of samples ≤ x")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Chaperone interception benchmark — {title_note}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: a few seconds in all")
    rel, dbg = REPO / ".build" / "release" / "chaperone", REPO / ".build" / "debug" / "chaperone"
    ap.add_argument("--binary", type=Path, default=rel if rel.is_file() else dbg)
    ap.add_argument("--out-dir", type=Path, default=REPO / "docs")
    ap.add_argument("--report-name", default="benchmarks.md")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-mitm", dest="mitm", action="store_false")
    ap.add_argument("--no-squid", dest="squid", action="store_false")
    ap.add_argument("--upstream", choices=["nginx", "python"], default="nginx")
    ap.add_argument("--idle-streams", type=int, default=1000)
    ap.add_argument("--sse-gap-us", type=int, default=1000)
    ap.add_argument("--max-seconds", type=float, default=None, help="hard limit (default 840, quick 180)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (logs)")
    a = ap.parse_args()
    if a.max_seconds is None:
        a.max_seconds = 180.0 if a.quick else 840.0
    if os.geteuid() != 0:
        print("run.py needs root (network namespaces, netfilter inside them)", file=sys.stderr)
        return 2
    a.binary = a.binary.resolve() if a.binary.exists() else a.binary
    if not (a.binary.is_file() and os.access(a.binary, os.X_OK)):
        print(f"chaperone binary not found at {a.binary}", file=sys.stderr)
        return 2
    tools = ["ip", "setpriv", "h2load", "iptables", "ip6tables"] + (["nginx"] if a.upstream == "nginx" else [])
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        print(f"missing tools: {missing} (apt-get install nghttp2-client nginx-light iptables iproute2)", file=sys.stderr)
        return 2
    binfo = binary_info(a.binary)
    if binfo["kind"] != "release":
        log("!" * 78)
        log(f"!!! WARNING: benchmarking a {binfo['kind'].upper()} build: {a.binary}")
        log("!!! numbers are NOT representative of a release build")
        log("!" * 78)

    def _term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, _term)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    netns.sweep_stale()
    netns.ensure_system_user(conftest.DAEMON_USER)
    base = Path(tempfile.mkdtemp(prefix="chp-bench-"))
    os.chmod(base, 0o755)
    t_start = time.monotonic()
    # Run a private copy: another build may rewrite the binary in place during the run.
    snap = base / "bin" / "chaperone"
    snap.parent.mkdir()
    os.chmod(snap.parent, 0o755)
    for _ in range(60):
        st0 = a.binary.stat()
        time.sleep(1.0)
        st1 = a.binary.stat()
        if (st0.st_mtime_ns, st0.st_size) == (st1.st_mtime_ns, st1.st_size):
            break
    shutil.copy2(a.binary, snap)
    os.chmod(snap, 0o755)
    binfo = binary_info(a.binary)
    binfo["sha256"] = hashlib.sha256(snap.read_bytes()).hexdigest()
    conftest.CHAPERONE_BIN = snap
    BenchEnv.upstream_kind = a.upstream
    env = BenchEnv(name="bench", dir=base / "env", pki=pki_module.make_pki(base / "pki"),
                   opts=conftest.Options(idle_ms=120000), daemon_user=conftest.DAEMON_USER, direct=False)
    bench: Bench | None = None
    problems: list[str] = []
    rc = 0
    try:
        env.setup()
        log(f"namespace {env.ns}, binary {a.binary} ({binfo['kind']})")
        bench = Bench(a, env)
        try:
            bench.run()
        except (Deadline, Exception) as e:  # noqa: BLE001 - report what was measured, then fail
            problems.append(f"run aborted: {e!r}")
            log(traceback.format_exc())
            log("--- logs ---\n" + env.logs())
            rc = 1
    except KeyboardInterrupt as e:
        problems.append(f"interrupted: {e}")
        rc = 130
    except Exception as e:  # noqa: BLE001
        problems.append(f"setup failed: {e!r}")
        log(traceback.format_exc())
        rc = 1
    finally:
        if bench is not None:
            try:
                bench.stop_mitm()
                bench.stop_squid()
            except Exception as e:  # noqa: BLE001
                log(f"mitm cleanup: {e!r}")
        env.close()
        if a.keep:
            log(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    if bench is None:
        return rc or 1
    if bench.mitm_ok is True and "mitmproxy" not in getattr(bench, "targets", []):
        bench.mitm_ok = "failed"
    if bench.squid_ok is True and "squid" not in getattr(bench, "targets", []):
        bench.squid_ok = "failed"
    a.out_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "quick": a.quick,
        "rounds": 1 if a.quick else a.rounds,
        "elapsed_s": time.monotonic() - t_start,
        "machine": machine(),
        "binary": binfo,
        "tools": tool_versions(),
        "upstream_desc": ("nginx (JSON, h1+h2) + fast_upstream.py (SSE)" if a.upstream == "nginx"
                          else "fast_upstream.py (JSON and SSE, HTTP/1.1 only)"),
        "config": {"sse_events": 100 if a.quick else 1000, "sse_gap_us": a.sse_gap_us,
                   "idle_streams": 10 if a.quick else a.idle_streams, "exit_code": rc},
        "method": METHOD,
        "problems": problems,
    }
    problems.extend(bench.problems)
    R = build_results(bench, meta)
    json_path = a.out_dir / "benchmarks.json"
    png_path = a.out_dir / "benchmarks-latency.png"
    json_path.write_text(json.dumps({k: v for k, v in R.items() if k != "method"}, indent=1, sort_keys=False))
    plot(bench, png_path, f"{binfo['kind'].upper()} build, {'quick' if a.quick else 'full'} run, {R['machine']['date_utc']}")
    write_report(R, a.out_dir / a.report_name, png_path.name, json_path.name)
    log(f"wrote {a.out_dir / a.report_name}, {json_path}, {png_path}")
    for t in R["targets"]:
        log(f"  {t['id']}: {t['value']} {t['unit']} -> {'n/m' if t['met'] is None else ('MET' if t['met'] else 'NOT MET')}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
