//! What the inspector's Time column shows: the wall clock (as DevTools does), the time since
//! the capture started, or the time since the previous row (of the view, or of the row's own
//! connection); the header's tooltip saying which; and the choice as `localStorage` keeps it.
//!
//! Every record carries its absolute time (`time_us`, µs since the UNIX epoch), so no mode
//! depends on which rows the page still holds, except "since start" when the page never saw the
//! server's first record: it then counts from the first row loaded, and its tooltip says so.

use wirebook_shared::capture::CaptureRecord;

use crate::inspector::row_text::clock;
use crate::session::records::Records;

/// The `localStorage` key of the chosen mode.
pub const STORAGE_KEY: &str = "wirebook.inspector.time";

/// Relative times at or beyond this many seconds read in days, hours and minutes.
const SECONDS_SHOWN_UP_TO: u64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMode {
    /// Local time of day, `HH:MM:SS.mmm`.
    #[default]
    Clock,
    /// `+S.mmm` since the capture started.
    SinceStart,
    /// `+S.mmm` since the row above it in the list as filtered.
    SincePreviousShown,
    /// `+S.mmm` since the previous row of the same connection.
    SincePreviousInConn,
}

/// Where "since start" counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The server's first record: the real start of the capture.
    CaptureStart(u64),
    /// The oldest row loaded, when the page has not seen the first record (older pages not
    /// loaded, evicted by the server, or cleared before this page saw them).
    FirstLoaded(u64),
    /// No rows yet.
    Unknown,
}

impl Origin {
    /// The capture's start if known, else the oldest row held.
    pub fn new(capture_start_us: Option<u64>, first_loaded_us: Option<u64>) -> Origin {
        match (capture_start_us, first_loaded_us) {
            (Some(start), _) => Origin::CaptureStart(start),
            (None, Some(first)) => Origin::FirstLoaded(first),
            (None, None) => Origin::Unknown,
        }
    }

    fn time_us(self) -> Option<u64> {
        match self {
            Origin::CaptureStart(t) | Origin::FirstLoaded(t) => Some(t),
            Origin::Unknown => None,
        }
    }
}

impl TimeMode {
    pub const ALL: [TimeMode; 4] = [
        TimeMode::Clock,
        TimeMode::SinceStart,
        TimeMode::SincePreviousShown,
        TimeMode::SincePreviousInConn,
    ];

    /// The persisted form, and the `<option>`'s value.
    pub fn key(self) -> &'static str {
        match self {
            TimeMode::Clock => "clock",
            TimeMode::SinceStart => "since-start",
            TimeMode::SincePreviousShown => "delta-view",
            TimeMode::SincePreviousInConn => "delta-conn",
        }
    }

    /// A stored or chosen key; anything else (an older page's value, a hand edit) is the
    /// default.
    pub fn from_key(key: Option<&str>) -> TimeMode {
        TimeMode::ALL
            .into_iter()
            .find(|m| Some(m.key()) == key)
            .unwrap_or_default()
    }

    /// The header's short name (it fits the column).
    pub fn label(self) -> &'static str {
        match self {
            TimeMode::Clock => "Time",
            TimeMode::SinceStart => "Since start",
            TimeMode::SincePreviousShown => "Δ prev row",
            TimeMode::SincePreviousInConn => "Δ in conn",
        }
    }

    /// The header's tooltip: what the column shows, and from where it counts.
    pub fn title(self, origin: Origin, utc_offset_minutes: i32) -> String {
        let text = match self {
            TimeMode::Clock => {
                "Wall-clock time the record was captured (this browser's time zone)".to_string()
            }
            TimeMode::SinceStart => match origin {
                Origin::CaptureStart(start) => format!(
                    "Seconds since the capture started (its first record, at {})",
                    clock(start, utc_offset_minutes)
                ),
                Origin::FirstLoaded(_) => "Seconds since the first loaded row: the capture \
                    started earlier, but this page has not seen its first record (scroll up \
                    to load older rows, or the server evicted them)"
                    .to_string(),
                Origin::Unknown => "Seconds since the capture started".to_string(),
            },
            TimeMode::SincePreviousShown => {
                "Seconds since the row above it, as the list shows them (filtered)".to_string()
            }
            TimeMode::SincePreviousInConn => {
                "Seconds since the previous row of the same connection (among the rows loaded)"
                    .to_string()
            }
        };
        text + ". Choose what the column shows here; the row's tooltip has its wall-clock time."
    }

    /// One row's cell: `time_us` is the row's time; `previous_us` the previous row's (in the
    /// view or the connection, as the mode says; `None` for the first).
    pub fn cell(
        self,
        time_us: u64,
        utc_offset_minutes: i32,
        origin: Origin,
        previous_us: Option<u64>,
    ) -> String {
        let since = match self {
            TimeMode::Clock => return clock(time_us, utc_offset_minutes),
            TimeMode::SinceStart => origin.time_us(),
            TimeMode::SincePreviousShown | TimeMode::SincePreviousInConn => previous_us,
        };
        match since {
            Some(since) => elapsed(time_us, since),
            // The first row of its kind has nothing to count from.
            None => "—".to_string(),
        }
    }
}

