//! One sender per account, across processes (the TUI and a CLI action on the same
//! account): an advisory lock on a file beside the cache, held while the journal is
//! replayed. The OS drops it when its holder exits, even when killed.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::StoreError;

/// How long a replay waits for another process's replay before leaving the work to it.
pub const WAIT_FOR_OTHER_SENDER: Duration = Duration::from_secs(30);

const POLL: Duration = Duration::from_millis(100);

/// Held while sending; released on drop.
#[derive(Debug)]
pub struct SendLock {
    _file: File,
}

/// `<cache>.lock`.
pub fn lock_path(cache: &Path) -> PathBuf {
    let mut name = cache.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl SendLock {
    /// Takes the lock, waiting up to `wait` while another process holds it. None when it
    /// is still held then: that process is sending, and what stays pending is left to it.
    pub async fn acquire(cache: &Path, wait: Duration) -> Result<Option<SendLock>, StoreError> {
        let path = lock_path(cache);
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        // Private like the cache beside it, though it holds no data.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|e| StoreError::io(&path, e))?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(SendLock { _file: file })),
                Err(TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_and_gets_the_lock_once_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("acct.sqlite");
        let first = SendLock::acquire(&cache, Duration::ZERO).await.unwrap();
        assert!(first.is_some());
        let second = SendLock::acquire(&cache, Duration::ZERO).await.unwrap();
        assert!(second.is_none(), "held by the first");
        drop(first);
        let third = SendLock::acquire(&cache, Duration::ZERO).await.unwrap();
        assert!(third.is_some(), "free again");
        assert!(lock_path(&cache).ends_with("acct.sqlite.lock"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(lock_path(&cache))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
