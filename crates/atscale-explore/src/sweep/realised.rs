//! A realisation as a sweep's base (`[realise]`): `atscale realise
//! --monte-carlo` as a sweep, sharded, resumed and merged like the others.
//!
//! The design is realised in the technology and sized once, as `atscale
//! realise` sizes it ([`crate::realise::sized`]: the technology's
//! subthreshold parameters from its characterisation cache, the bias
//! mirrors sized in the simulator when there are any; no membrane trim).
//! Point `i` runs that sized circuit on the technology's statistical library
//! section with the simulator's seed `seed + i` ([`monte_carlo_draw`], the
//! draw of `atscale realise --monte-carlo` with `--seed` the sweep's seed),
//! or, for a technology whose simulator cannot draw (IHP in VACASK), with
//! the values atscale draws from that seed ([`crate::drawn`]), so its row
//! depends on the point alone. Its metrics come from the
//! membrane's spike events ([`super::metrics::values`]) and, for
//! `energy_per_spike`, the energy the supply delivers per spike as `atscale
//! realise` reports it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_circuit::units::si;
use atscale_design::realise::mapping::ReferenceSource;
use atscale_design::realise::{BiasSource, Engine, Options, Realisation, Technology};
use atscale_design::spec::Design;

use super::metrics::{values, Metric, Value};
use super::spec::{RealiseSource, SimSettings};
use crate::drawn::Statistics;
use crate::error::{Error, Result};
use crate::realise::{drawn_statistics, monte_carlo_draw, sized, Request};
use crate::simulator::Simulator;
use crate::technology::{load, measured, monte_carlo_section};

/// A sized realisation and what its Monte Carlo draws run on.
#[derive(Debug, Clone)]
pub struct Realised {
    /// The design.
    pub design: Design,
    /// Its file, named in the netlists' headers.
    pub design_path: PathBuf,
    /// The technology, its subthreshold parameters measured when it measures them.
    pub technology: Technology,
    /// The folder its library path is relative to.
    pub tech_dir: Option<PathBuf>,
    /// The realisation's options.
    pub options: Options,
    /// The sized realisation.
    pub realisation: Realisation,
    /// The statistical library section every point runs on.
    pub section: String,
    /// The statistics atscale draws each point's values from, when the
    /// simulator cannot ([`crate::drawn`]).
    pub statistics: Option<Statistics>,
    /// The simulator.
    pub simulator: Simulator,
    /// Stop time of every run, s.
    pub tstop_s: f64,
}

impl Realised {
    /// Loads the technology and the design and sizes the realisation.
    ///
    /// # Errors
    ///
    /// The technology's error (not installed, no statistical section, runs
    /// in VACASK), the design's, the characterisation's or the sizing's.
    pub fn load(src: &RealiseSource, sim: &SimSettings, timeout: Duration) -> Result<Realised> {
        let (tech, tech_dir) = load(&src.tech)?;
        let section = monte_carlo_section(&tech)?.to_string();
        if tech.engine != Engine::Ngspice && tech.monte_carlo_draws.is_none() {
            return Err(Error::Technology(format!(
                "technology {} runs in {} and gives no statistics for atscale to draw \
                 ([models.library.draws]): a [realise] sweep's draws need them there",
                tech.name, tech.engine
            )));
        }
        let simulator = Simulator::detect(tech.engine, timeout)?;
        let (technology, _) = measured(tech, tech_dir.as_deref(), &simulator, timeout)?;
        let design = read_design(&src.design)?;
        let options = Options {
            bias_scale: src.bias_scale,
            bias: src.bias,
            references: src.references,
            amplifier: src.amplifier.unwrap_or(technology.amplifier),
            cascode_membrane: src.cascode_membrane,
            followers: src.followers.unwrap_or(technology.followers),
            ..Options::default()
        };
        let mut req = request((&design, &src.design), (&technology, tech_dir.as_deref()), options, timeout);
        req.tstop_model = sim.tstop_units;
        req.compensate_strays = src.compensate_strays;
        req.cancel_follower_offsets = src.cancel_follower_offsets;
        let statistics = drawn_statistics(&req)?;
        let (mut realisation, tstop_s) = sized(&req, &simulator)?;
        if let Some(h) = sim.max_step_s {
            realisation.run.tmax_s = h;
        }
        Ok(Realised {
            design,
            design_path: src.design.clone(),
            technology,
            tech_dir,
            // As sized: with the strays and follower offsets measured.
            options: realisation.options.clone(),
            realisation,
            section,
            statistics,
            simulator,
            tstop_s: sim.tstop_s.unwrap_or(tstop_s),
        })
    }

