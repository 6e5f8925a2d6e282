//! Intercept on the tap: breakpoints per route and direction, the messages they hold until the
//! user forwards, edits or drops them (or their time runs out), and messages injected into a
//! live relay. The relay (`crate::proxy::relay`) asks its [`DirectionHook`] once per chunk
//! whether a breakpoint is armed on it (an atomic load while nothing changed); only then do its
//! bytes go through a [`gate::MessageGate`].
//!
//! What happens is recorded: an `intercept` record on the hop a held message arrived on (held,
//! then forwarded, edited, dropped, released or discarded), and a `mark` on the frames the tap
//! sent in its place or injected. The message as it arrived is the capture's own record.
//!
//! The wing: [`gate`] (bytes to whole messages), [`inbox`] (injected messages waiting),
//! [`api`] (`/api/intercept`).

pub mod api;
pub mod gate;
pub mod inbox;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{oneshot, Notify};

use inbox::{Inbox, Injections, NotQueued};
use wirebook_shared::capture::{ConnId, Direction, FrameRecord};
use wirebook_shared::display_filter::DisplayFilter;
use wirebook_shared::intercept_api::{
    Breakpoint, Breakpoints, Decision, HeldMessage, InterceptAction, InterceptRecord,
    InterceptState, LiveRelay, Payload, Way,
};
use wirebook_shared::wire::Opcode;
use wirebook_shared::{CaptureBody, CaptureRecord, Hop};

use self::gate::WholeMessage;
use crate::capture::recorder::Recorder;
use crate::proxy::route_table::RouteTable;

/// How long a message is held when nobody decides, until the user sets another time.
pub const DEFAULT_RELEASE_AFTER: Duration = Duration::from_secs(30);

/// The longest hold the user may set: a held message stalls its direction of the connection.
pub const MAX_RELEASE_AFTER: Duration = Duration::from_secs(3600);

/// Breakpoints at most (each is tried on every message of its route).
pub const MAX_BREAKPOINTS: usize = 64;

/// Injections queued per direction of a relay, not yet sent.
const INJECT_QUEUE: usize = 16;

/// The tap's breakpoints, held messages and live relays.
#[derive(Debug)]
pub struct Intercept {
    /// Bumped by every change of the breakpoints: a relay looks again only then.
    generation: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    breakpoints: Vec<Armed>,
    release_after: Duration,
    held: BTreeMap<u64, Held>,
    next_id: u64,
    relays: BTreeMap<ConnId, RelayEntry>,
}

#[derive(Debug)]
struct Armed {
    breakpoint: Breakpoint,
    filter: Option<DisplayFilter>,
}

#[derive(Debug)]
struct Held {
    info: HeldMessage,
    decide: oneshot::Sender<Decision>,
}

#[derive(Debug)]
struct RelayEntry {
    route: String,
    compressed: bool,
    /// Per [`Way`]: `ToUpstream` first.
    inject: [Arc<Inbox>; 2],
}

impl Default for Intercept {
    fn default() -> Self {
        Intercept {
            generation: AtomicU64::new(0),
            state: Mutex::new(State {
                breakpoints: Vec::new(),
                release_after: DEFAULT_RELEASE_AFTER,
                held: BTreeMap::new(),
                next_id: 1,
                relays: BTreeMap::new(),
            }),
        }
    }
}

/// Why an intercept request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(String),
    Gone(String),
}

impl Intercept {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one assignment or one map operation: consistent after a panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What `GET /api/intercept` answers.
    pub fn state(&self) -> InterceptState {
        let state = self.lock();
        InterceptState {
            breakpoints: state
                .breakpoints
                .iter()
                .map(|a| a.breakpoint.clone())
                .collect(),
            release_after_s: state.release_after.as_secs(),
            held: state.held.values().map(|h| h.info.clone()).collect(),
            relays: state
                .relays
                .iter()
                .map(|(conn, relay)| LiveRelay {
                    conn: *conn,
                    route: relay.route.clone(),
                    compressed: relay.compressed,
                })
                .collect(),
        }
    }

