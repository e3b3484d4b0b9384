//! Running a simulator process: a controlled environment, its own process
//! group, bounded capture of its output, a timeout and interruption.
//!
//! Everything here assumes the process may misbehave: print gigabytes, leave
//! children that hold its pipes open, ignore signals, or never end.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::interrupt::{self, Group};

/// Where util-linux's `setpriv` is looked for (never on `PATH`).
const PDEATHSIG: [&str; 2] = ["/usr/bin/setpriv", "/bin/setpriv"];

/// Bytes kept from the start and from the end of each output stream.
pub(crate) const KEEP_BYTES: usize = 1 << 20;

/// Lines of a simulator's output kept in errors ([`tail`]).
const TAIL_LINES: usize = 20;

/// The last [`TAIL_LINES`] non-empty lines of a simulator's output, each at
/// most 300 characters (ngspice's progress output can make one line of
/// kilobytes).
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<String> = text
        .split(['\n', '\r'])
        .filter(|l| !l.trim().is_empty())
        .map(|l| atscale_spice::deck::clip(l, 300))
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// How long the output pipes may stay open after the process is gone
/// (a child that escaped its process group may hold them).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The first and last [`KEEP_BYTES`] of a stream.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: u64,
}

impl Capture {
    fn push(&mut self, mut chunk: &[u8]) {
        let room = KEEP_BYTES.saturating_sub(self.head.len());
        let take = room.min(chunk.len());
        self.head.extend_from_slice(&chunk[..take]);
        chunk = &chunk[take..];
        self.tail.extend(chunk);
        while self.tail.len() > KEEP_BYTES {
            let excess = self.tail.len() - KEEP_BYTES;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped > 0 {
            s.push_str(&format!("\n[... {} bytes of output not kept ...]\n", self.dropped));
        }
        let (a, b) = self.tail.as_slices();
        s.push_str(&String::from_utf8_lossy(a));
        s.push_str(&String::from_utf8_lossy(b));
        s
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It exited by itself.
    Exited,
    /// It ran past the timeout and was killed.
    TimedOut,
    /// An interruption was requested and it was killed.
    Interrupted,
    /// The caller's check asked to stop it (an output grown too large) and it was killed.
    Stopped,
}

/// A finished (or killed) process.
pub(crate) struct Finished {
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    pub wall_s: f64,
    pub ended: Ended,
}

/// A command for a simulator: `program` run in `dir` with an environment
/// cleared of everything but the executable search path and the dynamic
/// linker's, `HOME` and `TMPDIR` set to `dir` (so no init file of the user
/// is found), the C locale, and no standard input.
pub(crate) fn sandboxed(program: &Path, dir: &Path) -> Command {
    // On Linux, `setpriv --pdeathsig KILL` makes the kernel kill the
    // simulator if atscale dies without cleaning up (SIGKILL): no orphan.
    let mut c = match PDEATHSIG.iter().find(|p| Path::new(p).is_file()) {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.arg("--pdeathsig").arg("KILL").arg("--").arg(program);
            c
        }
        None => Command::new(program),
    };
    c.env_clear();
    for key in ["PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"] {
        if let Some(v) = std::env::var_os(key) {
            c.env(key, v);
        }
    }
    c.env("HOME", dir).env("TMPDIR", dir).env("LC_ALL", "C").current_dir(dir).stdin(Stdio::null());
    c
}

/// Limits the address space of process `pid` to `bytes` (`RLIMIT_AS`; at
/// most the hard limit atscale itself runs under) and forbids core dumps.
fn limit_address_space(pid: i32, bytes: u64) -> std::io::Result<()> {
    use rustix::process::{getrlimit, prlimit, Pid, Resource, Rlimit};
    let pid = Pid::from_raw(pid).ok_or_else(|| std::io::Error::other("no process id"))?;
    let limit = |n: u64| Rlimit { current: Some(n), maximum: Some(n) };
    let bytes = getrlimit(Resource::As).maximum.map_or(bytes, |hard| hard.min(bytes));
    prlimit(Some(pid), Resource::As, limit(bytes))?;
    prlimit(Some(pid), Resource::Core, limit(0))?;
    Ok(())
}

/// The absolute path of `program`: itself when it names a path, else the
/// first executable of that name on `PATH`.
pub(crate) fn resolve(program: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.components().count() > 1 {
        return executable(program).then(|| program.to_path_buf());
    }
    let path: OsString = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| executable(p))
}

