//! The browser's clock, as the notebook model takes it: now as RFC 3339 (UTC) and the
//! viewer's time zone as minutes east of UTC.

/// Now, e.g. `2026-12-03T07:45:12.123Z`.
pub fn now_rfc3339() -> String {
    js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// The viewer's offset from UTC now, in minutes east (JavaScript counts them west).
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}
