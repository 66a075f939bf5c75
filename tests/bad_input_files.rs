//! Hostile files, end to end: what poolcheck reads, what it reports as PC005 (unreadable-input)
//! and where, for special files, oversized files and symlinks. Every case builds its tree in a
//! temporary directory and states the exact command; a hang becomes a failure (the child is
//! killed after [`KILL_AFTER`]), timings are never asserted.
#![cfg(unix)]

mod common;

use serde_json::Value;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILL_AFTER: Duration = Duration::from_secs(30);

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs poolcheck in `dir`; panics (instead of hanging) when it does not end on its own.
fn run(dir: &Path, args: &[&str]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .env_remove("COLUMNS")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn poolcheck");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            panic!("poolcheck {args:?} did not finish in {KILL_AFTER:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn link(target: &str, dir: &Path, name: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}

/// (code, file, line) of every finding, in report order.
fn findings(o: &Out) -> Vec<(String, String, u64)> {
    let v = o.json();
    common::assert_report_schema(&v);
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

/// The PC005 findings as (file, line), sorted.
fn pc005(o: &Out) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = findings(o)
        .into_iter()
        .filter(|(c, _, _)| c == "PC005")
        .map(|(_, f, l)| (f, l))
        .collect();
    v.sort();
    v
}

fn pair(file: &str) -> (String, u64) {
    (file.to_string(), 1)
}

fn message_of(o: &Out, file: &str) -> String {
    let v = o.json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC005" && f["file"] == file)
        .unwrap_or_else(|| panic!("no PC005 at {file}: {}", o.stdout))
        .clone();
    format!("{} | {}", f["message"], f["help"])
}

const JSON: [&str; 2] = ["--format", "json"];

fn verify_dir(dir: &Path, extra: &[&str]) -> Out {
    let mut args = vec!["verify", "--no-config", ".", "--max-connections", "10"];
    args.extend_from_slice(&JSON);
    args.extend_from_slice(extra);
    run(dir, &args)
}

#[test]
fn file_over_the_cap_is_pc005_and_a_file_at_the_cap_is_read() {
    // a.env: DB_CONNECTION_LIMIT=50 (23 bytes)    big.env: 24 bytes
    // $ poolcheck verify --no-config . --max-connections 10 --format json --max-file-size 23
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    write(d.path(), "big.env", "DB_POOL_TIMEOUT=300000\n\n");
    let o = verify_dir(d.path(), &["--max-file-size", "23"]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("big.env")]);
    assert!(findings(&o).contains(&("PC101".into(), "a.env".into(), 1)));
    let m = message_of(&o, "big.env");
    assert!(m.contains("24 bytes") && m.contains("23 bytes"), "{m}");
    assert!(m.contains("--max-file-size"), "{m}");
}

#[test]
fn max_file_size_in_poolcheck_toml_applies_and_the_flag_wins() {
    // poolcheck.toml: max_file_size = 10, one server, service api with app.env (23 bytes)
    // $ poolcheck verify --format json                          → PC005 at app.env:1
    // $ poolcheck verify --format json --max-file-size 1000     → app.env read (PC101)
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.env", "DB_CONNECTION_LIMIT=50\n");
    write(
        d.path(),
        "poolcheck.toml",
        "max_file_size = 10\n[servers.main]\nmax_connections = 10\n[services.api]\nfiles = [\"app.env\"]\n",
    );
    let o = run(d.path(), &["verify", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("app.env")]);
    assert!(message_of(&o, "app.env").contains("10 bytes"));

    let o = run(
        d.path(),
        &["verify", "--format", "json", "--max-file-size", "1000"],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![]);
    assert!(findings(&o).contains(&("PC101".into(), "app.env".into(), 1)));
}

#[test]
fn max_file_size_zero_is_a_usage_error() {
    // $ poolcheck verify --no-config a.env --max-file-size 0
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=5\n");
    let o = run(
        d.path(),
        &["verify", "--no-config", "a.env", "--max-file-size", "0"],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stderr.contains("--max-file-size"), "{}", o.stderr);
}

#[test]
fn special_files_with_config_names_are_pc005_and_others_are_skipped() {
    // a.env: DB_CONNECTION_LIMIT=50
    // pipe.env, pipe.yaml: FIFOs     notes: a FIFO without a config name (skipped)
    // zero.toml -> /dev/zero          other -> /dev/null (no config name, skipped)
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    for f in ["pipe.env", "pipe.yaml", "notes"] {
        mkfifo(&d.path().join(f));
    }
    link("/dev/zero", d.path(), "zero.toml");
    link("/dev/null", d.path(), "other");
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(
        pc005(&o),
        vec![pair("pipe.env"), pair("pipe.yaml"), pair("zero.toml")]
    );
    assert!(findings(&o).contains(&("PC101".into(), "a.env".into(), 1)));
    assert!(message_of(&o, "pipe.env").contains("FIFO"));
    let m = message_of(&o, "zero.toml");
    assert!(
        m.contains("/dev/zero") && m.contains("character device"),
        "{m}"
    );
}

#[test]
fn fifo_named_on_the_command_line_and_as_values_file_is_pc005() {
    // pipe.env, values.yaml: FIFOs    chart/: Chart.yaml, values.yaml (replicaCount: 2)
    // $ poolcheck verify --no-config pipe.env --max-connections 10 --format json
    // $ poolcheck verify --no-config chart -f values.yaml --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    mkfifo(&d.path().join("pipe.env"));
    mkfifo(&d.path().join("values.yaml"));
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    );
    write(d.path(), "chart/values.yaml", "replicaCount: 2\n");
    let o = run(
        d.path(),
        &[
            "verify",
            "--no-config",
            "pipe.env",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("pipe.env")]);

    let o = run(
        d.path(),
        &[
            "verify",
            "--no-config",
            "chart",
            "-f",
            "values.yaml",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("values.yaml")]);
    // The chart's own values.yaml is still read.
    assert_eq!(o.json()["capacity"][0]["services"][0]["pods"], 2);
}

