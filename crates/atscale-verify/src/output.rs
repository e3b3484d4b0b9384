//! Writing the user's output files: atomically, never overwriting without `force`.

use std::io::{Error, ErrorKind, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, then renamed over `path`. An existing file is replaced only
/// when `force` is set. The file gets ordinary permissions (0644).
///
/// # Errors
///
/// [`ErrorKind::AlreadyExists`] when `path` exists and `force` is not set
/// (also when it appears while writing), else the operating system's error;
/// the message names the file.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    let named = |e: Error| Error::new(e.kind(), format!("cannot write {}: {e}", path.display()));
    if path.exists() && !force {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("{} exists; pass --force to overwrite it", path.display()),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        Error::new(e.kind(), format!("cannot create a temporary file in {}: {e}", dir.display()))
    })?;
    tmp.write_all(bytes).map_err(named)?;
    tmp.as_file().sync_all().map_err(named)?;
    // Temporary files are private (0600); an output file is an ordinary one.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(named)?;
    }
    if force {
        tmp.persist(path).map_err(|e| named(e.error))?;
    } else {
        // Never replace a file that appeared since the check above.
        tmp.persist_noclobber(path).map_err(|e| {
            Error::new(
                e.error.kind(),
                format!("cannot write {}: {} (pass --force to overwrite it)", path.display(), e.error),
            )
        })?;
    }
    Ok(())
}
