//! `Store`: the handle to the one writer thread that owns the read-write connection.
//! Writes are closures shipped over a channel and run inside one transaction each.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel, sync_channel};
use std::thread::{JoinHandle, ThreadId};

use rusqlite::{Connection, TransactionBehavior};

use super::error::{Result, StoreError};
use super::read::Reader;
use super::write::WriteTx;
use super::{BodyLimits, open, schema};

type Job = Box<dyn FnOnce(&mut Connection, BodyLimits) + Send>;

/// Cheap to clone; the writer thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    limits: BodyLimits,
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
}

impl Store {
    /// Creates parent dirs and the file (mode 0600), enables WAL and runs migrations.
    /// A corrupt, foreign or newer-version file is an error and is left untouched.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, BodyLimits::default())
    }

    pub fn open_with(path: &Path, limits: BodyLimits) -> Result<Store> {
        Self::open_migrations(path, limits, schema::MIGRATIONS)
    }

    pub(crate) fn open_migrations(
        path: &Path,
        limits: BodyLimits,
        migrations: &[schema::Migration],
    ) -> Result<Store> {
        let mut conn = open::open_writer(path)?;
        let known = migrations.last().map_or(0, |m| m.version);
        // Checked before WAL: switching the journal mode writes the file header.
        schema::check_ours(&conn, path, known)?;
        open::configure_writer(&conn, path)?;
        schema::migrate(&mut conn, path, migrations)?;
        open::make_private(path)?;
        let (jobs, rx) = channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("tern-store".into())
            .spawn(move || {
                let mut conn = conn;
                // Ends when every Store clone (every Sender) is gone.
                while let Ok(job) = rx.recv() {
                    job(&mut conn, limits);
                }
            })
            .map_err(|e| StoreError::io(path, e))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                limits,
                jobs: Some(jobs),
                thread_id: thread.thread().id(),
                thread: Some(thread),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The body cache caps this store was opened with.
    pub fn limits(&self) -> BodyLimits {
        self.inner.limits
    }

    /// Runs `f` on the writer thread inside ONE transaction: committed if it returns Ok,
    /// rolled back if it returns Err or panics. Blocks the calling thread; not for tokio workers.
    pub fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = sync_channel(1);
        self.submit(Box::new(move |conn, limits| {
            let _ = tx.send(run(conn, limits, f));
        }))?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Same as `write`, awaitable without blocking an async worker thread.
    pub async fn write_async<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Box::new(move |conn, limits| {
            let _ = tx.send(run(conn, limits, f));
        }))?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// A new read-only connection.
    pub fn reader(&self) -> Result<Reader> {
        Reader::open(&self.inner.path)
    }

    fn submit(&self, job: Job) -> Result<()> {
        if std::thread::current().id() == self.inner.thread_id {
            // A write from inside a write would wait for itself forever.
            return Err(StoreError::Bug(
                "Store::write called from inside a write".into(),
            ));
        }
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job).map_err(|_| StoreError::Closed)
    }
}

fn run<R>(
    conn: &mut Connection,
    limits: BodyLimits,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<R>,
) -> Result<R> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut wtx = WriteTx::new(tx, limits);
    // Dropping an uncommitted WriteTx rolls back, on Err and on panic alike.
    match catch_unwind(AssertUnwindSafe(|| f(&mut wtx))) {
        Ok(Ok(value)) => wtx.commit().map(|()| value),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::error!("store write closure panicked; rolled back");
            Err(StoreError::Bug("write closure panicked".into()))
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Close the channel first so the thread's loop ends, then wait for it to close
        // the connection (which checkpoints the WAL). Never join from the thread itself.
        self.jobs = None;
        if let Some(handle) = self.thread.take()
            && std::thread::current().id() != self.thread_id
        {
            let _ = handle.join();
        }
    }
}
