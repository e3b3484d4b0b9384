//! The mapping of a design's elements to transistor circuits, the sizing of
//! every device and its check against the technology's limits.

use atscale_circuit::expr::{Expr, Func};
use atscale_circuit::units::si;
use atscale_circuit::{
    Circuit, Element, ElementKind, FlatCircuit, Instance, MemristiveLaw, Param, Relaxation, ResistiveLaw,
    Value, Waveform,
};
use serde::{Deserialize, Serialize};

use super::tech::{ModelSource, Region, SubcktDevice, Technology};
use crate::error::{Error, Result};
use crate::spec::Design;

/// Offsets (model volts) of the transconductors whose sum realises a linear
/// leak over the membrane's swing (multi-tanh linearisation). Nine pairs one
/// model volt apart: the sum is linear within 6e-4 model units of current
/// over `|v| <= 3` (five pairs 1.2 apart were off by 0.077, i.e. 38 pA at the
/// burster's unit current, enough to add four spikes to its bursts).
pub const LEAK_OFFSETS: [f64; 9] = [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0];

/// Offsets (model volts) of the three amplifiers of a wide-linear-range
/// follower-integrator below threshold: each offset is built into its input
/// pair as a length ratio `exp(2 |offset|)` (20.1), so the pair's
/// characteristic is `tanh(v - x - offset)` and the weighted sum is linear
/// in `v - x` over about ±3 model volts instead of ±1.
pub const FOLLOWER_OFFSETS: [f64; 3] = [-1.5, 0.0, 1.5];

/// Offsets (model volts) of the transconductors whose signed sum realises
/// the FitzHugh-Nagumo cubic `a v^3 - b v` over `|v| <= 2.5`.
pub const CUBIC_OFFSETS: [f64; 9] = [-3.0, -2.25, -1.5, -0.75, 0.0, 0.75, 1.5, 2.25, 3.0];

/// Weights `w` (signed) with `sum_j w_j tanh(v - CUBIC_OFFSETS[j]) ≈ a v^3 - b v`
/// on `|v| <= 2.5` (least squares; within 1e-3 for `a = 1/3, b = 1`).
///
/// # Errors
///
/// [`Error::FitFailed`] if the normal equations are singular.
pub fn cubic_weights(a: f64, b: f64) -> Result<Vec<f64>> {
    let n = CUBIC_OFFSETS.len();
    let grid: Vec<f64> = (-50..=50).map(|k| 0.05 * f64::from(k)).collect();
    let m = nalgebra::DMatrix::from_fn(grid.len(), n, |i, j| (grid[i] - CUBIC_OFFSETS[j]).tanh());
    let y = nalgebra::DVector::from_iterator(grid.len(), grid.iter().map(|v| a * v * v * v - b * v));
    let x = (m.transpose() * &m).lu().solve(&(m.transpose() * y)).ok_or(Error::FitFailed {
        samples: grid.len(),
        basis: n,
        reason: "the normal equations of the cubic's multi-tanh fit are singular",
    })?;
    Ok(x.iter().copied().collect())
}

/// Options of a realisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Multiplies every bias current (default 1): the circuit then runs
    /// `bias_scale` times faster (every time constant is `C s / I`).
    pub bias_scale: f64,
    /// Membrane trim, A: a DC current source of this value into the membrane
    /// (default 0, no source). `atscale realise` sets it to the transistor
    /// circuit's static current error at the design's knee (see
    /// [`design_knee`] and [`trim_probe`]), as a chip's bias is trimmed.
    pub membrane_trim_a: f64,
    /// Where the bias currents come from (default: ideal sources).
    #[serde(default)]
    pub bias: BiasSource,
}

impl Default for Options {
    fn default() -> Self {
        Options { bias_scale: 1.0, membrane_trim_a: 0.0, bias: BiasSource::Ideal }
    }
}

/// Where the bias currents of a realisation come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BiasSource {
    /// One ideal current source per bias.
    #[default]
    Ideal,
    /// Current mirrors: one reference current source [`REF_SOURCE`] into a
    /// diode-connected NMOS [`REF_DIODE_N`]; every bias is a mirror
    /// transistor (an NMOS sink for the amplifiers' tails and for currents
    /// drawn from the membrane; a PMOS source, mirrored once more through the
    /// diode-connected PMOS [`REF_DIODE_P`], for currents into it) whose
    /// width over the reference device's, at the same length, sets its
    /// current (`W/L` first, then, with ngspice, corrected on the mirror bank,
    /// [`mirror_probe`]); the bias scale scales the reference alone.
    /// The membrane trim stays an ideal source.
    Mirrors,
}

/// Name of the reference current source of a mirror-biased realisation.
pub const REF_SOURCE: &str = "Iref";
/// Name of the diode-connected NMOS reference device (node [`REF_NODE_N`]).
pub const REF_DIODE_N: &str = "Mref_n";
/// Name of the diode-connected PMOS reference device (node [`REF_NODE_P`]).
pub const REF_DIODE_P: &str = "Mref_p";
/// Gate node of the NMOS mirrors.
pub const REF_NODE_N: &str = "nbias";
/// Gate node of the PMOS mirrors.
pub const REF_NODE_P: &str = "pbias";

/// A bias current waiting for its mirror: `(device, element, role, drain, pmos, current)`.
type PendingMirror = (String, String, String, String, bool, f64);

/// The scales a realisation realises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RealisedScales {
    /// One model volt, V: `2 U_T / kappa` (subthreshold) or the overdrive (above threshold).
    pub s_volt: f64,
    /// The design's amplitude scale, V (replaced by `s_volt`: a transistor pair fixes it).
    pub design_s_volt: f64,
    /// Time scale realised, s per model unit (the design's divided by the bias scale).
    pub omega_s: f64,
    /// Membrane capacitance, F (the design's).
    pub c0_farad: f64,
    /// Unit current `s C0 / omega`, A.
    pub current_a: f64,
    /// The voltage that stands for model 0, V (half the supply).
    pub v_ref_v: f64,
}

/// One device of a realisation, as the sizing report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// Device name in the netlist.
    pub name: String,
    /// `nmos`, `pmos`, `capacitor`, `current source`, `voltage source`.
    pub kind: String,
    /// The design element it realises (`Rf`, `Msp`, ...; `bias` for shared sources).
    pub element: String,
    /// Its role (`input pair +`, `mirror load`, `tail bias`, `state capacitor`, ...).
    pub role: String,
    /// Width, m (transistors).
    pub w_m: Option<f64>,
    /// Length, m (transistors).
    pub l_m: Option<f64>,
    /// Drain current at balance (transistors) or source current, A.
    pub current_a: Option<f64>,
    /// Capacitance, F (capacitors), or voltage, V (voltage sources).
    pub value: Option<f64>,
    /// Inversion coefficient `I_D / (I_spec W/L)` (subthreshold transistors).
    pub inversion: Option<f64>,
    /// Operating region (`weak inversion`, `moderate inversion`, `saturation (square law)`).
    pub region: Option<String>,
}

/// One design element and the block that realises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockReport {
    /// The design element.
    pub element: String,
    /// The block (`transconductance amplifier`, `follower-integrator + amplifier`, ...).
    pub block: String,
    /// What it realises, with the numbers and units (gain, offset, time constant).
    pub realises: String,
}

/// The transient run a realisation asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Stop time, s.
    pub tstop_s: f64,
    /// Maximum step, s.
    pub tmax_s: f64,
    /// Minimum conductance, S (below the picoampere currents).
    pub gmin_s: f64,
    /// Absolute current tolerance, A.
    pub abstol_a: f64,
    /// Charge tolerance, C.
    pub chgtol_c: f64,
    /// Relative tolerance.
    pub reltol: f64,
    /// Initial node voltages (held during the operating point), V.
    pub ic: Vec<(String, f64)>,
}

/// A design realised in transistors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Realisation {
    /// The technology's name.
    pub technology: String,
    /// The technology's temperature, °C.
    pub temperature_c: f64,
    /// The model library the netlist reads, if the technology gives one.
    pub library: Option<(String, Option<String>)>,
    /// The technology's NMOS and PMOS devices when they are subcircuits
    /// (see [`Realisation::netlist_circuit`]).
    #[serde(default)]
    pub device_subckts: Vec<SubcktDevice>,
    /// The design's template.
    pub template: String,
    /// The transistor circuit (model cards included when the technology gives cards).
    pub circuit: FlatCircuit,
    /// The membrane node.
    pub membrane: String,
    /// Scales realised.
    pub scales: RealisedScales,
    /// The options used.
    pub options: Options,
    /// Spike threshold on the membrane, V (absolute).
    pub threshold_v: f64,
    /// Spike hysteresis, V.
    pub hysteresis_v: f64,
    /// Every element and its block.
    pub blocks: Vec<BlockReport>,
    /// Every device, sized and checked.
    pub devices: Vec<DeviceReport>,
    /// The transient run.
    pub run: RunSettings,
    /// The behavioural model of the realisation in model units: the design's
    /// mother with every element replaced by the ideal characteristic of
    /// its block (tanh, or the square-law pair above threshold; followers
    /// that slew as `tanh(v - x)`), simulated to predict the transistor
    /// circuit's rate.
    pub ideal_model: FlatCircuit,
}

