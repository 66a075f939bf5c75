//! Reading one input file safely, whoever wrote the tree: only regular files, never a FIFO,
//! socket, device or directory (checked before opening, and again on the opened handle), at
//! most a size cap, and links followed only while they stay inside the linted tree.
//!
//! Discovery calls [`check`] for every path it is given or finds behind a link; the model and
//! the poolcheck.toml loader read through [`read`], which checks again before opening. A
//! [`Problem`] becomes a PC005 finding located at the path ([`finding`]), or a tool error for
//! poolcheck.toml itself.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::source::{display_path, SourceFile, SourceSet, Span};
use std::fs::{File, FileType};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The code of the findings this module raises.
pub const CODE: Code = Code::PC005;

/// Largest input read by default (16 MiB); `max_file_size` in poolcheck.toml or
/// `--max-file-size` changes it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Why a path was not read. Paths inside are as the link spells them (never file contents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing at the path.
    Missing,
    /// A link whose target does not exist.
    Dangling { target: String },
    /// A chain of links that leads back to itself.
    LinkCycle { target: String },
    /// A link to a directory that is already being linted: following it would loop.
    DirLoop { target: String },
    /// A FIFO, socket, device or directory where a file is expected.
    NotRegular {
        what: &'static str,
        /// The link's target when the path is a link.
        target: Option<String>,
    },
    /// The path (or the link's target) resolves outside the linted tree `root`.
    Outside {
        target: Option<String>,
        root: PathBuf,
    },
    /// Larger than the cap; `size` when the file system says how large.
    TooLarge { size: Option<u64> },
    /// Any other I/O error (permissions…), as the OS words it.
    Io(String),
}

impl Problem {
    /// What is wrong, as a sentence about "this file" or "this link" (the finding is located at
    /// the path, so the path is not repeated).
    pub fn message(&self) -> String {
        match self {
            Problem::Missing => "this file does not exist".into(),
            Problem::Dangling { target } => {
                format!("this link points to `{target}`, which does not exist")
            }
            Problem::LinkCycle { target } => {
                format!("this link points to `{target}`, a loop of links that ends nowhere")
            }
            Problem::DirLoop { target } => format!(
                "this link leads back to `{target}`, a directory already linted (a loop); \
                 it was not followed"
            ),
            Problem::NotRegular { what, target: None } => {
                format!("this is {what}, not a regular file; it was not read")
            }
            Problem::NotRegular {
                what,
                target: Some(t),
            } => format!("this link points to `{t}`, {what}, not a regular file; it was not read"),
            Problem::Outside {
                target: Some(t), ..
            } => {
                format!("this link points to `{t}`, outside the linted tree; it was not read")
            }
            Problem::Outside { target: None, .. } => {
                "this file is outside the linted tree; it was not read".into()
            }
            Problem::TooLarge { size: Some(n) } => {
                format!("this file is {n} bytes, over the size limit; it was not read")
            }
            Problem::TooLarge { size: None } => {
                "this file is larger than the size limit; it was not read".into()
            }
            Problem::Io(e) => format!("this file cannot be read: {e}"),
        }
    }

    /// What to do, given the size cap in force.
    pub fn help(&self, cap: u64) -> String {
        let cap = size_words(cap);
        match self {
            Problem::Missing | Problem::Dangling { .. } | Problem::LinkCycle { .. } => {
                "point the link at an existing file, or delete it; the other files were checked"
                    .into()
            }
            Problem::DirLoop { .. } => {
                "delete the link: the directory it points to is checked once already".into()
            }
            Problem::NotRegular { .. } => format!(
                "poolcheck reads only regular files of at most {cap}; put a file here or \
                 remove this entry"
            ),
            Problem::Outside { root, .. } => format!(
                "poolcheck reads only files inside the linted tree (`{}`); copy the file \
                 into it, or name the file itself",
                tree_words(root)
            ),
            Problem::TooLarge { .. } => format!(
                "the limit is {cap}: shrink the file, or raise max_file_size in poolcheck.toml \
                 or --max-file-size BYTES"
            ),
            Problem::Io(_) => "check the file's permissions".into(),
        }
    }

