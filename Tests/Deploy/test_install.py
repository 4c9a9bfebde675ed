"""deploy/install.sh and deploy/chaperone.service, tested in throw-away Debian roots.

Run as root: `python3 -m pytest -q Tests/Deploy` (see Tests/Deploy/README.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (DEBIAN_CERTIFI, INSTALL_SH, PYENV_CERTIFI, UNIT, diff, install, sh,
                      snapshot, uninstall)

STATE = "/var/lib/chaperone"
KEPT_ACCOUNT_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"]
BEGIN = "# BEGIN chaperone org CA"
END = "# END chaperone org CA"


def rp(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def passwd_entry(root: Path, user: str) -> list[str] | None:
    for line in rp(root, "/etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return fields
    return None


def assert_only_state_and_account_differ(before: dict, after: dict, root: Path) -> None:
    """After a plain --uninstall: what is left is the state dir and the user (documented)."""
    d = diff(before, after)
    assert d["removed"] == [], d["removed"]
    assert all(p == STATE or p.startswith(STATE + "/") for p in d["added"]), d["added"]
    assert set(d["changed"]) <= set(KEPT_ACCOUNT_FILES), d["changed"]
    assert passwd_entry(root, "chaperone") is not None


# ----------------------------------------------------------------------------- install


def test_install_creates_user_files_modes_and_trust(root: Path, binary: Path) -> None:
    out = install(root, binary).stdout
    assert "[1] checking inputs" in out and "not started (--no-start)" in out

    pw = passwd_entry(root, "chaperone")
    assert pw is not None, "no chaperone user in /etc/passwd"
    uid, gid = int(pw[2]), int(pw[3])
    assert uid < 1000, "not a system user"
    assert pw[5] == STATE and pw[6] == "/usr/sbin/nologin"

    state = rp(root, STATE)
    assert (state.stat().st_mode & 0o777, state.stat().st_uid) == (0o700, uid)
    key = rp(root, f"{STATE}/ca/ca.key")
    assert (key.stat().st_mode & 0o777, key.stat().st_uid) == (0o600, uid)

    b = rp(root, "/usr/local/bin/chaperone")
    assert b.read_bytes() == binary.read_bytes() and b.stat().st_mode & 0o777 == 0o755
    conf = rp(root, "/etc/chaperone/chaperone.yaml").read_text()
    assert "exempt_user: chaperone" in conf and "rules_dir: /etc/chaperone/rules" in conf
    for name in ("providers.yaml", "masking.yaml"):
        installed = rp(root, f"/etc/chaperone/rules/{name}")
        assert installed.read_bytes() == (INSTALL_SH.parents[1] / "Rules" / name).read_bytes()
        assert (installed.stat().st_uid, installed.stat().st_mode & 0o777) == (0, 0o644)
    unit = rp(root, "/etc/systemd/system/chaperone.service")
    assert unit.read_bytes() == UNIT.read_bytes()
    assert rp(root, "/etc/systemd/system/multi-user.target.wants/chaperone.service").is_symlink()

    # the CA: in the system bundle, in both certifi bundles between markers, in the drop-ins
    ca_pem = rp(root, f"{STATE}/ca/ca.pem").read_text()
    assert rp(root, "/usr/local/share/ca-certificates/chaperone-org-ca.crt").read_text() == ca_pem
    assert ca_pem.strip() in rp(root, "/etc/ssl/certs/ca-certificates.crt").read_text()
    for bundle in (DEBIAN_CERTIFI, PYENV_CERTIFI):
        text = rp(root, bundle).read_text()
        block = text[text.index(BEGIN):]
        assert block.rstrip("\n").endswith(END) and ca_pem.strip() in block
        assert text.count(BEGIN) == 1
    profile = rp(root, "/etc/profile.d/chaperone-ca.sh").read_text()
    assert "SSL_CERT_FILE" in profile and "REQUESTS_CA_BUNDLE" in profile
    assert "NODE_EXTRA_CA_CERTS" in profile and "chaperone-org-ca.crt" in profile
    env = rp(root, "/etc/environment.d/90-chaperone-ca.conf").read_text()
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in env.splitlines()
    assert "REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt" in env.splitlines()
    assert ("NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/chaperone-org-ca.crt"
            in env.splitlines())
    # the profile drop-in works in the root's own shell
    got = sh("chroot", root, "/usr/bin/env", "-i", "/bin/sh", "-c",
             ". /etc/profile.d/chaperone-ca.sh; echo $SSL_CERT_FILE $NODE_EXTRA_CA_CERTS").stdout
    assert got.split() == ["/etc/ssl/certs/ca-certificates.crt",
                           "/usr/local/share/ca-certificates/chaperone-org-ca.crt"]
    assert "is valid and names this CA (chaperone ca show)" in out


def test_install_twice_is_install_once(root: Path, binary: Path) -> None:
    install(root, binary)
    once = snapshot(root)
    out = install(root, binary).stdout
    assert "user chaperone exists" in out and "CA exists: kept" in out
    assert "/etc/chaperone/chaperone.yaml exists: kept as it is" in out
    assert diff(once, snapshot(root)) == {"added": [], "removed": [], "changed": []}


# ----------------------------------------------------------------------------- uninstall


def test_uninstall_restores_tree_keeping_state_and_user(root: Path, binary: Path) -> None:
    before = snapshot(root)
    accounts = {f: rp(root, f).read_text().splitlines() for f in KEPT_ACCOUNT_FILES}
    install(root, binary)
    ca_pem = rp(root, f"{STATE}/ca/ca.pem").read_bytes()
    out = uninstall(root).stdout
    assert "kept: /var/lib/chaperone" in out
    after = snapshot(root)
    assert_only_state_and_account_differ(before, after, root)
    # the kept user is exactly one line appended to each account file
    for f, old in accounts.items():
        now = rp(root, f).read_text().splitlines()
        assert now[:-1] == old and now[-1].startswith("chaperone:"), (f, now[-3:])
    assert rp(root, f"{STATE}/ca/ca.pem").read_bytes() == ca_pem
    # a reinstall reuses the kept CA
    install(root, binary)
    assert rp(root, f"{STATE}/ca/ca.pem").read_bytes() == ca_pem
    # and a later purge leaves the tree exactly as before the first install
    uninstall(root, "--purge")
    assert diff(before, snapshot(root)) == {"added": [], "removed": [], "changed": []}


def test_uninstall_purge_is_exact(root: Path, binary: Path) -> None:
    before = snapshot(root)
    install(root, binary)
    install(root, binary)
    out = uninstall(root, "--purge").stdout
    assert "removed user chaperone" in out
    assert diff(before, snapshot(root)) == {"added": [], "removed": [], "changed": []}
    assert passwd_entry(root, "chaperone") is None
    # nothing left to undo: a second uninstall is a clean no-op
    assert "nothing to do" in uninstall(root, "--purge").stdout


def test_preexisting_files_are_kept_and_restored(root: Path, binary: Path) -> None:
    """An operator's own config is never overwritten; a file we replace comes back on uninstall."""
    conf = rp(root, "/etc/chaperone/chaperone.yaml")
    conf.parent.mkdir(parents=True)
    conf.write_text("listen: {port: 15443}\nexempt_user: chaperone\n")
    old_bin = rp(root, "/usr/local/bin/chaperone")
    old_bin.write_bytes(b"#!/bin/sh\necho an older chaperone\n")
    old_bin.chmod(0o755)
    before = snapshot(root)
    install(root, binary)
    assert conf.read_text() == "listen: {port: 15443}\nexempt_user: chaperone\n"
    assert old_bin.read_bytes() == binary.read_bytes()
    uninstall(root, "--purge")
    assert diff(before, snapshot(root)) == {"added": [], "removed": [], "changed": []}


