//! The reliability experiment (theory section 9; Mainen & Sejnowski,
//! *Science* 268:1503, 1995): a neuron driven again and again by the same
//! frozen fluctuating current fires at reproducible times, while a
//! constant current of equal mean gives spikes that drift apart from trial
//! to trial.
//!
//! A [`ReliabilitySpec`] (TOML, see [`ReliabilitySpec::from_toml_str`])
//! names the circuit, the drive and the analysis; [`run`] simulates both
//! cases with the native solver and returns a [`Reliability`] with the
//! spike trains and their [`TrainStats`].
//!
//! # The drive
//!
//! Time and current are in the template's model units (the
//! FitzHugh-Nagumo circuit: `C = 1`, so a current of 1 moves the membrane
//! by 1 per time unit). Trial `k` of a case is driven by
//!
//! ```text
//! I_k(t) = mean_current + frozen(t) + private_k(t)      frozen-noise case
//! I_k(t) = mean_current             + private_k(t)      constant case
//! ```
//!
//! where `frozen` is one realisation, the same in every trial, of an
//! Ornstein-Uhlenbeck process of standard deviation `noise_std` and
//! correlation time `correlation_time` (autocorrelation
//! `std² exp(-|t|/tau_c)`: low-pass filtered white noise), and `private_k`
//! is trial `k`'s own realisation of the same kind of process with
//! standard deviation `trial_noise_std`. Both are sampled *exactly* (the
//! discretised OU recursion `x[n+1] = a x[n] + std sqrt(1 - a²) z`,
//! `a = exp(-dt/tau_c)`, started from the stationary law) on a grid of step
//! `dt = correlation_time / 4` ([`GRID_PER_TAU`]) and joined linearly: the
//! drive is one `PWL` current source, so the corners are breakpoints of the
//! native solver and the same netlist runs in ngspice. With
//! `random_initial_states`, trial `k` also starts from a random membrane
//! voltage and recovery current, uniform over a box that holds the limit
//! cycle ([`FHN_INITIAL_BOX`]). The private noise and the initial state of
//! trial `k` are the same in both cases, so the cases differ only by the
//! frozen noise.
//!
//! Random numbers: the frozen noise draws from `Rng::stream(seed, 0)`,
//! trial `k` (initial state, then private noise) from
//! `Rng::stream(seed, k + 1)`. The same seed gives the same results.
//!
//! # The statistics ([`train_stats`])
//!
//! Spikes are rising crossings of the membrane through `spike_threshold`
//! (re-armed below `spike_threshold - spike_hysteresis`). Only spikes in the
//! analysis window `[settle_time, duration)` count (the first `settle_time`
//! lets the random initial states be forgotten, or not).
//!
//! - **PSTH**: the window is cut into bins of width `bin_width` (a last
//!   partial bin is dropped); bin `j` holds `n_j` spikes of all trials and its
//!   rate is `n_j / (trials × bin_width)`, spikes per trial per time unit.
//! - **Events**: maximal runs of consecutive bins each holding at least
//!   `max(2, event_fraction × trials)` spikes, i.e. bins in which at least a
//!   fraction `event_fraction` of the trials fire (the PSTH-threshold
//!   definition of Mainen & Sejnowski 1995: an event is a peak of the PSTH
//!   above a threshold, here stated as a fraction of trials so that it does
//!   not depend on the bin width).
//! - **Reliability**: the fraction of all spikes in the window that fall in
//!   events, in `[0, 1]` (Mainen & Sejnowski's definition; 0 when no spike).
//! - **Precision**: the mean over events of the standard deviation of the
//!   spike times in the event (population standard deviation, divided by
//!   the number of spikes in the event), in the circuit's unit of time;
//!   `None` when there is no event. Smaller is more precise.
//!
//! # The verdict
//!
//! The experiment passes ([`Reliability::passed`]) when the frozen-noise
//! reliability exceeds [`PASS_FROZEN_MIN`] and the constant-current
//! reliability is below the frozen one by at least [`PASS_MARGIN`].

use atscale_circuit::{ElementKind, FlatCircuit, Waveform};
use atscale_sim::{Bounds, Direction, Simulation};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::templates::{self, Template};
use crate::toml_file::TomlFile;
use atscale_circuit::random::Rng;

