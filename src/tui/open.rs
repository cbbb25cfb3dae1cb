//! Opening an attachment or a link with the user's program (`config::OpenCommand`).
//!
//! An attachment is written to a private file: a fresh directory (0700) under the runtime
//! directory (else $TMPDIR), named `tern-open-<pid>-<random>`, holding one file (0600)
//! under the attachment's sanitized name, so the program shows that name. The program gets
//! the path as one argument, never through a shell, with stdin and stdout on /dev/null and
//! stderr captured (bounded): nothing it prints can draw over the TUI. It runs in its own
//! process group, detached from the TUI's terminal: programs that need the terminal (`less`,
//! `w3m`) are out of scope; use `|` for them.
//!
//! A thread waits for the program, then removes the file and its directory, but never
//! before `grace` has passed since the start: launchers such as `xdg-open` hand the file to
//! a viewer and exit at once. Files of programs still running when tern quits are left for
//! them; the next start removes the directories of tern processes that are gone
//! (`sweep_leftovers`).

use std::fs::{DirBuilder, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::OpenCommand;
use crate::domain::text::sanitize;

/// How long a file outlives a program that exits at once (a launcher).
pub const GRACE: Duration = Duration::from_secs(30);
/// Directory names start with this, then the pid and a random part.
const DIR_PREFIX: &str = "tern-open-";
/// Of what the program says on stderr, this much is kept for the status line.
const MAX_STDERR: usize = 4096;
const NAME_CAP: usize = 200;

/// How an opened program ended, reported by the waiting thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub program: String,
    /// Exit code; None when killed by a signal or when waiting failed.
    pub code: Option<i32>,
    /// The first line it wrote on stderr, sanitized.
    pub stderr: String,
}

impl Ended {
    /// A line for the status line when it failed; None when it exited 0.
    pub fn failure(&self) -> Option<String> {
        if self.code == Some(0) {
            return None;
        }
        let how = match self.code {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".into(),
        };
        let program = sanitize(&self.program);
        Some(if self.stderr.is_empty() {
            format!("{program}: {how}")
        } else {
            format!("{program}: {how}: {}", self.stderr)
        })
    }
}

/// Where private directories go: the per-user runtime directory when there is one (a
/// tmpfs only the user can enter), else the temp directory.
pub fn base_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Writes `bytes` to a private file named after `name` under `base`, starts `command` on
/// it and returns the file's path; `ended` is called once the program has exited, and the
/// file is removed right after (`grace` permitting).
pub fn open_file(
    command: &OpenCommand,
    name: &str,
    bytes: &[u8],
    base: &Path,
    grace: Duration,
    ended: impl FnOnce(Ended) + Send + 'static,
) -> Result<PathBuf, String> {
    let dir = private_dir(base).map_err(|e| format!("cannot make a private directory: {e}"))?;
    let file = dir.join(file_name(name));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written {
        remove(&file, &dir);
        return Err(format!("cannot write {}: {e}", file.display()));
    }
    let path = file.to_string_lossy().into_owned();
    let started = Instant::now();
    let cleanup = {
        let (file, dir) = (file.clone(), dir.clone());
        move || {
            if let Some(left) = grace.checked_sub(started.elapsed()) {
                std::thread::sleep(left);
            }
            remove(&file, &dir);
        }
    };
    match spawn(command, &path, cleanup, ended) {
        Ok(()) => Ok(file),
        Err(e) => {
            remove(&file, &dir);
            Err(e)
        }
    }
}

/// Starts `command` on `url` (already one of the link schemes, from sanitized text).
pub fn open_url(
    command: &OpenCommand,
    url: &str,
    ended: impl FnOnce(Ended) + Send + 'static,
) -> Result<(), String> {
    spawn(command, url, || {}, ended)
}

/// Runs the program on `target` and a thread that waits for it, reports through `ended`,
/// then runs `cleanup`.
fn spawn(
    command: &OpenCommand,
    target: &str,
    cleanup: impl FnOnce() + Send + 'static,
    ended: impl FnOnce(Ended) + Send + 'static,
) -> Result<(), String> {
    let argv = command.argv_for(target);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "no program to open with".to_string())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group: the terminal's signals and reads are not for it.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", sanitize(program)))?;
    let program = program.clone();
    let stderr = child.stderr.take();
    let waiter = std::thread::Builder::new()
        .name("tern-open".into())
        .spawn(move || {
            let said = stderr.map(first_line).unwrap_or_default();
            let code = child.wait().ok().and_then(|s| s.code());
            // Said at once; the file may still have to wait out the grace.
            ended(Ended {
                program,
                code,
                stderr: said,
            });
            cleanup();
        });
    waiter
        .map(|_| ())
        .map_err(|e| format!("cannot wait for it: {e}"))
}

/// Reads the stream to its end (so the program never blocks on it), keeping the first line
/// of the first `MAX_STDERR` bytes, sanitized.
fn first_line(mut stream: impl Read) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_STDERR.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    let text = String::from_utf8_lossy(&kept);
    sanitize(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim(),
    )
}

/// A new directory only the user can enter; a name that exists (even planted by someone
/// else) is never reused.
fn private_dir(base: &Path) -> std::io::Result<PathBuf> {
    let mut last = None;
    for _ in 0..16 {
        let dir = base.join(format!(
            "{DIR_PREFIX}{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free name")))
}

