//! Every fixture folder says what `poolcheck verify` reports for it, in an `expected.toml` beside
//! its inputs: the arguments, the exit code and exactly the findings (code, severity, file,
//! line), no more, no fewer. This file runs them all, checks that no fixture folder and no
//! catalogued rule goes without expectations, and snapshots the human output of every rule's bad
//! fixture.
//!
//! A `[[suspect]]` entry is a finding poolcheck reports today but that is believed wrong (its
//! `why` says why). It is required like a `[[finding]]`, so that fixing it fails here and the
//! entry gets deleted; it never counts as the folder's own rule being raised.
//!
//! Live fixtures (`live = true`) probe the PostgreSQL server on 127.0.0.1:5432 (see
//! tests/common/pg.rs): `${PG_URL}` in their arguments becomes that server's URL (it has a query
//! string, so `${PG_URL}&options=...` adds parameters). They are skipped when the server is down,
//! unless POOLCHECK_REQUIRE_PG is set. While they run, the test holds one session of its own open,
//! so the server always has at least one connection held by another application (what PC403
//! counts).

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// Arguments after `verify`; the run's working directory is the fixture folder.
    args: Vec<String>,
    /// false: run with --no-config; true: use the folder's poolcheck.toml.
    config: bool,
    exit: i32,
    /// Needs the live PostgreSQL server.
    live: bool,
    #[serde(default, rename = "finding")]
    findings: Vec<Finding>,
    #[serde(default, rename = "suspect")]
    suspects: Vec<Suspect>,
    /// When given: each server's peak demand and the services counted (name, pool, pods), so
    /// a fixture asserts the arithmetic and not only the findings it leads to.
    #[serde(default, rename = "demand")]
    demands: Vec<Demand>,
    /// When given: exactly the files (or `file:line` documents) reported as skipped.
    skipped: Option<Vec<String>>,
    /// When given: every pooler's two tiers, so a fixture asserts the pooler arithmetic.
    #[serde(default, rename = "pooler")]
    poolers: Vec<PoolerDemand>,
    /// When given: each server's limits, and where its max_connections was read.
    #[serde(default, rename = "server")]
    servers: Vec<ServerLimits>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerLimits {
    server: String,
    engine: String,
    max_connections: Option<u64>,
    reserved: u64,
    /// `file:line` of the max_connections a finding labels (`max_connections N`).
    at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolerDemand {
    server: String,
    name: String,
    /// Client side: Σ of the routed services, against max_client_conn × instances.
    client_demand: u64,
    client_capacity: u64,
    /// Server side: per instance after the caps, and × instances.
    server_per_instance: u64,
    server_demand: u64,
    /// `name pool×processes×pods` of the services behind it.
    services: Vec<String>,
    /// `database/user size+reserve mode` of each server-side pool.
    pools: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demand {
    server: String,
    demand: u64,
    demand_rollout: u64,
    /// `name pool×processes×pods`, as the human summary prints them.
    services: Vec<String>,
}

impl Expected {
    /// What the JSON report must hold, sorted: the findings and the suspects.
    fn reported(&self) -> Vec<Finding> {
        let mut all = self.findings.clone();
        all.extend(self.suspects.iter().map(|s| Finding {
            code: s.code.clone(),
            severity: s.severity.clone(),
            file: s.file.clone(),
            line: s.line,
        }));
        all.sort();
        all
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    code: String,
    severity: String,
    /// Absent for a finding with no location (e.g. one cited only by the live server).
    file: Option<String>,
    line: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suspect {
    code: String,
    severity: String,
    file: Option<String>,
    line: Option<u64>,
    /// Why the finding is believed wrong.
    why: String,
}

struct Fixture {
    /// Relative to fixtures/, with `/` separators, e.g. `rules/PC101/bad`.
    name: String,
    dir: PathBuf,
    expected: Expected,
}

fn fixtures_dir() -> PathBuf {
    root().join("fixtures")
}

/// Sets whose expectations poolcheck does not meet yet (fixtures/realworld/KNOWN_WRONG.md):
/// kept out of the suite until the tool is fixed, then moved to fixtures/realworld/.
const PENDING: &str = "realworld-pending";

/// Every directory under `dir`, recursively, `dir` included, except the pending sets.
fn dirs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some(PENDING))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            out.extend(dirs_under(&e));
        }
    }
    out
}