use crate::spikes::{train_stats, TrainStats};

/// The circuits a reliability experiment can drive (`template = "..."`).
pub const RELIABILITY_TEMPLATES: [&str; 1] = ["fitzhugh-nagumo"];

/// PWL corners per correlation time of the noise.
pub const GRID_PER_TAU: f64 = 4.0;

/// The box random initial states of the FitzHugh-Nagumo circuit are drawn
/// from, uniformly: `((v_min, v_max), (i_L_min, i_L_max))`, model units. It
/// holds the limit cycle at every tonic bias.
pub const FHN_INITIAL_BOX: ((f64, f64), (f64, f64)) = ((-2.0, 2.0), (-0.5, 1.5));

/// The frozen-noise reliability must exceed this for the experiment to pass.
pub const PASS_FROZEN_MIN: f64 = 0.9;

/// The constant-current reliability must be below the frozen one by this much.
pub const PASS_MARGIN: f64 = 0.3;

/// The largest number of PWL corners a drive may have.
pub const MAX_CORNERS: usize = 1_000_000;

/// The most PSTH bins an experiment may have (8 MB of counts).
pub const MAX_BINS: usize = 1_000_000;

/// A reliability experiment: the circuit, the drive, the trials and the
/// analysis. Times and currents are in the template's model units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilitySpec {
    /// The template driven (`fitzhugh-nagumo`, the default).
    pub template: String,
    /// Mean drive current, model units (default 0.5: tonic spiking).
    pub mean_current: f64,
    /// Standard deviation of the frozen noise, model units (default 1).
    pub noise_std: f64,
    /// Correlation time of the frozen and private noises, model time units (default 3).
    pub correlation_time: f64,
    /// Length of each trial, model time units (default 500).
    pub duration: f64,
    /// Spikes before this time are not analysed, model time units (default 100, or half
    /// the duration if that is shorter).
    pub settle_time: f64,
    /// Number of trials per case (default 30, at least 2).
    pub trials: usize,
    /// Standard deviation of each trial's private noise, model units (default 0.02; may be 0).
    pub trial_noise_std: f64,
    /// Whether each trial starts from a random state (default true).
    pub random_initial_states: bool,
    /// The seed of every random draw (default 1).
    pub seed: u64,
    /// PSTH bin width, model time units (default 2).
    pub bin_width: f64,
    /// The fraction of trials that must fire in a bin for it to be part of
    /// an event, in (0, 1] (default 0.25).
    pub event_fraction: f64,
    /// Spike threshold on the membrane, model units (default: the template's, 1).
    pub spike_threshold: f64,
    /// Spike hysteresis, model units (default: the template's, 0.5).
    pub spike_hysteresis: f64,
}

