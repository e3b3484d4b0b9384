//! ngspice's level-2 MOSFET channel (MOS2, Grove-Frohman) as its
//! mos2set.c, mos2temp.c and mos2load.c compute it at 27 °C (TEMP =
//! TNOM): the bulk-charge drain current with the narrow-width factor
//! `DELTA`, the short-channel threshold of the junction depth `XJ`, the
//! mobility reduction above the critical field (`UCRIT`, `UEXP`), Baum's
//! velocity saturation (`VMAX`, `NEFF`: the quartic solved as ngspice
//! solves it), channel-length modulation (`LAMBDA`, or from `NSUB` when
//! LAMBDA is absent) with its punch-through limit, weak inversion `NFS`,
//! and `KP`, `VTO`, `GAMMA`, `PHI` from `U0`, `TOX`, `NSUB`, `NSS`, `TPG`.
//! The effective length is `L - 2 LD`.
//!
//! The current is written once over [`D`], so `gm`, `gds` and `gmbs` are
//! its exact derivatives. The junctions, their charges and Meyer's gate
//! capacitances are level 1's, with the threshold and saturation voltage
//! of this channel.

use std::f64::consts::PI;

use atscale_circuit::MosParams;

use super::dual::D;
use super::mosfet::Channel;
use crate::mna::{BOLTZMANN, CHARGE, T_NOMINAL, VT_NOMINAL};

/// Permittivity of free space as ngspice's MOS2 writes it, F/m.
const EPS0: f64 = 8.854214871e-12;
/// Permittivity of silicon (`EPSSIL`), F/m.
const EPS_SI: f64 = 11.7 * EPS0;
/// Relative permittivity of silicon dioxide.
const EPS_OX: f64 = 3.9;
/// Intrinsic carrier density MOS2 compares NSUB with, 1/m³.
const NI: f64 = 1.45e16;
/// The drain voltage below which MOS2 takes the current as zero, V.
const VDS_ZERO: f64 = 1e-10;
/// The residual below which a root of Baum's quartic is accepted (ngspice's).
const QUARTIC_TOL: f64 = 1e-6;
/// Depletion width standing in for the punch-through limit without NSUB, m.
const XWB_DEFAULT: f64 = 0.25e-6;

/// A level-2 model card after MOS2's defaults and its preprocessing at 27 °C.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mos2Model {
    /// `KP` (from `U0·COX` when absent), A/V².
    pub(crate) kp: f64,
    /// `VTO` in ngspice's convention (negative for an enhancement PMOS), V.
    pub(crate) vto: f64,
    /// `GAMMA`, √V.
    pub(crate) gamma: f64,
    /// `PHI`, V.
    pub(crate) phi: f64,
    /// Oxide capacitance per area `3.9 ε0/TOX` (TOX default 0.1 µm), F/m².
    pub(crate) cox: f64,
    /// Surface mobility `U0`, cm²/(V·s).
    u0: f64,
    lambda: f64,
    /// `NSUB`, 1/cm³ (0 when absent).
    nsub: f64,
    /// Depletion-width coefficient `√(2 ε_si/(q NSUB))` (0 without NSUB), m/√V.
    xd: f64,
    /// `DELTA`.
    delta: f64,
    /// `UCRIT`, V/cm, and `UEXP`.
    ucrit: f64,
    uexp: f64,
    /// `VMAX`, m/s.
    vmax: f64,
    /// `NEFF`.
    neff: f64,
    /// Junction depth `XJ`, m.
    xj: f64,
    /// Fast surface-state density `NFS`, 1/cm².
    nfs: f64,
    /// `LD`, m.
    ld: f64,
    /// Bulk junction potential `PB` (the punch-through depletion width), V.
    pb: f64,
}

