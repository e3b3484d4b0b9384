//! ngspice's level-1 MOSFET (MOS1) as its mos1temp.c and mos1load.c compute
//! it at 27 °C (TEMP = TNOM): the Shichman-Hodges channel with source/drain
//! swap by the sign of vds, the bulk junctions (IS or JS by area) with gmin,
//! their depletion charges (CBD/CBS or CJ by area, CJSW by perimeter, MJ,
//! MJSW, PB, FC), the overlap capacitances (CGSO, CGDO, CGBO), Meyer's gate
//! capacitances, KP from U0 and TOX and VTO/GAMMA/PHI from NSUB, NSS and
//! TPG, the effective length L - 2 LD, the multiplier M, and
//! `fetlim`/`limvds`/`pnjlim` limiting. RD and RS (or RSH times NRD/NRS)
//! are linear resistors built beside the device, to internal nodes.
//!
//! Meyer's capacitances are not derivatives of charges (they are not
//! conservative); ngspice integrates them as charges updated at every
//! accepted time point by the capacitance averaged over the step,
//! `q_n = q_{n-1} + (C(v_n) + C(v_{n-1}))/2 · (v_n - v_{n-1})`. The device
//! does the same: its gate charges are relative to the last accepted point
//! ([`Mosfet::accept`]), so the engine's `d/dt q` is ngspice's Meyer current.
//!
//! Levels 2 and 3 (MOS2, MOS3) share all of this but the channel
//! ([`Level`]: `mos2.rs`, `mos3.rs`), their geometry and model
//! preprocessing, TOX's default (0.1 µm: they always have a gate
//! capacitance), MJSW's default (0.33) and, at level 3, the reverse
//! junction current.

use atscale_circuit::{MosInstance, MosParams};

use super::mos2::{Mos2, Mos2Model};
use super::mos3::{self, Mos3, Mos3Model};
use super::{add, get, pnjlim, quad, stamp_g};
use crate::mna::{EvalCtx, EvalOut, BOLTZMANN, CHARGE, GMIN, NONE, T_NOMINAL, VT_NOMINAL};

/// Permittivity of free space as ngspice's MOS1 writes it, F/m.
const EPS0: f64 = 8.854214871e-12;
/// Relative permittivity of silicon dioxide (MOS1).
const EPS_OX: f64 = 3.9;
/// Relative permittivity of silicon (MOS1).
const EPS_SI: f64 = 11.70;
/// Intrinsic carrier density of silicon at 300 K (MOS1), 1/m³.
const NI: f64 = 1.45e16;
/// Smallest drain-source saturation voltage of Meyer's model (`MAGIC_VDS`), V.
const MAGIC_VDS: f64 = 0.025;
/// Largest exponent of a junction current (ngspice's `MAX_EXP_ARG`).
const MAX_EXP_ARG: f64 = 709.0;

/// A MOS1 bulk junction's depletion charge: bottom (`CJ` by area or
/// `CBD`/`CBS`) and sidewall (`CJSW` by perimeter), with SPICE's
/// quadratic extension above `FC·PB`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Depletion {
    /// Zero-bias bottom and sidewall capacitances, F.
    cz: f64,
    czsw: f64,
    /// Junction potential `PB`, V.
    pb: f64,
    /// Bottom and sidewall grading coefficients `MJ`, `MJSW`.
    mj: f64,
    mjsw: f64,
    /// `FC·PB`, V.
    depcap: f64,
    /// Coefficients of the extension: `q = f4 + v f2 + v² f3 / 2`.
    f2: f64,
    f3: f64,
    f4: f64,
}

/// `arg^-m`, with the square root SPICE uses for `m = 0.5`.
fn grading(arg: f64, m: f64) -> f64 {
    if m == 0.5 {
        1.0 / arg.sqrt()
    } else {
        (-m * arg.ln()).exp()
    }
}

impl Depletion {
    /// The junction of zero-bias capacitances `cz` (bottom) and `czsw`
    /// (sidewall), F, with `pb`, `mj`, `mjsw` and `fc`.
    pub(crate) fn new(cz: f64, czsw: f64, pb: f64, (mj, mjsw): (f64, f64), fc: f64) -> Depletion {
        let arg = 1.0 - fc;
        let sarg = (-mj * arg.ln()).exp();
        let sargsw = (-mjsw * arg.ln()).exp();
        let depcap = fc * pb;
        let f2 = cz * (1.0 - fc * (1.0 + mj)) * sarg / arg + czsw * (1.0 - fc * (1.0 + mjsw)) * sargsw / arg;
        let f3 = cz * mj * sarg / arg / pb + czsw * mjsw * sargsw / arg / pb;
        let f4 = cz * pb * (1.0 - arg * sarg) / (1.0 - mj) + czsw * pb * (1.0 - arg * sargsw) / (1.0 - mjsw)
            - f3 / 2.0 * (depcap * depcap)
            - depcap * f2;
        Depletion { cz, czsw, pb, mj, mjsw, depcap, f2, f3, f4 }
    }

    /// Whether the junction has no capacitance.
    pub(crate) fn is_zero(&self) -> bool {
        self.cz == 0.0 && self.czsw == 0.0
    }

    /// `(charge C, capacitance F)` at junction voltage `v` (n-channel frame).
    pub(crate) fn at(&self, v: f64) -> (f64, f64) {
        if self.is_zero() {
            return (0.0, 0.0);
        }
        if v < self.depcap {
            let arg = 1.0 - v / self.pb;
            let sarg = grading(arg, self.mj);
            let sargsw = grading(arg, self.mjsw);
            let q = self.pb
                * (self.cz * (1.0 - arg * sarg) / (1.0 - self.mj)
                    + self.czsw * (1.0 - arg * sargsw) / (1.0 - self.mjsw));
            (q, self.cz * sarg + self.czsw * sargsw)
        } else {
            (self.f4 + v * (self.f2 + v * (self.f3 / 2.0)), self.f2 + self.f3 * v)
        }
    }
}