impl Default for ReliabilitySpec {
    fn default() -> Self {
        let t = templates::fitzhugh_nagumo(0.5);
        ReliabilitySpec {
            template: "fitzhugh-nagumo".into(),
            mean_current: 0.5,
            noise_std: 1.0,
            correlation_time: 3.0,
            duration: 500.0,
            settle_time: 100.0,
            trials: 30,
            trial_noise_std: 0.02,
            random_initial_states: true,
            seed: 1,
            bin_width: 2.0,
            event_fraction: 0.25,
            spike_threshold: t.threshold,
            spike_hysteresis: t.hysteresis,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    template: Option<Spanned<String>>,
    mean_current: Option<Spanned<f64>>,
    noise_std: Option<Spanned<f64>>,
    correlation_time: Option<Spanned<f64>>,
    duration: Option<Spanned<f64>>,
    settle_time: Option<Spanned<f64>>,
    trials: Option<Spanned<i64>>,
    trial_noise_std: Option<Spanned<f64>>,
    random_initial_states: Option<bool>,
    seed: Option<Spanned<i64>>,
    bin_width: Option<Spanned<f64>>,
    event_fraction: Option<Spanned<f64>>,
    spike_threshold: Option<Spanned<f64>>,
    spike_hysteresis: Option<Spanned<f64>>,
}

type Ctx<'a> = TomlFile<'a>;

impl Ctx<'_> {
    /// The value, or the default; checked by `ok` (a requirement phrase for the error).
    fn num(
        &self,
        key: &str,
        v: &Option<Spanned<f64>>,
        default: f64,
        requirement: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<f64> {
        match v {
            None => Ok(default),
            Some(x) => {
                let value = *x.get_ref();
                if value.is_finite() && ok(value) {
                    Ok(value)
                } else {
                    Err(self.err(x.span().start, format!("{key} must be {requirement}, got {value}")))
                }
            }
        }
    }
}

impl ReliabilitySpec {
    /// Reads an experiment from TOML text; `file_name` names it in errors.
    /// Every key is optional (see [`ReliabilitySpec::default`]).
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] naming the file, the line and the problem: malformed
    /// TOML, an unknown key, an unknown template, a value out of range, a
    /// settle time not shorter than the duration, a bin wider than the
    /// analysis window, too many PWL corners.
    pub fn from_toml_str(text: &str, file_name: &str) -> Result<ReliabilitySpec> {
        let cx = Ctx { text, file: file_name };
        let raw: RawSpec = cx.parse()?;
        let d = ReliabilitySpec::default();
        let template = match &raw.template {
            None => d.template.clone(),
            Some(t) => {
                let name = t.get_ref();
                if !RELIABILITY_TEMPLATES.contains(&name.as_str()) {
                    return Err(cx.err(
                        t.span().start,
                        format!(
                            "unknown template `{name}`; the reliability experiment drives {}",
                            RELIABILITY_TEMPLATES.join(", ")
                        ),
                    ));
                }
                name.clone()
            }
        };
        let positive = "positive and finite";
        let non_negative = "finite and not negative";
        let mean_current = cx.num("mean_current", &raw.mean_current, d.mean_current, "finite", |_| true)?;
        let noise_std = cx.num("noise_std", &raw.noise_std, d.noise_std, non_negative, |x| x >= 0.0)?;
        let correlation_time =
            cx.num("correlation_time", &raw.correlation_time, d.correlation_time, positive, |x| x > 0.0)?;
        let duration = cx.num("duration", &raw.duration, d.duration, positive, |x| x > 0.0)?;
        let settle_time =
            cx.num("settle_time", &raw.settle_time, d.settle_time.min(duration / 2.0), non_negative, |x| {
                x >= 0.0
            })?;
        let trial_noise_std =
            cx.num("trial_noise_std", &raw.trial_noise_std, d.trial_noise_std, non_negative, |x| x >= 0.0)?;
        let bin_width = cx.num("bin_width", &raw.bin_width, d.bin_width, positive, |x| x > 0.0)?;
        let event_fraction =
            cx.num("event_fraction", &raw.event_fraction, d.event_fraction, "in (0, 1]", |x| {
                x > 0.0 && x <= 1.0
            })?;
        let spike_threshold =
            cx.num("spike_threshold", &raw.spike_threshold, d.spike_threshold, "finite", |_| true)?;
        let spike_hysteresis =
            cx.num("spike_hysteresis", &raw.spike_hysteresis, d.spike_hysteresis, positive, |x| x > 0.0)?;
        let trials = match &raw.trials {
            None => d.trials,
            Some(n) => {
                let v = *n.get_ref();
                if !(2..=100_000).contains(&v) {
                    return Err(cx.err(n.span().start, format!("trials must be from 2 to 100000, got {v}")));
                }
                usize::try_from(v).unwrap_or(d.trials)
            }
        };
        let seed = match &raw.seed {
            None => d.seed,
            Some(s) => {
                let v = *s.get_ref();
                u64::try_from(v).map_err(|_| {
                    cx.err(s.span().start, format!("seed must be a whole number from 0, got {v}"))
                })?
            }
        };
        let at = |k: &Option<Spanned<f64>>| k.as_ref().map_or(0, |x| x.span().start);
        if settle_time >= duration {
            return Err(cx.err(
                at(&raw.settle_time),
                format!("settle_time ({settle_time}) must be shorter than duration ({duration})"),
            ));
        }
        if bin_width > duration - settle_time {
            return Err(cx.err(
                at(&raw.bin_width),
                format!(
                    "bin_width ({bin_width}) is wider than the analysis window from settle_time to \
                     duration ({})",
                    duration - settle_time
                ),
            ));
        }
        let bins = (duration - settle_time) / bin_width;
        if bins > MAX_BINS as f64 {
            return Err(cx.err(
                at(&raw.bin_width),
                format!(
                    "bin_width ({bin_width:e}) cuts the analysis window into {bins:.3e} bins, more than \
                     {MAX_BINS}; widen bin_width or shorten the window"
                ),
            ));
        }
        let corners = duration / correlation_time * GRID_PER_TAU;
        if corners > MAX_CORNERS as f64 {
            return Err(cx.err(
                at(&raw.correlation_time),
                format!(
                    "duration / correlation_time = {} gives more than {MAX_CORNERS} PWL corners; \
                     lengthen correlation_time or shorten duration",
                    duration / correlation_time
                ),
            ));
        }
        Ok(ReliabilitySpec {
            template,
            mean_current,
            noise_std,
            correlation_time,
            duration,
            settle_time,
            trials,
            trial_noise_std,
            random_initial_states: raw.random_initial_states.unwrap_or(d.random_initial_states),
            seed,
            bin_width,
            event_fraction,
            spike_threshold,
            spike_hysteresis,
        })
    }

    /// The step of the PWL grid, model time units: `correlation_time / GRID_PER_TAU`.
    pub fn grid_step(&self) -> f64 {
        self.correlation_time / GRID_PER_TAU
    }

    /// The number of grid intervals covering the duration.
    fn grid_len(&self) -> usize {
        // Bounded by MAX_CORNERS when read from TOML; clamp for hand-built specs.
        (self.duration / self.grid_step()).ceil().clamp(1.0, MAX_CORNERS as f64) as usize
    }
}

/// `n + 1` samples, at step `dt`, of a stationary Ornstein-Uhlenbeck
/// process of mean 0, standard deviation `std` and correlation time `tau`
/// (exact discretisation, started from the stationary law).
pub fn ornstein_uhlenbeck(rng: &mut Rng, std: f64, tau: f64, dt: f64, n: usize) -> Vec<f64> {
    let a = (-dt / tau).exp();
    let b = std * (1.0 - a * a).max(0.0).sqrt();
    let mut x = std * rng.normal();
    let mut out = Vec::with_capacity(n + 1);
    out.push(x);
    for _ in 0..n {
        x = a * x + b * rng.normal();
        out.push(x);
    }
    out
}

/// The two cases of the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Case {
    /// Mean current plus the frozen noise (plus the private noise).
    FrozenNoise,
    /// Mean current (plus the private noise).
    Constant,
}

