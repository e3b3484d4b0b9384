//! ngspice's level-3 MOSFET channel (MOS3) as its mos3set.c, mos3temp.c
//! and mos3load.c compute it at 27 °C (TEMP = TNOM): the semi-empirical
//! short-channel model with the threshold's body effect shortened by the
//! junction depth `XJ` (and `LD`), its narrow-width term `DELTA`, its
//! drain feedback `ETA`, mobility reduction `THETA`, velocity saturation
//! `VMAX`, channel-length modulation `KAPPA` (with `NSUB`, and the
//! punch-through limit), weak inversion `NFS`, and `KP`, `VTO`, `GAMMA`,
//! `PHI` from `U0`, `TOX`, `NSUB`, `NSS`, `TPG`. The effective length is
//! `L - 2 LD + XL`, the effective width `W - 2 WD + XW`.
//!
//! The current is written once over [`D`], so `gm`, `gds` and `gmbs` are
//! its exact derivatives. The junctions, their charges and Meyer's gate
//! capacitances are level 1's (with [`junction`], MOS3's reverse-bias
//! current) with the threshold and saturation voltage of this channel.

use std::f64::consts::PI;

use atscale_circuit::MosParams;

use super::dual::D;
use super::mosfet::Channel;
use crate::mna::{BOLTZMANN, CHARGE, GMIN, T_NOMINAL, VT_NOMINAL};

/// Permittivity of free space as ngspice's MOS3 writes it, F/m.
const EPS0: f64 = 8.854214871e-12;
/// Permittivity of silicon (`EPSSIL`), F/m.
const EPS_SI: f64 = 11.7 * EPS0;
/// Relative permittivity of silicon dioxide.
const EPS_OX: f64 = 3.9;
/// ngspice's coefficients of the depletion-width fit of the short-channel factor.
const WC: [f64; 3] = [0.0631353, 0.8013292, -0.01110777];
/// ngspice's `ETA` scale, F·m (the static feedback is `ETA·8.15e-22/(COX·Leff³)·vds`).
const ETA_SCALE: f64 = 8.15e-22;
/// Largest exponent of a junction current (ngspice's `MAX_EXP_ARG`).
const MAX_EXP_ARG: f64 = 709.0;

/// The parameters ngspice 39 rejects on a level-3 card (listed in its
/// parameter table, refused by its model setter: "could not find a valid
/// modelname").
const REFUSED: [&str; 3] = ["xd", "alpha", "input_delta"];

/// A level-3 model card after MOS3's defaults and its preprocessing at 27 °C.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mos3Model {
    /// `KP` (from `U0·COX` when absent), A/V².
    pub(crate) kp: f64,
    /// `VTO + DELVTO` in ngspice's convention (negative for an enhancement PMOS), V.
    pub(crate) vto: f64,
    /// `GAMMA`, √V.
    pub(crate) gamma: f64,
    /// `PHI`, V.
    pub(crate) phi: f64,
    /// Oxide capacitance per area `3.9 ε0/TOX` (TOX default 0.1 µm), F/m².
    pub(crate) cox: f64,
    /// Surface mobility `U0`, cm²/(V·s).
    u0: f64,
    /// `2 ε_si/(q NSUB)` (0 without NSUB), m²/V, and its square root, m/√V.
    alpha: f64,
    xd: f64,
    /// `DELTA·π/2·ε_si/COX`, m.
    narrow: f64,
    eta: f64,
    theta: f64,
    kappa: f64,
    /// `VMAX`, m/s.
    vmax: f64,
    /// Junction depth `XJ`, m.
    xj: f64,
    /// Fast surface-state density `NFS`, 1/cm².
    nfs: f64,
    /// `LD`, `XL`, `WD`, `XW`, m.
    ld: f64,
    xl: f64,
    wd: f64,
    xw: f64,
}

/// The intrinsic carrier density of silicon at TNOM as MOS3 computes it, 1/m³.
fn intrinsic_density(tnom: f64) -> f64 {
    let egfet1 = band_gap(tnom);
    let ratio = tnom / 300.0;
    1.45e16 * ratio * ratio.sqrt() * (0.5 * egfet1 * (1.0 / 300.0 - 1.0 / tnom) / (BOLTZMANN / CHARGE)).exp()
}

