//! Files and connections: the 0600 cache file, the pragmas, read-only readers.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::{Result, StoreError};

/// How long a connection waits on a lock held by another (e.g. a second tern process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// File name for an account's cache inside the data dir: the account name with anything
/// outside `[A-Za-z0-9._@+-]` replaced, plus a hash of the original when that changed it
/// (so "a/b" and "a_b" get different files), plus ".sqlite".
pub fn cache_path(data_dir: &Path, account: &str) -> PathBuf {
    let mut name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') || name.is_empty() {
        name.insert(0, '_');
    }
    if name != account {
        name.push_str(&format!(
            "-{:08x}",
            super::thread::msgid_hash(account) as u32
        ));
    }
    data_dir.join(format!("{name}.sqlite"))
}

/// Creates the parent dirs (0700) and the file (0600) if missing, checks an existing
/// file looks like SQLite, then opens the read-write connection with our pragmas.
/// Nothing is written to the file before it is known to be SQLite.
pub(crate) fn open_writer(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::io(dir, e))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    if !meta.is_file() {
        return Err(corrupt(path, "not a regular file"));
    }
    if meta.len() > 0 {
        let mut head = [0u8; 16];
        let ok = file.read_exact(&mut head).is_ok() && &head == SQLITE_MAGIC;
        if !ok {
            return Err(corrupt(path, "not an SQLite file"));
        }
    }
    drop(file);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt(path, &e.to_string()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Pragmas for the writer; only after the file was checked to be ours (WAL rewrites the header).
pub(crate) fn configure_writer(conn: &Connection, path: &Path) -> Result<()> {
    // Only a new file takes it (before its first table). Rows are ~300 bytes: 16 KiB pages
    // split less often while filling, a first sync of 100k rows costs 0.96 -> 0.81 s of
    // writer CPU (benches/sync.rs TERN_BENCH_INSERTS), window queries are unchanged.
    conn.pragma_update(None, "page_size", 16_384)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(corrupt(path, &format!("cannot enable WAL (mode {mode})")));
    }
    // NORMAL in WAL: a process kill never loses a commit; only power loss may drop the last.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A first sync of 100k rows rewrote ~300 MB of pages through the default 2 MB cache.
    // 32 MB, not 64: a first sync of a million messages peaks at 96 MB instead of 114 MB
    // (issue 14's bound is 100 MB) for about 10% more writer time.
    conn.pragma_update(None, "cache_size", -32_768)?;
    Ok(())
}

/// The cache is private mail: tighten a file someone (or an old version) left readable.
pub(crate) fn make_private(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| StoreError::io(path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(path, e))?;
    }
    Ok(())
}

/// A read-only connection; WAL readers see the last commit and never block the writer.
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(StoreError::NotFound(path.display().to_string()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt(path, &e.to_string()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Enough page cache to keep the window indexes of a 100k folder in memory.
    conn.pragma_update(None, "cache_size", -16_384)?;
    let known = super::schema::schema_version();
    super::schema::check_ours(&conn, path, known)?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != known {
        // Only the writer migrates; a reader cannot query an older schema.
        return Err(corrupt(
            path,
            &format!(
                "schema version {version}, this tern reads {known}; open it for writing first"
            ),
        ));
    }
    Ok(conn)
}

fn corrupt(path: &Path, reason: &str) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}
