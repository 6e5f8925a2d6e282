//! The list's column widths as the user set them, as in DevTools' network panel: each
//! resizable column is its default (the stylesheet's) until its header's edge is dragged or
//! moved with the keys, then a width in pixels within the column's bounds. Kept in
//! `localStorage` (`time=120 proto=300`), and given to the stylesheet as CSS variables
//! (`--w-time: minmax(56px, 120px)`) that its grid templates read with the defaults as
//! fallbacks, so the narrow layouts (which drop columns) keep working with any widths.
//!
//! A width set is what the column gets when there is room; a list narrower than the widths
//! set shrinks them toward their minimums rather than push Latency and Data out of view.
//! Data is never resizable: it takes what is left, and keeps a little of its own.

/// A column whose width the user may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Time,
    Conn,
    Opcode,
    Length,
    Protocol,
    Latency,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Time,
        Column::Conn,
        Column::Opcode,
        Column::Length,
        Column::Protocol,
        Column::Latency,
    ];

    /// Its name in storage and in its CSS variable (`--w-time`).
    pub fn key(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Conn => "conn",
            Column::Opcode => "op",
            Column::Length => "len",
            Column::Protocol => "proto",
            Column::Latency => "lat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Column::Time => "Time",
            Column::Conn => "Conn",
            Column::Opcode => "Opcode",
            Column::Length => "Length",
            Column::Protocol => "Protocol",
            Column::Latency => "Latency",
        }
    }

    /// The CSS variable the grid templates read.
    pub fn variable(self) -> String {
        format!("--w-{}", self.key())
    }

    /// The narrowest and widest it may be set, in pixels: wide enough for its header, and
    /// never so wide that the fixed columns alone fill a 1920 px screen.
    pub fn bounds(self) -> (u32, u32) {
        match self {
            Column::Time => (56, 240),
            Column::Conn => (48, 280),
            Column::Opcode => (48, 280),
            Column::Length => (36, 140),
            Column::Protocol => (60, 640),
            Column::Latency => (48, 160),
        }
    }

    fn from_key(key: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// One arrow key's step, in pixels; with Shift, [`BIG_STEP`].
pub const STEP: u32 = 8;
pub const BIG_STEP: u32 = 32;

/// What a key did on a column's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKey {
    Ignored,
    Resized,
}

/// The widths set, by column (`None`: the stylesheet's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnWidths {
    set: [Option<u32>; 6],
}

impl ColumnWidths {
    fn slot(column: Column) -> usize {
        Column::ALL.iter().position(|c| *c == column).unwrap_or(0)
    }

    /// The width set for `column`, if any.
    pub fn get(&self, column: Column) -> Option<u32> {
        self.set[Self::slot(column)]
    }

    /// Sets `column` to `px`, kept within its bounds.
    pub fn set(&mut self, column: Column, px: f64) {
        let (min, max) = column.bounds();
        let px = if px.is_finite() { px.round() } else { 0.0 };
        self.set[Self::slot(column)] = Some((px.max(0.0) as u32).clamp(min, max));
    }

    /// Back to the stylesheet's default.
    pub fn reset(&mut self, column: Column) {
        self.set[Self::slot(column)] = None;
    }

    /// A key on `column`'s edge, the column being `current_px` wide now: ←/→ narrow or widen
    /// it by [`STEP`] (Shift: [`BIG_STEP`]), Home and End take it to its bounds, Delete or
    /// Backspace give it its default back.
    pub fn key(&mut self, column: Column, key: &str, shift: bool, current_px: f64) -> EdgeKey {
        let step = f64::from(if shift { BIG_STEP } else { STEP });
        let (min, max) = column.bounds();
        match key {
            "ArrowLeft" => self.set(column, current_px - step),
            "ArrowRight" => self.set(column, current_px + step),
            "Home" => self.set(column, f64::from(min)),
            "End" => self.set(column, f64::from(max)),
            "Delete" | "Backspace" => self.reset(column),
            _ => return EdgeKey::Ignored,
        }
        EdgeKey::Resized
    }

