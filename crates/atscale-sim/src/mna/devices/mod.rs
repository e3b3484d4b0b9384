//! The devices of the formulation: their unknowns' sparsity pairs, slots
//! and evaluation. One module per device model with state of its own
//! (`diode`, `mosfet`); the linear elements, sources and behavioural
//! elements are here.

use atscale_circuit::expr::{CompiledExpr, Workspace};
use atscale_circuit::{MemristiveLaw, Relaxation, ResistiveLaw, TranTiming, Waveform};

use super::{EvalCtx, EvalOut, NONE};

mod bjt;
mod diode;
mod dual;
mod mos2;
mod mos3;
mod mosfet;
mod switch;

pub(crate) use bjt::{Bjt, GummelPoon};
pub(crate) use diode::{Dio, Diode};
pub(crate) use mosfet::{series_conductances, Mos1, Mosfet};
pub(crate) use switch::{Crossing, Switch};

#[inline]
pub(crate) fn get(y: &[f64], i: usize) -> f64 {
    if i == NONE {
        0.0
    } else {
        y[i]
    }
}

#[inline]
pub(crate) fn add(v: &mut [f64], i: usize, x: f64) {
    if i != NONE {
        v[i] += x;
    }
}

/// Stamps a voltage source (independent or behavioural) between nodes `a`
/// and `b` with branch current unknown `k`: the current enters the node
/// equations, the branch equation holds `v(a) - v(b) = v`. `s` are the
/// Jacobian slots of (a,k), (b,k), (k,a), (k,b).
#[inline]
pub(crate) fn stamp_vsource(
    out: &mut EvalOut,
    y: &[f64],
    (a, b, k): (usize, usize, usize),
    s: &[usize; 4],
    v: f64,
    jac: bool,
) {
    let ik = y[k];
    add(&mut out.f, a, ik);
    add(&mut out.f, b, -ik);
    out.f[k] += get(y, a) - get(y, b) - v;
    if jac {
        add(&mut out.jac, s[0], 1.0);
        add(&mut out.jac, s[1], -1.0);
        add(&mut out.jac, s[2], 1.0);
        add(&mut out.jac, s[3], -1.0);
    }
}

/// A compiled expression with its scratch space and the slots its gradient writes.
#[derive(Debug, Clone)]
pub(crate) struct Behav {
    pub(crate) expr: CompiledExpr,
    pub(crate) ws: Workspace,
}

#[derive(Debug, Clone)]
pub(crate) enum NlLaw {
    Law(ResistiveLaw<f64>),
    Expr(Behav),
}

#[derive(Debug, Clone)]
pub(crate) enum Relax {
    Linear(Relaxation<f64>),
    Kinetic { alpha: Box<Behav>, beta: Box<Behav> },
}

#[derive(Debug, Clone)]
pub(crate) enum Dev {
    Resistor {
        a: usize,
        b: usize,
        g: f64,
        s: [usize; 4],
    },
    Capacitor {
        a: usize,
        b: usize,
        c: f64,
        s: [usize; 4],
    },
    Inductor {
        a: usize,
        b: usize,
        k: usize,
        l: f64,
        s: [usize; 5],
    },
    VSource {
        a: usize,
        b: usize,
        k: usize,
        wave: Box<Waveform<f64>>,
        s: [usize; 4],
    },
    ISource {
        a: usize,
        b: usize,
        wave: Box<Waveform<f64>>,
    },
    /// A constant current source, A.
    IDc {
        a: usize,
        b: usize,
        i: f64,
    },
    Nonlinear {
        a: usize,
        b: usize,
        law: Box<NlLaw>,
        s: [usize; 4],
    },
    Memristive(Box<MemDev>),
    BCurrent {
        a: usize,
        b: usize,
        f: Box<Behav>,
        sa: Vec<usize>,
        sb: Vec<usize>,
    },
    BVoltage {
        a: usize,
        b: usize,
        k: usize,
        f: Box<Behav>,
        s: [usize; 4],
        sk: Vec<usize>,
    },
    Diode(Box<Diode>),
    Mosfet(Box<Mosfet>),
    Bjt(Box<Bjt>),
    Switch(Box<Switch>),
    /// Mutual inductance `m` (H) between the branches `k1` and `k2` of two
    /// inductors: flux `m i2` in the first, `m i1` in the second.
    Coupling {
        k1: usize,
        k2: usize,
        m: f64,
        s: [usize; 2],
    },
}