/// Silicon's band gap at `t` kelvin (ngspice's `egfet`), eV.
fn band_gap(t: f64) -> f64 {
    1.16 - (7.02e-4 * t * t) / (t + 1108.0)
}

impl Mos3Model {
    /// The card `p` of polarity `sign` (+1 NMOS, -1 PMOS); an error names
    /// what ngspice refuses too.
    pub(crate) fn new(p: &MosParams<f64>, sign: f64) -> Result<Mos3Model, String> {
        let x = |k: &str| p.extra(k);
        if let Some(k) = REFUSED.iter().find(|k| x(k).is_some()) {
            return Err(format!(
                "{} is not a parameter of ngspice's level-3 MOSFET (ngspice refuses the model too)",
                k.to_ascii_uppercase()
            ));
        }
        let mut m = Mos3Model {
            kp: 0.0,
            vto: p.vto_volt(),
            gamma: p.gamma(),
            phi: p.phi(),
            cox: 0.0,
            u0: x("u0").unwrap_or(600.0),
            alpha: 0.0,
            xd: 0.0,
            narrow: 0.0,
            eta: x("eta").unwrap_or(0.0),
            theta: x("theta").unwrap_or(0.0),
            kappa: x("kappa").unwrap_or(0.2),
            vmax: x("vmax").unwrap_or(0.0),
            xj: x("xj").unwrap_or(0.0),
            nfs: x("nfs").unwrap_or(0.0),
            ld: x("ld").unwrap_or(0.0),
            xl: x("xl").unwrap_or(0.0),
            wd: x("wd").unwrap_or(0.0),
            xw: x("xw").unwrap_or(0.0),
        };
        if !(m.phi > 0.0) {
            return Err(format!("PHI = {} V is not positive", m.phi));
        }
        let tox = x("tox").unwrap_or(1e-7);
        if !(tox > 0.0) {
            return Err(format!("TOX = {tox:e} m is not positive"));
        }
        m.cox = EPS_OX * EPS0 / tox;
        m.kp = p.kp.unwrap_or(m.u0 * m.cox * 1e-4);
        if let Some(nsub) = x("nsub") {
            m.apply_doping(p, sign, nsub)?;
        }
        m.vto += x("delvto").or(x("delvt0")).unwrap_or(0.0);
        m.narrow = x("delta").unwrap_or(0.0) * 0.5 * PI * EPS_SI / m.cox;
        Ok(m)
    }

    /// PHI, GAMMA and VTO (those not given) and the depletion constants
    /// from the substrate doping `nsub`, 1/cm³.
    fn apply_doping(&mut self, p: &MosParams<f64>, sign: f64, nsub: f64) -> Result<(), String> {
        let tnom = T_NOMINAL;
        let ni = intrinsic_density(tnom);
        let n = nsub * 1e6;
        if !(n > ni) {
            return Err(format!("NSUB = {nsub:e} /cm³ is below the intrinsic density (ngspice: Nsub < Ni)"));
        }
        let vtnom = tnom * BOLTZMANN / CHARGE;
        let egfet1 = band_gap(tnom);
        if p.phi.is_none() {
            self.phi = (2.0 * vtnom * (n / ni).ln()).max(0.1);
        }
        let fermis = sign * 0.5 * self.phi;
        // TPG is an integer parameter in ngspice.
        let tpg = p.extra("tpg").unwrap_or(1.0).trunc();
        let wkfng = if tpg != 0.0 { 3.25 + 0.5 * egfet1 - sign * tpg * 0.5 * egfet1 } else { 3.2 };
        let wkfngs = wkfng - (3.25 + 0.5 * egfet1 + fermis);
        if p.gamma.is_none() {
            self.gamma = (2.0 * EPS_SI * CHARGE * n).sqrt() / self.cox;
        }
        if p.vto.is_none() {
            let vfb = wkfngs - p.extra("nss").unwrap_or(0.0) * 1e4 * CHARGE / self.cox;
            self.vto = vfb + sign * (self.gamma * self.phi.sqrt() + self.phi);
        }
        self.alpha = (EPS_SI + EPS_SI) / (CHARGE * n);
        self.xd = self.alpha.sqrt();
        Ok(())
    }

