#!/usr/bin/env python3
"""Profile the daemon under load: `perf record` of `chaperone run` during one h2load run.

Builds the same world as run.py (namespace, nginx stand-in, the daemon as user `chaperone` with
its redirect rules, full path: attribution, policy, masking, audit), warms it, then samples the
daemon with `perf record -e cpu-clock -g` (a software clock: works where hardware counters are
not exposed) while h2load sends kept-alive POSTs. Prints h2load's figures and the daemon's CPU
per 1,000 requests, and leaves perf.data in --out for `perf report -i OUT/perf.data --children`.

    sudo python3 Benchmarks/interception/profile.py --binary .build/release/chaperone --proto h2 --conc 16

Numbers from one run on a shared machine are for finding where the time goes, not for the
report (that is run.py's job).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as R  # noqa: E402  (the benchmark's world: BenchEnv, Bench)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", type=Path, required=True, help="the chaperone binary (a release build)")
    ap.add_argument("--proto", choices=["h1", "h2"], default="h1")
    ap.add_argument("--conc", type=int, default=16, help="concurrency (h2: connections x streams as in run.py)")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/chaperone-profile"))
    ap.add_argument("--no-perf", dest="perf", action="store_false", help="only measure, do not sample")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("profile.py needs root (network namespaces, netfilter inside them)", file=sys.stderr)
        return 2
    if a.perf and shutil.which("perf") is None:
        print("perf not found (apt-get install linux-perf), or pass --no-perf", file=sys.stderr)
        return 2
    R.netns.sweep_stale()
    R.netns.ensure_system_user(R.conftest.DAEMON_USER)
    base = Path(tempfile.mkdtemp(prefix="chp-profile-"))
    os.chmod(base, 0o755)
    snap = base / "bin" / "chaperone"
    snap.parent.mkdir()
    os.chmod(snap.parent, 0o755)
    shutil.copy2(a.binary, snap)
    os.chmod(snap, 0o755)
    R.conftest.CHAPERONE_BIN = snap
    env = R.BenchEnv(name="bench", dir=base / "env", pki=R.pki_module.make_pki(base / "pki"),
                     opts=R.conftest.Options(idle_ms=120000), daemon_user=R.conftest.DAEMON_USER, direct=False)
    a.out.mkdir(parents=True, exist_ok=True)
    try:
        env.setup()
        bench = R.Bench(argparse.Namespace(quick=False, max_seconds=600, mitm=False, rounds=1), env)
        bench.switch("chaperone")
        bench.warm("chaperone")
        perf = None
        if a.perf:
            perf = subprocess.Popen(["perf", "record", "-F", "999", "-e", "cpu-clock", "-g", "-p", str(env.daemon.pid),
                                     "-o", str(a.out / "perf.data")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        r = bench.h2load("chaperone", a.proto, a.conc, seconds=a.seconds, warmup=0.5)
        if perf is not None:
            perf.send_signal(subprocess.signal.SIGINT)
            perf.wait()
        print(f"{a.proto} c={a.conc}: {r.get('rps')} req/s, {r.get('cpu_s_per_1000')} CPU s per 1,000 requests"
              + (f", ERROR {r['error']}" if "error" in r else ""))
        if perf is not None:
            print(f"perf report -i {a.out / 'perf.data'} --children --sort sym")
        return 1 if "error" in r else 0
    finally:
        env.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
