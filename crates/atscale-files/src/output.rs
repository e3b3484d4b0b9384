//! Writing the user's output files: all-or-nothing, never replacing anything
//! but a regular file, and a regular file only with `force`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{io, Error, Result};

/// Checks that `path` may be written: it does not exist, or it is a regular
/// file (not a symbolic link, directory, device, FIFO or socket) and `force`
/// is set.
///
/// # Errors
///
/// [`Error::Exists`] without `force`; [`Error::NotRegular`] for anything but
/// a regular file, with or without `force`.
pub fn check_target(path: &Path, force: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("inspect", path)(e)),
    };
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_symlink() {
            "a symbolic link"
        } else if ft.is_dir() {
            "a directory"
        } else if ft.is_char_device() {
            "a character device"
        } else if ft.is_block_device() {
            "a block device"
        } else if ft.is_fifo() {
            "a FIFO"
        } else {
            "a socket"
        };
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: "the output".into(),
            kind,
            rule: "replaces only regular files, even with --force",
        });
    }
    if !force {
        return Err(Error::Exists { path: path.to_path_buf() });
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`OutputSet`]).
///
/// # Errors
///
/// As [`OutputSet::add`] and [`OutputSet::commit`].
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut set = OutputSet::new(force);
    set.add(path, bytes)?;
    set.commit()
}

/// Several output files written all-or-nothing.
///
/// [`OutputSet::add`] checks the target ([`check_target`]) and stages the
/// bytes in a temporary file in the target's folder (created if missing),
/// synced to disk; [`OutputSet::commit`] renames every staged file into
/// place. A full disk or any other failure while staging leaves nothing:
/// the temporary files and any folder created are removed when the set is
/// dropped. If a rename fails during the commit, the files already renamed
/// are taken back out and any file they replaced is restored.
#[derive(Debug)]
pub struct OutputSet {
    force: bool,
    staged: Vec<(PathBuf, NamedTempFile)>,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

impl OutputSet {
    /// An empty set; `force` allows replacing existing regular files.
    pub fn new(force: bool) -> Self {
        OutputSet { force, staged: Vec::new(), created_dirs: Vec::new(), committed: false }
    }

    /// Checks `path` and every target already added, so that a refusal
    /// comes before any work; call it with every path first when the bytes
    /// take long to compute.
    ///
    /// # Errors
    ///
    /// As [`check_target`].
    pub fn check(&self, path: &Path) -> Result<()> {
        check_target(path, self.force)
    }

    /// Stages `bytes` for `path`.
    ///
    /// # Errors
    ///
    /// As [`check_target`]; [`Error::Io`] when the folder, the temporary
    /// file or the data cannot be written (a full disk).
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        check_target(path, self.force)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        self.create_dir(&dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".atscale-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io("create a temporary file in", &dir))?;
        tmp.write_all(bytes).map_err(io("write", path))?;
        tmp.as_file().sync_all().map_err(io("write", path))?;
        // Temporary files are private (0600); an output file is an ordinary one.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io("set the permissions of", path))?;
        self.staged.push((path.to_path_buf(), tmp));
        Ok(())
    }

    fn create_dir(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut d = Some(dir);
        while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            missing.push(p.to_path_buf());
            d = p.parent();
        }
        for p in missing.into_iter().rev() {
            std::fs::create_dir(&p).map_err(io("create the folder", &p))?;
            self.created_dirs.push(p);
        }
        Ok(())
    }

    /// Renames every staged file into place.
    ///
    /// # Errors
    ///
    /// [`Error::Exists`] when a target appeared since it was checked (and
    /// `force` is not set), [`Error::NotRegular`] when it became something
    /// else, [`Error::Io`]; in every case no target is left changed.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut placed: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let mut result = Ok(());
        for (path, tmp) in staged {
            match place(&path, tmp, self.force) {
                Ok(backup) => placed.push((path, backup)),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_err() {
            for (path, backup) in placed.into_iter().rev() {
                match backup {
                    Some(b) => {
                        let _ = std::fs::rename(&b, &path);
                    }
                    None => {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
            return result;
        }
        for (_, backup) in placed {
            if let Some(b) = backup {
                let _ = std::fs::remove_file(b);
            }
        }
        self.committed = true;
        Ok(())
    }
}

/// Renames `tmp` to `path`; returns a hard link to the file it replaced.
fn place(path: &Path, tmp: NamedTempFile, force: bool) -> Result<Option<PathBuf>> {
    check_target(path, force)?;
    let backup = if force && path.exists() {
        let dir = tmp.path().parent().unwrap_or(Path::new(".")).to_path_buf();
        let b = tempfile::Builder::new()
            .prefix(".atscale-")
            .suffix(".old")
            .make_in(&dir, |p| std::fs::hard_link(path, p))
            .map_err(io("keep a copy of", path))?;
        Some(b.into_temp_path().keep().map_err(|e| io("keep a copy of", path)(e.error))?)
    } else {
        None
    };
    let placed = if force {
        tmp.persist(path).map(|_| ()).map_err(|e| io("write", path)(e.error))
    } else {
        tmp.persist_noclobber(path).map(|_| ()).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists { path: path.to_path_buf() }
            } else {
                io("write", path)(e.error)
            }
        })
    };
    match placed {
        Ok(()) => Ok(backup),
        Err(e) => {
            if let Some(b) = backup {
                let _ = std::fs::remove_file(b);
            }
            Err(e)
        }
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        // Staged temporary files remove themselves; remove the folders this
        // set created if nothing was committed (they are empty then).
        self.staged.clear();
        if !self.committed {
            for d in self.created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn refuses_existing_files_without_force_and_non_regular_files_always() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomically(&p, b"one", false).unwrap();
        assert!(matches!(write_atomically(&p, b"two", false), Err(Error::Exists { .. })));
        write_atomically(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let e = write_atomically(Path::new("/dev/null"), b"x", true).unwrap_err();
        assert!(matches!(e, Error::NotRegular { kind: "a character device", .. }), "{e}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let e = write_atomically(&link, b"x", true).unwrap_err();
        assert!(matches!(e, Error::NotRegular { kind: "a symbolic link", .. }), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
    }

    #[test]
    fn a_set_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new/report");
        {
            let mut set = OutputSet::new(false);
            set.add(&out.join("a.json"), b"{}").unwrap();
            set.add(&out.join("b.md"), b"# b").unwrap();
            // The third target is a directory: the whole set fails.
            std::fs::create_dir(out.join("c.png")).unwrap();
            assert!(set.add(&out.join("c.png"), b"png").is_err());
            std::fs::remove_dir(out.join("c.png")).unwrap();
        }
        assert!(!out.join("a.json").exists() && !out.join("b.md").exists());
        assert!(!dir.path().join("new").exists(), "created folders are removed");
        let mut set = OutputSet::new(false);
        set.add(&out.join("a.json"), b"{}").unwrap();
        set.add(&out.join("b.md"), b"# b").unwrap();
        set.commit().unwrap();
        assert_eq!(std::fs::read(out.join("b.md")).unwrap(), b"# b");
        let names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }

    #[test]
    fn a_failed_commit_restores_what_it_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"old a").unwrap();
        let mut set = OutputSet::new(true);
        set.add(&a, b"new a").unwrap();
        set.add(&b, b"new b").unwrap();
        // `b` becomes a FIFO between staging and commit.
        rustix::fs::mkfifoat(rustix::fs::CWD, &b, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        assert!(set.commit().is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"old a");
    }
}
