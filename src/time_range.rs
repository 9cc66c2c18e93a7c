//! A page's time range (telemetry, a shard's history, a tenant's requests), as typed in its URL,
//! and the bucket its charts use.
//!
//! Buckets are sized to the range so every series has about 60–180 points: fine enough to see a
//! burst, coarse enough that a 7-day chart is not a million points. Bucketing is
//! `intDiv(toUInt32(ts), step) * step` in ClickHouse (both 18.16 and modern servers have it;
//! `toStartOfInterval` is missing on 18.16).

use crate::error::{Error, Result};

/// The preset ranges offered by every telemetry page.
pub const PRESETS: [(&str, u32); 5] = [
    ("15m", 15 * 60),
    ("1h", 3600),
    ("6h", 6 * 3600),
    ("24h", 24 * 3600),
    ("7d", 7 * 24 * 3600),
];

/// The default range when the URL names none.
pub const DEFAULT_PRESET: &str = "1h";

/// The longest custom range accepted: the longest preset. Raw rows are scanned for every panel
/// (the telemetry benchmark: a week of 10 M rows takes 1.3–1.5 s); longer ranges need rollups.
pub const MAX_SPAN_SECS: u32 = 7 * 24 * 3600;

/// Bucket widths to choose from, in seconds.
const STEPS: [u32; 15] = [
    15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/// Preset ranges end on a multiple of this many seconds.
const ALIGN: u32 = 15;

/// Most points per series.
const MAX_POINTS: u32 = 180;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TimeRange {
    /// Unix seconds, inclusive.
    pub from: u32,
    /// Unix seconds, exclusive.
    pub to: u32,
    /// Bucket width in seconds.
    pub step: u32,
    /// `15m` … `7d`, or `None` for a custom from/to.
    pub preset: Option<&'static str>,
}

/// A range as it arrives in JSON: the preset is read back as the table's own `&'static str`.
#[derive(serde::Deserialize)]
struct RangeWire {
    from: u32,
    to: u32,
    step: u32,
    preset: Option<String>,
}

impl<'de> serde::Deserialize<'de> for TimeRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let w = RangeWire::deserialize(d)?;
        let preset =
            match w.preset {
                None => None,
                Some(n) => Some(PRESETS.iter().map(|p| p.0).find(|p| *p == n).ok_or_else(
                    || serde::de::Error::custom(format!("unknown range preset {n:?}")),
                )?),
            };
        Ok(Self {
            from: w.from,
            to: w.to,
            step: w.step,
            preset,
        })
    }
}

impl TimeRange {
    /// `range=1h`, or `from=…&to=…` (dates or `YYYY-MM-DDTHH:MM`, UTC), relative to `now` (unix s).
    pub fn parse(
        range: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        now: u32,
    ) -> Result<Self> {
        fn blank(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let (range, from, to) = (blank(range), blank(from), blank(to));
        // A preset named in the URL wins over from/to (the form sends both); from/to apply when the
        // range is empty or `custom`.
        let preset_named = range.is_some_and(|r| r != "custom");
        if !preset_named && (from.is_some() || to.is_some() || range == Some("custom")) {
            let (Some(f), Some(t)) = (from, to) else {
                return Err(Error::InvalidInput(
                    "a custom range needs both \"from\" and \"to\" (e.g. 2026-11-28T09:00)".into(),
                ));
            };
            let f = secs(crate::clock::parse_time("from", f)?);
            let t = secs(crate::clock::parse_time("to", t)?);
            if f >= t {
                return Err(Error::InvalidInput(
                    "\"from\" must be earlier than \"to\"".into(),
                ));
            }
            if t - f > MAX_SPAN_SECS {
                return Err(Error::InvalidInput(format!(
                    "a range may span at most {} days",
                    MAX_SPAN_SECS / 86400
                )));
            }
            return Ok(Self::custom(f, t));
        }
        let name = range.unwrap_or(DEFAULT_PRESET);
        let (preset, span) = PRESETS
            .iter()
            .find(|(p, _)| *p == name)
            .copied()
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown range {name:?}: choose one of {}, or give from and to",
                    PRESETS.map(|p| p.0).join(", ")
                ))
            })?;
        // Aligned to the bucket (at least 15 s): buckets then cover the range exactly, and a page,
        // its charts and viewers within the same bucket ask the same question and share one
        // answer. The last bucket is still filling: rates there divide by the seconds it covers
        // so far (see `covered`).
        let step = step_for(span);
        let to = now.div_ceil(step.max(ALIGN)) * step.max(ALIGN);
        Ok(Self {
            from: to.saturating_sub(span),
            to,
            step,
            preset: Some(preset),
        })
    }

    pub fn custom(from: u32, to: u32) -> Self {
        Self {
            from,
            to,
            step: step_for(to.saturating_sub(from)),
            preset: None,
        }
    }

    pub fn span(&self) -> u32 {
        self.to - self.from
    }

    /// Seconds of the bucket starting at `bucket` that lie inside the range and before `now`:
    /// the divisor for a rate (the first and last buckets may be partial).
    pub fn covered(&self, bucket: u32, now: u32) -> u32 {
        let start = bucket.max(self.from);
        let end = (bucket + self.step).min(self.to).min(now.max(start));
        end.saturating_sub(start).max(1)
    }
}

