//! Runs a third-party parser fed hostile bytes so that a panic in it stays a value. The
//! TUI's panic hook asks `is_contained` and leaves the terminal alone for such a panic:
//! restoring it would wreck a screen that goes on running.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static CONTAINED: Cell<u32> = const { Cell::new(0) };
}

/// `f()`, or `Err` with the panic's message if it panicked.
pub fn contained<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    CONTAINED.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|depth| depth.set(depth.get().saturating_sub(1)));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// True while this thread runs inside `contained`: a panic now is caught.
pub fn is_contained() -> bool {
    CONTAINED.with(|depth| depth.get() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_flag_is_scoped() {
        assert!(!is_contained());
        assert_eq!(contained(is_contained), Ok(true));
        let caught = contained(|| -> u8 { std::panic::panic_any("parser bug".to_string()) });
        assert_eq!(caught, Err("parser bug".to_string()));
        assert!(!is_contained(), "the flag is cleared after a panic too");
    }
}
