//! The "Running kernels" list's words: what each kernel is for, how long it has been idle, how
//! many pages use it and when the server will cull it. Pure; the dialog is
//! [`crate::kernel::running_view`].

use wirebook_shared::kept_kernels::{KernelKey, RunningKernel};

use crate::session::connection::kernel_label;

/// What a kernel is for: its notebook, a tab's scratch notebook, or one page's own kernel.
pub fn key_label(key: Option<&KernelKey>) -> String {
    match key {
        Some(KernelKey::Notebook { path }) => path.clone(),
        Some(KernelKey::Tab { id }) => {
            let short: String = id.chars().take(6).collect();
            format!("scratch notebook (tab {short})")
        }
        None => "a page's own kernel (ends with the page)".into(),
    }
}

/// A duration in seconds, roughly: `just now`, `42 s`, `7 min`, `2 h 5 min`.
pub fn duration_text(seconds: u64) -> String {
    match seconds {
        0..=4 => "just now".into(),
        5..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min", seconds / 60),
        _ => {
            let (hours, minutes) = (seconds / 3600, (seconds % 3600) / 60);
            if minutes == 0 {
                format!("{hours} h")
            } else {
                format!("{hours} h {minutes} min")
            }
        }
    }
}

/// How many pages use it.
pub fn attached_text(attached: u32) -> String {
    match attached {
        0 => "no page open".into(),
        1 => "1 page".into(),
        n => format!("{n} pages"),
    }
}

/// The kernel's connection state; a kernel that has not reported one yet is starting.
pub fn state_text(kernel: &RunningKernel) -> String {
    kernel
        .state
        .as_ref()
        .map_or_else(|| "starting".into(), kernel_label)
}

/// When the server will shut a kept kernel without pages down, as `cull_idle_timeout` says;
/// `None` while a page uses it (or for a page's own kernel, which ends with its page).
pub fn cull_text(kernel: &RunningKernel, cull_after: u64) -> Option<String> {
    if kernel.attached > 0 || kernel.key.is_none() {
        return None;
    }
    let left = cull_after.saturating_sub(kernel.idle_seconds);
    Some(if left == 0 {
        "shutting down (idle)".into()
    } else {
        format!(
            "shut down in {} unless its notebook is reopened",
            duration_text(left).replace("just now", "a moment")
        )
    })
}

/// Whether `kernel` is the one this page uses.
pub fn is_this_page(kernel: &RunningKernel, page: &KernelKey) -> bool {
    kernel.key.as_ref() == Some(page) && kernel.attached > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::KernelState;

    fn kernel(key: Option<KernelKey>, attached: u32, idle_seconds: u64) -> RunningKernel {
        RunningKernel {
            id: 1,
            key,
            kernel: "echo".into(),
            state: Some(KernelState::open()),
            attached,
            idle_seconds,
        }
    }

    fn notebook() -> Option<KernelKey> {
        Some(KernelKey::Notebook {
            path: "dir/a.ipynb".into(),
        })
    }

    #[test]
    fn keys_say_what_the_kernel_is_for() {
        assert_eq!(key_label(notebook().as_ref()), "dir/a.ipynb");
        let tab = KernelKey::Tab {
            id: "0123456789abcdef".into(),
        };
        assert_eq!(key_label(Some(&tab)), "scratch notebook (tab 012345)");
        assert!(key_label(None).contains("ends with the page"));
    }

    #[test]
    fn durations_read_roughly() {
        assert_eq!(duration_text(0), "just now");
        assert_eq!(duration_text(42), "42 s");
        assert_eq!(duration_text(7 * 60 + 59), "7 min");
        assert_eq!(duration_text(3600), "1 h");
        assert_eq!(duration_text(2 * 3600 + 5 * 60), "2 h 5 min");
    }

    #[test]
    fn pages_and_state() {
        assert_eq!(attached_text(0), "no page open");
        assert_eq!(attached_text(1), "1 page");
        assert_eq!(attached_text(3), "3 pages");
        let mut k = kernel(notebook(), 1, 0);
        assert_eq!(state_text(&k), "open");
        k.state = None;
        assert_eq!(state_text(&k), "starting");
    }

    #[test]
    fn only_kept_kernels_without_pages_count_down() {
        assert_eq!(cull_text(&kernel(notebook(), 1, 10), 600), None);
        assert_eq!(cull_text(&kernel(None, 0, 10), 600), None);
        assert_eq!(
            cull_text(&kernel(notebook(), 0, 60), 600).as_deref(),
            Some("shut down in 9 min unless its notebook is reopened")
        );
        assert_eq!(
            cull_text(&kernel(notebook(), 0, 599), 600).as_deref(),
            Some("shut down in a moment unless its notebook is reopened")
        );
        assert_eq!(
            cull_text(&kernel(notebook(), 0, 900), 600).as_deref(),
            Some("shutting down (idle)")
        );
    }

    #[test]
    fn this_pages_kernel_is_marked() {
        let page = notebook().unwrap();
        assert!(is_this_page(&kernel(notebook(), 1, 0), &page));
        assert!(!is_this_page(&kernel(notebook(), 0, 0), &page));
        assert!(!is_this_page(&kernel(None, 1, 0), &page));
    }
}
