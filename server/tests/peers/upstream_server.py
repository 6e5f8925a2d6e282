"""A third-party WebSocket server (python `websockets`) standing behind wirebook's /tap/NAME.

Usage: upstream_server.py [--deflate] [--port N]
Prints `PORT <n>` once it listens on 127.0.0.1 (port N, or one chosen by the OS), then serves
until its stdin closes. Per connection it first sends a JSON text message with what it saw of the
handshake (path, chosen subprotocol, a few request headers), then:
  "ping-me"  -> sends a ping with payload "from-upstream"
  "close-me" -> closes with 4002 "server bye"
  "fail-me"  -> closes with 1011 "internal error" (an unexpected condition)
  {"id": I, "delay_ms": D, ...} -> a request answered late: {"event": "accepted"} at once,
               then {"id": I, "ref": R, "result": "done"} D ms later (R: the request's "ref") (other messages go on meanwhile)
  otherwise  -> echoes the message (text as text, binary as binary)
Pings are answered by `websockets` itself; a client's close is answered with the same code.
With --deflate it accepts permessage-deflate when the client offers it (otherwise it never does).
"""

import asyncio
import json
import sys

from websockets.asyncio.server import serve

from peer_contract import announce_and_serve


def late_request(message):
    """The request's id and delay when `message` asks to be answered late, else None."""
    if not isinstance(message, str) or not message.startswith("{"):
        return None
    try:
        request = json.loads(message)
    except ValueError:
        return None
    if isinstance(request, dict) and "delay_ms" in request and "id" in request:
        return request["id"], request.get("ref"), request["delay_ms"]
    return None


async def answer_late(ws, request_id, ref, delay_ms):
    await asyncio.sleep(delay_ms / 1000)
    await ws.send(json.dumps({"id": request_id, "ref": ref, "result": "done"}))


async def handler(ws):
    headers = ws.request.headers
    await ws.send(
        json.dumps(
            {
                "path": ws.request.path,
                "subprotocol": ws.subprotocol,
                "authorization": headers.get_all("Authorization"),
                "cookie": headers.get("Cookie"),
                "x_custom": headers.get("X-Custom"),
                "origin": headers.get("Origin"),
            },
            sort_keys=True,
        )
    )
    late = set()
    async for message in ws:
        request = late_request(message)
        if request is not None:
            await ws.send(json.dumps({"event": "accepted"}))
            task = asyncio.create_task(answer_late(ws, *request))
            late.add(task)
            task.add_done_callback(late.discard)
        elif message == "ping-me":
            await ws.ping(b"from-upstream")
        elif message == "close-me":
            await ws.close(4002, "server bye")
        elif message == "fail-me":
            await ws.close(1011, "internal error")
        else:
            await ws.send(message)


async def main() -> None:
    async with serve(
        handler,
        "127.0.0.1",
        int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0,
        subprotocols=["superchat", "chat"],
        compression="deflate" if "--deflate" in sys.argv else None,
    ) as server:
        await announce_and_serve(server)


if __name__ == "__main__":
    asyncio.run(main())
