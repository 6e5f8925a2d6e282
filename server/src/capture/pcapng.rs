//! The pcapng export's bytes (`GET /api/capture.pcapng`): each captured WebSocket connection
//! as a TCP stream synthesised around the bytes as captured, so Wireshark and tshark dissect
//! the HTTP upgrade and every frame ("Follow TCP stream" included).
//!
//! One section, one interface (`LINKTYPE_IPV4`, microsecond timestamps: `if_tsresol` 6, as
//! the records' `time_us`), and per connection, in capture order:
//! - a synthesised three-way handshake (SYN, SYN-ACK, ACK) at the time of its `Open` record;
//! - the HTTP upgrade request and response heads as recorded (after redaction), one segment
//!   each, at the time of the `Handshake` record;
//! - one segment per frame: its header bytes and its payload masked again with its key, as on
//!   the wire; the sequence number is the frame's `offset` in its direction, so it advances by
//!   each frame's real length and an evicted frame shows as a gap (its successor's comment
//!   says how many bytes are missing). Where the ring kept only a preview, the packet's
//!   captured length is below its original length (the IP and TCP lengths are the real ones),
//!   as in a capture with a snap length. A frame longer than one IPv4 packet goes in several
//!   segments (at most `MAX_SEGMENTS_PER_FRAME`; past them, a gap);
//! - at `Closed`, FIN/ACK from the server first (RFC 6455 §7.1.1: the server closes the TCP
//!   connection), the client's FIN/ACK, and the last ACK.
//!
//! Every packet's comment (`opt_comment`) names the connection, its hop and the direction, and
//! the record it comes from, so a packet can be found in the JSONL export and the inspector.
//!
//! An export of some rows (`?seqs=`, `?filter=`) writes a connection only when one of its
//! records is kept, and then with its opening, upgrade and closing, so its frames are still
//! dissected; the frames left out are gaps.
//!
//! Addresses: the `Open` record's client and server where they hold an IPv4 `IP:port` (e.g.
//! `127.0.0.1:50123` or `wirebook (127.0.0.1:50123)`), else synthesised ones, stable per
//! connection id (clients `10.a.b.c`, ports from 49152; the server `10.0.0.1`). The server's
//! port is always 80: Wireshark dissects HTTP (and then the WebSocket it upgrades to) on port
//! 80 by default and on an arbitrary port only after "Decode As"; the real port is in the SYN's
//! comment. When two connections would get the same addresses (wirebook's own kernel socket to
//! its `/echo` is captured from both ends, as hop `kernel` and hop `endpoint`), the later one
//! gets synthesised ones, so every connection stays its own TCP stream.
//!
//! Left out: kernels reached over ZeroMQ (`KernelMessage` and `Heartbeat` records, on
//! connections with no handshake and no frames) are not TCP streams wirebook has the bytes of;
//! the JSONL and HAR exports have them. A Jupyter Server's kernel WebSocket is exported like
//! any WebSocket. IPv6 addresses are replaced by synthesised IPv4 ones (one link type).
//!
//! Why our own writer: pcapng's three blocks are a few dozen lines, and the stable release of
//! the `pcap-file` crate (2.0, 2022) is old while 3.0 is still a release candidate; the IPv4
//! and TCP headers are twenty bytes each, written here with their checksums.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};

use wirebook_shared::hex::unhex;
use wirebook_shared::{
    CaptureBody, CaptureRecord, ConnId, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord,
};

/// Block types (pcapng §4).
const SECTION_HEADER: u32 = 0x0A0D_0D0A;
const INTERFACE_DESCRIPTION: u32 = 1;
const ENHANCED_PACKET: u32 = 6;
/// Written in the writer's byte order (little-endian here); a reader tells the order by it.
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Raw IPv4 packets, no link-layer header.
pub const LINKTYPE_IPV4: u16 = 228;

/// Option codes.
const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const IF_NAME: u16 = 2;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;

/// Bytes kept of a comment (the `Open` record's target may be up to 2 KiB).
const MAX_COMMENT: usize = 1024;

/// IPv4 and TCP headers, without options.
const HEADERS: usize = 40;
/// The most TCP payload one IPv4 packet carries (its total length is 16 bits).
pub const MAX_SEGMENT: u64 = u16::MAX as u64 - HEADERS as u64;
/// Segments written for one frame at most: a frame longer than this many segments (4 MiB) has
/// the rest of its sequence space left as a gap, said in its comment.
const MAX_SEGMENTS_PER_FRAME: u64 = 64;

/// TCP flags.
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// The server port every stream gets (see the module doc).
const SERVER_PORT: u16 = 80;
/// The synthesised server's address.
const SYNTHESISED_SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

/// The file's first blocks: the section header and the one interface.
pub fn file_header() -> Vec<u8> {
    let mut out = Vec::new();
    let mut body = Vec::new();
    body.extend(BYTE_ORDER_MAGIC.to_le_bytes());
    body.extend(1u16.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    // Section length: not given (-1), since the file is streamed.
    body.extend((-1i64).to_le_bytes());
    option(
        &mut body,
        OPT_COMMENT,
        "WebSocket connections captured by wirebook, each as a TCP stream synthesised around \
         the bytes as captured (server port 80, so the HTTP upgrade and the frames are \
         dissected; the real addresses are in each SYN's comment). Payloads the capture kept \
         only a preview of are cut (captured length below the original). Kernels reached over \
         ZeroMQ are left out: see the JSONL export."
            .as_bytes(),
    );
    let application = format!("wirebook {}", env!("CARGO_PKG_VERSION"));
    option(&mut body, SHB_USERAPPL, application.as_bytes());
    option(&mut body, OPT_END, &[]);
    block(&mut out, SECTION_HEADER, &body);

    let mut body = Vec::new();
    body.extend(LINKTYPE_IPV4.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    // Snap length 0: no limit (a packet's captured length says where the preview stops).
    body.extend(0u32.to_le_bytes());
    option(&mut body, IF_NAME, b"wirebook capture");
    option(&mut body, IF_TSRESOL, &[6]);
    option(&mut body, OPT_END, &[]);
    block(&mut out, INTERFACE_DESCRIPTION, &body);
    out
}

/// Appends a block: type, total length, body (already a multiple of 4 bytes), total length.
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    debug_assert_eq!(body.len() % 4, 0);
    let total = u32::try_from(12 + body.len()).unwrap_or(u32::MAX);
    out.extend(kind.to_le_bytes());
    out.extend(total.to_le_bytes());
    out.extend(body);
    out.extend(total.to_le_bytes());
}

/// Appends an option: code, length, value padded to 32 bits. Values are cut to what the
/// 16-bit length holds (callers pass short ones).
fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    let value = &value[..value.len().min(usize::from(u16::MAX))];
    body.extend(code.to_le_bytes());
    body.extend((value.len() as u16).to_le_bytes());
    body.extend(value);
    pad(body);
}

