//! The ngspice engine: version detection, run decks, process control and failure
//! classification.
//!
//! [`NgspiceRunner::detect`] runs `ngspice` from `PATH`, or the executable
//! the environment variable `ATSCALE_NGSPICE` names ([`default_program`]),
//! such as `scripts/ngspice45.mjs` (ngspice 45.2 as WebAssembly, which needs
//! `--max-engine-memory 32G`: Node reserves about 22 GiB of address space).
//!
//! [`NgspiceRunner::run`] takes a [`Deck`] (the netlist with its includes
//! already expanded by `atscale-spice`), writes it into a fresh temporary
//! directory and runs `ngspice -n -b -r out.raw deck.cir` there, in its own
//! process group and a cleared environment (see below), reading stdout and
//! stderr on threads (the first and last MiB of each are kept), polling for
//! completion and, past the timeout or on an interruption, killing the whole
//! process group with `SIGKILL`.
//!
//! # No command reaches ngspice unless allowed
//! A netlist is code for ngspice. The deck refuses (unless
//! [`RunOptions::allow_control`]) every route by which ngspice runs
//! commands from a deck: `.control` blocks, `*#` lines and a first line
//! `*ng_script`, in the netlist and in every file it includes
//! ([`atscale_spice::deck`]). ngspice reads no file of the user's: the deck
//! is self-contained and runs in an empty temporary folder. The init files
//! are closed too: `-n` skips `.spiceinit` (current folder and home), `HOME`
//! points at the empty folder, and the environment is cleared (so
//! `SPICE_SCRIPTS`, `SPICE_LIB_DIR` and `NGSPICE_INPUT_DIR` cannot redirect
//! the system `spinit` or the input path); only the installed system
//! `spinit`, part of ngspice itself, runs.
//!
//! ngspice's exit code does not report a failed transient (it is 0 after
//! "Timestep too small ... aborted" in some cases and 1 after a successful deck
//! whose `.control` lacks `quit`), so success is decided from the messages and the
//! raw file, in this order (messages as printed by ngspice 39.3, see
//! `tests/fixtures/failures/`):
//!
//! | message | error |
//! |---|---|
//! | `Error on line N or its substitute:` / `circuit not parsed` | [`Error::NetlistRejected`] (line N mapped back to its file) |
//! | `... at line N` then `fatal error in ngspice` (45.2, `tests/fixtures/ngspice45/`) | [`Error::NetlistRejected`] (likewise) |
//! | `Warning: singular matrix:  check node X` | [`Error::SingularMatrix`] |
//! | `Timestep too small; time = T, timestep = H: trouble with node "X"` | [`Error::TimestepTooSmall`] |
//! | `simulation(s) aborted` | [`Error::Aborted`] |
//! | no raw file / no transient plot | [`Error::NoOutput`] / [`Error::NoTransientPlot`] |
//! | last time point before tstop | [`Error::Incomplete`] |
//!
//! # Maximum step
//! ngspice's event-time accuracy is set by its maximum step TMAX (see
//! `docs/ngspice-notes.md`; reltol barely matters). The runner rewrites the `.tran`
//! card (read by [`Deck::tran`], the one `.tran` reader) to set TMAX, choosing
//! in this order: [`RunOptions::max_step_s`]
//! ([`MaxStepSource::Explicit`]), the netlist's own TMAX
//! ([`MaxStepSource::FromNetlist`]), [`RunOptions::event_accuracy_s`] times
//! [`TMAX_PER_EVENT_ACCURACY`] ([`MaxStepSource::DerivedFromAccuracy`]), else
//! ngspice's default `min(TSTEP, (TSTOP − TSTART)/50)`
//! ([`MaxStepSource::NgspiceDefault`], left unwritten). The line count of the deck
//! is preserved so ngspice's line numbers map back to the user's files.
//!
//! # Threads
//! Each run takes one OpenMP thread (`.options num_threads=1` before the
//! deck's `.end`: the lines before it keep their numbers;
//! [`atscale_spice::deck::with_threads`] says why), or as many as
//! [`THREADS_VAR`] asks; a deck that sets `num_threads` itself keeps its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_spice::{Deck, Tran};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, RunContext};
use crate::interrupt::Scratch;
use crate::process::{self, tail, Ended, Finished};
use crate::raw::{Plot, RawFile};

/// Ratio TMAX / requested event accuracy used when the accuracy is given but no
/// maximum step is.
///
/// Measured on the FitzHugh-Nagumo reference (period 39.47 s, 10 events to 400 s,
/// `tests/fixtures/accuracy/measure_tmax.py`, results in `tmax_results.md`): the
/// largest event-time error over the 10 events was 0.04–0.1 × TMAX for
/// TMAX ≤ 0.1 s, but is not monotone in TMAX at coarse steps (1.3 × TMAX at
/// TMAX = 0.2 s, 2.4 × TMAX at TMAX = 1 s). `TMAX = accuracy / 4` keeps every
/// measured point inside the requested accuracy; the error grows with the event
/// index, so long runs need the halving check.
pub const TMAX_PER_EVENT_ACCURACY: f64 = 0.25;

/// Default run timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Timeout of `ngspice -v`.
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

/// Default [`RunOptions::max_raw_bytes`]: 256 MiB of raw file (read whole,
/// then held as columns of the same size).
pub const DEFAULT_MAX_RAW_BYTES: u64 = 256 << 20;

