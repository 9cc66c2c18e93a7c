//! Time for the whole crate: the clock (unix milliseconds) and the UTC times a form sends.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `2026-11-28` or `2026-11-28T09:30` (what a date / datetime-local input sends), in UTC.
pub fn parse_time(name: &str, s: &str) -> Result<i64> {
    use time::macros::format_description;
    let bad = || {
        Error::InvalidInput(format!(
            "\"{name}\" must be a date like 2026-11-28 or 2026-11-28T09:30 (UTC), got {s:?}"
        ))
    };
    let dt = if s.len() == 10 {
        time::Date::parse(s, format_description!("[year]-[month]-[day]"))
            .map_err(|_| bad())?
            .midnight()
    } else {
        time::PrimitiveDateTime::parse(
            s,
            format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        )
        .map_err(|_| bad())?
    };
    if !(1970..=9999).contains(&dt.year()) {
        return Err(bad());
    }
    Ok((dt.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}
