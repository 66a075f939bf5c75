//! The p99-wait-versus-pool-size chart, in the terminal and as SVG.

use super::{Plan, Row};
use crate::capacity::erlang::{self, Queue};

const BAR: usize = 40;

pub fn terminal(rows: &[Row], chosen: u32) -> String {
    let p99 = |r: &Row| match &r.queue {
        Queue::Stable(m) => Some(m.wait_quantile(0.99) * 1000.0),
        Queue::Unstable { .. } => None,
    };
    let max = rows.iter().filter_map(p99).fold(0.0f64, f64::max);
    let mut out = String::from("p99 acquire wait by pool size\n");
    for r in rows {
        let line = match p99(r) {
            None => format!("{:>6} │ ∞ unstable", r.pool),
            Some(v) => {
                let n = if max > 0.0 {
                    ((v / max) * BAR as f64).round() as usize
                } else {
                    0
                };
                format!("{:>6} │{} {v:.2} ms", r.pool, "█".repeat(n))
            }
        };
        out.push_str(&line);
        if r.pool == chosen {
            out.push_str("  ◄ recommended");
        }
        out.push('\n');
    }
    out
}

/// What the SVG plots: the metric the user's target is about (p99 wait when there is none).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Metric {
    P99Ms,
    PWait,
    PTimeout(std::time::Duration),
    Utilization,
}

impl Metric {
    fn of(plan: &Plan) -> (Metric, Option<f64>) {
        let t = &plan.targets;
        if let Some(p) = t.p_wait {
            (Metric::PWait, Some(p))
        } else if let Some(d) = t.p99_wait {
            (Metric::P99Ms, Some(d.as_secs_f64() * 1000.0))
        } else if let Some((d, p)) = t.timeout {
            (Metric::PTimeout(d), Some(p))
        } else if let Some(u) = t.utilization {
            (Metric::Utilization, Some(u))
        } else {
            (Metric::P99Ms, None)
        }
    }
    fn value(self, m: &erlang::Metrics) -> f64 {
        match self {
            Metric::P99Ms => m.wait_quantile(0.99) * 1000.0,
            Metric::PWait => m.p_wait,
            Metric::PTimeout(d) => m.p_timeout(d),
            Metric::Utilization => m.utilization,
        }
    }
    fn title(self) -> String {
        match self {
            Metric::P99Ms => "p99 acquire wait".into(),
            Metric::PWait => "P(an acquire waits)".into(),
            Metric::PTimeout(d) => format!(
                "P(an acquire waits over {})",
                crate::core::units::format_duration(d)
            ),
            Metric::Utilization => "utilization (busy / pool)".into(),
        }
    }
    fn show(self, v: f64) -> String {
        match self {
            Metric::P99Ms => format!("{v:.1} ms"),
            Metric::Utilization => format!("{v:.2}"),
            _ => crate::core::text::probability(v),
        }
    }
    /// Probabilities and utilization live in [0, 1]; waits are clipped where the curve would
    /// flatten the interesting part.
    fn bounded(self) -> bool {
        self != Metric::P99Ms
    }
}

