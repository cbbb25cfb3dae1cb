//! What several fuzz targets share.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

/// Where contained panics happened so far, each told once on stderr.
static CONTAINED_SITES: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// libFuzzer's panic hook aborts on every panic, so a panic that `domain::contain` catches
/// (by design: a third-party parser fed hostile bytes) would count as a crash. Caught ones
/// pass, each place told once, unless TERN_FUZZ_CONTAINED_FATAL is set; any other panic
/// still aborts.
pub fn tolerate_contained_panics() {
    if std::env::var_os("TERN_FUZZ_CONTAINED_FATAL").is_some() {
        return;
    }
    let fatal = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if tern::domain::contain::is_contained() {
            let site = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let mut sites = CONTAINED_SITES.lock().unwrap_or_else(|e| e.into_inner());
            if sites.get_or_insert_with(HashSet::new).insert(site.clone()) {
                let message = info.payload_as_str().unwrap_or("");
                eprintln!("contained panic (tolerated) at {site}: {message}");
            }
            return;
        }
        fatal(info);
    }));
}

/// A scratch directory of this fuzzing process, under the system's temp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tern-fuzz-{name}-{}", std::process::id()));
    // The loaders read files; a target that cannot make its directory has nothing to test.
    if let Err(err) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {err}", dir.display());
    }
    dir
}
