//! atscale's own cache folder (compiled Verilog-A modules, technology
//! characterisations): `$XDG_CACHE_HOME/atscale/<kind>`, else
//! `$HOME/.cache/atscale/<kind>`. Nothing in it is a user's file: entries
//! are keyed by a hash of everything they depend on, written under a
//! temporary name and renamed into place, and a cache that cannot be read
//! or written is passed by (the work is done again).

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
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

/// The bytes of the cache entry `path`, at most `max_bytes`; `None` when it
/// is missing, larger, unreadable or not a regular file (opened without
/// blocking and checked on the open descriptor: a FIFO or a device put in
/// an entry's place is passed by, never read).
pub fn load(path: &Path, max_bytes: u64) -> Option<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.file_type().is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max_bytes).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_only_regular_files_are_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let entry = dir.path().join("kind").join("k.json");
        store(&entry, b"{}").expect("stored");
        assert_eq!(load(&entry, 10).as_deref(), Some(&b"{}"[..]));
        assert_eq!(load(&entry, 1), None, "over the limit");
        assert_eq!(load(dir.path(), 10), None, "a directory");
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, 0o600.into(), 0)
            .expect("mkfifo");
        // Without a writer a blocking open would hang here.
        assert_eq!(load(&fifo, 10), None, "a FIFO");
        assert_eq!(load(&dir.path().join("absent"), 10), None);
    }

    #[test]
    fn the_hash_separates_parts() {
        let basis = 0xcbf2_9ce4_8422_2325;
        assert_ne!(fnv1a(basis, &["ab", "c"]), fnv1a(basis, &["a", "bc"]));
        // FNV-1a of the empty string is the basis; of "a" then a zero byte, by hand.
        assert_eq!(fnv1a(basis, &[]), basis);
        let by_hand = [b'a', 0].iter().fold(basis, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
        assert_eq!(fnv1a(basis, &["a"]), by_hand);
    }
}
