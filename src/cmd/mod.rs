//! Subcommands of the CLI. Each prints results on stdout and progress or errors on stderr.

pub mod folders;
