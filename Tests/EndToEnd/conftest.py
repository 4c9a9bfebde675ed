"""Fixtures for Chaperone's end-to-end tests: namespaces, the upstream stand-in, the daemon.

Modes:
- normal: the daemon (`CHAPERONE_BIN`, default `<repo>/.build/debug/chaperone`) runs in the
  namespace as the `chaperone` user and `chaperone rules install` redirects tcp/443 to it.
  A missing binary fails the run; nothing is skipped.
- direct (`CHP_E2E_DIRECT=1`): no daemon, no rules; clients reach the upstream stand-in
  directly and trust only the public CA. Validates the harness itself; the assertions that
  only make sense with an interceptor (org CA issuer, JSONL records, 502 bodies) are skipped
  or replaced by their direct-mode equivalent.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pytest
import yaml
from cryptography import x509

import netns
from netns import run_in_ns
from pki import Pki, make_pki

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLIENTS = HERE / "clients"
DIRECT = os.environ.get("CHP_E2E_DIRECT") == "1"
KEEP = os.environ.get("CHP_E2E_KEEP") == "1"
CHAPERONE_BIN = Path(os.environ.get("CHAPERONE_BIN", REPO / ".build" / "debug" / "chaperone"))
LISTEN_PORT = 15443
DAEMON_USER = "chaperone"
INTERCEPT_HOSTS = ["api.openai.com", "api.anthropic.com", "api.githubcopilot.com", "generativelanguage.googleapis.com"]
NODE = shutil.which("node") or "node"
PY = sys.executable

RECORD_FIELDS = ["time", "kind", "sni", "original_dst", "alpn", "method", "path", "status",
                 "request_bytes", "response_bytes", "duration_ms", "error"]


# ---------------------------------------------------------------- session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "daemon_only: needs the interceptor (skipped in direct mode)")


def pytest_report_header(config: pytest.Config) -> list[str]:
    mode = "DIRECT (no daemon; CHP_E2E_DIRECT=1)" if DIRECT else f"daemon {CHAPERONE_BIN}"
    return [f"chaperone e2e: {mode}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.geteuid() != 0:
        pytest.exit("Tests/EndToEnd needs root (network namespaces, netfilter inside them, setpriv)", returncode=2)
    for tool in ("ip", "setpriv", "openssl", "curl", "iptables-save"):
        if shutil.which(tool) is None:
            pytest.exit(f"Tests/EndToEnd needs `{tool}` on PATH", returncode=2)
    if not DIRECT and not (CHAPERONE_BIN.is_file() and os.access(CHAPERONE_BIN, os.X_OK)):
        pytest.exit(
            f"chaperone binary not found or not executable at {CHAPERONE_BIN}.\n"
            f"Build it (`swift build` in {REPO}) or point CHAPERONE_BIN at it; "
            f"CHP_E2E_DIRECT=1 runs the harness against the upstream stand-in without the daemon.",
            returncode=1)
    # CI and `timeout` stop runs with SIGTERM: turn it into KeyboardInterrupt so finalizers
    # (rules uninstall, namespace removal) still run.
    def _term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, _term)
    removed = netns.sweep_stale()
    if removed:
        print(f"\nchaperone e2e: removed stale namespaces {removed}", file=sys.stderr)


@pytest.fixture(scope="session")
def base_dir() -> Iterable[Path]:
    d = Path(tempfile.mkdtemp(prefix="chp-e2e-"))
    os.chmod(d, 0o755)  # the chaperone user must reach its state dir below
    yield d
    if not KEEP:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def pki(base_dir: Path) -> Pki:
    return make_pki(base_dir / "pki")


@pytest.fixture(scope="session")
def daemon_user() -> str | None:
    if DIRECT:
        return None
    netns.ensure_system_user(DAEMON_USER)
    return DAEMON_USER


# ---------------------------------------------------------------- the environment


def _read_line(stream, timeout: float) -> str:
    r, _, _ = select.select([stream], [], [], timeout)
    if not r:
        return ""
    return stream.readline().decode(errors="replace")


_NOTABLE = re.compile(r"Fatal error|Program crashed|crashed:|Precondition failed|Assertion failed|panic|Traceback")


def _tail(path: Path, n: int = 60) -> str:
    """The last n lines, preceded by any crash lines from earlier (a backtrace buries them)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no file)"
    notable = [ln for ln in lines[:-n] if _NOTABLE.search(ln)][:10]
    head = ["(earlier) " + ln for ln in notable]
    return "\n".join(head + lines[-n:])