impl Mos2Model {
    /// The card `p` of polarity `sign` (+1 NMOS, -1 PMOS); an error names
    /// what ngspice refuses too.
    pub(crate) fn new(p: &MosParams<f64>, sign: f64) -> Result<Mos2Model, String> {
        let x = |k: &str| p.extra(k);
        let mut m = Mos2Model {
            kp: 0.0,
            vto: p.vto_volt(),
            gamma: p.gamma(),
            phi: p.phi(),
            cox: 0.0,
            u0: x("u0").unwrap_or(600.0),
            lambda: p.lambda(),
            nsub: 0.0,
            xd: 0.0,
            delta: x("delta").unwrap_or(0.0),
            ucrit: x("ucrit").unwrap_or(1e4),
            uexp: x("uexp").unwrap_or(0.0),
            vmax: x("vmax").unwrap_or(0.0),
            neff: x("neff").unwrap_or(1.0),
            xj: x("xj").unwrap_or(0.0),
            nfs: x("nfs").unwrap_or(0.0),
            ld: x("ld").unwrap_or(0.0),
            pb: x("pb").unwrap_or(0.8),
        };
        if !(m.phi > 0.0) {
            return Err(format!("PHI = {} V is not positive", m.phi));
        }
        let tox = x("tox").unwrap_or(1e-7);
        if !(tox > 0.0) {
            return Err(format!("TOX = {tox:e} m is not positive"));
        }
        m.cox = EPS_OX * EPS0 / tox;
        m.kp = p.kp.unwrap_or(m.u0 * 1e-4 * m.cox);
        if let Some(nsub) = x("nsub") {
            m.apply_doping(p, sign, nsub)?;
        }
        Ok(m)
    }

    /// PHI, GAMMA and VTO (those not given) and the depletion width from
    /// the substrate doping `nsub`, 1/cm³.
    fn apply_doping(&mut self, p: &MosParams<f64>, sign: f64, nsub: f64) -> Result<(), String> {
        let n = nsub * 1e6;
        if !(n > NI) {
            return Err(format!("NSUB = {nsub:e} /cm³ is below the intrinsic density (ngspice: Nsub < Ni)"));
        }
        let tnom = T_NOMINAL;
        let vtnom = tnom * BOLTZMANN / CHARGE;
        let egfet1 = 1.16 - (7.02e-4 * tnom * tnom) / (tnom + 1108.0);
        if p.phi.is_none() {
            self.phi = (2.0 * vtnom * (n / NI).ln()).max(0.1);
        }
        let fermis = sign * 0.5 * self.phi;
        // TPG is an integer parameter in ngspice.
        let tpg = p.extra("tpg").unwrap_or(1.0).trunc();
        let wkfng = if tpg != 0.0 { 3.25 + 0.5 * egfet1 - sign * tpg * 0.5 * egfet1 } else { 3.2 };
        let wkfngs = wkfng - (3.25 + 0.5 * egfet1 + fermis);
        if p.gamma.is_none() {
            self.gamma = (2.0 * 11.70 * EPS0 * CHARGE * n).sqrt() / self.cox;
        }
        if p.vto.is_none() {
            let vfb = wkfngs - p.extra("nss").unwrap_or(0.0) * 1e4 * CHARGE / self.cox;
            self.vto = vfb + sign * (self.gamma * self.phi.sqrt() + self.phi);
        }
        self.nsub = nsub;
        self.xd = ((EPS_SI + EPS_SI) / (CHARGE * n)).sqrt();
        Ok(())
    }

    /// The effective length `L - 2 LD` of an instance of length `l_m`, m.
    pub(crate) fn effective_length(&self, l_m: f64) -> Result<f64, String> {
        let leff = l_m - 2.0 * self.ld;
        if leff > 0.0 {
            Ok(leff)
        } else {
            Err(format!("the effective channel length L - 2 LD = {leff:e} m is not positive"))
        }
    }
}

