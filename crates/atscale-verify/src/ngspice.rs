//! The ngspice engine: version detection, run decks, process control and failure
//! classification.
//!
//! [`NgspiceRunner::run`] writes the deck into a fresh temporary directory, runs
//! `ngspice -b -r out.raw deck.cir` there in its own process group, reads stdout
//! and stderr on threads (so a chatty run cannot dead-lock on a full pipe), polls
//! for completion and, past the timeout, kills the whole process group with
//! `SIGKILL`.
//!
//! ngspice's exit code does not report a failed transient (it is 0 after
//! "Timestep too small ... aborted" in some cases and 1 after a successful deck
//! whose `.control` lacks `quit`), so success is decided from the messages and the
//! raw file, in this order (messages as printed by ngspice 39.3, see
//! `tests/fixtures/failures/`):
//!
//! | message | error |
//! |---|---|
//! | `Error on line N or its substitute:` / `circuit not parsed` | [`Error::NetlistRejected`] |
//! | `Warning: singular matrix:  check node X` | [`Error::SingularMatrix`] |
//! | `Timestep too small; time = T, timestep = H: trouble with node "X"` | [`Error::TimestepTooSmall`] |
//! | `simulation(s) aborted` | [`Error::Aborted`] |
//! | no raw file / no transient plot | [`Error::NoOutput`] / [`Error::NoTransientPlot`] |
//! | last time point before tstop | [`Error::Incomplete`] |
//!
//! # Maximum step
//! ngspice's event-time accuracy is set by its maximum step TMAX (see
//! `docs/ngspice-notes.md`; reltol barely matters). The runner rewrites the `.tran`
//! card (`.tran TSTEP TSTOP [TSTART [TMAX]] [UIC]`, continuation lines joined) to
//! set TMAX, choosing in this order: [`RunOptions::max_step_s`]
//! ([`MaxStepSource::Explicit`]), the netlist's own TMAX
//! ([`MaxStepSource::FromNetlist`]), [`RunOptions::event_accuracy_s`] times
//! [`TMAX_PER_EVENT_ACCURACY`] ([`MaxStepSource::DerivedFromAccuracy`]), else
//! ngspice's default `min(TSTEP, (TSTOP − TSTART)/50)`
//! ([`MaxStepSource::NgspiceDefault`], left unwritten). The line count of the deck
//! is preserved so ngspice's line numbers still point into the user's netlist.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, RunContext};
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

/// Number of stderr lines kept in errors.
const TAIL_LINES: usize = 20;

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
}

impl NgspiceRunner {
    /// Finds `ngspice` on `PATH` and reads its version.
    pub fn detect() -> Result<Self> {
        Self::with_program("ngspice")
    }

