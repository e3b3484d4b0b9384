//! A technology's subthreshold parameters measured on its own models
//! (`[subthreshold] measure = true`, as the PDK technologies have): the
//! test bench and the fit of its currents. Running the bench is the
//! caller's (`atscale_explore::characterise` runs it in ngspice and caches
//! the result).
//!
//! The bench holds one transistor per gate voltage, each with its own
//! drain source, so that one DC operating point gives every current: NMOS
//! and PMOS at `W = L = sizing.l_m` (one square) with `|V_GS|` from 0 to
//! the supply in [`VGS_STEP_V`] steps and `|V_DS|` half the supply, and the
//! pair devices (below). A second bench, [`length_bench`], is run at the
//! pairs' source the first bench's fit gives ([`BenchFit::pair_source_v`]): the one-square NMOS, NMOS of
//! [`LENGTH_MULTIPLES`] times that length (below `l_max_m`) and series
//! stacks of 1 to [`MAX_SERIES_SEGMENTS`] NMOS `l_max_m` long, gates at
//! the reference.
//!
//! The fit (EKV, with `n = 1 / kappa`):
//! - `n(V_G) = (dV_G / d ln I_D) / U_T`; kappa is `1 / min n` (the
//!   steepest subthreshold slope, 2.3 n U_T per decade);
//! - the inversion coefficient of each point from its transconductance
//!   efficiency `g = n U_T g_m / I_D`, inverting the EKV interpolation
//!   `g = (sqrt(1 + 4 IC) - 1) / (2 IC)`: `IC = (1 - g) / g^2`; the specific
//!   current per square is the median of `I_D / IC` over `0.3 <= IC <= 3`
//!   (moderate inversion, where this estimate is least sensitive to n)
//!   at gate voltages above the steepest slope;
//! - the pairs' operating point: the source voltage where the one-square
//!   device at the reference carries [`PAIR_INVERSION`] times the specific
//!   current (interpolated in `ln I` between source steps); everything
//!   below is taken there, as an input pair meets it (the length bench's
//!   ratios measured at that source itself);
//! - the pairs' kappa: `U_T ln(I(+delta) / I(-delta)) / (2 delta)`. A
//!   differential pair's `tanh(kappa dV / 2 U_T)` has the kappa of its
//!   common source, which the body effect makes larger than at a grounded
//!   source (GF180: 0.75 against 0.70);
//! - the offset length factor: the length `L*` whose current is `e^-3` of
//!   the one-square device's, over `e^3 l_m` (1 where current scales as
//!   `1 / L`; see [`super::tech::Subthreshold`]), among the single
//!   devices up to `l_max_m` and the series stacks of `l_max_m` devices
//!   beyond it (where a PDK's model bins end: a longer device is drawn as
//!   such a stack, whose current is not exactly a single device's: sky130,
//!   three 16.7 um devices carry 1.11 times a third of one's); when no
//!   length does, `(L / l_m) / (I(l_m) / I(L))` at the longest, and
//!   [`Characterised::offset_length_at_longest`] says so. The source
//!   matters here too: in GF180 a 10 um device carries 1/6.43 of the 1 um
//!   one's current at the pairs' source, 1/4.71 at a grounded one.

use atscale_circuit::{Element, ElementKind, FlatCircuit, Waveform};
use serde::{Deserialize, Serialize};

use super::mapping::{series_chain, MAX_SERIES_SEGMENTS};
use super::tech::{Subthreshold, Technology, K_OVER_Q};
use crate::error::{Error, Result};

/// Gate voltage step of the bench, V.
pub const VGS_STEP_V: f64 = 0.01;

/// The longer NMOS lengths of the bench, in units of `sizing.l_m`.
pub const LENGTH_MULTIPLES: [f64; 5] = [10.0, 20.0, 35.0, 50.0, 80.0];

/// Version of the bench and fit: a characterisation cached by another is measured again.
pub const FIT_VERSION: u32 = 3;

/// The pair devices' gate voltages either side of the reference, V.
pub const PAIR_DELTA_V: f64 = 0.01;

/// Source-voltage step of the pair devices, V.
pub const PAIR_SOURCE_STEP_V: f64 = 0.025;

/// Inversion coefficient of the pair device at which its kappa is taken
/// (a realisation's pair devices run at `1e-4` to `1e-2`, where kappa
/// changes by under 1 %).
pub const PAIR_INVERSION: f64 = 1e-3;