fn reader(pipe: Option<impl Read + Send + 'static>, done: mpsc::Sender<()>) -> Arc<Mutex<Capture>> {
    let cap = Arc::new(Mutex::new(Capture::default()));
    let c = cap.clone();
    std::thread::spawn(move || {
        if let Some(mut p) = pipe {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match p.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => c.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(&buf[..n]),
                }
            }
        }
        let _ = done.send(());
    });
    cap
}

/// Runs `cmd` in its own process group until it exits, `timeout` passes,
/// an interruption is requested or `stop` (checked every few milliseconds)
/// says so (then the group is killed). Any process
/// left in the group afterwards is killed too, and the output pipes are
/// read for at most a short grace period after that.
///
/// # Errors
///
/// The operating system's error when the process cannot be started.
pub(crate) fn run(
    mut cmd: Command,
    timeout: Duration,
    memory: Option<u64>,
    stop: &dyn Fn() -> bool,
) -> std::io::Result<Finished> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pgid = i32::try_from(child.id()).unwrap_or(0);
    let group = Group::register(pgid);
    if let Some(bytes) = memory {
        // The limit holds across the exec of setpriv into the simulator;
        // a run that cannot be limited does not run.
        if let Err(e) = limit_address_space(pgid, bytes) {
            interrupt::kill_group(pgid);
            let _ = child.wait();
            return Err(std::io::Error::other(format!("could not limit the simulator's memory: {e}")));
        }
    }
    let (tx, rx) = mpsc::channel();
    let out = reader(child.stdout.take(), tx.clone());
    let err = reader(child.stderr.take(), tx);
    let mut ended = Ended::Exited;
    let mut sleep = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("waiting for the simulator failed: {e}");
                break None;
            }
        }
        let over = if interrupt::requested() {
            Some(Ended::Interrupted)
        } else if start.elapsed() >= timeout {
            Some(Ended::TimedOut)
        } else if stop() {
            Some(Ended::Stopped)
        } else {
            None
        };
        if let Some(why) = over {
            ended = why;
            interrupt::kill_group(pgid);
            break child.wait().ok();
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(20));
    };
    let wall_s = start.elapsed().as_secs_f64();
    // Leftover children of the run die with their group; then the pipes close.
    interrupt::kill_group(pgid);
    drop(group);
    let deadline = Instant::now() + DRAIN_GRACE;
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if rx.recv_timeout(left).is_err() {
            tracing::warn!("the simulator's output pipes stayed open after it ended; output may be cut");
            break;
        }
    }
    let text = |c: &Arc<Mutex<Capture>>| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner).text();
    let status = status.map_or_else(|| "unknown exit status".to_string(), |s| s.to_string());
    Ok(Finished { status, stdout: text(&out), stderr: text(&err), wall_s, ended })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Capture::default();
        let big = vec![b'x'; 3 * KEEP_BYTES];
        c.push(b"first line\n");
        c.push(&big);
        c.push(b"\nlast line\n");
        let t = c.text();
        assert!(t.starts_with("first line\n"));
        assert!(t.ends_with("last line\n"));
        assert!(t.len() < 2 * KEEP_BYTES + 200);
        assert!(t.contains("bytes of output not kept"));
    }

    #[test]
    fn a_child_holding_the_pipes_does_not_hang_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = sandboxed(Path::new("/bin/sh"), dir.path());
        // The child leaves a grandchild that escapes the group and keeps stdout open.
        cmd.arg("-c").arg("setsid sleep 30 & echo done");
        let start = Instant::now();
        let f = run(cmd, Duration::from_secs(20), None, &|| false).unwrap();
        assert_eq!(f.ended, Ended::Exited);
        assert!(f.stdout.contains("done"));
        assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    }

    #[test]
    fn the_memory_limit_holds_in_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = sandboxed(Path::new("/bin/sh"), dir.path());
        cmd.arg("-c").arg("sleep 0.2; ulimit -v; ulimit -c");
        let f = run(cmd, Duration::from_secs(20), Some(512 << 20), &|| false).unwrap();
        assert_eq!(f.stdout.split_whitespace().collect::<Vec<_>>(), ["524288", "0"], "{}", f.stdout);
    }

    #[test]
    fn the_environment_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = sandboxed(Path::new("/bin/sh"), dir.path());
        cmd.arg("-c").arg("echo \"[$SPICE_SCRIPTS][$HOME]\"; pwd");
        let f = run(cmd, Duration::from_secs(20), None, &|| false).unwrap();
        let home = dir.path().canonicalize().unwrap();
        assert!(f.stdout.contains(&format!("[][{}]", dir.path().display())), "{}", f.stdout);
        assert!(f.stdout.contains(&home.display().to_string()), "{}", f.stdout);
    }
}
