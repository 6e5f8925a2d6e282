//! Property tests: the encoder and decoder agree on every header form, chunking never changes
//! what is decoded, and arbitrary bytes in arbitrary chunks never panic anything in the wire
//! layer (the fuzzing requirement, run as part of the normal suite).

use proptest::prelude::*;
use wirebook_shared::wire::extension::parse_extensions;
use wirebook_shared::wire::{
    encode_frame, ClosePayload, DeflateParams, Frame, FrameDecoder, FrameHeader, FrameSpec,
    HeadReader, LengthForm, MessageAssembler, Request, Response, StreamEnd,
};
use wirebook_shared::{Direction, Opcode};

fn arb_form() -> impl Strategy<Value = LengthForm> {
    prop_oneof![
        Just(LengthForm::Short),
        Just(LengthForm::Medium),
        Just(LengthForm::Long),
    ]
}

fn arb_spec() -> impl Strategy<Value = FrameSpec> {
    (
        any::<bool>(),
        any::<[bool; 3]>(),
        0u8..16,
        proptest::option::of(any::<[u8; 4]>()),
        arb_form(),
    )
        .prop_map(|(fin, rsv, opcode, mask_key, length_form)| FrameSpec {
            fin,
            rsv1: rsv[0],
            rsv2: rsv[1],
            rsv3: rsv[2],
            opcode: Opcode::from_u8(opcode),
            mask_key,
            payload_len: 0,
            length_form,
        })
}

fn arb_payload() -> impl Strategy<Value = Vec<u8>> {
    // Sizes around the 7-bit and 16-bit boundaries, kept small so the suite stays fast.
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..=130),
        proptest::collection::vec(any::<u8>(), 120..=300),
    ]
}

