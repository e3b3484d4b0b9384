//! End-to-end tests: the `atscale` binary as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod design;
mod docs;
mod hostile;
mod landscape;
mod options;
mod parity;
mod realise;
mod reliability;
mod scale;
mod security;
mod sim;
mod summary;
mod sweep;
mod verify;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root exists")
}

/// Runs `atscale` with arguments from the repository root.
pub fn atscale(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_atscale"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the atscale binary runs");
    out
}

/// Standard output as text, with a helpful failure when the command failed.
pub fn stdout_ok(args: &[&str]) -> String {
    let out = atscale(args);
    assert!(
        out.status.success(),
        "atscale {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