@dataclass
class Options:
    client_hello_ms: int = 5000
    idle_ms: int = 30000
    connect_timeout_ms: int = 3000
    untrusted_upstream: bool = False   # upstream presents a self-signed cert nobody trusts
    install_rules: bool = True
    start_daemon: bool = True
    # The policy.yaml the daemon runs with: the permissive test policy by default (the tests of
    # interception are not about policy), a test's own text, or None for the shipped Rules/policy.yaml.
    policy: str | None = "default-test-policy"
    rules_files: dict | None = None    # more files for the rules directory (name -> text)
    audit: dict | None = None          # extra keys of the config's `audit:` section
    policy_options: dict | None = None  # the config's `policy:` section
    identity: dict | None = None       # extra keys of the config's `identity:` section (issuers, ...)


# Lets every principal use everything: what the interception tests run under.
ALLOW_ALL_POLICY = """\
version: 1
defaults:
  unauthenticated: group:everyone
groups:
  everyone:
    endpoints: [chat, completions, responses, embeddings, files, fine-tuning, batches, images, audio,
                moderations, models, assistants, realtime, other]
"""


@dataclass
class Env:
    """One namespace with the upstream stand-in and (normal mode) the daemon and its rules."""

    name: str
    dir: Path
    pki: Pki
    opts: Options
    daemon_user: str | None
    direct: bool = DIRECT
    ns: str = ""
    upstream: subprocess.Popen | None = None
    daemon: subprocess.Popen | None = None
    rules_installed: bool = False
    nat_before: tuple[str, str] | None = None
    org_ca: Path | None = None
    _cleanups: list = field(default_factory=list)

    # paths
    @property
    def ca_dir(self) -> Path: return self.dir / "ca"
    @property
    def state_dir(self) -> Path: return self.dir / "state"
    @property
    def config_path(self) -> Path: return self.dir / "chaperone.yaml"
    @property
    def exchanges_path(self) -> Path: return self.state_dir / "exchanges.jsonl"
    @property
    def upstream_record(self) -> Path: return self.dir / "upstream.jsonl"
    @property
    def upstream_log(self) -> Path: return self.dir / "upstream.log"
    @property
    def daemon_log(self) -> Path: return self.dir / "daemon.log"
    @property
    def bundle(self) -> Path: return self.dir / "client-bundle.pem"
    @property
    def control_socket(self) -> Path: return self.state_dir / "control.sock"
    @property
    def rules_dir(self) -> Path: return self.dir / "rules"
    @property
    def audit_db(self) -> Path: return self.state_dir / "audit.db"

    @property
    def intercepting(self) -> bool:
        return not self.direct

    # ------------------------------------------------------------ lifecycle

    def setup(self) -> "Env":
        self.dir.mkdir(parents=True)
        os.chmod(self.dir, 0o755)
        self.ns = netns.create_namespace()
        self.nat_before = netns.nat_rules(self.ns)
        self.start_upstream()
        if self.direct:
            shutil.copy(self.pki.public_ca, self.bundle)
            return self
        self.ca_dir.mkdir()
        self.state_dir.mkdir()
        p = run_in_ns(self.ns, [CHAPERONE_BIN, "ca", "init", "--dir", self.ca_dir], timeout=30)
        assert p.returncode == 0, f"chaperone ca init failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        self.org_ca = self.ca_dir / "ca.pem"
        assert self.org_ca.is_file(), f"ca init wrote no {self.org_ca}"
        assert (self.ca_dir / "ca.key").is_file(), "ca init wrote no ca.key"
        assert (os.stat(self.ca_dir / "ca.key").st_mode & 0o077) == 0, "ca.key must be 0600"
        netns.chown_tree(self.ca_dir, DAEMON_USER)
        netns.chown_tree(self.state_dir, DAEMON_USER)
        # Clients get org CA + public CA: intercepted hosts verify via the first, spliced via the second.
        self.bundle.write_bytes(self.org_ca.read_bytes() + self.pki.public_ca.read_bytes())
        self.write_config()
        if self.opts.start_daemon:
            self.start_daemon()
            if self.opts.install_rules:
                self.install_rules()
        return self

    def write_rules(self, policy: str | None) -> None:
        """A copy of the shipped Rules/ with the test's policy.yaml (readable by the daemon)."""
        if self.rules_dir.exists():
            shutil.rmtree(self.rules_dir)
        shutil.copytree(REPO / "Rules", self.rules_dir)
        if policy is not None:
            text = ALLOW_ALL_POLICY if policy == "default-test-policy" else policy
            (self.rules_dir / "policy.yaml").write_text(text)
        for name, text in (self.opts.rules_files or {}).items():
            (self.rules_dir / name).write_text(text)
        for f in [self.rules_dir, *self.rules_dir.iterdir()]:
            os.chmod(f, 0o755 if f.is_dir() else 0o644)

    def write_config(self) -> None:
        self.write_rules(self.opts.policy)
        cfg = {
            "listen": {"port": LISTEN_PORT, "addresses": ["::"]},
            "ca_dir": str(self.ca_dir),
            "state_dir": str(self.state_dir),
            "rules_dir": str(self.rules_dir),
            "intercept_hosts": INTERCEPT_HOSTS,
            "upstream": {"trust_bundle": str(self.pki.public_ca),
                         "connect_timeout_ms": self.opts.connect_timeout_ms},
            "timeouts": {"client_hello_ms": self.opts.client_hello_ms, "idle_ms": self.opts.idle_ms},
            "exempt_user": DAEMON_USER,
            "identity": {"control_socket": str(self.control_socket), **self._in_state(self.opts.identity or {})},
            "audit": {"checkpoint_every": 50, "checkpoint_interval_s": 2, **self._in_state(self.opts.audit or {})},
        }
        if self.opts.policy_options:
            cfg["policy"] = self.opts.policy_options
        self.config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        os.chmod(self.config_path, 0o644)

    def _in_state(self, value: Any) -> Any:
        """`STATE/x` strings in a test's config become paths in this environment's state dir."""
        if isinstance(value, str) and value.startswith("STATE/"):
            return str(self.state_dir / value[len("STATE/"):])
        if isinstance(value, dict):
            return {k: self._in_state(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._in_state(v) for v in value]
        return value

    def start_upstream(self, untrusted: bool | None = None) -> None:
        untrusted = self.opts.untrusted_upstream if untrusted is None else untrusted
        cert, key = ((self.pki.untrusted_cert, self.pki.untrusted_key) if untrusted
                     else (self.pki.upstream_cert, self.pki.upstream_key))
        argv = [PY, HERE / "upstream.py", "--cert", cert, "--key", key, "--record", self.upstream_record]
        for a in netns.addresses():
            argv += ["--listen", a]
        log = open(self.upstream_log, "ab")
        self.upstream = netns.popen_in_ns(self.ns, argv, stdout=subprocess.PIPE, stderr=log)
        log.close()
        line = _read_line(self.upstream.stdout, 15)
        if line.strip() != "READY":
            self.upstream.kill()
            raise RuntimeError(f"upstream did not start: {line!r}\n{_tail(self.upstream_log)}")

    def stop_upstream(self) -> None:
        _stop(self.upstream)
        self.upstream = None

    def start_daemon(self) -> None:
        log = open(self.daemon_log, "ab")
        self.daemon = netns.popen_in_ns(
            self.ns, [CHAPERONE_BIN, "run", "--config", self.config_path], user=self.daemon_user,
            caps=netns.DAEMON_CAPS, home=str(self.state_dir), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
        log.close()
        try:
            netns.wait_port(self.ns, "127.0.0.1", LISTEN_PORT, timeout=30,
                            alive=lambda: self.daemon is not None and self.daemon.poll() is None)
        except (TimeoutError, RuntimeError) as e:
            raise AssertionError(f"chaperone run did not listen on {LISTEN_PORT}: {e}\n"
                                 f"--- daemon log ---\n{_tail(self.daemon_log)}") from None

    def stop_daemon(self) -> int | None:
        rc = _stop(self.daemon)
        self.daemon = None
        return rc

    def rules(self, verb: str, *extra: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return run_in_ns(self.ns, [CHAPERONE_BIN, "rules", verb, "--config", self.config_path, *extra],
                         timeout=timeout)

    def install_rules(self) -> None:
        p = self.rules("install")
        assert p.returncode == 0, f"chaperone rules install failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        self.rules_installed = True

    def uninstall_rules(self) -> subprocess.CompletedProcess:
        p = self.rules("uninstall")
        self.rules_installed = False
        return p

    def close(self) -> None:
        if not self.ns:
            return
        try:
            if self.rules_installed:
                self.uninstall_rules()
            self.stop_daemon()
            self.stop_upstream()
        finally:
            netns.delete_namespace(self.ns)
            self.ns = ""

    # ------------------------------------------------------------ clients

    def client_env(self, ca_env: bool = True, **extra: str) -> dict[str, str]:
        """What a runner image with the org CA deployed gives its jobs: no base URL, no proxy.

        ca_env=False leaves out the CA variables, for clients that must rely on the system
        trust store (see install_system_trust).
        """
        env = {
            "OPENAI_API_KEY": "sk-e2e-test-key",
            "ANTHROPIC_API_KEY": "sk-ant-e2e-test-key",
            "GEMINI_API_KEY": "e2e-gemini-test-key",
        }
        if ca_env:
            env["SSL_CERT_FILE"] = str(self.bundle)         # OpenSSL-based: python ssl, httpx(2), curl tool
            env["NODE_EXTRA_CA_CERTS"] = str(self.bundle)   # node adds these to its bundled roots
        env.update(extra)
        return env

    def run(self, argv: list[Any], user: str | None = None, timeout: float = 20, env: dict | None = None,
            input: bytes | str | None = None, text: bool = True, ca_env: bool = True) -> subprocess.CompletedProcess:
        return run_in_ns(self.ns, argv, user=user, env=self.client_env(ca_env, **(env or {})), timeout=timeout,
                         input=input, text=text)

    def install_system_trust(self) -> None:
        """Emulate a runner image that ran update-ca-certificates with the org CA, inside this namespace only.

        /etc/netns/NS/ssl (a copy of /etc/ssl with the client bundle appended to
        certs/ca-certificates.crt) is bind-mounted over /etc/ssl by every later `ip netns exec`.
        The host's /etc/ssl is never written.
        """
        dst = netns.NETNS_ETC / self.ns / "ssl"
        shutil.copytree("/etc/ssl", dst, symlinks=True)
        ca = dst / "certs" / "ca-certificates.crt"
        data = ca.read_bytes()
        ca.unlink()  # it may be a symlink out of the copy: never write through it
        ca.write_bytes(data + b"\n" + self.bundle.read_bytes())
        os.chmod(ca, 0o644)
        # ... and the hashed links update-ca-certificates makes (OpenSSL capath lookups; node's
        # --use-openssl-ca reads only /etc/ssl/cert.pem, absent on Debian, and this directory).
        pems = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", self.bundle.read_bytes(), re.S)
        for i, pem in enumerate(pems):
            f = dst / "certs" / f"chaperone-e2e-{i}.pem"
            f.write_bytes(pem)
            h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", f], capture_output=True, text=True,
                               timeout=10, check=True).stdout.strip()
            n = 0
            while (dst / "certs" / f"{h}.{n}").is_symlink() or (dst / "certs" / f"{h}.{n}").exists():
                n += 1
            os.symlink(f.name, dst / "certs" / f"{h}.{n}")

    def daemon_dir(self, name: str) -> Path:
        """A fresh directory the daemon's user may write (CLI output run as that user)."""
        d = self.dir / f"{name}-{uuid.uuid4().hex[:6]}"
        d.mkdir()
        netns.chown_tree(d, DAEMON_USER)
        return d

    def chaperone(self, *args: Any, user: str | None = None, timeout: float = 30,
                  input: str | None = None, config: bool = True) -> subprocess.CompletedProcess:
        """The CLI in the namespace, with this environment's configuration."""
        argv = [CHAPERONE_BIN, *args]
        if config:
            argv += ["--config", self.config_path]
        return run_in_ns(self.ns, argv, user=user, timeout=timeout, input=input)

    def chaperone_json(self, *args: Any, user: str | None = None, timeout: float = 30) -> Any:
        p = self.chaperone(*args, "--json", user=user, timeout=timeout)
        assert p.returncode == 0, f"chaperone {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        return json.loads(p.stdout)

    def curl(self, *args: Any, timeout: float = 20, user: str | None = None,
             env: dict | None = None) -> subprocess.CompletedProcess:
        return self.run(["curl", "-sS", "--max-time", str(int(timeout) - 2), *args], user=user,
                        timeout=timeout, env=env)

    def py_client(self, script: str, *args: Any, timeout: float = 30) -> dict[str, Any]:
        p = self.run([PY, CLIENTS / script, *args], timeout=timeout)
        return _json_out(p)

    def node_client(self, opts: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        p = self.run([NODE, CLIENTS / "copilot_sse.mjs", json.dumps(opts)], timeout=timeout)
        return _json_out(p)

    def s_client(self, connect: str, servername: str | None, timeout: float = 15) -> "PeerCert":
        argv = ["openssl", "s_client", "-connect", connect, "-showcerts", "-CAfile", self.bundle]
        argv += ["-servername", servername] if servername else ["-noservername"]
        p = self.run(argv, timeout=timeout, input="")
        return PeerCert.parse(p)

    def still_serving(self) -> None:
        """A normal request through the interceptor still works."""
        tid = new_id()
        p = self.curl("-H", f"x-test-id: {tid}", "-d", "ping", "https://api.openai.com/echo")
        assert p.returncode == 0, f"follow-up request failed: {p.stderr}"
        assert json.loads(p.stdout)["body_b64"] == "cGluZw==", p.stdout
        if self.daemon is not None:
            assert self.daemon.poll() is None, "daemon exited"

    # ------------------------------------------------------------ records

    def exchanges(self) -> list[dict[str, Any]]:
        if self.direct:
            return []
        try:
            lines = self.exchanges_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for ln in lines:
            if ln.strip():
                out.append(json.loads(ln))
        return out

    def mark(self) -> int:
        return len(self.exchanges())

    def new_records(self, mark: int, expect: int, timeout: float = 5.0, settle: float = 0.4) -> list[dict]:
        """Records appended since `mark`; waits for `expect` of them, then a little longer for extras."""
        deadline = time.monotonic() + timeout
        recs = self.exchanges()[mark:]
        while len(recs) < expect and time.monotonic() < deadline:
            time.sleep(0.05)
            recs = self.exchanges()[mark:]
        time.sleep(settle)
        return self.exchanges()[mark:]

    def upstream_records(self, test_id: str | None = None, type: str | None = "request") -> list[dict]:
        try:
            lines = self.upstream_record.read_text().splitlines()
        except FileNotFoundError:
            return []
        recs = [json.loads(ln) for ln in lines if ln.strip()]
        return [r for r in recs if (type is None or r.get("type") == type)
                and (test_id is None or r.get("test_id") == test_id)]

    def upstream_response(self, test_id: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            r = self.upstream_records(test_id, type="response")
            if r or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(r) == 1, f"expected one upstream response for {test_id}, got {r}"
        return r[0]

    def logs(self) -> str:
        return (f"--- upstream log ({self.upstream_log}) ---\n{_tail(self.upstream_log)}\n"
                f"--- daemon log ({self.daemon_log}) ---\n{_tail(self.daemon_log)}\n"
                f"--- exchanges.jsonl ---\n{_tail(self.exchanges_path, 20)}")

    # ------------------------------------------------------------ expectations

    def expected_issuer(self) -> x509.Name:
        """Who must have issued the cert a client sees for an intercepted host."""
        src = self.pki.public_ca if self.direct else self.org_ca
        return x509.load_pem_x509_certificate(src.read_bytes()).subject

    def public_issuer(self) -> x509.Name:
        return x509.load_pem_x509_certificate(self.pki.public_ca.read_bytes()).subject


def _stop(p: subprocess.Popen | None, grace: float = 5.0) -> int | None:
    if p is None:
        return None
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    for s in (p.stdout, p.stderr):
        if s:
            s.close()
    return p.returncode


def _json_out(p: subprocess.CompletedProcess) -> dict[str, Any]:
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"client printed no JSON (rc={p.returncode})\nstdout: {p.stdout}\nstderr: {p.stderr}"
    out = json.loads(lines[-1])
    out["_stderr"] = p.stderr
    out["_rc"] = p.returncode
    return out


def new_id() -> str:
    return "t-" + uuid.uuid4().hex[:12]


@dataclass
class PeerCert:
    """What `openssl s_client` saw: the leaf (parsed by `cryptography`) and the verify result."""

    returncode: int
    leaf: x509.Certificate | None
    chain: list[x509.Certificate]
    verify_code: int | None
    output: str

    @classmethod
    def parse(cls, p: subprocess.CompletedProcess) -> "PeerCert":
        pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", p.stdout, re.S)
        chain = [x509.load_pem_x509_certificate(x.encode()) for x in pems]
        m = re.search(r"Verify return code: (\d+)", p.stdout)
        return cls(p.returncode, chain[0] if chain else None, chain, int(m.group(1)) if m else None,
                   p.stdout + "\n" + p.stderr)

    def san_dns(self) -> list[str]:
        ext = self.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return ext.value.get_values_for_type(x509.DNSName)


# ---------------------------------------------------------------- fixtures


def _make(base_dir: Path, pki: Pki, daemon_user: str | None, opts: Options, label: str) -> Env:
    env = Env(name=label, dir=base_dir / f"{label}-{uuid.uuid4().hex[:6]}", pki=pki, opts=opts,
              daemon_user=daemon_user)
    try:
        env.setup()
    except BaseException:
        env.close()
        raise
    return env


@pytest.fixture(scope="session")
def env(base_dir: Path, pki: Pki, daemon_user: str | None) -> Iterable[Env]:
    """The shared environment: most tests only add traffic to it."""
    e = _make(base_dir, pki, daemon_user, Options(), "shared")
    yield e
    e.close()


@pytest.fixture(autouse=True)
def _daemon_health(request: pytest.FixtureRequest) -> Iterable[None]:
    """Blame a daemon crash on the test during which it happened, then restart it for the next."""
    yield
    if "env" not in request.fixturenames:
        return
    e: Env = request.getfixturevalue("env")
    if e.daemon is not None and e.daemon.poll() is not None:
        rc = e.daemon.returncode
        logs = e.logs()
        e.daemon = None
        e.start_daemon()
        pytest.fail(f"the daemon exited with {rc} during this test (restarted for the next)\n{logs}", pytrace=False)


@pytest.fixture
def make_env(request: pytest.FixtureRequest, base_dir: Path, pki: Pki, daemon_user: str | None):
    """A factory for a dedicated environment (own namespace, upstream, daemon, config)."""
    made: list[Env] = []
    request.node._chp_envs = made

    def factory(**kw: Any) -> Env:
        e = _make(base_dir, pki, daemon_user, Options(**kw), "own")
        made.append(e)
        return e

    yield factory
    for e in made:
        e.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("call", "setup"):
        for name, val in getattr(item, "funcargs", {}).items():
            if isinstance(val, Env):
                rep.sections.append((f"chaperone e2e: {name}", val.logs()))
        for e in getattr(item, "_chp_envs", []):
            rep.sections.append((f"chaperone e2e: {e.dir.name}", e.logs()))


def check_exchange(rec: dict[str, Any], *, sni: str, dsts: Iterable[str], method: str, path: str,
                   status: int, alpn: Iterable[str | None]) -> None:
    """The audit fields the daemon must write for one HTTP exchange."""
    missing = [f for f in RECORD_FIELDS if f not in rec]
    assert not missing, f"record lacks {missing}: {rec}"
    assert rec["kind"] == "exchange", rec
    _dt.datetime.fromisoformat(rec["time"].replace("Z", "+00:00"))
    assert rec["sni"] == sni, rec
    assert rec["original_dst"] in set(dsts), rec
    assert rec["alpn"] in set(alpn), rec
    assert rec["method"] == method, rec
    assert rec["path"].split("?")[0] == path, rec
    assert rec["status"] == status, rec
    assert isinstance(rec["request_bytes"], int) and rec["request_bytes"] >= 0, rec
    assert isinstance(rec["response_bytes"], int) and rec["response_bytes"] > 0, rec
    assert isinstance(rec["duration_ms"], (int, float)) and rec["duration_ms"] >= 0, rec
    assert rec["error"] is None, rec


def dsts_for(host: str) -> list[str]:
    v4, v6 = netns.HOSTS[host]
    return [f"{v4}:443", f"[{v6}]:443"]
