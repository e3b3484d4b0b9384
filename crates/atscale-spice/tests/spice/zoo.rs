//! The zoo: one circuit holding every resistive law, every memristive law
//! and every source waveform the writer knows, written by the ngspice writer
//! and run in ngspice. The round trip (`roundtrip.rs`) only compares text;
//! here what ngspice computes from the written cards is compared, at every
//! output time, with the model's own evaluation (atscale-circuit) and, for
//! the sources and the relaxations, with closed forms written below.
//!
//! - Each nonlinear resistor sits on its own node, driven by its own voltage
//!   source ramping linearly across the law's interesting range, so the
//!   source's current is minus the law's current at the node's voltage.
//! - Each memristive element is driven the same way; its states are nodes of
//!   the written netlist, so the current is compared with the law evaluated
//!   at the branch voltage and the states ngspice reports at that time. The
//!   states themselves are compared with closed forms: a linear relaxation
//!   under a ramp, a kinetic one under a constant voltage.
//! - Each source drives its own node (a current source through a resistor).
//! - Every law parameter has at most 11 significant digits: ngspice 39 reads
//!   a number inside a B-source expression to 11 significant digits
//!   (`ngspice_keeps_11_significant_digits_of_a_b_source_number`), so a
//!   longer one would be carried with an error of up to 5e-12 of itself,
//!   as large as the tolerance the written forms are checked to here.

use std::sync::OnceLock;

use atscale_circuit::{
    Circuit, Element, ElementKind, Expr, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope, SoftplusTerm,
    StateTerm, TranTiming, Value, Waveform,
};
use atscale_spice::{write_netlist, Analysis, Header, Ngspice};

use crate::ngspice::{run, Run};

/// `.tran` print step, stop time and maximum step, s.
const TSTEP: f64 = 1e-3;
const TSTOP: f64 = 1.0;
const TMAX: f64 = 1e-3;

/// A nonlinear resistor on node `node`, swept from `from` to `to` volts.
struct Swept {
    name: &'static str,
    node: &'static str,
    law: ResistiveLaw<f64>,
    from: f64,
    to: f64,
    /// The law's current scale, A: errors are measured relative to `|i| + scale_amp`.
    scale_amp: f64,
}

/// How a memristive element is driven: a ramp from `.0` to `.1` volts over
/// the run, or a constant.
#[derive(Clone, Copy)]
enum Drive {
    Ramp(f64, f64),
    Dc(f64),
}

/// A memristive element on node `node`.
struct Memristor {
    name: &'static str,
    node: &'static str,
    drive: Drive,
    states: Vec<Relaxation<f64>>,
    law: MemristiveLaw<f64>,
    /// The law's current scale (`gbar` or `alpha` times 1 V), A.
    scale_amp: f64,
}

/// A source on node `node` (a current source drives 1 kΩ to ground), with
/// its value as a closed form of time.
struct Source {
    name: &'static str,
    node: &'static str,
    current: bool,
    waveform: Waveform<f64>,
    /// A separate DC value (`DC d SHAPE(...)`), for the operating point only.
    dc: Option<f64>,
    exact: fn(f64) -> f64,
}

/// The load of the current source, Ω.
const LOAD_OHM: f64 = 1e3;

fn expr(s: &str) -> Expr {
    Expr::parse(s).unwrap()
}

