//! `/echo` against python's websocket-client, an implementation independent of ours.

use serde_json::json;

use crate::peers::peer_json;
use crate::support::TestServer;

#[tokio::test]
async fn websocket_client_gets_everything_echoed() {
    let server = TestServer::with_defaults().await;
    let got = peer_json("echo_client.py", [server.ws("/echo")]).await;
    assert_eq!(
        got,
        json!({
            "text": {"opcode": 1, "data": "hai"},
            "binary": {"opcode": 2, "hex": "00ff10"},
            "pong": {"opcode": 10, "data": "are you there"},
            "close": {"opcode": 8, "code": 4001, "reason": "bye"},
        })
    );
}
