"""Test PKI: the stand-in "public" CA, the upstream's leaf, and an untrusted self-signed leaf.

Made with Python's `cryptography` (an independent implementation from the daemon's
BoringSSL and from the `openssl` CLI that the tests use to inspect certificates).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UPSTREAM_DNS = [
    "api.openai.com",
    "api.anthropic.com",
    "api.githubcopilot.com",
    "generativelanguage.googleapis.com",
    "cdn.example.net",
]
UPSTREAM_IPS = [
    "198.18.0.10",
    "198.18.0.11",
    "198.18.0.12",
    "198.18.0.13",
    "fd00:c4a9::10",
    "fd00:c4a9::11",
    "fd00:c4a9::12",
    "fd00:c4a9::13",
]

PUBLIC_CA_CN = "Chaperone E2E Public Root CA"
UNTRUSTED_CN = "Chaperone E2E Untrusted Self-Signed"


@dataclass(frozen=True)
class Pki:
    dir: Path
    public_ca: Path        # PEM cert of the stand-in public CA (the daemon's upstream trust bundle)
    upstream_cert: Path    # PEM chain: leaf + public CA
    upstream_key: Path
    untrusted_cert: Path   # self-signed leaf with the same names, trusted by nobody
    untrusted_key: Path


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Chaperone E2E"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _san() -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = [x509.DNSName(d) for d in UPSTREAM_DNS]
    entries += [x509.IPAddress(ipaddress.ip_address(a)) for a in UPSTREAM_IPS]
    return x509.SubjectAlternativeName(entries)


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    os.chmod(path, 0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _leaf_builder(subject_cn: str, issuer: x509.Name, pub, issuer_pub) -> x509.CertificateBuilder:
    now = _now()
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(issuer)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))
        .not_valid_after(now + _dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub), critical=False)
    )
    return b


def make_pki(directory: Path) -> Pki:
    """Create the public CA (RSA 2048), the upstream leaf (P-256) and an untrusted self-signed leaf."""
    directory.mkdir(parents=True, exist_ok=True)
    now = _now()

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name(PUBLIC_CA_CN)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf_builder("api.openai.com", ca_name, leaf_key.public_key(), ca_key.public_key()).sign(
        ca_key, hashes.SHA256())

    bad_key = ec.generate_private_key(ec.SECP256R1())
    bad = _leaf_builder(UNTRUSTED_CN, _name(UNTRUSTED_CN), bad_key.public_key(), bad_key.public_key()).sign(
        bad_key, hashes.SHA256())

    p = Pki(
        dir=directory,
        public_ca=directory / "public-ca.pem",
        upstream_cert=directory / "upstream-chain.pem",
        upstream_key=directory / "upstream.key",
        untrusted_cert=directory / "untrusted.pem",
        untrusted_key=directory / "untrusted.key",
    )
    p.public_ca.write_bytes(_pem(ca_cert))
    p.upstream_cert.write_bytes(_pem(leaf) + _pem(ca_cert))
    _write_key(p.upstream_key, leaf_key)
    p.untrusted_cert.write_bytes(_pem(bad))
    _write_key(p.untrusted_key, bad_key)
    for f in (p.public_ca, p.upstream_cert, p.untrusted_cert):
        os.chmod(f, 0o644)
    return p


def cert_issuer_cn(pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(pem)
    attrs = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else cert.issuer.rfc4514_string()


def cert_subject_cn(pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(pem)
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else cert.subject.rfc4514_string()