    /// Uses the given ngspice executable and reads its version.
    pub fn with_program(program: impl Into<PathBuf>) -> Result<Self> {
        let program = program.into();
        let out = Command::new(&program)
            .arg("-v")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::NgspiceNotFound { program: program.clone(), source })?;
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let version = NgspiceVersion::parse(&text).ok_or_else(|| Error::VersionUnrecognised {
            program: program.clone(),
            output: text.lines().take(4).collect::<Vec<_>>().join("\n"),
        })?;
        tracing::debug!(%version, program = %program.display(), "detected ngspice");
        Ok(Self { program, version })
    }

    /// The detected version.
    pub fn version(&self) -> &NgspiceVersion {
        &self.version
    }

    /// The executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Runs `netlist_text` (named `netlist_path` in messages) and returns the raw data.
    pub fn run(&self, netlist_text: &str, netlist_path: &Path, opts: &RunOptions) -> Result<NgspiceRun> {
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
        let (deck, tran, max_step) = prepare_deck(netlist_text, netlist_path, opts)?;
        let tstop_s = opts.tstop_s.or(opts.tstop_override_s).or(tran.as_ref().map(|t| t.tstop_s));
        let dir = tempfile::Builder::new().prefix("atscale-ngspice-").tempdir().map_err(|source| {
            Error::Io { action: "create a temporary directory", path: std::env::temp_dir(), source }
        })?;
        let deck_path = dir.path().join("deck.cir");
        let raw_path = dir.path().join("out.raw");
        std::fs::write(&deck_path, &deck).map_err(|source| Error::Io {
            action: "write the run deck",
            path: deck_path.clone(),
            source,
        })?;
        // ngspice runs in the netlist's folder, so relative `.include` and
        // `.lib` paths resolve as they do for the native parser; the deck and
        // the raw file live in the temporary directory.
        let work_dir = match netlist_path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut cmd = Command::new(&self.program);
        cmd.arg("-b")
            .arg("-r")
            .arg(&raw_path)
            .arg(&deck_path)
            .current_dir(&work_dir)
            .env_remove("SPICE_ASCIIRAWFILE")
            .stdin(Stdio::null());
        tracing::info!(netlist = %netlist_path.display(), dir = %dir.path().display(), ?max_step, "running ngspice");
        let out = run_with_timeout(cmd, opts.timeout, &self.program)?;
        if out.timed_out {
            return Err(Error::Timeout {
                run: Box::new(RunContext {
                    path: netlist_path.to_path_buf(),
                    status: out.status.clone(),
                    stderr_tail: tail(&out.stderr),
                }),
                seconds: opts.timeout.as_secs_f64(),
            });
        }
        let raw = match std::fs::read(&raw_path) {
            Ok(bytes) if !bytes.is_empty() => Some(RawFile::parse(&bytes, &raw_path)),
            _ => None,
        };
        let classified = classify(netlist_path, &out, raw, tstop_s, opts)?;
        let warnings = dedup_warnings(&out.stdout, &out.stderr);
        for w in &warnings {
            tracing::warn!(netlist = %netlist_path.display(), "ngspice: {w}");
        }
        Ok(NgspiceRun {
            raw: classified.0,
            transient: classified.1,
            version: self.version.clone(),
            max_step,
            deck,
            wall_time_s: out.wall_s,
            status: out.status,
            stdout: out.stdout,
            stderr: out.stderr,
            warnings,
        })
    }
}

/// Output of a finished (or killed) process.
struct ProcessOutput {
    status: String,
    stdout: String,
    stderr: String,
    wall_s: f64,
    timed_out: bool,
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            // A read error just ends the capture; what was read is kept.
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn run_with_timeout(mut cmd: Command, timeout: Duration, program: &Path) -> Result<ProcessOutput> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child =
        cmd.spawn().map_err(|source| Error::NgspiceNotFound { program: program.to_path_buf(), source })?;
    let out_t = reader(child.stdout.take());
    let err_t = reader(child.stderr.take());
    let mut timed_out = false;
    let mut sleep = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("waiting for ngspice failed: {e}");
                break None;
            }
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            kill_group(child.id());
            break child.wait().ok();
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(20));
    };
    let wall_s = start.elapsed().as_secs_f64();
    // After the group is dead the pipes close and the readers return.
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    let status = status.map_or_else(|| "unknown exit status".to_string(), |s| s.to_string());
    Ok(ProcessOutput { status, stdout, stderr, wall_s, timed_out })
}

/// Sends SIGKILL to the process group led by `pid` (the child was started with
/// `process_group(0)`, so its pid is the group id).
fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return;
    };
    if let Err(e) = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL) {
        tracing::warn!(pid = pid.as_raw_nonzero().get(), "could not kill the ngspice process group: {e}");
    }
}

/// The last [`TAIL_LINES`] non-empty lines.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

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

/// A parsed `.tran` card.
#[derive(Debug, Clone, PartialEq)]
pub struct TranCard {
    /// 1-based line of the card.
    pub line: usize,
    /// TSTEP in seconds.
    pub tstep_s: f64,
    /// TSTOP in seconds.
    pub tstop_s: f64,
    /// TSTART in seconds (0 when absent).
    pub tstart_s: f64,
    /// TMAX in seconds, if given.
    pub tmax_s: Option<f64>,
    /// Whether `uic` is present.
    pub uic: bool,
}

