"""`chaperone doctor` passes on a host made by install.sh: the throw-away root, its rules and
its daemon in a namespace, a stand-in provider behind the redirect."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from conftest import install, proc_mounted, sh
from test_install import CLEAN_ENV, TLSServer, make_ca, rp, sign_leaf

CONF = "/etc/chaperone/chaperone.yaml"
PROVIDER = "api.openai.com"
PROVIDER_ADDRESS = "198.18.0.10"   # a benchmarking range (RFC 2544): never a real host
DAEMON_CAPS = "+net_admin,+sys_ptrace,+dac_read_search"   # the unit's AmbientCapabilities


def in_root(netns: str, root: Path, *argv: str, check: bool = True, timeout: float = 120):
    return sh("ip", "netns", "exec", netns, "chroot", root, *argv, check=check, timeout=timeout)


def wait_listening(netns: str, port: int, daemon: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        assert daemon.poll() is None, f"the daemon exited {daemon.returncode}:\n{log.read_text()[-3000:]}"
        if sh("ip", "netns", "exec", netns, "ss", "-Htln", f"sport = :{port}").stdout.strip():
            return
        time.sleep(0.1)
    raise AssertionError(f"the daemon did not listen on {port}:\n{log.read_text()[-3000:]}")


def test_doctor_passes_on_an_installed_host(root: Path, binary: Path, netns: str, tmp_path: Path) -> None:
    install(root, binary)
    # The provider: api.openai.com at an address in the namespace, TLS from a "public" CA that
    # the daemon is told to trust (upstream.trust_bundle), as it trusts the real providers.
    public_ca, public_key = make_ca(tmp_path, "Public-Test-CA")
    leaf, leaf_key = sign_leaf(public_ca, public_key, tmp_path, PROVIDER)
    sh("ip", "-n", netns, "addr", "add", f"{PROVIDER_ADDRESS}/32", "dev", "lo")
    with open(rp(root, "/etc/hosts"), "a") as hosts:
        hosts.write(f"{PROVIDER_ADDRESS} {PROVIDER}\n")
    rp(root, "/etc/chaperone/upstream-ca.pem").write_bytes(public_ca.read_bytes())
    with open(rp(root, CONF), "a") as conf:
        conf.write("upstream: {trust_bundle: /etc/chaperone/upstream-ca.pem}\n")
    server = TLSServer(netns, leaf, leaf_key, port=443, address=PROVIDER_ADDRESS)
    daemon = None
    log = tmp_path / "daemon.log"
    try:
        with proc_mounted(root):
            in_root(netns, root, "chaperone", "rules", "install", "--config", CONF)
            with open(log, "wb") as out:
                # as the unit runs it: the service user with exactly the unit's capabilities
                daemon = subprocess.Popen(
                    ["ip", "netns", "exec", netns, "chroot", root, "setpriv", "--reuid=chaperone",
                     "--regid=chaperone", "--init-groups", f"--inh-caps={DAEMON_CAPS}",
                     f"--ambient-caps={DAEMON_CAPS}", "--", "chaperone", "run", "--config", CONF],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            wait_listening(netns, 15443, daemon, log)
            # a login shell, as an administrator would run it: /etc/profile.d sets NODE_EXTRA_CA_CERTS
            p = in_root(netns, root, "env", "-i", *CLEAN_ENV, "bash", "-lc",
                        f"chaperone doctor --json --config {CONF}", check=False)
        checks = json.loads(p.stdout)
        failed = [c for c in checks if not c["ok"]]
        assert p.returncode == 0 and not failed, f"doctor failed: {failed}\n{p.stderr}\n{log.read_text()[-2000:]}"
        names = {c["name"] for c in checks}
        assert {"rules", "daemon", "org-ca", "trust-system", "trust-node", "trust-python-certifi", "trust-java",
                "self-test", "recorded"} <= names, names
        record = json.loads(rp(root, "/var/lib/chaperone/exchanges.jsonl").read_text().splitlines()[-1])
        assert record["sni"] == PROVIDER and record["path"] == "/v1/models", record
    finally:
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
        server.stop()