fn swept() -> Vec<Swept> {
    let sp = |w: f64, a: f64, c: f64| SoftplusTerm { w, a, c };
    vec![
        Swept {
            name: "Rcub",
            node: "r_cub",
            law: ResistiveLaw::Cubic { a: 0.4, b: 1.0 },
            from: -2.5,
            to: 2.5,
            scale_amp: 1.0,
        },
        Swept {
            name: "Rtanh",
            node: "r_tanh",
            law: ResistiveLaw::Tanh { alpha: -2e-3, delta: 0.15, w: 0.3 },
            from: -3.0,
            to: 3.0,
            scale_amp: 2e-3,
        },
        // a (v - c) spans about ±150: deep into both saturations.
        Swept {
            name: "Rlog",
            node: "r_log",
            law: ResistiveLaw::Logistic { alpha: 1.5e-6, a: -50.0, c: 0.2 },
            from: -3.0,
            to: 3.0,
            scale_amp: 1.5e-6,
        },
        // a (v - c) reaches -400 and 400, beyond ngspice's exp cap at
        // 227.96: the written form must not overflow.
        Swept {
            name: "Rsp",
            node: "r_sp",
            law: ResistiveLaw::Softplus { alpha: 3e-4, a: 200.0, c: -0.5 },
            from: -2.5,
            to: 1.5,
            scale_amp: 3e-4,
        },
        Swept {
            name: "Rglm",
            node: "r_glm",
            law: ResistiveLaw::Glm {
                g0: 1e-3,
                terms: vec![sp(1.5, 4.0, 0.3), sp(-0.8, -6.0, -0.4), sp(0.1, 30.0, 1.0)],
            },
            from: -1.5,
            to: 1.5,
            scale_amp: 1e-3,
        },
        // Slopes 3e-3, 5e-4, -1.1e-2 and 1.6e-2 S: short decimals (see the
        // module documentation on the digits ngspice keeps).
        Swept {
            name: "Rpwl",
            node: "r_pwl",
            law: ResistiveLaw::Pwl {
                points: vec![(-1.5, -2e-3), (-0.5, 1e-3), (0.5, 1.5e-3), (1.0, -4e-3), (1.25, 0.0)],
            },
            from: -2.5,
            to: 2.5,
            scale_amp: 4e-3,
        },
        Swept {
            name: "Rexpr",
            node: "r_expr",
            law: ResistiveLaw::Expression {
                expr: expr(
                    "1e-3*(min(max(v, -1), 1) + v^3/3 - pwr(v, 5)/20 + 0.1*(v+0.4)/(1-exp(-(v+0.4)/0.1)))",
                ),
            },
            from: -2.0,
            to: 2.0,
            scale_amp: 1e-3,
        },
    ]
}

fn linear(tau_s: f64, x0: f64) -> Relaxation<f64> {
    Relaxation::Linear { tau_s, x0 }
}

fn kinetic(alpha: &str, beta: &str, x0: f64) -> Relaxation<f64> {
    Relaxation::Kinetic { alpha: expr(alpha), beta: expr(beta), x0 }
}

/// The kinetic rates of `Mkin`, 1/s, written here in Rust for the closed form.
const KIN_ALPHA: &str = "2*exp(v)";
const KIN_BETA: &str = "exp(-v)";
const KIN_DRIVE: f64 = 0.3;
const KIN_X0: f64 = 0.05;

fn kin_rates(v: f64) -> (f64, f64) {
    (2.0 * v.exp(), (-v).exp())
}

fn memristors() -> Vec<Memristor> {
    let gate = |state: usize, power: u32, logistic: Option<(f64, f64)>| Gate {
        state,
        power,
        logistic: logistic.map(|(a, c)| Slope { a, c }),
    };
    vec![
        Memristor {
            name: "Mtanh",
            node: "m_tanh",
            drive: Drive::Ramp(-2.0, 2.0),
            scale_amp: 2e-3,
            states: vec![linear(0.1, 1.5)],
            law: MemristiveLaw::Tanh { state: 0, alpha: 2e-3, delta: 0.2 },
        },
        // Hodgkin-Huxley-like: a cubed kinetic gate and a logistic gate of a
        // linear state.
        Memristor {
            name: "Mgates",
            node: "m_gates",
            drive: Drive::Ramp(-1.5, 1.5),
            scale_amp: 5e-3,
            states: vec![kinetic("20*exp(2*v)", "5*exp(-v)", 0.1), linear(0.2, -1.0)],
            law: MemristiveLaw::Gates {
                gbar: 5e-3,
                e_volt: 0.4,
                gates: vec![gate(0, 3, None), gate(1, 1, Some((4.0, 0.2)))],
            },
        },
        // Powers beyond 8 (written with `pwr` and `pow`) of a state of both signs.
        Memristor {
            name: "Mpow",
            node: "m_pow",
            drive: Drive::Ramp(-1.3, 1.3),
            scale_amp: 1e-3,
            states: vec![linear(0.05, 1.2)],
            law: MemristiveLaw::Gates {
                gbar: 1e-3,
                e_volt: -0.2,
                gates: vec![gate(0, 9, None), gate(0, 10, Some((-3.0, 0.5)))],
            },
        },
        Memristor {
            name: "Mglm",
            node: "m_glm",
            drive: Drive::Ramp(-1.0, 2.0),
            scale_amp: 2e-4,
            states: vec![linear(0.3, 0.5), kinetic("10/(1+exp(-4*v))", "3", 0.9)],
            law: MemristiveLaw::Glm {
                gbar: 2e-4,
                e_volt: -0.3,
                terms: vec![
                    StateTerm { state: 0, w: 1.5, a: 3.0, c: 0.1 },
                    StateTerm { state: 1, w: -0.7, a: -20.0, c: 0.6 },
                    StateTerm { state: 0, w: 0.2, a: -2.0, c: -0.5 },
                ],
            },
        },
        Memristor {
            name: "Mkin",
            node: "m_kin",
            drive: Drive::Dc(KIN_DRIVE),
            scale_amp: 1e-3,
            states: vec![kinetic(KIN_ALPHA, KIN_BETA, KIN_X0)],
            law: MemristiveLaw::Gates { gbar: 1e-3, e_volt: 0.0, gates: vec![gate(0, 1, None)] },
        },
    ]
}

