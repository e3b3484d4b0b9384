//! Design to specification (issue 6, item 7): a TOML spec names the
//! behaviour wanted (or a template), its targets, the scales and the
//! constraints; [`design`] returns a verified physical circuit.
//!
//! ```toml
//! behaviour = "tonic-spiking"      # excitable | tonic-spiking | bursting | bistable
//! # template = "fitzhugh-nagumo"   # or four-conductance[-spiking|-bursting], bistable-switch
//! [target]
//! rate_hz = 100.0                  # tonic spiking
//! # spikes_per_burst = 13          # bursting (with burst_period_s)
//! # burst_period_s = 0.5
//! # threshold_a = 1e-9             # excitable
//! [scale]
//! amplitude_v = 0.1                # s, volts per model unit
//! capacitance_f = 1e-12            # C0
//! # time_s = 1e-4                  # omega, else derived from the targets
//! [constraints]                    # optional
//! max_bias_a = 1e-6
//! supply_v = 1.8
//! # bias_margin = 0.05             # bursting: the count holds for bias +-5 %
//! ```
//!
//! The method:
//!
//! 1. **Energy shaping.** The behaviour picks a mother template whose
//!    landscapes have the wells the behaviour needs (tonic spiking: the
//!    FitzHugh-Nagumo circuit at bias 0.5; excitable: the same at bias 0;
//!    bursting: the four-conductance neuron in its bursting setting;
//!    bistable: the bistable switch). [`crate::landscape::classify`] checks
//!    the class from the landscapes across timescales; the classification
//!    is kept in the [`Design`].
//! 2. **Continuous targets, solver in the loop.** The mother is simulated
//!    with tight tolerances and its steady-state period (mean inter-spike
//!    interval after the first two spikes), or its burst period and spikes
//!    per burst, measured. By scaling invariance (theory section 4) every
//!    event time scales by `omega`, so `omega = T_target / T_mother` meets a
//!    rate or a burst period exactly. When the time scale is given too
//!    (`time_s`), the FitzHugh-Nagumo bias is tuned instead, by a bracketing
//!    secant (Illinois) search between the Hopf bounds on the measured
//!    period. A spikes-per-burst target other than the template's is met by
//!    a grid search of the bursting template's bias. With
//!    `constraints.bias_margin`, the bias then moves to the centre of the
//!    band of biases that give the same count ([`BiasBand`]), where the
//!    count holds with the bias that much off either way.
//! 3. **Physical circuit** by [`crate::scaling::to_physical`] at
//!    `Scales::new(amplitude_v, omega, capacitance_f)`; constraints checked
//!    (largest bias current `|I| s C0 / omega` against `max_bias_a`, the
//!    membrane's largest `|v| s` against `supply_v`).
//! 4. **Verification**: the physical circuit is simulated (native solver)
//!    and the achieved numbers measured on it are reported with the
//!    component values and units.

use atscale_circuit::units::si;
use atscale_circuit::{ElementKind, FlatCircuit, MemristiveLaw, Relaxation, ResistiveLaw, Waveform};
use atscale_sim::{Direction, SimResult, Simulation, Tolerances};

use crate::spikes::{burst_count, bursts, spike_period};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::landscape::{self, linspace, Behaviour, Classification};
use crate::scaling::{self, Scales};
use crate::templates::{self, Setting, Template, FHN_HOPF_HIGH, FHN_HOPF_LOW};
use crate::toml_file::TomlFile;

/// The bias range searched for a spikes-per-burst target, model units.
pub const BURST_BIAS_RANGE: (f64, f64) = (-2.05, -1.3);

/// The step of the scan for a burster's bias band, relative to the bias.
pub const BAND_STEP: f64 = 0.005;

/// How far the count margins ([`ParameterMargin`]) move each parameter either way, relative.
pub const MARGIN_SCAN: f64 = 0.03;

/// The relative tolerance of the band scan's runs: only a count is read
/// (the designed burster's band edges are the same from 1e-7 to 1e-3).
const BAND_RELTOL: f64 = 1e-5;

/// The template names a spec may give (`template = "..."`).
pub const TEMPLATE_NAMES: [&str; 5] = [
    "fitzhugh-nagumo",
    "four-conductance",
    "four-conductance-spiking",
    "four-conductance-bursting",
    "bistable-switch",
];

/// A design specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// The behaviour wanted.
    pub behaviour: Behaviour,
    /// The template asked for by name, if any (else chosen from the behaviour).
    pub template: Option<String>,
    /// The targets.
    pub target: Target,
    /// The scales.
    pub scale: ScaleSpec,
    /// The constraints.
    pub constraints: Constraints,
}

/// The continuous targets of a [`Spec`] (each where it applies).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Tonic spiking: firing rate, Hz.
    pub rate_hz: Option<f64>,
    /// Bursting: spikes per burst.
    pub spikes_per_burst: Option<u32>,
    /// Bursting: burst period, s.
    pub burst_period_s: Option<f64>,
    /// Excitable: threshold current (the DC step that makes the rest state vanish), A.
    pub threshold_a: Option<f64>,
}

/// The scales of a [`Spec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSpec {
    /// Amplitude scale `s`, volts per model unit.
    pub amplitude_v: f64,
    /// Capacitance unit `C0` (the membrane capacitance), F.
    pub capacitance_f: f64,
    /// Time scale `omega`, s per model unit; else derived from the targets.
    pub time_s: Option<f64>,
}

/// The constraints of a [`Spec`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// Largest bias current allowed, A.
    pub max_bias_a: Option<f64>,
    /// Supply voltage, V: the membrane's largest `|v|` must fit in it.
    pub supply_v: Option<f64>,
    /// Bursting: the relative change of the bias current over which the
    /// spikes per burst must hold (0.05: the count is the same from 0.95
    /// to 1.05 times the designed bias). The bias moves to the centre of
    /// its band.
    #[serde(default)]
    pub bias_margin: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    behaviour: Option<Spanned<Behaviour>>,
    template: Option<Spanned<String>>,
    target: Option<Spanned<RawTarget>>,
    scale: Spanned<RawScale>,
    constraints: Option<RawConstraints>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    rate_hz: Option<Spanned<f64>>,
    spikes_per_burst: Option<Spanned<i64>>,
    burst_period_s: Option<Spanned<f64>>,
    threshold_a: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    amplitude_v: Spanned<f64>,
    capacitance_f: Spanned<f64>,
    time_s: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstraints {
    max_bias_a: Option<Spanned<f64>>,
    supply_v: Option<Spanned<f64>>,
    bias_margin: Option<Spanned<f64>>,
}

