//! Known-answer tests from the RFCs: RFC 6455 §5.7 frames, the §1.3 handshake, and the
//! RFC 7692 §7.2.3 permessage-deflate examples.

use wirebook_shared::hex::unhex;
use wirebook_shared::wire::{
    accept_key, check_upgrade, encode_frame, parse_request, parse_response, DeflateParams, Frame,
    FrameDecoder, FrameSpec, HeadReader, LengthForm, Message, MessageAssembler, Parsed, Request,
    Response,
};
use wirebook_shared::{Direction, Opcode};

fn frames(sender: Direction, bytes: &[u8]) -> Vec<Frame> {
    FrameDecoder::new(sender).push(bytes).collect()
}

fn messages(sender: Direction, deflate: Option<&DeflateParams>, bytes: &[u8]) -> Vec<Message> {
    let mut decoder = FrameDecoder::new(sender);
    if deflate.is_some() {
        decoder = decoder.with_extensions(&wirebook_shared::wire::extension::parse_extensions(
            "permessage-deflate",
        ));
    }
    let mut assembler = MessageAssembler::new(sender, deflate);
    let mut out = Vec::new();
    for frame in decoder.push(bytes) {
        out.extend(assembler.push(&frame));
    }
    out
}

#[test]
fn single_frame_unmasked_text() {
    let bytes = unhex("81 05 48 65 6c 6c 6f").unwrap();
    let [frame] = &frames(Direction::ToClient, &bytes)[..] else {
        panic!("one frame expected")
    };
    assert!(frame.header.fin);
    assert_eq!(frame.header.opcode, Opcode::Text);
    assert_eq!(frame.header.mask_key, None);
    assert_eq!(frame.header.payload_len, 5);
    assert_eq!(frame.header.length_form, LengthForm::Short);
    assert_eq!(frame.header_bytes(), &bytes[..2]);
    assert_eq!(frame.payload, b"Hello");
    assert_eq!(frame.offset, 0);
    assert!(frame.findings.is_empty(), "{:?}", frame.findings);
}

#[test]
fn single_frame_masked_text() {
    let bytes = unhex("81 85 37 fa 21 3d 7f 9f 4d 51 58").unwrap();
    let [frame] = &frames(Direction::ToServer, &bytes)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.header.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
    assert_eq!(frame.header_bytes(), &bytes[..6]);
    assert_eq!(frame.payload, b"Hello");
    assert_eq!(frame.masked_payload(), &bytes[6..]);
    assert!(frame.findings.is_empty(), "{:?}", frame.findings);
}

#[test]
fn fragmented_unmasked_text() {
    let bytes = unhex("01 03 48 65 6c 80 02 6c 6f").unwrap();
    let decoded = frames(Direction::ToClient, &bytes);
    assert_eq!(decoded.len(), 2);
    assert!(!decoded[0].header.fin);
    assert_eq!(decoded[0].header.opcode, Opcode::Text);
    assert_eq!(decoded[0].payload, b"Hel");
    assert!(decoded[1].header.fin);
    assert_eq!(decoded[1].header.opcode, Opcode::Continuation);
    assert_eq!(decoded[1].offset, 5);
    assert_eq!(decoded[1].payload, b"lo");

    let [message] = &messages(Direction::ToClient, None, &bytes)[..] else {
        panic!("one message expected")
    };
    assert_eq!(message.opcode, Opcode::Text);
    assert_eq!(message.frames, 2);
    assert_eq!(message.text(), Some("Hello"));
    assert!(message.complete && !message.truncated && message.findings.is_empty());
}

#[test]
fn ping_and_masked_pong() {
    let ping = unhex("89 05 48 65 6c 6c 6f").unwrap();
    let [frame] = &frames(Direction::ToClient, &ping)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.header.opcode, Opcode::Ping);
    assert_eq!(frame.payload, b"Hello");
    assert!(frame.findings.is_empty());

    let pong = unhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58").unwrap();
    let [frame] = &frames(Direction::ToServer, &pong)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.header.opcode, Opcode::Pong);
    assert_eq!(frame.payload, b"Hello");
    assert!(frame.findings.is_empty());
}