// Closed forms of the sources (ngspice manual, section 4.1; the defaults as
// ngspice 39 applies them, noted where they differ from the manual).

fn sin_full(t: f64) -> f64 {
    // SIN(0.1 1.5 3 0.1 2 30)
    let (vo, va, f, td, theta, phase) = (0.1, 1.5, 3.0, 0.1, 2.0, 30f64.to_radians());
    if t <= td {
        vo + va * phase.sin()
    } else {
        vo + va * (-theta * (t - td)).exp() * (2.0 * std::f64::consts::PI * f * (t - td) + phase).sin()
    }
}

fn sin_default(t: f64) -> f64 {
    // SIN(0.5 -2): freq 1/tstop, no delay, damping or phase.
    0.5 - 2.0 * (2.0 * std::f64::consts::PI * t / TSTOP).sin()
}

fn exp_full(t: f64) -> f64 {
    // EXP(-1 2 0.1 0.05 0.5 0.1)
    let (v1, v2, td1, tau1, td2, tau2) = (-1.0, 2.0, 0.1, 0.05, 0.5, 0.1);
    let rise = |t: f64| if t <= td1 { 0.0 } else { (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp()) };
    let fall = |t: f64| if t <= td2 { 0.0 } else { (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp()) };
    v1 + rise(t) + fall(t)
}

fn exp_default(t: f64) -> f64 {
    // EXP(0 1 0.2 0.1): td2 defaults to td1 + tstep in ngspice 39 (the
    // manual says td1 + tstep too) and tau2 to tstep.
    let (v1, v2, td1, tau1) = (0.0, 1.0, 0.2, 0.1);
    let (td2, tau2) = (td1 + TSTEP, TSTEP);
    let rise = |t: f64| if t <= td1 { 0.0 } else { (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp()) };
    let fall = |t: f64| if t <= td2 { 0.0 } else { (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp()) };
    v1 + rise(t) + fall(t)
}

/// One PULSE period: `u` in `[0, per)` after the start of a pulse.
fn pulse_shape(u: f64, v1: f64, v2: f64, tr: f64, tf: f64, pw: f64) -> f64 {
    if u < tr {
        v1 + (v2 - v1) * u / tr
    } else if u <= tr + pw {
        v2
    } else if u < tr + pw + tf {
        v2 + (v1 - v2) * (u - tr - pw) / tf
    } else {
        v1
    }
}

fn pulse_full(t: f64) -> f64 {
    // PULSE(-0.5 1 0.05 0.01 0.02 0.1 0.25 3): three pulses.
    let (v1, v2, td, tr, tf, pw, per, np) = (-0.5, 1.0, 0.05, 0.01, 0.02, 0.1, 0.25, 3.0);
    let u = t - td;
    if u <= 0.0 || u >= np * per {
        return v1;
    }
    pulse_shape(u - per * (u / per).floor(), v1, v2, tr, tf, pw)
}

fn pulse_default(t: f64) -> f64 {
    // PULSE(0 2 0.3): rise and fall tstep, width and period tstop.
    let (v1, v2, td) = (0.0, 2.0, 0.3);
    let u = t - td;
    if u <= 0.0 {
        v1
    } else {
        pulse_shape(u, v1, v2, TSTEP, TSTEP, TSTOP)
    }
}

const PWL_POINTS: [(f64, f64); 5] = [(0.1, 0.0), (0.3, 1.0), (0.5, 1.0), (0.7, -2.0), (0.9, 0.5)];

