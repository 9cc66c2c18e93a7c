//! Time-series line charts: one line per series, a legend, axes with units, and the alert
//! threshold as a dashed red line where the seed defines one.

use plotters::prelude::*;

use super::{THRESHOLD, guarded};

/// Colour-blind-safe palette (Okabe–Ito), one colour per series in order.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

pub struct LineChart {
    pub title: String,
    /// Y axis title with its unit, e.g. "p99 latency (ms)".
    pub y_desc: String,
    /// The range, unix seconds.
    pub from: u32,
    pub to: u32,
    pub series: Vec<(String, Vec<(u32, f64)>)>,
    /// The bucket width: points further apart than this had no data between them, and the line
    /// is broken there rather than drawn across the gap.
    pub step: u32,
    /// A horizontal alert line and its legend text.
    pub threshold: Option<(f64, String)>,
}

/// The chart as an SVG document; empty on a drawing failure (the page says so and keeps its table).
pub fn line_chart_svg(c: &LineChart) -> String {
    guarded("line chart", |out| draw(out, c))
}

fn draw(out: &mut String, c: &LineChart) -> Result<(), Box<dyn std::error::Error>> {
    let max = c
        .series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(c.threshold.as_ref().map_or(0.0, |t| t.0));
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let (from, to) = (c.from as f64, c.to.max(c.from + 1) as f64);
    let span = to - from;
    {
        let root = SVGBackend::with_string(out, (720, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .caption(&c.title, ("sans-serif", 16))
            .build_cartesian_2d(from..to, 0f64..top)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .y_desc(&c.y_desc)
            .x_desc("Time (UTC)")
            .axis_desc_style(("sans-serif", 13))
            .x_labels(7)
            .y_labels(6)
            .x_label_formatter(&|v| time_label(*v as i64, span))
            .y_label_formatter(&|v| short_number(*v))
            .draw()?;
        for (i, (name, points)) in c.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            for (n, run) in runs(points, c.step).into_iter().enumerate() {
                let drawn = chart.draw_series(LineSeries::new(
                    run.iter().map(|(x, y)| (*x as f64, *y)),
                    color.stroke_width(2),
                ))?;
                if n == 0 {
                    drawn.label(name.clone()).legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                }
            }
        }
        if let Some((value, label)) = &c.threshold {
            let v = *value;
            chart
                .draw_series(DashedLineSeries::new(
                    [(from, v), (to, v)],
                    6,
                    4,
                    THRESHOLD.stroke_width(2),
                ))?
                .label(label.clone())
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], THRESHOLD.stroke_width(2))
                });
        }
        if !c.series.is_empty() || c.threshold.is_some() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .border_style(BLACK.mix(0.3))
                .background_style(WHITE.mix(0.9))
                .draw()?;
        }
        root.present()?;
    }
    Ok(())
}

/// The points split where a bucket is missing (more than one step apart).
fn runs(points: &[(u32, f64)], step: u32) -> Vec<&[(u32, f64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].0.saturating_sub(points[i - 1].0) > step.max(1) {
            out.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        out.push(&points[start..]);
    }
    out
}

/// "14:05" within a day, "Nov 27 14:00" beyond.
fn time_label(secs: i64, span: f64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return String::new();
    };
    if span <= 86400.0 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        let month = t.month().to_string();
        format!("{} {} {:02}:00", &month[..3], t.day(), t.hour())
    }
}

/// 1234 -> "1.2k", 0.5 -> "0.50", 12 -> "12".
fn short_number(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.abs() >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v.fract().abs() < 1e-9 || v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_series_legend_axes_and_threshold() {
        let c = LineChart {
            title: "p99 latency".into(),
            y_desc: "p99 (ms)".into(),
            from: 1_790_000_000,
            to: 1_790_003_600,
            series: vec![
                (
                    "us-1".into(),
                    vec![(1_790_000_000, 200.0), (1_790_001_800, 1500.0)],
                ),
                (
                    "eu-1".into(),
                    vec![(1_790_000_000, 100.0), (1_790_001_800, 90.0)],
                ),
            ],
            step: 1800,
            threshold: Some((1000.0, "alert: p99 > 1 s".into())),
        };
        let svg = line_chart_svg(&c);
        for text in [
            "us-1",
            "eu-1",
            "alert: p99 &gt; 1 s",
            "p99 (ms)",
            "Time (UTC)",
            "1.0k",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
    }

    #[test]
    fn empty_chart_renders() {
        let c = LineChart {
            title: "x".into(),
            y_desc: "y".into(),
            from: 10,
            to: 10,
            series: vec![],
            step: 60,
            threshold: None,
        };
        assert!(line_chart_svg(&c).starts_with("<svg"));
    }

    #[test]
    fn a_missing_bucket_breaks_the_line() {
        let pts = [(0, 1.0), (60, 2.0), (240, 3.0), (300, 4.0)];
        let r = runs(&pts, 60);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].len(), r[1].len()), (2, 2));
        assert!(runs(&[], 60).is_empty());
    }

    #[test]
    fn labels() {
        assert_eq!(short_number(1234.0), "1.2k");
        assert_eq!(short_number(0.5), "0.50");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(time_label(1_790_000_000, 3600.0).len(), 5);
        assert!(time_label(1_790_000_000, 7.0 * 86400.0).ends_with(":00"));
    }
}
