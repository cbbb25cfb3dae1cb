//! IMAP protocol engine.