fn pwl(t: f64) -> f64 {
    let p = &PWL_POINTS;
    if t <= p[0].0 {
        return p[0].1;
    }
    for w in p.windows(2) {
        let ((t0, v0), (t1, v1)) = (w[0], w[1]);
        if t <= t1 {
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0);
        }
    }
    p[p.len() - 1].1
}

fn sin_current(t: f64) -> f64 {
    // SIN(1e-3 -2e-3 5): amperes.
    1e-3 - 2e-3 * (2.0 * std::f64::consts::PI * 5.0 * t).sin()
}

fn sources() -> Vec<Source> {
    let s = Some;
    vec![
        Source {
            name: "Vdc",
            node: "s_dc",
            current: false,
            dc: None,
            waveform: Waveform::Dc { value: 0.7 },
            exact: |_| 0.7,
        },
        Source {
            name: "Vsin",
            node: "s_sin",
            current: false,
            dc: None,
            waveform: Waveform::Sin {
                vo: 0.1,
                va: 1.5,
                freq: s(3.0),
                td: s(0.1),
                theta: s(2.0),
                phase: s(30.0),
            },
            exact: sin_full,
        },
        Source {
            name: "Vsind",
            node: "s_sind",
            current: false,
            dc: None,
            waveform: Waveform::Sin { vo: 0.5, va: -2.0, freq: None, td: None, theta: None, phase: None },
            exact: sin_default,
        },
        Source {
            name: "Vexp",
            node: "s_exp",
            current: false,
            dc: None,
            waveform: Waveform::Exp {
                v1: -1.0,
                v2: 2.0,
                td1: s(0.1),
                tau1: s(0.05),
                td2: s(0.5),
                tau2: s(0.1),
            },
            exact: exp_full,
        },
        Source {
            name: "Vexpd",
            node: "s_expd",
            current: false,
            dc: None,
            waveform: Waveform::Exp { v1: 0.0, v2: 1.0, td1: s(0.2), tau1: s(0.1), td2: None, tau2: None },
            exact: exp_default,
        },
        Source {
            name: "Vpulse",
            node: "s_pulse",
            current: false,
            dc: Some(0.3),
            waveform: Waveform::Pulse {
                v1: -0.5,
                v2: 1.0,
                td: s(0.05),
                tr: s(0.01),
                tf: s(0.02),
                pw: s(0.1),
                per: s(0.25),
                np: s(3.0),
            },
            exact: pulse_full,
        },
        Source {
            name: "Vpulsed",
            node: "s_pulsed",
            current: false,
            dc: None,
            waveform: Waveform::Pulse {
                v1: 0.0,
                v2: 2.0,
                td: s(0.3),
                tr: None,
                tf: None,
                pw: None,
                per: None,
                np: None,
            },
            exact: pulse_default,
        },
        Source {
            name: "Vpwl",
            node: "s_pwl",
            current: false,
            dc: None,
            waveform: Waveform::Pwl { points: PWL_POINTS.to_vec() },
            exact: pwl,
        },
        Source {
            name: "Isin",
            node: "s_isin",
            current: true,
            dc: None,
            waveform: Waveform::Sin { vo: 1e-3, va: -2e-3, freq: s(5.0), td: None, theta: None, phase: None },
            exact: sin_current,
        },
    ]
}

fn num(x: &f64) -> Result<Value, ()> {
    Ok(Value::Num(*x))
}

fn element(name: &str, kind: ElementKind<Value>) -> Element<Value> {
    Element { name: name.to_string(), kind }
}

fn vsource(name: &str, node: &str, waveform: Waveform<f64>, dc: Option<f64>) -> Element<Value> {
    element(
        name,
        ElementKind::VoltageSource {
            p: node.into(),
            n: "0".into(),
            waveform: waveform.try_map(&mut num).unwrap(),
            dc: dc.map(Value::Num),
        },
    )
}

fn ramp(from: f64, to: f64) -> Waveform<f64> {
    Waveform::Pwl { points: vec![(0.0, from), (TSTOP, to)] }
}

fn drive_waveform(d: Drive) -> Waveform<f64> {
    match d {
        Drive::Ramp(a, b) => ramp(a, b),
        Drive::Dc(value) => Waveform::Dc { value },
    }
}

/// The driving source of element `name`.
fn driver(name: &str) -> String {
    format!("V{name}")
}

