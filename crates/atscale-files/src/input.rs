//! Which inputs atscale opens, and how much of them it reads.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{io, Error, Result};

/// Default [`InputRules::max_bytes`]: 16 MiB, six times the largest model
/// library section in use (sky130's `tt` corner expands to 2.6 MB of cards
/// in 64,000 lines), and small enough that the parsed form of any file
/// within it stays well under 1 GiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 16 << 20;

/// What [`read_input`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRules {
    /// Largest file read, bytes (default [`DEFAULT_MAX_INPUT_BYTES`]).
    pub max_bytes: u64,
    /// Whether a pipe is accepted besides a regular file: true for a file
    /// the user named on the command line (`<(cat x.cir)`, `/dev/stdin`),
    /// false for a file named inside another file (an `.include`), which
    /// must be a regular file. Default false.
    pub allow_pipe: bool,
}

impl Default for InputRules {
    fn default() -> Self {
        InputRules { max_bytes: DEFAULT_MAX_INPUT_BYTES, allow_pipe: false }
    }
}

impl InputRules {
    /// The rules for a file named on the command line: pipes accepted.
    pub fn named(max_bytes: u64) -> Self {
        InputRules { max_bytes, allow_pipe: true }
    }

    /// The rules for a file named inside another file: regular files only.
    pub fn included(max_bytes: u64) -> Self {
        InputRules { max_bytes, allow_pipe: false }
    }
}

/// A text file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextInput {
    /// The text. A UTF-8 byte order mark at the start is removed.
    pub text: String,
    /// The file was not UTF-8 and was read as Latin-1 (every byte one
    /// character): the line (from 1) of its first byte that is not UTF-8.
    /// Worth a warning, since non-ASCII characters then differ from what an
    /// editor may show.
    pub latin1: Option<usize>,
}

/// Opens `path` under `rules` and reads it as text. `what` names the file's
/// role in messages (`the netlist`, `the included file`).
///
/// The file is opened without blocking (a FIFO with no writer cannot hang
/// the open) and checked on the open descriptor, so it cannot be swapped
/// between the check and the read.
///
/// # Errors
///
/// [`Error::NotRegular`] for a directory, device, socket, or a FIFO/pipe
/// when `rules.allow_pipe` is false; [`Error::PseudoFile`] on `/proc`,
/// `/sys` and similar; [`Error::TooLarge`] past `rules.max_bytes`;
/// [`Error::Binary`] for NUL bytes (UTF-16 included); [`Error::Io`].
pub fn read_input(path: &Path, what: &str, rules: &InputRules) -> Result<TextInput> {
    decode(read_bytes(path, what, rules)?, path, what)
}

/// Reads a binary file a user names (a Parquet table) under the same rules
/// as [`read_input`], without decoding it as text.
///
/// # Errors
///
/// As [`read_input`], except that binary content is accepted.
pub fn read_bytes(path: &Path, what: &str, rules: &InputRules) -> Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(path)
        .map_err(io("open", path))?;
    let meta = file.metadata().map_err(io("inspect", path))?;
    let ft = meta.file_type();
    let rule =
        if rules.allow_pipe { "reads only regular files and pipes" } else { "includes only regular files" };
    let not_regular =
        |kind| Error::NotRegular { path: path.to_path_buf(), what: what.to_string(), kind, rule };
    if ft.is_dir() {
        return Err(not_regular("a directory"));
    } else if ft.is_char_device() {
        return Err(not_regular("a character device"));
    } else if ft.is_block_device() {
        return Err(not_regular("a block device"));
    } else if ft.is_socket() {
        return Err(not_regular("a socket"));
    } else if ft.is_fifo() {
        if !rules.allow_pipe {
            return Err(not_regular("a FIFO (named pipe)"));
        }
        // Back to blocking reads: a pipe with a writer is read to its end;
        // one without a writer reads as empty at once.
        rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::empty()).map_err(|e| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source: e.into(),
        })?;
    } else if let Some(fs) = pseudo_file_system(&file) {
        return Err(Error::PseudoFile { path: path.to_path_buf(), what: what.to_string(), fs });
    }
    read_capped(file, path, what, rules.max_bytes)
}