type Ctx<'a> = TomlFile<'a>;

/// The name of a behaviour as specs and results files write it (`tonic-spiking`, ...).
pub fn behaviour_name(b: Behaviour) -> &'static str {
    match b {
        Behaviour::Monostable => "monostable",
        Behaviour::Bistable => "bistable",
        Behaviour::Excitable => "excitable",
        Behaviour::TonicSpiking => "tonic-spiking",
        Behaviour::Bursting => "bursting",
    }
}

impl Spec {
    /// Reads a spec from TOML text; `file_name` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] naming the file, the line and the problem: malformed
    /// TOML, an unknown key, a missing or inapplicable target, a value that
    /// is not positive, a template that cannot show the behaviour.
    pub fn from_toml_str(text: &str, file_name: &str) -> Result<Spec> {
        let cx = Ctx { text, file: file_name };
        let raw: RawSpec = cx.parse()?;
        let template = raw.template.as_ref().map(|t| (t.get_ref().clone(), t.span().start));
        let behaviour = behaviour(&cx, raw.behaviour.as_ref(), template.as_ref())?;
        // Scales.
        let scale_at = raw.scale.span().start;
        let rs = raw.scale.into_inner();
        let amplitude_v = cx.positive_opt("scale.amplitude_v", &Some(rs.amplitude_v))?.unwrap_or(f64::NAN);
        let capacitance_f =
            cx.positive_opt("scale.capacitance_f", &Some(rs.capacitance_f))?.unwrap_or(f64::NAN);
        let time_s = cx.positive_opt("scale.time_s", &rs.time_s)?;
        // Targets.
        let (target_at, rt) = match raw.target {
            Some(t) => (t.span().start, Some(t.into_inner())),
            None => (scale_at, None),
        };
        let target = match &rt {
            Some(rt) => target(&cx, rt, behaviour)?,
            None => Target::default(),
        };
        if let Some(m) = missing_target(behaviour, &target, time_s.is_some()) {
            let where_ = if rt.is_some() { "in [target]" } else { "no [target] table" };
            return Err(cx.err(target_at, format!("missing target ({where_}): {m}")));
        }
        if let Some(t) = &rs.time_s {
            let fixed = match behaviour {
                Behaviour::Bursting if target.burst_period_s.is_some() => Some("target.burst_period_s"),
                Behaviour::Excitable if target.threshold_a.is_some() => Some("target.threshold_a"),
                _ => None,
            };
            if let Some(key) = fixed {
                return Err(cx.err(
                    t.span().start,
                    format!("scale.time_s and {key} both fix the time scale; give one of them"),
                ));
            }
        }
        let mut constraints = Constraints::default();
        if let Some(rc) = &raw.constraints {
            constraints.max_bias_a = cx.positive_opt("constraints.max_bias_a", &rc.max_bias_a)?;
            constraints.supply_v = cx.positive_opt("constraints.supply_v", &rc.supply_v)?;
            constraints.bias_margin = bias_margin(&cx, rc.bias_margin.as_ref(), behaviour)?;
        }
        Ok(Spec {
            behaviour,
            template: template.map(|t| t.0),
            target,
            scale: ScaleSpec { amplitude_v, capacitance_f, time_s },
            constraints,
        })
    }
}

/// The behaviour asked for, or the one the template shows; a known
/// template that can show it.
fn behaviour(
    cx: &Ctx<'_>,
    raw: Option<&Spanned<Behaviour>>,
    template: Option<&(String, usize)>,
) -> Result<Behaviour> {
    if let Some((name, at)) = template {
        if !TEMPLATE_NAMES.contains(&name.as_str()) {
            return Err(cx.err(
                *at,
                format!("unknown template `{name}`; expected one of {}", TEMPLATE_NAMES.join(", ")),
            ));
        }
    }
    let Some(b) = raw else {
        return match template {
            Some((name, _)) => Ok(match name.as_str() {
                "four-conductance-bursting" => Behaviour::Bursting,
                "bistable-switch" => Behaviour::Bistable,
                _ => Behaviour::TonicSpiking,
            }),
            None => Err(cx.err(
                0,
                "the spec names neither a behaviour (behaviour = \"tonic-spiking\" | \"excitable\" | \
                 \"bursting\" | \"bistable\") nor a template (template = \"fitzhugh-nagumo\" | ...)",
            )),
        };
    };
    let (b_at, b) = (b.span().start, *b.get_ref());
    if b == Behaviour::Monostable {
        return Err(cx.err(
            b_at,
            "behaviour `monostable` is not a design target; ask for excitable, tonic-spiking, \
             bursting or bistable",
        ));
    }
    if let Some((name, at)) = template {
        let ok = match name.as_str() {
            "fitzhugh-nagumo" => matches!(b, Behaviour::TonicSpiking | Behaviour::Excitable),
            "four-conductance" => matches!(b, Behaviour::TonicSpiking | Behaviour::Bursting),
            "four-conductance-spiking" => b == Behaviour::TonicSpiking,
            "four-conductance-bursting" => b == Behaviour::Bursting,
            _ => b == Behaviour::Bistable,
        };
        if !ok {
            return Err(
                cx.err(*at, format!("template `{name}` cannot show behaviour `{}`", behaviour_name(b)))
            );
        }
    }
    Ok(b)
}