    /// Replaces the breakpoints: each names a route that exists, at least one way, and a
    /// filter that parses and reads the message alone.
    pub fn set(&self, set: Breakpoints, routes: &RouteTable) -> Result<(), Refusal> {
        if set.breakpoints.len() > MAX_BREAKPOINTS {
            return Err(Refusal::Invalid(format!(
                "at most {MAX_BREAKPOINTS} breakpoints"
            )));
        }
        let release_after = Duration::from_secs(set.release_after_s);
        if release_after.is_zero() || release_after > MAX_RELEASE_AFTER {
            return Err(Refusal::Invalid(format!(
                "a held message is released after 1 to {} seconds",
                MAX_RELEASE_AFTER.as_secs()
            )));
        }
        let mut armed = Vec::new();
        for breakpoint in set.breakpoints {
            if routes.get(&breakpoint.route).is_none() {
                return Err(Refusal::Invalid(format!(
                    "no route named {:?}",
                    breakpoint.route
                )));
            }
            if breakpoint.ways.is_empty() {
                return Err(Refusal::Invalid(
                    "a breakpoint holds messages going at least one way".into(),
                ));
            }
            let filter = match breakpoint.filter.trim() {
                "" => None,
                text => {
                    let filter = DisplayFilter::parse(text).map_err(|e| {
                        Refusal::Invalid(format!(
                            "the filter {text:?} does not parse: column {}: {}",
                            e.column, e.message
                        ))
                    })?;
                    if filter.reads_lenses() {
                        return Err(Refusal::Invalid(
                            "a breakpoint sees one message alone: protocol fields and \
                             latency are not known there (filter on its text instead)"
                                .into(),
                        ));
                    }
                    Some(filter)
                }
            };
            armed.push(Armed { breakpoint, filter });
        }
        let mut state = self.lock();
        state.breakpoints = armed;
        state.release_after = release_after;
        drop(state);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Whether a breakpoint names `route`: its new connections are opened without
    /// permessage-deflate (see `proxy::socket`).
    pub fn armed_on(&self, route: &str) -> bool {
        self.lock()
            .breakpoints
            .iter()
            .any(|a| a.breakpoint.route == route)
    }

    /// The user's decision for held message `id`.
    pub fn decide(&self, id: u64, decision: Decision) -> Result<(), Refusal> {
        if let Decision::Edit(payload) = &decision {
            payload.bytes().map_err(Refusal::Invalid)?;
        }
        let held = self.lock().held.remove(&id).ok_or_else(|| {
            Refusal::Gone(format!(
                "no message {id} is held (it went on, timed out, or its connection ended)"
            ))
        })?;
        held.decide
            .send(decision)
            .map_err(|_| Refusal::Gone(format!("message {id}'s connection ended")))
    }

    /// Queues a message to send into live relay `conn`, as `way`'s sender.
    pub fn inject(&self, conn: ConnId, way: Way, payload: &Payload) -> Result<(), Refusal> {
        let (bytes, text) = payload.bytes().map_err(Refusal::Invalid)?;
        if text && std::str::from_utf8(&bytes).is_err() {
            return Err(Refusal::Invalid("text must be UTF-8".into()));
        }
        let sender = {
            let state = self.lock();
            let relay = state.relays.get(&conn).ok_or_else(|| {
                Refusal::Gone(format!("no live connection {conn} through the tap"))
            })?;
            Arc::clone(&relay.inject[way_index(way)])
        };
        let opcode = if text { Opcode::Text } else { Opcode::Binary };
        let frame = frame_for(opcode, way, &bytes);
        sender.push(frame).map_err(|refused| match refused {
            NotQueued::Full => Refusal::Invalid(format!(
                "{INJECT_QUEUE} injected messages are waiting on connection {conn} already"
            )),
            NotQueued::Closed => Refusal::Gone(format!("connection {conn} ended")),
        })
    }

    /// Registers a relay: `conn` is its tap-hop connection, `compressed` whether it negotiated
    /// permessage-deflate, `recorders` the tap and upstream hops'. The hooks go to the relay's
    /// two directions; the registration ends with the returned guard.
    pub fn open_relay(
        self: &Arc<Self>,
        conn: ConnId,
        route: &str,
        compressed: bool,
        recorders: [Recorder; 2],
    ) -> (RelayGuard, [DirectionHook; 2]) {
        let (up_tx, up_rx) = Inbox::new(INJECT_QUEUE);
        let (down_tx, down_rx) = Inbox::new(INJECT_QUEUE);
        self.lock().relays.insert(
            conn,
            RelayEntry {
                route: route.to_string(),
                compressed,
                inject: [up_tx, down_tx],
            },
        );
        let left = Arc::new(PeerLeft::default());
        let [tap, upstream] = recorders;
        let hook = |way, recorder, injections| DirectionHook {
            intercept: Arc::clone(self),
            route: route.to_string(),
            conn,
            way,
            compressed,
            recorder,
            injections,
            seen: u64::MAX,
            armed: false,
            left: Arc::clone(&left),
        };
        (
            RelayGuard {
                intercept: Arc::clone(self),
                conn,
            },
            [
                hook(Way::ToUpstream, tap, up_rx),
                hook(Way::ToClient, upstream, down_rx),
            ],
        )
    }
}

/// Unregisters a relay when it ends; what it still held is discarded with it.
#[derive(Debug)]
pub struct RelayGuard {
    intercept: Arc<Intercept>,
    conn: ConnId,
}

impl Drop for RelayGuard {
    fn drop(&mut self) {
        let mut state = self.intercept.lock();
        state.relays.remove(&self.conn);
        state.held.retain(|_, held| held.info.conn != self.conn);
    }
}

/// Which peers of a relay left: a message held for a peer that left is discarded.
#[derive(Debug, Default)]
pub struct PeerLeft {
    /// Per [`Way`]: the peer that reads what goes that way (upstream, then the client).
    gone: [AtomicBool; 2],
    changed: Notify,
}

impl PeerLeft {
    async fn wait(&self, way: Way) {
        loop {
            let notified = self.changed.notified();
            if self.gone[way_index(way)].load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// One direction of a relay, as the intercept sees it.
#[derive(Debug)]
pub struct DirectionHook {
    intercept: Arc<Intercept>,
    route: String,
    conn: ConnId,
    pub way: Way,
    compressed: bool,
    /// The hop this direction's messages arrive on.
    recorder: Recorder,
    pub injections: Injections,
    /// The breakpoints' generation last looked at, and whether one is armed on this direction.
    seen: u64,
    armed: bool,
    left: Arc<PeerLeft>,
}

/// A message being held, for the relay to wait on.
#[derive(Debug)]
pub struct Hold {
    id: u64,
    pub decision: oneshot::Receiver<Decision>,
    pub release_at: tokio::time::Instant,
    held_at: std::time::Instant,
    of: Option<u64>,
}

/// How a hold ended.
#[derive(Debug)]
pub enum Settled {
    /// Send these bytes on (the message as it came, or its edit), marked so.
    Send(Vec<u8>, InterceptAction),
    /// Send nothing.
    Nothing(InterceptAction),
}

impl DirectionHook {
    /// Whether a breakpoint is armed on this direction (one atomic load unless the breakpoints
    /// changed). A compressed connection is never held.
    #[inline]
    pub fn armed(&mut self) -> bool {
        let generation = self.intercept.generation.load(Ordering::Acquire);
        if generation != self.seen {
            self.look_again(generation);
        }
        self.armed
    }

    /// The breakpoints changed: whether one is armed on this direction now.
    #[cold]
    fn look_again(&mut self, generation: u64) {
        self.seen = generation;
        self.armed =
            !self.compressed
                && self.intercept.lock().breakpoints.iter().any(|a| {
                    a.breakpoint.route == self.route && a.breakpoint.ways.contains(&self.way)
                });
    }

    /// Tells the other direction that the peer this direction reads from left.
    pub fn source_left(&self) {
        let opposite = match self.way {
            Way::ToUpstream => Way::ToClient,
            Way::ToClient => Way::ToUpstream,
        };
        self.left.gone[way_index(opposite)].store(true, Ordering::Release);
        self.left.changed.notify_waiters();
    }

    /// Until the peer this direction writes to left.
    pub fn destination_left(&self) -> impl std::future::Future<Output = ()> + 'static {
        let (left, way) = (Arc::clone(&self.left), self.way);
        async move { left.wait(way).await }
    }

    /// Holds `message` when a breakpoint matches it; `of` is the record it arrived as.
    pub fn hold(&self, message: &WholeMessage, of: Option<u64>) -> Option<Hold> {
        let record = self.as_record(message, of);
        let mut state = self.intercept.lock();
        let filter = state.breakpoints.iter().find_map(|a| {
            let b = &a.breakpoint;
            let here = b.route == self.route && b.ways.contains(&self.way);
            let matches = here && a.filter.as_ref().is_none_or(|f| f.matches(&record));
            matches.then(|| b.filter.trim().to_string())
        })?;
        let id = state.next_id;
        state.next_id += 1;
        let release_after = state.release_after;
        let (decide, decision) = oneshot::channel();
        let now_us = now_us();
        let is_text = message.opcode == Opcode::Text;
        let info = HeldMessage {
            id,
            route: self.route.clone(),
            conn: self.conn,
            way: self.way,
            record: of,
            is_text,
            text: if is_text {
                String::from_utf8_lossy(&message.payload).into_owned()
            } else {
                String::new()
            },
            hex: if is_text {
                String::new()
            } else {
                wirebook_shared::hex::hex(&message.payload)
            },
            held_at_us: now_us,
            release_at_us: now_us + release_after.as_micros() as u64,
        };
        state.held.insert(id, Held { info, decide });
        drop(state);
        let detail = if filter.is_empty() {
            format!("message {id}, every message on route {:?}", self.route)
        } else {
            format!("message {id}, by {filter}")
        };
        self.note(InterceptAction::Held, of, detail);
        Some(Hold {
            id,
            decision,
            release_at: tokio::time::Instant::now() + release_after,
            held_at: std::time::Instant::now(),
            of,
        })
    }

    /// What became of `hold`: `decision` is the user's, `None` when its time ran out or the
    /// peer it was going to left (`left`).
    pub fn settle(
        &self,
        hold: Hold,
        message: WholeMessage,
        decision: Option<Decision>,
        left: bool,
    ) -> Settled {
        self.intercept.lock().held.remove(&hold.id);
        let waited = hold.held_at.elapsed();
        let (settled, detail) = match decision {
            _ if left => (
                Settled::Nothing(InterceptAction::Discarded),
                "its peer left while it was held".to_string(),
            ),
            None => (
                Settled::Send(message.wire, InterceptAction::Released),
                "nobody decided in time".to_string(),
            ),
            Some(Decision::Forward) => (
                Settled::Send(message.wire, InterceptAction::Forwarded),
                String::new(),
            ),
            Some(Decision::Drop) => (Settled::Nothing(InterceptAction::Dropped), String::new()),
            Some(Decision::Edit(payload)) => match payload.bytes() {
                Ok((bytes, text)) => {
                    let opcode = if text { Opcode::Text } else { Opcode::Binary };
                    (
                        Settled::Send(frame_for(opcode, self.way, &bytes), InterceptAction::Edited),
                        format!("{} bytes instead of {}", bytes.len(), message.payload.len()),
                    )
                }
                // Checked by `Intercept::decide`: not reached.
                Err(why) => (Settled::Send(message.wire, InterceptAction::Forwarded), why),
            },
        };
        let action = match &settled {
            Settled::Send(_, action) | Settled::Nothing(action) => *action,
        };
        let mut detail = format!(
            "message {} after {:.1} s{}{detail}",
            hold.id,
            waited.as_secs_f64(),
            if detail.is_empty() { "" } else { ": " }
        );
        detail.shrink_to_fit();
        self.note(action, hold.of, detail);
        settled
    }

    fn note(&self, action: InterceptAction, of: Option<u64>, detail: String) {
        self.recorder
            .record(CaptureBody::Intercept(Box::new(InterceptRecord {
                action,
                of,
                way: self.way,
                detail,
            })));
    }

    /// The message as a record of its own, for the breakpoints' filters.
    fn as_record(&self, message: &WholeMessage, of: Option<u64>) -> CaptureRecord {
        let direction = match self.way {
            Way::ToUpstream => Direction::ToServer,
            Way::ToClient => Direction::ToClient,
        };
        let mut frame = FrameRecord::message(direction, message.opcode, &message.payload);
        frame.mask_key = message.mask_key;
        CaptureRecord {
            seq: of.unwrap_or(0),
            conn: self.conn,
            hop: match self.way {
                Way::ToUpstream => Hop::Tap,
                Way::ToClient => Hop::Upstream,
            },
            time_us: now_us(),
            body: CaptureBody::Frame(Box::new(frame)),
        }
    }
}

/// One unfragmented frame carrying `payload`, masked with a fresh key when a client sends it.
fn frame_for(opcode: Opcode, way: Way, payload: &[u8]) -> Vec<u8> {
    let mut spec = wirebook_shared::wire::FrameSpec::new(opcode);
    if way == Way::ToUpstream {
        spec.mask_key = Some(rand::random());
    }
    wirebook_shared::wire::encode_frame(&spec, payload)
}

fn way_index(way: Way) -> usize {
    match way {
        Way::ToUpstream => 0,
        Way::ToClient => 1,
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}
