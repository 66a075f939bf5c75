//! Every README example that shows a command (`$ poolcheck …`, optionally after `cd DIR &&`)
//! is run here and must print exactly what the README shows, so the front door never drifts
//! from the tool. A block whose last line is `…` shows only the start of the output. probe
//! and saturate examples read a live server's changing figures and are not compared.

mod common;

use common::*;

struct Example {
    line: usize,
    dir: String,
    args: Vec<String>,
    /// `< FILE`: standard input, relative to `dir`.
    stdin: Option<String>,
    expected: String,
    prefix_only: bool,
}

fn examples() -> Vec<Example> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let indent = lines[i].len() - lines[i].trim_start().len();
        if lines[i].trim_start() != "```text" {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim_start() != "```" {
            end += 1;
        }
        let body: Vec<String> = lines[start..end]
            .iter()
            .map(|l| l.get(indent..).unwrap_or("").to_string())
            .collect();
        i = end + 1;
        let Some(command) = body.first().and_then(|l| l.strip_prefix("$ ")) else {
            continue;
        };
        let (dir, command) = match command.strip_prefix("cd ") {
            Some(rest) => {
                let (d, c) = rest.split_once(" && ").expect("cd DIR && poolcheck …");
                (d.to_string(), c)
            }
            None => (".".to_string(), command),
        };
        let mut words = command.split_whitespace();
        assert_eq!(words.next(), Some("poolcheck"), "README line {}", start + 1);
        let mut args: Vec<String> = words.map(String::from).collect();
        let stdin = args.iter().position(|a| a == "<").map(|i| {
            let file = args.get(i + 1).cloned().expect("`<` names a file");
            args.drain(i..i + 2);
            file
        });
        if matches!(args.first().map(String::as_str), Some("probe" | "saturate")) {
            continue;
        }
        let mut rest = body[1..].to_vec();
        let prefix_only = rest.last().is_some_and(|l| l == "…");
        if prefix_only {
            rest.pop();
        }
        let mut expected = rest.join("\n");
        expected.push('\n');
        out.push(Example {
            line: start + 1,
            dir,
            args,
            stdin,
            expected,
            prefix_only,
        });
    }
    out
}

#[test]
fn every_readme_example_prints_what_the_readme_shows() {
    let all = examples();
    assert!(all.len() >= 5, "only {} examples found", all.len());
    let mut stale = Vec::new();
    for ex in &all {
        let args: Vec<&str> = ex.args.iter().map(String::as_str).collect();
        let dir = root().join(&ex.dir);
        let run = match &ex.stdin {
            None => poolcheck_in(&dir, &args),
            Some(file) => {
                let input = std::fs::File::open(dir.join(file)).expect("stdin file");
                poolcheck_with_stdin(&dir, &args, input)
            }
        };
        let got = if run.stdout.is_empty() {
            &run.stderr
        } else {
            &run.stdout
        };
        let ok = if ex.prefix_only {
            got.starts_with(&ex.expected)
        } else {
            *got == ex.expected
        };
        if !ok {
            stale.push(format!(
                "README.md:{} `poolcheck {}` prints:\n{got}",
                ex.line,
                ex.args.join(" ")
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale README examples:\n\n{}",
        stale.join("\n\n")
    );
}
