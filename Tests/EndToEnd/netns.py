"""Network namespaces for the end-to-end tests.

Every namespace this harness makes is named `chp-e2e-<random>`. All netfilter changes the
tests cause happen inside those namespaces; the host's own tables are never touched. All
traffic stays on the namespace's loopback interface.

Facts of the machines this runs on:
- no `dummy` driver: the "public" addresses live on the namespace's `lo`;
- `ip netns exec` bind-mounts `/etc/netns/NAME/<f>` over `/etc/<f>` only if it exists before
  the command runs, and `ip netns del` does not remove `/etc/netns/NAME`: we do.
"""

from __future__ import annotations

import ctypes
import errno
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

PREFIX = "chp-e2e-"
NETNS_ETC = Path("/etc/netns")
NETNS_RUN = Path("/run/netns")
OWNERS = Path("/run/chp-e2e")  # NAME -> pid of the pytest process that owns the namespace

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

# name -> (v4, v6); cdn.example.net shares api.openai.com's addresses on purpose.
HOSTS: dict[str, tuple[str, str]] = {
    "api.openai.com": ("198.18.0.10", "fd00:c4a9::10"),
    "cdn.example.net": ("198.18.0.10", "fd00:c4a9::10"),
    "api.anthropic.com": ("198.18.0.11", "fd00:c4a9::11"),
    "api.githubcopilot.com": ("198.18.0.12", "fd00:c4a9::12"),
    "generativelanguage.googleapis.com": ("198.18.0.13", "fd00:c4a9::13"),
}


def addresses() -> list[str]:
    seen: list[str] = []
    for v4, _ in HOSTS.values():
        if v4 not in seen:
            seen.append(v4)
    for _, v6 in HOSTS.values():
        if v6 not in seen:
            seen.append(v6)
    return seen


def _run(argv: Sequence[str], timeout: float = 10, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def hosts_file_text() -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for name, (v4, _) in HOSTS.items():
        lines.append(f"{v4}\t{name}")
    for name, (_, v6) in HOSTS.items():
        lines.append(f"{v6}\t{name}")
    return "\n".join(lines) + "\n"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def ns_pids(name: str) -> list[int]:
    p = _run(["ip", "netns", "pids", name], check=False)
    return [int(x) for x in p.stdout.split() if x.strip().isdigit()]


def kill_ns_processes(name: str, grace: float = 2.0) -> None:
    """End the processes inside the namespace (all of them were started by this harness)."""
    pids = ns_pids(name)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def delete_namespace(name: str) -> None:
    assert name.startswith(PREFIX), name
    if (NETNS_RUN / name).exists():
        kill_ns_processes(name)
        _run(["ip", "netns", "del", name], check=False)
    shutil.rmtree(NETNS_ETC / name, ignore_errors=True)
    try:
        (OWNERS / name).unlink()
    except FileNotFoundError:
        pass


def sweep_stale() -> list[str]:
    """Remove `chp-e2e-*` namespaces (and /etc/netns dirs) left by runs that died."""
    names: set[str] = set()
    p = _run(["ip", "netns", "list"], check=False)
    for line in p.stdout.splitlines():
        n = line.split()[0] if line.split() else ""
        if n.startswith(PREFIX):
            names.add(n)
    for d in (NETNS_ETC, NETNS_RUN, OWNERS):
        if d.is_dir():
            names.update(x.name for x in d.iterdir() if x.name.startswith(PREFIX))
    removed = []
    for n in sorted(names):
        owner = OWNERS / n
        try:
            pid = int(owner.read_text().strip())
        except (FileNotFoundError, ValueError):
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            continue  # another live test run owns it
        delete_namespace(n)
        removed.append(n)
    return removed


def create_namespace(name: str | None = None) -> str:
    name = name or PREFIX + secrets.token_hex(3)
    assert name.startswith(PREFIX) and len(name) <= 15 + 10
    etc = NETNS_ETC / name
    etc.mkdir(parents=True, exist_ok=False)
    OWNERS.mkdir(parents=True, exist_ok=True)
    (OWNERS / name).write_text(str(os.getpid()))
    try:
        (etc / "hosts").write_text(hosts_file_text())
        # Keep any DNS attempt on the namespace's own loopback.
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        _run(["ip", "netns", "add", name])
        ns = ["ip", "-n", name]
        _run(ns + ["link", "set", "lo", "up"])
        for a in addresses():
            if ":" in a:
                _run(ns + ["-6", "addr", "add", f"{a}/128", "dev", "lo", "nodad"])
            else:
                _run(ns + ["addr", "add", f"{a}/32", "dev", "lo"])
    except BaseException:
        delete_namespace(name)
        raise
    return name


# ---------------------------------------------------------------- running things inside


# What the systemd unit grants the daemon (deploy/chaperone.service): NFQUEUE and ipset netlink
# (net_admin), reading other users' /proc/PID/fd to attribute connections (sys_ptrace,
# dac_read_search).
DAEMON_CAPS = "+net_admin,+sys_ptrace,+dac_read_search"


def _user_prefix(user: str | None, caps: str | None = None) -> list[str]:
    if user is None:
        return []
    grant = [f"--inh-caps={caps}", f"--ambient-caps={caps}"] if caps else []
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *grant, "--"]