/// Most gate voltages of the bench per device (a supply of 20 V in 10 mV steps).
pub const MAX_GATE_STEPS: usize = 2000;

/// A device polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    /// NMOS.
    N,
    /// PMOS.
    P,
}

/// One transistor of the bench.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its polarity.
    pub polarity: Polarity,
    /// Channel length, m (the width is `sizing.l_m`).
    pub l_m: f64,
    /// `|V_GS|`, V.
    pub vgs_v: f64,
    /// Source voltage above the bulk (0 but for the pair devices), V.
    pub vs_v: f64,
    /// One of the pair devices (gate near half the supply, source held).
    pub pair: bool,
    /// The voltage source whose branch current is the drain current.
    pub source: String,
}

/// The bench: a circuit and what each of its drain sources measures.
#[derive(Debug, Clone)]
pub struct Bench {
    /// The circuit (MOSFETs named by the technology's device names; write
    /// it with [`super::mapping::with_subckt_devices`]).
    pub circuit: FlatCircuit,
    /// The transistors, in the order of their sources.
    pub points: Vec<Point>,
    /// `|V_DS|` of every transistor, V.
    pub vds_v: f64,
    /// Width of every transistor, m.
    pub w_m: f64,
}

/// A technology's measured subthreshold parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Characterised {
    /// NMOS slope factor, source and bulk at ground.
    pub kappa_n: f64,
    /// The input pairs' slope factor: NMOS with its source at
    /// [`Characterised::pair_source_v`], its bulk at ground.
    pub kappa_pair: f64,
    /// The source voltage at which the one-square NMOS with its gate at
    /// half the supply carries [`PAIR_INVERSION`] times its specific current, V.
    pub pair_source_v: f64,
    /// PMOS slope factor.
    pub kappa_p: f64,
    /// NMOS subthreshold swing at its steepest, V per decade.
    pub swing_n_v: f64,
    /// PMOS subthreshold swing at its steepest, V per decade.
    pub swing_p_v: f64,
    /// NMOS specific current per square, A.
    pub specific_current_n_a: f64,
    /// PMOS specific current per square, A.
    pub specific_current_p_a: f64,
    /// How much longer than `e^3 l_m` the device is that carries `e^-3` of
    /// the one-square current.
    pub offset_length_factor: f64,
    /// No length of the length bench (single devices up to
    /// `sizing.l_max_m`, stacks of up to [`MAX_SERIES_SEGMENTS`] of them)
    /// carries `e^-3` of the one-square current: the factor is `(L / l_m) /
    /// (I(l_m) / I(L))` at the longest stack, and an offset pair of the full
    /// ratio is longer than atscale draws.
    pub offset_length_at_longest: bool,
    /// Thermal voltage at the technology's temperature, V.
    pub thermal_voltage_v: f64,
    /// `|V_DS|` of the bench, V.
    pub vds_v: f64,
    /// Width and length of the one-square devices, m.
    pub square_m: f64,
}

impl Characterised {
    /// Whether every value is in its physical range (kappa in (0, 1),
    /// currents, factor, voltages and lengths positive and finite): a cached
    /// characterisation that is not is measured again.
    pub fn is_physical(&self) -> bool {
        let pos = |x: f64| x > 0.0 && x.is_finite();
        [self.kappa_n, self.kappa_p, self.kappa_pair].iter().all(|k| *k > 0.0 && *k < 1.0)
            && [
                self.swing_n_v,
                self.swing_p_v,
                self.specific_current_n_a,
                self.specific_current_p_a,
                self.offset_length_factor,
                self.thermal_voltage_v,
                self.vds_v,
                self.square_m,
                self.pair_source_v,
            ]
            .into_iter()
            .all(pos)
    }

    /// The parameters the sizing uses.
    pub fn subthreshold(&self) -> Subthreshold {
        Subthreshold {
            kappa: self.kappa_pair,
            thermal_voltage_v: self.thermal_voltage_v,
            specific_current_n_a: self.specific_current_n_a,
            specific_current_p_a: self.specific_current_p_a,
            offset_length_factor: self.offset_length_factor,
        }
    }
}

