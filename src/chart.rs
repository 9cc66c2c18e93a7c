//! Server-rendered SVG charts (plotters). The browser gets markup, not a charting library.

use plotters::prelude::*;

use crate::balance::{Balance, IMBALANCE_THRESHOLD};

pub struct BarDatum {
    pub label: String,
    /// None when the shard did not answer: its slot stays empty and is labelled so.
    pub value: Option<u64>,
    pub enterprise: bool,
}

const SHARED: RGBColor = RGBColor(0x2f, 0x6f, 0xb5);
const ENTERPRISE: RGBColor = RGBColor(0x8a, 0x5c, 0xc2);
const THRESHOLD: RGBColor = RGBColor(0xc2, 0x3b, 0x22);

/// Patients per shard as a bar chart, with the imbalance threshold (2x the least loaded shared
/// shard) drawn as a line.
pub fn balance_chart_svg(bars: &[BarDatum], balance: &Balance) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(&mut svg, bars, balance) {
        tracing::warn!(error = %e, "balance chart failed to render");
        return String::new();
    }
    svg
}

fn draw(
    out: &mut String,
    bars: &[BarDatum],
    balance: &Balance,
) -> Result<(), Box<dyn std::error::Error>> {
    let max = bars.iter().filter_map(|b| b.value).max().unwrap_or(0);
    let min_shared = bars
        .iter()
        .filter(|b| !b.enterprise)
        .filter_map(|b| b.value)
        .min();
    let threshold = min_shared
        .filter(|_| balance.ratio.is_some())
        .map(|m| m as f64 * IMBALANCE_THRESHOLD);
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
            .build_cartesian_2d((0..n).into_segmented(), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("patients")
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
            .y_label_formatter(&|v| format!("{v:.0}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::balance;

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
        let b = balance(&[("us-1".into(), 900), ("us-2".into(), 300)]);
        let svg = balance_chart_svg(&bars, &b);
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
    fn empty_fleet_still_renders() {
        let svg = balance_chart_svg(&[], &balance(&[]));
        assert!(svg.contains("<svg"));
    }
}
