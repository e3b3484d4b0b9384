//! ngspice's junction diode (level 1) as its diotemp.c and dioload.c
//! compute it at 27 °C (TEMP = TNOM): the bottom (`IS` by area, `N`) and
//! sidewall (`JSW` by perimeter, `NS`) currents, recombination (`ISR`,
//! `NR`), tunnelling (`JTUN`, `JTUNSW`, `NTUN`), reverse breakdown (`BV`,
//! `IBV`, `NBV`, with ngspice's adjustment of the breakdown voltage so the
//! current at `-BV` is `IBV`), high injection (`IKF`, `IKR`), gmin, the
//! depletion charges of bottom (`CJO`, `VJ`, `M`, `FC`) and sidewall (`CJP`,
//! `PHP`, `MJSW`, `FCS`; continuous at `FCS·PHP`, where ngspice 39's jumps),
//! the diffusion charge `TT·i`, `pnjlim` limiting
//! (reflected at `-BV` in breakdown) and the series resistance (an internal
//! node).

use atscale_circuit::DiodeParams;

use super::{add, get, pnjlim, stamp_g};
use crate::mna::{EvalCtx, EvalOut, GMIN, VT_NOMINAL};

/// ngspice's smallest saturation current (`CKTepsmin`), A.
const EPSMIN: f64 = 1e-28;
/// ngspice's largest grading coefficient after temperature adjustment
/// (`DIOgradingCoeffMax`).
const GRADING_MAX: f64 = 0.9;
/// ngspice's relative tolerance of the breakdown-voltage iteration (its
/// default `RELTOL`).
const BV_RELTOL: f64 = 1e-3;

/// A depletion charge (bottom or sidewall) with SPICE's linear-capacitance
/// extension above `FC·VJ`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Depletion {
    /// Zero-bias capacitance, F.
    cz: f64,
    /// Junction potential, V.
    vj: f64,
    /// Grading coefficient.
    m: f64,
    /// `FC·VJ`, V.
    depcap: f64,
    /// ngspice's `F1`, `F2`, `F3` of this junction. (ngspice 39 extends
    /// the sidewall charge with the bottom junction's `F1`, which makes it
    /// jump at `FCS·PHP` unless the two junctions' parameters agree; the
    /// native sidewall keeps its own, continuous one, and `fidelity` names
    /// the difference.)
    f1: f64,
    f2: f64,
    f3: f64,
}

impl Depletion {
    /// `(charge C, capacitance F)` at `vd`.
    fn at(&self, vd: f64) -> (f64, f64) {
        if self.cz == 0.0 {
            return (0.0, 0.0);
        }
        if vd < self.depcap {
            let arg = 1.0 - vd / self.vj;
            let sarg = (-self.m * arg.ln()).exp();
            (self.vj * self.cz * (1.0 - arg * sarg) / (1.0 - self.m), self.cz * sarg)
        } else {
            let czof2 = self.cz / self.f2;
            let q = self.cz * self.f1
                + czof2
                    * (self.f3 * (vd - self.depcap)
                        + (self.m / (self.vj + self.vj)) * (vd * vd - self.depcap * self.depcap));
            (q, czof2 * (self.f3 + self.m * vd / self.vj))
        }
    }
}

/// A current `isat (e^{v/vte} - 1)` term with its emission voltage.
#[derive(Debug, Clone, Copy)]
struct Exp {
    isat: f64,
    vte: f64,
}

/// A level-1 diode's parameters at 27 °C, area and perimeter applied.
#[derive(Debug, Clone)]
pub(crate) struct Dio {
    /// Bottom saturation current (with the sidewall's when it shares N), A.
    csat: f64,
    /// `N·vt`, V.
    vte: f64,
    /// A sidewall current with its own emission coefficient `NS`.
    sidewall: Option<Exp>,
    /// Breakdown: the adjusted breakdown voltage, V, and `NBV·vt`, V.
    breakdown: Option<(f64, f64)>,
    /// Recombination current `ISR` with `NR`.
    recombination: Option<Exp>,
    /// Tunnelling currents, bottom and sidewall, with `NTUN·vt`.
    tunnel: [Option<Exp>; 2],
    /// Forward and reverse knee currents, A.
    ikf: Option<f64>,
    ikr: Option<f64>,
    /// Junction potential and grading of the bottom (for recombination), V.
    vj: f64,
    m: f64,
    /// Critical voltage of the limiter, V.
    vcrit: f64,
    bottom: Depletion,
    side: Depletion,
    /// Transit time `TT`, s.
    tt: f64,
}

