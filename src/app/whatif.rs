//! `poolcheck what-if`: verify before and after overrides, side by side.

use crate::cli::{ReportFormat, WhatIfArgs};
use crate::core::error::{ToolError, ToolResult};
use crate::pipeline::{analyze, Analysis};
use serde_json::{json, Value};

pub fn run(args: &WhatIfArgs) -> ToolResult<u8> {
    if args.verify.set.is_empty() && args.rps.is_none() && args.verify.replicas.is_none() {
        return Err(ToolError::new("what-if needs at least one change")
            .with_help("add --set KEY=VALUE (e.g. --set DB_CONNECTION_LIMIT=30 or --set service.api.replicas=6), --replicas N or --rps N"));
    }
    let mut after_req = super::verify::request(&args.verify);
    after_req.rps = args.rps;
    let mut before_req = after_req.clone();
    before_req.sets.clear();
    before_req.flags.replicas = None;
    before_req.rps = None;
    let before = analyze(&before_req)?;
    let after = analyze(&after_req)?;
    let changes = changes(args);
    let code = after.report().exit_code();
    match args.verify.format {
        ReportFormat::Json => {
            let v = json!({
                "changes": changes,
                "before": crate::report::json::to_value(&before.report()),
                "after": crate::report::json::to_value(&after.report()),
            });
            outln!(serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        ReportFormat::Human => out!(render(&changes, &before, &after)),
        // Machine formats describe the run that would happen after the change.
        other => out!(crate::report::render(other, &after.report())),
    }
    Ok(code)
}

fn changes(args: &WhatIfArgs) -> Vec<String> {
    // Shown as the user wrote them, but never a secret key's value or a URL's password.
    let mut c: Vec<String> = args
        .verify
        .set
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => format!("{k}={}", crate::core::secrets::redact_value(k.trim(), v)),
            None => "(malformed)".to_string(),
        })
        .collect();
    if let Some(r) = args.verify.replicas {
        c.push(format!("replicas={r}"));
    }
    if let Some(r) = args.rps {
        c.push(format!("rps={r}"));
    }
    c
}

fn verdict(a: &Analysis) -> String {
    let r = a.report();
    let c = r.counts();
    format!(
        "{} ({}, {})",
        if r.exit_code() == 0 { "pass" } else { "FAIL" },
        crate::core::text::count(c.errors, "error"),
        crate::core::text::count(c.warnings, "warning")
    )
}

type Row = (String, String, String);

fn row(rows: &mut Vec<Row>, what: &str, before: String, after: String) {
    rows.push((what.to_string(), before, after));
}

/// The rows as a table when it fits `width` columns, else each row as a label line with
/// `before → after` under it, so no cell is ever cut or wrapped mid-word.
fn table(rows: &[Row], width: usize) -> String {
    let w = |f: fn(&Row) -> &String, head: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .chain([head.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let (lw, bw, aw) = (w(|r| &r.0, ""), w(|r| &r.1, "before"), w(|r| &r.2, "after"));
    let mut out = String::new();
    if 2 + lw + 2 + bw + 2 + aw + 3 <= width {
        out.push_str(&format!(
            "  {:<lw$}  {:>bw$}  {:>aw$}\n",
            "", "before", "after"
        ));
        for (what, before, after) in rows {
            let mark = if before != after { "  ←" } else { "" };
            out.push_str(&format!(
                "  {what:<lw$}  {before:>bw$}  {after:>aw$}{mark}\n"
            ));
        }
    } else {
        for (what, before, after) in rows {
            let mark = if before != after { "  ←" } else { "" };
            out.push_str(&format!("  {what}\n      {before} → {after}{mark}\n"));
        }
    }
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("unknown".into(), |v| v.to_string())
}

pub fn render(changes: &[String], before: &Analysis, after: &Analysis) -> String {
    let width = crate::core::term::style().width;
    let mut out = format!(
        "{}\n\n",
        crate::core::term::wrap(&format!("what if: {}", changes.join(", ")), width, "  ")
    );
    let mut rows: Vec<Row> = Vec::new();
    row(&mut rows, "verdict", verdict(before), verdict(after));
    for (b, a) in before.capacity.iter().zip(&after.capacity) {
        let s = &a.server;
        row(
            &mut rows,
            &format!("{s}: usable slots"),
            opt(b.available()),
            opt(a.available()),
        );
        row(
            &mut rows,
            &format!("{s}: peak demand"),
            b.demand.to_string(),
            a.demand.to_string(),
        );
        row(
            &mut rows,
            &format!("{s}: rolling-update demand"),
            b.demand_rollout.to_string(),
            a.demand_rollout.to_string(),
        );
        let headroom =
            |c: &crate::capacity::fleet::ServerCapacity| c.available().map(|u| u - c.demand as i64);
        row(
            &mut rows,
            &format!("{s}: headroom"),
            opt(headroom(b)),
            opt(headroom(a)),
        );
        for (bs, as_) in b.services.iter().zip(&a.services) {
            let n = &as_.name;
            row(
                &mut rows,
                &format!("{n}: pool × processes × pods"),
                format!("{}×{}×{}", opt(bs.pool_max), bs.processes, bs.peak_pods),
                format!("{}×{}×{}", opt(as_.pool_max), as_.processes, as_.peak_pods),
            );
        }
    }
    for (bw, aw) in before.workloads.iter().zip(&after.workloads) {
        let n = aw["service"].as_str().unwrap_or("?");
        for (key, label) in [
            ("utilization", "utilization"),
            ("p_wait", "P(wait)"),
            ("p99_wait_ms", "p99 acquire wait (ms)"),
        ] {
            // An unstable pool has no utilization, wait or P(wait) worth printing.
            let cell = |w: &Value| {
                if w["stable"] == Value::Bool(false) {
                    "unstable".to_string()
                } else {
                    num(&w[key])
                }
            };
            row(&mut rows, &format!("{n}: {label}"), cell(bw), cell(aw));
        }
    }
    out.push_str(&table(&rows, width));
    let codes =
        |a: &Analysis| -> Vec<String> { a.findings.iter().map(|f| f.code.to_string()).collect() };
    let (bc, ac) = (codes(before), codes(after));
    let gone: Vec<&str> = bc
        .iter()
        .filter(|c| !ac.contains(c))
        .map(String::as_str)
        .collect();
    let new: Vec<&str> = ac
        .iter()
        .filter(|c| !bc.contains(c))
        .map(String::as_str)
        .collect();
    out.push('\n');
    for (word, codes) in [("resolved", gone), ("introduced", new)] {
        if !codes.is_empty() {
            out.push_str(&format!("{word}: {}\n", codes.join(", ")));
        }
    }
    out.push_str("\nafter the change:\n");
    out.push_str(&crate::report::human::render(&after.report()));
    out
}

fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.as_f64().map_or("-".into(), |f| {
            format!("{f:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        }),
        Value::String(s) => s.clone(),
        _ => "-".into(),
    }
}