/// The attachment's name as a single path component: no separators, no leading dots, no
/// controls, bounded.
pub fn file_name(name: &str) -> String {
    let clean = sanitize(name).replace(['/', '\\', '\0'], "_");
    let clean = clean.trim_start_matches(['.', ' ', '-']).trim_end();
    let mut end = clean.len().min(NAME_CAP);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    match &clean[..end] {
        "" => "attachment".into(),
        short => short.to_string(),
    }
}

fn remove(file: &Path, dir: &Path) {
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_dir(dir);
}

/// Removes what earlier tern processes left under `base` (their programs were still
/// running when they quit). Only directories named by `open_file` whose tern process is
/// gone, known through /proc; where there is no /proc nothing is removed.
pub fn sweep_leftovers(base: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        let dir = entry.path();
        if let Ok(files) = std::fs::read_dir(&dir) {
            for file in files.flatten() {
                // Only plain files are ours; anything else stays, and so does the directory.
                if file.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(file.path());
                }
            }
        }
        let _ = std::fs::remove_dir(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::mpsc;

    /// A program that records its argv, the file's mode and content, and the directory's
    /// mode into `out`, then exits with `code`.
    fn recorder(dir: &Path, code: i32) -> PathBuf {
        let script = dir.join("record.sh");
        let out = dir.join("out");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; f=\"$a\"; done > '{out}.argv'\n\
                 stat -c %a \"$f\" > '{out}.mode'\nstat -c %a \"$(dirname \"$f\")\" > '{out}.dirmode'\n\
                 cat \"$f\" > '{out}.content'\necho 'it broke' >&2\nexit {code}\n",
                out = out.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    /// Polls (bounded) for `path` to disappear; the waiting thread removes it after
    /// reporting.
    fn gone(path: &Path) -> bool {
        (0..600).any(|_| {
            let absent = !path.exists();
            if !absent {
                std::thread::sleep(Duration::from_millis(50));
            }
            absent
        })
    }

    fn wait(rx: &mpsc::Receiver<Ended>) -> Ended {
        // Bounded so a broken test fails instead of hanging; not a speed check.
        rx.recv_timeout(Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn the_file_is_private_holds_the_bytes_and_is_gone_after_the_program_exits() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        std::fs::create_dir(&base).unwrap();
        let script = recorder(dir.path(), 3);
        let command =
            OpenCommand::parse(&format!("'{}' --title 'a b' %s", script.display())).unwrap();
        let (tx, rx) = mpsc::channel();
        let name = "../$(touch pwned) \x1b[31mreport.pdf";
        let bytes = b"%PDF-1.4 \x00\xff binary".to_vec();
        let path = open_file(&command, name, &bytes, &base, Duration::ZERO, move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
        let ended = wait(&rx);
        let out =
            |ext: &str| std::fs::read_to_string(dir.path().join(format!("out.{ext}"))).unwrap();
        let argv: Vec<String> = out("argv").lines().map(String::from).collect();
        assert_eq!(argv, ["--title", "a b", path.to_str().unwrap()]);
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            "_$(touch pwned) report.pdf",
            "one sanitized component"
        );
        assert!(path.starts_with(&base));
        assert_eq!(out("mode").trim(), "600");
        assert_eq!(out("dirmode").trim(), "700");
        assert_eq!(
            std::fs::read(dir.path().join("out.content")).unwrap(),
            bytes
        );
        assert!(gone(&path), "removed after exit");
        assert!(gone(path.parent().unwrap()), "its directory too");
        assert!(!dir.path().join("pwned").exists() && !base.join("pwned").exists());
        assert_eq!(ended.code, Some(3));
        assert_eq!(
            ended.failure().unwrap(),
            format!("{}: exit 3: it broke", script.display())
        );
    }

    #[test]
    fn a_missing_program_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let command = OpenCommand::parse("/nonexistent/viewer").unwrap();
        let err =
            open_file(&command, "a.txt", b"x", dir.path(), Duration::ZERO, |_| {}).unwrap_err();
        assert!(err.starts_with("cannot run /nonexistent/viewer"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(open_url(&command, "https://a.example", |_| {}).is_err());
    }

    #[test]
    fn a_url_is_one_argument() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("url.sh");
        let out = dir.path().join("url.out");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s|' \"$@\" > '{}'\n", out.display()),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let command = OpenCommand::parse(&script.to_string_lossy()).unwrap();
        let (tx, rx) = mpsc::channel();
        let url = "https://a.example/?q=$(id)&x=`id`;y";
        open_url(&command, url, move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
        assert_eq!(wait(&rx).failure(), None);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{url}|"));
    }

    #[test]
    fn names_are_one_safe_component() {
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_name(".bashrc"), "bashrc");
        assert_eq!(file_name("-rf"), "rf");
        assert_eq!(file_name("\x1b]0;x\x07"), "attachment");
        assert_eq!(file_name(&"é".repeat(300)).len(), NAME_CAP);
    }

    #[test]
    fn leftovers_of_gone_processes_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4194305 (above Linux's pid_max).
        let gone = dir.path().join(format!("{DIR_PREFIX}4194305-00"));
        let mine = dir
            .path()
            .join(format!("{DIR_PREFIX}{}-00", std::process::id()));
        let other = dir.path().join("someone-else");
        for d in [&gone, &mine, &other] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("f.pdf"), b"x").unwrap();
        }
        sweep_leftovers(dir.path());
        assert!(!gone.exists());
        assert!(mine.join("f.pdf").exists());
        assert!(other.join("f.pdf").exists());
    }
}
