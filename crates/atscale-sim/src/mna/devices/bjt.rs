//! ngspice's bipolar transistor, level 1 (Gummel-Poon), as its bjtload.c
//! and bjttemp.c compute it at 27 °C (TEMP = TNOM): the transport current
//! with Early effect and high injection (`qb`, NKF), ideal and leakage base
//! currents, the current-dependent base resistance (RB, RBM, IRB), the
//! depletion and diffusion charges (CJE, TF with XTF/VTF/ITF, CJC split by
//! XCJC between the internal and external base, TR, the substrate junction
//! CJS with ISS), gmin across both junctions and the substrate, and
//! `pnjlim` limiting of vbe, vbc and the substrate voltage. The PNP is the
//! NPN with every voltage and current negated; `M` scales every current,
//! conductance and charge. RC and RE are linear resistors built beside the
//! device; excess phase (PTF) and quasi-saturation (RCO) are not modelled
//! (`fidelity` names them).

use atscale_circuit::BjtParams;

use super::{add, get, pnjlim};
use crate::mna::{EvalCtx, EvalOut, GMIN, NONE, VT_NOMINAL};

/// Local ports: external base, internal base, internal collector, internal
/// emitter, substrate.
const B: usize = 0;
const BI: usize = 1;
const CI: usize = 2;
const EI: usize = 3;
const S: usize = 4;
const PORTS: usize = 5;

/// Branch variables: `vbe`, `vbc`, `vbx` (npn frame, internal base and
/// emitter/collector, external base to internal collector), `vsub`
/// (substrate to its junction's other side, in the substrate's frame) and
/// `vrb` (external minus internal base voltage).
const VBE: usize = 0;
const VBC: usize = 1;
const VBX: usize = 2;
const VSUB: usize = 3;
const VRB: usize = 4;
const BRANCHES: usize = 5;

/// Largest exponent of a junction current (ngspice's `MAX_EXP_ARG`).
const MAX_EXP_ARG: f64 = 709.0;

/// A depletion charge with SPICE's linear extension above `FC·VJ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Depletion {
    /// Zero-bias capacitance, F.
    cz: f64,
    /// Built-in potential, V.
    pb: f64,
    /// Grading coefficient.
    m: f64,
    /// `FC·VJ`, V.
    fcpb: f64,
    f1: f64,
    f2: f64,
    f3: f64,
}

impl Depletion {
    fn new(cz: f64, pb: f64, m: f64, fc: f64) -> Depletion {
        let xfc = (1.0 - fc).ln();
        Depletion {
            cz,
            pb,
            m,
            fcpb: fc * pb,
            f1: pb * (1.0 - ((1.0 - m) * xfc).exp()) / (1.0 - m),
            f2: ((1.0 + m) * xfc).exp(),
            f3: 1.0 - fc * (1.0 + m),
        }
    }

    /// `(charge C, capacitance F)` at `v`.
    fn eval(&self, v: f64) -> (f64, f64) {
        if self.cz == 0.0 {
            return (0.0, 0.0);
        }
        if v < self.fcpb {
            let arg = 1.0 - v / self.pb;
            let sarg = (-self.m * arg.ln()).exp();
            (self.pb * self.cz * (1.0 - arg * sarg) / (1.0 - self.m), self.cz * sarg)
        } else {
            let czf2 = self.cz / self.f2;
            let quad = self.m / (2.0 * self.pb) * (v * v - self.fcpb * self.fcpb);
            (
                self.cz * self.f1 + czf2 * (self.f3 * (v - self.fcpb) + quad),
                czf2 * (self.f3 + self.m * v / self.pb),
            )
        }
    }
}

/// The substrate charge as ngspice has it: the depletion law in reverse
/// bias, its tangent-parabola continuation (no FC) in forward bias:
/// `(charge C, capacitance F)`.
fn substrate_charge(cz: f64, ps: f64, ms: f64, v: f64) -> (f64, f64) {
    if cz == 0.0 {
        (0.0, 0.0)
    } else if v < 0.0 {
        let arg = 1.0 - v / ps;
        let sarg = (-ms * arg.ln()).exp();
        (ps * cz * (1.0 - arg * sarg) / (1.0 - ms), cz * sarg)
    } else {
        (v * cz * (1.0 + ms * v / (2.0 * ps)), cz * (1.0 + ms * v / ps))
    }
}

/// ngspice's junction current `isat (exp(v/nvt) - 1)` with its cubic
/// reverse tail below `-3 nvt`: `(A, S)`.
fn junction(isat: f64, nvt: f64, v: f64) -> (f64, f64) {
    if v >= -3.0 * nvt {
        let e = (v / nvt).min(MAX_EXP_ARG).exp();
        (isat * (e - 1.0), isat * e / nvt)
    } else {
        let arg = 3.0 * nvt / (v * std::f64::consts::E);
        let arg3 = arg * arg * arg;
        (-isat * (1.0 + arg3), isat * 3.0 * arg3 / v)
    }
}

