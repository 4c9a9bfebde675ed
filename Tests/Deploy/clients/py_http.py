"""GET URL with `requests` or `httpx` and their default verification (certifi's bundle, or
REQUESTS_CA_BUNDLE / SSL_CERT_FILE when the environment sets them). Prints "OK <status>", or
"ERR <exception type> <message>" and exits 2 when the request fails."""
import sys

client, url = sys.argv[1], sys.argv[2]
if client == "requests":
    import requests as http
    errors = (http.exceptions.RequestException,)
else:
    import httpx as http
    errors = (http.HTTPError,)
try:
    r = http.get(url, timeout=5)
except errors as e:
    print("ERR", type(e).__name__, e)
    sys.exit(2)
print("OK", r.status_code)