/// Half of Meyer's gate-source, gate-drain and gate-bulk capacitances
/// (ngspice's `DEVqmeyer`: the other half is the previous time point's), F,
/// in the normal mode; `cox` is the whole oxide capacitance, F.
pub(crate) fn qmeyer(vgs: f64, vgd: f64, von: f64, vdsat: f64, phi: f64, cox: f64) -> [f64; 3] {
    let vgst = vgs - von;
    let vdsat = vdsat.max(MAGIC_VDS);
    if vgst <= -phi {
        [0.0, 0.0, cox / 2.0]
    } else if vgst <= -phi / 2.0 {
        [0.0, 0.0, -vgst * cox / (2.0 * phi)]
    } else if vgst <= 0.0 {
        let capgb = -vgst * cox / (2.0 * phi);
        let capgs = vgst * cox / (1.5 * phi) + cox / 3.0;
        let vds = vgs - vgd;
        if vds >= vdsat {
            [capgs, 0.0, capgb]
        } else {
            let vddif = 2.0 * vdsat - vds;
            let vddif1 = vdsat - vds;
            let vddif2 = vddif * vddif;
            [capgs * (1.0 - vddif1 * vddif1 / vddif2), capgs * (1.0 - vdsat * vdsat / vddif2), capgb]
        }
    } else {
        let vds = vgs - vgd;
        if vdsat <= vds {
            [cox / 3.0, 0.0, 0.0]
        } else {
            let vddif = 2.0 * vdsat - vds;
            let vddif1 = vdsat - vds;
            let vddif2 = vddif * vddif;
            [cox * (1.0 - vddif1 * vddif1 / vddif2) / 3.0, cox * (1.0 - vdsat * vdsat / vddif2) / 3.0, 0.0]
        }
    }
}

/// The gate's capacitances: oxide (Meyer) and overlaps, with the state of
/// the last accepted time point.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate {
    /// Oxide capacitance `COX·Leff·W·M`, F.
    cox: f64,
    /// Overlap capacitances gate-source, gate-drain, gate-bulk, F.
    overlap: [f64; 3],
    /// `(vgs, vgd, vgb)` at the last accepted point, n-channel frame, V.
    v_prev: [f64; 3],
    /// Meyer's half capacitances there, F.
    half_prev: [f64; 3],
    /// Gate charges to source, drain and bulk there, n-channel frame, C.
    q_prev: [f64; 3],
}

impl Gate {
    /// Whether the gate has no capacitance at all.
    fn is_zero(&self) -> bool {
        self.cox == 0.0 && self.overlap.iter().all(|c| *c == 0.0)
    }

    /// `(charges, capacitances)` to source, drain and bulk at `v` with
    /// Meyer's halves `half`: the step's averaged capacitance times the
    /// change since the last accepted point.
    fn charges(&self, v: [f64; 3], half: [f64; 3]) -> ([f64; 3], [f64; 3]) {
        let mut q = [0.0; 3];
        let mut c = [0.0; 3];
        for k in 0..3 {
            c[k] = half[k] + self.half_prev[k] + self.overlap[k];
            q[k] = self.q_prev[k] + c[k] * (v[k] - self.v_prev[k]);
        }
        (q, c)
    }
}

/// The channel equations of a MOSFET's level: Shichman-Hodges (level 1,
/// from [`Mos1`]'s own fields), MOS2 or MOS3.
#[derive(Debug, Clone)]
pub(crate) enum Level {
    One,
    Two(Box<Mos2>),
    Three(Box<Mos3>),
}

/// A MOSFET's parameters at 27 °C, instance geometry applied (named for
/// level 1, whose channel is in its fields; levels 2 and 3 carry theirs
/// in [`Level`]).
#[derive(Debug, Clone)]
pub(crate) struct Mos1 {
    /// `KP·M·W/Leff`, A/V².
    pub(crate) beta: f64,
    /// Flat-band-like `VTO - GAMMA·√PHI` in the n-channel frame (`tVbi`), V.
    pub(crate) vbi: f64,
    pub(crate) gamma: f64,
    pub(crate) phi: f64,
    pub(crate) lambda: f64,
    /// Drain and source junction saturation currents, A.
    pub(crate) is_d: f64,
    pub(crate) is_s: f64,
    /// Drain and source series conductances (0: none), S.
    pub(crate) g_drain: f64,
    pub(crate) g_source: f64,
    pub(crate) bd: Depletion,
    pub(crate) bs: Depletion,
    gate: Gate,
    pub(crate) level: Level,
}

/// A positive-or-zero length from a model or instance value.
fn value(x: Option<f64>, default: f64) -> f64 {
    x.unwrap_or(default)
}

impl Mos1 {
    /// The parameters of an instance of width `w_m` and length `l_m` of
    /// model `p` (`sign` +1 for NMOS, -1 for PMOS), as MOS1, MOS2 or MOS3
    /// (by the card's level) computes them; an error names a parameter
    /// ngspice refuses too.
    pub(crate) fn new(
        p: &MosParams<f64>,
        sign: f64,
        (w_m, l_m): (f64, f64),
        inst: &MosInstance<f64>,
    ) -> Result<Mos1, String> {
        let x = |k: &str| p.extra(k);
        let m = value(inst.m, 1.0);
        let Shape { level, leff, w, cox_area, derived, mjsw } = shape(p, sign, (w_m, l_m), m)?;
        let Derived { kp, vto, gamma, phi } = derived;
        let is = value(x("is"), 1e-14);
        let js = value(x("js"), 0.0);
        let (ad, as_) = (value(inst.ad_m2, 0.0), value(inst.as_m2, 0.0));
        let (is_d, is_s) =
            if js == 0.0 || ad == 0.0 || as_ == 0.0 { (m * is, m * is) } else { (js * m * ad, js * m * as_) };
        if [is_d, is_s].iter().any(|i| !i.is_finite() || *i <= 0.0) {
            return Err(format!("junction saturation currents {is_d:e} A and {is_s:e} A are not positive"));
        }
        let (pd, ps) = (value(inst.pd_m, 0.0), value(inst.ps_m, 0.0));
        let junction = |cb: Option<f64>, area: f64, perim: f64| {
            let cz = match (cb, x("cj")) {
                (Some(c), _) => c * m,
                (None, Some(cj)) => cj * m * area,
                (None, None) => 0.0,
            };
            let czsw = x("cjsw").map_or(0.0, |c| c * perim * m);
            let grading = (value(x("mj"), 0.5), value(x("mjsw"), mjsw));
            Depletion::new(cz, czsw, value(x("pb"), 0.8), grading, value(x("fc"), 0.5))
        };
        let gate = Gate {
            cox: cox_area * leff * m * w,
            overlap: [
                value(x("cgso"), 0.0) * m * w,
                value(x("cgdo"), 0.0) * m * w,
                value(x("cgbo"), 0.0) * m * leff,
            ],
            ..Gate::default()
        };
        let (g_drain, g_source) = series_conductances(p, inst);
        Ok(Mos1 {
            beta: kp * m * w / leff,
            vbi: sign * vto - gamma * phi.sqrt(),
            gamma,
            phi,
            lambda: p.lambda(),
            is_d,
            is_s,
            g_drain,
            g_source,
            bd: junction(x("cbd"), ad, pd),
            bs: junction(x("cbs"), as_, ps),
            gate,
            level,
        })
    }