#[test]
fn config_that_is_a_fifo_or_leaves_its_directory_is_a_tool_error() {
    // app.env: DB_CONNECTION_LIMIT=5     fifo.toml: a FIFO
    // $ poolcheck verify --config fifo.toml app.env                      → exit 2
    // poolcheck.toml -> ../outside/poolcheck.toml (holding a password)
    // $ poolcheck verify app.env                                         → exit 2, not read
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "poolcheck.toml",
        "# password = \"outside-secret-42\"\n[servers.main]\nmax_connections = 10\n",
    );
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.env", "DB_CONNECTION_LIMIT=5\n");
    mkfifo(&d.path().join("fifo.toml"));
    let o = run(d.path(), &["verify", "--config", "fifo.toml", "app.env"]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains("fifo.toml") && o.stderr.contains("FIFO"),
        "{}",
        o.stderr
    );

    let target = outside.path().join("poolcheck.toml");
    symlink(&target, d.path().join("poolcheck.toml")).unwrap();
    let o = run(d.path(), &["verify", "app.env"]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains("poolcheck.toml") && o.stderr.contains("outside the linted tree"),
        "{}",
        o.stderr
    );
    assert!(!o.all().contains("outside-secret-42"), "{}", o.all());
}

#[test]
fn links_inside_the_tree_are_followed_and_links_out_are_pc005() {
    // outside/secret.env: PGPASSWORD=outside-secret-42    outside/dir/x.env
    // tree/a.env: DB_CONNECTION_LIMIT=50
    // tree/in.env -> a.env            (followed)
    // tree/out.env -> outside/secret.env, tree/outdir -> outside/dir   (PC005)
    // tree/node_modules -> outside/dir, tree/out.txt -> outside/secret.env   (skipped: names)
    // $ poolcheck verify --no-config . --max-connections 10 --format {json,human,github}
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.env",
        "PGPASSWORD=outside-secret-42\n",
    );
    write(
        outside.path(),
        "dir/x.env",
        "DB_POOL_SIZE=outside-secret-42\n",
    );
    let o_secret = outside.path().join("secret.env");
    let o_dir = outside.path().join("dir");
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    link("a.env", d.path(), "in.env");
    symlink(&o_secret, d.path().join("out.env")).unwrap();
    symlink(&o_dir, d.path().join("outdir")).unwrap();
    symlink(&o_dir, d.path().join("node_modules")).unwrap();
    symlink(&o_secret, d.path().join("out.txt")).unwrap();
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("out.env"), pair("outdir")]);
    // in.env is read after a.env: the later file's pool max is the one the finding cites.
    let fs = findings(&o);
    assert!(fs.contains(&("PC101".into(), "in.env".into(), 1)), "{fs:?}");
    assert!(message_of(&o, "out.env").contains("outside the linted tree"));
    for format in ["json", "human", "github"] {
        let o = run(
            d.path(),
            &[
                "verify",
                "--no-config",
                ".",
                "--max-connections",
                "10",
                "--format",
                format,
            ],
        );
        assert_eq!(o.code, 1, "{format}: {}", o.all());
        assert!(
            !o.all().contains("outside-secret-42"),
            "{format}: {}",
            o.all()
        );
    }
}

#[test]
fn directory_links_loop_once_and_in_tree_directories_are_linted_once() {
    // a.env: DB_CONNECTION_LIMIT=50
    // loop1 -> .   loop2 -> .   sub/up -> ..   sub/b.env: DB_POOL_TIMEOUT=5
    // alias -> sub (a directory already walked: skipped without a finding)
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    write(d.path(), "sub/b.env", "DB_POOL_TIMEOUT=5\n");
    link(".", d.path(), "loop1");
    link(".", d.path(), "loop2");
    link("..", d.path(), "sub/up");
    link("sub", d.path(), "alias");
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(
        pc005(&o),
        vec![pair("loop1"), pair("loop2"), pair("sub/up")]
    );
    assert!(message_of(&o, "loop1").contains("loop"));
    let fs = findings(&o);
    assert!(fs.contains(&("PC101".into(), "a.env".into(), 1)), "{fs:?}");
    assert!(
        !fs.iter()
            .any(|(_, f, _)| f.starts_with("alias") || f.starts_with("loop1/")),
        "{fs:?}"
    );
}