impl Dio {
    /// The parameters of an instance of `area` (default the model's `AREA`;
    /// the perimeter is the model's `PJ`) of model `p`, as diotemp.c
    /// computes them at TNOM = 27 °C.
    pub(crate) fn new(p: &DiodeParams<f64>, area: Option<f64>) -> Dio {
        let vt = VT_NOMINAL;
        let area = area.unwrap_or_else(|| p.get("area", 1.0));
        let pj = p.get("pj", 0.0);
        let n = p.emission();
        let vte = n * vt;
        let is = p.is_amp().max(EPSMIN);
        let tsat = is * area;
        let mut csat = tsat;
        let mut sidewall = None;
        if let Some(jsw) = p.extra.get("jsw") {
            match p.extra.get("ns") {
                Some(ns) => sidewall = Some(Exp { isat: jsw * pj, vte: ns * vt }),
                None => csat += jsw * pj,
            }
        }
        let vtebrk = p.get("nbv", n) * vt;
        let breakdown =
            p.bv.map(|bv| (breakdown_voltage(bv, p.ibv.unwrap_or(1e-3), tsat, vt, vtebrk), vtebrk));
        let recombination =
            p.extra.get("isr").map(|isr| Exp { isat: isr * area, vte: p.get("nr", 1.0) * vt });
        let vtetun = p.get("ntun", 30.0) * vt;
        let tunnel = [
            p.extra.get("jtun").map(|j| Exp { isat: j * area, vte: vtetun }),
            p.extra.get("jtunsw").map(|j| Exp { isat: j * pj, vte: vtetun }),
        ];
        let knee = |k: &str| p.extra.get(k).filter(|x| **x >= EPSMIN).map(|x| x * area);
        let m = p.m.unwrap_or(0.5).min(GRADING_MAX);
        let fc = p.get("fc", 0.5);
        let mut vj = p.vj.unwrap_or(1.0);
        if fc * vj > 1.0 {
            vj = 1.0 / fc;
        }
        let xfc = (1.0 - fc).ln();
        let f1 = vj * (1.0 - ((1.0 - m) * xfc).exp()) / (1.0 - m);
        let bottom = Depletion {
            cz: p.cjo.unwrap_or(0.0) * area,
            vj,
            m,
            depcap: fc * vj,
            f1,
            f2: ((1.0 + m) * xfc).exp(),
            f3: 1.0 - fc * (1.0 + m),
        };
        let fcs = p.get("fcs", 0.5);
        let mut php = p.get("php", 1.0);
        if fcs * php > 1.0 {
            php = 1.0 / fcs;
        }
        let mjsw = p.get("mjsw", 0.33);
        let xfcs = (1.0 - fcs).ln();
        let side = Depletion {
            cz: p.get("cjp", 0.0) * pj,
            vj: php,
            m: mjsw,
            depcap: fcs * php,
            f1: php * (1.0 - ((1.0 - mjsw) * xfcs).exp()) / (1.0 - mjsw),
            f2: ((1.0 + mjsw) * xfcs).exp(),
            f3: 1.0 - fcs * (1.0 + mjsw),
        };
        Dio {
            csat,
            vte,
            sidewall,
            breakdown,
            recombination,
            tunnel,
            ikf: knee("ikf"),
            ikr: knee("ikr"),
            vj,
            m,
            vcrit: vte * (vte / (std::f64::consts::SQRT_2 * tsat)).ln(),
            bottom,
            side,
            tt: p.tt.unwrap_or(0.0),
        }
    }

    /// Whether the diode stores charge.
    pub(crate) fn has_charge(&self) -> bool {
        self.bottom.cz != 0.0 || self.side.cz != 0.0 || self.tt != 0.0
    }

