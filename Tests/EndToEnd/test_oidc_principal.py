"""Verified OIDC identities on the data path: a token handed in with `chaperone token set` is
the principal of the uid that handed it in, for policy and for the audit log.

A test OIDC issuer (discovery + JWKS over HTTPS, one RSA key) runs inside the namespace on
127.0.0.1, with a TLS certificate from a CA of its own that the daemon trusts through
`identity.issuer_ca_bundle`. Tokens are JWTs built here by hand (base64url header, payload and
an RS256 signature made with `cryptography`): nothing in the daemon's verifier is shared with
the code that makes them. Local users are real uids (chp-dana, chp-erin), none of them under
`unix_users`, so without a token the policy refuses them (`unauthenticated: deny`).
"""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import os
import pwd
import ssl
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import netns
from conftest import DAEMON_USER, DIRECT, Env, Options, _make, new_id

daemon_only = pytest.mark.skipif(DIRECT, reason="verified identities need the daemon (direct mode)")

DANA, ERIN = "chp-dana", "chp-erin"
AUDIENCE = "chaperone"
KID = "e2e-key-1"
AUTH = "Authorization: Bearer sk-e2e-test-key"

POLICY = """\
version: 1
defaults:
  unauthenticated: deny
groups:
  engineering:
    providers: [openai]
    endpoints: [chat]
"""


# ---------------------------------------------------------------- the test issuer


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def make_jwt(key: rsa.RSAPrivateKey, claims: dict, kid: str = KID) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64u(json.dumps(claims, separators=(",", ":")).encode()))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64u(signature)


def _tls_material(directory: Path) -> tuple[Path, Path, Path]:
    """A CA of the issuer's own and a leaf for IP 127.0.0.1: (ca.pem, chain.pem, leaf.key)."""
    directory.mkdir(parents=True)
    os.chmod(directory, 0o755)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Chaperone E2E OIDC Issuer CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, chain_file, key_file = directory / "issuer-ca.pem", directory / "issuer-chain.pem", directory / "issuer.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    os.chmod(ca_file, 0o644)  # the daemon (user chaperone) reads it
    chain_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    os.chmod(key_file, 0o600)
    return ca_file, chain_file, key_file


class Issuer:
    """Discovery and JWKS over HTTPS on 127.0.0.1:PORT inside a namespace (a listening socket
    made in the namespace, served by threads of this process)."""

    def __init__(self, ns: str, directory: Path):
        self.ca_file, chain, key = _tls_material(directory)
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.requests: list[str] = []
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                issuer.requests.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "subject_types_supported": ["public"], "response_types_supported": ["id_token"]}
                elif self.path == "/jwks":
                    pub = issuer.signing_key.public_key().public_numbers()
                    body = {"keys": [{"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
                                      "n": _uint(pub.n), "e": _uint(pub.e)}]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, key)
        self.server = netns.in_ns(ns, lambda: http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.server.daemon_threads = True
        # The handshake happens in the handler's thread (first read), not in the accept loop.
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="oidc-issuer", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def claims(self, sub: str, email: str, groups: list[str], lifetime_s: int = 3600, **extra) -> dict:
        now = int(time.time())
        return {"iss": self.url, "aud": AUDIENCE, "sub": sub, "email": email, "groups": groups,
                "iat": now - 5, "nbf": now - 5, "exp": now + lifetime_s, **extra}

    def token(self, *args, key: rsa.RSAPrivateKey | None = None, **kw) -> str:
        return make_jwt(key or self.signing_key, self.claims(*args, **kw))


@pytest.fixture(scope="module")
def oidc(base_dir, pki, daemon_user):
    """One environment whose daemon trusts the test issuer, shared by this module's tests.

    The issuer must be listening (its port is in the configuration) before the daemon starts:
    the environment is made without a daemon, then configured and started."""
    for user in (DANA, ERIN):
        netns.ensure_system_user(user)
    e = _make(base_dir, pki, daemon_user, Options(policy=POLICY, start_daemon=False), "oidc")
    issuer = None
    try:
        issuer = Issuer(e.ns, e.dir / "issuer")
        e.opts.identity = {"issuer_ca_bundle": str(issuer.ca_file),
                           "issuers": [{"issuer": issuer.url, "audience": AUDIENCE, "groups_claim": "groups",
                                        "device_flow": False}]}
        e.write_config()
        e.start_daemon()
        e.install_rules()
        yield e, issuer
    finally:
        e.close()
        if issuer is not None:
            issuer.stop()


# ---------------------------------------------------------------- helpers


def uid_of(user: str) -> int:
    return pwd.getpwnam(user).pw_uid


def token_file(env: Env, user: str, token: str) -> Path:
    """The token in a file only `user` can read (as an IdP CLI would leave it)."""
    d = env.dir / f"tokens-{user}-{new_id()}"
    d.mkdir()
    f = d / "id_token"
    f.write_text(token + "\n")
    pw = pwd.getpwnam(user)
    for p, mode in ((d, 0o700), (f, 0o600)):
        os.chown(p, pw.pw_uid, pw.pw_gid)
        os.chmod(p, mode)
    return f


def token_set(env: Env, user: str, token: str, *extra: str):
    return env.chaperone("token", "set", "--file", token_file(env, user, token), *extra, user=user)


def whoami(env: Env, user: str) -> dict:
    p = env.chaperone("whoami", "--json", user=user)
    assert p.returncode == 0, f"whoami as {user}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    return json.loads(p.stdout)


def chat(env: Env, user: str, tid: str) -> tuple[int, dict]:
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"hi {tid}"}]})
    p = env.curl("-H", AUTH, "-H", "content-type: application/json", "-H", f"x-test-id: {tid}",
                 "-w", "\n%{http_code}", "-d", body, "https://api.openai.com/v1/chat/completions", user=user)
    assert p.returncode == 0, p.stderr
    text, _, code = p.stdout.rpartition("\n")
    return int(code), json.loads(text)