    /// Whether the device has any charge (junction, overlap or oxide).
    pub(crate) fn has_charge(&self) -> bool {
        !(self.bd.is_zero() && self.bs.is_zero() && self.gate.is_zero())
    }
}

/// The drain and source series conductances of an instance, S (0 for
/// none): `M/RD` when RD is given, else `M/(RSH·NRD)` (likewise RS, NRS).
pub(crate) fn series_conductances(p: &MosParams<f64>, inst: &MosInstance<f64>) -> (f64, f64) {
    let m = value(inst.m, 1.0);
    let rsh = p.extra("rsh").unwrap_or(0.0);
    let g = |r: Option<f64>, squares: f64| match r {
        Some(r) if r != 0.0 => m / r,
        Some(_) => 0.0,
        None if rsh != 0.0 && squares != 0.0 => m / (rsh * squares),
        None => 0.0,
    };
    (g(p.extra("rd"), value(inst.nrd, 1.0)), g(p.extra("rs"), value(inst.nrs, 1.0)))
}

/// What a level makes of a model card and an instance's size: its channel,
/// the effective length and width, m, the oxide capacitance per area,
/// F/m², the model parameters the gate and the limiter share, and the
/// default sidewall grading MJSW.
struct Shape {
    level: Level,
    leff: f64,
    w: f64,
    cox_area: f64,
    derived: Derived,
    mjsw: f64,
}

/// The [`Shape`] of an instance of width `w_m`, length `l_m` and
/// multiplier `m` of model `p` (`sign` +1 for NMOS, -1 for PMOS) at its
/// level (1, 2 or 3).
fn shape(p: &MosParams<f64>, sign: f64, (w_m, l_m): (f64, f64), m: f64) -> Result<Shape, String> {
    match p.level {
        2 => {
            let md = Mos2Model::new(p, sign)?;
            let leff = md.effective_length(l_m)?;
            let derived = Derived { kp: md.kp, vto: md.vto, gamma: md.gamma, phi: md.phi };
            let level = Level::Two(Box::new(Mos2::new(&md, sign, w_m, leff, m)));
            Ok(Shape { level, leff, w: w_m, cox_area: md.cox, derived, mjsw: 0.33 })
        }
        3 => {
            let md = Mos3Model::new(p, sign)?;
            let (leff, w) = md.geometry((w_m, l_m))?;
            let derived = Derived { kp: md.kp, vto: md.vto, gamma: md.gamma, phi: md.phi };
            let level = Level::Three(Box::new(Mos3::new(&md, sign, (leff, w), m)));
            Ok(Shape { level, leff, w, cox_area: md.cox, derived, mjsw: 0.33 })
        }
        _ => {
            let leff = l_m - 2.0 * value(p.extra("ld"), 0.0);
            if leff.is_nan() || leff <= 0.0 {
                return Err(format!("the effective channel length L - 2 LD = {leff:e} m is not positive"));
            }
            let derived = derive(p, sign)?;
            Ok(Shape { level: Level::One, leff, w: w_m, cox_area: oxide_capacitance(p), derived, mjsw: 0.5 })
        }
    }
}

/// `COX` per area from `TOX` (0 when TOX is absent or zero), F/m².
fn oxide_capacitance(p: &MosParams<f64>) -> f64 {
    match p.extra("tox") {
        Some(tox) if tox != 0.0 => EPS_OX * EPS0 / tox,
        _ => 0.0,
    }
}

/// KP, VTO (as given: negative for enhancement PMOS), GAMMA and PHI after
/// MOS1's defaulting from TOX, U0, NSUB, NSS and TPG.
#[derive(Debug)]
struct Derived {
    kp: f64,
    vto: f64,
    gamma: f64,
    phi: f64,
}

/// MOS1's model preprocessing (mos1temp.c) at TNOM = 27 °C.
fn derive(p: &MosParams<f64>, sign: f64) -> Result<Derived, String> {
    let mut d = Derived { kp: p.kp(), vto: p.vto_volt(), gamma: p.gamma(), phi: p.phi() };
    if d.phi.is_nan() || d.phi <= 0.0 {
        return Err(format!("PHI = {} V is not positive", d.phi));
    }
    let cox = oxide_capacitance(p);
    if cox == 0.0 {
        return Ok(d);
    }
    if p.kp.is_none() {
        d.kp = p.extra("u0").unwrap_or(600.0) * cox * 1e-4;
    }
    let Some(nsub) = p.extra("nsub") else {
        return Ok(d);
    };
    if nsub.is_nan() || nsub * 1e6 <= NI {
        return Err(format!("NSUB = {nsub:e} /cm³ is below the intrinsic density (ngspice: Nsub < Ni)"));
    }
    let tnom = T_NOMINAL;
    let vtnom = tnom * BOLTZMANN / CHARGE;
    let egfet1 = 1.16 - (7.02e-4 * tnom * tnom) / (tnom + 1108.0);
    if p.phi.is_none() {
        d.phi = (2.0 * vtnom * (nsub * 1e6 / NI).ln()).max(0.1);
    }
    let fermis = sign * 0.5 * d.phi;
    let tpg = p.extra("tpg").unwrap_or(1.0);
    let wkfng = if tpg != 0.0 { 3.25 + 0.5 * egfet1 - sign * tpg * 0.5 * egfet1 } else { 3.2 };
    let wkfngs = wkfng - (3.25 + 0.5 * egfet1 + fermis);
    if p.gamma.is_none() {
        d.gamma = (2.0 * EPS_SI * EPS0 * CHARGE * nsub * 1e6).sqrt() / cox;
    }
    if p.vto.is_none() {
        let vfb = wkfngs - p.extra("nss").unwrap_or(0.0) * 1e4 * CHARGE / cox;
        d.vto = vfb + sign * (d.gamma * d.phi.sqrt() + d.phi);
    }
    Ok(d)
}

