"""The developer VM's Vagrantfile, checked with Debian's vagrant (no VM is started: no provider
runs on the CI machines, so provider blocks are ignored with --ignore-provider)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import REPO, sh

VAGRANTFILE = REPO / "Vagrantfile"


def validate(directory: Path, scratch: Path):
    env = {**os.environ, "VAGRANT_DOTFILE_PATH": str(scratch / "dotfile"), "VAGRANT_HOME": str(scratch / "home"),
           "VAGRANT_CHECKPOINT_DISABLE": "1"}
    return sh("vagrant", "validate", "--ignore-provider", check=False, cwd=directory, env=env)


def test_vagrantfile_validates(tmp_path: Path) -> None:
    assert shutil.which("vagrant"), "vagrant is not installed (make deps installs Debian's vagrant)"
    p = validate(REPO, tmp_path)
    assert p.returncode == 0 and "validated successfully" in p.stdout, p.stdout + p.stderr


def test_a_broken_vagrantfile_is_refused(tmp_path: Path) -> None:
    """The check has teeth: a setting vagrant does not know fails validation."""
    broken = tmp_path / "vm"
    broken.mkdir()
    text = VAGRANTFILE.read_text()
    (broken / "Vagrantfile").write_text(text.replace('config.vm.hostname = "chaperone-dev"',
                                                      'config.vm.hostname = "chaperone-dev"\n  config.vm.no_such_setting = 1'))
    p = validate(broken, tmp_path)
    assert p.returncode != 0 and "no_such_setting" in p.stdout + p.stderr, p.stdout + p.stderr


def test_provisioning_goes_through_the_install_script_and_explains_login() -> None:
    """Enforcing through the same install script as runner images, and the login message
    tells the developer how their calls are attributed and how to log in."""
    text = VAGRANTFILE.read_text()
    assert "bash /vagrant/deploy/install.sh --binary" in text
    assert "chaperone login" in text and "chaperone whoami" in text
    assert "not implemented" not in text