fn pad(body: &mut Vec<u8>) {
    body.resize(body.len().next_multiple_of(4), 0);
}

/// Appends an Enhanced Packet Block on interface 0: `data` is what was captured of a packet
/// of `original_len` bytes.
fn enhanced_packet(out: &mut Vec<u8>, time_us: u64, data: &[u8], original_len: u32, comment: &str) {
    let mut body = Vec::with_capacity(20 + data.len() + comment.len() + 12);
    body.extend(0u32.to_le_bytes());
    body.extend(((time_us >> 32) as u32).to_le_bytes());
    body.extend((time_us as u32).to_le_bytes());
    body.extend((data.len() as u32).to_le_bytes());
    body.extend(original_len.to_le_bytes());
    body.extend(data);
    pad(&mut body);
    option(&mut body, OPT_COMMENT, cut(comment, MAX_COMMENT).as_bytes());
    option(&mut body, OPT_END, &[]);
    block(out, ENHANCED_PACKET, &body);
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One TCP segment: `data` is what was captured of its `len` payload bytes.
struct Segment<'a> {
    from: SocketAddrV4,
    to: SocketAddrV4,
    seq: u32,
    ack: u32,
    flags: u8,
    data: &'a [u8],
    len: u32,
}

impl<'a> Segment<'a> {
    /// The segment carrying `data`, what was captured of `len` payload bytes.
    fn carrying(self, data: &'a [u8], len: u32) -> Segment<'a> {
        Segment { data, len, ..self }
    }

    /// Appends the segment as an Enhanced Packet Block.
    fn write(&self, out: &mut Vec<u8>, time_us: u64, comment: &str) {
        let (packet, original) = self.packet();
        enhanced_packet(out, time_us, &packet, original, comment);
    }

    /// The packet's captured bytes (IPv4 and TCP headers and `data`) and its original length.
    /// The checksums are right when the whole payload was captured, else 0 (unknown).
    fn packet(&self) -> (Vec<u8>, u32) {
        let total = HEADERS as u32 + self.len;
        let mut packet = Vec::with_capacity(HEADERS + self.data.len());
        packet.extend([0x45, 0]);
        packet.extend((total as u16).to_be_bytes());
        // Identification 0, Don't Fragment, TTL 64, TCP, checksum (below).
        packet.extend([0, 0, 0x40, 0, 64, 6, 0, 0]);
        packet.extend(self.from.ip().octets());
        packet.extend(self.to.ip().octets());
        let ip_checksum = checksum(0, &packet[..20]);
        packet[10..12].copy_from_slice(&ip_checksum.to_be_bytes());

        packet.extend(self.from.port().to_be_bytes());
        packet.extend(self.to.port().to_be_bytes());
        packet.extend(self.seq.to_be_bytes());
        packet.extend(self.ack.to_be_bytes());
        // Data offset 5 words; window 65535; checksum (below); urgent pointer 0.
        packet.extend([5 << 4, self.flags, 0xff, 0xff, 0, 0, 0, 0]);
        packet.extend(self.data);
        if self.data.len() as u32 == self.len {
            let tcp_len = (20 + self.len) as u16;
            let mut pseudo = Vec::with_capacity(12);
            pseudo.extend(self.from.ip().octets());
            pseudo.extend(self.to.ip().octets());
            pseudo.extend([0, 6]);
            pseudo.extend(tcp_len.to_be_bytes());
            let sum = checksum(sum_words(0, &pseudo), &packet[20..]);
            packet[36..38].copy_from_slice(&sum.to_be_bytes());
        }
        (packet, total)
    }
}

/// The Internet checksum (RFC 1071) of `bytes`, continuing a running sum.
fn checksum(running: u32, bytes: &[u8]) -> u16 {
    let mut sum = sum_words(running, bytes);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Adds `bytes` as 16-bit big-endian words (the last one padded with a zero byte).
fn sum_words(mut sum: u32, bytes: &[u8]) -> u32 {
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
        // Folded as it goes, so no length overflows it.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// What an `Open` record said, kept until the connection's first handshake or frame in the
/// export; and its handshake, when the export leaves it out but may want it as the context of
/// a later frame.
#[derive(Default)]
struct Opened {
    client: Option<SocketAddrV4>,
    server: Option<SocketAddrV4>,
    /// `None` when the `Open` record is not in the capture any more.
    time_us: Option<u64>,
    /// The record's own words, for the SYN's comment.
    said: Option<String>,
    handshake: Option<CaptureRecord>,
}

/// One connection's synthesised TCP stream.
struct Stream {
    client: SocketAddrV4,
    server: SocketAddrV4,
    /// `conn 3, hop browser`.
    name: String,
    /// The sequence number of each side's first byte after the upgrade heads.
    client_base: u32,
    server_base: u32,
    /// The sequence number each side sends next.
    client_next: u32,
    server_next: u32,
    handshake: bool,
}

impl Stream {
    fn ends(&self, direction: Direction) -> (SocketAddrV4, SocketAddrV4) {
        match direction {
            Direction::ToServer => (self.client, self.server),
            Direction::ToClient => (self.server, self.client),
        }
    }

    /// The sequence number this side sends next, and the one it acknowledges.
    fn numbers(&self, direction: Direction) -> (u32, u32) {
        match direction {
            Direction::ToServer => (self.client_next, self.server_next),
            Direction::ToClient => (self.server_next, self.client_next),
        }
    }

    fn advance(&mut self, direction: Direction, to: u32) {
        match direction {
            Direction::ToServer => self.client_next = to,
            Direction::ToClient => self.server_next = to,
        }
    }

    /// An empty segment from `direction`'s side at `seq`, acknowledging what the other side
    /// sent so far (when it has the ACK flag); callers add its payload.
    fn segment(&self, direction: Direction, seq: u32, flags: u8) -> Segment<'static> {
        let (from, to) = self.ends(direction);
        let ack = if flags & ACK == 0 {
            0
        } else {
            self.numbers(direction).1
        };
        Segment {
            from,
            to,
            seq,
            ack,
            flags,
            data: &[],
            len: 0,
        }
    }

    /// Appends a segment of `bytes` (all captured) from `direction`'s next sequence number.
    fn send(
        &mut self,
        out: &mut Vec<u8>,
        time_us: u64,
        direction: Direction,
        bytes: &[u8],
        comment: &str,
    ) {
        let (seq, _) = self.numbers(direction);
        // Heads are at most a few KiB (redaction cuts them): one segment.
        let bytes = &bytes[..bytes.len().min(MAX_SEGMENT as usize)];
        self.segment(direction, seq, PSH | ACK)
            .carrying(bytes, bytes.len() as u32)
            .write(out, time_us, comment);
        self.advance(direction, seq.wrapping_add(bytes.len() as u32));
    }
}

/// Turns capture records, in capture order, into pcapng packets: the state between chunks of
/// an export (bounded by the connections in the ring).
#[derive(Default)]
pub struct PcapngWriter {
    opened: HashMap<ConnId, Opened>,
    streams: HashMap<ConnId, Stream>,
    /// The (client, server) pairs given out: each connection gets its own.
    used: HashSet<(SocketAddrV4, SocketAddrV4)>,
}

impl PcapngWriter {
    pub fn new() -> Self {
        PcapngWriter::default()
    }

    /// The packets of the `records` an export `keeps` (the blocks after [`file_header`]).
    /// Pass them all, kept or not: a kept frame's connection is written from its opening,
    /// with its upgrade, and closed when it closed, so that Wireshark can dissect it; the
    /// frames left out are gaps in the sequence numbers.
    pub fn write(
        &mut self,
        records: &[CaptureRecord],
        keeps: impl Fn(&CaptureRecord) -> bool,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for record in records {
            self.record(record, keeps(record), &mut out);
        }
        out
    }

    fn record(&mut self, record: &CaptureRecord, kept: bool, out: &mut Vec<u8>) {
        match &record.body {
            CaptureBody::Open {
                client,
                server,
                target,
            } => {
                self.opened.insert(
                    record.conn,
                    Opened {
                        client: ipv4_endpoint(client),
                        server: ipv4_endpoint(server),
                        time_us: Some(record.time_us),
                        said: Some(format!("client {client}, server {server}, target {target}")),
                        handshake: None,
                    },
                );
            }
            CaptureBody::Handshake(handshake) => {
                if kept || self.streams.contains_key(&record.conn) {
                    let stream = self.stream(record, out);
                    if !stream.handshake {
                        upgrade(stream, out, record, handshake);
                    }
                } else {
                    let opened = self.opened.entry(record.conn).or_default();
                    opened.handshake.get_or_insert_with(|| record.clone());
                }
            }
            CaptureBody::Frame(frame) if kept => {
                let stream = self.stream(record, out);
                write_frame(stream, out, record, frame);
            }
            CaptureBody::Frame(frame) => {
                // Left out: the stream moves past it all the same, so the FINs and the ACKs
                // after it have the whole stream's numbers.
                if let Some(stream) = self.streams.get_mut(&record.conn) {
                    let (start, real) = frame_span(stream, frame);
                    stream.advance(frame.direction, start.wrapping_add(real as u32));
                }
            }
            CaptureBody::Closed { reason, .. } => {
                self.opened.remove(&record.conn);
                if let Some(stream) = self.streams.remove(&record.conn) {
                    close(&stream, out, record.time_us, reason);
                }
            }
            CaptureBody::KernelMessage(_) | CaptureBody::Heartbeat { .. } => {}
            // Said in the comments of the frames sent in the message's place (their mark).
            CaptureBody::Intercept(_) => {}
        }
    }

    /// The connection's stream, begun (with its SYN, SYN-ACK and ACK) if this is its first
    /// handshake or frame.
    fn stream(&mut self, record: &CaptureRecord, out: &mut Vec<u8>) -> &mut Stream {
        let conn = record.conn;
        if !self.streams.contains_key(&conn) {
            let opened = self.opened.remove(&conn);
            let mut stream = self.begin(conn, record.hop, opened.as_ref());
            let Opened {
                time_us,
                said,
                handshake,
                ..
            } = opened.unwrap_or_default();
            let time_us = time_us.unwrap_or(record.time_us);
            let said =
                said.unwrap_or_else(|| "its Open record is no longer in the capture".to_string());
            let name = &stream.name;
            let (client_isn, server_isn) = (
                stream.client_base.wrapping_sub(1),
                stream.server_base.wrapping_sub(1),
            );
            stream.segment(Direction::ToServer, client_isn, SYN).write(
                out,
                time_us,
                &format!("{name}: opened ({said}); TCP handshake synthesised by wirebook"),
            );
            // Acknowledges the SYN, before the client's next byte counts as sent.
            Segment {
                ack: stream.client_base,
                ..stream.segment(Direction::ToClient, server_isn, SYN | ACK)
            }
            .write(out, time_us, &format!("{name}, server → client"));
            stream
                .segment(Direction::ToServer, stream.client_base, ACK)
                .write(out, time_us, &format!("{name}, client → server"));
            if let Some(record) = handshake {
                if let CaptureBody::Handshake(handshake) = &record.body {
                    upgrade(&mut stream, out, &record, handshake);
                }
            }
            self.streams.insert(conn, stream);
        }
        // Inserted just above when it was missing.
        self.streams.get_mut(&conn).expect("the stream was begun")
    }

    /// A new stream's addresses and initial sequence numbers.
    fn begin(&mut self, conn: ConnId, hop: Hop, opened: Option<&Opened>) -> Stream {
        let synthesised = (
            synthesised_client(conn),
            SocketAddrV4::new(SYNTHESISED_SERVER, SERVER_PORT),
        );
        let recorded = opened.map(|o| {
            (
                o.client.unwrap_or(synthesised.0),
                SocketAddrV4::new(
                    o.server.map_or(SYNTHESISED_SERVER, |s| *s.ip()),
                    SERVER_PORT,
                ),
            )
        });
        let (client, server) = match recorded {
            Some(pair) if !self.used.contains(&pair) => pair,
            _ => synthesised,
        };
        self.used.insert((client, server));
        // Fixed initial sequence numbers per connection: stable from one export to the next.
        let client_isn = (conn as u32).wrapping_mul(0x9E37_79B9);
        let server_isn = !client_isn;
        Stream {
            client,
            server,
            name: format!("conn {conn}, hop {}", hop.label()),
            client_base: client_isn.wrapping_add(1),
            server_base: server_isn.wrapping_add(1),
            client_next: client_isn.wrapping_add(1),
            server_next: server_isn.wrapping_add(1),
            handshake: false,
        }
    }
}

/// Appends the upgrade request and response heads; frames count from after them.
fn upgrade(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    record: &CaptureRecord,
    handshake: &HandshakeRecord,
) {
    let name = stream.name.clone();
    let seq = record.seq;
    stream.send(
        out,
        record.time_us,
        Direction::ToServer,
        &head_bytes(&handshake.request),
        &format!("{name}, client → server: the upgrade request (record {seq})"),
    );
    if let Some(response) = &handshake.response {
        stream.send(
            out,
            record.time_us,
            Direction::ToClient,
            &head_bytes(response),
            &format!("{name}, server → client: the upgrade response (record {seq})"),
        );
    }
    stream.client_base = stream.client_next;
    stream.server_base = stream.server_next;
    stream.handshake = true;
}

/// An HTTP head as it crossed: start line, headers in order, blank line.
fn head_bytes(head: &HttpHeadRecord) -> Vec<u8> {
    let mut text = String::with_capacity(256);
    text.push_str(&head.start_line);
    text.push_str("\r\n");
    for (name, value) in &head.headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// The frame's bytes as captured: its header and its payload's preview masked again with its
/// key, as they crossed the wire.
pub fn frame_bytes(frame: &FrameRecord) -> Vec<u8> {
    let mut bytes = unhex(&frame.header_hex).unwrap_or_default();
    let header = bytes.len();
    bytes.extend(unhex(&frame.payload_hex).unwrap_or_default());
    if let Some(key) = frame.mask_key {
        for (i, byte) in bytes[header..].iter_mut().enumerate() {
            *byte ^= key[i % 4];
        }
    }
    bytes
}

/// Appends a frame's segments at its offset in its direction.
fn write_frame(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    record: &CaptureRecord,
    frame: &FrameRecord,
) {
    let bytes = frame_bytes(frame);
    let header = (frame.header_hex.len() / 2) as u64;
    let direction = frame.direction;
    let (start, real) = frame_span(stream, frame);
    let (from, to) = match direction {
        Direction::ToServer => ("client", "server"),
        Direction::ToClient => ("server", "client"),
    };
    let mut comment = format!(
        "{}, {from} → {to}: {} frame (record {})",
        stream.name,
        frame.opcode.name(),
        record.seq
    );
    if let Some(mark) = frame.mark {
        comment.push_str(&format!("; {} by the user at wirebook's tap", mark.name()));
    }
    let (next, _) = stream.numbers(direction);
    if start != next {
        // The frames between are not in this file: left out of the export, or not in the
        // capture (`/session`'s own capture feed is never recorded; the ring evicts).
        comment.push_str(&format!(
            "; the {} bytes before it in this direction are not in this file",
            start.wrapping_sub(next)
        ));
    }
    if (bytes.len() as u64) < real {
        comment.push_str(&format!(
            "; the capture kept {} of its {} payload bytes",
            bytes.len() as u64 - header.min(bytes.len() as u64),
            frame.len
        ));
    }
    let segments = real.div_ceil(MAX_SEGMENT).max(1);
    if segments > MAX_SEGMENTS_PER_FRAME {
        comment.push_str(&format!(
            "; only its first {MAX_SEGMENTS_PER_FRAME} segments are written, the rest is a gap"
        ));
    }
    for i in 0..segments.min(MAX_SEGMENTS_PER_FRAME) {
        let from = i * MAX_SEGMENT;
        let len = (real - from).min(MAX_SEGMENT);
        // What was captured of this segment: maybe nothing, past a preview's end.
        let captured = bytes.len() as u64;
        let data = &bytes[from.min(captured) as usize..(from + len).min(captured) as usize];
        let comment = if segments == 1 {
            comment.clone()
        } else {
            format!("{comment}; segment {} of {segments}", i + 1)
        };
        stream
            .segment(direction, start.wrapping_add(from as u32), PSH | ACK)
            .carrying(data, len as u32)
            .write(out, record.time_us, &comment);
    }
    stream.advance(direction, start.wrapping_add(real as u32));
}

/// Where a frame starts in its direction's sequence numbers (its offset after the upgrade),
/// and its real length on the wire.
fn frame_span(stream: &Stream, frame: &FrameRecord) -> (u32, u64) {
    let base = match frame.direction {
        Direction::ToServer => stream.client_base,
        Direction::ToClient => stream.server_base,
    };
    let header = (frame.header_hex.len() / 2) as u64;
    (
        base.wrapping_add(frame.offset as u32),
        header.saturating_add(frame.len),
    )
}

/// Appends the closing: the server's FIN first (RFC 6455 §7.1.1), the client's, the last ACK.
fn close(stream: &Stream, out: &mut Vec<u8>, time_us: u64, reason: &str) {
    let name = &stream.name;
    let (client_fin, server_fin) = (stream.client_next, stream.server_next);
    let packets = [
        (
            stream.server,
            stream.client,
            server_fin,
            client_fin,
            format!("{name}, server → client: closed ({reason})"),
        ),
        (
            stream.client,
            stream.server,
            client_fin,
            server_fin.wrapping_add(1),
            format!("{name}, client → server"),
        ),
        (
            stream.server,
            stream.client,
            server_fin.wrapping_add(1),
            client_fin.wrapping_add(1),
            format!("{name}, server → client"),
        ),
    ];
    for (i, (from, to, seq, ack, comment)) in packets.into_iter().enumerate() {
        let flags = if i < 2 { FIN | ACK } else { ACK };
        Segment {
            from,
            to,
            seq,
            ack,
            flags,
            data: &[],
            len: 0,
        }
        .write(out, time_us, &comment);
    }
}

/// The IPv4 `IP:port` in an `Open` record's end: the whole text, or a word of it (`wirebook
/// (127.0.0.1:5)`, `127.0.0.1:443 (TLS)`).
fn ipv4_endpoint(text: &str) -> Option<SocketAddrV4> {
    text.split([' ', '(', ')'])
        .filter_map(|word| word.parse::<SocketAddrV4>().ok())
        .find(|address| address.port() != 0 && !address.ip().is_unspecified())
}

/// A client address and port for a connection whose own are not known: `10.a.b.c` (never
/// `10.0.x.x`, the server's) and a port from 49152, both from the connection id.
fn synthesised_client(conn: ConnId) -> SocketAddrV4 {
    let n = (conn % (255 << 16)) as u32;
    let ip = Ipv4Addr::new(10, 1 + (n >> 16) as u8, (n >> 8) as u8, n as u8);
    SocketAddrV4::new(ip, 49152 + (conn % 16384) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use wirebook_shared::wire::{encode_frame, minimal_upgrade, FrameSpec};
    use wirebook_shared::Opcode;

    use crate::capture::links::Links;
    use crate::capture::recorder::Recorder;
    use crate::capture::ring::Capture;
    use crate::capture::trace::Trace;

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    /// The blocks of a little-endian pcapng file as (type, body), checking each block's two
    /// lengths agree and are a multiple of 4.
    fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
        let mut blocks = Vec::new();
        let mut at = 0;
        while at < file.len() {
            let kind = u32_at(file, at);
            let total = u32_at(file, at + 4) as usize;
            assert_eq!(total % 4, 0, "block at {at} is {total} bytes");
            assert_eq!(
                u32_at(file, at + total - 4) as usize,
                total,
                "trailing length"
            );
            blocks.push((kind, &file[at + 8..at + total - 4]));
            at += total;
        }
        assert_eq!(at, file.len());
        blocks
    }

    /// A block's options from `at` in its body, as (code, value), up to opt_endofopt.
    fn options(body: &[u8], mut at: usize) -> Vec<(u16, Vec<u8>)> {
        let mut options = Vec::new();
        loop {
            let code = u16::from_le_bytes([body[at], body[at + 1]]);
            let len = usize::from(u16::from_le_bytes([body[at + 2], body[at + 3]]));
            if code == OPT_END {
                assert_eq!(len, 0);
                assert_eq!(at + 4, body.len(), "opt_endofopt ends the block");
                return options;
            }
            options.push((code, body[at + 4..at + 4 + len].to_vec()));
            at += 4 + len.next_multiple_of(4);
        }
    }

    /// An Enhanced Packet Block's parts.
    struct Packet {
        time_us: u64,
        data: Vec<u8>,
        original: u32,
        comment: String,
    }

    impl Packet {
        fn flags(&self) -> u8 {
            self.data[33]
        }
        fn seq(&self) -> u32 {
            u32::from_be_bytes(self.data[24..28].try_into().unwrap())
        }
        fn ack(&self) -> u32 {
            u32::from_be_bytes(self.data[28..32].try_into().unwrap())
        }
        fn ports(&self) -> (u16, u16) {
            let port = |at: usize| u16::from_be_bytes([self.data[at], self.data[at + 1]]);
            (port(20), port(22))
        }
        fn payload(&self) -> &[u8] {
            &self.data[HEADERS..]
        }
        /// The TCP payload's real length, from the IPv4 total length.
        fn len(&self) -> u32 {
            u32::from(u16::from_be_bytes([self.data[2], self.data[3]])) - HEADERS as u32
        }
    }

    fn packets(file: &[u8]) -> Vec<Packet> {
        blocks(file)
            .into_iter()
            .filter(|(kind, _)| *kind == ENHANCED_PACKET)
            .map(|(_, body)| {
                assert_eq!(u32_at(body, 0), 0, "interface 0");
                let time_us = (u64::from(u32_at(body, 4)) << 32) | u64::from(u32_at(body, 8));
                let captured = u32_at(body, 12) as usize;
                let original = u32_at(body, 16);
                let data = body[20..20 + captured].to_vec();
                let comment = options(body, 20 + captured.next_multiple_of(4))
                    .into_iter()
                    .find(|(code, _)| *code == OPT_COMMENT)
                    .map(|(_, v)| String::from_utf8(v).unwrap())
                    .unwrap_or_default();
                Packet {
                    time_us,
                    data,
                    original,
                    comment,
                }
            })
            .collect()
    }

    #[test]
    fn the_header_is_a_little_endian_section_with_one_microsecond_ipv4_interface() {
        let header = file_header();
        let blocks = blocks(&header);
        assert_eq!(blocks.len(), 2);
        let (kind, shb) = blocks[0];
        assert_eq!(kind, SECTION_HEADER);
        // The byte-order magic as a little-endian writer puts it, then version 1.0.
        assert_eq!(&shb[..4], &[0x4d, 0x3c, 0x2b, 0x1a]);
        assert_eq!(&shb[4..8], &[1, 0, 0, 0]);
        assert_eq!(&shb[8..16], &[0xff; 8], "section length not given");
        let shb_options = options(shb, 16);
        assert!(String::from_utf8_lossy(&shb_options[0].1).contains("ZeroMQ are left out"));
        assert_eq!(shb_options[1].0, SHB_USERAPPL);
        let (kind, idb) = blocks[1];
        assert_eq!(kind, INTERFACE_DESCRIPTION);
        assert_eq!(u16::from_le_bytes([idb[0], idb[1]]), LINKTYPE_IPV4);
        let idb_options = options(idb, 8);
        assert!(idb_options.contains(&(IF_TSRESOL, vec![6])));
    }

    #[test]
    fn packets_are_padded_to_32_bits_with_their_comment_and_both_lengths() {
        for (len, comment) in [(0, ""), (1, "a"), (3, "abcde"), (4, "é"), (5, "abcd")] {
            let data: Vec<u8> = (0..len).collect();
            let mut out = Vec::new();
            enhanced_packet(&mut out, 0x1_0000_0002, &data, 1000, comment);
            let padded = usize::from(len).next_multiple_of(4);
            let comment_padded = if comment.is_empty() {
                4
            } else {
                4 + comment.len().next_multiple_of(4)
            };
            assert_eq!(out.len(), 12 + 20 + padded + comment_padded + 4);
            let packet = &packets(&out)[0];
            assert_eq!(packet.time_us, 0x1_0000_0002);
            assert_eq!(packet.data, data);
            assert_eq!(packet.original, 1000);
            assert_eq!(packet.comment, comment);
        }
        // A long comment is cut at a character boundary.
        let mut out = Vec::new();
        enhanced_packet(&mut out, 0, &[], 0, &"é".repeat(MAX_COMMENT));
        assert_eq!(packets(&out)[0].comment, "é".repeat(MAX_COMMENT / 2));
    }

    #[test]
    fn segments_carry_true_checksums_and_the_real_length() {
        let from = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 50123);
        let to = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 80);
        let segment = |data, len| Segment {
            from,
            to,
            seq: 7,
            ack: 9,
            flags: PSH | ACK,
            data,
            len,
        };
        let (packet, original) = segment(b"hai", 3).packet();
        assert_eq!((packet.len(), original), (43, 43));
        // A header with its checksum sums to 0 (RFC 1071).
        assert_eq!(checksum(0, &packet[..20]), 0);
        let mut pseudo = Vec::new();
        pseudo.extend(from.ip().octets());
        pseudo.extend(to.ip().octets());
        pseudo.extend([0, 6, 0, 23]);
        assert_eq!(checksum(sum_words(0, &pseudo), &packet[20..]), 0);
        // Cut: the IP length is the real one, the checksum unknown.
        let (packet, original) = segment(b"ha", 1000).packet();
        assert_eq!((packet.len(), original), (42, 1040));
        assert_eq!(u16::from_be_bytes([packet[2], packet[3]]), 1040);
        assert_eq!(&packet[36..38], &[0, 0]);
    }

    #[test]
    fn addresses_come_from_the_open_record_or_are_synthesised() {
        let at = |text: &str| ipv4_endpoint(text).map(|a| a.to_string());
        assert_eq!(at("127.0.0.1:5").as_deref(), Some("127.0.0.1:5"));
        assert_eq!(
            at("wirebook (10.1.2.3:8977)").as_deref(),
            Some("10.1.2.3:8977")
        );
        assert_eq!(at("127.0.0.1:443 (TLS)").as_deref(), Some("127.0.0.1:443"));
        assert_eq!(at("wirebook"), None);
        assert_eq!(at("[::1]:5"), None);
        assert_eq!(at("0.0.0.0:5"), None);
        assert_eq!(synthesised_client(1).to_string(), "10.1.0.1:49153");
        assert_eq!(synthesised_client(0x1_0203).to_string(), "10.2.2.3:49667");
        assert_ne!(*synthesised_client(255 << 16).ip(), SYNTHESISED_SERVER);
    }

    /// A capture of one client connection to `/echo` (ours is the server side): the upgrade,
    /// then `frames` from the client, then its end; with `preview`-byte previews.
    fn echo_capture(preview: usize, client: &str, frames: &[Vec<u8>]) -> Arc<Capture> {
        let capture = Arc::new(Capture::new(100_000, preview));
        let recorder = Recorder::open(
            &capture,
            Hop::Endpoint,
            client.into(),
            "wirebook".into(),
            "/echo".into(),
        );
        let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
        let mut trace = Trace::new(
            recorder.clone(),
            Arc::new(Links::default()),
            Direction::ToClient,
        );
        trace.feed(Direction::ToServer, request.as_bytes());
        trace.feed(Direction::ToClient, response.as_bytes());
        for frame in frames {
            trace.feed(Direction::ToServer, frame);
        }
        trace.end();
        drop(trace);
        drop(recorder);
        capture
    }

    fn export(capture: &Capture) -> Vec<u8> {
        let mut file = file_header();
        file.extend(PcapngWriter::new().write(&capture.snapshot(), |_| true));
        file
    }

    #[test]
    fn a_connection_is_a_tcp_stream_of_its_upgrade_and_frames_as_they_crossed() {
        let key = [1, 2, 3, 4];
        let hai = encode_frame(&FrameSpec::new(Opcode::Text).masked(key), b"hai");
        let long: Vec<u8> = (0..300).map(|i| b'a' + (i % 26) as u8).collect();
        let cut = encode_frame(&FrameSpec::new(Opcode::Binary).masked(key), &long);
        let bye = encode_frame(&FrameSpec::new(Opcode::Close).masked(key), &[3, 232]);
        let capture = echo_capture(128, "127.0.0.1:50123", &[hai.clone(), cut.clone(), bye]);
        let records = capture.snapshot();
        let packets = packets(&export(&capture));
        let flags: Vec<u8> = packets.iter().map(Packet::flags).collect();
        assert_eq!(
            flags,
            [
                SYN,
                SYN | ACK,
                ACK,
                PSH | ACK,
                PSH | ACK,
                PSH | ACK,
                PSH | ACK,
                PSH | ACK,
                FIN | ACK,
                FIN | ACK,
                ACK
            ]
        );
        let (syn, upgrade, response) = (&packets[0], &packets[3], &packets[4]);
        assert_eq!(syn.ports(), (50123, 80));
        assert_eq!(&syn.data[12..16], &[127, 0, 0, 1]);
        assert_eq!(&syn.data[16..20], &SYNTHESISED_SERVER.octets());
        assert!(syn.comment.contains("conn 1, hop endpoint: opened (client 127.0.0.1:50123, server wirebook, target /echo)"), "{}", syn.comment);
        assert_eq!(syn.time_us, records[0].time_us);
        // The three-way handshake's numbers.
        assert_eq!(packets[1].ack(), syn.seq().wrapping_add(1));
        assert_eq!(packets[2].seq(), syn.seq().wrapping_add(1));
        assert_eq!(packets[2].ack(), packets[1].seq().wrapping_add(1));
        assert!(upgrade.payload().starts_with(b"GET / HTTP/1.1\r\n"));
        assert!(upgrade.payload().ends_with(b"\r\n\r\n"));
        assert!(response.payload().starts_with(b"HTTP/1.1 101 "));
        assert_eq!(response.ports(), (80, 50123));
        assert!(upgrade
            .comment
            .contains("client → server: the upgrade request"));
        // Frames follow the upgrade, bytes as sent (masked again).
        let first = &packets[5];
        assert_eq!(first.seq(), upgrade.seq().wrapping_add(upgrade.len()));
        assert_eq!(first.payload(), &hai[..]);
        assert_eq!(first.ack(), response.seq().wrapping_add(response.len()));
        assert!(
            first
                .comment
                .contains("client → server: text frame (record"),
            "{}",
            first.comment
        );
        // The cut one: captured to the preview, its real length in IP and in the EPB.
        let second = &packets[6];
        assert_eq!(second.seq(), first.seq().wrapping_add(hai.len() as u32));
        assert_eq!(second.len(), cut.len() as u32);
        assert_eq!(second.original, HEADERS as u32 + cut.len() as u32);
        assert_eq!(
            second.payload(),
            &cut[..8 + 128],
            "the 8-byte header (16-bit length, mask key) and the 128-byte preview"
        );
        assert!(
            second.comment.contains("kept 128 of its 300 payload bytes"),
            "{}",
            second.comment
        );
        // Sequence numbers advance by the real length.
        let close = &packets[7];
        assert!(
            !close.comment.contains("not in this file"),
            "{}",
            close.comment
        );
        assert_eq!(close.seq(), second.seq().wrapping_add(cut.len() as u32));
        // The server closes first; each FIN takes one sequence number.
        let client_end = close.seq().wrapping_add(close.len());
        let (server_fin, client_fin, last) = (&packets[8], &packets[9], &packets[10]);
        assert_eq!(server_fin.ports(), (80, 50123));
        assert_eq!(server_fin.ack(), client_end);
        assert_eq!(client_fin.seq(), client_end);
        assert_eq!(client_fin.ack(), server_fin.seq().wrapping_add(1));
        assert_eq!(last.seq(), server_fin.seq().wrapping_add(1));
        assert_eq!(last.ack(), client_end.wrapping_add(1));
        assert!(
            server_fin.comment.contains("closed"),
            "{}",
            server_fin.comment
        );
    }

    #[test]
    fn a_frame_not_in_the_capture_leaves_a_gap_of_its_length() {
        let key = [1, 2, 3, 4];
        let frames: Vec<Vec<u8>> = ["one", "two!", "three"]
            .iter()
            .map(|t| encode_frame(&FrameSpec::new(Opcode::Text).masked(key), t.as_bytes()))
            .collect();
        let capture = echo_capture(128, "127.0.0.1:1000", &frames);
        let whole = packets(&export(&capture));
        let mut records = capture.snapshot();
        // The middle frame, as if evicted.
        let two = records
            .iter()
            .position(|r| matches!(&r.body, CaptureBody::Frame(f) if f.payload_hex == "74776f21"))
            .unwrap();
        records.remove(two);
        let mut file = file_header();
        file.extend(PcapngWriter::new().write(&records, |_| true));
        let gapped = packets(&file);
        assert_eq!(gapped.len(), whole.len() - 1);
        let three = whole
            .iter()
            .position(|p| p.comment.contains("text frame") && p.payload().len() == 11)
            .unwrap();
        assert_eq!(
            gapped[three - 1].seq(),
            whole[three].seq(),
            "the third frame stays where it was"
        );
        assert!(
            gapped[three - 1].comment.ends_with(&format!(
                "the {} bytes before it in this direction are not in this file",
                frames[1].len()
            )),
            "{}",
            gapped[three - 1].comment
        );
    }

    #[test]
    fn a_frame_kept_alone_comes_with_its_connection_around_it() {
        let key = [1, 2, 3, 4];
        let frames: Vec<Vec<u8>> = ["one", "two!", "three"]
            .iter()
            .map(|t| encode_frame(&FrameSpec::new(Opcode::Text).masked(key), t.as_bytes()))
            .collect();
        let capture = echo_capture(128, "127.0.0.1:1000", &frames);
        let records = capture.snapshot();
        let whole = packets(&export(&capture));
        let two = records
            .iter()
            .find(|r| matches!(&r.body, CaptureBody::Frame(f) if f.payload_hex == "74776f21"))
            .unwrap()
            .seq;
        let mut file = file_header();
        file.extend(PcapngWriter::new().write(&records, |r| r.seq == two));
        let kept = packets(&file);
        let flags: Vec<u8> = kept.iter().map(Packet::flags).collect();
        let data = PSH | ACK;
        assert_eq!(
            flags,
            [
                SYN,
                SYN | ACK,
                ACK,
                data,
                data,
                data,
                FIN | ACK,
                FIN | ACK,
                ACK
            ]
        );
        assert!(kept[3].payload().starts_with(b"GET / HTTP/1.1"));
        assert_eq!(kept[5].payload(), &frames[1][..]);
        assert_eq!(kept[5].seq(), whole[6].seq());
        assert!(
            kept[5].comment.ends_with(&format!(
                "the {} bytes before it in this direction are not in this file",
                frames[0].len()
            )),
            "{}",
            kept[5].comment
        );
        // The FINs come after the frames left out: their sequence numbers are the whole
        // stream's.
        assert_eq!(kept[7].seq(), whole[whole.len() - 2].seq());
        // A connection with no record kept is not in the file.
        assert!(PcapngWriter::new().write(&records, |_| false).is_empty());
    }

    #[test]
    fn a_frame_longer_than_a_packet_takes_several_segments() {
        let key = [9, 8, 7, 6];
        let big = vec![b'x'; 100_000];
        let frame = encode_frame(&FrameSpec::new(Opcode::Binary).masked(key), &big);
        let capture = echo_capture(200_000, "wirebook", std::slice::from_ref(&frame));
        let written = packets(&export(&capture));
        let segments: Vec<&Packet> = written
            .iter()
            .filter(|p| p.comment.contains("segment"))
            .collect();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].len(), MAX_SEGMENT as u32);
        assert_eq!(
            segments[1].seq(),
            segments[0].seq().wrapping_add(MAX_SEGMENT as u32)
        );
        let whole = [segments[0].payload(), segments[1].payload()].concat();
        assert_eq!(whole, frame);
        // No address in the Open record: synthesised ones.
        assert_eq!(&written[0].data[12..16], &[10, 1, 0, 1]);