/// Parses a SPICE number with an optional scale suffix (`1k`, `10u`, `2meg`, `1e-3`, `5ms`).
pub fn parse_spice_number(tok: &str) -> Option<f64> {
    let t = tok.trim().to_ascii_lowercase();
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || ((c == '+' || c == '-') && (i == 0 || t[..i].ends_with('e')))
                || (c == 'e' && t[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '+' || d == '-')))
        })
        .map_or(t.len(), |(i, _)| i);
    let mantissa: f64 = t[..end].parse().ok()?;
    let suffix = &t[end..];
    let scale = if suffix.starts_with("meg") {
        1e6
    } else if suffix.starts_with("mil") {
        25.4e-6
    } else {
        match suffix.chars().next() {
            None => 1.0,
            Some('t') => 1e12,
            Some('g') => 1e9,
            Some('k') => 1e3,
            Some('m') => 1e-3,
            Some('u') => 1e-6,
            Some('n') => 1e-9,
            Some('p') => 1e-12,
            Some('f') => 1e-15,
            Some('a') => 1e-18,
            Some(c) if c.is_ascii_alphabetic() => 1.0,
            Some(_) => return None,
        }
    };
    Some(mantissa * scale)
}

/// Finds and parses the `.tran` card (continuation lines `+ ...` included).
/// Returns the card, the index of its first line and the number of lines it spans.
fn find_tran(text: &str, path: &Path) -> Result<Option<(TranCard, usize, usize)>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut in_control = false;
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with(".control") {
            in_control = true;
        } else if l.starts_with(".endc") {
            in_control = false;
        }
        if in_control || !(l.starts_with(".tran ") || l.starts_with(".tran\t") || l == ".tran") {
            continue;
        }
        let mut span = 1;
        let mut joined = l.clone();
        while let Some(next) = lines.get(i + span) {
            match next.trim_start().strip_prefix('+') {
                Some(rest) => {
                    joined.push(' ');
                    joined.push_str(&rest.to_ascii_lowercase());
                    span += 1;
                }
                None => break,
            }
        }
        // Drop an end-of-line comment.
        let joined = joined.split([';', '$']).next().unwrap_or("").to_string();
        let bad = |reason| Error::BadTranCard {
            path: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
            reason,
        };
        let mut uic = false;
        let mut nums = Vec::new();
        for tok in joined.split_whitespace().skip(1) {
            if tok == "uic" {
                uic = true;
            } else {
                nums.push(parse_spice_number(tok).ok_or_else(|| bad("a field is not a number"))?);
            }
        }
        if nums.len() < 2 {
            return Err(bad("expected at least TSTEP and TSTOP"));
        }
        if nums.len() > 4 {
            return Err(bad("more than four numbers (TSTEP TSTOP TSTART TMAX)"));
        }
        let card = TranCard {
            line: i + 1,
            tstep_s: nums[0],
            tstop_s: nums[1],
            tstart_s: nums.get(2).copied().unwrap_or(0.0),
            tmax_s: nums.get(3).copied(),
            uic,
        };
        return Ok(Some((card, i, span)));
    }
    Ok(None)
}

/// Parses the `.tran` card of a netlist, if any.
pub fn tran_card(netlist_text: &str, path: &Path) -> Result<Option<TranCard>> {
    Ok(find_tran(netlist_text, path)?.map(|(c, _, _)| c))
}

