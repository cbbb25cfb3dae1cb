//! The keymap and theme loaders, from a user's overlay file: every problem becomes a
//! message, never a panic. The first byte picks which loader reads the rest.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tern::config::BuiltinOrFile;
use tern::keymap::Keymap;
use tern::theme::Theme;

static FILE: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let path = FILE.get_or_init(|| tern_fuzz_support::scratch_dir("loaders").join("overlay.toml"));
    if std::fs::write(path, text).is_err() {
        return;
    }
    let file = BuiltinOrFile::File(path.clone());
    if which & 1 == 0 {
        let _ = Keymap::load(&file, None);
    } else {
        let (theme, _) = Theme::load(&file, which & 2 != 0, None);
        for scope in tern::theme::scopes::ALL {
            let _ = theme.style(scope);
        }
    }
});
