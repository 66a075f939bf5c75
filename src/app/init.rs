//! `poolcheck init`: a commented poolcheck.toml from what the repository holds. It writes
//! what it could tell (servers from the URLs, one service per app folder or chart) and asks,
//! as commented `# ?` lines, what it could not (limits, replicas, processes); it never
//! overwrites a file unless told to, so it is safe in a script.

use crate::cli::InitArgs;
use crate::core::error::{exit, ToolError, ToolResult};
use crate::input::survey::{survey, Survey};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub fn run(args: &InitArgs) -> ToolResult<u8> {
    let root = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        return Err(
            ToolError::new(format!("{}: not a directory", root.display()))
                .with_help("give the repository's folder: poolcheck init [DIR]"),
        );
    }
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| root.join(crate::input::config::FILE_NAME));
    if !to_stdout && std::fs::symlink_metadata(&target).is_ok() && !args.force {
        return Err(ToolError::new(format!(
            "{} already exists; init never overwrites it",
            target.display()
        ))
        .with_help("--force replaces it, --output - prints the new file instead"));
    }
    let found = survey(&root);
    let (text, summary) = render(&found, &root);
    if to_stdout {
        out!(text);
        return Ok(exit::CLEAN);
    }
    std::fs::write(&target, &text).map_err(|e| {
        ToolError::new(format!("{}: could not write: {e}", target.display()))
            .with_help("give a path you can write to with --output FILE, or - to print it")
    })?;
    outln!(format!("wrote {}: {summary}", target.display()));
    outln!("next: answer the `# ?` lines, then run `poolcheck verify`".to_string());
    Ok(exit::CLEAN)
}

/// A server's name in poolcheck.toml from its host: `db.internal:6432` → `db`.
fn server_names(found: &Survey) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for addr in found.servers.keys() {
        let host = addr.rsplit_once(':').map_or(addr.as_str(), |(h, _)| h);
        let label: String = host
            .split('.')
            .next()
            .unwrap_or("db")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let label = if label.is_empty() || label.chars().all(|c| c.is_ascii_digit() || c == '-') {
            "db".to_string()
        } else {
            label
        };
        let mut name = label.clone();
        let mut n = 2;
        while names.values().any(|v| v == &name) {
            name = format!("{label}-{n}");
            n += 1;
        }
        names.insert(addr.clone(), name);
    }
    names
}

fn quoted(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let s = if s.is_empty() { ".".to_string() } else { s };
    format!("{s:?}")
}

