//! A technology's subthreshold parameters measured on its own models in
//! its simulator (ngspice, or VACASK for `engine = "vacask"`;
//! [`atscale_design::realise::characterise`] has the bench and the fit),
//! once: the result is cached under `atscale/characterisation` in the
//! user's cache folder ([`atscale_files::cache::cache_dir`]), keyed by the
//! technology, its model library (path, size and modification time of
//! every file in the library's folder), the simulator's version and atscale's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atscale_circuit::{Analysis, Options as SpiceOptions, Tran};
use atscale_design::realise::characterise::{
    bench, fit, fit_bench, length_bench, Bench, Characterised, FIT_VERSION,
};
use atscale_design::realise::tech::ModelSource;
use atscale_design::realise::Engine;
use atscale_design::realise::{with_subckt_devices, Amplifier, Followers, Technology};
use atscale_files::cache;
use atscale_spice::Header;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::realise::library_setup;
use crate::simulator::{write, RunLimits, Simulator};

/// A characterisation and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Characterisation {
    /// The technology's name.
    pub technology: String,
    /// The measured parameters.
    pub measured: Characterised,
    /// The simulator that measured them, with its version.
    pub simulator: String,
    /// Wall time of the measuring runs (the bench and the length bench), s.
    pub wall_s: f64,
    /// Whether this came from the cache (no run now).
    #[serde(skip_deserializing)]
    pub from_cache: bool,
}

/// Measures `tech`'s subthreshold parameters (or reads them from the
/// cache) and returns them with the technology filled in.
///
/// # Errors
///
/// The run's error (missing library, timeout, non-convergence), a missing
/// current in its output, or the fit's error naming the device.
pub fn characterise(
    tech: &Technology,
    tech_dir: Option<&Path>,
    runner: &Simulator,
    timeout: Duration,
) -> Result<(Technology, Characterisation)> {
    let entry = cache_entry(tech, tech_dir, runner);
    let cached = entry.as_ref().and_then(|p| cache::load(p, 1 << 20)).and_then(|b| {
        serde_json::from_slice::<Characterisation>(&b)
            .ok()
            .filter(|c| c.technology == tech.name && c.measured.is_physical())
    });
    let c = match cached {
        Some(mut c) => {
            c.from_cache = true;
            c
        }
        None => {
            let c = measure(tech, tech_dir, runner, timeout)?;
            if let Some(p) = &entry {
                let kept = serde_json::to_vec_pretty(&c)
                    .map_err(std::io::Error::other)
                    .and_then(|b| cache::store(p, &b));
                if let Err(e) = kept {
                    tracing::debug!(cache = %p.display(), "could not keep the characterisation: {e}");
                }
            }
            c
        }
    };
    let mut filled = tech.clone();
    filled.subthreshold = Some(c.measured.subthreshold());
    Ok((filled, c))
}

/// Runs the bench in the simulator, then the length bench at the pairs'
/// source it gives, and fits them.
fn measure(
    tech: &Technology,
    tech_dir: Option<&Path>,
    runner: &Simulator,
    timeout: Duration,
) -> Result<Characterisation> {
    let b = bench(tech)?;
    let started = Instant::now();
    let currents = run_bench(tech, tech_dir, runner, timeout, &b)?;
    let first = fit_bench(tech, &b, &currents)?;
    let lengths = length_bench(tech, first.pair_source_v());
    let length_currents = run_bench(tech, tech_dir, runner, timeout, &lengths)?;
    Ok(Characterisation {
        technology: tech.name.clone(),
        measured: fit(tech, &first, &lengths, &length_currents)?,
        simulator: runner.version(),
        wall_s: started.elapsed().as_secs_f64(),
        from_cache: false,
    })
}

