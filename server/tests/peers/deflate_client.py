"""A client that offers permessage-deflate (python `websockets`; websocket-client cannot),
through wirebook's /tap/NAME to upstream_server.py --deflate.

Usage: deflate_client.py URL
Prints one JSON object: the extensions the client got in its 101 and the echo of a
compressible text message.
"""

import json
import sys

from websockets.sync.client import connect


def main() -> None:
    with connect(sys.argv[1], compression="deflate", subprotocols=["chat"], open_timeout=10) as ws:
        ws.recv(timeout=10)  # upstream's handshake report
        ws.send("hello " * 20)
        echo = ws.recv(timeout=10)
        out = {
            "extensions": ws.response.headers.get("Sec-WebSocket-Extensions"),
            "echo": echo,
        }
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
