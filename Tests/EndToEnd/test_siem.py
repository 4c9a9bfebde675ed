"""Forwarding the audit trail to a SIEM (docs/siem.md): a real rsyslogd receives the daemon's events.

rsyslogd runs inside the environment's namespace on 127.0.0.1:16514 (imtcp, plain or gtls) and
writes two files: `received.log` with `%msg%` of each message (the event's JSON line; rsyslog
8.2302 keeps the UTF-8 BOM the sink puts before it, so readers strip it) and `raw.log` with
`%rawmsg%` (the RFC 5424 header and structured data too). Except in the TLS test the daemon
starts first, so its forwarder also has to retry until the receiver is up.

Checked: every event of the store arrives once and in seq order, checkpoints included, with the
JSON the store holds; a receiver outage loses and duplicates nothing; the TLS sink verifies the
receiver against its CA (a sink with another CA delivers nothing); and the SIEM's copy of the last
checkpoint shows that the local log's tail was deleted, which the local chain alone cannot.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

import netns
from conftest import DAEMON_USER, DIRECT, Env

daemon_only = pytest.mark.skipif(DIRECT, reason="SIEM forwarding needs the daemon (direct mode)")

RSYSLOGD = "/usr/sbin/rsyslogd"
SYSLOG_PORT = 16514  # inside each environment's own namespace, so tests never share it
BOM = "\ufeff"
FACILITY = 13  # the sink's default ("log audit")


# ---------------------------------------------------------------- rsyslogd


@dataclass
class Received:
    """One message as rsyslog stored it: the JSON line (`%msg%`) and the RFC 5424 text (`%rawmsg%`)."""

    event: dict[str, Any]
    had_bom: bool
    raw: str

    @property
    def seq(self) -> int:
        return self.event["seq"]


class Rsyslog:
    """rsyslogd (Debian rsyslog + rsyslog-gnutls) in a namespace, writing what it receives to files.

    Stopping and starting again reuses the port and appends to the same files.
    """

    def __init__(self, ns: str, directory: Path, tls: "TlsFiles | None" = None, port: int = SYSLOG_PORT):
        self.ns, self.dir, self.port = ns, directory, port
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o755)
        self.output = directory / "received.log"
        self.raw_output = directory / "raw.log"
        self.log = directory / "rsyslogd.log"
        self.config = directory / "rsyslog.conf"
        self.process: subprocess.Popen | None = None
        glob = f'workDirectory="{directory}" maxMessageSize="1m"'  # events exceed the 8k default
        module = 'module(load="imtcp")'
        if tls is not None:
            glob += (f' DefaultNetstreamDriverCAFile="{tls.ca}" DefaultNetstreamDriverCertFile="{tls.cert}"'
                     f' DefaultNetstreamDriverKeyFile="{tls.key}"')
            module = 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")'
        self.config.write_text(f"""\
global({glob})
{module}
template(name="msg" type="string" string="%msg%\\n")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="chaperone") {{
  action(type="omfile" file="{self.output}" template="msg")
  action(type="omfile" file="{self.raw_output}" template="raw")
}}
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="chaperone")
""")

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "rsyslogd already running"
        log = open(self.log, "ab")
        self.process = netns.popen_in_ns(self.ns, [RSYSLOGD, "-n", "-f", self.config, "-i", self.dir / "rsyslogd.pid"],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        try:
            netns.wait_port(self.ns, "127.0.0.1", self.port, timeout=15, alive=lambda: self.process.poll() is None)
        except (TimeoutError, RuntimeError) as e:
            self.kill()
            raise AssertionError(f"rsyslogd did not listen on {self.port}: {e}\n{self.log_text()}") from None

    def stop(self) -> None:
        """SIGTERM and wait: rsyslogd writes out what it received before it exits."""
        p, self.process = self.process, None
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
            raise AssertionError(f"rsyslogd ignored SIGTERM\n{self.log_text()}")

    def kill(self) -> None:
        """Finalizer: end this rsyslogd (by its pid) whatever state the test left it in."""
        p, self.process = self.process, None
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(5)

    def log_text(self) -> str:
        try:
            return f"--- rsyslogd log ---\n{self.log.read_text(errors='replace')[-3000:]}"
        except FileNotFoundError:
            return "--- rsyslogd log: (none) ---"

    def messages(self) -> list[Received]:
        """Everything received so far, in arrival order; every `%msg%` must be an event's JSON line."""
        def lines(path: Path) -> list[str]:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
            return text.split("\n")[:-1]  # what follows the last newline is still being written
        msgs, raws = lines(self.output), lines(self.raw_output)
        # The two omfile actions may be a batch apart while rsyslog writes: pair what both have.
        out = []
        for msg, raw in zip(msgs, raws):
            had_bom = msg.startswith(BOM)
            text = msg[len(BOM):] if had_bom else msg
            try:
                event = json.loads(text)
            except json.JSONDecodeError as e:
                raise AssertionError(f"rsyslog stored a message that is not a JSON line ({e}): {msg[:300]!r}") from None
            out.append(Received(event, had_bom, raw))
        return out

    def checkpoint_copy(self, directory: Path) -> Path:
        """The SIEM's copy as an operator hands it to `audit verify --checkpoint`: one JSON line per event.

        rsyslog keeps the BOM the sink puts before MSG (RFC 5424), and `audit verify --checkpoint`
        parses the line as plain JSON (given rsyslog's file as is, it exits 64 with "malformed JSON
        at byte 0"), so the copy is written with the BOM stripped from each line.
        """
        copy = directory / "siem-copy.jsonl"
        lines = self.output.read_text(encoding="utf-8").splitlines()
        copy.write_text("".join((ln[len(BOM):] if ln.startswith(BOM) else ln) + "\n" for ln in lines), encoding="utf-8")
        os.chmod(copy, 0o644)
        netns.chown_tree(directory, DAEMON_USER)
        return copy


