#!/usr/bin/env python3
"""The official `openai` SDK as a user would run it: no base URL, no proxy, the CA from SSL_CERT_FILE.

Prints one JSON object on stdout. Modes: chat-stream (default), chat, embeddings, models.
"""
import argparse
import json
import sys
import time

import openai

ap = argparse.ArgumentParser()
ap.add_argument("--mode", default="chat-stream")
ap.add_argument("--prompt", default="Hello from the e2e test")
ap.add_argument("--header", action="append", default=[], help="NAME: VALUE (extra header)")
ap.add_argument("--include-usage", action="store_true")
ap.add_argument("--model", default=None, help="the model (default per mode)")
ap.add_argument("--timeout", type=float, default=20)
args = ap.parse_args()
headers = dict(h.split(": ", 1) for h in args.header)

client = openai.OpenAI(max_retries=0, timeout=args.timeout)
chat_model = args.model or "gpt-4o-mini"
out = {"sdk_version": openai.__version__, "base_url": str(client.base_url)}
t0 = time.monotonic()
try:
    if args.mode == "chat-stream":
        kw = {}
        if args.include_usage:
            kw["stream_options"] = {"include_usage": True}
        stream = client.chat.completions.create(
            model=chat_model, messages=[{"role": "user", "content": args.prompt}],
            stream=True, extra_headers=headers, **kw)
        deltas, times, finish, usage = [], [], None, None
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage.model_dump()
            if not chunk.choices:
                continue
            c = chunk.choices[0]
            if c.delta.content:
                deltas.append(c.delta.content)
                times.append(time.monotonic() - t0)
            if c.finish_reason:
                finish = c.finish_reason
        out.update(deltas=deltas, times=times, text="".join(deltas), finish_reason=finish, usage=usage)
    elif args.mode == "chat":
        r = client.chat.completions.create(
            model=chat_model, messages=[{"role": "user", "content": args.prompt}], extra_headers=headers)
        out.update(text=r.choices[0].message.content, finish_reason=r.choices[0].finish_reason,
                   usage=r.usage.model_dump())
    elif args.mode == "embeddings":
        r = client.embeddings.create(model=args.model or "text-embedding-3-small", input=[args.prompt, "second"],
                                     extra_headers=headers)
        out.update(count=len(r.data), dims=len(r.data[0].embedding), first=r.data[0].embedding)
    elif args.mode == "models":
        out.update(models=[m.id for m in client.models.list(extra_headers=headers)])
    out["ok"] = True
except openai.APIStatusError as e:
    out.update(ok=False, status=e.status_code, error=type(e).__name__, body=e.body, message=str(e))
except Exception as e:  # noqa: BLE001
    out.update(ok=False, error=type(e).__name__, message=str(e), cause=repr(e.__cause__))
out["elapsed"] = time.monotonic() - t0
print(json.dumps(out))
