//! Splitters between two panes (notebook | inspector, the inspector's list | detail): where the
//! split is, kept within each pane's minimum, moved by the keyboard as the WAI-ARIA window
//! splitter pattern says (arrows step, Home and End go to the ends, Enter hides the second pane
//! or brings it back), and the form `localStorage` keeps it in. [`view`] wires the pointer.
//!
//! The split is a share of the container (so it follows a resized window) and the minimums are
//! pixels (so a pane never gets too narrow to use): CSS clamps it with the same numbers
//! ([`Split::css_size`]), and the model clamps it for `aria-valuenow` and the keys.

pub mod view;

/// What a splitter divides and how far it may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitLimits {
    /// The first pane's share when nothing is stored, in percent.
    pub default_percent: f64,
    /// Neither pane gets narrower (or lower) than these.
    pub min_first_px: f64,
    pub min_second_px: f64,
    /// One arrow key's step.
    pub step_px: f64,
    /// The divider's own thickness (`.splitter`), between the two panes.
    pub divider_px: f64,
}

impl SplitLimits {
    /// The first pane's largest size: the rest is the divider and the second pane's minimum.
    fn max_first_px(self, total_px: f64) -> f64 {
        total_px - self.min_second_px - self.divider_px
    }
}

/// The first pane's share of the container, and whether the second pane is hidden.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    percent: f64,
    pub collapsed: bool,
}

/// What a key did to a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitKey {
    Ignored,
    Moved,
    /// Enter: hide the second pane or show it again (the view decides what hiding means).
    Toggle,
}

impl Split {
    pub fn new(limits: SplitLimits) -> Split {
        Split {
            percent: limits.default_percent,
            collapsed: false,
        }
    }

    /// The stored form (`55.0` or `55.0 hidden`); anything unreadable is the default.
    pub fn from_storage(stored: Option<&str>, limits: SplitLimits) -> Split {
        let mut split = Split::new(limits);
        let Some(stored) = stored else {
            return split;
        };
        let mut words = stored.split_whitespace();
        match words.next().and_then(|p| p.parse::<f64>().ok()) {
            Some(percent) if percent.is_finite() && (0.0..=100.0).contains(&percent) => {
                split.percent = percent;
                split.collapsed = words.next() == Some("hidden");
            }
            _ => {}
        }
        split
    }

    pub fn to_storage(self) -> String {
        if self.collapsed {
            format!("{:.1} hidden", self.percent)
        } else {
            format!("{:.1}", self.percent)
        }
    }

    /// The first pane's size within a container of `total_px`: the share, kept within the
    /// minimums (the first pane's wins when the container is too small for both).
    pub fn first_px(self, total_px: f64, limits: SplitLimits) -> f64 {
        let wanted = total_px * self.percent / 100.0;
        wanted
            .min(limits.max_first_px(total_px))
            .max(limits.min_first_px)
    }

    /// `aria-valuenow` (and min and max): the first pane's share in whole percent as shown.
    pub fn aria_values(self, total_px: f64, limits: SplitLimits) -> (u32, u32, u32) {
        if total_px <= 0.0 {
            let percent = self.percent.round() as u32;
            return (percent, 0, 100);
        }
        let percent = |px: f64| (px / total_px * 100.0).round().clamp(0.0, 100.0) as u32;
        let min = percent(limits.min_first_px);
        let max = percent(limits.max_first_px(total_px).max(limits.min_first_px));
        (percent(self.first_px(total_px, limits)), min, max)
    }

    /// The first pane's size as CSS: the share clamped by the same minimums, so that a
    /// resized window keeps them without a script.
    pub fn css_size(self, limits: SplitLimits) -> String {
        format!(
            "clamp({}px, {:.2}%, calc(100% - {}px))",
            limits.min_first_px,
            self.percent,
            limits.min_second_px + limits.divider_px
        )
    }

    /// The divider dragged to `first_px` from the container's start. A drag always shows the
    /// second pane again.
    pub fn drag_to(&mut self, first_px: f64, total_px: f64, limits: SplitLimits) {
        if total_px <= 0.0 || !first_px.is_finite() {
            return;
        }
        self.collapsed = false;
        let clamped = Split {
            percent: first_px / total_px * 100.0,
            collapsed: false,
        }
        .first_px(total_px, limits);
        self.percent = (clamped / total_px * 100.0).clamp(0.0, 100.0);
    }

