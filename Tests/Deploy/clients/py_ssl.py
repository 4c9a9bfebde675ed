"""Python's ssl module with an explicit CA file ("certifi": certifi.where()), connecting to
127.0.0.1:PORT with SNI api.openai.com. Prints "OK <subject>", or "CERTERR <reason>" and exits 2
on a certificate verification error."""
import socket
import ssl
import sys

cafile, port = sys.argv[1], int(sys.argv[2])
if cafile == "certifi":
    import certifi
    cafile = certifi.where()
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    try:
        with ctx.wrap_socket(s, server_hostname="api.openai.com") as t:
            print("OK", t.getpeercert()["subject"])
    except ssl.SSLCertVerificationError as e:
        print("CERTERR", e.verify_message)
        sys.exit(2)
