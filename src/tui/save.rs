//! Saving an attachment without ever overwriting: the file is created exclusively (an
//! existing file or symlink of that name is never opened), readable by the user only; a
//! taken name becomes "name (1).ext", and the caller says so.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Other names tried before giving up.
const MAX_RENAMES: u32 = 99;

/// Writes `bytes` to `wanted`, or to the first free "name (N).ext" beside it; returns the
/// path written.
pub fn save_new(wanted: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let mut last_err = None;
    for n in 0..=MAX_RENAMES {
        let path = if n == 0 {
            wanted.to_path_buf()
        } else {
            numbered(wanted, n)
        };
        match create_exclusive(&path) {
            Ok(mut file) => {
                file.write_all(bytes)?;
                file.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("every name is taken")))
}

/// O_CREAT|O_EXCL, mode 0600: POSIX makes it fail on any existing name, a symlink (even a
/// dangling one) included, so nothing is followed and nothing is truncated.
fn create_exclusive(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// `report.pdf` -> `report (2).pdf`; `notes` -> `notes (2)`.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem} ({n}).{}", ext.to_string_lossy()),
        None => format!("{stem} ({n})"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_file_is_private_and_a_taken_name_gets_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let wanted = dir.path().join("report.pdf");
        assert_eq!(save_new(&wanted, b"one").unwrap(), wanted);
        let mode = std::fs::metadata(&wanted).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = save_new(&wanted, b"two").unwrap();
        assert_eq!(second, dir.path().join("report (1).pdf"));
        assert_eq!(std::fs::read(&wanted).unwrap(), b"one", "never overwritten");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
        let plain = dir.path().join("notes");
        save_new(&plain, b"a").unwrap();
        assert_eq!(
            save_new(&plain, b"b").unwrap(),
            dir.path().join("notes (1)")
        );
    }

    #[test]
    fn a_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("invoice.pdf");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let saved = save_new(&link, b"evil").unwrap();
        assert_eq!(saved, dir.path().join("invoice (1).pdf"));
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        // A dangling link is not followed either.
        let dangling = dir.path().join("x.txt");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert_eq!(
            save_new(&dangling, b"y").unwrap(),
            dir.path().join("x (1).txt")
        );
        assert!(!dir.path().join("nowhere").exists());
    }
}
