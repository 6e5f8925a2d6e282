//! Notices a change to the open notebook's file on disk cheaply: the page looks at the file's
//! size and modification time in its directory's listing every few seconds and fetches the
//! file (to compare versions, which are content hashes) only when they moved. A listing is one
//! `readdir` on the server; watching with inotify would need a push channel per page for the
//! same answer a few seconds sooner.

use std::time::Duration;

use wirebook_shared::notebook_files::{Entry, Listing};

/// How often the page looks.
pub const LOOK_EVERY: Duration = Duration::from_secs(2);

/// What the listing says of the file: `None` when it is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub mtime_ms: Option<u64>,
    pub size: Option<u64>,
}

impl Stamp {
    /// The stamp of `path` in `listing`, `None` when the listing has no such file.
    pub fn of(listing: &Listing, path: &str) -> Option<Stamp> {
        listing
            .entries
            .iter()
            .find(|entry: &&Entry| entry.path == path)
            .map(|entry| Stamp {
                mtime_ms: entry.mtime_ms,
                size: entry.size,
            })
    }
}

/// The directory whose listing holds `path` (`""` for the notebook directory).
pub fn directory_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(directory, _)| directory)
}

/// The stamps seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskWatch {
    /// `None` before the first look.
    last: Option<Option<Stamp>>,
}

impl DiskWatch {
    /// Records what a look saw; true when it differs from the look before, so the file's
    /// version is worth fetching. The first look counts as a change: the file may have changed
    /// between the page's load and it.
    pub fn looked(&mut self, now: Option<Stamp>) -> bool {
        let changed = self.last != Some(now);
        self.last = Some(now);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::notebook_files::EntryKind;

    fn stamp(mtime_ms: u64, size: u64) -> Option<Stamp> {
        Some(Stamp {
            mtime_ms: Some(mtime_ms),
            size: Some(size),
        })
    }

    #[test]
    fn the_first_look_and_any_move_after_it_count() {
        let mut watch = DiskWatch::default();
        assert!(watch.looked(stamp(1, 10)));
        assert!(!watch.looked(stamp(1, 10)));
        assert!(watch.looked(stamp(2, 10)), "touched");
        assert!(!watch.looked(stamp(2, 10)));
        assert!(watch.looked(stamp(2, 11)), "same second, other size");
        assert!(watch.looked(None), "deleted");
        assert!(!watch.looked(None));
        assert!(watch.looked(stamp(3, 1)), "back again");
    }

    #[test]
    fn finds_the_file_in_its_directory_listing() {
        let entry = |path: &str, kind| Entry {
            name: path.rsplit('/').next().unwrap().into(),
            path: path.into(),
            kind,
            size: Some(5),
            mtime_ms: Some(7),
        };
        let listing = Listing {
            path: "a".into(),
            entries: vec![
                entry("a/b", EntryKind::Directory),
                entry("a/n.ipynb", EntryKind::Notebook),
            ],
        };
        assert_eq!(Stamp::of(&listing, "a/n.ipynb"), stamp(7, 5));
        assert_eq!(Stamp::of(&listing, "a/m.ipynb"), None);
        assert_eq!(directory_of("a/n.ipynb"), "a");
        assert_eq!(directory_of("n.ipynb"), "");
        assert_eq!(directory_of("a/b/c.ipynb"), "a/b");
    }
}
