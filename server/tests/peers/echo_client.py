"""A third-party WebSocket client against wirebook's /echo.

Uses websocket-client (the library `wsdump` is built on), not anything of wirebook's, so the
Rust test that runs it checks /echo against an independent implementation of RFC 6455.

Usage: echo_client.py ws://HOST:PORT/echo
Prints one JSON object with what came back for a text message, a binary message, a ping and a
close with code 4001.
"""

import json
import sys

import websocket  # websocket-client

from peer_contract import basic_exchange, close_of


def main() -> None:
    url = sys.argv[1]
    ws = websocket.create_connection(url, timeout=10)
    out = basic_exchange(ws)
    ws.send_close(4001, b"bye")
    out["close"] = close_of(ws.recv_frame())
    ws.shutdown()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