/// The bench of `tech`.
///
/// # Errors
///
/// [`Error::BadTemplate`] when the supply needs more than
/// [`MAX_GATE_STEPS`] gate voltages.
pub fn bench(tech: &Technology) -> Result<Bench> {
    let vdd = tech.supply_v;
    let square = tech.sizing.l_m;
    let vds = 0.5 * vdd;
    let steps = (vdd / VGS_STEP_V).round();
    if !(steps >= 10.0 && steps <= MAX_GATE_STEPS as f64) {
        return Err(Error::BadTemplate {
            template: "technology",
            reason: format!(
                "characterising {}: a supply of {vdd} V is {steps} gate steps of {VGS_STEP_V} V; the bench takes 10 to {MAX_GATE_STEPS}",
                tech.name
            ),
        });
    }
    let steps = steps as usize;
    let mut els = vec![dc("VDD", "vdd", vdd)];
    let mut points = Vec::new();
    for polarity in [Polarity::N, Polarity::P] {
        let p = polarity == Polarity::P;
        let tag = if p { "p" } else { "n" };
        let (s, model) = if p { ("vdd", &tech.pmos) } else { ("0", &tech.nmos) };
        for k in 0..=steps {
            let vgs = k as f64 * VGS_STEP_V;
            let (g, d, src) = (format!("g{tag}{k}"), format!("d{tag}0_{k}"), format!("VD{tag}0_{k}"));
            els.push(dc(&format!("VG{tag}{k}"), &g, if p { vdd - vgs } else { vgs }));
            els.push(dc(&src, &d, if p { vdd - vds } else { vds }));
            els.push(Element {
                name: format!("M{tag}0_{k}"),
                kind: ElementKind::Mosfet {
                    d,
                    g,
                    s: s.into(),
                    b: s.into(),
                    model: model.clone(),
                    w_m: square,
                    l_m: square,
                    instance: Default::default(),
                },
            });
            points.push(Point { polarity, l_m: square, vgs_v: vgs, vs_v: 0.0, pair: false, source: src });
        }
    }
    pair_devices(tech, &mut els, &mut points);
    Ok(Bench { circuit: bench_circuit(tech, els), points, vds_v: vds, w_m: square })
}

/// The pair devices (see the module documentation): sources held from 0 in
/// `PAIR_SOURCE_STEP_V` steps up to below the reference, drains at the
/// supply; at each source one-square NMOS with their gates at the
/// reference and `PAIR_DELTA_V` either side.
fn pair_devices(tech: &Technology, els: &mut Vec<Element<f64>>, points: &mut Vec<Point>) {
    let (vdd, square) = (tech.supply_v, tech.sizing.l_m);
    let v_ref = vdd / 2.0;
    for (m, dv) in [-PAIR_DELTA_V, 0.0, PAIR_DELTA_V].into_iter().enumerate() {
        els.push(dc(&format!("VGQ{m}"), &format!("gq{m}"), v_ref + dv));
    }
    let sources = ((v_ref - 2.0 * PAIR_DELTA_V) / PAIR_SOURCE_STEP_V).floor() as usize;
    for k in 0..=sources {
        let vs = k as f64 * PAIR_SOURCE_STEP_V;
        els.push(dc(&format!("VSQ{k}"), &format!("sq{k}"), vs));
        for (m, dv) in [-PAIR_DELTA_V, 0.0, PAIR_DELTA_V].into_iter().enumerate() {
            let (d, src) = (format!("dq{k}_{m}"), format!("VDQ{k}_{m}"));
            els.push(dc(&src, &d, vdd));
            els.push(nmos(tech, format!("MQ{k}_{m}"), [d, format!("gq{m}"), format!("sq{k}")], square));
            points.push(Point {
                polarity: Polarity::N,
                l_m: square,
                vgs_v: v_ref + dv - vs,
                vs_v: vs,
                pair: true,
                source: src,
            });
        }
    }
}

