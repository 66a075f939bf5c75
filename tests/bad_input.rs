//! Hostile input, end to end: the real binary on inputs written to a temporary directory.
//!
//! Every case states its exact input, its exact command and what must hold:
//! - the run ends on its own (a wall-clock kill after [`KILL_AFTER`] turns a hang into a failure,
//!   and a virtual-memory cap of [`MEM_CAP_KIB`] turns a multi-GB read or expansion into an
//!   abort instead of taking the machine down);
//! - the exit code is the one stated (1: a finding, 2: a usage or tool error), never a panic
//!   (101), and nothing on stdout or stderr says "panicked" or "RUST_BACKTRACE";
//! - the message is located: it names the file and the line (`file:line`, or the JSON finding's
//!   `file` and `line`);
//! - a secret in the input never appears on stdout or stderr, in any format.
//!
//! Many of these fail on the code they were written against: they are the specification of the
//! fixes. Timings are never asserted (scripts/bench_bad_input.sh reports them). The large-input
//! cases that take more than 20 s on the code they were written against are `#[ignore]`d; run
//! them with `cargo test --test bad_input -- --ignored`.

mod common;
use common::root;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock limit of one command.
const KILL_AFTER: Duration = Duration::from_secs(20);
/// Virtual memory the child may map (ulimit -v, KiB).
const MEM_CAP_KIB: u64 = 2 * 1024 * 1024;
/// Bytes of each output stream kept for the assertions (the rest is drained and counted).
const KEEP: usize = 16 << 20;

// ---------------------------------------------------------------------------------------------
// Running the binary.

struct Out {
    cmd: String,
    /// None when killed by a signal (our kill, or an abort).
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    elapsed: Duration,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stdout_len: usize,
}

impl Out {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    fn all(&self) -> String {
        format!("{}\n{}", self.out(), self.err())
    }
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.stdout).ok()
    }
    /// What happened, for failure messages: command, exit, time, the start of both streams.
    fn describe(&self) -> String {
        let status = if self.timed_out {
            format!("KILLED after {:?} (no exit)", KILL_AFTER)
        } else if let Some(s) = self.signal {
            format!("killed by signal {s}")
        } else {
            format!("exit {}", self.code.unwrap_or(-1))
        };
        format!(
            "$ {}\n  => {status} in {:.1?}, stdout {} bytes\n  stderr: {}\n  stdout: {}",
            self.cmd,
            self.elapsed,
            self.stdout_len,
            head(&self.err(), 700),
            head(&self.out(), 700)
        )
    }
}

fn head(s: &str, n: usize) -> String {
    let s = s.trim();
    let cut: String = s.chars().take(n).collect();
    let cut = cut.replace('\n', "\n          ");
    if s.chars().count() > n {
        format!("{cut} …")
    } else {
        cut
    }
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<(Vec<u8>, usize)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0usize;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    let room = KEEP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        (kept, total)
    })
}

