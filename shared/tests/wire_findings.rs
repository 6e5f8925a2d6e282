//! Every protocol violation the wire layer reports, one test each, plus the memory bound.

use wirebook_shared::wire::extension::{parse_extensions, Extension};
use wirebook_shared::wire::{
    check_upgrade, describe_close_code, encode_close_payload, encode_frame, parse_request,
    parse_response, CloseRange, DeflateParams, Finding, Frame, FrameDecoder, FrameSpec, HeadReader,
    HttpError, LengthForm, Message, MessageAssembler, Parsed, Request, StreamEnd,
};
use wirebook_shared::{Direction, Opcode};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn decode_with(decoder: FrameDecoder, bytes: &[u8]) -> Vec<Frame> {
    let mut decoder = decoder;
    decoder.push(bytes).collect()
}

/// Frames as the server sends them (unmasked).
fn server_frames(bytes: &[u8]) -> Vec<Frame> {
    decode_with(FrameDecoder::new(Direction::ToClient), bytes)
}

fn findings_of(frames: &[Frame]) -> Vec<Vec<Finding>> {
    frames.iter().map(|f| f.findings.clone()).collect()
}

fn frame(spec: FrameSpec, payload: &[u8]) -> Vec<u8> {
    encode_frame(&spec, payload)
}

fn deflate() -> Vec<Extension> {
    parse_extensions("permessage-deflate")
}

#[test]
fn client_frame_unmasked() {
    let frames = decode_with(
        FrameDecoder::new(Direction::ToServer),
        &frame(FrameSpec::new(Opcode::Text), b"hi"),
    );
    assert_eq!(findings_of(&frames), [vec![Finding::ClientFrameUnmasked]]);
    assert!(frames[0].findings[0].message().contains("not masked"));
}

#[test]
fn server_frame_masked() {
    let frames = server_frames(&frame(FrameSpec::new(Opcode::Text).masked(KEY), b"hi"));
    assert_eq!(findings_of(&frames), [vec![Finding::ServerFrameMasked]]);
    assert_eq!(frames[0].payload, b"hi");
}

#[test]
fn control_frame_fragmented() {
    let frames = server_frames(&frame(FrameSpec::new(Opcode::Ping).fin(false), b"x"));
    assert_eq!(
        findings_of(&frames),
        [vec![Finding::ControlFrameFragmented {
            opcode: Opcode::Ping
        }]]
    );
}

#[test]
fn control_payload_over_125_bytes() {
    let ok = server_frames(&frame(FrameSpec::new(Opcode::Pong), &[7; 125]));
    assert!(ok[0].findings.is_empty());
    let frames = server_frames(&frame(FrameSpec::new(Opcode::Pong), &[7; 126]));
    assert_eq!(
        findings_of(&frames),
        [vec![Finding::ControlPayloadTooLong {
            opcode: Opcode::Pong,
            len: 126
        }]]
    );
}

#[test]
fn reserved_opcodes() {
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        let frames = server_frames(&frame(FrameSpec::new(Opcode::from_u8(opcode)), b""));
        assert_eq!(
            findings_of(&frames),
            [vec![Finding::ReservedOpcode { opcode }]],
            "{opcode}"
        );
    }
}

#[test]
fn rsv_bits_without_a_negotiated_extension() {
    let mut spec = FrameSpec::new(Opcode::Binary);
    spec.rsv1 = true;
    spec.rsv2 = true;
    spec.rsv3 = true;
    let bytes = frame(spec, b"x");
    assert_eq!(
        findings_of(&server_frames(&bytes)),
        [vec![
            Finding::ReservedBitSet { bit: 1 },
            Finding::ReservedBitSet { bit: 2 },
            Finding::ReservedBitSet { bit: 3 }
        ]]
    );
    // permessage-deflate defines RSV1 only.
    let with_deflate = decode_with(
        FrameDecoder::new(Direction::ToClient).with_extensions(&deflate()),
        &bytes,
    );
    assert_eq!(
        findings_of(&with_deflate),
        [vec![
            Finding::ReservedBitSet { bit: 2 },
            Finding::ReservedBitSet { bit: 3 }
        ]]
    );
    // An extension wirebook doesn't know may use any of them.
    let unknown = decode_with(
        FrameDecoder::new(Direction::ToClient).with_extensions(&parse_extensions("x-custom")),
        &bytes,
    );
    assert!(unknown[0].findings.is_empty());
}

