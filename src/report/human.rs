//! Human output: compiler-style diagnostics (miette) with source snippets. Labels in the
//! finding's primary file are drawn in its snippet; labels in other files become related
//! diagnostics, each with its own snippet.

use super::Report;
use crate::capacity::fleet::ServerCapacity;
use crate::core::finding::{Finding, Label};
use crate::core::severity::Severity;
use crate::core::source::{FileId, SourceSet};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug)]
struct Diag {
    code: String,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<std::sync::Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|d| d as &dyn Diagnostic))
                as Box<dyn Iterator<Item = &dyn Diagnostic>>
        })
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Sources as they may be shown (secrets masked, controls visible), shared, never copied.
struct Masked<'a> {
    sources: &'a SourceSet,
    /// The terminal's width: snippet headers (`╭─[path:line:col]`) must fit it.
    width: usize,
}

impl Masked<'_> {
    fn named(&mut self, file: FileId) -> NamedSource<std::sync::Arc<str>> {
        let f = self.sources.get(file);
        let lines = f.shown.lines().count().max(1);
        let cols = f.shown.lines().map(str::len).max().unwrap_or(1);
        let name = fit_path(&f.display, self.width, header_overhead(lines, cols));
        NamedSource::new(name, f.shown.clone())
    }
}

/// Columns a snippet header takes besides the path: the gutter, `╭─[`, `:line:col]`, and the
/// indent of a related diagnostic nested under its finding.
fn header_overhead(lines: usize, cols: usize) -> usize {
    let digits = |n: usize| n.to_string().len();
    (digits(lines) + 2) + 3 + 1 + digits(lines) + 1 + digits(cols) + 1 + 8
}

/// miette prints a snippet's path whole, so a deep path would run past the terminal: keep its
/// last components (the file and the folders nearest it) behind `…/`, cut only at a `/`.
fn fit_path(path: &str, width: usize, overhead: usize) -> String {
    let room = width.saturating_sub(overhead);
    if path.chars().count() <= room {
        return path.to_string();
    }
    let parts: Vec<&str> = path.split('/').collect();
    // Always keep the file name, even when it alone is wider than the room.
    let mut kept = parts.len() - 1;
    while kept > 0 {
        let tail = parts[kept - 1..].join("/");
        if tail.chars().count() + 2 > room {
            break;
        }
        kept -= 1;
    }
    if kept == 0 {
        return path.to_string();
    }
    format!("…/{}", parts[kept..].join("/"))
}

/// Text echoed from input as it may be shown: secrets redacted, control characters escaped.
fn shown(text: &str) -> String {
    crate::core::secrets::escape_controls(&crate::core::secrets::redact(text))
}

fn labeled(l: &Label, primary: bool) -> LabeledSpan {
    let span = (l.span.start, l.span.len());
    if primary {
        LabeledSpan::new_primary_with_span(Some(shown(&l.message)), span)
    } else {
        LabeledSpan::new_with_span(Some(shown(&l.message)), span)
    }
}

fn to_diag(f: &Finding, masked: &mut Masked<'_>) -> Diag {
    let mut help = shown(&f.help);
    for n in &f.notes {
        help.push_str(&format!("\ninput: {}", shown(n)));
    }
    let mut diag = Diag {
        code: format!("{}({})", f.code, f.name),
        severity: miette_severity(f.severity),
        message: shown(&f.message),
        help: Some(help),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
    };
    let Some(primary) = &f.primary else {
        return diag;
    };
    // A snippet of a very long line would flood the terminal (and miette cannot draw labels
    // past column 65,535): name the place in words instead.
    if let Some(at) = too_wide(masked.sources, primary) {
        diag.message
            .push_str(&format!(" (at {at}; the line is too long to show)"));
        return diag;
    }
    diag.source = Some(masked.named(primary.file));
    diag.labels.push(labeled(primary, true));
    // Group the other labels by file: same file in this snippet, others as related diagnostics.
    let mut others: BTreeMap<FileId, Vec<&Label>> = BTreeMap::new();
    for l in &f.labels {
        if let Some(at) = too_wide(masked.sources, l) {
            diag.help = diag
                .help
                .map(|h| format!("{h}\ninput: {} (at {at})", shown(&l.message)));
        } else if l.file == primary.file {
            diag.labels.push(labeled(l, false));
        } else {
            others.entry(l.file).or_default().push(l);
        }
    }
    for (file, labels) in others {
        diag.related.push(Diag {
            code: String::new(),
            severity: miette::Severity::Advice,
            message: format!(
                "inputs in {}",
                // `  ╰─▶   ☞ inputs in ` comes before the path.
                fit_path(&masked.sources.get(file).display, masked.width, 30)
            ),
            help: None,
            source: Some(masked.named(file)),
            labels: labels.iter().map(|l| labeled(l, false)).collect(),
            related: Vec::new(),
        });
    }
    diag
}