    /// What the sizing measured, as results files record it to compare on
    /// resume (the `base` line, compared loosely, gives it for reading): the
    /// membrane's stray capacitance taken off (F) and the linearised
    /// followers' offsets cancelled (model volts), exactly, each key
    /// ending in its unit.
    pub fn sizing(&self) -> String {
        let o = &self.options;
        let offsets: Vec<String> = o.follower_offsets.iter().map(|(e, x)| format!("{e}:{x:e}")).collect();
        format!("membrane_stray_f={:e} follower_offsets_model_v={}", o.membrane_stray_f, offsets.join(","))
    }

    /// The base's description in results files.
    pub fn describe(&self) -> String {
        let o = &self.options;
        let bias = match (o.bias, o.cascode_membrane) {
            (BiasSource::Ideal, _) => "ideal",
            (BiasSource::Mirrors, false) => "mirrors",
            (BiasSource::Mirrors, true) => "mirrors, membrane mirror cascoded",
        };
        let references = match o.references {
            ReferenceSource::Ideal => "ideal",
            ReferenceSource::Ladder => "ladder",
        };
        let mut measured = String::new();
        if o.membrane_stray_f != 0.0 {
            measured.push_str(&format!(", membrane strays of {} compensated", si(o.membrane_stray_f, "F")));
        }
        if !o.follower_offsets.is_empty() {
            let s = self.realisation.scales.s_volt;
            let each: Vec<String> =
                o.follower_offsets.iter().map(|(e, x)| format!("{e} {}", si(x * s, "V"))).collect();
            measured.push_str(&format!(", follower offsets cancelled ({})", each.join(" ")));
        }
        format!(
            "realisation of {} in technology {} (bias {bias}, references {references}, amplifier {}, followers \
             {}, bias scale {}{measured}), statistical section {}{}, {} per run",
            self.design_path.display(),
            self.technology.name,
            o.amplifier.name(),
            o.followers.name(),
            o.bias_scale,
            self.section,
            self.statistics.as_ref().map_or(String::new(), |s| format!(
                " with values drawn by atscale ({}) in {}",
                s.source,
                self.simulator.version()
            )),
            si(self.tstop_s, "s")
        )
    }

    /// Runs one draw with the simulator's seed `engine_seed` and measures `metrics`.
    ///
    /// # Errors
    ///
    /// A sentence: the netlist writer's or the simulator's error.
    pub fn measure(
        &self,
        metrics: &[Metric],
        engine_seed: u64,
        timeout: Duration,
    ) -> std::result::Result<Vec<Value>, String> {
        let req = request(
            (&self.design, &self.design_path),
            (&self.technology, self.tech_dir.as_deref()),
            self.options.clone(),
            timeout,
        );
        let draw = (self.section.as_str(), engine_seed, self.statistics.as_ref());
        let run = monte_carlo_draw(&req, &self.simulator, &self.realisation, self.tstop_s, draw)
            .map_err(|e| e.to_string())?;
        let m = run.measured.ok_or_else(|| run.error.unwrap_or_default())?;
        Ok(values(metrics, &m.events_s, None, m.energy_per_spike_j))
    }
}

/// What `atscale realise` would be asked: the design (and its file) in the
/// technology (and its folder) with `options`, a time limit per run, no
/// trim, nothing but the runs asked for.
fn request<'a>(
    (design, design_path): (&'a Design, &'a Path),
    (tech, tech_dir): (&'a Technology, Option<&'a Path>),
    options: Options,
    timeout: Duration,
) -> Request<'a> {
    Request {
        design,
        design_path,
        tech,
        tech_dir,
        options,
        no_sim: false,
        trim: false,
        sweep: &[],
        corners: &[],
        temperatures_c: &[],
        monte_carlo: None,
        max_step_model: None,
        tstop_model: None,
        timeout,
        compensate_strays: false,
        cancel_follower_offsets: false,
        ideal_blocks: &[],
    }
}

/// The simulator's seed of point `i` of a sweep seeded `seed`.
pub fn engine_seed(seed: u64, i: usize) -> u64 {
    seed + i as u64
}

/// A design spec (TOML, designed here) or a `design.json` of `atscale design`.
fn read_design(path: &Path) -> Result<Design> {
    let text = crate::read_text(path, "the design")?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return serde_json::from_str(&text).map_err(|e| Error::Spec {
            file: path.display().to_string(),
            line: e.line(),
            message: format!("not a design.json written by `atscale design`: {e}"),
        });
    }
    let spec = atscale_design::spec::Spec::from_toml_str(&text, &path.display().to_string())?;
    Ok(atscale_design::spec::design(&spec)?)
}