fn el(name: String, kind: ElementKind<f64>) -> Element<f64> {
    Element { name, kind }
}

/// The pair characteristic `I_out / I_b` of a realisation at input `x` model volts.
pub fn pair_characteristic(region: Region, x: f64) -> f64 {
    match region {
        Region::Subthreshold => x.tanh(),
        Region::AboveThreshold => {
            let y = x.clamp(-std::f64::consts::SQRT_2, std::f64::consts::SQRT_2);
            y * (1.0 - y * y / 4.0).sqrt()
        }
    }
}

fn pair_expr(region: Region, x: Expr) -> Expr {
    match region {
        Region::Subthreshold => Expr::call(Func::Tanh, vec![x]),
        Region::AboveThreshold => {
            let r2 = std::f64::consts::SQRT_2;
            let y =
                Expr::call(Func::Max, vec![Expr::Num(-r2), Expr::call(Func::Min, vec![Expr::Num(r2), x])]);
            y.clone() * Expr::call(Func::Sqrt, vec![Expr::Num(1.0) - y.clone() * y * Expr::Num(0.25)])
        }
    }
}

/// Weights `w` with `sum_j w_j f(v - LEAK_OFFSETS[j]) ≈ v` on `|v| <= 3.5`
/// (least squares), `f` the pair characteristic of the region.
pub fn leak_weights(region: Region) -> Result<Vec<f64>> {
    linear_weights(region, &LEAK_OFFSETS, 70)
}

/// Weights `w` with `sum_j w_j tanh(u - FOLLOWER_OFFSETS[j]) ≈ u` on
/// `|u| <= 3`: the wide-linear-range follower. The least-squares fit has a
/// slope of 0.842 at `u = 0`; the weights are divided by it, so the
/// follower's small-signal time constant is the design's `tau` (the
/// large-signal characteristic then bends away from `u`, within 0.56 over
/// `|u| <= 3`).
pub fn follower_weights() -> Result<Vec<f64>> {
    let w = linear_weights(Region::Subthreshold, &FOLLOWER_OFFSETS, 60)?;
    let slope: f64 = FOLLOWER_OFFSETS.iter().zip(&w).map(|(d, wj)| wj / d.cosh().powi(2)).sum();
    if slope.is_nan() || slope <= 0.0 {
        return Err(Error::FitFailed {
            samples: 121,
            basis: FOLLOWER_OFFSETS.len(),
            reason: "the wide-linear-range follower has no positive slope at the origin",
        });
    }
    Ok(w.iter().map(|wj| wj / slope).collect())
}

/// Least-squares weights of `sum_j w_j f(u - offsets[j]) ≈ u` on `|u| <= half / 20`.
fn linear_weights(region: Region, offsets: &[f64], half: i32) -> Result<Vec<f64>> {
    let n = offsets.len();
    let grid: Vec<f64> = (-half..=half).map(|k| 0.05 * f64::from(k)).collect();
    let a =
        nalgebra::DMatrix::from_fn(grid.len(), n, |i, j| pair_characteristic(region, grid[i] - offsets[j]));
    let b = nalgebra::DVector::from_column_slice(&grid);
    let ata = a.transpose() * &a;
    let atb = a.transpose() * b;
    let x = ata.lu().solve(&atb).ok_or(Error::FitFailed {
        samples: grid.len(),
        basis: n,
        reason: "the normal equations of the leak linearisation are singular",
    })?;
    Ok(x.iter().copied().collect())
}

struct Builder<'a> {
    tech: &'a Technology,
    scales: RealisedScales,
    els: Vec<Element<f64>>,
    devices: Vec<DeviceReport>,
    blocks: Vec<BlockReport>,
    refs: Vec<(i64, String)>,
    bias: BiasSource,
    mirrors: Vec<PendingMirror>,
}