/// The `[target]` table: positive values, a spike count, and only the
/// targets that apply to the behaviour.
fn target(cx: &Ctx<'_>, rt: &RawTarget, behaviour: Behaviour) -> Result<Target> {
    let mut target = Target {
        rate_hz: cx.positive_opt("target.rate_hz", &rt.rate_hz)?,
        burst_period_s: cx.positive_opt("target.burst_period_s", &rt.burst_period_s)?,
        threshold_a: cx.positive_opt("target.threshold_a", &rt.threshold_a)?,
        ..Target::default()
    };
    if let Some(n) = &rt.spikes_per_burst {
        let v = *n.get_ref();
        if !(1..=10_000).contains(&v) {
            return Err(
                cx.err(n.span().start, format!("target.spikes_per_burst must be a count from 1, got {v}"))
            );
        }
        target.spikes_per_burst = u32::try_from(v).ok();
    }
    let applies: &[&str] = match behaviour {
        Behaviour::TonicSpiking => &["rate_hz"],
        Behaviour::Bursting => &["spikes_per_burst", "burst_period_s"],
        Behaviour::Excitable => &["threshold_a"],
        _ => &[],
    };
    let given = [
        ("rate_hz", rt.rate_hz.as_ref().map(|x| x.span().start)),
        ("spikes_per_burst", rt.spikes_per_burst.as_ref().map(|x| x.span().start)),
        ("burst_period_s", rt.burst_period_s.as_ref().map(|x| x.span().start)),
        ("threshold_a", rt.threshold_a.as_ref().map(|x| x.span().start)),
    ];
    for (key, at) in given {
        let Some(at) = at.filter(|_| !applies.contains(&key)) else { continue };
        let theirs = if applies.is_empty() { "none; give scale.time_s".into() } else { applies.join(", ") };
        return Err(cx.err(
            at,
            format!(
                "target.{key} does not apply to behaviour `{}` (its targets: {theirs})",
                behaviour_name(behaviour)
            ),
        ));
    }
    Ok(target)
}

/// `constraints.bias_margin`: a fraction below one half, on a burster.
fn bias_margin(cx: &Ctx<'_>, raw: Option<&Spanned<f64>>, behaviour: Behaviour) -> Result<Option<f64>> {
    let Some(m) = raw else { return Ok(None) };
    let at = m.span().start;
    if behaviour != Behaviour::Bursting {
        return Err(cx.err(
            at,
            format!(
                "constraints.bias_margin applies to bursting designs (the band of bias that keeps the \
                 spikes per burst); this design is {}",
                behaviour_name(behaviour)
            ),
        ));
    }
    let v = *m.get_ref();
    if !(v > 0.0 && v < 0.5) {
        return Err(cx.err(at, format!("constraints.bias_margin must be a fraction in (0, 0.5), got {v}")));
    }
    Ok(Some(v))
}

/// What is missing to fix the time scale, if anything.
fn missing_target(behaviour: Behaviour, target: &Target, time_s: bool) -> Option<&'static str> {
    match behaviour {
        Behaviour::TonicSpiking if target.rate_hz.is_none() && !time_s => {
            Some("tonic-spiking needs target.rate_hz (or scale.time_s)")
        }
        Behaviour::Bursting if target.burst_period_s.is_none() && !time_s => {
            Some("bursting needs target.burst_period_s (or scale.time_s)")
        }
        Behaviour::Excitable if target.threshold_a.is_none() && !time_s => {
            Some("excitable needs target.threshold_a (or scale.time_s)")
        }
        Behaviour::Bistable if !time_s => Some("bistable has no timed target: give scale.time_s"),
        _ => None,
    }
}

/// The numbers measured on the physical circuit (native solver).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    /// Firing rate, Hz (tonic spiking).
    pub rate_hz: Option<f64>,
    /// Spikes per burst (bursting).
    pub spikes_per_burst: Option<u32>,
    /// Burst period, s (bursting).
    pub burst_period_s: Option<f64>,
    /// Threshold current, A (excitable): from the fine-scale landscape of the physical circuit.
    pub threshold_a: Option<f64>,
    /// Largest membrane `|v|`, V.
    pub max_abs_v: f64,
    /// Largest bias current, A.
    pub max_bias_a: f64,
}

/// A template parameter tuned by root finding or search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// The parameter (`bias of the FitzHugh-Nagumo template (model units)`, ...).
    pub parameter: String,
    /// Its value, model units.
    pub value: f64,
    /// Mother simulations run by the search.
    pub iterations: usize,
}

/// The band of bias over which the bursting template gives the same
/// spikes per burst, model units: every bias from `low` to `high` in steps
/// of [`BAND_STEP`] of the bias gives `count`, and the edges are bisected
/// to a thirty-second of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasBand {
    /// The spikes per burst the band keeps.
    pub count: u32,
    /// The band's most negative bias, model units.
    pub low: f64,
    /// The band's least negative bias, model units.
    pub high: f64,
    /// The designed bias (the band's centre), model units.
    pub bias: f64,
    /// Whether the scan stopped at an end of [`BURST_BIAS_RANGE`] with the
    /// count still held there (the band may reach further).
    #[serde(default)]
    pub clipped: bool,
    /// At the band's centre: how far each other parameter may move, alone,
    /// keeping the count.
    #[serde(default)]
    pub margins: Vec<ParameterMargin>,
}

/// How far one parameter of the centred bursting template may move,
/// relative to its value and alone, keeping the spike count: the largest
/// change tested in steps of [`BAND_STEP`] up to [`MARGIN_SCAN`] either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterMargin {
    /// The element (`Gl`, `Rf`, `Msn`, ...).
    pub element: String,
    /// The parameter (`resistance`, `gain`, `offset`).
    pub quantity: String,
    /// The largest decrease that keeps the count (a fraction, 0 or negative).
    pub low: f64,
    /// The largest increase that keeps the count (a fraction, 0 or positive).
    pub high: f64,
}

impl ParameterMargin {
    /// Whether the count held over the whole scan on both sides.
    pub fn beyond_scan(&self) -> bool {
        self.low <= -MARGIN_SCAN + 1e-12 && self.high >= MARGIN_SCAN - 1e-12
    }
}

impl BiasBand {
    /// How far the bias may move either way, relative to it, keeping the count.
    pub fn margin(&self) -> f64 {
        (self.high - self.low) / 2.0 / self.bias.abs()
    }
}

/// A component value of the physical circuit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Element name.
    pub element: String,
    /// What the value is (`capacitance`, `time constant (state 0)`, ...).
    pub quantity: String,
    /// The value in SI units.
    pub value: f64,
    /// The unit (`F`, `Ohm`, `H`, `A`, `V`, `S`, `s`, `A/V^3`).
    pub unit: String,
}