#[test]
fn compressed_bit_only_on_the_first_frame_of_a_data_message() {
    let mut bytes = frame(FrameSpec::new(Opcode::Text).fin(false).rsv1(true), b"a");
    bytes.extend(frame(FrameSpec::new(Opcode::Ping).rsv1(true), b""));
    bytes.extend(frame(FrameSpec::new(Opcode::Continuation).rsv1(true), b"b"));
    let frames = decode_with(
        FrameDecoder::new(Direction::ToClient).with_extensions(&deflate()),
        &bytes,
    );
    assert_eq!(
        findings_of(&frames),
        [
            vec![],
            vec![Finding::CompressedBitMisplaced {
                opcode: Opcode::Ping
            }],
            vec![Finding::CompressedBitMisplaced {
                opcode: Opcode::Continuation
            }]
        ]
    );
}

#[test]
fn text_utf8_is_checked_across_fragments() {
    // "é" is c3 a9: split across two fragments with a ping in between it is valid.
    let mut valid = frame(FrameSpec::new(Opcode::Text).fin(false), &[b'a', 0xc3]);
    valid.extend(frame(FrameSpec::new(Opcode::Ping), b"p"));
    valid.extend(frame(FrameSpec::new(Opcode::Continuation), &[0xa9]));
    assert!(server_frames(&valid).iter().all(|f| f.findings.is_empty()));

    let mut invalid = frame(FrameSpec::new(Opcode::Text).fin(false), &[b'a', 0xc3]);
    invalid.extend(frame(FrameSpec::new(Opcode::Continuation), b"A"));
    assert_eq!(
        findings_of(&server_frames(&invalid)),
        [vec![], vec![Finding::InvalidUtf8]]
    );

    // A character cut off by FIN.
    let cut = frame(FrameSpec::new(Opcode::Text), &[b'a', 0xe2, 0x82]);
    assert_eq!(
        findings_of(&server_frames(&cut)),
        [vec![Finding::InvalidUtf8]]
    );

    // Binary messages are not text.
    let binary = frame(FrameSpec::new(Opcode::Binary), &[0xff]);
    assert!(server_frames(&binary)[0].findings.is_empty());

    // Bytes beyond the payload limit are not kept but still checked, masked or not.
    let mut long = vec![b'a'; 300];
    long[250] = 0xff;
    for spec in [
        FrameSpec::new(Opcode::Text),
        FrameSpec::new(Opcode::Text).masked(KEY),
    ] {
        let sender = if spec.mask_key.is_some() {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let frames = decode_with(
            FrameDecoder::new(sender).with_payload_limit(125),
            &frame(spec, &long),
        );
        assert_eq!(frames[0].payload.len(), 125);
        assert!(frames[0].truncated());
        assert_eq!(findings_of(&frames), [vec![Finding::InvalidUtf8]]);
    }
}

#[test]
fn compressed_text_is_checked_after_inflation() {
    let params = DeflateParams::default();
    let compressed = miniz_oxide::deflate::compress_to_vec(&[b'o', b'k', 0xff], 6);
    let bytes = frame(FrameSpec::new(Opcode::Text).rsv1(true), &compressed);
    let messages = assemble(
        FrameDecoder::new(Direction::ToClient).with_extensions(&deflate()),
        MessageAssembler::new(Direction::ToClient, Some(&params)),
        &bytes,
    );
    assert_eq!(messages[0].payload, [b'o', b'k', 0xff]);
    assert_eq!(messages[0].findings, [Finding::InvalidUtf8]);
}

fn close_findings(code: u16) -> Vec<Finding> {
    let bytes = frame(
        FrameSpec::new(Opcode::Close),
        &encode_close_payload(code, "bye"),
    );
    server_frames(&bytes).remove(0).findings
}

#[test]
fn close_codes() {
    for code in [
        1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 3999, 4000, 4999,
    ] {
        assert_eq!(close_findings(code), [], "{code}");
    }
    for code in [0, 999, 1004, 1016, 2999, 5000, 65535] {
        assert_eq!(
            close_findings(code),
            [Finding::InvalidCloseCode { code }],
            "{code}"
        );
    }
    for code in [1005, 1006, 1015] {
        assert_eq!(
            close_findings(code),
            [Finding::CloseCodeNotForTheWire { code }],
            "{code}"
        );
    }
    let info = describe_close_code(1006);
    assert_eq!(info.name, "Abnormal Closure");
    assert!(info
        .meaning
        .contains("no close frame: the connection dropped"));
    assert!(!info.sendable);
    assert_eq!(describe_close_code(3001).range, CloseRange::Registered);
    assert_eq!(describe_close_code(4001).range, CloseRange::Private);
    assert_eq!(describe_close_code(1000).name, "Normal Closure");
}

#[test]
fn close_payload_of_one_byte_and_bad_reason() {
    let one = server_frames(&frame(FrameSpec::new(Opcode::Close), &[0x03]));
    assert_eq!(findings_of(&one), [vec![Finding::ClosePayloadOneByte]]);
    let empty = server_frames(&frame(FrameSpec::new(Opcode::Close), &[]));
    assert!(empty[0].findings.is_empty());
    let bad_reason = server_frames(&frame(FrameSpec::new(Opcode::Close), &[0x03, 0xe8, 0xff]));
    assert_eq!(
        findings_of(&bad_reason),
        [vec![Finding::CloseReasonInvalidUtf8]]
    );

    let message = assemble(
        FrameDecoder::new(Direction::ToClient),
        MessageAssembler::new(Direction::ToClient, None),
        &frame(
            FrameSpec::new(Opcode::Close),
            &encode_close_payload(1001, "going"),
        ),
    )
    .remove(0);
    let close = message.close().unwrap();
    assert_eq!(close.code.unwrap().code, 1001);
    assert_eq!(close.reason, "going");
}

#[test]
fn continuation_without_a_message() {
    let bytes = frame(FrameSpec::new(Opcode::Continuation), b"x");
    assert_eq!(
        findings_of(&server_frames(&bytes)),
        [vec![Finding::ContinuationWithoutMessage]]
    );
    let messages = assemble(
        FrameDecoder::new(Direction::ToClient),
        MessageAssembler::new(Direction::ToClient, None),
        &bytes,
    );
    assert_eq!(messages[0].opcode, Opcode::Continuation);
    assert_eq!(messages[0].findings, [Finding::ContinuationWithoutMessage]);
}

#[test]
fn new_data_frame_while_a_fragmented_message_is_open() {
    let mut bytes = frame(FrameSpec::new(Opcode::Text).fin(false), b"part");
    bytes.extend(frame(FrameSpec::new(Opcode::Binary), b"new"));
    assert_eq!(
        findings_of(&server_frames(&bytes)),
        [
            vec![],
            vec![Finding::DataFrameInsideFragmentedMessage {
                opcode: Opcode::Binary
            }]
        ]
    );
    let messages = assemble(
        FrameDecoder::new(Direction::ToClient),
        MessageAssembler::new(Direction::ToClient, None),
        &bytes,
    );
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].payload, b"part");
    assert!(!messages[0].complete);
    assert_eq!(messages[0].findings, [Finding::MessageUnfinished]);
    assert_eq!(messages[1].payload, b"new");
    assert!(messages[1].complete);
}

