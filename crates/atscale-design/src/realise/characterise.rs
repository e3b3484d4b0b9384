//! A technology's subthreshold parameters measured on its own models
//! (`[subthreshold] measure = true`, as the PDK technologies have): the
//! test bench and the fit of its currents. Running the bench is the
//! caller's (`atscale_explore::characterise` runs it in ngspice and caches
//! the result).
//!
//! The bench holds one transistor per gate voltage and length, each with
//! its own drain source, so that one DC operating point gives every
//! current: NMOS and PMOS at `W = L = sizing.l_m` (one square) with
//! `|V_GS|` from 0 to the supply in [`VGS_STEP_V`] steps and `|V_DS|` half
//! the supply, and NMOS of [`LENGTH_MULTIPLES`] times that length (below
//! `l_max_m`) and of `l_max_m` over the lower half of the range.
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
//! - the offset length factor: the length `L*` whose current, at the gate
//!   voltages where the one-square device is in weak inversion (`0.003 <=
//!   IC <= 0.03`), is `e^-3` of the one-square device's, over `e^3 l_m`
//!   (1 where current scales as `1 / L`; see [`super::tech::Subthreshold`]);
//!   when no length up to `l_max_m` does, `(L / l_m) / (I(l_m) / I(L))` at
//!   the longest, and [`Characterised::offset_length_at_longest`] says so.

use atscale_circuit::{Element, ElementKind, FlatCircuit, Waveform};
use serde::{Deserialize, Serialize};

use super::tech::{Subthreshold, Technology};
use crate::error::{Error, Result};

/// Gate voltage step of the bench, V.
pub const VGS_STEP_V: f64 = 0.01;

/// The longer NMOS lengths of the bench, in units of `sizing.l_m`.
pub const LENGTH_MULTIPLES: [f64; 5] = [10.0, 20.0, 35.0, 50.0, 80.0];

/// Version of the bench and fit: a characterisation cached by another is measured again.
pub const FIT_VERSION: u32 = 1;

/// Most gate voltages of the bench per device (a supply of 20 V in 10 mV steps).
pub const MAX_GATE_STEPS: usize = 2000;

