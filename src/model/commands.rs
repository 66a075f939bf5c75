//! Processes per pod that a container's command states: Celery's `--concurrency` (prefork
//! children, default the host's CPUs), Gunicorn's and Uvicorn's `--workers`. A command-line
//! option beats the environment the server would otherwise read (WEB_CONCURRENCY).

use super::{limits, Origin, Sourced};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceSet, Span};

/// One argument of a command after interpolation, and where it is written.
pub type Arg = (String, FileId, Span);

/// The processes a command runs per container.
#[derive(Debug, Clone)]
pub struct CommandProcesses {
    pub processes: Sourced<u32>,
    /// The option as the command writes it (`--concurrency`), for the report.
    pub flag: String,
    /// Whether the processes also hold the service's Redis client: a Gunicorn worker is a
    /// whole app process; Celery's prefork children run tasks, while the broker connection
    /// pool is the main process's
    /// (https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-pool-limit).
    pub share_redis: bool,
}

/// The server a command runs and its process count, or None when it names none poolcheck
/// knows. `cpus` is what a count taken from the host's CPUs is counted as (assume_host_cpus).
pub fn processes(
    args: &[Arg],
    cpus: u32,
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<CommandProcesses> {
    // `sh -c "celery -A app worker"`: the shell's script is words too, without its quotes.
    let words: Vec<Arg> = args
        .iter()
        .flat_map(|(a, f, s)| shell_words(a).into_iter().map(|w| (w, *f, *s)))
        .collect();
    let program = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let at = words.iter().position(|(w, _, _)| {
        let p = program(w);
        p == "celery" || p == "gunicorn" || p == "uvicorn"
    })?;
    let rest = &words[at + 1..];
    match program(&words[at].0).as_str() {
        "celery" => celery(rest, &words[at], cpus, sources, findings),
        // https://docs.gunicorn.org/en/stable/settings.html#workers (-w INT, --workers INT)
        "gunicorn" => option(rest, &["--workers"], &["-w"], sources, findings).map(|(p, flag)| {
            CommandProcesses {
                processes: p,
                flag,
                share_redis: true,
            }
        }),
        // https://www.uvicorn.org/settings/#production (--workers <int>)
        _ => {
            option(rest, &["--workers"], &[], sources, findings).map(|(p, flag)| CommandProcesses {
                processes: p,
                flag,
                share_redis: true,
            })
        }
    }
}

/// `celery … worker [--concurrency N | -c N]`: the prefork pool's child processes, each with
/// its own database connections; without the option, as many as the host has CPUs
/// (https://docs.celeryq.dev/en/stable/userguide/workers.html#concurrency). Another pool
/// (`--pool threads`, gevent, eventlet) runs in one process: not a process count.
fn celery(
    rest: &[Arg],
    program: &Arg,
    cpus: u32,
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<CommandProcesses> {
    if !rest.iter().any(|(w, _, _)| w == "worker") {
        return None;
    }
    let pool = value_of(rest, &["--pool"], &["-P"]).map(|(v, _, _, _)| v);
    match pool.as_deref() {
        None | Some("prefork") => {}
        Some("solo") => {
            let (_, f, s) = program;
            return Some(CommandProcesses {
                processes: Sourced::new(1, Origin::file(*f, *s)),
                flag: "--pool solo".into(),
                share_redis: false,
            });
        }
        Some(_) => return None,
    }
    let (long, short) = (&["--concurrency"], &["-c"]);
    let (processes, flag) = match value_of(rest, long, short) {
        // A count that is not one is a PC002, and no process count.
        Some(_) => option(rest, long, short, sources, findings)?,
        None => (
            Sourced::new(
                cpus,
                Origin::Default {
                    note: format!(
                        "Celery's default --concurrency is the host's CPU count: counted as \
                         {cpus} (assume_host_cpus)"
                    ),
                },
            ),
            "--concurrency".into(),
        ),
    };
    Some(CommandProcesses {
        processes,
        flag,
        share_redis: false,
    })
}

/// A count option (`--workers 4`, `--workers=4`, `-w 4`, `-w4`): its value within the model's
/// bounds, or a PC002 finding at it.
fn option(
    rest: &[Arg],
    long: &[&str],
    short: &[&str],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<(Sourced<u32>, String)> {
    let (text, flag, f, s) = value_of(rest, long, short)?;
    let span = narrow(sources, f, s, &text);
    let checked = text
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("`{text}` is not a whole number of processes"))
        .and_then(|n| match n {
            0 => Err("0 processes would run nothing".to_string()),
            n => limits::processes(n),
        });
    match checked {
        Ok(n) => Some((Sourced::new(n, Origin::file(f, span)), flag)),
        Err(m) => {
            let message = format!("{flag}: {m}");
            findings.push(
                Finding::new(
                    Code::PC002,
                    message.clone(),
                    "write a whole number of processes",
                )
                .at(f, span, message),
            );
            None
        }
    }
}

/// The last value given to one of the options, with the option as written and where the
/// value is.
fn value_of(rest: &[Arg], long: &[&str], short: &[&str]) -> Option<(String, String, FileId, Span)> {
    let mut found = None;
    for (k, (w, f, s)) in rest.iter().enumerate() {
        let next = || rest.get(k + 1).map(|(v, f, s)| (v.clone(), *f, *s));
        for l in long {
            if w == l {
                if let Some((v, f, s)) = next() {
                    found = Some((v, l.to_string(), f, s));
                }
            } else if let Some(v) = w.strip_prefix(&format!("{l}=")) {
                found = Some((v.to_string(), l.to_string(), *f, *s));
            }
        }
        for o in short {
            if w == o {
                if let Some((v, f, s)) = next() {
                    found = Some((v, o.to_string(), f, s));
                }
            } else if let Some(v) = w
                .strip_prefix(o)
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            {
                found = Some((v.to_string(), o.to_string(), *f, *s));
            }
        }
    }
    found
}

/// The value's own place when the span (a whole string command) holds it once.
fn narrow(sources: &SourceSet, file: FileId, span: Span, value: &str) -> Span {
    let text = &sources.get(file).text;
    let Some(src) = text.get(span.start..span.end) else {
        return span;
    };
    match (src.find(value), src.rfind(value)) {
        (Some(i), Some(j)) if i == j && !value.is_empty() => {
            Span::new(span.start + i, span.start + i + value.len())
        }
        _ => span,
    }
}

/// A command string's words as a shell splits them: whitespace
/// separates, '…' keeps its text as written, "…" and a backslash escape, and the quotes go
/// (`postgres -c 'max_connections=100'` is three words, the last without its quotes).
/// https://docs.docker.com/reference/compose-file/services/#command
pub fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match ch {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|c| *c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::source::SourceFile;

    /// Processes, flag, whether they share the Redis pool, whether read from the file.
    type Got = Option<(u32, String, bool, bool)>;

    fn run(cmd: &str) -> (Got, Vec<Finding>) {
        let mut sources = SourceSet::default();
        let id = sources.add(SourceFile::new(
            std::path::Path::new("compose.yaml"),
            "compose.yaml",
            cmd.to_string(),
        ));
        let args: Vec<Arg> = cmd
            .split_whitespace()
            .map(|a| (a.to_string(), id, Span::new(0, cmd.len())))
            .collect();
        let mut findings = Vec::new();
        let got = processes(&args, 4, &sources, &mut findings).map(|c| {
            let from_file = matches!(c.processes.origin, Origin::File { .. });
            (c.processes.value, c.flag, c.share_redis, from_file)
        });
        (got, findings)
    }

    #[test]
    fn celery_concurrency_in_every_spelling() {
        for (cmd, flag) in [
            (
                "celery -A app worker --concurrency=8 --loglevel=info",
                "--concurrency",
            ),
            ("celery -A app worker --concurrency 8", "--concurrency"),
            ("celery --app=app worker -c 8", "-c"),
            ("/usr/local/bin/celery -A app worker -c8", "-c"),
            ("sh -c \"celery -A app worker -c 8\"", "-c"),
        ] {
            let (got, findings) = run(cmd);
            assert_eq!(got, Some((8, flag.to_string(), false, true)), "{cmd}");
            assert!(findings.is_empty(), "{cmd}");
        }
        // The `-c` of `sh -c` is the shell's, not Celery's.
        let (got, _) = run("sh -c celery -A app worker");
        assert_eq!(got.map(|g| (g.0, g.3)), Some((4, false)));
    }

    #[test]
    fn celery_without_concurrency_is_the_assumed_cpu_count() {
        let (got, _) = run("celery -A app worker --loglevel=info");
        assert_eq!(got, Some((4, "--concurrency".into(), false, false)));
        // Beat and flower hold no prefork pool; the thread and green pools are one process.
        assert!(run("celery -A app beat").0.is_none());
        assert!(run("celery -A app worker --pool=gevent -c 100").0.is_none());
        assert_eq!(run("celery -A app worker -P solo").0.map(|g| g.0), Some(1));
    }

    #[test]
    fn gunicorn_and_uvicorn_workers() {
        let (got, _) = run("gunicorn app.wsgi --workers 3 --threads 2");
        assert_eq!(got, Some((3, "--workers".into(), true, true)));
        assert_eq!(run("gunicorn -w5 app.wsgi").0.map(|g| g.0), Some(5));
        assert_eq!(run("uvicorn main:app --workers=6").0.map(|g| g.0), Some(6));
        // Without the option the config file or WEB_CONCURRENCY decides.
        assert!(run("gunicorn app.wsgi -c gunicorn.conf.py").0.is_none());
        assert!(run("node server.js --workers 3").0.is_none());
    }

    #[test]
    fn a_bad_count_is_a_located_pc002() {
        let (got, findings) = run("celery -A app worker --concurrency=lots");
        assert!(got.is_none());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, Code::PC002);
        assert!(findings[0].message.contains("`lots` is not a whole number"));
        let (got, findings) = run("gunicorn -w 0 app");
        assert!(got.is_none());
        assert!(findings[0].message.contains("0 processes"));
    }

    #[test]
    fn a_string_command_loses_its_shell_quotes() {
        assert_eq!(
            shell_words("postgres -c 'max_connections=100'\n  -c \"shared_buffers=128MB\"\n"),
            [
                "postgres",
                "-c",
                "max_connections=100",
                "-c",
                "shared_buffers=128MB"
            ]
        );
        assert_eq!(
            shell_words(r#"sh -c "celery -A app worker -c 4" x\ y '' a"b"c"#),
            ["sh", "-c", "celery -A app worker -c 4", "x y", "", "abc"]
        );
    }
}
