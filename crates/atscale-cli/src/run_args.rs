//! Options every simulating subcommand shares: overrides of the netlist's
//! analysis, ngspice's control-block permission, the timeout, and the
//! limits of a run ([`LimitArgs`]).

use std::time::Duration;

use anyhow::{bail, Result};
use atscale_spice::number::parse_number;
use atscale_verify::engines::Overrides;
use atscale_verify::limits::Limits;

/// Shared arguments of `atscale sim` and `atscale verify`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Stop time, s (overrides the netlist's `.tran`; SPICE suffixes allowed, e.g. `10m`).
    #[arg(long, value_name = "SECONDS")]
    tstop: Option<String>,
    /// Largest time step, s (overrides the netlist's `.tran` tmax and `.options maxstep`).
    #[arg(long, value_name = "SECONDS")]
    max_step: Option<String>,
    /// Relative tolerance of the native engine (overrides `.options reltol`).
    #[arg(long, value_name = "R")]
    reltol: Option<String>,
    /// Let ngspice run the commands a netlist holds (.control blocks, `*#` lines, *ng_script).
    #[arg(long, conflicts_with = "skip_control")]
    pub allow_control: bool,
    /// Set the netlist's .control blocks aside (none of their commands runs; a `tran` command in
    /// them becomes the transient analysis) instead of refusing the netlist.
    #[arg(long)]
    pub skip_control: bool,
    /// Stop any engine's run after this many seconds.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The limits of a run, each with a default that a user can raise.
#[derive(Debug, clap::Args)]
pub struct LimitArgs {
    /// Largest netlist with its includes read, bytes [default: 16meg].
    #[arg(long, value_name = "BYTES")]
    max_input_bytes: Option<String>,
    /// Largest number of elements after flattening subcircuits (and twice as many cards read) [default: 100k].
    #[arg(long, value_name = "N")]
    max_elements: Option<String>,
    /// Deepest nesting of subcircuits [default: 100; at most 1000].
    #[arg(long, value_name = "N")]
    max_depth: Option<String>,
    /// Largest number of time steps of one run [default: 10meg].
    #[arg(long, value_name = "N")]
    max_steps: Option<String>,
    /// Largest waveform data one run holds (native results, ngspice raw file), bytes [default: 256meg].
    #[arg(long, value_name = "BYTES")]
    max_memory: Option<String>,
    /// Largest address space of an ngspice run, bytes [default: 4g].
    #[arg(long, value_name = "BYTES")]
    max_engine_memory: Option<String>,
}

impl LimitArgs {
    /// The validated limits, with `timeout`.
    pub fn limits(&self, timeout: Duration) -> Result<Limits> {
        let d = Limits::default();
        Ok(Limits {
            max_input_bytes: count("--max-input-bytes", &self.max_input_bytes)?.unwrap_or(d.max_input_bytes),
            max_elements: count_usize("--max-elements", &self.max_elements)?.unwrap_or(d.max_elements),
            max_depth: depth(&self.max_depth)?.unwrap_or(d.max_depth),
            max_steps: count("--max-steps", &self.max_steps)?.unwrap_or(d.max_steps),
            max_memory_bytes: count("--max-memory", &self.max_memory)?.unwrap_or(d.max_memory_bytes),
            max_engine_memory_bytes: count("--max-engine-memory", &self.max_engine_memory)?
                .unwrap_or(d.max_engine_memory_bytes),
            timeout,
        })
    }
}

/// Parses an optional count (a positive whole number; SPICE suffixes
/// allowed: `64meg`, `1g`) for `flag`.
pub fn count(flag: &str, text: &Option<String>) -> Result<Option<u64>> {
    let Some(t) = text else { return Ok(None) };
    let x = parse_number(t).map_err(|e| anyhow::anyhow!("{flag} `{t}`: {e}"))?;
    if !(x.is_finite() && x >= 1.0 && x.fract() == 0.0 && x <= 9.0e15) {
        bail!("{flag} `{t}`: must be a whole number from 1 to 9e15");
    }
    Ok(Some(x as u64))
}

/// The deepest `--max-depth` accepted: flattening recurses once per level,
/// and 1000 levels fit the stack of any thread atscale runs with room to spare.
const MAX_DEPTH_CAP: u64 = 1000;

fn depth(text: &Option<String>) -> Result<Option<usize>> {
    match count("--max-depth", text)? {
        Some(n) if n > MAX_DEPTH_CAP => {
            bail!("--max-depth `{n}`: at most {MAX_DEPTH_CAP} (flattening needs a stack frame per level)")
        }
        n => Ok(n.map(|n| n as usize)),
    }
}

fn count_usize(flag: &str, text: &Option<String>) -> Result<Option<usize>> {
    count(flag, text)?
        .map(|n| usize::try_from(n).map_err(|_| anyhow::anyhow!("{flag}: too large")))
        .transpose()
}

/// Parses a timeout in seconds (SPICE suffixes allowed) into a duration.
pub fn timeout(flag: &str, text: &str) -> Result<Duration> {
    let t = positive_seconds(flag, &Some(text.to_string()))?.unwrap_or(600.0);
    Duration::try_from_secs_f64(t)
        .map_err(|_| anyhow::anyhow!("{flag} `{text}`: too large for a duration in seconds"))
}

impl RunArgs {
    /// The validated overrides.
    pub fn overrides(&self) -> Result<Overrides> {
        Ok(Overrides {
            tstop_s: positive_seconds("--tstop", &self.tstop)?,
            max_step_s: positive_seconds("--max-step", &self.max_step)?,
            reltol: parse_reltol(&self.reltol)?,
        })
    }

    /// The validated limits of each run, the timeout among them.
    pub fn limits(&self) -> Result<Limits> {
        self.limits.limits(timeout("--timeout", &self.timeout)?)
    }
}

/// Parses an optional positive time in seconds (SPICE suffixes allowed) for `flag`.
pub fn positive_seconds(flag: &str, text: &Option<String>) -> Result<Option<f64>> {
    match text {
        None => Ok(None),
        Some(t) => {
            let x = parse_number(t).map_err(|e| anyhow::anyhow!("{flag} `{t}`: {e}"))?;
            if !(x.is_finite() && x > 0.0) {
                bail!("{flag} `{t}`: must be a positive time in seconds");
            }
            Ok(Some(x))
        }
    }
}

/// Parses a relative tolerance strictly between 0 and 1.
fn parse_reltol(text: &Option<String>) -> Result<Option<f64>> {
    match text {
        None => Ok(None),
        Some(t) => {
            let x = parse_number(t).map_err(|e| anyhow::anyhow!("--reltol `{t}`: {e}"))?;
            if !(x.is_finite() && x > 0.0 && x < 1.0) {
                bail!("--reltol `{t}`: must lie strictly between 0 and 1");
            }
            Ok(Some(x))
        }
    }
}

/// Parses `LO,HI` in volts (SPICE suffixes allowed) for `flag`: finite,
/// LO < HI, within ±1 kV and at least 1 µV wide, so that the grids the
/// analyses sample stay resolvable and finite.
pub fn voltage_range(flag: &str, text: &str) -> Result<(f64, f64)> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [lo, hi] = parts.as_slice() else { bail!("{flag} `{text}`: expected LO,HI in volts") };
    let num = |t: &str| parse_number(t).map_err(|e| anyhow::anyhow!("{flag} `{text}`: {e}"));
    let (lo, hi) = (num(lo)?, num(hi)?);
    atscale_design::landscape::check_voltage_window(lo, hi)
        .map_err(|why| anyhow::anyhow!("{flag} `{text}`: {why}"))?;
    Ok((lo, hi))
}
