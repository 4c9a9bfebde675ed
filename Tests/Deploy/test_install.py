"""deploy/install.sh and deploy/chaperone.service, tested in throw-away Debian roots.

Run as root: `python3 -m pytest -q Tests/Deploy` (see Tests/Deploy/README.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (DEBIAN_CERTIFI, HERE, INSTALL_SH, PYENV_CERTIFI, UNIT, diff, install,
                      proc_mounted, sh, snapshot, uninstall)

STATE = "/var/lib/chaperone"
KEPT_ACCOUNT_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"]
BEGIN = "# BEGIN chaperone org CA"
END = "# END chaperone org CA"
# update-ca-certificates runs ca-certificates-java's hook, which has dpkg process its trigger:
# dpkg logs that and refreshes its status backup. These two files are dpkg's own bookkeeping and
# may differ; /var/lib/dpkg/status itself must not (no trigger left pending).
DPKG_BOOKKEEPING = {"/var/log/dpkg.log", "/var/lib/dpkg/status-old"}
NO_CHANGE = {"added": [], "removed": [], "changed": []}
JAVA_CACERTS = "/etc/ssl/certs/java/cacerts"
JAVA_ALIAS = "chaperone-org-ca"
JAVA_HOOK_ALIAS = "debian:chaperone-org-ca.pem"


def rp(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def passwd_entry(root: Path, user: str) -> list[str] | None:
    for line in rp(root, "/etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return fields
    return None


def tree_diff(before: dict, after: dict) -> dict[str, list[str]]:
    """diff() of two snapshots, dpkg's bookkeeping aside."""
    d = diff(before, after)
    d["changed"] = [p for p in d["changed"] if p not in DPKG_BOOKKEEPING]
    return d


def assert_same_tree(before: dict, after: dict, what: str) -> None:
    d = tree_diff(before, after)
    assert d == NO_CHANGE, f"{what}: the tree differs: {d}"


def assert_only_state_and_account_differ(before: dict, after: dict, root: Path) -> None:
    """After a plain --uninstall: what is left is the state dir and the user (documented)."""
    d = tree_diff(before, after)
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
    assert "alias chaperone-org-ca in /etc/ssl/certs/java/cacerts: the org CA already" in out
    assert_same_tree(once, snapshot(root), "a second install")


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
    assert_same_tree(before, snapshot(root), "install, uninstall, install, uninstall --purge")


def test_uninstall_purge_is_exact(root: Path, binary: Path) -> None:
    before = snapshot(root)
    install(root, binary)
    install(root, binary)
    out = uninstall(root, "--purge").stdout
    assert "removed user chaperone" in out
    assert_same_tree(before, snapshot(root), "install twice, uninstall --purge")
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
    assert_same_tree(before, snapshot(root), "install over existing files, uninstall --purge")


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
    # OpenSSL finds CAs in /etc/ssl/certs by subject hash: the new CA has its link, the old none
    subject_hash = lambda p: sh("openssl", "x509", "-noout", "-hash", "-in", p).stdout.strip()
    links = {f.name: os.readlink(f) for f in rp(root, "/etc/ssl/certs").iterdir() if f.is_symlink()}
    assert links.get(f"{subject_hash(other_cert)}.0") == "chaperone-org-ca.pem", links
    assert f"{subject_hash(cert)}.0" not in links, f"the replaced CA's hash link is left: {links}"
    # Java trusts the new CA only (the hook's alias for the file kept the old one: dropped)
    in_keystore = set(java_keystore(root).values())
    assert cert_fp(other_cert) in in_keystore, "the replacing CA is not in the Java keystore"
    assert cert_fp(cert) not in in_keystore, "the replaced CA is still in the Java keystore"
    uninstall(root, "--purge")
    assert_same_tree(before, snapshot(root), "import, --replace-ca, uninstall --purge")


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


# ----------------------------------------------------------------------------- Java keystore


def cert_fp(pem: Path) -> str:
    """SHA-256 fingerprint as keytool prints it (AA:BB:...)."""
    out = sh("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", pem).stdout
    return out.strip().split("=", 1)[1].upper()


def java_keystore(root: Path) -> dict[str, str]:
    """alias -> SHA-256 fingerprint of every entry of the root's Java cacerts (keytool in the root)."""
    with proc_mounted(root):
        out = sh("chroot", root, "keytool", "-list", "-v", "-keystore", JAVA_CACERTS,
                 "-storepass", "changeit").stdout
    entries, alias = {}, None
    for line in out.splitlines():
        if line.startswith("Alias name: "):
            alias = line[len("Alias name: "):]
        elif line.strip().startswith("SHA256: ") and alias is not None:
            entries[alias] = line.split(": ", 1)[1].strip()
            alias = None
    return entries


def doctor_checks(root: Path, netns: str) -> list[dict]:
    """`chaperone doctor --json` run in the root, in an empty namespace (no rules, no daemon, no
    network: those checks fail fast; the trust checks read the root's stores)."""
    with proc_mounted(root):
        p = sh("ip", "netns", "exec", netns, "chroot", root, "env", "-i", *CLEAN_ENV,
               "chaperone", "doctor", "--json", "--config", "/etc/chaperone/chaperone.yaml",
               check=False, timeout=120)
    assert p.returncode == 1, f"doctor: {p.returncode} {p.stdout} {p.stderr}"
    return json.loads(p.stdout)