    /// The CSS variables to set (`(--w-time, minmax(56px, 120px))`) and to remove (defaults).
    pub fn variables(&self) -> Vec<(String, Option<String>)> {
        Column::ALL
            .into_iter()
            .map(|c| {
                let track = self
                    .get(c)
                    .map(|px| format!("minmax({}px, {px}px)", c.bounds().0));
                (c.variable(), track)
            })
            .collect()
    }

    /// The stored form: `time=120 proto=300`; empty when every column has its default.
    pub fn to_storage(&self) -> String {
        Column::ALL
            .into_iter()
            .filter_map(|c| self.get(c).map(|px| format!("{}={px}", c.key())))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What [`ColumnWidths::to_storage`] wrote; unknown or unreadable parts are left out.
    pub fn from_storage(stored: Option<&str>) -> ColumnWidths {
        let mut widths = ColumnWidths::default();
        for part in stored.unwrap_or("").split_whitespace() {
            let Some((key, px)) = part.split_once('=') else {
                continue;
            };
            if let (Some(column), Ok(px)) = (Column::from_key(key), px.parse::<u32>()) {
                widths.set(column, f64::from(px));
            }
        }
        widths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_start_as_the_stylesheet_has_them_and_stay_in_bounds() {
        let mut w = ColumnWidths::default();
        assert!(Column::ALL.iter().all(|c| w.get(*c).is_none()));
        assert!(w.variables().iter().all(|(_, v)| v.is_none()));
        w.set(Column::Protocol, 301.6);
        assert_eq!(w.get(Column::Protocol), Some(302));
        w.set(Column::Time, 5.0);
        assert_eq!(w.get(Column::Time), Some(56));
        w.set(Column::Latency, 1e9);
        assert_eq!(w.get(Column::Latency), Some(160));
        w.set(Column::Conn, f64::NAN);
        assert_eq!(w.get(Column::Conn), Some(48));
        let vars = w.variables();
        assert!(vars.contains(&("--w-proto".into(), Some("minmax(60px, 302px)".into()))));
        assert!(vars.contains(&("--w-op".into(), None)));
        w.reset(Column::Protocol);
        assert_eq!(w.get(Column::Protocol), None);
    }

    #[test]
    fn keys_step_from_the_width_shown() {
        let mut w = ColumnWidths::default();
        assert_eq!(
            w.key(Column::Conn, "ArrowRight", false, 104.0),
            EdgeKey::Resized
        );
        assert_eq!(w.get(Column::Conn), Some(112));
        w.key(Column::Conn, "ArrowLeft", true, 112.0);
        assert_eq!(w.get(Column::Conn), Some(80));
        w.key(Column::Conn, "End", false, 80.0);
        assert_eq!(w.get(Column::Conn), Some(280));
        w.key(Column::Conn, "Home", false, 280.0);
        assert_eq!(w.get(Column::Conn), Some(48));
        w.key(Column::Conn, "Delete", false, 48.0);
        assert_eq!(w.get(Column::Conn), None);
        assert_eq!(w.key(Column::Conn, "a", false, 48.0), EdgeKey::Ignored);
        assert_eq!(w, ColumnWidths::default());
    }

    #[test]
    fn widths_are_stored_as_words_and_bad_words_are_left_out() {
        let mut w = ColumnWidths::default();
        assert_eq!(w.to_storage(), "");
        w.set(Column::Time, 120.0);
        w.set(Column::Protocol, 300.0);
        assert_eq!(w.to_storage(), "time=120 proto=300");
        assert_eq!(ColumnWidths::from_storage(Some(&w.to_storage())), w);
        let read = ColumnWidths::from_storage(Some("time=x lat=9999 nope=3 len"));
        assert_eq!(read.get(Column::Time), None);
        assert_eq!(read.get(Column::Latency), Some(160));
        assert_eq!(ColumnWidths::from_storage(None), ColumnWidths::default());
    }
}
