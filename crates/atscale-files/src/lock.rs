//! An exclusive lock on an output, held while a long run writes it.

use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::FlockOperation;

use crate::error::{io, Error, Result};

/// An exclusive lock on `OUT`, held as an advisory `flock` on the file
/// `OUT.lock` beside it. The lock file is removed when the lock is dropped;
/// a process that dies releases the lock with it (the kernel drops `flock`s
/// of a closed descriptor), so a stale lock file never blocks a later run.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: Option<File>,
}

impl Lock {
    /// The lock file of `target`: `target` with `.lock` appended.
    pub fn path_for(target: &Path) -> PathBuf {
        let mut s = target.as_os_str().to_owned();
        s.push(".lock");
        PathBuf::from(s)
    }

    /// Takes the lock of `target` without waiting.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds it;
    /// [`Error::NotRegular`] when the lock path is not a regular file;
    /// [`Error::Io`].
    pub fn acquire(target: &Path) -> Result<Lock> {
        let path = Self::path_for(target);
        // A lock file removed by its holder between our open and our flock
        // is a stale inode: try again on the new file (a few times at most).
        for _ in 0..8 {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
                .open(&path)
                .map_err(io("open the lock file", &path))?;
            let meta = file.metadata().map_err(io("inspect the lock file", &path))?;
            if !meta.file_type().is_file() {
                return Err(Error::NotRegular {
                    path: path.clone(),
                    what: "the lock file".into(),
                    kind: "not a regular file",
                    rule: "locks outputs with regular files only",
                });
            }
            match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    return Err(Error::Locked { path: target.to_path_buf(), lock: path });
                }
                Err(e) => return Err(io("lock", &path)(e.into())),
            }
            let same = std::fs::metadata(&path)
                .map(|m| m.ino() == meta.ino() && m.dev() == meta.dev())
                .unwrap_or(false);
            if same {
                return Ok(Lock { path, file: Some(file) });
            }
        }
        Err(Error::Locked { path: target.to_path_buf(), lock: path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Remove while still holding the lock, then release it by closing.
        let _ = std::fs::remove_file(&self.path);
        self.file.take();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.csv");
        let first = Lock::acquire(&out).unwrap();
        let e = Lock::acquire(&out).unwrap_err();
        assert!(matches!(e, Error::Locked { .. }), "{e}");
        assert!(e.to_string().contains("another atscale run"));
        drop(first);
        assert!(!Lock::path_for(&out).exists());
        let again = Lock::acquire(&out).unwrap();
        drop(again);
    }

    #[test]
    fn a_stale_lock_file_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.csv");
        std::fs::write(Lock::path_for(&out), b"").unwrap();
        drop(Lock::acquire(&out).unwrap());
    }
}