impl Builder<'_> {
    fn check_bias(&self, device: &str, i: f64) -> Result<()> {
        let l = &self.tech.limits;
        if i < l.bias_min_a {
            return Err(Error::Limit {
                device: device.into(),
                limit: "limits.bias_min_a",
                message: format!(
                    "bias current {} is below the technology's limits.bias_min_a = {}; raise the design's \
                     capacitance or rate (currents scale as C0 / omega)",
                    si(i, "A"),
                    si(l.bias_min_a, "A")
                ),
            });
        }
        if i > l.bias_max_a {
            return Err(Error::Limit {
                device: device.into(),
                limit: "limits.bias_max_a",
                message: format!(
                    "bias current {} is above the technology's limits.bias_max_a = {}; lower the design's \
                     capacitance or rate",
                    si(i, "A"),
                    si(l.bias_max_a, "A")
                ),
            });
        }
        Ok(())
    }

    fn snap(&self, x: f64) -> f64 {
        let g = self.tech.sizing.grid_m;
        (x / g).ceil() * g
    }

    /// Sizes a transistor carrying `id` at balance; returns `(w, l, inversion, region)`.
    fn size(&self, name: &str, pmos: bool, id: f64) -> Result<(f64, f64, Option<f64>, String)> {
        let sz = &self.tech.sizing;
        let (ratio, exact) = match (self.tech.region, self.tech.subthreshold, self.tech.above_threshold) {
            (Region::Subthreshold, Some(s), _) => {
                let ispec = if pmos { s.specific_current_p_a } else { s.specific_current_n_a };
                // Weak inversion: W/L at least I_D / (IC_max I_spec); prefer square devices or longer.
                ((id / (self.tech.limits.inversion_max * ispec)).max(1.0), false)
            }
            (_, _, Some(a)) => {
                let kp = if pmos { a.kp_p_a_per_v2 } else { a.kp_n_a_per_v2 };
                (2.0 * id / (kp * a.overdrive_v * a.overdrive_v), true)
            }
            _ => {
                return Err(Error::Unrealisable {
                    element: name.into(),
                    reason: "the technology gives no parameters for its region".into(),
                })
            }
        };
        let mut l = sz.l_m;
        let mut w = self.snap(ratio * l);
        if w < sz.w_min_m {
            if exact {
                // Lengthen the device to keep W/L.
                l = self.snap(sz.w_min_m / ratio);
                w = self.snap(ratio * l);
            } else {
                w = self.snap(sz.w_min_m);
            }
        }
        if l > sz.l_max_m {
            return Err(Error::Limit {
                device: name.into(),
                limit: "sizing.l_max_m",
                message: format!(
                    "length {} (W/L = {ratio:.3e} at {}) exceeds the technology's sizing.l_max_m = {}",
                    si(l, "m"),
                    si(id, "A"),
                    si(sz.l_max_m, "m")
                ),
            });
        }
        if w > sz.w_max_m {
            return Err(Error::Limit {
                device: name.into(),
                limit: "sizing.w_max_m",
                message: format!(
                    "width {} (W/L = {ratio:.3e} at {}) exceeds the technology's sizing.w_max_m = {}; lower \
                     the bias currents (the design's capacitance or rate)",
                    si(w, "m"),
                    si(id, "A"),
                    si(sz.w_max_m, "m")
                ),
            });
        }
        let (inv, region) = match (self.tech.region, self.tech.subthreshold) {
            (Region::Subthreshold, Some(s)) => {
                let ispec = if pmos { s.specific_current_p_a } else { s.specific_current_n_a };
                let ic = id / (ispec * w / l);
                if ic > self.tech.limits.inversion_max {
                    return Err(Error::Limit {
                        device: name.into(),
                        limit: "limits.inversion_max",
                        message: format!(
                            "inversion coefficient {ic:.3} at {} exceeds limits.inversion_max = {}",
                            si(id, "A"),
                            self.tech.limits.inversion_max
                        ),
                    });
                }
                let r = if ic < 0.1 { "weak inversion" } else { "moderate inversion" };
                (Some(ic), r.to_string())
            }
            _ => (None, "saturation (square law)".to_string()),
        };
        Ok((w, l, inv, region))
    }

    fn mos(
        &mut self,
        name: String,
        nodes: [&str; 4],
        pmos: bool,
        id: f64,
        element: &str,
        role: &str,
    ) -> Result<()> {
        let (w, l, inversion, region) = self.size(&name, pmos, id)?;
        self.push_mos(name, nodes, pmos, id, (w, l, inversion, region), element, role);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn push_mos(
        &mut self,
        name: String,
        nodes: [&str; 4],
        pmos: bool,
        id: f64,
        sized: (f64, f64, Option<f64>, String),
        element: &str,
        role: &str,
    ) {
        let (w, l, inversion, region) = sized;
        let model = if pmos { self.tech.pmos.clone() } else { self.tech.nmos.clone() };
        self.els.push(el(
            name.clone(),
            ElementKind::Mosfet {
                d: nodes[0].into(),
                g: nodes[1].into(),
                s: nodes[2].into(),
                b: nodes[3].into(),
                model,
                w_m: w,
                l_m: l,
            },
        ));
        self.devices.push(DeviceReport {
            name,
            kind: if pmos { "pmos" } else { "nmos" }.into(),
            element: element.into(),
            role: role.into(),
            w_m: Some(w),
            l_m: Some(l),
            current_a: Some(id),
            value: None,
            inversion,
            region: Some(region),
        });
    }

    /// The node at `V_ref + s delta` (a reference voltage source), created once per offset.
    fn reference(&mut self, delta: f64) -> String {
        if delta == 0.0 {
            return "vref".into();
        }
        let key = (delta * 1e6).round() as i64;
        if let Some((_, n)) = self.refs.iter().find(|(k, _)| *k == key) {
            return n.clone();
        }
        let node = format!("ref{}", self.refs.len() + 1);
        let v = self.scales.v_ref_v + self.scales.s_volt * delta;
        self.els.push(el(
            format!("V{node}"),
            ElementKind::VoltageSource {
                p: node.clone(),
                n: "0".into(),
                waveform: Waveform::Dc { value: v },
                dc: None,
            },
        ));
        self.devices.push(DeviceReport {
            name: format!("V{node}"),
            kind: "voltage source".into(),
            element: "bias".into(),
            role: format!("reference for offset {delta} model V"),
            w_m: None,
            l_m: None,
            current_a: None,
            value: Some(v),
            inversion: None,
            region: None,
        });
        self.refs.push((key, node.clone()));
        node
    }

    /// A five-transistor transconductance amplifier: NMOS pair, PMOS mirror,
    /// tail bias `ib`; the output sources `ib f((V+ - V-)/s)` into `out`.
    fn ta(&mut self, tag: &str, element: &str, plus: &str, minus: &str, out: &str, ib: f64) -> Result<()> {
        let tail = format!("{tag}_t");
        let mirror = format!("{tag}_m");
        let half = ib / 2.0;
        self.mos(format!("M{tag}_p"), [&mirror, plus, &tail, "0"], false, half, element, "input pair +")?;
        self.mos(format!("M{tag}_n"), [out, minus, &tail, "0"], false, half, element, "input pair -")?;
        self.mos(
            format!("M{tag}_d"),
            [&mirror, &mirror, "vdd", "vdd"],
            true,
            half,
            element,
            "mirror (diode)",
        )?;
        self.mos(format!("M{tag}_o"), [out, &mirror, "vdd", "vdd"], true, half, element, "mirror (output)")?;
        self.bias(tag, element, ib)
    }

    /// The tail bias of amplifier `tag` (an ideal current source from its
    /// tail node, or an NMOS mirror device sized in [`Builder::finish_mirrors`]).
    fn bias(&mut self, tag: &str, element: &str, ib: f64) -> Result<()> {
        let tail = format!("{tag}_t");
        let iname = format!("I{tag}_b");
        self.check_bias(&iname, ib)?;
        if self.bias == BiasSource::Mirrors {
            self.mirrors.push((
                format!("M{tag}_b"),
                element.into(),
                "tail bias (mirror)".into(),
                tail,
                false,
                ib,
            ));
            return Ok(());
        }
        self.els.push(el(
            iname.clone(),
            ElementKind::CurrentSource {
                p: tail,
                n: "0".into(),
                waveform: Waveform::Dc { value: ib },
                dc: None,
            },
        ));
        self.devices.push(DeviceReport {
            name: iname,
            kind: "current source".into(),
            element: element.into(),
            role: "tail bias (ideal source)".into(),
            w_m: None,
            l_m: None,
            current_a: Some(ib),
            value: None,
            inversion: None,
            region: None,
        });
        Ok(())
    }

    /// A transconductance amplifier (below threshold) whose input pair has
    /// a built-in offset `delta` model volts: the weaker input device is
    /// `exp(2 |delta|)` times longer, times the technology's
    /// `offset_length_factor` (the short device's reverse short-channel
    /// deficit; same width, so narrow-width effects cancel), and
    /// the output sources `ib tanh((V+ - V-)/s - delta)` into `out`.
    /// Returns the offset realised after the lengths are snapped to the grid.
    #[allow(clippy::too_many_arguments)]
    fn ta_offset(
        &mut self,
        tag: &str,
        element: &str,
        plus: &str,
        minus: &str,
        out: &str,
        ib: f64,
        delta: f64,
    ) -> Result<f64> {
        if delta == 0.0 {
            self.ta(tag, element, plus, minus, out, ib)?;
            return Ok(0.0);
        }
        let tail = format!("{tag}_t");
        let mirror = format!("{tag}_m");
        let r = (2.0 * delta.abs()).exp();
        // At balance the short device carries ib r / (1 + r), the long one
        // ib / (1 + r): both at the same inversion coefficient.
        let i_short = ib * r / (1.0 + r);
        let i_long = ib / (1.0 + r);
        // delta > 0: the + device is the weaker (longer) one.
        let (name_p, name_n) = (format!("M{tag}_p"), format!("M{tag}_n"));
        let (short_name, long_name) = if delta > 0.0 { (&name_n, &name_p) } else { (&name_p, &name_n) };
        let (w, l, inv_s, reg_s) = self.size(short_name, false, i_short)?;
        // The technology's correction for the short device's deficit (reverse
        // short-channel effect): the current ratio is `r`, not the length ratio.
        let factor = self.tech.subthreshold.map_or(1.0, |s| s.offset_length_factor);
        let l_long = self.snap(r * factor * l);
        if l_long > self.tech.sizing.l_max_m {
            return Err(Error::Limit {
                device: long_name.clone(),
                limit: "sizing.l_max_m",
                message: format!(
                    "length {} (offset {delta} model V needs a length ratio {r:.2}) exceeds the technology's \
                     sizing.l_max_m = {}",
                    si(l_long, "m"),
                    si(self.tech.sizing.l_max_m, "m")
                ),
            });
        }
        let realised = (l_long / (factor * l)).ln() / 2.0 * delta.signum();
        let inv_l = inv_s.map(|ic| ic * (i_long / i_short) * (l_long / l));
        let role_s =
            format!("input pair {} (offset {realised:.4} model V)", if delta > 0.0 { "-" } else { "+" });
        let role_l = format!(
            "input pair {} (long: length ratio {:.3})",
            if delta > 0.0 { "+" } else { "-" },
            l_long / l
        );
        let (i_p, i_n) = if delta > 0.0 { (i_long, i_short) } else { (i_short, i_long) };
        let sized_p =
            if delta > 0.0 { (w, l_long, inv_l, reg_s.clone()) } else { (w, l, inv_s, reg_s.clone()) };
        let sized_n = if delta > 0.0 { (w, l, inv_s, reg_s) } else { (w, l_long, inv_l, reg_s) };
        let (role_p, role_n) = if delta > 0.0 { (&role_l, &role_s) } else { (&role_s, &role_l) };
        self.push_mos(name_p, [&mirror, plus, &tail, "0"], false, i_p, sized_p, element, role_p);
        self.push_mos(name_n, [out, minus, &tail, "0"], false, i_n, sized_n, element, role_n);
        self.mos(
            format!("M{tag}_d"),
            [&mirror, &mirror, "vdd", "vdd"],
            true,
            i_p,
            element,
            "mirror (diode)",
        )?;
        self.mos(format!("M{tag}_o"), [out, &mirror, "vdd", "vdd"], true, i_p, element, "mirror (output)")?;
        self.bias(tag, element, ib)?;
        Ok(realised)
    }

    /// A signed multi-tanh sum: current `sum_j c_j tanh(x - shift - d_j)`
    /// into `out`, `x` the model voltage of `node`, one amplifier per term
    /// (a positive `c_j` drives the `+` input with `node`, a negative one the
    /// `-` input). Terms below the technology's smallest bias are left out;
    /// returns the `(c_j, shift + d_j)` realised.
    #[allow(clippy::too_many_arguments)]
    fn multi_tanh(
        &mut self,
        tag: &str,
        element: &str,
        node: &str,
        shift: f64,
        out: &str,
        coefs: &[f64],
        offsets: &[f64],
    ) -> Result<Vec<(f64, f64)>> {
        let mut done = Vec::new();
        for (j, (&c, &d)) in coefs.iter().zip(offsets).enumerate() {
            if c.abs() < self.tech.limits.bias_min_a {
                continue;
            }
            let r = self.reference(shift + d);
            let t = format!("{tag}{j}");
            if c > 0.0 {
                self.ta(&t, element, node, &r, out, c)?;
            } else {
                self.ta(&t, element, &r, node, out, -c)?;
            }
            done.push((c, shift + d));
        }
        Ok(done)
    }

    /// Sizes the pending mirrors: the reference devices are square (`L =
    /// sizing.l_m`), the reference current puts the largest mirror at half
    /// `sizing.w_max_m`, and every mirror has
    /// the reference's length and `I_b / I_ref` times its width, snapped to
    /// the grid (its reported current is the one the snapped width gives).
    fn finish_mirrors(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.mirrors);
        let Some(i_min) = pending.iter().map(|m| m.5).reduce(f64::min) else { return Ok(()) };
        let i_max = pending.iter().map(|m| m.5).fold(0.0, f64::max);
        let sz = self.tech.sizing;
        let l = sz.l_m;
        let g = sz.grid_m;
        // A square reference device (narrow devices have a threshold shift
        // the W/L rule does not know), its current such that the largest
        // mirror is half the widest device, at most the largest bias.
        let w_ref = self.snap(l.max(sz.w_min_m)).min(sz.w_max_m);
        let i_ref = (i_max * w_ref / (0.5 * sz.w_max_m)).clamp(i_min, i_max);
        let (w_ref, _, inv, region) = self.size_fixed(REF_DIODE_N, false, i_ref, w_ref, l)?;
        self.check_bias(REF_SOURCE, i_ref)?;
        self.els.push(el(
            REF_SOURCE.into(),
            ElementKind::CurrentSource {
                p: "vdd".into(),
                n: REF_NODE_N.into(),
                waveform: Waveform::Dc { value: i_ref },
                dc: None,
            },
        ));
        self.devices.push(DeviceReport {
            name: REF_SOURCE.into(),
            kind: "current source".into(),
            element: "bias".into(),
            role: "mirror reference (ideal source)".into(),
            w_m: None,
            l_m: None,
            current_a: Some(i_ref),
            value: None,
            inversion: None,
            region: None,
        });
        let n_ref = [REF_NODE_N, REF_NODE_N, "0", "0"];
        self.push_mos(
            REF_DIODE_N.into(),
            n_ref,
            false,
            i_ref,
            (w_ref, l, inv, region),
            "bias",
            "mirror reference (diode)",
        );
        if pending.iter().any(|m| m.4) {
            // The PMOS reference: an NMOS mirror of the reference current into a diode-connected PMOS.
            let sized = self.size_fixed("Mref_pn", false, i_ref, w_ref, l)?;
            self.push_mos(
                "Mref_pn".into(),
                [REF_NODE_P, REF_NODE_N, "0", "0"],
                false,
                i_ref,
                sized,
                "bias",
                "mirror of the reference into the PMOS diode",
            );
            let sized = self.size_fixed(REF_DIODE_P, true, i_ref, w_ref, l)?;
            self.push_mos(
                REF_DIODE_P.into(),
                [REF_NODE_P, REF_NODE_P, "vdd", "vdd"],
                true,
                i_ref,
                sized,
                "bias",
                "mirror reference (PMOS diode)",
            );
        }
        for (name, element, role, drain, pmos, ib) in pending {
            let w = (w_ref * ib / i_ref / g).round() * g;
            let sized = self.size_fixed(&name, pmos, ib, w, l)?;
            let realised = i_ref * sized.0 / w_ref;
            self.check_bias(&name, realised)?;
            let nodes = if pmos {
                [drain.as_str(), REF_NODE_P, "vdd", "vdd"]
            } else {
                [drain.as_str(), REF_NODE_N, "0", "0"]
            };
            self.push_mos(name, nodes, pmos, realised, sized, &element, &role);
        }
        Ok(())
    }

    /// Checks a transistor of given `w` and `l` carrying `id` against the
    /// technology's sizing range and inversion limit; returns `(w, l, inversion, region)`.
    fn size_fixed(
        &self,
        name: &str,
        pmos: bool,
        id: f64,
        w: f64,
        l: f64,
    ) -> Result<(f64, f64, Option<f64>, String)> {
        let sz = &self.tech.sizing;
        if w < sz.w_min_m {
            return Err(Error::Limit {
                device: name.into(),
                limit: "sizing.w_min_m",
                message: format!(
                    "mirror width {} (for {}) is below the technology's sizing.w_min_m = {}; the biases span \
                     too wide a range for one reference, use ideal sources",
                    si(w, "m"),
                    si(id, "A"),
                    si(sz.w_min_m, "m")
                ),
            });
        }
        if w > sz.w_max_m {
            return Err(Error::Limit {
                device: name.into(),
                limit: "sizing.w_max_m",
                message: format!(
                    "mirror width {} (for {}) exceeds the technology's sizing.w_max_m = {}; the biases span too \
                     wide a range for one reference, use ideal sources",
                    si(w, "m"),
                    si(id, "A"),
                    si(sz.w_max_m, "m")
                ),
            });
        }
        match (self.tech.region, self.tech.subthreshold) {
            (Region::Subthreshold, Some(s)) => {
                let ispec = if pmos { s.specific_current_p_a } else { s.specific_current_n_a };
                let ic = id / (ispec * w / l);
                if ic > self.tech.limits.inversion_max {
                    return Err(Error::Limit {
                        device: name.into(),
                        limit: "limits.inversion_max",
                        message: format!(
                            "inversion coefficient {ic:.3} at {} (W/L = {:.3e}) exceeds limits.inversion_max = {}",
                            si(id, "A"),
                            w / l,
                            self.tech.limits.inversion_max
                        ),
                    });
                }
                let r = if ic < 0.1 { "weak inversion" } else { "moderate inversion" };
                Ok((w, l, Some(ic), r.to_string()))
            }
            _ => Ok((w, l, None, "saturation (square law)".to_string())),
        }
    }

    fn capacitor(&mut self, name: String, node: &str, c: f64, element: &str, role: &str) -> Result<()> {
        if c > self.tech.limits.capacitance_max_f {
            return Err(Error::Limit {
                device: name,
                limit: "limits.capacitance_max_f",
                message: format!(
                    "capacitance {} exceeds the technology's limits.capacitance_max_f = {}",
                    si(c, "F"),
                    si(self.tech.limits.capacitance_max_f, "F")
                ),
            });
        }
        self.els.push(el(
            name.clone(),
            ElementKind::Capacitor { p: node.into(), n: "0".into(), c_farad: c, ic_volt: None },
        ));
        self.devices.push(DeviceReport {
            name,
            kind: "capacitor".into(),
            element: element.into(),
            role: role.into(),
            w_m: None,
            l_m: None,
            current_a: None,
            value: Some(c),
            inversion: None,
            region: None,
        });
        Ok(())
    }
}