impl Case {
    /// A short name for file names (`frozen`, `constant`).
    pub fn short(self) -> &'static str {
        match self {
            Case::FrozenNoise => "frozen",
            Case::Constant => "constant",
        }
    }
}

/// The frozen noise of `spec`: `grid_len + 1` samples at [`ReliabilitySpec::grid_step`].
pub fn frozen_noise(spec: &ReliabilitySpec) -> Vec<f64> {
    let mut rng = Rng::stream(spec.seed, 0);
    ornstein_uhlenbeck(&mut rng, spec.noise_std, spec.correlation_time, spec.grid_step(), spec.grid_len())
}

/// What trial `k` adds to the mean: its initial state `(v, i_L)` (when
/// randomised) and its private noise samples.
fn trial_draws(spec: &ReliabilitySpec, k: usize) -> (Option<(f64, f64)>, Vec<f64>) {
    let mut rng = Rng::stream(spec.seed, k as u64 + 1);
    let state = spec.random_initial_states.then(|| {
        let ((v0, v1), (i0, i1)) = FHN_INITIAL_BOX;
        let v = v0 + (v1 - v0) * rng.uniform();
        let i = i0 + (i1 - i0) * rng.uniform();
        (v, i)
    });
    let noise = ornstein_uhlenbeck(
        &mut rng,
        spec.trial_noise_std,
        spec.correlation_time,
        spec.grid_step(),
        spec.grid_len(),
    );
    (state, noise)
}

fn template_of(spec: &ReliabilitySpec) -> Result<Template> {
    match spec.template.as_str() {
        "fitzhugh-nagumo" => Ok(templates::fitzhugh_nagumo(spec.mean_current)),
        other => Err(Error::BadTemplate {
            template: "reliability",
            reason: format!("`{other}` cannot be driven; use one of {}", RELIABILITY_TEMPLATES.join(", ")),
        }),
    }
}