/// The model of one instance at 27 °C with its area applied (ngspice's
/// `BJTtemp` at TEMP = TNOM), npn frame.
#[derive(Debug, Clone)]
pub(crate) struct GummelPoon {
    /// B-E and B-C saturation currents of the transport current, A.
    is_be: f64,
    is_bc: f64,
    /// `NF·vt`, `NR·vt`, V.
    nf_vt: f64,
    nr_vt: f64,
    /// Leakage saturation currents (ISE, ISC), A, and `NE·vt`, `NC·vt`, V.
    ise: f64,
    ne_vt: f64,
    isc: f64,
    nc_vt: f64,
    bf: f64,
    br: f64,
    /// `1/VAF`, `1/VAR`, 1/V; `1/IKF`, `1/IKR`, 1/A (0 for infinite).
    inv_vaf: f64,
    inv_var: f64,
    inv_ikf: f64,
    inv_ikr: f64,
    /// NKF when given (the square root of ngspice's default otherwise).
    nkf: Option<f64>,
    /// Base resistance at zero and high current, Ω; IRB, A (0: none).
    rb: f64,
    rbm: f64,
    irb: f64,
    /// Transit times, s.
    tf: f64,
    tr: f64,
    xtf: f64,
    /// `1/(1.44 VTF)`, 1/V (0 for infinite VTF).
    ovtf: f64,
    /// ITF, A.
    itf: f64,
    be: Depletion,
    /// The B-C depletion charge at the internal base (`XCJC·CJC`) and at the external base.
    bc: Depletion,
    bx: Depletion,
    /// Substrate capacitance, F, potential, V, and grading.
    cjs: f64,
    vjs: f64,
    mjs: f64,
    /// Substrate saturation current, A (0 without ISS), and `NS·vt`, V.
    iss: f64,
    ns_vt: f64,
    /// Critical voltages of the junction limiter, V.
    vcrit: f64,
    sub_vcrit: f64,
    /// Whether the substrate junction faces the internal base (lateral) rather than the collector.
    pub(crate) lateral: bool,
}

/// Parameter `key` when given and positive, else an error naming it.
fn positive(p: &BjtParams<f64>, key: &str, default: f64) -> Result<f64, String> {
    let v = p.get(key, default);
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{} = {v} must be positive", key.to_ascii_uppercase()))
    }
}

/// `1/x` for a given non-zero `x`, else 0 (an infinite corner).
fn inverse(p: &BjtParams<f64>, key: &str) -> f64 {
    match p.params.get(key) {
        Some(&x) if x != 0.0 => 1.0 / x,
        _ => 0.0,
    }
}

impl GummelPoon {
    /// The model of an instance of area `area` from the card `p` of an NPN
    /// (`pnp` false) or PNP; an error names a parameter out of range.
    pub(crate) fn new(p: &BjtParams<f64>, pnp: bool, area: f64) -> Result<GummelPoon, String> {
        let vt = VT_NOMINAL;
        let given = |k: &str| p.params.contains_key(k);
        let is = positive(p, "is", 1e-16)?;
        // ngspice 39 applies the area twice to the B-C saturation current
        // (IS·AREA·AREAB) unless IBE and IBC are both given.
        let (is_be, is_bc) = if given("ibe") && given("ibc") {
            (positive(p, "ibe", 0.0)? * area, positive(p, "ibc", 0.0)? * area)
        } else {
            (is * area, is * area * area)
        };
        // SPICE2's convention: ISE or ISC above 1e-4 are multiples of IS.
        let leak = |k: &str| {
            let v = p.get(k, 0.0);
            area * if v > 1e-4 { v * is } else { v }
        };
        let (ise, isc) = (leak("ise"), leak("isc"));
        // SUBS: 1 vertical (substrate at the collector), -1 lateral (at
        // the base); otherwise ngspice's default by type.
        let subs = p.get("subs", 0.0);
        let lateral = if subs == 1.0 || subs == -1.0 { subs == -1.0 } else { pnp };
        let fc = p.get("fc", 0.5).min(0.9999);
        let grading = |k: &str, d: f64| p.get(k, d).min(0.999);
        let potential = |k: &str, cz: f64| if cz == 0.0 { Ok(0.75) } else { positive(p, k, 0.75) };
        let cje = p.get("cje", 0.0) * area;
        let cjc = p.get("cjc", 0.0) * area;
        let xcjc = p.get("xcjc", 1.0);
        let vjc = potential("vjc", cjc)?;
        let mjc = grading("mjc", 0.33);
        let cjs = p.get("cjs", 0.0) * area;
        let iss = if given("iss") { positive(p, "iss", 0.0)? * area } else { 0.0 };
        let rb = p.get("rb", 0.0) / area;
        let nkf = p.params.get("nkf").map(|&n| n.min(1.0));
        Ok(GummelPoon {
            is_be,
            is_bc,
            nf_vt: positive(p, "nf", 1.0)? * vt,
            nr_vt: positive(p, "nr", 1.0)? * vt,
            ise,
            ne_vt: if ise == 0.0 { vt } else { positive(p, "ne", 1.5)? * vt },
            isc,
            nc_vt: if isc == 0.0 { vt } else { positive(p, "nc", 2.0)? * vt },
            bf: positive(p, "bf", 100.0)?,
            br: positive(p, "br", 1.0)?,
            inv_vaf: inverse(p, "vaf"),
            inv_var: inverse(p, "var"),
            inv_ikf: inverse(p, "ikf") / area,
            inv_ikr: inverse(p, "ikr") / area,
            nkf,
            rb,
            rbm: p.params.get("rbm").map_or(rb, |r| r / area),
            irb: p.get("irb", 0.0) * area,
            tf: p.get("tf", 0.0),
            tr: p.get("tr", 0.0),
            xtf: p.get("xtf", 0.0),
            ovtf: match p.params.get("vtf") {
                Some(&v) if v != 0.0 => 1.0 / (1.44 * v),
                _ => 0.0,
            },
            itf: p.get("itf", 0.0) * area,
            be: Depletion::new(cje, potential("vje", cje)?, grading("mje", 0.33), fc),
            bc: Depletion::new(cjc * xcjc, vjc, mjc, fc),
            bx: Depletion::new(cjc * (1.0 - xcjc), vjc, mjc, fc),
            cjs,
            vjs: potential("vjs", cjs)?,
            mjs: grading("mjs", 0.0),
            iss,
            ns_vt: positive(p, "ns", 1.0)? * vt,
            vcrit: vt * (vt / (std::f64::consts::SQRT_2 * is * area)).ln(),
            sub_vcrit: if iss > 0.0 { vt * (vt / (std::f64::consts::SQRT_2 * iss)).ln() } else { 50.0 },
            lateral,
        })
    }