fn name_of(dir: &Path) -> String {
    let rel = dir.strip_prefix(fixtures_dir()).unwrap();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every folder under fixtures/ with an expected.toml.
fn fixtures() -> Vec<Fixture> {
    dirs_under(&fixtures_dir())
        .into_iter()
        .filter(|d| d.join("expected.toml").is_file())
        .map(|dir| {
            let path = dir.join("expected.toml");
            let expected = toml::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Fixture {
                name: name_of(&dir),
                dir,
                expected,
            }
        })
        .collect()
}

/// The folders poolcheck is run on: the demo, each project, each rule's bad and good.
fn run_roots() -> Vec<PathBuf> {
    let children = |d: PathBuf| -> Vec<PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    };
    let mut roots = vec![fixtures_dir().join("demo")];
    // Every other top-level folder (projects/, spine/, …) holds one fixture per child folder;
    // rules/ holds one per rule and variant.
    for group in children(fixtures_dir()) {
        match group.file_name().and_then(|n| n.to_str()) {
            Some("demo") => {}
            Some(PENDING) => {}
            // rules/ holds one folder per rule and variant, inputs/ one per format and case.
            Some("rules" | "inputs") => {
                for rule in children(group) {
                    roots.extend(children(rule));
                }
            }
            _ => roots.extend(children(group)),
        }
    }
    roots
}

/// Codes of the catalogued rules, as `poolcheck rule --format json` lists them.
fn catalogue() -> Vec<String> {
    let run = poolcheck(&["rule", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    json(&run)
        .as_array()
        .expect("a list of rules")
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

/// `rules/PC101/bad` → (`PC101`, `bad`).
fn rule_variant(fixture: &Fixture) -> Option<(&str, &str)> {
    let mut parts = fixture.name.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("rules"), Some(code), Some(variant), None) => Some((code, variant)),
        _ => None,
    }
}

/// One session of the test's own, held open while live fixtures run.
fn hold_other_session() -> (tokio::runtime::Runtime, tokio_postgres::Client) {
    pg::hold(&format!(
        "{}&application_name=pc-fixtures-{}",
        pg::ADMIN_URL,
        std::process::id()
    ))
}

/// `poolcheck verify [--no-config] <args> [extra]` in the fixture's folder.
fn verify(fixture: &Fixture, extra: &[&str]) -> Run {
    let e = &fixture.expected;
    let mut args = vec!["verify".to_string()];
    if !e.config {
        args.push("--no-config".into());
    }
    args.extend(e.args.iter().map(|a| a.replace("${PG_URL}", pg::ADMIN_URL)));
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    poolcheck_in(&fixture.dir, &args)
}

/// Each server's demand as the JSON report gives it.
fn demands(v: &serde_json::Value) -> Vec<Demand> {
    v["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Demand {
            server: c["server"].as_str().unwrap().to_string(),
            demand: c["demand"].as_u64().unwrap(),
            demand_rollout: c["demand_rollout"].as_u64().unwrap(),
            services: c["services"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let pool = s["pool_max"]
                        .as_u64()
                        .map_or_else(|| "unknown".to_string(), |n| n.to_string());
                    format!(
                        "{} {pool}×{}×{}",
                        s["name"].as_str().unwrap(),
                        s["processes"],
                        s["peak_pods"]
                    )
                })
                .collect(),
        })
        .collect()
}