def reached_upstream(env: Env, tid: str) -> bool:
    time.sleep(0.2)
    return bool(env.upstream_records(tid))


def exchange_record(env: Env, mark: int, user: str) -> dict:
    """The chat exchange `user` made since `mark` (exchanges.jsonl)."""
    recs = [r for r in env.new_records(mark, 1)
            if r["kind"] == "exchange" and r["uid"] == uid_of(user) and r["path"] == "/v1/chat/completions"]
    assert len(recs) == 1, f"expected one chat exchange by {user} since {mark}: {env.exchanges()[mark:]}"
    return recs[0]


def audit_json(env: Env, *args) -> list:
    """An audit read as the daemon's user (who owns the store), as an operator would."""
    p = env.chaperone(*args, "--json", user=DAEMON_USER)
    assert p.returncode == 0, f"{args}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    text = p.stdout.strip()
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(ln) for ln in text.splitlines() if ln.strip()]


def session_events(env: Env, session: str, timeout: float = 10) -> list[dict]:
    """The session's events once it is closed and recorded."""
    deadline = time.monotonic() + timeout
    events: list[dict] = []
    while time.monotonic() < deadline:
        p = env.chaperone("replay", session, "--speed", "max", "--json", user=DAEMON_USER)
        if p.returncode == 0:
            events = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
            if events and events[-1]["kind"] == "session.close":
                return events
        time.sleep(0.3)
    raise AssertionError(f"session {session} not closed in the audit log within {timeout}s: {events}")


def sessions_of(env: Env, user: str) -> dict[str, dict]:
    return {s["id"]: s for s in audit_json(env, "sessions", "list", "--user", user, "--limit", "500")}


def set_dana(env: Env, issuer: Issuer) -> dict:
    token = issuer.token("00u-dana", "dana@example.com", ["engineering"], name="Dana Scully")
    p = token_set(env, DANA, token)
    assert p.returncode == 0, f"token set as {DANA}: {p.returncode}\n{p.stdout}\n{p.stderr}\n{env.logs()}"
    assert "00u-dana" in p.stdout, p.stdout
    return whoami(env, DANA)


# ---------------------------------------------------------------- tests


@daemon_only
def test_a_verified_token_is_the_principal_of_records_and_policy(oidc):
    env, issuer = oidc
    # No token yet: dana is a local account nobody vouches for, and the policy refuses her.
    before = whoami(env, DANA)
    assert before["verified"] is False, before
    assert before["principal"]["subject"].startswith(f"unix:{DANA}({uid_of(DANA)})@"), before
    tid = new_id()
    mark = env.mark()
    code, body = chat(env, DANA, tid)
    assert code == 403, body
    assert "chaperone login" in body["error"]["message"], body
    assert not reached_upstream(env, tid), "a denied request must send no byte upstream"
    denied = exchange_record(env, mark, DANA)
    assert denied["status"] == 403 and denied["principal"]["source"] == "unix", denied

    # The token: verified against the issuer's discovery document and JWKS, kept for dana's uid.
    me = set_dana(env, issuer)
    assert "/.well-known/openid-configuration" in issuer.requests and "/jwks" in issuer.requests, issuer.requests
    assert me["verified"] is True, me
    p = me["principal"]
    assert (p["subject"], p["email"], p["groups"], p["source"], p["issuer"]) == \
        ("00u-dana", "dana@example.com", ["engineering"], "oidc", issuer.url), me

    # The same request now passes: the token's groups claim puts her in engineering.
    tid = new_id()
    mark = env.mark()
    code, body = chat(env, DANA, tid)
    assert code == 200, body
    assert reached_upstream(env, tid), "the allowed request did not reach the upstream"
    rec = exchange_record(env, mark, DANA)
    assert rec["status"] == 200, rec
    principal = rec["principal"]
    assert (principal["subject"], principal["email"], principal["groups"], principal["source"],
            principal["issuer"]) == ("00u-dana", "dana@example.com", ["engineering"], "oidc", issuer.url), rec

    # The audit log: session.open names the verified principal; the session is dana's by e-mail.
    session = rec["conn_id"]
    events = session_events(env, session)
    opened = events[0]
    assert opened["kind"] == "session.open", [e["kind"] for e in events]
    assert opened["principal"] == "00u-dana", opened
    op = opened["payload"]["principal"]
    assert (op["source"], op["subject"], op["email"], op["groups"], op["issuer"]) == \
        ("oidc", "00u-dana", "dana@example.com", ["engineering"], issuer.url), opened["payload"]
    assert opened["payload"]["uid"] == uid_of(DANA), opened["payload"]
    decision = [e for e in events if e["kind"] == "policy.decision"]
    assert decision and decision[0]["payload"]["outcome"] == "allow", decision
    listed = sessions_of(env, "dana@example.com")
    assert session in listed, f"{session} not among dana@example.com's sessions: {list(listed)}"
    assert listed[session]["principal"] == "00u-dana", listed[session]
    assert all(s["principal"] == "00u-dana" for s in listed.values()), listed
    assert session in sessions_of(env, "00u-dana")