fn zoo_circuit() -> Circuit {
    let mut elements = Vec::new();
    for s in swept() {
        elements.push(vsource(&driver(s.name), s.node, ramp(s.from, s.to), None));
        let law = s.law.try_map(&mut num).unwrap();
        elements
            .push(element(s.name, ElementKind::NonlinearResistor { p: s.node.into(), n: "0".into(), law }));
    }
    for m in memristors() {
        elements.push(vsource(&driver(m.name), m.node, drive_waveform(m.drive), None));
        let states = m.states.iter().map(|r| r.try_map(&mut num).unwrap()).collect();
        let law = m.law.try_map(&mut num).unwrap();
        elements
            .push(element(m.name, ElementKind::Memristive { p: m.node.into(), n: "0".into(), states, law }));
    }
    for s in sources() {
        let waveform = s.waveform.try_map(&mut num).unwrap();
        if s.current {
            elements.push(element(
                s.name,
                ElementKind::CurrentSource {
                    p: "0".into(),
                    n: s.node.into(),
                    waveform,
                    dc: s.dc.map(Value::Num),
                },
            ));
            elements.push(element(
                &format!("R{}", s.name),
                ElementKind::Resistor { p: s.node.into(), n: "0".into(), r_ohm: Value::Num(LOAD_OHM) },
            ));
        } else {
            elements.push(vsource(s.name, s.node, s.waveform, s.dc));
        }
    }
    Circuit { title: "zoo of written forms".into(), elements, ..Circuit::default() }
}

fn analysis() -> Analysis {
    let mut a = Analysis::tran_uic(TSTEP, TSTOP, TMAX);
    a.options.reltol = Some(1e-12);
    a.options.abstol = Some(1e-18);
    a.options.vntol = Some(1e-12);
    a
}

/// The zoo run once in ngspice, shared by the tests of this module.
fn zoo_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = write_netlist(&zoo_circuit(), &analysis(), &Ngspice, &Header::default()).unwrap();
        run(&text, "the zoo of written forms", TSTOP)
    })
}

fn column(r: &Run, name: &str) -> Vec<f64> {
    r.column(name).unwrap_or_else(|| panic!("no `{name}` in the raw file: {:?}", r.names))
}

/// The worst error of `got` against `want`, `|got - want| / (|want| + scale)`,
/// with the index where it occurs.
fn worst(got: &[f64], want: &[f64], scale: f64) -> (f64, usize) {
    let mut out = (0.0, 0);
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let e = (g - w).abs() / (w.abs() + scale);
        if e.is_nan() || e > out.0 {
            out = (e, k);
        }
    }
    out
}

/// Largest error allowed between ngspice's current through a written law
/// and the model's `current`, relative to `|i| + scale_amp`. Measured (ngspice
/// 39, `reltol = 1e-12`): 1.7e-13 for the resistive laws (logistic), 5.6e-13
/// for the memristive laws (GLM); what remains is Newton's convergence
/// tolerance, not the written forms. 9x margin over the larger.
const LAW_TOL: f64 = 5e-12;

#[test]
fn written_resistive_laws_carry_the_model_current_in_ngspice() {
    let r = zoo_run();
    let t = column(r, "time");
    for s in swept() {
        let v = column(r, &format!("v({})", s.node));
        // The source's current flows into its positive node: minus the law's.
        let got: Vec<f64> = column(r, &format!("i({})", driver(s.name))).iter().map(|i| -i).collect();
        let want: Vec<f64> = v.iter().map(|&v| s.law.current(v)).collect();
        let (e, k) = worst(&got, &want, s.scale_amp);
        assert!(
            e <= LAW_TOL,
            "{} ({}): ngspice's current {} A differs from the model's {} A at v = {} V (t = {} s) by {e:.3e} of |i| + {} A",
            s.name,
            s.law.kind_name(),
            got[k],
            want[k],
            v[k],
            t[k],
            s.scale_amp
        );
    }
}

#[test]
fn written_memristive_laws_carry_the_model_current_in_ngspice() {
    let r = zoo_run();
    let t = column(r, "time");
    for m in memristors() {
        let v = column(r, &format!("v({})", m.node));
        let x: Vec<Vec<f64>> =
            (0..m.states.len()).map(|k| column(r, &format!("v({}_x{k})", m.name))).collect();
        let got: Vec<f64> = column(r, &format!("i({})", driver(m.name))).iter().map(|i| -i).collect();
        let states_at = |j: usize| -> Vec<f64> { x.iter().map(|c| c[j]).collect() };
        let want: Vec<f64> = (0..t.len()).map(|j| m.law.current(v[j], &states_at(j))).collect();
        let (e, k) = worst(&got, &want, m.scale_amp);
        assert!(
            e <= LAW_TOL,
            "{} ({}): ngspice's current {} A differs from the model's {} A at v = {} V, x = {:?} (t = {} s) by \
             {e:.3e} of |i| + {} A",
            m.name,
            m.law.kind_name(),
            got[k],
            want[k],
            v[k],
            states_at(k),
            t[k],
            m.scale_amp
        );
    }
}