/// Each server's limits as the JSON report gives them; `at` from the findings' labels.
fn server_limits(v: &serde_json::Value) -> Vec<ServerLimits> {
    let labels: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["labels"].as_array().unwrap())
        .collect();
    v["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let max = c["max_connections"].as_u64();
            let said = max.map(|m| format!("max_connections {m}"));
            let at = labels
                .iter()
                .find(|l| l["message"].as_str() == said.as_deref())
                .map(|l| format!("{}:{}", l["file"].as_str().unwrap(), l["line"]));
            ServerLimits {
                server: c["server"].as_str().unwrap().to_string(),
                engine: c["engine"].as_str().unwrap().to_string(),
                max_connections: max,
                reserved: c["reserved"].as_u64().unwrap(),
                at,
            }
        })
        .collect()
}

/// `name pool×processes×pods`, as the human summary prints a service.
fn service_term(s: &serde_json::Value) -> String {
    let pool = s["pool_max"]
        .as_u64()
        .map_or_else(|| "unknown".to_string(), |n| n.to_string());
    format!(
        "{} {pool}×{}×{}",
        s["name"].as_str().unwrap(),
        s["processes"],
        s["peak_pods"]
    )
}

/// Each pooler's tiers as the JSON report gives them.
fn pooler_demands(v: &serde_json::Value) -> Vec<PoolerDemand> {
    let mut out = Vec::new();
    for c in v["capacity"].as_array().unwrap() {
        for p in c["poolers"].as_array().into_iter().flatten() {
            out.push(PoolerDemand {
                server: c["server"].as_str().unwrap().to_string(),
                name: p["name"].as_str().unwrap().to_string(),
                client_demand: p["client_demand"].as_u64().unwrap(),
                client_capacity: p["client_capacity"].as_u64().unwrap(),
                server_per_instance: p["server_per_instance"].as_u64().unwrap(),
                server_demand: p["server_demand"].as_u64().unwrap(),
                services: p["services"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(service_term)
                    .collect(),
                pools: p["pools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| {
                        let unlimited = if d["unbounded"] == true {
                            " unlimited"
                        } else {
                            ""
                        };
                        format!(
                            "{}/{} {}+{}{unlimited} {}",
                            d["database"].as_str().unwrap(),
                            d["user"].as_str().unwrap(),
                            d["pool_size"],
                            d["reserve"],
                            d["mode"].as_str().unwrap()
                        )
                    })
                    .collect(),
            });
        }
    }
    out
}