    /// The effective length `L - 2 LD + XL` and width `W - 2 WD + XW` of
    /// an instance of width `w_m` and length `l_m`, m.
    pub(crate) fn geometry(&self, (w_m, l_m): (f64, f64)) -> Result<(f64, f64), String> {
        let leff = l_m - 2.0 * self.ld + self.xl;
        if !(leff > 0.0) {
            return Err(format!("the effective channel length L - 2 LD + XL = {leff:e} m is not positive"));
        }
        let weff = w_m - 2.0 * self.wd + self.xw;
        if !(weff > 0.0) {
            return Err(format!("the effective channel width W - 2 WD + XW = {weff:e} m is not positive"));
        }
        Ok((leff, weff))
    }
}

/// A level-3 channel: the instance's constants of MOS3's drain current.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mos3 {
    /// `KP·M·Weff/Leff`, A/V².
    beta: f64,
    /// `sign·(VTO + DELVTO) - GAMMA·√PHI` (n-channel frame), V.
    pub(crate) vbi: f64,
    gamma: f64,
    pub(crate) phi: f64,
    /// Drain feedback of the threshold, `ETA·8.15e-22/(COX·Leff³)`.
    eta: f64,
    theta: f64,
    kappa: f64,
    vmax: f64,
    alpha: f64,
    xd: f64,
    xj: f64,
    ld: f64,
    /// Effective length, m.
    leff: f64,
    /// Narrow-width factor over the effective width, `narrow/Weff`.
    narrow_w: f64,
    /// Surface mobility, m²/(V·s).
    u0: f64,
    /// Fast surface states over the oxide capacitance (`csonco`), when NFS is not 0.
    csonco: Option<f64>,
    /// Thermal voltage, V.
    vt: f64,
}

impl Mos3 {
    /// The channel of an instance of effective length and width `(leff,
    /// weff)` (from [`Mos3Model::geometry`]) and multiplier `m` of model
    /// `md` with polarity `sign`.
    pub(crate) fn new(md: &Mos3Model, sign: f64, (leff, weff): (f64, f64), m: f64) -> Mos3 {
        let oxide_cap = md.cox * leff * m * weff;
        let csonco = (md.nfs != 0.0).then(|| CHARGE * md.nfs * 1e4 * leff * weff * m / oxide_cap);
        Mos3 {
            beta: md.kp * m * weff / leff,
            vbi: sign * md.vto - md.gamma * md.phi.sqrt(),
            gamma: md.gamma,
            phi: md.phi,
            eta: md.eta * ETA_SCALE / (md.cox * leff * leff * leff),
            theta: md.theta,
            kappa: md.kappa,
            vmax: md.vmax,
            alpha: md.alpha,
            xd: md.xd,
            xj: md.xj,
            ld: md.ld,
            leff,
            narrow_w: md.narrow / weff,
            u0: md.u0 * 1e-4,
            csonco,
            vt: VT_NOMINAL,
        }
    }

    /// `(√(PHI - vbs), PHI - vbs)`, continued for forward `vbs` as SPICE does.
    fn depletion(&self, vbs: D) -> (D, D) {
        if vbs.v <= 0.0 {
            let phibs = self.phi - vbs;
            (phibs.sqrt(), phibs)
        } else {
            let sq = (1.0 + vbs / (self.phi + self.phi)).recip() * self.phi.sqrt();
            (sq, sq * sq)
        }
    }

    /// The short-channel factor of the body effect (1 without XJ or NSUB).
    fn short_channel(&self, sqphbs: D) -> D {
        if self.xj == 0.0 || self.xd == 0.0 {
            return D::c(1.0);
        }
        let wponxj = sqphbs * (self.xd / self.xj);
        let wconxj = WC[0] + wponxj * WC[1] + wponxj * wponxj * WC[2];
        let djonxj = self.ld / self.xj;
        let arga = wconxj + djonxj;
        let argc = wponxj / (1.0 + wponxj);
        let argb = (1.0 - argc * argc).sqrt();
        1.0 - (arga * argb - djonxj) * (self.xj / self.leff)
    }

