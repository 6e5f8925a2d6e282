use proptest::prelude::*;

use super::*;
use crate::capture::{
    CaptureBody, CaptureRecord, CloseSummary, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord, Opcode,
};
use crate::jupyter::{Channel, KernelMessageRecord, SignatureCheck, WireFormat, WireParts};

pub(crate) fn frame(
    seq: u64,
    hop: Hop,
    direction: Direction,
    opcode: Opcode,
    text: &str,
) -> CaptureRecord {
    let close = (opcode == Opcode::Close).then(|| CloseSummary {
        code: Some(1001),
        reason: text.to_string(),
        name: "Going Away".into(),
        meaning: "".into(),
    });
    let mut frame = FrameRecord::message(direction, opcode, text.as_bytes());
    frame.mask_key = (direction == Direction::ToServer).then_some([1, 2, 3, 4]);
    frame.header_hex = "8100".into();
    if let Some(message) = &mut frame.message {
        // A close's preview is its reason, as text.
        message.preview = text.to_string();
        message.close = close;
    }
    CaptureRecord {
        seq,
        conn: seq % 3 + 1,
        hop,
        time_us: 1_000 + seq,
        body: CaptureBody::Frame(Box::new(frame)),
    }
}

fn text(seq: u64, text: &str) -> CaptureRecord {
    frame(seq, Hop::Browser, Direction::ToServer, Opcode::Text, text)
}

