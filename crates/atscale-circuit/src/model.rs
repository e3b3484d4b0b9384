//! Device model cards (diodes, MOSFETs, bipolar transistors, switches).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A named device model card, shared by the devices that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model<V> {
    /// Name devices refer to, unique (case-insensitively) in the circuit.
    pub name: String,
    /// The device type and its parameters.
    #[serde(flatten)]
    pub kind: ModelKind<V>,
}

/// The device type of a model card and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelKind<V> {
    /// Junction diode (SPICE `D`).
    Diode(DiodeParams<V>),
    /// n-channel MOSFET (SPICE `NMOS`).
    Nmos(MosParams<V>),
    /// p-channel MOSFET (SPICE `PMOS`).
    Pmos(MosParams<V>),
    /// npn bipolar transistor (SPICE `NPN`).
    Npn(BjtParams<V>),
    /// pnp bipolar transistor (SPICE `PNP`).
    Pnp(BjtParams<V>),
    /// Voltage-controlled switch (SPICE `SW`, for `S` elements).
    Sw(SwitchParams<V>),
    /// Current-controlled switch (SPICE `CSW`, for `W` elements).
    Csw(SwitchParams<V>),
}

/// Bipolar transistor parameters (ngspice's BJT: level 1 is Gummel-Poon).
/// Parameters are kept by lower-case SPICE name; an absent one takes the
/// SPICE default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct BjtParams<V> {
    /// Model level (1 = Gummel-Poon; others are exported, not simulated natively).
    pub level: u32,
    /// Parameters by lower-case SPICE name (`is`, `bf`, `vaf`, `cje`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, V>,
}

/// Switch parameters. For `SW` models the threshold and hysteresis are
/// voltages (`VT`, `VH`); for `CSW` models currents (`IT`, `IH`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchParams<V> {
    /// Threshold `VT`, V, or `IT`, A (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<V>,
    /// Hysteresis `VH`, V, or `IH`, A (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hysteresis: Option<V>,
    /// On resistance `RON`, Ω (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ron: Option<V>,
    /// Off resistance `ROFF`, Ω (default 1e12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roff: Option<V>,
}

/// SPICE diode parameters; an absent parameter takes the SPICE default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct DiodeParams<V> {
    /// Saturation current `IS`, A (default 1e-14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is: Option<V>,
    /// Emission coefficient `N` (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<V>,
    /// Series resistance `RS`, Ω (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rs: Option<V>,
    /// Zero-bias junction capacitance `CJO`, F (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cjo: Option<V>,
    /// Junction potential `VJ`, V (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vj: Option<V>,
    /// Grading coefficient `M` (default 0.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub m: Option<V>,
    /// Transit time `TT`, s (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tt: Option<V>,
    /// Reverse breakdown voltage `BV`, V (default: no breakdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bv: Option<V>,
    /// Current at breakdown `IBV`, A (default 1e-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ibv: Option<V>,
    /// Other parameters of ngspice's diode by canonical lower-case SPICE
    /// name (`fc`, `nbv`, `ikf`, `isr`, `jsw`, `cjp`, `eg`, `xti`, `kf`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, V>,
}

/// MOSFET model parameters. The level-1 (Shichman-Hodges) parameters are
/// fields; every other parameter (and every parameter of other levels, which
/// atscale carries for export only) is kept by name in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct MosParams<V> {
    /// Model level (1 = Shichman-Hodges; others are exported, not simulated natively).
    pub level: u32,
    /// Zero-bias threshold voltage `VTO`, V (default 0; negative for enhancement PMOS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vto: Option<V>,
    /// Transconductance parameter `KP`, A/V² (default 2e-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kp: Option<V>,
    /// Channel-length modulation `LAMBDA`, 1/V (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda: Option<V>,
    /// Body-effect coefficient `GAMMA`, √V (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<V>,
    /// Surface potential `PHI`, V (default 0.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phi: Option<V>,
    /// Other parameters by lower-case SPICE name, carried for export.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, V>,
}

impl<V> Default for DiodeParams<V> {
    /// Every parameter at its SPICE default.
    fn default() -> Self {
        DiodeParams {
            is: None,
            n: None,
            rs: None,
            cjo: None,
            vj: None,
            m: None,
            tt: None,
            bv: None,
            ibv: None,
            extra: BTreeMap::new(),
        }
    }
}

impl<V> Default for SwitchParams<V> {
    /// Every parameter at its SPICE default.
    fn default() -> Self {
        SwitchParams { threshold: None, hysteresis: None, ron: None, roff: None }
    }
}