/// `sum_j (c_j / unit) f(x - d_j)` as an expression, `f` the pair characteristic.
fn sum_expr(region: Region, terms: &[(f64, f64)], unit: f64, x: &str) -> Expr {
    terms
        .iter()
        .map(|&(c, d)| Expr::Num(c / unit) * pair_expr(region, Expr::v(x.to_string()) - Expr::Num(d)))
        .reduce(|a, b| a + b)
        .unwrap_or(Expr::Num(0.0))
}

/// The FitzHugh-Nagumo recovery branch of a design: an inductor from the
/// membrane through a resistor to a DC source to ground (or through the
/// resistor to ground): `(inductor, L, ic, R, V_b, names consumed)`.
type Recovery = (String, f64, f64, f64, f64, Vec<String>);

fn recovery_branch(design: &Design) -> Option<Recovery> {
    let els = &design.mother.elements;
    let m = design.membrane.as_str();
    els.iter().find_map(|e| {
        let ElementKind::Inductor { p, n: mid, l_henry, ic_amp } = &e.kind else { return None };
        if p != m {
            return None;
        }
        let (rname, r, far) = els.iter().find_map(|x| match &x.kind {
            ElementKind::Resistor { p, n, r_ohm } if p == mid => Some((x.name.clone(), *r_ohm, n.clone())),
            ElementKind::Resistor { p, n, r_ohm } if n == mid => Some((x.name.clone(), *r_ohm, p.clone())),
            _ => None,
        })?;
        let mut used = vec![e.name.clone(), rname];
        let vb = if far == "0" {
            0.0
        } else {
            let (vname, v) = els.iter().find_map(|x| match &x.kind {
                ElementKind::VoltageSource { p, n, waveform: Waveform::Dc { value }, .. }
                    if *p == far && n == "0" =>
                {
                    Some((x.name.clone(), *value))
                }
                _ => None,
            })?;
            used.push(vname);
            v
        };
        Some((e.name.clone(), *l_henry, ic_amp.unwrap_or(0.0), r, vb, used))
    })
}

fn unsupported(e: &Element<f64>, reason: &str) -> Error {
    Error::Unrealisable { element: e.name.clone(), reason: reason.into() }
}

