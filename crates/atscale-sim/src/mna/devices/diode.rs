//! The SPICE junction diode: exponential current, series resistance (an
//! internal node), depletion and diffusion charges, `pnjlim` limiting.

use super::{add, get, pnjlim, stamp_g};
use crate::mna::{EvalCtx, EvalOut, GMIN};

#[derive(Debug, Clone)]
pub(crate) struct Diode {
    pub(crate) a: usize,
    pub(crate) b: usize,
    pub(crate) isat: f64,
    pub(crate) nvt: f64,
    pub(crate) vcrit: f64,
    pub(crate) cjo: f64,
    pub(crate) vj: f64,
    pub(crate) m: f64,
    pub(crate) tt: f64,
    pub(crate) vold: f64,
    pub(crate) s: [usize; 4],
}

impl Diode {
    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let vd_true = get(y, self.a) - get(y, self.b);
        let mut vd = vd_true;
        if ctx.limit {
            let (v, lim) = pnjlim(vd_true, self.vold, self.nvt, self.vcrit);
            vd = v;
            out.limited |= lim;
        }
        self.vold = vd;
        let (id, gd) = if vd >= -3.0 * self.nvt {
            let e = (vd / self.nvt).min(700.0).exp();
            (self.isat * (e - 1.0) + GMIN * vd, self.isat * e / self.nvt + GMIN)
        } else {
            let arg = 3.0 * self.nvt / (vd * std::f64::consts::E);
            let arg3 = arg * arg * arg;
            (-self.isat * (1.0 + arg3) + GMIN * vd, self.isat * 3.0 * arg3 / vd + GMIN)
        };
        // Linearised at the limited voltage.
        let i = id + gd * (vd_true - vd);
        add(&mut out.f, self.a, i);
        add(&mut out.f, self.b, -i);
        let mut c = 0.0;
        if self.cjo > 0.0 || self.tt > 0.0 {
            let fc = 0.5;
            let (qj, cj) = if self.cjo == 0.0 {
                (0.0, 0.0)
            } else if vd < fc * self.vj {
                let arg = 1.0 - vd / self.vj;
                let sarg = arg.powf(-self.m);
                (self.cjo * self.vj * (1.0 - arg * sarg) / (1.0 - self.m), self.cjo * sarg)
            } else {
                let f1 = self.vj * (1.0 - (1.0 - fc).powf(1.0 - self.m)) / (1.0 - self.m);
                let f2 = (1.0 - fc).powf(1.0 + self.m);
                let f3 = 1.0 - fc * (1.0 + self.m);
                let vf = fc * self.vj;
                (
                    self.cjo * (f1 + (f3 * (vd - vf) + self.m / (2.0 * self.vj) * (vd * vd - vf * vf)) / f2),
                    self.cjo / f2 * (f3 + self.m * vd / self.vj),
                )
            };
            let q = qj + self.tt * id + (cj + self.tt * gd) * (vd_true - vd);
            c = cj + self.tt * gd;
            add(&mut out.q, self.a, q);
            add(&mut out.q, self.b, -q);
        }
        if ctx.jac {
            stamp_g(&mut out.jac, &self.s, gd + ctx.cj * c);
        }
    }
}
