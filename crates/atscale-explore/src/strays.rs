//! The membrane's stray capacitance: what the transistors' own
//! capacitances (gates of the input pairs, drain junctions and overlaps of
//! the output devices, from the models' parameters) add to the membrane
//! capacitor, measured in the technology's simulator at the membrane's
//! resting point.
//!
//! The membrane capacitor is taken out and a voltage source holds the
//! membrane at model 0 V with a small sine on top ([`AMPLITUDE_V`], far
//! below the thermal voltage, so the circuit stays linear) at
//! [`CYCLES_PER_MODEL_UNIT`] cycles per model time unit: faster than the
//! neuron's dynamics, so its state variables do not follow, and slow
//! enough that the amplifiers' internal nodes do. The source's current is
//! fitted (least squares, over the last two of three cycles) to `a
//! sin + b cos + c`: the quadrature part `b` is `C ω A`, the in-phase part
//! `a` the small-signal conductance times `A`.

use std::path::Path;
use std::time::Duration;

use atscale_circuit::{Element, ElementKind, FlatCircuit, Waveform};
use atscale_design::realise::Realisation;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::realise::{probe_analysis, run_probe};
use crate::simulator::Simulator;

/// Amplitude of the probing sine, V.
pub const AMPLITUDE_V: f64 = 1e-3;
/// Probing frequency, cycles per model time unit.
pub const CYCLES_PER_MODEL_UNIT: f64 = 10.0;
/// Cycles simulated (the first settles the start).
const CYCLES: f64 = 3.0;
/// Cycles fitted.
const FITTED_CYCLES: f64 = 2.0;

/// The membrane's measured stray capacitance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stray {
    /// Capacitance the circuit adds to the membrane at rest, F.
    pub capacitance_f: f64,
    /// Small-signal conductance at rest, S.
    pub conductance_s: f64,
    /// The membrane capacitor of the realisation, F.
    pub membrane_f: f64,
    /// Probing frequency, Hz.
    pub frequency_hz: f64,
    /// The simulator's wall time of the measurement, s.
    pub wall_s: f64,
}

/// Measures the stray capacitance on `r`'s membrane (see the module documentation).
///
/// # Errors
///
/// A failed run, a missing current, or a realisation without a membrane
/// capacitor to ground.
pub fn measure_membrane_stray(
    runner: &Simulator,
    r: &Realisation,
    tech_dir: Option<&Path>,
    design_path: &Path,
    timeout: Duration,
) -> Result<Stray> {
    let what = "the stray-capacitance measurement";
    let (probe, membrane_f) = probe(r);
    if membrane_f == 0.0 {
        return Err(Error::Measurement { what, missing: "membrane capacitor to ground" });
    }
    let frequency_hz = CYCLES_PER_MODEL_UNIT / r.scales.omega_s;
    let tstop_s = CYCLES / frequency_hz;
    let mut an = probe_analysis(r, tstop_s);
    // 100 points a cycle.
    if let Some(t) = an.tran.as_mut() {
        t.tmax_s = Some(0.01 / frequency_hz);
        t.tstep_s = 0.01 / frequency_hz;
    }
    let run = run_probe(runner, r, (&probe, &an), "stray", (tech_dir, design_path, timeout))?;
    let plot = run.plot().ok_or(Error::Measurement { what, missing: "a transient plot" })?;
    let (t, i) = (plot.time()?, plot.real("i(vstray)")?);
    let (a, b) = quadrature(t, i, frequency_hz, tstop_s - FITTED_CYCLES / frequency_hz)
        .ok_or(Error::Measurement { what, missing: "enough time points over the fitted cycles" })?;
    let w = 2.0 * std::f64::consts::PI * frequency_hz;
    // i(vstray) flows into the source's + terminal: minus the current into the circuit.
    Ok(Stray {
        capacitance_f: -b / (w * AMPLITUDE_V),
        conductance_s: -a / AMPLITUDE_V,
        membrane_f,
        frequency_hz,
        wall_s: run.wall_s,
    })
}

/// `r`'s circuit with its membrane capacitors to ground replaced by the
/// probing source `Vstray`, and their total capacitance, F.
fn probe(r: &Realisation) -> (FlatCircuit, f64) {
    let m = r.membrane.as_str();
    let mut membrane_f = 0.0;
    let mut elements: Vec<Element<f64>> = Vec::new();
    for e in &r.circuit.elements {
        match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, .. } if (p == m && n == "0") || (n == m && p == "0") => {
                membrane_f += c_farad;
            }
            _ => elements.push(e.clone()),
        }
    }
    elements.push(Element {
        name: "Vstray".into(),
        kind: ElementKind::VoltageSource {
            p: m.into(),
            n: "0".into(),
            waveform: Waveform::Sin {
                vo: r.scales.v_ref_v,
                va: AMPLITUDE_V,
                freq: Some(CYCLES_PER_MODEL_UNIT / r.scales.omega_s),
                td: None,
                theta: None,
                phase: None,
            },
            dc: None,
        },
    });
    let title = format!("{} (membrane probed for its stray capacitance)", r.circuit.title);
    (FlatCircuit { title, models: r.circuit.models.clone(), elements }, membrane_f)
}

/// Least-squares fit of `i(t) = a sin(ωt) + b cos(ωt) + c` over `t >= from`:
/// `(a, b)`, `None` with fewer than 8 points or a singular system.
fn quadrature(t: &[f64], i: &[f64], frequency_hz: f64, from: f64) -> Option<(f64, f64)> {
    let w = 2.0 * std::f64::consts::PI * frequency_hz;
    let (mut m, mut r) = ([[0.0f64; 3]; 3], [0.0f64; 3]);
    let mut n = 0;
    for (&tk, &ik) in t.iter().zip(i).filter(|(tk, _)| **tk >= from) {
        let row = [(w * tk).sin(), (w * tk).cos(), 1.0];
        for j in 0..3 {
            for k in 0..3 {
                m[j][k] += row[j] * row[k];
            }
            r[j] += row[j] * ik;
        }
        n += 1;
    }
    if n < 8 {
        return None;
    }
    // Cramer's rule on the 3x3 normal equations.
    let det = |a: &[[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(&m);
    if d == 0.0 || d.is_nan() {
        return None;
    }
    let with = |col: usize| {
        let mut a = m;
        for j in 0..3 {
            a[j][col] = r[j];
        }
        det(&a) / d
    };
    Some((with(0), with(1)))
}

#[cfg(test)]
mod tests {
    use super::quadrature;

    #[test]
    fn the_fit_separates_the_quadrature_and_in_phase_parts() {
        // i = 3 sin + 2 cos + 0.5 on a non-uniform grid over two cycles of 1 kHz.
        let w = 2.0 * std::f64::consts::PI * 1e3;
        let t: Vec<f64> = (0..300).map(|k| 2e-3 * (f64::from(k) / 299.0).powf(1.3)).collect();
        let i: Vec<f64> = t.iter().map(|x| 3.0 * (w * x).sin() + 2.0 * (w * x).cos() + 0.5).collect();
        let (a, b) = quadrature(&t, &i, 1e3, 0.0).unwrap_or((f64::NAN, f64::NAN));
        // Exact data: measured within 4e-15; 1e-12 allows another libm.
        assert!((a - 3.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12, "{a} {b}");
        assert_eq!(quadrature(&t[..5], &i[..5], 1e3, 0.0), None);
    }
}
