//! The arithmetic of a virtualized list with fixed-height rows: which rows to put in the DOM
//! for a scroll position, how tall the spacers around them are, where to scroll to reveal a
//! row, which rows are in full view, and where the keyboard moves the selection (Page Up/Down
//! page the view: from the selected row when it is in view, else from the view's edge).
//!
//! With 100 000 rows only the visible ones plus some overscan exist as elements; the scroll
//! container's height comes from the spacers, so the scrollbar still means the whole list.

use std::ops::Range;

/// The rows to render and the empty space above and below them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// First row index rendered.
    pub start: usize,
    /// One past the last row index rendered.
    pub end: usize,
    /// Height of the spacer before `start`.
    pub top_px: f64,
    /// Height of the spacer after `end`.
    pub bottom_px: f64,
}

/// Geometry of the list: row height and how many rows beyond the viewport to keep rendered
/// on each side (so a fast scroll does not show blank space for a frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListGeometry {
    pub row_px: f64,
    pub overscan: usize,
}

impl ListGeometry {
    /// The window for `total` rows scrolled to `scroll_top` in a viewport `viewport_px` tall.
    pub fn window(&self, total: usize, scroll_top: f64, viewport_px: f64) -> Window {
        let row = self.row_px.max(1.0);
        let first_visible = (scroll_top.max(0.0) / row).floor() as usize;
        let visible = (viewport_px.max(0.0) / row).ceil() as usize + 1;
        let start = first_visible.saturating_sub(self.overscan).min(total);
        let end = (first_visible + visible + self.overscan).min(total);
        Window {
            start,
            end,
            top_px: start as f64 * row,
            bottom_px: (total - end) as f64 * row,
        }
    }

    pub fn total_px(&self, total: usize) -> f64 {
        total as f64 * self.row_px
    }

    /// The `scroll_top` that brings row `index` fully into view with the least movement, or
    /// `None` when it already is.
    pub fn reveal(&self, index: usize, scroll_top: f64, viewport_px: f64) -> Option<f64> {
        let top = index as f64 * self.row_px;
        let bottom = top + self.row_px;
        if top < scroll_top {
            Some(top)
        } else if bottom > scroll_top + viewport_px {
            Some((bottom - viewport_px).max(0.0))
        } else {
            None
        }
    }

    /// The rows wholly in view at `scroll_top` (none when the viewport is under a row tall).
    pub fn visible(&self, total: usize, scroll_top: f64, viewport_px: f64) -> Range<usize> {
        let row = self.row_px.max(1.0);
        let top = scroll_top.max(0.0);
        let start = ((top / row).ceil() as usize).min(total);
        let end = (((top + viewport_px.max(0.0)) / row).floor() as usize).min(total);
        start..end.max(start)
    }

    /// Rows a Page Up/Down moves by: a viewport less one row of context.
    pub fn page_rows(&self, viewport_px: f64) -> usize {
        ((viewport_px / self.row_px.max(1.0)).floor() as usize)
            .saturating_sub(1)
            .max(1)
    }
}

/// A keyboard move through the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
}

impl Move {
    /// The move a `KeyboardEvent.key` asks for.
    pub fn from_key(key: &str) -> Option<Move> {
        Some(match key {
            "ArrowUp" => Move::Up,
            "ArrowDown" => Move::Down,
            "PageUp" => Move::PageUp,
            "PageDown" => Move::PageDown,
            "Home" => Move::First,
            "End" => Move::Last,
            _ => return None,
        })
    }

