//! Whether the inspector's list keeps scrolling to the newest row, and how many rows arrived
//! while the user was reading further up.

/// Whether a scroll container shows its bottom, give or take a few pixels (zoom rounding).
pub fn at_bottom(scroll_top: f64, scroll_height: f64, client_height: f64) -> bool {
    const SLACK_PX: f64 = 8.0;
    scroll_height - (scroll_top + client_height) <= SLACK_PX
}

/// Whether the list keeps scrolling to the newest row, and how many rows arrived while the
/// user was reading further up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Follow {
    following: bool,
    unseen: usize,
    /// `scrollTop` at the last scroll event: only a move *up* is the user leaving the bottom.
    /// Rows can arrive between an automatic scroll and its scroll event, so "not at the
    /// bottom" alone does not mean the user scrolled away.
    last_top: f64,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            following: true,
            unseen: 0,
            last_top: 0.0,
        }
    }
}

impl Follow {
    pub fn following(&self) -> bool {
        self.following
    }

    /// Rows that arrived while not following.
    pub fn unseen(&self) -> usize {
        self.unseen
    }

    /// The list scrolled (by the user or by us): stop following when it moved up, resume
    /// once it is back at the bottom.
    pub fn scrolled(&mut self, scroll_top: f64, scroll_height: f64, client_height: f64) {
        let moved_up = scroll_top + 1.0 < self.last_top;
        self.last_top = scroll_top;
        if at_bottom(scroll_top, scroll_height, client_height) {
            self.following = true;
            self.unseen = 0;
        } else if moved_up {
            self.following = false;
        }
    }

    /// New rows arrived; returns whether the view should scroll to them.
    pub fn rows_added(&mut self, count: usize) -> bool {
        if !self.following {
            self.unseen += count;
        }
        self.following
    }

    /// The user chose a row: new rows no longer scroll the list, so the row stays where it is
    /// on screen ("Jump to latest", or scrolling back to the bottom, follows again).
    pub fn hold(&mut self) {
        self.following = false;
    }

    /// "Jump to latest".
    pub fn jump(&mut self) {
        self.following = true;
        self.unseen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_until_the_user_scrolls_up() {
        assert!(at_bottom(600.0, 1000.0, 400.0));
        assert!(at_bottom(595.0, 1000.0, 400.0));
        assert!(!at_bottom(500.0, 1000.0, 400.0));
        let mut f = Follow::default();
        assert!(f.rows_added(3));
        assert_eq!(f.unseen(), 0);
        // Our own scroll to the bottom.
        f.scrolled(600.0, 1000.0, 400.0);
        assert!(f.following());
        // Rows grew the list before the scroll event of an automatic scroll arrived: the
        // position did not move up, so this is not the user leaving.
        f.scrolled(600.0, 1200.0, 400.0);
        assert!(f.following());
        // The user scrolls up.
        f.scrolled(300.0, 1200.0, 400.0);
        assert!(!f.following());
        assert!(!f.rows_added(2));
        assert!(!f.rows_added(1));
        assert_eq!(f.unseen(), 3);
        // Scrolling down, but not to the bottom, keeps reading mode.
        f.scrolled(500.0, 1200.0, 400.0);
        assert!(!f.following());
        f.jump();
        assert!(f.following());
        assert_eq!(f.unseen(), 0);
        f.scrolled(100.0, 1200.0, 400.0);
        f.rows_added(1);
        // Back at the bottom by hand.
        f.scrolled(800.0, 1200.0, 400.0);
        assert_eq!(f.unseen(), 0);
        assert!(f.following());
    }

    #[test]
    fn a_chosen_row_holds_the_list_still() {
        let mut f = Follow::default();
        f.scrolled(800.0, 1200.0, 400.0);
        f.hold();
        assert!(!f.following());
        assert!(
            !f.rows_added(4),
            "new rows do not scroll the chosen row away"
        );
        assert_eq!(f.unseen(), 4);
        // The list grew under a view that did not move: still held.
        f.scrolled(800.0, 1280.0, 400.0);
        assert!(!f.following());
        f.jump();
        assert!(f.following() && f.unseen() == 0);
    }
}
