"""`chaperone mask`: the daemon's engine on standard input, for rule authors and pre-commit hooks."""
from __future__ import annotations

import json
import subprocess

from conftest import CHAPERONE_BIN, REPO

RULES = str(REPO / "Rules")


def mask(data: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHAPERONE_BIN), "mask", "--rules", RULES, *args], input=data,
                          capture_output=True, timeout=30)


def test_text_with_findings_never_prints_a_value():
    p = mask(b"reach jane.doe@example.com, key AKIAIOSFODNN7EXAMPLE\n", "--findings")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"reach [EMAIL_1], key [AWS_ACCESS_KEY]\n"
    findings = [json.loads(line) for line in p.stderr.decode().splitlines()]
    assert [f["ruleID"] for f in findings] == ["email", "aws-access-key"]
    assert b"jane.doe" not in p.stderr and b"AKIA" not in p.stderr


def test_check_exits_1_when_something_is_found():
    assert mask(b"nothing to see here\n", "--check").returncode == 0
    assert mask(b"token ghp_" + b"x" * 3 + b" and jane@corp.example\n", "--check").returncode == 1


def test_json_keeps_structure_and_decodes_escapes():
    p = mask(b'{"a":"mail bob\\u0040corp.example","n":1}', "--format", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"a": "mail [EMAIL_1]", "n": 1}


def test_sse_anthropic_masks_a_value_split_across_events():
    events = [
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "write to user@exa"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "mple.com please"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_stop", {"type": "message_stop"}),
    ]
    raw = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events).encode()
    p = mask(raw, "--format", "sse-anthropic", "--direction", "response")
    assert p.returncode == 0, p.stderr
    assert b"user@exa" not in p.stdout and b"mple.com" not in p.stdout
    text = "".join(json.loads(line[6:])["delta"]["text"] for line in p.stdout.decode().splitlines()
                   if line.startswith("data: ") and '"text_delta"' in line)
    assert text == "write to [EMAIL_1] please"
    assert p.stdout.endswith(b'event: message_stop\ndata: {"type": "message_stop"}\n\n')


def test_bad_rules_directory_is_a_clear_error():
    p = subprocess.run([str(CHAPERONE_BIN), "mask", "--rules", "/nonexistent"], input=b"x",
                       capture_output=True, timeout=30)
    assert p.returncode != 0
    assert b"/nonexistent/masking.yaml" in p.stderr


def test_sse_gemini_masks_a_value_split_across_events():
    chunks = [{"candidates": [{"content": {"parts": [{"text": t}], "role": "model"}, **extra}],
               "modelVersion": "gemini-2.5-flash"}
              for t, extra in [("write to user@exa", {}), ("mple.com please", {"finishReason": "STOP", "index": 0})]]
    raw = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks).encode()
    p = mask(raw, "--format", "sse-gemini", "--direction", "response")
    assert p.returncode == 0, p.stderr
    assert b"user@exa" not in p.stdout and b"mple.com" not in p.stdout
    events = [json.loads(e[6:]) for e in p.stdout.decode().split("\r\n\r\n") if e.startswith("data: ")]
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == "write to [EMAIL_1] please"
    assert len(events) == 2 and events[1]["candidates"][0]["finishReason"] == "STOP"