/// Runs poolcheck in `dir` under the memory cap, killing it after [`KILL_AFTER`].
fn run_in(dir: &Path, args: &[&str]) -> Out {
    let bin = env!("CARGO_BIN_EXE_poolcheck");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEM_CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "RUST_BACKTRACE",
        "DATABASE_URL",
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGDATABASE",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGPASSFILE",
    ] {
        cmd.env_remove(var);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn poolcheck");
    let out_t = drain(child.stdout.take().unwrap());
    let err_t = drain(child.stderr.take().unwrap());
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > KILL_AFTER {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let (stdout, stdout_len) = out_t.join().unwrap();
    let (stderr, _) = err_t.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    Out {
        cmd: format!("cd {} && poolcheck {}", dir.display(), shell_words(args)),
        code: status.code(),
        signal: status.signal(),
        timed_out,
        elapsed,
        stdout,
        stderr,
        stdout_len,
    }
}

fn shell_words(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '\'', '"', '$', '#', '&', '?', '*']) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Inputs.

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// A Helm chart directory `name` holding Chart.yaml and `values`.
fn chart(dir: &Path, name: &str, values: &str) {
    write(
        dir,
        &format!("{name}/Chart.yaml"),
        "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    );
    write(dir, &format!("{name}/values.yaml"), values);
}

/// A copy of fixtures/demo (poolcheck.toml with a `prod` workload, backend/.env.*).
fn demo_copy() -> tempfile::TempDir {
    let d = tmp();
    let src = root().join("fixtures/demo");
    std::fs::copy(src.join("poolcheck.toml"), d.path().join("poolcheck.toml")).unwrap();
    std::fs::create_dir_all(d.path().join("backend")).unwrap();
    for f in [".env.example", ".env.production"] {
        std::fs::copy(
            src.join("backend").join(f),
            d.path().join("backend").join(f),
        )
        .unwrap();
    }
    d
}

// ---------------------------------------------------------------------------------------------
// Checks. Each returns the problems it found, so a case that loops over inputs reports all of
// them at once.

type Problems = Vec<String>;

fn finish(problems: Problems) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Ended on its own with one of `codes`, without a panic.
fn sane(o: &Out, codes: &[i32]) -> Problems {
    let mut p = Vec::new();
    if o.timed_out {
        p.push(format!("did not finish: {}", o.describe()));
        return p;
    }
    if o.signal.is_some() {
        p.push(format!("crashed: {}", o.describe()));
        return p;
    }
    let all = o.all();
    if o.code == Some(101) || all.contains("panicked") || all.contains("RUST_BACKTRACE") {
        p.push(format!("panicked: {}", o.describe()));
        return p;
    }
    if !o.code.is_some_and(|c| codes.contains(&c)) {
        p.push(format!("expected exit {codes:?}: {}", o.describe()));
    }
    p
}

fn findings(v: &Value) -> Vec<Value> {
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// Everything a finding says, for text checks.
fn finding_text(f: &Value) -> String {
    let mut s = format!("{} {} {}", f["message"], f["help"], f["file"]);
    for l in f["labels"].as_array().into_iter().flatten() {
        s.push_str(&format!(" {} {}", l["file"], l["message"]));
    }
    for n in f["notes"].as_array().into_iter().flatten() {
        s.push_str(&format!(" {n}"));
    }
    s
}

fn at(f: &Value, file: &str, line: Option<u64>) -> bool {
    f["file"].as_str() == Some(file) && line.is_none_or(|l| f["line"].as_u64() == Some(l))
}

/// A JSON finding `code` (any code when None) at `file:line` (any line when None).
fn expect_finding(o: &Out, code: Option<&str>, file: &str, line: Option<u64>) -> Problems {
    let Some(v) = o.json() else {
        return vec![format!("stdout is not a JSON report: {}", o.describe())];
    };
    let fs = findings(&v);
    if fs
        .iter()
        .any(|f| code.is_none_or(|c| f["code"] == c) && at(f, file, line))
    {
        return vec![];
    }
    let got: Vec<String> = fs
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["code"].as_str().unwrap_or("?"),
                f["file"].as_str().unwrap_or("-"),
                f["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    vec![format!(
        "expected a {} finding at {file}:{}; findings: {got:#?}\n{}",
        code.unwrap_or("(any)"),
        line.map_or("*".into(), |l| l.to_string()),
        o.describe()
    )]
}

/// A located diagnostic in text output (human stdout or stderr): `file:line`.
fn expect_located_text(o: &Out, file: &str, line: u64) -> Problems {
    let needle = format!("{file}:{line}");
    if o.all().contains(&needle) {
        vec![]
    } else {
        vec![format!("no `{needle}` in the output: {}", o.describe())]
    }
}

/// `secret` (or any of its fragments) appears nowhere on stdout or stderr.
fn expect_secret_hidden(o: &Out, fragments: &[&str]) -> Problems {
    let all = o.all();
    fragments
        .iter()
        .filter(|s| all.contains(**s))
        .map(|s| {
            let at = all.find(*s).unwrap();
            let from = all[..at].char_indices().rev().nth(80).map_or(0, |(i, _)| i);
            let ctx: String = all[from..].chars().take(200).collect();
            format!(
                "secret `{s}` printed, e.g. …{ctx}…\n{}",
                o.describe().lines().next().unwrap_or("")
            )
        })
        .collect()
}

/// Steady demand never exceeds rolling-update demand, per server and per service.
fn expect_rollout_not_below_steady(v: &Value, label: &str) -> Problems {
    let mut p = Vec::new();
    for c in v["capacity"].as_array().into_iter().flatten() {
        let (d, r) = (c["demand"].as_u64(), c["demand_rollout"].as_u64());
        if !(d.is_some() && r.is_some() && r >= d) {
            p.push(format!(
                "{label}: server {}: demand_rollout {:?} < demand {:?}",
                c["server"], r, d
            ));
        }
        for s in c["services"].as_array().into_iter().flatten() {
            let (d, r) = (s["demand"].as_u64(), s["demand_rollout"].as_u64());
            if !(d.is_some() && r.is_some() && r >= d) {
                p.push(format!(
                    "{label}: service {}: demand_rollout {:?} < demand {:?} (pods {}, surge {})",
                    s["name"], r, d, s["peak_pods"], s["surge_pods"]
                ));
            }
        }
    }
    p
}

fn mentions_any(o: &Out, words: &[&str]) -> bool {
    let all = o.all().to_lowercase();
    words.iter().any(|w| all.contains(&w.to_lowercase()))
}

const FORMATS: [&str; 3] = ["human", "json", "github"];

// ---------------------------------------------------------------------------------------------
// Control: the harness itself (memory cap, kill, JSON, location checks) passes on sane input, so
// the failures below are the binary's.

#[test]
fn harness_control_sane_input_passes_every_check() {
    // fixtures/demo copied; $ poolcheck verify --prod --format json
    let d = demo_copy();
    let o = run_in(d.path(), &["verify", "--prod", "--format", "json"]);
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(
            &o,
            Some("PC101"),
            "backend/.env.production",
            Some(6),
        ));
        p.extend(expect_rollout_not_below_steady(
            &o.json().unwrap_or_default(),
            "demo",
        ));
        p.extend(expect_secret_hidden(&o, &["Sup3rS3cret"]));
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Durations of 2^64 s and more, inf, 1e309: a located PC002, never a panic.

/// Values no Duration can hold.
const HUGE_SECONDS: [&str; 4] = [
    "18446744073709551616", // 2^64
    "36893488147419103232", // 2^65
    "inf",
    "1e309", // parses to +inf as f64
];

#[test]
fn env_timeout_beyond_u64_seconds_is_pc002_not_a_panic() {
    // app.env:
    //   DB_CONNECTION_LIMIT=5
    //   DB_POOL_TIMEOUT=<huge>
    // $ poolcheck verify --no-config app.env --max-connections 100 --format json
    let mut p = Vec::new();
    for v in HUGE_SECONDS {
        let d = tmp();
        write(
            d.path(),
            "app.env",
            format!("DB_CONNECTION_LIMIT=5\nDB_POOL_TIMEOUT={v}\n"),
        );
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_finding(&o, Some("PC002"), "app.env", Some(2)));
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn url_pool_timeout_beyond_u64_seconds_is_pc002_not_a_panic() {
    // app.env:
    //   DATABASE_URL=postgresql://app@db:5432/app?connection_limit=5&pool_timeout=<huge>
    // $ poolcheck verify --no-config app.env --max-connections 100 --format json
    let mut p = Vec::new();
    for v in HUGE_SECONDS {
        let d = tmp();
        write(
            d.path(),
            "app.env",
            format!(
                "DATABASE_URL=postgresql://app@db:5432/app?connection_limit=5&pool_timeout={v}\n"
            ),
        );
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_finding(&o, Some("PC002"), "app.env", Some(1)));
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn toml_timeout_beyond_u64_seconds_is_pc002_not_a_panic() {
    // app.toml:
    //   [database]
    //   pool_size = 5
    //   pool_timeout = <huge>          (an integer too large for i64, `inf`, `1e309`)
    // $ poolcheck verify --no-config app.toml --max-connections 100 --format json
    let mut p = Vec::new();
    for v in ["18446744073709551616", "inf", "1e309"] {
        let d = tmp();
        write(
            d.path(),
            "app.toml",
            format!("[database]\npool_size = 5\npool_timeout = {v}\n"),
        );
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.toml",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_finding(&o, Some("PC002"), "app.toml", Some(3)));
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn yaml_timeout_beyond_u64_seconds_is_pc002_not_a_panic() {
    // app.yaml:
    //   database:
    //     pool_size: 5
    //     pool_timeout: <huge>         (2^64, YAML's .inf, inf, 1e309)
    // $ poolcheck verify --no-config app.yaml --max-connections 100 --format json
    let mut p = Vec::new();
    for v in ["18446744073709551616", ".inf", "inf", "1e309"] {
        let d = tmp();
        write(
            d.path(),
            "app.yaml",
            format!("database:\n  pool_size: 5\n  pool_timeout: {v}\n"),
        );
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.yaml",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_finding(&o, Some("PC002"), "app.yaml", Some(3)));
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn set_timeout_beyond_u64_seconds_is_pc002_not_a_panic() {
    // app.env:
    //   DB_CONNECTION_LIMIT=5
    //   DB_POOL_TIMEOUT=30
    // $ poolcheck verify --no-config app.env --max-connections 100 --set DB_POOL_TIMEOUT=<huge> --format json
    // A --set value has no file line: the PC002 must name the key and say it came from --set.
    let mut p = Vec::new();
    for v in ["1e309", "inf", "18446744073709551616"] {
        let d = tmp();
        write(
            d.path(),
            "app.env",
            "DB_CONNECTION_LIMIT=5\nDB_POOL_TIMEOUT=30\n",
        );
        let set = format!("DB_POOL_TIMEOUT={v}");
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--set",
                &set,
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            let fs = o.json().map(|v| findings(&v)).unwrap_or_default();
            let ok = fs.iter().any(|f| {
                let t = finding_text(f);
                f["code"] == "PC002" && t.contains("DB_POOL_TIMEOUT") && t.contains("--set")
            });
            if !ok {
                p.push(format!(
                    "no PC002 naming DB_POOL_TIMEOUT and --set: {}",
                    o.describe()
                ));
            }
        }
        p.extend(s);
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Counts at u32::MAX: no wrap, no overflow panic.

#[test]
fn replicas_flag_at_u32_max_is_refused_or_pc002_and_never_wraps() {
    // app.env:
    //   DB_CONNECTION_LIMIT=5
    // $ poolcheck verify --no-config app.env --max-connections 100 --replicas 4294967295 --format json
    // Either a usage error naming --replicas (exit 2), or a PC002 "not a plausible count" naming
    // the replicas (exit 1) with a capacity whose rolling-update demand is not below the steady one.
    let d = tmp();
    write(d.path(), "app.env", "DB_CONNECTION_LIMIT=5\n");
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "app.env",
            "--max-connections",
            "100",
            "--replicas",
            "4294967295",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() {
        if o.code == Some(2) {
            // Under --format json the error is a JSON object on stdout.
            if !o.json().unwrap_or_default()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("--replicas")
            {
                p.push(format!(
                    "usage error does not name --replicas: {}",
                    o.describe()
                ));
            }
        } else {
            let v = o.json().unwrap_or_default();
            let ok = findings(&v)
                .iter()
                .any(|f| f["code"] == "PC002" && finding_text(f).contains("replicas"));
            if !ok {
                p.push(format!("no PC002 naming the replicas: {}", o.describe()));
            }
            p.extend(expect_rollout_not_below_steady(&v, "--replicas 4294967295"));
        }
    }
    finish(p);
}

#[test]
fn helm_replica_count_at_u32_max_is_a_located_pc002() {
    // chart/Chart.yaml, chart/values.yaml:
    //   replicaCount: 4294967295
    //   env:
    //     - name: DB_CONNECTION_LIMIT
    //       value: "5"
    // $ poolcheck verify --no-config chart --max-connections 100 --format json
    let d = tmp();
    chart(
        d.path(),
        "chart",
        "replicaCount: 4294967295\nenv:\n  - name: DB_CONNECTION_LIMIT\n    value: \"5\"\n",
    );
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "chart",
            "--max-connections",
            "100",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() {
        if o.code == Some(2) {
            p.extend(expect_located_text(&o, "chart/values.yaml", 1));
        } else {
            p.extend(expect_finding(
                &o,
                Some("PC002"),
                "chart/values.yaml",
                Some(1),
            ));
            p.extend(expect_rollout_not_below_steady(
                &o.json().unwrap_or_default(),
                "replicaCount 4294967295",
            ));
        }
    }
    finish(p);
}

#[test]
fn helm_max_surge_at_u32_max_is_a_located_pc002() {
    // chart/values.yaml:
    //   replicaCount: 3
    //   strategy:
    //     rollingUpdate:
    //       maxSurge: <4294967295 | "4294967295%">
    //   env:
    //     - name: DB_CONNECTION_LIMIT
    //       value: "5"
    // $ poolcheck verify --no-config chart --max-connections 100 --format json
    let mut p = Vec::new();
    for surge in ["4294967295", "\"4294967295%\""] {
        let d = tmp();
        chart(
            d.path(),
            "chart",
            &format!("replicaCount: 3\nstrategy:\n  rollingUpdate:\n    maxSurge: {surge}\nenv:\n  - name: DB_CONNECTION_LIMIT\n    value: \"5\"\n"),
        );
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "chart",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let s = sane(&o, &[1, 2]);
        if s.is_empty() {
            if o.code == Some(2) {
                p.extend(expect_located_text(&o, "chart/values.yaml", 4));
            } else {
                p.extend(expect_finding(
                    &o,
                    Some("PC002"),
                    "chart/values.yaml",
                    Some(4),
                ));
                p.extend(expect_rollout_not_below_steady(
                    &o.json().unwrap_or_default(),
                    &format!("maxSurge {surge}"),
                ));
            }
        }
        p.extend(s);
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Special files: FIFOs, /dev/zero.

#[test]
fn fifo_given_as_a_path_does_not_hang() {
    // pipe.env: a FIFO (mkfifo), nobody writes to it
    // $ poolcheck verify --no-config pipe.env --max-connections 100
    let d = tmp();
    mkfifo(&d.path().join("pipe.env"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "pipe.env",
            "--max-connections",
            "100",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() && !o.all().contains("pipe.env") {
        p.push(format!(
            "the message does not name pipe.env: {}",
            o.describe()
        ));
    }
    finish(p);
}

#[test]
fn fifo_inside_a_directory_does_not_hang_and_the_other_files_lint() {
    // a.env: DB_CONNECTION_LIMIT=50
    // fifo.env: a FIFO
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    mkfifo(&d.path().join("fifo.env"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() {
        if !o.all().contains("fifo.env") {
            p.push(format!(
                "the message does not name fifo.env: {}",
                o.describe()
            ));
        }
        if o.code == Some(1) {
            p.extend(expect_finding(&o, Some("PC101"), "a.env", Some(1)));
        }
    }
    finish(p);
}

/// Words that say a size cap was hit.
const SIZE_CAP_WORDS: [&str; 9] = [
    "too large",
    "larger than",
    "size limit",
    "exceeds",
    " MB",
    "MiB",
    "KiB",
    " KB",
    "bytes",
];

#[test]
fn dev_zero_behind_a_symlink_in_the_tree_is_a_bounded_error() {
    // a.env: DB_CONNECTION_LIMIT=50
    // x.env -> /dev/zero
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    symlink("/dev/zero", &d.path().join("x.env"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() && !(o.all().contains("x.env") && mentions_any(&o, &SIZE_CAP_WORDS)) {
        p.push(format!(
            "expected a message naming x.env and the size cap: {}",
            o.describe()
        ));
    }
    finish(p);
}

#[test]
fn dev_zero_as_config_is_a_bounded_error() {
    // app.env: DB_CONNECTION_LIMIT=5
    // zero.toml -> /dev/zero
    // $ poolcheck verify --config zero.toml app.env
    let d = tmp();
    write(d.path(), "app.env", "DB_CONNECTION_LIMIT=5\n");
    symlink("/dev/zero", &d.path().join("zero.toml"));
    let o = run_in(d.path(), &["verify", "--config", "zero.toml", "app.env"]);
    let mut p = sane(&o, &[2]);
    if p.is_empty() && !(o.err().contains("zero.toml") && mentions_any(&o, &SIZE_CAP_WORDS)) {
        p.push(format!(
            "expected a message naming zero.toml and the size cap: {}",
            o.describe()
        ));
    }
    finish(p);
}

#[test]
fn dev_zero_as_values_file_is_a_bounded_error() {
    // chart/Chart.yaml, chart/values.yaml: replicaCount: 2
    // prod/values.yaml -> /dev/zero
    // $ poolcheck verify --no-config chart -f prod/values.yaml --max-connections 100
    let d = tmp();
    chart(d.path(), "chart", "replicaCount: 2\n");
    symlink("/dev/zero", &d.path().join("prod/values.yaml"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "chart",
            "-f",
            "prod/values.yaml",
            "--max-connections",
            "100",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() && !(o.all().contains("prod/values.yaml") && mentions_any(&o, &SIZE_CAP_WORDS))
    {
        p.push(format!(
            "expected a message naming prod/values.yaml and the size cap: {}",
            o.describe()
        ));
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Symlinks in the tree.

#[test]
fn symlink_leaving_the_tree_is_not_read_and_its_secrets_never_print() {
    // outside/secret.env (another directory):
    //   -----BEGIN OPENSSH PRIVATE KEY-----
    //   b3BlbnNzaC1rZXktdjEAAAAAFAKEFAKEFAKEbm9uZQ
    //   -----END OPENSSH PRIVATE KEY-----
    //   PGPASSWORD=outside-secret-42
    // tree/a.env: DB_CONNECTION_LIMIT=5
    // tree/x.env -> outside/secret.env
    // $ poolcheck verify --no-config . --max-connections 100 --format {human,json,github}
    let outside = tmp();
    let secret = write(
        outside.path(),
        "secret.env",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAFAKEFAKEFAKEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\nPGPASSWORD=outside-secret-42\n",
    );
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=5\n");
    symlink(&secret, &d.path().join("x.env"));
    let mut p = Vec::new();
    for format in FORMATS {
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                ".",
                "--max-connections",
                "100",
                "--format",
                format,
            ],
        );
        let s = sane(&o, &[0, 1, 2]);
        if s.is_empty() {
            p.extend(expect_secret_hidden(
                &o,
                &[
                    "b3BlbnNzaC1rZXktdjEAAAAAFAKEFAKEFAKEbm9uZQ",
                    "outside-secret-42",
                    "PRIVATE KEY",
                ],
            ));
            if !(o.all().contains("x.env") && mentions_any(&o, &["outside", "leaves"])) {
                p.push(format!(
                    "{format}: nothing says x.env leaves the tree: {}",
                    o.describe()
                ));
            }
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn symlink_loop_completes_with_a_finding() {
    // a.env: DB_CONNECTION_LIMIT=50
    // loop1 -> .
    // loop2 -> .
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    symlink(".", &d.path().join("loop1"));
    symlink(".", &d.path().join("loop2"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(&o, Some("PC101"), "a.env", Some(1)));
        let fs = o.json().map(|v| findings(&v)).unwrap_or_default();
        if !fs.iter().any(|f| finding_text(f).contains("loop")) {
            p.push(format!("no finding about the loop: {}", o.describe()));
        }
    }
    finish(p);
}

#[test]
fn dangling_symlink_is_one_finding_and_the_rest_still_lints() {
    // a.env: DB_CONNECTION_LIMIT=50
    // dangling.env -> missing-target.env (does not exist)
    // $ poolcheck verify --no-config . --max-connections 10 --format json
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    symlink("missing-target.env", &d.path().join("dangling.env"));
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(&o, Some("PC101"), "a.env", Some(1)));
        let fs = o.json().map(|v| findings(&v)).unwrap_or_default();
        let n = fs
            .iter()
            .filter(|f| finding_text(f).contains("dangling.env"))
            .count();
        if n != 1 {
            p.push(format!(
                "expected exactly one finding about dangling.env, got {n}: {}",
                o.describe()
            ));
        }
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// ${VAR} expansion.

#[test]
fn expansion_bomb_is_bounded_and_located() {
    // bomb.env:
    //   DB_CONNECTION_LIMIT=5
    //   BOMB_A=xxxx…x (64 x)
    //   BOMB_B=${BOMB_A}${BOMB_A}… (10 times)
    //   BOMB_C=${BOMB_B}… (10 times)   … up to BOMB_L: 64 × 10^11 bytes if expanded
    // $ poolcheck verify --no-config bomb.env --max-connections 100 --format json
    let d = tmp();
    let mut text = format!("DB_CONNECTION_LIMIT=5\nBOMB_A={}\n", "x".repeat(64));
    let names: Vec<char> = ('A'..='L').collect();
    for w in names.windows(2) {
        text.push_str(&format!(
            "BOMB_{}={}\n",
            w[1],
            format!("${{BOMB_{}}}", w[0]).repeat(10)
        ));
    }
    write(d.path(), "bomb.env", &text);
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "bomb.env",
            "--max-connections",
            "100",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        let fs = o.json().map(|v| findings(&v)).unwrap_or_default();
        let located = fs.iter().any(|f| {
            at(f, "bomb.env", None) && f["line"].as_u64().is_some_and(|l| (3..=13).contains(&l))
        });
        if !located {
            p.push(format!(
                "no finding at the expanding lines bomb.env:3..13: {}",
                o.describe()
            ));
        }
        if o.stdout_len >= 1_000_000 {
            p.push(format!("stdout is {} bytes", o.stdout_len));
        }
    }
    finish(p);
}

#[test]
fn reference_cycle_is_a_finding_naming_the_cycle() {
    // cycle.env:
    //   DB_CONNECTION_LIMIT=5
    //   ALPHA=${BETA}
    //   BETA=${ALPHA}
    // $ poolcheck verify --no-config cycle.env --max-connections 100 --format json
    let d = tmp();
    write(
        d.path(),
        "cycle.env",
        "DB_CONNECTION_LIMIT=5\nALPHA=${BETA}\nBETA=${ALPHA}\n",
    );
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "cycle.env",
            "--max-connections",
            "100",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[0, 1]);
    if p.is_empty() {
        let fs = o.json().map(|v| findings(&v)).unwrap_or_default();
        let ok = fs.iter().any(|f| {
            let t = finding_text(f);
            at(f, "cycle.env", None)
                && t.contains("ALPHA")
                && t.contains("BETA")
                && (t.contains("cycle") || t.contains("circular"))
        });
        if !ok {
            p.push(format!(
                "no finding in cycle.env naming the cycle ALPHA ↔ BETA: {}",
                o.describe()
            ));
        }
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Large inputs: must complete (within the kill) with the right result. No timing asserted.

#[test]
fn env_file_of_100k_lines_completes_with_the_right_result() {
    // big.env: APP_SETTING_<i>=value-<i> for i in 1..100000, then line 100000:
    //   DB_CONNECTION_LIMIT=50
    // $ poolcheck verify --no-config big.env --max-connections 10 --format json
    let d = tmp();
    let mut text = String::new();
    for i in 1..100_000 {
        text.push_str(&format!("APP_SETTING_{i}=value-{i}\n"));
    }
    text.push_str("DB_CONNECTION_LIMIT=50\n");
    write(d.path(), "big.env", &text);
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "big.env",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(&o, Some("PC101"), "big.env", Some(100_000)));
    }
    finish(p);
}

#[test]
fn yaml_map_of_100k_keys_completes_with_the_right_result() {
    // big.yaml: key_<i>: <i> for i in 1..=100000, then
    //   database:                      (line 100001)
    //     pool_size: 50                (line 100002)
    // $ poolcheck verify --no-config big.yaml --max-connections 10 --format json
    let d = tmp();
    let mut text = String::new();
    for i in 1..=100_000 {
        text.push_str(&format!("key_{i}: {i}\n"));
    }
    text.push_str("database:\n  pool_size: 50\n");
    write(d.path(), "big.yaml", &text);
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "big.yaml",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(&o, Some("PC101"), "big.yaml", Some(100_002)));
    }
    finish(p);
}

/// 1 MiB of deterministic pseudo-random bytes (xorshift), invalid UTF-8 included.
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Findings one file may produce before the rest are summarised (an assumed cap).
const MAX_FINDINGS_PER_FILE: usize = 100;

#[test]
fn megabyte_of_garbage_gives_bounded_json_and_github_output() {
    // a.env: DB_CONNECTION_LIMIT=50
    // garbage.env: 1 MiB of pseudo-random bytes
    // $ poolcheck verify --no-config . --max-connections 10 --format {json,github}
    // stdout under 1 MB, at most MAX_FINDINGS_PER_FILE findings for garbage.env, a.env's PC101 kept.
    finish(garbage_case(&["json", "github"]));
}

#[test]
fn megabyte_of_garbage_gives_bounded_human_output() {
    // The same input; $ poolcheck verify --no-config . --max-connections 10
    finish(garbage_case(&["human"]));
}

fn garbage_case(formats: &[&str]) -> Problems {
    let d = tmp();
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=50\n");
    write(d.path(), "garbage.env", garbage(1 << 20));
    let mut p = Vec::new();
    for &format in formats {
        let o = run_in(
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
        let s = sane(&o, &[1]);
        if s.is_empty() {
            if o.stdout_len >= 1_000_000 {
                p.push(format!(
                    "{format}: stdout is {} bytes (cap 1 MB): {}",
                    o.stdout_len,
                    o.describe().lines().next().unwrap_or("")
                ));
            }
            if format == "json" {
                p.extend(expect_finding(&o, Some("PC101"), "a.env", Some(1)));
                if let Some(v) = o.json() {
                    let n = findings(&v)
                        .iter()
                        .filter(|f| f["file"] == "garbage.env")
                        .count();
                    if n > MAX_FINDINGS_PER_FILE {
                        p.push(format!(
                            "json: {n} findings for garbage.env (cap {MAX_FINDINGS_PER_FILE})"
                        ));
                    }
                }
            }
        }
        p.extend(s);
    }
    p
}

#[test]
fn twenty_thousand_env_files_complete_with_the_right_result() {
    // many/f00000.env … many/f19998.env: DB_POOL_TIMEOUT=30
    // many/f19999.env: DB_CONNECTION_LIMIT=50
    // $ poolcheck verify --no-config many --max-connections 10 --format json
    let d = tmp();
    std::fs::create_dir_all(d.path().join("many")).unwrap();
    for i in 0..19_999 {
        std::fs::write(
            d.path().join(format!("many/f{i:05}.env")),
            "DB_POOL_TIMEOUT=30\n",
        )
        .unwrap();
    }
    std::fs::write(d.path().join("many/f19999.env"), "DB_CONNECTION_LIMIT=50\n").unwrap();
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "many",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1]);
    if p.is_empty() {
        p.extend(expect_finding(
            &o,
            Some("PC101"),
            "many/f19999.env",
            Some(1),
        ));
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// what-if with an absurd pool: quick.

#[test]
fn what_if_pool_max_u32_max_with_a_workload_finishes() {
    // fixtures/demo copied (poolcheck.toml: [env.prod.services.backend.workload] rps = 500 …)
    // $ poolcheck what-if --prod --set service.backend.pool_max=4294967295 --format json
    let d = demo_copy();
    let o = run_in(
        d.path(),
        &[
            "what-if",
            "--prod",
            "--set",
            "service.backend.pool_max=4294967295",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[1, 2]);
    if p.is_empty() {
        if o.code == Some(2) {
            // Under --format json the error is a JSON object on stdout.
            if !o.all().contains("pool_max") {
                p.push(format!(
                    "usage error does not name pool_max: {}",
                    o.describe()
                ));
            }
        } else if let Some(v) = o.json() {
            p.extend(expect_rollout_not_below_steady(&v["after"], "after"));
        } else {
            p.push(format!("stdout is not JSON: {}", o.describe()));
        }
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Secrets.

/// The format-specific form of "located at file:line".
fn expect_located(o: &Out, format: &str, file: &str, line: u64) -> Problems {
    match format {
        "json" => expect_finding(o, None, file, Some(line)),
        "github" => {
            let needle = format!("file={file},line={line},");
            if o.out().contains(&needle) {
                vec![]
            } else {
                vec![format!("github: no `{needle}`: {}", o.describe())]
            }
        }
        _ => expect_located_text(o, file, line),
    }
}

#[test]
fn malformed_env_line_never_echoes_its_secret_value() {
    // app.env:
    //   DB_CONNECTION_LIMIT=5
    //   -PGPASSWORD=hunter2secret
    // $ poolcheck verify --no-config app.env --max-connections 100 --format {human,json,github}
    let d = tmp();
    write(
        d.path(),
        "app.env",
        "DB_CONNECTION_LIMIT=5\n-PGPASSWORD=hunter2secret\n",
    );
    let mut p = Vec::new();
    for format in FORMATS {
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                format,
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_secret_hidden(&o, &["hunter2secret", "hunter2"]));
            p.extend(expect_located(&o, format, "app.env", 2));
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn url_passwords_with_unencoded_slash_hash_or_space_never_print() {
    // app.env:
    //   DATABASE_URL="postgres://app:<password>@db:5432/app?connection_limit=50&pool_timeout=0"
    // with <password> one of `pa/ss#w rd` (from the issue), `pw1zzq/pw2yyx`, `pw3wwv#pw4uut`,
    // `pw5ttr pw6ssq`.
    // $ poolcheck verify --no-config app.env --max-connections 10 --format {human,json,github}
    // PC101 points at connection_limit on that line, so the line is shown.
    let cases: [(&str, &[&str]); 4] = [
        ("pa/ss#w rd", &["pa/ss", "ss#w", "w rd"]),
        ("pw1zzq/pw2yyx", &["pw1zzq", "pw2yyx"]),
        ("pw3wwv#pw4uut", &["pw3wwv", "pw4uut"]),
        ("pw5ttr pw6ssq", &["pw5ttr", "pw6ssq"]),
    ];
    let mut p = Vec::new();
    for (password, fragments) in cases {
        let d = tmp();
        write(
            d.path(),
            "app.env",
            format!("DATABASE_URL=\"postgres://app:{password}@db:5432/app?connection_limit=50&pool_timeout=0\"\n"),
        );
        for format in FORMATS {
            let o = run_in(
                d.path(),
                &[
                    "verify",
                    "--no-config",
                    "app.env",
                    "--max-connections",
                    "10",
                    "--format",
                    format,
                ],
            );
            let s = sane(&o, &[1]);
            if s.is_empty() {
                p.extend(
                    expect_secret_hidden(&o, fragments)
                        .into_iter()
                        .map(|m| format!("password `{password}`, {format}: {m}")),
                );
            }
            p.extend(s);
        }
    }
    finish(p);
}

#[test]
fn libpq_keyword_password_with_a_space_never_prints() {
    // app.env:
    //   DATABASE_URL="host=db port=5432 user=app password='s3cr3t value' dbname=app"
    //   DB_CONNECTION_LIMIT=50
    // $ poolcheck verify --no-config app.env --max-connections 10 --format {human,json,github}
    // PC101 points at line 2; line 1 is shown as context.
    let d = tmp();
    write(
        d.path(),
        "app.env",
        "DATABASE_URL=\"host=db port=5432 user=app password='s3cr3t value' dbname=app\"\nDB_CONNECTION_LIMIT=50\n",
    );
    let mut p = Vec::new();
    for format in FORMATS {
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "10",
                "--format",
                format,
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(
                expect_secret_hidden(&o, &["s3cr3t", "t value'"])
                    .into_iter()
                    .map(|m| format!("{format}: {m}")),
            );
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn what_if_set_secret_never_echoes_the_value() {
    // app.env:
    //   DB_CONNECTION_LIMIT=5
    //   DB_PASSWORD=changeme
    //   DATABASE_URL=postgres://app:changeme@db:5432/app
    // $ poolcheck {what-if,verify} --no-config app.env --max-connections 100 --set <SET> --format {human,json,github}
    // with <SET> `DB_PASSWORD=topsecret123` or `DATABASE_URL=postgres://app:topsecret123@db:5432/app`.
    let d = tmp();
    write(
        d.path(),
        "app.env",
        "DB_CONNECTION_LIMIT=5\nDB_PASSWORD=changeme\nDATABASE_URL=postgres://app:changeme@db:5432/app\n",
    );
    let mut p = Vec::new();
    for set in [
        "DB_PASSWORD=topsecret123",
        "DATABASE_URL=postgres://app:topsecret123@db:5432/app",
    ] {
        for command in ["what-if", "verify"] {
            for format in FORMATS {
                let o = run_in(
                    d.path(),
                    &[
                        command,
                        "--no-config",
                        "app.env",
                        "--max-connections",
                        "100",
                        "--set",
                        set,
                        "--format",
                        format,
                    ],
                );
                let s = sane(&o, &[0, 1, 2]);
                if s.is_empty() {
                    p.extend(
                        expect_secret_hidden(&o, &["topsecret123"])
                            .into_iter()
                            .map(|m| format!("{command} --set {set} --format {format}: {m}")),
                    );
                }
                p.extend(s);
            }
        }
    }
    finish(p);
}

#[test]
fn malformed_set_never_echoes_the_value() {
    // app.env: DB_CONNECTION_LIMIT=5
    // $ poolcheck what-if --no-config app.env --max-connections 100 --set <malformed>
    // with <malformed> one of `DB_PASSWORD:topsecret123` (no `=`), `DB_PASSWORD topsecret123`,
    // `=topsecret123` (empty key), `service.app.password=topsecret123` (unknown model path),
    // `server.default.max_connections=topsecret123` (not a number): exit 2, value never shown.
    let d = tmp();
    write(d.path(), "app.env", "DB_CONNECTION_LIMIT=5\n");
    let mut p = Vec::new();
    for set in [
        "DB_PASSWORD:topsecret123",
        "DB_PASSWORD topsecret123",
        "=topsecret123",
        "service.app.password=topsecret123",
        "server.default.max_connections=topsecret123",
    ] {
        let o = run_in(
            d.path(),
            &[
                "what-if",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--set",
                set,
            ],
        );
        let s = sane(&o, &[2]);
        if s.is_empty() {
            p.extend(
                expect_secret_hidden(&o, &["topsecret123"])
                    .into_iter()
                    .map(|m| format!("--set {set}: {m}")),
            );
        }
        p.extend(s);
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Control bytes never reach the terminal raw.

#[test]
fn control_bytes_in_input_never_reach_stdout_raw() {
    // app.env (bytes):
    //   DB_CONNECTION_LIMIT=50\x1b[31m        ESC sequence in a value (PC002)
    //   DB_POOL_TIMEOUT=3\x07                 BEL in a value (PC002)
    //   DB_\x00POOL_SIZE=4                    NUL in a key (PC001)
    //   DB_IDLE_TIMEOUT=1\x000                NUL in a value (PC002)
    //   \x1b]0;owned\x07=1                    OSC title sequence as a key (PC001)
    // $ poolcheck verify --no-config app.env --max-connections 100 --format {human,github}
    let d = tmp();
    write(
        d.path(),
        "app.env",
        b"DB_CONNECTION_LIMIT=50\x1b[31m\nDB_POOL_TIMEOUT=3\x07\nDB_\x00POOL_SIZE=4\nDB_IDLE_TIMEOUT=1\x000\n\x1b]0;owned\x07=1\n",
    );
    let mut p = Vec::new();
    for format in ["human", "github"] {
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                format,
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            for (byte, name) in [(0x1b_u8, "ESC"), (0x07, "BEL"), (0x00, "NUL")] {
                let n = o.stdout.iter().filter(|b| **b == byte).count();
                if n > 0 {
                    p.push(format!("{format}: {n} raw {name} byte(s) on stdout"));
                }
            }
        }
        p.extend(s);
    }
    finish(p);
}

#[test]
fn finding_past_column_65535_renders_in_human_output() {
    // Found while writing this suite (same family as the YAML alias case below).
    // app.env, one line of about 68,000 bytes:
    //   DATABASE_URL=postgres://app@db:5432/app?x=1&x=1&… (17,000 times) …&connection_limit=abc
    // $ poolcheck verify --no-config app.env --max-connections 100 --format {human,json,github}
    // A PC002 at app.env:1 whose label starts past column 65,535: the human renderer must not
    // panic ("Formatting argument out of range") and stdout stays bounded.
    let d = tmp();
    write(
        d.path(),
        "app.env",
        format!(
            "DATABASE_URL=postgres://app@db:5432/app?{}connection_limit=abc\n",
            "x=1&".repeat(17_000)
        ),
    );
    let mut p = Vec::new();
    for format in FORMATS {
        let o = run_in(
            d.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                format,
            ],
        );
        let s = sane(&o, &[1]);
        if s.is_empty() {
            p.extend(expect_located(&o, format, "app.env", 1));
            if o.stdout_len >= 1_000_000 {
                p.push(format!("{format}: stdout is {} bytes", o.stdout_len));
            }
        }
        p.extend(s.into_iter().map(|m| format!("{format}: {m}")));
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// YAML and poolcheck.toml shapes.

#[test]
fn multi_document_values_file_uses_the_first_document_as_helm_does() {
    // chart/values.yaml:
    //   replicaCount: 2
    //   env:
    //     - name: DB_CONNECTION_LIMIT
    //       value: "10"
    //   ---
    //   replicaCount: 7
    //   env:
    //     - name: DB_CONNECTION_LIMIT
    //       value: "40"
    // $ poolcheck verify --no-config chart --max-connections 1000 --format json
    // Helm (sigs.k8s.io/yaml) reads only the first document: pool 10 × 2 pods.
    let d = tmp();
    chart(
        d.path(),
        "chart",
        "replicaCount: 2\nenv:\n  - name: DB_CONNECTION_LIMIT\n    value: \"10\"\n---\nreplicaCount: 7\nenv:\n  - name: DB_CONNECTION_LIMIT\n    value: \"40\"\n",
    );
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "chart",
            "--max-connections",
            "1000",
            "--format",
            "json",
        ],
    );
    let mut p = sane(&o, &[0, 1]);
    if p.is_empty() {
        let v = o.json().unwrap_or_default();
        let svc = &v["capacity"][0]["services"][0];
        let got = (svc["pool_max"].as_u64(), svc["pods"].as_u64());
        if got != (Some(10), Some(2)) {
            p.push(format!(
                "expected pool 10 × 2 pods from the first document, got pool {:?} × pods {:?}: {}",
                got.0,
                got.1,
                o.describe()
            ));
        }
    }
    finish(p);
}

#[test]
fn scalar_root_yaml_is_a_located_error() {
    // (a) app.yaml: just a string        a.env: DB_CONNECTION_LIMIT=5
    //     $ poolcheck verify --no-config app.yaml a.env --max-connections 100 --format json
    // (b) chart/values.yaml: just a string
    //     $ poolcheck verify --no-config chart --max-connections 100 --format json
    let mut p = Vec::new();
    let d = tmp();
    write(d.path(), "app.yaml", "just a string\n");
    write(d.path(), "a.env", "DB_CONNECTION_LIMIT=5\n");
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "app.yaml",
            "a.env",
            "--max-connections",
            "100",
            "--format",
            "json",
        ],
    );
    let s = sane(&o, &[1, 2]);
    if s.is_empty() {
        if o.code == Some(2) {
            p.extend(expect_located_text(&o, "app.yaml", 1));
        } else {
            p.extend(expect_finding(&o, None, "app.yaml", Some(1)));
        }
    }
    p.extend(s);

    let d = tmp();
    chart(d.path(), "chart", "just a string\n");
    let o = run_in(
        d.path(),
        &[
            "verify",
            "--no-config",
            "chart",
            "--max-connections",
            "100",
            "--format",
            "json",
        ],
    );
    let s = sane(&o, &[1, 2]);
    if s.is_empty() {
        if o.code == Some(2) {
            p.extend(expect_located_text(&o, "chart/values.yaml", 1));
        } else {
            p.extend(expect_finding(&o, None, "chart/values.yaml", Some(1)));
        }
    }
    p.extend(s);
    finish(p);
}

#[test]
fn poolcheck_toml_non_finite_number_names_the_key() {
    // poolcheck.toml:
    //   [servers.main]
    //   max_connections = <1e400 | nan | inf>
    //
    //   [services.api]
    //   files = ["app.env"]
    // app.env: DB_CONNECTION_LIMIT=5
    // $ poolcheck verify
    // exit 2, located at poolcheck.toml:2, naming max_connections, not "null is not of type".
    let mut p = Vec::new();
    for v in ["1e400", "nan", "inf"] {
        let d = tmp();
        write(d.path(), "app.env", "DB_CONNECTION_LIMIT=5\n");
        write(
            d.path(),
            "poolcheck.toml",
            format!(
                "[servers.main]\nmax_connections = {v}\n\n[services.api]\nfiles = [\"app.env\"]\n"
            ),
        );
        let o = run_in(d.path(), &["verify"]);
        let s = sane(&o, &[2]);
        if s.is_empty() {
            let e = o.err();
            if !(e.contains("poolcheck.toml:2:") && e.contains("max_connections")) {
                p.push(format!(
                    "`{v}`: not located at poolcheck.toml:2 naming max_connections: {}",
                    o.describe()
                ));
            }
            if e.contains("null") {
                p.push(format!(
                    "`{v}`: the message talks about null: {}",
                    o.describe()
                ));
            }
        }
        p.extend(s);
    }
    finish(p);
}

/// Internal names of the YAML library that must not reach users.
const YAML_INTERNALS: [&str; 12] = [
    "Nodes {",
    "Events {",
    "Aliases {",
    "Anchors {",
    "Depth {",
    "Documents {",
    "BudgetBreach",
    "max_nodes",
    "max_events",
    "max_aliases",
    "max_depth",
    "max_anchors",
];

#[test]
fn yaml_error_messages_carry_no_internal_names() {
    // app.yaml, each of:
    //   (a) an alias bomb: a: &a [x ×10], b: &b [*a ×10], … k: &k [*j ×10]
    //   (b) 2,000 nested flow sequences: [[[[…]]]]
    //   (c) 200,000 aliases of one anchor in a flow sequence
    // a.env: DB_CONNECTION_LIMIT=5
    // $ poolcheck verify --no-config app.yaml a.env --max-connections 100 --format {json,human}
    // A located PC001 at app.yaml whose message names no library internals.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in 'b'..='k' {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
        prev = name;
    }
    let deep = format!("v: {}{}\n", "[".repeat(2000), "]".repeat(2000));
    let aliases = format!("a: &a x\nb: [{}]\n", vec!["*a"; 200_000].join(", "));
    let mut p = Vec::new();
    for (label, text) in [
        ("alias bomb", bomb),
        ("deep nesting", deep),
        ("many aliases", aliases),
    ] {
        let d = tmp();
        write(d.path(), "app.yaml", &text);
        write(d.path(), "a.env", "DB_CONNECTION_LIMIT=5\n");
        for format in ["json", "human"] {
            let o = run_in(
                d.path(),
                &[
                    "verify",
                    "--no-config",
                    "app.yaml",
                    "a.env",
                    "--max-connections",
                    "100",
                    "--format",
                    format,
                ],
            );
            let s = sane(&o, &[1]);
            if s.is_empty() {
                if format == "json" {
                    p.extend(
                        expect_finding(&o, Some("PC001"), "app.yaml", None)
                            .into_iter()
                            .map(|m| format!("{label}: {m}")),
                    );
                }
                let all = o.all();
                for w in YAML_INTERNALS {
                    if all.contains(w) {
                        p.push(format!(
                            "{label} ({format}): the message shows `{w}`: {}",
                            o.describe()
                        ));
                    }
                }
            }
            p.extend(s.into_iter().map(|m| format!("{label}: {m}")));
        }
    }
    finish(p);
}

// ---------------------------------------------------------------------------------------------
// Live commands: usage errors caught before any connection (no server needed).

#[test]
fn probe_with_an_invalid_port_is_a_usage_error() {
    // $ poolcheck probe postgres://u@127.0.0.1:notaport/db --connect-timeout 2s
    // $ poolcheck probe postgres://u@127.0.0.1:99999/db --connect-timeout 2s
    // $ poolcheck probe "host=127.0.0.1 port=99999 user=u password='s3cr3t value'" --connect-timeout 2s
    // exit 2, naming the port, before connecting anywhere (today: silently 5432).
    let d = tmp();
    let mut p = Vec::new();
    for (url, port) in [
        ("postgres://u@127.0.0.1:notaport/db", "notaport"),
        ("postgres://u@127.0.0.1:99999/db", "99999"),
        ("postgres://u:s3cr3t@127.0.0.1:99999/db", "99999"),
        (
            "host=127.0.0.1 port=99999 user=u password='s3cr3t value'",
            "99999",
        ),
    ] {
        let o = run_in(d.path(), &["probe", url, "--connect-timeout", "2s"]);
        let s = sane(&o, &[2]);
        if s.is_empty() {
            let e = o.err();
            if !(e.contains(port) && e.to_lowercase().contains("port")) {
                p.push(format!(
                    "{url}: the error does not name port {port}: {}",
                    o.describe()
                ));
            }
            p.extend(expect_secret_hidden(&o, &["s3cr3t"]));
        }
        p.extend(s.into_iter().map(|m| format!("{url}: {m}")));
    }
    finish(p);
}

#[test]
fn saturate_with_an_invalid_port_is_a_usage_error() {
    // $ poolcheck saturate postgres://u@127.0.0.1:notaport/db --pool 2 --duration 1s --connect-timeout 2s
    // $ poolcheck saturate postgres://u@127.0.0.1:99999/db --pool 2 --duration 1s --connect-timeout 2s
    let d = tmp();
    let mut p = Vec::new();
    for (url, port) in [
        ("postgres://u@127.0.0.1:notaport/db", "notaport"),
        ("postgres://u@127.0.0.1:99999/db", "99999"),
    ] {
        let o = run_in(
            d.path(),
            &[
                "saturate",
                url,
                "--pool",
                "2",
                "--duration",
                "1s",
                "--connect-timeout",
                "2s",
            ],
        );
        let s = sane(&o, &[2]);
        if s.is_empty() {
            let e = o.err();
            if !(e.contains(port) && e.to_lowercase().contains("port")) {
                p.push(format!(
                    "{url}: the error does not name port {port}: {}",
                    o.describe()
                ));
            }
        }
        p.extend(s.into_iter().map(|m| format!("{url}: {m}")));
    }
    finish(p);
}

#[test]
fn what_if_rps_must_be_a_positive_finite_number() {
    // fixtures/demo copied
    // $ poolcheck what-if --prod --rps=<NaN | -5 | 0 | inf>
    let d = demo_copy();
    let mut p = Vec::new();
    for v in ["NaN", "-5", "0", "inf"] {
        let arg = format!("--rps={v}");
        let o = run_in(d.path(), &["what-if", "--prod", &arg]);
        let s = sane(&o, &[2]);
        if s.is_empty() && !o.err().contains("rps") {
            p.push(format!(
                "{arg}: the error does not name --rps: {}",
                o.describe()
            ));
        }
        p.extend(s.into_iter().map(|m| format!("{arg}: {m}")));
    }
    finish(p);
}