#[test]
fn many_links_to_the_root_do_not_make_the_walk_exponential() {
    // a.env: DB_CONNECTION_LIMIT=50, and l00 … l19 -> . (20 links: 2^20 paths if followed)
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    for i in 0..20 {
        link(".", d.path(), &format!("l{i:02}"));
    }
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o).len(), 20);
    assert!(findings(&o).contains(&("PC101".into(), "a.env".into(), 1)));
}

#[test]
fn a_link_to_an_in_tree_directory_is_followed() {
    // real/ is hidden (.real/b.env: DB_CONNECTION_LIMIT=50); shown -> .real
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".real/b.env", "DB_CONNECTION_LIMIT=50\n");
    link(".real", d.path(), "shown");
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![]);
    assert!(findings(&o).contains(&("PC101".into(), "shown/b.env".into(), 1)));
}

#[test]
fn dangling_and_self_links_are_one_finding_each() {
    // a.env: DB_CONNECTION_LIMIT=50
    // gone.env -> missing.env   self.env -> self.env   gone -> missing (no config name: skipped)
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    link("missing.env", d.path(), "gone.env");
    link("self.env", d.path(), "self.env");
    link("missing", d.path(), "gone");
    let o = verify_dir(d.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![pair("gone.env"), pair("self.env")]);
    assert!(message_of(&o, "gone.env").contains("does not exist"));
    assert!(findings(&o).contains(&("PC101".into(), "a.env".into(), 1)));
}

#[test]
fn poolcheck_toml_services_stay_inside_its_directory() {
    // outside/x.env: PGPASSWORD=outside-secret-42;  outside/values.yaml: replicaCount: 9
    // proj/poolcheck.toml: server main (10), service api: files app.env, ../outside/x.env,
    //   linked.env (-> app.env); service web: chart = "chart" with chart/values.yaml ->
    //   ../../outside/values.yaml
    // $ cd proj && poolcheck verify --format json
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    write(root, "outside/x.env", "PGPASSWORD=outside-secret-42\n");
    write(
        root,
        "outside/values.yaml",
        "replicaCount: 9\npassword: outside-secret-42\n",
    );
    let proj = root.join("proj");
    write(&proj, "app.env", "DB_CONNECTION_LIMIT=50\n");
    link("app.env", &proj, "linked.env");
    write(
        &proj,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    link("../../outside/values.yaml", &proj, "chart/values.yaml");
    write(
        &proj,
        "poolcheck.toml",
        "[servers.main]\nmax_connections = 10\n\n[services.api]\nfiles = [\"app.env\", \"../outside/x.env\", \"linked.env\"]\n\n[services.web]\nchart = \"chart\"\n",
    );
    let o = run(&proj, &["verify", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(
        pc005(&o),
        vec![pair("../outside/x.env"), pair("chart/values.yaml")]
    );
    assert!(message_of(&o, "../outside/x.env").contains("outside the linted tree"));
    let v = o.json();
    let web = v["capacity"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap()
        .clone();
    assert_eq!(web["pods"], 1, "the outside values.yaml was read: {web}");
    assert!(!o.all().contains("outside-secret-42"));
}

#[test]
fn pc005_in_human_output_names_the_file_and_shows_no_snippet_text() {
    // a.env: DB_CONNECTION_LIMIT=50   pipe.env: a FIFO
    // $ poolcheck verify --no-config . --max-connections 10
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    mkfifo(&d.path().join("pipe.env"));
    let o = run(
        d.path(),
        &["verify", "--no-config", ".", "--max-connections", "10"],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stdout.contains("PC005(unreadable-input)"), "{}", o.stdout);
    assert!(o.stdout.contains("[pipe.env:1:1]"), "{}", o.stdout);
    assert!(o.stdout.contains("16 MiB"), "{}", o.stdout);
}

#[test]
fn a_directory_in_poolcheck_toml_may_link_anywhere_inside_its_directory() {
    // shared.env: DB_CONNECTION_LIMIT=50
    // config/app.env -> ../shared.env (inside the directory of poolcheck.toml: followed)
    // poolcheck.toml: server main (10), service api: files = ["config"]
    // $ poolcheck verify --format json
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "shared.env", "DB_CONNECTION_LIMIT=50\n");
    link("../shared.env", d.path(), "config/app.env");
    write(
        d.path(),
        "poolcheck.toml",
        "[servers.main]\nmax_connections = 10\n[services.api]\nfiles = [\"config\"]\n",
    );
    let o = run(d.path(), &["verify", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(pc005(&o), vec![]);
    assert!(findings(&o).contains(&("PC101".into(), "config/app.env".into(), 1)));
}