/// Default limit of ngspice's address space: 4 GiB (a 262,144-device BSIM4
/// netlist of 884 bytes grew ngspice to 1.7 GB resident).
pub const DEFAULT_MAX_ENGINE_MEMORY: u64 = 4 << 30;

/// ngspice's version, e.g. 39.3 or 42.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NgspiceVersion {
    /// Major version (39, 42, 45, ...).
    pub major: u32,
    /// Minor version (0 when absent).
    pub minor: u32,
}

impl std::fmt::Display for NgspiceVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl NgspiceVersion {
    /// Parses the answer of `ngspice -v` (`** ngspice-39 : Circuit level ...`,
    /// `ngspice-39.3`, `ngspice-45.2 : ...`).
    pub fn parse(output: &str) -> Option<Self> {
        let idx = output.to_ascii_lowercase().find("ngspice-")?;
        let rest = output.get(idx + "ngspice-".len()..)?;
        let num: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        let mut parts = num.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(Self { major, minor })
    }

    /// Whether this version writes the raw-file `Command:` header line and KLU (42+).
    pub fn is_42_or_later(&self) -> bool {
        self.major >= 42
    }
}

/// Where the maximum step came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaxStepSource {
    /// Given by the caller ([`RunOptions::max_step_s`], the CLI's `--max-step`).
    Explicit {
        /// TMAX the netlist had and that was replaced, in seconds.
        replaced_netlist_value_s: Option<f64>,
    },
    /// The netlist's `.tran` card had one.
    FromNetlist,
    /// Derived from the requested event accuracy.
    DerivedFromAccuracy {
        /// Requested event accuracy, in seconds.
        event_accuracy_s: f64,
        /// TMAX / accuracy ratio ([`TMAX_PER_EVENT_ACCURACY`]).
        factor: f64,
    },
    /// Nothing was given: ngspice's own default `min(TSTEP, span/50)` (not written into the deck).
    NgspiceDefault,
}

/// The maximum step used and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaxStepChoice {
    /// TMAX in seconds.
    pub value_s: f64,
    /// Where it came from.
    pub source: MaxStepSource,
}

impl MaxStepChoice {
    /// The maximum step of a stepping engine (ngspice, VACASK), in this
    /// order: `explicit` (`--max-step`), the `netlist`'s, `factor` times the
    /// requested event accuracy, else ngspice's default `default_tmax_s`.
    pub fn choose(
        explicit: Option<f64>,
        netlist: Option<f64>,
        event_accuracy_s: Option<f64>,
        factor: f64,
        default_tmax_s: f64,
    ) -> MaxStepChoice {
        match (explicit, netlist, event_accuracy_s) {
            (Some(v), replaced, _) => MaxStepChoice {
                value_s: v,
                source: MaxStepSource::Explicit { replaced_netlist_value_s: replaced },
            },
            (None, Some(v), _) => MaxStepChoice { value_s: v, source: MaxStepSource::FromNetlist },
            (None, None, Some(acc)) => MaxStepChoice {
                value_s: acc * factor,
                source: MaxStepSource::DerivedFromAccuracy { event_accuracy_s: acc, factor },
            },
            (None, None, None) => {
                MaxStepChoice { value_s: default_tmax_s, source: MaxStepSource::NgspiceDefault }
            }
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Expected stop time in seconds, checked against the last time point;
    /// `None` takes TSTOP from the `.tran` card (or from `tstop_override_s`).
    pub tstop_s: Option<f64>,
    /// Stop time in seconds that replaces the `.tran` card's TSTOP (the card
    /// is rewritten). Default `None`: the card's.
    pub tstop_override_s: Option<f64>,
    /// Wall-clock limit; the process group is killed past it. Default [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// Maximum step in seconds, overriding the netlist's. Default `None`.
    pub max_step_s: Option<f64>,
    /// Requested event-time accuracy in seconds, used to derive TMAX when neither
    /// `max_step_s` nor the netlist gives one. Default `None`.
    pub event_accuracy_s: Option<f64>,
    /// Accept a run during which ngspice warned about a singular matrix but
    /// recovered (gmin/source stepping). Default `false`: such a node is ill-defined.
    pub accept_recovered_singular: bool,
    /// Let ngspice run the deck's commands (`.control` blocks, `*#` lines,
    /// `*ng_script`). Default `false`: such a deck is refused.
    pub allow_control: bool,
    /// Largest raw file read, bytes. Default [`DEFAULT_MAX_RAW_BYTES`].
    pub max_raw_bytes: u64,
    /// ngspice's address space, bytes (`RLIMIT_AS`): a small netlist can
    /// expand to millions of devices. Default [`DEFAULT_MAX_ENGINE_MEMORY`].
    pub max_engine_memory_bytes: u64,
    /// The `.tran` as atscale's parser read it (times in braces evaluated
    /// with the netlist's parameters). Default `None`: read from the deck,
    /// which needs numbers.
    pub tran: Option<Tran>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            tstop_s: None,
            tstop_override_s: None,
            timeout: DEFAULT_TIMEOUT,
            max_step_s: None,
            event_accuracy_s: None,
            accept_recovered_singular: false,
            allow_control: false,
            max_raw_bytes: DEFAULT_MAX_RAW_BYTES,
            max_engine_memory_bytes: DEFAULT_MAX_ENGINE_MEMORY,
            tran: None,
        }
    }
}