    /// Whether the base resistance is non-zero (the device has an internal base).
    pub(crate) fn has_base_resistance(&self) -> bool {
        self.rb != 0.0
    }

    /// Which charges exist: B-E, B-C (internal base), B-C (external base), substrate.
    fn charges_present(&self) -> [bool; 4] {
        [
            self.be.cz != 0.0 || self.tf != 0.0,
            self.bc.cz != 0.0 || self.tr != 0.0,
            self.bx.cz != 0.0,
            self.cjs != 0.0,
        ]
    }
}

/// The intrinsic transistor at `(vbe, vbc)` (npn frame): collector and
/// base currents into the internal nodes with their derivatives by
/// `(vbe, vbc)`, and the quantities the charges need.
#[derive(Debug, Clone, Copy, Default)]
struct Core {
    cc: f64,
    cb: f64,
    dcc: [f64; 2],
    dcb: [f64; 2],
    cbe: f64,
    gbe: f64,
    cbc: f64,
    gbc: f64,
    qb: f64,
    dqb: [f64; 2],
}

impl GummelPoon {
    fn core(&self, vbe: f64, vbc: f64) -> Core {
        let (cbe, gbe) = junction(self.is_be, self.nf_vt, vbe);
        let (cben, gben) = self.leak(self.ise, self.ne_vt, vbe);
        let (cbc, gbc) = junction(self.is_bc, self.nr_vt, vbc);
        let (cbcn, gbcn) = self.leak(self.isc, self.nc_vt, vbc);
        let (qb, dqb) = self.base_charge(cbe, gbe, cbc, gbc, vbe, vbc);
        let it = (cbe - cbc) / qb;
        let go = (gbc + (cbe - cbc) * dqb[1] / qb) / qb;
        let gm = (gbe - (cbe - cbc) * dqb[0] / qb) / qb - go;
        let gpi = gbe / self.bf + gben;
        let gmu = gbc / self.br + gbcn;
        Core {
            cc: it - cbc / self.br - cbcn,
            cb: cbe / self.bf + cben + cbc / self.br + cbcn,
            dcc: [gm + go, -go - gmu],
            dcb: [gpi, gmu],
            cbe,
            gbe,
            cbc,
            gbc,
            qb,
            dqb,
        }
    }

    /// A leakage junction with gmin across it.
    fn leak(&self, isat: f64, nvt: f64, v: f64) -> (f64, f64) {
        let (i, g) = if isat == 0.0 { (0.0, 0.0) } else { junction(isat, nvt, v) };
        (i + GMIN * v, g + GMIN)
    }

    /// The normalised base charge `qb` and its derivatives by `(vbe, vbc)`.
    fn base_charge(&self, cbe: f64, gbe: f64, cbc: f64, gbc: f64, vbe: f64, vbc: f64) -> (f64, [f64; 2]) {
        let q1 = 1.0 / (1.0 - self.inv_vaf * vbc - self.inv_var * vbe);
        if self.inv_ikf == 0.0 && self.inv_ikr == 0.0 {
            return (q1, [q1 * q1 * self.inv_var, q1 * q1 * self.inv_vaf]);
        }
        let q2 = self.inv_ikf * cbe + self.inv_ikr * cbc;
        let arg = (1.0 + 4.0 * q2).max(0.0);
        // d(sqarg)/d(q2) / 2, per unit of q2's derivative.
        let (sqarg, half_slope) = match self.nkf {
            None if arg != 0.0 => {
                let s = arg.sqrt();
                (s, 1.0 / s)
            }
            Some(n) if arg != 0.0 => {
                let s = arg.powf(n);
                (s, 2.0 * s * n / arg)
            }
            _ => (1.0, 0.0),
        };
        let qb = q1 * (1.0 + sqarg) / 2.0;
        (
            qb,
            [
                q1 * (qb * self.inv_var + self.inv_ikf * gbe * half_slope),
                q1 * (qb * self.inv_vaf + self.inv_ikr * gbc * half_slope),
            ],
        )
    }

