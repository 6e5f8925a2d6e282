//! The intercept dialog's rules, apart from the DOM: breakpoints as the user edits them and
//! the set they make, what a held message's buttons send, an injection, and the countdown.

use wirebook_shared::display_filter::DisplayFilter;
use wirebook_shared::intercept_api::{
    Breakpoint, Breakpoints, Decision, HeldMessage, Injection, InterceptState, Payload, Way,
};

use crate::inspector::row_text::spaced_hex;

/// One breakpoint as its row in the dialog holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BreakpointDraft {
    pub route: String,
    pub to_upstream: bool,
    pub to_client: bool,
    pub filter: String,
}

impl BreakpointDraft {
    /// A new row: the first route, client → upstream (what a user usually wants to hold).
    pub fn new(route: &str) -> Self {
        BreakpointDraft {
            route: route.to_string(),
            to_upstream: true,
            to_client: false,
            filter: String::new(),
        }
    }
}

/// The rows for the server's breakpoints.
pub fn drafts_of(state: &InterceptState) -> Vec<BreakpointDraft> {
    state
        .breakpoints
        .iter()
        .map(|b| BreakpointDraft {
            route: b.route.clone(),
            to_upstream: b.ways.contains(&Way::ToUpstream),
            to_client: b.ways.contains(&Way::ToClient),
            filter: b.filter.clone(),
        })
        .collect()
}

/// The set to `PUT`, or what is wrong with a row (1-based) or the release time.
pub fn breakpoints(drafts: &[BreakpointDraft], release_after: &str) -> Result<Breakpoints, String> {
    let release_after_s = release_after
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|s| (1..=3600).contains(s))
        .ok_or("Release after: a whole number of seconds, 1 to 3600")?;
    let mut set = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let row = i + 1;
        if draft.route.is_empty() {
            return Err(format!("Breakpoint {row}: choose a route"));
        }
        let ways: Vec<Way> = [
            (draft.to_upstream, Way::ToUpstream),
            (draft.to_client, Way::ToClient),
        ]
        .into_iter()
        .filter_map(|(on, way)| on.then_some(way))
        .collect();
        if ways.is_empty() {
            return Err(format!(
                "Breakpoint {row}: hold messages going at least one way"
            ));
        }
        let filter = draft.filter.trim();
        if !filter.is_empty() {
            DisplayFilter::parse(filter).map_err(|e| {
                format!(
                    "Breakpoint {row}: the filter does not parse at column {}: {}",
                    e.column, e.message
                )
            })?;
        }
        set.push(Breakpoint {
            route: draft.route.clone(),
            ways,
            filter: filter.to_string(),
        });
    }
    Ok(Breakpoints {
        breakpoints: set,
        release_after_s,
    })
}

/// What a held message's editor starts with: its text, or its bytes in hex.
pub fn editable(held: &HeldMessage) -> String {
    if held.is_text {
        held.text.clone()
    } else {
        spaced_hex(&held.hex)
    }
}

/// "Send edited": the editor's content in the message's own type.
pub fn edited(held: &HeldMessage, content: &str) -> Decision {
    Decision::Edit(if held.is_text {
        Payload::Text(content.to_string())
    } else {
        Payload::Hex(content.to_string())
    })
}

/// An injection into relay `conn`, checked before it is sent.
pub fn injection(
    conn: Option<u64>,
    way: Way,
    content: &str,
    hex: bool,
) -> Result<Injection, String> {
    let conn = conn.ok_or("Choose a live connection to inject into")?;
    let payload = if hex {
        Payload::Hex(content.to_string())
    } else {
        Payload::Text(content.to_string())
    };
    payload.bytes()?;
    Ok(Injection { conn, way, payload })
}

/// `releases in 12 s`, or `releasing…` once its time is up.
pub fn countdown(held: &HeldMessage, now_us: u64) -> String {
    match held.release_at_us.checked_sub(now_us) {
        Some(left) if left >= 1_000_000 => format!("releases in {} s", left / 1_000_000),
        Some(left) if left > 0 => "releases in <1 s".to_string(),
        _ => "releasing…".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(is_text: bool) -> HeldMessage {
        HeldMessage {
            id: 3,
            route: "chat".into(),
            conn: 9,
            way: Way::ToUpstream,
            record: Some(40),
            is_text,
            text: if is_text {
                "buy 1".into()
            } else {
                String::new()
            },
            hex: if is_text {
                String::new()
            } else {
                "00ff10".into()
            },
            held_at_us: 1_000_000,
            release_at_us: 31_000_000,
        }
    }

    #[test]
    fn drafts_make_the_set_or_say_which_row_is_wrong() {
        let mut row = BreakpointDraft::new("chat");
        row.filter = "text contains \"buy\"".into();
        let set = breakpoints(std::slice::from_ref(&row), "30").unwrap();
        assert_eq!(set.release_after_s, 30);
        assert_eq!(set.breakpoints[0].ways, [Way::ToUpstream]);
        let state = InterceptState {
            breakpoints: set.breakpoints,
            release_after_s: 30,
            held: Vec::new(),
            relays: Vec::new(),
        };
        assert_eq!(drafts_of(&state), [row.clone()]);

        let no_way = BreakpointDraft {
            to_upstream: false,
            ..row.clone()
        };
        let err = breakpoints(&[row.clone(), no_way], "30").unwrap_err();
        assert!(err.starts_with("Breakpoint 2:"), "{err}");
        let bad = BreakpointDraft {
            filter: "text contains".into(),
            ..row.clone()
        };
        assert!(breakpoints(&[bad], "30")
            .unwrap_err()
            .contains("does not parse"));
        assert!(breakpoints(&[row.clone()], "0").is_err());
        assert!(breakpoints(&[row], "soon").is_err());
        assert!(breakpoints(&[BreakpointDraft::default()], "5")
            .unwrap_err()
            .contains("choose a route"));
    }

    #[test]
    fn a_held_message_is_edited_in_its_own_type() {
        assert_eq!(editable(&held(true)), "buy 1");
        assert_eq!(editable(&held(false)), "00 ff 10");
        assert_eq!(
            edited(&held(false), "01 02"),
            Decision::Edit(Payload::Hex("01 02".into()))
        );
        assert_eq!(
            edited(&held(true), "buy 2"),
            Decision::Edit(Payload::Text("buy 2".into()))
        );
        assert_eq!(countdown(&held(true), 1_000_000), "releases in 30 s");
        assert_eq!(countdown(&held(true), 30_500_000), "releases in <1 s");
        assert_eq!(countdown(&held(true), 32_000_000), "releasing…");
    }

    #[test]
    fn injections_are_checked_before_they_go() {
        assert!(injection(None, Way::ToClient, "x", false).is_err());
        assert!(injection(Some(4), Way::ToClient, "0g", true).is_err());
        let ok = injection(Some(4), Way::ToUpstream, "hi", false).unwrap();
        assert_eq!(ok.payload, Payload::Text("hi".into()));
    }
}
