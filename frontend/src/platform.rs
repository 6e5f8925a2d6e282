//! Which keyboard the user has, so that keys are shown as it labels them: a Mac's (⌘ ⌥ ⇧)
//! or another's (Ctrl, Alt, Shift). A binding's `Ctrl` means Ctrl or ⌘ (see
//! `wirebook_notebook::bindings`), so on a Mac it is shown as ⌘.

/// A keyboard's labelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Mac,
    Other,
}

impl Platform {
    /// From a platform name as browsers report it: `navigator.userAgentData.platform`
    /// (`"macOS"`) or `navigator.platform` (`"MacIntel"`, `"iPhone"`, `"Linux x86_64"`).
    pub fn from_name(name: &str) -> Platform {
        let name = name.to_ascii_lowercase();
        if ["mac", "iphone", "ipad", "ipod"]
            .iter()
            .any(|apple| name.starts_with(apple))
        {
            Platform::Mac
        } else {
            Platform::Other
        }
    }

    /// This browser's, asked once (it does not change while the page is open).
    pub fn current() -> Platform {
        thread_local! {
            static CURRENT: Platform = Platform::from_name(&platform_name());
        }
        CURRENT.with(|p| *p)
    }
}

/// `navigator.userAgentData.platform` where the browser has it (Chromium), else the older
/// `navigator.platform`.
#[cfg(target_arch = "wasm32")]
fn platform_name() -> String {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return String::new();
    };
    let hints = js_sys::Reflect::get(&navigator, &"userAgentData".into())
        .ok()
        .filter(|v| v.is_object())
        .and_then(|data| js_sys::Reflect::get(&data, &"platform".into()).ok())
        .and_then(|p| p.as_string())
        .filter(|p| !p.is_empty());
    hints.unwrap_or_else(|| navigator.platform().unwrap_or_default())
}

/// Off the browser (host tests) there is no navigator.
#[cfg(not(target_arch = "wasm32"))]
fn platform_name() -> String {
    String::new()
}

/// Key text with its modifiers as `platform` labels them: `Ctrl+Shift+K` stays on Linux and
/// Windows, and is `⌘⇧K` on a Mac.
pub fn modifiers_for(keys: &str, platform: Platform) -> String {
    match platform {
        Platform::Other => keys.to_string(),
        Platform::Mac => keys
            .replace("Ctrl+", "⌘")
            .replace("Alt+", "⌥")
            .replace("Shift+", "⇧"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_platforms_are_macs() {
        for mac in ["macOS", "MacIntel", "iPhone", "iPad"] {
            assert_eq!(Platform::from_name(mac), Platform::Mac, "{mac}");
        }
        for other in [
            "Linux x86_64",
            "Windows",
            "Win32",
            "Chrome OS",
            "Android",
            "",
        ] {
            assert_eq!(Platform::from_name(other), Platform::Other, "{other}");
        }
    }

    #[test]
    fn a_mac_shows_its_modifier_symbols() {
        assert_eq!(modifiers_for("Ctrl+K", Platform::Mac), "⌘K");
        assert_eq!(modifiers_for("Ctrl+Shift+-", Platform::Mac), "⌘⇧-");
        assert_eq!(modifiers_for("Alt+Enter", Platform::Mac), "⌥Enter");
        assert_eq!(modifiers_for("D D", Platform::Mac), "D D");
        assert_eq!(
            modifiers_for("Ctrl+Shift+K", Platform::Other),
            "Ctrl+Shift+K"
        );
    }
}