#[test]
fn length_forms_must_be_minimal_and_64_bit_lengths_below_2_pow_63() {
    let medium = frame(
        FrameSpec::new(Opcode::Binary).length_form(LengthForm::Medium),
        b"abcde",
    );
    assert_eq!(&medium[..4], &[0x82, 126, 0, 5]);
    assert_eq!(
        findings_of(&server_frames(&medium)),
        [vec![Finding::NonMinimalLength {
            form: LengthForm::Medium,
            len: 5
        }]]
    );
    let long = frame(
        FrameSpec::new(Opcode::Binary).length_form(LengthForm::Long),
        &[0; 300],
    );
    assert_eq!(
        findings_of(&server_frames(&long)),
        [vec![Finding::NonMinimalLength {
            form: LengthForm::Long,
            len: 300
        }]]
    );

    let mut decoder = FrameDecoder::new(Direction::ToClient).with_payload_limit(1000);
    let huge = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3];
    assert_eq!(decoder.push(&huge).count(), 0);
    let StreamEnd::MidPayload(frame) = decoder.finish() else {
        panic!("a frame in progress expected")
    };
    assert_eq!(frame.header.payload_len, (1 << 63) + 1);
    assert_eq!(frame.payload, [1, 2, 3]);
    assert!(frame.cut_short);
    assert_eq!(
        frame.findings,
        [Finding::LengthHighBitSet { len: (1 << 63) + 1 }]
    );
    assert!(frame.payload.capacity() <= 1000);
}

