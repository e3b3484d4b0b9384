//! The mapping of a design's elements to transistor circuits, the sizing of
//! every device and its check against the technology's limits.

use atscale_circuit::expr::{Expr, Func};
use atscale_circuit::units::si;
use atscale_circuit::{
    Circuit, Element, ElementKind, FlatCircuit, Instance, MemristiveLaw, Param, ResistiveLaw, Value, Waveform,
};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::blocks::Recovery;
use super::builder::{el, Builder};
use super::tech::{on_grid, ModelSource, Region, Resistor, ResistorSubckt, SubcktDevice, Technology};
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
/// characteristic is `tanh(v - x - offset)` and the weighted sum follows
/// `v - x` over about ±3 model volts instead of ±1, though not closely: with
/// slope 1 at the origin it bends away by up to 0.56 model units (28 %)
/// there ([`follower_weights`]), which puts the burster's ideal model 5.6 %
/// off its design (`examples/follower_linearity.rs`).
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Multiplies every bias current (default 1): the circuit then runs
    /// `bias_scale` times faster (every time constant is `C s / I`).
    pub bias_scale: f64,
    /// Membrane trim, A: a DC current source of this value into the membrane
    /// (default 0, no source). `atscale realise` sets it to the transistor
    /// circuit's static current error at the design's knee (see
    /// [`design_knee`] and [`trim_probe`]), as a chip's bias is trimmed.
    pub membrane_trim_a: f64,
    /// The transistors' stray capacitance on the membrane, F (default 0):
    /// the membrane capacitor is made this much smaller, so that the
    /// membrane's total is the design's. `atscale realise
    /// --compensate-strays` measures it (`atscale_explore::strays`).
    #[serde(default)]
    pub membrane_stray_f: f64,
    /// Where the bias currents come from (default: ideal sources).
    #[serde(default)]
    pub bias: BiasSource,
    /// Where the reference voltages come from (default: ideal sources).
    #[serde(default)]
    pub references: ReferenceSource,
    /// The amplifiers' topology (default: five transistors).
    #[serde(default)]
    pub amplifier: Amplifier,
    /// With mirrors: the membrane's bias mirror under a cascode (default
    /// false), so that its current does not follow the membrane voltage.
    /// The cascode's gate is a diode stacked on the reference diode
    /// ([`REF_CASCODE_N`], [`REF_CASCODE_P`]): the mirror's drain then sits
    /// where its diode's does.
    #[serde(default)]
    pub cascode_membrane: bool,
    /// How a memristive element's state follows the membrane below
    /// threshold (default: [`Followers::OffsetPairs`]).
    #[serde(default)]
    pub followers: Followers,
    /// Linearised followers' offsets, by element, model units (default
    /// none): `x - v` of the element's follower held at the membrane
    /// voltage its output pair compares against. The output pair's
    /// reference moves by it, so that the pair sees `v - delta` where the
    /// follower has settled. `atscale realise --cancel-follower-offsets`
    /// measures them on the realisation (`atscale_explore::followers`).
    #[serde(default)]
    pub follower_offsets: Vec<(String, f64)>,
}

/// The follower-integrator of a memristive element's state `x`,
/// `tau dx/dt = v - x`, below threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Followers {
    /// Two nine-pair linearised transconductors, the leak's: `lin(v)` into
    /// the state capacitor and `lin(x)` out of it, each pair against its
    /// reference voltage. `lin(v) - lin(x)` is `v - x` within 1.2e-3
    /// model units wherever `|v|` and `|x|` stay within 3 model V (its
    /// slope at balance is 1.0023, the leak's fit), so the follower is
    /// linear over the whole spike, however far `x` lags. Its run needs a
    /// shunt to ground at every node ([`RunSettings::rshunt_ohm`]): ngspice
    /// only.
    Linearised,
    /// Three pairs comparing `v` and `x` directly, with offsets of ±1.5
    /// model V built into their devices' lengths: three amplifiers, but
    /// the sum bends from `v - x` by up to 28 % within ±3 model V.
    #[default]
    OffsetPairs,
}

impl Followers {
    /// Both kinds.
    pub const ALL: [Followers; 2] = [Followers::Linearised, Followers::OffsetPairs];

    /// The name `--followers` takes.
    pub fn name(self) -> &'static str {
        match self {
            Followers::Linearised => "linearised",
            Followers::OffsetPairs => "offset-pairs",
        }
    }

    /// The kind `name` names ([`Followers::name`]).
    ///
    /// # Errors
    ///
    /// A sentence naming the unknown name and both known ones.
    pub fn from_name(name: &str) -> std::result::Result<Followers, String> {
        named(&Followers::ALL, Followers::name, name, "followers")
    }
}

/// The topology of a realisation's transconductance amplifiers. All four
/// give the same output, `I_b f((V+ - V-)/s)`: the ideal model does not
/// depend on it. They differ in their systematic output offset, the
/// current error that the drain-voltage mismatch of their devices gives at
/// balance, and in their headroom.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Amplifier {
    /// NMOS input pair, PMOS mirror load, tail: the pair's drains sit at
    /// the mirror diode (`vdd - V_SG`) and at the output.
    #[default]
    FiveTransistor,
    /// The five-transistor amplifier with a cascoded PMOS mirror: the
    /// mirror's output device is held at its diode's drain voltage; the
    /// pair's drains still differ (`vdd - 2 V_SG` against the output).
    Cascoded,
    /// The symmetric (current-mirror) amplifier with every mirror
    /// cascoded: each input device drains into its own PMOS diode stack,
    /// so at balance the pair's drains sit at the same voltage; one PMOS
    /// mirror sources the `+` device's current into the output, another
    /// copies the `-` device's into a cascoded NMOS mirror that sinks it.
    Symmetric,
    /// The symmetric amplifier with self-cascoded (composite) mirrors:
    /// every mirror device is a pair in series with one gate, the upper
    /// one [`SELF_CASCODE_WIDTH_RATIO`] times wider, so that the lower one
    /// holds the upper one's source a few `U_T` above the rail. Its output
    /// resistance is near a cascode's, but each diode takes one `V_GS`,
    /// not two: it fits a supply where the stacked diodes do not (sky130's
    /// 1.8 V).
    SelfCascoded,
}

/// The one of `all` whose `name_of` is `name`, else a sentence naming it
/// as an unknown `what` and listing every known name.
fn named<T: Copy>(
    all: &[T],
    name_of: fn(T) -> &'static str,
    name: &str,
    what: &str,
) -> std::result::Result<T, String> {
    all.iter().copied().find(|x| name_of(*x) == name).ok_or_else(|| {
        let known: Vec<String> = all.iter().map(|x| format!("`{}`", name_of(*x))).collect();
        format!("unknown {what} `{name}`, expected one of {}", known.join(", "))
    })
}

/// The most devices in series a long device is drawn as: beyond
/// `sizing.l_max_m` (where a PDK's model bins end) an offset pair's long
/// device is a stack of equal devices with one gate, as long devices are
/// drawn; the characterisation measures such stacks.
pub const MAX_SERIES_SEGMENTS: usize = 8;

/// A device drawn as `k` equal devices in series with one gate: the
/// `(name, drain, source)` of each, `name` at `drain`, then `{name}_s1` ..
/// `{name}_s{k-1}` through nodes `{name}_n1` .., the last at `source`.
pub fn series_chain(name: &str, drain: &str, source: &str, k: usize) -> Vec<(String, String, String)> {
    let node = |j: usize| if j == 0 { drain.to_string() } else { format!("{name}_n{j}") };
    (0..k)
        .map(|j| {
            let device = if j == 0 { name.to_string() } else { format!("{name}_s{j}") };
            (device, node(j), if j + 1 == k { source.to_string() } else { node(j + 1) })
        })
        .collect()
}

/// The upper device of a self-cascoded mirror is this many times wider
/// than the lower one: the lower one's `V_DS` is `U_T ln(1 + ratio)`
/// (weak inversion), 2.2 `U_T`.
pub const SELF_CASCODE_WIDTH_RATIO: f64 = 8.0;

