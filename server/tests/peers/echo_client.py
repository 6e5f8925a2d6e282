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


def main() -> None:
    url = sys.argv[1]
    ws = websocket.create_connection(url, timeout=10)
    out = {}

    ws.send("hai")
    opcode, data = ws.recv_data(control_frame=True)
    out["text"] = {"opcode": opcode, "data": data.decode("utf-8")}

    ws.send_binary(b"\x00\xff\x10")
    opcode, data = ws.recv_data(control_frame=True)
    out["binary"] = {"opcode": opcode, "hex": data.hex()}

    ws.ping(b"are you there")
    opcode, data = ws.recv_data(control_frame=True)
    out["pong"] = {"opcode": opcode, "data": data.decode("utf-8")}

    ws.send_close(4001, b"bye")
    # recv_frame, not recv_data: the latter would answer the close with another close.
    frame = ws.recv_frame()
    out["close"] = {
        "opcode": frame.opcode,
        "code": int.from_bytes(frame.data[:2], "big"),
        "reason": frame.data[2:].decode("utf-8"),
    }
    ws.shutdown()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