#[test]
fn a_1_gib_frame_keeps_only_the_limit() {
    let limit = 64 * 1024;
    let mut decoder = FrameDecoder::new(Direction::ToServer).with_payload_limit(limit);
    let mut header = vec![0x82, 0xff];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&KEY);
    assert_eq!(decoder.push(&header).count(), 0);
    let chunk = vec![0x55u8; 256 * 1024];
    for _ in 0..16 {
        assert_eq!(decoder.push(&chunk).count(), 0);
    }
    assert_eq!(decoder.offset(), 14 + 16 * 256 * 1024);
    let StreamEnd::MidPayload(frame) = decoder.finish() else {
        panic!("a frame in progress expected")
    };
    assert_eq!(frame.header.payload_len, 1 << 30);
    assert_eq!(frame.payload.len(), limit);
    assert!(frame.payload.capacity() <= limit);
    assert!(frame.truncated());
    assert_eq!(frame.wire_len(), 14 + (1 << 30));
}

#[test]
fn stream_ending_inside_a_header() {
    let mut decoder = FrameDecoder::new(Direction::ToClient);
    let mut bytes = frame(FrameSpec::new(Opcode::Text), b"hi");
    bytes.extend_from_slice(&[0x82, 126, 0x01]);
    assert_eq!(decoder.push(&bytes).count(), 1);
    assert_eq!(
        decoder.finish(),
        StreamEnd::MidHeader {
            offset: 4,
            bytes: vec![0x82, 126, 0x01]
        }
    );
    assert_eq!(decoder.finish(), StreamEnd::Clean);
}

fn assemble(decoder: FrameDecoder, assembler: MessageAssembler, bytes: &[u8]) -> Vec<Message> {
    let (mut decoder, mut assembler) = (decoder, assembler);
    let mut out = Vec::new();
    for f in decoder.push(bytes) {
        out.extend(assembler.push(&f));
    }
    out.extend(assembler.finish());
    out
}

#[test]
fn inflate_failure_and_lost_context() {
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut bytes = frame(FrameSpec::new(Opcode::Text).rsv1(true), &[0xff, 0xff, 0xff]);
    bytes.extend(frame(FrameSpec::new(Opcode::Text).rsv1(true), &hello));
    let run = |params: DeflateParams| {
        assemble(
            FrameDecoder::new(Direction::ToClient).with_extensions(&deflate()),
            MessageAssembler::new(Direction::ToClient, Some(&params)),
            &bytes,
        )
    };
    // With context takeover, nothing after the corrupt message can be trusted.
    let messages = run(DeflateParams::default());
    assert!(matches!(
        messages[0].findings[..],
        [Finding::InflateFailed { .. }]
    ));
    assert_eq!(messages[1].findings, [Finding::InflateContextLost]);
    assert!(messages[1].payload.is_empty());
    // Without it, the next message stands on its own.
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let messages = run(params);
    assert!(matches!(
        messages[0].findings[..],
        [Finding::InflateFailed { .. }]
    ));
    assert_eq!(messages[1].text(), Some("Hello"));
    assert!(messages[1].findings.is_empty());
}

