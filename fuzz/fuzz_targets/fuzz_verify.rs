//! End to end: bytes → one input file (kind picked by the first byte) with a canary password
//! appended in that file's syntax → `pipeline::analyze` → the report in every format.
//!
//! Asserts: no panic; the canary password never appears in any rendered report (raw render,
//! before the stdout scrubber, so detection at the source is what is tested); output size is
//! bounded by `64 × input + 64 KiB`.
//!
//! The pipeline reads files from disk and has no in-memory entry, so each run writes into a
//! per-process directory on tmpfs (`/dev/shm` when present).
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::cli::ReportFormat;
use poolcheck::pipeline::{self, ConfigChoice, Request};
use std::path::PathBuf;
use std::sync::OnceLock;

const CANARY: &str = "canary-8c1f2e";

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("poolcheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("create fuzz scratch dir");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    // An input that spells the canary itself (or a piece of it) may legitimately echo it.
    if body.contains("canary") || body.contains("8c1f2e") {
        return;
    }
    let url = format!("postgres://app:{CANARY}@db.internal:5432/app");
    let (name, text) = match selector % 3 {
        0 => (
            ".env",
            format!("{body}\nDB_PASSWORD={CANARY}\nDATABASE_URL={url}\n"),
        ),
        1 => (
            "application.yml",
            format!("{body}\n---\ndb_password: {CANARY}\ndatabase_url: {url}\n"),
        ),
        _ => (
            "config.toml",
            format!(
                "{body}\n[fuzz_canary]\ndb_password = \"{CANARY}\"\ndatabase_url = \"{url}\"\n"
            ),
        ),
    };
    let d = dir();
    // One file at a time: stale files of another kind would be read too.
    let _ = std::fs::remove_dir_all(d);
    std::fs::create_dir_all(d).expect("recreate fuzz scratch dir");
    let path = d.join(name);
    std::fs::write(&path, &text).expect("write fuzz input");

    let req = Request {
        paths: vec![path],
        config: ConfigChoice::None,
        ..Request::default()
    };
    let Ok(analysis) = pipeline::analyze(&req) else {
        return;
    };
    let report = analysis.report();
    let limit = 64 * text.len() + 64 * 1024;
    for format in [
        ReportFormat::Human,
        ReportFormat::Json,
        ReportFormat::Github,
    ] {
        let out = poolcheck::report::render(format, &report);
        assert!(
            !out.contains(CANARY),
            "canary password leaked into {format:?} output:\n{out}"
        );
        assert!(
            out.len() < limit,
            "{format:?} output is {} bytes for {} bytes of input",
            out.len(),
            text.len()
        );
    }
});
