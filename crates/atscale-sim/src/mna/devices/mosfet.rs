//! ngspice's level-1 MOSFET (MOS1) without capacitances: source/drain swap
//! by the sign of vds, `fetlim`/`limvds`/`pnjlim` limiting, bulk junctions.

use super::{add, get, pnjlim, stamp_g};
use crate::mna::{EvalCtx, EvalOut, GMIN, VT_NOMINAL};

#[derive(Debug, Clone)]
pub(crate) struct Mosfet {
    pub(crate) d: usize,
    pub(crate) g: usize,
    pub(crate) s: usize,
    pub(crate) b: usize,
    pub(crate) sign: f64,
    pub(crate) beta: f64,
    pub(crate) vto: f64,
    pub(crate) lambda: f64,
    pub(crate) gamma: f64,
    pub(crate) phi: f64,
    pub(crate) vgs_old: f64,
    pub(crate) vds_old: f64,
    /// Saturation current of each bulk junction (`IS`), A.
    pub(crate) isat: f64,
    /// Critical voltage of the junction limiter, V.
    pub(crate) vcrit: f64,
    pub(crate) vbs_old: f64,
    pub(crate) vbd_old: f64,
    /// Channel conductance `gm + gds + gmbs` when the Jacobian was last written, S.
    pub(crate) g_jac: f64,
    /// Slots `[row][col]` for rows d, s and columns d, g, s, b.
    pub(crate) slots: [[usize; 4]; 2],
    /// Slots `[row][col]` for rows d, s with the roles of d and s swapped.
    pub(crate) slots_rev: [[usize; 4]; 2],
    /// Slots of the bulk-source and bulk-drain junctions (`quad` order, b first).
    pub(crate) slots_bs: [usize; 4],
    pub(crate) slots_bd: [usize; 4],
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

impl Mosfet {
    /// `(vgs, vds, vbs)` in the n-channel frame.
    pub(crate) fn terminal(&self, y: &[f64]) -> (f64, f64, f64) {
        let vs = get(y, self.s);
        (
            self.sign * (get(y, self.g) - vs),
            self.sign * (get(y, self.d) - vs),
            self.sign * (get(y, self.b) - vs),
        )
    }

    /// Level-1 drain current and its derivatives in the normal mode
    /// (`vds >= 0`): `(ids, gm, gds, gmbs)`.
    pub(crate) fn level1(&self, vgs: f64, vds: f64, vbs: f64) -> (f64, f64, f64, f64) {
        let sphi = self.phi.sqrt();
        let sarg = if vbs <= 0.0 { (self.phi - vbs).sqrt() } else { (sphi - vbs / (2.0 * sphi)).max(0.0) };
        let von = self.vto + self.gamma * (sarg - sphi);
        let vgst = vgs - von;
        if vgst <= 0.0 {
            return (0.0, 0.0, 0.0, 0.0);
        }
        let arg = if sarg > 0.0 { self.gamma / (2.0 * sarg) } else { 0.0 };
        let lam = 1.0 + self.lambda * vds;
        if vgst <= vds {
            let ids = 0.5 * self.beta * vgst * vgst * lam;
            let gm = self.beta * vgst * lam;
            let gds = 0.5 * self.lambda * self.beta * vgst * vgst;
            (ids, gm, gds, gm * arg)
        } else {
            let ids = self.beta * vds * (vgst - 0.5 * vds) * lam;
            let gm = self.beta * vds * lam;
            let gds = self.beta * (vgst - vds) * lam + self.lambda * self.beta * vds * (vgst - 0.5 * vds);
            (ids, gm, gds, gm * arg)
        }
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let (vgs_t, vds_t, vbs_t) = self.terminal(y);
        let (mut vgs, mut vds) = (vgs_t, vds_t);
        if ctx.limit {
            // Limit in the frame of the previous iterate, as SPICE does.
            if self.vds_old >= 0.0 {
                vgs = fetlim(vgs_t, self.vgs_old, self.vto);
                vds = limvds(vds_t, self.vds_old);
            } else {
                let vgd = fetlim(vgs_t - vds_t, self.vgs_old - self.vds_old, self.vto);
                vds = -limvds(-vds_t, -self.vds_old);
                vgs = vgd + vds;
            }
            if (vgs - vgs_t).abs() > 1e-15 || (vds - vds_t).abs() > 1e-15 {
                out.limited = true;
            }
        }
        self.vgs_old = vgs;
        self.vds_old = vds;
        let vbs = vbs_t;
        // Normal or reversed mode.
        let (ids, gm, gds, gmbs, rev) = if vds >= 0.0 {
            let (i, a, b, c) = self.level1(vgs, vds, vbs);
            (i, a, b, c, false)
        } else {
            let (i, a, b, c) = self.level1(vgs - vds, -vds, vbs - vds);
            (i, a, b, c, true)
        };
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
        let (dvgs, dvds, dvbs) = (vgs_t - vgs, vds_t - vds, 0.0);
        let i_n = if rev {
            // Effective drain is s; voltages relative to d.
            let (dvgd, dvsd) = (dvgs - dvds, -dvds);
            -(ids + gm * dvgd + gds * dvsd + gmbs * (dvbs - dvds))
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
        let vbd_t = vbs_t - vds_t;
        let (mut vbs_j, mut vbd_j) = (vbs_t, vbd_t);
        if ctx.limit {
            // The junction on the source side of the (limited) mode is
            // limited, the other follows from the limited vds.
            let lim;
            if vds >= 0.0 {
                (vbs_j, lim) = pnjlim(vbs_t, self.vbs_old, VT_NOMINAL, self.vcrit);
                vbd_j = vbs_j - vds;
            } else {
                (vbd_j, lim) = pnjlim(vbd_t, self.vbd_old, VT_NOMINAL, self.vcrit);
                vbs_j = vbd_j + vds;
            }
            out.limited |= lim;
        }
        self.vbs_old = vbs_j;
        self.vbd_old = vbd_j;
        let (cbs, gbs) = junction(self.isat, vbs_j);
        let (cbd, gbd) = junction(self.isat, vbd_j);
        // Currents from bulk into source and drain, linearised at the limited voltages.
        let i_bs = self.sign * (cbs + gbs * (vbs_t - vbs_j));
        let i_bd = self.sign * (cbd + gbd * (vbd_t - vbd_j));
        add(&mut out.f, self.b, i_bs + i_bd);
        add(&mut out.f, self.s, -i_bs);
        add(&mut out.f, self.d, -i_bd);
        if ctx.jac {
            // Rows (D', S') and columns (D', g, S', b) of the effective orientation.
            let sl = if rev { &self.slots_rev } else { &self.slots };
            let cols = [gds, gm, -(gm + gds + gmbs), gmbs];
            for (ci, g) in cols.iter().enumerate() {
                add(&mut out.jac, sl[0][ci], *g);
                add(&mut out.jac, sl[1][ci], -*g);
            }
            stamp_g(&mut out.jac, &self.slots_bs, gbs);
            stamp_g(&mut out.jac, &self.slots_bd, gbd);
        }
    }
}

/// A MOS1 bulk junction of saturation current `isat` at `v` (n-channel
/// frame), with gmin across it: `(current, conductance)`.
pub(crate) fn junction(isat: f64, v: f64) -> (f64, f64) {
    if v <= -3.0 * VT_NOMINAL {
        (GMIN * v - isat, GMIN)
    } else {
        let e = (v / VT_NOMINAL).min(700.0).exp();
        (isat * (e - 1.0) + GMIN * v, isat * e / VT_NOMINAL + GMIN)
    }
}