#[test]
fn compressed_message_beyond_the_limit_loses_the_context() {
    let big: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 256) as u8).collect();
    // Raw deflate (negative window bits), as permessage-deflate sends it.
    let flags = miniz_oxide::deflate::core::create_comp_flags_from_zip_params(6, -15, 0);
    let mut compressor = miniz_oxide::deflate::core::CompressorOxide::new(flags);
    let mut sync = |data: &[u8]| {
        let mut out = vec![0; data.len() * 2 + 64];
        let r = miniz_oxide::deflate::stream::deflate(
            &mut compressor,
            data,
            &mut out,
            miniz_oxide::MZFlush::Sync,
        );
        out.truncate(r.bytes_written);
        assert_eq!(&out[out.len() - 4..], [0, 0, 0xff, 0xff]);
        out.truncate(out.len() - 4);
        out
    };
    let first = sync(&big);
    let second = sync(b"small");
    assert!(first.len() > 200);
    let mut bytes = frame(FrameSpec::new(Opcode::Binary).rsv1(true), &first);
    bytes.extend(frame(FrameSpec::new(Opcode::Binary).rsv1(true), &second));

    let params = DeflateParams::default();
    let whole = assemble(
        FrameDecoder::new(Direction::ToClient).with_extensions(&deflate()),
        MessageAssembler::new(Direction::ToClient, Some(&params)),
        &bytes,
    );
    assert!(whole[0].payload == big, "{:?}", whole[0].findings);
    assert_eq!(whole[1].payload, b"small");

    let cut = assemble(
        FrameDecoder::new(Direction::ToClient)
            .with_extensions(&deflate())
            .with_payload_limit(200),
        MessageAssembler::new(Direction::ToClient, Some(&params)),
        &bytes,
    );
    assert!(cut[0].truncated && cut[0].findings.is_empty());
    assert!(cut[0].payload == big[..cut[0].payload.len()]);
    assert_eq!(cut[1].findings, [Finding::InflateContextLost]);
}

const REQUEST: &str =
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    Sec-WebSocket-Protocol: v1.chat\r\n\
    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-other\r\n\r\n";

fn request() -> Request {
    match parse_request(REQUEST.as_bytes()).unwrap() {
        Parsed::Complete { head, consumed } => {
            assert_eq!(consumed, REQUEST.len());
            head
        }
        Parsed::Incomplete => panic!("incomplete"),
    }
}

fn upgrade_findings(response: &str) -> Vec<Finding> {
    let Parsed::Complete { head, .. } = parse_response(response.as_bytes()).unwrap() else {
        panic!("incomplete")
    };
    check_upgrade(&request(), &head).findings
}

#[test]
fn handshake_with_deflate_negotiated() {
    let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v1.chat\r\n\
        Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=\"10\"\r\n\r\n";
    let Parsed::Complete { head, .. } = parse_response(response.as_bytes()).unwrap() else {
        panic!("incomplete")
    };
    let upgrade = check_upgrade(&request(), &head);
    assert_eq!(upgrade.findings, []);
    assert_eq!(upgrade.protocol.as_deref(), Some("v1.chat"));
    assert_eq!(upgrade.extensions.len(), 1);
    let deflate = upgrade.deflate.unwrap();
    assert!(deflate.server_no_context_takeover && !deflate.client_no_context_takeover);
    assert_eq!(deflate.client_max_window_bits, Some(10));
    assert_eq!(deflate.max_window_bits(Direction::ToServer), 10);
    assert_eq!(deflate.max_window_bits(Direction::ToClient), 15);
    assert!(deflate.no_context_takeover(Direction::ToClient));
}