/// A designed circuit: what was asked, what was built, what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The spec.
    pub spec: Spec,
    /// The mother template's name.
    pub template: String,
    /// The membrane node (`v`).
    pub membrane: String,
    /// The scales.
    pub scales: Scales,
    /// The (possibly tuned) mother circuit, model units.
    pub mother: FlatCircuit,
    /// The physical circuit.
    pub physical: FlatCircuit,
    /// The landscape classification of the mother (model units).
    pub classification: Classification,
    /// The mother's measured period (spike or burst), model units.
    pub mother_period: Option<f64>,
    /// The parameter tuned, if any.
    pub tuning: Option<Tuning>,
    /// A burster's bias band, found when `constraints.bias_margin` asks for it.
    #[serde(default)]
    pub bias_band: Option<BiasBand>,
    /// What the physical circuit achieves (native simulation).
    pub achieved: Achieved,
    /// Component values with units.
    pub components: Vec<Component>,
    /// The event that marks a spike on the membrane of the physical
    /// circuit: rising through `threshold_v`, re-armed below
    /// `threshold_v - hysteresis_v`.
    pub event: DesignEvent,
}

impl Design {
    /// The transient analysis the design's netlists carry: about twenty
    /// spike periods (three burst periods for a burster), a print step of a
    /// thousandth of the run and a maximum step of a four-thousandth of a
    /// period, which keeps ngspice's event times well within 1e-3 of the
    /// period.
    pub fn analysis(&self) -> atscale_circuit::Analysis {
        let a = &self.achieved;
        let period = a.burst_period_s.or(a.rate_hz.map(|r| 1.0 / r)).unwrap_or(100.0 * self.scales.omega_s);
        let (tstop, tmax) = match (a.burst_period_s, a.spikes_per_burst) {
            (Some(bp), Some(n)) => (3.0 * bp, bp / (4000.0 * f64::from(n.max(1)))),
            _ => (20.0 * period, period / 4000.0),
        };
        atscale_circuit::Analysis::tran_uic(tstop / 1000.0, tstop, tmax)
    }
}

/// The spike event of a design, in volts of the physical circuit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DesignEvent {
    /// Threshold, V.
    pub threshold_v: f64,
    /// Hysteresis, V.
    pub hysteresis_v: f64,
}

/// Tolerances for a circuit at `scales` (tight, relative 1e-7): the
/// design loop measures periods to 1e-6.
fn tolerances(scales: &Scales) -> Tolerances {
    Tolerances {
        reltol: 1e-7,
        vntol: 1e-9 * scales.s_volt,
        statetol: 1e-9 * scales.s_volt.min(1.0),
        ..Tolerances::at_scale(scales.s_volt, scales.current_a(), scales.c0_farad)
    }
}

/// A run of `circuit` at `scales` with [`tolerances`], probing and timing the membrane.
fn simulation(circuit: &FlatCircuit, t: &Template, tstop: f64, scales: &Scales) -> Result<Simulation> {
    Ok(Simulation::new(circuit)?
        .tstop(tstop)
        .uic(true)
        .tolerances(tolerances(scales))
        .probe(&t.membrane)
        .event(&t.membrane, t.threshold * scales.s_volt, t.hysteresis * scales.s_volt, Direction::Rising))
}

fn run(circuit: &FlatCircuit, t: &Template, tstop: f64, scales: &Scales) -> Result<SimResult> {
    Ok(simulation(circuit, t, tstop, scales)?.run()?)
}

fn max_abs(r: &SimResult, membrane: &str) -> f64 {
    r.trace(membrane).map_or(0.0, |v| v.iter().fold(0.0, |m: f64, x| m.max(x.abs())))
}

fn set_bias(t: &mut Template, value: f64) {
    for e in &mut t.circuit.elements {
        if e.name == "Iext" {
            if let ElementKind::CurrentSource { waveform: Waveform::Dc { value: v }, .. } = &mut e.kind {
                *v = value;
            }
        }
    }
}

fn bursting_at(bias: f64) -> Template {
    let mut t = templates::four_conductance(Setting::Bursting);
    set_bias(&mut t, bias);
    t.circuit.title = format!("four-conductance neuron (bursting), bias {bias}");
    t
}

/// Model-unit tstop for measuring the mother's period.
fn measure_tstop(t: &Template) -> f64 {
    match t.name.as_str() {
        "fitzhugh-nagumo" => 400.0,
        "four-conductance-spiking" => 800.0,
        "four-conductance-bursting" => 25_000.0,
        _ => t.default_tstop,
    }
}

fn mother_spike_period(t: &Template) -> Result<Option<f64>> {
    let r = run(&t.circuit, t, measure_tstop(t), &Scales::default())?;
    Ok(spike_period(&r.event_times(&t.membrane)))
}

fn mother_bursts(t: &Template) -> Result<Option<(u32, f64)>> {
    mother_bursts_at(t, tolerances(&Scales::default()))
}

/// The mother's spikes per burst and burst period at tolerances `tol`.
fn mother_bursts_at(t: &Template, tol: Tolerances) -> Result<Option<(u32, f64)>> {
    let r = simulation(&t.circuit, t, measure_tstop(t), &Scales::default())?.tolerances(tol).run()?;
    Ok(bursts(&r.event_times(&t.membrane)).and_then(|(c, p)| burst_count(&c).map(|n| (n, p))))
}

/// Tunes the FitzHugh-Nagumo bias so that its period is `target` (model
/// units): a grid between the Hopf bounds, then a bracketing secant.
fn tune_fhn(target: f64, what: &str) -> Result<(Template, f64, usize)> {
    let grid = linspace(FHN_HOPF_LOW + 0.02, FHN_HOPF_HIGH - 0.02, 12);
    let mut pts = Vec::new();
    for &b in &grid {
        if let Some(p) = mother_spike_period(&templates::fitzhugh_nagumo(b))? {
            pts.push((b, p));
        }
    }
    let mut iterations = grid.len();
    let lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let bracket = pts.windows(2).find(|w| (w[0].1 - target) * (w[1].1 - target) <= 0.0).map(|w| (w[0], w[1]));
    let Some(((mut a, mut fa), (mut b, mut fb))) = bracket else {
        return Err(Error::Infeasible {
            constraint: "time_s",
            target: "rate_hz",
            message: format!(
                "{what} needs a mother period of {target:.4} model units, but the FitzHugh-Nagumo template \
                 spikes with periods {lo:.2}..{hi:.2} over bias {FHN_HOPF_LOW}..{FHN_HOPF_HIGH}; change \
                 scale.time_s or drop it to let the rate fix the time scale"
            ),
        });
    };
    fa -= target;
    fb -= target;
    let (mut best, mut best_p) = if fa.abs() < fb.abs() { (a, fa) } else { (b, fb) };
    for _ in 0..40 {
        if best_p.abs() <= 1e-7 * target {
            break;
        }
        let c = (a * fb - b * fa) / (fb - fa);
        let c = if c.is_finite() && c > a.min(b) && c < a.max(b) { c } else { 0.5 * (a + b) };
        let Some(pc) = mother_spike_period(&templates::fitzhugh_nagumo(c))? else {
            break;
        };
        iterations += 1;
        let fc = pc - target;
        if fc.abs() < best_p.abs() {
            best = c;
            best_p = fc;
        }
        if fc * fb < 0.0 {
            a = b;
            fa = fb;
        } else {
            // Illinois: halve the retained end's value so that it moves next time.
            fa *= 0.5;
        }
        b = c;
        fb = fc;
    }
    tracing::debug!(bias = best, residual = best_p, iterations, "tuned FitzHugh-Nagumo bias");
    Ok((templates::fitzhugh_nagumo(best), best_p + target, iterations))
}