    /// The drain current and its derivatives in the normal mode (`vds >=
    /// 0`), with the threshold `von` and saturation voltage, as MOS3's
    /// `moseq3`.
    pub(crate) fn channel(&self, vgs: f64, vds: f64, vbs: f64) -> Channel {
        let (vgs, vds, vbs) = D::vars(vgs, vds, vbs);
        let (sqphbs, phibs) = self.depletion(vbs);
        let gammas = self.short_channel(sqphbs) * self.gamma;
        let fbody = gammas * 0.5 / (sqphbs + sqphbs) + self.narrow_w;
        let qbonco = gammas * sqphbs + phibs * self.narrow_w;
        let vth = self.vbi - vds * self.eta + qbonco;
        // Weak inversion: the threshold moves up by n·vt and the current
        // below it falls as exp((vgs - von)/(n vt)).
        let xn = self.csonco.map(|cs| 1.0 + cs + qbonco / (phibs + phibs));
        let von = xn.map_or(vth, |xn| vth + xn * self.vt);
        if xn.is_none() && vgs.v <= von.v {
            return Channel { von: von.v, ..Channel::default() };
        }
        let vgsx = vgs.max(von);
        let fgate = (1.0 + (vgsx - vth) * self.theta).recip();
        let (vdsat, onvdsc) = self.saturation(vgsx - vth, fbody, fgate);
        let vdsx = vds.min(vdsat);
        let cdo = vgsx - vth - (1.0 + fbody) * vdsx * 0.5;
        let mut cd = cdo * vdsx * fgate * self.beta;
        let mut fdrain = D::c(1.0);
        if let Some(onvdsc) = onvdsc {
            fdrain = (1.0 + vdsx * onvdsc).recip();
            cd = cd * fdrain;
        }
        if let Some(delxl) = self.shortening(vds, vdsat, cd, (fdrain, onvdsc)) {
            cd = cd / (1.0 - self.punch_through(delxl) / self.leff);
        }
        if let Some(xn) = xn {
            if vgs.v < von.v {
                cd = cd * ((vgs - von) / (xn * self.vt)).exp();
            }
        }
        Channel { ids: cd.v, gm: cd.d[0], gds: cd.d[1], gmbs: cd.d[2], von: von.v, vdsat: vdsat.v }
    }

    /// The saturation voltage for the gate overdrive `vgst` (with the body
    /// factor `fbody` and mobility factor `fgate`), and `1/vdsc` of
    /// velocity saturation when VMAX is set.
    fn saturation(&self, vgst: D, fbody: D, fgate: D) -> (D, Option<D>) {
        let arga = vgst / (1.0 + fbody);
        if self.vmax <= 0.0 {
            return (arga, None);
        }
        let us = fgate * self.u0;
        let vdsc = us.recip() * (self.leff * self.vmax);
        let argb = (arga * arga + vdsc * vdsc).sqrt();
        (arga + vdsc - argb, Some(vdsc.recip()))
    }

    /// The channel shortening `ΔL` of KAPPA (none without NSUB, and none
    /// in the linear region with VMAX), from the current `cd` before it.
    fn shortening(&self, vds: D, vdsat: D, cd: D, (fdrain, onvdsc): (D, Option<D>)) -> Option<D> {
        if self.alpha == 0.0 {
            return None;
        }
        let ka = self.kappa * self.alpha;
        if vds.v <= vdsat.v {
            if onvdsc.is_some() {
                return None;
            }
            let a = vds / vdsat;
            let a2 = a * a;
            return Some((vdsat * (ka / 8.0)).sqrt() * (a2 * a2));
        }
        match onvdsc {
            None => Some(((vds - vdsat + vdsat / 8.0) * ka).sqrt()),
            Some(onvdsc) => {
                let gdsat = (cd * (1.0 - fdrain) * onvdsc).max(D::c(1e-12));
                let emax = cd * (self.kappa / self.leff) / gdsat;
                let arga = emax * (0.5 * self.alpha);
                let argb = (arga * arga + (vds - vdsat) * ka).sqrt();
                Some(argb - arga)
            }
        }
    }

