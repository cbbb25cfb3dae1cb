//! The terminal guard: raw mode, alternate screen and mouse capture on entry; restored on
//! drop and on panic, so a crash never leaves the user's shell unusable.

use std::io::{self, Write};

use ratatui::crossterm::{
    cursor, event, execute,
    terminal::{self, EnterAlternateScreen, LeaveAlternateScreen},
};

pub struct TerminalGuard {
    active: bool,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(err) = execute!(
            out,
            EnterAlternateScreen,
            event::EnableMouseCapture,
            cursor::Hide
        ) {
            restore();
            return Err(err);
        }
        Ok(Self { active: true })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.active {
            restore();
            self.active = false;
        }
    }
}

/// Best effort: every step runs even if an earlier one fails.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        event::DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A parser's panic caught by `contained` is reported by its caller; the TUI runs on.
        if crate::domain::contain::is_contained() {
            tracing::warn!("a parser panicked (contained): {info}");
            return;
        }
        restore();
        previous(info);
    }));
}
