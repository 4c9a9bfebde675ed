#!/usr/bin/env python3
"""The official `anthropic` SDK, streaming messages; no base URL, no proxy, CA from SSL_CERT_FILE."""
import argparse
import json
import time

import anthropic

ap = argparse.ArgumentParser()
ap.add_argument("--prompt", default="Hello from the e2e test")
ap.add_argument("--header", action="append", default=[])
ap.add_argument("--no-stream", action="store_true")
ap.add_argument("--model", default="claude-sonnet-4-5")
args = ap.parse_args()
headers = dict(h.split(": ", 1) for h in args.header)

client = anthropic.Anthropic(max_retries=0, timeout=20)
out = {"sdk_version": anthropic.__version__, "base_url": str(client.base_url)}
t0 = time.monotonic()
try:
    if args.no_stream:
        m = client.messages.create(model=args.model, max_tokens=256,
                                   messages=[{"role": "user", "content": args.prompt}], extra_headers=headers)
        out.update(text="".join(b.text for b in m.content if b.type == "text"), stop_reason=m.stop_reason,
                   usage=m.usage.model_dump())
    else:
        events, deltas, times = [], [], []
        with client.messages.stream(model=args.model, max_tokens=256,
                                    messages=[{"role": "user", "content": args.prompt}],
                                    extra_headers=headers) as stream:
            for ev in stream:
                events.append(ev.type)
                if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
                    deltas.append(ev.delta.text)
                    times.append(time.monotonic() - t0)
            final = stream.get_final_message()
        out.update(events=events, deltas=deltas, times=times, text="".join(deltas),
                   final_text="".join(b.text for b in final.content if b.type == "text"),
                   stop_reason=final.stop_reason, usage=final.usage.model_dump())
    out["ok"] = True
except anthropic.APIStatusError as e:
    out.update(ok=False, status=e.status_code, error=type(e).__name__, body=e.body, message=str(e))
except Exception as e:  # noqa: BLE001
    out.update(ok=False, error=type(e).__name__, message=str(e), cause=repr(e.__cause__))
out["elapsed"] = time.monotonic() - t0
print(json.dumps(out))