@pytest.fixture
def rsyslogs():
    """Every rsyslogd a test starts, killed by pid at teardown even when the test failed."""
    started: list[Rsyslog] = []
    yield started
    for r in started:
        r.kill()


def start_rsyslog(rsyslogs: list[Rsyslog], e: Env, tls: "TlsFiles | None" = None) -> Rsyslog:
    r = Rsyslog(e.ns, e.dir / "rsyslog", tls=tls)
    rsyslogs.append(r)
    r.start()
    return r


# ---------------------------------------------------------------- the environment, the store


def syslog_sink(name: str = "siem", transport: str = "tcp", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "syslog", "address": f"127.0.0.1:{SYSLOG_PORT}", "transport": transport, **extra}


def siem_env(make_env, rsyslogs: list[Rsyslog], sinks: list[dict] | None = None,
             tls: "TlsFiles | None" = None, receiver_first: bool = False) -> tuple[Env, Rsyslog]:
    """An environment whose daemon forwards to a syslog receiver in its namespace.

    By default the receiver comes up after the daemon (the namespace only exists once make_env
    has started it), so the forwarder must retry with back-off until rsyslogd listens.
    receiver_first starts rsyslogd before the daemon, so the first attempt reaches it.
    """
    e = make_env(audit={"sinks": sinks or [syslog_sink()]}, start_daemon=not receiver_first)
    r = start_rsyslog(rsyslogs, e, tls)
    if receiver_first:
        e.start_daemon()
        e.install_rules()
    return e, r


def traffic(e: Env, n: int) -> None:
    for i in range(n):
        out = e.py_client("openai_client.py", "--mode", "chat", "--prompt", f"siem test request {i}")
        assert out["ok"], out


@dataclass
class Stored:
    seq: int
    id: str
    kind: str
    hash: str
    canonical: str


