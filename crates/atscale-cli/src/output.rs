//! Writing the user's output files: atomically, all-or-nothing, never
//! overwriting without `--force` and never anything but a regular file (the
//! rule lives in [`atscale_files`]).

use std::path::{Path, PathBuf};

use anyhow::Result;

/// Writes `bytes` to `path` atomically; an existing regular file is
/// replaced only when `force` is set.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    Ok(atscale_files::write_atomically(path, bytes, force)?)
}

/// Writes several files all-or-nothing: every target is checked, every file
/// staged, and only then are they renamed into place.
pub fn write_all(files: &[(PathBuf, &[u8])], force: bool) -> Result<()> {
    let mut set = atscale_files::OutputSet::new(force);
    for (path, _) in files {
        set.check(path)?;
    }
    for (path, bytes) in files {
        set.add(path, bytes)?;
    }
    Ok(set.commit()?)
}
