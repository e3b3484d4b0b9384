//! Generators of circuits the writer accepts (after the serde round-trip
//! generators of atscale-circuit), for write-then-parse property tests.

use std::collections::{BTreeMap, HashSet};

use atscale_circuit::{
    Circuit, DiodeParams, Element, ElementKind, Expr, Gate, Instance, MemristiveLaw, Model, ModelKind,
    MosInstance, MosParams, Param, Relaxation, ResistiveLaw, Slope, SoftplusTerm, StateTerm, Subckt, Value,
    Waveform,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// Parameter expressions (values of R, C, L, sources, laws, models).
const PARAM_EXPRS: &[&str] =
    &["gain*2", "-tau/3", "2^k", "min(a, b) + 1e-3", "sqrt(abs(x))", "k > 1 ? a : -b", "1"];
/// Circuit expressions (B-sources).
const CIRCUIT_EXPRS: &[&str] = &[
    "V(a)*2.5e-3",
    "tanh((V(a,b) - 0.1)/0.05) * 1e-9",
    "I(V1) > 0 ? 1 : -1",
    "pwr(V(a), 3) - pow(V(b), 2)",
    "-gain*exp(-time/tau)",
    "I(src) * 2",
];
/// Expressions of the branch voltage `v` (laws, kinetic rates).
const LAW_EXPRS: &[&str] =
    &["min(max(v, -1), 1)", "0.1*(v+40)/(1-exp(-(v+40)/10))", "4*exp(-(v+65)/18)", "v^3/3 - v"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = Expr> {
    proptest::sample::select(pool).prop_map(|s| Expr::parse(s).unwrap())
}

pub fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL,
        -1e3..1e3f64,
        Just(0.1),
        Just(1.0 / 3.0),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![3 => num().prop_map(Value::Num), 1 => pick(PARAM_EXPRS).prop_map(Value::from)]
}

fn node() -> impl Strategy<Value = String> {
    prop_oneof![Just("0".to_string()), "n[a-z0-9]{0,4}", Just("a".to_string()), Just("b".to_string())]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,7}"
}

/// MOSFET instance parameters: any subset of `M AD AS PD PS NRD NRS`, `OFF`, `IC=`.
fn mos_instance() -> impl Strategy<Value = MosInstance<Value>> {
    (vec(option::of(value()), 7), any::<bool>(), vec(value(), 0..=3)).prop_map(|(v, off, ic_volt)| {
        let mut v = v.into_iter();
        let mut n = || v.next().flatten();
        MosInstance { m: n(), ad_m2: n(), as_m2: n(), pd_m: n(), ps_m: n(), nrd: n(), nrs: n(), off, ic_volt }
    })
}

/// Optional trailing arguments: a prefix is given, the rest left out.
fn optionals(n: usize) -> impl Strategy<Value = Vec<Option<Value>>> {
    (0..=n, vec(value(), n)).prop_map(move |(k, vals)| {
        vals.into_iter().enumerate().map(|(j, v)| if j < k { Some(v) } else { None }).collect()
    })
}

fn waveform() -> impl Strategy<Value = Waveform<Value>> {
    prop_oneof![
        value().prop_map(|value| Waveform::Dc { value }),
        (value(), value(), optionals(6)).prop_map(|(v1, v2, o)| {
            let mut o = o.into_iter();
            let mut n = || o.next().flatten();
            Waveform::Pulse { v1, v2, td: n(), tr: n(), tf: n(), pw: n(), per: n(), np: n() }
        }),
        vec((value(), value()), 1..4).prop_map(|points| Waveform::Pwl { points }),
        (value(), value(), optionals(4)).prop_map(|(vo, va, o)| {
            let mut o = o.into_iter();
            let mut n = || o.next().flatten();
            Waveform::Sin { vo, va, freq: n(), td: n(), theta: n(), phase: n() }
        }),
        (value(), value(), optionals(4)).prop_map(|(v1, v2, o)| {
            let mut o = o.into_iter();
            let mut n = || o.next().flatten();
            Waveform::Exp { v1, v2, td1: n(), tau1: n(), td2: n(), tau2: n() }
        }),
    ]
}