/// Realises `design` in `tech` (see the [module documentation](super)).
///
/// # Errors
///
/// [`Error::Unrealisable`] for an element without a transistor mapping
/// (today: anything but capacitors to ground, linear leaks, tanh conductance
/// elements of width 1, tanh memristive elements over one linear relaxation
/// and DC bias currents, all on the membrane, and, below threshold, the
/// FitzHugh-Nagumo cubic and an inductor branch through a resistor to a DC
/// source); [`Error::Limit`] naming the
/// first device outside the technology's limits; [`Error::BadParameter`]
/// for a bias scale that is not positive.
pub fn realise(design: &Design, tech: &Technology, opts: &Options) -> Result<Realisation> {
    if !(opts.bias_scale > 0.0 && opts.bias_scale.is_finite()) {
        return Err(Error::BadParameter {
            name: "bias scale".into(),
            requirement: "positive and finite",
            value: opts.bias_scale,
        });
    }
    let region = tech.region;
    let s = tech.model_volt();
    let omega = design.scales.omega_s / opts.bias_scale;
    let c0 = design.scales.c0_farad;
    let k = s * c0 / omega;
    let scales = RealisedScales {
        s_volt: s,
        design_s_volt: design.scales.s_volt,
        omega_s: omega,
        c0_farad: c0,
        current_a: k,
        v_ref_v: tech.supply_v / 2.0,
    };
    let membrane = design.membrane.clone();
    if opts.bias == BiasSource::Mirrors && region != Region::Subthreshold {
        return Err(Error::Unrealisable {
            element: "bias".into(),
            reason: "current mirrors are realised below threshold only (a subthreshold technology)".into(),
        });
    }
    let mut b = Builder {
        tech,
        scales,
        els: Vec::new(),
        devices: Vec::new(),
        blocks: Vec::new(),
        refs: Vec::new(),
        bias: opts.bias,
        mirrors: Vec::new(),
    };
    b.els.push(el(
        "Vdd".into(),
        ElementKind::VoltageSource {
            p: "vdd".into(),
            n: "0".into(),
            waveform: Waveform::Dc { value: tech.supply_v },
            dc: None,
        },
    ));
    b.els.push(el(
        "Vref".into(),
        ElementKind::VoltageSource {
            p: "vref".into(),
            n: "0".into(),
            waveform: Waveform::Dc { value: scales.v_ref_v },
            dc: None,
        },
    ));
    let mut ideal: Vec<Element<f64>> = Vec::new();
    let mut ic: Vec<(String, f64)> = Vec::new();
    let on_membrane = |p: &str, n: &str| p == membrane && n == "0";
    let mut weights: Option<Vec<f64>> = None;
    let recovery = recovery_branch(design);
    let consumed: Vec<String> = recovery.as_ref().map(|r| r.5.clone()).unwrap_or_default();
    for e in &design.mother.elements {
        let name = e.name.as_str();
        if consumed.iter().any(|c| c == name) {
            if let (Some((lname, l, i0, rr, vb, _)), ElementKind::Inductor { .. }) = (&recovery, &e.kind) {
                if region != Region::Subthreshold {
                    return Err(unsupported(e, "the recovery branch is realised below threshold only"));
                }
                if !(*rr > 0.0 && *l > 0.0) {
                    return Err(unsupported(
                        e,
                        "the recovery branch needs a positive inductance and resistance",
                    ));
                }
                // L dy/dt = v - R y - V_b, y the branch current (model units):
                // tau dy/dt = lin(v - V_b) / R - lin(y), tau = L / R, and the
                // branch draws lin(y) from the membrane; lin = the nine-pair
                // linearised transconductor.
                let w = match &weights {
                    Some(w) => w.clone(),
                    None => weights.insert(leak_weights(region)?).clone(),
                };
                let tau = l / rr;
                let tau_phys = tau * omega;
                let lim = &tech.limits;
                // I_f = the unit current (not a tenth, as for the followers):
                // the eighteen amplifiers on the state node add their
                // parasitic capacitance to it, which at 1.56 pF (I_f = I_unit
                // / 10) slowed the FitzHugh-Nagumo spiker by 19 %.
                let i_target = k.max(10.0 * lim.bias_min_a);
                let c_y = (tau_phys * i_target / s).min(lim.capacitance_max_f);
                let g = s * c_y / tau_phys;
                let y = format!("{lname}_y");
                let cin: Vec<f64> = w.iter().map(|wj| g / rr * wj).collect();
                let cout: Vec<f64> = w.iter().map(|wj| -g * wj).collect();
                let cmem: Vec<f64> = w.iter().map(|wj| -k * wj).collect();
                let t_in =
                    b.multi_tanh(&format!("{lname}i"), lname, &membrane, *vb, &y, &cin, &LEAK_OFFSETS)?;
                let t_out = b.multi_tanh(&format!("{lname}o"), lname, &y, 0.0, &y, &cout, &LEAK_OFFSETS)?;
                let t_mem =
                    b.multi_tanh(&format!("{lname}m"), lname, &y, 0.0, &membrane, &cmem, &LEAK_OFFSETS)?;
                b.capacitor(format!("C{lname}"), &y, c_y, lname, "recovery state capacitor")?;
                ic.push((y.clone(), scales.v_ref_v + s * i0));
                b.blocks.push(BlockReport {
                    element: consumed.join(" + "),
                    block: format!(
                        "recovery branch: state capacitor and three nine-amplifier linearised transconductors \
                         ({} amplifiers)",
                        t_in.len() + t_out.len() + t_mem.len()
                    ),
                    realises: format!(
                        "L dy/dt = v - R y - V_b (L {l}, R {rr}, V_b {vb} model units): tau = L/R = {} with {} \
                         and {}; branch current {} per model unit",
                        si(tau_phys, "s"),
                        si(c_y, "F"),
                        si(g, "A"),
                        si(k, "A")
                    ),
                });
                ideal.push(el(
                    format!("C{y}"),
                    ElementKind::Capacitor { p: y.clone(), n: "0".into(), c_farad: 1.0, ic_volt: Some(*i0) },
                ));
                ideal.push(el(
                    format!("B{y}"),
                    ElementKind::BehaviouralCurrent {
                        p: "0".into(),
                        n: y.clone(),
                        expr: sum_expr(region, &t_in, g * tau, &membrane)
                            + sum_expr(region, &t_out, g * tau, &y),
                    },
                ));
                ideal.push(el(
                    format!("B{lname}"),
                    ElementKind::BehaviouralCurrent {
                        p: "0".into(),
                        n: membrane.clone(),
                        expr: sum_expr(region, &t_mem, k, &y),
                    },
                ));
            }
            continue;
        }
        match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, ic_volt } if on_membrane(p, n) => {
                b.capacitor(format!("C{name}"), &membrane, c_farad * c0, name, "membrane capacitor")?;
                let v0 = ic_volt.unwrap_or(0.0);
                ic.push((membrane.clone(), scales.v_ref_v + s * v0));
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: "capacitor".into(),
                    realises: format!("membrane capacitance {} (C0 x {c_farad})", si(c_farad * c0, "F")),
                });
                ideal.push(e.clone());
            }
            ElementKind::Resistor { p, n, r_ohm } if on_membrane(p, n) => {
                let g = 1.0 / r_ohm;
                let w = match &weights {
                    Some(w) => w,
                    None => weights.insert(leak_weights(region)?),
                };
                let mut expr: Option<Expr> = None;
                for (j, (&delta, &wj)) in LEAK_OFFSETS.iter().zip(w.iter()).enumerate() {
                    if wj <= 0.0 {
                        return Err(unsupported(e, "the leak linearisation needs positive weights"));
                    }
                    let r = b.reference(delta);
                    let tag = format!("{name}{j}");
                    // Sinks g w_j k f(v - delta_j).
                    b.ta(&tag, name, &r, &membrane, &membrane, g * wj * k)?;
                    let term = Expr::Num(g * wj) * pair_expr(region, Expr::v(membrane.clone()) - Expr::Num(delta));
                    expr = Some(match expr {
                        Some(x) => x + term,
                        None => term,
                    });
                }
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: format!("{} transconductance amplifiers in parallel (multi-tanh linearised leak)", LEAK_OFFSETS.len()),
                    realises: format!(
                        "leak conductance {} over |v| <= {} (offsets {LEAK_OFFSETS:?} model V, weights {:?})",
                        si(g * k / s, "S"),
                        si(3.0 * s, "V"),
                        w.iter().map(|x| (x * 1e4).round() / 1e4).collect::<Vec<_>>()
                    ),
                });
                if let Some(expr) = expr {
                    ideal.push(el(format!("B{name}"), ElementKind::BehaviouralCurrent { p: membrane.clone(), n: "0".into(), expr }));
                }
            }
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Tanh { alpha, delta, w } } if on_membrane(p, n) => {
                if (w - 1.0).abs() > 1e-9 {
                    return Err(unsupported(e, "a tanh law of width other than 1 model volt (a pair's width is fixed)"));
                }
                let r = b.reference(*delta);
                let ib = alpha.abs() * k;
                // Current out of the membrane is alpha tanh(v - delta).
                if *alpha < 0.0 {
                    b.ta(name, name, &membrane, &r, &membrane, ib)?;
                } else {
                    b.ta(name, name, &r, &membrane, &membrane, ib)?;
                }
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: "transconductance amplifier".into(),
                    realises: format!(
                        "i = {} tanh((v - {})/{}) out of the membrane (gain {alpha} x {}, bias {})",
                        si(alpha * k, "A"),
                        si(s * delta, "V"),
                        si(s, "V"),
                        si(k, "A"),
                        si(ib, "A")
                    ),
                });
                let expr = Expr::Num(*alpha) * pair_expr(region, Expr::v(membrane.clone()) - Expr::Num(*delta));
                ideal.push(el(format!("B{name}"), ElementKind::BehaviouralCurrent { p: membrane.clone(), n: "0".into(), expr }));
            }
            ElementKind::Memristive { p, n, states, law: MemristiveLaw::Tanh { state, alpha, delta } }
                if on_membrane(p, n) && states.len() == 1 && *state == 0 =>
            {
                let Relaxation::Linear { tau_s, x0 } = &states[0] else {
                    return Err(unsupported(e, "only a linear relaxation maps to a follower-integrator"));
                };
                let x = format!("{name}_x");
                let tau_phys = tau_s * omega;
                let lim = &tech.limits;
                // Follower-integrator: tau = s C / I_f. The capacitor is chosen
                // for I_f = max(I_unit / 10, 10 bias_min_a), within the
                // capacitance limit (then I_f is smaller).
                let i_target = (k / 10.0).max(10.0 * lim.bias_min_a);
                let c_x = (tau_phys * i_target / s).min(lim.capacitance_max_f);
                let i_f = s * c_x / tau_phys;
                // Below threshold a wide-linear-range follower (three pairs
                // with built-in offsets); above threshold one pair (its
                // square law gives no clean offset by sizing), which slews.
                let wide = region == Region::Subthreshold;
                let mut follower: Vec<(f64, f64)> = Vec::new();
                if wide {
                    let fw = follower_weights()?;
                    for (j, (&d, &wj)) in FOLLOWER_OFFSETS.iter().zip(&fw).enumerate() {
                        let realised = b.ta_offset(&format!("{name}f{j}"), name, &membrane, &x, &x, i_f * wj, d)?;
                        follower.push((wj, realised));
                    }
                } else {
                    b.ta(&format!("{name}f"), name, &membrane, &x, &x, i_f)?;
                    follower.push((1.0, 0.0));
                }
                b.capacitor(format!("C{name}"), &x, c_x, name, "state capacitor")?;
                ic.push((x.clone(), scales.v_ref_v + s * x0));
                let r = b.reference(*delta);
                let ib = alpha.abs() * k;
                if *alpha < 0.0 {
                    b.ta(name, name, &x, &r, &membrane, ib)?;
                } else {
                    b.ta(name, name, &r, &x, &membrane, ib)?;
                }
                let follower_text = if wide {
                    format!(
                        "wide-linear-range follower-integrator ({} amplifiers with built-in offsets {:?} model V, \
                         weights {:?}; linear over |v - x| <= 3 model V) and transconductance amplifier",
                        follower.len(),
                        follower.iter().map(|f| (f.1 * 1e4).round() / 1e4).collect::<Vec<_>>(),
                        follower.iter().map(|f| (f.0 * 1e4).round() / 1e4).collect::<Vec<_>>()
                    )
                } else {
                    "follower-integrator (amplifier + capacitor) and transconductance amplifier".to_string()
                };
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: follower_text,
                    realises: format!(
                        "tau = s C / I_f = {} x {} / {} = {} (model {tau_s}); i = {} tanh((x - {})/{}) (bias {})",
                        si(s, "V"),
                        si(c_x, "F"),
                        si(i_f, "A"),
                        si(tau_phys, "s"),
                        si(alpha * k, "A"),
                        si(s * delta, "V"),
                        si(s, "V"),
                        si(ib, "A")
                    ),
                });
                // Ideal model: state node with a unit capacitor, follower current f(v - x)/tau.
                let xi = format!("{name}_x");
                ideal.push(el(
                    format!("C{name}_x"),
                    ElementKind::Capacitor { p: xi.clone(), n: "0".into(), c_farad: 1.0, ic_volt: Some(*x0) },
                ));
                ideal.push(el(
                    format!("B{name}_f"),
                    ElementKind::BehaviouralCurrent {
                        p: "0".into(),
                        n: xi.clone(),
                        expr: follower
                            .iter()
                            .map(|&(wj, dj)| {
                                Expr::Num(wj / tau_s)
                                    * pair_expr(
                                        region,
                                        Expr::v(membrane.clone()) - Expr::v(xi.clone()) - Expr::Num(dj),
                                    )
                            })
                            .reduce(|a, b| a + b)
                            .unwrap_or(Expr::Num(0.0)),
                    },
                ));
                ideal.push(el(
                    format!("B{name}"),
                    ElementKind::BehaviouralCurrent {
                        p: membrane.clone(),
                        n: "0".into(),
                        expr: Expr::Num(*alpha) * pair_expr(region, Expr::v(xi) - Expr::Num(*delta)),
                    },
                ));
            }
            ElementKind::CurrentSource { p, n, waveform: Waveform::Dc { value }, .. }
                if (p == "0" && *n == membrane) || (*p == membrane && n == "0") =>
            {
                let i = value * k;
                // An ideal source of the design's sign (the technology limits apply to its size).
                b.check_bias(&format!("I{name}"), i.abs())?;
                let into = if p == "0" { i } else { -i };
                if b.bias == BiasSource::Mirrors && into != 0.0 {
                    // Into the membrane: a PMOS source from vdd; out of it: an NMOS sink.
                    b.mirrors.push((
                        format!("M{name}_b"),
                        name.into(),
                        "membrane bias (mirror)".into(),
                        membrane.clone(),
                        into > 0.0,
                        into.abs(),
                    ));
                    b.blocks.push(BlockReport {
                        element: name.into(),
                        block: "current mirror".into(),
                        realises: format!("bias {} ({value} x {})", si(i, "A"), si(k, "A")),
                    });
                    ideal.push(e.clone());
                    continue;
                }
                b.els.push(el(
                    format!("I{name}"),
                    ElementKind::CurrentSource { p: p.clone(), n: n.clone(), waveform: Waveform::Dc { value: i }, dc: None },
                ));
                b.devices.push(DeviceReport {
                    name: format!("I{name}"),
                    kind: "current source".into(),
                    element: name.into(),
                    role: "membrane bias (ideal source)".into(),
                    w_m: None,
                    l_m: None,
                    current_a: Some(i),
                    value: None,
                    inversion: None,
                    region: None,
                });
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: "current source".into(),
                    realises: format!("bias {} ({value} x {})", si(i, "A"), si(k, "A")),
                });
                ideal.push(e.clone());
            }
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Cubic { a, b: bc } } if on_membrane(p, n) => {
                if region != Region::Subthreshold {
                    return Err(unsupported(e, "the cubic is realised below threshold only (a tanh fit)"));
                }
                // Current out of the membrane a v^3 - b v = sum_j w_j tanh(v - d_j).
                let cw = cubic_weights(*a, *bc)?;
                let coefs: Vec<f64> = cw.iter().map(|w| -k * w).collect();
                let terms = b.multi_tanh(name, name, &membrane, 0.0, &membrane, &coefs, &CUBIC_OFFSETS)?;
                b.blocks.push(BlockReport {
                    element: name.into(),
                    block: format!("{} transconductance amplifiers, signed multi-tanh fit of the cubic", terms.len()),
                    realises: format!(
                        "i = {} ({a} v^3 - {bc} v) out of the membrane over |v| <= {} (offsets {CUBIC_OFFSETS:?} \
                         model V, weights {:?})",
                        si(k, "A"),
                        si(2.5 * s, "V"),
                        cw.iter().map(|x| (x * 1e4).round() / 1e4).collect::<Vec<_>>()
                    ),
                });
                let neg: Vec<(f64, f64)> = terms.iter().map(|&(c, d)| (-c, d)).collect();
                ideal.push(el(
                    format!("B{name}"),
                    ElementKind::BehaviouralCurrent { p: membrane.clone(), n: "0".into(), expr: sum_expr(region, &neg, k, &membrane) },
                ));
            }
            _ => {
                return Err(unsupported(
                    e,
                    "supported: membrane capacitor, linear leak, tanh conductance elements, tanh memristive \
                     elements over one linear relaxation and DC bias currents, all between the membrane and ground",
                ))
            }
        }
    }
    b.finish_mirrors()?;
    if !opts.membrane_trim_a.is_finite() {
        return Err(Error::BadParameter {
            name: "membrane trim".into(),
            requirement: "finite",
            value: opts.membrane_trim_a,
        });
    }
    if opts.membrane_trim_a != 0.0 {
        let i = opts.membrane_trim_a;
        b.els.push(el(
            TRIM_SOURCE.into(),
            ElementKind::CurrentSource {
                p: "0".into(),
                n: membrane.clone(),
                waveform: Waveform::Dc { value: i },
                dc: None,
            },
        ));
        b.devices.push(DeviceReport {
            name: TRIM_SOURCE.into(),
            kind: "current source".into(),
            element: "trim".into(),
            role: "membrane trim (ideal source)".into(),
            w_m: None,
            l_m: None,
            current_a: Some(i),
            value: None,
            inversion: None,
            region: None,
        });
        b.blocks.push(BlockReport {
            element: "trim".into(),
            block: "current source".into(),
            realises: format!(
                "{} into the membrane: the transistor circuit's static current error at the design's knee, \
                 cancelled",
                si(i, "A")
            ),
        });
    }
    let mut circuit = FlatCircuit {
        title: format!("{} realised in {} (atscale realise)", design.template, tech.name),
        models: Vec::new(),
        elements: b.els,
    };
    let library = match &tech.models {
        ModelSource::Cards(cards) => {
            circuit.models = cards.clone();
            None
        }
        ModelSource::Library { path, section } => Some((path.clone(), section.clone())),
    };
    // The run: the design's measuring window, a fine maximum step, tolerances for picoamperes.
    let period_model = design.mother_period.unwrap_or(50.0);
    let (tstop_model, tmax_model) = match design.achieved.spikes_per_burst {
        // Bursters: 4.5 design periods, for three complete bursts after the first.
        Some(n) => (4.5 * period_model, period_model / (400.0 * f64::from(n.max(1)))),
        // The window the ideal model is measured on (800 model units for the spiker).
        None => (16.0 * period_model, period_model / 400.0),
    };
    // Tolerances from the smallest bias current (halved, as a pair's device
    // carries at balance); the long device of an offset pair carries less
    // at balance but its share of the output is what the bias sets. With
    // mirrors the biases are the mirrors' currents (the reference is not the smallest).
    let i_min = b
        .devices
        .iter()
        .filter(|d| (d.kind == "current source" && d.name != TRIM_SOURCE) || is_mirror(d))
        .filter_map(|d| d.current_a)
        .map(|i| i.abs() / 2.0)
        .fold(f64::INFINITY, f64::min);
    let run = RunSettings {
        tstop_s: tstop_model * omega,
        tmax_s: tmax_model * omega,
        gmin_s: (i_min * 1e-4 / tech.supply_v).min(1e-12),
        abstol_a: (i_min * 1e-4).min(1e-12),
        chgtol_c: (i_min * 1e-4 * tmax_model * omega).min(1e-14),
        reltol: 1e-4,
        ic,
    };
    let ideal_model = FlatCircuit {
        title: format!("ideal model of the {} realisation", design.template),
        models: Vec::new(),
        elements: ideal,
    };
    let template = design.template.clone();
    Ok(Realisation {
        technology: tech.name.clone(),
        temperature_c: tech.temperature_c,
        library,
        device_subckts: tech.nmos_subckt.iter().chain(tech.pmos_subckt.iter()).cloned().collect(),
        template,
        circuit,
        membrane,
        scales,
        options: *opts,
        threshold_v: scales.v_ref_v + s * (design.event.threshold_v / design.scales.s_volt),
        hysteresis_v: s * (design.event.hysteresis_v / design.scales.s_volt),
        blocks: b.blocks,
        devices: b.devices,
        run,
        ideal_model,
    })
}

