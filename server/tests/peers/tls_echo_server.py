"""A python `websockets` echo server over TLS, for wirebook's wss:// tests.

Usage: tls_echo_server.py CERT_PEM KEY_PEM
Prints `PORT <n>` once it listens on 127.0.0.1 (port chosen by the OS), then echoes every
message until its stdin closes. The certificate is whatever the test generated (self-signed).
"""

import asyncio
import ssl
import sys

from websockets.asyncio.server import serve

from peer_contract import announce_and_serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    async with serve(echo, "127.0.0.1", 0, ssl=context) as server:
        await announce_and_serve(server)


if __name__ == "__main__":
    asyncio.run(main())