    /// MOS3's punch-through limit of the shortening: beyond half the
    /// length, `ΔL = L - L²/(4 ΔL)`.
    fn punch_through(&self, delxl: D) -> D {
        let l = self.leff;
        if delxl.v > 0.5 * l {
            l - (l * l / 4.0) / delxl
        } else {
            delxl
        }
    }
}

/// A MOS3 bulk junction of saturation current `isat` at `v` (n-channel
/// frame) with thermal voltage `vt`, with gmin across it: `(current,
/// conductance)`. Unlike levels 1 and 2, the reverse current below
/// `-3 vt` approaches `-isat` as `(3 vt/(e v))³`.
pub(crate) fn junction(isat: f64, v: f64, vt: f64) -> (f64, f64) {
    if v <= -3.0 * vt {
        let arg = 3.0 * vt / (v * std::f64::consts::E);
        let arg3 = arg * arg * arg;
        (-isat * (1.0 + arg3) + GMIN * v, isat * 3.0 * arg3 / v + GMIN)
    } else {
        let e = (v / vt).min(MAX_EXP_ARG).exp();
        (isat * (e - 1.0) + GMIN * v, isat * e / vt + GMIN)
    }
}

#[cfg(test)]
mod tests {
    use super::super::dual::check;
    use super::*;

    fn card(params: &[(&str, f64)]) -> MosParams<f64> {
        super::super::mosfet::test_card(3, params)
    }

