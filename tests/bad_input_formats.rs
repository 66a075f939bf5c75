//! Hostile sizes and shapes for the INI, .properties and JSON-family readers, end to end:
//! each case writes its input to a temporary directory, runs the real binary, and asserts the
//! exact finding (code, file, line) and the model's reading. Inputs are large enough to show a
//! quadratic reader (200,000 keys; a 10,000-deep nesting; a 4 MB line) while staying fast.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn verify(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["verify", "--no-config"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--max-connections", "1000", "--format", "json"]);
    let run = poolcheck_in(dir, &all);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}{}",
        run.code,
        run.stdout,
        run.stderr
    );
    json(&run)
}

fn pool_max(v: &Value) -> Value {
    v["capacity"][0]["services"][0]["pool_max"].clone()
}

/// (code, file, line) of every finding.
fn located(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_properties_file_of_200k_keys_reads_the_pool_at_its_end() {
    let d = tempfile::tempdir().unwrap();
    let mut text: String = (0..200_000)
        .map(|i| format!("app.feature.flag{i}=on\n"))
        .collect();
    text.push_str("spring.datasource.hikari.maximum-pool-size=33\n");
    write(d.path(), "application.properties", &text);
    let v = verify(d.path(), &["application.properties"]);
    assert_eq!(located(&v), []);
    assert_eq!(pool_max(&v), 33);
}

#[test]
fn an_ini_file_of_200k_keys_reads_its_database_section() {
    let d = tempfile::tempdir().unwrap();
    let mut text: String = (0..200_000).map(|i| format!("key_{i} = {i}\n")).collect();
    text.push_str("[database]\nmax_open_conn = 44\n");
    write(d.path(), "grafana.ini", &text);
    let v = verify(d.path(), &["grafana.ini"]);
    assert_eq!(pool_max(&v), 44);
    assert!(located(&v).iter().all(|(c, _, _)| c != "PC001"));
}

#[test]
fn a_json_file_of_200k_members_reads_the_connection_string() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::from("{\n");
    for i in 0..200_000 {
        text.push_str(&format!("  \"k{i}\": {i},\n"));
    }
    text.push_str("  \"ConnectionStrings\": { \"Db\": \"Host=db;Max Pool Size=21\" }\n}\n");
    write(d.path(), "appsettings.json", &text);
    let v = verify(d.path(), &["appsettings.json"]);
    assert_eq!(located(&v), []);
    assert_eq!(pool_max(&v), 21);
}

#[test]
fn json_nested_10000_deep_is_a_located_error_and_other_files_still_count() {
    let d = tempfile::tempdir().unwrap();
    let text = format!("{{\"a\": {}1{}}}\n", "[".repeat(10_000), "]".repeat(10_000));
    write(d.path(), "appsettings.json", &text);
    write(d.path(), ".env", "DB_POOL_SIZE=9\n");
    let v = verify(d.path(), &["."]);
    assert_eq!(
        located(&v),
        [("PC001".into(), "appsettings.json".into(), 1)]
    );
    assert!(v["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nest more than 128 levels"));
    assert_eq!(pool_max(&v), 9);
}

#[test]
fn hjson_with_a_4mb_quoteless_line_and_the_pool_after_it() {
    let d = tempfile::tempdir().unwrap();
    let text = format!(
        "motd: {}\ndatabase: {{\n  pool_size: 12\n}}\n",
        "x".repeat(4 << 20)
    );
    write(d.path(), "config.hjson", &text);
    let v = verify(d.path(), &["config.hjson"]);
    assert_eq!(located(&v), []);
    assert_eq!(pool_max(&v), 12);
}

#[test]
fn an_unclosed_json_string_points_at_its_opening_quote() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "appsettings.json",
        "{\n  \"ConnectionStrings\": {\n    \"Db\": \"Host=db;Max Pool Size=5\n  }\n}\n",
    );
    let v = verify(d.path(), &["appsettings.json"]);
    assert_eq!(
        located(&v)[0],
        ("PC001".into(), "appsettings.json".into(), 3)
    );
}

#[test]
fn a_password_in_a_connection_string_never_reaches_the_output() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "appsettings.json",
        "{\"ConnectionStrings\": {\"Db\": \"Host=db;Password=hunter2-secret;Max Pool Size=x\"}}",
    );
    let mut all = vec!["verify", "--no-config", "appsettings.json"];
    all.extend_from_slice(&["--max-connections", "100"]);
    let run = poolcheck_in(d.path(), &all);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("Max Pool Size"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"));
}

#[test]
fn an_unset_placeholder_is_unknown_with_a_note_and_set_answers_it() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "application.properties",
        "spring.datasource.hikari.maximum-pool-size=${LEDGER_DB_POOL}\n",
    );
    let v = verify(d.path(), &["application.properties"]);
    assert_eq!(
        located(&v),
        [("PC003".into(), "application.properties".into(), 1)]
    );
    assert_eq!(
        v["findings"][0]["notes"][0],
        "`${LEDGER_DB_POOL}` is not set in this service's env files; give it with --set \
         LEDGER_DB_POOL=N"
    );
    let v = verify(
        d.path(),
        &["application.properties", "--set", "LEDGER_DB_POOL=30"],
    );
    assert_eq!(located(&v), []);
    assert_eq!(pool_max(&v), 30);
}

#[test]
fn column_and_span_of_a_pool_size_inside_a_connection_string() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "appsettings.json",
        "{\"ConnectionStrings\": {\"Db\": \"Host=db;Max Pool Size=abc\"}}\n",
    );
    let v = verify(d.path(), &["appsettings.json"]);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "PC002");
    // `abc` is the 53rd character, after `…;Max Pool Size=`.
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(53))
    );
    assert_eq!(f["end_column"].as_u64(), Some(56)); // exclusive: `abc` is 3 wide
}
