//! `poolcheck app`: what poolcheck knows of each application preset, offline, with sources.

mod common;
use common::*;

fn preset_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("rules/apps"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.strip_suffix(".toml").map(String::from)
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_list_names_every_preset_once() {
    let run = poolcheck_cols(&["app"], 80);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, preset_ids());
    let ids = preset_ids();
    assert!(run
        .stdout
        .contains(&format!("\n{} applications; `poolcheck app ID`", ids.len())));
}

#[test]
fn one_app_shows_its_keys_defaults_and_components_with_their_sources() {
    let run = poolcheck_cols(&["app", "Mattermost"], 80);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.starts_with("Mattermost (mattermost)\n"), "{out}");
    // The default that decides the mattermost-flagged verdict, and where it comes from.
    let at = out
        .find("  pool max = 300: Mattermost default MaxOpenConns: 300 (self-hosted)\n")
        .expect(out);
    let next = &out[at..].lines().nth(1).unwrap();
    assert!(
        next.starts_with("    source: https://docs.mattermost.com/"),
        "{next}"
    );
    // Each key cites its own link, not the next key's.
    let key = out
        .lines()
        .position(|l| l.contains("`MM_SQLSETTINGS_MAXOPENCONNS`"))
        .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[key + 1],
        "    source: https://docs.mattermost.com/configure/environment-configuration-settings.html#maximum-open-connections"
    );
    assert!(!lines[key + 2].contains("source:"), "{}", lines[key + 2]);
    // Everything but a link fits 80 columns (a URL is one word, never split).
    for l in out.lines() {
        let url_last = l
            .split_whitespace()
            .last()
            .is_some_and(|w| w.starts_with("https://"));
        assert!(l.chars().count() <= 80 || url_last, "{l}");
    }
}

#[test]
fn json_gives_every_default_its_sources() {
    let run = poolcheck(&["app", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let apps = v.as_array().unwrap();
    assert_eq!(apps.len(), preset_ids().len());
    for app in apps {
        for d in app["defaults"].as_array().unwrap() {
            let sources = d["sources"].as_array().unwrap();
            assert!(
                sources
                    .iter()
                    .all(|s| s.as_str().unwrap().starts_with("https://")),
                "{}: {d}",
                app["id"]
            );
            assert!(!sources.is_empty(), "{}: {d}", app["id"]);
        }
    }
    let one = poolcheck(&["app", "gitlab", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(v["id"], "gitlab");
    assert_eq!(v["components"][0]["name"], "webservice");
    assert_eq!(v["components"][0]["processes"], 2);
}

#[test]
fn an_unknown_app_is_a_usage_error_with_the_nearest_name() {
    let run = poolcheck(&["app", "mattermst"]);
    assert_eq!(run.code, 2);
    assert!(run
        .stderr
        .contains("poolcheck knows no application `mattermst`"));
    assert!(
        run.stderr.contains("did you mean `mattermost`?"),
        "{}",
        run.stderr
    );
    let json = poolcheck(&["app", "nope-nothing", "--format", "json"]);
    assert_eq!(json.code, 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(v.to_string().contains("poolcheck knows no application"));
}