@daemon_only
def test_one_users_token_is_never_used_for_another(oidc):
    env, issuer = oidc
    assert set_dana(env, issuer)["verified"] is True
    erin = whoami(env, ERIN)
    assert erin["verified"] is False, erin
    assert erin["principal"]["subject"].startswith(f"unix:{ERIN}({uid_of(ERIN)})@"), erin

    # Interleaved: dana passes under her token, erin (another uid, no token) is refused.
    for _ in range(2):
        tid = new_id()
        mark = env.mark()
        code, body = chat(env, DANA, tid)
        assert code == 200 and reached_upstream(env, tid), body
        assert exchange_record(env, mark, DANA)["principal"]["subject"] == "00u-dana"

        tid = new_id()
        mark = env.mark()
        code, body = chat(env, ERIN, tid)
        assert code == 403, body
        assert "chaperone login" in body["error"]["message"], body
        assert not reached_upstream(env, tid), "erin's denied request reached the upstream"
        rec = exchange_record(env, mark, ERIN)
        p = rec["principal"]
        assert p["subject"].startswith(f"unix:{ERIN}({uid_of(ERIN)})@") and p["source"] == "unix", rec
        assert p.get("email") is None and not p.get("groups"), rec

    session = rec["conn_id"]
    events = session_events(env, session)
    assert events[0]["kind"] == "session.open", events
    op = events[0]["payload"]["principal"]
    assert op["source"] == "unix" and op["subject"].startswith(f"unix:{ERIN}({uid_of(ERIN)})@"), op
    assert events[0]["principal"].startswith(f"unix:{ERIN}("), events[0]
    listed = sessions_of(env, ERIN)
    assert session in listed and listed[session]["principal"].startswith(f"unix:{ERIN}("), listed
    assert session not in sessions_of(env, "dana@example.com")
    assert whoami(env, ERIN)["verified"] is False


@daemon_only
def test_forged_and_expired_tokens_are_refused_with_a_reason(oidc):
    env, issuer = oidc
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # Same issuer, same kid, same claims: only the key differs.
    forged = issuer.token("00u-erin", "erin@example.com", ["engineering"], key=impostor)
    p = token_set(env, ERIN, forged)
    assert p.returncode != 0, p.stdout
    assert "signature" in p.stderr.lower(), p.stderr
    p = token_set(env, ERIN, forged, "--json")
    assert p.returncode != 0 and json.loads(p.stdout)["error"]["code"] == "badSignature", p.stdout

    expired = issuer.token("00u-erin", "erin@example.com", ["engineering"], lifetime_s=-3600,
                           iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200)
    p = token_set(env, ERIN, expired)
    assert p.returncode != 0, p.stdout
    assert "expired" in p.stderr.lower(), p.stderr
    p = token_set(env, ERIN, expired, "--json")
    assert p.returncode != 0 and json.loads(p.stdout)["error"]["code"] == "expired", p.stdout

    # Nothing changed for erin: still her unix account, still refused.
    me = whoami(env, ERIN)
    assert me["verified"] is False and me["principal"]["subject"].startswith(f"unix:{ERIN}("), me
    tid = new_id()
    code, body = chat(env, ERIN, tid)
    assert code == 403 and "chaperone login" in body["error"]["message"], body
    assert not reached_upstream(env, tid)

    # A refused token does not take away a verified one either.
    assert set_dana(env, issuer)["verified"] is True
    p = token_set(env, DANA, issuer.token("00u-mallory", "m@example.com", ["engineering"], key=impostor))
    assert p.returncode != 0 and "signature" in p.stderr.lower(), p.stderr
    me = whoami(env, DANA)
    assert me["verified"] is True and me["principal"]["subject"] == "00u-dana", me
