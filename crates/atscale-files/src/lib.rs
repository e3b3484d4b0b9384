//! The files a user names, and the one policy for opening them.
//!
//! A tour, in the order a user meets it:
//!
//! - [`read_input`] opens an input (a netlist, an included file, a spec, a
//!   results table) under [`InputRules`]: only a regular file, or a pipe
//!   when the file was named on the command line; never a device, a FIFO
//!   that is not a pipe the user opened, a directory or a file of a pseudo
//!   file system (`/proc`, `/sys`); at most a limit of bytes; text only,
//!   and binary content is refused without being echoed.
//! - [`OutputSet`] writes one or several output files all-or-nothing: each
//!   is staged as a temporary file beside its target, and only when every
//!   one is written are they renamed into place. [`write_atomically`] is
//!   the one-file case. An existing file is replaced only with `force`, and
//!   nothing but a regular file is ever replaced.
//! - [`Lock`] holds an exclusive lock on an output while a long run writes
//!   it, so that two runs never write the same file.
//! - [`cache`]: atscale's own cache folder, which holds no user's file.
//!
//! Everything else in atscale that touches a user's file goes through here.
#![warn(missing_docs)]

pub mod cache;
mod error;
mod input;
mod lock;
mod output;

pub use error::{error_text, Error, Result};
pub use input::{read_bytes, read_input, InputRules, TextInput, DEFAULT_MAX_INPUT_BYTES};
pub use lock::Lock;
pub use output::{check_target, write_atomically, OutputSet};
