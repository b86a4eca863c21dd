//! What the command-line tests share: running the built `vantay` binary
//! against one installation, and the SD14 prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Finger codes in capture order.
pub const FINGERS: [&str; 10] = ["R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5"];

/// Runs `vantay ARGS` on the installation with this data directory and key
/// file (never a database from the environment).
pub fn vantay(data: &Path, key: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vantay"))
        .args(args)
        .env("VANTAY_DATA", data)
        .env("VANTAY_KEY_FILE", key)
        .env_remove("VANTAY_DATABASE_URL")
        .output()
        .unwrap()
}

/// The standard output of a command that must succeed; `what` names it in
/// the failure, with the command's own message.
pub fn succeeded(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The SD14 prints, or `None` with the reason printed.
pub fn sd14() -> Option<PathBuf> {
    vantay_testkit::sd14()
}
