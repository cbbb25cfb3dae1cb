//! UI state and `update`: synchronous, no I/O; effects are returned for the runtime to do.

pub mod action;