/// Builds the run deck: chooses TMAX and rewrites the `.tran` card when needed.
fn prepare_deck(
    text: &str,
    path: &Path,
    opts: &RunOptions,
) -> Result<(String, Option<TranCard>, MaxStepChoice)> {
    let found = find_tran(text, path)?;
    let Some((card, first, span)) = found else {
        return Err(Error::NoTranCard { path: path.to_path_buf() });
    };
    let tstop_s = opts.tstop_override_s.unwrap_or(card.tstop_s);
    let default_tmax = card.tstep_s.min((tstop_s - card.tstart_s) / 50.0);
    let choice = match (opts.max_step_s, card.tmax_s, opts.event_accuracy_s) {
        (Some(v), netlist, _) => MaxStepChoice {
            value_s: v,
            source: MaxStepSource::Explicit { replaced_netlist_value_s: netlist },
        },
        (None, Some(v), _) => MaxStepChoice { value_s: v, source: MaxStepSource::FromNetlist },
        (None, None, Some(acc)) => MaxStepChoice {
            value_s: acc * TMAX_PER_EVENT_ACCURACY,
            source: MaxStepSource::DerivedFromAccuracy {
                event_accuracy_s: acc,
                factor: TMAX_PER_EVENT_ACCURACY,
            },
        },
        (None, None, None) => MaxStepChoice { value_s: default_tmax, source: MaxStepSource::NgspiceDefault },
    };
    let tstop_changed = (tstop_s - card.tstop_s).abs() > 1e-12 * card.tstop_s.abs();
    let rewrite =
        !matches!(choice.source, MaxStepSource::FromNetlist | MaxStepSource::NgspiceDefault) || tstop_changed;
    if !rewrite {
        return Ok((ensure_trailing_newline(text), Some(card), choice));
    }
    let mut new_card =
        format!(".tran {:e} {:e} {:e} {:e}", card.tstep_s, tstop_s, card.tstart_s, choice.value_s);
    if card.uic {
        new_card.push_str(" uic");
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.lines().enumerate() {
        if i == first {
            out.push_str(&new_card);
        } else if i > first && i < first + span {
            out.push_str("* (continuation of the .tran card above, joined by atscale)");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    tracing::debug!(card = %new_card, "rewrote .tran card");
    Ok((out, Some(card), choice))
}

fn ensure_trailing_newline(text: &str) -> String {
    let mut s = text.to_string();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Number after `key` in `text` (e.g. `time = 0.9977`).
fn number_after(text: &str, key: &str) -> Option<f64> {
    let i = text.find(key)?;
    let rest = text[i + key.len()..].trim_start();
    let tok: String =
        rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')).collect();
    tok.parse().ok()
}

/// Decides success or failure of a finished run.
fn classify(
    path: &Path,
    out: &ProcessOutput,
    raw: Option<Result<RawFile>>,
    tstop_s: Option<f64>,
    opts: &RunOptions,
) -> Result<(RawFile, usize)> {
    let ctx = || {
        Box::new(RunContext {
            path: path.to_path_buf(),
            status: out.status.clone(),
            stderr_tail: tail(&out.stderr),
        })
    };
    // The echoed title (`Circuit: ...`) is the user's text: never match messages in it.
    let lines: Vec<&str> =
        out.stdout.lines().chain(out.stderr.lines()).filter(|l| !l.starts_with("Circuit:")).collect();
    let all = lines.join("\n");

    // 1. Netlist rejected by the parser.
    if let Some(k) = lines.iter().position(|l| l.contains("Error on line")) {
        let line = number_after(lines[k], "Error on line").map(|n| n as usize);
        let text = lines.get(k + 1).map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
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
        let message =
            if message.is_empty() { "the netlist did not parse".to_string() } else { message.join("; ") };
        return Err(Error::NetlistRejected { run: ctx(), line, text, message });
    }
    if all.contains("circuit not parsed") || all.contains("Error: circuit not parsed") {
        let message = lines
            .iter()
            .filter(|l| l.trim_start().starts_with("Error"))
            .map(|l| l.trim().to_string())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::NetlistRejected { run: ctx(), line: None, text: None, message });
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

/// What [`control_blocks_or_shell`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A `.control` block: ngspice would execute its commands.
    ControlBlock,
    /// A shell escape inside a control block (`shell ...` or a `!`-prefixed command).
    ShellCommand,
}

/// A line of a netlist that makes ngspice execute commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// 1-based line number.
    pub line: usize,
    /// The line.
    pub text: String,
}

/// Finds `.control` blocks and shell escapes in a netlist; the CLI refuses such a
/// netlist unless `--allow-control` is given, because ngspice would run them.
pub fn control_blocks_or_shell(netlist_text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut in_control = false;
    for (i, line) in netlist_text.lines().enumerate() {
        let t = line.trim();
        let l = t.to_ascii_lowercase();
        let first = l.split_whitespace().next().unwrap_or("");
        if first == ".control" {
            in_control = true;
            found.push(Finding { kind: FindingKind::ControlBlock, line: i + 1, text: t.to_string() });
            continue;
        }
        if first == ".endc" {
            in_control = false;
            continue;
        }
        if in_control && (first == "shell" || l.starts_with('!')) {
            found.push(Finding { kind: FindingKind::ShellCommand, line: i + 1, text: t.to_string() });
        }
    }
    found
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
    fn spice_numbers() {
        for (s, v) in [
            ("1k", 1e3),
            ("10u", 10e-6),
            ("2meg", 2e6),
            ("1e-3", 1e-3),
            ("5ms", 5e-3),
            ("1.5E+2", 150.0),
            ("3", 3.0),
            ("-2.5n", -2.5e-9),
            ("1mil", 25.4e-6),
        ] {
            let got = parse_spice_number(s).unwrap();
            assert!((got - v).abs() <= 1e-15 * v.abs(), "{s}: {got} != {v}");
        }
        assert_eq!(parse_spice_number("abc"), None);
        assert_eq!(parse_spice_number(""), None);
    }

    #[test]
    fn tran_rewrite_sets_tmax_and_keeps_line_count() {
        let net = "t\nR1 a 0 1k\n.tran 1m 10m\n+ uic\n.end\n";
        let opts = RunOptions { event_accuracy_s: Some(4e-6), ..RunOptions::default() };
        let (deck, card, choice) = prepare_deck(net, Path::new("t.cir"), &opts).unwrap();
        let card = card.unwrap();
        assert!(card.uic);
        assert_eq!(card.tstop_s, 10e-3);
        assert_eq!(deck.lines().count(), net.lines().count());
        assert!((choice.value_s - 1e-6).abs() < 1e-21);
        let new = tran_card(&deck, Path::new("deck")).unwrap().unwrap();
        assert_eq!(new.tmax_s, Some(choice.value_s));
        assert!(new.uic);
        assert_eq!(new.tstep_s, 1e-3);
    }

    #[test]
    fn max_step_precedence() {
        let with = "t\n.tran 1 10 0 0.5\n.end\n";
        let without = "t\n.tran 1 100\n.end\n";
        let p = Path::new("x");
        let o = |m, a| RunOptions { max_step_s: m, event_accuracy_s: a, ..RunOptions::default() };
        let c = prepare_deck(with, p, &o(Some(0.1), Some(1.0))).unwrap().2;
        assert_eq!(c.source, MaxStepSource::Explicit { replaced_netlist_value_s: Some(0.5) });
        assert_eq!(c.value_s, 0.1);
        let c = prepare_deck(with, p, &o(None, Some(1.0))).unwrap().2;
        assert_eq!(c.source, MaxStepSource::FromNetlist);
        let c = prepare_deck(without, p, &o(None, Some(1.0))).unwrap().2;
        assert!(matches!(c.source, MaxStepSource::DerivedFromAccuracy { .. }));
        let c = prepare_deck(without, p, &o(None, None)).unwrap();
        assert_eq!(c.2.source, MaxStepSource::NgspiceDefault);
        assert_eq!(c.2.value_s, 1.0);
        assert_eq!(c.0, without);
        assert!(matches!(prepare_deck("t\n.end\n", p, &o(None, None)), Err(Error::NoTranCard { .. })));
        assert!(matches!(
            prepare_deck("t\n.tran 1\n.end\n", p, &o(None, None)),
            Err(Error::BadTranCard { .. })
        ));
    }

    #[test]
    fn finds_control_and_shell() {
        let net = "t\nR1 a 0 1\n.control\nrun\nshell rm -rf /tmp/x\n!ls\n.endc\n.end\n";
        let f = control_blocks_or_shell(net);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].kind, FindingKind::ControlBlock);
        assert_eq!(f[0].line, 3);
        assert_eq!(f[1].kind, FindingKind::ShellCommand);
        assert_eq!(f[2].line, 6);
        assert!(control_blocks_or_shell("t\n* .control in a comment is fine\n.end\n").is_empty());
    }
}
