//! A technology as `atscale realise --tech` and a sweep's `[realise] tech`
//! name it: a built-in or a TOML file, its model library found (an
//! installed PDK's folder, or the file's), its subthreshold parameters
//! measured on its own models when it asks for that ([`measured`]), and
//! its statistical library section ([`monte_carlo_section`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_design::realise::tech::BUILTIN_NAMES;
use atscale_design::realise::Technology;

use crate::characterise::{characterise, Characterisation};
use crate::error::{Error, Result};
use crate::simulator::Simulator;

/// The technology `arg` names (a built-in name or a TOML file) and the
/// folder its library path is relative to: the installed PDK's for a
/// technology on a PDK, else the file's.
///
/// # Errors
///
/// [`Error::Technology`] for a file that cannot be read (naming the
/// built-ins) or a PDK that is not installed (naming `make pdks`); the
/// technology reader's error for a bad file.
pub fn load(arg: &str) -> Result<(Technology, Option<PathBuf>)> {
    let (tech, dir) = tech_and_dir(arg)?;
    match &tech.pdk {
        Some(pdk) => {
            let dir = pdk_dir(pdk)?;
            Ok((tech, Some(dir)))
        }
        None => Ok((tech, dir)),
    }
}

/// Where the model files of `pdk` are installed: `$ATSCALE_PDK_ROOT/<pdk>`,
/// else `.venv/atscale/pdk/<pdk>` under the current folder (where
/// `scripts/install-pdks.sh` puts them in atscale's repository).
fn pdk_dir(pdk: &str) -> Result<PathBuf> {
    let root = std::env::var_os("ATSCALE_PDK_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(".venv/atscale/pdk"), PathBuf::from);
    let dir = root.join(pdk);
    if !dir.is_dir() {
        return Err(Error::Technology(format!(
            "the {pdk} PDK is not installed: {} is not a folder. Install its model files with \
             `make pdks` (scripts/install-pdks.sh) in atscale's repository, or set ATSCALE_PDK_ROOT \
             to the folder that holds {pdk}/",
            dir.display()
        )));
    }
    Ok(dir)
}

/// How a report names the technology `arg` names, so that it loads again
/// from any folder: a built-in's name (built-ins come first, as in
/// [`load`]), else the file's absolute path.
pub fn source(arg: &str) -> String {
    if Technology::builtin_text(arg).is_some() {
        return arg.to_string();
    }
    std::fs::canonicalize(arg).map_or_else(|_| arg.to_string(), |p| p.display().to_string())
}

fn tech_and_dir(arg: &str) -> Result<(Technology, Option<PathBuf>)> {
    if Technology::builtin_text(arg).is_some() {
        return Ok((Technology::builtin(arg)?, None));
    }
    let path = PathBuf::from(arg);
    let rules = atscale_files::InputRules::named(atscale_files::DEFAULT_MAX_INPUT_BYTES);
    let input = atscale_files::read_input(&path, "the technology file", &rules).map_err(|e| {
        Error::Technology(format!(
            "cannot read technology {arg} (not a built-in: {}): {e}",
            BUILTIN_NAMES.join(", ")
        ))
    })?;
    if let Some(line) = input.latin1 {
        tracing::warn!("{}:{line}: not UTF-8 (first at this line); read as Latin-1", path.display());
    }
    let dir = path.parent().map(Path::to_path_buf);
    Ok((Technology::from_toml_str(&input.text, &path.display().to_string())?, dir))
}

/// The technology with its subthreshold parameters measured on its own
/// models when it says `[subthreshold] measure = true` (one run of
/// `runner`, or the cache: [`characterise`]), and the characterisation.
///
/// # Errors
///
/// The characterisation's error.
pub fn measured(
    tech: Technology,
    tech_dir: Option<&Path>,
    runner: &Simulator,
    timeout: Duration,
) -> Result<(Technology, Option<Characterisation>)> {
    if !tech.measure_subthreshold {
        return Ok((tech, None));
    }
    let (t, c) = characterise(&tech, tech_dir, runner, timeout)?;
    Ok((t, Some(c)))
}

/// The technology's statistical library section, whose random draws
/// (process variation and mismatch, as the PDK defines them) follow the
/// simulator's seed.
///
/// # Errors
///
/// [`Error::Technology`] when it has none, with the reason the technology
/// gives (`library = { no_monte_carlo = "..." }`).
pub fn monte_carlo_section(tech: &Technology) -> Result<&str> {
    tech.monte_carlo_section.as_deref().ok_or_else(|| {
        Error::Technology(format!(
            "Monte Carlo needs a technology with a statistical library section \
             (`library = {{ monte_carlo = ... }}`); {} has none{}",
            tech.name,
            tech.no_monte_carlo.as_ref().map(|why| format!(": {why}")).unwrap_or_default()
        ))
    })
}