fn reported(v: &serde_json::Value) -> Vec<Finding> {
    let mut out: Vec<Finding> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Finding {
            code: f["code"].as_str().unwrap().to_string(),
            severity: f["severity"].as_str().unwrap().to_string(),
            file: f["file"].as_str().map(String::from),
            line: f["line"].as_u64(),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings() {
    let all = fixtures();
    assert!(
        all.len() >= run_roots().len(),
        "found only {} fixtures",
        all.len()
    );
    let live = all.iter().any(|f| f.expected.live) && pg::available();
    let _held = live.then(hold_other_session);
    let mut failures = Vec::new();
    for fixture in &all {
        if fixture.expected.live && !live {
            eprintln!("SKIPPED {}: needs PostgreSQL", fixture.name);
            continue;
        }
        let run = verify(fixture, &["--format", "json"]);
        let v = json(&run);
        assert_report_schema(&v);
        assert_eq!(
            v["summary"]["exit_code"], run.code,
            "{}: exit code vs summary",
            fixture.name
        );
        let want = fixture.expected.reported();
        let got = reported(&v);
        let demand_ok =
            fixture.expected.demands.is_empty() || demands(&v) == fixture.expected.demands;
        if !demand_ok {
            failures.push(format!(
                "{}: demand\n  expected {:?}\n  reported {:?}",
                fixture.name,
                fixture.expected.demands,
                demands(&v)
            ));
        }
        if !fixture.expected.poolers.is_empty() && pooler_demands(&v) != fixture.expected.poolers {
            failures.push(format!(
                "{}: poolers\n  expected {:?}\n  reported {:?}",
                fixture.name,
                fixture.expected.poolers,
                pooler_demands(&v)
            ));
        }
        if !fixture.expected.servers.is_empty() {
            let mut got = server_limits(&v);
            for (g, w) in got.iter_mut().zip(&fixture.expected.servers) {
                if w.at.is_none() {
                    g.at = None;
                }
            }
            if got != fixture.expected.servers {
                failures.push(format!(
                    "{}: servers\n  expected {:?}\n  reported {:?}",
                    fixture.name, fixture.expected.servers, got
                ));
            }
        }
        if let Some(want) = &fixture.expected.skipped {
            let got: Vec<String> = v["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["file"].as_str().unwrap().to_string())
                .collect();
            if &got != want {
                failures.push(format!(
                    "{}: skipped\n  expected {want:?}\n  reported {got:?}",
                    fixture.name
                ));
            }
        }
        if got != want || run.code != fixture.expected.exit {
            let suspects: String = fixture
                .expected
                .suspects
                .iter()
                .map(|s| format!("\n  suspect {} (fixed?): {}", s.code, s.why))
                .collect();
            failures.push(format!(
                "{}: exit {} (expected {})\n  expected {want:?}\n  reported {got:?}{suspects}\n{}",
                fixture.name, run.code, fixture.expected.exit, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_fixture_folder_has_expectations() {
    let have: Vec<PathBuf> = fixtures().into_iter().map(|f| f.dir).collect();
    for root in run_roots() {
        assert!(
            have.contains(&root),
            "{} has no expected.toml",
            name_of(&root)
        );
    }
    // Every input file under fixtures/ belongs to one: its folder or one above it has an
    // expected.toml.
    let verify_fixtures = dirs_under(&fixtures_dir());
    for dir in verify_fixtures {
        // KNOWN_WRONG.md documents the pending realworld sets; it is not an input.
        let holds_files = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .any(|p| p.is_file() && !p.ends_with("KNOWN_WRONG.md"));
        if holds_files {
            assert!(
                have.iter().any(|f| dir.starts_with(f)),
                "{} holds input files but neither it nor a folder above it has an expected.toml",
                name_of(&dir)
            );
        }
    }
}

#[test]
fn every_rule_has_a_bad_fixture_that_raises_it_and_good_fixtures_do_not() {
    let codes = catalogue();
    assert!(codes.len() >= 20, "{codes:?}");
    let all = fixtures();
    for code in &codes {
        let bad = all
            .iter()
            .find(|f| rule_variant(f) == Some((code.as_str(), "bad")))
            .unwrap_or_else(|| panic!("{code} has no fixtures/rules/{code}/bad/expected.toml"));
        assert!(
            bad.expected.findings.iter().any(|f| &f.code == code),
            "fixtures/rules/{code}/bad does not expect {code}"
        );
    }
    for fixture in &all {
        let Some((code, variant)) = rule_variant(fixture) else {
            continue;
        };
        assert!(
            codes.iter().any(|c| c == code),
            "fixtures/{}: {code} is not a catalogued rule",
            fixture.name
        );
        match variant {
            "bad" => {}
            "good" => assert!(
                !fixture.expected.reported().iter().any(|f| f.code == code),
                "fixtures/{} expects its own rule {code}",
                fixture.name
            ),
            other => panic!("fixtures/{}: {other} is neither bad nor good", fixture.name),
        }
    }
}

#[test]
fn bad_fixture_human_output() {
    let bad: Vec<Fixture> = fixtures()
        .into_iter()
        .filter(|f| rule_variant(f).is_some_and(|(_, v)| v == "bad"))
        .collect();
    let live = bad.iter().any(|f| f.expected.live) && pg::available();
    let _held = live.then(hold_other_session);
    for fixture in &bad {
        if fixture.expected.live && !live {
            eprintln!("SKIPPED {}: needs PostgreSQL", fixture.name);
            continue;
        }
        let (code, _) = rule_variant(fixture).unwrap();
        let run = verify(fixture, &[]);
        assert_eq!(
            run.code, fixture.expected.exit,
            "{}: {}{}",
            fixture.name, run.stdout, run.stderr
        );
        let shown = if fixture.expected.live {
            mask_live_figures(&run.stdout)
        } else {
            run.stdout
        };
        insta::assert_snapshot!(format!("rule_{code}_bad"), shown);
    }
}

/// The live server's figures (its limits, the sessions others hold) differ between machines and
/// moments: replace them with placeholders. Message lines are unwrapped first, since a figure's
/// width moves where the 100-column wrap falls.
fn mask_live_figures(out: &str) -> String {
    let mut s = out.replace("\n  │ ", " ");
    for (before, after, with) in [
        (" of ", " usable", "[usable]"),
        ("= ", " max_connections", "[max_connections]"),
        ("− ", " reserved", "[reserved]"),
        (", ", " held by others", "[others]"),
        ("already has ", " of ", "[others]"),
        ("(", "% free", "[free]"),
        ("input: ", " connections in use", "[others]"),
    ] {
        s = mask_number(&s, before, after, with);
    }
    s
}

/// Replaces every number found between `before` and `after` with `with`.
fn mask_number(text: &str, before: &str, after: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(before) {
        let (head, tail) = rest.split_at(i + before.len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && tail[digits..].starts_with(after) {
            out.push_str(with);
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn live_figures_are_masked() {
    assert_eq!(
        mask_live_figures("already has 12 of 97 usable (87% free\n  │ y) of 97 usable = 100 max_connections − 3 reserved, 2 held by others; 25 of 30\n"),
        "already has [others] of [usable] usable ([free]% free y) of [usable] usable = [max_connections] max_connections − [reserved] reserved, [others] held by others; 25 of 30\n"
    );
}

/// `lower api's pool max to 22 or less per process` → (`api`, 22).
fn pool_suggestion(help: &str) -> Option<(String, u32)> {
    let rest = help.split("lower ").find(|r| r.contains(" pool max to "))?;
    let (owner, after) = rest.split_once(" pool max to ")?;
    let name = owner
        .strip_suffix("'s")
        .or_else(|| owner.strip_suffix('\''))?;
    let n = after.split_whitespace().next()?.parse().ok()?;
    Some((name.to_string(), n))
}

#[test]
fn a_capacity_suggestion_clears_the_capacity_findings_when_applied() {
    // The help of PC101/PC102/PC103 names a pool; applying it with --set must leave none of
    // the three on that server (the suggestion counts rollout surge and headroom).
    let capacity = ["PC101", "PC102", "PC103"];
    let mut checked = 0;
    for fixture in fixtures() {
        if fixture.expected.live {
            continue;
        }
        let run = verify(&fixture, &["--format", "json"]);
        let v = json(&run);
        for f in v["findings"].as_array().unwrap() {
            let code = f["code"].as_str().unwrap();
            if !capacity.contains(&code) {
                continue;
            }
            let help = f["help"].as_str().unwrap_or("");
            let Some((service, n)) = pool_suggestion(help) else {
                continue;
            };
            let set = format!("service.{service}.pool_max={n}");
            let after = verify(&fixture, &["--format", "json", "--set", &set]);
            let left: Vec<String> = json(&after)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| capacity.contains(&g["code"].as_str().unwrap()))
                .filter(|g| g["server"] == f["server"])
                .map(|g| format!("{} {}", g["code"], g["message"]))
                .collect();
            assert!(
                left.is_empty(),
                "{}: applying `{help}` ({set}) left {left:?}",
                fixture.name
            );
            // The suggestion is the largest such pool: one more raises a capacity finding.
            let set = format!("service.{service}.pool_max={}", n + 1);
            let over = verify(&fixture, &["--format", "json", "--set", &set]);
            let raised = json(&over)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| capacity.contains(&g["code"].as_str().unwrap()));
            assert!(
                raised,
                "{}: {set} raised nothing, so {n} is not the largest",
                fixture.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} suggestions were checked");
}
