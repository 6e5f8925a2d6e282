//! Which part of the server's capture the page holds, for the inspector's current filter, and
//! the page queries that fetch the rest as the user scrolls up.
//!
//! A session opens on the newest page of the capture (the server's first batch, with the count
//! of `older` records it left out); live batches follow. Everything from that page on is held
//! ("complete"). Older records come a page at a time from `POST /api/capture/page` (HTTP, so the
//! queries are not captured themselves), filtered by the server with the inspector's filter: a page for one filter says nothing about the records
//! another filter would show, so a new filter starts again from the complete part.
//! [`Pages::shown_from`] is the floor below which the list shows nothing (rows held from an
//! older filter's pages wait there until paging reaches them again).
//!
//! A live batch that says it `skipped` records (the server let this session fall behind) moves
//! the complete part up to that batch: the skipped records join the older ones not loaded, and
//! paging up fetches them first, then the rows held before them. The server says so in an empty
//! batch of its own, then sends the newest batch: the gap ends at the next batch's first record.

/// The state of the row at the top of the inspector's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopRow {
    /// Nothing to say (no capture yet, or the rows were cleared).
    Hidden,
    /// This many records on the server, older than the rows shown, not looked at yet.
    Older(u64),
    /// A page query is on its way.
    Loading(u64),
    /// Everything the server has was looked at.
    Start,
    /// The server refused the query or could not be reached (until the filter changes or a
    /// new session starts).
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pages {
    /// Every record from this `seq` on is held (`None` before the first batch).
    complete_from: Option<u64>,
    /// Records on the server older than `complete_from` (as last heard).
    older_than_complete: u64,
    /// The filter the pages are for, and whether it lets everything through.
    filter_rev: u64,
    filter_active: bool,
    /// Every record passing the filter from this `seq` on is held.
    shown_from: Option<u64>,
    /// Records on the server older than `shown_from` that no page looked at yet.
    older: u64,
    /// The query in flight.
    pending: Option<u64>,
    next_id: u64,
    /// A session (re)started: its first batch says where the newest page starts.
    awaiting_first: bool,
    /// An empty batch said records were skipped: the next batch with records starts past them.
    skip_pending: bool,
    error: Option<String>,
    cleared: bool,
}

impl Pages {
    /// Nothing held, for a new server process; query ids go on, so that an answer to a query
    /// sent before cannot pass for one sent now.
    pub fn restarted(&self) -> Pages {
        Pages {
            next_id: self.next_id,
            ..Pages::default()
        }
    }

    /// A session started (a new socket): its first capture batch is the newest page. A query
    /// that failed (the server was unreachable, say) may be tried again.
    pub fn hello(&mut self) {
        self.awaiting_first = true;
        self.pending = None;
        self.error = None;
    }

    /// A capture batch arrived: `first_seq` is its oldest record, `held_newest` the newest row
    /// held before it, `older` and `skipped` as the batch says.
    pub fn batch(
        &mut self,
        first_seq: Option<u64>,
        held_newest: Option<u64>,
        older: u64,
        skipped: u64,
    ) {
        let Some(first) = first_seq else {
            if self.awaiting_first && older > 0 {
                // An empty first batch that only counts what is older: everything newer is
                // still to come live.
                self.awaiting_first = false;
                self.start_at(held_newest.map_or(1, |s| s + 1), older);
            } else if skipped > 0 {
                self.skip_pending = true;
            }
            return;
        };
        let skipped = skipped > 0 || std::mem::take(&mut self.skip_pending);
        if self.awaiting_first {
            self.awaiting_first = false;
            let continuous = held_newest.is_some_and(|newest| first <= newest + 1)
                && self.complete_from.is_some();
            if !continuous {
                self.start_at(first, older);
            }
        } else if skipped {
            // The skipped records and the rows held from before them are "older" now.
            let from = self.shown_from.unwrap_or(first);
            let more = self.older + first.saturating_sub(from);
            self.complete_from = Some(first);
            self.shown_from = Some(first);
            self.older_than_complete = more;
            self.older = more;
            self.pending = None;
        } else if self.complete_from.is_none() {
            self.start_at(first, 0);
        }
    }