impl<V> ModelKind<V> {
    /// The SPICE type keyword (`D`, `NMOS`, `PMOS`, `NPN`, `PNP`, `SW`, `CSW`).
    pub fn keyword(&self) -> &'static str {
        match self {
            ModelKind::Diode(_) => "D",
            ModelKind::Nmos(_) => "NMOS",
            ModelKind::Pmos(_) => "PMOS",
            ModelKind::Npn(_) => "NPN",
            ModelKind::Pnp(_) => "PNP",
            ModelKind::Sw(_) => "SW",
            ModelKind::Csw(_) => "CSW",
        }
    }

    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<ModelKind<W>, E> {
        fn o<V, W, E>(x: &Option<V>, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<Option<W>, E> {
            x.as_ref().map(f).transpose()
        }
        let mos = |p: &MosParams<V>, f: &mut dyn FnMut(&V) -> Result<W, E>| -> Result<MosParams<W>, E> {
            let mut f = |v: &V| f(v);
            Ok(MosParams {
                level: p.level,
                vto: o(&p.vto, &mut f)?,
                kp: o(&p.kp, &mut f)?,
                lambda: o(&p.lambda, &mut f)?,
                gamma: o(&p.gamma, &mut f)?,
                phi: o(&p.phi, &mut f)?,
                extra: p.extra.iter().map(|(k, v)| Ok((k.clone(), f(v)?))).collect::<Result<_, E>>()?,
            })
        };
        fn bjt<V, W, E>(p: &BjtParams<V>, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<BjtParams<W>, E> {
            let params = p.params.iter().map(|(k, v)| Ok((k.clone(), f(v)?))).collect::<Result<_, E>>()?;
            Ok(BjtParams { level: p.level, params })
        }
        fn switch<V, W, E>(
            p: &SwitchParams<V>,
            f: &mut impl FnMut(&V) -> Result<W, E>,
        ) -> Result<SwitchParams<W>, E> {
            Ok(SwitchParams {
                threshold: o(&p.threshold, f)?,
                hysteresis: o(&p.hysteresis, f)?,
                ron: o(&p.ron, f)?,
                roff: o(&p.roff, f)?,
            })
        }
        Ok(match self {
            ModelKind::Diode(d) => ModelKind::Diode(DiodeParams {
                is: o(&d.is, f)?,
                n: o(&d.n, f)?,
                rs: o(&d.rs, f)?,
                cjo: o(&d.cjo, f)?,
                vj: o(&d.vj, f)?,
                m: o(&d.m, f)?,
                tt: o(&d.tt, f)?,
                bv: o(&d.bv, f)?,
                ibv: o(&d.ibv, f)?,
                extra: d.extra.iter().map(|(k, v)| Ok((k.clone(), f(v)?))).collect::<Result<_, E>>()?,
            }),
            ModelKind::Nmos(p) => ModelKind::Nmos(mos(p, f)?),
            ModelKind::Pmos(p) => ModelKind::Pmos(mos(p, f)?),
            ModelKind::Npn(p) => ModelKind::Npn(bjt(p, f)?),
            ModelKind::Pnp(p) => ModelKind::Pnp(bjt(p, f)?),
            ModelKind::Sw(p) => ModelKind::Sw(switch(p, f)?),
            ModelKind::Csw(p) => ModelKind::Csw(switch(p, f)?),
        })
    }
}

impl DiodeParams<f64> {
    /// Saturation current, A, with the SPICE default.
    pub fn is_amp(&self) -> f64 {
        self.is.unwrap_or(1e-14)
    }
    /// Emission coefficient with the SPICE default.
    pub fn emission(&self) -> f64 {
        self.n.unwrap_or(1.0)
    }
    /// Extra parameter `name` (canonical lower case) or its SPICE `default`.
    pub fn get(&self, name: &str, default: f64) -> f64 {
        self.extra.get(name).copied().unwrap_or(default)
    }
}

impl MosParams<f64> {
    /// `VTO`, V, with the SPICE default.
    pub fn vto_volt(&self) -> f64 {
        self.vto.unwrap_or(0.0)
    }
    /// `KP`, A/V², with the SPICE default.
    pub fn kp(&self) -> f64 {
        self.kp.unwrap_or(2e-5)
    }
    /// `LAMBDA`, 1/V, with the SPICE default.
    pub fn lambda(&self) -> f64 {
        self.lambda.unwrap_or(0.0)
    }
    /// `GAMMA`, √V, with the SPICE default.
    pub fn gamma(&self) -> f64 {
        self.gamma.unwrap_or(0.0)
    }
    /// `PHI`, V, with the SPICE default.
    pub fn phi(&self) -> f64 {
        self.phi.unwrap_or(0.6)
    }
    /// Extra parameter `name` (lower case), if given.
    pub fn extra(&self, name: &str) -> Option<f64> {
        self.extra.get(name).copied()
    }
}

impl BjtParams<f64> {
    /// Parameter `name` (lower case) or its SPICE `default`.
    pub fn get(&self, name: &str, default: f64) -> f64 {
        self.params.get(name).copied().unwrap_or(default)
    }
}

impl SwitchParams<f64> {
    /// Threshold (`VT` or `IT`) with the SPICE default 0.
    pub fn threshold(&self) -> f64 {
        self.threshold.unwrap_or(0.0)
    }
    /// Hysteresis (`VH` or `IH`) with the SPICE default 0.
    pub fn hysteresis(&self) -> f64 {
        self.hysteresis.unwrap_or(0.0)
    }
    /// On resistance, Ω, with the SPICE default 1 Ω.
    pub fn ron(&self) -> f64 {
        self.ron.unwrap_or(1.0)
    }
    /// Off resistance, Ω, with the SPICE default 1e12 Ω.
    pub fn roff(&self) -> f64 {
        self.roff.unwrap_or(1e12)
    }
}
