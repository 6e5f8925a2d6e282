#!/usr/bin/env bash
# Counts the instructions a `wirebook` binary's tap proxy spends per relayed message, which
# timings on a shared VM cannot resolve to a few per cent (docs/benchmarks.md, "The tap with
# the intercept built in"). Needs valgrind and the project venv (websocket-client).
#
#   scripts/tap_instructions.sh BIN [MESSAGES]     # e.g. target/release/wirebook 3000
#   TAP_INSTRUCTIONS_ARGS=--no-capture scripts/tap_instructions.sh BIN   # the proxy's own args
#   TAP_INSTRUCTIONS_PATH=/echo scripts/tap_instructions.sh BIN   # BIN's own /echo, no proxy
#
# A `BIN --no-capture` on a free port serves /echo as the upstream; BIN runs under callgrind
# with a route to it; 200 messages warm it up, the counters are zeroed, MESSAGES messages of
# 20 B go one after the other on one connection, and the counters are dumped. Prints the
# instructions per message and leaves the dump in a temporary directory.
set -euo pipefail

BIN=$1
N=${2:-3000}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
OUT=$(mktemp -d)
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP_PORT=$(port)
PX_PORT=$(port)

"$BIN" --bind "127.0.0.1:$UP_PORT" --token T --no-capture >"$OUT/upstream.log" 2>&1 &
UP=$!
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.%p" "$BIN" \
    --bind "127.0.0.1:$PX_PORT" --token T --route "bench=ws://127.0.0.1:$UP_PORT/echo" ${TAP_INSTRUCTIONS_ARGS:-} \
    >"$OUT/proxy.log" 2>&1 &
PX=$!
trap 'kill $PX $UP 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PX_PORT/healthz" && break
    sleep 0.3
done

PATH_UNDER_TEST=${TAP_INSTRUCTIONS_PATH:-/tap/bench}
send() {
    "$PY" - "ws://127.0.0.1:$PX_PORT$PATH_UNDER_TEST?token=T" "$1" <<'PYTHON'
import socket, sys, websocket
ws = websocket.create_connection(sys.argv[1], suppress_origin=True)
ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(int(sys.argv[2])):
    ws.send("x" * 20)
    assert ws.recv() == "x" * 20
ws.close()
PYTHON
}

send 200
callgrind_control --zero "$PX" >/dev/null
send "$N"
callgrind_control --dump=measured "$PX" >/dev/null
sleep 1
dump=$(grep -l "measured" "$OUT"/callgrind.* | head -1)
total=$(grep -m1 '^summary:' "$dump" | awk '{print $2}')
echo "$BIN: $total instructions for $N messages, $((total / N)) per message ($dump)"
