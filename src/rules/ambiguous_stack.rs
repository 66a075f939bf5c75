//! PC011: keys that several libraries read, in a service whose stack nothing else names
//! (no manifest, image, chart, URL shape or `stack = "…"`). poolcheck does not guess the
//! library from such a key: it says which libraries read it and how to declare the stack.
//! Once per service, information: nothing read is wrong, only the library is open.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Service;

/// The service's library is open because of ambiguous keys.
pub fn applies(svc: &Service) -> bool {
    !svc.pool.ambiguous.is_empty() && svc.pool.library.is_none()
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in ctx.fleet.services.iter().filter(|s| applies(s)) {
        let amb = &svc.pool.ambiguous;
        let mut keys: Vec<&str> = Vec::new();
        let mut libraries: Vec<&str> = Vec::new();
        let mut ids: Vec<&str> = Vec::new();
        for a in amb {
            if !keys.contains(&a.key.as_str()) {
                keys.push(&a.key);
            }
            for (id, lib) in a.ids.iter().zip(&a.libraries) {
                if !ids.contains(&id.as_str()) {
                    ids.push(id);
                    libraries.push(lib);
                }
            }
        }
        let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        let stacks: Vec<String> = ids.iter().map(|id| format!("stack = \"{id}\"")).collect();
        let mut f = Finding::new(
            Code::PC011,
            format!(
                "service `{}`: {} {} read by {}, and nothing names the stack; poolcheck \
                 does not guess the library or its defaults",
                svc.name,
                quoted.join(", "),
                if keys.len() == 1 { "is" } else { "are" },
                or_list(&libraries, "and"),
            ),
            format!(
                "declare the stack under [services.{}] in poolcheck.toml: {}",
                svc.name,
                or_list(&stacks.iter().map(String::as_str).collect::<Vec<_>>(), "or"),
            ),
        )
        .service(&svc.name);
        for a in amb {
            f = f.cite(
                &a.origin,
                format!(
                    "`{}`: read by {}",
                    a.key,
                    or_list(&refs(&a.libraries), "and")
                ),
            );
        }
        out.push(f);
    }
    out
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// "a", "a and b", "a, b and c".
fn or_list(items: &[&str], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}