/// A level-2 channel: the instance's constants of MOS2's drain current.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mos2 {
    /// `KP·M·W/Leff`, A/V².
    beta: f64,
    /// `sign·VTO - GAMMA·√PHI` (n-channel frame), V.
    pub(crate) vbi: f64,
    gamma: f64,
    pub(crate) phi: f64,
    /// Whether the model has a body effect (GAMMA or NSUB).
    body: bool,
    lambda: f64,
    /// With NSUB: the channel-length modulation comes from it when LAMBDA is absent.
    nsub: bool,
    xd: f64,
    xj: f64,
    /// Effective length, m.
    leff: f64,
    /// The narrow-width threshold factor `π ε_si DELTA/(4 COX M W)`.
    factor: f64,
    /// The critical gate overdrive of mobility reduction, `UCRIT·100·ε_si/COX`, V.
    ucrit_v: f64,
    uexp: f64,
    /// Surface mobility, m²/(V·s).
    u0: f64,
    vmax: f64,
    neff: f64,
    /// The punch-through depletion width `XD·√PB`, m.
    xwb: f64,
    /// Fast surface states over the oxide capacitance, when NFS is not 0.
    cfs: Option<f64>,
    /// Thermal voltage, V.
    vt: f64,
}

/// `(√(PHI - v), d/dv)` for a junction voltage `v` (n-channel frame),
/// continued for forward `v` as SPICE does.
fn root(phi: f64, v: D) -> (D, D) {
    if v.v <= 0.0 {
        let s = (phi - v).sqrt();
        (s, -0.5 / s)
    } else {
        let sphi = phi.sqrt();
        let s = (1.0 + v * (0.5 / phi)).recip() * sphi;
        (s, s * s * (-0.5 / (phi * sphi)))
    }
}

impl Mos2 {
    /// The channel of an instance of width `w_m`, effective length `leff`
    /// (from [`Mos2Model::effective_length`]) and multiplier `m` of model
    /// `md` with polarity `sign`.
    pub(crate) fn new(md: &Mos2Model, sign: f64, w_m: f64, leff: f64, m: f64) -> Mos2 {
        let oxide_cap = md.cox * leff * m * w_m;
        Mos2 {
            beta: md.kp * w_m * m / leff,
            vbi: sign * md.vto - md.gamma * md.phi.sqrt(),
            gamma: md.gamma,
            phi: md.phi,
            body: md.gamma > 0.0 || md.nsub > 0.0,
            lambda: md.lambda,
            nsub: md.nsub != 0.0,
            xd: md.xd,
            xj: md.xj,
            leff,
            factor: 0.125 * md.delta * 2.0 * PI * EPS_SI / oxide_cap * leff,
            ucrit_v: md.ucrit * 100.0 * EPS_SI / md.cox,
            uexp: md.uexp,
            u0: md.u0 * 1e-4,
            vmax: md.vmax,
            neff: md.neff,
            xwb: md.xd * md.pb.sqrt(),
            cfs: (md.nfs != 0.0).then(|| CHARGE * md.nfs * 1e4 / oxide_cap * m * w_m * leff),
            vt: VT_NOMINAL,
        }
    }

    /// The body-effect coefficient shortened by the junction depth, and
    /// its derivative in vbs, from the source and drain depletion roots
    /// `(s, ds/dvbs)` and `(b, db/dvbs)`.
    fn short_channel_gamma(&self, (s, ds): (D, D), (b, db): (D, D)) -> (D, D) {
        if !self.body || self.xj <= 0.0 {
            return (D::c(self.gamma), D::c(0.0));
        }
        let args = (1.0 + s * (2.0 * self.xd / self.xj)).sqrt();
        let argd = (1.0 + b * (2.0 * self.xd / self.xj)).sqrt();
        let k = 0.5 * self.xj / self.leff;
        let gamasd = (1.0 - (args - 1.0) * k - (argd - 1.0) * k) * self.gamma;
        let h = 0.5 * self.xd / self.leff;
        let dgddvb = (ds * h / args + db * h / argd) * -self.gamma;
        (gamasd, dgddvb)
    }