    fn start_at(&mut self, first: u64, older: u64) {
        self.skip_pending = false;
        self.complete_from = Some(first);
        self.older_than_complete = older;
        self.shown_from = Some(first);
        self.older = older;
        self.pending = None;
        self.error = None;
        self.cleared = false;
    }

    /// The inspector's filter changed (revision `rev`): pages start again from the complete
    /// part. Returns whether anything changed.
    pub fn set_filter(&mut self, rev: u64, active: bool) -> bool {
        if rev == self.filter_rev {
            return false;
        }
        self.filter_rev = rev;
        self.filter_active = active;
        self.shown_from = self.complete_from;
        self.older = self.older_than_complete;
        self.pending = None;
        self.error = None;
        true
    }

    /// The next page query, as `(id, before_seq)`, unless one is in flight, nothing older is
    /// left or the last one was refused.
    pub fn request(&mut self) -> Option<(u64, u64)> {
        if !self.can_request() {
            return None;
        }
        let before = self.shown_from?;
        self.next_id += 1;
        self.pending = Some(self.next_id);
        Some((self.next_id, before))
    }

    pub fn can_request(&self) -> bool {
        self.pending.is_none() && self.older > 0 && self.error.is_none() && !self.cleared
    }

    /// The answer to query `id`. Returns whether it is the one awaited (an answer for an
    /// older filter or session is dropped, records and all).
    pub fn answer(
        &mut self,
        id: u64,
        scanned_from: u64,
        older: u64,
        error: Option<String>,
    ) -> bool {
        if self.pending != Some(id) {
            return false;
        }
        self.pending = None;
        if let Some(error) = error {
            self.error = Some(error);
            return true;
        }
        let from = self
            .shown_from
            .map_or(scanned_from, |s| s.min(scanned_from));
        self.shown_from = Some(from);
        self.older = older;
        if !self.filter_active {
            self.complete_from = Some(from);
            self.older_than_complete = older;
        }
        true
    }

    /// The user cleared the rows: nothing older is offered until the next session.
    pub fn cleared(&mut self) {
        self.cleared = true;
        self.pending = None;
    }

    /// Rows older than this are not shown (see the module's doc).
    pub fn shown_from(&self) -> u64 {
        self.shown_from.unwrap_or(0)
    }

    /// Records on the server older than the rows shown, not looked at yet.
    pub fn older(&self) -> u64 {
        if self.cleared {
            0
        } else {
            self.older
        }
    }