fn source() -> impl Strategy<Value = (Waveform<Value>, Option<Value>)> {
    (waveform(), option::of(value())).prop_map(|(w, dc)| match w {
        Waveform::Dc { .. } => (w, None),
        other => (other, dc),
    })
}

fn resistive_law() -> impl Strategy<Value = ResistiveLaw<Value>> {
    prop_oneof![
        (value(), value()).prop_map(|(a, b)| ResistiveLaw::Cubic { a, b }),
        (value(), value(), value()).prop_map(|(alpha, delta, w)| ResistiveLaw::Tanh { alpha, delta, w }),
        (value(), value(), value()).prop_map(|(alpha, a, c)| ResistiveLaw::Logistic { alpha, a, c }),
        (value(), value(), value()).prop_map(|(alpha, a, c)| ResistiveLaw::Softplus { alpha, a, c }),
        (value(), vec((value(), value(), value()).prop_map(|(w, a, c)| SoftplusTerm { w, a, c }), 0..3))
            .prop_map(|(g0, terms)| ResistiveLaw::Glm { g0, terms }),
        (vec((-1e3..1e3f64, -1e3..1e3f64), 2..5), any::<bool>()).prop_map(|(mut pts, symbolic)| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts.dedup_by(|a, b| a.0 == b.0);
            if pts.len() < 2 {
                pts.push((pts[0].0 + 1.0, 0.5));
            }
            let mut points: Vec<(Value, Value)> =
                pts.into_iter().map(|(v, i)| (Value::Num(v), Value::Num(i))).collect();
            if symbolic {
                points[0].1 = Value::from(Expr::parse("gain*2").unwrap());
            }
            ResistiveLaw::Pwl { points }
        }),
        pick(LAW_EXPRS).prop_map(|expr| ResistiveLaw::Expression { expr }),
    ]
}

fn relaxation() -> impl Strategy<Value = Relaxation<Value>> {
    prop_oneof![
        (value(), value()).prop_map(|(tau_s, x0)| Relaxation::Linear { tau_s, x0 }),
        (pick(LAW_EXPRS), pick(LAW_EXPRS), value()).prop_map(|(alpha, beta, x0)| Relaxation::Kinetic {
            alpha,
            beta,
            x0
        }),
    ]
}

fn memristive() -> impl Strategy<Value = (Vec<Relaxation<Value>>, MemristiveLaw<Value>)> {
    (
        vec(relaxation(), 1..3),
        0..3usize,
        value(),
        value(),
        vec(
            (
                0..8usize,
                prop_oneof![1..5u32, 9..12u32],
                option::of((value(), value())),
                value(),
                value(),
                value(),
            ),
            0..3,
        ),
    )
        .prop_map(|(states, which, p1, p2, parts)| {
            let n = states.len();
            let law = match which {
                0 => {
                    MemristiveLaw::Tanh { state: parts.first().map_or(0, |p| p.0 % n), alpha: p1, delta: p2 }
                }
                1 => MemristiveLaw::Gates {
                    gbar: p1,
                    e_volt: p2,
                    gates: parts
                        .into_iter()
                        .map(|(s, power, lg, ..)| Gate {
                            state: s % n,
                            power,
                            logistic: lg.map(|(a, c)| Slope { a, c }),
                        })
                        .collect(),
                },
                _ => MemristiveLaw::Glm {
                    gbar: p1,
                    e_volt: p2,
                    terms: parts
                        .into_iter()
                        .map(|(s, _, _, w, a, c)| StateTerm { state: s % n, w, a, c })
                        .collect(),
                },
            };
            (states, law)
        })
}

