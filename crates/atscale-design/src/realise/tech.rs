//! Technology descriptions (TOML): model cards or a model library, device
//! names, supply, temperature, the subthreshold (or above-threshold)
//! parameters the sizing uses, the sizing grid and the limits every device
//! is checked against.
//!
//! ```toml
//! name = "my-tech"
//! supply_v = 1.8
//! temperature_c = 27.0
//! region = "subthreshold"          # or "above-threshold"
//! engine = "ngspice"               # or "vacask": the simulator of the evidence (default ngspice)
//! amplifier = "symmetric"          # the default of `--amplifier` (default five-transistor)
//! followers = "linearised"         # the default of `--followers` (default offset-pairs)
//! [models]
//! library = { path = "models/corners.lib", section = "tt" }   # or [[models.card]] tables
//! [devices]
//! nmos = "nch"                     # a model, or a subcircuit of the library:
//! pmos = { subckt = "my_pfet", w_param = "w", l_param = "l", scale = 1e6, m_params = ["m"] }
//! [subthreshold]
//! kappa = 0.7
//! specific_current_n_a = 4e-7
//! specific_current_p_a = 1e-7
//! [sizing]
//! grid_m = 1e-8
//! w_min_m = 0.22e-6
//! w_max_m = 100e-6
//! l_min_m = 0.18e-6
//! l_max_m = 50e-6
//! l_m = 2e-6
//! # mirror_l_m = 4e-6              # the bias mirrors' unit device (default l_m)
//! [limits]
//! bias_min_a = 1e-13
//! bias_max_a = 1e-6
//! capacitance_max_f = 50e-12
//! inversion_max = 0.3
//! [resistor]                       # optional: the on-chip reference ladder's resistors
//! sheet_ohm_per_square = 1000.0
//! width_m = 1e-6
//! # end_ohm = 0.0                  # per segment beside sheet x L / W (heads, contacts)
//! # string_current_a = 1e-8        # default: derived from the design's bias currents
//! # subckt = { name = "my_rpoly", w_param = "w", l_param = "l", scale = 1e6, terminals = 3 }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use atscale_circuit::{Model, ModelKind, MosParams};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::mapping::{Amplifier, Followers};
use crate::error::{Error, Result};
use crate::toml_file::TomlFile;

/// Boltzmann constant over the elementary charge, V/K.
pub const K_OVER_Q: f64 = 8.617_333_262e-5;

/// The names of the built-in technologies (`--tech NAME`).
pub const BUILTIN_NAMES: [&str; 6] =
    ["generic-bsim4", "generic-level1", "sky130", "sky130-hv", "gf180", "ihp-sg13g2"];

/// The built-in technologies' TOML texts, by name.
const BUILTINS: [(&str, &str); 6] = [
    ("generic-bsim4", include_str!("../../assets/tech/generic-bsim4.toml")),
    ("generic-level1", include_str!("../../assets/tech/generic-level1.toml")),
    ("sky130", include_str!("../../assets/tech/sky130.toml")),
    ("sky130-hv", include_str!("../../assets/tech/sky130-hv.toml")),
    ("gf180", include_str!("../../assets/tech/gf180.toml")),
    ("ihp-sg13g2", include_str!("../../assets/tech/ihp-sg13g2.toml")),
];

/// The names of the PDKs a technology's library may live in (`library = {
/// pdk = NAME, path = ... }`): their model files are installed by
/// `scripts/install-pdks.sh` (IHP's by `scripts/install-ihp.sh`) under
/// `$ATSCALE_PDK_ROOT/NAME/`.
pub const PDK_NAMES: [&str; 3] = ["sky130", "gf180mcu", "ihp-sg13g2"];

/// The simulator a technology's models run in (`engine = ...`): its
/// characterisation, the evidence of a realisation and the netlist written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// ngspice (SPICE libraries, `.lib "path" section`).
    #[default]
    Ngspice,
    /// VACASK (libraries in VACASK's language, `include "path" section=...`;
    /// OSDI models such as PSP 103).
    Vacask,
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Ngspice => "ngspice",
            Engine::Vacask => "VACASK",
        })
    }
}

/// How the transistors of a realisation operate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// Weak inversion: a differential pair is `I_b tanh(kappa dV / (2 U_T))`.
    Subthreshold,
    /// Strong inversion (square law): for models without subthreshold
    /// conduction (level 1); the pair's overdrive sets its input range.
    AboveThreshold,
}

/// Where the device models come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// Model cards written into the netlist.
    Cards(Vec<Model<f64>>),
    /// A model library read with `.lib "path" section` (an `.include` without a section).
    Library {
        /// Path as the simulator opens it (relative to the netlist or absolute).
        path: String,
        /// Corner section (`tt`, `ss`, ...).
        section: Option<String>,
    },
}

/// A device written as a subcircuit instance (`X<name> d g s b <subckt>
/// <w_param>=W <l_param>=L`), as PDKs name theirs: the subcircuit comes from
/// the technology's model library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubcktDevice {
    /// Subcircuit name (ports drain, gate, source, bulk).
    pub subckt: String,
    /// Name of its width parameter.
    pub w_param: String,
    /// Name of its length parameter.
    pub l_param: String,
    /// The parameters are the width and length in metres times this (1e6
    /// for micrometres, as open PDKs take them).
    pub scale: f64,
    /// The parameters that make an instance `N` devices in parallel, each
    /// given `N`: the multiplier, when the subcircuit passes it to its
    /// device, and any parameter that scales its mismatch to match
    /// (sky130: `m` multiplies the current, `mult` divides the mismatch
    /// sigma by `sqrt(N)`; GF180's subcircuits declare an `m` they do not
    /// use). Empty: the bias mirrors are drawn without fingers (wider
    /// devices instead, [`crate::realise::mapping::mirror_size`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub m_params: Vec<String>,
}

/// Subthreshold parameters (region `subthreshold`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Subthreshold {
    /// Slope factor `kappa` (dimensionless, 0 < kappa < 1).
    pub kappa: f64,
    /// Thermal voltage `U_T`, V (default `k T / q` at the temperature).
    pub thermal_voltage_v: f64,
    /// NMOS specific current per square (`W/L = 1`), A: the inversion
    /// coefficient of a device is `I_D / (I_spec W/L)`.
    pub specific_current_n_a: f64,
    /// PMOS specific current per square, A.
    pub specific_current_p_a: f64,
    /// How much longer than `exp(2 |offset|)` times `sizing.l_m` the weak
    /// device of an offset pair is made (default 1). A device at
    /// `sizing.l_m` conducts less than `1/L` predicts (reverse short-channel
    /// effect): in `generic-bsim4` a 2 µm device carries 11.4, not 20.1, times
    /// the current of a 40.2 µm one, so the factor is 1.757 (measured in
    /// ngspice 39.3: lengths 2 µm and 70.6 µm give 20.06).
    pub offset_length_factor: f64,
}

impl Subthreshold {
    /// One model volt, V: `2 U_T / kappa`, the tanh width of a differential pair.
    pub fn model_volt(&self) -> f64 {
        2.0 * self.thermal_voltage_v / self.kappa
    }
}

