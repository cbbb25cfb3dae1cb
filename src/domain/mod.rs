//! Pure types shared by every layer: no I/O here.

pub mod secret;