#[test]
fn binary_256_bytes_uses_the_16_bit_form() {
    let payload: Vec<u8> = (0..=255).collect();
    let mut bytes = unhex("82 7E 01 00").unwrap();
    bytes.extend_from_slice(&payload);
    let [frame] = &frames(Direction::ToClient, &bytes)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.header.opcode, Opcode::Binary);
    assert_eq!(frame.header.length_form, LengthForm::Medium);
    assert_eq!(frame.header.payload_len, 256);
    assert_eq!(frame.header_bytes(), &bytes[..4]);
    assert_eq!(frame.payload, payload);
    assert!(frame.findings.is_empty());
    assert_eq!(
        encode_frame(&FrameSpec::new(Opcode::Binary), &payload),
        bytes
    );
}

#[test]
fn binary_64_kib_uses_the_64_bit_form() {
    let payload: Vec<u8> = (0..65536u32).map(|i| (i % 253) as u8).collect();
    let mut bytes = unhex("82 7F 00 00 00 00 00 01 00 00").unwrap();
    bytes.extend_from_slice(&payload);
    let [frame] = &frames(Direction::ToClient, &bytes)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.header.length_form, LengthForm::Long);
    assert_eq!(frame.header.payload_len, 65536);
    assert_eq!(frame.header_bytes(), &bytes[..10]);
    assert_eq!(frame.payload, payload);
    assert!(frame.findings.is_empty());
    assert_eq!(
        encode_frame(&FrameSpec::new(Opcode::Binary), &payload),
        bytes
    );
}

const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    Sec-WebSocket-Protocol: chat\r\n\r\n";

fn request(text: &str) -> Request {
    match parse_request(text.as_bytes()).unwrap() {
        Parsed::Complete { head, .. } => head,
        Parsed::Incomplete => panic!("incomplete"),
    }
}

fn response(text: &str) -> Response {
    match parse_response(text.as_bytes()).unwrap() {
        Parsed::Complete { head, .. } => head,
        Parsed::Incomplete => panic!("incomplete"),
    }
}

#[test]
fn accept_key_of_the_rfc_example() {
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn rfc_handshake_parses_and_checks_out() {
    let req = request(RFC_REQUEST);
    assert_eq!(
        (
            req.method.as_str(),
            req.target.as_str(),
            req.version.as_str()
        ),
        ("GET", "/chat", "HTTP/1.1")
    );
    let names: Vec<&str> = req.headers.0.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "Upgrade",
            "Connection",
            "Sec-WebSocket-Key",
            "Origin",
            "Sec-WebSocket-Protocol",
            "Sec-WebSocket-Version"
        ]
    );
    assert_eq!(
        req.headers.get("sec-websocket-key"),
        Some("dGhlIHNhbXBsZSBub25jZQ==")
    );
    let resp = response(RFC_RESPONSE);
    assert_eq!(resp.status, 101);
    assert_eq!(resp.reason, "Switching Protocols");

    let upgrade = check_upgrade(&req, &resp);
    assert!(upgrade.findings.is_empty(), "{:?}", upgrade.findings);
    assert!(upgrade.accepted());
    assert_eq!(upgrade.protocol.as_deref(), Some("chat"));
    assert!(upgrade.extensions.is_empty() && upgrade.deflate.is_none());
}

#[test]
fn head_reader_needs_more_until_the_blank_line_and_reports_what_it_consumed() {
    let mut stream = RFC_RESPONSE.as_bytes().to_vec();
    stream.extend_from_slice(&unhex("81 05 48 65 6c 6c 6f").unwrap());
    // Split just inside the final \r\n\r\n.
    let cut = RFC_RESPONSE.len() - 2;
    let mut reader = HeadReader::<Response>::new();
    assert_eq!(reader.push(&stream[..cut]).unwrap(), Parsed::Incomplete);
    let Parsed::Complete { head, consumed } = reader.push(&stream[cut..]).unwrap() else {
        panic!("head expected")
    };
    assert_eq!(consumed, 2);
    assert_eq!(head.status, 101);
    let rest = &stream[cut + consumed..];
    let [frame] = &frames(Direction::ToClient, rest)[..] else {
        panic!("one frame expected")
    };
    assert_eq!(frame.payload, b"Hello");
}