    /// Where the selection goes from `current` in a list of `len` rows; `page` rows per page,
    /// `visible` the rows in view. With nothing selected, moving down starts at the top and
    /// moving up at the bottom. A page moves the view: from the selected row if it is in view,
    /// else (the list was scrolled away from it) from the edge of the view it moves past.
    pub fn apply(
        self,
        current: Option<usize>,
        len: usize,
        page: usize,
        visible: Range<usize>,
    ) -> Option<usize> {
        if len == 0 {
            return None;
        }
        let last = len - 1;
        let in_view = |i: &usize| visible.is_empty() || visible.contains(i);
        let current = match self {
            Move::PageDown if !visible.is_empty() => {
                current.filter(in_view).or(Some(visible.end - 1))
            }
            Move::PageUp if !visible.is_empty() => current.filter(in_view).or(Some(visible.start)),
            _ => current,
        };
        let next = match (self, current) {
            (Move::First, _) => 0,
            (Move::Last, _) => last,
            (Move::Down | Move::PageDown, None) => 0,
            (Move::Up | Move::PageUp, None) => last,
            (Move::Down, Some(i)) => i.saturating_add(1),
            (Move::Up, Some(i)) => i.saturating_sub(1),
            (Move::PageDown, Some(i)) => i.saturating_add(page),
            (Move::PageUp, Some(i)) => i.saturating_sub(page),
        };
        Some(next.min(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEOMETRY: ListGeometry = ListGeometry {
        row_px: 20.0,
        overscan: 5,
    };

    #[test]
    fn the_window_covers_the_viewport_plus_overscan() {
        // 100 000 rows, scrolled to row 1000, a 400 px viewport (20 rows).
        let w = GEOMETRY.window(100_000, 20_000.0, 400.0);
        assert_eq!((w.start, w.end), (995, 1026));
        assert_eq!(w.top_px, 995.0 * 20.0);
        assert_eq!(w.bottom_px, (100_000 - 1026) as f64 * 20.0);
        // The spacers and rows always add up to the whole list.
        let rendered = (w.end - w.start) as f64 * 20.0;
        assert_eq!(
            w.top_px + rendered + w.bottom_px,
            GEOMETRY.total_px(100_000)
        );
        // A half-scrolled row still counts as visible.
        let w = GEOMETRY.window(100_000, 20_010.0, 400.0);
        assert_eq!(w.start, 995);
        assert!(w.end >= 1000 + 21);
    }

    #[test]
    fn the_window_stays_inside_the_list() {
        let top = GEOMETRY.window(100, 0.0, 400.0);
        assert_eq!((top.start, top.top_px), (0, 0.0));
        let bottom = GEOMETRY.window(100, 1600.0, 400.0);
        assert_eq!((bottom.end, bottom.bottom_px), (100, 0.0));
        // Scrolled past the end (the list shrank under the scroll position).
        let past = GEOMETRY.window(10, 5000.0, 400.0);
        assert_eq!((past.start, past.end), (10, 10));
        assert_eq!(past.top_px, 200.0);
        let empty = GEOMETRY.window(0, 0.0, 400.0);
        assert_eq!((empty.start, empty.end, empty.bottom_px), (0, 0, 0.0));
        // Negative scroll (elastic overscroll) and a zero-height viewport.
        assert_eq!(GEOMETRY.window(100, -30.0, 0.0).start, 0);
    }

    #[test]
    fn reveal_scrolls_only_as_far_as_needed() {
        // Viewport shows rows 10..30 (200..600 px).
        assert_eq!(GEOMETRY.reveal(15, 200.0, 400.0), None);
        assert_eq!(GEOMETRY.reveal(9, 200.0, 400.0), Some(180.0));
        assert_eq!(GEOMETRY.reveal(30, 200.0, 400.0), Some(220.0));
        assert_eq!(GEOMETRY.reveal(29, 200.0, 400.0), None);
        assert_eq!(GEOMETRY.page_rows(400.0), 19);
        assert_eq!(GEOMETRY.page_rows(10.0), 1);
    }

    #[test]
    fn keys_move_the_selection_within_bounds() {
        assert_eq!(Move::from_key("ArrowDown"), Some(Move::Down));
        assert_eq!(Move::from_key("End"), Some(Move::Last));
        assert_eq!(Move::from_key("j"), None);
        let all = 0..10;
        assert_eq!(Move::Down.apply(None, 10, 5, all.clone()), Some(0));
        assert_eq!(Move::Up.apply(None, 10, 5, all.clone()), Some(9));
        assert_eq!(Move::Down.apply(Some(3), 10, 5, all.clone()), Some(4));
        assert_eq!(Move::Down.apply(Some(9), 10, 5, all.clone()), Some(9));
        assert_eq!(Move::Up.apply(Some(0), 10, 5, all.clone()), Some(0));
        assert_eq!(Move::PageDown.apply(Some(7), 10, 5, all.clone()), Some(9));
        assert_eq!(Move::PageUp.apply(Some(3), 10, 5, all.clone()), Some(0));
        assert_eq!(Move::First.apply(Some(3), 10, 5, all.clone()), Some(0));
        assert_eq!(Move::Last.apply(None, 10, 5, all.clone()), Some(9));
        // A selection past the end (the list shrank) comes back inside.
        assert_eq!(Move::Down.apply(Some(50), 10, 5, all.clone()), Some(9));
        assert_eq!(Move::Down.apply(Some(0), 0, 5, 0..0), None);
    }

    #[test]
    fn pages_move_the_view_not_back_to_a_row_scrolled_away_from() {
        // 1000 rows, rows 500..520 in view, the selected row 100 far above (the wheel
        // scrolled away from it): a page goes on from the view, not from row 100.
        let view = GEOMETRY.visible(1000, 10_000.0, 400.0);
        assert_eq!(view, 500..520);
        assert_eq!(
            Move::PageUp.apply(Some(100), 1000, 19, view.clone()),
            Some(481)
        );
        assert_eq!(
            Move::PageDown.apply(Some(100), 1000, 19, view.clone()),
            Some(538)
        );
        assert_eq!(
            Move::PageDown.apply(None, 1000, 19, view.clone()),
            Some(538)
        );
        // A selected row in view pages from itself.
        assert_eq!(
            Move::PageDown.apply(Some(505), 1000, 19, view.clone()),
            Some(524)
        );
        assert_eq!(
            Move::PageUp.apply(Some(505), 1000, 19, view.clone()),
            Some(486)
        );
        // Arrows still go from the selected row.
        assert_eq!(Move::Down.apply(Some(100), 1000, 19, view), Some(101));
        // A half-shown row is not in view; a viewport under a row tall shows none.
        assert_eq!(GEOMETRY.visible(1000, 10_010.0, 400.0), 501..520);
        assert_eq!(GEOMETRY.visible(1000, 0.0, 10.0), 0..0);
        assert_eq!(GEOMETRY.visible(5, 0.0, 400.0), 0..5);
    }
}