/// Finds the bursting template's bias giving `count` spikes per burst: a
/// grid of step 0.05 over [`BURST_BIAS_RANGE`], scanned outward from the
/// default bias, stopping at the first hit (the closest to the default).
fn search_burst_count(count: u32) -> Result<(Template, u32, f64, usize)> {
    let (lo, hi) = BURST_BIAS_RANGE;
    let default = templates::four_conductance_parameters(Setting::Bursting).1;
    let n = ((hi - lo) / 0.05).round() as usize + 1;
    let mut grid = linspace(lo, hi, n);
    grid.sort_by(|x, y| (x - default).abs().total_cmp(&(y - default).abs()));
    let mut seen: Vec<(f64, u32, f64)> = Vec::new();
    let mut iterations = 0;
    for &b in &grid {
        iterations += 1;
        if let Some((n, p)) = mother_bursts(&bursting_at(b))? {
            if n == count {
                return Ok((bursting_at(b), n, p, iterations));
            }
            seen.push((b, n, p));
        }
    }
    let cmin = seen.iter().map(|s| s.1).min().unwrap_or(0);
    let cmax = seen.iter().map(|s| s.1).max().unwrap_or(0);
    let mut counts: Vec<u32> = seen.iter().map(|s| s.1).collect();
    counts.sort_unstable();
    counts.dedup();
    let list: Vec<String> = counts.iter().map(u32::to_string).collect();
    Err(Error::Infeasible {
        constraint: "template range",
        target: "spikes_per_burst",
        message: format!(
            "spikes per burst {count} is not reachable: the four-conductance template gives \
             {cmin}..{cmax} (counts {}) over bias {lo}..{hi}",
            list.join(", ")
        ),
    })
}

/// The largest `|DC current source|` of a circuit, in its units.
fn max_bias(c: &FlatCircuit) -> f64 {
    c.elements
        .iter()
        .filter_map(|e| match &e.kind {
            ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. } => Some(value.abs()),
            _ => None,
        })
        .fold(0.0, f64::max)
}

/// The fine-scale threshold current of an excitable landscape (units of
/// the circuit): the smallest DC step that takes a fold to the rest state.
pub fn threshold_current(c: &Classification) -> Option<f64> {
    let fine = c.curves.first()?;
    let i_ext = fine.folds.iter().map(|f| f.threshold_amp - f.current_a).next().unwrap_or(0.0);
    fine.folds.iter().map(|f| f.threshold_amp - i_ext).filter(|d| *d > 0.0).reduce(f64::min)
}

fn grid() -> Vec<f64> {
    linspace(-3.0, 3.0, 601)
}

/// Designs a circuit to `spec` (see the [module documentation](self)).
///
/// # Errors
///
/// [`Error::Infeasible`] when a target conflicts with a constraint or is
/// out of the template's reach (the message names both, with units);
/// [`Error::Sim`] if a simulation fails; [`Error::BadParameter`] for
/// invalid scales.
pub fn design(spec: &Spec) -> Result<Design> {
    let s = spec.scale.amplitude_v;
    let c0 = spec.scale.capacitance_f;
    // 1. The mother template for the behaviour.
    let template = mother_template(spec)?;
    // 2. Continuous targets, solver in the loop.
    let TimeScale { template, omega, fixed_by, tuning, mother_period, bias_band } =
        time_scale(spec, template)?;
    // Energy shaping check on the (possibly tuned) mother.
    let classification = landscape::classify(&template.circuit, &template.membrane, &grid())?;
    if classification.behaviour != spec.behaviour {
        return Err(Error::Infeasible {
            constraint: "landscape",
            target: "behaviour",
            message: format!(
                "the {} mother's landscapes classify as {}, not the {} asked for",
                template.name,
                behaviour_name(classification.behaviour),
                behaviour_name(spec.behaviour)
            ),
        });
    }
    // 3. Physical circuit and constraints.
    let scales = Scales::new(s, omega, c0)?;
    let bias_a = check_bias(spec, &template, &scales, &fixed_by)?;
    let v_max = check_swing(spec, &template, &classification)?;
    let physical = scaling::to_physical(&template.circuit, &scales)?;
    // 4. Verification on the physical circuit.
    let achieved = Achieved {
        max_abs_v: v_max,
        max_bias_a: bias_a,
        ..achieved(spec.behaviour, &template, &physical, &scales)?
    };
    tracing::info!(template = %template.name, omega, ?achieved, "designed");
    let components = components(&template.circuit, &scales);
    let event = DesignEvent {
        threshold_v: template.threshold * scales.s_volt,
        hysteresis_v: template.hysteresis * scales.s_volt,
    };
    Ok(Design {
        spec: spec.clone(),
        template: template.name.clone(),
        membrane: template.membrane.clone(),
        scales,
        event,
        mother: template.circuit,
        physical,
        classification,
        mother_period,
        tuning,
        bias_band,
        achieved,
        components,
    })
}

/// The mother template of a spec's behaviour (and template choice).
fn mother_template(spec: &Spec) -> Result<Template> {
    Ok(match (spec.behaviour, spec.template.as_deref()) {
        (Behaviour::TonicSpiking, Some("four-conductance" | "four-conductance-spiking")) => {
            templates::four_conductance(Setting::Spiking)
        }
        (Behaviour::TonicSpiking, _) => templates::fitzhugh_nagumo(0.5),
        (Behaviour::Excitable, _) => templates::fitzhugh_nagumo(0.0),
        (Behaviour::Bursting, _) => templates::four_conductance(Setting::Bursting),
        (Behaviour::Bistable, _) => templates::bistable_switch(),
        (Behaviour::Monostable, _) => {
            return Err(Error::Infeasible {
                constraint: "behaviour",
                target: "behaviour",
                message: "behaviour `monostable` is not a design target".into(),
            })
        }
    })
}