/// A successful ngspice run.
#[derive(Debug, Clone)]
pub struct NgspiceRun {
    /// All plots of the raw file.
    pub raw: RawFile,
    /// Index of the transient plot in `raw.plots`.
    pub transient: usize,
    /// ngspice version that ran.
    pub version: NgspiceVersion,
    /// Maximum step used.
    pub max_step: MaxStepChoice,
    /// The deck as run (after the `.tran` rewrite).
    pub deck: String,
    /// Wall time of the ngspice process, in seconds.
    pub wall_time_s: f64,
    /// Exit status as text.
    pub status: String,
    /// Captured stdout.
    pub stdout: String,
    /// Captured stderr.
    pub stderr: String,
    /// Warnings ngspice printed (lines starting with `Warning`), deduplicated.
    pub warnings: Vec<String>,
}

impl NgspiceRun {
    /// The transient plot.
    pub fn plot(&self) -> Option<&Plot> {
        self.raw.plots.get(self.transient)
    }
}

/// Runs ngspice in batch mode.
#[derive(Debug, Clone)]
pub struct NgspiceRunner {
    program: PathBuf,
    version: NgspiceVersion,
    threads: u32,
}

impl NgspiceRunner {
    /// Finds ngspice ([`default_program`]: `ATSCALE_NGSPICE`, else `ngspice`
    /// on `PATH`) and reads its version (`ngspice -v`, at most 20 s).
    pub fn detect() -> Result<Self> {
        Self::with_program(default_program())
    }

    /// [`NgspiceRunner::detect`] with at most `timeout` (and at most 20 s)
    /// for `ngspice -v`.
    pub fn detect_within(timeout: Duration) -> Result<Self> {
        Self::with_program_within(default_program(), timeout.min(VERSION_TIMEOUT))
    }

    /// Uses the given ngspice executable (a path, or a name looked up on
    /// `PATH`) and reads its version, with a timeout of 20 s.
    pub fn with_program(program: impl Into<PathBuf>) -> Result<Self> {
        Self::with_program_within(program, VERSION_TIMEOUT)
    }

    /// [`NgspiceRunner::with_program`] with `timeout` for `ngspice -v`.
    pub fn with_program_within(program: impl Into<PathBuf>, timeout: Duration) -> Result<Self> {
        let asked = program.into();
        let not_found = |source| Error::NgspiceNotFound { program: asked.clone(), source };
        let program = process::resolve(&asked)
            .ok_or_else(|| not_found(std::io::Error::from(std::io::ErrorKind::NotFound)))?;
        let dir = Scratch::new("atscale-ngspice-").map_err(|source| Error::Io {
            action: "create a temporary directory",
            path: std::env::temp_dir(),
            source,
        })?;
        let mut cmd = process::sandboxed(&program, dir.path());
        cmd.arg("-v");
        let out =
            process::run(cmd, timeout, Some(DEFAULT_MAX_ENGINE_MEMORY), &|| false).map_err(not_found)?;
        match out.ended {
            Ended::Exited | Ended::Stopped => {}
            Ended::Interrupted => return Err(Error::Interrupted),
            Ended::TimedOut => {
                return Err(Error::Timeout {
                    run: Box::new(RunContext {
                        path: PathBuf::from(format!("{} -v", program.display())),
                        status: out.status,
                        stderr_tail: tail(&out.stderr),
                    }),
                    seconds: timeout.as_secs_f64(),
                })
            }
        }
        let text = format!("{}{}", out.stdout, out.stderr);
        let version = NgspiceVersion::parse(&text).ok_or_else(|| Error::VersionUnrecognised {
            program: program.clone(),
            output: text
                .lines()
                .take(4)
                .map(|l| atscale_spice::deck::clip(l, 200))
                .collect::<Vec<_>>()
                .join("\n"),
        })?;
        let threads = threads_from(std::env::var_os(THREADS_VAR))?;
        tracing::debug!(%version, program = %program.display(), threads, "detected ngspice");
        Ok(Self { program, version, threads })
    }

    /// The OpenMP threads each run takes ([`THREADS_VAR`], 1 by default).
    pub fn threads(&self) -> u32 {
        self.threads
    }

    /// The detected version.
    pub fn version(&self) -> &NgspiceVersion {
        &self.version
    }

