//! Kernel messages threaded by `parent_header.msg_id`: the inspector's tree view.
//!
//! A request is the root of its thread; everything the kernel says about it (status busy,
//! execute_input, stream, ..., status idle, the reply) hangs under it in the order captured.
//! Threading works on whatever rows pass the filter: a message whose parent is not among them
//! is a root and says so (`orphan`). Messages are ordered by `seq` first, so a reply captured
//! before its request (two sockets, two tasks) still threads under it. A cycle of parents
//! (only a broken or hostile peer sends one) cannot hang the walk: every message is placed
//! exactly once, and members of a cycle become roots after the rest, earliest first.

use std::collections::HashMap;

use wirebook_shared::sorting::sort_by_key;

/// One kernel message as the threading needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u64,
    pub msg_id: String,
    pub parent: Option<String>,
}

/// One row of the tree view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadRow {
    pub seq: u64,
    /// 0 for a root.
    pub depth: u32,
    /// The message names a parent that is not among the threaded messages.
    pub orphan: bool,
}

/// The threaded rows, in display order, with a lookup from `seq` to position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KernelTree {
    rows: Vec<ThreadRow>,
    position: HashMap<u64, usize>,
}

impl KernelTree {
    /// Threads `messages` (any order; duplicates of a `seq` count once).
    pub fn build(mut messages: Vec<Message>) -> KernelTree {
        sort_by_key(&mut messages, |m| m.seq);
        messages.dedup_by_key(|m| m.seq);
        let n = messages.len();
        // The first message with an id owns it: a reused id does not steal children.
        let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, m) in messages.iter().enumerate() {
            if !m.msg_id.is_empty() {
                by_id.entry(m.msg_id.as_str()).or_insert(i);
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut parent_of: Vec<Option<usize>> = vec![None; n];
        let mut orphan = vec![false; n];
        for (i, m) in messages.iter().enumerate() {
            if let Some(parent) = m.parent.as_deref().filter(|p| !p.is_empty()) {
                match by_id.get(parent) {
                    Some(&p) if p != i => {
                        children[p].push(i);
                        parent_of[i] = Some(p);
                    }
                    // A message that is its own parent is a root.
                    Some(_) => {}
                    None => orphan[i] = true,
                }
            }
        }
        let mut placed = vec![false; n];
        let mut rows = Vec::with_capacity(n);
        let walk = |start: usize, rows: &mut Vec<ThreadRow>, placed: &mut Vec<bool>| {
            // Depth first, children in capture order; an explicit stack so that a long chain
            // cannot overflow the call stack.
            let mut stack = vec![(start, 0u32)];
            while let Some((i, depth)) = stack.pop() {
                if placed[i] {
                    continue;
                }
                placed[i] = true;
                rows.push(ThreadRow {
                    seq: messages[i].seq,
                    depth,
                    orphan: orphan[i],
                });
                for &child in children[i].iter().rev() {
                    if !placed[child] {
                        stack.push((child, depth + 1));
                    }
                }
            }
        };
        for (i, parent) in parent_of.iter().enumerate() {
            if parent.is_none() {
                walk(i, &mut rows, &mut placed);
            }
        }
        // Whatever is left hangs off a cycle.
        for i in 0..n {
            if !placed[i] {
                walk(i, &mut rows, &mut placed);
            }
        }
        let position = rows.iter().enumerate().map(|(i, r)| (r.seq, i)).collect();
        KernelTree { rows, position }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn get(&self, index: usize) -> Option<ThreadRow> {
        self.rows.get(index).copied()
    }

    pub fn index_of(&self, seq: u64) -> Option<usize> {
        self.position.get(&seq).copied()
    }

    pub fn range(&self, range: std::ops::Range<usize>) -> &[ThreadRow] {
        let end = range.end.min(self.rows.len());
        let start = range.start.min(end);
        &self.rows[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(seq: u64, id: &str, parent: Option<&str>) -> Message {
        Message {
            seq,
            msg_id: id.into(),
            parent: parent.map(str::to_string),
        }
    }

    fn shape(tree: &KernelTree) -> Vec<(u64, u32, bool)> {
        tree.range(0..usize::MAX)
            .iter()
            .map(|r| (r.seq, r.depth, r.orphan))
            .collect()
    }

    #[test]
    fn an_execution_threads_under_its_request() {
        let tree = KernelTree::build(vec![
            m(1, "req", None),
            m(2, "busy", Some("req")),
            m(3, "input", Some("req")),
            m(4, "kinfo", None),
            m(5, "stream", Some("req")),
            m(6, "kreply", Some("kinfo")),
            m(7, "idle", Some("req")),
            m(8, "reply", Some("req")),
        ]);
        assert_eq!(
            shape(&tree),
            vec![
                (1, 0, false),
                (2, 1, false),
                (3, 1, false),
                (5, 1, false),
                (7, 1, false),
                (8, 1, false),
                (4, 0, false),
                (6, 1, false),
            ]
        );
        assert_eq!(tree.index_of(4), Some(6));
        assert_eq!(tree.get(1).map(|r| r.seq), Some(2));
        assert_eq!(tree.range(6..99).len(), 2);
        assert_eq!(tree.len(), 8);
    }

    #[test]
    fn unknown_parents_are_orphan_roots_and_late_parents_still_adopt() {
        // The reply (seq 2) was captured before its request (seq 3).
        let tree = KernelTree::build(vec![
            m(3, "req", None),
            m(2, "reply", Some("req")),
            m(1, "lost", Some("gone")),
            m(4, "", Some("")),
        ]);
        assert_eq!(
            shape(&tree),
            vec![(1, 0, true), (3, 0, false), (2, 1, false), (4, 0, false)]
        );
    }

    #[test]
    fn cycles_and_self_parents_end_and_place_everything_once() {
        let tree = KernelTree::build(vec![
            m(1, "a", Some("b")),
            m(2, "b", Some("a")),
            m(3, "c", Some("c")),
            m(4, "d", Some("a")),
            m(4, "d", Some("a")),
        ]);
        let rows = shape(&tree);
        assert_eq!(rows.len(), 4, "{rows:?}");
        let mut seqs: Vec<u64> = rows.iter().map(|r| r.0).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        // The self-parented message is an ordinary root; the cycle comes after, earliest first.
        assert_eq!(rows[0], (3, 0, false));
        assert_eq!(rows[1], (1, 0, false));
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let messages: Vec<Message> = (0..100_000u64)
            .map(|i| Message {
                seq: i,
                msg_id: i.to_string(),
                parent: i.checked_sub(1).map(|p| p.to_string()),
            })
            .collect();
        let tree = KernelTree::build(messages);
        assert_eq!(tree.get(99_999).map(|r| r.depth), Some(99_999));
    }

    #[test]
    fn a_reused_id_keeps_its_first_owner() {
        let tree = KernelTree::build(vec![
            m(1, "x", None),
            m(2, "x", None),
            m(3, "child", Some("x")),
        ]);
        assert_eq!(
            shape(&tree),
            vec![(1, 0, false), (3, 1, false), (2, 0, false)]
        );
    }
}