pub(crate) fn fetlim(vnew: f64, vold: f64, vto: f64) -> f64 {
    let vtsthi = (2.0 * (vold - vto)).abs() + 2.0;
    let vtstlo = vtsthi / 2.0 + 2.0;
    let vtox = vto + 3.5;
    let delv = vnew - vold;
    let mut v = vnew;
    if vold >= vto {
        if vold >= vtox {
            if delv <= 0.0 {
                if vnew >= vtox {
                    if -delv > vtstlo {
                        v = vold - vtstlo;
                    }
                } else {
                    v = vnew.max(vto + 2.0);
                }
            } else if delv >= vtsthi {
                v = vold + vtsthi;
            }
        } else if delv <= 0.0 {
            v = vnew.max(vto - 0.5);
        } else {
            v = vnew.min(vto + 4.0);
        }
    } else if delv <= 0.0 {
        if -delv > vtsthi {
            v = vold - vtsthi;
        }
    } else {
        let vtemp = vto + 0.5;
        if vnew <= vtemp {
            if delv > vtstlo {
                v = vold + vtstlo;
            }
        } else {
            v = vtemp;
        }
    }
    v
}

pub(crate) fn limvds(vnew: f64, vold: f64) -> f64 {
    if vold >= 3.5 {
        if vnew > vold {
            vnew.min(3.0 * vold + 2.0)
        } else if vnew < 3.5 {
            vnew.max(2.0)
        } else {
            vnew
        }
    } else if vnew > vold {
        vnew.min(4.0)
    } else {
        vnew.max(-0.5)
    }
}

/// The channel in one mode: current into the effective drain and its
/// derivatives, with the threshold and saturation voltage (n-channel frame).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Channel {
    pub(crate) ids: f64,
    pub(crate) gm: f64,
    pub(crate) gds: f64,
    pub(crate) gmbs: f64,
    pub(crate) von: f64,
    pub(crate) vdsat: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Mosfet {
    /// Drain, gate, source, bulk (drain and source are the internal nodes
    /// when the device has series resistances).
    pub(crate) d: usize,
    pub(crate) g: usize,
    pub(crate) s: usize,
    pub(crate) b: usize,
    pub(crate) sign: f64,
    pub(crate) p: Mos1,
    /// Thermal voltage, V.
    vt: f64,
    /// Critical voltages of the drain and source junction limiters, V.
    vcrit_d: f64,
    vcrit_s: f64,
    pub(crate) vgs_old: f64,
    pub(crate) vds_old: f64,
    pub(crate) vbs_old: f64,
    pub(crate) vbd_old: f64,
    /// Threshold of the last evaluation, which `fetlim` limits around (as MOS1's `von`), V.
    von_old: f64,
    /// Channel conductance `gm + gds + gmbs` when the Jacobian was last written, S.
    pub(crate) g_jac: f64,
    /// Slots `[row][col]` for rows d, s and columns d, g, s, b.
    pub(crate) slots: [[usize; 4]; 2],
    /// Slots `[row][col]` for rows d, s with the roles of d and s swapped.
    pub(crate) slots_rev: [[usize; 4]; 2],
    /// Slots of the bulk-source and bulk-drain junctions (`quad` order, b first).
    pub(crate) slots_bs: [usize; 4],
    pub(crate) slots_bd: [usize; 4],
    /// Slots of the gate-source, gate-drain and gate-bulk capacitances (g first).
    slots_gate: [[usize; 4]; 3],
}

impl Mosfet {
    /// A device on nodes `[d, g, s, b]` (drain and source internal when
    /// the device has series resistances).
    pub(crate) fn new([d, g, s, b]: [usize; 4], sign: f64, p: Mos1) -> Mosfet {
        let vt = VT_NOMINAL;
        let vcrit = |is: f64| vt * (vt / (std::f64::consts::SQRT_2 * is)).ln();
        Mosfet {
            d,
            g,
            s,
            b,
            sign,
            vt,
            vcrit_d: vcrit(p.is_d),
            vcrit_s: vcrit(p.is_s),
            vgs_old: 0.0,
            vds_old: 0.0,
            vbs_old: 0.0,
            vbd_old: 0.0,
            von_old: p.vbi + p.gamma * p.phi.sqrt(),
            g_jac: 0.0,
            slots: [[NONE; 4]; 2],
            slots_rev: [[NONE; 4]; 2],
            slots_bs: [NONE; 4],
            slots_bd: [NONE; 4],
            slots_gate: [[NONE; 4]; 3],
            p,
        }
    }

    /// Whether the device stores charge.
    pub(crate) fn has_charge(&self) -> bool {
        self.p.has_charge()
    }

    /// The Jacobian entries the device writes.
    pub(crate) fn pairs(&self, push: &mut impl FnMut(usize, usize)) {
        for r in [self.d, self.s] {
            for c in [self.d, self.g, self.s, self.b] {
                push(r, c);
            }
        }
        super::pairs2(push, self.b, self.s);
        super::pairs2(push, self.b, self.d);
        if !self.p.gate.is_zero() {
            for other in [self.s, self.d, self.b] {
                super::pairs2(push, self.g, other);
            }
        }
    }

    /// Takes the device's slots from the pattern.
    pub(crate) fn assign(&mut self, slot: &impl Fn(usize, usize) -> usize) {
        let cols = [self.d, self.g, self.s, self.b];
        for (ri, r) in [self.d, self.s].into_iter().enumerate() {
            for (ci, c) in cols.into_iter().enumerate() {
                self.slots[ri][ci] = slot(r, c);
            }
        }
        let cols_rev = [self.s, self.g, self.d, self.b];
        for (ri, r) in [self.s, self.d].into_iter().enumerate() {
            for (ci, c) in cols_rev.into_iter().enumerate() {
                self.slots_rev[ri][ci] = slot(r, c);
            }
        }
        self.slots_bs = quad(slot, self.b, self.s);
        self.slots_bd = quad(slot, self.b, self.d);
        if !self.p.gate.is_zero() {
            for (k, other) in [self.s, self.d, self.b].into_iter().enumerate() {
                self.slots_gate[k] = quad(slot, self.g, other);
            }
        }
    }

    /// The unknowns that carry charge (terminal voltages), if any.
    pub(crate) fn charged_unknowns(&self) -> Vec<usize> {
        if !self.has_charge() {
            return Vec::new();
        }
        let mut u = vec![self.d, self.s, self.b];
        if !self.p.gate.is_zero() {
            u.push(self.g);
        }
        u
    }

    /// `(vgs, vds, vbs)` in the n-channel frame.
    pub(crate) fn terminal(&self, y: &[f64]) -> (f64, f64, f64) {
        let vs = get(y, self.s);
        (
            self.sign * (get(y, self.g) - vs),
            self.sign * (get(y, self.d) - vs),
            self.sign * (get(y, self.b) - vs),
        )
    }

