//! The runtime's side of `|` and `p`: running a piped command with the message on stdin
//! and its output captured (bounded), and the per-sender HTML/plain choice kept in a small
//! file beside the caches.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::app::PipeOutput;

/// Output kept per stream; the rest is read and dropped so the command never blocks.
const MAX_CAPTURE: usize = 1024 * 1024;

/// Runs `command` (as typed; a leading `!` only means "discard the output") with `sh -c`,
/// writing `input` to its stdin; blocks until it ends, so call it off the UI task.
pub fn run(command: &str, input: Vec<u8>) -> Result<PipeOutput, String> {
    let command = command.strip_prefix('!').unwrap_or(command).trim();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdin = child.stdin.take();
    // A command that does not read its stdin (or stops early) must not block the writer.
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(&input);
        }
    });
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || stderr.map(capture).unwrap_or_default());
    let (stdout, out_cut) = child.stdout.take().map(capture).unwrap_or_default();
    let (stderr, err_cut) = err_reader.join().unwrap_or_default();
    let _ = writer.join();
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(PipeOutput {
        stdout,
        stderr,
        code: status.code(),
        truncated: out_cut || err_cut,
    })
}

/// Reads a stream to its end, keeping the first `MAX_CAPTURE` bytes.
fn capture(mut stream: impl Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    (kept, cut)
}

/// `part-preference` beside the caches: one `html|plain address` line per sender.
pub fn preference_file(data_dir: &Path) -> PathBuf {
    data_dir.join("part-preference")
}

/// The saved choices; a missing or unreadable file is no choices (lines it cannot read are
/// skipped: the file only remembers a convenience).
pub fn load_preferences(path: &Path) -> BTreeMap<String, bool> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let (kind, sender) = line.split_once(' ')?;
            let html = match kind {
                "html" => true,
                "plain" => false,
                _ => return None,
            };
            Some((sender.trim().to_lowercase(), html))
        })
        .filter(|(sender, _)| !sender.is_empty())
        .collect()
}

/// Writes every choice (the file is small), through a temporary file and a rename.
pub fn save_preferences(path: &Path, prefs: &BTreeMap<String, bool>) -> std::io::Result<()> {
    let mut text = String::from("# tern: HTML or plain part per sender (p in the reader)\n");
    for (sender, html) in prefs {
        // Addresses with line breaks cannot round-trip; they are not addresses.
        if sender.contains(['\n', '\r']) {
            continue;
        }
        text.push_str(if *html { "html " } else { "plain " });
        text.push_str(sender);
        text.push('\n');
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_input_and_captures_both_streams() {
        let out = run("tr a-z A-Z; echo oops >&2; exit 3", b"hello\n".to_vec()).unwrap();
        assert_eq!(out.stdout, b"HELLO\n");
        assert_eq!(out.stderr, b"oops\n");
        assert_eq!(out.code, Some(3));
        assert!(!out.truncated);
        // A command that ignores stdin still ends, with a big input.
        let out = run("!true", vec![b'x'; 4 * 1024 * 1024]).unwrap();
        assert_eq!(out.code, Some(0));
    }

    #[test]
    fn output_is_bounded() {
        let out = run("head -c 3000000 /dev/zero", Vec::new()).unwrap();
        assert_eq!(out.stdout.len(), MAX_CAPTURE);
        assert!(out.truncated);
    }

    #[test]
    fn preferences_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = preference_file(dir.path());
        assert!(load_preferences(&path).is_empty());
        let mut prefs = BTreeMap::new();
        prefs.insert("news@example.com".to_string(), true);
        prefs.insert("ada@example.com".to_string(), false);
        save_preferences(&path, &prefs).unwrap();
        assert_eq!(load_preferences(&path), prefs);
    }
}
