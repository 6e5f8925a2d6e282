"""What the Rust tests expect of the python peers, kept in one place.

A server prints `PORT <n>` once it listens and serves until its stdin closes (the test holds
it open, and dropping the child closes it). A websocket-client client reports the basic
exchange against an echoing peer (a text, a binary message, a ping) and a close frame in the
same JSON shape, whichever peer it talks to.
"""

import asyncio
import sys


async def announce_and_serve(server) -> None:
    """Prints the port `server` (a `websockets` server) listens on, then serves until stdin
    closes."""
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


def basic_exchange(ws) -> dict:
    """Sends "hai", the bytes 00 ff 10 and a ping over `ws` (a websocket-client connection to
    an echoing peer) and returns what came back for each."""
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
    return out


def close_of(frame) -> dict:
    """A close frame (from `recv_frame`, which, unlike `recv_data`, does not answer it)."""
    return {
        "opcode": frame.opcode,
        "code": int.from_bytes(frame.data[:2], "big"),
        "reason": frame.data[2:].decode("utf-8"),
    }