/// The circuit of trial `k` of `case`: the template with its bias source
/// `Iext` replaced by a PWL current source carrying the drive, and the
/// trial's initial state. Model units.
///
/// # Errors
///
/// [`Error::BadTemplate`] for a template without an `Iext` source.
pub fn trial_circuit(spec: &ReliabilitySpec, case: Case, k: usize) -> Result<FlatCircuit> {
    let frozen = match case {
        Case::FrozenNoise => frozen_noise(spec),
        Case::Constant => Vec::new(),
    };
    trial_circuit_with(spec, case, k, &frozen)
}

fn trial_circuit_with(spec: &ReliabilitySpec, case: Case, k: usize, frozen: &[f64]) -> Result<FlatCircuit> {
    let t = template_of(spec)?;
    let mut c = t.circuit;
    let (state, private) = trial_draws(spec, k);
    let dt = spec.grid_step();
    let points: Vec<(f64, f64)> = private
        .iter()
        .enumerate()
        .map(|(j, p)| (j as f64 * dt, spec.mean_current + frozen.get(j).copied().unwrap_or(0.0) + p))
        .collect();
    let waveform = Waveform::Pwl { points };
    let membrane = t.membrane.clone();
    let mut found = false;
    for e in &mut c.elements {
        match &mut e.kind {
            ElementKind::CurrentSource { waveform: w, .. } if e.name == "Iext" => {
                *w = waveform.clone();
                found = true;
            }
            ElementKind::Capacitor { ic_volt, .. } if e.name == "C1" => {
                if let Some((v, _)) = state {
                    *ic_volt = Some(v);
                }
            }
            ElementKind::Inductor { ic_amp, .. } if e.name == "L1" => {
                if let Some((_, i)) = state {
                    *ic_amp = Some(i);
                }
            }
            _ => {}
        }
    }
    if !found {
        // A zero mean leaves the template without a bias source: add one.
        c.elements.push(atscale_circuit::Element {
            name: "Iext".into(),
            kind: ElementKind::CurrentSource { p: "0".into(), n: membrane, waveform, dc: None },
        });
    }
    c.title = format!(
        "{} reliability trial {k}, {} drive, seed {}",
        t.name,
        match case {
            Case::FrozenNoise => "frozen-noise",
            Case::Constant => "constant-current",
        },
        spec.seed
    );
    Ok(c)
}

/// The spike times of trial `k` of `case` (native solver), model time units.
///
/// # Errors
///
/// [`Error::Sim`] when the solver fails.
fn run_trial(
    spec: &ReliabilitySpec,
    case: Case,
    k: usize,
    frozen: &[f64],
    bounds: &Bounds,
) -> Result<Vec<f64>> {
    let c = trial_circuit_with(spec, case, k, frozen)?;
    let t = template_of(spec)?;
    let r = Simulation::new(&c)?
        .tstop(spec.duration)
        .uic(true)
        .reltol(1e-4)
        .event(&t.membrane, spec.spike_threshold, spec.spike_hysteresis, Direction::Rising)
        .bounded(bounds)
        .run()?;
    Ok(r.event_times(&t.membrane))
}

/// One case of the experiment: its spike trains and statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Which case.
    pub case: Case,
    /// Spike times of each trial (the whole run), time units.
    pub spike_times: Vec<Vec<f64>>,
    /// The statistics over the analysis window.
    pub stats: TrainStats,
}

/// The result of a reliability experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// The experiment.
    pub spec: ReliabilitySpec,
    /// The unit of time of the spike times and statistics (`model time units`).
    pub time_unit: String,
    /// The frozen-noise case.
    pub frozen: CaseResult,
    /// The constant-current case.
    pub constant: CaseResult,
    /// The criterion, as a sentence.
    pub criterion: String,
    /// Whether the frozen case is reliable and the constant one is not (see [`PASS_FROZEN_MIN`], [`PASS_MARGIN`]).
    pub passed: bool,
}

