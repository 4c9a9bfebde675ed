#!/usr/bin/env python3
"""POST an already-encoded body with http.client, chunked in small pieces, and print the answer.

Usage: encoded_post.py HOST PATH CODING BODY_FILE [CHUNK] [HEADER: VALUE ...]
CODING goes in Content-Encoding as given; BODY_FILE holds the encoded bytes, sent with
Transfer-Encoding: chunked CHUNK bytes at a time (default 7), so the interceptor's decoder sees
the body cut everywhere. CA from SSL_CERT_FILE. Prints one JSON line: status, headers, body.
"""
import http.client
import json
import ssl
import sys

host, path, coding, body_file = sys.argv[1:5]
chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 7
extra = [h.split(":", 1) for h in sys.argv[6:]]
data = open(body_file, "rb").read()


def pieces():
    for i in range(0, len(data), chunk):
        yield data[i:i + chunk]


headers = {"Content-Type": "application/json", "Content-Encoding": coding,
           "Authorization": "Bearer sk-e2e-test-key", "x-api-key": "sk-ant-e2e-test-key",
           "anthropic-version": "2023-06-01"}
headers.update({k.strip(): v.strip() for k, v in extra})
conn = http.client.HTTPSConnection(host, 443, context=ssl.create_default_context(), timeout=15)
conn.request("POST", path, body=pieces(), headers=headers, encode_chunked=True)
resp = conn.getresponse()
body = resp.read()
print(json.dumps({"status": resp.status, "headers": {k.lower(): v for k, v in resp.getheaders()},
                  "body": body.decode("utf-8", "replace")}))