/// The time scale a spec's targets fix, with the (possibly tuned) mother.
struct TimeScale {
    template: Template,
    /// s per model unit.
    omega: f64,
    /// What fixed it (`target rate 100 Hz`, `time_s = 1 ms`, ...).
    fixed_by: String,
    tuning: Option<Tuning>,
    /// The mother's period, model units (spiking and bursting).
    mother_period: Option<f64>,
    bias_band: Option<BiasBand>,
}

fn time_scale(spec: &Spec, template: Template) -> Result<TimeScale> {
    let explicit = |omega: f64| (omega, format!("time_s = {}", si(omega, "s")));
    match spec.behaviour {
        Behaviour::TonicSpiking => spiking_time_scale(spec, template),
        Behaviour::Bursting => bursting_time_scale(spec, template),
        Behaviour::Excitable => {
            let cl = landscape::classify(&template.circuit, &template.membrane, &grid())?;
            let ith = threshold_current(&cl).ok_or_else(|| no_events(&template))?;
            let (s, c0) = (spec.scale.amplitude_v, spec.scale.capacitance_f);
            let (omega, fixed_by) = match (spec.target.threshold_a, spec.scale.time_s) {
                (Some(th), _) => (s * c0 * ith / th, format!("target threshold {}", si(th, "A"))),
                (None, Some(omega)) => explicit(omega),
                (None, None) => return Err(missing("excitable", "threshold_a")),
            };
            Ok(TimeScale { template, omega, fixed_by, tuning: None, mother_period: None, bias_band: None })
        }
        _ => {
            let (omega, fixed_by) = explicit(spec.scale.time_s.ok_or_else(|| missing("bistable", "time_s"))?);
            Ok(TimeScale { template, omega, fixed_by, tuning: None, mother_period: None, bias_band: None })
        }
    }
}

/// Tonic spiking: the rate fixes the time scale, or, with an explicit
/// `time_s`, tunes the FitzHugh-Nagumo mother's bias to the rate.
fn spiking_time_scale(spec: &Spec, mut template: Template) -> Result<TimeScale> {
    let mut tuning = None;
    let period = match (spec.target.rate_hz, spec.scale.time_s) {
        (Some(rate), Some(omega)) if template.name == "fitzhugh-nagumo" => {
            let what = format!("rate_hz = {} at time_s = {}", si(rate, "Hz"), si(omega, "s"));
            let (t, p, iterations) = tune_fhn(1.0 / (rate * omega), &what)?;
            let bias = fhn_bias(&t);
            template = t;
            tuning = Some(Tuning {
                parameter: "bias of the FitzHugh-Nagumo template (model units)".into(),
                value: bias,
                iterations,
            });
            p
        }
        (Some(_), Some(_)) => {
            return Err(Error::Infeasible {
                constraint: "time_s",
                target: "rate_hz",
                message: format!(
                    "rate_hz with an explicit time_s needs a tunable template; {} is not tuned \
                     (use the fitzhugh-nagumo template or drop time_s)",
                    template.name
                ),
            })
        }
        _ => mother_spike_period(&template)?.ok_or_else(|| no_events(&template))?,
    };
    let (omega, fixed_by) = match (spec.target.rate_hz, spec.scale.time_s) {
        (_, Some(omega)) => (omega, format!("time_s = {}", si(omega, "s"))),
        (Some(rate), None) => (1.0 / (rate * period), format!("target rate {}", si(rate, "Hz"))),
        (None, None) => return Err(missing("tonic-spiking", "rate_hz")),
    };
    Ok(TimeScale { template, omega, fixed_by, tuning, mother_period: Some(period), bias_band: None })
}

/// Bursting: a spike count other than the mother's tunes its bias, a
/// bias margin centres it in its band; the burst period (or `time_s`)
/// fixes the time scale.
fn bursting_time_scale(spec: &Spec, mut template: Template) -> Result<TimeScale> {
    let mut tuning = None;
    let default_count = mother_bursts(&template)?;
    let (mut n, mut period) = match (spec.target.spikes_per_burst, default_count) {
        (Some(want), found) if found.is_none_or(|(n, _)| n != want) => {
            let (t, n, p, iterations) = search_burst_count(want)?;
            template = t;
            tuning = Some(Tuning {
                parameter: "bias of the four-conductance bursting template (model units)".into(),
                value: template_bias(&template)?,
                iterations,
            });
            (n, p)
        }
        (_, Some(np)) => np,
        (_, None) => return Err(no_events(&template)),
    };
    let mut bias_band = None;
    if let Some(margin) = spec.constraints.bias_margin {
        let (mut band, runs) = burst_band(template_bias(&template)?, n)?;
        check_margin(&band, margin)?;
        template = bursting_at(band.bias);
        let (margins, more) = parameter_margins(&template, n)?;
        band.margins = margins;
        let runs = runs + more;
        (n, period) = match mother_bursts(&template)? {
            Some((m, p)) if m == band.count => (m, p),
            got => return Err(band_centre_differs(&band, got.map(|g| g.0))),
        };
        tuning = Some(Tuning {
            parameter: format!(
                "bias of the four-conductance bursting template, centred in its {n}-spike band \
                 (model units)"
            ),
            value: band.bias,
            iterations: tuning.map_or(0, |t| t.iterations) + runs + 1,
        });
        bias_band = Some(band);
    }
    tracing::debug!(spikes_per_burst = n, period, "mother bursts");
    let (omega, fixed_by) = match (spec.target.burst_period_s, spec.scale.time_s) {
        (Some(tb), _) => (tb / period, format!("target burst period {}", si(tb, "s"))),
        (None, Some(omega)) => (omega, format!("time_s = {}", si(omega, "s"))),
        (None, None) => return Err(missing("bursting", "burst_period_s")),
    };
    Ok(TimeScale { template, omega, fixed_by, tuning, mother_period: Some(period), bias_band })
}

