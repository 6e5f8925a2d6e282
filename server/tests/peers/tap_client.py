"""A third-party WebSocket client (websocket-client, what `wsdump` is built on) for wirebook's
transparent proxy and demo endpoints.

Usage: tap_client.py URL MODE
MODE "relay": offers subprotocols chat and superchat with extra headers, expects
upstream_server.py behind URL, and prints one JSON object with everything that came back: the
upstream's view of the handshake, echoes of a text and a binary message, the pong to our ping,
the ping upstream sent, and the answer to our close 4001.
MODE "server-close": asks upstream to close and prints the close frame it got.
MODE "closed": only waits for the server's close frame and prints it (/demo/close).
MODE "fragmented": sends "abcdefghij" and prints each frame of the answer (/demo/fragmented).
"""

import json
import sys

import websocket  # websocket-client

from peer_contract import basic_exchange, close_of


def relay(url):
    ws = websocket.create_connection(
        url,
        timeout=10,
        subprotocols=["chat", "superchat"],
        header=["Authorization: Bearer abc", "X-Custom: 1"],
        origin="http://peer.test",
        cookie="a=1",
    )
    out = {"subprotocol": ws.subprotocol}
    opcode, data = ws.recv_data(control_frame=True)
    out["upstream_saw"] = json.loads(data.decode("utf-8"))

    out.update(basic_exchange(ws))

    ws.send("ping-me")
    # recv_frame: the ping itself, unanswered by us (upstream does not wait for the pong).
    frame = ws.recv_frame()
    out["ping"] = {"opcode": frame.opcode, "data": frame.data.decode("utf-8")}

    ws.send_close(4001, b"bye")
    out["close"] = close_of(ws.recv_frame())
    ws.shutdown()
    return out


def server_close(url):
    ws = websocket.create_connection(url, timeout=10, subprotocols=["chat"])
    ws.recv_data(control_frame=True)
    ws.send("close-me")
    out = {"close": close_of(ws.recv_frame())}
    ws.shutdown()
    return out


def closed(url):
    ws = websocket.create_connection(url, timeout=10)
    out = {"close": close_of(ws.recv_frame())}
    ws.shutdown()
    return out


def fragmented(url):
    ws = websocket.create_connection(url, timeout=10)
    ws.send("abcdefghij")
    frames = []
    while not frames or not frames[-1]["fin"]:
        frame = ws.recv_frame()
        frames.append(
            {"opcode": frame.opcode, "fin": bool(frame.fin), "data": frame.data.decode("utf-8")}
        )
    ws.close()
    return {"frames": frames}


def main() -> None:
    url, mode = sys.argv[1], sys.argv[2]
    modes = {
        "relay": relay,
        "server-close": server_close,
        "closed": closed,
        "fragmented": fragmented,
    }
    out = modes[mode](url)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
