//! `poolcheck app`: what poolcheck knows of a well-known application (rules/apps), offline,
//! with the source of every fact, so a verdict built on a preset can be checked by hand.

use crate::core::error::{exit, ToolError};
use crate::input::presets::{self, Preset};

pub fn run(args: &crate::cli::AppArgs) -> Result<u8, ToolError> {
    let width = crate::core::term::style().width;
    let json = matches!(args.format, crate::cli::Format::Json);
    match &args.name {
        Some(name) => {
            let p = find(name)?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&to_json(p)).unwrap_or_default()
                );
            } else {
                out!(render(p, width));
            }
        }
        None => {
            if json {
                let all: Vec<_> = presets::builtin().iter().map(to_json).collect();
                outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                out!(render_list(width));
            }
        }
    }
    Ok(exit::CLEAN)
}

/// A preset by id or by its name in any case (`mattermost`, `Mattermost`).
fn find(name: &str) -> Result<&'static Preset, ToolError> {
    let all = presets::builtin();
    if let Some(p) = all
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(name) || p.name.eq_ignore_ascii_case(name))
    {
        return Ok(p);
    }
    let ids: Vec<String> = all.iter().map(|p| p.id.clone()).collect();
    let near = crate::core::text::close_matches(&name.to_ascii_lowercase(), &ids, 1);
    let help = match near.first() {
        Some(n) => format!("did you mean {n}? `poolcheck app` lists every application"),
        None => "run `poolcheck app` to list every application poolcheck knows; declare \
                 another one's pool in poolcheck.toml ([services.NAME] pool_max)"
            .to_string(),
    };
    Err(ToolError::new(format!("poolcheck knows no application `{name}`")).with_help(help))
}

pub fn render_list(width: usize) -> String {
    let all = presets::builtin();
    let w = all.iter().map(|p| p.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for p in all {
        let rest = format!("{} ({})", p.name, p.engines.join(", "));
        out.push_str(&format!("{:w$}  ", p.id, w = w));
        out.push_str(&crate::core::term::wrap_from(
            &rest,
            width,
            &" ".repeat(w + 2),
            w + 2,
        ));
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{} applications; `poolcheck app ID` shows what poolcheck knows of one\n",
        all.len()
    ));
    out
}