# ----------------------------------------------------------------------------- CA import


def make_ca(dirpath: Path, cn: str) -> tuple[Path, Path]:
    key, cert = dirpath / f"{cn}.key", dirpath / f"{cn}.pem"
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", f"/CN={cn}/O=Example Org",
       "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def test_import_ca_and_refuse_silent_replacement(root: Path, binary: Path, tmp_path: Path) -> None:
    before = snapshot(root)
    cert, key = make_ca(tmp_path, "Example-Org-CA")
    install(root, binary, "--ca-cert", str(cert), "--ca-key", str(key))
    fp = lambda p: sh("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", p).stdout
    assert fp(rp(root, f"{STATE}/ca/ca.pem")) == fp(cert)
    assert fp(rp(root, "/usr/local/share/ca-certificates/chaperone-org-ca.crt")) == fp(cert)
    k = rp(root, f"{STATE}/ca/ca.key")
    assert k.stat().st_mode & 0o777 == 0o600
    assert k.stat().st_uid == int(passwd_entry(root, "chaperone")[2])
    assert not list(rp(root, STATE).glob("import.*")), "temporary import copies left behind"
    # same CA again: idempotent
    install(root, binary, "--ca-cert", str(cert), "--ca-key", str(key))
    # a different CA: refused with a clear message, nothing changed
    other_cert, other_key = make_ca(tmp_path, "Other-CA")
    r = install(root, binary, "--ca-cert", str(other_cert), "--ca-key", str(other_key), check=False)
    assert r.returncode != 0 and "--replace-ca" in r.stderr
    assert fp(rp(root, f"{STATE}/ca/ca.pem")) == fp(cert)
    install(root, binary, "--ca-cert", str(other_cert), "--ca-key", str(other_key), "--replace-ca")
    assert fp(rp(root, f"{STATE}/ca/ca.pem")) == fp(other_cert)
    uninstall(root, "--purge")
    assert diff(before, snapshot(root)) == {"added": [], "removed": [], "changed": []}


