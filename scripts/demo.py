#!/usr/bin/env python3
"""`make demo`: a real openai SDK streams a completion through Chaperone inside a network namespace,
and Chaperone catches, masks and records it.

It builds the same world as the end-to-end tests (Tests/EndToEnd): a namespace where
api.openai.com resolves to an address on the namespace's loopback, a stand-in upstream that
speaks OpenAI's wire format over TLS with a certificate from a test "public" CA, the daemon
running as user `chaperone`, and the redirect rules. Then it runs the `openai` SDK with no
base-URL or proxy change, prints the deltas as they arrive, shows which CA issued the
certificate the client saw, shows what the provider received (the prompt, masked) and prints
the record the daemon wrote. Nothing outside the namespace is touched.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Tests" / "EndToEnd"))

import conftest  # noqa: E402  (the harness: Env, Options)
import netns  # noqa: E402
import pki as pki_module  # noqa: E402

CLIENT = r'''
import json, sys, time
import openai
client = openai.OpenAI(api_key="sk-demo-not-a-real-key", max_retries=0, timeout=20)
print(f"  base_url: {client.base_url}  (unchanged: the SDK does not know Chaperone exists)", flush=True)
prompt = "Summarise the incident for ops@acme.example; the leaked key was AKIAIOSFODNN7EXAMPLE."
print(f"  prompt:   {prompt!r}", flush=True)
t0 = time.monotonic()
stream = client.chat.completions.create(
    model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": prompt}],
    extra_headers={"x-test-delay-ms": "150", "x-test-id": "demo",
                   "x-test-script": "I| wrote| to| ops@|acme.example| and| jane.|doe@example.com;| rotate| the| key| now."})
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(f"  +{time.monotonic() - t0:5.2f}s  {chunk.choices[0].delta.content!r}", flush=True)
'''


def step(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main() -> int:
    if os.geteuid() != 0:
        print("make demo needs root: it creates a network namespace and netfilter rules inside it", file=sys.stderr)
        return 2
    netns.sweep_stale()
    netns.ensure_system_user(conftest.DAEMON_USER)
    base = Path(tempfile.mkdtemp(prefix="chp-demo-"))
    os.chmod(base, 0o755)
    step("1. a namespace with its own 'internet': provider names resolve to addresses on its loopback")
    test_pki = pki_module.make_pki(base / "pki")
    env = conftest.Env(name="demo", dir=base / "env", pki=test_pki, opts=conftest.Options(),
                       daemon_user=conftest.DAEMON_USER, direct=False)
    try:
        env.setup()
        print(f"  namespace {env.ns}; api.openai.com -> {', '.join(netns.HOSTS['api.openai.com'])}")
        print(f"  stand-in provider listening on :443 with a certificate from '{pki_module.PUBLIC_CA_CN}'")
        print(f"  daemon: chaperone run --config {env.config_path}  (as user {conftest.DAEMON_USER})")

        step("2. chaperone rules status")
        print(env.rules("status").stdout.rstrip())

        step("3. the openai SDK streams a chat completion (SSL_CERT_FILE trusts the org CA, nothing else changed)")
        p = netns.run_in_ns(env.ns, [conftest.PY, "-c", CLIENT], env=env.client_env(), timeout=60)
        print(p.stdout.rstrip())
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
            return 1

        step("4. what the provider received: the prompt with the secret and the address masked")
        sent = [r for r in env.upstream_records("demo")]
        if sent:
            print("  " + json.loads(sent[-1]["body"])["messages"][-1]["content"])
        print("  (the provider streamed the raw addresses; the client above got pseudonyms, even for the")
        print("   one cut across two events: 'jane.' | 'doe@example.com')")

        step("5. the certificate the client saw was minted by the org CA")
        cert = env.s_client("api.openai.com:443", "api.openai.com")
        print(f"  subject: {cert.leaf.subject.rfc4514_string()}\n  issuer:  {cert.leaf.issuer.rfc4514_string()}")

        step(f"6. the one-line summary the daemon wrote ({env.exchanges_path}): metadata and findings, never a value")
        time.sleep(0.3)
        records = [r for r in env.exchanges() if r.get("kind") == "exchange"]
        print(json.dumps(records[-1], indent=2, sort_keys=True))

        step("7. the audit log: chaperone sessions list (run as the daemon's user, who owns the store)")
        time.sleep(0.5)
        listing = env.chaperone("sessions", "list", user=conftest.DAEMON_USER)
        print(listing.stdout.rstrip())
        sessions = json.loads(env.chaperone("sessions", "list", "--json", user=conftest.DAEMON_USER).stdout or "[]")
        streamed = next((x for x in sessions if x["exchanges"] and x["sni"] == "api.openai.com"), None)
        if streamed:
            step(f"8. chaperone replay {streamed['id']} --speed 4: the exchange as the client saw it, masked, at 4x its pace (--raw: the SSE wire form)")
            print(env.chaperone("replay", streamed["id"], "--speed", "4", user=conftest.DAEMON_USER, timeout=60).stdout.rstrip())

        step("9. chaperone audit verify: the hash chain and every signed checkpoint")
        verify = env.chaperone("audit", "verify", user=conftest.DAEMON_USER)
        print((verify.stdout + verify.stderr).rstrip())
        return 0 if verify.returncode == 0 else 1
    finally:
        env.close()
        if os.environ.get("CHP_DEMO_KEEP") == "1":
            print(f"\n(kept {base}: daemon log, config, records)")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