/// What the Time column needs to know for the rows in view, worked out once per render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeColumn {
    pub mode: TimeMode,
    pub utc_offset_minutes: i32,
    pub origin: Origin,
}

impl TimeColumn {
    pub fn new(mode: TimeMode, utc_offset_minutes: i32, records: &Records) -> TimeColumn {
        TimeColumn {
            mode,
            utc_offset_minutes,
            origin: Origin::new(
                records.capture_start_us(),
                records.rows().next().map(|r| r.time_us),
            ),
        }
    }

    /// `record`'s cell; `shown_before` is the row above it in the list (its `seq`).
    pub fn cell(
        &self,
        records: &Records,
        record: &CaptureRecord,
        shown_before: Option<u64>,
    ) -> String {
        let previous = match self.mode {
            TimeMode::SincePreviousShown => shown_before.and_then(|seq| records.get(seq)),
            TimeMode::SincePreviousInConn => records.previous_in_conn(record.seq),
            TimeMode::Clock | TimeMode::SinceStart => None,
        };
        self.mode.cell(
            record.time_us,
            self.utc_offset_minutes,
            self.origin,
            previous.map(|r| r.time_us),
        )
    }

    pub fn title(&self) -> String {
        self.mode.title(self.origin, self.utc_offset_minutes)
    }
}

/// Time since `origin_us`: `+S.mmm` up to 100 000 s (27 h), then `+Dd HHh MMm` without spaces,
/// so that every value fits the column (sized in style.css for the clock's `00:00:00.000`). Clocks can step back, hence a sign.
pub fn elapsed(time_us: u64, origin_us: u64) -> String {
    let (sign, delta) = if time_us >= origin_us {
        ('+', time_us - origin_us)
    } else {
        ('-', origin_us - time_us)
    };
    let ms = delta / 1000;
    let seconds = ms / 1000;
    if seconds < SECONDS_SHOWN_UP_TO {
        format!("{sign}{seconds}.{:03}", ms % 1000)
    } else {
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
        format!("{sign}{days}d{hours:02}h{minutes:02}m")
    }
}

#[cfg(test)]
mod tests {
    use wirebook_shared::capture::Hop;

    use super::*;
    use crate::session::test_records::msg;

    const T: u64 = 1_700_000_000_123_456; // 2023-11-14T22:13:20.123456Z
    /// The longest cell in any mode: `.list-area { --capture-cols }` sizes the column for it.
    const WIDEST_CELL: &str = "00:00:00.000";

    #[test]
    fn the_clock_is_the_default_and_local() {
        assert_eq!(TimeMode::default(), TimeMode::Clock);
        assert_eq!(
            TimeMode::Clock.cell(T, 60, Origin::Unknown, None),
            "23:13:20.123"
        );
        assert_eq!(
            TimeMode::Clock.cell(T, 0, Origin::Unknown, None).len(),
            WIDEST_CELL.len()
        );
    }

    #[test]
    fn since_start_counts_from_the_capture_or_says_it_cannot() {
        let start = Origin::new(Some(T - 1_234_567_000), Some(T - 5_000_000));
        assert_eq!(start, Origin::CaptureStart(T - 1_234_567_000));
        assert_eq!(TimeMode::SinceStart.cell(T, 0, start, None), "+1234.567");
        assert!(TimeMode::SinceStart
            .title(start, 60)
            .starts_with("Seconds since the capture started (its first record, at 22:52:45.556)"));

        let loaded = Origin::new(None, Some(T - 5_000_000));
        assert_eq!(TimeMode::SinceStart.cell(T, 0, loaded, None), "+5.000");
        assert!(TimeMode::SinceStart
            .title(loaded, 0)
            .starts_with("Seconds since the first loaded row"));

        assert_eq!(Origin::new(None, None), Origin::Unknown);
        assert_eq!(TimeMode::SinceStart.cell(T, 0, Origin::Unknown, None), "—");
    }