def base_env(extra: Mapping[str, str] | None = None, home: str = "/root") -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if extra:
        env.update(extra)
    return env


def ns_argv(ns: str, argv: Sequence[str], user: str | None = None, caps: str | None = None) -> list[str]:
    return ["ip", "netns", "exec", ns] + _user_prefix(user, caps) + [str(a) for a in argv]


def run_in_ns(ns: str, argv: Sequence[str], user: str | None = None, env: Mapping[str, str] | None = None,
              timeout: float = 20, input: bytes | str | None = None, text: bool = True,
              check: bool = False, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run `ip netns exec NS [setpriv --reuid=U --regid=U --init-groups] argv` with a timeout."""
    full = ns_argv(ns, argv, user)
    if isinstance(input, str) and not text:
        input = input.encode()
    p = subprocess.run(full, capture_output=True, text=text, timeout=timeout, env=base_env(env),
                       input=input, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(full)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def popen_in_ns(ns: str, argv: Sequence[str], user: str | None = None, env: Mapping[str, str] | None = None,
                home: str = "/root", caps: str | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(ns_argv(ns, argv, user, caps), env=base_env(env, home=home), **kw)


# ---------------------------------------------------------------- sockets made inside


def ns_socket(ns: str, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM) -> socket.socket:
    """A socket created inside the namespace (setns in a short-lived thread, so pytest stays put).

    A socket belongs to the network namespace it was created in, whichever thread uses it.
    """
    return in_ns(ns, lambda: socket.socket(family, type))


def in_ns(ns: str, make):
    """`make()` called in a short-lived thread moved into the namespace: the sockets it creates
    (a listening test server, say) belong to the namespace."""
    result: list = []

    def work() -> None:
        try:
            fd = os.open(NETNS_RUN / ns, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    e = ctypes.get_errno()
                    raise OSError(e, f"setns({ns}): {os.strerror(e)}")
            finally:
                os.close(fd)
            result.append(make())
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            result.append(e)

    t = threading.Thread(target=work, name=f"setns-{ns}")
    t.start()
    t.join(5)
    if not result:
        raise TimeoutError("setns thread did not finish")
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def ns_connect(ns: str, host: str, port: int, timeout: float = 3.0) -> socket.socket:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = ns_socket(ns, fam)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def wait_port(ns: str, host: str, port: int, timeout: float, alive=None) -> None:
    """Poll until a TCP connect to host:port inside the namespace succeeds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"process exited before {host}:{port} was listening")
        try:
            ns_connect(ns, host, port, timeout=0.5).close()
            return
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise TimeoutError(f"{host}:{port} in {ns} not listening after {timeout}s: {last}")


# ---------------------------------------------------------------- users


def ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
        return pwd.getpwnam(name)


def chown_tree(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


def nat_rules(ns: str) -> tuple[str, str]:
    """`iptables-save -t nat` and `ip6tables-save -t nat` inside the namespace, without comments/counters."""
    out = []
    for tool in ("iptables-save", "ip6tables-save"):
        p = run_in_ns(ns, [tool, "-t", "nat"], timeout=10)
        lines = [ln for ln in p.stdout.splitlines() if not ln.startswith("#")]
        out.append("\n".join(ln.split(" [")[0] if ln.startswith(":") else ln for ln in lines))
    return out[0], out[1]