/// The second bench, at the pairs' operating point (`source_v`, from
/// [`BenchFit::pair_source_v`]): bulk at ground, gates at the reference, drains at
/// the supply; the one-square NMOS, one NMOS of each longer length
/// ([`LENGTH_MULTIPLES`] times `l_m` below `l_max_m`, and `l_max_m`), and
/// stacks of 2 to [`MAX_SERIES_SEGMENTS`] NMOS `l_max_m` long in series
/// with one gate (how a longer device is drawn), each point's `l_m` the
/// stack's total. One operating point, so that the stacks' many nodes
/// are not solved at every source voltage.
pub fn length_bench(tech: &Technology, source_v: f64) -> Bench {
    let (vdd, square, l_max) = (tech.supply_v, tech.sizing.l_m, tech.sizing.l_max_m);
    let mut devices: Vec<(f64, usize)> = vec![(square, 1)];
    devices.extend(LENGTH_MULTIPLES.iter().map(|m| (m * square, 1)).filter(|(l, _)| *l < 0.99 * l_max));
    if l_max > square {
        devices.extend((1..=MAX_SERIES_SEGMENTS).map(|n| (l_max, n)));
    }
    let mut els = vec![dc("VDD", "vdd", vdd), dc("VGL", "gl", vdd / 2.0), dc("VSL", "sl", source_v)];
    let (mut points, vgs_v) = (Vec::new(), vdd / 2.0 - source_v);
    for (j, (l, n)) in devices.into_iter().enumerate() {
        let (d, src) = (format!("dl{j}"), format!("VDL{j}"));
        els.push(dc(&src, &d, vdd));
        for (name, d, s) in series_chain(&format!("ML{j}"), &d, "sl", n) {
            els.push(nmos(tech, name, [d, "gl".into(), s], l));
        }
        points.push(Point {
            polarity: Polarity::N,
            l_m: n as f64 * l,
            vgs_v,
            vs_v: source_v,
            pair: true,
            source: src,
        });
    }
    Bench { circuit: bench_circuit(tech, els), points, vds_v: vdd - source_v, w_m: square }
}

/// An NMOS of the technology, one square wide and `l_m` long, its bulk at ground.
fn nmos(tech: &Technology, name: String, [d, g, s]: [String; 3], l_m: f64) -> Element<f64> {
    let (b, model, w_m) = ("0".into(), tech.nmos.clone(), tech.sizing.l_m);
    Element { name, kind: ElementKind::Mosfet { d, g, s, b, model, w_m, l_m, instance: Default::default() } }
}

/// A bench circuit of `elements` with the technology's model cards.
fn bench_circuit(tech: &Technology, elements: Vec<Element<f64>>) -> FlatCircuit {
    FlatCircuit {
        title: format!("subthreshold characterisation of {} (atscale)", tech.name),
        models: match &tech.models {
            super::tech::ModelSource::Cards(c) => c.clone(),
            super::tech::ModelSource::Library { .. } => Vec::new(),
        },
        elements,
    }
}

fn dc(name: &str, node: &str, v: f64) -> Element<f64> {
    Element {
        name: name.into(),
        kind: ElementKind::VoltageSource {
            p: node.into(),
            n: "0".into(),
            waveform: Waveform::Dc { value: v },
            dc: None,
        },
    }
}

/// The first bench fitted ([`fit_bench`]): slope factors, specific
/// currents and the pairs' operating point, where the [`length_bench`]
/// runs ([`BenchFit::pair_source_v`]).
#[derive(Debug, Clone)]
pub struct BenchFit {
    n_n: f64,
    n_p: f64,
    ispec_n: f64,
    ispec_p: f64,
    pair: PairPoint,
    ut: f64,
    vds_v: f64,
    square_m: f64,
}

impl BenchFit {
    /// The pairs' common source, V.
    pub fn pair_source_v(&self) -> f64 {
        self.pair.source_v
    }
}

/// Fits the bench's drain currents (`currents[i]` the magnitude of the
/// current of `bench.points[i]`, A) at the technology's temperature.
///
/// # Errors
///
/// [`Error::BadTemplate`] when a polarity shows no weak-inversion region
/// (a slope factor outside 1..5, fewer than five currents above 1 fA),
/// no moderate-inversion point or no pair operating point, naming the
/// technology and the device.
pub fn fit_bench(tech: &Technology, bench: &Bench, currents: &[f64]) -> Result<BenchFit> {
    let ut = K_OVER_Q * (tech.temperature_c + 273.15);
    let curve = |pol: Polarity| -> (Vec<f64>, Vec<f64>) {
        bench
            .points
            .iter()
            .zip(currents)
            .filter(|(p, _)| p.polarity == pol && p.l_m == bench.w_m && !p.pair)
            .map(|(p, i)| (p.vgs_v, i.abs()))
            .unzip()
    };
    let (vn, idn) = curve(Polarity::N);
    let (vp, idp) = curve(Polarity::P);
    let n_n = slope_factor(&vn, &idn, ut).map_err(|e| bad(tech, &tech.nmos, e))?;
    let n_p = slope_factor(&vp, &idp, ut).map_err(|e| bad(tech, &tech.pmos, e))?;
    let ispec_n = specific_current(&vn, &idn, ut, n_n).map_err(|e| bad(tech, &tech.nmos, e))?;
    let ispec_p = specific_current(&vp, &idp, ut, n_p).map_err(|e| bad(tech, &tech.pmos, e))?;
    let pair = pair_point(bench, currents, ut, ispec_n).map_err(|e| bad(tech, &tech.nmos, e))?;
    Ok(BenchFit { n_n, n_p, ispec_n, ispec_p, pair, ut, vds_v: bench.vds_v, square_m: bench.w_m })
}

