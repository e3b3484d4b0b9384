//! Errors of opening, reading, writing and locking the user's files.

use std::path::PathBuf;

/// Result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a file could not be read, written or locked. Every message names
/// the file and never quotes the contents of a file that was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path names something other than a regular file (a directory, a
    /// device, a FIFO, a socket, a symbolic link for an output).
    #[error("{}: {what} is {kind}; atscale {rule}", .path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What the file was for (`the netlist`, `the output`, ...).
        what: String,
        /// `a directory`, `a character device`, ...
        kind: &'static str,
        /// The rule, as a phrase (`reads only regular files and pipes`).
        rule: &'static str,
    },
    /// A file of a pseudo file system (`/proc`, `/sys`, ...), whose size and
    /// contents are not those of a stored file.
    #[error(
        "{}: {what} is on a pseudo file system ({fs}); atscale reads only files stored on disk",
        .path.display()
    )]
    PseudoFile {
        /// The file.
        path: PathBuf,
        /// What the file was for.
        what: String,
        /// The file system (`procfs`, `sysfs`, ...).
        fs: &'static str,
    },
    /// The file is larger than the limit.
    #[error(
        "{}: {what} is larger than the limit of {limit_bytes} bytes; raise it with --max-input-bytes",
        .path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What the file was for.
        what: String,
        /// The limit, bytes.
        limit_bytes: u64,
    },
    /// The file holds binary data (NUL bytes), so it is not text.
    #[error("{}: {what} is not a text file ({detail}); its contents are not shown", .path.display())]
    Binary {
        /// The file.
        path: PathBuf,
        /// What the file was for.
        what: String,
        /// What was found (`NUL bytes`, `UTF-16 text`).
        detail: &'static str,
    },
    /// An output exists and `force` was not given.
    #[error("{} exists; pass --force to overwrite it", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Another process holds the lock of an output.
    #[error(
        "{} is being written by another atscale run (it holds {}); wait for it to finish",
        .path.display(), .lock.display()
    )]
    Locked {
        /// The output.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The operating system refused.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done (`read`, `write`, `create a temporary file in`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The error as a `std::io::Error` of the nearest kind, message kept.
    pub fn into_io(self) -> std::io::Error {
        use std::io::ErrorKind as K;
        let kind = match &self {
            Error::Io { source, .. } => source.kind(),
            Error::Exists { .. } => K::AlreadyExists,
            Error::Locked { .. } => K::WouldBlock,
            Error::TooLarge { .. } => K::FileTooLarge,
            Error::Binary { .. } => K::InvalidData,
            Error::NotRegular { .. } | Error::PseudoFile { .. } => K::InvalidInput,
        };
        std::io::Error::new(kind, self.to_string())
    }
}

pub(crate) fn io<'a>(
    action: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io { action, path: path.to_path_buf(), source }
}

/// The text a user is shown for an error: its message and each cause,
/// a cause added only when the message so far does not already say it
/// (library errors often print their source). The CLI prints it after
/// `error: `; the Python package raises it.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cause = c.source();
    }
    msg
}
