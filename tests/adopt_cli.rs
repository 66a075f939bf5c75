//! Adopting poolcheck on an existing repository: baselines, --select/--ignore, init.

mod common;

use common::*;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// (code, file, line) of every finding of a JSON report, sorted.
fn codes(run: &Run) -> Vec<(String, Option<String>, Option<u64>)> {
    let mut v = findings(&json(run));
    v.sort();
    v
}

const ENV: &str = "\
DATABASE_URL=\"postgresql://app@db:5432/app?connection_limit=200&pool_timeout=0\"
APP_NAME=orders
";

#[test]
fn a_baseline_hides_known_findings_across_line_moves_and_fails_on_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", ENV);
    let args = [
        "verify",
        "--no-config",
        ".env",
        "--max-connections",
        "100",
        "--format",
        "json",
    ];
    let before = poolcheck_in(d, &args);
    assert_eq!(before.code, 1, "{}", before.stderr);
    let known = codes(&before);
    assert_eq!(
        known,
        [
            ("PC101".into(), Some(".env".into()), Some(1)),
            ("PC201".into(), Some(".env".into()), Some(1)),
        ]
    );

    let w = poolcheck_in(
        d,
        &[
            "verify",
            "--no-config",
            ".env",
            "--max-connections",
            "100",
            "--write-baseline",
            "poolcheck-baseline.json",
        ],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    assert_eq!(
        w.stdout,
        "wrote 2 findings to poolcheck-baseline.json; `--baseline poolcheck-baseline.json` now fails only on new ones\n"
    );
    let written = std::fs::read_to_string(d.join("poolcheck-baseline.json")).unwrap();
    assert!(!written.contains("\"line\""), "{written}");
    assert!(written.contains("\"key\": \"DATABASE_URL\""), "{written}");

    let mut with = args.to_vec();
    with.extend(["--baseline", "poolcheck-baseline.json"]);
    let same = poolcheck_in(d, &with);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(codes(&same).is_empty());
    assert_eq!(
        same.stderr,
        "baseline poolcheck-baseline.json: 2 known findings not shown, 0 entries no longer found\n"
    );

    // Lines added above move the finding to line 4; the value changes too. Still known.
    write(
        d,
        ".env",
        "# orders service\nLOG_LEVEL=info\n\nDATABASE_URL=\"postgresql://app@db:5432/app?connection_limit=150&pool_timeout=0\"\nAPP_NAME=orders\n",
    );
    let moved = poolcheck_in(d, &with);
    assert_eq!(moved.code, 0, "{}{}", moved.stdout, moved.stderr);
    assert!(codes(&moved).is_empty());

    // A new problem under another key is reported, and fails the run.
    write(
        d,
        ".env",
        "# orders service\nLOG_LEVEL=info\n\nDATABASE_URL=\"postgresql://app@db:5432/app?connection_limit=150&pool_timeout=0\"\nREPORTS_DATABASE_URL=\"postgresql://app@db:5432/app?connection_limit=5\"\n",
    );
    let new = poolcheck_in(d, &with);
    let got = codes(&new);
    assert!(
        got.iter().all(|(_, _, line)| *line == Some(5)),
        "only the new line: {got:?}"
    );

    // Fixed: the run is clean and the stale entries are counted.
    write(
        d,
        ".env",
        "DATABASE_URL=\"postgresql://app@db:5432/app?connection_limit=10&pool_timeout=5\"\n",
    );
    let fixed = poolcheck_in(d, &with);
    assert_eq!(fixed.code, 0);
    assert!(codes(&fixed).is_empty());
    assert_eq!(
        fixed.stderr,
        "baseline poolcheck-baseline.json: 0 known findings not shown, 2 entries no longer found (--write-baseline refreshes it)\n"
    );
}

#[test]
fn a_missing_or_foreign_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", ENV);
    write(dir.path(), "other.json", "{\"findings\": 3}");
    for (file, says) in [
        ("absent.json", "cannot read baseline absent.json"),
        ("other.json", "other.json is not a poolcheck baseline"),
    ] {
        let run = poolcheck_in(
            dir.path(),
            &["verify", "--no-config", ".env", "--baseline", file],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
}

#[test]
fn select_and_ignore_narrow_the_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", ENV);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--no-config",
            ".env",
            "--max-connections",
            "100",
            "--format",
            "json",
        ];
        args.extend(extra);
        let r = poolcheck_in(dir.path(), &args);
        let got: Vec<String> = codes(&r).into_iter().map(|(c, _, _)| c).collect();
        (r.code, got)
    };
    assert_eq!(run(&["--select", "PC2"]), (0, vec!["PC201".to_string()]));
    assert_eq!(
        run(&["--ignore", "infinite-acquire-timeout"]),
        (1, vec!["PC101".to_string()])
    );
    assert_eq!(
        run(&["--select", "PC1,PC2", "--ignore", "PC101"]),
        (0, vec!["PC201".to_string()])
    );
    // The command line beats poolcheck.toml's [rules].
    write(
        dir.path(),
        "poolcheck.toml",
        "[rules.PC201]\nseverity = \"off\"\n",
    );
    let r = poolcheck_in(
        dir.path(),
        &[
            "verify",
            ".env",
            "--max-connections",
            "100",
            "--select",
            "PC201",
            "--format",
            "json",
        ],
    );
    let got: Vec<String> = codes(&r).into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(got, ["PC201"]);
}