def store_events(e: Env, writable: bool = False) -> list[Stored]:
    """The audit store's events in seq order, read from the SQLite file itself.

    Read-only while the daemon runs (its -wal/-shm files exist and stay the daemon user's).
    """
    db = sqlite3.connect(e.audit_db) if writable else sqlite3.connect(f"file:{e.audit_db}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT seq, id, kind, hash, canonical FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    return [Stored(*row) for row in rows]


def wait_until(what: str, check: Callable[[], Any], timeout: float, detail: Callable[[], str] = lambda: "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail()}")
        time.sleep(0.2)


def wait_delivered(e: Env, r: Rsyslog, timeout: float = 20) -> tuple[list[Received], list[Stored]]:
    """Waits until the store is quiet (its last event is the time-triggered checkpoint over the
    traffic) and that last event has reached rsyslog; returns (received, stored)."""
    def done():
        stored = store_events(e)
        if not stored or stored[-1].kind != "audit.checkpoint":
            return None
        received = r.messages()
        if not received or received[-1].seq < stored[-1].seq:
            return None
        return received, stored

    def detail() -> str:
        stored = store_events(e)
        received = r.messages()
        return (f"store: last seq {stored[-1].seq if stored else None} ({stored[-1].kind if stored else ''}); "
                f"rsyslog: {len(received)} messages, last seq {received[-1].seq if received else None}\n"
                f"{r.log_text()}\n{e.logs()}")
    return wait_until("the store's last event at rsyslog", done, timeout, detail)


def assert_exactly_once_in_order(received: list[Received], stored: list[Stored]) -> None:
    """rsyslog holds the store's events from its first to the last received seq, each once, in
    order, each with the id, kind, hash and content the store has."""
    assert received, "rsyslog received nothing"
    seqs = [m.seq for m in received]
    dups = sorted({s for s in seqs if seqs.count(s) > 1})
    assert not dups, f"seqs received more than once: {dups}"
    assert seqs == sorted(seqs), f"events out of order at rsyslog: {seqs}"
    by_seq = {s.seq: s for s in stored}
    expected = [s.seq for s in stored if seqs[0] <= s.seq <= seqs[-1]]
    assert seqs == expected, f"received seqs {seqs}\n!= stored seqs {expected}"
    assert [s.seq for s in stored] == list(range(1, stored[-1].seq + 1)), "the store's seqs are not 1…N"
    for m in received:
        ev, st = m.event, by_seq[m.seq]
        for key in ("seq", "id", "hash", "kind"):
            assert key in ev, f"received event lacks {key!r}: {ev}"
        assert (ev["id"], ev["kind"], ev["hash"]) == (st.id, st.kind, st.hash), f"seq {m.seq}: {ev} vs store {st}"
        assert {k: v for k, v in ev.items() if k != "hash"} == json.loads(st.canonical), \
            f"seq {m.seq}: the JSON at rsyslog is not the stored event\n{ev}\n{st.canonical}"


def assert_syslog_headers(received: list[Received], daemon_pid: int, hostname: str | None = None) -> None:
    """RFC 5424 as docs/siem.md describes it: PRI, APP-NAME, PROCID, MSGID and the chaperone@32473 SD."""
    for m in received:
        fields = m.raw.split(" ", 6)
        assert len(fields) == 7, m.raw[:300]
        pri = re.fullmatch(r"<(\d+)>1", fields[0])
        assert pri, m.raw[:300]
        kind = m.event["kind"]
        severity = 5 if kind.startswith("audit.") else 6  # the allow-all policy never denies
        assert int(pri.group(1)) == FACILITY * 8 + severity, (kind, m.raw[:300])
        if hostname is not None:
            assert fields[2] == hostname, m.raw[:300]
        assert fields[3:6] == ["chaperone", str(daemon_pid), kind], m.raw[:300]
        sd = f'[chaperone@32473 seq="{m.seq}" id="{m.event["id"]}" kind="{kind}"]'
        assert fields[6].startswith(sd), (sd, m.raw[:300])


# ---------------------------------------------------------------- TLS material


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: Any) -> None:
    p = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(map(str, args))}: {p.stderr}"


def make_tls(directory: Path, name: str) -> TlsFiles:
    """A test CA and a server certificate for 127.0.0.1 (IP SAN), made with the openssl CLI."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o755)
    ca, ca_key = directory / f"{name}-ca.pem", directory / f"{name}-ca.key"
    cert, key, csr = directory / f"{name}-server.pem", directory / f"{name}-server.key", directory / f"{name}.csr"
    ext = directory / f"{name}-ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
             "-subj", f"/CN=Chaperone E2E {name} SIEM CA")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=siem.test")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
             "-days", "2", "-extfile", ext)
    for f in (ca, cert, key):
        os.chmod(f, 0o644)  # the CA for the daemon's user; the key only matters to rsyslogd (root)
    return TlsFiles(ca, cert, key)


@pytest.fixture(scope="module")
def siem_pki(base_dir: Path) -> dict[str, TlsFiles]:
    """Made before any environment: the sink's ca_file must exist when the daemon reads its config.
    base_dir is 0755, so the daemon's user can read these."""
    return {"siem": make_tls(base_dir / "siem-pki", "siem"), "other": make_tls(base_dir / "siem-pki", "other")}


# ---------------------------------------------------------------- tests


@daemon_only
def test_events_reach_rsyslog_over_tcp_once_and_in_order(make_env, rsyslogs):
    e, r = siem_env(make_env, rsyslogs)
    traffic(e, 3)
    received, stored = wait_delivered(e, r)
    assert_exactly_once_in_order(received, stored)
    assert received[0].seq == 1 and received[-1].seq == stored[-1].seq, "the whole store arrived"
    kinds = {m.event["kind"] for m in received}
    assert {"session.open", "exchange.request", "exchange.response", "audit.checkpoint"} <= kinds, kinds
    assert all(m.had_bom for m in received), "the sink puts a BOM before MSG (bom: true is the default)"
    assert_syslog_headers(received, e.daemon.pid)