    /// Resets the limiters' memory to the voltages of `y`.
    pub(crate) fn reset_limiter(&mut self, y: &[f64]) {
        let (vgs, vds, vbs) = self.terminal(y);
        self.vgs_old = vgs;
        self.vds_old = vds;
        self.vbs_old = vbs;
        self.vbd_old = vbs - vds;
    }

    /// Level-1 drain current and its derivatives in the normal mode
    /// (`vds >= 0`), with the threshold and saturation voltage.
    pub(crate) fn level1(&self, vgs: f64, vds: f64, vbs: f64) -> Channel {
        let p = &self.p;
        let sarg = if vbs <= 0.0 {
            (p.phi - vbs).sqrt()
        } else {
            let s = p.phi.sqrt();
            (s - vbs / (s + s)).max(0.0)
        };
        let von = p.vbi + p.gamma * sarg;
        let vgst = vgs - von;
        let vdsat = vgst.max(0.0);
        if vgst <= 0.0 {
            return Channel { von, vdsat, ..Channel::default() };
        }
        let arg = if sarg > 0.0 { p.gamma / (sarg + sarg) } else { 0.0 };
        let betap = p.beta * (1.0 + p.lambda * vds);
        let (ids, gm, gds) = if vgst <= vds {
            (betap * vgst * vgst * 0.5, betap * vgst, p.lambda * p.beta * vgst * vgst * 0.5)
        } else {
            (
                betap * vds * (vgst - 0.5 * vds),
                betap * vds,
                betap * (vgst - vds) + p.lambda * p.beta * vds * (vgst - 0.5 * vds),
            )
        };
        Channel { ids, gm, gds, gmbs: gm * arg, von, vdsat }
    }

    /// The channel of the device's level in the normal mode (`vds >= 0`).
    fn normal(&self, vgs: f64, vds: f64, vbs: f64) -> Channel {
        match &self.p.level {
            Level::One => self.level1(vgs, vds, vbs),
            Level::Two(c) => c.channel(vgs, vds, vbs),
            Level::Three(c) => c.channel(vgs, vds, vbs),
        }
    }

    /// The channel in the mode of `vds`: `(channel, reversed)`.
    fn channel(&self, vgs: f64, vds: f64, vbs: f64) -> (Channel, bool) {
        if vds >= 0.0 {
            (self.normal(vgs, vds, vbs), false)
        } else {
            (self.normal(vgs - vds, -vds, vbs - vds), true)
        }
    }

    /// A bulk junction's `(current, conductance)` at `v` with saturation
    /// current `isat`, as the device's level computes it.
    fn junction(&self, isat: f64, v: f64) -> (f64, f64) {
        match self.p.level {
            Level::Three(_) => mos3::junction(isat, v, self.vt),
            Level::One | Level::Two(_) => junction(isat, v, self.vt),
        }
    }

    /// Meyer's half capacitances `[gs, gd, gb]` in the mode of the channel.
    fn meyer(&self, vgs: f64, vds: f64, ch: &Channel, rev: bool) -> [f64; 3] {
        let (phi, cox) = (self.p.phi, self.p.gate.cox);
        if cox == 0.0 {
            return [0.0; 3];
        }
        let vgd = vgs - vds;
        if rev {
            let [gd, gs, gb] = qmeyer(vgd, vgs, ch.von, ch.vdsat, phi, cox);
            [gs, gd, gb]
        } else {
            qmeyer(vgs, vgd, ch.von, ch.vdsat, phi, cox)
        }
    }

    /// Starts a transient at `y`: the gate charges as ngspice's operating
    /// point leaves them, `q = v·(C(v) + C_overlap)`.
    pub(crate) fn start(&mut self, y: &[f64]) {
        let (vgs, vds, vbs) = self.terminal(y);
        let (ch, rev) = self.channel(vgs, vds, vbs);
        let half = self.meyer(vgs, vds, &ch, rev);
        let v = [vgs, vgs - vds, vgs - vbs];
        let gate = &mut self.p.gate;
        for k in 0..3 {
            gate.q_prev[k] = v[k] * (2.0 * half[k] + gate.overlap[k]);
        }
        gate.v_prev = v;
        gate.half_prev = half;
    }

    /// Takes `y` as the new accepted time point: the gate charges advance
    /// by the step's averaged capacitances.
    pub(crate) fn accept(&mut self, y: &[f64]) {
        if self.p.gate.is_zero() {
            return;
        }
        let (vgs, vds, vbs) = self.terminal(y);
        let (ch, rev) = self.channel(vgs, vds, vbs);
        let half = self.meyer(vgs, vds, &ch, rev);
        let v = [vgs, vgs - vds, vgs - vbs];
        let (q, _) = self.p.gate.charges(v, half);
        let gate = &mut self.p.gate;
        gate.q_prev = q;
        gate.v_prev = v;
        gate.half_prev = half;
    }

    /// Adds the device's charges at `y` (no limiting) to `q`.
    pub(crate) fn charges(&self, y: &[f64], q: &mut [f64]) {
        let (vgs, vds, vbs) = self.terminal(y);
        let (ch, rev) = self.channel(vgs, vds, vbs);
        let (qbs, _) = self.p.bs.at(vbs);
        let (qbd, _) = self.p.bd.at(vbs - vds);
        self.add_junction_charges(q, qbs, qbd);
        if !self.p.gate.is_zero() {
            let half = self.meyer(vgs, vds, &ch, rev);
            let (qg, _) = self.p.gate.charges([vgs, vgs - vds, vgs - vbs], half);
            self.add_gate_charges(q, qg);
        }
    }

    /// Bulk-source and bulk-drain charges (n-channel frame) onto the nodes.
    fn add_junction_charges(&self, q: &mut [f64], qbs: f64, qbd: f64) {
        let (qbs, qbd) = (self.sign * qbs, self.sign * qbd);
        add(q, self.b, qbs + qbd);
        add(q, self.s, -qbs);
        add(q, self.d, -qbd);
    }

    /// Gate charges to source, drain and bulk (n-channel frame) onto the nodes.
    fn add_gate_charges(&self, q: &mut [f64], [qgs, qgd, qgb]: [f64; 3]) {
        let s = self.sign;
        add(q, self.g, s * (qgs + qgd + qgb));
        add(q, self.s, -s * qgs);
        add(q, self.d, -s * qgd);
        add(q, self.b, -s * qgb);
    }

