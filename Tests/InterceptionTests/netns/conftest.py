"""Network-namespace fixtures for Chaperone's netfilter end-to-end tests.

Every test gets its own namespace `chp-nf-<random>`; everything runs inside it with
`ip netns exec`, and the namespace, its processes and /etc/netns/NAME are removed even when the
test fails. Nothing here touches the host's own rules or ipsets.
"""
import os
import secrets
import shutil
import signal
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOOL = os.environ.get("CHP_NF_TOOL", os.path.join(ROOT, ".build", "debug", "dns-snoop-check"))


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kwargs)


class Namespace:
    def __init__(self, name):
        self.name = name
        self.etc = f"/etc/netns/{name}"
        self.processes = []

    def exec_args(self, *args):
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args, check=True, input=None, timeout=30):
        result = subprocess.run(self.exec_args(*args), capture_output=True, text=True, input=input, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed ({result.returncode}): {result.stderr}{result.stdout}")
        return result

    def sh(self, script, check=True, timeout=30):
        return self.run("bash", "-c", script, check=check, timeout=timeout)

    def spawn(self, *args, **kwargs):
        process = subprocess.Popen(self.exec_args(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
        self.processes.append(process)
        return process

    def python(self, code, check=True, timeout=30):
        return self.run("python3", "-c", code, check=check, timeout=timeout)

    def write_etc(self, filename, text):
        os.makedirs(self.etc, exist_ok=True)
        with open(os.path.join(self.etc, filename), "w") as handle:
            handle.write(text)

    def tool(self, *args, check=True):
        return self.run(TOOL, *args, check=check)

    def saved(self):
        """iptables-save, ip6tables-save and ipset list -n, comments and counters removed."""
        import re

        def clean(text):
            lines = [line for line in text.splitlines() if not line.startswith("#")]
            return "\n".join(re.sub(r"\[\d+:\d+\]", "[0:0]", line) for line in lines)

        return (
            clean(self.run("iptables-save").stdout),
            clean(self.run("ip6tables-save").stdout),
            self.run("ipset", "list", "-n").stdout,
        )

    def cleanup(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
        # Anything else still running in the namespace was started by this test.
        pids = sh("ip", "netns", "pids", self.name, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 5
        while sh("ip", "netns", "pids", self.name, check=False).stdout.split() and time.time() < deadline:
            time.sleep(0.05)
        sh("ip", "netns", "del", self.name, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)


def make_namespace():
    name = f"chp-nf-{secrets.token_hex(4)}"
    sh("ip", "netns", "add", name)
    namespace = Namespace(name)
    namespace.sh(
        "ip link set lo up; ip addr add 198.18.0.10/32 dev lo; ip addr add 198.18.0.53/32 dev lo;"
        " ip -6 addr add fd00::10/128 dev lo nodad; ip -6 addr add fd00::53/128 dev lo nodad")
    return namespace


@pytest.fixture
def netns():
    namespace = make_namespace()
    try:
        yield namespace
    finally:
        namespace.cleanup()


@pytest.fixture
def netns_pair():
    """Two namespaces: a host with a bridge `br-chp`, and a container behind a veth pair on it."""
    host = make_namespace()
    container = None
    try:
        container = Namespace(f"chp-nf-{secrets.token_hex(4)}")
        sh("ip", "netns", "add", container.name)
        host.sh(
            "ip link add br-chp type bridge && ip addr add 10.89.0.1/24 dev br-chp && ip link set br-chp up &&"
            f" ip link add chp-veth-h type veth peer name chp-veth-c && ip link set chp-veth-c netns {container.name} &&"
            " ip link set chp-veth-h master br-chp && ip link set chp-veth-h up")
        container.sh(
            "ip link set lo up && ip addr add 10.89.0.2/24 dev chp-veth-c && ip link set chp-veth-c up &&"
            " ip route add default via 10.89.0.1")
        yield host, container
    finally:
        if container is not None:
            container.cleanup()
        host.cleanup()


@pytest.fixture(scope="session", autouse=True)
def tool_built():
    if not os.access(TOOL, os.X_OK):
        pytest.fail(f"{TOOL} is missing: run `swift build` in {ROOT} first (run.sh does)")
    if os.geteuid() != 0:
        pytest.skip("the netfilter tests need root (network namespaces)")


@pytest.fixture
def netns_routed(netns_pair):
    """The container pair plus a "provider" namespace the host routes to (198.18.1.10 via veth),
    so the container's traffic to it is forwarded by the host (FORWARD, not INPUT)."""
    host, container = netns_pair
    provider = Namespace(f"chp-nf-{secrets.token_hex(4)}")
    sh("ip", "netns", "add", provider.name)
    try:
        host.sh(
            f"ip link add chp-veth-hp type veth peer name chp-veth-p && ip link set chp-veth-p netns {provider.name} &&"
            " ip addr add 10.90.0.1/24 dev chp-veth-hp && ip link set chp-veth-hp up &&"
            " sysctl -qw net.ipv4.ip_forward=1 && ip route add 198.18.1.10/32 via 10.90.0.2")
        provider.sh(
            "ip link set lo up && ip addr add 198.18.1.10/32 dev lo && ip addr add 10.90.0.2/24 dev chp-veth-p &&"
            " ip link set chp-veth-p up && ip route add default via 10.90.0.1")
        yield host, container, provider
    finally:
        provider.cleanup()
