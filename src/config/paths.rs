//! Where the config file and the cache live, and how paths written in the config are resolved.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, ProjectDirs};

use super::error::ConfigError;

/// Environment variable naming the config file, used when `--config` is not given.
pub const CONFIG_ENV: &str = "TERN_CONFIG";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "tern")
}

pub(super) fn home_dir() -> Option<PathBuf> {
    BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf())
}

/// Where to look, in order. An explicit `--config`, else `$TERN_CONFIG`, is the only candidate:
/// silently falling back to another file when the one the user named is missing would surprise.
pub fn config_candidates(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    defaults: Vec<PathBuf>,
) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    match env_value {
        Some(value) if !value.is_empty() => vec![PathBuf::from(value)],
        _ => defaults,
    }
}

/// The XDG location (`$XDG_CONFIG_HOME/tern/config.toml`, or the platform's equivalent).
pub fn default_config_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(dirs) = project_dirs() {
        paths.push(dirs.config_dir().join("config.toml"));
    }
    // macOS puts config under ~/Library; terminal users there still expect ~/.config.
    if cfg!(target_os = "macos")
        && let Some(home) = home_dir()
    {
        let dotconfig = home.join(".config").join("tern").join("config.toml");
        if !paths.contains(&dotconfig) {
            paths.push(dotconfig);
        }
    }
    paths
}

/// The first candidate that exists; otherwise every path looked at, for the first-run message.
pub fn first_existing(candidates: &[PathBuf]) -> Result<PathBuf, ConfigError> {
    candidates
        .iter()
        .find(|path| path.exists())
        .cloned()
        .ok_or_else(|| ConfigError::NotFound {
            looked_at: candidates.to_vec(),
        })
}

/// Finds the config file from `--config`, `$TERN_CONFIG` or the XDG config dir.
pub fn find_config(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let env_value = std::env::var_os(CONFIG_ENV);
    let candidates = config_candidates(explicit, env_value.as_deref(), default_config_paths());
    first_existing(&candidates)
}

/// The cache directory: `--cache-dir` if given, else the XDG data dir (`~/.local/share/tern`).
pub fn data_dir(cache_dir_override: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(dir) = cache_dir_override {
        return Ok(dir.to_path_buf());
    }
    project_dirs()
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(ConfigError::NoHomeDir {
            what: "cache",
            flag: "--cache-dir",
        })
}

/// A path written in the config: `~` and `~/x` are the home dir, relative paths are relative to
/// the config file's directory (so the config works no matter where tern is started from).
pub(super) fn resolve_user_path(
    raw: &str,
    config_dir: &Path,
    home: Option<&Path>,
) -> Result<PathBuf, String> {
    let rest = match raw.strip_prefix('~') {
        None => return Ok(config_dir.join(raw)),
        Some(rest) => rest,
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err("only ~ and ~/ are expanded, not ~user".into());
    }
    let home = home.ok_or("cannot expand ~: no home directory")?;
    Ok(home.join(rest.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<PathBuf> {
        vec![PathBuf::from("/xdg/tern/config.toml")]
    }

    #[test]
    fn explicit_path_wins_over_env_and_xdg() {
        let got = config_candidates(
            Some(Path::new("/flag.toml")),
            Some(OsStr::new("/env.toml")),
            defaults(),
        );
        assert_eq!(got, vec![PathBuf::from("/flag.toml")]);
    }

    #[test]
    fn env_wins_over_xdg() {
        let got = config_candidates(None, Some(OsStr::new("/env.toml")), defaults());
        assert_eq!(got, vec![PathBuf::from("/env.toml")]);
    }

    #[test]
    fn xdg_is_used_when_nothing_else_is_set_or_env_is_empty() {
        assert_eq!(config_candidates(None, None, defaults()), defaults());
        assert_eq!(
            config_candidates(None, Some(OsStr::new("")), defaults()),
            defaults()
        );
    }

    #[test]
    fn default_path_ends_in_tern_config_toml() {
        let paths = default_config_paths();
        assert!(
            paths.iter().all(|p| p.ends_with("tern/config.toml")),
            "{paths:?}"
        );
    }

    #[test]
    fn first_existing_reports_where_it_looked() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("missing.toml");
        let present = dir.path().join("config.toml");
        std::fs::write(&present, "")?;

        let found = first_existing(&[missing.clone(), present.clone()])?;
        assert_eq!(found, present);

        match first_existing(std::slice::from_ref(&missing)) {
            Err(ConfigError::NotFound { looked_at }) => assert_eq!(looked_at, vec![missing]),
            other => unreachable!("expected NotFound, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn cache_dir_override_wins() -> Result<(), ConfigError> {
        assert_eq!(
            data_dir(Some(Path::new("/tmp/tern-cache")))?,
            PathBuf::from("/tmp/tern-cache")
        );
        Ok(())
    }

    #[test]
    fn user_paths_expand_tilde_and_anchor_relative_ones() {
        let home = Some(Path::new("/home/me"));
        let dir = Path::new("/etc/tern");
        assert_eq!(
            resolve_user_path("~/certs/ca.pem", dir, home),
            Ok(PathBuf::from("/home/me/certs/ca.pem"))
        );
        assert_eq!(
            resolve_user_path("certs/ca.pem", dir, home),
            Ok(PathBuf::from("/etc/tern/certs/ca.pem"))
        );
        assert_eq!(
            resolve_user_path("/abs/ca.pem", dir, home),
            Ok(PathBuf::from("/abs/ca.pem"))
        );
        assert!(resolve_user_path("~bob/ca.pem", dir, home).is_err());
        assert!(resolve_user_path("~/ca.pem", dir, None).is_err());
    }
}