/// The magnitudes of a bench's drain currents at its operating point, A,
/// in the order of its points.
fn run_bench(
    tech: &Technology,
    tech_dir: Option<&Path>,
    runner: &Simulator,
    timeout: Duration,
    b: &Bench,
) -> Result<Vec<f64>> {
    let subckts: Vec<_> = tech.nmos_subckt.iter().chain(tech.pmos_subckt.iter()).cloned().collect();
    let circuit = with_subckt_devices(&b.circuit, &subckts);
    // A DC bench: the currents are read at the operating point (t = 0) of a one-step transient.
    let tran = Tran { tstep_s: 1e-9, tstop_s: 1e-9, tstart_s: 0.0, tmax_s: Some(1e-9), uic: false };
    // ngspice: a seed, so that a statistical section gives the same draws on
    // every run (VACASK has no statistical sections here, and no seed option).
    let seed = (runner.engine() == Engine::Ngspice).then(|| ("seed".to_string(), Some("1".to_string())));
    let options = SpiceOptions { other: seed.into_iter().collect(), ..SpiceOptions::default() };
    let analysis = Analysis { tran: Some(tran), options, ..Analysis::default() };
    let setup = library_setup(library(tech).as_ref(), tech.temperature_c, tech_dir)?;
    let header = Header {
        lines: vec![format!("Subthreshold characterisation of {}", tech.name)],
        ..Header::default()
    };
    let written = write(runner.engine(), &circuit, &analysis, &setup, &header)?;
    let limits = RunLimits { tstop_s: 1e-9, timeout, accept_recovered_singular: false, saves: &[] };
    let run = runner.run(&written, "characterise", &limits)?;
    let what = "the characterisation bench";
    let plot = run.plot().ok_or(Error::Measurement { what, missing: "a transient plot" })?;
    b.points
        .iter()
        .map(|p| {
            let i = plot.real(&format!("i({})", p.source.to_ascii_lowercase()))?;
            Ok(i.first().copied().unwrap_or(f64::NAN).abs())
        })
        .collect()
}

/// The technology's library as a realisation names it.
fn library(tech: &Technology) -> Option<(String, Option<String>)> {
    match &tech.models {
        ModelSource::Library { path, section } => Some((path.clone(), section.clone())),
        ModelSource::Cards(_) => None,
    }
}

/// The cache file of `tech`'s characterisation, `None` without a cache
/// folder. The key holds the technology, the bench's version, the
/// simulator's and atscale's, and the size and modification time of every file in the
/// library's folder and below (a PDK's models are spread over many files
/// the library includes; at most [`MAX_STAMPED_FILES`]).
fn cache_entry(tech: &Technology, tech_dir: Option<&Path>, runner: &Simulator) -> Option<PathBuf> {
    let dir = cache::cache_dir("characterisation")?;
    // The amplifier and followers a technology defaults to do not change its transistors.
    let measured =
        Technology { amplifier: Amplifier::default(), followers: Followers::default(), ..tech.clone() };
    let tech_json = serde_json::to_string(&measured).ok()?;
    let lib = library(tech).map(|(p, _)| match tech_dir {
        Some(d) if Path::new(&p).is_relative() => d.join(p),
        _ => PathBuf::from(p),
    });
    let stamp = lib.as_ref().and_then(|p| p.parent()).map_or_else(String::new, folder_stamp);
    let version = format!("{} fit {FIT_VERSION} {}", env!("CARGO_PKG_VERSION"), runner.version());
    let parts = [version.as_str(), tech_json.as_str(), stamp.as_str()];
    let key = format!("{:016x}", cache::fnv1a(0xcbf2_9ce4_8422_2325, &parts));
    Some(dir.join(format!("{}-{key}.json", tech.name)))
}

/// Most entries (files and folders) a cache key's stamp visits.
const MAX_STAMPED_FILES: usize = 50_000;

/// Path, size and modification time of every file under `dir`, links
/// followed (a PDK folder is links into the installed package); at most
/// [`MAX_STAMPED_FILES`] entries visited, so a link loop ends.
fn folder_stamp(dir: &Path) -> String {
    let mut lines = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    let mut visited = 0;
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            visited += 1;
            if visited > MAX_STAMPED_FILES {
                return lines.join("\n");
            }
            let path = e.path();
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => todo.push(path),
                Ok(m) if m.is_file() => {
                    lines.push(format!("{}|{}|{:?}", path.display(), m.len(), m.modified().ok()));
                }
                _ => {}
            }
        }
    }
    lines.sort();
    lines.join("\n")
}
