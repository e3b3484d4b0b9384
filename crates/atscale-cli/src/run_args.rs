//! Options every simulating subcommand shares: overrides of the netlist's
//! analysis, ngspice's control-block permission and its timeout.

use std::time::Duration;

use anyhow::{bail, Result};
use atscale_spice::number::parse_number;
use atscale_verify::engines::Overrides;

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
    /// Let ngspice run a netlist that holds a .control block or shell command.
    #[arg(long)]
    pub allow_control: bool,
    /// Kill an ngspice run after this many seconds.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
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

    /// The validated ngspice timeout.
    pub fn timeout(&self) -> Result<Duration> {
        let t = positive_seconds("--timeout", &Some(self.timeout.clone()))?.unwrap_or(600.0);
        Duration::try_from_secs_f64(t)
            .map_err(|_| anyhow::anyhow!("--timeout `{}`: too large for a duration in seconds", self.timeout))
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