fn read_capped(file: File, path: &Path, what: &str, max_bytes: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(io("read", path))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            what: what.to_string(),
            limit_bytes: max_bytes,
        });
    }
    Ok(bytes)
}

fn decode(mut bytes: Vec<u8>, path: &Path, what: &str) -> Result<TextInput> {
    let binary = |detail| Error::Binary { path: path.to_path_buf(), what: what.to_string(), detail };
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(binary("UTF-16 text; save it as UTF-8"));
    }
    if bytes.contains(&0) {
        return Err(binary("NUL bytes"));
    }
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(TextInput { text, latin1: None }),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
            let text = bytes.iter().map(|&b| char::from(b)).collect();
            Ok(TextInput { text, latin1: Some(line) })
        }
    }
}

/// The name of the pseudo file system `file` is on, if it is on one.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pseudo_file_system(file: &File) -> Option<&'static str> {
    let st = rustix::fs::fstatfs(file).ok()?;
    // f_type is signed on some targets; the magic numbers are 32-bit.
    let magic = (st.f_type as i64 as u64) & 0xffff_ffff;
    Some(match magic {
        0x9fa0 => "procfs",
        0x6265_6572 => "sysfs",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0x0027_e0eb => "cgroupfs",
        0x6367_7270 => "cgroup2fs",
        0x6165_676c => "pstorefs",
        0xde5e_81e4 => "efivarfs",
        0x6265_6570 => "configfs",
        0xcafe_4a11 => "bpffs",
        0x0000_1cd1 => "devpts",
        0x4249_4e4d => "binfmt_misc",
        0x6573_5543 => "fusectl",
        _ => return None,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pseudo_file_system(_file: &File) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn reads_text_and_strips_a_bom() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.cir");
        std::fs::write(&p, b"\xef\xbb\xbft\nR1 a 0 1k\n").unwrap();
        let t = read_input(&p, "the netlist", &InputRules::default()).unwrap();
        assert_eq!(t.text, "t\nR1 a 0 1k\n");
        assert_eq!(t.latin1, None);
    }

    #[test]
    fn latin1_is_read_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.cir");
        std::fs::write(&p, b"t\n* 10 \xb5A\n").unwrap();
        let t = read_input(&p, "the netlist", &InputRules::default()).unwrap();
        assert_eq!(t.text, "t\n* 10 \u{b5}A\n");
        // The first byte that is not UTF-8 is on line 2.
        assert_eq!(t.latin1, Some(2));
    }

    #[test]
    fn refuses_devices_directories_pseudo_files_and_binary() {
        let r = InputRules::default();
        let e = read_input(Path::new("/dev/zero"), "the included file", &r).unwrap_err();
        assert!(matches!(e, Error::NotRegular { kind: "a character device", .. }), "{e}");
        let e = read_input(Path::new("/"), "the netlist", &r).unwrap_err();
        assert!(matches!(e, Error::NotRegular { kind: "a directory", .. }), "{e}");
        let e = read_input(Path::new("/proc/self/environ"), "the included file", &r).unwrap_err();
        assert!(matches!(e, Error::PseudoFile { fs: "procfs", .. }), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bin");
        std::fs::write(&p, b"SECRET=1\0OTHER=2\0").unwrap();
        let e = read_input(&p, "the included file", &r).unwrap_err();
        assert!(matches!(e, Error::Binary { .. }));
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }

    #[test]
    fn a_fifo_is_refused_as_an_include_and_empty_without_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &p, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let e = read_input(&p, "the included file", &InputRules::default()).unwrap_err();
        assert!(matches!(e, Error::NotRegular { kind: "a FIFO (named pipe)", .. }), "{e}");
        // Named on the command line with no writer: read as empty at once, no hang.
        let t = read_input(&p, "the netlist", &InputRules::named(1024)).unwrap();
        assert_eq!(t.text, "");
    }

    #[test]
    fn stops_reading_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'*'; 2000]).unwrap();
        let e = read_input(&p, "the netlist", &InputRules::named(1000)).unwrap_err();
        assert!(matches!(e, Error::TooLarge { limit_bytes: 1000, .. }), "{e}");
        assert!(e.to_string().contains("--max-input-bytes"));
    }
}
