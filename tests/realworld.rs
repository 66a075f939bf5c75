//! The realistic configuration sets of fixtures/realworld/: one per stack and application
//! preset, each with the arithmetic a careful engineer does by hand in its expected.toml. One
//! test runs them all, prints a table (set, expected, got: codes and demand) and fails when any
//! set differs.
//!
//! Sets where poolcheck disagrees with the hand arithmetic live in fixtures/realworld-pending/
//! with the correct expectation, and fixtures/realworld/KNOWN_WRONG.md says why. They are run
//! too: a pending set that starts to pass fails here, so that it moves into the suite. A
//! KNOWN_WRONG.md entry is headed `## set` (or `## set, set` for one cause shared by several).

mod common;

use common::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct Expected {
    args: Vec<String>,
    config: bool,
    exit: i32,
    #[serde(default, rename = "finding")]
    findings: Vec<Finding>,
    #[serde(default, rename = "demand")]
    demands: Vec<Demand>,
    #[serde(default, rename = "pooler")]
    poolers: Vec<Pooler>,
    /// When given: exactly the files (or `file:line` documents) reported as skipped.
    skipped: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct Finding {
    code: String,
    severity: String,
    file: Option<String>,
    line: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Demand {
    server: String,
    demand: u64,
    demand_rollout: u64,
    services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Pooler {
    server: String,
    name: String,
    client_demand: u64,
    client_capacity: u64,
    server_per_instance: u64,
    server_demand: u64,
    services: Vec<String>,
    pools: Vec<String>,
}

/// The six application presets each need a set that must be flagged and one that must be clean.
/// Every preset in rules/apps/, by id (its file name).
fn presets() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("rules/apps"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(String::from)
        })
        .collect();
    ids.sort();
    assert!(ids.len() >= 6, "rules/apps/ lost its presets");
    ids
}

fn sets(group: &str) -> Vec<PathBuf> {
    let dir = root().join("fixtures").join(group);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.toml").is_file())
        .collect();
    v.sort();
    v
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn expected(dir: &Path) -> Expected {
    let path = dir.join("expected.toml");
    toml::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn term(s: &serde_json::Value) -> String {
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

/// What one run reported, in the shape of expected.toml.
struct Got {
    exit: i32,
    findings: Vec<Finding>,
    demands: Vec<Demand>,
    poolers: Vec<Pooler>,
    skipped: Vec<String>,
}

fn run(dir: &Path, e: &Expected) -> Got {
    let mut args = vec!["verify".to_string()];
    if !e.config {
        args.push("--no-config".into());
    }
    args.extend(e.args.iter().cloned());
    args.extend(["--format".to_string(), "json".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = poolcheck_in(dir, &args);
    let v = json(&out);
    assert!(
        v["findings"].is_array(),
        "{}: no report (exit {}): {}",
        name(dir),
        out.code,
        out.stdout
    );
    let mut findings: Vec<Finding> = v["findings"]
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
    findings.sort();
    let capacity = v["capacity"].as_array().unwrap();
    let demands = capacity
        .iter()
        .map(|c| Demand {
            server: c["server"].as_str().unwrap().to_string(),
            demand: c["demand"].as_u64().unwrap(),
            demand_rollout: c["demand_rollout"].as_u64().unwrap(),
            services: c["services"].as_array().unwrap().iter().map(term).collect(),
        })
        .collect();
    let mut poolers = Vec::new();
    for c in capacity {
        for p in c["poolers"].as_array().into_iter().flatten() {
            poolers.push(Pooler {
                server: c["server"].as_str().unwrap().to_string(),
                name: p["name"].as_str().unwrap().to_string(),
                client_demand: p["client_demand"].as_u64().unwrap(),
                client_capacity: p["client_capacity"].as_u64().unwrap(),
                server_per_instance: p["server_per_instance"].as_u64().unwrap(),
                server_demand: p["server_demand"].as_u64().unwrap(),
                services: p["services"].as_array().unwrap().iter().map(term).collect(),
                pools: p["pools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| {
                        format!(
                            "{}/{} {}+{} {}",
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
    let skipped = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_string())
        .collect();
    Got {
        exit: out.code,
        findings,
        demands,
        poolers,
        skipped,
    }
}

/// Empty when the run matches; else what differs.
fn differences(e: &Expected, g: &Got) -> Vec<String> {
    let mut want = e.findings.clone();
    want.sort();
    let mut out = Vec::new();
    if g.exit != e.exit {
        out.push(format!("exit {} (expected {})", g.exit, e.exit));
    }
    if g.findings != want {
        out.push(format!("findings {:?} (expected {want:?})", g.findings));
    }
    if !e.demands.is_empty() && g.demands != e.demands {
        out.push(format!("demand {:?} (expected {:?})", g.demands, e.demands));
    }
    if !e.poolers.is_empty() && g.poolers != e.poolers {
        out.push(format!(
            "poolers {:?} (expected {:?})",
            g.poolers, e.poolers
        ));
    }
    if let Some(want) = &e.skipped {
        if &g.skipped != want {
            out.push(format!("skipped {:?} (expected {want:?})", g.skipped));
        }
    }
    out
}

fn codes(findings: &[Finding]) -> String {
    let mut c: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    c.sort();
    if c.is_empty() {
        "-".into()
    } else {
        c.join(",")
    }
}

fn demand_cell(demands: &[Demand]) -> String {
    demands
        .iter()
        .map(|d| format!("{} {}/{}", d.server, d.demand, d.demand_rollout))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Capacity and pool findings: what makes a set "flagged" rather than clean.
fn flags(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.code.starts_with("PC1") || f.code.starts_with("PC5"))
}

#[test]
fn every_realworld_set_matches_the_hand_arithmetic() {
    let suite = sets("realworld");
    let pending = sets("realworld-pending");
    assert!(
        suite.len() + pending.len() >= 40,
        "only {} realworld sets",
        suite.len() + pending.len()
    );
    let mut rows = vec![(
        "set".to_string(),
        "expected".to_string(),
        "got".to_string(),
        "".to_string(),
    )];
    let mut failures = Vec::new();
    for (dir, is_pending) in suite
        .iter()
        .map(|d| (d, false))
        .chain(pending.iter().map(|d| (d, true)))
    {
        let e = expected(dir);
        let g = run(dir, &e);
        let diff = differences(&e, &g);
        let verdict = match (is_pending, diff.is_empty()) {
            (false, true) => "ok",
            (false, false) => {
                failures.push(format!("{}: {}", name(dir), diff.join("; ")));
                "DIFFERS"
            }
            (true, false) => "known wrong",
            (true, true) => {
                failures.push(format!(
                    "{}: pending set now matches: move it to fixtures/realworld/ and drop its \
                     KNOWN_WRONG.md entry",
                    name(dir)
                ));
                "FIXED"
            }
        };
        rows.push((
            name(dir),
            format!("{} {}", codes(&e.findings), demand_cell(&e.demands)),
            format!("{} {}", codes(&g.findings), demand_cell(&g.demands)),
            verdict.to_string(),
        ));
    }
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap();
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap();
    let w2 = rows.iter().map(|r| r.2.chars().count()).max().unwrap();
    for (a, b, c, d) in &rows {
        println!("{a:w0$}  {b:w1$}  {c:w2$}  {d}");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Pending sets count: their expectation is the right one, only poolcheck misses it today.
#[test]
fn every_preset_has_a_flagged_and_a_clean_set() {
    let mut all = sets("realworld");
    all.extend(sets("realworld-pending"));
    for preset in presets() {
        let mine: Vec<Expected> = all
            .iter()
            .filter(|d| name(d).starts_with(&format!("{preset}-")))
            .map(|d| expected(d))
            .collect();
        assert!(
            mine.iter().any(|e| flags(&e.findings)),
            "no fixtures/realworld*/{preset}-* set that must be flagged"
        );
        assert!(
            mine.iter().any(|e| !flags(&e.findings)),
            "no fixtures/realworld*/{preset}-* set that must be clean"
        );
    }
}

#[test]
fn known_wrong_lists_exactly_the_pending_sets() {
    let text = std::fs::read_to_string(root().join("fixtures/realworld/KNOWN_WRONG.md")).unwrap();
    let listed: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .flat_map(|l| l.split(',').map(|s| s.trim().to_string()))
        .collect();
    let pending: Vec<String> = sets("realworld-pending").iter().map(|d| name(d)).collect();
    for p in &pending {
        assert!(
            listed.contains(p),
            "{p} is pending but not in KNOWN_WRONG.md"
        );
    }
    for l in &listed {
        assert!(
            pending.contains(l),
            "KNOWN_WRONG.md lists {l}, which is not in fixtures/realworld-pending/"
        );
    }
}
