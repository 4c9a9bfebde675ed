#!/usr/bin/env python3
"""The `websockets` client to wss://api.openai.com/v1/realtime; CA from SSL_CERT_FILE (ssl default context)."""
import asyncio
import json
import sys

import websockets


async def main() -> dict:
    test_id = sys.argv[1] if len(sys.argv) > 1 else "ws"
    out: dict = {"websockets": websockets.__version__}
    async with websockets.connect(
            "wss://api.openai.com/v1/realtime?model=gpt-4o-realtime-preview",
            additional_headers={"Authorization": "Bearer sk-e2e", "OpenAI-Beta": "realtime=v1",
                                "x-test-id": test_id},
            open_timeout=10, close_timeout=3) as ws:
        ssl_obj = ws.transport.get_extra_info("ssl_object")
        cert = ssl_obj.getpeercert()
        out["issuer"] = dict(x[0] for x in cert["issuer"])
        out["first"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        echoed = []
        for msg in ["hello", json.dumps({"type": "response.create"}), b"\x00\x01binary\xff"]:
            await ws.send(msg)
            r = await asyncio.wait_for(ws.recv(), 5)
            echoed.append(r == msg)
        big = "x" * 70000
        await ws.send(big)
        echoed.append(await asyncio.wait_for(ws.recv(), 5) == big)
        out["echoed"] = echoed
    out["ok"] = True
    return out


try:
    res = asyncio.run(main())
except Exception as e:  # noqa: BLE001
    res = {"ok": False, "error": type(e).__name__, "message": str(e)}
print(json.dumps(res))
