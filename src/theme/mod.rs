//! Themes (see scopes.rs).
pub mod scopes;