    /// The executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Runs `deck` (named `netlist_path` in messages) and returns the raw data.
    ///
    /// # Errors
    ///
    /// [`Error::Netlist`] with [`atscale_spice::Error::ControlRefused`] when
    /// the deck holds commands and [`RunOptions::allow_control`] is false;
    /// [`Error::NoTranCard`]; the failures ngspice reports (see the module
    /// documentation); [`Error::Timeout`]; [`Error::Interrupted`];
    /// [`Error::RawTooLarge`].
    pub fn run(&self, deck: &Deck, netlist_path: &Path, opts: &RunOptions) -> Result<NgspiceRun> {
        for (name, v) in [("max_step_s", opts.max_step_s), ("event_accuracy_s", opts.event_accuracy_s)] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::BadOption {
                        name,
                        value: v,
                        reason: "must be a positive number of seconds",
                    });
                }
            }
        }
        let (text, tran, max_step) = prepare_deck(deck, netlist_path, opts)?;
        let text = atscale_spice::deck::with_threads(&text, self.threads);
        let tstop_s = opts.tstop_s.or(opts.tstop_override_s).or(Some(tran.tstop_s));
        let dir = Scratch::new("atscale-ngspice-").map_err(|source| Error::Io {
            action: "create a temporary directory",
            path: std::env::temp_dir(),
            source,
        })?;
        let deck_path = dir.path().join("deck.cir");
        let raw_path = dir.path().join("out.raw");
        std::fs::write(&deck_path, &text).map_err(|source| Error::Io {
            action: "write the run deck",
            path: deck_path.clone(),
            source,
        })?;
        let mut cmd = process::sandboxed(&self.program, dir.path());
        cmd.arg("-n").arg("-b").arg("-r").arg(&raw_path).arg(&deck_path);
        tracing::info!(netlist = %netlist_path.display(), dir = %dir.path().display(), ?max_step, "running ngspice");
        // The raw file is watched while ngspice writes it, so that a run
        // cannot fill the disk before the size limit is seen.
        let too_big = || std::fs::metadata(&raw_path).is_ok_and(|m| m.len() > opts.max_raw_bytes);
        let out = process::run(cmd, opts.timeout, Some(opts.max_engine_memory_bytes), &too_big)
            .map_err(|source| Error::NgspiceNotFound { program: self.program.clone(), source })?;
        let ctx = || run_context(netlist_path, deck, &out, opts);
        match out.ended {
            Ended::Exited => {}
            Ended::Interrupted => return Err(Error::Interrupted),
            Ended::TimedOut => {
                return Err(Error::Timeout { run: ctx(), seconds: opts.timeout.as_secs_f64() })
            }
            Ended::Stopped => {
                let bytes = std::fs::metadata(&raw_path).map_or(0, |m| m.len());
                return Err(Error::RawTooLarge { run: ctx(), bytes, limit_bytes: opts.max_raw_bytes });
            }
        }
        let raw = read_raw(&raw_path, opts.max_raw_bytes, &ctx)?;
        let (raw, transient) = classify(netlist_path, deck, &out, raw, tstop_s, opts)?;
        let warnings = if deck.all_shown() { dedup_warnings(&out.stdout, &out.stderr) } else { Vec::new() };
        for w in &warnings {
            tracing::warn!(netlist = %netlist_path.display(), "ngspice: {w}");
        }
        Ok(NgspiceRun {
            raw,
            transient,
            version: self.version.clone(),
            max_step,
            deck: text,
            wall_time_s: out.wall_s,
            status: out.status,
            stdout: out.stdout,
            stderr: out.stderr,
            warnings,
        })
    }
}

/// The environment variable naming the ngspice executable that
/// [`NgspiceRunner::detect`] uses instead of `ngspice` on `PATH`, e.g.
/// `scripts/ngspice45.mjs` (ngspice 45.2 as WebAssembly).
pub const PROGRAM_VAR: &str = "ATSCALE_NGSPICE";

/// The environment variable that sets how many OpenMP threads each ngspice
/// run takes (1 when unset; at most [`MAX_THREADS`]); see
/// [`atscale_spice::deck::with_threads`].
pub const THREADS_VAR: &str = "ATSCALE_NGSPICE_THREADS";

/// The most threads [`THREADS_VAR`] may ask for.
pub const MAX_THREADS: u32 = 64;

fn threads_from(var: Option<std::ffi::OsString>) -> Result<u32> {
    let Some(v) = var.filter(|v| !v.is_empty()) else { return Ok(1) };
    let text = v.to_string_lossy();
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(Error::BadThreads {
            var: THREADS_VAR,
            value: atscale_spice::deck::clip(&text, 40),
            max: MAX_THREADS,
        }),
    }
}

/// The ngspice executable [`NgspiceRunner::detect`] runs: `ATSCALE_NGSPICE`
/// when set and not empty, else `ngspice` (looked up on `PATH`).
pub fn default_program() -> PathBuf {
    program_from(std::env::var_os(PROGRAM_VAR))
}

fn program_from(var: Option<std::ffi::OsString>) -> PathBuf {
    var.filter(|v| !v.is_empty()).map_or_else(|| PathBuf::from("ngspice"), PathBuf::from)
}

/// What an error about a finished run shows: the netlist, the exit status
/// (with the memory limit when the run failed) and what ngspice printed last.
fn run_context(path: &Path, deck: &Deck, out: &Finished, opts: &RunOptions) -> Box<RunContext> {
    Box::new(RunContext {
        path: path.to_path_buf(),
        status: limited_status(&out.status, opts.max_engine_memory_bytes),
        stderr_tail: shown_tail(deck, &out.stderr),
    })
}

/// The exit status of a run, with the memory limit named when the run
/// failed (ngspice out of memory aborts or exits with an error).
fn limited_status(status: &str, limit: u64) -> String {
    if status.contains("exit status: 0") {
        status.to_string()
    } else {
        format!(
            "{status}; its memory was limited to {} (raise it with --max-engine-memory)",
            atscale_circuit::units::si(limit as f64, "B")
        )
    }
}