impl Realisation {
    /// The circuit as the netlist writer takes it: [`Realisation::circuit`]
    /// with every transistor of a subcircuit device (a PDK's
    /// `sky130_fd_pr__nfet_01v8`, say) an instance `X<name> d g s b <subckt>
    /// <w_param>=W*scale <l_param>=L*scale` of the subcircuit the model
    /// library defines (the writer checks every name); plain `M` cards
    /// otherwise. The subcircuits are the library's: a BSIM4 one runs in
    /// ngspice only (the native solver simulates level 1 only).
    pub fn netlist_circuit(&self) -> Circuit {
        self.to_circuit(&self.circuit)
    }

    /// [`Realisation::netlist_circuit`] for another circuit of this
    /// realisation (a trim probe or the mirror bank).
    pub fn to_circuit(&self, flat: &FlatCircuit) -> Circuit {
        let mut c = Circuit::from(flat.clone());
        if self.device_subckts.is_empty() {
            return c;
        }
        let mut elements = Vec::new();
        for e in std::mem::take(&mut c.elements) {
            let sub = match &e.kind {
                ElementKind::Mosfet { model, .. } => {
                    self.device_subckts.iter().find(|s| s.subckt.eq_ignore_ascii_case(model))
                }
                _ => None,
            };
            match (sub, &e.kind) {
                (Some(sd), ElementKind::Mosfet { d, g, s, b, w_m, l_m, .. }) => {
                    let scaled = |v: &Value| match v {
                        Value::Num(x) => Value::Num(x * sd.scale),
                        Value::Expr(x) => Value::from((**x).clone() * Expr::Num(sd.scale)),
                    };
                    c.instances.push(Instance {
                        name: e.name.clone(),
                        subckt: sd.subckt.clone(),
                        nodes: vec![d.clone(), g.clone(), s.clone(), b.clone()],
                        params: vec![
                            Param::new(sd.w_param.clone(), scaled(w_m)),
                            Param::new(sd.l_param.clone(), scaled(l_m)),
                        ],
                    });
                }
                _ => elements.push(e),
            }
        }
        c.elements = elements;
        c
    }
}

