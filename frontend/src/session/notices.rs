//! Messages for the user that belong to no cell (server errors, protocol trouble), as the
//! banner under the status bar shows them: repeats collapsed, the oldest giving way.

/// How many notices stay on screen; older ones give way.
pub const MAX_NOTICES: usize = 4;

/// A message for the user that belongs to no cell: server errors, protocol trouble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub message: String,
    /// How many times the same message arrived in a row (shown as `×n`, not repeated).
    pub repeats: u32,
}

/// The notices banner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notices {
    items: Vec<Notice>,
    next_id: u64,
}

impl Notices {
    pub fn push(&mut self, message: impl Into<String>) {
        let message = message.into();
        if let Some(last) = self.items.last_mut() {
            if last.message == message {
                last.repeats += 1;
                return;
            }
        }
        self.next_id += 1;
        self.items.push(Notice {
            id: self.next_id,
            message,
            repeats: 1,
        });
        if self.items.len() > MAX_NOTICES {
            self.items.remove(0);
        }
    }

    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|n| n.id != id);
    }

    pub fn items(&self) -> &[Notice] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_collapse_repeats_and_stay_bounded() {
        let mut n = Notices::default();
        n.push("a");
        n.push("a");
        n.push("b");
        assert_eq!(n.items().len(), 2);
        assert_eq!(n.items()[0].repeats, 2);
        for i in 0..10 {
            n.push(format!("m{i}"));
        }
        assert_eq!(n.items().len(), MAX_NOTICES);
        assert_eq!(n.items().last().unwrap().message, "m9");
        let id = n.items()[0].id;
        n.dismiss(id);
        assert_eq!(n.items().len(), MAX_NOTICES - 1);
        assert!(n.items().iter().all(|x| x.id != id));
    }
}