/// Reads the raw file if there is one, refusing one above `max_bytes`.
fn read_raw(
    path: &Path,
    max_bytes: u64,
    ctx: &dyn Fn() -> Box<RunContext>,
) -> Result<Option<Result<RawFile>>> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(_) => return Ok(None),
    };
    if len > max_bytes {
        return Err(Error::RawTooLarge { run: ctx(), bytes: len, limit_bytes: max_bytes });
    }
    Ok(match std::fs::read(path) {
        Ok(bytes) if !bytes.is_empty() => Some(RawFile::parse(&bytes, path)),
        _ => None,
    })
}

/// What ngspice printed, as errors show it: its tail, or nothing when the
/// deck holds files whose lines are not shown (ngspice echoes lines).
fn shown_tail(deck: &Deck, text: &str) -> String {
    if deck.all_shown() {
        tail(text)
    } else {
        NOT_SHOWN.to_string()
    }
}

/// Stands for ngspice's output of a deck with lines that are not shown.
const NOT_SHOWN: &str =
    "(not shown: the deck includes files that do not look like netlists, and ngspice may echo their lines)";

fn dedup_warnings(stdout: &str, stderr: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for line in stdout.lines().chain(stderr.lines()) {
        if let Some(i) = line.find("Warning:") {
            let w = line[i..].trim().to_string();
            if !seen.contains(&w) {
                seen.push(w);
            }
        }
    }
    seen
}

/// Builds the run deck: chooses TMAX and rewrites the `.tran` card when needed.
fn prepare_deck(deck: &Deck, path: &Path, opts: &RunOptions) -> Result<(String, Tran, MaxStepChoice)> {
    let Some(card) = (match opts.tran {
        Some(t) => Some(t),
        None => deck.tran()?,
    }) else {
        return Err(Error::NoTranCard { path: path.to_path_buf() });
    };
    let tstop_s = opts.tstop_override_s.unwrap_or(card.tstop_s);
    let default_tmax = Tran { tstop_s, ..card }.default_tmax_s();
    let choice = MaxStepChoice::choose(
        opts.max_step_s,
        card.tmax_s,
        opts.event_accuracy_s,
        TMAX_PER_EVENT_ACCURACY,
        default_tmax,
    );
    let tstop_changed = (tstop_s - card.tstop_s).abs() > 1e-12 * card.tstop_s.abs();
    let rewrite =
        !matches!(choice.source, MaxStepSource::FromNetlist | MaxStepSource::NgspiceDefault) || tstop_changed;
    let new = Tran { tstop_s, tmax_s: Some(choice.value_s), ..card };
    let text = deck.ngspice_text(opts.allow_control, rewrite.then_some(&new))?;
    if rewrite {
        tracing::debug!(?new, "rewrote .tran card");
    }
    Ok((text, card, choice))
}

/// Number after `key` in `text` (e.g. `time = 0.9977`).
fn number_after(text: &str, key: &str) -> Option<f64> {
    let i = text.find(key)?;
    let rest = text[i + key.len()..].trim_start();
    let tok: String =
        rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')).collect();
    tok.parse().ok()
}

/// ngspice 45 stops at some expression errors with a fatal exit instead of
/// `Error on line N`, naming the line in the message before it
/// (`Error: no such function 'f' at line 4`, `YYparse error, syntax error,
/// in expression: parsing stopped at line 4`, then `ERROR: fatal error in
/// ngspice, exit(1)`; see `tests/fixtures/ngspice45/`). `None` when there
/// was no fatal error or no line was named.
fn fatal_parse_error(deck: &Deck, lines: &[&str], ctx: &dyn Fn() -> Box<RunContext>) -> Option<Error> {
    let fatal = lines.iter().position(|l| l.contains("fatal error in ngspice"))?;
    let named = lines[..fatal].iter().rev().find(|l| l.contains(" at line "))?;
    let deck_line = number_after(named, " at line ").map(|n| n as usize)?;
    let (file, line) = match deck.origin(deck_line) {
        Some((f, l)) => (Some(f.to_string()), Some(l)),
        None => (None, None),
    };
    let message = if deck.all_shown() { named.trim().to_string() } else { NOT_SHOWN.to_string() };
    Some(Error::NetlistRejected { run: ctx(), file, line, text: deck.line_text(deck_line), message })
}

