//! atscale's own cache folder (compiled Verilog-A modules, technology
//! characterisations): `$XDG_CACHE_HOME/atscale/<kind>`, else
//! `$HOME/.cache/atscale/<kind>`. Nothing in it is a user's file: entries
//! are keyed by a hash of everything they depend on, written under a
//! temporary name and renamed into place, and a cache that cannot be read
//! or written is passed by (the work is done again).

use std::path::{Path, PathBuf};

/// The cache folder for entries of `kind`; `None` when neither
/// `XDG_CACHE_HOME` nor `HOME` is set.
pub fn cache_dir(kind: &str) -> Option<PathBuf> {
    let base =
        std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("atscale").join(kind))
}

/// 64-bit FNV-1a of `parts` (each followed by a zero byte), from `seed`
/// (the FNV offset basis `0xcbf2_9ce4_8422_2325` for a fresh hash).
pub fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
    parts
        .iter()
        .flat_map(|p| p.bytes().chain([0]))
        .fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Writes `bytes` to the cache entry `path` (creating its folder) under a
/// temporary name renamed into place, so that a reader never sees half an
/// entry.
///
/// # Errors
///
/// The I/O error of creating the folder, writing or renaming.
pub fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map(|_| ()).map_err(|e| e.error)
}