/// A linear relaxation `tau dx/dt = v - x` under the ramp `v = a + s t`:
/// `x = v - s tau + (x0 - a + s tau) exp(-t/tau)`.
fn linear_under_ramp(t: f64, a: f64, s: f64, tau: f64, x0: f64) -> f64 {
    a + s * t - s * tau + (x0 - a + s * tau) * (-t / tau).exp()
}

/// A kinetic relaxation `dx/dt = alpha (1 - x) - beta x` at constant rates:
/// `x = x_inf + (x0 - x_inf) exp(-(alpha + beta) t)`, `x_inf = alpha / (alpha + beta)`.
fn kinetic_at_rest(t: f64, alpha: f64, beta: f64, x0: f64) -> f64 {
    let inf = alpha / (alpha + beta);
    inf + (x0 - inf) * (-(alpha + beta) * t).exp()
}

/// Largest error of a state node against its closed form, relative to
/// `|x| + 1` (V or dimensionless): ngspice's integration error at
/// `tmax = 1e-3` and `reltol = 1e-12`, measured 2.4e-8 (`Mpow_x0`, the
/// fastest state, tau = 50 ms); 8x margin.
const STATE_TOL: f64 = 2e-7;

#[test]
fn written_relaxations_follow_their_closed_forms_in_ngspice() {
    let r = zoo_run();
    let t = column(r, "time");
    let mut checked = (0, 0);
    for m in memristors() {
        for (k, state) in m.states.iter().enumerate() {
            let got = column(r, &format!("v({}_x{k})", m.name));
            let want: Vec<f64> = match (state, m.drive) {
                (Relaxation::Linear { tau_s, x0 }, Drive::Ramp(a, b)) => {
                    checked.0 += 1;
                    t.iter().map(|&t| linear_under_ramp(t, a, (b - a) / TSTOP, *tau_s, *x0)).collect()
                }
                (Relaxation::Kinetic { x0, .. }, Drive::Dc(v)) => {
                    checked.1 += 1;
                    let (alpha, beta) = kin_rates(v);
                    t.iter().map(|&t| kinetic_at_rest(t, alpha, beta, *x0)).collect()
                }
                // A kinetic state under a ramp has no closed form; its
                // written rate is checked through the current above.
                _ => continue,
            };
            let (e, j) = worst(&got, &want, 1.0);
            assert!(
                e <= STATE_TOL,
                "state {k} of {}: ngspice {} differs from the closed form {} at t = {} s by {e:.3e} of |x| + 1",
                m.name,
                got[j],
                want[j],
                t[j]
            );
        }
    }
    assert_eq!(checked, (4, 1), "linear and kinetic states checked against closed forms");
}

/// Largest error of a source's node voltage (or, through the 1 kΩ load, its
/// current) against the model's `Waveform::value` and the closed form,
/// relative to `|value| + max |value|`. Measured 5.6e-14 (the default
/// PULSE's 1 ms rise at 2000 V/s, just after its corner: a time rounding);
/// 9x margin.
const SOURCE_TOL: f64 = 5e-13;

#[test]
fn written_sources_follow_the_model_and_the_closed_forms_in_ngspice() {
    let r = zoo_run();
    let t = column(r, "time");
    let timing = TranTiming { tstep: TSTEP, tstop: TSTOP };
    for s in sources() {
        let v = column(r, &format!("v({})", s.node));
        let got: Vec<f64> = if s.current { v.iter().map(|v| v / LOAD_OHM).collect() } else { v };
        let model: Vec<f64> = t.iter().map(|&t| s.waveform.value(t, &timing)).collect();
        let exact: Vec<f64> = t.iter().map(|&t| (s.exact)(t)).collect();
        let scale = exact.iter().fold(0.0f64, |a, w| a.max(w.abs()));
        for (what, want) in [("the model's value", &model), ("the closed form", &exact)] {
            let (e, k) = worst(&got, want, scale);
            assert!(
                e <= SOURCE_TOL,
                "{} ({}): ngspice gives {} at t = {} s, {what} {} ({e:.3e} of |value| + {scale})",
                s.name,
                s.waveform.keyword(),
                got[k],
                t[k],
                want[k]
            );
        }
    }
}

