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

/// A standalone SVG of p99 wait (ms) against pool size per replica.
pub fn svg(plan: &Plan, chosen: u32) -> String {
    let each = plan.workload.split(plan.replicas);
    let a = each.offered_load();
    let first = a.floor() as u32 + 1;
    let last = (chosen + (chosen - first.min(chosen)).max(10)).max(first + 5);
    let points: Vec<(u32, f64)> = (first..=last)
        .filter_map(|c| match erlang::analyze(&each, c) {
            Queue::Stable(m) => Some((c, m.wait_quantile(0.99) * 1000.0)),
            Queue::Unstable { .. } => None,
        })
        .collect();
    let (w, h, left, bottom, top, right) = (720.0, 400.0, 70.0, 50.0, 40.0, 20.0);
    // Clip the y axis so the first, near-unstable sizes do not flatten the rest of the curve.
    let ymax = points
        .iter()
        .find(|(c, _)| *c >= chosen)
        .map(|(_, v)| (v * 4.0).max(1.0))
        .unwrap_or(1.0)
        .max(points.iter().map(|p| p.1).fold(0.0, f64::min) + 1.0);
    let x = |c: u32| {
        left + (f64::from(c - first) / f64::from((last - first).max(1))) * (w - left - right)
    };
    let y = |v: f64| top + (1.0 - (v.min(ymax) / ymax)) * (h - top - bottom);
    let poly: Vec<String> = points
        .iter()
        .map(|(c, v)| format!("{:.1},{:.1}", x(*c), y(*v)))
        .collect();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    s.push_str(&format!(
        "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    ));
    s.push_str(&format!(
        "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">p99 acquire wait vs pool size per replica (a = {a:.2} per replica)</text>\n",
        w / 2.0
    ));
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
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1} ms</text>\n",
            left - 6.0,
            y(v) + 4.0
        ));
    }
    let step = ((last - first) / 8).max(1);
    let mut c = first;
    while c <= last {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{c}</text>\n",
            x(c),
            h - bottom + 18.0
        ));
        c += step;
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">connections per replica</text>\n",
        (left + w - right) / 2.0,
        h - 8.0
    ));
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"{}\"/>\n",
        poly.join(" ")
    ));
    if let Some(t) = plan.targets.p99_wait {
        let ty = y(t.as_secs_f64() * 1000.0);
        s.push_str(&format!("<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{}\" y2=\"{ty:.1}\" stroke=\"#d1242f\" stroke-dasharray=\"6 4\"/>\n", w - right));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#d1242f\">target</text>\n",
            w - right,
            ty - 4.0
        ));
    }
    if let Some((_, v)) = points.iter().find(|(c, _)| *c == chosen) {
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d1242f\"/>\n",
            x(chosen),
            y(*v)
        ));
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\">recommended: {chosen}</text>\n",
            x(chosen) + 8.0,
            y(*v) - 8.0
        ));
    }
    s.push_str("</svg>\n");
    s
}
