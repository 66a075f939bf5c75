//! Kubernetes manifests: arbitrary bytes and mutations of real manifest shapes never panic or
//! hang the reader or the model; a file that does not parse is one located PC001, and the run
//! still reports the rest.

mod common;

use poolcheck::input::dialects::Dialects;
use poolcheck::input::formats::{k8s, yaml};
use poolcheck::model::from_manifests;
use poolcheck::pipeline::{self, ConfigChoice, Request};
use proptest::prelude::*;

#[path = "common/props.rs"]
mod props;

const MANIFEST: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\ndata:\n  DB_POOL_SIZE: \"40\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 6\n  strategy:\n    rollingUpdate: {maxSurge: 25%}\n  template:\n    spec:\n      containers:\n        - name: api\n          envFrom: [{configMapRef: {name: db}}]\n          env:\n            - {name: DATABASE_URL, value: \"postgresql://a@db:5432/a\"}\n            - name: X\n              valueFrom: {configMapKeyRef: {name: db, key: nope}}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\nspec:\n  scaleTargetRef: {kind: Deployment, name: api}\n  maxReplicas: 12\n";

/// Edits real manifests suffer: a cut, an inserted character, a value replaced.
fn mutated() -> impl Strategy<Value = String> {
    (
        0..MANIFEST.len(),
        prop_oneof![
            Just(String::new()),
            "[ -~\n\t]{1,4}",
            Just("{".into()),
            Just("- ".into()),
            Just("-1".into()),
            Just("99999999999999999999".into()),
            Just("*a".into()),
        ],
        any::<bool>(),
    )
        .prop_map(|(at, insert, cut)| props::splice(MANIFEST, at, &insert, cut))
}

fn model(text: &str) -> Result<(), TestCaseError> {
    match yaml::parse(0, text) {
        Ok(docs) => {
            let m = k8s::read(&docs);
            let units = from_manifests::workloads(&m, &Dialects::with_user(None));
            for u in &units {
                for f in &u.deployed.findings {
                    let at = f.primary.as_ref().expect("located");
                    prop_assert!(at.span.end <= text.len());
                }
            }
        }
        Err(e) => prop_assert!(e.span.end <= text.len()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        model(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn mutated_manifests_never_panic(text in mutated()) {
        model(&text)?;
    }
}

proptest! {
    // The whole pipeline on a file: slower, so fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_broken_manifest_is_a_located_syntax_error(text in mutated()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deploy.yaml");
        std::fs::write(&path, &text).unwrap();
        let req = Request {
            paths: vec![path],
            config: ConfigChoice::None,
            ..Request::default()
        };
        let a = pipeline::analyze(&req).expect("a run, never a tool error");
        let broken = yaml::parse(0, &text).is_err();
        let syntax: Vec<_> = a.findings.iter().filter(|f| f.code.as_str() == "PC001").collect();
        // A file the YAML parser refuses is a syntax error; one it reads may still be one
        // (a document that is a lone string holds no settings).
        prop_assert!(!broken || !syntax.is_empty(), "{:?}", a.findings);
        for f in syntax {
            prop_assert!(f.primary.as_ref().is_some_and(|p| p.span.end <= text.len()));
        }
    }
}

#[test]
fn the_unmutated_manifest_reads_as_the_issue_says() {
    let docs = yaml::parse(0, MANIFEST).unwrap();
    let units = from_manifests::workloads(&k8s::read(&docs), &Dialects::with_user(None));
    assert_eq!(units.len(), 1);
    let s = &units[0].deployed.scaling;
    assert_eq!(s.replicas.as_ref().unwrap().value, 6);
    assert_eq!(s.hpa.as_ref().unwrap().1.value, 12);
    // The missing key is the one finding.
    let codes: Vec<_> = units[0]
        .deployed
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(codes, ["PC008"]);
}
