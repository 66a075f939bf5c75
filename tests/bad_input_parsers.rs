//! Hostile input to the parsers, end to end: each case writes its exact input to a temporary
//! directory, runs the real binary, and asserts the exact finding (code, file, line, message,
//! help) and the model's reading. Timings are never asserted: scripts/bench_parsers.sh and
//! scripts/bench_bad_input.sh measure them.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn chart(dir: &Path, values: &str) {
    write(
        dir,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    );
    write(dir, "chart/values.yaml", values);
}

/// `poolcheck verify --no-config ARGS… --max-connections 100 --format json` in `dir`.
fn verify(dir: &Path, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["verify", "--no-config"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--max-connections", "100", "--format", "json"]);
    let run = poolcheck_in(dir, &all);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}{}",
        run.code,
        run.stdout,
        run.stderr
    );
    let v = json(&run);
    (run, v)
}

/// (file, line, message, help) of every PC001 finding.
fn syntax(v: &Value) -> Vec<(String, u64, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "PC001")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap().to_string(),
                f["help"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn one_syntax(v: &Value) -> (String, u64, String, String) {
    let s = syntax(v);
    assert_eq!(s.len(), 1, "{s:#?}");
    s.into_iter().next().unwrap()
}

fn pool_max(v: &Value) -> Value {
    v["capacity"][0]["services"][0]["pool_max"].clone()
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_reference_cycle_is_one_finding_naming_it_and_the_url_stays_unknown() {
    // app.env:
    //   DB_URL=postgres://${DB_HOST}/db?connection_limit=5
    //   DB_HOST=${DB_URL}
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "app.env",
        "DB_URL=postgres://${DB_HOST}/db?connection_limit=5\nDB_HOST=${DB_URL}\n",
    );
    let (_, v) = verify(d.path(), &["app.env"]);
    assert_eq!(
        one_syntax(&v),
        (
            "app.env".into(),
            1,
            "DB_URL refers to itself through DB_HOST".into(),
            "break the cycle: write one of these values without ${…}".into()
        )
    );
    // The URL is unknown: its connection_limit is not read from an unexpanded string.
    assert_eq!(pool_max(&v), Value::Null);
}

#[test]
fn a_key_that_refers_to_itself_is_a_cycle() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.env", "DB_POOL_SIZE=${DB_POOL_SIZE}\n");
    let (_, v) = verify(d.path(), &["app.env"]);
    let (file, line, message, _) = one_syntax(&v);
    assert_eq!(
        (file.as_str(), line, message.as_str()),
        ("app.env", 1, "DB_POOL_SIZE refers to itself")
    );
    assert!(!codes(&v).contains(&"PC002".to_string()), "{v}");
}

/// Ten references a line, ten lines deep (10^11 bytes if expanded), feeding the pool size.
fn bomb() -> String {
    let mut text = String::from("A0=1111111111\n");
    for i in 1..=10 {
        text.push_str(&format!("A{i}={}\n", format!("${{A{}}}", i - 1).repeat(10)));
    }
    text.push_str("DB_POOL_SIZE=${A10}\n");
    text
}

#[test]
fn an_expansion_bomb_is_one_located_finding_and_the_pool_is_unknown_not_a_huge_number() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bomb.env", &bomb());
    let (run, v) = verify(d.path(), &["bomb.env"]);
    assert_eq!(
        one_syntax(&v),
        (
            "bomb.env".into(),
            5,
            "`A4` expands to more than 64 KiB through ${…} references".into(),
            "write the value out (an expansion bomb?); poolcheck treats it as unknown".into()
        )
    );
    assert_eq!(pool_max(&v), Value::Null);
    assert!(!codes(&v).contains(&"PC002".to_string()), "{v}");
    assert!(run.stdout.len() < 20_000, "{} bytes", run.stdout.len());
}

#[test]
fn references_nested_more_than_16_deep_are_a_located_finding() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::from("V0=20\n");
    for i in 1..=17 {
        text.push_str(&format!("V{i}=${{V{}}}\n", i - 1));
    }
    text.push_str("DB_POOL_SIZE=$V17\n");
    write(d.path(), "deep.env", &text);
    let (_, v) = verify(d.path(), &["deep.env"]);
    let (file, line, message, _) = one_syntax(&v);
    assert_eq!(
        (file.as_str(), line, message.as_str()),
        (
            "deep.env",
            18,
            "`V17` nests ${…} references more than 16 deep"
        )
    );
    assert_eq!(pool_max(&v), Value::Null);
    // 16 levels are fine: DB_POOL_SIZE → V15 → … → V0.
    text = text.replace("DB_POOL_SIZE=$V17", "DB_POOL_SIZE=$V15");
    write(d.path(), "deep.env", &text);
    let (_, v) = verify(d.path(), &["deep.env"]);
    assert_eq!(syntax(&v).len(), 1, "V17 is still over, but unused");
    assert_eq!(pool_max(&v), 20);
}

#[test]
fn expansion_past_1_mib_in_a_run_is_one_finding_for_all_the_values_it_refuses() {
    let d = tempfile::tempdir().unwrap();
    let mut text = format!("BIG={}\n", "b".repeat(60_000));
    for i in 1..=20 {
        text.push_str(&format!("COPY_{i}=${{BIG}}\n"));
    }
    text.push_str("DB_POOL_SIZE=10\n");
    write(d.path(), "big.env", &text);
    let (_, v) = verify(d.path(), &["big.env"]);
    let (file, line, message, _) = one_syntax(&v);
    assert_eq!(
        (file.as_str(), line, message.as_str()),
        (
            "big.env",
            19,
            "`COPY_18` and 2 other values pass the 1 MiB budget for ${…} expansion"
        )
    );
    assert_eq!(pool_max(&v), 10);
}