/// Name of the membrane trim source in a realised circuit.
pub const TRIM_SOURCE: &str = "Itrim";

/// The current the design's elements draw from the membrane at `v` model
/// volts in steady state (every relaxation state at `v`, sources and
/// capacitors excluded), model units: its steady-state I-V curve.
///
/// # Errors
///
/// [`Error::Unrealisable`] for an element [`realise`] does not map.
pub fn steady_current(design: &Design, v: f64) -> Result<f64> {
    let membrane = design.membrane.as_str();
    let recovery = recovery_branch(design);
    // The recovery branch in steady state carries (v - V_b) / R.
    let mut i = recovery.as_ref().map_or(0.0, |r| (v - r.4) / r.3);
    let consumed = recovery.map(|r| r.5).unwrap_or_default();
    for e in &design.mother.elements {
        let on = |p: &str, n: &str| p == membrane && n == "0";
        if consumed.contains(&e.name) {
            continue;
        }
        match &e.kind {
            ElementKind::Capacitor { .. } | ElementKind::CurrentSource { .. } => {}
            ElementKind::Resistor { p, n, r_ohm } if on(p, n) => i += v / r_ohm,
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Cubic { a, b } } if on(p, n) => {
                i += a * v * v * v - b * v;
            }
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Tanh { alpha, delta, w } }
                if on(p, n) =>
            {
                i += alpha * ((v - delta) / w).tanh();
            }
            ElementKind::Memristive { p, n, states, law: MemristiveLaw::Tanh { state, alpha, delta } }
                if on(p, n) && states.len() == 1 && *state == 0 =>
            {
                i += alpha * (v - delta).tanh();
            }
            _ => return Err(unsupported(e, "no steady-state current (not a realisable element)")),
        }
    }
    Ok(i)
}

/// The design's knee: the membrane voltage (model volts, inside `(-3, 3)`)
/// where its steady-state I-V curve ([`steady_current`]) is flattest, and
/// the current there; `None` when the curve is flattest at an end of the
/// range (no knee: the spiking design's curve steepens monotonically). A
/// burster pauses near its knee (the fold where its silent state is born),
/// so its burst period is most sensitive to a static current error there:
/// 1 % of the bias current moves the bursting design's period by about 15 %.
///
/// # Errors
///
/// As [`steady_current`].
pub fn design_knee(design: &Design) -> Result<Option<(f64, f64)>> {
    let h = 1e-3;
    let mut best = (f64::INFINITY, 0.0);
    for k in -300..=300 {
        let v = 0.01 * f64::from(k);
        let slope = ((steady_current(design, v + h)? - steady_current(design, v - h)?) / (2.0 * h)).abs();
        if slope < best.0 {
            best = (slope, v);
        }
    }
    if best.1.abs() > 2.995 {
        return Ok(None);
    }
    Ok(Some((best.1, steady_current(design, best.1)?)))
}

/// The realised circuit with its membrane held at `v_model` model volts by
/// a voltage source `Vtrim` (membrane capacitors and current sources on the
/// membrane removed): at its DC operating point every follower sits at its
/// equilibrium and `-i(Vtrim)` is the current the transistor circuit draws
/// from the membrane in steady state, to compare with the design's
/// [`steady_current`] times the unit current.
pub fn trim_probe(r: &Realisation, v_model: f64) -> FlatCircuit {
    let m = r.membrane.as_str();
    let touches = |p: &str, n: &str| p == m || n == m;
    // Mirror-biased: the membrane bias is a transistor, removed as its source would be.
    let bias_mirrors: Vec<&str> =
        r.devices.iter().filter(|d| d.role == "membrane bias (mirror)").map(|d| d.name.as_str()).collect();
    let mut elements: Vec<Element<f64>> = r
        .circuit
        .elements
        .iter()
        .filter(|e| !bias_mirrors.contains(&e.name.as_str()))
        .filter(|e| match &e.kind {
            ElementKind::Capacitor { p, n, .. } | ElementKind::CurrentSource { p, n, .. } => !touches(p, n),
            _ => true,
        })
        .cloned()
        .collect();
    elements.push(el(
        "Vtrim".into(),
        ElementKind::VoltageSource {
            p: m.into(),
            n: "0".into(),
            waveform: Waveform::Dc { value: r.scales.v_ref_v + r.scales.s_volt * v_model },
            dc: None,
        },
    ));
    FlatCircuit {
        title: format!("{} (membrane held for the trim)", r.circuit.title),
        models: r.circuit.models.clone(),
        elements,
    }
}

/// Whether a reported device is a bias mirror (sized by [`resize_mirror`]).
pub fn is_mirror(d: &DeviceReport) -> bool {
    d.role.ends_with("bias (mirror)")
}