fn kind() -> impl Strategy<Value = ElementKind<Value>> {
    prop_oneof![
        (node(), node(), value()).prop_map(|(p, n, r_ohm)| ElementKind::Resistor { p, n, r_ohm }),
        (node(), node(), value(), option::of(value()))
            .prop_map(|(p, n, c_farad, ic_volt)| ElementKind::Capacitor { p, n, c_farad, ic_volt }),
        (node(), node(), value(), option::of(value()))
            .prop_map(|(p, n, l_henry, ic_amp)| ElementKind::Inductor { p, n, l_henry, ic_amp }),
        (node(), node(), source()).prop_map(|(p, n, (waveform, dc))| ElementKind::VoltageSource {
            p,
            n,
            waveform,
            dc
        }),
        (node(), node(), source()).prop_map(|(p, n, (waveform, dc))| ElementKind::CurrentSource {
            p,
            n,
            waveform,
            dc
        }),
        (node(), node(), pick(CIRCUIT_EXPRS)).prop_map(|(p, n, expr)| ElementKind::BehaviouralCurrent {
            p,
            n,
            expr
        }),
        (node(), node(), pick(CIRCUIT_EXPRS)).prop_map(|(p, n, expr)| ElementKind::BehaviouralVoltage {
            p,
            n,
            expr
        }),
        (node(), node(), resistive_law()).prop_map(|(p, n, law)| ElementKind::NonlinearResistor {
            p,
            n,
            law
        }),
        (node(), node(), memristive()).prop_map(|(p, n, (states, law))| ElementKind::Memristive {
            p,
            n,
            states,
            law
        }),
        (node(), node(), name(), option::of(value())).prop_map(|(p, n, model, area)| ElementKind::Diode {
            p,
            n,
            model,
            area
        }),
        (node(), node(), node(), node(), name(), value(), value(), mos_instance()).prop_map(
            |(d, g, s, b, model, w_m, l_m, instance)| ElementKind::Mosfet {
                d,
                g,
                s,
                b,
                model,
                w_m,
                l_m,
                instance
            }
        ),
    ]
}

fn unique_by_name<T>(items: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|x| seen.insert(name(x).to_ascii_lowercase())).collect()
}

fn elements() -> impl Strategy<Value = Vec<Element<Value>>> {
    vec((name(), kind()).prop_map(|(name, kind)| Element { name, kind }), 0..6)
        .prop_map(|els| unique_by_name(els, |e| &e.name))
}

fn params() -> impl Strategy<Value = Vec<Param>> {
    vec(("q[a-z0-9]{0,4}", value()).prop_map(|(name, value)| Param { name, value }), 0..3)
        .prop_map(|ps| unique_by_name(ps, |p| &p.name))
}

fn instances() -> impl Strategy<Value = Vec<Instance>> {
    vec(
        (name(), name(), vec(node(), 0..3), params()).prop_map(|(name, subckt, nodes, params)| Instance {
            name,
            subckt,
            nodes,
            params,
        }),
        0..3,
    )
    .prop_map(|is| unique_by_name(is, |i| &i.name))
}

fn model() -> impl Strategy<Value = Model<Value>> {
    let diode = (
        option::of(value()),
        option::of(value()),
        option::of(value()),
        option::of(value()),
        option::of(value()),
        // Extra parameters by their canonical names (the parser reads aliases as these).
        vec(
            (proptest::sample::select(&["fc", "nbv", "ikf", "isr", "jsw", "cjp", "eg", "kf"][..]), value()),
            0..3,
        ),
    )
        .prop_map(|(is, n, rs, cjo, bv, extra)| {
            let extra = extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>();
            ModelKind::Diode(DiodeParams { is, n, rs, cjo, bv, extra, ..DiodeParams::default() })
        });
    let mos = (
        1..100u32,
        option::of(value()),
        option::of(value()),
        option::of(value()),
        vec(("x[a-z]{1,4}", value()), 0..3),
        any::<bool>(),
    )
        .prop_map(|(level, vto, kp, lambda, extra, n)| {
            let p = MosParams {
                level,
                vto,
                kp,
                lambda,
                gamma: None,
                phi: None,
                extra: extra.into_iter().collect::<BTreeMap<_, _>>(),
            };
            if n {
                ModelKind::Nmos(p)
            } else {
                ModelKind::Pmos(p)
            }
        });
    (name(), prop_oneof![diode, mos]).prop_map(|(name, kind)| Model { name, kind })
}

