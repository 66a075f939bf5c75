//! `poolcheck size` end to end: numbers, formats, the chart, bad input.

mod common;
use common::*;

const SEED: &[&str] = &[
    "size",
    "--rps",
    "500",
    "--queries-per-request",
    "2.5",
    "--query-time",
    "40ms",
];

fn size(extra: &[&str]) -> Run {
    let mut args = SEED.to_vec();
    args.extend_from_slice(extra);
    poolcheck(&args)
}

#[test]
fn seed_story_json() {
    let run = size(&[
        "--format",
        "json",
        "--max-connections",
        "100",
        "--reserved",
        "10",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["offered_load"], 50.0);
    assert_eq!(v["recommended_per_replica"], 60);
    assert_eq!(v["recommended_total"], 60);
    assert_eq!(v["usable"], 90);
    assert_eq!(v["fits"], true);
    let rows = v["table"].as_array().unwrap();
    let fifty = rows
        .iter()
        .find(|r| r["pool"] == 50)
        .expect("the unstable row is shown");
    assert_eq!(fifty["stable"], false);
    assert!(fifty["p99_wait_ms"].is_null());
    let r55 = rows.iter().find(|r| r["pool"] == 55).unwrap();
    assert!((r55["p_wait"].as_f64().unwrap() - 0.384547317932929).abs() < 1e-12);
    assert!((r55["p99_wait_ms"].as_f64().unwrap() - 29.1958540154).abs() < 1e-8);
    let r60 = rows.iter().find(|r| r["pool"] == 60).unwrap();
    assert!((r60["p99_wait_ms"].as_f64().unwrap() - 9.84866876538).abs() < 1e-8);
}

#[test]
fn replicas_split_the_load_and_need_more_in_total() {
    let one = json(&size(&["--format", "json"]));
    let four = json(&size(&["--format", "json", "--replicas", "4"]));
    assert_eq!(four["offered_load_per_replica"], 12.5);
    assert!(four["recommended_total"].as_u64() > one["recommended_total"].as_u64());
    assert_eq!(
        four["recommended_total"].as_u64().unwrap(),
        4 * four["recommended_per_replica"].as_u64().unwrap()
    );
}

#[test]
fn targets_change_the_recommendation() {
    let util = json(&size(&["--format", "json", "--target-utilization", "0.8"]));
    assert_eq!(util["recommended_per_replica"], 63);
    let timeout = json(&size(&[
        "--format",
        "json",
        "--acquire-timeout",
        "10ms",
        "--target-timeout-probability",
        "0.01",
    ]));
    let row = timeout["table"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pool"] == timeout["recommended_per_replica"])
        .unwrap()
        .clone();
    assert!(row["p_timeout"].as_f64().unwrap() <= 0.01);
}

#[test]
fn human_output_snapshot() {
    let run = size(&[
        "--max-connections",
        "100",
        "--reserved",
        "10",
        "--acquire-timeout",
        "100ms",
    ]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("size_seed_human", run.stdout);
}

#[test]
fn svg_chart_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.svg");
    let run = size(&["--svg", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<polyline"));
    assert!(
        svg.contains("recommended: 60 (9.8 ms)"),
        "the point carries its value"
    );

    // The x axis holds exactly the table's pool sizes, in order.
    let table = json(&size(&["--format", "json"]));
    let pools: Vec<String> = table["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pool"].to_string())
        .collect();
    let axis: Vec<String> = svg
        .lines()
        .filter(|l| l.contains("text-anchor=\"middle\">") && !l.contains("font-size"))
        .filter_map(|l| l.split('>').nth(1)?.split('<').next().map(String::from))
        .filter(|t| t.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(axis, pools);
    // Pool 50 is unstable (a = 50): shaded and said, not plotted.
    assert!(svg.contains(">unstable: pool ≤ 50.00</text>"), "{svg}");
    // The target line carries its value; 53's p99 (54.1 ms) is above the 50 ms the axis
    // shows: marked at the top with its value, not clipped silently.
    assert!(svg.contains(">target 10.0 ms</text>"), "{svg}");
    assert!(svg.contains(">50.0 ms</text>"), "axis top");
    assert!(svg.contains(">54.1 ms</text>"), "clipped point labelled");
}

#[test]
fn svg_chart_plots_the_metric_the_target_is_about() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pwait.svg");
    let run = poolcheck(&[
        "size",
        "--rps",
        "400",
        "--query-time",
        "40ms",
        "--target-wait-probability",
        "0.05",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(
        svg.contains(">P(an acquire waits) by pool size per replica"),
        "{svg}"
    );
    assert!(svg.contains(">target 0.0500</text>"), "{svg}");
    assert!(svg.contains(">recommended: 24 (0.0428)</text>"), "{svg}");
    assert!(
        !svg.contains(" ms<"),
        "no wait axis for a probability target"
    );
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for (args, needle) in [
        (
            vec!["size", "--rps", "-5", "--query-time", "40ms"],
            "--rps -5",
        ),
        (
            vec!["size", "--rps", "500", "--query-time", "0"],
            "--query-time 0",
        ),
        (
            vec!["size", "--rps", "500", "--query-time", "40"],
            "no unit",
        ),
        (
            vec![
                "size",
                "--rps",
                "500",
                "--query-time",
                "40ms",
                "--target-wait-probability",
                "1.5",
            ],
            "between 0 and 1",
        ),
        (
            vec![
                "size",
                "--rps",
                "500",
                "--query-time",
                "40ms",
                "--replicas",
                "0",
            ],
            "--replicas 0",
        ),
    ] {
        let run = poolcheck(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    // A recommendation that does not fit is a verdict (1), not a usage error (2).
    let run = size(&["--max-connections", "50"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("do not fit"), "{}", run.stderr);
}

/// 2,000 req/s, one 15 ms transaction each, through 2 PgBouncer pods in transaction mode:
/// a = 2000 × 0.015 = 30 busy server connections, 15 per pooler. Erlang C (computed
/// independently): c = 19 gives P(wait) 0.2442 and p99 11.98 ms, c = 20 gives 0.1604 and
/// ln(0.1604 / 0.01) / (20 / 0.015 − 1000) = 8.33 ms, the first under the default 10 ms.
const POOLED: &[&str] = &[
    "size",
    "--rps",
    "2000",
    "--query-time",
    "40ms",
    "--replicas",
    "10",
    "--pool-mode",
    "transaction",
    "--transaction-time",
    "15ms",
    "--poolers",
    "2",
];

#[test]
fn transaction_mode_sizes_the_pooler_and_shows_the_client_side_apart() {
    let mut args = POOLED.to_vec();
    args.extend(["--max-connections", "100", "--format", "json"]);
    let run = poolcheck(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    let p = &v["pooler"];
    assert_eq!(p["mode"], "transaction");
    assert_eq!(p["instances"], 2);
    assert_eq!(p["offered_load"].as_f64().unwrap(), 30.0);
    assert_eq!(p["recommended_per_pooler"], 20);
    assert_eq!(p["recommended_server_total"], 40);
    assert!((p["p_wait"].as_f64().unwrap() - 0.1604).abs() < 5e-4);
    assert!((p["p99_wait_ms"].as_f64().unwrap() - 8.33).abs() < 0.01);
    // The client side is the direct sizing of the replicas' pools: a = 80 over 10 replicas.
    assert_eq!(v["recommended_per_replica"], 14);
    assert_eq!(p["client_connections"], 140);
    assert_eq!(v["fits"], true, "40 server connections fit 97 usable slots");

    let mut args = POOLED.to_vec();
    args.extend(["--max-connections", "100"]);
    let human = poolcheck(&args).stdout;
    assert!(human.starts_with(
        "Recommended server pool (transaction mode, default_pool_size): 20 per pooler × 2 poolers = 40 server connections (fits: 97 usable slots = 100 max_connections − 3 reserved)\n  load: 2000 req/s × 1 transaction × 15ms = 30.00 busy server connections;"
    ), "{human}");
    assert!(
        human.contains(
            "Client side: 14 per replica × 10 replicas = 140 client connections to the pooler"
        ),
        "{human}"
    );

    // What must fit is the server side: 40 > 27 usable is a verdict (exit 1); the 140
    // client connections alone would not have been the question.
    let mut args = POOLED.to_vec();
    args.extend(["--max-connections", "30"]);
    let run = poolcheck(&args);
    assert_eq!(run.code, 1);
    // The diagnostic wraps; compare its words.
    let words: Vec<&str> = run
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    assert!(
        words.join(" ").contains(
            "the pooler's 40 server connections (20 per pooler × 2) do not fit the server's 27 usable slots"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn session_mode_is_the_direct_sizing_and_flags_are_checked() {
    let direct = json(&poolcheck(&[
        "size",
        "--rps",
        "400",
        "--query-time",
        "40ms",
        "--format",
        "json",
    ]));
    let session = json(&poolcheck(&[
        "size",
        "--rps",
        "400",
        "--query-time",
        "40ms",
        "--pool-mode",
        "session",
        "--format",
        "json",
    ]));
    assert_eq!(direct["pooler"], serde_json::Value::Null);
    assert_eq!(
        session, direct,
        "in session mode each client keeps its server connection"
    );

    // Statement mode holds the server per statement: the queries' own rate and time.
    let stmt = json(&poolcheck(&[
        "size",
        "--rps",
        "400",
        "--queries-per-request",
        "2",
        "--query-time",
        "10ms",
        "--pool-mode",
        "statement",
        "--format",
        "json",
    ]));
    assert_eq!(stmt["pooler"]["offered_load"].as_f64().unwrap(), 8.0);

    for (args, message) in [
        (
            vec!["--transaction-time", "15ms"],
            "--transaction-time needs --pool-mode transaction",
        ),
        (
            vec!["--pool-mode", "transaction"],
            "--pool-mode transaction needs --transaction-time",
        ),
        (
            vec![
                "--pool-mode",
                "transaction",
                "--transaction-time",
                "15ms",
                "--poolers",
                "0",
            ],
            "--poolers 0: at least one pooler instance serves the load",
        ),
    ] {
        let mut all = vec!["size", "--rps", "400", "--query-time", "40ms"];
        all.extend(args);
        let run = poolcheck(&all);
        assert_eq!(run.code, 2, "{all:?}");
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
}
