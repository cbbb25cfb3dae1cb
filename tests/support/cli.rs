//! The real binary run once with a config and a cache of the test's own.

/// `tern --config CONFIG --cache-dir CACHE ARGS...`, without the caller's `TERN_LOG`.
pub fn tern_cli(
    config: &std::path::Path,
    cache: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    // option_env!: the demo example compiles this module too (never calling it), and cargo
    // sets the binary's path only for tests and benches.
    let tern = option_env!("CARGO_BIN_EXE_tern").unwrap_or("tern");
    std::process::Command::new(tern)
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env_remove("TERN_LOG")
        .output()
        .unwrap()
}