    fn device(params: &[(&str, f64)], (w, l): (f64, f64), sign: f64) -> Mos3 {
        let md = Mos3Model::new(&card(params), sign).unwrap();
        Mos3::new(&md, sign, md.geometry((w, l)).unwrap(), 1.0)
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
            ("square law", base.clone(), (10e-6, 2e-6)),
            ("theta eta delta", with(&[("theta", 0.08), ("eta", 0.3), ("delta", 0.6)]), (4e-6, 1.2e-6)),
            (
                "nsub kappa xj ld",
                with(&[("nsub", 3e16), ("kappa", 0.5), ("xj", 0.25e-6), ("ld", 0.1e-6)]),
                (10e-6, 1.5e-6),
            ),
            ("vmax", with(&[("vmax", 1.5e5), ("theta", 0.05)]), (10e-6, 1e-6)),
            (
                "vmax nsub kappa",
                with(&[("vmax", 1.8e5), ("nsub", 2e16), ("kappa", 0.3), ("eta", 0.1)]),
                (8e-6, 1e-6),
            ),
            ("nfs", with(&[("nfs", 1e11), ("nsub", 1e16), ("theta", 0.06)]), (6e-6, 2e-6)),
            (
                "everything",
                vec![
                    ("u0", 550.0),
                    ("tox", 25e-9),
                    ("nsub", 4e16),
                    ("nss", 1e10),
                    ("nfs", 6e11),
                    ("vmax", 1.2e5),
                    ("theta", 0.07),
                    ("eta", 0.12),
                    ("kappa", 0.9),
                    ("delta", 0.8),
                    ("xj", 0.2e-6),
                    ("ld", 0.08e-6),
                    ("wd", 0.1e-6),
                    ("xl", 0.05e-6),
                    ("xw", -0.05e-6),
                ],
                (5e-6, 1e-6),
            ),
            // KAPPA so large that the shortening passes half the length.
            ("punch-through", with(&[("nsub", 1e15), ("kappa", 5.0)]), (5e-6, 0.8e-6)),
        ]
    }

    #[test]
    fn derivatives_match_central_differences_over_every_region() {
        let (mut worst, mut checked): (f64, usize) = (0.0, 0);
        for (_name, params, wl) in cards() {
            let m = device(&params, wl, 1.0);
            let (err, n) = check::derivative_error(&|g, d, b| m.channel(g, d, b), &check::grid(), 1e-6);
            worst = worst.max(err);
            checked += n;
        }
        // Central differences of h = 1 µV: truncation ~h²·i''' and
        // rounding ~1e-16·i/h; measured 1.5e-8 relative at worst (the
        // punch-through card; 1e-9 or less elsewhere) over 7544 derivatives
        // (boundaries within h skipped); 1.5e-7 is 10x.
        assert!(worst < 1.5e-7, "{worst:e}");
        assert!(checked > 7000, "{checked}");
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
        // measured 4.9e-5 relative at worst; 5e-4 is 10x.
        assert!(worst < 5e-4, "{worst:e}");
    }

    #[test]
    fn the_simplest_card_is_the_closed_form_of_the_body_effect_square_law() {
        // No THETA, ETA, VMAX, NFS, DELTA or NSUB: i = β (vgs - vth -
        // (1+fb) vds/2) vds up to vdsat = (vgs - vth)/(1+fb), with vth = VTO
        // + γ(√(φ-vbs) - √φ) and fb = γ/(4√(φ-vbs)).
        let (vto, kp, gamma, phi, w, l) = (0.7, 60e-6, 0.45, 0.7, 10e-6, 2e-6);
        let m =
            device(&[("vto", vto), ("kp", kp), ("gamma", gamma), ("phi", phi), ("tox", 20e-9)], (w, l), 1.0);
        let beta = kp * w / l;
        for (vgs, vds, vbs) in
            [(2.0, 0.3, 0.0), (2.0, 3.0, -1.0), (1.5, 0.5, -2.0), (3.0, 1.0, -0.5), (0.5, 1.0, 0.0)]
        {
            let sq = (phi - vbs).sqrt();
            let vth = vto + gamma * (sq - phi.sqrt());
            let fb = gamma / (4.0 * sq);
            let vdsat = ((vgs - vth) / (1.0 + fb)).max(0.0);
            let expect = if vgs <= vth {
                0.0
            } else if vds < vdsat {
                beta * (vgs - vth - (1.0 + fb) * vds / 2.0) * vds
            } else {
                beta * (vgs - vth) * (vgs - vth) / (2.0 * (1.0 + fb))
            };
            let ch = m.channel(vgs, vds, vbs);
            // Measured 3.3e-16 relative (rounding); 1e-14 is 30x.
            assert!(
                (ch.ids - expect).abs() <= 1e-14 * expect.abs(),
                "{vgs} {vds} {vbs}: {} vs {expect}",
                ch.ids
            );
            assert!((ch.vdsat - vdsat).abs() < 1e-14, "{} vs {vdsat}", ch.vdsat);
        }
    }

    /// The largest jump of the current across `boundary(vgs, vbs)` in
    /// `vds` (or in `vgs` when `in_vgs`), relative to the current there.
    fn jump(m: &Mos3, at: (f64, f64, f64), in_vgs: bool) -> f64 {
        let eps = 1e-9;
        let (vgs, vds, vbs) = at;
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
                    // vdsat depends on vds only through ETA's threshold shift:
                    // iterate to the fixed point vds = vdsat(vds).
                    let mut vds = 1.0;
                    for _ in 0..60 {
                        vds = m.channel(vgs, vds, vbs).vdsat;
                    }
                    let j = jump(&m, (vgs, vds, vbs), false);
                    assert!(j < 4e-7, "{name}: vdsat jump {j:e} at vgs {vgs} vds {vds} vbs {vbs}");
                    worst_sat = worst_sat.max(j);
                }
                for vds in [0.05, 0.5, 3.0] {
                    let von = m.channel(0.0, vds, vbs).von;
                    let j = jump(&m, (von, vds, vbs), true);
                    // Without NFS the current vanishes at von: compare with
                    // the current 10 mV above it instead.
                    let above = m.channel(von + 0.01, vds, vbs).ids;
                    let jabs =
                        (m.channel(von + 1e-9, vds, vbs).ids - m.channel(von - 1e-9, vds, vbs).ids).abs();
                    let j = if m.csonco.is_some() { j } else { jabs / above };
                    assert!(j < 1e-6, "{name}: von jump {j:e} at vds {vds} vbs {vbs}");
                    worst_on = worst_on.max(j);
                }
            }
        }
        // A 2 nV step changes a current by ~g·2e-9/i: measured 4.1e-8
        // relative at vdsat and 9.4e-8 at von (weak inversion, where gm/i =
        // 1/(n vt)); the bounds are 10x. A step in the current at a
        // boundary would be O(1e-3) or more.
    }

    #[test]
    fn the_shortening_meets_the_punch_through_limit_continuously() {
        let (_, params, wl) = cards().pop().unwrap();
        let m = device(&params, wl, 1.0);
        let (vgs, vbs) = (3.0, 0.0);
        // Without ETA the saturation voltage does not depend on vds.
        let vdsat = m.channel(vgs, 5.0, vbs).vdsat;
        // KAPPA's shortening over the length, before the limit.
        let dl = |vds: f64| {
            let (_, d, _) = D::vars(vgs, vds, vbs);
            let delxl = m.shortening(d, D::c(vdsat), D::c(0.0), (D::c(1.0), None)).unwrap();
            delxl.v / m.leff
        };
        // (Here the shortening reaches L/2 below vdsat, in the linear region.)
        let (mut lo, mut hi) = (1e-3, 50.0);
        assert!(dl(lo) < 0.5);
        assert!(dl(hi) > 0.5, "the card must punch through: {}", dl(hi));
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if dl(mid) > 0.5 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let j = jump(&m, (vgs, 0.5 * (lo + hi), vbs), false);
        // Measured 5.8e-9 (the 2 nV step times gds/i); 6e-8 is 10x.
        assert!(j < 6e-8, "{j:e}");
    }

    #[test]
    fn a_pmos_card_is_the_nmos_one_mirrored() {
        // VTO, TPG and NSS-derived thresholds change sign with the type;
        // given parameters are used as written.
        let params = [("vto", -0.8), ("kp", 25e-6), ("gamma", 0.5), ("theta", 0.1), ("eta", 0.2)];
        let p = device(&params, (10e-6, 2e-6), -1.0);
        let n = device(
            &[("vto", 0.8), ("kp", 25e-6), ("gamma", 0.5), ("theta", 0.1), ("eta", 0.2)],
            (10e-6, 2e-6),
            1.0,
        );
        assert_eq!(p, n);
        let np = Mos3Model::new(&card(&[("nsub", 1e16), ("tox", 30e-9)]), -1.0).unwrap();
        let nn = Mos3Model::new(&card(&[("nsub", 1e16), ("tox", 30e-9)]), 1.0).unwrap();
        assert!(np.vto < 0.0 && nn.vto > 0.0 && (np.gamma - nn.gamma).abs() < 1e-15, "{np:?} {nn:?}");
    }

    #[test]
    fn kp_comes_from_u0_and_the_default_oxide_thickness() {
        // mos3temp.c: KP = U0·COX·1e-4 whenever KP is absent, TOX 0.1 µm by default.
        let m = Mos3Model::new(&card(&[]), 1.0).unwrap();
        let expect = 600.0 * 3.9 * 8.854214871e-12 / 1e-7 * 1e-4;
        assert!((m.kp - expect).abs() < 1e-16 * expect * 10.0, "{} vs {expect}", m.kp);
    }

    #[test]
    fn what_ngspice_refuses_is_refused() {
        for (k, v) in
            [("xd", 1e-7), ("alpha", 2.0), ("input_delta", 1.0), ("tox", 0.0), ("phi", -0.1), ("nsub", 1e9)]
        {
            let err = Mos3Model::new(&card(&[(k, v)]), 1.0).unwrap_err();
            assert!(err.to_ascii_lowercase().contains(k.split('_').next().unwrap()), "{k}: {err}");
        }
        let md = Mos3Model::new(&card(&[("ld", 1e-6)]), 1.0).unwrap();
        assert!(md.geometry((1e-6, 2e-6)).unwrap_err().contains("length"));
        let md = Mos3Model::new(&card(&[("wd", 1e-6)]), 1.0).unwrap();
        assert!(md.geometry((2e-6, 2e-6)).unwrap_err().contains("width"));
    }

    #[test]
    fn the_reverse_junction_is_continuous_at_minus_three_vt() {
        let (isat, vt) = (1e-14, VT_NOMINAL);
        let v = -3.0 * vt;
        let (a, ga) = junction(isat, v * (1.0 + 1e-12), vt);
        let (b, gb) = junction(isat, v * (1.0 - 1e-12), vt);
        // Measured 1.1e-13 relative in both; 1e-11 is 90x.
        assert!((a - b).abs() < 1e-11 * a.abs(), "{a:e} {b:e}");
        assert!((ga - gb).abs() < 1e-11 * ga.abs(), "{ga:e} {gb:e}");
    }
}
