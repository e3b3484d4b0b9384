//! Interruption (Ctrl-C, SIGTERM) of everything this process runs.
//!
//! Signals are process-wide, so this state is too: the binary installs a
//! handler that calls [`request`] on the first signal and
//! [`clean_up_and_exit`] on the second. [`request`] kills the process
//! group of every simulator running, and sets a flag that native runs
//! ([`stop_check`]) and sweeps poll, so each run returns
//! [`crate::Error::Interrupted`] and unwinds normally, removing its
//! temporary folder. [`clean_up_and_exit`] does not wait: it kills the
//! groups, removes the registered temporary folders and exits.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether an interruption was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Requests an interruption: kills every registered simulator process
/// group and raises the flag runs poll.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    for &g in lock(&GROUPS).iter() {
        kill_group(g);
    }
}

/// Lowers the flag once an interruption is handled, for a process that
/// lives on after it (the Python package, where Ctrl-C raises
/// `KeyboardInterrupt` and the interpreter goes on).
pub fn reset() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Kills every registered process group, removes every registered
/// temporary folder and exits with status 130 (the second Ctrl-C).
pub fn clean_up_and_exit() -> ! {
    REQUESTED.store(true, Ordering::SeqCst);
    for &g in lock(&GROUPS).iter() {
        kill_group(g);
    }
    for d in lock(&SCRATCH).iter() {
        let _ = std::fs::remove_dir_all(d);
    }
    std::process::exit(130)
}

/// A check for native runs: `Some("interrupted")` once an interruption is
/// requested, or a timeout message once `deadline` has passed.
pub fn stop_check(deadline: Option<std::time::Instant>) -> atscale_sim::StopCheck {
    atscale_sim::StopCheck::new(move || {
        if requested() {
            Some("interrupted".to_string())
        } else if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            Some("the time limit (--timeout) was reached".to_string())
        } else {
            None
        }
    })
}

/// Sends SIGKILL to process group `pgid`.
pub(crate) fn kill_group(pgid: i32) {
    let Some(pid) = rustix::process::Pid::from_raw(pgid) else { return };
    // ESRCH (already gone) is the common case after a normal exit.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}

/// A simulator process group, registered while it runs.
pub(crate) struct Group(i32);

impl Group {
    pub(crate) fn register(pgid: i32) -> Group {
        lock(&GROUPS).push(pgid);
        // A signal that came between the spawn and the registration.
        if requested() {
            kill_group(pgid);
        }
        Group(pgid)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        lock(&GROUPS).retain(|&g| g != self.0);
    }
}

/// A temporary folder, registered so that a second Ctrl-C removes it too.
pub(crate) struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    pub(crate) fn new(prefix: &str) -> std::io::Result<Scratch> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        lock(&SCRATCH).push(dir.path().to_path_buf());
        Ok(Scratch { dir: Some(dir) })
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.dir.as_ref().map_or(std::path::Path::new(""), |d| d.path())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let p = d.path().to_path_buf();
            drop(d);
            lock(&SCRATCH).retain(|x| *x != p);
        }
    }
}