def test_java_keystore_with_the_ca_certificates_java_hook(root: Path, binary: Path,
                                                          tmp_path: Path, netns: str) -> None:
    """ca-certificates-java's update-ca-certificates hook imports the CA as well (its own
    alias); `chaperone doctor` finds the CA there; uninstall removes both entries, also from a
    keystore changed since the install."""
    original = java_keystore(root)
    assert original and JAVA_ALIAS not in original and JAVA_HOOK_ALIAS not in original
    install(root, binary)
    ca_fp = cert_fp(rp(root, f"{STATE}/ca/ca.pem"))
    entries = java_keystore(root)
    assert entries.get(JAVA_ALIAS) == ca_fp, f"install.sh's alias: {entries.get(JAVA_ALIAS)}"
    assert entries.get(JAVA_HOOK_ALIAS) == ca_fp, f"the hook's alias: {entries.get(JAVA_HOOK_ALIAS)}"
    checks = doctor_checks(root, netns)
    java = [c for c in checks if c["name"] == "trust-java"]
    assert len(java) == 1 and java[0]["ok"] and JAVA_CACERTS in java[0]["detail"], java
    assert next(c for c in checks if c["name"] == "trust-system")["ok"], checks
    assert not next(c for c in checks if c["name"] == "daemon")["ok"], checks
    # someone imports another CA after the install: the keystore is no longer ours to restore
    other, _ = make_ca(tmp_path, "Other-CA")
    shutil.copy(other, rp(root, "/tmp/other-ca.pem"))
    with proc_mounted(root):
        sh("chroot", root, "keytool", "-importcert", "-noprompt", "-alias", "other-ca", "-file",
           "/tmp/other-ca.pem", "-keystore", JAVA_CACERTS, "-storepass", "changeit")
    out = uninstall(root).stdout
    assert f"removed alias {JAVA_ALIAS}" in out and f"removed alias {JAVA_HOOK_ALIAS}" in out, out
    entries = java_keystore(root)
    assert ca_fp not in entries.values(), f"the org CA is still in {JAVA_CACERTS}: {entries}"
    assert entries.get("other-ca") == cert_fp(other), "the other CA was removed too"
    assert {a: f for a, f in entries.items() if a != "other-ca"} == original


# ----------------------------------------------------------------------------- real clients

HOST = "api.openai.com"
CLIENTS_DIR = "/tmp/chp-clients"  # in the root: a copy of Tests/Deploy/clients
# Clients run with `env -i` and only this: the host's SSL_CERT_FILE, REQUESTS_CA_BUNDLE,
# NODE_EXTRA_CA_CERTS (set on many CI machines) must not decide what a client in the root trusts.
CLEAN_ENV = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
             "LANG=C.UTF-8")
# A leaf without its chain and an unknown issuer: OpenSSL-based clients say
# "unable to verify the first certificate" / "unable to get local issuer certificate".
OPENSSL_VERIFY_FAILED = r"CERTIFICATE_VERIFY_FAILED|unable to (get local issuer|verify the first) certificate"


def mint_leaf(root: Path, workdir: Path, host: str) -> tuple[Path, Path]:
    """A leaf for HOST signed by the CA installed in ROOT (its key read from the root)."""
    return sign_leaf(rp(root, f"{STATE}/ca/ca.pem"), rp(root, f"{STATE}/ca/ca.key"), workdir, host)


def sign_leaf(ca_cert: Path, ca_key: Path, workdir: Path, host: str) -> tuple[Path, Path]:
    """A serverAuth leaf for HOST signed by CA_CERT/CA_KEY, written into WORKDIR."""
    key, csr, cert, ext = (workdir / n for n in ("leaf.key", "leaf.csr", "leaf.pem", "leaf.ext"))
    ext.write_text(f"subjectAltName=DNS:{host}\nextendedKeyUsage=serverAuth\n"
                   "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", key, "-out", csr, "-subj", f"/CN={host}")
    sh("openssl", "x509", "-req", "-in", csr, "-CA", ca_cert,
       "-CAkey", ca_key, "-CAcreateserial", "-CAserial", workdir / "ca.srl",
       "-days", "1", "-extfile", ext, "-out", cert)
    return cert, key


class TLSServer:
    def __init__(self, netns: str, cert: Path, key: Path, port: int = 8443, address: str = "127.0.0.1"):
        self.port = port
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, "openssl", "s_server", "-quiet", "-www",
             "-accept", f"{address}:{port}", "-cert", str(cert), "-key", str(key)],
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


@dataclass(frozen=True)
class Client:
    argv: tuple[str, ...]
    refused: str  # regex: the certificate error its output must show after uninstall
    refused_rc: int = 2
    login: bool = False  # run from a login shell (bash -lc), which reads /etc/profile.d