    /// The base resistance, Ω, and its derivatives by `(vbe, vbc)`.
    fn base_resistance(&self, c: &Core) -> (f64, [f64; 2]) {
        let rbpi = self.rb - self.rbm;
        if self.irb == 0.0 {
            let dr = -rbpi / (c.qb * c.qb);
            return (self.rbm + rbpi / c.qb, [dr * c.dqb[0], dr * c.dqb[1]]);
        }
        // ngspice's fit of the crowding law: z from cb/IRB, then
        // rbb = RBM + 3 (RB - RBM) (tan z - z) / (z tan² z).
        let x = c.cb / self.irb;
        let (x, dx) = if x > 1e-9 { (x, 1.0 / self.irb) } else { (1e-9, 0.0) };
        let (k, c2) = (2.4317, 14.59025);
        let (s, r) = ((1.0 + c2 * x).sqrt(), x.sqrt());
        let z = (s - 1.0) / (k * r);
        let dz_dx = (c2 * r / (2.0 * s) - (s - 1.0) / (2.0 * r)) / (x * k);
        let t = z.tan();
        let (num, den) = (t - z, z * t * t);
        let dh_dz = (t * t * den - num * (t * t + 2.0 * z * t * (1.0 + t * t))) / (den * den);
        let d = 3.0 * rbpi * dh_dz * dz_dx * dx;
        (self.rbm + 3.0 * rbpi * num / den, [d * c.dcb[0], d * c.dcb[1]])
    }

    /// The B-E charge (depletion and diffusion), C, and its derivatives by `(vbe, vbc)`.
    fn be_charge(&self, vbe: f64, vbc: f64, c: &Core) -> (f64, [f64; 2]) {
        let (mut cbe, mut gbe, mut by_vbc) = (c.cbe, c.gbe, 0.0);
        if self.tf != 0.0 && vbe > 0.0 {
            let (mut argtf, mut arg2, mut arg3) = (0.0, 0.0, 0.0);
            if self.xtf != 0.0 {
                argtf = self.xtf;
                if self.ovtf != 0.0 {
                    argtf *= (vbc * self.ovtf).exp();
                }
                arg2 = argtf;
                if self.itf != 0.0 {
                    let temp = c.cbe / (c.cbe + self.itf);
                    argtf *= temp * temp;
                    arg2 = argtf * (3.0 - temp - temp);
                }
                arg3 = c.cbe * argtf * self.ovtf;
            }
            cbe = c.cbe * (1.0 + argtf) / c.qb;
            gbe = (c.gbe * (1.0 + arg2) - cbe * c.dqb[0]) / c.qb;
            by_vbc = (arg3 - cbe * c.dqb[1]) / c.qb;
        }
        let (qj, cj) = self.be.eval(vbe);
        (self.tf * cbe + qj, [self.tf * gbe + cj, self.tf * by_vbc])
    }

    /// The substrate junction current with gmin, `(A, S)`.
    fn substrate_current(&self, v: f64) -> (f64, f64) {
        let (i, g) = if self.iss == 0.0 { (0.0, 0.0) } else { junction(self.iss, self.ns_vt, v) };
        (i + GMIN * v, g + GMIN)
    }
}

/// What one evaluation contributes per local port: currents leaving the
/// port's node into the device and charges on it (real frame, before `M`),
/// with their derivatives by the branch variables.
#[derive(Debug, Clone, Copy, Default)]
struct Local {
    i: [f64; PORTS],
    di: [[f64; BRANCHES]; PORTS],
    q: [f64; PORTS],
    dq: [[f64; BRANCHES]; PORTS],
}

impl Local {
    /// A current `i` (npn frame, derivatives `d` by branches `ks`) from port `a` to port `b`, signed by `sign`.
    fn current(&mut self, (a, b): (usize, usize), sign: f64, i: f64, d: &[(usize, f64)]) {
        self.i[a] += sign * i;
        self.i[b] -= sign * i;
        for &(k, g) in d {
            self.di[a][k] += sign * g;
            self.di[b][k] -= sign * g;
        }
    }

    /// A charge `+q` on port `a` and `-q` on port `b`, as [`Local::current`].
    fn charge(&mut self, (a, b): (usize, usize), sign: f64, q: f64, d: &[(usize, f64)]) {
        self.q[a] += sign * q;
        self.q[b] -= sign * q;
        for &(k, c) in d {
            self.dq[a][k] += sign * c;
            self.dq[b][k] -= sign * c;
        }
    }
}

/// ngspice's RELTOL and ABSTOL (A) at their defaults, for the device's
/// convergence test (a tighter `.options reltol` tightens the native
/// engine's own test on the unknowns).
const CONV_RELTOL: f64 = 1e-3;
const CONV_ABSTOL: f64 = 1e-12;

/// The intrinsic collector and base currents (npn frame, A) at `(vbe, vbc)`
/// (V) with their derivatives.
#[derive(Debug, Clone, Copy)]
struct Linear {
    vbe: f64,
    vbc: f64,
    cc: f64,
    cb: f64,
    dcc: [f64; 2],
    dcb: [f64; 2],
}