impl Amplifier {
    /// Every topology.
    pub const ALL: [Amplifier; 4] =
        [Amplifier::FiveTransistor, Amplifier::Cascoded, Amplifier::Symmetric, Amplifier::SelfCascoded];

    /// The name `--amplifier` takes.
    pub fn name(self) -> &'static str {
        match self {
            Amplifier::FiveTransistor => "five-transistor",
            Amplifier::Cascoded => "cascoded",
            Amplifier::Symmetric => "symmetric",
            Amplifier::SelfCascoded => "self-cascoded",
        }
    }

    /// The topology `name` names ([`Amplifier::name`]).
    ///
    /// # Errors
    ///
    /// A sentence naming the unknown name and every known one.
    pub fn from_name(name: &str) -> std::result::Result<Amplifier, String> {
        named(&Amplifier::ALL, Amplifier::name, name, "amplifier")
    }

    /// Whether each input device drains into its own mirror (the
    /// symmetric topologies).
    pub fn symmetric(self) -> bool {
        matches!(self, Amplifier::Symmetric | Amplifier::SelfCascoded)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bias_scale: 1.0,
            membrane_trim_a: 0.0,
            membrane_stray_f: 0.0,
            bias: BiasSource::Ideal,
            references: ReferenceSource::Ideal,
            amplifier: Amplifier::FiveTransistor,
            cascode_membrane: false,
            followers: Followers::OffsetPairs,
            follower_offsets: Vec::new(),
        }
    }
}

/// Where the reference voltages of a realisation (model 0 V, `V_ref`, and
/// every pair offset `V_ref + s delta`) come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceSource {
    /// One ideal voltage source per reference voltage.
    #[default]
    Ideal,
    /// Taps of one resistor string from `vdd` to ground ([`Ladder`]): the
    /// segments' resistances are proportional to the voltage differences,
    /// so (the gates drawing no DC current) the taps are exact at DC up to
    /// the sizing grid.
    Ladder,
}

/// The string current of a reference ladder is this many times the
/// largest bias current of the realisation by default: the gates on a tap
/// draw no DC current, so the current only sets how stiff the taps are
/// against the charge the input pairs' gate capacitances couple in (a tap's
/// Thevenin resistance is at most `V_dd / (4 I)`), against leakage, and the
/// string's area (proportional to `1 / I`) and power (`V_dd I`). Ten
/// times the largest bias keeps a tap's Thevenin resistance below a tenth
/// of `V_dd / (4 I_b)` while the string's power stays within a few times
/// the circuit's own.
pub const STRING_CURRENT_PER_BIAS: f64 = 10.0;

/// The largest drawn area of a reference ladder's resistors with the
/// default string current, m² (0.1 mm², a small chip's corner): a larger
/// string raises the default current until its area is this.
pub const STRING_AREA_MAX_M2: f64 = 1e-7;

/// The default string current of a reference ladder, A: the technology's
/// `resistor.string_current_a` when given, else [`STRING_CURRENT_PER_BIAS`]
/// times `i_bias_max`, raised (with a `[resistor]` table) until the drawn
/// area `W^2 V_dd / (R_sq I)` is at most [`STRING_AREA_MAX_M2`].
pub fn string_current(resistor: Option<&Resistor>, supply_v: f64, i_bias_max: f64) -> f64 {
    if let Some(i) = resistor.and_then(|r| r.string_current_a) {
        return i;
    }
    let i = STRING_CURRENT_PER_BIAS * i_bias_max;
    match resistor {
        Some(r) => {
            let i_area = r.width_m * r.width_m * supply_v / (r.sheet_ohm_per_square * STRING_AREA_MAX_M2);
            i.max(i_area)
        }
        None => i,
    }
}

/// One resistor of a reference ladder, bottom (ground) first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Resistance, Ω.
    pub r_ohm: f64,
    /// Drawn length, m (`None` for an ideal resistor).
    pub l_m: Option<f64>,
}

/// The geometry of a string's resistors: sheet resistance, Ω/sq, width,
/// m, the resistance of each segment beside its body (heads), Ω, and the
/// grid lengths are rounded to, m.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StringGeometry {
    /// Sheet resistance, Ω per square.
    pub sheet_ohm: f64,
    /// Width, m.
    pub width_m: f64,
    /// Resistance of each segment beside `sheet L / W`, Ω.
    pub end_ohm: f64,
    /// Length grid, m.
    pub grid_m: f64,
}

/// The segments of a resistor string from ground through taps at `taps_v`
/// (ascending, inside `(0, supply_v)`) to the supply, for a string current
/// `current_a`: resistances `dV / I`; with a `geometry` each length is
/// `(dV / I - R_end) W / R_sq` rounded to the grid (at least one grid
/// step) and the resistance `R_end + R_sq L / W`.
pub fn string_segments(
    supply_v: f64,
    taps_v: &[f64],
    current_a: f64,
    geometry: Option<StringGeometry>,
) -> Vec<Segment> {
    let bounds: Vec<f64> = std::iter::once(0.0).chain(taps_v.iter().copied()).chain([supply_v]).collect();
    bounds
        .windows(2)
        .map(|w| {
            let r = (w[1] - w[0]) / current_a;
            match geometry {
                None => Segment { r_ohm: r, l_m: None },
                Some(g) => {
                    let l = on_grid(
                        ((r - g.end_ohm) / g.sheet_ohm * g.width_m).max(g.grid_m),
                        g.grid_m,
                        f64::round,
                    );
                    Segment { r_ohm: g.end_ohm + g.sheet_ohm * l / g.width_m, l_m: Some(l) }
                }
            }
        })
        .collect()
}

/// The tap voltages of a string of `segments` (bottom first) across `supply_v`, V.
pub fn tap_voltages(supply_v: f64, segments: &[Segment]) -> Vec<f64> {
    let total: f64 = segments.iter().map(|s| s.r_ohm).sum();
    let mut below = 0.0;
    let mut taps = Vec::new();
    for s in &segments[..segments.len().saturating_sub(1)] {
        below += s.r_ohm;
        taps.push(supply_v * below / total);
    }
    taps
}

/// One tap of a reference ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderTap {
    /// Its node.
    pub node: String,
    /// The reference it realises, model V (0 for `V_ref`).
    pub offset_model_v: f64,
    /// The voltage asked for, V.
    pub target_v: f64,
    /// The voltage the segments' resistances give at DC, V.
    pub realised_v: f64,
    /// `realised - target`, V.
    pub error_v: f64,
    /// The error in model volts.
    pub error_model_v: f64,
}

/// One resistor of the reference ladder as placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderSegment {
    /// Element name.
    pub name: String,
    /// Resistance, Ω.
    pub r_ohm: f64,
    /// Drawn width and length, m (`None` for an ideal resistor).
    pub w_l_m: Option<(f64, f64)>,
}

/// The on-chip reference ladder of a realisation (`--references ladder`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ladder {
    /// The string current asked for, A.
    pub string_current_a: f64,
    /// Total resistance, Ω.
    pub total_ohm: f64,
    /// Current the string draws from the supply, A (`V_dd / R_total`; the
    /// supply `Vdd` delivers it, so it counts in the energy per spike).
    pub supply_current_a: f64,
    /// Drawn area of the resistors (width times total length), m²; `None`
    /// for ideal resistors (the technology gives no `[resistor]` table).
    pub area_m2: Option<f64>,
    /// Each tap, ascending.
    pub taps: Vec<LadderTap>,
    /// The segments, bottom first.
    pub segments: Vec<LadderSegment>,
    /// The PDK's resistor device the segments are instances of, if any.
    pub subckt: Option<ResistorSubckt>,
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
/// Name of the diode-connected NMOS stacked on [`REF_DIODE_N`] that biases
/// the cascode of an NMOS membrane mirror ([`Options::cascode_membrane`]).
pub const REF_CASCODE_N: &str = "Mref_nc";
/// Name of the diode-connected PMOS under [`REF_DIODE_P`] that biases the
/// cascode of a PMOS membrane mirror.
pub const REF_CASCODE_P: &str = "Mref_pc";
/// Gate node of an NMOS membrane mirror's cascode.
pub const CASCODE_NODE_N: &str = "ncas";
/// Gate node of a PMOS membrane mirror's cascode.
pub const CASCODE_NODE_P: &str = "pcas";

