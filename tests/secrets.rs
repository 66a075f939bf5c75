//! No secret reaches any output: generated passwords (any printable character, percent-encoded
//! or not) in URLs, libpq keyword strings, JDBC query strings, .env values and YAML values,
//! through every output format of every subcommand, including error paths.

mod common;
use common::*;
use proptest::prelude::*;

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The forms of a secret that must never be printed.
fn forms(pw: &str) -> Vec<String> {
    let mut f = vec![pw.to_string()];
    let p = pct(pw);
    if p != pw {
        f.push(p);
    }
    f
}

fn assert_hidden(what: &str, run: &Run, pw: &str) {
    for form in forms(pw) {
        assert!(
            !run.stdout.contains(&form) && !run.stderr.contains(&form),
            "{what} printed {form:?}:\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// Every file shape that carries the password, each with a pool setting that raises findings.
fn files(pw: &str, key: &str) -> Vec<(&'static str, String)> {
    let libpq = pw.replace('\\', "\\\\").replace('\'', "\\'");
    let yaml = pw.replace('\\', "\\\\").replace('"', "\\\"");
    vec![
        (
            "raw-url.env",
            format!("DATABASE_URL=postgres://app:{pw}@db:5432/app?connection_limit=50\n"),
        ),
        (
            "encoded-url.env",
            format!(
                "DATABASE_URL=\"postgres://app:{}@db:5432/app?connection_limit=50\"\n",
                pct(pw)
            ),
        ),
        (
            "secret-key.env",
            format!("{key}={pw}\nDB_POOL_SIZE=50\n"),
        ),
        (
            "libpq.env",
            format!("DATABASE_URL=host=db user=app password='{libpq}' dbname=app\nDB_POOL_SIZE=50\n"),
        ),
        (
            "jdbc.env",
            format!(
                "SPRING_DATASOURCE_URL=jdbc:postgresql://db/app?user=app&password={}\nSPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE=50\n",
                pct(pw)
            ),
        ),
        (
            "application.yaml",
            format!(
                "spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    password: \"{yaml}\"\n    hikari:\n      maximum-pool-size: 50\n"
            ),
        ),
    ]
}

fn password() -> impl Strategy<Value = String> {
    // Printable ASCII and space; long enough that it cannot occur in output by chance.
    proptest::string::string_regex("[ -~]{10,24}")
        .unwrap()
        .prop_filter("not blank, not only stars", |s| {
            !s.trim().is_empty() && s.trim_matches('*').len() > 4 && !s.starts_with(' ')
        })
}

fn key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("DB_PASSWORD"),
        Just("PGPASSWORD"),
        Just("REDIS_PASS"),
        Just("API_TOKEN"),
        Just("dbPassword"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn no_output_of_any_command_contains_a_password(pw in password(), key in key()) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files(&pw, key) {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        for (name, _) in files(&pw, key) {
            for format in ["human", "json", "github"] {
                let run = poolcheck_in(
                    dir.path(),
                    &["verify", name, "--no-config", "--max-connections", "20", "--format", format],
                );
                // A password that breaks the URL's syntax may hide the pool setting; the
                // verdict may differ, the secret must never show.
                prop_assert!(run.code <= 2, "{name} {format}: {}", run.stderr);
                assert_hidden(&format!("verify {name} --format {format}"), &run, &pw);
            }
        }
        // what-if echoes its changes; a secret key's value must not be among them.
        let set = format!("{key}={pw}");
        for format in ["human", "json"] {
            let run = poolcheck_in(
                dir.path(),
                &["what-if", "secret-key.env", "--no-config", "--max-connections", "20",
                  "--set", &set, "--format", format],
            );
            assert_hidden(&format!("what-if --set --format {format}"), &run, &pw);
        }
        // Error paths: a malformed --set, and live commands that cannot connect (port 1 on
        // loopback refuses at once).
        let run = poolcheck_in(dir.path(), &["verify", "secret-key.env", "--no-config", "--set", &pw]);
        assert_hidden("verify --set <malformed>", &run, &pw);
        let url = format!("postgres://app:{}@127.0.0.1:1/app", pct(&pw));
        let redis = format!("redis://app:{}@127.0.0.1:1/0", pct(&pw));
        for args in [
            vec!["probe", url.as_str(), "--connect-timeout", "2s"],
            vec!["probe", url.as_str(), "--format", "json", "--connect-timeout", "2s"],
            vec!["saturate", url.as_str(), "--pool", "1", "--duration", "1s", "--connect-timeout", "2s"],
            vec!["saturate", redis.as_str(), "--pool", "1", "--duration", "1s", "--connect-timeout", "2s"],
            vec!["verify", "secret-key.env", "--no-config", "--probe", url.as_str()],
        ] {
            let run = poolcheck_in(dir.path(), &args);
            prop_assert_eq!(run.code, 2, "{:?}: {}{}", args[0], run.stdout, run.stderr);
            assert_hidden(&format!("{} (unreachable)", args[0]), &run, &pw);
        }
    }
}