fn subckt() -> impl Strategy<Value = Subckt> {
    (name(), vec("n[a-z0-9]{0,4}", 0..3), params(), elements(), instances()).prop_map(
        |(name, ports, params, elements, instances)| {
            let mut seen = HashSet::new();
            let ports = ports.into_iter().filter(|p| seen.insert(p.clone())).collect();
            Subckt { name, ports, params, elements, instances }
        },
    )
}

pub fn circuit() -> impl Strategy<Value = Circuit> {
    (
        "[A-Za-z][A-Za-z0-9 ,.()-]{0,30}",
        params(),
        vec(model(), 0..2),
        vec(subckt(), 0..2),
        elements(),
        instances(),
    )
        .prop_map(|(title, params, models, subckts, elements, instances)| Circuit {
            title,
            params,
            models: unique_by_name(models, |m| &m.name),
            subckts: unique_by_name(subckts, |s| &s.name),
            elements,
            instances,
            globals: vec![],
        })
}

/// A number of either sign with magnitude from 1e-6 to 1e3, spread evenly in
/// its logarithm.
pub fn wide_num() -> impl Strategy<Value = f64> {
    (any::<bool>(), -6.0f64..3.0).prop_map(|(neg, e)| if neg { -(10f64.powf(e)) } else { 10f64.powf(e) })
}

/// An expression of `v(a)`, `v(b)` and `v(c)` with kinks and jumps, the
/// arguments of its switches, and a bound on its rounding error.
///
/// The expression is smooth wherever no switch argument changes sign:
/// `abs(x)`, `uramp(x)` and the PWL hinge `(x+abs(x))/2` switch at `x = 0`;
/// `min(x,y)`, `max(x,y)` and `x > y ? p : q` at `x - y = 0`; a limit
/// `min(max(x, lo), hi)` at `x - lo` and `x - hi`.
///
/// `rounding` is a first-order bound, in units of the machine epsilon, on
/// the rounding error of evaluating `expr` in `f64` (inputs exact, one
/// rounding per operation, 2 ulp per transcendental function): an
/// expression of the same inputs, to size the noise of a finite difference
/// where terms cancel (`tanh(x) - x` at small `x`).
#[derive(Debug, Clone)]
pub struct Kinked {
    pub expr: Expr,
    pub switches: Vec<Expr>,
    pub rounding: Expr,
}

impl Kinked {
    fn leaf(expr: Expr) -> Kinked {
        Kinked { expr, switches: Vec::new(), rounding: Expr::Num(0.0) }
    }

    /// `(expr, rounding)` from both operands, with their switches and `new` ones.
    fn join(
        self,
        other: Kinked,
        f: impl FnOnce(Expr, Expr, Expr, Expr) -> (Expr, Expr),
        new: Vec<Expr>,
    ) -> Kinked {
        let mut switches = self.switches;
        switches.extend(other.switches);
        switches.extend(new);
        let (expr, rounding) = f(self.expr, self.rounding, other.expr, other.rounding);
        Kinked { expr, switches, rounding }
    }

    fn map(self, f: impl FnOnce(Expr, Expr) -> (Expr, Expr), new: Vec<Expr>) -> Kinked {
        let mut switches = self.switches;
        switches.extend(new);
        let (expr, rounding) = f(self.expr, self.rounding);
        Kinked { expr, switches, rounding }
    }
}

/// `a / q` with `q >= 1` of rounding bound `rq`.
fn quotient(a: Expr, ra: Expr, q: Expr, rq: Expr) -> (Expr, Expr) {
    let value = a.clone() / q.clone();
    let r = ra / q.clone() + a.abs() / (q.clone() * q) * rq + value.clone().abs();
    (value, r)
}