/// What a reported device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceKind {
    /// An NMOS transistor.
    #[serde(rename = "nmos")]
    Nmos,
    /// A PMOS transistor.
    #[serde(rename = "pmos")]
    Pmos,
    /// A capacitor.
    #[serde(rename = "capacitor")]
    Capacitor,
    /// An ideal current source.
    #[serde(rename = "current source")]
    CurrentSource,
    /// An ideal voltage source.
    #[serde(rename = "voltage source")]
    VoltageSource,
    /// A resistor (W, L and the number of squares with a `[resistor]` table).
    #[serde(rename = "resistor")]
    Resistor,
}

impl DeviceKind {
    /// The transistor kind of a device of given polarity.
    pub fn mos(pmos: bool) -> DeviceKind {
        if pmos {
            DeviceKind::Pmos
        } else {
            DeviceKind::Nmos
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Nmos => "nmos",
            DeviceKind::Pmos => "pmos",
            DeviceKind::Capacitor => "capacitor",
            DeviceKind::CurrentSource => "current source",
            DeviceKind::VoltageSource => "voltage source",
            DeviceKind::Resistor => "resistor",
        })
    }
}

/// What a bias current biases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Biased {
    /// The tail of an amplifier's input pair.
    Tail,
    /// The membrane (a design's DC bias current).
    Membrane,
}

/// The role of a device in its block. Reports show it as text
/// (`input pair +`, `tail bias (mirror)`, ...), written by [`fmt::Display`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// An input device of a differential pair (`plus`: the `+` input).
    InputPair {
        /// The `+` input.
        plus: bool,
    },
    /// The short input device of a pair with a built-in offset.
    OffsetShort {
        /// The `+` input.
        plus: bool,
        /// The offset realised after the lengths are snapped, model V.
        offset: f64,
    },
    /// The long input device of a pair with a built-in offset.
    OffsetLong {
        /// The `+` input.
        plus: bool,
        /// Its length over the short device's.
        length_ratio: f64,
    },
    /// The diode-connected device of an amplifier's PMOS mirror load.
    MirrorDiode,
    /// The output device of an amplifier's PMOS mirror load.
    MirrorOutput,
    /// The cascode on a mirror's diode (diode-connected, in series).
    MirrorCascodeDiode,
    /// The cascode on a mirror's output.
    MirrorCascodeOutput,
    /// A bias current and where it comes from.
    Bias {
        /// What it biases.
        of: Biased,
        /// An ideal source or a mirror transistor.
        source: BiasSource,
    },
    /// A reference voltage source for a pair offset, model V.
    Reference {
        /// The offset, model V.
        offset: f64,
    },
    /// The ideal reference current of the mirrors.
    MirrorReference,
    /// The diode-connected NMOS the mirrors copy.
    MirrorReferenceDiode,
    /// The NMOS copying the reference into the PMOS diode.
    MirrorReferenceToPmos,
    /// The diode-connected PMOS the PMOS mirrors copy.
    MirrorReferencePmosDiode,
    /// The diode stacked on a reference diode that sets the membrane
    /// mirror's cascode gate.
    MirrorReferenceCascode,
    /// The cascode on the membrane's bias mirror.
    MembraneMirrorCascode,
    /// The membrane capacitor.
    MembraneCapacitor,
    /// A follower-integrator's state capacitor.
    StateCapacitor,
    /// The state capacitor of the recovery branch.
    RecoveryStateCapacitor,
    /// The membrane trim source.
    Trim,
    /// A segment of the reference ladder.
    LadderSegment {
        /// Its length over its width (`NaN` for an ideal resistor).
        squares: f64,
    },
}

impl Role {
    /// Whether the device is a bias mirror (sized by [`resize_mirror`]).
    pub fn is_mirror(self) -> bool {
        matches!(self, Role::Bias { source: BiasSource::Mirrors, .. })
    }
}

fn sign(plus: bool) -> &'static str {
    if plus {
        "+"
    } else {
        "-"
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Role::InputPair { plus } => write!(f, "input pair {}", sign(plus)),
            Role::OffsetShort { plus, offset } => {
                write!(f, "input pair {} (offset {offset:.4} model V)", sign(plus))
            }
            Role::OffsetLong { plus, length_ratio } => {
                write!(f, "input pair {} (long: length ratio {length_ratio:.3})", sign(plus))
            }
            Role::MirrorDiode => f.write_str("mirror (diode)"),
            Role::MirrorOutput => f.write_str("mirror (output)"),
            Role::MirrorCascodeDiode => f.write_str("mirror cascode (diode)"),
            Role::MirrorCascodeOutput => f.write_str("mirror cascode (output)"),
            Role::Bias { of, source } => {
                let of = match of {
                    Biased::Tail => "tail",
                    Biased::Membrane => "membrane",
                };
                let source = match source {
                    BiasSource::Ideal => "ideal source",
                    BiasSource::Mirrors => "mirror",
                };
                write!(f, "{of} bias ({source})")
            }
            Role::Reference { offset } => write!(f, "reference for offset {offset} model V"),
            Role::MirrorReference => f.write_str("mirror reference (ideal source)"),
            Role::MirrorReferenceDiode => f.write_str("mirror reference (diode)"),
            Role::MirrorReferenceToPmos => f.write_str("mirror of the reference into the PMOS diode"),
            Role::MirrorReferencePmosDiode => f.write_str("mirror reference (PMOS diode)"),
            Role::MirrorReferenceCascode => f.write_str("mirror reference (cascode bias diode)"),
            Role::MembraneMirrorCascode => f.write_str("membrane bias (mirror cascode)"),
            Role::MembraneCapacitor => f.write_str("membrane capacitor"),
            Role::StateCapacitor => f.write_str("state capacitor"),
            Role::RecoveryStateCapacitor => f.write_str("recovery state capacitor"),
            Role::Trim => f.write_str("membrane trim (ideal source)"),
            Role::LadderSegment { squares } if squares.is_nan() => {
                f.write_str("reference ladder segment (ideal resistor)")
            }
            Role::LadderSegment { squares } => write!(f, "reference ladder segment ({squares:.1} squares)"),
        }
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

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

impl RealisedScales {
    /// The scales as one line with units, for reports and netlist headers.
    pub fn describe(&self) -> String {
        use atscale_circuit::units::si;
        format!(
            "model volt s = {} (design: {}), omega = {}, C0 = {}, unit current {}, model 0 V at {}",
            si(self.s_volt, "V"),
            si(self.design_s_volt, "V"),
            si(self.omega_s, "s"),
            si(self.c0_farad, "F"),
            si(self.current_a, "A"),
            si(self.v_ref_v, "V")
        )
    }
}

/// One device of a realisation, as the sizing report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceReport {
    /// Device name in the netlist.
    pub name: String,
    /// What it is.
    pub kind: DeviceKind,
    /// The design element it realises (`Rf`, `Msp`, ...; `bias` for shared sources).
    pub element: String,
    /// Its role (`input pair +`, `mirror load`, `tail bias`, `state capacitor`, ...).
    pub role: Role,
    /// Width, m (transistors).
    pub w_m: Option<f64>,
    /// Length, m (transistors).
    pub l_m: Option<f64>,
    /// Devices in parallel of that width and length (SPICE's `M`; bias
    /// mirrors, [`mirror_size`]); `None`: one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingers: Option<u32>,
    /// Drain current at balance (transistors) or source current, A.
    pub current_a: Option<f64>,
    /// Capacitance, F (capacitors), voltage, V (voltage sources), or resistance, Ω (resistors).
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
    /// The seed of the models' random draws (`.options seed`), for a
    /// statistical library section.
    pub seed: Option<u64>,
    /// A resistance from every node to ground, Ω (ngspice's `rshunt`):
    /// with linearised followers ([`Followers::Linearised`]), whose deeply
    /// unbalanced pairs leave branches at femtoamperes, ngspice's operating
    /// point does not converge without it. It draws at most 1 % of the
    /// smallest bias (halved) at the full supply.
    #[serde(default)]
    pub rshunt_ohm: Option<f64>,
}