        // Kept only to a preview: the second segment has no byte captured, its real length.
        let capture = echo_capture(128, "wirebook", std::slice::from_ref(&frame));
        let previewed = packets(&export(&capture));
        let segments: Vec<&Packet> = previewed
            .iter()
            .filter(|p| p.comment.contains("segment"))
            .collect();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].payload(), &frame[..14 + 128]);
        assert!(segments[1].payload().is_empty());
        assert_eq!(
            segments[1].original,
            (HEADERS + frame.len()) as u32 - MAX_SEGMENT as u32
        );
        assert!(segments[0]
            .comment
            .contains("kept 128 of its 100000 payload bytes"));

        // A header that announces more than it could ever carry: a bounded number of segments.
        let mut huge = frame.clone();
        huge[2..10].copy_from_slice(&(1u64 << 40).to_be_bytes());
        let mut record = capture
            .snapshot()
            .into_iter()
            .find(|r| matches!(r.body, CaptureBody::Frame(_)))
            .unwrap();
        if let CaptureBody::Frame(f) = &mut record.body {
            f.len = 1 << 40;
            f.header_hex = wirebook_shared::hex::hex(&huge[..14]);
        }
        let mut records = capture.snapshot();
        let at = records.iter().position(|r| r.seq == record.seq).unwrap();
        records[at] = record;
        let bounded = packets(&PcapngWriter::new().write(&records, |_| true));
        let written = bounded
            .iter()
            .filter(|p| p.comment.contains("segment"))
            .count();
        assert_eq!(written as u64, MAX_SEGMENTS_PER_FRAME);
        assert!(bounded
            .iter()
            .any(|p| p.comment.contains("the rest is a gap")));
    }

    #[test]
    fn two_records_of_one_tcp_connection_get_two_streams() {
        let capture = Arc::new(Capture::new(1000, 64));
        let ends = ("wirebook (127.0.0.1:40000)", "127.0.0.1:8977");
        // Kept open: a recorder dropped records `Closed`.
        let mut open = Vec::new();
        for hop in [Hop::Kernel, Hop::Endpoint] {
            let recorder =
                Recorder::open(&capture, hop, ends.0.into(), ends.1.into(), "/echo".into());
            let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
            let mut trace = Trace::new(
                recorder.clone(),
                Arc::new(Links::default()),
                Direction::ToServer,
            );
            trace.feed(Direction::ToServer, request.as_bytes());
            trace.feed(Direction::ToClient, response.as_bytes());
            open.push((recorder, trace));
        }
        let packets = packets(&export(&capture));
        let syns: Vec<&Packet> = packets.iter().filter(|p| p.flags() == SYN).collect();
        assert_eq!(syns.len(), 2);
        assert_eq!(syns[0].ports(), (40000, 80));
        assert_eq!(&syns[0].data[12..20], &[127, 0, 0, 1, 127, 0, 0, 1]);
        assert_eq!(syns[1].ports(), (synthesised_client(2).port(), 80));
        // Not closed: no FIN.
        assert!(packets.iter().all(|p| p.flags() & FIN == 0));
    }

    /// Records no trace would make (any lengths, offsets, bad hex, records out of order):
    /// the writer never panics, and every block it writes is well formed.
    #[test]
    fn any_records_make_well_formed_blocks() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let hexes = [
            "",
            "8",
            "zz",
            "81",
            "8183",
            "827e0100",
            "82ff00000000000000ff01020304",
        ];
        for _ in 0..200 {
            let mut records = Vec::new();
            for seq in 0..40 {
                let conn = next() % 4;
                let body = match next() % 5 {
                    0 => CaptureBody::Open {
                        client: ["127.0.0.1:1", "wirebook (10.0.0.1:80)", "x", "[::1]:5"]
                            [(next() % 4) as usize]
                            .into(),
                        server: ["wirebook", "127.0.0.1:8977", "1.2.3.4:0"][(next() % 3) as usize]
                            .into(),
                        target: "/".into(),
                    },
                    1 => {
                        let (request, response) = (
                            HttpHeadRecord {
                                start_line: "GET / HTTP/1.1".into(),
                                headers: vec![("Upgrade".into(), "websocket".into())],
                            },
                            HttpHeadRecord {
                                start_line: "HTTP/1.1 101 Switching Protocols".into(),
                                headers: vec![],
                            },
                        );
                        CaptureBody::Handshake(Box::new(HandshakeRecord {
                            request,
                            response: (next() % 2 == 0).then_some(response),
                            accept_ok: None,
                            protocol: None,
                            extensions: vec![],
                            findings: vec![],
                        }))
                    }
                    2 | 3 => {
                        let payload: Vec<u8> = (0..next() % 300).map(|_| next() as u8).collect();
                        CaptureBody::Frame(Box::new(FrameRecord {
                            direction: if next() % 2 == 0 {
                                Direction::ToServer
                            } else {
                                Direction::ToClient
                            },
                            offset: next(),
                            fin: true,
                            rsv1: false,
                            rsv2: false,
                            rsv3: false,
                            opcode: Opcode::from_u8((next() % 16) as u8),
                            mask_key: (next() % 2 == 0).then_some([1, 2, 3, 4]),
                            len: [next(), next() % 200_000, payload.len() as u64, 0]
                                [(next() % 4) as usize],
                            length_form: "7-bit".into(),
                            header_hex: hexes[(next() % hexes.len() as u64) as usize].into(),
                            payload_hex: wirebook_shared::hex::hex(&payload),
                            truncated: false,
                            findings: vec![],
                            message: None,
                            caused_by: None,
                            mark: None,
                        }))
                    }
                    _ => CaptureBody::Closed {
                        code: None,
                        reason: "gone".into(),
                    },
                };
                records.push(CaptureRecord {
                    seq,
                    conn,
                    hop: Hop::Tap,
                    time_us: next() % (1 << 53),
                    body,
                });
            }
            let keep = next();
            let out = PcapngWriter::new().write(&records, |r| (keep >> (r.seq % 64)) & 1 == 1);
            for (kind, body) in blocks(&out) {
                assert_eq!(kind, ENHANCED_PACKET);
                let captured = u32_at(body, 12) as usize;
                assert!(captured as u32 <= u32_at(body, 16), "captured ≤ original");
                assert!(captured <= HEADERS + MAX_SEGMENT as usize);
                options(body, 20 + captured.next_multiple_of(4));
            }
        }
    }

    #[test]
    fn kernels_over_zeromq_and_heartbeats_are_left_out() {
        let capture = Arc::new(Capture::new(1000, 64));
        let recorder = Recorder::open(
            &capture,
            Hop::Kernel,
            "wirebook".into(),
            "Python 3 (pid 7)".into(),
            "tcp://127.0.0.1 shell=1".into(),
        );
        capture.record(
            recorder.conn(),
            Hop::Kernel,
            CaptureBody::Heartbeat {
                ok: true,
                rtt_us: Some(5),
            },
        );
        drop(recorder);
        let records = capture.snapshot();
        assert!(records.len() >= 3, "open, heartbeat, closed: {records:?}");
        assert!(PcapngWriter::new().write(&records, |_| true).is_empty());
    }
}