fn deflate_params(extension: &str) -> DeflateParams {
    let ext = &wirebook_shared::wire::extension::parse_extensions(extension)[0];
    let (params, findings) = DeflateParams::from_response(ext);
    assert!(findings.is_empty(), "{findings:?}");
    params
}

#[test]
fn rfc7692_compressed_hello() {
    let params = deflate_params("permessage-deflate");
    let bytes = unhex("c1 07 f2 48 cd c9 c9 07 00").unwrap();
    let [message] = &messages(Direction::ToClient, Some(&params), &bytes)[..] else {
        panic!("one message expected")
    };
    assert!(message.compressed);
    assert_eq!(message.wire_len, 7);
    assert_eq!(message.len, 5);
    assert_eq!(message.text(), Some("Hello"));
    assert!(message.findings.is_empty(), "{:?}", message.findings);
}

#[test]
fn rfc7692_fragmented_compressed_hello() {
    let params = deflate_params("permessage-deflate");
    let bytes = unhex("41 03 f2 48 cd 80 04 c9 c9 07 00").unwrap();
    let [message] = &messages(Direction::ToClient, Some(&params), &bytes)[..] else {
        panic!("one message expected")
    };
    assert_eq!(message.frames, 2);
    assert_eq!(message.text(), Some("Hello"));
    assert!(message.findings.is_empty(), "{:?}", message.findings);
}

#[test]
fn rfc7692_context_takeover_and_no_context_takeover() {
    // §7.2.3.2: the second "Hello" refers back to the first.
    let bytes = unhex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00").unwrap();
    let with_context = messages(
        Direction::ToClient,
        Some(&deflate_params("permessage-deflate")),
        &bytes,
    );
    assert_eq!(with_context.len(), 2);
    for m in &with_context {
        assert_eq!(m.text(), Some("Hello"));
        assert!(m.findings.is_empty(), "{:?}", m.findings);
    }

    // With server_no_context_takeover the inflater resets after each message, so the back
    // reference no longer finds "Hello" (miniz's window does not check the distance, so this
    // is not flagged; see the deflate module docs), while messages compressed on their own
    // still inflate.
    let params = deflate_params("permessage-deflate; server_no_context_takeover");
    let without = messages(Direction::ToClient, Some(&params), &bytes);
    assert_eq!(without[0].text(), Some("Hello"));
    assert_ne!(without[1].text(), Some("Hello"));
    let independent = unhex("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00").unwrap();
    for m in messages(Direction::ToClient, Some(&params), &independent) {
        assert_eq!(m.text(), Some("Hello"));
    }
    // The client's flag does not apply to the server's messages.
    let params = deflate_params("permessage-deflate; client_no_context_takeover");
    assert_eq!(
        messages(Direction::ToClient, Some(&params), &bytes)[1].text(),
        Some("Hello")
    );
}

#[test]
fn rfc7692_stored_block_and_bfinal() {
    let params = deflate_params("permessage-deflate");
    // §7.2.3.3: a stored (uncompressed) block; §7.2.3.4: a block with BFINAL set.
    let bytes = unhex(
        "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00 \
         c1 08 f3 48 cd c9 c9 07 00 00 \
         c1 07 f2 48 cd c9 c9 07 00",
    )
    .unwrap();
    let decoded = messages(Direction::ToClient, Some(&params), &bytes);
    assert_eq!(decoded.len(), 3);
    for m in &decoded {
        assert_eq!(m.text(), Some("Hello"));
        assert!(m.findings.is_empty(), "{:?}", m.findings);
    }
}