def real_clients(port: int) -> dict[str, Client]:
    url = f"https://{HOST}:{port}/"
    ssl_check = ("python3", "-B", f"{CLIENTS_DIR}/py_ssl.py")
    http_check = ("python3", "-B", f"{CLIENTS_DIR}/py_http.py")
    node_check = ("node", f"{CLIENTS_DIR}/check.js", url)
    ssl_error = rf"CERTERR ({OPENSSL_VERIFY_FAILED})"
    node_error = r"ERR (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) "
    return {
        "curl": Client(("curl", "-sS", "-o", "/dev/null", "-w", "OK %{http_code}", url),
                       refused=r"SSL certificate problem", refused_rc=60),
        # Python's ssl with the bundle named: certifi.where(), Debian's and a pyenv cacert.pem
        "python-ssl-certifi.where": Client((*ssl_check, "certifi", str(port)), refused=ssl_error),
        "python-ssl-debian-cacert.pem": Client((*ssl_check, DEBIAN_CERTIFI, str(port)), refused=ssl_error),
        "python-ssl-pyenv-cacert.pem": Client((*ssl_check, PYENV_CERTIFI, str(port)), refused=ssl_error),
        # requests and httpx with default verification: as a service or a script sees them, and
        # in a developer's login shell (REQUESTS_CA_BUNDLE, SSL_CERT_FILE from the profile)
        "requests": Client((*http_check, "requests", url), refused=rf"ERR SSLError .*({OPENSSL_VERIFY_FAILED})"),
        "requests-login-shell": Client((*http_check, "requests", url), login=True,
                                       refused=rf"ERR SSLError .*({OPENSSL_VERIFY_FAILED})"),
        "httpx": Client((*http_check, "httpx", url), refused=rf"ERR ConnectError .*({OPENSSL_VERIFY_FAILED})"),
        "httpx-login-shell": Client((*http_check, "httpx", url), login=True,
                                    refused=rf"ERR ConnectError .*({OPENSSL_VERIFY_FAILED})"),
        # node's https: Debian's node reads the system store; with --use-bundled-ca (the roots
        # compiled into node, as in upstream builds) only NODE_EXTRA_CA_CERTS can make it trust
        "node-login-shell": Client(node_check, login=True, refused=node_error),
        "node-bundled-ca-login-shell": Client(("node", "--use-bundled-ca", *node_check[1:]),
                                              login=True, refused=node_error),
        # Java's default trust store: $JAVA_HOME/lib/security/cacerts -> /etc/ssl/certs/java/cacerts
        "java": Client(("java", f"{CLIENTS_DIR}/Check.java", url),
                       refused=r"CERTERR .*PKIX path building failed"),
    }


def prepare_clients(root: Path) -> None:
    """The check programs into the root, and HOST resolving to the server in the namespace."""
    shutil.copytree(HERE / "clients", rp(root, CLIENTS_DIR))
    with rp(root, "/etc/hosts").open("a") as hosts:
        hosts.write(f"127.0.0.1 {HOST}\n")


def run_client(netns: str, root: Path, client: Client) -> tuple[int, str]:
    """Runs the client inside the root (chroot) in the namespace, with a clean environment."""
    argv = ("bash", "-lc", 'exec "$@"', "bash", *client.argv) if client.login else client.argv
    p = sh("ip", "netns", "exec", netns, "chroot", root, "/usr/bin/env", "-i", *CLEAN_ENV, *argv,
           check=False)
    return p.returncode, (p.stdout + p.stderr).strip()


def clients_not_trusting(netns: str, root: Path, clients: dict[str, Client]) -> list[str]:
    """The clients whose request fails, each with its exit code and output."""
    failed = []
    for name, client in clients.items():
        rc, out = run_client(netns, root, client)
        if rc != 0 or not out.startswith("OK"):
            failed.append(f"{name}: exit {rc}: {out}")
    return failed


def clients_not_refusing(netns: str, root: Path, clients: dict[str, Client]) -> list[str]:
    """The clients that do not fail with their certificate error, each with what they did."""
    failed = []
    for name, client in clients.items():
        rc, out = run_client(netns, root, client)
        if rc != client.refused_rc or not re.search(client.refused, out):
            failed.append(f"{name}: exit {rc} (expected {client.refused_rc} and "
                          f"/{client.refused}/): {out}")
    return failed


def test_real_clients_trust_after_install_and_not_after_uninstall(
        root: Path, binary: Path, netns: str, tmp_path: Path) -> None:
    prepare_clients(root)
    install(root, binary)
    cert, key = mint_leaf(root, tmp_path, HOST)
    server = TLSServer(netns, cert, key)
    clients = real_clients(server.port)
    try:
        with proc_mounted(root):  # java needs it
            failed = clients_not_trusting(netns, root, clients)
            assert not failed, "after install, these do not trust the org CA:\n" + "\n".join(failed)
            uninstall(root, "--purge")
            failed = clients_not_refusing(netns, root, clients)
            assert not failed, ("after uninstall --purge, these do not fail with a certificate "
                                "error:\n" + "\n".join(failed))
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