fn smooth_binary(a: Kinked, b: Kinked, k: u8) -> Kinked {
    a.join(
        b,
        |a, ra, b, rb| match k {
            0 => (a.clone() + b.clone(), ra + rb + (a + b).abs()),
            1 => (a.clone() - b.clone(), ra + rb + (a - b).abs()),
            2 => (a.clone() * b.clone(), b.clone().abs() * ra + a.clone().abs() * rb + (a * b).abs()),
            _ => {
                let q = 1.0 + b.clone() * b.clone();
                let rq = 2.0 * b.clone().abs() * rb + 2.0 * q.clone();
                quotient(a, ra, q, rq)
            }
        },
        vec![],
    )
}

/// `1 - tanh(a)^2`.
fn sech2(a: Expr) -> Expr {
    let t = a.tanh();
    1.0 - t.clone() * t
}

fn smooth_unary(a: Kinked, k: u8) -> Kinked {
    a.map(
        |a, ra| match k {
            0 => (a.clone().tanh(), sech2(a.clone()) * ra + 2.0 * a.tanh().abs()),
            1 => (a.clone().atan(), ra / (1.0 + a.clone() * a.clone()) + 2.0 * a.atan().abs()),
            2 => {
                let t = a.clone().tanh();
                let rt = sech2(a) * ra + 2.0 * t.clone().abs();
                let e = (3.0 * t.clone()).exp();
                (e.clone(), e.clone() * (3.0 * rt + 3.0 * t.abs()) + 2.0 * e)
            }
            _ => (-a, ra),
        },
        vec![],
    )
}

fn kinked_unary(a: Kinked, k: u8) -> Kinked {
    let x = a.expr.clone();
    a.map(
        |a, ra| match k {
            0 => (a.abs(), ra),
            1 => (a.uramp(), ra),
            // The PWL hinge of the writer's piecewise-linear laws.
            _ => {
                let s = a.clone() + a.abs();
                (s.clone() / 2.0, ra + s.abs() / 2.0)
            }
        },
        vec![x],
    )
}

fn kinked_binary(a: Kinked, b: Kinked, k: u8) -> Kinked {
    let (x, y) = (a.expr.clone(), b.expr.clone());
    let switch = if k == 3 { y } else { x - y };
    a.join(
        b,
        |a, ra, b, rb| match k {
            0 => (a.min(b), ra.max(rb)),
            1 => (a.max(b), ra.max(rb)),
            2 => (Expr::ternary(a.clone().gt(b.clone()), a, -2.0 * b), ra.max(2.0 * rb)),
            _ => {
                let q = 1.0 + b.abs();
                let rq = rb + q.clone();
                quotient(a, ra, q, rq)
            }
        },
        vec![switch],
    )
}

fn limit(a: Kinked, lo: f64, hi: f64) -> Kinked {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let x = a.expr.clone();
    a.map(|a, ra| (a.max(lo).min(hi), ra), vec![x.clone() - lo, x - hi])
}

pub fn kinked_expr() -> impl Strategy<Value = Kinked> {
    let leaf = prop_oneof![
        3 => proptest::sample::select(vec!["a", "b", "c"]).prop_map(Expr::v),
        1 => wide_num().prop_map(Expr::Num),
    ]
    .prop_map(Kinked::leaf);
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), 0..4u8).prop_map(|(a, b, k)| smooth_binary(a, b, k)),
            (inner.clone(), 0..4u8).prop_map(|(a, k)| smooth_unary(a, k)),
            (inner.clone(), 0..3u8).prop_map(|(a, k)| kinked_unary(a, k)),
            (inner.clone(), inner.clone(), 0..4u8).prop_map(|(a, b, k)| kinked_binary(a, b, k)),
            (inner, wide_num(), wide_num()).prop_map(|(a, lo, hi)| limit(a, lo, hi)),
        ]
    })
}