/// The mirror bank of a mirror-biased realisation on its own: the reference
/// source and diodes, and every bias mirror with its drain held at `V_ref`
/// by a voltage source `Vp<device>`, so that `i(Vp<device>)` at the DC
/// operating point is the current the mirror carries (a sink's is positive,
/// a PMOS source's negative). Geometry effects the sizing's `W/L` rule does
/// not know (narrow-width and short-channel threshold shifts; the BSIM4
/// cards of `generic-bsim4` keep the default narrow-width effect) show up as the measured current's deviation from the
/// reported one. Returns the circuit and the `(device, source)` names, or
/// `None` without mirrors.
pub fn mirror_probe(r: &Realisation) -> Option<(FlatCircuit, Vec<(String, String)>)> {
    let mirrors: Vec<&str> = r.devices.iter().filter(|d| is_mirror(d)).map(|d| d.name.as_str()).collect();
    if mirrors.is_empty() {
        return None;
    }
    let keep = ["Vdd", REF_SOURCE, REF_DIODE_N, REF_DIODE_P, "Mref_pn"];
    let mut elements = Vec::new();
    let mut probes = Vec::new();
    for e in &r.circuit.elements {
        if keep.contains(&e.name.as_str()) {
            elements.push(e.clone());
        } else if let (true, ElementKind::Mosfet { d: _, g, s, b, model, w_m, l_m }) =
            (mirrors.contains(&e.name.as_str()), &e.kind)
        {
            let node = format!("p_{}", e.name);
            let src = format!("Vp{}", e.name);
            elements.push(el(
                e.name.clone(),
                ElementKind::Mosfet {
                    d: node.clone(),
                    g: g.clone(),
                    s: s.clone(),
                    b: b.clone(),
                    model: model.clone(),
                    w_m: *w_m,
                    l_m: *l_m,
                },
            ));
            elements.push(el(
                src.clone(),
                ElementKind::VoltageSource {
                    p: node,
                    n: "0".into(),
                    waveform: Waveform::Dc { value: r.scales.v_ref_v },
                    dc: None,
                },
            ));
            probes.push((e.name.clone(), src));
        }
    }
    let c = FlatCircuit {
        title: format!("{} (mirror bank)", r.circuit.title),
        models: r.circuit.models.clone(),
        elements,
    };
    Some((c, probes))
}

/// Sets the width of bias mirror `device` to `w_m` (rounded to the grid),
/// keeping its reported current, and checks it against the technology's
/// width range; the inversion coefficient is rescaled with the width.
///
/// # Errors
///
/// [`Error::Limit`] naming the device and `sizing.w_max_m` or
/// `sizing.w_min_m`; [`Error::Unrealisable`] if `device` is not a mirror.
pub fn resize_mirror(r: &mut Realisation, tech: &Technology, device: &str, w_m: f64) -> Result<()> {
    let sz = &tech.sizing;
    let w = (w_m / sz.grid_m).round() * sz.grid_m;
    let Some(d) = r.devices.iter_mut().find(|d| d.name == device && is_mirror(d)) else {
        return Err(Error::Unrealisable { element: device.into(), reason: "not a bias mirror".into() });
    };
    for (limit, bad, bound) in
        [("sizing.w_max_m", w > sz.w_max_m, sz.w_max_m), ("sizing.w_min_m", w < sz.w_min_m, sz.w_min_m)]
    {
        if bad || !w.is_finite() {
            return Err(Error::Limit {
                device: device.into(),
                limit,
                message: format!(
                    "mirror width {} (to carry {} as measured on the mirror bank) is outside the \
                     technology's {limit} = {}",
                    si(w, "m"),
                    si(d.current_a.unwrap_or(f64::NAN), "A"),
                    si(bound, "m")
                ),
            });
        }
    }
    let old = d.w_m.unwrap_or(w);
    d.inversion = d.inversion.map(|ic| ic * old / w);
    d.w_m = Some(w);
    for e in &mut r.circuit.elements {
        if let (true, ElementKind::Mosfet { w_m, .. }) = (e.name == device, &mut e.kind) {
            *w_m = w;
        }
    }
    Ok(())
}

/// What the behavioural model of a realisation predicts (native solver,
/// model units converted with the realised time scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Firing rate, Hz (tonic spiking); `None` without a steady spike train.
    pub rate_hz: Option<f64>,
    /// Spikes per burst (bursting).
    pub spikes_per_burst: Option<u32>,
    /// Burst period, s (bursting).
    pub burst_period_s: Option<f64>,
    /// Mean interval between spikes inside a burst, s ([`crate::spikes::intra_burst_interval`]).
    pub intra_burst_interval_s: Option<f64>,
}

/// Simulates [`Realisation::ideal_model`] (native solver, tight
/// tolerances) for `tstop_model` model units and measures it: the rate the
/// transistor circuit should have if its blocks were ideal.
///
/// # Errors
///
/// [`Error::Sim`] if the native solver fails.
pub fn predict(
    r: &Realisation,
    threshold_model: f64,
    hysteresis_model: f64,
    tstop_model: f64,
) -> Result<Prediction> {
    measure_model(
        &r.ideal_model,
        &r.membrane,
        r.scales.omega_s,
        threshold_model,
        hysteresis_model,
        tstop_model,
    )
}

/// Simulates a model-unit circuit (native solver, tight tolerances) for
/// `tstop_model` model units and measures its membrane; times are
/// converted with `omega_s` seconds per model unit. [`predict`] uses it on
/// the ideal model; `atscale realise` on the behavioural design (to measure
/// its intra-burst interval the same way).
///
/// # Errors
///
/// [`Error::Sim`] if the native solver fails.
pub fn measure_model(
    circuit: &FlatCircuit,
    membrane: &str,
    omega_s: f64,
    threshold_model: f64,
    hysteresis_model: f64,
    tstop_model: f64,
) -> Result<Prediction> {
    use atscale_sim::{Direction, Simulation};
    let res = Simulation::new(circuit)?
        .tstop(tstop_model)
        .uic(true)
        .reltol(1e-7)
        .probe(membrane)
        .event(membrane, threshold_model, hysteresis_model, Direction::Rising)
        .run()?;
    let ev: Vec<f64> = res.event_times(membrane).iter().map(|t| t * omega_s).collect();
    let mut p = Prediction {
        rate_hz: None,
        spikes_per_burst: None,
        burst_period_s: None,
        intra_burst_interval_s: None,
    };
    match crate::spikes::bursts(&ev) {
        Some((counts, period)) => {
            p.spikes_per_burst = crate::spikes::burst_count(&counts);
            p.burst_period_s = Some(period);
            p.intra_burst_interval_s = crate::spikes::intra_burst_interval(&ev);
        }
        None => p.rate_hz = crate::spikes::spike_period(&ev).map(|t| 1.0 / t),
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_tanh_leak_is_linear_over_the_membrane_swing() {
        for region in [Region::Subthreshold, Region::AboveThreshold] {
            let w = leak_weights(region).unwrap_or_default();
            assert_eq!(w.len(), LEAK_OFFSETS.len());
            assert!(w.iter().all(|x| *x > 0.0), "{region:?}: {w:?}");
            let worst = (0..=60)
                .map(|k| -3.0 + 0.1 * f64::from(k))
                .map(|v| {
                    let i: f64 = LEAK_OFFSETS
                        .iter()
                        .zip(&w)
                        .map(|(d, wj)| wj * pair_characteristic(region, v - d))
                        .sum();
                    (i - v).abs()
                })
                .fold(0.0, f64::max);
            // Nine pairs one model volt apart: within 6e-4 model units of
            // current over |v| <= 3 below threshold (measured 5.03e-4; five pairs were off by
            // 0.077), within 0.02 above.
            let tol = if region == Region::Subthreshold { 6e-4 } else { 0.02 };
            assert!(worst < tol, "{region:?}: {worst}");
        }
        // The wide-linear-range follower: slope 1 at the origin (the
        // least-squares weights, whose slope is 0.842, divided by it), and
        // bending away from u by at most 0.56 over |u| <= 3 (one pair:
        // tanh(3) = 0.995, off by 2).
        let fw = follower_weights().unwrap_or_default();
        assert_eq!(fw.len(), FOLLOWER_OFFSETS.len());
        assert!(fw.iter().all(|x| *x > 0.0), "{fw:?}");
        let f = |u: f64| -> f64 { FOLLOWER_OFFSETS.iter().zip(&fw).map(|(d, w)| w * (u - d).tanh()).sum() };
        let worst = (0..=60).map(|k| -3.0 + 0.1 * f64::from(k)).map(|u| (f(u) - u).abs()).fold(0.0, f64::max);
        assert!(worst < 0.57, "{worst}");
        assert!(((f(1e-4) - f(-1e-4)) / 2e-4 - 1.0).abs() < 1e-6, "{fw:?}");
        assert!((pair_characteristic(Region::AboveThreshold, 5.0) - 1.0).abs() < 1e-12);
        assert!((pair_characteristic(Region::AboveThreshold, 0.01) - 0.01).abs() < 1e-5);
    }
}