/// Runs the experiment: `trials` native simulations per case, then the
/// statistics of each.
///
/// # Errors
///
/// [`Error::BadTemplate`] for an unknown template, [`Error::Sim`] when a
/// simulation fails.
pub fn run(spec: &ReliabilitySpec, bounds: &Bounds) -> Result<Reliability> {
    let frozen = frozen_noise(spec);
    let trains = |case: Case, noise: &[f64]| -> Result<Vec<Vec<f64>>> {
        (0..spec.trials).map(|k| run_trial(spec, case, k, noise, bounds)).collect()
    };
    let stats = |tr: &[Vec<f64>]| {
        train_stats(tr, spec.settle_time, spec.duration, spec.bin_width, spec.event_fraction)
    };
    let f = trains(Case::FrozenNoise, &frozen)?;
    let c = trains(Case::Constant, &[])?;
    let frozen = CaseResult { case: Case::FrozenNoise, stats: stats(&f), spike_times: f };
    let constant = CaseResult { case: Case::Constant, stats: stats(&c), spike_times: c };
    let passed = frozen.stats.reliability > PASS_FROZEN_MIN
        && constant.stats.reliability < frozen.stats.reliability - PASS_MARGIN;
    Ok(Reliability {
        spec: spec.clone(),
        time_unit: "model time units".into(),
        criterion: format!(
            "frozen-noise reliability > {PASS_FROZEN_MIN} and constant-current reliability < frozen - {PASS_MARGIN}"
        ),
        passed,
        frozen,
        constant,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn ornstein_uhlenbeck_has_its_variance_and_correlation() {
        let mut rng = Rng::new(5);
        let (std, tau, dt) = (0.7, 3.0, 0.75);
        let x = ornstein_uhlenbeck(&mut rng, std, tau, dt, 200_000);
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
        let lag1 = x.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum::<f64>() / (n - 1.0) / var;
        // Statistical bounds (measured 3.5e-3, 1.4e-3 of std, 3.8e-4): with
        // rho = exp(-dt/tau) the standard errors are about 4.5e-3 (mean),
        // 2.2e-3 (std) and 1.4e-3 (lag-1), so these are 6-7 standard errors.
        assert!(m.abs() < 0.03, "mean {m}");
        assert!((var.sqrt() - std).abs() < 0.02 * std, "std {}", var.sqrt());
        let want = (-dt / tau).exp();
        assert!((lag1 - want).abs() < 0.01, "lag-1 correlation {lag1}, want {want}");
    }

    #[test]
    fn trial_circuits_share_private_noise_and_state_across_cases() {
        let spec = ReliabilitySpec { duration: 30.0, settle_time: 5.0, ..ReliabilitySpec::default() };
        let pwl = |c: &FlatCircuit| -> Vec<(f64, f64)> {
            c.elements
                .iter()
                .find_map(|e| match &e.kind {
                    ElementKind::CurrentSource { waveform: Waveform::Pwl { points }, .. }
                        if e.name == "Iext" =>
                    {
                        Some(points.clone())
                    }
                    _ => None,
                })
                .expect("a PWL Iext")
        };
        let f = pwl(&trial_circuit(&spec, Case::FrozenNoise, 3).unwrap());
        let c = pwl(&trial_circuit(&spec, Case::Constant, 3).unwrap());
        // Grid of correlation_time / 4 = 0.75 over 30: 40 intervals.
        assert_eq!(f.len(), 41);
        // Measured exactly 0; 1e-14 is 3 ulp of 30.
        assert!((f[40].0 - 30.0).abs() < 1e-14);
        let frozen = frozen_noise(&spec);
        for ((tf, yf), ((tc, yc), z)) in f.iter().zip(c.iter().zip(&frozen)) {
            assert_eq!(tf, tc);
            // The cases differ by exactly the frozen noise.
            // Measured at most 2.2e-16; 2e-15 is a 9x margin.
            assert!((yf - yc - z).abs() < 2e-15);
        }
        // The constant case stays near the mean (private noise std 0.02).
        // Statistical (measured 0.035, 7.5 standard deviations allowed).
        assert!(c.iter().all(|(_, y)| (y - 0.5).abs() < 0.15), "{c:?}");
        // Random initial states differ between trials.
        let ic = |k| {
            trial_circuit(&spec, Case::Constant, k)
                .unwrap()
                .elements
                .iter()
                .find_map(|e| match e.kind {
                    ElementKind::Capacitor { ic_volt, .. } => ic_volt,
                    _ => None,
                })
                .unwrap()
        };
        assert_ne!(ic(0), ic(1));
        assert!((-2.0..=2.0).contains(&ic(0)));
    }

    #[test]
    fn frozen_noise_entrains_fitzhugh_nagumo_and_a_constant_current_does_not() {
        let r = run(&ReliabilitySpec::default(), &Bounds::default()).unwrap();
        let (f, c) = (&r.frozen.stats, &r.constant.stats);
        assert!(f.reliability > 0.9, "frozen reliability {}", f.reliability);
        assert!(c.reliability < f.reliability - 0.3, "constant reliability {}", c.reliability);
        assert!(r.passed);
        // Entrained spikes are precise to a small fraction of the ~40 period.
        assert!(f.precision.unwrap() < 0.5, "precision {:?}", f.precision);
        // Both fire in every trial: the constant one tonically at bias 0.5,
        // period ~39.5, so 10 spikes per trial in the 400-unit window.
        assert!(c.spikes >= 30 * 9 && c.spikes <= 30 * 11, "{}", c.spikes);
        assert!(f.spikes > 30 * 9, "{}", f.spikes);
        assert_eq!(r.frozen.spike_times.len(), 30);
    }

    #[test]
    fn the_same_seed_gives_the_same_spikes_and_another_seed_other_spikes() {
        let spec =
            ReliabilitySpec { trials: 3, duration: 200.0, settle_time: 20.0, ..ReliabilitySpec::default() };
        let a = run(&spec, &Bounds::default()).unwrap();
        let b = run(&spec, &Bounds::default()).unwrap();
        assert_eq!(a, b);
        let c = run(&ReliabilitySpec { seed: 2, ..spec }, &Bounds::default()).unwrap();
        assert_ne!(a.frozen.spike_times[0], c.frozen.spike_times[0]);
        assert_ne!(a.constant.spike_times[0], c.constant.spike_times[0]);
        assert!(a.frozen.spike_times[0].len() >= 4);
    }

    fn err(text: &str) -> String {
        ReliabilitySpec::from_toml_str(text, "rel.toml").unwrap_err().to_string()
    }

    #[test]
    fn bad_specs_name_file_line_and_problem() {
        assert_eq!(err("seed = 1\ntrials = 1\n"), "rel.toml:2: trials must be from 2 to 100000, got 1");
        assert_eq!(
            err("\n\nnoise_std = -0.5\n"),
            "rel.toml:3: noise_std must be finite and not negative, got -0.5"
        );
        assert_eq!(
            err("correlation_time = 0.0\n"),
            "rel.toml:1: correlation_time must be positive and finite, got 0"
        );
        assert_eq!(err("event_fraction = 1.5\n"), "rel.toml:1: event_fraction must be in (0, 1], got 1.5");
        assert_eq!(err("seed = -3\n"), "rel.toml:1: seed must be a whole number from 0, got -3");
        assert_eq!(
            err("duration = 100.0\nsettle_time = 100.0\n"),
            "rel.toml:2: settle_time (100) must be shorter than duration (100)"
        );
        assert_eq!(
            err("template = \"hodgkin-huxley\"\n"),
            "rel.toml:1: unknown template `hodgkin-huxley`; the reliability experiment drives fitzhugh-nagumo"
        );
        let unknown = err("seed = 1\nnoise_sd = 0.5\n");
        assert!(unknown.starts_with("rel.toml:2: unknown field `noise_sd`"), "{unknown}");
        let bad = err("trials = \"many\"\n");
        assert!(bad.starts_with("rel.toml:1: "), "{bad}");
    }

    #[test]
    fn specs_read_their_values_and_default_the_rest() {
        let s = ReliabilitySpec::from_toml_str(
            "mean_current = 0.6\nnoise_std = 0.8\ntrials = 12\nseed = 99\nrandom_initial_states = false\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(s.mean_current, 0.6);
        assert_eq!(s.noise_std, 0.8);
        assert_eq!(s.trials, 12);
        assert_eq!(s.seed, 99);
        assert!(!s.random_initial_states);
        assert_eq!(s.correlation_time, 3.0);
        assert_eq!(s.template, "fitzhugh-nagumo");
        // A short run halves the default settle time.
        assert_eq!(ReliabilitySpec::from_toml_str("duration = 60.0", "x").unwrap().settle_time, 30.0);
    }
}
