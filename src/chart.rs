//! Server-rendered SVG charts (plotters). The browser gets markup, not a charting library.

use plotters::prelude::*;

mod lines;

pub use lines::{LineChart, line_chart_svg};

pub struct BarDatum {
    pub label: String,
    /// None when the shard did not answer: its slot stays empty and is labelled so.
    pub value: Option<u64>,
    pub enterprise: bool,
}

const SHARED: RGBColor = RGBColor(0x2f, 0x6f, 0xb5);
const ENTERPRISE: RGBColor = RGBColor(0x8a, 0x5c, 0xc2);
const THRESHOLD: RGBColor = RGBColor(0xc2, 0x3b, 0x22);

/// Patients per shard as a bar chart, with the imbalance threshold (`threshold` × the least loaded
/// shared shard, e.g. 2×) drawn as a line; no line when `threshold` is None (no ratio to judge).
///
/// A chart that fails to draw (plotters returns an error, or panics on an arithmetic edge) is an
/// empty string: the page around it still renders.
pub fn balance_chart_svg(bars: &[BarDatum], threshold: Option<f64>) -> String {
    guarded("balance chart", |svg| draw(svg, bars, threshold))
}

/// Run a drawing into a string; a failure (an error, or a panic inside plotters on an arithmetic
/// edge) is logged and gives an empty string, so the page around the chart still renders.
fn guarded(
    what: &str,
    draw: impl FnOnce(&mut String) -> Result<(), Box<dyn std::error::Error>>,
) -> String {
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut svg = String::new();
        draw(&mut svg).map(|()| svg).map_err(|e| e.to_string())
    }));
    match drawn {
        Ok(Ok(svg)) => svg,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, chart = what, "chart failed to render");
            String::new()
        }
        Err(_) => {
            tracing::error!(chart = what, "chart panicked while rendering");
            String::new()
        }
    }
}

fn draw(
    out: &mut String,
    bars: &[BarDatum],
    threshold: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let max = bars.iter().filter_map(|b| b.value).max().unwrap_or(0);
    let min_shared = bars
        .iter()
        .filter(|b| !b.enterprise)
        .filter_map(|b| b.value)
        .min();
    let threshold = min_shared.zip(threshold).map(|(m, t)| m as f64 * t);
    let top = (max as f64).max(threshold.unwrap_or(0.0)).max(1.0) * 1.1;
    let n = bars.len().max(1);
    {
        let root = SVGBackend::with_string(out, (720, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .caption("Patients per shard", ("sans-serif", 16))
            // An integer range is inclusive: 0..n-1 gives exactly one segment per shard.
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            // Major grid lines only: the minor ones are clutter at this size.
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .y_desc("Patients (count)")
            .x_desc("Shard")
            .axis_desc_style(("sans-serif", 13))
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => bars
                    .get(*i)
                    .map(|b| match b.value {
                        Some(_) => b.label.clone(),
                        None => format!("{} (no answer)", b.label),
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| thousands(*v as u64))
            .draw()?;
        for (i, b) in bars.iter().enumerate() {
            let Some(v) = b.value else { continue };
            let color = if b.enterprise { ENTERPRISE } else { SHARED };
            chart.draw_series(
                Histogram::vertical(&chart)
                    .style(color.filled())
                    .margin(18)
                    .data([(i, v as f64)]),
            )?;
        }
        if let Some(t) = threshold {
            chart
                .draw_series(LineSeries::new(
                    [(SegmentValue::Exact(0), t), (SegmentValue::Last, t)],
                    THRESHOLD.stroke_width(2),
                ))?
                .label("2x least-loaded shared shard")
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], THRESHOLD.stroke_width(2))
                });
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .border_style(BLACK.mix(0.3))
                .background_style(WHITE.mix(0.9))
                .draw()?;
        }
        root.present()?;
    }
    Ok(())
}

/// 12345 -> "12,345" (axis labels).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_shard_label_and_marks_missing_ones() {
        let bars = vec![
            BarDatum {
                label: "us-1".into(),
                value: Some(900),
                enterprise: false,
            },
            BarDatum {
                label: "us-2".into(),
                value: Some(300),
                enterprise: false,
            },
            BarDatum {
                label: "eu-1".into(),
                value: None,
                enterprise: false,
            },
            BarDatum {
                label: "org-101".into(),
                value: Some(60_000),
                enterprise: true,
            },
        ];
        let svg = balance_chart_svg(&bars, Some(2.0));
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        for label in [
            "us-1",
            "us-2",
            "eu-1 (no answer)",
            "org-101",
            "2x least-loaded",
        ] {
            assert!(svg.contains(label), "missing {label}");
        }
    }

    #[test]
    fn one_slot_per_shard_and_no_minor_grid() {
        let bars: Vec<BarDatum> = ["a", "b", "c"]
            .iter()
            .map(|l| BarDatum {
                label: l.to_string(),
                value: Some(1000),
                enterprise: false,
            })
            .collect();
        let svg = balance_chart_svg(&bars, None);
        // Three bars: three filled rectangles in the bar colour, and the x axis names only them.
        assert_eq!(svg.matches("fill=\"#2F6FB5\"").count(), 3, "{svg}");
        assert!(svg.contains("Patients (count)") && svg.contains("Shard"));
        assert!(svg.contains("1,000"), "thousands separators on the y axis");
        assert_eq!(thousands(1234567), "1,234,567");
        // No empty slot after the last bar: it ends within the last eighth of the 720 px width
        // (with a fourth, empty segment it ended at about three quarters).
        let right_edge = |rect: &str| -> f64 {
            let attr = |name: &str| -> f64 {
                let start = rect.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                rect[start..].split('"').next().unwrap().parse().unwrap()
            };
            attr("x") + attr("width")
        };
        let last = svg
            .split("<rect")
            .filter(|r| r.contains("fill=\"#2F6FB5\""))
            .map(right_edge)
            .fold(0.0, f64::max);
        assert!(last > 630.0, "last bar ends at {last} px of 720");
        // Grid lines are the major ones only (minor ones are transparent, so not drawn).
        let grid: Vec<&str> = svg.split("<line").skip(1).collect();
        assert!(!grid.is_empty());
        assert!(
            grid.iter().all(|l| l.contains("opacity=\"0.12\"")),
            "a grid line other than the major ones: {svg}"
        );
    }

    #[test]
    fn empty_fleet_still_renders() {
        let svg = balance_chart_svg(&[], None);
        assert!(svg.contains("<svg"));
    }
}