/// Boltzmann constant over the elementary charge, V/K.
const K_OVER_Q: f64 = 8.617_333_262e-5;

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
    /// NMOS slope factor (the input pairs' kappa).
    pub kappa_n: f64,
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
    /// No bench length up to `sizing.l_max_m` carries `e^-3` of the
    /// one-square current: the factor is `(L / l_m) / (I(l_m) / I(L))` at
    /// the longest, and an offset pair of the full ratio exceeds `l_max_m`.
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
        [self.kappa_n, self.kappa_p].iter().all(|k| *k > 0.0 && *k < 1.0)
            && [
                self.swing_n_v,
                self.swing_p_v,
                self.specific_current_n_a,
                self.specific_current_p_a,
                self.offset_length_factor,
                self.thermal_voltage_v,
                self.vds_v,
                self.square_m,
            ]
            .into_iter()
            .all(pos)
    }

    /// The parameters the sizing uses.
    pub fn subthreshold(&self) -> Subthreshold {
        Subthreshold {
            kappa: self.kappa_n,
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
    let mut lengths = vec![square];
    lengths.extend(LENGTH_MULTIPLES.iter().map(|m| m * square).filter(|l| *l < 0.99 * tech.sizing.l_max_m));
    // The longest length the technology allows is always one (the offset factor may have to be taken there).
    if tech.sizing.l_max_m > square {
        lengths.push(tech.sizing.l_max_m);
    }
    for polarity in [Polarity::N, Polarity::P] {
        let p = polarity == Polarity::P;
        let tag = if p { "p" } else { "n" };
        for k in 0..=steps {
            let vgs = k as f64 * VGS_STEP_V;
            els.push(dc(&format!("VG{tag}{k}"), &format!("g{tag}{k}"), if p { vdd - vgs } else { vgs }));
        }
        let lengths = if p { &lengths[..1] } else { &lengths[..] };
        for (j, &l) in lengths.iter().enumerate() {
            let last = if j == 0 { steps } else { steps / 2 };
            for k in 0..=last {
                let (d, src) = (format!("d{tag}{j}_{k}"), format!("VD{tag}{j}_{k}"));
                els.push(dc(&src, &d, if p { vdd - vds } else { vds }));
                let (s, model) = if p { ("vdd", &tech.pmos) } else { ("0", &tech.nmos) };
                els.push(Element {
                    name: format!("M{tag}{j}_{k}"),
                    kind: ElementKind::Mosfet {
                        d,
                        g: format!("g{tag}{k}"),
                        s: s.into(),
                        b: s.into(),
                        model: model.clone(),
                        w_m: square,
                        l_m: l,
                        instance: Default::default(),
                    },
                });
                points.push(Point { polarity, l_m: l, vgs_v: k as f64 * VGS_STEP_V, source: src });
            }
        }
    }
    let circuit = FlatCircuit {
        title: format!("subthreshold characterisation of {} (atscale)", tech.name),
        models: match &tech.models {
            super::tech::ModelSource::Cards(c) => c.clone(),
            super::tech::ModelSource::Library { .. } => Vec::new(),
        },
        elements: els,
    };
    Ok(Bench { circuit, points, vds_v: vds, w_m: square })
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

/// Fits the bench's drain currents (`currents[i]` the magnitude of the
/// current of `bench.points[i]`, A) at the technology's temperature.
///
/// # Errors
///
/// [`Error::BadTemplate`] when a polarity shows no weak-inversion region
/// (a slope factor outside 1..5, fewer than five currents above 1 fA) or
/// no moderate-inversion point, naming the technology and the device.
pub fn fit(tech: &Technology, bench: &Bench, currents: &[f64]) -> Result<Characterised> {
    let ut = K_OVER_Q * (tech.temperature_c + 273.15);
    let square = bench.w_m;
    let curve = |pol: Polarity, l: f64| -> (Vec<f64>, Vec<f64>) {
        bench
            .points
            .iter()
            .zip(currents)
            .filter(|(p, _)| p.polarity == pol && p.l_m == l)
            .map(|(p, i)| (p.vgs_v, i.abs()))
            .unzip()
    };
    let bad = |dev: &str, why: String| Error::BadTemplate {
        template: "technology",
        reason: format!("characterising {} ({dev}): {why}", tech.name),
    };
    let (vn, idn) = curve(Polarity::N, square);
    let (vp, idp) = curve(Polarity::P, square);
    let n_n = slope_factor(&vn, &idn, ut).map_err(|e| bad(&tech.nmos, e))?;
    let n_p = slope_factor(&vp, &idp, ut).map_err(|e| bad(&tech.pmos, e))?;
    let ispec_n = specific_current(&vn, &idn, ut, n_n).map_err(|e| bad(&tech.nmos, e))?;
    let ispec_p = specific_current(&vp, &idp, ut, n_p).map_err(|e| bad(&tech.pmos, e))?;
    let mut lengths: Vec<f64> =
        bench.points.iter().filter(|p| p.polarity == Polarity::N && p.l_m > square).map(|p| p.l_m).collect();
    lengths.dedup();
    let longer: Vec<_> = lengths
        .into_iter()
        .map(|l| {
            let (v, id) = curve(Polarity::N, l);
            (l, v, id)
        })
        .collect();
    let (factor, at_longest) =
        length_factor(square, (&vn, &idn), &longer, ispec_n).map_err(|e| bad(&tech.nmos, e))?;
    let decade = ut * std::f64::consts::LN_10;
    Ok(Characterised {
        kappa_n: 1.0 / n_n,
        kappa_p: 1.0 / n_p,
        swing_n_v: n_n * decade,
        swing_p_v: n_p * decade,
        specific_current_n_a: ispec_n,
        specific_current_p_a: ispec_p,
        offset_length_factor: factor,
        offset_length_at_longest: at_longest,
        thermal_voltage_v: ut,
        vds_v: bench.vds_v,
        square_m: square,
    })
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

/// The offset length factor from the one-square curve and the longer ones.
fn length_factor(
    square: f64,
    (v, id): (&[f64], &[f64]),
    longer: &[(f64, Vec<f64>, Vec<f64>)],
    ispec: f64,
) -> std::result::Result<(f64, bool), String> {
    // The one-square device's inversion coefficient is I_D / I_spec.
    let weak: Vec<usize> =
        (0..v.len()).filter(|&i| id[i] >= FLOOR_A && (0.003..=0.03).contains(&(id[i] / ispec))).collect();
    let mut ratios = vec![(square.ln(), 0.0)];
    for (l, lv, lid) in longer {
        let mut r: Vec<f64> = weak
            .iter()
            .filter_map(|&i| lv.iter().position(|x| (x - v[i]).abs() < 1e-9).map(|j| id[i] / lid[j]))
            .filter(|r| r.is_finite() && *r > 0.0)
            .collect();
        if let Some(m) = median(&mut r) {
            ratios.push((l.ln(), m.ln()));
        }
    }
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
            _ => Err("no longer device conducts in weak inversion: no offset length factor".to_string()),
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

    /// Currents of the bench from the EKV model: NMOS n 1.25, I_spec 400 nA,
    /// PMOS n 1.4, I_spec 90 nA, and current scaling as `L^-p` with length.
    fn synthetic(t: &Technology, b: &Bench, p: f64) -> Vec<f64> {
        let ut = K_OVER_Q * (t.temperature_c + 273.15);
        b.points
            .iter()
            .map(|pt| {
                let (n, is, vt) = match pt.polarity {
                    Polarity::N => (1.25, 4e-7, 0.45),
                    Polarity::P => (1.4, 9e-8, 0.5),
                };
                let wl = b.w_m / pt.l_m;
                ekv(pt.vgs_v, vt, n, ut, is * wl.powf(p))
            })
            .collect()
    }

    #[test]
    fn the_fit_recovers_an_ekv_transistor() {
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        let c = fit(&t, &b, &synthetic(&t, &b, 1.0)).unwrap_or_else(|e| panic!("{e}"));
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
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        let c = fit(&t, &b, &synthetic(&t, &b, 0.9)).unwrap_or_else(|e| panic!("{e}"));
        let want = (3.0 / 0.9 - 3.0f64).exp();
        // Exact for a power law up to rounding: measured 1e-15; 1e-9 tolerance.
        assert!((c.offset_length_factor - want).abs() < 1e-9, "{} vs {want}", c.offset_length_factor);
    }

    #[test]
    fn a_length_factor_beyond_the_longest_length_is_the_longest_lengths() {
        // I ∝ L^-0.5: the longest bench length, l_max = 100 µm = 50 l_m (l_m 2 µm),
        // carries 50^-0.5 = 1/7.07 < e^-3 of the current; factor 50 / 7.07 = 7.07.
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        let c = fit(&t, &b, &synthetic(&t, &b, 0.5)).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.offset_length_at_longest);
        // Exact for a power law up to rounding: measured 2e-15.
        assert!((c.offset_length_factor - 50f64.sqrt()).abs() < 1e-9, "{}", c.offset_length_factor);
    }

    #[test]
    fn a_bench_without_weak_inversion_is_refused_by_name() {
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        // A resistor-like device: I proportional to V_G, no exponential region.
        let linear: Vec<f64> = b.points.iter().map(|p| 1e-6 * p.vgs_v * b.w_m / p.l_m).collect();
        let e = fit(&t, &b, &linear).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("characterising generic-bsim4 (nch): no weak-inversion region"), "{e}");
    }

    #[test]
    fn the_bench_has_one_source_per_transistor() {
        let t = tech();
        let b = bench(&t).unwrap_or_else(|e| panic!("{e}"));
        // 181 NMOS and 181 PMOS one-square devices, 91 per longer NMOS length
        // (10, 20, 35 l_m below l_max 100 µm at l_m 2 µm, and l_max itself).
        assert_eq!(b.points.len(), 181 * 2 + 91 * 4);
        let mosfets =
            b.circuit.elements.iter().filter(|e| matches!(e.kind, ElementKind::Mosfet { .. })).count();
        assert_eq!(mosfets, b.points.len());
        assert!(b.points.iter().all(|p| b.circuit.elements.iter().any(|e| e.name == p.source)));
    }
}