    /// A junction current of saturation current `isat` in the forward,
    /// reverse or breakdown region: `(current, conductance)`.
    fn junction(&self, x: Exp, vd: f64) -> (f64, f64) {
        if vd >= -3.0 * x.vte {
            let e = (vd / x.vte).exp();
            (x.isat * (e - 1.0), x.isat * e / x.vte)
        } else if self.breakdown.is_none_or(|(bv, _)| vd >= -bv) {
            let arg = 3.0 * x.vte / (vd * std::f64::consts::E);
            let arg3 = arg * arg * arg;
            (-x.isat * (1.0 + arg3), x.isat * 3.0 * arg3 / vd)
        } else {
            let (bv, vtebrk) = self.breakdown.unwrap_or_default();
            let evrev = (-(bv + vd) / vtebrk).exp();
            (-x.isat * evrev, x.isat * evrev / vtebrk)
        }
    }

    /// The static current and conductance at `vd`, gmin included.
    pub(crate) fn current(&self, vd: f64) -> (f64, f64) {
        let (mut cd, mut gd) = self.junction(Exp { isat: self.csat, vte: self.vte }, vd);
        if vd >= -3.0 * self.vte {
            if let Some(r) = self.recombination {
                let e = (vd / r.vte).exp();
                let (c, g) = (r.isat * (e - 1.0), r.isat * e / r.vte);
                let t1 = (1.0 - vd / self.vj).powi(2) + 0.005;
                let gen = t1.powf(self.m / 2.0);
                let gen_vd = -self.m * (1.0 - vd / self.vj) * t1.powf(self.m / 2.0 - 1.0);
                let c = c * gen;
                cd += c;
                gd += g * gen + c * gen_vd;
            }
        }
        if let Some(sw) = self.sidewall {
            let (c, g) = self.junction(sw, vd);
            cd += c;
            gd += g;
        }
        for t in self.tunnel.iter().flatten() {
            let e = (-vd / t.vte).exp();
            cd -= t.isat * (e - 1.0);
            gd += t.isat * e / t.vte;
        }
        let knee = if vd >= -3.0 * self.vte {
            self.ikf.filter(|_| cd > 1e-18)
        } else {
            self.ikr.filter(|_| cd < -1e-18)
        };
        match knee {
            Some(ik) if vd >= -3.0 * self.vte => {
                let s = (cd / ik).sqrt();
                let g = ((1.0 + s) * gd - cd * gd / (2.0 * s * ik)) / (1.0 + 2.0 * s + cd / ik) + GMIN;
                (cd / (1.0 + s) + GMIN * vd, g)
            }
            Some(ik) => {
                let s = (cd / -ik).sqrt();
                let g = ((1.0 + s) * gd + cd * gd / (2.0 * s * ik)) / (1.0 + 2.0 * s - cd / ik) + GMIN;
                (cd / (1.0 + s) + GMIN * vd, g)
            }
            None => (cd + GMIN * vd, gd + GMIN),
        }
    }

    /// The charge and capacitance at `vd` with the static current `(cd, gd)`.
    pub(crate) fn charge(&self, vd: f64, (cd, gd): (f64, f64)) -> (f64, f64) {
        let (qb, cb) = self.bottom.at(vd);
        let (qs, cs) = self.side.at(vd);
        (self.tt * cd + qb + qs, self.tt * gd + cb + cs)
    }
}

/// ngspice's breakdown voltage, adjusted so the reverse current at it is
/// `ibv` (diotemp.c, level 1: the iteration and its tolerance as there).
pub(crate) fn breakdown_voltage(bv: f64, ibv: f64, tsat: f64, vt: f64, vtebrk: f64) -> f64 {
    let cbv = ibv;
    if cbv < tsat * bv / vt {
        return bv;
    }
    let tol = BV_RELTOL * cbv;
    let mut xbv = bv - vtebrk * (1.0 + cbv / tsat).ln();
    for _ in 0..25 {
        xbv = bv - vtebrk * (cbv / tsat + 1.0 - xbv / vt).ln();
        let xcbv = tsat * (((bv - xbv) / vtebrk).exp() - 1.0 + xbv / vt);
        if (xcbv - cbv).abs() <= tol {
            break;
        }
    }
    xbv
}

#[derive(Debug, Clone)]
pub(crate) struct Diode {
    /// Anode (the internal node when the diode has a series resistance) and cathode.
    pub(crate) a: usize,
    pub(crate) b: usize,
    pub(crate) p: Dio,
    /// The limited voltage of the last evaluation, V.
    pub(crate) vold: f64,
    pub(crate) s: [usize; 4],
}