#[test]
fn a_toml_file_of_100k_keys_reads_the_last_one() {
    let d = tempfile::tempdir().unwrap();
    let mut text: String = (0..100_000).map(|i| format!("key_{i} = {i}\n")).collect();
    text.push_str("[database]\npool_size = 50\n");
    write(d.path(), "big.toml", &text);
    let (_, v) = verify(d.path(), &["big.toml"]);
    assert_eq!(syntax(&v), []);
    assert_eq!(pool_max(&v), 50);
}

#[test]
fn a_yaml_alias_bomb_is_a_located_finding_in_plain_words() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in 'b'..='k' {
        text.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
        prev = name;
    }
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.yaml", &text);
    let (run, v) = verify(d.path(), &["app.yaml"]);
    let (file, _, message, help) = one_syntax(&v);
    assert_eq!(file, "app.yaml");
    assert_eq!(
        message,
        "the file expands to more than 250000 nodes through anchors and aliases"
    );
    assert_eq!(
        help,
        "an alias bomb? write the values out instead of aliases of aliases"
    );
    assert!(!run.stdout.contains("Nodes {"), "{}", run.stdout);
}

#[test]
fn yaml_nested_thousands_deep_is_a_located_finding_in_each_style() {
    let deep = "maps and lists nest more than 128 deep";
    let d = tempfile::tempdir().unwrap();
    let flow = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let braces = format!("a: {}1{}\n", "{b: ".repeat(10_000), "}".repeat(10_000));
    // 1,000 levels of indentation (10,000 would pass the file-size cap: 50 MB of spaces).
    let block: String = (0..1_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    for (text, line) in [(flow, 1), (braces, 1), (block, 129)] {
        write(d.path(), "app.yaml", &text);
        let (_, v) = verify(d.path(), &["app.yaml"]);
        let (file, l, message, _) = one_syntax(&v);
        assert_eq!(
            (file.as_str(), l, message.as_str()),
            ("app.yaml", line, deep)
        );
    }
}

#[test]
fn helm_values_at_the_depth_limit_merge_and_walk_without_overflow() {
    // values.yaml and prod.yaml both 127 levels deep under `deep`, merged as `helm -f` does,
    // with the pool size beside them.
    let nested = |leaf: &str| {
        let mut s = String::from("deep:\n");
        for i in 0..126 {
            s.push_str(&format!("{}k{i}:\n", "  ".repeat(i + 1)));
        }
        s.push_str(&format!("{}leaf: {leaf}\n", "  ".repeat(127)));
        s
    };
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        &format!(
            "{}env:\n  - name: DB_POOL_SIZE\n    value: \"10\"\n",
            nested("1")
        ),
    );
    write(d.path(), "prod.yaml", &nested("2"));
    let (_, v) = verify(d.path(), &["chart", "-f", "prod.yaml"]);
    assert_eq!(syntax(&v), []);
    assert_eq!(pool_max(&v), 10);
}

#[test]
fn a_toml_file_nested_past_80_is_a_located_finding() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "app.toml",
        &format!(
            "pool_size = 5\na = {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    let (_, v) = verify(d.path(), &["app.toml"]);
    let (file, line, message, help) = one_syntax(&v);
    assert_eq!(
        (file.as_str(), line, message.as_str(), help.as_str()),
        (
            "app.toml",
            2,
            "arrays, tables and dotted keys nest more than 80 deep",
            "flatten the structure; TOML is read 80 levels deep at most"
        )
    );
}

#[test]
fn values_yaml_that_is_a_string_is_a_located_finding_and_the_first_document_counts() {
    let d = tempfile::tempdir().unwrap();
    chart(d.path(), "just a string\n---\nreplicaCount: 3\n");
    let (_, v) = verify(d.path(), &["chart"]);
    assert_eq!(
        one_syntax(&v),
        (
            "chart/values.yaml".into(),
            1,
            "values.yaml: the document is a string; Helm values must be a mapping".into(),
            "write the settings as `key: value` lines at the top level".into()
        )
    );
    // The first document, as Helm reads it; a broken later one is not read at all.
    chart(
        d.path(),
        "replicaCount: 2\nenv:\n  - name: DB_POOL_SIZE\n    value: \"10\"\n---\nbroken: [\n",
    );
    let (_, v) = verify(d.path(), &["chart"]);
    assert_eq!(syntax(&v), []);
    let svc = &v["capacity"][0]["services"][0];
    assert_eq!(
        (&svc["pool_max"], &svc["pods"]),
        (&Value::from(10), &Value::from(2))
    );
}

#[test]
fn poolcheck_toml_non_finite_numbers_name_the_key_value_and_range() {
    for (value, col) in [("1e400", 19), ("nan", 19), ("-inf", 19)] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "app.env", "DB_POOL_SIZE=5\n");
        write(
            d.path(),
            "poolcheck.toml",
            &format!(
                "[servers.main]\nmax_connections = {value}\n\n[services.api]\nfiles = [\"app.env\"]\n"
            ),
        );
        let run = poolcheck_in(d.path(), &["verify"]);
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        let err = run.stderr.replace('\n', " ");
        let want = format!("poolcheck.toml:2:{col}: `max_connections = {value}` is not a finite");
        assert!(err.contains(&want), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("write a whole number from 1 to 1000000"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("null"), "{}", run.stderr);
    }
}