/// Above-threshold parameters (region `above-threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AboveThreshold {
    /// Overdrive `V_GS - V_T` of a pair device at zero input, V: one model volt.
    pub overdrive_v: f64,
    /// NMOS transconductance parameter `KP`, A/V².
    pub kp_n_a_per_v2: f64,
    /// PMOS transconductance parameter `KP`, A/V².
    pub kp_p_a_per_v2: f64,
}

/// The sizing grid and range, m.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sizing {
    /// Widths and lengths are rounded up to multiples of this, m.
    pub grid_m: f64,
    /// Smallest width, m.
    pub w_min_m: f64,
    /// Largest width, m.
    pub w_max_m: f64,
    /// Smallest length, m.
    pub l_min_m: f64,
    /// Largest length, m.
    pub l_max_m: f64,
    /// Preferred channel length of amplifier devices, m.
    pub l_m: f64,
    /// Length of the bias mirrors' unit device, m (default `l_m`): a
    /// longer mirror's current depends less on its drain (sky130's 0.8 µm
    /// devices carry 15 to 25 % more at 0.9 V than at their diode's
    /// voltage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror_l_m: Option<f64>,
}

impl Sizing {
    /// `x`, m, on the manufacturing grid, rounded by `to` (`f64::round`,
    /// `f64::ceil` or `f64::floor`): whole grid steps divided by the steps
    /// per metre, so that a grid value is the double nearest its decimal
    /// (6.5 µm, where steps times the grid give 6.5000000000000004 µm).
    pub fn on_grid(&self, x: f64, to: fn(f64) -> f64) -> f64 {
        on_grid(x, self.grid_m, to)
    }
}

/// `x`, m, on a grid of `grid_m`, rounded by `to`: whole steps divided by
/// the steps per metre (see [`Sizing::on_grid`]; the reference ladder's
/// resistor lengths use it too).
pub fn on_grid(x: f64, grid_m: f64, to: fn(f64) -> f64) -> f64 {
    to(x / grid_m) / grid_m.recip()
}

/// Limits every device of a realisation is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Smallest bias current of a one-square device, A (ten times its
    /// leakage at `V_GS = 0`). An amplifier biased below it has narrower
    /// (then longer) devices, `W/L = I_b / bias_min_a`; ideal bias sources
    /// and the mirrors' reference are held to it.
    pub bias_min_a: f64,
    /// Largest bias current, A.
    pub bias_max_a: f64,
    /// Largest capacitor, F.
    pub capacitance_max_f: f64,
    /// Largest inversion coefficient of a subthreshold device (default 0.3).
    pub inversion_max: f64,
}

/// A resistor as the technology's PDK names it (`[resistor] subckt = { ... }`):
/// written `X<name> p n [0] <name> <w_param>=W <l_param>=L` (sizes times
/// `scale`), the third terminal (the body or substrate) at ground.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResistorSubckt {
    /// Subcircuit name.
    pub name: String,
    /// Name of its width parameter.
    pub w_param: String,
    /// Name of its length parameter.
    pub l_param: String,
    /// The parameters are metres times this (1e6 for micrometres).
    pub scale: f64,
    /// Terminals: 2, or 3 with the body (substrate) at ground (default 3).
    pub terminals: u8,
}

/// The resistors of the on-chip reference ladder (`[resistor]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resistor {
    /// Sheet resistance, Ω per square.
    pub sheet_ohm_per_square: f64,
    /// Drawn width of every segment, m (lengths are multiples of `sizing.grid_m`).
    pub width_m: f64,
    /// Resistance every segment has beside its body (heads, contacts), Ω
    /// (default 0): a segment is `end_ohm + sheet L / W`.
    pub end_ohm: f64,
    /// The string's current, A (default: derived from the design, see
    /// [`super::mapping::string_current`]).
    pub string_current_a: Option<f64>,
    /// The PDK's resistor device, if any (else ideal `R` elements).
    pub subckt: Option<ResistorSubckt>,
}