impl Linear {
    /// ngspice's convergence test of a BJT (`BJTconvTest`): the currents
    /// this linearisation predicts at `now`'s voltages moved from its own
    /// by less than `RELTOL` of the larger plus `ABSTOL`. A Newton
    /// iteration whose step still moves a junction current more is not
    /// converged, however small the step in volts (a high-impedance node
    /// would otherwise settle up to `RELTOL` of its voltage away).
    fn settled(&self, now: &Linear) -> bool {
        let (dvbe, dvbc) = (now.vbe - self.vbe, now.vbc - self.vbc);
        let close = |i: f64, d: [f64; 2]| {
            let hat = i + d[0] * dvbe + d[1] * dvbc;
            (hat - i).abs() <= CONV_RELTOL * hat.abs().max(i.abs()) + CONV_ABSTOL
        };
        close(self.cc, self.dcc) && close(self.cb, self.dcb)
    }
}

/// A bipolar transistor of the formulation.
#[derive(Debug, Clone)]
pub(crate) struct Bjt {
    /// Unknowns of the local ports (external base, internal base, internal
    /// collector, internal emitter, substrate); [`NONE`] for ground.
    pub(crate) ports: [usize; PORTS],
    /// Unknowns of the collector, base and emitter terminals.
    terminals: [usize; 3],
    /// +1 for an NPN, -1 for a PNP.
    sign: f64,
    /// Parallel multiplier `M`.
    m: f64,
    pub(crate) gp: GummelPoon,
    /// Each branch variable as `(port, coefficient)` pairs of port voltages.
    incidence: [[(usize, f64); 2]; BRANCHES],
    /// The limited voltages of the last evaluation, V.
    vbe_old: f64,
    vbc_old: f64,
    vsub_old: f64,
    /// The intrinsic currents of the last Newton evaluation, for ngspice's
    /// convergence test; `None` after a reset.
    last: Option<Linear>,
    /// Jacobian slots `[row port][column port]`.
    slots: [[usize; PORTS]; PORTS],
}

impl Bjt {
    /// A transistor between the unknowns `[b, bi, ci, ei, s]` (the internal
    /// base, collector, emitter are the external ones when the series
    /// resistance is zero) with terminals `[c, b, e]`.
    pub(crate) fn new(
        ports: [usize; PORTS],
        terminals: [usize; 3],
        pnp: bool,
        m: f64,
        gp: GummelPoon,
    ) -> Bjt {
        let sign = if pnp { -1.0 } else { 1.0 };
        // ngspice's substrate voltage is taken in the frame TYPE·SUBS.
        let (sub_sign, con) = if gp.lateral { (-sign, BI) } else { (sign, CI) };
        let incidence = [
            [(BI, sign), (EI, -sign)],
            [(BI, sign), (CI, -sign)],
            [(B, sign), (CI, -sign)],
            [(S, sub_sign), (con, -sub_sign)],
            [(B, 1.0), (BI, -1.0)],
        ];
        Bjt {
            ports,
            terminals,
            sign,
            m,
            gp,
            incidence,
            vbe_old: 0.0,
            vbc_old: 0.0,
            vsub_old: 0.0,
            last: None,
            slots: [[NONE; PORTS]; PORTS],
        }
    }

    /// Every (row, column) unknown pair the device writes.
    pub(crate) fn pairs(&self, push: &mut impl FnMut(usize, usize)) {
        for r in self.ports {
            for c in self.ports {
                push(r, c);
            }
        }
    }

    pub(crate) fn assign(&mut self, slot: &impl Fn(usize, usize) -> usize) {
        for (r, row) in self.slots.iter_mut().enumerate() {
            for (c, s) in row.iter_mut().enumerate() {
                *s = slot(self.ports[r], self.ports[c]);
            }
        }
    }

    /// The unknowns that carry a charge of the device.
    pub(crate) fn charged_unknowns(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for (present, k) in self.gp.charges_present().into_iter().zip([VBE, VBC, VBX, VSUB]) {
            if present {
                out.extend(self.incidence[k].iter().map(|&(p, _)| self.ports[p]).filter(|&i| i != NONE));
            }
        }
        out
    }

    /// Whether the device has any charge.
    pub(crate) fn has_charge(&self) -> bool {
        self.gp.charges_present().contains(&true)
    }

    /// The branch variables at `y`.
    fn branches(&self, y: &[f64]) -> [f64; BRANCHES] {
        self.incidence.map(|pair| pair.iter().map(|&(p, c)| c * get(y, self.ports[p])).sum())
    }

    /// Starts the internal nodes not `known` at their terminals' voltages in
    /// `y` (under `uic`, ngspice takes the device's initial junction
    /// voltages from its terminals).
    pub(crate) fn start_internal_nodes(&self, y: &mut [f64], known: &[bool]) {
        let [c, b, e] = self.terminals;
        for (inner, outer) in [(self.ports[CI], c), (self.ports[BI], b), (self.ports[EI], e)] {
            if inner != outer && inner != NONE && !known[inner] {
                y[inner] = get(y, outer);
            }
        }
    }

    /// Resets the limiter's memory to the voltages of `y`.
    pub(crate) fn reset_limiter(&mut self, y: &[f64]) {
        let x = self.branches(y);
        (self.vbe_old, self.vbc_old, self.vsub_old) = (x[VBE], x[VBC], x[VSUB]);
        self.last = None;
    }