/// The bias of a bursting template's DC source `Iext`, model units.
fn template_bias(t: &Template) -> Result<f64> {
    iext(t).ok_or_else(|| Error::Infeasible {
        constraint: "template range",
        target: "spikes_per_burst",
        message: format!("the {} template has no DC bias source Iext to tune", t.name),
    })
}

/// The value of a template's DC source `Iext`, model units, if it has one.
fn iext(t: &Template) -> Option<f64> {
    t.circuit.elements.iter().find_map(|e| match &e.kind {
        ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. } if e.name == "Iext" => {
            Some(*value)
        }
        _ => None,
    })
}

/// The band of bias around `bias` (which gives `count` spikes per burst)
/// over which the bursting template keeps `count`: scanned outward in steps
/// of [`BAND_STEP`] of the bias up to the ends of [`BURST_BIAS_RANGE`]
/// (where the band is `clipped`), each edge then bisected five times, at
/// [`BAND_RELTOL`]. Returns the band, centred, and the runs it took.
fn burst_band(bias: f64, count: u32) -> Result<(BiasBand, usize)> {
    let step = BAND_STEP * bias.abs();
    let mut runs = 0;
    let mut keeps = |b: f64| -> Result<bool> {
        runs += 1;
        keeps_count(&bursting_at(b), count)
    };
    let mut edges = [bias; 2];
    let mut clipped = false;
    for ((edge, dir), end) in edges.iter_mut().zip([-1.0, 1.0]).zip([BURST_BIAS_RANGE.0, BURST_BIAS_RANGE.1])
    {
        loop {
            // The next step, the range's end at most.
            let next = if dir < 0.0 { (*edge - step).max(end) } else { (*edge + step).min(end) };
            if next == *edge {
                clipped = true;
                break;
            }
            if keeps(next)? {
                *edge = next;
                continue;
            }
            let mut out = next;
            for _ in 0..5 {
                let mid = 0.5 * (*edge + out);
                if keeps(mid)? {
                    *edge = mid;
                } else {
                    out = mid;
                }
            }
            break;
        }
    }
    let [low, high] = edges;
    Ok((BiasBand { count, low, high, bias: 0.5 * (low + high), clipped, margins: Vec::new() }, runs))
}

/// Whether the template gives `count` spikes per burst (at [`BAND_RELTOL`]).
fn keeps_count(t: &Template, count: u32) -> Result<bool> {
    let tol = Tolerances { reltol: BAND_RELTOL, ..tolerances(&Scales::default()) };
    Ok(mother_bursts_at(t, tol)?.is_some_and(|(n, _)| n == count))
}

/// The template's parameters other than the bias, by element and quantity:
/// resistances, tanh gains and nonzero tanh offsets.
fn parameters(t: &Template) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for e in &t.circuit.elements {
        match &e.kind {
            ElementKind::Resistor { .. } => out.push((e.name.clone(), "resistance")),
            ElementKind::NonlinearResistor { law: ResistiveLaw::Tanh { .. }, .. } => {
                out.push((e.name.clone(), "gain"));
            }
            ElementKind::Memristive { law: MemristiveLaw::Tanh { delta, .. }, .. } => {
                out.push((e.name.clone(), "gain"));
                if *delta != 0.0 {
                    out.push((e.name.clone(), "offset"));
                }
            }
            _ => {}
        }
    }
    out
}

/// The template with one parameter ([`parameters`]) times `factor`.
fn scaled(t: &Template, (element, quantity): (&str, &str), factor: f64) -> Template {
    let mut t = t.clone();
    for e in t.circuit.elements.iter_mut().filter(|e| e.name == element) {
        match (&mut e.kind, quantity) {
            (ElementKind::Resistor { r_ohm, .. }, "resistance") => *r_ohm *= factor,
            (ElementKind::NonlinearResistor { law: ResistiveLaw::Tanh { alpha, .. }, .. }, "gain")
            | (ElementKind::Memristive { law: MemristiveLaw::Tanh { alpha, .. }, .. }, "gain") => {
                *alpha *= factor
            }
            (ElementKind::Memristive { law: MemristiveLaw::Tanh { delta, .. }, .. }, "offset") => {
                *delta *= factor
            }
            _ => {}
        }
    }
    t
}

/// How far each parameter of `t` (which gives `count` spikes per burst)
/// may move alone keeping the count, in steps of [`BAND_STEP`] up to
/// [`MARGIN_SCAN`] either way, and the runs it took.
fn parameter_margins(t: &Template, count: u32) -> Result<(Vec<ParameterMargin>, usize)> {
    let steps = (MARGIN_SCAN / BAND_STEP).round() as usize;
    let mut runs = 0;
    let mut out = Vec::new();
    for (element, quantity) in parameters(t) {
        let mut reach = [0.0; 2];
        for (r, dir) in reach.iter_mut().zip([-1.0, 1.0]) {
            for k in 1..=steps {
                let change = dir * BAND_STEP * k as f64;
                runs += 1;
                if !keeps_count(&scaled(t, (&element, quantity), 1.0 + change), count)? {
                    break;
                }
                *r = change;
            }
        }
        out.push(ParameterMargin { element, quantity: quantity.into(), low: reach[0], high: reach[1] });
    }
    Ok((out, runs))
}

/// `constraints.bias_margin` against the band's.
fn check_margin(band: &BiasBand, margin: f64) -> Result<()> {
    if band.margin() >= margin {
        return Ok(());
    }
    Err(Error::Infeasible {
        constraint: "bias_margin",
        target: "spikes_per_burst",
        message: format!(
            "constraints.bias_margin = {:.2} %: {} spikes per burst hold for bias {:.4}..{:.4} model \
             units{}, {:.2} % either way of its centre {:.4}; lower bias_margin or ask for another count",
            100.0 * margin,
            band.count,
            band.low,
            band.high,
            if band.clipped { " (searched within the template's bias range)" } else { " only" },
            100.0 * band.margin(),
            band.bias
        ),
    })
}

fn band_centre_differs(band: &BiasBand, got: Option<u32>) -> Error {
    Error::Infeasible {
        constraint: "bias_margin",
        target: "spikes_per_burst",
        message: format!(
            "the centre {:.4} of the {}-spike bias band {:.4}..{:.4} model units gives {} (the band \
             has a gap finer than its {} % scan)",
            band.bias,
            band.count,
            band.low,
            band.high,
            got.map_or("no bursts".to_string(), |n| format!("{n} spikes per burst")),
            100.0 * BAND_STEP
        ),
    }
}