/// Lines longer than this are not shown as snippets.
const MAX_SNIPPET_LINE: usize = 400;

/// `file:line:column` of a label whose line is too long to show, else None.
fn too_wide(sources: &SourceSet, l: &Label) -> Option<String> {
    let f = sources.get(l.file);
    let (line, col) = f.line_col(l.span.start);
    (f.line_text(line).len() > MAX_SNIPPET_LINE).then(|| format!("{}:{line}:{col}", f.display))
}

/// Whether to colour, as `--color` and NO_COLOR decided.
pub fn use_color() -> bool {
    crate::core::term::style().color
}

pub fn handler(color: bool) -> GraphicalReportHandler {
    handler_for(color, crate::core::term::style().width)
}

/// Diagnostics fitted to `width` columns, wrapping between words only.
pub fn handler_for(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_break_words(false)
        .with_context_lines(1)
        .with_show_related_as_nested(true)
}

pub fn render(report: &Report<'_>) -> String {
    let style = crate::core::term::style();
    let handler = handler_for(style.color, style.width);
    let mut masked = Masked {
        sources: report.sources,
        width: style.width,
    };
    let mut out = String::new();
    for f in report.findings {
        let diag = to_diag(f, &mut masked);
        let mut s = String::new();
        if handler.render_report(&mut s, &diag).is_err() {
            s = format!("{}: {} [{}]\n", f.severity.word(), f.message, f.code);
        }
        out.push_str(&s);
        out.push('\n');
    }
    if style.quiet {
        return out;
    }
    for cap in report.capacity {
        // Each starts with `pooler NAME:` or `server NAME:` and its verdict figures, so a grep
        // for that prefix finds them; the breakdown wraps under it to fit the terminal.
        for p in &cap.poolers {
            out.push_str(&crate::core::term::wrap(
                &pooler_line(p),
                style.width,
                "    ",
            ));
            out.push('\n');
        }
        out.push_str(&crate::core::term::wrap(
            &capacity_line(cap),
            style.width,
            "    ",
        ));
        out.push('\n');
        if style.verbose {
            out.push_str(&origins(report.sources, cap, style.width));
        }
    }
    for w in report.workloads {
        if let Some(line) = w.get("summary").and_then(|s| s.as_str()) {
            out.push_str(&crate::core::term::wrap(line, style.width, "    "));
            out.push('\n');
        }
    }
    out.push_str(&summary(report));
    for s in report.skipped {
        out.push_str(&format!("skipped {}: {}\n", s.file, s.reason));
    }
    out
}

/// The closing verdict line: `FAIL: 1 error, 0 warnings, 0 info (fail-on error; exit 1)`.
pub fn summary(report: &Report<'_>) -> String {
    use crate::core::text::count;
    let c = report.counts();
    let verdict = if report.exit_code() == 0 {
        "pass"
    } else {
        "FAIL"
    };
    format!(
        "{verdict}: {}, {}, {} info (fail-on {}; exit {})\n",
        count(c.errors, "error"),
        count(c.warnings, "warning"),
        c.infos,
        report.fail_on.word(),
        report.exit_code()
    )
}

/// Where an input came from, in words: `backend/.env:6` for a file, else its description.
fn origin_text(sources: &SourceSet, o: Option<&crate::core::origin::Origin>) -> String {
    let Some(o) = o else {
        return "unknown".to_string();
    };
    match o.location() {
        Some((file, span)) => {
            let f = sources.get(file);
            let (line, col) = f.line_col(span.start);
            format!("{}:{line}:{col} ({})", f.display, o.describe())
        }
        None => o.describe(),
    }
}

