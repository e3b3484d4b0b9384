//! Errors of the run layer.

/// Result of this crate's fallible operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while running sweeps and evidence.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The designer failed (a spec, a design, a landscape).
    #[error(transparent)]
    Design(#[from] atscale_design::Error),
    /// The circuit is invalid.
    #[error(transparent)]
    Circuit(#[from] atscale_circuit::Error),
    /// A verification or engine run failed.
    #[error(transparent)]
    Verify(#[from] atscale_verify::Error),
    /// A netlist could not be written or read.
    #[error(transparent)]
    Spice(#[from] atscale_spice::Error),
    /// A sweep file that cannot be read: its file, line and the problem.
    #[error("{file}{}: {message}", at_line(*.line))]
    Spec {
        /// The file's name (as given).
        file: String,
        /// The 1-based line of the problem (0: the file as a whole).
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read the sweep`, `write the results`, ...).
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file of the user's that may not or cannot be read or written
    /// (see `atscale_files`): a device, a pseudo file, too large, binary, an
    /// output that exists, an output another run holds.
    #[error(transparent)]
    File(#[from] atscale_files::Error),
    /// The run was interrupted (Ctrl-C, SIGTERM); what was computed is kept.
    #[error("interrupted; what was computed is kept in {}: continue with --resume", .partial.display())]
    Interrupted {
        /// The partial results file.
        partial: std::path::PathBuf,
    },
    /// A run held in memory was interrupted: nothing is kept.
    #[error("interrupted; the points computed in memory are dropped")]
    Cancelled,
    /// A results table that cannot be read or joined: its file, line and the problem.
    #[error("{file}{}: {message}", at_line(*.line))]
    Table {
        /// The table's file name (as given).
        file: String,
        /// The 1-based line of the problem (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A technology that cannot be loaded or cannot do what is asked (a PDK
    /// that is not installed, no statistical library section).
    #[error("{0}")]
    Technology(String),
    /// A run's raw file passed the limit of the data read back.
    #[error(
        "the simulator wrote a raw file of {} for {name}, above the limit of {}; shorten the run \
         (realise: --tstop-model) or lengthen its largest step (--max-step-model)",
        atscale_circuit::units::si(*.bytes as f64, "B"),
        atscale_circuit::units::si(*.limit_bytes as f64, "B")
    )]
    RawTooLarge {
        /// The run's netlist name.
        name: String,
        /// The raw file's size, bytes.
        bytes: u64,
        /// The limit, bytes.
        limit_bytes: u64,
    },
    /// An option of a request that the realisation cannot honour.
    #[error("{option}: {message}")]
    Request {
        /// The option (`--cancel-follower-offsets`).
        option: &'static str,
        /// Why, with what would do.
        message: String,
    },
    /// A measurement in the simulator (ngspice or VACASK) gave less than it needs.
    #[error("{what}: the simulator gave no {missing}")]
    Measurement {
        /// The measurement (`the trim measurement`, `the mirror bank`).
        what: &'static str,
        /// What is missing (`a transient plot`, `time points`).
        missing: &'static str,
    },
}

/// `:LINE`, or nothing for an error about the file as a whole (line 0).
fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
