//! Writing to the terminal without ever panicking: a closed pipe on
//! standard output (`atscale summary x.cir | head -1`) ends the output
//! quietly; any other write error (a full disk behind `> file`) is an error
//! with a message, never a panic (`println!` panics on both).

use std::io::Write;

/// The marker error of a closed standard output: `main` exits 0 on it.
#[derive(Debug)]
pub struct ClosedPipe;

impl std::fmt::Display for ClosedPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for ClosedPipe {}

/// Writes `text` to standard output and flushes it.
///
/// # Errors
///
/// [`ClosedPipe`] when the reader went away; a message naming standard
/// output for any other failure.
pub fn out(text: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ClosedPipe.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

/// Writes `text` and a line break to standard error; a failure is ignored
/// (there is nowhere left to report it).
pub fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes()).and_then(|()| e.write_all(b"\n"));
}

/// `println!` that returns an error instead of panicking.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::console::out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that returns an error instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::out(&format!($($arg)*)) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::console::err(&format!($($arg)*)) };
}