/// A memristive element (boxed: the device list stays compact, which
/// keeps the evaluation loop of large circuits in cache).
#[derive(Debug, Clone)]
pub(crate) struct MemDev {
    pub(crate) a: usize,
    pub(crate) b: usize,
    pub(crate) x0: usize,
    pub(crate) relax: Vec<Relax>,
    pub(crate) law: MemristiveLaw<f64>,
    pub(crate) di_dx: Vec<f64>,
    pub(crate) s: [usize; 4],
    pub(crate) sx: Vec<[usize; 5]>,
}

pub(crate) fn stamp_g(jac: &mut [f64], s: &[usize; 4], g: f64) {
    if s[0] != NONE {
        jac[s[0]] += g;
    }
    if s[1] != NONE {
        jac[s[1]] -= g;
    }
    if s[2] != NONE {
        jac[s[2]] -= g;
    }
    if s[3] != NONE {
        jac[s[3]] += g;
    }
}

pub(crate) fn quad(slot: &impl Fn(usize, usize) -> usize, a: usize, b: usize) -> [usize; 4] {
    [slot(a, a), slot(a, b), slot(b, a), slot(b, b)]
}

pub(crate) fn pairs2(push: &mut impl FnMut(usize, usize), a: usize, b: usize) {
    push(a, a);
    push(a, b);
    push(b, a);
    push(b, b);
}

impl Behav {
    pub(crate) fn eval(&mut self, x: &[f64], t: f64) -> f64 {
        self.expr.eval(x, t, &mut self.ws)
    }
    pub(crate) fn eval_v(&mut self, v: f64) -> (f64, f64) {
        let val = self.expr.eval(&[v], 0.0, &mut self.ws);
        let d = self.ws.gradient().first().copied().unwrap_or(0.0);
        (val, d)
    }
}