    /// The drain current and its derivatives in the normal mode (`vds >=
    /// 0`), with the threshold `von` and saturation voltage, as MOS2's
    /// `moseq2`.
    pub(crate) fn channel(&self, vgs: f64, vds: f64, vbs: f64) -> Channel {
        let (vgs, vds, vbs) = D::vars(vgs, vds, vbs);
        let phi_vbs = self.phi - vbs;
        let (sarg, dsarg) = root(self.phi, vbs);
        let (barg, dbarg) = root(self.phi, vbs - vds);
        let eta = 1.0 + self.factor;
        let vbin = self.vbi + phi_vbs * self.factor;
        let (gamasd, dgddvb) = self.short_channel_gamma((sarg, dsarg), (barg, dbarg));
        let mut von = vbin + gamasd * sarg;
        // Weak inversion: the threshold moves up by n·vt.
        let argg = self.cfs.map(|cfs| {
            let xn = 1.0 + cfs - (gamasd * dsarg + dgddvb * sarg) + self.factor;
            (xn * self.vt).recip()
        });
        if let Some(argg) = argg {
            von = von + argg.recip();
        } else if vgs.v <= vbin.v {
            return Channel { von: von.v, ..Channel::default() };
        }
        let sarg3 = sarg * sarg * sarg;
        let ufact = self.mobility(vgs - von);
        let vgsx = if argg.is_some() { vgs.max(von) } else { vgs };
        let mut vdsat = self.grove_frohman(vgsx - vbin, eta, gamasd / eta, phi_vbs);
        if self.vmax > 0.0 {
            let ueff = ufact * self.u0;
            if let Some(x) = self.baum((vgsx - vbin) / eta + phi_vbs, phi_vbs, gamasd / eta, ueff, sarg3) {
                vdsat = x * x - phi_vbs;
            }
        }
        let (bsarg, _) = root(self.phi, vbs - vdsat);
        let xlamda = self.modulation(vds, vdsat, ufact * self.u0);
        let clfact = self.punch_through(xlamda, vds);
        let beta1 = ufact * self.beta / clfact;
        let body = barg * barg * barg - sarg3;
        let bodys = bsarg * bsarg * bsarg - sarg3;
        let (g, c) = (gamasd, von.v);
        let weak = argg.is_some() && vgs.v <= c;
        if weak && vdsat.v <= 0.0 {
            return Channel { von: c, vdsat: vdsat.v, ..Channel::default() };
        }
        let cd = match argg {
            Some(argg) if weak => {
                let (vdson, body) = if vds.v > vdsat.v { (vdsat, bodys) } else { (vds, body) };
                let cdson = beta1 * ((von - vbin - eta * vdson * 0.5) * vdson - g * body / 1.5);
                cdson * (argg * (vgs - von)).exp()
            }
            _ if vds.v <= vdsat.v => beta1 * ((vgs - vbin - eta * vds / 2.0) * vds - g * body / 1.5),
            _ => beta1 * ((vgs - vbin - eta * vdsat / 2.0) * vdsat - g * bodys / 1.5),
        };
        if vds.v <= VDS_ZERO {
            // MOS2 takes the current as zero; its conductance is the slope
            // of the current just above. (ngspice's own formula there
            // assumes the square-root depletion charge, off for forward
            // vbs; takes none below von without NFS, where current can
            // flow; and at vds = 0 exactly omits the NSUB channel-length
            // modulation, whose factor does not vanish as vds -> 0.)
            let gds = self.channel(vgs.v, 2.0 * VDS_ZERO, vbs.v).gds;
            return Channel { gds, von: c, vdsat: vdsat.v, ..Channel::default() };
        }
        Channel { ids: cd.v, gm: cd.d[0], gds: cd.d[1], gmbs: cd.d[2], von: c, vdsat: vdsat.v }
    }

    /// The mobility factor `(UCRIT·ε_si/COX / vgst)^UEXP` above the
    /// critical gate overdrive, 1 below it.
    fn mobility(&self, vgst: D) -> D {
        if vgst.v <= self.ucrit_v {
            D::c(1.0)
        } else {
            ((D::c(self.ucrit_v) / vgst).ln() * self.uexp).exp()
        }
    }

