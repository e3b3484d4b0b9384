//! Writing the user's output files: atomically, never overwriting without `--force`
//! (the rule lives in [`atscale_verify::output`]).

use std::path::Path;

use anyhow::Result;

/// Writes `bytes` to `path` atomically; an existing file is replaced only
/// when `force` is set.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    Ok(atscale_verify::output::write_atomically(path, bytes, force)?)
}