fn bad(tech: &Technology, dev: &str, why: String) -> Error {
    Error::BadTemplate {
        template: "technology",
        reason: format!("characterising {} ({dev}): {why}", tech.name),
    }
}

/// The characterisation: the first bench's fit and the [`length_bench`]'s
/// drain currents (`lengths`, run at [`BenchFit::pair_source_v`]; `currents[i]`
/// of `lengths.points[i]`, A).
///
/// # Errors
///
/// [`Error::BadTemplate`] when no longer device conducts at the pairs'
/// operating point, naming the technology and the device.
pub fn fit(tech: &Technology, first: &BenchFit, lengths: &Bench, currents: &[f64]) -> Result<Characterised> {
    let BenchFit { n_n, n_p, ispec_n, ispec_p, ut, square_m: square, .. } = *first;
    // `(L, I(l_m) / I(L))` of each longer device; the square is the first.
    let i_square = currents.first().copied().unwrap_or(f64::NAN);
    let ratios: Vec<(f64, f64)> =
        lengths.points.iter().zip(currents).skip(1).map(|(p, i)| (p.l_m, i_square / i.abs())).collect();
    let (factor, at_longest) = length_factor(square, &ratios).map_err(|e| bad(tech, &tech.nmos, e))?;
    let pair = &first.pair;
    let decade = ut * std::f64::consts::LN_10;
    Ok(Characterised {
        kappa_n: 1.0 / n_n,
        kappa_pair: pair.kappa,
        pair_source_v: pair.source_v,
        kappa_p: 1.0 / n_p,
        swing_n_v: n_n * decade,
        swing_p_v: n_p * decade,
        specific_current_n_a: ispec_n,
        specific_current_p_a: ispec_p,
        offset_length_factor: factor,
        offset_length_at_longest: at_longest,
        thermal_voltage_v: ut,
        vds_v: first.vds_v,
        square_m: square,
    })
}

/// What the pair devices give at the pairs' operating point.
#[derive(Debug, Clone, Copy)]
struct PairPoint {
    /// The source voltage, V.
    source_v: f64,
    /// The slope factor there.
    kappa: f64,
}

/// The pairs' operating point and their kappa there (see the module documentation).
fn pair_point(
    bench: &Bench,
    currents: &[f64],
    ut: f64,
    ispec: f64,
) -> std::result::Result<PairPoint, String> {
    // Per source voltage, in bench order: the one-square device at -delta, 0, +delta.
    let mut steps: Vec<(f64, Vec<(f64, f64)>)> = Vec::new();
    for (p, &i) in bench.points.iter().zip(currents).filter(|(p, _)| p.pair) {
        match steps.last_mut() {
            Some((vs, devices)) if *vs == p.vs_v => devices.push((p.l_m, i)),
            _ => steps.push((p.vs_v, vec![(p.l_m, i)])),
        }
    }
    let target = (PAIR_INVERSION * ispec).ln();
    let kappa = |d: &[(f64, f64)]| ut * (d[2].1 / d[0].1).ln() / (2.0 * PAIR_DELTA_V);
    let lerp = |a: f64, b: f64, f: f64| a + f * (b - a);
    // The current at the reference falls as the source rises: the first step across the target.
    let found = steps.windows(2).find_map(|w| {
        let ((v0, d0), (v1, d1)) = (&w[0], &w[1]);
        let (l0, l1) = (d0.get(1)?.1.ln(), d1.get(1)?.1.ln());
        let conducts = d0.iter().chain(d1.iter()).all(|(_, i)| *i >= FLOOR_A);
        (l0 >= target && target > l1 && conducts && d0.len() >= 3 && d0.len() == d1.len())
            .then(|| (w, (l0 - target) / (l0 - l1), (*v0, *v1)))
    });
    let Some((w, f, (v0, v1))) = found else {
        return Err(format!(
            "no source voltage from 0 to half the supply puts the one-square device with its gate at half the \
             supply at {PAIR_INVERSION} times its specific current: no pair operating point"
        ));
    };
    let (d0, d1) = (&w[0].1, &w[1].1);
    Ok(PairPoint { source_v: lerp(v0, v1, f), kappa: lerp(kappa(d0), kappa(d1), f) })
}