/// Decodes `stream` pushed in pieces cut at `cuts` (positions modulo the length).
fn decode_chunked(decoder: FrameDecoder, stream: &[u8], cuts: &[usize]) -> (Vec<Frame>, StreamEnd) {
    let mut decoder = decoder;
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| {
            if stream.is_empty() {
                0
            } else {
                c % (stream.len() + 1)
            }
        })
        .collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    let mut frames = Vec::new();
    for pair in points.windows(2) {
        frames.extend(decoder.push(&stream[pair[0]..pair[1]]));
    }
    (frames, decoder.finish())
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(spec in arb_spec(), payload in arb_payload()) {
        let bytes = encode_frame(&spec, &payload);
        let sender = if spec.mask_key.is_some() { Direction::ToServer } else { Direction::ToClient };
        let mut decoder = FrameDecoder::new(sender);
        let frames: Vec<Frame> = decoder.push(&bytes).collect();
        prop_assert_eq!(frames.len(), 1);
        let frame = &frames[0];
        let h = frame.header;
        prop_assert_eq!((h.fin, h.rsv1, h.rsv2, h.rsv3), (spec.fin, spec.rsv1, spec.rsv2, spec.rsv3));
        prop_assert_eq!(h.opcode, spec.opcode);
        prop_assert_eq!(h.mask_key, spec.mask_key);
        prop_assert_eq!(h.payload_len, payload.len() as u64);
        let minimal = LengthForm::minimal_for(payload.len() as u64);
        prop_assert_eq!(h.length_form, spec.length_form.max(minimal));
        prop_assert_eq!(frame.header_bytes(), &bytes[..h.encoded_len()]);
        prop_assert_eq!(&frame.payload, &payload);
        prop_assert_eq!(frame.masked_payload(), &bytes[h.encoded_len()..]);
        prop_assert_eq!(frame.wire_len(), bytes.len() as u64);
        prop_assert_eq!(decoder.finish(), StreamEnd::Clean);
        // Read back from its bytes alone, the header is the same; cut short, it is not read.
        prop_assert_eq!(FrameHeader::parse(&bytes), Some(h));
        prop_assert_eq!(FrameHeader::parse(&bytes[..h.encoded_len() - 1]), None);
    }

    #[test]
    fn any_chunking_decodes_to_the_same_frames(
        frames in proptest::collection::vec((arb_spec(), arb_payload()), 1..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        limit in prop_oneof![Just(125usize), Just(200), Just(1 << 20)],
        masked_sender in any::<bool>(),
    ) {
        let stream: Vec<u8> = frames.iter().flat_map(|(s, p)| encode_frame(s, p)).collect();
        let sender = if masked_sender { Direction::ToServer } else { Direction::ToClient };
        let make = || FrameDecoder::new(sender)
            .with_payload_limit(limit)
            .with_extensions(&parse_extensions("permessage-deflate"));
        let (whole, end) = decode_chunked(make(), &stream, &[]);
        prop_assert_eq!(end, StreamEnd::Clean);
        prop_assert_eq!(whole.len(), frames.len());
        let mut offset = 0;
        for (frame, (_, payload)) in whole.iter().zip(&frames) {
            prop_assert_eq!(frame.offset, offset);
            offset += frame.wire_len();
            prop_assert_eq!(&frame.payload[..], &payload[..payload.len().min(limit)]);
        }
        let (chunked, end) = decode_chunked(make(), &stream, &cuts);
        prop_assert_eq!(end, StreamEnd::Clean);
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn arbitrary_bytes_in_arbitrary_chunks_never_panic(
        stream in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        masked_sender in any::<bool>(),
        deflate in any::<bool>(),
        limit in prop_oneof![Just(125usize), Just(1 << 20)],
    ) {
        let sender = if masked_sender { Direction::ToServer } else { Direction::ToClient };
        let params = DeflateParams { server_no_context_takeover: masked_sender, ..DeflateParams::default() };
        let extensions = if deflate { parse_extensions("permessage-deflate") } else { Vec::new() };
        let make = || FrameDecoder::new(sender).with_payload_limit(limit).with_extensions(&extensions);
        let (frames, end) = decode_chunked(make(), &stream, &cuts);
        let (whole, whole_end) = decode_chunked(make(), &stream, &[]);
        prop_assert_eq!(&frames, &whole);
        prop_assert_eq!(&end, &whole_end);

        // Frames tile the stream from offset 0.
        let mut offset = 0;
        for frame in &frames {
            prop_assert_eq!(frame.offset, offset);
            offset += frame.wire_len();
            prop_assert!(frame.payload.len() <= limit);
        }
        prop_assert!(offset <= stream.len() as u64);

        let mut assembler = MessageAssembler::new(sender, deflate.then_some(&params)).with_payload_limit(limit);
        let mut messages = 0;
        for frame in &frames {
            for message in assembler.push(frame) {
                prop_assert!(message.payload.len() <= limit);
                let _ = message.text();
                let _ = message.close();
                prop_assert!(message.findings.iter().all(|f| !f.message().is_empty()));
                messages += 1;
            }
        }
        if let StreamEnd::MidPayload(frame) = end {
            messages += assembler.push(&frame).count();
        }
        messages += usize::from(assembler.finish().is_some());
        prop_assert!(messages <= frames.len() + 1);

        // The other parsers take the same bytes.
        let _ = ClosePayload::parse(&stream);
        let text = String::from_utf8_lossy(&stream);
        let _ = parse_extensions(&text);
        let mut request = HeadReader::<Request>::new();
        let mut response = HeadReader::<Response>::new();
        for piece in stream.chunks(1 + cuts.first().copied().unwrap_or(7) % 64) {
            let _ = request.push(piece);
            let _ = response.push(piece);
        }
    }

    #[test]
    fn deflate_streams_inflate_in_any_fragmentation(
        texts in proptest::collection::vec("[a-z é€]{0,80}", 1..5),
        split in any::<usize>(),
        no_context_takeover in any::<bool>(),
    ) {
        // Compress each message with a shared (or per-message) context, as a sender would.
        let flags = miniz_oxide::deflate::core::create_comp_flags_from_zip_params(6, -15, 0);
        let mut compressor = miniz_oxide::deflate::core::CompressorOxide::new(flags);
        let mut stream = Vec::new();
        for text in &texts {
            if no_context_takeover {
                compressor.reset();
            }
            let mut out = vec![0; text.len() * 2 + 64];
            let r = miniz_oxide::deflate::stream::deflate(
                &mut compressor, text.as_bytes(), &mut out, miniz_oxide::MZFlush::Sync);
            out.truncate(r.bytes_written - 4);
            let cut = if out.is_empty() { 0 } else { split % (out.len() + 1) };
            stream.extend(encode_frame(&FrameSpec::new(Opcode::Text).fin(false).rsv1(true), &out[..cut]));
            stream.extend(encode_frame(&FrameSpec::new(Opcode::Ping), b"between"));
            stream.extend(encode_frame(&FrameSpec::new(Opcode::Continuation), &out[cut..]));
        }
        let params = DeflateParams { server_no_context_takeover: no_context_takeover, ..DeflateParams::default() };
        let mut decoder = FrameDecoder::new(Direction::ToClient)
            .with_extensions(&parse_extensions("permessage-deflate"));
        let mut assembler = MessageAssembler::new(Direction::ToClient, Some(&params));
        let mut got = Vec::new();
        for frame in decoder.push(&stream) {
            prop_assert!(frame.findings.is_empty(), "{:?}", frame.findings);
            for message in assembler.push(&frame) {
                prop_assert!(message.findings.is_empty(), "{:?}", message.findings);
                if message.opcode == Opcode::Text {
                    got.push(message.text().map(str::to_string));
                }
            }
        }
        let expected: Vec<Option<String>> = texts.into_iter().map(Some).collect();
        prop_assert_eq!(got, expected);
    }
}
