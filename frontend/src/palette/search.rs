//! The command palette's search: which commands match what the user typed, best first.
//!
//! Every word typed must appear in the command's name, its group or one of its keys
//! (case-insensitive), so "run all" finds "Run all cells" and "ctrl+s" finds Save. Names that
//! start with the query come first, then names containing it as a word start, then the rest,
//! each in their listed order.

use wirebook_shared::sorting::sort_by;

/// Something the palette lists.
pub trait Searchable {
    fn name(&self) -> &str;
    /// Extra words that find it: its group, its keys.
    fn keywords(&self) -> String;
}

/// The indexes of the `items` that match `query`, best first.
pub fn search<T: Searchable>(items: &[T], query: &str) -> Vec<usize> {
    let query = query.trim().to_lowercase();
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut ranked: Vec<(u8, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let name = item.name().to_lowercase();
            let haystack = format!("{name} {}", item.keywords().to_lowercase());
            if !words.iter().all(|w| haystack.contains(w)) {
                return None;
            }
            let rank = if query.is_empty() || name.starts_with(&query) {
                0
            } else if name.contains(&format!(" {query}")) {
                1
            } else if name.contains(&query) {
                2
            } else {
                3
            };
            Some((rank, index))
        })
        .collect();
    sort_by(&mut ranked, Ord::cmp);
    ranked.into_iter().map(|(_, index)| index).collect()
}

/// The highlighted row after an arrow key: wraps around, stays put in an empty list.
pub fn step(current: usize, len: usize, down: bool) -> usize {
    match (len, down) {
        (0, _) => 0,
        (_, true) => (current + 1) % len,
        (_, false) => (current + len - 1) % len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Item(&'static str, &'static str);

    impl Searchable for Item {
        fn name(&self) -> &str {
            self.0
        }
        fn keywords(&self) -> String {
            self.1.to_string()
        }
    }

    const ITEMS: [Item; 5] = [
        Item("Run the selected cells", "Shift+Enter run"),
        Item("Run all cells", "run"),
        Item("Save the notebook", "Ctrl+S S file"),
        Item("Restart the kernel and run all cells", "0 0 kernel"),
        Item("Undo cell operation", "Z"),
    ];

    #[test]
    fn every_word_must_match_and_names_that_start_with_it_come_first() {
        assert_eq!(search(&ITEMS, ""), vec![0, 1, 2, 3, 4]);
        assert_eq!(search(&ITEMS, "run all"), vec![1, 3]);
        assert_eq!(search(&ITEMS, "  RUN  "), vec![0, 1, 3]);
        assert_eq!(search(&ITEMS, "all cells"), vec![1, 3]);
        assert_eq!(search(&ITEMS, "kernel"), vec![3]);
        assert_eq!(search(&ITEMS, "ctrl+s"), vec![2]);
        assert_eq!(search(&ITEMS, "cells"), vec![0, 1, 3]);
        assert!(search(&ITEMS, "nothing like it").is_empty());
    }

    #[test]
    fn arrows_wrap() {
        assert_eq!(step(0, 3, true), 1);
        assert_eq!(step(2, 3, true), 0);
        assert_eq!(step(0, 3, false), 2);
        assert_eq!(step(0, 0, true), 0);
    }
}