/// Smallest current taken as conduction, A (below it: leakage and rounding).
const FLOOR_A: f64 = 1e-15;

/// `n(V_G) = (dV_G / d ln I_D) / U_T` at each interior point whose
/// neighbours conduct (central differences); `NaN` elsewhere.
fn local_n(v: &[f64], id: &[f64], ut: f64) -> Vec<f64> {
    (0..v.len())
        .map(|i| {
            if i == 0 || i + 1 >= v.len() || id[i - 1] < FLOOR_A || id[i + 1] <= id[i - 1] {
                return f64::NAN;
            }
            (v[i + 1] - v[i - 1]) / (ut * (id[i + 1] / id[i - 1]).ln())
        })
        .collect()
}

/// The slope factor: the smallest local `n` (steepest subthreshold slope).
fn slope_factor(v: &[f64], id: &[f64], ut: f64) -> std::result::Result<f64, String> {
    let n = local_n(v, id, ut);
    let conducting = n.iter().filter(|x| x.is_finite()).count();
    let min = n.iter().copied().filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
    if conducting < 5 || !(1.0..5.0).contains(&min) {
        return Err(format!(
            "no weak-inversion region: {conducting} gate voltages conduct above 1 fA, smallest slope factor {min:.3}"
        ));
    }
    Ok(min)
}

