//! Errors of the verifier: simulator failures, raw-file problems and lookups.

use std::path::PathBuf;

/// What every simulator failure carries: the netlist, the exit status and the
/// end of stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    /// Netlist path as the user named it.
    pub path: PathBuf,
    /// Exit status of the simulator as text (`exit status: 1`, `signal: 9 (SIGKILL)`).
    pub status: String,
    /// The last (at most 20) non-empty lines of stderr.
    pub stderr_tail: String,
}

impl RunContext {
    fn tail(&self) -> String {
        if self.stderr_tail.is_empty() {
            "stderr was empty".to_string()
        } else {
            format!("stderr ends with:\n{}", self.stderr_tail)
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while running a simulator or reading its output.
///
/// Simulator failures carry the netlist path (as the user named it), the exit
/// status, the last lines of ngspice's stderr and the cause ngspice reported
/// (time, node, line), so a person can act without rerunning anything.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `ngspice` could not be started.
    #[error("ngspice not found on PATH ({program}: {source}); run scripts/install-ngspice.sh")]
    NgspiceNotFound {
        /// Program that was tried.
        program: PathBuf,
        /// Why starting it failed.
        source: std::io::Error,
    },

    /// `ATSCALE_NGSPICE_THREADS` is not a number of threads.
    #[error(
        "{var} = `{value}`: expected a whole number of threads from 1 to {max} (the OpenMP threads of each \
         ngspice run)"
    )]
    BadThreads {
        /// The variable's name.
        var: &'static str,
        /// Its value as set.
        value: String,
        /// The most threads accepted.
        max: u32,
    },

    /// `ngspice -v` answered something without a recognisable version.
    #[error("could not read the ngspice version from the output of `{program} -v`: {output:?}")]
    VersionUnrecognised {
        /// Program that was asked.
        program: PathBuf,
        /// The first lines of its answer.
        output: String,
    },