    #[test]
    fn deltas_count_from_the_previous_row_or_show_a_dash() {
        for mode in [TimeMode::SincePreviousShown, TimeMode::SincePreviousInConn] {
            assert_eq!(mode.cell(T, 0, Origin::Unknown, Some(T - 2_500)), "+0.002");
            assert_eq!(mode.cell(T, 0, Origin::Unknown, None), "—");
            // A clock that stepped back shows as such.
            assert_eq!(mode.cell(T, 0, Origin::Unknown, Some(T + 3_000)), "-0.003");
        }
        assert_ne!(
            TimeMode::SincePreviousShown.title(Origin::Unknown, 0),
            TimeMode::SincePreviousInConn.title(Origin::Unknown, 0)
        );
    }

    #[test]
    fn long_times_switch_to_days_and_never_outgrow_the_column() {
        assert_eq!(elapsed(T, T), "+0.000");
        assert_eq!(elapsed(T + 99_999_999_000, T), "+99999.999");
        assert_eq!(elapsed(T + 100_000_000_000, T), "+1d03h46m");
        assert_eq!(elapsed(T, T + 400 * 86_400_000_000), "-400d00h00m");
        for delta in [
            0,
            1_000,
            99_999_999_999,
            100_000_000_000,
            999 * 86_400_000_000,
        ] {
            assert!(elapsed(T + delta, T).chars().count() <= WIDEST_CELL.len());
            assert!(elapsed(T, T + delta).chars().count() <= WIDEST_CELL.len());
        }
    }

    #[test]
    fn the_mode_survives_storage_and_bad_values_fall_back() {
        for mode in TimeMode::ALL {
            assert_eq!(TimeMode::from_key(Some(mode.key())), mode);
            assert!(mode.label().chars().count() <= WIDEST_CELL.len());
        }
        assert_eq!(TimeMode::from_key(Some("sundial")), TimeMode::Clock);
        assert_eq!(TimeMode::from_key(None), TimeMode::Clock);
    }

    #[test]
    fn rows_read_their_times_from_the_records_held() {
        let at = |seq: u64, conn, ms: u64| CaptureRecord {
            conn,
            time_us: T + ms * 1000,
            ..msg(seq, Hop::Browser, "x")
        };
        let mut records = Records::default();
        records.add(vec![at(3, 1, 0), at(4, 2, 250), at(5, 1, 1_500)], 0);
        let cells = |mode, shown_before: &[Option<u64>]| {
            let column = TimeColumn::new(mode, 0, &records);
            [3, 4, 5]
                .iter()
                .zip(shown_before)
                .map(|(seq, before)| column.cell(&records, records.get(*seq).unwrap(), *before))
                .collect::<Vec<_>>()
        };
        let list = [None, Some(3), Some(4)];
        assert_eq!(
            cells(TimeMode::Clock, &list),
            ["22:13:20.123", "22:13:20.373", "22:13:21.623"]
        );
        // Record 1 was never seen: the first loaded row is the origin, and the title says so.
        assert_eq!(
            cells(TimeMode::SinceStart, &list),
            ["+0.000", "+0.250", "+1.500"]
        );
        assert!(matches!(
            TimeColumn::new(TimeMode::SinceStart, 0, &records).origin,
            Origin::FirstLoaded(_)
        ));
        assert_eq!(
            cells(TimeMode::SincePreviousShown, &list),
            ["—", "+0.250", "+1.250"]
        );
        // Filtered to connection 1, row 5 follows row 3 in the view.
        assert_eq!(
            cells(TimeMode::SincePreviousShown, &[None, None, Some(3)])[2],
            "+1.500"
        );
        assert_eq!(
            cells(TimeMode::SincePreviousInConn, &list),
            ["—", "—", "+1.500"]
        );

        // An older page brings the server's first record: the capture's start is the origin.
        records.add(vec![at(1, 1, 0)], 0);
        let start = TimeColumn::new(TimeMode::SinceStart, 0, &records);
        assert_eq!(start.origin, Origin::CaptureStart(T));
        assert!(start
            .title()
            .starts_with("Seconds since the capture started"));
    }
}