    pub fn top_row(&self) -> TopRow {
        if self.cleared || self.complete_from.is_none() {
            TopRow::Hidden
        } else if let Some(error) = &self.error {
            TopRow::Failed(error.clone())
        } else if self.pending.is_some() {
            TopRow::Loading(self.older)
        } else if self.older > 0 {
            TopRow::Older(self.older)
        } else {
            TopRow::Start
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session whose first batch starts at `first_seq` with `older` records before it.
    fn opened(first_seq: u64, older: u64) -> Pages {
        let mut pages = Pages::default();
        pages.hello();
        pages.batch(Some(first_seq), None, older, 0);
        pages
    }

    #[test]
    fn a_session_opens_on_the_newest_page_and_pages_back() {
        let mut pages = Pages::default();
        assert_eq!(pages.top_row(), TopRow::Hidden);
        pages.hello();
        pages.batch(Some(745), None, 744, 0);
        assert_eq!((pages.shown_from(), pages.older()), (745, 744));
        assert_eq!(pages.top_row(), TopRow::Older(744));
        let (id, before) = pages.request().unwrap();
        assert_eq!(before, 745);
        assert_eq!(pages.request(), None, "one query at a time");
        assert_eq!(pages.top_row(), TopRow::Loading(744));
        // Live batches do not move the floor.
        pages.batch(Some(1001), Some(1000), 0, 0);
        assert!(!pages.answer(id + 7, 1, 0, None), "not the query awaited");
        assert!(pages.answer(id, 490, 489, None));
        assert_eq!((pages.shown_from(), pages.older()), (490, 489));
        let (id, before) = pages.request().unwrap();
        assert_eq!(before, 490);
        assert!(pages.answer(id, 1, 0, None));
        assert_eq!(pages.top_row(), TopRow::Start);
        assert_eq!(pages.request(), None, "nothing older");
    }

    #[test]
    fn a_new_filter_starts_again_from_the_complete_part() {
        let mut pages = opened(745, 744);
        let (id, _) = pages.request().unwrap();
        assert!(
            pages.answer(id, 500, 499, None),
            "unfiltered: complete to 500"
        );
        assert!(pages.set_filter(1, true));
        assert!(!pages.set_filter(1, true));
        assert_eq!((pages.shown_from(), pages.older()), (500, 499));
        let (id, before) = pages.request().unwrap();
        assert_eq!(before, 500);
        assert!(pages.answer(id, 100, 99, None));
        // Filtered pages do not make the unfiltered view complete.
        pages.set_filter(2, false);
        assert_eq!((pages.shown_from(), pages.older()), (500, 499));
        // An answer to the previous filter's query is dropped.
        let (old, _) = pages.request().unwrap();
        pages.set_filter(3, true);
        assert!(!pages.answer(old, 5, 4, None));
        // A refused query says why and stops the paging until the filter changes.
        let (id, _) = pages.request().unwrap();
        assert!(pages.answer(id, 500, 0, Some("invalid regular expression".into())));
        assert_eq!(
            pages.top_row(),
            TopRow::Failed("invalid regular expression".into())
        );
        assert_eq!(pages.request(), None);
        pages.set_filter(4, false);
        assert!(pages.request().is_some());
    }

    #[test]
    fn skipped_records_join_the_older_ones() {
        let mut pages = opened(101, 100);
        pages.batch(Some(400), Some(399), 0, 0);
        // 600..=899 were skipped: the held 101..=599 are older, not loaded, again.
        pages.batch(Some(900), Some(599), 0, 300);
        assert_eq!((pages.shown_from(), pages.older()), (900, 100 + 799));
        let (_, before) = pages.request().unwrap();
        assert_eq!(before, 900);
    }

    #[test]
    fn a_skip_said_in_an_empty_batch_ends_at_the_next_batch() {
        // As the server sends it: an empty batch with the count, then the newest batch.
        let mut pages = opened(101, 100);
        pages.batch(Some(400), Some(399), 0, 0);
        pages.batch(None, Some(599), 0, 300);
        assert_eq!(
            pages.shown_from(),
            101,
            "nothing moves before the next batch"
        );
        pages.batch(Some(900), Some(599), 0, 0);
        assert_eq!((pages.shown_from(), pages.older()), (900, 100 + 799));
        // The skip is spent: the next live batch follows on.
        pages.batch(Some(950), Some(949), 0, 0);
        assert_eq!(pages.shown_from(), 900);
    }

    #[test]
    fn a_reconnect_keeps_what_is_continuous_and_an_empty_capture_starts_live() {
        let mut pages = opened(1, 0);
        assert_eq!(pages.top_row(), TopRow::Start);
        pages.hello();
        pages.batch(Some(40), Some(60), 39, 0);
        assert_eq!((pages.shown_from(), pages.older()), (1, 0), "continuous");
        pages.hello();
        pages.batch(Some(500), Some(60), 499, 0);
        assert_eq!((pages.shown_from(), pages.older()), (500, 499), "a gap");
        // An empty ring: the first live batch starts the complete part.
        let mut live = opened(7, 0);
        assert_eq!((live.shown_from(), live.older()), (7, 0));
        live.cleared();
        assert_eq!(live.top_row(), TopRow::Hidden);
        assert_eq!(live.request(), None);
        // Another server: nothing held, and ids go on.
        let (id, _) = pages.request().unwrap();
        let mut fresh = pages.restarted();
        fresh.hello();
        fresh.batch(Some(3), None, 2, 0);
        assert_eq!(fresh.request().unwrap().0, id + 1);
    }
}