    /// Limits the terminal voltages as MOS1 does: `(vgs, vds, vbs, vbd)`.
    fn limit(&mut self, (vgs_t, vds_t, vbs_t): (f64, f64, f64), out: &mut EvalOut) -> [f64; 4] {
        let von = self.von_old;
        // In the frame of the previous iterate, as SPICE does.
        let (vgs, vds) = if self.vds_old >= 0.0 {
            let vgs = fetlim(vgs_t, self.vgs_old, von);
            (vgs, limvds(vgs - (vgs_t - vds_t), self.vds_old))
        } else {
            let vgd = fetlim(vgs_t - vds_t, self.vgs_old - self.vds_old, von);
            let vds = -limvds(-(vgs_t - vgd), -self.vds_old);
            (vgd + vds, vds)
        };
        if (vgs - vgs_t).abs() > 1e-15 || (vds - vds_t).abs() > 1e-15 {
            out.limited = true;
        }
        // The junction on the source side of the (limited) mode is
        // limited, the other follows from the limited vds.
        let (vbs, vbd, lim) = if vds >= 0.0 {
            let (vbs, lim) = pnjlim(vbs_t, self.vbs_old, self.vt, self.vcrit_s);
            (vbs, vbs - vds, lim)
        } else {
            let (vbd, lim) = pnjlim(vbs_t - vds_t, self.vbd_old, self.vt, self.vcrit_d);
            (vbd + vds, vbd, lim)
        };
        out.limited |= lim;
        [vgs, vds, vbs, vbd]
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let (vgs_t, vds_t, vbs_t) = self.terminal(y);
        let vbd_t = vbs_t - vds_t;
        let [vgs, vds, vbs, vbd] =
            if ctx.limit { self.limit((vgs_t, vds_t, vbs_t), out) } else { [vgs_t, vds_t, vbs_t, vbd_t] };
        self.vgs_old = vgs;
        self.vds_old = vds;
        self.vbs_old = vbs;
        self.vbd_old = vbd;
        let (ch, rev) = self.channel(vgs, vds, vbs);
        self.von_old = ch.von;
        let Channel { ids, gm, gds, gmbs, .. } = ch;
        // The level-1 channel's conductance vanishes at the threshold (its
        // current is square-law above and zero below): near it, a chord
        // step with a Jacobian from another iterate is wrong by any factor
        // and can accept a solution picoamperes but hundreds of microvolts
        // off, or oscillate around it. Such an iterate asks for a fresh
        // Jacobian (SPICE refactors every iteration).
        let g = gm + gds + gmbs;
        if ctx.jac {
            self.g_jac = g;
        } else if ctx.limit && (g - self.g_jac).abs() > 0.5 * g.max(self.g_jac) && g.max(self.g_jac) > GMIN {
            out.stale = true;
        }
        // Linearised current into the (effective) drain, n-channel frame,
        // then the terminal current into drain `d`.
        let (dvgs, dvds, dvbs) = (vgs_t - vgs, vds_t - vds, vbs_t - vbs);
        let i_n = if rev {
            // Effective drain is s; voltages relative to d.
            -(ids + gm * (dvgs - dvds) - gds * dvds + gmbs * (dvbs - dvds))
        } else {
            ids + gm * dvgs + gds * dvds + gmbs * dvbs
        };
        let i_d = self.sign * i_n;
        add(&mut out.f, self.d, i_d);
        add(&mut out.f, self.s, -i_d);
        // Bulk-source and bulk-drain junctions with gmin across each, as
        // ngspice's MOS1: they give every drain and source a path to the bulk,
        // so the node between a cut-off device and a diode-connected one is
        // not left to the drain-source gmin divider (which can park it on the
        // diode's threshold, where its current and slope vanish).
        let (cbs, gbs) = self.junction(self.p.is_s, vbs);
        let (cbd, gbd) = self.junction(self.p.is_d, vbd);
        // Currents from bulk into source and drain, linearised at the limited voltages.
        let i_bs = self.sign * (cbs + gbs * (vbs_t - vbs));
        let i_bd = self.sign * (cbd + gbd * (vbd_t - vbd));
        add(&mut out.f, self.b, i_bs + i_bd);
        add(&mut out.f, self.s, -i_bs);
        add(&mut out.f, self.d, -i_bd);
        let (mut cap_bs, mut cap_bd, mut cap_gate) = (0.0, 0.0, [0.0; 3]);
        if self.has_charge() {
            let (qbs, c_bs) = self.p.bs.at(vbs);
            let (qbd, c_bd) = self.p.bd.at(vbd);
            self.add_junction_charges(&mut out.q, qbs + c_bs * (vbs_t - vbs), qbd + c_bd * (vbd_t - vbd));
            (cap_bs, cap_bd) = (c_bs, c_bd);
            if !self.p.gate.is_zero() {
                // Capacitances at the limited voltages, charges linear in
                // the true ones (the same at convergence).
                let half = self.meyer(vgs, vds, &ch, rev);
                let (_, c) = self.p.gate.charges([vgs, vgs - vds, vgs - vbs], half);
                let (qg, _) = self.p.gate.charges([vgs_t, vgs_t - vds_t, vgs_t - vbs_t], half);
                self.add_gate_charges(&mut out.q, qg);
                cap_gate = c;
            }
        }
        if ctx.jac {
            // Rows (D', S') and columns (D', g, S', b) of the effective orientation.
            let sl = if rev { &self.slots_rev } else { &self.slots };
            let cols = [gds, gm, -(gm + gds + gmbs), gmbs];
            for (ci, g) in cols.iter().enumerate() {
                add(&mut out.jac, sl[0][ci], *g);
                add(&mut out.jac, sl[1][ci], -*g);
            }
            stamp_g(&mut out.jac, &self.slots_bs, gbs + ctx.cj * cap_bs);
            stamp_g(&mut out.jac, &self.slots_bd, gbd + ctx.cj * cap_bd);
            if ctx.cj != 0.0 {
                for (k, c) in cap_gate.iter().enumerate() {
                    stamp_g(&mut out.jac, &self.slots_gate[k], ctx.cj * c);
                }
            }
        }
    }
}