/// `--verbose`: every number of a capacity line beside its origin.
fn origins(sources: &SourceSet, cap: &ServerCapacity, width: usize) -> String {
    let mut lines = Vec::new();
    let i = &cap.inputs;
    if let Some(o) = &i.engine {
        lines.push(format!(
            "kind {}: {}",
            cap.engine.name(),
            origin_text(sources, Some(o))
        ));
    }
    if let Some(m) = cap.max_connections {
        lines.push(format!(
            "{} {m}: {}",
            cap.engine.limit_name(),
            origin_text(sources, i.max_connections.as_ref())
        ));
    }
    lines.push(format!(
        "reserved {}: {}",
        cap.reserved,
        origin_text(sources, i.reserved.as_ref())
    ));
    if let Some(e) = cap.extra_port {
        let at = if e.port == 0 {
            "no extra_port".to_string()
        } else {
            format!(
                "on extra_port {}, for administrators, not counted as usable",
                e.port
            )
        };
        lines.push(format!(
            "extra_max_connections {} ({at}): {}",
            e.max_connections,
            origin_text(sources, i.extra_port.as_ref())
        ));
    }
    if cap.other_usage > 0 {
        lines.push(format!(
            "held by others {}: {}",
            cap.other_usage,
            origin_text(sources, i.other_usage.as_ref())
        ));
    }
    for p in &cap.poolers {
        pooler_origins(sources, p, &mut lines);
    }
    for s in &cap.services {
        let pool = s
            .pool_max
            .map_or(s.pool_kind.to_string(), |p| p.to_string());
        lines.push(format!(
            "{} pool {pool}: {}",
            crate::core::text::possessive(&s.name),
            origin_text(sources, s.inputs.pool.as_ref())
        ));
        if let Some(stack) = &s.stack {
            lines.push(format!(
                "{} stack: {stack}",
                crate::core::text::possessive(&s.name)
            ));
        }
        lines.push(format!(
            "{} processes {}: {}",
            crate::core::text::possessive(&s.name),
            s.processes,
            origin_text(sources, s.inputs.processes.as_ref())
        ));
        lines.push(format!(
            "{} peak pods {} ({}): {}",
            crate::core::text::possessive(&s.name),
            s.peak_pods,
            s.inputs.pods_from,
            origin_text(sources, s.inputs.pods.as_ref())
        ));
        if s.surge_pods > 0 {
            lines.push(format!(
                "{} surge pods {}: {}",
                crate::core::text::possessive(&s.name),
                s.surge_pods,
                origin_text(sources, s.inputs.surge.as_ref())
            ));
        }
    }
    lines
        .iter()
        .map(|l| {
            format!(
                "  {}\n",
                crate::core::term::wrap(l, width.saturating_sub(2), "    ")
            )
        })
        .collect()
}

/// `name pool×processes×pods` of each service, as the capacity lines list them.
fn service_terms(services: &[crate::capacity::fleet::ServiceDemand]) -> Vec<String> {
    services
        .iter()
        .map(|s| {
            let pool = s
                .pool_max
                .map_or(s.pool_kind.to_string(), |p| p.to_string());
            format!("{} {pool}×{}×{}", s.name, s.processes, s.peak_pods)
        })
        .collect()
}

/// The pooler tier on one line: its clients against max_client_conn × instances, and what
/// it opens on the server (each pool `database/user size+reserve mode`).
fn pooler_line(p: &crate::capacity::pooler::PoolerCapacity) -> String {
    let pools: Vec<String> = p
        .pools
        .iter()
        .map(|d| {
            let reserve = if d.reserve > 0 {
                format!("+{}", d.reserve)
            } else {
                String::new()
            };
            let unlimited = if d.unbounded { " unlimited" } else { "" };
            format!(
                "{}/{} {}{reserve}{unlimited} {}",
                d.database,
                d.user,
                d.pool_size,
                d.mode.word()
            )
        })
        .collect();
    let capped = if p.server_per_instance < p.server_pools {
        let caps: Vec<&str> = p.inputs.caps.iter().map(|(_, c)| c.as_str()).collect();
        format!(" capped by {}", caps.join(", "))
    } else {
        String::new()
    };
    format!(
        "pooler {} ({}): clients {} (rolling update {}) of {} = {} max_client_conn × {} [{}];\nserver-side {} = {} × {}{capped} [{}]",
        p.name,
        p.kind.name(),
        p.client_demand,
        p.client_demand_rollout,
        p.client_capacity,
        p.max_client_conn,
        instances_term(p),
        service_terms(&p.services).join(", "),
        p.server_demand,
        instances_term(p),
        p.server_per_instance,
        pools.join(", ")
    )
}

/// `2 instances`, or with so_reuseport `4 instances (2 pods × 2 processes)`.
fn instances_term(p: &crate::capacity::pooler::PoolerCapacity) -> String {
    let n = crate::core::text::count(p.instances() as usize, "instance");
    if p.processes > 1 {
        let pods = crate::core::text::count(p.replicas as usize, "pod");
        format!("{n} ({pods} × {} processes)", p.processes)
    } else {
        n
    }
}

