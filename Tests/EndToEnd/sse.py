"""Comparing SSE streams the way the masking on the data path defines "unchanged".

With masking on, the daemon feeds each text stream (a chat `delta.content`, an Anthropic
`text_delta`, a Gemini text part) to a streaming masker that holds back only what could still become part of a
secret, so the text of one event may come out in the next one, and a stream's held tail is
flushed in one more delta event before the stream ends. Everything else is unchanged. So two
streams are equivalent when their text is identical and their events, with the text deltas
taken out, are identical: that is what these helpers compare.
"""
from __future__ import annotations

import json


def events(raw: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE event; LF or CRLF line endings (Google sends CRLF)."""
    out = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        out.append((name, "\n".join(data)))
    return out


def gemini_parts(obj: dict) -> list[dict]:
    """The parts of every candidate of a Gemini GenerateContentResponse."""
    return [p for c in obj.get("candidates") or [] for p in (c.get("content") or {}).get("parts") or []]


def text(raw: bytes) -> str:
    """The concatenated text deltas (OpenAI chat choice 0, Anthropic text_delta, Gemini text parts)."""
    parts = []
    for name, data in events(raw):
        if data == "[DONE]" or not data.startswith("{"):
            continue
        obj = json.loads(data)
        if name == "content_block_delta" and obj.get("delta", {}).get("type") == "text_delta":
            parts.append(obj["delta"]["text"])
        for choice in obj.get("choices") or []:
            parts.append((choice.get("delta") or {}).get("content") or "")
        parts += [p["text"] for p in gemini_parts(obj) if "text" in p and not p.get("thought")]
    return "".join(parts)


def skeleton(raw: bytes) -> list:
    """The events with their text deltas removed; events that were nothing but text dropped."""
    out = []
    for name, data in events(raw):
        if data == "[DONE]" or not data.startswith("{"):
            out.append((name, data))
            continue
        obj = json.loads(data)
        if name == "content_block_delta" and obj.get("delta", {}).get("type") == "text_delta":
            continue
        for part in gemini_parts(obj):
            part.pop("text", None)
        choices = obj.get("choices")
        if choices:
            pure_text = True
            for choice in choices:
                delta = choice.get("delta") or {}
                delta.pop("content", None)
                if delta or choice.get("finish_reason") is not None or choice.get("logprobs"):
                    pure_text = False
            if pure_text and obj.get("usage") is None:
                continue
        out.append((name, obj))
    return out


def assert_equivalent(got: bytes, sent: bytes) -> None:
    assert text(got) == text(sent), (text(got), text(sent))
    assert skeleton(got) == skeleton(sent)