impl Dev {
    pub(crate) fn pairs(&self, push: &mut impl FnMut(usize, usize)) {
        match self {
            Dev::Resistor { a, b, .. } | Dev::Capacitor { a, b, .. } | Dev::Nonlinear { a, b, .. } => {
                pairs2(push, *a, *b)
            }
            Dev::Inductor { a, b, k, .. } | Dev::VSource { a, b, k, .. } => {
                push(*a, *k);
                push(*b, *k);
                push(*k, *a);
                push(*k, *b);
                push(*k, *k);
            }
            Dev::ISource { .. } | Dev::IDc { .. } => {}
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, relax, .. } = &**m;
                pairs2(push, *a, *b);
                for j in 0..relax.len() {
                    let x = x0 + j;
                    push(*a, x);
                    push(*b, x);
                    push(x, *a);
                    push(x, *b);
                    push(x, x);
                }
            }
            Dev::BCurrent { a, b, f, .. } => {
                for &c in f.expr.inputs() {
                    push(*a, c);
                    push(*b, c);
                }
            }
            Dev::BVoltage { a, b, k, f, .. } => {
                push(*a, *k);
                push(*b, *k);
                push(*k, *a);
                push(*k, *b);
                for &c in f.expr.inputs() {
                    push(*k, c);
                }
            }
            Dev::Diode(d) => pairs2(push, d.a, d.b),
            Dev::Bjt(q) => q.pairs(push),
            Dev::Switch(w) => pairs2(push, w.a, w.b),
            Dev::Coupling { k1, k2, .. } => {
                push(*k1, *k2);
                push(*k2, *k1);
            }
            Dev::Mosfet(m) => m.pairs(push),
        }
    }

    pub(crate) fn assign(&mut self, slot: &impl Fn(usize, usize) -> usize) {
        match self {
            Dev::Resistor { a, b, s, .. }
            | Dev::Capacitor { a, b, s, .. }
            | Dev::Nonlinear { a, b, s, .. } => *s = quad(slot, *a, *b),
            Dev::Inductor { a, b, k, s, .. } => {
                *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b), slot(*k, *k)]
            }
            Dev::VSource { a, b, k, s, .. } => *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b)],
            Dev::ISource { .. } | Dev::IDc { .. } => {}
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, s, sx, .. } = &mut **m;
                *s = quad(slot, *a, *b);
                for (j, sj) in sx.iter_mut().enumerate() {
                    let x = *x0 + j;
                    *sj = [slot(*a, x), slot(*b, x), slot(x, *a), slot(x, *b), slot(x, x)];
                }
            }
            Dev::BCurrent { a, b, f, sa, sb } => {
                *sa = f.expr.inputs().iter().map(|&c| slot(*a, c)).collect();
                *sb = f.expr.inputs().iter().map(|&c| slot(*b, c)).collect();
            }
            Dev::BVoltage { a, b, k, f, s, sk } => {
                *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b)];
                *sk = f.expr.inputs().iter().map(|&c| slot(*k, c)).collect();
            }
            Dev::Diode(d) => d.s = quad(slot, d.a, d.b),
            Dev::Bjt(q) => q.assign(slot),
            Dev::Switch(w) => w.s = quad(slot, w.a, w.b),
            Dev::Coupling { k1, k2, s, .. } => *s = [slot(*k1, *k2), slot(*k2, *k1)],
            Dev::Mosfet(m) => m.assign(slot),
        }
    }

    pub(crate) fn mark_differential(&self, diff: &mut [bool]) {
        let mut mark = |i: usize| {
            if i != NONE {
                diff[i] = true;
            }
        };
        match self {
            Dev::Capacitor { a, b, .. } => {
                mark(*a);
                mark(*b);
            }
            Dev::Inductor { k, .. } => mark(*k),
            Dev::Memristive(m) => {
                for j in 0..m.relax.len() {
                    mark(m.x0 + j);
                }
            }
            Dev::Bjt(q) => q.charged_unknowns().into_iter().for_each(&mut mark),
            Dev::Diode(d) if d.p.has_charge() => {
                mark(d.a);
                mark(d.b);
            }
            Dev::Mosfet(m) => m.charged_unknowns().into_iter().for_each(&mut mark),
            _ => {}
        }
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, timing: &TranTiming, out: &mut EvalOut) {
        let jac = ctx.jac;
        match self {
            Dev::Resistor { a, b, g, s } => {
                let i = *g * (get(y, *a) - get(y, *b));
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, *g);
                }
            }
            Dev::Capacitor { a, b, c, s } => {
                let qv = *c * (get(y, *a) - get(y, *b));
                add(&mut out.q, *a, qv);
                add(&mut out.q, *b, -qv);
                if jac && ctx.cj != 0.0 {
                    stamp_g(&mut out.jac, s, ctx.cj * *c);
                }
            }
            Dev::Inductor { a, b, k, l, s } => {
                let ik = y[*k];
                add(&mut out.f, *a, ik);
                add(&mut out.f, *b, -ik);
                out.q[*k] += *l * ik;
                out.f[*k] -= get(y, *a) - get(y, *b);
                if jac {
                    add(&mut out.jac, s[0], 1.0);
                    add(&mut out.jac, s[1], -1.0);
                    add(&mut out.jac, s[2], -1.0);
                    add(&mut out.jac, s[3], 1.0);
                    add(&mut out.jac, s[4], ctx.cj * *l);
                }
            }
            Dev::VSource { a, b, k, wave, s } => {
                let v = ctx.src_scale * wave.value(ctx.t, timing);
                stamp_vsource(out, y, (*a, *b, *k), s, v, jac);
            }
            Dev::IDc { a, b, i } => {
                let i = ctx.src_scale * *i;
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
            }
            Dev::ISource { a, b, wave } => {
                let i = ctx.src_scale * wave.value(ctx.t, timing);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
            }
            Dev::Nonlinear { a, b, law, s } => {
                let v = get(y, *a) - get(y, *b);
                let (i, g) = match &mut **law {
                    NlLaw::Law(l) => l.current_slope(v),
                    NlLaw::Expr(e) => e.eval_v(v),
                };
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, g);
                }
            }
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, relax, law, di_dx, s, sx } = &mut **m;
                let v = get(y, *a) - get(y, *b);
                let ns = relax.len();
                let xs = &y[*x0..*x0 + ns];
                let (i, g) = law.eval(v, xs, di_dx);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, g);
                }
                for (j, r) in relax.iter_mut().enumerate() {
                    let xi = *x0 + j;
                    let x = y[xi];
                    let (rate, dv, dx) = match r {
                        Relax::Linear(l) => l.rate(v, x),
                        Relax::Kinetic { alpha, beta } => {
                            let (al, dal) = alpha.eval_v(v);
                            let (be, dbe) = beta.eval_v(v);
                            (al * (1.0 - x) - be * x, dal * (1.0 - x) - dbe * x, -(al + be))
                        }
                    };
                    out.q[xi] += x;
                    out.f[xi] -= rate;
                    if jac {
                        let sj = &sx[j];
                        add(&mut out.jac, sj[0], di_dx[j]);
                        add(&mut out.jac, sj[1], -di_dx[j]);
                        add(&mut out.jac, sj[2], -dv);
                        add(&mut out.jac, sj[3], dv);
                        add(&mut out.jac, sj[4], ctx.cj - dx);
                    }
                }
            }
            Dev::BCurrent { a, b, f, sa, sb } => {
                let i = f.eval(y, ctx.t);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    for (k, gk) in f.ws.gradient().iter().enumerate() {
                        add(&mut out.jac, sa[k], *gk);
                        add(&mut out.jac, sb[k], -*gk);
                    }
                }
            }
            Dev::BVoltage { a, b, k, f, s, sk } => {
                let v = f.eval(y, ctx.t);
                stamp_vsource(out, y, (*a, *b, *k), s, v, jac);
                if jac {
                    for (j, gk) in f.ws.gradient().iter().enumerate() {
                        add(&mut out.jac, sk[j], -*gk);
                    }
                }
            }
            Dev::Diode(d) => d.eval(y, ctx, out),
            Dev::Mosfet(m) => m.eval(y, ctx, out),
            Dev::Bjt(q) => q.eval(y, ctx, out),
            Dev::Switch(w) => w.eval(y, ctx, out),
            Dev::Coupling { k1, k2, m, s } => {
                out.q[*k1] += *m * y[*k2];
                out.q[*k2] += *m * y[*k1];
                if jac {
                    add(&mut out.jac, s[0], ctx.cj * *m);
                    add(&mut out.jac, s[1], ctx.cj * *m);
                }
            }
        }
    }
}

/// SPICE's junction voltage limiter.
pub(crate) fn pnjlim(vnew: f64, vold: f64, vt: f64, vcrit: f64) -> (f64, bool) {
    if vnew > vcrit && (vnew - vold).abs() > vt + vt {
        if vold > 0.0 {
            let arg = 1.0 + (vnew - vold) / vt;
            if arg > 0.0 {
                (vold + vt * arg.ln(), true)
            } else {
                (vcrit, true)
            }
        } else {
            (vt * (vnew / vt).ln(), true)
        }
    } else {
        (vnew, false)
    }
}