def test_failures_are_clear_and_nonzero(root: Path, binary: Path, tmp_path: Path) -> None:
    r = sh("bash", INSTALL_SH, "--root", root, "--binary", tmp_path / "nope", "--no-start", check=False)
    assert r.returncode != 0 and "not an executable file" in r.stderr
    r = sh("bash", INSTALL_SH, "--root", root, "--ca-cert", tmp_path / "x", check=False)
    assert r.returncode != 0 and "go together" in r.stderr
    r = sh("bash", INSTALL_SH, "--bogus", check=False)
    assert r.returncode != 0 and "unknown argument" in r.stderr
    # a root without useradd: refused before anything is written
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "bin").mkdir()
    r = sh("bash", INSTALL_SH, "--root", bare, "--binary", binary, "--no-start", check=False)
    assert r.returncode != 0 and "FAILED" in r.stderr
    assert sorted(p.name for p in bare.iterdir()) == ["bin"]


# ----------------------------------------------------------------------------- real clients


def mint_leaf(root: Path, workdir: Path, host: str) -> tuple[Path, Path]:
    """A leaf for HOST signed by the CA installed in ROOT (its key read from the root)."""
    key, csr, cert, ext = (workdir / n for n in ("leaf.key", "leaf.csr", "leaf.pem", "leaf.ext"))
    ext.write_text(f"subjectAltName=DNS:{host}\nextendedKeyUsage=serverAuth\n"
                   "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", key, "-out", csr, "-subj", f"/CN={host}")
    sh("openssl", "x509", "-req", "-in", csr, "-CA", rp(root, f"{STATE}/ca/ca.pem"),
       "-CAkey", rp(root, f"{STATE}/ca/ca.key"), "-CAcreateserial", "-CAserial", workdir / "ca.srl",
       "-days", "1", "-extfile", ext, "-out", cert)
    return cert, key


class TLSServer:
    def __init__(self, netns: str, cert: Path, key: Path, port: int = 8443):
        self.port = port
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, "openssl", "s_server", "-quiet", "-www",
             "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if sh("ip", "netns", "exec", netns, "ss", "-Htln", f"sport = :{port}").stdout.strip():
                return
            time.sleep(0.05)
        self.stop()
        raise AssertionError("openssl s_server did not listen")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


PY_CHECK = r"""
import socket, ssl, sys
cafile = sys.argv[1]
if cafile == "certifi":
    import certifi
    cafile = certifi.where()
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as s:
    try:
        with ctx.wrap_socket(s, server_hostname="api.openai.com") as t:
            print("OK", t.getpeercert()["subject"])
    except ssl.SSLCertVerificationError as e:
        print("CERTERR", e.verify_message)
        sys.exit(2)
"""