    /// The short label at the path.
    pub fn label(&self) -> &'static str {
        match self {
            Problem::Missing | Problem::Dangling { .. } | Problem::LinkCycle { .. } => {
                "dangling link"
            }
            Problem::DirLoop { .. } => "directory loop",
            Problem::NotRegular { .. } => "not a regular file",
            Problem::Outside { .. } => "leaves the linted tree",
            Problem::TooLarge { .. } => "too large",
            Problem::Io(_) => "unreadable",
        }
    }
}

/// A tree's directory as users see it: relative to the working directory, `.` for itself.
/// (Never the absolute path: it may be the working directory, which the output scrubber can
/// hold as a secret through `PWD`.)
fn tree_words(root: &Path) -> String {
    let shown = display_path(root);
    crate::core::secrets::escape_controls(if shown.is_empty() { "." } else { &shown })
}

/// `16 MiB`, `64 KiB` or `1000 bytes`.
pub fn size_words(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// The PC005 finding for `problem` at `path`. The path joins `sources` with empty text (its
/// contents were not read), so the finding has a location: line 1 of the file or link.
pub fn finding(path: &Path, problem: &Problem, sources: &mut SourceSet, cap: u64) -> Finding {
    let id = sources.add(SourceFile::new(path, display_path(path), ""));
    Finding::new(CODE, problem.message(), problem.help(cap)).at(
        id,
        Span::new(0, 0),
        problem.label(),
    )
}

/// A path after [`check`]: its canonical form and whether it is a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub canonical: PathBuf,
    pub dir: bool,
}

/// Whether `path` may be read: it (or what its links lead to) is a regular file, or a
/// directory when `allow_dir`, and its canonical path is inside `root` when given. Nothing is
/// opened.
pub fn check(path: &Path, root: Option<&Path>, allow_dir: bool) -> Result<Resolved, Problem> {
    let lmeta = std::fs::symlink_metadata(path).map_err(io_problem)?;
    let link = lmeta.file_type().is_symlink();
    let target = link.then(|| link_target(path));
    let canonical = match std::fs::canonicalize(path) {
        Ok(c) => c,
        Err(e) => {
            return Err(match target {
                Some(target) if is_loop(&e) => Problem::LinkCycle { target },
                Some(target) if e.kind() == std::io::ErrorKind::NotFound => {
                    Problem::Dangling { target }
                }
                _ => io_problem(e),
            })
        }
    };
    let ft = if link {
        std::fs::metadata(path).map_err(io_problem)?.file_type()
    } else {
        lmeta.file_type()
    };
    if !(ft.is_file() || (allow_dir && ft.is_dir())) {
        return Err(Problem::NotRegular {
            what: describe(ft),
            target,
        });
    }
    if let Some(root) = root {
        if !canonical.starts_with(root) {
            return Err(Problem::Outside {
                target,
                root: root.to_path_buf(),
            });
        }
    }
    Ok(Resolved {
        canonical,
        dir: ft.is_dir(),
    })
}