fn kernel(seq: u64, channel: Channel, msg_type: &str, content: &str) -> CaptureRecord {
    CaptureRecord {
        seq,
        conn: 9,
        hop: Hop::Kernel,
        time_us: 1_000 + seq,
        body: CaptureBody::KernelMessage(Box::new(KernelMessageRecord {
            channel,
            direction: Direction::ToClient,
            msg_type: msg_type.into(),
            msg_id: format!("id{seq}"),
            parent_msg_id: Some("req".into()),
            size: 100 + content.len() as u64,
            parts: WireParts {
                format: WireFormat::Zmq,
                identities: Vec::new(),
                signature: String::new(),
                signature_check: SignatureCheck::Verified,
                offsets: Vec::new(),
                header: format!(r#"{{"msg_type":"{msg_type}"}}"#),
                parent_header: "{}".into(),
                metadata: "{}".into(),
                content: content.into(),
                content_len: content.len() as u64,
                content_truncated: false,
                buffers: Vec::new(),
            },
            findings: Vec::new(),
            caused_by: Some(2),
        })),
    }
}

fn beat(seq: u64, ok: bool) -> CaptureRecord {
    CaptureRecord {
        seq,
        conn: 9,
        hop: Hop::Kernel,
        time_us: 0,
        body: CaptureBody::Heartbeat {
            ok,
            rtt_us: ok.then_some(420),
        },
    }
}

pub(crate) fn sample() -> Vec<CaptureRecord> {
    let mut unmasked = text(5, "x");
    if let CaptureBody::Frame(f) = &mut unmasked.body {
        f.findings.push("client frame is not masked".into());
        f.mask_key = None;
    }
    let mut fragment = text(6, "frag");
    if let CaptureBody::Frame(f) = &mut fragment.body {
        f.fin = false;
        f.rsv1 = true;
        f.message = None;
        f.len = 2000;
        f.truncated = true;
    }
    vec![
        CaptureRecord {
            seq: 1,
            conn: 1,
            hop: Hop::Browser,
            time_us: 0,
            body: CaptureBody::Open {
                client: "127.0.0.1:5000".into(),
                server: "wirebook".into(),
                target: "/session".into(),
            },
        },
        CaptureRecord {
            seq: 2,
            conn: 1,
            hop: Hop::Browser,
            time_us: 0,
            body: CaptureBody::Handshake(Box::new(HandshakeRecord {
                request: HttpHeadRecord {
                    start_line: "GET /session HTTP/1.1".into(),
                    headers: vec![("Sec-WebSocket-Protocol".into(), "graphql-ws".into())],
                },
                response: None,
                accept_ok: None,
                protocol: Some("graphql-ws".into()),
                extensions: Vec::new(),
                findings: Vec::new(),
            })),
        },
        text(
            3,
            r#"{"type":"subscribe","id":7,"payload":{"tags":["a","b"]},"ok":true}"#,
        ),
        frame(
            4,
            Hop::Kernel,
            Direction::ToClient,
            Opcode::Close,
            "server error",
        ),
        unmasked,
        fragment,
        kernel(
            7,
            Channel::Shell,
            "execute_reply",
            r#"{"status":"error","execution_count":3}"#,
        ),
        kernel(8, Channel::Iopub, "status", r#"{"execution_state":"idle"}"#),
        beat(9, true),
        beat(10, false),
        CaptureRecord {
            seq: 11,
            conn: 1,
            hop: Hop::Browser,
            time_us: 0,
            body: CaptureBody::Closed {
                code: Some(1006),
                reason: "the peer went away".into(),
            },
        },
        frame(12, Hop::Browser, Direction::ToClient, Opcode::Binary, "bin"),
    ]
}

/// The `seq`s of the sample records an expression lets through.
fn pick(expr: &str) -> Vec<u64> {
    let filter = DisplayFilter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    sample()
        .iter()
        .filter(|r| filter.matches(r))
        .map(|r| r.seq)
        .collect()
}

fn error(expr: &str) -> (String, usize, usize) {
    let e = DisplayFilter::parse(expr).expect_err(expr);
    (e.message, e.offset, e.column)
}

#[test]
fn every_field_reads_its_records() {
    let all: Vec<u64> = (1..=12).collect();
    assert_eq!(pick("seq"), all);
    assert_eq!(pick("seq >= 11"), vec![11, 12]);
    assert_eq!(pick("conn == 1 && event == frame"), vec![3, 6, 12]);
    assert_eq!(pick("hop == kernel"), vec![4, 7, 8, 9, 10]);
    assert_eq!(pick("event == heartbeat"), vec![9, 10]);
    assert_eq!(pick("time > 1000 && time < 1005"), vec![3, 4]);
    assert_eq!(pick("dir == to_client"), vec![4, 7, 8, 12]);
    assert_eq!(pick("opcode == close"), vec![4]);
    assert_eq!(pick("opcode == 2"), vec![12]);
    assert_eq!(pick("opcode == 0x1"), vec![3, 5, 6]);
    assert_eq!(pick("opcode != text"), vec![4, 12]);
    assert_eq!(pick("event == frame && !fin"), vec![6]);
    assert_eq!(pick("rsv1"), vec![6]);
    assert_eq!(pick("rsv2 || rsv3"), Vec::<u64>::new());
    assert_eq!(pick("masked"), vec![3, 6]);
    assert_eq!(pick("masked == false"), vec![4, 5, 12]);
    assert_eq!(pick("len > 1024"), vec![6]);
    assert_eq!(pick("len > 100 && event == kernel_message"), vec![7, 8]);
    assert_eq!(pick("truncated"), vec![6]);
    assert_eq!(
        pick("compressed == false && frames == 1"),
        vec![3, 4, 5, 12]
    );
    assert_eq!(
        pick("close.code == 1001 || close.code == 1006"),
        vec![4, 11]
    );
    assert_eq!(pick("close.reason contains \"AWAY\""), vec![11]);
    assert_eq!(pick("text contains \"ERROR\""), vec![4, 7]);
    assert_eq!(pick("text ~ \"^server\""), vec![4]);
    assert_eq!(pick("text contains \"graphql\""), vec![2]);
    assert_eq!(pick("text contains \"FRAG\""), vec![6]);
    assert_eq!(pick("text contains \"missed\""), vec![10]);
    assert_eq!(pick("finding"), vec![5, 10]);
    assert_eq!(pick("channel == iopub || channel == hb"), vec![8, 9, 10]);
    assert_eq!(
        pick("msg_type == \"execute_reply\" && channel == shell"),
        vec![7]
    );
    assert_eq!(pick("msg_id == id8"), vec![8]);
    assert_eq!(pick("parent == req"), vec![7, 8]);
    assert_eq!(pick("caused_by == 2"), vec![7, 8]);
    assert_eq!(pick("protocol == \"graphql-ws\""), vec![2]);
    assert_eq!(pick("target == \"/session\""), vec![1]);
    assert_eq!(pick("rtt < 1000"), vec![9]);
    // Every field in the catalogue parses alone.
    for (name, ..) in FIELDS {
        DisplayFilter::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn json_paths_reach_into_text_payloads_and_kernel_content() {
    assert_eq!(pick("json.type == \"subscribe\""), vec![3]);
    assert_eq!(pick("json.type == subscribe"), vec![3]);
    assert_eq!(pick("json.id == 7 && json.id > 6.5"), vec![3]);
    assert_eq!(pick("json.payload.tags.1 == b"), vec![3]);
    assert_eq!(pick("json.payload.tags"), vec![3]);
    assert_eq!(pick("json.ok == true"), vec![3]);
    assert_eq!(pick("json.status == error"), vec![7]);
    assert_eq!(pick("json.execution_count >= 3"), vec![7]);
    assert_eq!(pick("json.type contains SUB"), vec![3]);
    assert_eq!(pick("!json.type"), vec![1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(pick("json.missing.deeper"), Vec::<u64>::new());
}

#[test]
fn precedence_is_not_then_and_then_or() {
    // && binds tighter than ||: 4 || (7 && 8) = {4}.
    assert_eq!(pick("seq == 4 || seq == 7 && seq == 8"), vec![4]);
    assert_eq!(pick("(seq == 4 || seq == 7) && seq < 5"), vec![4]);
    // ! binds tighter than &&.
    assert_eq!(pick("!fin && event == frame"), vec![6]);
    assert_eq!(pick("not (seq > 2) and seq != 1"), vec![2]);
    assert_eq!(pick("!!finding"), vec![5, 10]);
    assert_eq!(pick("seq eq 3 or seq ge 12"), vec![3, 12]);
    assert_eq!(pick("text matches \"bin\""), vec![12]);
    assert_eq!(pick("  ( ( seq == 1 ) )  "), vec![1]);
}

#[test]
fn syntax_errors_say_what_and_where() {
    assert_eq!(
        error("hop = kernel"),
        ("'=' is not an operator; compare with '=='".into(), 4, 5)
    );
    assert_eq!(error("fin & rsv1").1, 4);
    assert!(error("fin | rsv1").0.contains("'||'"));
    assert_eq!(error("len >"), ("expected a value after '>'".into(), 5, 6));
    assert_eq!(
        error("len > )"),
        ("expected a value after '>', found ')'".into(), 6, 7)
    );
    assert_eq!(
        error("(fin || rsv1"),
        ("expected ')' to close the '(' at column 1".into(), 12, 13)
    );
    assert_eq!(error("fin)").0, "this ')' closes no '('");
    assert_eq!(
        error("fin rsv1"),
        (
            "'rsv1' after a complete expression; join tests with && or ||".into(),
            4,
            5
        )
    );
    assert_eq!(
        error("fin &&").0,
        "the expression ends where a test was expected"
    );
    assert_eq!(error("&& fin").0, "expected a field name, found '&&'");
    assert_eq!(error("").0, "the expression is empty");
    assert_eq!(error("   ").1, 0);
    assert_eq!(
        error("text contains \"abc"),
        ("this string has no closing '\"'".into(), 14, 15)
    );
    assert_eq!(error(r#"text contains "a\qb""#).1, 16);
    assert!(error("\"x\"").0.contains("needs a field"));
    assert_eq!(error("fin # x").0, "'#' is not part of a filter expression");
    // Columns count characters, offsets bytes.
    assert_eq!(
        error("text contains \"héllo\" @"),
        ("'@' is not part of a filter expression".into(), 23, 23)
    );
}

#[test]
fn field_errors_say_what_and_where_with_a_suggestion() {
    assert_eq!(
        error("hopp == kernel"),
        ("unknown field 'hopp'; did you mean 'hop'?".into(), 0, 1)
    );
    assert_eq!(
        error("fin && msgtype == x").0,
        "unknown field 'msgtype'; did you mean 'msg_type'?"
    );
    assert_eq!(error("zzzz").0, "unknown field 'zzzz'");
    assert_eq!(
        error("json == 1").0,
        "unknown field 'json'; a JSON path is json.key, e.g. json.type"
    );
    assert!(error("json..a").0.contains("empty step"));
    assert_eq!(
        error("hop == kernal"),
        (
            "hop is one of browser, kernel, endpoint, tap, upstream; not 'kernal' (did you mean 'kernel'?)"
                .into(),
            7,
            8
        )
    );
    assert!(error("opcode == 16")
        .0
        .starts_with("opcode is 0–15 or one of"));
    assert!(error("opcode == clos").0.contains("did you mean 'close'?"));
    assert_eq!(
        error("len > big"),
        ("len is a number; 'big' is not one".into(), 6, 7)
    );
    assert_eq!(error("fin == maybe").0, "fin is true or false; not 'maybe'");
    // A lens's names: typos, kinds.
    assert_eq!(
        error("socketio.evnt == x").0,
        "unknown field 'socketio.evnt'; did you mean 'socketio.event'?"
    );
    assert_eq!(
        error("mqtt ~ \"x\"").0,
        "'~' compares text; mqtt is true or false"
    );
    assert_eq!(
        error("latency > soon").0,
        "latency is a number; 'soon' is not one"
    );
    assert_eq!(error("mqtt.qos > 1x").0, "'1x' is not a number");
    assert_eq!(
        error("len ~ \"1\""),
        ("'~' compares text; len is a number".into(), 4, 5)
    );
    assert_eq!(
        error("hop > kernel"),
        ("hop can only be compared with == or !=".into(), 4, 5)
    );
    let (message, offset, _) = error("text ~ \"(\"");
    assert!(
        message.starts_with("invalid regular expression: "),
        "{message}"
    );
    assert_eq!(offset, 7);
    // A JSON value is compared as what the literal looks like: a word is text.
    assert!(DisplayFilter::parse("json.a > abc").is_ok());
}

#[test]
fn sizes_from_a_peer_are_bounded() {
    let long = format!("text contains \"{}\"", "x".repeat(MAX_EXPR_LEN));
    assert!(error(&long)
        .0
        .starts_with("the expression is 4112 bytes long"));
    let deep = format!(
        "{}fin{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(error(&deep).0.starts_with("nested too deeply"));
    let nots = format!("{}fin", "!".repeat(MAX_DEPTH + 1));
    assert!(error(&nots).0.starts_with("nested too deeply"));
    // Just inside the limit parses.
    let ok = format!(
        "{}fin{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(DisplayFilter::parse(&ok).is_ok());
    let many = vec!["text ~ \"a\""; MAX_PATTERNS + 1].join(" || ");
    let (message, offset, _) = error(&many);
    assert_eq!(
        message,
        format!("at most {MAX_PATTERNS} patterns (~) in one expression")
    );
    assert_eq!(offset, many.rfind('~').unwrap());
    let huge = error("text ~ \"(a{1000}){1000}\"");
    assert!(
        huge.0.starts_with("invalid regular expression"),
        "{}",
        huge.0
    );
}

#[test]
fn completion_offers_fields_and_names_with_descriptions() {
    let names = |c: Completion| c.suggestions.iter().map(|s| s.text).collect::<Vec<_>>();
    let c = complete("ms", 2);
    assert_eq!((c.start, c.end), (0, 2));
    assert_eq!(names(c.clone()), vec!["msg_type", "msg_id"]);
    assert!(c.suggestions[0].description.contains("Jupyter"));
    // The word the cursor is in, after an operator.
    let c = complete("fin && rs", 9);
    assert_eq!((c.start, names(c)), (7, vec!["rsv1", "rsv2", "rsv3"]));
    let c = complete("fin && (clo", 11);
    assert_eq!(names(c), vec!["close.code", "close.reason"]);
    // An empty word offers every field, and json.
    // With the protocols' names and latency; a protocol's fields come when it is typed.
    let every = FIELDS.len() + crate::lens::PROTOCOL_FIELDS.len() + 2;
    let c = complete("", 0);
    assert_eq!(c.suggestions.len(), every);
    assert_eq!(
        names(complete("mqtt.t", 6)),
        vec!["mqtt.type", "mqtt.topic"]
    );
    assert_eq!(
        names(complete("fin && sock", 11)),
        vec![
            "socketio",
            "socketio.type",
            "socketio.namespace",
            "socketio.event",
            "socketio.ack"
        ]
    );
    assert!(complete("lat", 3).suggestions[0]
        .description
        .contains("microseconds"));
    assert!(names(complete("js", 2)).contains(&"json."));
    // Values of a symbol field after a comparison.
    assert_eq!(names(complete("hop == k", 8)), vec!["kernel"]);
    assert_eq!(
        names(complete("dir != ", 7)),
        vec!["to_server", "to_client"]
    );
    assert_eq!(names(complete("opcode==p", 9)), vec!["ping", "pong"]);
    assert_eq!(names(complete("fin == ", 7)), vec!["true", "false"]);
    // The word before the cursor is the prefix; the whole word is replaced.
    let c = complete("hop == kernel && chan == shell", 21);
    assert_eq!((c.start, c.end, names(c)), (17, 21, vec!["channel"]));
    // Nothing inside strings, numbers, free text values or a complete word.
    assert!(complete("text contains \"ms", 17).suggestions.is_empty());
    assert!(complete("len > 10", 8).suggestions.is_empty());
    assert!(complete("msg_type == exe", 15).suggestions.is_empty());
    assert!(complete("finding", 7).suggestions.is_empty());
    assert!(complete("json.ty", 7).suggestions.is_empty());
    // After a field or a value comes an operator: no names; after one, every field.
    assert!(complete("hop ", 4).suggestions.is_empty());
    assert!(complete("text ~ \"x\"", 10).suggestions.is_empty());
    assert!(complete("len > 3 ", 8).suggestions.is_empty());
    assert_eq!(complete("fin && ", 7).suggestions.len(), every);
    assert_eq!(complete("fin or ", 7).suggestions.len(), every);
    assert_eq!(complete("not ", 4).suggestions.len(), every);
    assert_eq!(complete("!(", 2).suggestions.len(), every);
    // A cursor past the end or inside a character is clamped.
    assert_eq!(complete("é", 1).start, 0);
    assert_eq!(names(complete("seq", 99)), Vec::<&str>::new());
}

#[test]
fn patterns_mean_what_the_filter_box_says() {
    for (regex, text, expected) in [
        ("err(or)?", "an ERR here", true),
        ("erro?r", "an err here", false),
        ("erro?r", "an errr here", true),
        ("erro*", "ERR", true),
        ("ab{0}c", "ac", true),
        ("^Hello", "hello there", true),
        ("^Hello", "say hello", false),
        ("a|b", "b", true),
        ("x+y", "xxy", true),
        ("\\d+ms", "12ms", true),
        ("ab{0,3}c", "AC", true),
        ("[0-9]+ ticks", "12 TICKS", true),
        ("[0-9]+ ticks", "every ticks", false),
        ("[]x]y", "]y", true),
        ("[^]x]y", "ay", true),
        ("(foo|bar)baz", "barbaz", true),
        ("(?x) a b", "ab", true),
        ("n.t", "nut", true),
        // Non-ASCII characters match themselves, case and all; ASCII ignores case.
        ("é+x", "ééX", true),
        ("café", "CAFé", true),
        ("café", "cafÉ", false),
        ("\\é", "é", true),
        // ASCII classes and word boundaries, as the filter box's help says.
        ("\\bid\\b", "an id here", true),
        ("\\bid\\b", "idle", false),
        ("^\\w+$", "héllo", false),
        ("^\\w+$", "hello_1", true),
        ("\\s", "a\tb", true),
    ] {
        assert_eq!(
            pattern(regex).unwrap().is_match(text),
            expected,
            "{regex} on {text}"
        );
    }
    let error = pattern("[é]").unwrap_err();
    assert!(error.contains("in a [class]"), "{error}");
    let error = pattern("(").unwrap_err();
    assert!(!error.contains('\n'), "one line: {error}");
    assert!(error.starts_with("invalid regular expression: "), "{error}");
    // A clone searches with a cache of its own.
    let p = pattern("b+").unwrap();
    let q = p.clone();
    assert!(p.is_match("abb") && q.is_match("bb") && !q.is_match("a"));
}

#[test]
fn contains_ignores_case_without_lowercasing_ascii() {
    assert!(contains_ignoring_case("Hello World", "o w"));
    assert!(contains_ignoring_case("x", ""));
    assert!(!contains_ignoring_case("ab", "abc"));
    assert!(contains_ignoring_case("HÉLLO", "héll"));
    assert!(contains_ignoring_case("aaab", "aab"));
    assert!(!contains_ignoring_case("", "a"));
}

// A property test against a reference evaluator that reads the record as the JSON it is
// serialised to (a second, independent way to the same fields) and an expression printed
// from a random tree with only the parentheses precedence requires.

#[derive(Debug, Clone)]
enum Tree {
    Atom(usize),
    Not(Box<Tree>),
    And(Box<Tree>, Box<Tree>),
    Or(Box<Tree>, Box<Tree>),
}

type Reference = fn(&serde_json::Value) -> bool;

fn reference_atoms() -> Vec<(&'static str, Reference)> {
    fn body(r: &serde_json::Value) -> &serde_json::Value {
        &r["body"]
    }
    fn is_frame(r: &serde_json::Value) -> bool {
        body(r)["event"] == "frame"
    }
    fn opcode_number(r: &serde_json::Value) -> Option<u64> {
        let name = body(r)["opcode"].as_str()?;
        [
            "continuation",
            "text",
            "binary",
            "",
            "",
            "",
            "",
            "",
            "close",
            "ping",
            "pong",
        ]
        .iter()
        .position(|n| *n == name)
        .map(|n| n as u64)
    }
    fn preview(r: &serde_json::Value) -> Option<&str> {
        body(r)["message"]["preview"].as_str()
    }
    vec![
        ("hop == kernel", |r| r["hop"] == "kernel"),
        ("hop != browser", |r| r["hop"] != "browser"),
        ("conn == 2", |r| r["conn"] == 2),
        ("seq > 10", |r| r["seq"].as_u64().unwrap() > 10),
        ("seq <= 4", |r| r["seq"].as_u64().unwrap() <= 4),
        ("dir == to_server", |r| body(r)["direction"] == "to_server"),
        ("opcode == close", |r| opcode_number(r) == Some(8)),
        ("opcode != 1", |r| {
            is_frame(r) && opcode_number(r) != Some(1)
        }),
        ("fin", |r| body(r)["fin"] == true),
        ("masked", |r| is_frame(r) && !body(r)["mask_key"].is_null()),
        ("len >= 5", |r| {
            body(r)["len"]
                .as_u64()
                .or(body(r)["size"].as_u64())
                .is_some_and(|n| n >= 5)
        }),
        ("msg_type == status", |r| body(r)["msg_type"] == "status"),
        ("channel == shell", |r| body(r)["channel"] == "shell"),
        ("event == heartbeat", |r| body(r)["event"] == "heartbeat"),
        ("text contains \"ERR\"", |r| {
            let hay = match body(r)["event"].as_str() {
                Some("frame") => preview(r).unwrap_or("").to_string(),
                Some("kernel_message") => {
                    let parts = &body(r)["parts"];
                    ["header", "parent_header", "metadata", "content"]
                        .iter()
                        .map(|k| parts[k].as_str().unwrap_or(""))
                        .chain([body(r)["msg_type"].as_str().unwrap_or("")])
                        .collect::<Vec<_>>()
                        .join("\n")
                }
                _ => String::new(),
            };
            hay.to_lowercase().contains("err")
        }),
        ("json.type == subscribe", |r| {
            let source = match body(r)["event"].as_str() {
                Some("frame") if body(r)["message"]["opcode"] == "text" => preview(r),
                Some("kernel_message") => body(r)["parts"]["content"].as_str(),
                _ => None,
            };
            source
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .is_some_and(|j| j["type"] == "subscribe")
        }),
    ]
}

fn reference(tree: &Tree, record: &serde_json::Value, atoms: &[(&str, Reference)]) -> bool {
    match tree {
        Tree::Atom(i) => atoms[*i].1(record),
        Tree::Not(t) => !reference(t, record, atoms),
        Tree::And(a, b) => reference(a, record, atoms) && reference(b, record, atoms),
        Tree::Or(a, b) => reference(a, record, atoms) || reference(b, record, atoms),
    }
}

/// Prints with the fewest parentheses: or = 0, and = 1, not and atoms = 2.
fn print(tree: &Tree, outer: u8, spelling: bool, atoms: &[(&str, Reference)]) -> String {
    let (level, text) = match tree {
        Tree::Atom(i) => (2, atoms[*i].0.to_string()),
        Tree::Not(t) => (
            2,
            format!(
                "{}{}",
                if spelling { "not " } else { "!" },
                print(t, 2, spelling, atoms)
            ),
        ),
        Tree::And(a, b) => (
            1,
            format!(
                "{} {} {}",
                print(a, 1, spelling, atoms),
                if spelling { "and" } else { "&&" },
                print(b, 2, spelling, atoms)
            ),
        ),
        Tree::Or(a, b) => (
            0,
            format!(
                "{} {} {}",
                print(a, 0, spelling, atoms),
                if spelling { "or" } else { "||" },
                print(b, 1, spelling, atoms)
            ),
        ),
    };
    if level < outer {
        format!("({text})")
    } else {
        text
    }
}

fn tree(atoms: usize) -> impl Strategy<Value = Tree> {
    let leaf = (0..atoms).prop_map(Tree::Atom);
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Tree::Not(Box::new(t))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Tree::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn record() -> impl Strategy<Value = CaptureRecord> {
    let payload = prop_oneof![
        Just("hello".to_string()),
        Just("an ERROR here".to_string()),
        Just(r#"{"type":"subscribe","id":1}"#.to_string()),
        Just(r#"{"type":"next"}"#.to_string()),
        "[a-z]{0,8}",
    ];
    let hop = prop_oneof![Just(Hop::Browser), Just(Hop::Kernel), Just(Hop::Tap)];
    let opcode = prop_oneof![
        Just(Opcode::Text),
        Just(Opcode::Binary),
        Just(Opcode::Close),
        Just(Opcode::Ping),
        Just(Opcode::Continuation),
    ];
    let framed = (
        1..20u64,
        hop,
        any::<bool>(),
        opcode,
        payload.clone(),
        any::<bool>(),
        0..4u64,
    )
        .prop_map(|(seq, hop, out, opcode, payload, fin, conn)| {
            let direction = if out {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            let mut r = frame(seq, hop, direction, opcode, &payload);
            r.conn = conn;
            if let CaptureBody::Frame(f) = &mut r.body {
                f.fin = fin;
            }
            r
        });
    let kernels = (
        1..20u64,
        prop_oneof![Just(Channel::Shell), Just(Channel::Iopub)],
        prop_oneof![Just("status"), Just("execute_reply"), Just("stream")],
        payload,
    )
        .prop_map(|(seq, channel, msg_type, content)| kernel(seq, channel, msg_type, &content));
    let beats = (1..20u64, any::<bool>()).prop_map(|(seq, ok)| beat(seq, ok));
    prop_oneof![4 => framed, 2 => kernels, 1 => beats]
}

proptest! {
    #[test]
    fn expressions_agree_with_the_reference_evaluator(
        tree in tree(16),
        records in proptest::collection::vec(record(), 1..12),
        spelling in any::<bool>(),
    ) {
        let atoms = reference_atoms();
        let text = print(&tree, 0, spelling, &atoms);
        let filter = DisplayFilter::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        for record in &records {
            let json = serde_json::to_value(record).unwrap();
            prop_assert_eq!(filter.matches(record), reference(&tree, &json, &atoms), "{} on {:?}", text, record);
        }
    }

    #[test]
    fn patterns_match_as_regex_lite_does_on_ascii(
        pieces in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("b"), Just("ab"), Just("(a|b)"), Just("[ab]"), Just("?"),
                Just("*"), Just("+"), Just("{0,2}"), Just("."), Just(" "), Just("|"), Just("B"),
            ],
            1..8,
        ),
        text in "[abAB ]{0,12}",
    ) {
        let source = pieces.concat();
        if let Ok(plain) = regex_lite::RegexBuilder::new(&source).case_insensitive(true).build() {
            prop_assert_eq!(pattern(&source).unwrap().is_match(&text), plain.is_match(&text), "{}", source);
        }
    }

    #[test]
    fn no_text_makes_the_parser_panic(text in "[ -~]{0,40}", cursor in 0..50usize) {
        let _ = DisplayFilter::parse(&text);
        let c = complete(&text, cursor);
        prop_assert!(c.start <= c.end && c.end <= text.len());
    }
}
