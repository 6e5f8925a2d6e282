//! nbformat 4.5 cell ids: which are valid, and new ones for cells of older files.

use std::collections::HashSet;

use sha1::{Digest as _, Sha1};

/// Whether `id` is a valid nbformat 4.5 cell id: 1–64 characters of `[a-zA-Z0-9-_]`.
pub fn is_valid_cell_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new cell id that is not in `taken`: 8 hex digits (like Jupyter's) derived from the cell's
/// position and source, so reading the same old file twice gives the same ids.
pub fn new_cell_id(index: usize, source: &str, taken: &HashSet<String>) -> String {
    for attempt in 0u32.. {
        let mut hasher = Sha1::new();
        hasher.update((index as u64).to_le_bytes());
        hasher.update(attempt.to_le_bytes());
        hasher.update(source.as_bytes());
        let id = crate::hex::hex(&hasher.finalize()[..4]);
        if !taken.contains(&id) {
            return id;
        }
    }
    unreachable!("u32 attempts at 32 random bits cannot all be taken")
}
