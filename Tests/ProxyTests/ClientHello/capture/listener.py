#!/usr/bin/env python3
"""Accept one TCP connection, read exactly the TLS records carrying the first
handshake message (the ClientHello), write them as hex to OUT, close."""
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept(); conn.settimeout(5)
buf = b""
def recv_exact(n):
    global buf
    while len(buf) < n:
        d = conn.recv(65536)
        if not d: raise SystemExit("eof")
        buf += d
records_end, hs = 0, b""
while True:
    recv_exact(records_end + 5)
    ln = int.from_bytes(buf[records_end+3:records_end+5], "big")
    recv_exact(records_end + 5 + ln)
    hs += buf[records_end+5:records_end+5+ln]
    records_end += 5 + ln
    if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"): break
open(out, "w").write(buf[:records_end].hex())
print("extra bytes after hello:", len(buf) - records_end)
conn.close(); srv.close()