/// A technology: everything a realisation needs to know about the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technology {
    /// Name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// Supply voltage, V.
    pub supply_v: f64,
    /// Temperature, °C.
    pub temperature_c: f64,
    /// How the transistors operate.
    pub region: Region,
    /// The simulator its models run in.
    pub engine: Engine,
    /// Model cards or library.
    pub models: ModelSource,
    /// The installed PDK the library path is relative to (one of
    /// [`PDK_NAMES`]; `library = { pdk = ..., path = ... }`), if any.
    pub pdk: Option<String>,
    /// The library's process-corner sections (`library = { corners = [...] }`).
    pub corners: Vec<String>,
    /// The library's statistical section, whose random draws follow
    /// `.options seed` (`library = { monte_carlo = "mc" }`).
    pub monte_carlo_section: Option<String>,
    /// Why the library has no statistical section, when the technology
    /// says (`library = { no_monte_carlo = "..." }`): `--monte-carlo`'s
    /// refusal gives it.
    pub no_monte_carlo: Option<String>,
    /// The statistics atscale draws itself for the statistical section,
    /// when the simulator cannot (`[models.library.draws]`: VACASK has no
    /// random functions); `None`: the section draws its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monte_carlo_draws: Option<DrawFiles>,
    /// Whether the subthreshold parameters are measured on the models
    /// (`[subthreshold] measure = true`): [`Technology::subthreshold`] is
    /// `None` until a characterisation fills it.
    pub measure_subthreshold: bool,
    /// NMOS device name: the model, or the subcircuit if [`Technology::nmos_subckt`].
    pub nmos: String,
    /// PMOS device name: the model, or the subcircuit if [`Technology::pmos_subckt`].
    pub pmos: String,
    /// The NMOS device as a subcircuit (`[devices] nmos = { subckt = ... }`).
    pub nmos_subckt: Option<SubcktDevice>,
    /// The PMOS device as a subcircuit.
    pub pmos_subckt: Option<SubcktDevice>,
    /// Subthreshold parameters (region `subthreshold`).
    pub subthreshold: Option<Subthreshold>,
    /// Above-threshold parameters (region `above-threshold`).
    pub above_threshold: Option<AboveThreshold>,
    /// Sizing grid and range.
    pub sizing: Sizing,
    /// Limits.
    pub limits: Limits,
    /// The reference ladder's resistors (`[resistor]`), if the technology gives them.
    pub resistor: Option<Resistor>,
    /// The amplifiers' topology a realisation takes unless told otherwise
    /// (`amplifier = "symmetric"`; `five-transistor` when not given): the
    /// one that holds the design on this technology's devices and supply.
    #[serde(default)]
    pub amplifier: Amplifier,
    /// The followers a realisation takes unless told otherwise
    /// (`followers = "linearised"`; `offset-pairs` when not given).
    #[serde(default)]
    pub followers: Followers,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTech {
    name: Spanned<String>,
    description: Option<String>,
    supply_v: Spanned<f64>,
    temperature_c: Option<Spanned<f64>>,
    region: Spanned<Region>,
    engine: Option<Engine>,
    models: Spanned<RawModels>,
    devices: RawDevices,
    subthreshold: Option<Spanned<RawSub>>,
    above_threshold: Option<Spanned<RawAbove>>,
    sizing: Spanned<RawSizing>,
    limits: Spanned<RawLimits>,
    resistor: Option<Spanned<RawResistor>>,
    amplifier: Option<Spanned<String>>,
    followers: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResistor {
    sheet_ohm_per_square: Spanned<f64>,
    width_m: Spanned<f64>,
    end_ohm: Option<Spanned<f64>>,
    string_current_a: Option<Spanned<f64>>,
    subckt: Option<Spanned<RawResistorSubckt>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResistorSubckt {
    name: Spanned<String>,
    w_param: Option<String>,
    l_param: Option<String>,
    scale: Option<f64>,
    terminals: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModels {
    library: Option<Spanned<RawLibrary>>,
    card: Option<Vec<Spanned<RawCard>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLibrary {
    pdk: Option<Spanned<String>>,
    path: Spanned<String>,
    section: Option<Spanned<String>>,
    corners: Option<Vec<Spanned<String>>>,
    monte_carlo: Option<Spanned<String>>,
    no_monte_carlo: Option<Spanned<String>>,
    draws: Option<Spanned<RawDraws>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDraws {
    process: Spanned<String>,
    nominal: Spanned<String>,
    nominal_section: Spanned<String>,
    mismatch: Spanned<String>,
    law: Spanned<String>,
}

/// The files of a PDK's statistics that atscale draws itself
/// (`[models.library.draws]`), in ngspice's language as the PDK ships them,
/// relative to the library's folder. Read by `atscale_explore::drawn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawFiles {
    /// The process parameters' spreads: `.param mc_NAME = 'gauss(NAME_norm,
    /// relative sigma, num_sigmas)'` and `.param NAME = mc_NAME` lines.
    pub process: String,
    /// The file of their nominal values (`parameters NAME_norm=...`, in the
    /// library's language) ...
    pub nominal: String,
    /// ... and its section.
    pub nominal_section: String,
    /// The mismatch constants: `.param <model>_delvto_mm = ...` (and
    /// `_factuo_mm`, `_dw_mm`, `_dl_mm`).
    pub mismatch: String,
    /// The device subcircuits whose per-instance `agauss()` law atscale
    /// checks before it draws.
    pub law: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    level: Spanned<i64>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevices {
    nmos: Spanned<RawDevice>,
    pmos: Spanned<RawDevice>,
}

/// A device: a model name, or a subcircuit table.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDevice {
    Model(String),
    Subckt(RawSubckt),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubckt {
    subckt: String,
    w_param: Option<String>,
    l_param: Option<String>,
    m_params: Option<Vec<String>>,
    scale: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSub {
    measure: Option<bool>,
    kappa: Option<Spanned<f64>>,
    thermal_voltage_v: Option<Spanned<f64>>,
    specific_current_n_a: Option<Spanned<f64>>,
    specific_current_p_a: Option<Spanned<f64>>,
    offset_length_factor: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbove {
    overdrive_v: Spanned<f64>,
    kp_n_a_per_v2: Spanned<f64>,
    kp_p_a_per_v2: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSizing {
    grid_m: Spanned<f64>,
    w_min_m: Spanned<f64>,
    w_max_m: Spanned<f64>,
    l_min_m: Spanned<f64>,
    l_max_m: Spanned<f64>,
    l_m: Spanned<f64>,
    mirror_l_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    bias_min_a: Spanned<f64>,
    bias_max_a: Spanned<f64>,
    capacitance_max_f: Spanned<f64>,
    inversion_max: Option<Spanned<f64>>,
}

type Ctx<'a> = TomlFile<'a>;

/// What a library table gives beside the path and section.
#[derive(Default)]
struct LibraryExtras {
    pdk: Option<String>,
    corners: Vec<String>,
    monte_carlo: Option<String>,
    no_monte_carlo: Option<String>,
    draws: Option<DrawFiles>,
}

impl Ctx<'_> {
    /// A name written into netlists: letters, digits, `_`, `.`, `#`, starting with a letter or `_`.
    fn name(&self, key: &str, v: &Spanned<String>) -> Result<String> {
        let s = v.get_ref();
        let ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '#'));
        if ok {
            Ok(s.clone())
        } else {
            Err(self.err(
                v.span().start,
                format!(
                    "{key} `{}` is not a netlist name (a letter or `_`, then letters, digits, `_`, `.`, `#`)",
                    s.escape_debug()
                ),
            ))
        }
    }
}

impl Ctx<'_> {
    /// A device: a model name, or a subcircuit table with checked names.
    fn device(&self, key: &str, v: &Spanned<RawDevice>) -> Result<(String, Option<SubcktDevice>)> {
        let at = v.span().start;
        let named = |s: &str| Spanned::new(at..at, s.to_string());
        match v.get_ref() {
            RawDevice::Model(m) => Ok((self.name(key, &named(m))?, None)),
            RawDevice::Subckt(t) => {
                let subckt = self.name(&format!("{key}.subckt"), &named(&t.subckt))?;
                let param = |k: &str, p: &Option<String>, default: &str| -> Result<String> {
                    let p = p.clone().unwrap_or_else(|| default.to_string());
                    let ok = p.starts_with(|c: char| c.is_ascii_alphabetic())
                        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if ok {
                        Ok(p)
                    } else {
                        Err(self.err(
                            at,
                            format!("{key}.{k} `{}` is not a parameter name (a letter, then letters, digits, `_`)", p.escape_debug()),
                        ))
                    }
                };
                let w_param = param("w_param", &t.w_param, "w")?;
                let l_param = param("l_param", &t.l_param, "l")?;
                let m_params = t
                    .m_params
                    .iter()
                    .flatten()
                    .map(|p| param("m_params", &Some(p.clone()), ""))
                    .collect::<Result<Vec<_>>>()?;
                let scale = t.scale.unwrap_or(1.0);
                if !(scale > 0.0 && scale.is_finite()) {
                    return Err(self.err(at, format!("{key}.scale must be positive and finite, got {scale}")));
                }
                Ok((subckt.clone(), Some(SubcktDevice { subckt, w_param, l_param, scale, m_params })))
            }
        }
    }
}

impl Ctx<'_> {
    fn temperature(&self, t: Option<&Spanned<f64>>) -> Result<f64> {
        let Some(t) = t else { return Ok(27.0) };
        let x = *t.get_ref();
        if !(x > -273.15 && x < 1000.0) {
            return Err(self.err(t.span().start, format!("temperature_c must be above -273.15, got {x}")));
        }
        Ok(x)
    }

    /// The model source (a library or cards, not both) and what the library table says more.
    fn models(&self, raw: Spanned<RawModels>) -> Result<(ModelSource, LibraryExtras)> {
        let at = raw.span().start;
        match raw.into_inner() {
            RawModels { library: Some(_), card: Some(_) } => {
                Err(self.err(at, "[models] gives both a library and cards; give one"))
            }
            RawModels { library: None, card: None } => Err(self.err(
                at,
                "[models] needs `library = { path = ..., section = ... }` or [[models.card]] tables",
            )),
            RawModels { library: Some(lib), card: None } => self.library(lib.into_inner()),
            RawModels { library: None, card: Some(cards) } => {
                let cards = cards.into_iter().map(|c| self.card(c.into_inner())).collect::<Result<_>>()?;
                Ok((ModelSource::Cards(cards), LibraryExtras::default()))
            }
        }
    }

    fn library(&self, l: RawLibrary) -> Result<(ModelSource, LibraryExtras)> {
        let path = l.path.get_ref().clone();
        let bad = path.trim().is_empty()
            || path.contains('"')
            || path
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\u{2028}' || c == '\u{2029}');
        if bad {
            return Err(self.err(
                l.path.span().start,
                format!(
                    "models.library.path `{}` cannot be written into a netlist: it must be non-empty, \
                     without quotes, spaces or control characters",
                    path.escape_debug()
                ),
            ));
        }
        let section = match &l.section {
            Some(s) => Some(self.name("models.library.section", s)?),
            None => None,
        };
        let pdk = match &l.pdk {
            Some(p) if PDK_NAMES.contains(&p.get_ref().as_str()) => Some(p.get_ref().clone()),
            Some(p) => {
                return Err(self.err(
                    p.span().start,
                    format!(
                        "models.library.pdk `{}` is not a PDK atscale installs; known: {}",
                        p.get_ref().escape_debug(),
                        PDK_NAMES.join(", ")
                    ),
                ))
            }
            None => None,
        };
        if pdk.is_some() && !std::path::Path::new(&path).is_relative() {
            return Err(self.err(
                l.path.span().start,
                "models.library.path must be relative to the PDK's folder when `pdk` is given",
            ));
        }
        let corners = match &l.corners {
            Some(c) => c.iter().map(|s| self.name("models.library.corners", s)).collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let monte_carlo = match &l.monte_carlo {
            Some(s) => Some(self.name("models.library.monte_carlo", s)?),
            None => None,
        };
        let no_monte_carlo = match (&l.no_monte_carlo, &monte_carlo) {
            (Some(n), Some(_)) => {
                return Err(self.err(
                    n.span().start,
                    "models.library.no_monte_carlo says why there is no statistical section: not with monte_carlo",
                ))
            }
            // Printed in an error: control characters are left out.
            (Some(n), None) => Some(n.get_ref().chars().filter(|c| !c.is_control()).collect()),
            (None, _) => None,
        };
        let draws = l.draws.map(|d| self.draws(d, monte_carlo.is_some())).transpose()?;
        let extras = LibraryExtras { pdk, corners, monte_carlo, no_monte_carlo, draws };
        Ok((ModelSource::Library { path, section }, extras))
    }

    /// `[models.library.draws]`: relative paths, with a statistical section to draw for.
    fn draws(&self, d: Spanned<RawDraws>, section: bool) -> Result<DrawFiles> {
        if !section {
            return Err(self.err(
                d.span().start,
                "models.library.draws gives the statistics of a statistical section: add `monte_carlo = ...`",
            ));
        }
        let d = d.into_inner();
        let path = |key: &str, v: &Spanned<String>| {
            let ok = !v.get_ref().trim().is_empty()
                && Path::new(v.get_ref()).is_relative()
                && !v.get_ref().chars().any(char::is_control);
            if ok {
                Ok(v.get_ref().clone())
            } else {
                Err(self.err(
                    v.span().start,
                    format!(
                        "models.library.draws.{key} `{}` must be a path relative to the library's folder",
                        v.get_ref().escape_debug()
                    ),
                ))
            }
        };
        Ok(DrawFiles {
            process: path("process", &d.process)?,
            nominal: path("nominal", &d.nominal)?,
            nominal_section: self.name("models.library.draws.nominal_section", &d.nominal_section)?,
            mismatch: path("mismatch", &d.mismatch)?,
            law: path("law", &d.law)?,
        })
    }

    /// One `[[models.card]]`: a checked name, level and parameters.
    fn card(&self, c: RawCard) -> Result<Model<f64>> {
        let name = self.name("models.card.name", &c.name)?;
        let level =
            u32::try_from(*c.level.get_ref()).ok().filter(|l| (1..=100).contains(l)).ok_or_else(|| {
                self.err(c.level.span().start, format!("level must be 1..100, got {}", c.level.get_ref()))
            })?;
        let mut p = MosParams {
            level,
            vto: None,
            kp: None,
            lambda: None,
            gamma: None,
            phi: None,
            extra: BTreeMap::new(),
        };
        for (k, v) in &c.params {
            let x = *v.get_ref();
            let key = k.to_ascii_lowercase();
            if !x.is_finite() {
                return Err(self.err(v.span().start, format!("model parameter {k} must be finite")));
            }
            let ident = key.starts_with(|c: char| c.is_ascii_alphabetic())
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ident || key == "level" {
                return Err(self.err(
                    v.span().start,
                    format!("model parameter `{}` is not a SPICE parameter name", k.escape_debug()),
                ));
            }
            // Level-1 names have other meanings at other levels: those are kept as written.
            match (key.as_str(), level) {
                ("vto", 1) => p.vto = Some(x),
                ("kp", 1) => p.kp = Some(x),
                ("lambda", 1) => p.lambda = Some(x),
                ("gamma", 1) => p.gamma = Some(x),
                ("phi", 1) => p.phi = Some(x),
                _ => {
                    p.extra.insert(key.clone(), x);
                }
            }
        }
        let kind = match c.kind.get_ref().to_ascii_lowercase().as_str() {
            "nmos" => ModelKind::Nmos(p),
            "pmos" => ModelKind::Pmos(p),
            other => {
                return Err(self
                    .err(c.kind.span().start, format!("model type must be `nmos` or `pmos`, got `{other}`")))
            }
        };
        Ok(Model { name, kind })
    }

    /// The devices against the model source: subcircuits need a library,
    /// model names need cards of their polarity.
    fn check_devices(
        &self,
        models: &ModelSource,
        raw: &RawDevices,
        names: [&str; 2],
        subckts: bool,
    ) -> Result<()> {
        let ModelSource::Cards(cards) = models else { return Ok(()) };
        if subckts {
            return Err(self.err(
                raw.nmos.span().start,
                "subcircuit devices need their subcircuits from a model library: give [models] library = \
                 { path = ... }, not cards",
            ));
        }
        for (dev, want, at) in
            [(names[0], "NMOS", raw.nmos.span().start), (names[1], "PMOS", raw.pmos.span().start)]
        {
            match cards.iter().find(|m| m.name.eq_ignore_ascii_case(dev)) {
                Some(m) if m.kind.keyword() == want => {}
                Some(m) => {
                    return Err(
                        self.err(at, format!("device `{dev}` names a {} card, not {want}", m.kind.keyword()))
                    )
                }
                None => return Err(self.err(at, format!("device `{dev}` has no [[models.card]]"))),
            }
        }
        Ok(())
    }

    /// The subthreshold parameters as given, or `None` with `measure = true`.
    fn subthreshold(&self, r: &Spanned<RawSub>, temperature_c: f64) -> Result<Option<Subthreshold>> {
        let at = r.span().start;
        let r = r.get_ref();
        let given = [
            ("kappa", r.kappa.is_some()),
            ("specific_current_n_a", r.specific_current_n_a.is_some()),
            ("specific_current_p_a", r.specific_current_p_a.is_some()),
            ("offset_length_factor", r.offset_length_factor.is_some()),
        ];
        if r.measure == Some(true) {
            if let Some((k, _)) = given.iter().find(|(_, g)| *g) {
                return Err(self.err(
                    at,
                    format!(
                        "[subthreshold] measure = true measures {k} on the models: remove the value given"
                    ),
                ));
            }
            return Ok(None);
        }
        let (Some(kappa), Some(ispec_n), Some(ispec_p)) =
            (&r.kappa, &r.specific_current_n_a, &r.specific_current_p_a)
        else {
            let (k, _) = given.iter().find(|(_, g)| !*g).unwrap_or(&given[0]);
            return Err(self.err(at, format!("[subthreshold] needs {k} (or measure = true)")));
        };
        let kappa = self.positive("subthreshold.kappa", kappa)?;
        if kappa >= 1.0 {
            return Err(self.err(at, format!("subthreshold.kappa must be below 1, got {kappa}")));
        }
        let thermal_voltage_v = match &r.thermal_voltage_v {
            Some(u) => self.positive("subthreshold.thermal_voltage_v", u)?,
            None => K_OVER_Q * (temperature_c + 273.15),
        };
        Ok(Some(Subthreshold {
            kappa,
            thermal_voltage_v,
            specific_current_n_a: self.positive("subthreshold.specific_current_n_a", ispec_n)?,
            specific_current_p_a: self.positive("subthreshold.specific_current_p_a", ispec_p)?,
            offset_length_factor: match &r.offset_length_factor {
                Some(f) => self.positive("subthreshold.offset_length_factor", f)?,
                None => 1.0,
            },
        }))
    }

    fn above_threshold(&self, r: &RawAbove) -> Result<AboveThreshold> {
        Ok(AboveThreshold {
            overdrive_v: self.positive("above_threshold.overdrive_v", &r.overdrive_v)?,
            kp_n_a_per_v2: self.positive("above_threshold.kp_n_a_per_v2", &r.kp_n_a_per_v2)?,
            kp_p_a_per_v2: self.positive("above_threshold.kp_p_a_per_v2", &r.kp_p_a_per_v2)?,
        })
    }

    /// A subthreshold realisation refuses level-1 cards (no weak inversion).
    fn check_weak_inversion(&self, models: &ModelSource, region_at: usize) -> Result<()> {
        let ModelSource::Cards(cards) = models else { return Ok(()) };
        let level1 =
            cards.iter().find(|m| matches!(&m.kind, ModelKind::Nmos(p) | ModelKind::Pmos(p) if p.level == 1));
        match level1 {
            Some(m) => Err(self.err(
                region_at,
                format!(
                    "model `{}` is level 1, which has no subthreshold conduction: a subthreshold \
                     realisation would not work; use region = \"above-threshold\" or a model with \
                     weak inversion (BSIM4, level 54)",
                    m.name
                ),
            )),
            None => Ok(()),
        }
    }

    fn sizing(&self, raw: &Spanned<RawSizing>) -> Result<Sizing> {
        let sz = raw.get_ref();
        let sizing = Sizing {
            grid_m: self.positive("sizing.grid_m", &sz.grid_m)?,
            w_min_m: self.positive("sizing.w_min_m", &sz.w_min_m)?,
            w_max_m: self.positive("sizing.w_max_m", &sz.w_max_m)?,
            l_min_m: self.positive("sizing.l_min_m", &sz.l_min_m)?,
            l_max_m: self.positive("sizing.l_max_m", &sz.l_max_m)?,
            l_m: self.positive("sizing.l_m", &sz.l_m)?,
            mirror_l_m: sz.mirror_l_m.as_ref().map(|x| self.positive("sizing.mirror_l_m", x)).transpose()?,
        };
        let lengths = sizing.l_min_m..=sizing.l_max_m;
        if sizing.w_min_m > sizing.w_max_m
            || sizing.l_min_m > sizing.l_max_m
            || !lengths.contains(&sizing.l_m)
            || sizing.mirror_l_m.is_some_and(|l| !lengths.contains(&l))
        {
            return Err(self.err(
                raw.span().start,
                "[sizing] needs w_min_m <= w_max_m and l_min_m <= l_m, mirror_l_m <= l_max_m",
            ));
        }
        Ok(sizing)
    }

    fn limits(&self, raw: &Spanned<RawLimits>) -> Result<Limits> {
        let lm = raw.get_ref();
        let limits = Limits {
            bias_min_a: self.positive("limits.bias_min_a", &lm.bias_min_a)?,
            bias_max_a: self.positive("limits.bias_max_a", &lm.bias_max_a)?,
            capacitance_max_f: self.positive("limits.capacitance_max_f", &lm.capacitance_max_f)?,
            inversion_max: match &lm.inversion_max {
                Some(x) => self.positive("limits.inversion_max", x)?,
                None => 0.3,
            },
        };
        if limits.bias_min_a > limits.bias_max_a {
            return Err(self.err(raw.span().start, "[limits] needs bias_min_a <= bias_max_a"));
        }
        Ok(limits)
    }
}

impl Ctx<'_> {
    /// The `[resistor]` table: positive values, a subcircuit with netlist names.
    fn resistor(&self, raw: &Spanned<RawResistor>) -> Result<Resistor> {
        let r = raw.get_ref();
        let subckt = match &r.subckt {
            Some(s) => Some(self.resistor_subckt(s)?),
            None => None,
        };
        Ok(Resistor {
            sheet_ohm_per_square: self.positive("resistor.sheet_ohm_per_square", &r.sheet_ohm_per_square)?,
            width_m: self.positive("resistor.width_m", &r.width_m)?,
            end_ohm: self.positive_opt("resistor.end_ohm", &r.end_ohm)?.unwrap_or(0.0),
            string_current_a: self.positive_opt("resistor.string_current_a", &r.string_current_a)?,
            subckt,
        })
    }

    fn resistor_subckt(&self, raw: &Spanned<RawResistorSubckt>) -> Result<ResistorSubckt> {
        let (at, t) = (raw.span().start, raw.get_ref());
        let name = self.name("resistor.subckt.name", &t.name)?;
        let param = |k: &str, p: &Option<String>, default: &str| -> Result<String> {
            let p = p.clone().unwrap_or_else(|| default.to_string());
            let ok = p.starts_with(|c: char| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                return Ok(p);
            }
            Err(self.err(
                at,
                format!(
                    "resistor.subckt.{k} `{}` is not a parameter name (a letter, then letters, digits, `_`)",
                    p.escape_debug()
                ),
            ))
        };
        let scale = t.scale.unwrap_or(1.0);
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(
                self.err(at, format!("resistor.subckt.scale must be positive and finite, got {scale}"))
            );
        }
        let terminals = match t.terminals.unwrap_or(3) {
            2 => 2,
            3 => 3,
            n => return Err(self.err(at, format!("resistor.subckt.terminals must be 2 or 3, got {n}"))),
        };
        Ok(ResistorSubckt {
            name,
            w_param: param("w_param", &t.w_param, "w")?,
            l_param: param("l_param", &t.l_param, "l")?,
            scale,
            terminals,
        })
    }
}

impl Technology {
    /// Whether a device of this polarity can be drawn as fingers (SPICE's
    /// instance multiplier): a model card always, a subcircuit when it
    /// names the parameters that pass it on ([`SubcktDevice::m_params`]).
    pub fn fingers(&self, pmos: bool) -> bool {
        let sd = if pmos { &self.pmos_subckt } else { &self.nmos_subckt };
        sd.as_ref().is_none_or(|d| !d.m_params.is_empty())
    }

    /// A built-in technology by name (see [`BUILTIN_NAMES`]).
    ///
    /// # Errors
    ///
    /// [`Error::BadTemplate`] for an unknown name, listing the known ones.
    pub fn builtin(name: &str) -> Result<Technology> {
        let text = match Technology::builtin_text(name) {
            Some(t) => t,
            None => {
                return Err(Error::BadTemplate {
                    template: "technology",
                    reason: format!(
                        "no built-in technology `{name}`; built-ins: {}",
                        BUILTIN_NAMES.join(", ")
                    ),
                })
            }
        };
        Technology::from_toml_str(text, &format!("built-in technology {name}"))
    }

    /// The TOML text of a built-in technology, if `name` is one.
    pub fn builtin_text(name: &str) -> Option<&'static str> {
        BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// Reads a technology from TOML text; `file_name` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] with the file, line and problem: malformed TOML, an
    /// unknown key, a value out of range, a name that could not be written
    /// into a netlist, a missing parameter section for the region, model
    /// cards that do not define the devices.
    pub fn from_toml_str(text: &str, file_name: &str) -> Result<Technology> {
        let cx = Ctx { text, file: file_name };
        let raw: RawTech = cx.parse()?;
        let name = raw.name.get_ref().clone();
        let supply_v = cx.positive("supply_v", &raw.supply_v)?;
        let temperature_c = cx.temperature(raw.temperature_c.as_ref())?;
        let region = *raw.region.get_ref();
        let (models, extras) = cx.models(raw.models)?;
        let (nmos, nmos_subckt) = cx.device("devices.nmos", &raw.devices.nmos)?;
        let (pmos, pmos_subckt) = cx.device("devices.pmos", &raw.devices.pmos)?;
        cx.check_devices(
            &models,
            &raw.devices,
            [&nmos, &pmos],
            nmos_subckt.is_some() || pmos_subckt.is_some(),
        )?;
        let subthreshold = match &raw.subthreshold {
            Some(s) => cx.subthreshold(s, temperature_c)?,
            None => None,
        };
        let measure_subthreshold =
            raw.subthreshold.as_ref().is_some_and(|s| s.get_ref().measure == Some(true));
        let above_threshold = match &raw.above_threshold {
            Some(a) => Some(cx.above_threshold(a.get_ref())?),
            None => None,
        };
        let region_at = raw.region.span().start;
        match region {
            Region::Subthreshold if subthreshold.is_none() && !measure_subthreshold => {
                return Err(cx.err(region_at, "region `subthreshold` needs a [subthreshold] table"))
            }
            Region::AboveThreshold if above_threshold.is_none() => {
                return Err(cx.err(region_at, "region `above-threshold` needs an [above_threshold] table"))
            }
            _ => {}
        }
        if region == Region::Subthreshold {
            cx.check_weak_inversion(&models, region_at)?;
        }
        Ok(Technology {
            description: raw.description.unwrap_or_else(|| name.clone()),
            name,
            supply_v,
            temperature_c,
            region,
            engine: raw.engine.unwrap_or_default(),
            models,
            pdk: extras.pdk,
            corners: extras.corners,
            monte_carlo_section: extras.monte_carlo,
            no_monte_carlo: extras.no_monte_carlo,
            monte_carlo_draws: extras.draws,
            measure_subthreshold,
            nmos,
            pmos,
            nmos_subckt,
            pmos_subckt,
            subthreshold,
            above_threshold,
            sizing: cx.sizing(&raw.sizing)?,
            limits: cx.limits(&raw.limits)?,
            resistor: raw.resistor.as_ref().map(|r| cx.resistor(r)).transpose()?,
            amplifier: match &raw.amplifier {
                Some(a) => Amplifier::from_name(a.get_ref()).map_err(|e| cx.err(a.span().start, e))?,
                None => Amplifier::default(),
            },
            followers: match &raw.followers {
                Some(f) => Followers::from_name(f.get_ref()).map_err(|e| cx.err(f.span().start, e))?,
                None => Followers::default(),
            },
        })
    }

    /// One model volt of the realisation, V: `2 U_T / kappa` below
    /// threshold (the tanh width of a differential pair), the overdrive
    /// above threshold.
    pub fn model_volt(&self) -> f64 {
        match (self.region, self.subthreshold, self.above_threshold) {
            (Region::Subthreshold, Some(s), _) => s.model_volt(),
            (_, _, Some(a)) => a.overdrive_v,
            _ => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_read() {
        for n in BUILTIN_NAMES {
            let t = Technology::builtin(n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(t.name, n);
            if t.measure_subthreshold {
                // The PDKs: measured on their models, from a library in the installed PDK.
                assert!(t.subthreshold.is_none() && t.pdk.is_some(), "{n}");
                assert_eq!(t.corners, ["tt", "ff", "ss", "sf", "fs"], "{n}");
                // A statistical section mc: drawn by ngspice, or by atscale for VACASK.
                assert_eq!(t.monte_carlo_section.as_deref(), Some("mc"), "{n}");
                match n {
                    "ihp-sg13g2" => {
                        assert_eq!(t.engine, Engine::Vacask);
                        let d = t.monte_carlo_draws.unwrap_or_else(|| panic!("{n} draws"));
                        assert_eq!(
                            (d.nominal.as_str(), d.nominal_section.as_str()),
                            ("cornerMOShv.lib", "mos_tt_stat")
                        );
                    }
                    _ => assert_eq!((t.engine, t.monte_carlo_draws), (Engine::Ngspice, None)),
                }
            } else {
                assert!(t.model_volt() > 0.01 && t.model_volt() < 0.5, "{n}: {}", t.model_volt());
            }
        }
        let b = Technology::builtin("generic-bsim4").unwrap_or_else(|e| panic!("{e}"));
        // 2 U_T / kappa at 27 °C with kappa 0.83.
        // Measured 1.8e-7 V (U_T rounded to 5 digits here); 2e-6 V is an 11x margin.
        assert!((b.model_volt() - 2.0 * 0.025_865 / 0.83).abs() < 2e-6, "{}", b.model_volt());
        assert!(Technology::builtin("tsmc").is_err());
    }

    fn edit(from: &str, to: &str) -> String {
        let t = Technology::builtin_text("generic-bsim4").unwrap_or_default();
        assert!(t.contains(from), "{from}");
        t.replacen(from, to, 1)
    }

    fn err(text: &str) -> String {
        match Technology::from_toml_str(text, "t.toml") {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let e = err(&edit("supply_v = 1.8", "supply_v = -1.8"));
        assert!(e.starts_with("t.toml:10: supply_v must be positive"), "{e}");
        let e = err(&edit("[devices]", "bogus = 1\n[devices]"));
        assert!(e.contains("unknown field `bogus`"), "{e}");
        let e = err(&edit("nmos = \"nch\"", "nmos = \"nch\\n.control\""));
        assert!(e.contains("not a netlist name"), "{e}");
        let e = err(&edit("kappa = 0.83", "kappa = 1.2"));
        assert!(e.contains("below 1"), "{e}");
        let e = err(&edit("level = 54", "level = 1"));
        assert!(e.contains("no subthreshold conduction"), "{e}");
        let e = err(&edit("nmos = \"nch\"", "nmos = \"pch\""));
        assert!(e.contains("not NMOS"), "{e}");
    }

    #[test]
    fn a_technology_names_its_amplifier() {
        let amp = |n: &str| Technology::builtin(n).map(|t| t.amplifier).unwrap_or_else(|e| panic!("{e}"));
        for n in ["gf180", "sky130-hv", "ihp-sg13g2"] {
            assert_eq!(amp(n), Amplifier::Symmetric, "{n}");
        }
        for n in ["sky130", "generic-bsim4", "generic-level1"] {
            assert_eq!(amp(n), Amplifier::FiveTransistor, "{n}");
        }
        let fol = |n: &str| Technology::builtin(n).map(|t| t.followers).unwrap_or_else(|e| panic!("{e}"));
        for n in ["gf180", "sky130-hv", "ihp-sg13g2"] {
            assert_eq!(fol(n), Followers::Linearised, "{n}");
        }
        for n in ["sky130", "generic-bsim4", "generic-level1"] {
            assert_eq!(fol(n), Followers::OffsetPairs, "{n}");
        }
        let text = edit("supply_v = 1.8", "supply_v = 1.8\nfollowers = \"linear\"");
        let line = text[..text.find("followers").unwrap_or(0)].matches('\n').count() + 1;
        assert_eq!(
            err(&text),
            format!(
                "t.toml:{line}: unknown followers `linear`, expected one of `linearised`, `offset-pairs`"
            )
        );
        let t = Technology::from_toml_str(
            &edit("supply_v = 1.8", "supply_v = 1.8\namplifier = \"self-cascoded\""),
            "t.toml",
        );
        assert_eq!(t.map(|t| t.amplifier).unwrap_or_else(|e| panic!("{e}")), Amplifier::SelfCascoded);
        let text = edit("supply_v = 1.8", "supply_v = 1.8\namplifier = \"folded\"");
        let line = text[..text.find("amplifier").unwrap_or(0)].matches('\n').count() + 1;
        assert_eq!(
            err(&text),
            format!(
                "t.toml:{line}: unknown amplifier `folded`, expected one of `five-transistor`, `cascoded`, \
                 `symmetric`, `self-cascoded`"
            )
        );
    }

    #[test]
    fn resistor_tables_are_read_and_checked() {
        let t = Technology::builtin("generic-bsim4").unwrap_or_else(|e| panic!("{e}"));
        let r = t.resistor.unwrap_or_else(|| panic!("generic-bsim4 has a [resistor] table"));
        assert_eq!(
            (r.sheet_ohm_per_square, r.width_m, r.end_ohm, r.string_current_a),
            (1000.0, 1e-6, 0.0, None)
        );
        let with = |table: &str| edit("sheet_ohm_per_square = 1000.0", table);
        let sub =
            "sheet_ohm_per_square = 325.0\nsubckt = { name = \"rpoly\", w_param = \"w\", l_param = \"l\", \
                   scale = 1e6 }";
        let t = Technology::from_toml_str(&with(sub), "t.toml").unwrap_or_else(|e| panic!("{e}"));
        let s = t.resistor.and_then(|r| r.subckt).unwrap_or_else(|| panic!("subckt"));
        assert_eq!((s.name.as_str(), s.scale, s.terminals), ("rpoly", 1e6, 3));
        let line = |key: &str| {
            let text = with("sheet_ohm_per_square = 1000.0");
            text[..text.find(key).unwrap_or(0)].matches('\n').count() + 1
        };
        let at = line("sheet_ohm_per_square");
        for (bad, what) in [
            (
                "sheet_ohm_per_square = -1.0",
                format!("t.toml:{at}: resistor.sheet_ohm_per_square must be positive"),
            ),
            (
                "sheet_ohm_per_square = 1.0\nstring_current_a = 0.0",
                "resistor.string_current_a must be positive".into(),
            ),
            ("sheet_ohm_per_square = 1.0\nbogus = 1", "unknown field `bogus`".into()),
            ("sheet_ohm_per_square = 1.0\nend_ohm = -5.0", "resistor.end_ohm must be positive".into()),
            ("sheet_ohm_per_square = 1.0\nsubckt = { name = \"r\\n.control\" }", "not a netlist name".into()),
            (
                "sheet_ohm_per_square = 1.0\nsubckt = { name = \"r\", terminals = 4 }",
                "terminals must be 2 or 3".into(),
            ),
            (
                "sheet_ohm_per_square = 1.0\nsubckt = { name = \"r\", w_param = \"w=1\" }",
                "not a parameter name".into(),
            ),
        ] {
            let e = err(&with(bad));
            assert!(e.contains(&what) && e.starts_with("t.toml:"), "{bad}: {e}");
        }
        let e = err(&edit("width_m = 1e-6", ""));
        assert!(e.contains("missing field `width_m`"), "{e}");
    }

    /// The PDKs' mirrors: sky130's subcircuits take fingers (`m` and
    /// `mult`), GF180's do not (their `m` is declared and unused), IHP's
    /// are not measured; sky130's and GF180's mirror units are longer.
    #[test]
    fn pdk_mirror_fingers_and_lengths() {
        let t = |n: &str| Technology::builtin(n).unwrap_or_else(|e| panic!("{n}: {e}"));
        let sky = t("sky130");
        assert!(sky.fingers(false) && sky.fingers(true));
        assert_eq!(sky.nmos_subckt.map(|s| s.m_params), Some(vec!["m".to_string(), "mult".to_string()]));
        assert_eq!((sky.sizing.l_m, sky.sizing.mirror_l_m), (0.8e-6, Some(6e-6)));
        let gf = t("gf180");
        assert!(!gf.fingers(false) && !gf.fingers(true));
        assert_eq!(gf.sizing.mirror_l_m, Some(4e-6));
        assert!(!t("ihp-sg13g2").fingers(false));
        assert!(t("generic-bsim4").fingers(false) && t("generic-bsim4").sizing.mirror_l_m.is_none());
        // A mirror length outside the lengths is refused.
        let base = Technology::builtin_text("generic-bsim4").unwrap_or_default();
        let text = base.replace("l_m = 2e-6", "l_m = 2e-6\nmirror_l_m = 200e-6");
        let e = Technology::from_toml_str(&text, "t.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("l_min_m <= l_m, mirror_l_m <= l_max_m"), "{e}");
    }

    /// Grid values are the doubles of their decimals (1300 steps of 5 nm
    /// multiplied out are 6.5000000000000004 µm).
    #[test]
    fn grid_values_are_their_decimals() {
        let sz = Technology::builtin("sky130").unwrap_or_else(|e| panic!("{e}")).sizing;
        assert_eq!(sz.on_grid(6.5012e-6, f64::round), 6.5e-6);
        assert_eq!(sz.on_grid(6.5012e-6, f64::ceil), 6.505e-6);
        assert_eq!(sz.on_grid(6.5048e-6, f64::floor), 6.5e-6);
        assert_eq!(sz.on_grid(17.585e-6, f64::round), 17.585e-6);
    }

    #[test]
    fn subcircuit_devices_are_read_and_checked() {
        let base = Technology::builtin_text("generic-bsim4").unwrap_or_default();
        let start = base.find("[[models.card]]").unwrap_or(0);
        let end = base.find("[subthreshold]").unwrap_or(0);
        let with = |nmos: &str| {
            format!(
                "{}[models]\nlibrary = {{ path = \"pdk.lib\", section = \"tt\" }}\n[devices]\nnmos = {nmos}\n\
                 pmos = \"pch\"\n{}",
                &base[..start],
                &base[end..]
            )
        };
        let t = Technology::from_toml_str(
            &with("{ subckt = \"sky130_fd_pr__nfet_01v8\", w_param = \"w\", l_param = \"l\", scale = 1e6 }"),
            "t.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.nmos, "sky130_fd_pr__nfet_01v8");
        let sd = t.nmos_subckt.unwrap_or_else(|| panic!("subckt"));
        assert_eq!((sd.w_param.as_str(), sd.l_param.as_str(), sd.scale), ("w", "l", 1e6));
        assert!(t.pmos_subckt.is_none() && t.pmos == "pch");
        // Defaults: w, l, scale 1, no multiplier: no fingers (a model card always has them).
        let t = Technology::from_toml_str(&with("{ subckt = \"nf\" }"), "t.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!t.fingers(false) && t.fingers(true), "{:?}", t.nmos_subckt);
        assert_eq!(t.nmos_subckt.map(|s| s.scale), Some(1.0));
        let t =
            Technology::from_toml_str(&with("{ subckt = \"nf\", m_params = [\"m\", \"mult\"] }"), "t.toml")
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.fingers(false));
        assert_eq!(t.nmos_subckt.map(|s| s.m_params), Some(vec!["m".to_string(), "mult".to_string()]));
        for (bad, what) in [
            ("{ subckt = \"nf\\n.control\" }", "not a netlist name"),
            ("{ subckt = \"nf\", w_param = \"w=1 x\" }", "not a parameter name"),
            ("{ subckt = \"nf\", m_params = [\"m\", \"m=2\"] }", "m_params `m=2` is not a parameter name"),
            ("{ subckt = \"nf\", scale = -1.0 }", "scale must be positive"),
            ("{ subckt = \"nf\", bogus = 1 }", "did not match"),
        ] {
            let e = err(&with(bad));
            assert!(e.contains(what) && e.starts_with("t.toml:"), "{bad}: {e}");
        }
        // Subcircuits come from a library, not from cards.
        let e = err(&edit("nmos = \"nch\"", "nmos = { subckt = \"nch\" }"));
        assert!(e.contains("need their subcircuits from a model library"), "{e}");
    }

    #[test]
    fn library_paths_are_checked() {
        let base = Technology::builtin_text("generic-level1").unwrap_or_default();
        let start = base.find("[[models.card]]").unwrap_or(0);
        let end = base.find("[devices]").unwrap_or(0);
        let with = |lib: &str| format!("{}[models]\nlibrary = {lib}\n{}", &base[..start], &base[end..]);
        let t = Technology::from_toml_str(&with("{ path = \"pdk/models.lib\", section = \"tt\" }"), "t.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.models,
            ModelSource::Library { path: "pdk/models.lib".into(), section: Some("tt".into()) }
        );
        for bad in ["{ path = \"a b.lib\" }", "{ path = \"a\\\".lib\" }", "{ path = \"a\\n.control\" }"] {
            let e = err(&with(bad));
            assert!(e.contains("cannot be written into a netlist"), "{bad}: {e}");
        }
        let e = err(&with("{ path = \"a.lib\", section = \"tt x\" }"));
        assert!(e.contains("not a netlist name"), "{e}");
    }

    #[test]
    fn measured_parameters_and_pdk_libraries_are_checked() {
        let base = Technology::builtin_text("sky130").unwrap_or_default();
        let t = Technology::from_toml_str(base, "t.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.pdk.as_deref(), Some("sky130"));
        let edit = |from: &str, to: &str| {
            assert!(base.contains(from), "{from}");
            base.replacen(from, to, 1)
        };
        let e = err(&edit("measure = true", "measure = true\nkappa = 0.7"));
        assert!(e.contains("measure = true measures kappa on the models: remove the value"), "{e}");
        let e = err(&edit("measure = true", "kappa = 0.7"));
        assert!(e.contains("[subthreshold] needs specific_current_n_a (or measure = true)"), "{e}");
        let e = err(&edit("pdk = \"sky130\"", "pdk = \"tsmc\""));
        assert!(
            e.contains("models.library.pdk `tsmc` is not a PDK atscale installs; known: sky130, gf180mcu, ihp-sg13g2"),
            "{e}"
        );
        let e = err(&edit("path = \"atscale.lib\"", "path = \"/etc/atscale.lib\""));
        assert!(e.contains("must be relative to the PDK's folder"), "{e}");
        let e = err(&edit("monte_carlo = \"mc\"", "monte_carlo = \"mc\", no_monte_carlo = \"x\""));
        assert!(e.contains("no_monte_carlo says why there is no statistical section: not with"), "{e}");
        let e = err(&edit("region = \"subthreshold\"", "region = \"subthreshold\"\nengine = \"spectre\""));
        assert!(e.contains("unknown variant `spectre`, expected `ngspice` or `vacask`"), "{e}");
        let e = err(&edit("corners = [\"tt\"", "corners = [\"tt\\n.control\""));
        assert!(e.contains("models.library.corners") && e.contains("not a netlist name"), "{e}");
        // The statistics atscale draws: ihp-sg13g2's table, with a statistical section, relative paths.
        let ihp = Technology::builtin_text("ihp-sg13g2").unwrap_or_default();
        let edit = |from: &str, to: &str| {
            assert!(ihp.contains(from), "{from}");
            Technology::from_toml_str(&ihp.replacen(from, to, 1), "ihp.toml")
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        let e = edit("monte_carlo = \"mc\"\n", "");
        assert!(e.starts_with("ihp.toml:") && e.contains("add `monte_carlo = ...`"), "{e}");
        let e = edit("law = \"ngspice/", "law = \"/etc/");
        assert!(
            e.contains(
                "models.library.draws.law `/etc/sg13g2_moshv_mod_mismatch.lib` must be a path relative"
            ),
            "{e}"
        );
        let e = edit("nominal_section = \"mos_tt_stat\"", "nominal_section = \"a b\"");
        assert!(e.contains("models.library.draws.nominal_section `a b` is not a netlist name"), "{e}");
        let e = edit("nominal_section = \"mos_tt_stat\"\n", "");
        assert!(e.contains("missing field `nominal_section`"), "{e}");
    }
}
