//! The real binary in a tmux session, looked at the way a person would: the screen as
//! text, keys typed, bounded waits that fail with what the screen showed.

use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Tmux {
    session: String,
}

impl Tmux {
    /// Runs `command` in a new detached 120x40 session.
    pub fn start(command: &str) -> Self {
        Self::start_sized(command, 120, 40)
    }

    pub fn start_sized(command: &str, width: u16, height: u16) -> Self {
        let session = format!(
            "tern-e2e-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .expect("tmux must be installed (scripts/test.sh installs it)");
        assert!(status.success());
        Self { session }
    }

    /// The screen as plain text, one line per row.
    pub fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Pid of the program in the pane (start the command with `exec` so it is the program,
    /// not a shell), for reading its /proc entries.
    pub fn pane_pid(&self) -> Option<u32> {
        let output = Command::new("tmux")
            .args(["list-panes", "-t", &self.session, "-F", "#{pane_pid}"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    }

    /// Keys as tmux names them: "j", "Enter", "Tab", "C-r".
    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (bounded, to fail rather than hang) until the screen shows `text`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("the screen to show {text:?}"), |screen| {
            screen.contains(text)
        })
    }

    /// Waits (bounded) until `ready` holds for the screen; `what` names it in the failure.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..300 {
            screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("waited in vain for {what}; the screen shows:\n{screen}");
    }

    /// From now on, appends what the program writes to the terminal to `path`, raw: escape
    /// sequences tmux would interpret (OSC 8 hyperlinks) included.
    #[allow(dead_code)] // not every test binary records the output
    pub fn record_output(&self, path: &std::path::Path) {
        let status = Command::new("tmux")
            .args(["pipe-pane", "-o", "-t", &self.session])
            .arg(format!("cat >> '{}'", path.display()))
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// True once the program in the session has exited (bounded wait).
    pub fn exited(&self) -> bool {
        for _ in 0..50 {
            let alive = Command::new("tmux")
                .args(["has-session", "-t", &self.session])
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            if !alive {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .stderr(Stdio::null())
            .status();
    }
}