#[test]
fn handshake_findings() {
    let ok_head =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    assert_eq!(upgrade_findings(&format!("{ok_head}{accept}\r\n")), []);

    let wrong = upgrade_findings(&format!(
        "{ok_head}Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"
    ));
    assert!(
        matches!(wrong[..], [Finding::AcceptMismatch { .. }]),
        "{wrong:?}"
    );

    assert_eq!(
        upgrade_findings("HTTP/1.1 403 Forbidden\r\n\r\n"),
        [Finding::HandshakeNotSwitching { status: 403 }]
    );
    assert_eq!(
        upgrade_findings(&format!("{ok_head}\r\n")),
        [Finding::HandshakeHeader {
            name: "Sec-WebSocket-Accept".into(),
            detail: "missing".into()
        }]
    );
    let not_offered = upgrade_findings(&format!(
        "{ok_head}{accept}Sec-WebSocket-Protocol: v2.chat\r\nSec-WebSocket-Extensions: x-zip\r\n\r\n"
    ));
    assert_eq!(
        not_offered,
        [
            Finding::NotOffered {
                what: "subprotocol".into(),
                value: "v2.chat".into()
            },
            Finding::NotOffered {
                what: "extension".into(),
                value: "x-zip".into()
            }
        ]
    );
    let bad_params = upgrade_findings(&format!(
        "{ok_head}{accept}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=7; \
         server_no_context_takeover; server_no_context_takeover; mystery\r\n\r\n"
    ));
    assert_eq!(bad_params.len(), 3, "{bad_params:?}");
    assert!(bad_params
        .iter()
        .all(|f| matches!(f, Finding::BadDeflateParameter { .. })));

    let Parsed::Complete { head: old, .. } = parse_request(
        b"POST / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .unwrap() else {
        panic!("incomplete")
    };
    let Parsed::Complete { head: resp, .. } =
        parse_response(format!("{ok_head}{accept}\r\n").as_bytes()).unwrap()
    else {
        panic!("incomplete")
    };
    let findings = check_upgrade(&old, &resp).findings;
    let names: Vec<String> = findings.iter().map(Finding::message).collect();
    assert!(
        matches!(findings[0], Finding::HandshakeRequestLine { .. }),
        "{names:?}"
    );
    assert!(
        names.iter().any(|m| m.starts_with("Sec-WebSocket-Version")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|m| m.starts_with("Sec-WebSocket-Key")),
        "{names:?}"
    );
    assert!(findings
        .iter()
        .any(|f| matches!(f, Finding::AcceptMismatch { .. })));
}

#[test]
fn http_heads_byte_by_byte_and_bad_heads() {
    let mut reader = HeadReader::<Request>::new();
    let bytes = REQUEST.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match reader.push(std::slice::from_ref(b)).unwrap() {
            Parsed::Incomplete => assert!(i + 1 < bytes.len()),
            Parsed::Complete { head, consumed } => {
                assert_eq!(i + 1, bytes.len());
                assert_eq!(consumed, 1);
                assert_eq!(head, request());
            }
        }
    }
    assert_eq!(
        parse_request(b"GET /\r\n\r\n"),
        Err(HttpError::RequestLine("GET /".into()))
    );
    assert_eq!(
        parse_response(b"HTTP/1.1 1O1 x\r\n\r\n"),
        Err(HttpError::StatusLine("HTTP/1.1 1O1 x".into()))
    );
    assert_eq!(
        parse_request(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"),
        Err(HttpError::HeaderLine("no colon".into()))
    );
    let endless = vec![b'a'; 70_000];
    assert_eq!(parse_request(&endless), Err(HttpError::TooLarge));
    let mut reader = HeadReader::<Request>::new();
    assert_eq!(reader.push(&endless), Err(HttpError::TooLarge));
}

#[test]
fn extension_lists_with_quotes() {
    let exts = parse_extensions(
        "permessage-deflate; client_max_window_bits=\"1,5\"; x=\"a\\\"b\", foo ,  ; ,bar;baz",
    );
    let names: Vec<&str> = exts.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["permessage-deflate", "foo", "bar"]);
    assert_eq!(exts[0].params[0].value.as_deref(), Some("1,5"));
    assert_eq!(exts[0].params[1].value.as_deref(), Some("a\"b"));
    assert_eq!(exts[2].params[0].name, "baz");
    assert_eq!(exts[2].params[0].value, None);
}

#[test]
fn findings_travel_as_json() {
    let findings = vec![
        Finding::ClientFrameUnmasked,
        Finding::NonMinimalLength {
            form: LengthForm::Medium,
            len: 5,
        },
        Finding::ReservedOpcode { opcode: 0xB },
        Finding::HandshakeHeader {
            name: "Upgrade".into(),
            detail: "missing".into(),
        },
    ];
    let json = serde_json::to_string(&findings).unwrap();
    assert!(
        json.contains(r#"{"kind":"client_frame_unmasked"}"#),
        "{json}"
    );
    assert!(json.contains(r#""form":"medium""#), "{json}");
    let back: Vec<Finding> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, findings);
}