def clients_in_root(netns: str, root: Path, port: int) -> dict[str, tuple[int, str]]:
    """Each real client inside the root (chroot) in the namespace: exit code and output."""
    def run(*cmd: str) -> tuple[int, str]:
        p = sh("ip", "netns", "exec", netns, "chroot", root, *cmd, check=False)
        return p.returncode, p.stdout + p.stderr
    return {
        "curl": run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                    "--resolve", f"api.openai.com:{port}:127.0.0.1",
                    f"https://api.openai.com:{port}/"),
        "python-certifi": run("python3", "-B", "-c", PY_CHECK, "certifi", str(port)),
        "python-debian-cacert.pem": run("python3", "-B", "-c", PY_CHECK, DEBIAN_CERTIFI, str(port)),
        "python-pyenv-cacert.pem": run("python3", "-B", "-c", PY_CHECK, PYENV_CERTIFI, str(port)),
    }


def test_real_clients_trust_after_install_and_not_after_uninstall(
        root: Path, binary: Path, netns: str, tmp_path: Path) -> None:
    install(root, binary)
    cert, key = mint_leaf(root, tmp_path, "api.openai.com")
    # keep a copy of the CA's PEM: purge removes it from the root
    server = TLSServer(netns, cert, key)
    try:
        trusted = clients_in_root(netns, root, server.port)
        for name, (rc, out) in trusted.items():
            assert rc == 0, f"{name} did not trust the org CA after install: {out}"
        assert trusted["curl"][1].strip() == "200"
        assert all("api.openai.com" in out for n, (rc, out) in trusted.items() if n != "curl")

        uninstall(root, "--purge")
        refused = clients_in_root(netns, root, server.port)
        rc, out = refused["curl"]
        assert rc == 60, f"curl after uninstall: {rc} {out}"  # 60: peer certificate cannot be authenticated
        for name in ("python-certifi", "python-debian-cacert.pem", "python-pyenv-cacert.pem"):
            rc, out = refused[name]
            assert rc == 2 and "CERTERR" in out, f"{name} after uninstall: {rc} {out}"
    finally:
        server.stop()


# ----------------------------------------------------------------------------- the unit


def unit_lines() -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        raw = raw.strip()
        if not raw or raw.startswith(("#", ";", "[")):
            continue
        k, _, v = raw.partition("=")
        lines.setdefault(k, []).append(v)
    return lines


def test_unit_contract() -> None:
    u = unit_lines()
    caps = "CAP_NET_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH"
    assert u["CapabilityBoundingSet"] == [caps] and u["AmbientCapabilities"] == [caps]
    assert u["User"] == ["chaperone"]
    assert u["ExecStart"] == ["/usr/local/bin/chaperone run --config /etc/chaperone/chaperone.yaml"]
    assert u["ExecStartPre"] == ["+/usr/local/bin/chaperone rules install --config /etc/chaperone/chaperone.yaml"]
    assert "ExecStopPost" not in u and "ExecStop" not in u, "the rules must stay when the daemon stops"
    for k, v in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                 "ProtectHome": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
                 "ProtectKernelLogs": "yes", "StateDirectory": "chaperone", "StateDirectoryMode": "0700",
                 "RuntimeDirectory": "chaperone", "Restart": "on-failure",
                 "SystemCallFilter": "@system-service", "LimitNOFILE": "1048576",
                 "ReadWritePaths": "/var/lib/chaperone /run/chaperone",
                 "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK"}.items():
        assert u.get(k) == [v], (k, u.get(k))


@pytest.fixture
def verifiable_unit(binary: Path, tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at the real binary (verify checks the executable exists)."""
    unit = tmp_path / "chaperone.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/chaperone", str(binary)))
    return unit


def binary_path(unit: Path) -> str:
    return re.search(r"^ExecStart=(\S+)", unit.read_text(), re.M).group(1)


def test_systemd_analyze_verify(verifiable_unit: Path) -> None:
    r = sh("systemd-analyze", "verify", verifiable_unit, check=False)
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", r.stdout + r.stderr
    # and it does catch a broken unit (the check is not vacuous)
    bad = verifiable_unit.with_name("bad.service")
    bad.write_text(verifiable_unit.read_text().replace(str(binary_path(verifiable_unit)), "/nonexistent/chaperone"))
    assert sh("systemd-analyze", "verify", bad, check=False).returncode != 0


def test_systemd_analyze_security_offline(verifiable_unit: Path) -> None:
    r = sh("systemd-analyze", "security", "--offline=true", "--no-pager", verifiable_unit)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", r.stdout)
    assert m, r.stdout[-500:]
    assert float(m.group(1)) <= 3.0, f"exposure {m.group(1)} {m.group(2)}"