    /// The local currents and charges at branch voltages `x`, where the
    /// intrinsic transistor is `c`.
    fn local(&self, x: &[f64; BRANCHES], c: &Core) -> Local {
        let gp = &self.gp;
        let s = self.sign;
        let (vbe, vbc) = (x[VBE], x[VBC]);
        let mut l = Local::default();
        // Collector current into CI, base current into BI, both out of EI.
        l.current((CI, EI), s, c.cc, &[(VBE, c.dcc[0]), (VBC, c.dcc[1])]);
        l.current((BI, EI), s, c.cb, &[(VBE, c.dcb[0]), (VBC, c.dcb[1])]);
        if gp.has_base_resistance() {
            let (rbb, drbb) = gp.base_resistance(c);
            let vrb = x[VRB];
            let k = -vrb / (rbb * rbb);
            l.current((B, BI), 1.0, vrb / rbb, &[(VRB, 1.0 / rbb), (VBE, k * drbb[0]), (VBC, k * drbb[1])]);
        }
        let [sa, sb] = self.incidence[VSUB];
        let (isub, gsub) = gp.substrate_current(x[VSUB]);
        l.current((sa.0, sb.0), sa.1, isub, &[(VSUB, gsub)]);
        let (qbe, dqbe) = gp.be_charge(vbe, vbc, c);
        l.charge((BI, EI), s, qbe, &[(VBE, dqbe[0]), (VBC, dqbe[1])]);
        let (qj, cj) = gp.bc.eval(vbc);
        l.charge((BI, CI), s, gp.tr * c.cbc + qj, &[(VBC, gp.tr * c.gbc + cj)]);
        let (qx, cx) = gp.bx.eval(x[VBX]);
        l.charge((B, CI), s, qx, &[(VBX, cx)]);
        let (qs, cs) = substrate_charge(gp.cjs, gp.vjs, gp.mjs, x[VSUB]);
        l.charge((sa.0, sb.0), sa.1, qs, &[(VSUB, cs)]);
        l
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let xt = self.branches(y);
        let xl = if ctx.limit { self.limit(xt, out) } else { xt };
        (self.vbe_old, self.vbc_old, self.vsub_old) = (xl[VBE], xl[VBC], xl[VSUB]);
        let c = self.gp.core(xl[VBE], xl[VBC]);
        if ctx.limit {
            let now = Linear { vbe: xl[VBE], vbc: xl[VBC], cc: c.cc, cb: c.cb, dcc: c.dcc, dcb: c.dcb };
            out.limited |= self.last.is_some_and(|last| !last.settled(&now));
            self.last = Some(now);
        }
        let l = self.local(&xl, &c);
        // Linearised at the limited voltages.
        let dx = [xt[VBE] - xl[VBE], xt[VBC] - xl[VBC], 0.0, xt[VSUB] - xl[VSUB], 0.0];
        let lin = |v: f64, d: &[f64; BRANCHES]| v + d.iter().zip(&dx).map(|(a, b)| a * b).sum::<f64>();
        let charged = self.has_charge();
        for (p, &node) in self.ports.iter().enumerate() {
            if node != NONE {
                out.f[node] += self.m * lin(l.i[p], &l.di[p]);
                if charged {
                    out.q[node] += self.m * lin(l.q[p], &l.dq[p]);
                }
            }
        }
        if ctx.jac {
            self.stamp_jacobian(&l, ctx.cj, &mut out.jac);
        }
    }

    /// `pnjlim` on vbe and vbc (critical voltage of IS) and on the substrate
    /// voltage (of ISS, 50 V without), from the last limited voltages.
    fn limit(&self, mut x: [f64; BRANCHES], out: &mut EvalOut) -> [f64; BRANCHES] {
        let gp = &self.gp;
        for (k, old, vcrit) in [
            (VBE, self.vbe_old, gp.vcrit),
            (VBC, self.vbc_old, gp.vcrit),
            (VSUB, self.vsub_old, gp.sub_vcrit),
        ] {
            let (v, lim) = pnjlim(x[k], old, VT_NOMINAL, vcrit);
            x[k] = v;
            out.limited |= lim;
        }
        x
    }

    /// Adds `df/dy + cj dq/dy` of the local stamp `l` (times `M`) to `jac`.
    fn stamp_jacobian(&self, l: &Local, cj: f64, jac: &mut [f64]) {
        for p in 0..PORTS {
            for k in 0..BRANCHES {
                let g = self.m * (l.di[p][k] + cj * l.dq[p][k]);
                if g != 0.0 {
                    for &(col, coef) in &self.incidence[k] {
                        add(jac, self.slots[p][col], g * coef);
                    }
                }
            }
        }
    }