/// A design realised in transistors.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The on-chip reference ladder (`--references ladder`), if any.
    pub ladder: Option<Ladder>,
    /// The transient run.
    pub run: RunSettings,
    /// The behavioural model of the realisation in model units: the design's
    /// mother with every element replaced by the ideal characteristic of
    /// its block (tanh, or the square-law pair above threshold; followers
    /// that slew as `tanh(v - x)`), simulated to predict the transistor
    /// circuit's rate.
    pub ideal_model: FlatCircuit,
    /// What the realisation does not model as the ideal model assumes, by
    /// name (today: plain input pairs biased below `limits.bias_min_a`,
    /// sized longer than the unit device the pairs' kappa is measured on);
    /// reports and the CLI repeat them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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

pub(super) fn pair_expr(region: Region, x: Expr) -> Expr {
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
    follower_weights_over(&FOLLOWER_OFFSETS, 60)
}

/// [`follower_weights`] for other `offsets`, fitted on `|u| <= half / 20`
/// (the follower characteristics `examples/follower_linearity.rs` compares).
///
/// # Errors
///
/// [`Error::FitFailed`] if the fit is singular or has no positive slope at 0.
pub fn follower_weights_over(offsets: &[f64], half: i32) -> Result<Vec<f64>> {
    let w = linear_weights(Region::Subthreshold, offsets, half)?;
    let slope: f64 = offsets.iter().zip(&w).map(|(d, wj)| wj / d.cosh().powi(2)).sum();
    if slope.is_nan() || slope <= 0.0 {
        return Err(Error::FitFailed {
            samples: usize::try_from(2 * half + 1).unwrap_or(0),
            basis: offsets.len(),
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
/// for a bias scale that is not positive or a trim that is not finite.
pub fn realise(design: &Design, tech: &Technology, opts: &Options) -> Result<Realisation> {
    check_options(tech, opts)?;
    let scales = realised_scales(design, tech, opts);
    let mut b = Builder::new(tech, scales, design.membrane.clone(), (opts.bias, opts.references));
    b.amplifier = opts.amplifier;
    b.cascode_membrane = opts.cascode_membrane && opts.bias == BiasSource::Mirrors;
    b.followers = opts.followers;
    b.follower_offsets.clone_from(&opts.follower_offsets);
    let recovery = Recovery::of(design);
    for e in &design.mother.elements {
        match &recovery {
            Some(r) if r.inductor == e.name => b.recovery(e, r)?,
            Some(r) if r.consumed.contains(&e.name) => {}
            _ => b.element(e)?,
        }
    }
    if let Some((name, _)) = opts.follower_offsets.iter().find(|(n, _)| !b.offsets_used.contains(n)) {
        return Err(Error::Unrealisable {
            element: name.clone(),
            reason: "a follower offset is given for it, but it has no linearised follower (a memristive \
                     element's, with linearised followers, below threshold)"
                .into(),
        });
    }
    b.finish_mirrors()?;
    let ladder = b.finish_references()?;
    b.trim(opts.membrane_trim_a);
    b.compensate_membrane(opts.membrane_stray_f)?;
    let shunt = b.linearised_followers;
    let run = run_settings(design, tech, &b.devices, std::mem::take(&mut b.ic), (scales.omega_s, shunt));
    let s = scales.s_volt;
    let warnings = uncharacterised_pairs(tech, &b.devices);
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
    Ok(Realisation {
        technology: tech.name.clone(),
        temperature_c: tech.temperature_c,
        library,
        device_subckts: tech.nmos_subckt.iter().chain(tech.pmos_subckt.iter()).cloned().collect(),
        template: design.template.clone(),
        circuit,
        membrane: design.membrane.clone(),
        scales,
        options: opts.clone(),
        threshold_v: scales.v_ref_v + s * (design.event.threshold_v / design.scales.s_volt),
        hysteresis_v: s * (design.event.hysteresis_v / design.scales.s_volt),
        blocks: b.blocks,
        devices: b.devices,
        ladder,
        run,
        ideal_model: FlatCircuit {
            title: format!("ideal model of the {} realisation", design.template),
            models: Vec::new(),
            elements: b.ideal,
        },
        warnings,
    })
}

/// A warning per element whose plain input pairs ([`Role::InputPair`]) are
/// not the device the technology's pair kappa is measured on (one square
/// of `sizing.l_m`; an offset pair's devices are sized by the offset
/// length factor, measured on its own bench, and not checked here):
/// below `limits.bias_min_a` the sizing makes every device of an amplifier
/// narrower than a square, and longer, and a longer pair has another kappa,
/// so its `tanh` has another width than the ideal model's (sky130-hv's
/// 7.04 µm pairs at 4.3 pA: 72 mV where the model volt is 105.8 mV).
fn uncharacterised_pairs(tech: &Technology, devices: &[DeviceReport]) -> Vec<String> {
    if tech.region != Region::Subthreshold {
        return Vec::new();
    }
    let unit = tech.sizing.l_m;
    let mut long: Vec<(&str, usize, f64, f64)> = Vec::new();
    for d in devices.iter().filter(|d| matches!(d.role, Role::InputPair { .. })) {
        let Some(l) = d.l_m.filter(|l| (l / unit - 1.0).abs() > 1e-6) else { continue };
        match long.iter_mut().find(|e| e.0 == d.element) {
            Some(e) => *e = (e.0, e.1 + 1, e.2.min(l), e.3.max(l)),
            None => long.push((&d.element, 1, l, l)),
        }
    }
    long.into_iter()
        .map(|(element, n, lo, hi)| {
            let lengths = if hi > lo { format!("{} to {}", si(lo, "m"), si(hi, "m")) } else { si(lo, "m") };
            format!(
                "{element}: {n} input-pair devices are {lengths} long, biased below limits.bias_min_a = \
                 {}; the pairs' kappa is measured on {} devices (sizing.l_m), so their tanh is not as \
                 wide as the ideal model's model volt",
                si(tech.limits.bias_min_a, "A"),
                si(unit, "m")
            )
        })
        .collect()
}

fn check_options(tech: &Technology, opts: &Options) -> Result<()> {
    if !(opts.bias_scale > 0.0 && opts.bias_scale.is_finite()) {
        return Err(Error::BadParameter {
            name: "bias scale".into(),
            requirement: "positive and finite",
            value: opts.bias_scale,
        });
    }
    if !(opts.membrane_stray_f >= 0.0 && opts.membrane_stray_f.is_finite()) {
        return Err(Error::BadParameter {
            name: "membrane stray capacitance".into(),
            requirement: "positive or zero and finite",
            value: opts.membrane_stray_f,
        });
    }
    if !opts.membrane_trim_a.is_finite() {
        return Err(Error::BadParameter {
            name: "membrane trim".into(),
            requirement: "finite",
            value: opts.membrane_trim_a,
        });
    }
    if tech.region == Region::Subthreshold && tech.subthreshold.is_none() {
        return Err(Error::BadTemplate {
            template: "technology",
            reason: format!(
                "{} measures its subthreshold parameters on its models (`[subthreshold] measure = true`): \
                 characterise it first (`atscale realise` does, with ngspice)",
                tech.name
            ),
        });
    }
    if opts.bias == BiasSource::Mirrors && tech.region != Region::Subthreshold {
        return Err(Error::Unrealisable {
            element: "bias".into(),
            reason: "current mirrors are realised below threshold only (a subthreshold technology)".into(),
        });
    }
    Ok(())
}

/// The design's time scale and capacitance, the technology's model volt.
fn realised_scales(design: &Design, tech: &Technology, opts: &Options) -> RealisedScales {
    let s = tech.model_volt();
    let omega = design.scales.omega_s / opts.bias_scale;
    let c0 = design.scales.c0_farad;
    RealisedScales {
        s_volt: s,
        design_s_volt: design.scales.s_volt,
        omega_s: omega,
        c0_farad: c0,
        current_a: s * c0 / omega,
        v_ref_v: tech.supply_v / 2.0,
    }
}

/// The run: the design's measuring window, a fine maximum step, tolerances for picoamperes.
fn run_settings(
    design: &Design,
    tech: &Technology,
    devices: &[DeviceReport],
    ic: Vec<(String, f64)>,
    (omega, shunt): (f64, bool),
) -> RunSettings {
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
    let i_min = devices
        .iter()
        .filter(|d| (d.kind == DeviceKind::CurrentSource && d.name != TRIM_SOURCE) || d.role.is_mirror())
        .filter_map(|d| d.current_a)
        .map(|i| i.abs() / 2.0)
        .fold(f64::INFINITY, f64::min);
    RunSettings {
        tstop_s: tstop_model * omega,
        tmax_s: tmax_model * omega,
        gmin_s: (i_min * 1e-4 / tech.supply_v).min(1e-12),
        abstol_a: (i_min * 1e-4).min(1e-12),
        chgtol_c: (i_min * 1e-4 * tmax_model * omega).min(1e-14),
        reltol: 1e-4,
        ic,
        seed: None,
        rshunt_ohm: shunt.then(|| tech.supply_v / (i_min * 1e-2)),
    }
}

impl Realisation {
    /// Whether a linearised follower was built: exactly then the run has a
    /// shunt ([`RunSettings::rshunt_ohm`]).
    pub fn has_linearised_followers(&self) -> bool {
        self.run.rshunt_ohm.is_some()
    }

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

    /// The transistor circuit with the blocks of the design's `elements`
    /// (`Gl`, `Msp`, ...) replaced by their part of the ideal model, in
    /// physical units at the realisation's scales and reference voltage:
    /// which block makes the circuit depart from its ideal model. Every
    /// device the report gives to one of `elements` goes; the ideal model's
    /// elements of each (`<name>` itself, `B<name>`, `B<name>_f`,
    /// `C<name>_x`, and the recovery branch's `<name>_y` state) come in.
    ///
    /// # Errors
    ///
    /// [`Error::IdealBlock`] for a name no block realises (the message lists
    /// them) or an ideal element that cannot move to the reference voltage.
    pub fn with_ideal_blocks(&self, elements: &[String]) -> Result<FlatCircuit> {
        let mut realised: Vec<&str> = Vec::new();
        for d in &self.devices {
            // Shared references and mirrors, and the trim, have no part in the ideal model.
            if !matches!(d.element.as_str(), "bias" | "trim") && !realised.contains(&d.element.as_str()) {
                realised.push(&d.element);
            }
        }
        for e in elements {
            if !realised.contains(&e.as_str()) {
                return Err(Error::IdealBlock {
                    element: e.clone(),
                    reason: format!("no block realises it; this realisation's are {}", realised.join(", ")),
                });
            }
        }
        let chosen = |e: &str| elements.iter().any(|x| x == e);
        let gone: std::collections::HashSet<&str> =
            self.devices.iter().filter(|d| chosen(&d.element)).map(|d| d.name.as_str()).collect();
        let mut ideal = self.ideal_model.clone();
        ideal.elements.retain(|i| elements.iter().any(|e| ideal_part_of(e, &i.name)));
        let scales = crate::scaling::Scales {
            s_volt: self.scales.s_volt,
            omega_s: self.scales.omega_s,
            c0_farad: self.scales.c0_farad,
            epsilon_m: 1.0,
        };
        let physical = crate::scaling::to_physical(&ideal, &scales)?;
        let mut moved = crate::scaling::with_reference(&physical, self.scales.v_ref_v)?;
        let states: Vec<&str> = (self.devices.iter())
            .filter(|d| {
                chosen(&d.element) && matches!(d.role, Role::StateCapacitor | Role::RecoveryStateCapacitor)
            })
            .map(|d| d.name.as_str())
            .collect();
        let replaced: Vec<&Element<f64>> =
            self.circuit.elements.iter().filter(|e| states.contains(&e.name.as_str())).collect();
        with_realised_state_capacitance(&mut moved.elements, &replaced);
        let mut c = self.circuit.clone();
        c.elements.retain(|e| !gone.contains(e.name.as_str()));
        c.elements.extend(moved.elements);
        Ok(c)
    }

    /// [`Realisation::netlist_circuit`] for another circuit of this
    /// realisation (a trim probe or the mirror bank).
    pub fn to_circuit(&self, flat: &FlatCircuit) -> Circuit {
        let mut c = with_subckt_devices(flat, &self.device_subckts);
        if let Some(l) = &self.ladder {
            with_subckt_resistors(&mut c, l);
        }
        c
    }
}

/// Gives each ideal state node the capacitance the block's `replaced` state
/// capacitor had on it, and scales every other ideal element on the node (the follower's
/// current into it) alike, so that its dynamics stay the ideal model's
/// while what the rest of the run puts on the node loads it as it loads the
/// transistor circuit: the run's `rshunt` above all, which at the ideal
/// model's unit capacitance (1 pF for a 50 pF state) draws fifty times the
/// follower's share (sky130-hv's burster, every block ideal: 14 spikes per
/// 478.3 ms at 1 pF, 13 per 499.9 ms at the realised capacitors, against
/// the ideal model's 13 per 500.3 ms). A source between two state nodes
/// would take the first one's ratio; no block builds one.
fn with_realised_state_capacitance(ideal: &mut [Element<f64>], replaced: &[&Element<f64>]) {
    let realised = |node: &str| {
        replaced.iter().find_map(|e| match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, .. } if p == node && n == "0" => Some(*c_farad),
            _ => None,
        })
    };
    let mut ratios: Vec<(String, f64)> = Vec::new();
    for e in ideal.iter_mut() {
        if let ElementKind::Capacitor { p, n, c_farad, .. } = &mut e.kind {
            if let (Some(c), "0") = (realised(p), n.as_str()) {
                ratios.push((p.clone(), c / *c_farad));
                *c_farad = c;
            }
        }
    }
    for e in ideal.iter_mut() {
        if let ElementKind::BehaviouralCurrent { p, n, expr } = &mut e.kind {
            if let Some((_, r)) = ratios.iter().find(|(node, _)| node == p || node == n) {
                *expr = Expr::Num(*r) * expr.clone();
            }
        }
    }
}

/// Whether the ideal model's element `ideal` belongs to design element
/// `element`: the names the blocks give them (`blocks.rs`).
fn ideal_part_of(element: &str, ideal: &str) -> bool {
    let own = [
        element.to_string(),
        format!("B{element}"),
        format!("B{element}_f"),
        format!("C{element}_x"),
        format!("B{element}_y"),
        format!("C{element}_y"),
    ];
    own.iter().any(|n| n == ideal)
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
    let recovery = Recovery::of(design);
    // The recovery branch in steady state carries (v - V_b) / R.
    let mut i = recovery.as_ref().map_or(0.0, |r| (v - r.vb) / r.r);
    let consumed = recovery.map(|r| r.consumed).unwrap_or_default();
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
            _ => {
                return Err(super::blocks::unsupported(
                    e,
                    "no steady-state current (not a realisable element)",
                ))
            }
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
    let bias_mirrors: Vec<&str> = r
        .devices
        .iter()
        .filter(|d| matches!(d.role, MEMBRANE_MIRROR | Role::MembraneMirrorCascode))
        .map(|d| d.name.as_str())
        .collect();
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

const MEMBRANE_MIRROR: Role = Role::Bias { of: Biased::Membrane, source: BiasSource::Mirrors };

/// Whether a reported device is a bias mirror (sized by [`resize_mirror`]).
pub fn is_mirror(d: &DeviceReport) -> bool {
    d.role.is_mirror()
}

/// The mirror bank of a mirror-biased realisation on its own: the reference
/// source and diodes, and every bias mirror with its drain held by a
/// voltage source `Vp<device>` at `drain_v(device)` (where the realisation
/// puts it; `V_ref` for `None`), so that `i(Vp<device>)` at the DC
/// operating point is the current the mirror carries (a sink's is positive,
/// a PMOS source's negative). Geometry effects the sizing's `W/L` rule does
/// not know (narrow-width and short-channel threshold shifts; the BSIM4
/// cards of `generic-bsim4` keep the default narrow-width effect) show up as the measured current's deviation from the
/// reported one. Returns the circuit and the `(device, source)` names, or
/// `None` without mirrors.
pub fn mirror_probe(
    r: &Realisation,
    drain_v: &dyn Fn(&str) -> Option<f64>,
) -> Option<(FlatCircuit, Vec<(String, String)>)> {
    let mirrors: Vec<&str> = r.devices.iter().filter(|d| is_mirror(d)).map(|d| d.name.as_str()).collect();
    if mirrors.is_empty() {
        return None;
    }
    let keep = ["Vdd", REF_SOURCE, REF_DIODE_N, REF_DIODE_P, "Mref_pn", REF_CASCODE_N, REF_CASCODE_P];
    let mut elements = Vec::new();
    let mut probes = Vec::new();
    for e in &r.circuit.elements {
        if keep.contains(&e.name.as_str()) {
            elements.push(e.clone());
        } else if let (true, ElementKind::Mosfet { d: _, g, s, b, model, w_m, l_m, instance }) =
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
                    instance: instance.clone(),
                },
            ));
            elements.push(el(
                src.clone(),
                ElementKind::VoltageSource {
                    p: node,
                    n: "0".into(),
                    waveform: Waveform::Dc { value: drain_v(&e.name).unwrap_or(r.scales.v_ref_v) },
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

/// Fingers of the reference diodes (where the technology draws fingers):
/// a mirror of the reference's current is this many fingers of the unit
/// device, so that its rounding to whole fingers leaves at most 1/16 of
/// its current for its length to make up ([`mirror_size`]; a smaller
/// mirror has fewer fingers and a longer length share).
pub const MIRROR_REFERENCE_FINGERS: u32 = 8;

/// Most fingers of one bias mirror; a mirror that would need more is
/// refused ([`mirror_size`]).
pub const MAX_MIRROR_FINGERS: u32 = 1024;

/// The unit device of the bias mirrors: the reference diodes' width and
/// length, `sizing.l_m` wide (no narrower than `sizing.w_min_m`) and
/// `sizing.mirror_l_m` long (default `sizing.l_m`: square).
pub fn mirror_unit(tech: &Technology) -> (f64, f64) {
    let sz = &tech.sizing;
    let w = sz.on_grid(sz.l_m.max(sz.w_min_m), f64::ceil).min(sz.w_max_m);
    (w, sz.mirror_l_m.unwrap_or(sz.l_m))
}

/// A bias mirror's geometry: `fingers` devices in parallel (SPICE's `M`),
/// each `w_m` wide and `l_m` long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MirrorSize {
    /// Width of one finger, m: the unit's ([`mirror_unit`]).
    pub w_m: f64,
    /// Length, m.
    pub l_m: f64,
    /// Devices in parallel.
    pub fingers: u32,
}

/// The geometry of a mirror device of `W/L = w_eq / l_unit` (the unit's length), drawn
/// from the unit device ([`mirror_unit`]): as many fingers of the unit's
/// width as `w_eq` holds units (rounded, at least one), and the length
/// that makes up the rest (`l_m · fingers · w_unit / w_eq`; below one unit,
/// one finger that much longer). No finger is narrower or wider than the
/// unit: a PDK's models are binned by width (sky130's PMOS at 0.8 µm long
/// carries 129 pA 0.8 µm wide and 97 pA 8.87 µm wide at the same gate,
/// measured), and narrow devices shift their threshold, so widths do not
/// scale a current; fingers of one width do, and lengths within a bin
/// scale it smoothly. A device that cannot be drawn as fingers
/// ([`Technology::fingers`]) is one device `w_eq` wide instead (still no
/// narrower than the unit). The error names the limit it would break:
/// more than [`MAX_MIRROR_FINGERS`] fingers or a width beyond
/// `sizing.w_max_m`, a length beyond `sizing.l_max_m`.
pub fn mirror_size(
    tech: &Technology,
    pmos: bool,
    w_eq: f64,
) -> std::result::Result<MirrorSize, (&'static str, f64)> {
    let sz = &tech.sizing;
    let (w_unit, l_unit) = mirror_unit(tech);
    let units = w_eq / w_unit;
    let snap = |x: f64| sz.on_grid(x, f64::round);
    if !tech.fingers(pmos) {
        if !(units.is_finite() && units > 0.0) || w_eq > sz.w_max_m {
            return Err(("sizing.w_max_m", sz.w_max_m));
        }
        let (w_m, l_m) = if units >= 1.0 { (snap(w_eq), l_unit) } else { (w_unit, snap(l_unit / units)) };
        if l_m > sz.l_max_m {
            return Err(("sizing.l_max_m", sz.l_max_m));
        }
        return Ok(MirrorSize { w_m, l_m, fingers: 1 });
    }
    if !(units.is_finite() && units > 0.0) || units.round() > f64::from(MAX_MIRROR_FINGERS) {
        return Err(("fingers", f64::from(MAX_MIRROR_FINGERS)));
    }
    let fingers = units.round().max(1.0);
    let l_m = snap(l_unit * fingers / units);
    if l_m > sz.l_max_m {
        return Err(("sizing.l_max_m", sz.l_max_m));
    }
    Ok(MirrorSize { w_m: w_unit, l_m, fingers: fingers as u32 })
}

/// [`mirror_size`] for the mirror `device` carrying `current_a`, its
/// error as [`Error::Limit`] naming the device and the limit.
///
/// # Errors
///
/// [`Error::Limit`] when the device would be wider or longer than the technology allows.
pub fn mirror_geometry(
    tech: &Technology,
    (device, pmos): (&str, bool),
    current_a: f64,
    w_eq: f64,
) -> Result<MirrorSize> {
    mirror_size(tech, pmos, w_eq).map_err(|(limit, bound)| {
        let outside = match limit {
            "fingers" => format!("more than {bound} fingers of the unit device"),
            _ => format!("a device outside the technology's {limit} = {}", si(bound, "m")),
        };
        Error::Limit {
            device: device.into(),
            limit,
            message: format!(
                "mirror W/L = {:.3e} (for {}) needs {outside}; the biases span too wide a range for one \
                 reference, use ideal sources",
                w_eq / mirror_unit(tech).1,
                si(current_a, "A"),
            ),
        }
    })
}

/// A mirror's `W/L` (all its fingers) as a width at the unit's length
/// ([`mirror_unit`]), m: what [`mirror_size`] and [`resize_mirror`] take
/// (`None` for a device without a size).
pub fn mirror_equivalent_width(tech: &Technology, d: &DeviceReport) -> Option<f64> {
    Some(d.w_m? * f64::from(d.fingers.unwrap_or(1)) * mirror_unit(tech).1 / d.l_m?)
}

/// Gives the mirror device `device` of `r` the `W/L` of `w_eq` over the unit's length
/// ([`mirror_size`]), keeping its report's inversion coefficient in step.
///
/// # Errors
///
/// [`Error::Limit`] when it would be wider than the technology allows, or
/// longer; [`Error::Unrealisable`] when `device` is not a bias mirror of `r`.
pub fn resize_mirror(r: &mut Realisation, tech: &Technology, device: &str, w_eq: f64) -> Result<()> {
    let d = r.devices.iter().find(|d| d.name == device);
    let (current, pmos) = (d.and_then(|d| d.current_a), d.is_some_and(|d| d.kind == DeviceKind::Pmos));
    let size = mirror_geometry(tech, (device, pmos), current.unwrap_or(f64::NAN), w_eq)?;
    set_mirror(r, device, size)
}

/// The geometry of the bias mirror `d` (`None` for a device without a size).
pub fn mirror_size_of(d: &DeviceReport) -> Option<MirrorSize> {
    Some(MirrorSize { w_m: d.w_m?, l_m: d.l_m?, fingers: d.fingers.unwrap_or(1) })
}

/// Gives the bias mirror `device` of `r` the geometry `size`, keeping its
/// report's inversion coefficient in step.
///
/// # Errors
///
/// [`Error::Unrealisable`] when `device` is not a bias mirror of `r`.
pub fn set_mirror(r: &mut Realisation, device: &str, size: MirrorSize) -> Result<()> {
    let Some(d) = r.devices.iter_mut().find(|d| d.name == device && is_mirror(d)) else {
        return Err(Error::Unrealisable { element: device.into(), reason: "not a bias mirror".into() });
    };
    let w_over_l = |m: MirrorSize| m.w_m * f64::from(m.fingers) / m.l_m;
    let old = mirror_size_of(d).map_or(w_over_l(size), w_over_l);
    d.inversion = d.inversion.map(|ic| ic * old / w_over_l(size));
    d.w_m = Some(size.w_m);
    d.l_m = Some(size.l_m);
    d.fingers = (size.fingers > 1).then_some(size.fingers);
    for e in r.circuit.elements.iter_mut().filter(|e| e.name == device) {
        if let ElementKind::Mosfet { w_m, l_m, instance, .. } = &mut e.kind {
            (*w_m, *l_m) = (size.w_m, size.l_m);
            instance.m = (size.fingers > 1).then_some(f64::from(size.fingers));
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

/// The step of [`current_sensitivity`]: 1 % of the unit current.
pub const SENSITIVITY_STEP_MODEL: f64 = 0.01;

/// How the ideal model's period moves when a DC current is added to its
/// membrane: what a static current error of the transistor circuit (its
/// amplifiers' systematic offsets, mismatch, leakage) does to the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// The period measured: `burst period` (bursting) or `spike period`.
    pub metric: String,
    /// The current added into the membrane, A (and its negative).
    pub step_a: f64,
    /// The step in model units of current.
    pub step_model: f64,
    /// Relative change of the period with `+step_a` into the membrane
    /// (`None`: no period there: the model stops spiking or bursting).
    pub plus: Option<f64>,
    /// Relative change of the period with `-step_a`.
    pub minus: Option<f64>,
}

/// Runs the ideal model of `r` with `±step_model` model units of DC current
/// added into its membrane and compares its period (the burst period of a
/// burster, else the spike period) with `base`'s, as [`predict`] measures
/// them. `None` when `base` has no period.
///
/// # Errors
///
/// [`Error::Sim`] if the native solver fails.
pub fn current_sensitivity(
    r: &Realisation,
    base: &Prediction,
    (threshold_model, hysteresis_model): (f64, f64),
    tstop_model: f64,
    step_model: f64,
) -> Result<Option<Sensitivity>> {
    let period = |p: &Prediction| p.burst_period_s.or(p.rate_hz.map(|f| 1.0 / f));
    let (metric, Some(t0)) =
        (if base.burst_period_s.is_some() { "burst period" } else { "spike period" }, period(base))
    else {
        return Ok(None);
    };
    let run = |value: f64| -> Result<Option<f64>> {
        let mut c = r.ideal_model.clone();
        c.elements.push(el(
            "Isensitivity".into(),
            ElementKind::CurrentSource {
                p: "0".into(),
                n: r.membrane.clone(),
                waveform: Waveform::Dc { value },
                dc: None,
            },
        ));
        let p =
            measure_model(&c, &r.membrane, r.scales.omega_s, threshold_model, hysteresis_model, tstop_model)?;
        // A burster that stops bursting has no burst period (its spike period is not one).
        let t = if base.burst_period_s.is_some() { p.burst_period_s } else { period(&p) };
        Ok(t.map(|t| t / t0 - 1.0))
    };
    Ok(Some(Sensitivity {
        metric: metric.into(),
        step_a: step_model * r.scales.current_a,
        step_model,
        plus: run(step_model)?,
        minus: run(-step_model)?,
    }))
}

/// Writes the reference ladder's segments of `c` as instances of the
/// technology's resistor subcircuit (`X<name> p n [0] <subckt>
/// <w_param>=W <l_param>=L`, sizes times its scale), when it names one.
pub fn with_subckt_resistors(c: &mut Circuit, ladder: &Ladder) {
    let Some(sub) = &ladder.subckt else { return };
    let mut elements = Vec::new();
    for e in std::mem::take(&mut c.elements) {
        let seg = ladder.segments.iter().find(|s| s.name == e.name).and_then(|s| s.w_l_m);
        match (&e.kind, seg) {
            (ElementKind::Resistor { p, n, .. }, Some((w, l))) => {
                let mut nodes = vec![p.clone(), n.clone()];
                if sub.terminals == 3 {
                    nodes.push("0".into());
                }
                c.instances.push(Instance {
                    name: e.name.clone(),
                    subckt: sub.name.clone(),
                    nodes,
                    params: vec![
                        Param::new(sub.w_param.clone(), Value::Num(w * sub.scale)),
                        Param::new(sub.l_param.clone(), Value::Num(l * sub.scale)),
                    ],
                });
            }
            _ => elements.push(e),
        }
    }
    c.elements = elements;
}

/// `flat` as a netlist circuit, each MOSFET whose model is one of
/// `subckts` written as an instance of that subcircuit (`X<name> d g s b
/// <subckt> <w_param>=W <l_param>=L`, sizes times its scale), as PDKs name
/// their devices.
pub fn with_subckt_devices(flat: &FlatCircuit, subckts: &[SubcktDevice]) -> Circuit {
    let mut c = Circuit::from(flat.clone());
    if subckts.is_empty() {
        return c;
    }
    let mut elements = Vec::new();
    for e in std::mem::take(&mut c.elements) {
        let sub = match &e.kind {
            ElementKind::Mosfet { model, .. } => {
                subckts.iter().find(|s| s.subckt.eq_ignore_ascii_case(model))
            }
            _ => None,
        };
        match (sub, &e.kind) {
            (Some(sd), ElementKind::Mosfet { d, g, s, b, w_m, l_m, instance, .. }) => {
                let scaled = |v: &Value| match v {
                    Value::Num(x) => Value::Num(twelve_digits(x * sd.scale)),
                    Value::Expr(x) => Value::from((**x).clone() * Expr::Num(sd.scale)),
                };
                c.instances.push(Instance {
                    name: e.name.clone(),
                    subckt: sd.subckt.clone(),
                    nodes: vec![d.clone(), g.clone(), s.clone(), b.clone()],
                    // A mirror's fingers: the instance multiplier, for a
                    // subcircuit that passes it on (a mirror of one that
                    // does not has no fingers, `mirror_size`).
                    params: [
                        Param::new(sd.w_param.clone(), scaled(w_m)),
                        Param::new(sd.l_param.clone(), scaled(l_m)),
                    ]
                    .into_iter()
                    .chain(
                        instance
                            .m
                            .iter()
                            .flat_map(|m| sd.m_params.iter().map(|p| Param::new(p.clone(), m.clone()))),
                    )
                    .collect(),
                });
            }
            _ => elements.push(e),
        }
    }
    c.elements = elements;
    c
}

/// `x` rounded to 12 significant digits: a grid value converted to the
/// subcircuit's unit without the product's float noise (5.02e-6 m times
/// 1e6 is 5.0200000000000005; the grid value itself is clean,
/// [`super::tech::Sizing::on_grid`]).
fn twelve_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(11 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_sizes_carry_no_float_noise() {
        assert_eq!(twelve_digits(5.02e-6 * 1e6), 5.02);
        assert_eq!(format!("{}", twelve_digits(17.585e-6 * 1e6)), "17.585");
        assert_eq!(twelve_digits(-0.42), -0.42);
        assert_eq!(twelve_digits(0.0), 0.0);
    }

    /// A mirror is fingers of the unit device, their length making up the
    /// rest of its W/L; below one unit, one finger that much longer; beyond
    /// the longest device or the widest total, the limit is named.
    #[test]
    fn a_mirror_is_fingers_of_the_unit_device() {
        let t = Technology::builtin("generic-bsim4").unwrap_or_else(|e| panic!("{e}"));
        let sz = t.sizing;
        // generic-bsim4: l_m 2 µm, w_min 220 nm, w_max 100 µm, l_max 100 µm: a 2 µm square unit.
        assert_eq!(mirror_unit(&t), (2e-6, 2e-6));
        let size = |w: f64| mirror_size(&t, false, w).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(size(6e-6), MirrorSize { w_m: 2e-6, l_m: 2e-6, fingers: 3 });
        // 2.6 units: three fingers, 3 / 2.6 as long (2.308 µm on the 10 nm grid).
        let s = size(5.2e-6);
        assert_eq!((s.w_m, s.fingers), (2e-6, 3));
        assert!((s.l_m - 2.31e-6).abs() < 1e-12, "{s:?}");
        // 1.4 units: one finger, shorter.
        assert!((size(2.8e-6).l_m - 1.43e-6).abs() < 1e-12);
        // W/L 0.055: one unit 0.055 / 1 as long (36.36 µm).
        let s = size(0.11e-6);
        assert_eq!((s.w_m, s.fingers), (2e-6, 1));
        assert!((s.l_m - 36.36e-6).abs() < 1e-12, "{s:?}");
        // W/L kept within a grid step of the length.
        for w in [0.11e-6, 2.8e-6, 5.2e-6, 37e-6] {
            let s = size(w);
            let wl = s.w_m * f64::from(s.fingers) / s.l_m;
            assert!((wl / (w / sz.l_m) - 1.0).abs() < 0.5 * sz.grid_m / s.l_m, "{w}: {s:?}");
        }
        assert_eq!(mirror_size(&t, false, 2e-6 * 2e-6 / 101e-6), Err(("sizing.l_max_m", sz.l_max_m)));
        assert_eq!(mirror_size(&t, false, 2e-6 * 1024.6), Err(("fingers", 1024.0)));
        assert_eq!(mirror_size(&t, false, 2e-6 * 1024.4).map(|s| s.fingers), Ok(1024));
    }

    /// A string of ideal resistors: `R_k = dV_k / I` and the taps exact
    /// (1.8 V, taps 0.6, 0.9, 1.2 V, 1 µA: 600, 300, 300, 600 kΩ).
    #[test]
    fn ideal_string_segments_are_the_voltage_steps_over_the_current() {
        let seg = string_segments(1.8, &[0.6, 0.9, 1.2], 1e-6, None);
        let want = [600e3, 300e3, 300e3, 600e3];
        assert_eq!(seg.len(), 4);
        for (s, w) in seg.iter().zip(want) {
            // Measured 2.2e-16 relative (one rounding of dV / I); 1e-14 is 45x.
            assert!((s.r_ohm / w - 1.0).abs() < 1e-14 && s.l_m.is_none(), "{seg:?}");
        }
        let taps = tap_voltages(1.8, &seg);
        for (t, w) in taps.iter().zip([0.6, 0.9, 1.2]) {
            // Measured 0 V (exact here); 1e-14 V allows a few roundings elsewhere.
            assert!((t - w).abs() < 1e-14, "{taps:?}");
        }
    }

    /// Lengths on the grid: 1 kΩ/sq, 1 µm wide, 10 nm grid, 18 nA, taps
    /// 0.65 and 0.9 V of 1.8 V. By hand: 36 111.1, 13 888.9 and 50 000
    /// squares, lengths 3 611 111, 1 388 889 and 5 000 000 grid steps, so
    /// 36.111 110, 13.888 890 and 50 MΩ (100 MΩ in all) and the taps at
    /// 0.649 999 98 V (-20 nV) and 0.9 V exactly.
    #[test]
    fn string_lengths_snap_to_the_grid_with_the_error_in_closed_form() {
        let g = StringGeometry { sheet_ohm: 1000.0, width_m: 1e-6, end_ohm: 0.0, grid_m: 1e-8 };
        let seg = string_segments(1.8, &[0.65, 0.9], 18e-9, Some(g));
        let want = [(36_111_110.0, 0.036_111_11), (13_888_890.0, 0.013_888_89), (50e6, 0.05)];
        for (s, (r, l)) in seg.iter().zip(want) {
            // Measured 7.5e-9 Ω (the resistance's roundings); 1e-7 Ω is 13x.
            // The lengths are the doubles of their decimals (whole grid steps).
            assert!((s.r_ohm - r).abs() < 1e-7, "{seg:?}");
            assert_eq!(s.l_m, Some(l), "{seg:?}");
        }
        let taps = tap_voltages(1.8, &seg);
        // Measured 1.1e-16 V from the hand values; 1e-15 V is 9x.
        assert!((taps[0] - 0.649_999_98).abs() < 1e-15 && (taps[1] - 0.9).abs() < 1e-15, "{taps:?}");
        // A step below one grid square is one grid step long.
        let tiny = string_segments(1.8, &[0.9, 0.9 + 1e-12], 18e-9, Some(g));
        assert_eq!(tiny[1].l_m, Some(1e-8));
        // With 1 kΩ of heads per segment the bodies are 1 kΩ shorter: 36 110.1,
        // 13 887.9 and 49 999 squares, so 3 611 011, 1 388 789 and 4 999 900
        // grid steps; the resistances and taps are those above.
        let g = StringGeometry { end_ohm: 1000.0, ..g };
        let seg = string_segments(1.8, &[0.65, 0.9], 18e-9, Some(g));
        let want = [(36_111_110.0, 0.036_110_11), (13_888_890.0, 0.013_887_89), (50e6, 0.049_999)];
        for (s, (r, l)) in seg.iter().zip(want) {
            // Measured as above; the same bound, and the lengths exact.
            assert!((s.r_ohm - r).abs() < 1e-7, "{seg:?}");
            assert_eq!(s.l_m, Some(l), "{seg:?}");
        }
    }

    /// The default string current: the technology's, else 10x the largest
    /// bias, raised until the drawn area (`W^2 V_dd / (R_sq I)`) is 0.1 mm².
    #[test]
    fn string_current_defaults_to_ten_biases_within_the_area_bound() {
        let mut r = Resistor {
            sheet_ohm_per_square: 1000.0,
            width_m: 1e-6,
            end_ohm: 0.0,
            string_current_a: None,
            subckt: None,
        };
        // 10 x 1 nA = 10 nA would need 1.8e5 squares of 1 µm², 0.18 mm²: 1.8e-12 / 1e-4 = 18 nA.
        let i = string_current(Some(&r), 1.8, 1e-9);
        assert!((i - 18e-9).abs() < 1e-22, "{i}");
        assert!((string_current(Some(&r), 1.8, 1e-8) - 1e-7).abs() < 1e-21);
        assert!((string_current(None, 1.8, 1e-9) - 1e-8).abs() < 1e-22);
        r.string_current_a = Some(3e-9);
        assert_eq!(string_current(Some(&r), 1.8, 1e-9), 3e-9);
    }

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
        // Measured 8.9e-10; 1e-8 is an 11x margin.
        assert!(((f(1e-4) - f(-1e-4)) / 2e-4 - 1.0).abs() < 1e-8, "{fw:?}");
        // Measured exactly 0 (saturated); 1e-15 allows rounding only.
        assert!((pair_characteristic(Region::AboveThreshold, 5.0) - 1.0).abs() < 1e-15);
        // Measured 1.25e-7 (the cubic term of the small-signal expansion); 1.5e-6 is 12x.
        assert!((pair_characteristic(Region::AboveThreshold, 0.01) - 0.01).abs() < 1.5e-6);
    }
}