/// Reads the regular file at `path` (see [`check`]) as text, at most `cap` bytes: the file is
/// opened without blocking and its handle checked again, so a file swapped for a FIFO after
/// the check cannot hang the run, and an endless file cannot make it allocate more than `cap`.
/// Invalid UTF-8 is replaced, never an error.
pub fn read(path: &Path, root: Option<&Path>, cap: u64) -> Result<String, Problem> {
    check(path, root, false)?;
    let file = open_nonblocking(path).map_err(io_problem)?;
    let meta = file.metadata().map_err(io_problem)?;
    if !meta.file_type().is_file() {
        return Err(Problem::NotRegular {
            what: describe(meta.file_type()),
            target: None,
        });
    }
    if meta.len() > cap {
        return Err(Problem::TooLarge {
            size: Some(meta.len()),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_problem)?;
    if bytes.len() as u64 > cap {
        return Err(Problem::TooLarge { size: None });
    }
    Ok(match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// The tree a path named on the command line belongs to: the working directory when the path
/// is inside it, else the path's own directory. Canonical; None when it cannot be resolved.
pub fn named_root(path: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let abs = normalize(&cwd.join(path));
    let base = if abs.starts_with(&cwd) {
        cwd
    } else {
        abs.parent()?.to_path_buf()
    };
    std::fs::canonicalize(base).ok()
}

/// The canonical form of a directory that serves as a root (`""` is the working directory).
pub fn root_of(dir: &Path) -> Option<PathBuf> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).ok()
}

/// `.` and `..` removed lexically (no file system access).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn link_target(path: &Path) -> String {
    let t = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_default();
    crate::core::secrets::escape_controls(&t)
}

/// An I/O error as a [`Problem`]: not found is [`Problem::Missing`], the rest in the OS's words.
pub fn io_problem(e: std::io::Error) -> Problem {
    if e.kind() == std::io::ErrorKind::NotFound {
        return Problem::Missing;
    }
    // The OS's words without the "(os error N)" suffix.
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    Problem::Io(text.to_lowercase())
}

/// ELOOP: too many levels of symbolic links.
fn is_loop(e: &std::io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ELOOP: i32 = 40;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const ELOOP: i32 = 62; // macOS and the BSDs
    e.raw_os_error() == Some(ELOOP)
}

#[cfg(unix)]
fn describe(ft: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn describe(ft: FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const O_NONBLOCK: i32 = 0o4000;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const O_NONBLOCK: i32 = 0x0004; // macOS and the BSDs
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_and_replaces_invalid_utf8() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.env");
        std::fs::write(&p, b"A=1\n\xff\n").unwrap();
        assert_eq!(read(&p, None, 100).unwrap(), "A=1\n\u{fffd}\n");
    }

    #[test]
    fn a_file_over_the_cap_is_too_large_and_at_the_cap_is_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.env");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read(&p, None, 10).unwrap(), "0123456789");
        assert_eq!(read(&p, None, 9), Err(Problem::TooLarge { size: Some(10) }));
    }

    #[test]
    fn dev_zero_is_a_character_device_and_never_read() {
        assert_eq!(
            read(Path::new("/dev/zero"), None, 10),
            Err(Problem::NotRegular {
                what: "a character device",
                target: None
            })
        );
    }

    #[test]
    fn links_are_judged_by_their_target() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        std::fs::write(root.join("a.env"), "A=1\n").unwrap();
        std::os::unix::fs::symlink("a.env", root.join("in.env")).unwrap();
        std::os::unix::fs::symlink("nope.env", root.join("dangling.env")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.env")).unwrap();
        std::os::unix::fs::symlink("self.env", root.join("self.env")).unwrap();
        assert!(check(&root.join("in.env"), Some(&root), false).is_ok());
        assert_eq!(
            check(&root.join("dangling.env"), Some(&root), false),
            Err(Problem::Dangling {
                target: "nope.env".into()
            })
        );
        assert_eq!(
            check(&root.join("zero.env"), Some(&root), false),
            Err(Problem::NotRegular {
                what: "a character device",
                target: Some("/dev/zero".into())
            })
        );
        assert_eq!(
            check(&root.join("self.env"), Some(&root), false),
            Err(Problem::LinkCycle {
                target: "self.env".into()
            })
        );
        let sub = root.join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(
            check(&root.join("in.env"), Some(&sub), false),
            Err(Problem::Outside {
                target: Some("a.env".into()),
                root: sub.clone()
            })
        );
        assert_eq!(
            check(&root.join("a.env"), Some(&sub), false),
            Err(Problem::Outside {
                target: None,
                root: sub
            })
        );
    }

    #[test]
    fn a_fifo_is_refused_before_opening() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pipe.env");
        let st = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(
            read(&p, None, 10),
            Err(Problem::NotRegular {
                what: "a FIFO (named pipe)",
                target: None
            })
        );
        // The handle check: opening without blocking succeeds and the handle is not a file.
        let f = open_nonblocking(&p).unwrap();
        assert!(!f.metadata().unwrap().is_file());
    }

    #[test]
    fn sizes_are_worded_in_the_largest_exact_unit() {
        assert_eq!(size_words(DEFAULT_MAX_FILE_SIZE), "16 MiB");
        assert_eq!(size_words(64 * 1024), "64 KiB");
        assert_eq!(size_words(1000), "1000 bytes");
    }

    #[test]
    fn named_root_is_the_working_directory_for_relative_paths() {
        let cwd = std::fs::canonicalize(std::env::current_dir().unwrap()).unwrap();
        assert_eq!(named_root(Path::new("x/y.env")), Some(cwd));
        assert_eq!(
            named_root(Path::new("/dev/zero")),
            Some(PathBuf::from("/dev"))
        );
    }
}