    /// Adds the device's charges at `y` (no limiting) to `q`.
    pub(crate) fn charges(&self, y: &[f64], q: &mut [f64]) {
        let x = self.branches(y);
        let l = self.local(&x, &self.gp.core(x[VBE], x[VBC]));
        for (p, &node) in self.ports.iter().enumerate() {
            add(q, node, self.m * l.q[p]);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn card(pairs: &[(&str, f64)]) -> BjtParams<f64> {
        BjtParams { level: 1, params: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect() }
    }

    /// Every parameter the device reads, at values that make each term count.
    fn full() -> BjtParams<f64> {
        card(&[
            ("is", 2e-16),
            ("bf", 120.0),
            ("nf", 1.02),
            ("vaf", 60.0),
            ("ikf", 5e-3),
            ("ise", 3e-14),
            ("ne", 1.6),
            ("br", 3.0),
            ("nr", 1.05),
            ("var", 20.0),
            ("ikr", 1e-3),
            ("isc", 2e-13),
            ("nc", 1.8),
            ("rb", 200.0),
            ("irb", 1e-4),
            ("rbm", 20.0),
            ("cje", 1e-12),
            ("vje", 0.8),
            ("mje", 0.4),
            ("tf", 3e-10),
            ("xtf", 2.0),
            ("vtf", 4.0),
            ("itf", 2e-2),
            ("cjc", 5e-13),
            ("vjc", 0.6),
            ("mjc", 0.3),
            ("xcjc", 0.6),
            ("tr", 1e-8),
            ("cjs", 2e-13),
            ("vjs", 0.7),
            ("mjs", 0.45),
            ("iss", 1e-17),
            ("ns", 1.1),
            ("fc", 0.6),
        ])
    }

    fn device(p: &BjtParams<f64>, pnp: bool) -> Bjt {
        Bjt::new([0, 1, 2, 3, 4], [2, 0, 3], pnp, 1.5, GummelPoon::new(p, pnp, 2.0).unwrap())
    }

    /// The local currents and charges at `x`.
    fn at(q: &Bjt, x: &[f64; BRANCHES]) -> Local {
        q.local(x, &q.gp.core(x[VBE], x[VBC]))
    }

    /// Bias points (npn frame: vbe, vbc, vbx, vsub, vrb) across the regions
    /// of every piecewise law, away from their boundaries.
    const POINTS: [[f64; BRANCHES]; 5] = [
        [0.72, -2.0, -2.1, -3.0, 0.05],
        [0.78, 0.55, 0.5, 0.2, 0.3],
        [-0.4, 0.68, 0.66, -0.5, -0.01],
        [-1.5, -4.0, -4.2, 0.1, 0.0],
        [0.3, -0.2, 0.45, -1.0, 0.002],
    ];

    #[test]
    fn derivatives_match_central_differences() {
        // Measured at most 4.3e-8 of the port's largest derivative
        // (truncation h² f''' with h = 1e-6 V, rounding eps f / h); 4e-7 is
        // a 9x margin.
        for p in [full(), card(&[("is", 1e-15), ("vaf", 50.0), ("ikf", 1e-2), ("nkf", 0.6), ("rb", 50.0)])] {
            for pnp in [false, true] {
                let q = device(&p, pnp);
                for x in POINTS {
                    let l = at(&q, &x);
                    for k in 0..BRANCHES {
                        let h = 1e-6;
                        let (mut up, mut dn) = (x, x);
                        up[k] += h;
                        dn[k] -= h;
                        let (lu, ld) = (at(&q, &up), at(&q, &dn));
                        for port in 0..PORTS {
                            for (d, fu, fd, scale) in [
                                (
                                    l.di[port][k],
                                    lu.i[port],
                                    ld.i[port],
                                    l.di[port].iter().fold(0.0, |a: f64, v| a.max(v.abs())),
                                ),
                                (
                                    l.dq[port][k],
                                    lu.q[port],
                                    ld.q[port],
                                    l.dq[port].iter().fold(0.0, |a: f64, v| a.max(v.abs())),
                                ),
                            ] {
                                let fd_est = (fu - fd) / (2.0 * h);
                                let err = (d - fd_est).abs() / scale.max(1e-30);
                                assert!(
                                    err < 4e-7,
                                    "pnp {pnp}, x {x:?}, port {port}, branch {k}: {d} vs {fd_est}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn without_high_level_terms_the_currents_are_ebers_molls() {
        // cc = IS (E(vbe) - E(vbc)) - IS/BR E(vbc) - gmin vbc,
        // cb = IS/BF E(vbe) + IS/BR E(vbc) + gmin (vbe + vbc), with SPICE's
        // E(v) = exp(v/vt) - 1, continued below -3 vt by -1 - (3 vt/(e v))³.
        let e = |v: f64| {
            if v >= -3.0 * VT_NOMINAL {
                (v / VT_NOMINAL).exp() - 1.0
            } else {
                -1.0 - (3.0 * VT_NOMINAL / (std::f64::consts::E * v)).powi(3)
            }
        };
        let (is, bf, br) = (1e-15, 80.0, 2.5);
        let gp = GummelPoon::new(&card(&[("is", is), ("bf", bf), ("br", br)]), false, 1.0).unwrap();
        for (vbe, vbc) in [(0.7, -3.0), (0.75, 0.6), (-0.2, 0.65), (0.0, 0.0)] {
            let c = gp.core(vbe, vbc);
            let cc = is * (e(vbe) - e(vbc)) - is / br * e(vbc) - GMIN * vbc;
            let cb = is / bf * e(vbe) + is / br * e(vbc) + GMIN * (vbe + vbc);
            // Measured at most 5.9e-17 relative (rounding); 3e-16 is 5x.
            let scale = cc.abs().max(cb.abs()).max(1e-30);
            assert!((c.cc - cc).abs() <= 3e-16 * scale, "cc {} vs {cc}", c.cc);
            assert!((c.cb - cb).abs() <= 3e-16 * scale, "cb {} vs {cb}", c.cb);
        }
    }

    #[test]
    fn early_effect_and_high_injection_divide_the_transport_current_by_qb() {
        // qb = (1 + sqrt(1 + 4 IS (e^vbe/vt - 1)/IKF)) / (2 (1 - vbc/VAF)).
        let (is, vaf, ikf) = (1e-14, 40.0, 2e-3);
        let gp = GummelPoon::new(&card(&[("is", is), ("vaf", vaf), ("ikf", ikf)]), false, 1.0).unwrap();
        let (vbe, vbc) = (0.74, -4.0);
        let c = gp.core(vbe, vbc);
        let cbe = is * ((vbe / VT_NOMINAL).exp() - 1.0);
        let cbc = is * ((vbc / VT_NOMINAL).exp() - 1.0);
        let qb = (1.0 + (1.0 + 4.0 * cbe / ikf).sqrt()) / (2.0 * (1.0 - vbc / vaf));
        let cc = (cbe - cbc) / qb - cbc - GMIN * vbc;
        // Measured exactly 0; 1e-15 allows a few ulp.
        assert!((c.cc - cc).abs() <= 1e-15 * cc, "{} vs {cc}", c.cc);
        assert!((c.qb - qb).abs() <= 1e-15 * qb, "{} vs {qb}", c.qb);
    }

    #[test]
    fn base_resistance_follows_the_crowding_law() {
        // rbb = RBM + 3 (RB - RBM) (tan z - z)/(z tan² z) with
        // z = (sqrt(1 + 14.59025 x) - 1)/(2.4317 sqrt x), x = cb/IRB (floored
        // at 1e-9): mpmath at 40 digits gives 99.999999783998520850 Ω at the
        // floor and 16.718969464361650821 Ω at cb = 10 mA.
        let gp = GummelPoon::new(&card(&[("rb", 100.0), ("rbm", 10.0), ("irb", 1e-4)]), false, 1.0).unwrap();
        let mut c = Core { qb: 1.0, ..Core::default() };
        let (r0, _) = gp.base_resistance(&c);
        // Measured 6.0e-7 Ω: tan z - z cancels at z = 9.5e-5 in double
        // precision (as in ngspice); 5e-6 Ω is 8x.
        assert!((r0 - 99.999_999_783_998_52).abs() < 5e-6, "{r0}");
        c.cb = 1e-2;
        let (r1, _) = gp.base_resistance(&c);
        // Measured 3.6e-15 Ω; 3e-14 Ω is 8x.
        assert!((r1 - 16.718_969_464_361_65).abs() < 3e-14, "{r1}");
    }

    #[test]
    fn depletion_charge_is_continuous_at_the_forward_bias_knee() {
        let d = Depletion::new(1e-12, 0.8, 0.4, 0.6);
        let knee = 0.6 * 0.8;
        let (below, above) = (d.eval(knee * (1.0 - 1e-12)), d.eval(knee));
        // Measured 6.9e-25 C and 8.7e-25 F apart (the slope over the 5e-13 V
        // step); 8e-24 is 9x.
        assert!((below.0 - above.0).abs() < 8e-24, "{below:?} {above:?}");
        assert!((below.1 - above.1).abs() < 8e-24, "{below:?} {above:?}");
    }

    #[test]
    fn the_assembled_jacobian_is_the_derivative_of_f_and_q() {
        // Internal nodes 0..5 as ports b, bi, ci, ei, s: the device's slots
        // in a dense 5x5 matrix; df/dy + cj dq/dy by central differences.
        // Measured at most 7.1e-10 of the row's scale; 7e-9 is 10x.
        let n = PORTS;
        for pnp in [false, true] {
            let mut q = device(&full(), pnp);
            q.assign(&|r, c| r * n + c);
            let s = if pnp { -1.0 } else { 1.0 };
            let y = [0.75 * s, 0.72 * s, 2.0 * s, 0.01 * s, -s];
            let cj = 1e9;
            let ctx = EvalCtx { t: 0.0, src_scale: 1.0, cj, jac: true, limit: false };
            let mut out = EvalOut {
                f: vec![0.0; n],
                q: vec![0.0; n],
                jac: vec![0.0; n * n],
                limited: false,
                stale: false,
            };
            q.eval(&y, ctx, &mut out);
            let jac = out.jac.clone();
            for col in 0..n {
                let h = 1e-6;
                let mut fq = |dy: f64| {
                    let mut yy = y;
                    yy[col] += dy;
                    let mut o = EvalOut {
                        f: vec![0.0; n],
                        q: vec![0.0; n],
                        jac: vec![],
                        limited: false,
                        stale: false,
                    };
                    q.eval(&yy, EvalCtx { jac: false, ..ctx }, &mut o);
                    (o.f, o.q)
                };
                let ((fu, qu), (fd, qd)) = (fq(h), fq(-h));
                for row in 0..n {
                    let est = (fu[row] - fd[row] + cj * (qu[row] - qd[row])) / (2.0 * h);
                    let scale = (0..n).map(|c| jac[row * n + c].abs()).fold(0.0, f64::max);
                    let got = jac[row * n + col];
                    assert!(
                        (got - est).abs() <= 7e-9 * scale,
                        "pnp {pnp}: d row {row}/d col {col}: {got} vs {est}"
                    );
                }
            }
        }
    }
}