/// Decides success or failure of a finished run.
fn classify(
    path: &Path,
    deck: &Deck,
    out: &Finished,
    raw: Option<Result<RawFile>>,
    tstop_s: Option<f64>,
    opts: &RunOptions,
) -> Result<(RawFile, usize)> {
    let ctx = || run_context(path, deck, out, opts);
    // The echoed title (`Circuit: ...`) is the user's text: never match messages in it.
    let lines: Vec<&str> =
        out.stdout.lines().chain(out.stderr.lines()).filter(|l| !l.starts_with("Circuit:")).collect();
    let all = lines.join("\n");

    // 1. Netlist rejected by the parser.
    if let Some(k) = lines.iter().position(|l| l.contains("Error on line")) {
        // ngspice numbers the lines of the run deck; map them back to the user's files.
        let deck_line = number_after(lines[k], "Error on line").map(|n| n as usize);
        let origin = deck_line.and_then(|n| deck.origin(n)).map(|(f, l)| (f.to_string(), l));
        let text = deck_line.and_then(|n| deck.line_text(n));
        let (file, line) = match origin {
            Some((f, l)) => (Some(f), Some(l)),
            None => (None, None),
        };
        let mut message: Vec<String> = lines
            .iter()
            .take(k)
            .filter(|l| {
                l.trim_start().starts_with("Error:") || l.contains("PTerror") || l.contains("can't find")
            })
            .map(|l| l.trim().to_string())
            .collect();
        if let Some(m) = lines.get(k + 2).map(|m| m.trim()).filter(|m| !m.is_empty()) {
            message.push(m.to_string());
        }
        let message = if message.is_empty() {
            "the netlist did not parse".to_string()
        } else if !deck.all_shown() {
            NOT_SHOWN.to_string()
        } else {
            message.join("; ")
        };
        return Err(Error::NetlistRejected { run: ctx(), file, line, text, message });
    }
    if all.contains("circuit not parsed") || all.contains("Error: circuit not parsed") {
        let message = lines
            .iter()
            .filter(|l| l.trim_start().starts_with("Error"))
            .map(|l| l.trim().to_string())
            .collect::<Vec<_>>()
            .join("; ");
        let message = if deck.all_shown() { message } else { NOT_SHOWN.to_string() };
        return Err(Error::NetlistRejected { run: ctx(), file: None, line: None, text: None, message });
    }

    if let Some(e) = fatal_parse_error(deck, &lines, &ctx) {
        return Err(e);
    }

    let singular_node = lines.iter().find_map(|l| {
        let i = l.find("singular matrix")?;
        let rest = &l[i..];
        let node = rest.split("check node").nth(1)?.split_whitespace().next()?;
        Some(node.trim_matches('"').to_string())
    });
    let tstep = lines.iter().find(|l| l.contains("Timestep too small"));
    let aborted = all.contains("simulation(s) aborted");

    // 2. Transient failure (with the singular matrix as the root cause when both appear
    //    at the initial point).
    if let Some(l) = tstep {
        let time_s = number_after(l, "time =").or_else(|| number_after(l, "at t ="));
        let timestep_s = number_after(l, "timestep =");
        let trouble = l.split("trouble with").nth(1).map(|s| s.trim().to_string());
        if time_s.is_none() {
            if let Some(node) = singular_node {
                return Err(Error::SingularMatrix { run: ctx(), node, recovered: false });
            }
        }
        return Err(Error::TimestepTooSmall { run: ctx(), time_s, timestep_s, trouble });
    }
    if let Some(node) = singular_node.clone() {
        if aborted {
            return Err(Error::SingularMatrix { run: ctx(), node, recovered: false });
        }
    }
    if aborted {
        return Err(Error::Aborted { run: ctx() });
    }

    // 3. Output present and complete.
    let raw = match raw {
        None => return Err(Error::NoOutput { run: ctx() }),
        Some(r) => r?,
    };
    let Some(idx) = raw.plots.iter().position(Plot::is_transient) else {
        return Err(Error::NoTransientPlot {
            path: path.to_path_buf(),
            plots: raw.plots.iter().map(|x| x.plotname.clone()).collect(),
        });
    };
    if let (Some(tstop), Some(plot)) = (tstop_s, raw.plots.get(idx)) {
        let last = plot.time().ok().and_then(|t| t.last().copied()).unwrap_or(f64::NEG_INFINITY);
        if last.partial_cmp(&(tstop * (1.0 - 1e-9))) == Some(std::cmp::Ordering::Less)
            || last.is_nan()
            || plot.truncated
        {
            return Err(Error::Incomplete { run: ctx(), last_time_s: last, tstop_s: tstop });
        }
    }
    if let Some(node) = singular_node {
        if !opts.accept_recovered_singular {
            return Err(Error::SingularMatrix { run: ctx(), node, recovered: true });
        }
    }
    Ok((raw, idx))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn version_parsing() {
        let v39 = "******\n** ngspice-39 : Circuit level simulation program\n";
        assert_eq!(NgspiceVersion::parse(v39), Some(NgspiceVersion { major: 39, minor: 0 }));
        assert_eq!(NgspiceVersion::parse("ngspice-39.3"), Some(NgspiceVersion { major: 39, minor: 3 }));
        let v45 = "** ngspice-45.2 : Circuit level simulation program";
        let v = NgspiceVersion::parse(v45).unwrap();
        assert_eq!((v.major, v.minor), (45, 2));
        assert!(v.is_42_or_later());
        assert_eq!(NgspiceVersion::parse("spice 3f5"), None);
    }

    #[test]
    fn program_from_the_environment() {
        assert_eq!(program_from(None), PathBuf::from("ngspice"));
        assert_eq!(program_from(Some("".into())), PathBuf::from("ngspice"));
        let shim = "/repo/scripts/ngspice45.mjs";
        assert_eq!(program_from(Some(shim.into())), PathBuf::from(shim));
    }

    #[test]
    fn threads_from_the_environment() {
        assert_eq!(threads_from(None).unwrap(), 1);
        assert_eq!(threads_from(Some("".into())).unwrap(), 1);
        assert_eq!(threads_from(Some(" 4 ".into())).unwrap(), 4);
        for bad in ["0", "65", "-1", "two", "1.5"] {
            let e = threads_from(Some(bad.into())).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "ATSCALE_NGSPICE_THREADS = `{bad}`: expected a whole number of threads from 1 to 64 (the \
                     OpenMP threads of each ngspice run)"
                )
            );
        }
    }

    fn deck(text: &str) -> Deck {
        Deck::from_text(text, "t.cir", None, &atscale_spice::DeckLimits::default()).unwrap()
    }

    #[test]
    fn tran_rewrite_sets_tmax_and_keeps_line_count() {
        let net = "t\nR1 a 0 1k\n.tran 1m 10m\n+ uic\n.end\n";
        let opts = RunOptions { event_accuracy_s: Some(4e-6), ..RunOptions::default() };
        let d = deck(net);
        let (text, card, choice) = prepare_deck(&d, Path::new("t.cir"), &opts).unwrap();
        assert!(card.uic);
        assert_eq!(card.tstop_s, 10e-3);
        assert_eq!(text.lines().count(), net.lines().count());
        assert!((choice.value_s - 1e-6).abs() < 1e-21);
        let new = deck(&text).tran().unwrap().unwrap();
        assert_eq!(new.tmax_s, Some(choice.value_s));
        assert!(new.uic);
        assert_eq!(new.tstep_s, 1e-3);
    }

    #[test]
    fn tmax_is_a_quarter_of_the_accuracy() {
        // The documented rule, `TMAX = accuracy / 4`, worked by hand.
        let d = deck("t\n.tran 1 100\n.end\n");
        for (accuracy, tmax) in [(0.04, 0.01), (1e-3, 2.5e-4), (4e-6, 1e-6), (3e-11, 7.5e-12)] {
            let opts = RunOptions { event_accuracy_s: Some(accuracy), ..RunOptions::default() };
            let (text, _, choice) = prepare_deck(&d, Path::new("t.cir"), &opts).unwrap();
            assert_eq!(choice.value_s, tmax, "accuracy {accuracy:e}");
            assert_eq!(
                choice.source,
                MaxStepSource::DerivedFromAccuracy { event_accuracy_s: accuracy, factor: 0.25 }
            );
            assert_eq!(deck(&text).tran().unwrap().unwrap().tmax_s, Some(tmax), "{text}");
        }
    }

    #[test]
    fn max_step_precedence() {
        let with = deck("t\n.tran 1 10 0 0.5\n.end\n");
        let without_text = "t\n.tran 1 100\n.end\n";
        let without = deck(without_text);
        let p = Path::new("x");
        let o = |m, a| RunOptions { max_step_s: m, event_accuracy_s: a, ..RunOptions::default() };
        let c = prepare_deck(&with, p, &o(Some(0.1), Some(1.0))).unwrap().2;
        assert_eq!(c.source, MaxStepSource::Explicit { replaced_netlist_value_s: Some(0.5) });
        assert_eq!(c.value_s, 0.1);
        let c = prepare_deck(&with, p, &o(None, Some(1.0))).unwrap().2;
        assert_eq!(c.source, MaxStepSource::FromNetlist);
        let c = prepare_deck(&without, p, &o(None, Some(1.0))).unwrap().2;
        assert!(matches!(c.source, MaxStepSource::DerivedFromAccuracy { .. }));
        let c = prepare_deck(&without, p, &o(None, None)).unwrap();
        assert_eq!(c.2.source, MaxStepSource::NgspiceDefault);
        assert_eq!(c.2.value_s, 1.0);
        assert_eq!(c.0, without_text);
        assert!(matches!(prepare_deck(&deck("t\n.end\n"), p, &o(None, None)), Err(Error::NoTranCard { .. })));
        assert!(Deck::from_text("t\n.tran 1\n.end\n", "t", None, &Default::default())
            .unwrap()
            .tran()
            .is_err());
    }

    /// The recorded failures and how each must be classified (`tests/fixtures/failures/`).
    fn failure_cases() -> Vec<serde_json::Value> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/failures");
        let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        let table: serde_json::Value = serde_json::from_str(&text).unwrap();
        table["cases"].as_array().unwrap().clone()
    }

    fn failure_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/failures")
    }

    /// The netlist of a case as a deck named `failures/<netlist>` and its stop time.
    fn failure_deck(netlist: &str) -> (Deck, Option<f64>) {
        let text = std::fs::read_to_string(failure_dir().join(netlist)).unwrap();
        let d = Deck::from_text(&text, &format!("failures/{netlist}"), None, &Default::default()).unwrap();
        let tstop = d.tran().ok().flatten().map(|t| t.tstop_s);
        (d, tstop)
    }

    /// Classifies what ngspice printed (and the raw file it wrote, if any) as a run would.
    fn classify_output(netlist: &str, out: &Finished, raw: Option<&Path>) -> Error {
        let (deck, tstop_s) = failure_deck(netlist);
        let raw = raw.filter(|p| p.exists()).map(|p| RawFile::parse(&std::fs::read(p).unwrap(), p));
        let path = PathBuf::from(format!("failures/{netlist}"));
        match classify(&path, &deck, out, raw, tstop_s, &RunOptions::default()) {
            Err(e) => e,
            Ok(_) => {
                panic!("{netlist}: classified as a success\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr)
            }
        }
    }

    /// Checks one classified error against its case of `expected.json`.
    fn check_case(case: &serde_json::Value, e: &Error, transcript: &str) {
        let netlist = case["netlist"].as_str().unwrap();
        let msg = e.to_string();
        let display = case["display"].as_str().unwrap();
        assert!(
            msg.starts_with(display),
            "{netlist}: message\n{msg}\nshould start with\n{display}\n{transcript}"
        );
        let tail = case["tail"].as_str().unwrap();
        let got_tail = match e {
            Error::TimestepTooSmall { run, .. }
            | Error::SingularMatrix { run, .. }
            | Error::NetlistRejected { run, .. } => &run.stderr_tail,
            other => panic!("{netlist}: unexpected kind {other}\n{transcript}"),
        };
        assert!(got_tail.contains(tail), "{netlist}: stderr tail\n{got_tail}\nlacks {tail:?}");
        let num = |k: &str| case[k].as_f64().unwrap();
        let text = |k: &str| case[k].as_str().unwrap().to_string();
        match (case["kind"].as_str().unwrap(), e) {
            ("timestep_too_small", Error::TimestepTooSmall { time_s, timestep_s, trouble, .. }) => {
                // ngspice prints six significant digits: the parsed number is that text exactly.
                assert_eq!(*time_s, Some(num("time_s")), "{netlist}");
                assert_eq!(*timestep_s, Some(num("timestep_s")), "{netlist}");
                assert_eq!(trouble.as_deref(), Some(text("trouble").as_str()), "{netlist}");
            }
            ("singular_matrix", Error::SingularMatrix { node, recovered, .. }) => {
                assert_eq!(*node, text("node"), "{netlist}");
                assert_eq!(*recovered, case["recovered"].as_bool().unwrap(), "{netlist}");
            }
            ("netlist_rejected", Error::NetlistRejected { file, line, text: t, message, .. }) => {
                assert_eq!(file.as_deref(), Some(format!("failures/{netlist}").as_str()), "{netlist}");
                assert_eq!(*line, case["line"].as_u64().map(|l| l as usize), "{netlist}");
                assert_eq!(t.as_deref(), Some(text("text").as_str()), "{netlist}");
                assert_eq!(*message, text("message"), "{netlist}");
            }
            (kind, e) => panic!("{netlist}: expected {kind}, got {e}\n{transcript}"),
        }
    }

    #[test]
    fn recorded_transcripts_are_classified() {
        // The truth is what ngspice 39.3 printed (recorded by make-fixtures.sh);
        // nothing runs ngspice here.
        let cases = failure_cases();
        assert_eq!(cases.len(), 7, "every recorded transcript has a case");
        for case in &cases {
            let netlist = case["netlist"].as_str().unwrap();
            let stem = netlist.trim_end_matches(".cir");
            let read =
                |ext: &str| std::fs::read_to_string(failure_dir().join(format!("{stem}.{ext}"))).unwrap();
            let out = Finished {
                status: "exit status: 1".into(),
                stdout: read("stdout"),
                stderr: read("stderr"),
                wall_s: 0.0,
                ended: Ended::Exited,
            };
            // The one run that completes left its raw file (make-fixtures.sh).
            let raw = failure_dir().join(format!("../{stem}.raw"));
            let e = classify_output(netlist, &out, Some(&raw));
            check_case(case, &e, &format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr));
        }
    }

    #[test]
    fn live_ngspice_classifies_as_recorded() {
        // Each recorded netlist run now through ngspice as the runner runs it
        // (sandboxed, `-n -b -r out.raw deck.cir`), bypassing the deck checks so
        // that ngspice itself meets the bad `.tran` card; the table is the same.
        let Some(program) = process::resolve(Path::new("ngspice")) else {
            panic!("this test needs ngspice on PATH; install it with scripts/install-ngspice.sh");
        };
        for case in &failure_cases() {
            let netlist = case["netlist"].as_str().unwrap();
            let dir = tempfile::tempdir().unwrap();
            std::fs::copy(failure_dir().join(netlist), dir.path().join("deck.cir")).unwrap();
            let mut cmd = process::sandboxed(&program, dir.path());
            cmd.arg("-n").arg("-b").arg("-r").arg("out.raw").arg("deck.cir");
            let out = process::run(cmd, Duration::from_secs(60), Some(DEFAULT_MAX_ENGINE_MEMORY), &|| false)
                .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
            assert!(matches!(out.ended, Ended::Exited), "{netlist}: ngspice did not exit by itself");
            let transcript = format!(
                "command: {} -n -b -r out.raw deck.cir in {}\nstdout:\n{}\nstderr:\n{}",
                program.display(),
                dir.path().display(),
                out.stdout,
                out.stderr
            );
            let e = classify_output(netlist, &out, Some(&dir.path().join("out.raw")));
            check_case(case, &e, &transcript);
        }
    }

    #[test]
    fn control_routes_are_refused_unless_allowed() {
        let d = deck("t\n.tran 1 10\n*# shell touch x\n.end\n");
        let e = prepare_deck(&d, Path::new("x"), &RunOptions::default()).unwrap_err();
        assert!(e.to_string().contains("--allow-control"), "{e}");
        let ok = RunOptions { allow_control: true, ..RunOptions::default() };
        assert!(prepare_deck(&d, Path::new("x"), &ok).unwrap().0.contains("*# shell touch x"));
    }
}
