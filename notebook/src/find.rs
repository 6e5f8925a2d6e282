//! Find and replace across the notebook (Ctrl+F in command mode): the matches of a query in
//! every cell's source, top to bottom, the one that is current, and the edits that replacing
//! it or all of them make. Plain text, optionally ignoring case, as Jupyter's search does by
//! default. Offsets are UTF-16 code units, the editor's unit.

use crate::CellId;

/// One match: `from..to` in the source of cell `cell_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub cell_id: CellId,
    pub from: usize,
    pub to: usize,
}

/// The search bar's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Find {
    pub open: bool,
    pub query: String,
    pub replacement: String,
    pub match_case: bool,
    /// The current match, as an index into the hits of the last [`Find::hits`].
    pub current: usize,
}

/// The most matches counted: a one-letter query in a large notebook stays cheap to draw.
pub const MAX_HITS: usize = 10_000;

impl Find {
    /// Every match in `cells` (id and source, in notebook order); none for an empty query.
    pub fn hits<'a>(&self, cells: impl IntoIterator<Item = (&'a CellId, &'a str)>) -> Vec<Hit> {
        if self.query.is_empty() {
            return Vec::new();
        }
        let query: Vec<char> = self.query.chars().collect();
        let mut hits = Vec::new();
        for (cell_id, source) in cells {
            for (from, to) in matches(source, &query, self.match_case) {
                if hits.len() == MAX_HITS {
                    return hits;
                }
                hits.push(Hit {
                    cell_id: cell_id.clone(),
                    from,
                    to,
                });
            }
        }
        hits
    }

    /// The current match among `count`, if any (it may be past the end after replacing).
    pub fn current_of(&self, count: usize) -> Option<usize> {
        (count > 0).then(|| self.current.min(count - 1))
    }

    /// Moves to the next (`by` = 1) or previous (-1) match, wrapping around.
    pub fn step(&mut self, by: isize, count: usize) {
        if let Some(current) = self.current_of(count) {
            let n = count as isize;
            self.current = (current as isize + by).rem_euclid(n) as usize;
        }
    }
}

/// Where `query` occurs in `text`, without overlaps, in UTF-16 offsets.
fn matches(text: &str, query: &[char], match_case: bool) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| a == b || !match_case && a.to_lowercase().eq(b.to_lowercase());
    let mut found = Vec::new();
    let (mut i, mut utf16) = (0, 0);
    while i + query.len() <= chars.len() {
        if chars[i..i + query.len()]
            .iter()
            .zip(query)
            .all(|(&a, &b)| same(a, b))
        {
            let len: usize = chars[i..i + query.len()]
                .iter()
                .map(|c| c.len_utf16())
                .sum();
            found.push((utf16, utf16 + len));
            i += query.len();
            utf16 += len;
        } else {
            utf16 += chars[i].len_utf16();
            i += 1;
        }
    }
    found
}

/// The hits of one cell, as the editor's ranges (`starts`, `ends`) for replacing them all in
/// one edit.
pub fn ranges_in(hits: &[Hit], cell_id: &str) -> (Vec<u32>, Vec<u32>) {
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    hits.iter()
        .filter(|h| h.cell_id == cell_id)
        .map(|h| (to_u32(h.from), to_u32(h.to)))
        .unzip()
}

/// The cells that have hits, in order, each once.
pub fn cells_with_hits(hits: &[Hit]) -> Vec<CellId> {
    let mut cells: Vec<CellId> = Vec::new();
    for hit in hits {
        if cells.last() != Some(&hit.cell_id) {
            cells.push(hit.cell_id.clone());
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(query: &str, match_case: bool) -> Find {
        Find {
            open: true,
            query: query.into(),
            match_case,
            ..Find::default()
        }
    }

    fn cells() -> Vec<(CellId, String)> {
        vec![
            ("a".into(), "import os\nos.getcwd()".into()),
            ("b".into(), "print('😀 OS')".into()),
            ("c".into(), "# nothing here".into()),
        ]
    }

    fn hits(f: &Find) -> Vec<Hit> {
        let cells = cells();
        f.hits(cells.iter().map(|(id, s)| (id, s.as_str())))
    }

    fn hit(cell: &str, from: usize, to: usize) -> Hit {
        Hit {
            cell_id: cell.into(),
            from,
            to,
        }
    }

    #[test]
    fn matches_in_every_cell_top_to_bottom() {
        assert_eq!(hits(&find("os", true)), [hit("a", 7, 9), hit("a", 10, 12)]);
        // Ignoring case; "😀" is two UTF-16 units before "OS".
        assert_eq!(
            hits(&find("os", false)),
            [hit("a", 7, 9), hit("a", 10, 12), hit("b", 10, 12)]
        );
        assert!(hits(&find("", false)).is_empty());
        assert!(hits(&find("zebra", false)).is_empty());
    }

    #[test]
    fn matches_do_not_overlap() {
        assert_eq!(matches("aaaa", &['a', 'a'], true), [(0, 2), (2, 4)]);
        assert_eq!(matches("ß", &['ß'], false), [(0, 1)]);
    }

    #[test]
    fn the_current_match_wraps_around() {
        let mut f = find("os", false);
        assert_eq!(f.current_of(3), Some(0));
        f.step(-1, 3);
        assert_eq!(f.current, 2);
        f.step(1, 3);
        assert_eq!(f.current, 0);
        // After a replace, fewer matches: the current one is the last.
        f.current = 5;
        assert_eq!(f.current_of(2), Some(1));
        assert_eq!(f.current_of(0), None);
        f.step(1, 0);
        assert_eq!(f.current, 5);
    }

    #[test]
    fn replace_all_works_cell_by_cell() {
        let all = hits(&find("os", false));
        assert_eq!(cells_with_hits(&all), ["a", "b"]);
        assert_eq!(ranges_in(&all, "a"), (vec![7, 10], vec![9, 12]));
        assert_eq!(ranges_in(&all, "c"), (vec![], vec![]));
    }
}
