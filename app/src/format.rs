//! Number formatting for people: bytes, lag, counts with thousands separators, durations, ages,
//! UTC times. Pure, shared by server and browser (so hydration sees the same text).

/// The one mark for "no value" in a cell (an export writes `null` or an empty cell instead).
pub const NO_VALUE: &str = "–";

pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n.max(0) as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Lag in seconds; `None` is "unknown", never shown as 0.
pub fn lag_seconds(s: Option<f64>) -> String {
    match s {
        None => "unknown".into(),
        Some(0.0) => "0 s".into(),
        Some(v) if v < 10.0 => format!("{v:.2} s"),
        Some(v) => format!("{v:.0} s"),
    }
}

/// Seconds for people: "42 s", "12 min", "5 h", "3 days".
pub fn seconds_span(s: f64) -> String {
    let s = s.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

pub fn opt_seconds_span(s: Option<f64>) -> String {
    s.map_or_else(|| "none".to_string(), seconds_span)
}

/// Age of a measurement, e.g. "42 s ago", "3 min ago", "5 h ago", "3 days ago".
pub fn age(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        7200..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// A duration in milliseconds for people: "840 ms", "2.3 s", "12 s".
pub fn millis(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=9_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} s", count((ms / 1000) as i64)),
    }
}

/// Thousands separators: 12345 -> "12,345".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `2026-11-28 09:30:05 UTC` from Unix milliseconds (same text on the server and in the browser).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2026-11-28T09:30:05Z`, for `<time datetime>`.
pub fn iso_utc(ms: i64) -> String {
    let t = utc(ms);
    format!("{}T{}Z", &t[..10], &t[11..19])
}

/// Percent-encode a query-string value.
pub fn query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(30 * 1024 * 1024), "30.0 MiB");
        assert_eq!(lag_seconds(None), "unknown");
        assert_eq!(lag_seconds(Some(0.0)), "0 s");
        assert_eq!(lag_seconds(Some(1.234)), "1.23 s");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(count(12), "12");
        assert_eq!(age(100_000, 58_000), "42 s ago");
        assert_eq!(age(1_000_000, 0), "16 min ago");
        assert_eq!(age(0, 5), "0 s ago");
        assert_eq!(age(10_000_000, 0), "2 h ago");
        assert_eq!(age(400_000_000, 0), "4 days ago");
        assert_eq!(millis(840), "840 ms");
        assert_eq!(millis(2_345), "2.3 s");
        assert_eq!(millis(125_000), "125 s");
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_795_858_205_000), "2026-11-28 09:30:05 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(iso_utc(1_795_858_205_000), "2026-11-28T09:30:05Z");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(query_value("sign_in-2.x~"), "sign_in-2.x~");
    }
}