/// A MOS1 bulk junction of saturation current `isat` at `v` (n-channel
/// frame) with thermal voltage `vt`, with gmin across it: `(current, conductance)`.
pub(crate) fn junction(isat: f64, v: f64, vt: f64) -> (f64, f64) {
    if v <= -3.0 * vt {
        (GMIN * v - isat, GMIN)
    } else {
        let e = (v / vt).min(MAX_EXP_ARG).exp();
        (isat * (e - 1.0) + GMIN * v, isat * e / vt + GMIN)
    }
}

/// A test model card of `level` with `params` (lower-case names; `vto`,
/// `kp`, `gamma`, `phi`, `lambda` into their fields, the rest as extras).
#[cfg(test)]
pub(crate) fn test_card(level: u32, params: &[(&str, f64)]) -> MosParams<f64> {
    let mut p = MosParams {
        level,
        vto: None,
        kp: None,
        lambda: None,
        gamma: None,
        phi: None,
        extra: std::collections::BTreeMap::new(),
    };
    for &(k, v) in params {
        match k {
            "vto" => p.vto = Some(v),
            "kp" => p.kp = Some(v),
            "gamma" => p.gamma = Some(v),
            "phi" => p.phi = Some(v),
            "lambda" => p.lambda = Some(v),
            _ => {
                p.extra.insert(k.to_string(), v);
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeMap;

    fn card(vto: f64, extra: &[(&str, f64)]) -> MosParams<f64> {
        MosParams {
            level: 1,
            vto: Some(vto),
            kp: Some(1e-4),
            lambda: Some(0.05),
            gamma: Some(0.45),
            phi: Some(0.7),
            extra: extra.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        }
    }

    /// A device on unknowns d, g, s, b = 0..4 with every charge present.
    fn device(sign: f64) -> Mosfet {
        let p = card(
            0.6 * sign,
            &[
                ("tox", 20e-9),
                ("cj", 2e-4),
                ("cjsw", 1e-10),
                ("mj", 0.4),
                ("mjsw", 0.3),
                ("pb", 0.75),
                ("fc", 0.5),
                ("cgso", 2e-10),
                ("cgdo", 3e-10),
                ("cgbo", 1e-10),
                ("is", 1e-15),
            ],
        );
        let inst = MosInstance {
            ad_m2: Some(4e-12),
            as_m2: Some(5e-12),
            pd_m: Some(8e-6),
            ps_m: Some(9e-6),
            m: Some(2.0),
            ..MosInstance::default()
        };
        let mut m = Mosfet::new([0, 1, 2, 3], sign, Mos1::new(&p, sign, (2e-6, 1e-6), &inst).unwrap());
        m.assign(&|r, c| r * 4 + c);
        m
    }

    /// Central differences of `f` in each of `x`'s coordinates.
    fn gradient(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
        (0..x.len())
            .map(|k| {
                let (mut a, mut b) = (x.to_vec(), x.to_vec());
                a[k] += h;
                b[k] -= h;
                (f(&a) - f(&b)) / (2.0 * h)
            })
            .collect()
    }

    #[test]
    fn channel_derivatives_are_those_of_the_current_in_every_region() {
        let m = device(1.0);
        let mut worst = 0.0f64;
        // Cutoff, saturation and linear, reverse body bias. (With the body
        // forward biased MOS1's gmbs keeps gamma / (2 sarg) of its
        // linearised sarg, not the derivative gamma / (2 sqrt(PHI)); the
        // device does as ngspice does, which only changes iterations.)
        for vgs in [0.3, 0.9, 1.4, 2.5] {
            for vds in [0.05, 0.4, 1.2, 3.0] {
                for vbs in [-1.5, -0.3, -0.01] {
                    let ch = m.level1(vgs, vds, vbs);
                    let f = |v: &[f64]| m.level1(v[0], v[1], v[2]).ids;
                    let g = gradient(f, &[vgs, vds, vbs], 1e-7);
                    for (got, fd) in [ch.gm, ch.gds, ch.gmbs].iter().zip(&g) {
                        let err = (got - fd).abs() / (got.abs() + 1e-9);
                        worst = worst.max(err);
                    }
                }
            }
        }
        // Measured 2.4e-8 (central differences of a square law, h = 1e-7 V,
        // away from the region boundaries); 1e-7 is a 4x margin.
        assert!(worst < 1e-7, "worst relative derivative error {worst:e}");
    }

    #[test]
    fn depletion_capacitance_is_the_derivative_of_its_charge_on_both_sides_of_fc_pb() {
        let j = Depletion::new(3e-15, 1e-15, 0.8, (0.4, 0.33), 0.5);
        let mut worst = 0.0f64;
        for v in [-3.0, -1.0, -0.2, 0.2, 0.39, 0.41, 0.6, 1.0] {
            let (_, c) = j.at(v);
            let fd = (j.at(v + 1e-6).0 - j.at(v - 1e-6).0) / 2e-6;
            worst = worst.max((c - fd).abs() / c);
        }
        // Measured 2.6e-10 (central differences, h = 1 uV); 1e-9 is a 4x margin.
        assert!(worst < 1e-9, "{worst:e}");
        // Continuous at FC*PB = 0.4 V, charge and capacitance: across 2 pV
        // they move by their slopes times 2e-12 (about 1e-26 C and 1e-26 F).
        let (below, above) = (j.at(0.4 - 1e-12), j.at(0.4 + 1e-12));
        assert!((below.0 - above.0).abs() < 3e-12 * below.1, "{below:?} {above:?}");
        assert!((below.1 - above.1).abs() < 3e-12 * below.1 / 0.2, "{below:?} {above:?}");
        // At zero bias the capacitance is the zero-bias one.
        assert!((j.at(0.0).1 - 4e-15).abs() < 1e-30);
    }

    #[test]
    fn meyer_capacitances_are_continuous_and_take_their_textbook_limits() {
        let (phi, cox, von, vdsat) = (0.7, 3e-15, 0.6, 0.5);
        // Accumulation: Cox/2 to the bulk (half of Cox, as DEVqmeyer returns halves).
        assert_eq!(qmeyer(-1.0, -1.0, von, 0.0, phi, cox), [0.0, 0.0, cox / 2.0]);
        // Saturation: 2/3 Cox to the source (halved).
        assert_eq!(qmeyer(1.5, 0.2, von, 0.9, phi, cox), [cox / 3.0, 0.0, 0.0]);
        // Linear at vds = 0: Cox/2 each to source and drain (halved).
        let lin = qmeyer(1.5, 1.5, von, 0.9, phi, cox);
        assert!((lin[0] - cox / 4.0).abs() < 1e-30 && (lin[1] - cox / 4.0).abs() < 1e-30, "{lin:?}");
        // Continuous across vgst = -phi, -phi/2 and 0, and at vds = vdsat.
        let at = |vgs: f64, vds: f64| qmeyer(vgs, vgs - vds, von, vdsat, phi, cox);
        for (a, b) in [
            (at(von - phi - 1e-12, 0.1), at(von - phi + 1e-12, 0.1)),
            (at(von - phi / 2.0 - 1e-12, 0.1), at(von - phi / 2.0 + 1e-12, 0.1)),
            (at(von - 1e-12, 0.1), at(von + 1e-12, 0.1)),
            (at(1.5, vdsat - 1e-12), at(1.5, vdsat + 1e-12)),
        ] {
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-11 * cox, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn kp_vto_gamma_and_phi_follow_from_tox_u0_and_nsub() {
        // KP = U0 * 3.9 eps0 / TOX * 1e-4 (cm2 to m2): 450 cm2/Vs, 15 nm
        // gives 1.035926e-4 A/V2 (by hand: 3.9 * 8.854214871e-12 / 15e-9 =
        // 2.302096e-3 F/m2).
        let p = MosParams { kp: None, ..card(0.6, &[("tox", 15e-9), ("u0", 450.0)]) };
        let d = derive(&p, 1.0).unwrap();
        assert!((d.kp - 450.0 * 2.302_095_866_46e-3 * 1e-4).abs() < 1e-12 * d.kp, "{}", d.kp);
        // NSUB = 1e16 /cm3 (PHI, GAMMA, VTO absent): PHI = 2 vt ln(1e22/1.45e16)
        // with ngspice's vt at 300.15 K; GAMMA = sqrt(2 * 11.7 eps0 q 1e22) / COX.
        let p =
            MosParams { vto: None, gamma: None, phi: None, ..card(0.0, &[("tox", 20e-9), ("nsub", 1e16)]) };
        let d = derive(&p, 1.0).unwrap();
        let vt = 1.380_648_52e-23 * 300.15 / 1.602_176_620_8e-19;
        let phi = 2.0 * vt * (1e22f64 / 1.45e16).ln();
        assert!((d.phi - phi).abs() < 1e-14, "{} {phi}", d.phi);
        let cox = 3.9 * 8.854214871e-12 / 20e-9;
        let gamma = (2.0 * 11.7 * 8.854214871e-12 * 1.602_176_620_8e-19 * 1e22f64).sqrt() / cox;
        assert!((d.gamma - gamma).abs() < 1e-14, "{} {gamma}", d.gamma);
        // VTO: the n+ poly gate's work-function difference, then the body terms.
        let eg = 1.16 - 7.02e-4 * 300.15 * 300.15 / (300.15 + 1108.0);
        let vfb = (3.25 + 0.5 * eg - 0.5 * eg) - (3.25 + 0.5 * eg + 0.5 * phi);
        assert!((d.vto - (vfb + gamma * phi.sqrt() + phi)).abs() < 1e-14, "{}", d.vto);
        // Below the intrinsic density ngspice refuses the model, and so does atscale.
        let low = MosParams { vto: None, ..card(0.0, &[("tox", 20e-9), ("nsub", 1e9)]) };
        assert!(derive(&low, 1.0).unwrap_err().contains("NSUB"));
    }

    #[test]
    fn the_jacobian_is_the_derivative_of_the_residual() {
        // f + cj q at a point of each mode, NMOS and PMOS, against central
        // differences of the same (the gate charges' capacitance averaged
        // over the step, as ngspice, so their derivative is checked in a
        // region where it is constant: deep saturation).
        for (sign, y) in
            [(1.0, [1.7, 1.3, 0.1, -0.4]), (-1.0, [0.2, 0.4, 1.7, 2.0]), (1.0, [0.1, 1.4, 1.5, -0.3])]
        {
            let cj = 1e9;
            let mut m = device(sign);
            m.start(&y);
            let ctx = EvalCtx { t: 0.0, src_scale: 1.0, cj, jac: true, limit: false };
            let mut out = EvalOut {
                f: vec![0.0; 4],
                q: vec![0.0; 4],
                jac: vec![0.0; 16],
                limited: false,
                stale: false,
            };
            m.eval(&y, ctx, &mut out);
            let residual = |k: usize, x: &[f64]| {
                let mut mm = m.clone();
                let mut o =
                    EvalOut { f: vec![0.0; 4], q: vec![0.0; 4], jac: vec![], limited: false, stale: false };
                mm.eval(x, EvalCtx { jac: false, ..ctx }, &mut o);
                o.f[k] + cj * o.q[k]
            };
            for r in 0..4 {
                let g = gradient(|x| residual(r, x), &y, 1e-7);
                for c in 0..4 {
                    let got = out.jac[r * 4 + c];
                    // Measured 2.5e-8 relative (central differences, h = 1e-7 V); 8x margin.
                    let tol = 2e-7 * got.abs().max(1e-9);
                    assert!(
                        (got - g[c]).abs() < tol,
                        "sign {sign}, y {y:?}: d{r}/d{c} {got:e} vs {:e}",
                        g[c]
                    );
                }
            }
        }
    }

    #[test]
    fn gate_charges_advance_by_the_step_averaged_capacitance() {
        // In deep saturation Meyer's capacitances are constant (2/3 Cox to
        // the source), so the accumulated gate charge is linear in vgs.
        let mut m = device(1.0);
        let cox = 3.9 * 8.854214871e-12 / 20e-9 * 1e-6 * 2e-6 * 2.0;
        let (cgso, cgdo, cgbo) = (2e-10 * 2e-6 * 2.0, 3e-10 * 2e-6 * 2.0, 1e-10 * 1e-6 * 2.0);
        let y0 = [3.0, 1.5, 0.0, 0.0];
        m.start(&y0);
        let mut q = vec![0.0; 4];
        m.charges(&y0, &mut q);
        let mut y = y0;
        for vg in [1.55, 1.6, 1.7] {
            y[1] = vg;
            m.accept(&y);
        }
        let mut q1 = vec![0.0; 4];
        m.charges(&y, &mut q1);
        let dv = 0.2;
        let dq_gate = q1[1] - q[1];
        let expected = (2.0 * cox / 3.0 + cgso + cgdo + cgbo) * dv;
        // Measured 4.3e-16 relative (rounding); 3e-15 is a 7x margin.
        assert!((dq_gate - expected).abs() < 3e-15 * expected, "{dq_gate:e} vs {expected:e}");
    }
}
