//! docker compose files: arbitrary bytes and mutations of real compose shapes (interpolation,
//! tags, env lists) never panic or hang; malformed YAML or interpolation is a located PC001,
//! and the run still reports.

use poolcheck::pipeline::{self, ConfigChoice, Request};
use proptest::prelude::*;

#[path = "common/props.rs"]
mod props;

const COMPOSE: &str = "services:\n  api:\n    image: ghcr.io/acme/api:${TAG:-1}\n    environment:\n      DATABASE_URL: postgresql://a:${PW}@db:5432/a\n      DB_POOL_SIZE: ${POOL:-10}\n    env_file: [./api.env]\n    deploy: {replicas: 3}\n  worker:\n    environment:\n      - DB_POOL_MAX=${MAX:?set MAX}\n      - DB_POOL_TIMEOUT\n    profiles: [jobs]\n  db:\n    image: postgres:16\n    command: !reset postgres -c max_connections=50\n";

fn mutated() -> impl Strategy<Value = String> {
    (
        0..COMPOSE.len(),
        prop_oneof![
            Just(String::new()),
            "[ -~\n]{1,4}",
            Just("${".into()),
            Just("$$".into()),
            Just("${A:-${B:-${C".into()),
            Just("!override ".into()),
            Just("- ".into()),
        ],
        any::<bool>(),
    )
        .prop_map(|(at, insert, cut)| props::splice(COMPOSE, at, &insert, cut))
}

fn run(text: &[u8], env: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.path().join(".env"), env).unwrap();
    std::fs::write(dir.path().join("api.env"), "DB_POOL_MAX=4\n").unwrap();
    let req = Request {
        paths: vec![path],
        config: ConfigChoice::None,
        ..Request::default()
    };
    let a = pipeline::analyze(&req).expect("a run, never a tool error");
    for f in a.findings.iter().filter(|f| f.code.as_str() == "PC001") {
        let at = f.primary.as_ref().expect("a syntax error is located");
        prop_assert!(at.span.end <= a.sources.get(at.file).text.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        run(&bytes, "POOL=5\n")?;
    }

    #[test]
    fn mutated_compose_files_never_panic(text in mutated(), env in "[A-Z]{1,4}=[ -~]{0,6}\n") {
        run(text.as_bytes(), &env)?;
    }
}

#[test]
fn a_broken_interpolation_is_a_located_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    std::fs::write(
        &path,
        "services:\n  api:\n    environment:\n      DATABASE_URL: postgresql://a@db/a\n      DB_POOL_SIZE: ${POOL\n",
    )
    .unwrap();
    let req = Request {
        paths: vec![path],
        config: ConfigChoice::None,
        ..Request::default()
    };
    let a = pipeline::analyze(&req).unwrap();
    let f = a
        .findings
        .iter()
        .find(|f| f.code.as_str() == "PC001")
        .expect("PC001");
    let at = f.primary.as_ref().unwrap();
    let file = a.sources.get(at.file);
    assert_eq!(file.line_col(at.span.start).0, 5);
    assert!(f.message.contains("closing"), "{}", f.message);
}
