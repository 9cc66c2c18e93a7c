//! Number formatting for tables: bytes, lag, counts. Pure, shared by server and browser.

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

/// Age of a measurement, e.g. "42 s ago", "3 min ago".
pub fn age(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
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
    }
}