    /// A file or directory operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done ("write the run deck", "read the raw file", ...).
        action: &'static str,
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },

    /// The simulator ran longer than the allowed time; its whole process group was killed.
    #[error("ngspice did not finish {} within {seconds} s and was killed; {}", run.path.display(), run.tail())]
    Timeout {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// Timeout that was exceeded, in seconds.
        seconds: f64,
    },

    /// ngspice rejected the netlist (syntax error, unknown model or function, bad card).
    #[error(
        "ngspice rejected {}{}: {message} ({}); {}",
        run.path.display(),
        match (file, line) {
            (Some(f), Some(l)) => format!(" at {f}:{l}"),
            _ => String::new(),
        } + &text.as_ref().map(|t| format!(" (`{t}`)")).unwrap_or_default(),
        run.status,
        run.tail()
    )]
    NetlistRejected {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// The file of the line ngspice named (the netlist or an included file).
        file: Option<String>,
        /// 1-based line in `file`, if ngspice named one.
        line: Option<usize>,
        /// The offending line as written (at most 200 characters).
        text: Option<String>,
        /// ngspice's explanation.
        message: String,
    },

    /// The transient analysis gave up with "Timestep too small".
    #[error(
        "ngspice aborted {}: timestep too small{}{}{} ({}); {}",
        run.path.display(),
        time_s.map(|t| format!(" at t = {t:e} s")).unwrap_or_else(|| " at the initial time point".into()),
        timestep_s.map(|h| format!(" (step {h:e} s)")).unwrap_or_default(),
        trouble.as_ref().map(|n| format!(", trouble with {n}")).unwrap_or_default(),
        run.status,
        run.tail()
    )]
    TimestepTooSmall {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// Simulation time of the failure in seconds; `None` when ngspice failed at the initial time point.
        time_s: Option<f64>,
        /// Last attempted step in seconds.
        timestep_s: Option<f64>,
        /// What ngspice blamed, e.g. `node "x"`.
        trouble: Option<String>,
    },

    /// The circuit matrix was singular (a floating node or a loop of voltage sources).
    #[error(
        "ngspice found a singular matrix in {} (check node {node}){} ({}); {}",
        run.path.display(),
        if *recovered { "; it recovered by gmin/source stepping, but the node is ill-defined" } else { "" },
        run.status,
        run.tail()
    )]
    SingularMatrix {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// Node (or branch) ngspice named.
        node: String,
        /// Whether ngspice nevertheless completed the run.
        recovered: bool,
    },

    /// ngspice reported that the simulation was aborted, without a more specific cause.
    #[error("ngspice aborted the simulation of {} ({}); {}", run.path.display(), run.status, run.tail())]
    Aborted {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
    },

    /// The run ended before the requested stop time.
    #[error(
        "ngspice stopped {} at t = {last_time_s:e} s before tstop = {tstop_s:e} s ({}); {}",
        run.path.display(),
        run.status,
        run.tail()
    )]
    Incomplete {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// Last time point written, in seconds.
        last_time_s: f64,
        /// Requested stop time, in seconds.
        tstop_s: f64,
    },

    /// ngspice wrote no raw file (or an empty one).
    #[error("ngspice wrote no raw file for {} ({}); {}", run.path.display(), run.status, run.tail())]
    NoOutput {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
    },

    /// The netlist has no `.tran` card although the runner needs one.
    #[error("{path} has no .tran card; the runner needs one to set the maximum step and the stop time")]
    NoTranCard {
        /// Netlist path.
        path: PathBuf,
    },

    /// A run option is out of range.
    #[error("invalid run option {name} = {value}: {reason}")]
    BadOption {
        /// Option name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// Why it is refused.
        reason: &'static str,
    },

    /// A raw file header line is malformed.
    #[error("{path}: raw file header line {line} `{text}`: {reason}")]
    RawHeader {
        /// Raw file.
        path: PathBuf,
        /// 1-based line number within the file.
        line: usize,
        /// The line (lossily decoded, shortened).
        text: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// A value in an ASCII raw file does not parse.
    #[error("{path}: raw file value `{text}` of point {point} is not a number")]
    RawValue {
        /// Raw file.
        path: PathBuf,
        /// 0-based point index.
        point: usize,
        /// The token.
        text: String,
    },

    /// A raw file's scale (time) is not finite, or goes back in a transient.
    #[error("{path}: raw file plot `{plot}`: the scale value {value} of point {point} {reason}")]
    RawScale {
        /// Raw file.
        path: PathBuf,
        /// Plot name.
        plot: String,
        /// 0-based point index.
        point: usize,
        /// The value.
        value: f64,
        /// What is wrong.
        reason: &'static str,
    },

    /// The raw file contains no plot at all.
    #[error("{path}: no plot found in the raw file ({len} bytes)")]
    RawEmpty {
        /// Raw file.
        path: PathBuf,
        /// File length in bytes.
        len: usize,
    },

    /// A requested signal is not in the plot.
    #[error("signal `{name}` is not in plot `{plot}`; available: {}", available.join(", "))]
    MissingSignal {
        /// Name asked for.
        name: String,
        /// Plot name.
        plot: String,
        /// Variables the plot has.
        available: Vec<String>,
    },

    /// The raw file has no transient plot.
    #[error("no transient analysis plot in the output of {path}; plots: {}", plots.join(", "))]
    NoTransientPlot {
        /// Netlist path.
        path: PathBuf,
        /// Plot names found.
        plots: Vec<String>,
    },

    /// An initial row has the wrong length or a time not before the first point.
    #[error("initial row for plot `{plot}` has {got} values at t = {time_s:e} s; expected {expected} values and a time before the first point")]
    BadInitialRow {
        /// Plot name.
        plot: String,
        /// Values given.
        got: usize,
        /// Values expected (one per variable, the scale included).
        expected: usize,
        /// Time given, in seconds.
        time_s: f64,
    },

    /// The netlist could not be read or parsed.
    #[error(transparent)]
    Netlist(#[from] atscale_spice::Error),

    /// The netlist's circuit is invalid.
    #[error("{}: {source}", path.display())]
    Circuit {
        /// Netlist path.
        path: PathBuf,
        /// The problems found.
        source: atscale_circuit::Error,
    },

    /// The native solver failed.
    #[error("native engine on {}: {source}", path.display())]
    Native {
        /// Netlist path.
        path: PathBuf,
        /// What the solver reported (time, step, residual, node).
        source: atscale_sim::Error,
    },

    /// The netlist has no element and no instance.
    #[error("{} has no elements: nothing to simulate (is it a netlist?)", path.display())]
    EmptyNetlist {
        /// Netlist path.
        path: PathBuf,
    },

    /// Neither the netlist nor the options give a stop time.
    #[error("{} has no .tran line; give the stop time explicitly", path.display())]
    NoStopTime {
        /// Netlist path.
        path: PathBuf,
    },

    /// A run would pass one of its limits ([`crate::limits::Limits`]).
    #[error("{what} would be {found:.4e}, more than the limit of {limit:.4e}; raise it with {flag}")]
    Limit {
        /// What is counted.
        what: &'static str,
        /// The count.
        found: f64,
        /// The limit.
        limit: f64,
        /// The command-line option that raises it.
        flag: &'static str,
    },

    /// The run was interrupted (Ctrl-C or SIGTERM); its simulator was killed.
    #[error("interrupted")]
    Interrupted,

    /// ngspice wrote more waveform data than the limit.
    #[error(
        "ngspice wrote a raw file of {bytes} bytes for {}, above the limit of {limit_bytes} bytes; \
         raise it with --max-memory or save fewer signals",
        run.path.display()
    )]
    RawTooLarge {
        /// Netlist, exit status and stderr tail.
        run: Box<RunContext>,
        /// Size of the raw file.
        bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },

    /// The circuit holds elements spice21 cannot simulate.
    #[error("spice21 cannot simulate this circuit: {}", items.iter().map(|u| u.reason.as_str()).collect::<Vec<_>>().join("; "))]
    Spice21Unsupported {
        /// Every element out of its reach, with why.
        items: Vec<crate::spice21::Unsupported>,
    },

    /// spice21 panicked; the panic was caught.
    #[error("spice21 panicked: {message}{}", if console.is_empty() { String::new() } else { format!("; it printed:\n{console}") })]
    Spice21Panic {
        /// The panic message.
        message: String,
        /// The last lines spice21 printed.
        console: String,
    },

    /// spice21 returned an error (no convergence, singular matrix, ...).
    #[error("spice21 failed{} with step {step_s:e} s: {message}{}", time_s.map(|t| format!(" at t = {t:e} s")).unwrap_or_default(), if console.is_empty() { String::new() } else { format!("; it printed:\n{console}") })]
    Spice21Failed {
        /// spice21's message.
        message: String,
        /// Time of the failing step, s, when spice21 printed it.
        time_s: Option<f64>,
        /// Fixed step, s.
        step_s: f64,
        /// The last lines spice21 printed.
        console: String,
    },

    /// VACASK or its Verilog-A compiler `openvaf-r` failed: what failed,
    /// the deck line VACASK named, its message, exit status and last output
    /// lines ([`crate::vacask::VacaskError`]).
    #[error(transparent)]
    Vacask(Box<crate::vacask::VacaskError>),

    /// spice21's console output could not be captured (stdout or stderr already redirected).
    #[error("could not capture spice21's console output: {source}")]
    Spice21Capture {
        /// Why the redirection failed.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether atscale could not read or accept the netlist's circuit (a
    /// construct its parser or validator does not know) though the file
    /// itself was read within the limits: ngspice may still run it.
    pub fn is_unreadable_circuit(&self) -> bool {
        match self {
            Error::Netlist(e) => {
                !matches!(e, atscale_spice::Error::Input(_) | atscale_spice::Error::ControlRefused { .. })
            }
            Error::Circuit { source, .. } => matches!(source, atscale_circuit::Error::Invalid(_)),
            Error::EmptyNetlist { .. } => true,
            _ => false,
        }
    }
}