/// Which families the zoo covers. The matches are exhaustive: a new law,
/// relaxation or waveform does not compile here until it is named, and
/// then this test fails until the zoo holds it.
#[test]
fn the_zoo_holds_every_law_relaxation_and_waveform() {
    let mut resistive = [false; 7];
    for s in swept() {
        resistive[match s.law {
            ResistiveLaw::Cubic { .. } => 0,
            ResistiveLaw::Tanh { .. } => 1,
            ResistiveLaw::Logistic { .. } => 2,
            ResistiveLaw::Softplus { .. } => 3,
            ResistiveLaw::Glm { .. } => 4,
            ResistiveLaw::Pwl { .. } => 5,
            ResistiveLaw::Expression { .. } => 6,
        }] = true;
    }
    // tanh, gates with a power gate, a logistic gate, powers above 8 (odd
    // and even), GLM; linear and kinetic relaxations.
    let mut memristive = [false; 8];
    for m in memristors() {
        match &m.law {
            MemristiveLaw::Tanh { .. } => memristive[0] = true,
            MemristiveLaw::Gates { gates, .. } => {
                for g in gates {
                    memristive[match (&g.logistic, g.power > 8) {
                        (None, false) => 1,
                        (Some(_), false) => 2,
                        (None, true) => 3,
                        (Some(_), true) => 4,
                    }] = true;
                }
            }
            MemristiveLaw::Glm { .. } => memristive[5] = true,
        }
        for r in &m.states {
            memristive[match r {
                Relaxation::Linear { .. } => 6,
                Relaxation::Kinetic { .. } => 7,
            }] = true;
        }
    }
    let mut waveforms = [false; 7];
    for s in sources() {
        waveforms[match s.waveform {
            Waveform::Dc { .. } => 0,
            Waveform::Pulse { .. } => 1,
            Waveform::Pwl { .. } => 2,
            Waveform::Sin { .. } => 3,
            Waveform::Exp { .. } => 4,
            // Random sources cannot match ngspice sample by sample: they are
            // compared by their statistics in tests/e2e/parity.rs.
            Waveform::TrNoise { .. } | Waveform::TrRandom { .. } => continue,
            // Compared with ngspice node by node in tests/e2e/waveforms.rs.
            Waveform::PwlRepeat { .. } | Waveform::Sffm { .. } | Waveform::Am { .. } => continue,
        }] = true;
        waveforms[5] |= s.current;
        waveforms[6] |= s.dc.is_some();
    }
    assert!(resistive.iter().all(|&b| b), "resistive laws covered: {resistive:?}");
    assert!(memristive.iter().all(|&b| b), "memristive forms covered: {memristive:?}");
    assert!(
        waveforms.iter().all(|&b| b),
        "waveforms (and a current source, a separate DC value) covered: {waveforms:?}"
    );
}

/// ngspice 39 reads a number inside a B-source expression to 11 significant
/// digits, rounded (measured: `0.3333333333333333` is read as
/// `0.33333333333`, `0.6666666666666666` as `0.66666666667`,
/// `0.12345678901234567` as `0.12345678901`, with or without braces), while
/// a `.param` value keeps every digit, also when a B-source reads it. This is
/// why the zoo's law parameters have at most 11 significant digits; a
/// written law with a longer number (the FitzHugh-Nagumo cubic's `1/3`, most
/// PWL slopes) is carried by ngspice with a relative error of up to 5e-12 in
/// that number.
#[test]
fn ngspice_keeps_11_significant_digits_of_a_b_source_number() {
    let text = "B-source digits\n\
                .param third=0.3333333333333333\n\
                Va a 0 DC 1\n\
                Ba a 0 I={0.3333333333333333 * v(a)}\n\
                Vb b 0 DC 1\n\
                Bb b 0 I={third * v(b)}\n\
                .tran 1 2\n\
                .end\n";
    let r = run(text, "B-source digits", 2.0);
    let literal = -column(&r, "i(va)")[0];
    let param = -column(&r, "i(vb)")[0];
    assert_eq!(literal, 0.33333333333, "a literal keeps 11 digits");
    assert_eq!(param, 1.0 / 3.0, "a parameter keeps every digit");
}
