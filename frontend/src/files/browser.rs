//! The file browser's logic: breadcrumbs of a directory, the path a rename asks for, and how
//! sizes and times read. Pure; [`super::view`] shows it.

use wirebook_shared::notebook_files::{EntryKind, EXTENSION};

/// `(name, path)` for each step from the notebook directory (named "Notebooks") to `dir`.
pub fn breadcrumbs(dir: &str) -> Vec<(String, String)> {
    let mut crumbs = vec![("Notebooks".to_string(), String::new())];
    let mut path = String::new();
    for segment in dir.split('/').filter(|s| !s.is_empty()) {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(segment);
        crumbs.push((segment.to_string(), path.clone()));
    }
    crumbs
}

/// The directory a path is in (`""` for the notebook directory).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The path a rename of `path` to `new_name` asks for: same directory, and for a notebook the
/// `.ipynb` extension added when the name lacks it. An error says what is wrong with the name.
pub fn renamed_path(path: &str, kind: EntryKind, new_name: &str) -> Result<String, String> {
    let name = new_name.trim();
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.contains('/') || name.contains('\\') {
        return Err("a name cannot contain / or \\".into());
    }
    if name.starts_with('.') {
        return Err("hidden names (starting with .) are not shown, so not allowed".into());
    }
    let name = match kind {
        EntryKind::Notebook if !name.ends_with(EXTENSION) => format!("{name}{EXTENSION}"),
        _ => name.to_string(),
    };
    Ok(match parent(path) {
        "" => name,
        dir => format!("{dir}/{name}"),
    })
}

/// A size as people read it: `812 B`, `4.2 KB`, `1.3 MB`.
pub fn format_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

/// How long ago `then_ms` was at `now_ms`, as a file browser says it.
pub fn format_age(then_ms: u64, now_ms: u64) -> String {
    let seconds = now_ms.saturating_sub(then_ms) / 1000;
    match seconds {
        0..=59 => "just now".into(),
        60..=3599 => plural(seconds / 60, "minute"),
        3600..=86_399 => plural(seconds / 3600, "hour"),
        86_400..=2_591_999 => plural(seconds / 86_400, "day"),
        2_592_000..=31_535_999 => plural(seconds / 2_592_000, "month"),
        _ => plural(seconds / 31_536_000, "year"),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breadcrumbs_and_parents() {
        assert_eq!(breadcrumbs(""), vec![("Notebooks".into(), "".into())]);
        assert_eq!(
            breadcrumbs("a/b"),
            vec![
                ("Notebooks".into(), "".into()),
                ("a".into(), "a".into()),
                ("b".into(), "a/b".into())
            ]
        );
        assert_eq!(parent("a/b/c.ipynb"), "a/b");
        assert_eq!(parent("c.ipynb"), "");
    }

    #[test]
    fn renames_stay_in_the_directory_and_keep_the_extension() {
        assert_eq!(
            renamed_path("d/a.ipynb", EntryKind::Notebook, " b ").as_deref(),
            Ok("d/b.ipynb")
        );
        assert_eq!(
            renamed_path("a.ipynb", EntryKind::Notebook, "b.ipynb").as_deref(),
            Ok("b.ipynb")
        );
        assert_eq!(
            renamed_path("d", EntryKind::Directory, "e").as_deref(),
            Ok("e")
        );
        assert!(renamed_path("a.ipynb", EntryKind::Notebook, "  ").is_err());
        assert!(renamed_path("a.ipynb", EntryKind::Notebook, "x/y").is_err());
        assert!(renamed_path("a.ipynb", EntryKind::Notebook, ".h").is_err());
    }

    #[test]
    fn sizes_and_ages() {
        assert_eq!(format_size(812), "812 B");
        assert_eq!(format_size(4300), "4.2 KB");
        assert_eq!(format_size(1_363_149), "1.3 MB");
        let now = 10_000_000_000;
        assert_eq!(format_age(now - 5_000, now), "just now");
        assert_eq!(format_age(now - 60_000, now), "1 minute ago");
        assert_eq!(format_age(now - 7_200_000, now), "2 hours ago");
        assert_eq!(format_age(now + 1, now), "just now", "clock skew");
        assert_eq!(format_age(now - 3 * 86_400_000, now), "3 days ago");
    }
}