pub fn render(p: &Preset, width: usize) -> String {
    use crate::core::term::wrap;
    let item = |text: &str| format!("  {}\n", wrap(text, width.saturating_sub(2), "    "));
    let cite = |links: Option<&Vec<String>>| -> String {
        links
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.iter()
                    .map(|u| format!("    source: {u}\n"))
                    .collect::<String>()
            })
            .unwrap_or_else(|| "    source: not cited\n".to_string())
    };
    let mut out = format!("{} ({})\n", p.name, p.id);
    out.push_str(&item(&format!("docs: {}", p.docs)));
    out.push_str(&item(&format!("engines: {}", p.engines.join(", "))));
    if let Some(l) = &p.language {
        out.push_str(&item(&format!("language: {l}")));
    }
    if let Some(c) = &p.client {
        out.push_str(&item(&format!("client library: {c}")));
    }
    out.push_str("\nDetected by\n");
    let d = &p.detect;
    for (what, list) in [
        ("image", &d.images),
        ("chart", &d.charts),
        ("env prefix", &d.env_prefixes),
        ("file", &d.files),
    ] {
        if !list.is_empty() {
            out.push_str(&item(&format!("{what}: {}", list.join(", "))));
        }
    }
    out.push_str("\nKeys\n");
    for (i, k) in p.keys.iter().enumerate() {
        let names: Vec<String> = [&k.env, &k.path, &k.url]
            .into_iter()
            .flatten()
            .map(|n| format!("`{n}`"))
            .collect();
        out.push_str(&item(&format!(
            "{}: {} ({}){}",
            names.join(" or "),
            k.concept.describe(),
            k.unit.name(),
            only(k.component.as_deref())
        )));
        out.push_str(&cite(p.sources.keys.get(i)));
    }
    if !p.defaults.is_empty() {
        out.push_str("\nDefaults (when no file sets the key)\n");
        for (i, d) in p.defaults.iter().enumerate() {
            out.push_str(&item(&format!(
                "{} = {}: {}{}",
                d.concept.describe(),
                d.value,
                d.note,
                only(d.component.as_deref())
            )));
            out.push_str(&cite(p.sources.defaults.get(i)));
        }
    }
    if !p.components.is_empty() {
        out.push_str("\nComponents (each a service of the fleet)\n");
        for (i, c) in p.components.iter().enumerate() {
            let mut parts = vec![match c.processes {
                Some(n) => format!("{n} {} per pod", plural(n, "process", "processes")),
                None => "processes per pod from the files".to_string(),
            }];
            if let Some(n) = c.pools_per_process {
                parts.push(format!("{n} {} per process", plural(n, "pool", "pools")));
            }
            if let Some(k) = &c.replicas_key {
                parts.push(format!("replicas `{k}`"));
            }
            if let Some(k) = &c.autoscaling_max_key {
                parts.push(format!("autoscaling maximum `{k}`"));
            }
            if let Some(k) = &c.enabled_key {
                parts.push(format!("switched off by `{k}: false`"));
            }
            if let Some(k) = &c.statefulset_key {
                let default = if c.statefulset_default {
                    " (its default)"
                } else {
                    ""
                };
                parts.push(format!(
                    "a StatefulSet, without surge, while `{k}` is true{default}"
                ));
            }
            if let Some(k) = &c.surge_key {
                parts.push(format!("maxSurge `{k}`"));
            }
            out.push_str(&item(&format!("{}: {}", c.name, parts.join(", "))));
            // A component states facts (processes, keys) only with a source; one that only
            // names itself has none to cite.
            if p.sources.components.get(i).is_some_and(|l| !l.is_empty()) {
                out.push_str(&cite(p.sources.components.get(i)));
            }
        }
    }
    out
}

/// " (sidekiq only)" for a key or default of one component.
fn only(component: Option<&str>) -> String {
    component.map_or_else(String::new, |c| format!(" ({c} only)"))
}

fn plural<'a>(n: u32, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn to_json(p: &Preset) -> serde_json::Value {
    use serde_json::json;
    let links = |l: Option<&Vec<String>>| l.cloned().unwrap_or_default();
    json!({
        "id": p.id,
        "name": p.name,
        "docs": p.docs,
        "engines": p.engines,
        "language": p.language,
        "client": p.client,
        "detect": {
            "images": p.detect.images,
            "charts": p.detect.charts,
            "env_prefixes": p.detect.env_prefixes,
            "files": p.detect.files,
        },
        "keys": p.keys.iter().enumerate().map(|(i, k)| json!({
            "env": k.env,
            "path": k.path,
            "url": k.url,
            "concept": k.concept,
            "unit": k.unit.name(),
            "component": k.component,
            "sources": links(p.sources.keys.get(i)),
        })).collect::<Vec<_>>(),
        "defaults": p.defaults.iter().enumerate().map(|(i, d)| json!({
            "concept": d.concept,
            "value": d.value,
            "note": d.note,
            "component": d.component,
            "sources": links(p.sources.defaults.get(i)),
        })).collect::<Vec<_>>(),
        "components": p.components.iter().enumerate().map(|(i, c)| json!({
            "name": c.name,
            "processes": c.processes,
            "pools_per_process": c.pools_per_process,
            "replicas_key": c.replicas_key,
            "autoscaling_max_key": c.autoscaling_max_key,
            "enabled_key": c.enabled_key,
            "statefulset_key": c.statefulset_key,
            "statefulset_default": c.statefulset_default,
            "surge_key": c.surge_key,
            "sources": links(p.sources.components.get(i)),
        })).collect::<Vec<_>>(),
    })
}