/// The next 1, 2, 2.5 or 5 × 10^k at or above `v`, for round axis ticks.
fn nice_ceil(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|c| *c >= v * (1.0 - 1e-9))
        .unwrap_or(v)
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A standalone SVG of the target's metric against pool size per replica, over the same pool
/// sizes as the table (`rows`): unstable sizes shaded, points above the plotted range marked
/// at the top with their value (never clipped silently), the target drawn with its value.
pub fn svg(plan: &Plan, rows: &[Row], chosen: u32) -> String {
    let (metric, target) = Metric::of(plan);
    let a = plan.workload.split(plan.replicas).offered_load();
    let values: Vec<Option<f64>> = rows
        .iter()
        .map(|r| match &r.queue {
            Queue::Stable(m) => Some(metric.value(m)),
            Queue::Unstable { .. } => None,
        })
        .collect();
    let (w, h, left, bottom, top, right) = (760.0, 420.0, 80.0, 56.0, 44.0, 24.0);
    let at_chosen = rows
        .iter()
        .zip(&values)
        .find(|(r, _)| r.pool == chosen)
        .and_then(|(_, v)| *v);
    let ymax = if metric.bounded() {
        1.0
    } else {
        let stable_max = values.iter().flatten().fold(0.0f64, |m, v| m.max(*v));
        let focus = at_chosen.unwrap_or(stable_max) * 4.0;
        let focus = focus.max(target.unwrap_or(0.0) * 2.0).max(1.0);
        nice_ceil(stable_max.min(focus).max(1.0))
    };
    let n = rows.len().max(1);
    let slot = (w - left - right) / n as f64;
    let x = |i: usize| left + slot * (i as f64 + 0.5);
    let y = |v: f64| top + (1.0 - (v.min(ymax) / ymax)) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    s.push_str(&format!(
        "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    ));
    s.push_str(&format!(
        "<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{} by pool size per replica (a = {a:.2} busy per replica)</text>\n",
        w / 2.0,
        esc(&metric.title())
    ));
    // The unstable sizes: a shaded band, labelled once.
    let unstable: Vec<usize> = (0..rows.len()).filter(|&i| values[i].is_none()).collect();
    if let (Some(&first), Some(&last)) = (unstable.first(), unstable.last()) {
        let x0 = x(first) - slot / 2.0;
        let x1 = x(last) + slot / 2.0;
        s.push_str(&format!(
            "<rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{}\" fill=\"#eeeeee\"/>\n",
            x1 - x0,
            h - top - bottom
        ));
        // Written up the band, so it never crosses the curve.
        let (tx, ty) = (x0 + slot.min(x1 - x0) / 2.0 + 4.0, h - bottom - 8.0);
        s.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" transform=\"rotate(-90 {tx:.1} {ty:.1})\" fill=\"#57606a\">unstable: pool ≤ {a:.2}</text>\n"
        ));
    }
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n",
        h - bottom,
        w - right,
        h - bottom
    ));
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>\n",
        h - bottom
    ));
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            left - 6.0,
            y(v) + 4.0,
            esc(&metric.show(v))
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            x(i),
            h - bottom + 18.0,
            r.pool
        ));
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">connections per replica</text>\n",
        (left + w - right) / 2.0,
        h - 10.0
    ));
    let poly: Vec<String> = (0..rows.len())
        .filter_map(|i| values[i].map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect();
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"{}\"/>\n",
        poly.join(" ")
    ));
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else { continue };
        if v > ymax {
            // Above the plotted range: a marker at the top with the real value.
            let (cx, cy) = (x(i), top);
            s.push_str(&format!(
                "<path d=\"M{:.1},{:.1} l5,9 l-10,0 z\" fill=\"#1f6feb\"/>\n",
                cx,
                cy - 2.0
            ));
            s.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1f6feb\">{}</text>\n",
                cy - 6.0,
                esc(&metric.show(v))
            ));
        } else {
            s.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1f6feb\"/>\n",
                x(i),
                y(v)
            ));
        }
    }
    if let Some(t) = target {
        let ty = y(t);
        s.push_str(&format!("<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{}\" y2=\"{ty:.1}\" stroke=\"#d1242f\" stroke-dasharray=\"6 4\"/>\n", w - right));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#d1242f\">target {}</text>\n",
            w - right,
            ty - 5.0,
            esc(&metric.show(t))
        ));
    }
    if let Some((i, v)) = rows
        .iter()
        .position(|r| r.pool == chosen)
        .and_then(|i| values[i].map(|v| (i, v)))
    {
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"none\" stroke=\"#d1242f\" stroke-width=\"2\"/>\n",
            x(i),
            y(v)
        ));
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d1242f\">recommended: {chosen} ({})</text>\n",
            x(i) + 9.0,
            y(v) - 10.0,
            esc(&metric.show(v))
        ));
    }
    s.push_str("</svg>\n");
    s
}
