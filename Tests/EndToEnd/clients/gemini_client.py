#!/usr/bin/env python3
"""The official `google-genai` SDK, streaming generate_content; no base URL, no proxy, CA from SSL_CERT_FILE.

It asks `…/models/MODEL:streamGenerateContent?alt=sse` of generativelanguage.googleapis.com with the
key in `x-goog-api-key` (GEMINI_API_KEY), and reads the `data:` events of the response.
"""
import argparse
import json
import time

from google import genai
from google.genai import errors, types

ap = argparse.ArgumentParser()
ap.add_argument("--prompt", default="Hello from the e2e test")
ap.add_argument("--header", action="append", default=[])
ap.add_argument("--model", default="gemini-2.5-flash")
args = ap.parse_args()
headers = dict(h.split(": ", 1) for h in args.header)

client = genai.Client(http_options=types.HttpOptions(headers=headers, timeout=20_000))
out = {"sdk_version": genai.__version__, "base_url": client._api_client._http_options.base_url}
t0 = time.monotonic()
try:
    deltas, times, finish, usage = [], [], None, None
    for chunk in client.models.generate_content_stream(model=args.model, contents=args.prompt):
        deltas.append(chunk.text or "")
        times.append(time.monotonic() - t0)
        if chunk.candidates and chunk.candidates[0].finish_reason:
            finish = str(chunk.candidates[0].finish_reason.value)
        if chunk.usage_metadata:
            usage = chunk.usage_metadata.model_dump(exclude_none=True)
    out.update(deltas=deltas, times=times, text="".join(deltas), finish_reason=finish, usage=usage, ok=True)
except errors.APIError as e:
    out.update(ok=False, status=e.code, error=type(e).__name__, message=str(e))
except Exception as e:  # noqa: BLE001
    out.update(ok=False, error=type(e).__name__, message=str(e), cause=repr(e.__cause__))
out["elapsed"] = time.monotonic() - t0
print(json.dumps(out))
