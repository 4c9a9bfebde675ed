"""The control socket: who the daemon attributes a caller to, decided by the kernel (SO_PEERCRED).

Token verification against a real HTTPS issuer (RS256/ES256, rotation, expiry, audience, forged
signatures, alg confusion) is covered by Tests/IdentityTests; here the daemon's socket is driven
by the real CLI as two different users.
"""
from __future__ import annotations

import json

import pytest

from conftest import CHAPERONE_BIN, DIRECT, Env

daemon_only = pytest.mark.skipif(DIRECT, reason="needs the daemon (direct mode)")


def whoami(env: Env, user: str | None) -> dict:
    p = env.run([CHAPERONE_BIN, "whoami", "--json", "--socket", env.control_socket], user=user)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@daemon_only
@pytest.mark.parametrize("user,uid", [(None, 0), ("daemon", 1)])
def test_whoami_is_the_callers_own_unix_identity(env: Env, user: str | None, uid: int):
    answer = whoami(env, user)
    assert answer["ok"] is True and answer["verified"] is False
    name = user or "root"
    assert answer["principal"]["subject"].startswith(f"unix:{name}({uid})@"), answer


@daemon_only
def test_a_bad_token_is_refused_with_a_reason_and_changes_nothing(env: Env):
    p = env.run([CHAPERONE_BIN, "token", "set", "--socket", env.control_socket], user="daemon",
                input="not-a-jwt")
    assert p.returncode == 1
    assert "token" in p.stderr.lower() and p.stderr.strip(), p.stderr
    assert whoami(env, "daemon")["verified"] is False
    # A well-formed token from an issuer nobody trusts: refused as such.
    header = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"  # {"alg":"RS256","kid":"k1"}
    payload = "eyJpc3MiOiJodHRwczovL2V2aWwuZXhhbXBsZSIsImF1ZCI6ImNoYXBlcm9uZSIsImV4cCI6NDEwMjQ0NDgwMH0"
    p = env.run([CHAPERONE_BIN, "token", "set", "--json", "--socket", env.control_socket], user="daemon",
                input=f"{header}.{payload}.c2ln")
    assert p.returncode == 1
    assert json.loads(p.stdout)["error"]["code"] == "unknownIssuer"


@daemon_only
def test_the_daemon_socket_missing_is_a_clear_error(env: Env):
    p = env.run([CHAPERONE_BIN, "whoami", "--socket", str(env.dir / "nope.sock")])
    assert p.returncode != 0
    assert "nope.sock" in p.stderr