/// The largest bias current, A, checked against `max_bias_a`.
fn check_bias(spec: &Spec, template: &Template, scales: &Scales, fixed_by: &str) -> Result<f64> {
    let bias_a = max_bias(&template.circuit) * scales.current_a();
    match spec.constraints.max_bias_a {
        Some(max) if bias_a > max => Err(Error::Infeasible {
            constraint: "max_bias_a",
            target: target_key(spec),
            message: format!(
                "{fixed_by} needs a bias of {}, above max_bias_a = {}; lower the rate or the \
                 capacitance (the bias current is |I| s C0 / omega)",
                si(bias_a, "A"),
                si(max, "A")
            ),
        }),
        _ => Ok(bias_a),
    }
}

/// The membrane's largest swing, V, checked against `supply_v`.
fn check_swing(spec: &Spec, template: &Template, classification: &Classification) -> Result<f64> {
    let s = spec.scale.amplitude_v;
    let mother_run = match spec.behaviour {
        // A supra-threshold pulse shows the spike an excitable circuit can fire.
        Behaviour::Excitable => {
            let pulsed = template.clone().with_pulse(
                2.0 * threshold_current(classification).unwrap_or(1.0),
                20.0,
                2.0,
            );
            run(&pulsed.circuit, &pulsed, template.default_tstop, &Scales::default())?
        }
        _ => run(&template.circuit, template, measure_tstop(template), &Scales::default())?,
    };
    let v_max = max_abs(&mother_run, &template.membrane) * s;
    match spec.constraints.supply_v {
        Some(supply) if v_max > supply => Err(Error::Infeasible {
            constraint: "supply_v",
            target: "amplitude_v",
            message: format!(
                "amplitude_v = {} gives a membrane swing up to |v| = {}, above supply_v = {}; lower \
                 amplitude_v",
                si(s, "V"),
                si(v_max, "V"),
                si(supply, "V")
            ),
        }),
        _ => Ok(v_max),
    }
}

/// What the physical circuit achieves, measured on it.
fn achieved(
    behaviour: Behaviour,
    template: &Template,
    physical: &FlatCircuit,
    scales: &Scales,
) -> Result<Achieved> {
    let mut achieved = Achieved::default();
    let tstop = measure_tstop(template) * scales.omega_s;
    match behaviour {
        Behaviour::TonicSpiking => {
            let r = run(physical, template, tstop, scales)?;
            achieved.rate_hz = spike_period(&r.event_times(&template.membrane)).map(|p| 1.0 / p);
        }
        Behaviour::Bursting => {
            let r = run(physical, template, tstop, scales)?;
            if let Some((counts, p)) = bursts(&r.event_times(&template.membrane)) {
                achieved.spikes_per_burst = burst_count(&counts);
                achieved.burst_period_s = Some(p);
            }
        }
        Behaviour::Excitable => {
            let g: Vec<f64> = grid().iter().map(|v| v * scales.s_volt).collect();
            let cl = landscape::classify(physical, &template.membrane, &g)?;
            achieved.threshold_a = threshold_current(&cl);
        }
        _ => {}
    }
    Ok(achieved)
}

fn fhn_bias(t: &Template) -> f64 {
    iext(t).unwrap_or(0.0)
}

fn target_key(spec: &Spec) -> &'static str {
    match spec.behaviour {
        Behaviour::TonicSpiking if spec.target.rate_hz.is_some() => "rate_hz",
        Behaviour::Bursting if spec.target.burst_period_s.is_some() => "burst_period_s",
        Behaviour::Excitable if spec.target.threshold_a.is_some() => "threshold_a",
        _ => "time_s",
    }
}

fn missing(behaviour: &str, key: &'static str) -> Error {
    Error::Infeasible {
        constraint: "time_s",
        target: key,
        message: format!("{behaviour} needs target.{key} or scale.time_s to fix the time scale"),
    }
}

fn no_events(t: &Template) -> Error {
    Error::BadTemplate {
        template: "spec",
        reason: format!("the {} mother shows no measurable events on its membrane", t.name),
    }
}

/// The component values of the physical image of `mother` at `scales`.
pub fn components(mother: &FlatCircuit, scales: &Scales) -> Vec<Component> {
    let (sv, om, c0, k) = (scales.s_volt, scales.omega_s, scales.c0_farad, scales.current_a());
    let g = scales.conductance_s();
    let mut out = Vec::new();
    let mut push = |element: &str, quantity: &str, value: f64, unit: &str| {
        out.push(Component { element: element.into(), quantity: quantity.into(), value, unit: unit.into() });
    };
    for e in &mother.elements {
        let n = e.name.as_str();
        match &e.kind {
            ElementKind::Resistor { r_ohm, .. } => push(n, "resistance", r_ohm / g, "Ohm"),
            ElementKind::Capacitor { c_farad, .. } => push(n, "capacitance", c_farad * c0, "F"),
            ElementKind::Inductor { l_henry, .. } => {
                push(n, "inductance", l_henry * scales.inductance_h(), "H")
            }
            ElementKind::VoltageSource { waveform: Waveform::Dc { value }, .. } => {
                push(n, "voltage", value * sv, "V")
            }
            ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. } => {
                push(n, "current", value * k, "A")
            }
            ElementKind::NonlinearResistor { law, .. } => match law {
                ResistiveLaw::Cubic { a, b } => {
                    push(n, "cubic coefficient a (i = a v^3 - b v)", k * a / (sv * sv * sv), "A/V^3");
                    push(n, "negative conductance b", g * b, "S");
                }
                ResistiveLaw::Tanh { alpha, delta, w } => {
                    push(n, "tanh gain alpha", k * alpha, "A");
                    push(n, "tanh offset delta", sv * delta, "V");
                    push(n, "tanh width w", sv * w, "V");
                }
                _ => {}
            },
            ElementKind::Memristive { states, law, .. } => {
                for (j, st) in states.iter().enumerate() {
                    if let Relaxation::Linear { tau_s, .. } = st {
                        push(n, &format!("time constant (state {j})"), tau_s * om, "s");
                    }
                }
                if let MemristiveLaw::Tanh { alpha, delta, .. } = law {
                    push(n, "tanh gain alpha", k * alpha, "A");
                    push(n, "tanh offset delta", sv * delta, "V");
                }
            }
            _ => {}
        }
    }
    out
}
