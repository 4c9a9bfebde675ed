"""Fixtures for the deployment tests: throw-away Debian roots and a network namespace.

Nothing here touches the machine's own /etc, trust store, systemd or netfilter:
- the base root is a `debootstrap --variant=minbase bookworm` tree built from a cached tarball
  (made once with `debootstrap --make-tarball`, kept under /tmp between runs) and unpacked
  once into a cached base directory;
- each test gets its own copy of that base as an overlay mount (or `cp -a` where overlayfs is not
  available), removed afterwards;
- servers run in a network namespace the test creates and deletes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
INSTALL_SH = REPO / "deploy" / "install.sh"
UNIT = REPO / "deploy" / "chaperone.service"
CHAPERONE_BIN = Path(os.environ.get("CHAPERONE_BIN", REPO / ".build" / "debug" / "chaperone"))

CACHE = Path(os.environ.get("CHP_DEPLOY_CACHE", "/tmp/chaperone-deploy-cache"))
MIRROR = os.environ.get("CHP_DEPLOY_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
# What a runner image has: shell + coreutils (minbase), useradd (passwd), update-ca-certificates
# (ca-certificates), python3 + certifi, curl, openssl, systemctl (systemd, never booted), and
# the shared libraries the daemon links (libmnl0, libnetfilter-queue1); and the clients whose
# trust the real-clients test checks: requests, httpx, node and a Java runtime (which brings
# ca-certificates-java and its update-ca-certificates hook for /etc/ssl/certs/java/cacerts);
# iptables, ipset and iproute2 for the rules and the daemon run inside the root by the doctor test.
INCLUDE = ["passwd", "ca-certificates", "openssl", "curl", "python3", "python3-certifi",
           "libmnl0", "libnetfilter-queue1", "systemd",
           "python3-requests", "python3-httpx", "nodejs", "openjdk-17-jre-headless",
           "iptables", "ipset", "iproute2"]
BASE_VERSION = "5"  # bump when the base preparation below changes
PYENV_CERTIFI = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/certifi/cacert.pem"
DEBIAN_CERTIFI = "/usr/lib/python3/dist-packages/certifi/cacert.pem"


def sh(*args: str | Path, check: bool = True, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    proc = subprocess.run([str(a) for a in args], **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def _runtime_libs(binary: Path) -> list[Path]:
    """Shared libraries the binary loads (ldd), as host paths."""
    out = sh("ldd", binary).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            target = parts[parts.index("=>") + 1]
            if target.startswith("/"):
                libs.append(Path(target))
        elif parts and parts[0].startswith("/"):
            libs.append(Path(parts[0]))
    return libs


def _base_key(binary: Path) -> str:
    libs = sorted(str(p) for p in _runtime_libs(binary))
    return hashlib.sha256("\n".join([BASE_VERSION, SUITE, ",".join(INCLUDE), *libs]).encode()).hexdigest()[:16]


def _build_base(base: Path, binary: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{SUITE}-minbase-{hashlib.sha256(','.join(INCLUDE).encode()).hexdigest()[:8]}.tgz"
    include = "--include=" + ",".join(INCLUDE)
    if not tarball.exists():
        work = Path(tempfile.mkdtemp(prefix="dbs-", dir=CACHE))
        try:
            sh("debootstrap", "--variant=minbase", include, f"--make-tarball={tarball}.part",
               SUITE, work / "t", MIRROR)
            os.rename(f"{tarball}.part", tarball)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    tmp = base.with_name(base.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    sh("debootstrap", "--variant=minbase", include, f"--unpack-tarball={tarball}", SUITE, tmp, MIRROR)
    # The Swift runtime the debug binary links (release builds can link it statically); the
    # netfilter libraries come from the root's own packages.
    for lib in _runtime_libs(binary):
        dst = tmp / str(lib).lstrip("/")
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib, dst)
    # A pyenv Python's certifi bundle, as found on many runner images, here without a final
    # newline to exercise the exact restore of such a file.
    pyenv = tmp / PYENV_CERTIFI.lstrip("/")
    pyenv.parent.mkdir(parents=True)
    pyenv.write_bytes((tmp / DEBIAN_CERTIFI.lstrip("/")).read_bytes().rstrip(b"\n"))
    os.rename(tmp, base)


@pytest.fixture(scope="session")
def binary() -> Path:
    assert CHAPERONE_BIN.is_file(), f"no chaperone binary at {CHAPERONE_BIN} (build it first)"
    return CHAPERONE_BIN


@pytest.fixture(scope="session")
def base_root(binary: Path) -> Path:
    base = CACHE / f"root-{_base_key(binary)}"
    if not (base / "etc" / "debian_version").exists():
        shutil.rmtree(base, ignore_errors=True)
        _build_base(base, binary)
    return base


@pytest.fixture
def root(base_root: Path):
    """A fresh copy of the base root for one test."""
    top = Path(tempfile.mkdtemp(prefix="chp-deploy-"))
    merged = top / "root"
    for d in ("upper", "work", "root"):
        (top / d).mkdir()
    overlay = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={base_root},upperdir={top / 'upper'},workdir={top / 'work'}", str(merged)],
        capture_output=True).returncode == 0
    if not overlay:
        merged.rmdir()
        sh("cp", "-a", base_root, merged)
    try:
        yield merged
    finally:
        if overlay:
            subprocess.run(["umount", "-l", str(merged)])
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def netns():
    name = f"chpdeploy-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name])


# ------------------------------------------------------------------------- helpers for tests


def snapshot(root: Path) -> dict[str, tuple]:
    """path -> (kind, mode, uid, gid, content hash or link target), for every entry of the tree."""
    snap: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir in ("proc", "sys"):  # possibly mounted (Java needs /proc): not part of the tree
            dirnames[:] = []
            continue
        if rel_dir == "dev":
            dirnames[:] = []
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                val = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                val = ("dir",)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                val = ("file", h.hexdigest())
            else:
                val = ("other", stat.S_IFMT(st.st_mode))
            snap[rel] = (*val, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return snap


def diff(before: dict, after: dict) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(p for p in set(before) & set(after) if before[p] != after[p]),
    }


@contextmanager
def proc_mounted(root: Path):
    """/proc mounted in ROOT for the duration (java and keytool refuse to run without it)."""
    target = root / "proc"
    sh("mount", "-t", "proc", "proc", target)
    try:
        yield
    finally:
        sh("umount", target)


def install(root: Path, binary: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh("bash", INSTALL_SH, "--root", root, "--binary", binary, "--no-start", *extra, check=check)


def uninstall(root: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh("bash", INSTALL_SH, "--root", root, "--uninstall", *extra, check=check)
