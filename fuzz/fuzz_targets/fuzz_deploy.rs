//! Deployment files: Kubernetes manifests read into workloads (replicas, autoscalers, env from
//! ConfigMaps, `$(NAME)` expansion) and compose interpolation. No panic; every finding about a
//! manifest points inside its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::dialects::Dialects;
use poolcheck::input::formats::{compose, k8s, yaml};
use poolcheck::model::from_manifests;
use std::sync::OnceLock;

static DIALECTS: OnceLock<Dialects> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(docs) = yaml::parse(0, text) {
        let dialects = DIALECTS.get_or_init(|| Dialects::with_user(None));
        for unit in from_manifests::workloads(&k8s::read(&docs), dialects) {
            for f in &unit.deployed.findings {
                if let Some(p) = &f.primary {
                    assert!(p.span.end <= text.len(), "finding outside the text");
                }
            }
        }
    }
    let vars = [(
        "POOL".to_string(),
        compose::Var {
            value: "5".into(),
            at: None,
        },
    )];
    let _ = compose::interpolate(text, &vars, 0);
});
