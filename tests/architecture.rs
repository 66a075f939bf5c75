//! The one-way data flow holds in the code: no import cycle between top-level modules, and
//! `core` depends on nothing else in the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// top-level module → the top-level modules its code names as `crate::X` (test code excluded).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(top.as_str(), "lib" | "main") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Unit tests may reach anywhere; only the shipped code must flow one way.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = g.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            // `$crate::` in macros is the crate root, not a module.
            if code[..i].ends_with('$') {
                continue;
            }
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    g
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let g = graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(i) = stack.iter().position(|s| s == n) {
            panic!("import cycle: {} → {n}", stack[i..].join(" → "));
        }
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            visit(d, g, stack, done);
        }
        stack.pop();
        done.insert(n.to_string());
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        visit(n, &g, &mut Vec::new(), &mut done);
    }
}

#[test]
fn core_depends_on_nothing_else_in_the_crate() {
    let g = graph();
    let deps = &g["core"];
    assert!(deps.is_empty(), "core uses {deps:?}");
}

#[test]
fn the_pipeline_stages_flow_one_way() {
    // input → model → capacity → lint/rules → report: no stage names a later one.
    let g = graph();
    let order = [
        "core", "input", "model", "capacity", "lint", "rules", "report",
    ];
    for (i, stage) in order.iter().enumerate() {
        for later in &order[i + 1..] {
            // lint and rules are one stage in two modules: the engine and the rules it runs.
            if (*stage, *later) == ("lint", "rules") {
                continue;
            }
            assert!(
                !g[*stage].contains(*later),
                "{stage} uses {later}, a later stage"
            );
        }
    }
}