fn service_name(dir: &Path, root: &Path, taken: &mut Vec<String>) -> String {
    // The repository's own folder names its root app, as verify names it.
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let base = dir
        .file_name()
        .or_else(|| root.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".into());
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The file's text and a one-line summary of what it holds.
pub fn render(found: &Survey, root: &Path) -> (String, String) {
    let names = server_names(found);
    let mut t = String::new();
    let mut questions = 0;
    let _ = writeln!(
        t,
        "# poolcheck.toml, written by `poolcheck init` from what it found in this repository."
    );
    let _ = writeln!(
        t,
        "# Lines starting with `# ?` are questions it could not answer: fill them in."
    );
    let _ = writeln!(t, "# Every key is described in README.md (poolcheck.toml).");
    if found.truncated {
        let _ = writeln!(
            t,
            "# The repository is large: init stopped looking after 50,000 entries."
        );
    }
    let _ = writeln!(t, "\nfail_on = \"error\"");
    let limit = "max_connections: `SHOW max_connections` on the server, or verify --probe URL";
    if names.is_empty() {
        let _ = writeln!(t, "\n[servers.main]");
        let _ = writeln!(
            t,
            "# No database URL with a host was found in the env files."
        );
        ask(
            &mut t,
            &mut questions,
            "kind: postgres (default), mysql or mariadb",
            "kind = \"postgres\"",
        );
        ask(&mut t, &mut questions, limit, "max_connections = 100");
    }
    for (addr, name) in &names {
        let seen = &found.servers[addr];
        let _ = writeln!(t, "\n[servers.{name}]");
        let _ = writeln!(
            t,
            "# {addr}, named in {}",
            quoted(&seen.first).trim_matches('"')
        );
        let kind = serde_json::to_value(seen.engine)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "postgres".into());
        let _ = writeln!(t, "kind = \"{kind}\"");
        ask(&mut t, &mut questions, limit, "max_connections = 100");
    }
    let server_list: Vec<&String> = names.values().collect();
    let mut pooler_names: Vec<String> = Vec::new();
    for p in &found.poolers {
        let kind = format!("{:?}", p.kind).to_ascii_lowercase();
        let name = unique(&kind, &mut pooler_names);
        let _ = writeln!(t, "\n[poolers.{name}]");
        let _ = writeln!(t, "kind = \"{kind}\"");
        let files: Vec<String> = p.files.iter().map(|f| quoted(f)).collect();
        let _ = writeln!(t, "files = [{}]", files.join(", "));
        if names.len() > 1 {
            ask(
                &mut t,
                &mut questions,
                &format!("server: which of {} it pools", list(&server_list)),
                &format!("server = \"{}\"", server_list[0]),
            );
        }
        ask(
            &mut t,
            &mut questions,
            "replicas: instances, each with its own pools and client limit",
            "replicas = 2",
        );
    }
    let several = names.len() > 1;
    let mut taken = Vec::new();
    let mut services = Vec::new();
    for chart in &found.charts {
        let name = service_name(chart, root, &mut taken);
        let _ = writeln!(t, "\n[services.{name}]");
        let _ = writeln!(t, "chart = {}", quoted(chart));
        if several {
            ask(
                &mut t,
                &mut questions,
                &format!(
                    "server: which of {} this chart's pods use",
                    list(&server_list)
                ),
                &format!("server = \"{}\"", server_list[0]),
            );
        }
        ask(
            &mut t,
            &mut questions,
            "values files applied at deploy (helm -f), later wins",
            &format!(
                "values = [{}]",
                quoted(&chart.join("values-production.yaml"))
            ),
        );
        services.push(name);
    }
    let plan = plan_deploys(found, root);
    for (i, app) in found.apps.iter().enumerate() {
        let name = service_name(&app.dir, root, &mut taken);
        let _ = writeln!(t, "\n[services.{name}]");
        server_line(&mut t, &mut questions, &app.servers, &names, "it uses");
        let joined: Vec<&PathBuf> = plan
            .joins
            .iter()
            .filter(|(a, _)| *a == i)
            .map(|(_, f)| f)
            .collect();
        let mut files = vec![quoted(&app.dir)];
        files.extend(joined.iter().map(|f| quoted(f)));
        let _ = writeln!(t, "files = [{}]", files.join(", "));
        if !joined.is_empty() {
            let _ = writeln!(
                t,
                "# its pods, autoscaler and env are the Deployment's in {}",
                joined
                    .iter()
                    .map(|f| quoted(f).trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let shown: Vec<String> = app
            .configs
            .iter()
            .take(6)
            .map(|c| quoted(c).trim_matches('"').to_string())
            .collect();
        let more = app.configs.len().saturating_sub(shown.len());
        let _ = writeln!(
            t,
            "# reads {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        if joined.is_empty() {
            ask(
                &mut t,
                &mut questions,
                "replicas: pods at rest (your Deployment's replicas)",
                "replicas = 2",
            );
            ask(
                &mut t,
                &mut questions,
                "max_replicas: the autoscaler's maximum (HPA maxReplicas), if it scales",
                "max_replicas = 10",
            );
        }
        ask(
            &mut t,
            &mut questions,
            "processes per pod (Puma or Gunicorn workers, PM2 instances)",
            "processes = 1",
        );
        services.push(name);
    }
    for d in &plan.own {
        let what = if d.compose {
            "compose services"
        } else {
            "workloads"
        };
        let shown: Vec<String> = d
            .files
            .iter()
            .map(|f| quoted(f).trim_matches('"').to_string())
            .collect();
        match d.workloads.as_slice() {
            [] if d.unreadable => {
                let name = service_name(&d.dir, root, &mut taken);
                let _ = writeln!(t, "\n[services.{name}]");
                let _ = writeln!(
                    t,
                    "# init could not read these files: verify says where and why"
                );
                services.push(name);
            }
            [] => {
                let _ = writeln!(
                    t,
                    "\n# {}: no {what} there name a database; not a service",
                    shown.join(", ")
                );
                continue;
            }
            [one] => {
                let name = unique(one, &mut taken);
                let _ = writeln!(t, "\n[services.{name}]");
                services.push(name);
            }
            several => {
                let name = service_name(&d.dir, root, &mut taken);
                let _ = writeln!(t, "\n[services.{name}]");
                let _ = writeln!(
                    t,
                    "# {} are each a service of their own, named as in the files",
                    several.join(", ")
                );
                services.extend(several.iter().cloned());
            }
        }
        server_line(&mut t, &mut questions, &d.servers, &names, "they use");
        let files: Vec<String> = d.files.iter().map(|f| quoted(f)).collect();
        let _ = writeln!(t, "files = [{}]", files.join(", "));
        let _ = writeln!(t, "# replicas, autoscaling and env come from these {what}");
        for o in &d.overlays {
            let mut with = files.clone();
            with.push(quoted(o));
            ask(
                &mut t,
                &mut questions,
                &format!(
                    "{} is read by compose only with -f: list it if it deploys",
                    quoted(o).trim_matches('"')
                ),
                &format!("files = [{}]", with.join(", ")),
            );
        }
    }
    if services.is_empty() {
        let _ = writeln!(t, "\n# No application folder with config files was found.");
        ask(
            &mut t,
            &mut questions,
            "a service: the files that hold its pool settings",
            "[services.api] files = [\"api/.env.production\"]",
        );
    }
    let summary = format!(
        "{}, {}{}, {}",
        crate::core::text::count(names.len().max(1), "server"),
        crate::core::text::count(services.len(), "service"),
        if services.is_empty() {
            String::new()
        } else {
            format!(" ({})", services.join(", "))
        },
        crate::core::text::count(questions, "question"),
    );
    (t, summary)
}

/// A `# ?` question with an example answer, counted for the summary.
fn ask(t: &mut String, questions: &mut usize, q: &str, example: &str) {
    *questions += 1;
    let _ = writeln!(t, "# ? {q}");
    let _ = writeln!(t, "# {example}");
}

/// With several servers: `server = NAME` when the service's own URLs name exactly one of
/// them, else the question which one it uses.
fn server_line(
    t: &mut String,
    questions: &mut usize,
    addrs: &[String],
    names: &BTreeMap<String, String>,
    verb: &str,
) {
    if names.len() < 2 {
        return;
    }
    let used: Vec<&String> = addrs.iter().filter_map(|a| names.get(a)).collect();
    if let [one] = used.as_slice() {
        let _ = writeln!(t, "server = \"{one}\"");
        return;
    }
    let all: Vec<&String> = names.values().collect();
    ask(
        t,
        questions,
        &format!("server: which of {} {verb}", list(&all)),
        &format!("server = \"{}\"", all[0]),
    );
}

fn list(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unique(base: &str, taken: &mut Vec<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// Deployment files as poolcheck.toml services. A deploy folder inside an app's folder is
/// read with the app (verify reads the folder); a manifest whose one database workload is
/// named like an app folder is that app's Deployment (a monorepo's deploy/web.yaml for
/// apps/web); the rest are services of their own.
struct DeployPlan {
    /// (index into `Survey::apps`, manifest file) pairs.
    joins: Vec<(usize, PathBuf)>,
    own: Vec<OwnDeploy>,
}

struct OwnDeploy {
    dir: PathBuf,
    files: Vec<PathBuf>,
    compose: bool,
    overlays: Vec<PathBuf>,
    workloads: Vec<String>,
    /// A file that looked like a manifest and did not parse: verify must still see it.
    unreadable: bool,
    servers: Vec<String>,
}

fn plan_deploys(found: &Survey, root: &Path) -> DeployPlan {
    let dialects = crate::input::dialects::Dialects::builtin();
    let workloads = |files: &[PathBuf]| {
        let abs: Vec<PathBuf> = files.iter().map(|f| root.join(f)).collect();
        crate::model::from_manifests::db_workloads(&abs, dialects)
    };
    let app_name =
        |a: &crate::input::survey::App| a.dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut plan = DeployPlan {
        joins: Vec::new(),
        own: Vec::new(),
    };
    for d in &found.deploys {
        if found.apps.iter().any(|a| d.dir.starts_with(&a.dir)) {
            continue;
        }
        let mut rest = Vec::new();
        for f in &d.files {
            if !d.compose {
                let own = workloads(std::slice::from_ref(f));
                // A workload without a database (a cron job, a proxy) is no service: its file
                // is left out so that it does not become one.
                let workload_file = std::fs::read_to_string(root.join(f))
                    .is_ok_and(|t| crate::input::survey::looks_like_manifest(&t));
                if own.is_empty() && workload_file {
                    continue;
                }
                if let [one] = own.as_slice() {
                    let app = found
                        .apps
                        .iter()
                        .position(|a| app_name(a).as_deref() == Some(one.as_str()));
                    if let Some(i) = app {
                        plan.joins.push((i, f.clone()));
                        continue;
                    }
                }
            }
            rest.push(f.clone());
        }
        if rest.is_empty() {
            continue;
        }
        let abs: Vec<PathBuf> = rest.iter().map(|f| root.join(f)).collect();
        let (names, unreadable) = crate::model::from_manifests::deployed_by(&abs, dialects);
        plan.own.push(OwnDeploy {
            dir: d.dir.clone(),
            workloads: names,
            unreadable,
            servers: d.servers.clone(),
            files: rest,
            compose: d.compose,
            overlays: d.overlays.clone(),
        });
    }
    plan
}
