#!/usr/bin/env python3
"""Start a long streamed completion over raw TLS, read a few events, then drop the connection.

Usage: abort_stream.py HOST TEST_ID [EVENTS_BEFORE_ABORT]. CA from SSL_CERT_FILE.
"""
import json
import socket
import ssl
import struct
import sys
import time

host, test_id = sys.argv[1], sys.argv[2]
keep = int(sys.argv[3]) if len(sys.argv) > 3 else 3
body = json.dumps({"model": "gpt-4o-mini", "stream": True,
                   "messages": [{"role": "user", "content": "long please"}]}).encode()
req = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-e2e\r\n"
       f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nx-test-id: {test_id}\r\n"
       f"x-test-events: 200\r\nx-test-delay-ms: 50\r\n\r\n").encode() + body
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(["http/1.1"])
out = {}
t0 = time.monotonic()
raw = socket.create_connection((host, 443), timeout=10)
s = ctx.wrap_socket(raw, server_hostname=host)
s.sendall(req)
buf = b""
while buf.count(b"data: ") < keep:
    d = s.recv(65536)
    if not d:
        break
    buf += d
out["events_seen"] = buf.count(b"data: ")
out["head"] = buf.split(b"\r\n", 1)[0].decode()
# Abort: RST rather than a polite close, as a killed process would.
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
out["aborted_after"] = time.monotonic() - t0
print(json.dumps(out))