@daemon_only
def test_receiver_outage_loses_nothing_and_duplicates_nothing(make_env, rsyslogs):
    e, r = siem_env(make_env, rsyslogs)
    traffic(e, 2)
    before, _ = wait_delivered(e, r)
    r.stop()
    traffic(e, 3)  # written to the store while nobody listens
    during = store_events(e)
    assert during[-1].seq > before[-1].seq
    assert len(r.messages()) == len(before), "rsyslogd was down; nothing can have arrived"
    r.start()  # same port, appends to the same files
    received, stored = wait_delivered(e, r, timeout=20)
    assert_exactly_once_in_order(received, stored)
    assert [m.seq for m in received] == list(range(received[0].seq, received[-1].seq + 1))
    assert received[0].seq == 1 and received[-1].seq == stored[-1].seq
    log = e.daemon_log.read_text(errors="replace")
    assert "audit forwarding to sink failed" in log and "audit forwarding to sink recovered" in log, e.logs()


@daemon_only
def test_tls_sink_verifies_the_receiver(make_env, rsyslogs, siem_pki):
    good, other = siem_pki["siem"], siem_pki["other"]
    sinks = [syslog_sink("siem", "tls", ca_file=str(good.ca), hostname="trusted-gw"),
             # Same receiver, a CA that did not sign its certificate: must never deliver.
             syslog_sink("siem-wrong-ca", "tls", ca_file=str(other.ca), hostname="distrusting-gw")]
    # The receiver listens before the daemon starts: each sink's first attempt is the TLS handshake.
    e, r = siem_env(make_env, rsyslogs, sinks=sinks, tls=good, receiver_first=True)
    traffic(e, 2)
    received, stored = wait_delivered(e, r)
    time.sleep(1)  # give the distrusting sink time to (wrongly) deliver, too
    received = r.messages()
    assert_syslog_headers(received, e.daemon.pid, hostname="trusted-gw")  # nothing from siem-wrong-ca
    assert_exactly_once_in_order(received, stored)
    assert received[0].seq == 1 and received[-1].seq == stored[-1].seq
    log = e.daemon_log.read_text(errors="replace").splitlines()
    def lines(sink: str, text: str) -> list[str]:
        return [ln for ln in log if f"sink={sink} " in ln and text in ln]
    assert lines("siem", "connected to syslog receiver") and not lines("siem", "audit forwarding to sink failed"), e.logs()
    refused = lines("siem-wrong-ca", "audit forwarding to sink failed")
    assert refused and not lines("siem-wrong-ca", "connected to syslog receiver"), e.logs()
    assert re.search(r"certificate|verif", refused[0], re.I), refused[0]


@daemon_only
def test_siem_copy_detects_a_truncated_local_log(make_env, rsyslogs):
    e, r = siem_env(make_env, rsyslogs)
    traffic(e, 2)
    received, _ = wait_delivered(e, r)
    last_checkpoint = max(m.seq for m in received if m.event["kind"] == "audit.checkpoint")
    cut_after = last_checkpoint - 3
    assert cut_after >= 1, received
    e.stop_daemon()
    # Someone with the file removes the tail of the local log: triggers first (they refuse DELETE).
    db = sqlite3.connect(e.audit_db)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DELETE FROM events WHERE seq > ?", (cut_after,))
    db.commit()
    db.close()
    assert store_events(e, writable=True)[-1].seq == cut_after
    netns.chown_tree(e.state_dir, DAEMON_USER)  # files sqlite3 made as root go back to the daemon's user

    # The local chain alone still verifies: a cut tail leaves no trace in it.
    p = e.chaperone("audit", "verify", "--json", user=DAEMON_USER)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["ok"] is True, p.stdout

    # The SIEM's copy of the last checkpoint shows it.
    copy = r.checkpoint_copy(e.daemon_dir("siem"))
    p = e.chaperone("audit", "verify", "--checkpoint", copy, "--json", user=DAEMON_USER)
    assert p.returncode == 1, p.stdout + p.stderr
    report = json.loads(p.stdout)
    assert report["ok"] is False and report["problem"] == "truncated", report
    assert report["first_bad_seq"] == cut_after + 1 and report["last_seq"] == cut_after, report
    assert str(last_checkpoint) in report["message"], report