/// `--verbose` lines of a pooler's tiers: instances, client limit, each pool's size and mode.
fn pooler_origins(
    sources: &SourceSet,
    p: &crate::capacity::pooler::PoolerCapacity,
    lines: &mut Vec<String>,
) {
    let i = &p.inputs;
    let pods = if i.processes.is_some() {
        "pods"
    } else {
        "instances"
    };
    lines.push(format!(
        "{} {pods} {}: {}",
        crate::core::text::possessive(&p.name),
        p.replicas,
        origin_text(sources, i.replicas.as_ref())
    ));
    if let Some(o) = &i.processes {
        lines.push(format!(
            "{} processes per pod {}: {}",
            crate::core::text::possessive(&p.name),
            p.processes,
            origin_text(sources, Some(o))
        ));
    }
    lines.push(format!(
        "{} max_client_conn {}: {}",
        crate::core::text::possessive(&p.name),
        p.max_client_conn,
        origin_text(sources, i.max_client_conn.as_ref())
    ));
    for d in &p.pools {
        let name = format!("{} pool {}/{}", p.name, d.database, d.user);
        lines.push(format!(
            "{name} size {}: {}",
            d.pool_size,
            origin_text(sources, Some(&d.inputs.size))
        ));
        if d.reserve > 0 {
            lines.push(format!(
                "{name} reserve {}: {}",
                d.reserve,
                origin_text(sources, Some(&d.inputs.reserve))
            ));
        }
        lines.push(format!(
            "{name} mode {}: {}",
            d.mode.word(),
            origin_text(sources, Some(&d.inputs.mode))
        ));
    }
    for (o, what) in &i.caps {
        lines.push(format!(
            "{} {what}: {}",
            crate::core::text::possessive(&p.name),
            origin_text(sources, Some(o))
        ));
    }
    for s in &p.services {
        let pool = s
            .pool_max
            .map_or(s.pool_kind.to_string(), |v| v.to_string());
        lines.push(format!(
            "{} pool {pool} (via {}): {}",
            crate::core::text::possessive(&s.name),
            p.name,
            origin_text(sources, s.inputs.pool.as_ref())
        ));
    }
}

/// A demand sum for the summary: "unknown" or "at least N" when a pool is unknown or
/// unbounded (its share is not in the sum), never a bare 0 that reads as "fits".
fn demand_text(cap: &ServerCapacity, n: u64) -> String {
    let open_ended = cap.services.iter().any(|s| s.pool_max.is_none());
    match (open_ended, n) {
        (false, n) => n.to_string(),
        (true, 0) => "unknown".into(),
        (true, n) => format!("at least {n}"),
    }
}

fn capacity_line(cap: &ServerCapacity) -> String {
    let (demand, rollout) = (
        demand_text(cap, cap.demand),
        demand_text(cap, cap.demand_rollout),
    );
    let mut services = service_terms(&cap.services);
    services.extend(
        cap.poolers
            .iter()
            .map(|p| format!("via {} {}", p.name, p.server_demand)),
    );
    match (cap.max_connections, cap.usable) {
        (Some(max), Some(usable)) => {
            let others = if cap.other_usage > 0 {
                format!(", {} held by others", cap.other_usage)
            } else {
                String::new()
            };
            // A limit that the command line or a probe set says so where the sum is shown.
            let from = match &cap.inputs.max_connections {
                Some(o) if o.is_notable() => format!(" ({})", o.describe()),
                _ => String::new(),
            };
            format!(
                "server {}: peak demand {} (rolling update {}) of {} usable = {} {}{from} − {} reserved{} [{}]",
                cap.server, demand, rollout, usable, max, cap.engine.limit_name(), cap.reserved, others, services.join(", ")
            )
        }
        _ => format!(
            "server {}: peak demand {} (rolling update {}), {} unknown [{}]",
            cap.server,
            demand,
            rollout,
            cap.engine.limit_name(),
            services.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::fit_path;

    #[test]
    fn a_path_that_fits_is_kept_whole() {
        assert_eq!(fit_path("backend/.env", 80, 20), "backend/.env");
    }

    #[test]
    fn a_deep_path_keeps_its_nearest_folders_behind_an_ellipsis() {
        let p =
            "services/payments/deploy/helm/charts/payments-api/environments/production/values.yaml";
        let fitted = fit_path(p, 60, 20);
        assert_eq!(fitted, "…/environments/production/values.yaml");
        assert!(fitted.chars().count() <= 40);
    }

    #[test]
    fn a_file_name_wider_than_the_room_is_never_cut() {
        let name = "a".repeat(90);
        assert_eq!(fit_path(&format!("x/{name}"), 80, 20), format!("…/{name}"));
        assert_eq!(fit_path(&name, 80, 20), name);
    }
}