/// Inversion coefficient of each point from its transconductance efficiency.
fn inversion(v: &[f64], id: &[f64], ut: f64, n: f64) -> Vec<f64> {
    local_n(v, id, ut)
        .iter()
        .map(|ni| {
            let g = n / ni;
            if g.is_finite() && g > 0.0 && g <= 1.0 {
                (1.0 - g) / (g * g)
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Specific current per square: median of `I_D / IC` over `0.3 <= IC <= 3`
/// above the steepest slope (below it the current flattens into leakage,
/// which the transconductance efficiency would read as inversion).
fn specific_current(v: &[f64], id: &[f64], ut: f64, n: f64) -> std::result::Result<f64, String> {
    let ic = inversion(v, id, ut, n);
    let local = local_n(v, id, ut);
    let steepest =
        (0..v.len()).filter(|&i| local[i].is_finite()).min_by(|&a, &b| local[a].total_cmp(&local[b]));
    let from = steepest.unwrap_or(0);
    let mut est: Vec<f64> =
        (from..v.len()).filter(|&i| (0.3..=3.0).contains(&ic[i])).map(|i| id[i] / ic[i]).collect();
    median(&mut est).ok_or_else(|| {
        "no moderate-inversion point (inversion coefficient 0.3 to 3) below the supply".to_string()
    })
}

/// The offset length factor from the longer lengths' current ratios
/// `(L, I(l_m) / I(L))` (see the module documentation).
fn length_factor(square: f64, longer: &[(f64, f64)]) -> std::result::Result<(f64, bool), String> {
    let mut ratios = vec![(square.ln(), 0.0)];
    ratios.extend(longer.iter().filter(|(_, r)| r.is_finite() && *r > 0.0).map(|(l, r)| (l.ln(), r.ln())));
    let target = 3.0;
    match ratios.windows(2).position(|w| (w[0].1 - target) * (w[1].1 - target) <= 0.0) {
        Some(k) => {
            let ((l0, r0), (l1, r1)) = (ratios[k], ratios[k + 1]);
            let l_star = (l0 + (target - r0) * (l1 - l0) / (r1 - r0)).exp();
            Ok((l_star / (target.exp() * square), false))
        }
        // No length up to l_max carries e^-3 of the current: the factor at the longest.
        None => match ratios.last() {
            Some(&(l, r)) if ratios.len() > 1 && r > 0.0 => Ok(((l - r).exp() / square, true)),
            _ => Err("no longer device conducts at the pairs' operating point: no offset length factor"
                .to_string()),
        },
    }
}

fn median(x: &mut [f64]) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let m = x.len() / 2;
    Some(if x.len() % 2 == 1 { x[m] } else { 0.5 * (x[m - 1] + x[m]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The EKV/ACM transistor in saturation: `(V_G - V_T0) / n = U_T (2 q - 2 +
    /// ln q)` and `I_D = I_spec (W/L) (q^2 + q)` (Enz and Vittoz, whose
    /// transconductance efficiency is exactly the interpolation the fit
    /// inverts), solved for the normalised charge q by bisection on ln q.
    fn ekv(vg: f64, vt: f64, n: f64, ut: f64, ispec_wl: f64) -> f64 {
        let target = (vg - vt) / (n * ut);
        let (mut lo, mut hi) = (-200.0f64, 20.0f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let q = mid.exp();
            if 2.0 * (q - 1.0) + mid < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let q = (0.5 * (lo + hi)).exp();
        ispec_wl * (q * q + q)
    }

    fn tech() -> Technology {
        Technology::builtin("generic-bsim4").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The NMOS slope factor of [`synthetic`] with the source `vs` above the
    /// bulk (a body effect: kappa grows as the source rises).
    fn n_body(vs: f64) -> f64 {
        1.25 - 0.1 * vs
    }

    /// Currents of the bench from the EKV model: NMOS n 1.25 (at a grounded
    /// source; [`n_body`]), I_spec 400 nA, PMOS n 1.4, I_spec 90 nA, and
    /// current scaling as `L^-p` with length. A source at `V_S` above the
    /// bulk: `V_P - V_S = (V_G - V_T0) / n - V_S`.
    fn synthetic(t: &Technology, b: &Bench, p: f64) -> Vec<f64> {
        let ut = K_OVER_Q * (t.temperature_c + 273.15);
        b.points
            .iter()
            .map(|pt| {
                let (n, is, vt) = match pt.polarity {
                    Polarity::N => (n_body(pt.vs_v), 4e-7, 0.45),
                    Polarity::P => (1.4, 9e-8, 0.5),
                };
                let wl = b.w_m / pt.l_m;
                let vg = pt.vgs_v + pt.vs_v;
                ekv(vg - n * pt.vs_v, vt, n, ut, is * wl.powf(p))
            })
            .collect()
    }

    /// Both benches of `t` with [`synthetic`] currents (lengths as `L^-p`), fitted.
    fn fitted(t: &Technology, p: f64) -> Characterised {
        let b = bench(t).unwrap_or_else(|e| panic!("{e}"));
        let currents = synthetic(t, &b, p);
        let first = fit_bench(t, &b, &currents).unwrap_or_else(|e| panic!("{e}"));
        let lengths = length_bench(t, first.pair_source_v());
        let length_currents = synthetic(t, &lengths, p);
        fit(t, &first, &lengths, &length_currents).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_pair_kappa_is_the_body_effected_kappa_at_the_pairs_source() {
        let t = tech();
        let c = fitted(&t, 1.0);
        // The slope at IC = 1e-3 is 1 / n times the EKV transconductance
        // efficiency there, (sqrt(1 + 4 IC) - 1) / (2 IC) = 0.999.
        let ic = PAIR_INVERSION;
        let want = ((1.0 + 4.0 * ic).sqrt() - 1.0) / (2.0 * ic) / n_body(c.pair_source_v);
        // Measured: 9.3e-5 apart (the source voltage is interpolated linearly in
        // ln I over a 25 mV step, and kappa moves 0.07 per volt of it); 3x margin.
        assert!((c.kappa_pair - want).abs() < 3e-4, "{} vs {want}", c.kappa_pair);
        assert!(c.kappa_pair > c.kappa_n + 0.01, "{} {}", c.kappa_pair, c.kappa_n);
        // The source voltage is where the device at half the supply carries 1e-3 I_spec.
        let ut = K_OVER_Q * 300.15;
        let vs = c.pair_source_v;
        let n = n_body(vs);
        let i = ekv(0.5 * t.supply_v - n * vs, 0.45, n, ut, 4e-7);
        assert!((i / (PAIR_INVERSION * 4e-7)).ln().abs() < 1e-2, "{i} at {vs} V");
        assert_eq!(c.subthreshold().kappa, c.kappa_pair);
    }

    #[test]
    fn the_fit_recovers_an_ekv_transistor() {
        let t = tech();
        let c = fitted(&t, 1.0);
        // Measured: kappa within 2e-6 relative (the steepest point is at q ~ 1e-6),
        // I_spec within 1.5e-3 (central differences over 10 mV, 0.3 n U_T); 5x and 3x margins.
        assert!((c.kappa_n * 1.25 - 1.0).abs() < 1e-5, "{}", c.kappa_n);
        assert!((c.kappa_p * 1.4 - 1.0).abs() < 1e-5, "{}", c.kappa_p);
        assert!((c.specific_current_n_a / 4e-7 - 1.0).abs() < 5e-3, "{}", c.specific_current_n_a);
        assert!((c.specific_current_p_a / 9e-8 - 1.0).abs() < 5e-3, "{}", c.specific_current_p_a);
        // Current as 1/L: the factor is 1.
        assert!((c.offset_length_factor - 1.0).abs() < 1e-9, "{}", c.offset_length_factor);
        let ut = K_OVER_Q * 300.15;
        assert!((c.swing_n_v - 1.25 * ut * std::f64::consts::LN_10).abs() < 1e-6, "{}", c.swing_n_v);
    }

    #[test]
    fn the_length_factor_of_a_power_law() {
        // I ∝ L^-0.9: e^-3 of the current at L* = e^(3/0.9) l_m, factor e^(3/0.9 - 3).
        let t = tech();
        let c = fitted(&t, 0.9);
        let want = (3.0 / 0.9 - 3.0f64).exp();
        // Exact for a power law up to rounding: measured 1e-15; 1e-9 tolerance.
        assert!((c.offset_length_factor - want).abs() < 1e-9, "{} vs {want}", c.offset_length_factor);
    }

    #[test]
    fn a_length_factor_beyond_the_longest_length_is_the_longest_lengths() {
        // I ∝ L^-0.5: the longest of the bench, a stack of eight l_max = 100 µm
        // devices (l_m 2 µm: 400 l_m), carries 400^-0.5 = 1/20 < e^-3 of the
        // current; factor 400 / 20 = 20.
        let t = tech();
        let c = fitted(&t, 0.5);
        assert!(c.offset_length_at_longest);
        // Exact for a power law up to rounding: measured 2e-15.
        assert!((c.offset_length_factor - 20.0).abs() < 1e-9, "{}", c.offset_length_factor);
    }

    #[test]
    fn a_bench_without_weak_inversion_is_refused_by_name() {
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        // A resistor-like device: I proportional to V_G, no exponential region.
        let linear: Vec<f64> = b.points.iter().map(|p| 1e-6 * p.vgs_v * b.w_m / p.l_m).collect();
        let e = fit_bench(&t, &b, &linear).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("characterising generic-bsim4 (nch): no weak-inversion region"), "{e}");
    }

    #[test]
    fn the_bench_has_one_source_per_transistor() {
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        // 181 NMOS and 181 PMOS one-square devices; per source voltage from 0
        // to 0.875 V (a 1.8 V supply, 25 mV steps below 0.9 V - 20 mV) three
        // one-square pair devices.
        assert_eq!(b.points.len(), 181 * 2 + 36 * 3);
        let mosfets = |b: &Bench| {
            b.circuit.elements.iter().filter(|e| matches!(e.kind, ElementKind::Mosfet { .. })).count()
        };
        assert_eq!(mosfets(&b), b.points.len());
        assert!(b.points.iter().all(|p| b.circuit.elements.iter().any(|e| e.name == p.source)));
        // The length bench: the square, 10, 20, 35 l_m below l_max 100 µm
        // (l_m 2 µm), and stacks of 1 to 8 devices of l_max: 36 transistors
        // behind 12 sources, each point's length the stack's total.
        let l = length_bench(&t, 0.5);
        let lengths: Vec<f64> = l.points.iter().map(|p| (p.l_m * 1e6).round()).collect();
        assert_eq!(lengths, [2.0, 20.0, 40.0, 70.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0]);
        assert_eq!(mosfets(&l), 4 + 36);
        assert!(l.points.iter().all(|p| l.circuit.elements.iter().any(|e| e.name == p.source)));
    }
}
