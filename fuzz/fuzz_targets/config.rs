//! The config file parser and validator, from text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tern::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = Config::parse(&text, std::path::Path::new("fuzz/config.toml")) {
        let _ = config.warnings();
        for account in &config.accounts {
            let _ = config.account_warnings(account);
        }
    }
});
