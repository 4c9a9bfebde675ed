"""`chaperone install`: the install script, unit and rules carried in the binary."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, sh, snapshot
from test_install import STATE, assert_same_tree, rp


def test_embedded_files_are_the_repository_files(binary: Path, tmp_path: Path) -> None:
    """What the binary carries is byte for byte what the repository has (scripts/embed-deploy-files.py
    ran before this build): a stale binary would install an old script or old rules."""
    out = tmp_path / "extracted"
    sh(binary, "install", "--extract", out)
    extracted = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    expected = ["deploy/chaperone.service", "deploy/install.sh"] + sorted(
        f"Rules/{p.name}" for p in (REPO / "Rules").glob("*.yaml"))
    assert extracted == sorted(expected)
    for name in expected:
        assert (out / name).read_bytes() == (REPO / name).read_bytes(), f"{name} differs from the repository's"
    assert (out / "deploy/install.sh").stat().st_mode & 0o111, "the script is not executable"


def test_install_and_uninstall_from_the_binary_alone(root: Path, binary: Path) -> None:
    """Installed with `chaperone install` (this binary as --binary, no repository), removed with
    `chaperone install --uninstall --purge`: the tree is as it was."""
    before = snapshot(root)
    out = sh(binary, "install", "--root", root, "--no-start").stdout
    assert "binary: " + str(binary.resolve()) in out, out
    assert rp(root, "/usr/local/bin/chaperone").read_bytes() == binary.read_bytes()
    assert rp(root, "/etc/chaperone/rules/policy.yaml").read_bytes() == (REPO / "Rules/policy.yaml").read_bytes()
    assert rp(root, "/etc/systemd/system/chaperone.service").read_bytes() == (REPO / "deploy/chaperone.service").read_bytes()
    assert rp(root, f"{STATE}/ca/ca.pem").is_file()
    sh(binary, "install", "--root", root, "--uninstall", "--purge")
    assert_same_tree(before, snapshot(root), "chaperone install, then chaperone install --uninstall --purge")


def test_script_errors_reach_the_caller(binary: Path, tmp_path: Path) -> None:
    p = sh(binary, "install", "--bogus", check=False)
    assert p.returncode != 0 and "unknown argument" in p.stderr, p.stderr