fn secs(ms: i64) -> u32 {
    (ms / 1000).clamp(0, u32::MAX as i64) as u32
}

/// The smallest step that keeps a series at or under [`MAX_POINTS`] points.
pub fn step_for(span: u32) -> u32 {
    STEPS
        .iter()
        .copied()
        .find(|s| span.div_ceil(*s) <= MAX_POINTS)
        .unwrap_or(86400)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u32 = 1_790_000_000;

    #[test]
    fn ranges_cross_json_with_their_preset_and_refuse_an_unknown_one() {
        let r = TimeRange::parse(Some("1h"), None, None, NOW).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), r);
        let bad = json.replace("\"1h\"", "\"2h\"");
        let err = serde_json::from_str::<TimeRange>(&bad).unwrap_err();
        assert!(
            err.to_string().contains("unknown range preset \"2h\""),
            "{err}"
        );
    }

    #[test]
    fn presets_have_60_to_180_points() {
        for (name, span) in PRESETS {
            let r = TimeRange::parse(Some(name), None, None, NOW).unwrap();
            assert_eq!(r.span(), span);
            let points = span / r.step;
            assert!((60..=180).contains(&points), "{name}: {points} points");
        }
    }

    #[test]
    fn default_is_one_hour_aligned_to_its_buckets() {
        let r = TimeRange::parse(None, None, None, NOW).unwrap();
        assert_eq!((r.preset, r.span(), r.step), (Some("1h"), 3600, 30));
        assert_eq!(r.to % 30, 0);
        assert!(r.to >= NOW && r.to < NOW + 30);
        let week = TimeRange::parse(Some("7d"), None, None, NOW).unwrap();
        assert_eq!((week.to % week.step, week.from % week.step), (0, 0));
    }

    #[test]
    fn partial_buckets_cover_only_their_seconds() {
        let r = TimeRange::custom(1000, 1600);
        assert_eq!(r.step, 15);
        assert_eq!(
            r.covered(990, 5000),
            5,
            "first bucket starts before the range"
        );
        assert_eq!(r.covered(1500, 5000), 15);
        assert_eq!(r.covered(1590, 1595), 5, "last bucket, still filling");
    }

    #[test]
    fn custom_range_parses_and_checks_order() {
        let r = TimeRange::parse(
            None,
            Some("2026-11-28T09:00"),
            Some("2026-11-28T10:00"),
            NOW,
        )
        .unwrap();
        assert_eq!((r.span(), r.preset), (3600, None));
        let e = TimeRange::parse(
            None,
            Some("2026-11-28T10:00"),
            Some("2026-11-28T09:00"),
            NOW,
        )
        .unwrap_err();
        assert!(e.to_string().contains("earlier"), "{e}");
        let e = TimeRange::parse(None, Some("2026-11-28"), None, NOW).unwrap_err();
        assert!(e.to_string().contains("both"), "{e}");
        let e = TimeRange::parse(None, Some("2026-01-01"), Some("2026-01-09"), NOW).unwrap_err();
        assert!(e.to_string().contains("7 days"), "{e}");
        // A preset named in the URL wins over from/to left in the form.
        let r = TimeRange::parse(
            Some("6h"),
            Some("2026-11-28T09:00"),
            Some("2026-11-28T10:00"),
            NOW,
        )
        .unwrap();
        assert_eq!(r.preset, Some("6h"));
        let r = TimeRange::parse(
            Some("custom"),
            Some("2026-11-28T09:00"),
            Some("2026-11-28T10:00"),
            NOW,
        )
        .unwrap();
        assert_eq!(r.preset, None);
    }

    #[test]
    fn unknown_range_names_the_choices() {
        let e = TimeRange::parse(Some("2w"), None, None, NOW).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("15m, 1h, 6h, 24h, 7d"), "{e}");
    }
}