impl Diode {
    /// Resets the limiter's memory to the voltage of `y`.
    pub(crate) fn reset_limiter(&mut self, y: &[f64]) {
        self.vold = get(y, self.a) - get(y, self.b);
    }

    /// `pnjlim` as dioload.c applies it: reflected at the breakdown voltage
    /// deep in reverse bias.
    fn limit(&self, vd: f64) -> (f64, bool) {
        match self.p.breakdown {
            Some((bv, vtebrk)) if vd < (-bv + 10.0 * vtebrk).min(0.0) => {
                let (v, lim) = pnjlim(-(vd + bv), -(self.vold + bv), vtebrk, self.p.vcrit);
                (-(v + bv), lim)
            }
            _ => pnjlim(vd, self.vold, self.p.vte, self.p.vcrit),
        }
    }

    /// Adds the diode's charge at `y` (no limiting) to `q`.
    pub(crate) fn charges(&self, y: &[f64], q: &mut [f64]) {
        let vd = get(y, self.a) - get(y, self.b);
        let (qd, _) = self.p.charge(vd, self.p.current(vd));
        add(q, self.a, qd);
        add(q, self.b, -qd);
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let vd_true = get(y, self.a) - get(y, self.b);
        let mut vd = vd_true;
        if ctx.limit {
            let (v, lim) = self.limit(vd_true);
            vd = v;
            out.limited |= lim;
        }
        self.vold = vd;
        let (id, gd) = self.p.current(vd);
        // Linearised at the limited voltage.
        let i = id + gd * (vd_true - vd);
        add(&mut out.f, self.a, i);
        add(&mut out.f, self.b, -i);
        let mut c = 0.0;
        if self.p.has_charge() {
            let (qd, cd) = self.p.charge(vd, (id, gd));
            let q = qd + cd * (vd_true - vd);
            c = cd;
            add(&mut out.q, self.a, q);
            add(&mut out.q, self.b, -q);
        }
        if ctx.jac {
            stamp_g(&mut out.jac, &self.s, gd + ctx.cj * c);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn card(pairs: &[(&str, f64)]) -> DiodeParams<f64> {
        let mut d = DiodeParams::default();
        for (k, x) in pairs {
            let v = Some(*x);
            match *k {
                "is" => d.is = v,
                "n" => d.n = v,
                "rs" => d.rs = v,
                "cjo" => d.cjo = v,
                "vj" => d.vj = v,
                "m" => d.m = v,
                "tt" => d.tt = v,
                "bv" => d.bv = v,
                "ibv" => d.ibv = v,
                other => {
                    d.extra.insert(other.to_string(), *x);
                }
            }
        }
        d
    }

    #[test]
    fn conductance_is_the_derivative_of_the_current_in_every_region() {
        let cases = [
            card(&[("is", 1e-14), ("n", 1.1), ("bv", 5.0), ("ibv", 1e-3), ("nbv", 1.5)]),
            card(&[("is", 1e-15), ("ikf", 1e-3), ("ikr", 1e-9), ("vj", 0.7), ("m", 0.4)]),
            card(&[
                ("is", 1e-16),
                ("jsw", 1e-16),
                ("ns", 1.3),
                ("pj", 2.0),
                ("jtun", 1e-13),
                ("jtunsw", 1e-13),
            ]),
        ];
        let mut worst = 0.0f64;
        for p in &cases {
            let d = Dio::new(p, Some(1.3));
            // Forward, weak reverse, reverse, and (first case) breakdown, away
            // from the region boundaries (-3 N vt and -BV).
            for vd in [0.75, 0.5, 0.1, -0.02, -1.0, -4.0, -5.5, -7.0] {
                let (_, g) = d.current(vd);
                let fd = (d.current(vd + 1e-7).0 - d.current(vd - 1e-7).0) / 2e-7;
                worst = worst.max((g - fd).abs() / g.abs());
            }
        }
        // Measured 4.6e-9 (central differences, h = 0.1 uV, worst in
        // breakdown); 3e-8 is a 6.5x margin. (ISR is left out: ngspice's
        // recombination conductance is not the derivative of its current,
        // and the device keeps ngspice's, which only changes iterations.)
        assert!(worst < 3e-8, "{worst:e}");
    }

    #[test]
    fn the_breakdown_voltage_gives_ibv_at_its_reverse_bias() {
        // ngspice's adjusted breakdown voltage xbv solves
        // IS (e^((BV - xbv)/(NBV vt)) - 1 + xbv/vt) = IBV to its RELTOL (1e-3).
        let vt = VT_NOMINAL;
        for (bv, ibv, is, nbv) in [(5.1, 1e-3, 1e-14, 1.0), (3.3, 5e-3, 2e-12, 2.5), (40.0, 1e-5, 1e-9, 1.0)]
        {
            let xbv = breakdown_voltage(bv, ibv, is, vt, nbv * vt);
            let current = is * (((bv - xbv) / (nbv * vt)).exp() - 1.0 + xbv / vt);
            assert!((current - ibv).abs() <= 1e-3 * ibv, "BV {bv}: xbv {xbv} gives {current:e} A");
        }
        // When IBV is below IS BV / vt there is nothing to adjust.
        assert_eq!(breakdown_voltage(5.0, 1e-12, 1e-12, vt, vt), 5.0);
    }

    #[test]
    fn breakdown_current_grows_as_the_exponential_beyond_the_breakdown() {
        let p = card(&[("is", 1e-14), ("bv", 5.0), ("ibv", 1e-3)]);
        let d = Dio::new(&p, None);
        let (bv, vt) = d.breakdown.unwrap();
        // Beyond -xbv: -IS e^(-(xbv + v)/vt) plus gmin's current.
        for v in [-5.2, -5.5] {
            let (i, _) = d.current(v);
            let exact = -1e-14 * (-(bv + v) / vt).exp() + GMIN * v;
            assert!((i - exact).abs() < 1e-15 * exact.abs(), "{v}: {i:e} vs {exact:e}");
        }
    }

    #[test]
    fn the_sidewall_charge_is_continuous_at_fcs_php() {
        // Bottom and sidewall with different potentials, gradings and FC:
        // the sidewall keeps its own F1 (ngspice 39 takes the bottom's and
        // jumps by CJP PJ (F1 - F1sw) here, -5.2e-13 C for these values).
        let p = card(&[("cjo", 1e-12), ("vj", 0.7), ("m", 0.45), ("fc", 0.6), ("cjp", 2e-12), ("pj", 1.0)]);
        let p = DiodeParams {
            extra: {
                let mut e = p.extra;
                e.insert("php".into(), 1.8);
                e.insert("mjsw".into(), 0.25);
                e.insert("fcs".into(), 0.4);
                e
            },
            ..p
        };
        let d = Dio::new(&p, None);
        let at = 0.4 * 1.8;
        let (below, above) = (d.side.at(at - 1e-12), d.side.at(at + 1e-12));
        // Across 2 pV the charge moves by its capacitance times 2e-12, about 1e-23 C.
        assert!((below.0 - above.0).abs() < 3e-12 * below.1, "{below:?} {above:?}");
        assert!((below.1 - above.1).abs() < 1e-9 * below.1, "{below:?} {above:?}");
    }

    #[test]
    fn grading_above_its_limit_and_a_too_large_potential_are_clamped_as_in_ngspice() {
        let d = Dio::new(&card(&[("cjo", 1e-12), ("vj", 2.5), ("m", 0.95), ("fc", 0.5)]), None);
        // M is held at 0.9, VJ at 1/FC = 2 V: the capacitance at -2 V is
        // CJO (1 + 1)^-0.9.
        let (_, c) = d.charge(-2.0, (0.0, 0.0));
        let exact = 1e-12 * 2f64.powf(-0.9);
        assert!((c - exact).abs() < 1e-15 * exact, "{c:e} vs {exact:e}");
        // The charge's derivative is the capacitance, on both sides of FC*VJ = 1 V.
        for v in [-2.0, 0.5, 0.99, 1.01, 1.5] {
            let (_, c) = d.charge(v, (0.0, 0.0));
            let fd = (d.charge(v + 1e-6, (0.0, 0.0)).0 - d.charge(v - 1e-6, (0.0, 0.0)).0) / 2e-6;
            // Measured 1.4e-9 (central differences, h = 1 uV, worst at -2 V
            // where 1 - M = 0.1 cancels digits); 1e-8 is a 7x margin.
            assert!((c - fd).abs() < 1e-8 * c, "{v}: {c:e} vs {fd:e}");
        }
    }
}