    /// The Grove-Frohman saturation voltage of the overdrive `vgst` (over
    /// `vbin`), with `eta`, the body coefficient `gammad` and `PHI - vbs`.
    fn grove_frohman(&self, vgst: D, eta: f64, gammad: D, phi_vbs: D) -> D {
        if gammad.v <= 0.0 {
            return (vgst / eta).max(D::c(0.0));
        }
        let gammd2 = gammad * gammad;
        let argv = vgst / eta + phi_vbs;
        if argv.v <= 0.0 {
            return D::c(0.0);
        }
        let arg1 = (1.0 + argv * 4.0 / gammd2).sqrt();
        (vgst / eta + gammd2 * (1.0 - arg1) / 2.0).max(D::c(0.0))
    }

    /// The root `√(vdsat + PHI - vbs)` of Baum's velocity-saturation
    /// quartic, solved by Ferrari's method as ngspice solves it: the
    /// smallest positive root whose residual is below 1e-6, if any.
    fn baum(&self, v1: D, v2: D, gammad: D, ueff: D, sarg3: D) -> Option<D> {
        let xv = ueff.recip() * (self.vmax * self.leff);
        let a1 = gammad / 0.75;
        let b1 = (v1 + xv) * -2.0;
        let c1 = gammad * xv * -2.0;
        let d1 = v1 * (v2 + xv) * 2.0 - v2 * v2 - gammad * sarg3 * (4.0 / 3.0);
        let a = -b1;
        let b = a1 * c1 - d1 * 4.0;
        let c = -d1 * (a1 * a1 - b1 * 4.0) - c1 * c1;
        let r = -(a * a) / 3.0 + b;
        let s = a * a * a * (2.0 / 27.0) - a * b / 3.0 + c;
        let s2 = s * s;
        let p = s2 / 4.0 + r * r * r / 27.0;
        let p0 = p.abs();
        let p2 = p0.sqrt();
        let cbrt = |x: D| (x.abs().ln() / 3.0).exp();
        let y3 = if p.v < 0.0 {
            let ro = cbrt((s2 / 4.0 + p0).sqrt());
            let fi = (p2 * -2.0 / s).atan();
            ro * (fi / 3.0).cos() * 2.0 - a / 3.0
        } else {
            cbrt(-s / 2.0 + p2) + cbrt(-s / 2.0 - p2) - a / 3.0
        };
        let a3 = (a1 * a1 / 4.0 - b1 + y3).sqrt();
        let b3 = (y3 * y3 / 4.0 - d1).sqrt();
        let mut roots = Vec::with_capacity(8);
        for (s1, s2) in [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)] {
            let a4 = a1 / 2.0 + a3 * s1;
            let b4 = y3 / 2.0 + b3 * s2;
            let delta4 = a4 * a4 / 4.0 - b4;
            if delta4.v < 0.0 {
                continue;
            }
            let t = delta4.sqrt();
            roots.push(-a4 / 2.0 + t);
            roots.push(-a4 / 2.0 - t);
        }
        let residual = |x: D| {
            let x = x.v;
            (x * x * x * x + a1.v * x * x * x + b1.v * x * x + c1.v * x + d1.v).abs()
        };
        roots.into_iter().filter(|x| x.v > 0.0 && residual(*x) <= QUARTIC_TOL).reduce(|best, x| {
            if x.v > best.v {
                best
            } else {
                x
            }
        })
    }

    /// The channel-length modulation factor `λ` at `vds` (LAMBDA, or from
    /// NSUB when LAMBDA is absent: the depletion width of `vds - vdsat`).
    fn modulation(&self, vds: D, vdsat: D, ueff: D) -> D {
        if vds.v == 0.0 || !self.nsub || self.lambda > 0.0 {
            return D::c(self.lambda);
        }
        if self.vmax <= 0.0 {
            let argv = (vds - vdsat) / 4.0;
            let sargv = (1.0 + argv * argv).sqrt();
            let arg1 = (argv + sargv).sqrt();
            return arg1 * self.xd / (vds * self.leff);
        }
        let xdv = self.xd / self.neff.sqrt();
        let xlv = ueff.recip() * (self.vmax * xdv / 2.0);
        let argv = (vds - vdsat).max(D::c(0.0));
        let xls = (xlv * xlv + argv).sqrt();
        (xls - xlv) * xdv / (vds * self.leff)
    }

    /// The channel-length factor `1 - λ vds`, limited at punch-through.
    fn punch_through(&self, xlamda: D, vds: D) -> D {
        let xld = self.leff - self.xwb;
        let clfact = 1.0 - xlamda * vds;
        let xwb = if self.nsub { self.xwb } else { XWB_DEFAULT };
        if clfact.v * self.leff < xwb {
            let deltal = xlamda * vds * self.leff;
            (1.0 + (deltal - xld) / xwb).recip() * (xwb / self.leff)
        } else {
            clfact
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dual::check;
    use super::*;

    fn card(params: &[(&str, f64)]) -> MosParams<f64> {
        super::super::mosfet::test_card(2, params)
    }

    fn device(params: &[(&str, f64)], (w, l): (f64, f64), sign: f64) -> Mos2 {
        let md = Mos2Model::new(&card(params), sign).unwrap();
        Mos2::new(&md, sign, w, md.effective_length(l).unwrap(), 1.0)
    }

    /// A test card: its name, parameters and instance `(W, L)`, m.
    type Card = (&'static str, Vec<(&'static str, f64)>, (f64, f64));

    /// The model cards of the tests: every group of parameters switched on
    /// in turn, and all together.
    fn cards() -> Vec<Card> {
        let base = vec![("vto", 0.7), ("kp", 60e-6), ("gamma", 0.45), ("phi", 0.7), ("tox", 20e-9)];
        let with = |extra: &[(&'static str, f64)]| {
            let mut v = base.clone();
            v.extend_from_slice(extra);
            v
        };
        vec![
            ("bulk charge", base.clone(), (10e-6, 2e-6)),
            (
                "lambda delta mobility",
                with(&[("lambda", 0.03), ("delta", 0.8), ("ucrit", 2e4), ("uexp", 0.2)]),
                (4e-6, 2e-6),
            ),
            (
                "nsub xj ld",
                vec![
                    ("tox", 25e-9),
                    ("nsub", 3e16),
                    ("xj", 0.3e-6),
                    ("ld", 0.1e-6),
                    ("ucrit", 1e4),
                    ("uexp", 0.15),
                ],
                (10e-6, 1.5e-6),
            ),
            (
                "vmax neff",
                vec![("tox", 25e-9), ("nsub", 3e16), ("xj", 0.3e-6), ("vmax", 1e5), ("neff", 2.0)],
                (10e-6, 1.5e-6),
            ),
            (
                "vmax nfs delta",
                vec![
                    ("tox", 25e-9),
                    ("nsub", 3e16),
                    ("vmax", 5e4),
                    ("nfs", 2e11),
                    ("ucrit", 1.5e4),
                    ("uexp", 0.1),
                    ("delta", 1.0),
                ],
                (6e-6, 1e-6),
            ),
            (
                "nfs lambda",
                vec![("vto", 0.8), ("nsub", 1e16), ("nfs", 1e12), ("lambda", 0.05), ("gamma", 0.6)],
                (8e-6, 3e-6),
            ),
            ("short nsub", vec![("tox", 30e-9), ("nsub", 1e15)], (5e-6, 0.6e-6)),
        ]
    }

    #[test]
    fn derivatives_match_central_differences_over_every_region() {
        let (mut worst, mut checked): (f64, usize) = (0.0, 0);
        for (_name, params, wl) in cards() {
            let m = device(&params, wl, 1.0);
            let (err, n) = check::derivative_error(&|g, d, b| m.channel(g, d, b), &check::grid(), 1e-5);
            worst = worst.max(err);
            checked += n;
        }
        // Central differences of h = 10 µV: truncation ~h²·i''' and
        // rounding ~1e-16·t/h, where t is the largest term of the
        // bulk-charge current (100x i near threshold: the error scales as
        // 1/h there, from 6.2e-6 at h = 1 µV); measured 8.2e-7 relative at
        // worst over 6404 derivatives (boundaries within h skipped); 1e-5 is 12x.
        assert!(worst < 1e-5, "{worst:e}");
        assert!(checked > 6000, "{checked}");
    }

    #[test]
    fn at_zero_drain_voltage_the_current_vanishes_and_gds_is_its_slope() {
        let mut worst: f64 = 0.0;
        for (_, params, wl) in cards() {
            let m = device(&params, wl, 1.0);
            let err = check::zero_vds_error(&|g, d, b| m.channel(g, d, b), 1e-6);
            worst = worst.max(err);
        }
        // The forward difference over 1 µV is off by ~h·i''/(2 gds):
        // measured 5.1e-5 relative at worst; 5e-4 is 10x.
        assert!(worst < 5e-4, "{worst:e}");
    }

    #[test]
    fn the_simplest_card_is_the_closed_form_of_the_bulk_charge_model() {
        // No DELTA, NSUB, VMAX, NFS or mobility reduction: i = β/(1 - λ
        // vds)·[(vgs - vbin - vds/2) vds - 2/3 γ ((φ' + vds)^1.5 - φ'^1.5)]
        // up to vdsat = u + γ²/2 (1 - √(1 + 4 (u + φ')/γ²)), u = vgs -
        // vbin, vbin = VTO - γ√φ, φ' = φ - vbs; in saturation the same at vdsat.
        let (vto, kp, gamma, phi, lambda, w, l) = (0.7, 60e-6, 0.45, 0.7, 0.02, 10e-6, 2e-6);
        let params =
            [("vto", vto), ("kp", kp), ("gamma", gamma), ("phi", phi), ("lambda", lambda), ("tox", 20e-9)];
        let m = device(&params, (w, l), 1.0);
        let beta = kp * w / l;
        let mut worst: f64 = 0.0;
        for (vgs, vds, vbs) in
            [(2.0f64, 0.3f64, 0.0f64), (2.0, 3.0, -1.0), (1.5, 0.5, -2.0), (3.0, 1.0, -0.5), (5.0, 0.2, -3.0)]
        {
            let pv = phi - vbs;
            let vbin = vto - gamma * phi.sqrt();
            let u = vgs - vbin;
            let vdsat =
                (u + gamma * gamma / 2.0 * (1.0 - (1.0 + 4.0 * (u + pv) / (gamma * gamma)).sqrt())).max(0.0);
            let v = vds.min(vdsat);
            let expect = beta / (1.0 - lambda * vds)
                * ((u - v / 2.0) * v - 2.0 / 3.0 * gamma * ((pv + v).powf(1.5) - pv.powf(1.5)));
            let ch = m.channel(vgs, vds, vbs);
            let err = (ch.ids - expect).abs() / expect.abs();
            worst = worst.max(err);
            assert!((ch.vdsat - vdsat).abs() < 1e-14, "{} vs {vdsat}", ch.vdsat);
        }
        // Measured 3.3e-15 relative (rounding); 3e-14 is 9x.
        assert!(worst < 3e-14, "{worst:e}");
    }

    /// The largest jump of the current across a boundary at `at` in vds
    /// (or vgs when `in_vgs`), relative to the current there.
    fn jump(m: &Mos2, (vgs, vds, vbs): (f64, f64, f64), in_vgs: bool) -> f64 {
        let eps = 1e-9;
        let (lo, hi) = if in_vgs {
            (m.channel(vgs - eps, vds, vbs).ids, m.channel(vgs + eps, vds, vbs).ids)
        } else {
            (m.channel(vgs, vds - eps, vbs).ids, m.channel(vgs, vds + eps, vbs).ids)
        };
        (hi - lo).abs() / lo.abs().max(hi.abs()).max(1e-30)
    }

    #[test]
    fn the_current_is_continuous_at_the_saturation_voltage_and_the_threshold() {
        let (mut worst_sat, mut worst_on): (f64, f64) = (0.0, 0.0);
        for (name, params, wl) in cards() {
            let m = device(&params, wl, 1.0);
            for vbs in [-2.0, -0.5, 0.0, 0.2] {
                for vgs in [1.0, 1.6, 2.5, 4.0] {
                    let vds = m.channel(vgs, 1.0, vbs).vdsat;
                    if vds <= 0.0 {
                        continue;
                    }
                    let j = jump(&m, (vgs, vds, vbs), false);
                    assert!(j < 2.4e-8, "{name}: vdsat jump {j:e} at vgs {vgs} vds {vds} vbs {vbs}");
                    worst_sat = worst_sat.max(j);
                }
                if m.cfs.is_none() {
                    continue;
                }
                for vds in [0.05, 0.5, 3.0] {
                    let von = m.channel(0.0, vds, vbs).von;
                    let j = jump(&m, (von, vds, vbs), true);
                    assert!(j < 8e-7, "{name}: von jump {j:e} at vds {vds} vbs {vbs}");
                    worst_on = worst_on.max(j);
                }
            }
        }
        // A 2 nV step changes a current by ~g·2e-9/i: measured 2.4e-9
        // relative at vdsat and 7.9e-8 at von (weak inversion, gm/i =
        // 1/(n vt)); the bounds are 10x. A step in the current at a
        // boundary would be O(1e-3) or more.
    }

    #[test]
    fn velocity_saturation_solves_baums_quartic() {
        // With VMAX the saturation voltage is x² - φ' for the smallest
        // positive root x of x⁴ + a1 x³ + b1 x² + c1 x + d1, with a1 = γ/0.75,
        // b1 = -2 (v1 + xv), c1 = -2 γ xv, d1 = 2 v1 (φ' + xv) - φ'² - 4/3 γ
        // φ'^1.5, v1 = vgs - vbin + φ', xv = VMAX·L/U0 and φ' = φ - vbs
        // (no XJ, DELTA or mobility reduction): found here by scanning and
        // bisection, not by the Ferrari formulas of the code.
        let (vto, gamma, phi, vmax, u0, l) = (0.7, 0.45, 0.7, 5e4, 600.0, 1e-6);
        let params =
            [("vto", vto), ("kp", 60e-6), ("gamma", gamma), ("phi", phi), ("tox", 20e-9), ("vmax", vmax)];
        let m = device(&params, (10e-6, l), 1.0);
        let xv = vmax * l / (u0 * 1e-4);
        let mut worst: f64 = 0.0;
        for (vgs, vbs) in [(1.5, 0.0), (2.5, -1.0), (4.0, -0.5), (5.0, -3.0), (3.0, 0.2)] {
            let pv = if vbs <= 0.0 { phi - vbs } else { (phi.sqrt() / (1.0 + 0.5 * vbs / phi)).powi(2) };
            let v1 = vgs - (vto - gamma * phi.sqrt()) + phi - vbs;
            let (a1, b1, c1) = (gamma / 0.75, -2.0 * (v1 + xv), -2.0 * gamma * xv);
            let d1 = 2.0 * v1 * (phi - vbs + xv) - (phi - vbs).powi(2) - 4.0 / 3.0 * gamma * pv.powf(1.5);
            let q = |x: f64| (((x + a1) * x + b1) * x + c1) * x + d1;
            let mut lo = 1e-9;
            while q(lo).signum() == q(lo + 1e-3).signum() {
                lo += 1e-3;
                assert!(lo < 20.0, "no root at {vgs} {vbs}");
            }
            let mut hi = lo + 1e-3;
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if q(mid).signum() == q(lo).signum() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let expect = lo * lo - (phi - vbs);
            let ch = m.channel(vgs, 5.0, vbs);
            let err = (ch.vdsat - expect).abs() / expect;
            worst = worst.max(err);
        }
        // Measured 2.4e-13 relative (the Ferrari formulas' rounding);
        // 2.4e-12 is 10x.
        assert!(worst < 2.4e-12, "{worst:e}");
    }
}