    /// A key on the focused divider. `horizontal`: the divider stands between panes side by
    /// side (←/→ move it), else between panes one above the other (↑/↓).
    pub fn key(
        &mut self,
        key: &str,
        horizontal: bool,
        total_px: f64,
        limits: SplitLimits,
    ) -> SplitKey {
        let now = self.first_px(total_px, limits);
        let target = match (key, horizontal) {
            ("ArrowLeft", true) | ("ArrowUp", false) => now - limits.step_px,
            ("ArrowRight", true) | ("ArrowDown", false) => now + limits.step_px,
            ("Home", _) => limits.min_first_px,
            ("End", _) => limits.max_first_px(total_px),
            ("Enter", _) => return SplitKey::Toggle,
            _ => return SplitKey::Ignored,
        };
        self.drag_to(target, total_px, limits);
        SplitKey::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SplitLimits = SplitLimits {
        default_percent: 55.0,
        min_first_px: 300.0,
        min_second_px: 500.0,
        step_px: 20.0,
        divider_px: 6.0,
    };

    /// The first pane's size in a 1280 px container, to the pixel (the share is a float).
    fn px(split: Split) -> f64 {
        split.first_px(1280.0, LIMITS).round()
    }

    #[test]
    fn the_split_keeps_both_minimums() {
        let split = Split::new(LIMITS);
        assert_eq!(px(split), 704.0);
        // A narrow window: the second pane keeps its minimum...
        assert_eq!(split.first_px(1000.0, LIMITS), 494.0);
        // ...until there is not room for both, then the first pane keeps its own.
        assert_eq!(split.first_px(600.0, LIMITS), 300.0);
        assert_eq!(
            split.css_size(LIMITS),
            "clamp(300px, 55.00%, calc(100% - 506px))"
        );
        assert_eq!(split.aria_values(1280.0, LIMITS), (55, 23, 60));
        assert_eq!(split.aria_values(0.0, LIMITS), (55, 0, 100));
    }

    #[test]
    fn dragging_moves_within_the_minimums_and_shows_the_second_pane() {
        let mut split = Split::new(LIMITS);
        split.collapsed = true;
        split.drag_to(640.0, 1280.0, LIMITS);
        assert_eq!(split.percent, 50.0);
        assert!(!split.collapsed);
        split.drag_to(10.0, 1280.0, LIMITS);
        assert_eq!(px(split), 300.0);
        split.drag_to(5000.0, 1280.0, LIMITS);
        assert_eq!(px(split), 774.0);
        // Nothing to measure (a hidden container), or no number: no change.
        split.drag_to(100.0, 0.0, LIMITS);
        split.drag_to(f64::NAN, 1280.0, LIMITS);
        assert_eq!(px(split), 774.0);
    }

    #[test]
    fn keys_step_go_to_the_ends_and_hide() {
        let mut split = Split::new(LIMITS);
        assert_eq!(
            split.key("ArrowRight", true, 1280.0, LIMITS),
            SplitKey::Moved
        );
        assert_eq!(px(split), 724.0);
        split.key("ArrowLeft", true, 1280.0, LIMITS);
        split.key("ArrowLeft", true, 1280.0, LIMITS);
        assert_eq!(px(split), 684.0);
        // Up and down move a divider between panes one above the other, not this one.
        assert_eq!(
            split.key("ArrowUp", true, 1280.0, LIMITS),
            SplitKey::Ignored
        );
        assert_eq!(split.key("ArrowUp", false, 1280.0, LIMITS), SplitKey::Moved);
        assert_eq!(px(split), 664.0);
        split.key("Home", true, 1280.0, LIMITS);
        assert_eq!(px(split), 300.0);
        split.key("End", true, 1280.0, LIMITS);
        assert_eq!(px(split), 774.0);
        let before = split;
        assert_eq!(split.key("Enter", true, 1280.0, LIMITS), SplitKey::Toggle);
        assert_eq!(split.key("x", true, 1280.0, LIMITS), SplitKey::Ignored);
        assert_eq!(
            split, before,
            "Enter and other keys leave the split to the view"
        );
    }

    #[test]
    fn the_split_survives_storage_and_bad_values_fall_back() {
        let mut split = Split::new(LIMITS);
        split.drag_to(512.0, 1280.0, LIMITS);
        assert_eq!(split.to_storage(), "40.0");
        split.collapsed = true;
        assert_eq!(split.to_storage(), "40.0 hidden");
        assert_eq!(
            Split::from_storage(Some("40.0 hidden"), LIMITS),
            Split {
                percent: 40.0,
                collapsed: true
            }
        );
        assert_eq!(Split::from_storage(Some("40.0"), LIMITS).percent, 40.0);
        for bad in ["", "wide", "NaN", "-3", "140", "inf"] {
            assert_eq!(
                Split::from_storage(Some(bad), LIMITS),
                Split::new(LIMITS),
                "{bad}"
            );
        }
        assert_eq!(Split::from_storage(None, LIMITS), Split::new(LIMITS));
    }
}
