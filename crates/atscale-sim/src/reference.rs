//! Reference circuits as public data: each returns the circuit, how to run
//! it, and what to expect (an analytic waveform or independently computed
//! event times, with tolerances). The same set feeds the tests, the
//! benchmarks and `verify`.
//!
//! The event times of [`fitzhugh_nagumo`], [`tanh_spiker`] and
//! [`hodgkin_huxley`] are those of `crates/atscale-spice/tests/spice/data/reference/events.json` (scipy
//! Radau at `rtol = 1e-12`, crossings bisected on the dense output).

use atscale_circuit::expr::Expr;
use atscale_circuit::{
    Element, ElementKind, FlatCircuit, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Waveform,
};

use crate::error::Result;
use crate::{Direction, EventSpec, Simulation};

/// A reference circuit with its run settings and expectations.
#[derive(Debug, Clone)]
pub struct ReferenceCase {
    /// Short name (`fitzhugh_nagumo`, `rc`, ...).
    pub name: &'static str,
    /// The circuit.
    pub circuit: FlatCircuit,
    /// Stop time (in the circuit's time unit).
    pub tstop: f64,
    /// Whether the run starts from the initial conditions (`uic`).
    pub uic: bool,
    /// The node whose waveform or events are checked.
    pub signal: &'static str,
    /// The events to locate, if any.
    pub event: Option<EventSpec>,
    /// Expected event times (empty when not known independently).
    pub expected_events: Vec<f64>,
    /// Inter-spike interval, the scale event errors are measured against.
    pub isi: f64,
    /// Allowed event-time error as a fraction of `isi` at default tolerances.
    pub rel_tol_default: f64,
    /// Allowed event-time error as a fraction of `isi` at [`ReferenceCase::tight`] tolerances.
    pub rel_tol_tight: f64,
    /// The exact waveform of `signal`, when known.
    pub exact: Option<fn(f64) -> f64>,
}

impl ReferenceCase {
    /// A simulation of the case with its stop time, `uic`, probe and event.
    ///
    /// # Errors
    ///
    /// As [`Simulation::new`].
    pub fn simulation(&self) -> Result<Simulation> {
        let mut sim = Simulation::new(&self.circuit)?.tstop(self.tstop).uic(self.uic).probe(self.signal);
        if let Some(e) = &self.event {
            sim = sim.event_spec(e);
        }
        Ok(sim)
    }

    /// The tight tolerances of the accuracy tests: `reltol = 1e-5`, absolute
    /// tolerances 1e-8 (with the default `trtol`).
    pub fn tight(sim: Simulation) -> Simulation {
        sim.reltol(1e-5).vntol(1e-8).abstol(1e-8).statetol(1e-8).chgtol(1e-8)
    }
}

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.into(), kind }
}

fn s(x: &str) -> String {
    x.to_string()
}

fn dc(v: f64) -> Waveform<f64> {
    Waveform::Dc { value: v }
}

fn flat(title: &str, elements: Vec<Element<f64>>) -> FlatCircuit {
    FlatCircuit { title: title.into(), models: Vec::new(), elements }
}

const RC_R: f64 = 1e3;
const RC_C: f64 = 1e-6;

fn rc_exact(t: f64) -> f64 {
    (-t / (RC_R * RC_C)).exp()
}

/// RC discharge: `C = 1 uF` charged to 1 V discharging through `R = 1 kOhm`;
/// `v(t) = exp(-t / RC)` on node `a`.
pub fn rc() -> ReferenceCase {
    let circuit = flat(
        "RC discharge",
        vec![
            el("C1", ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: RC_C, ic_volt: Some(1.0) }),
            el("R1", ElementKind::Resistor { p: s("a"), n: s("0"), r_ohm: RC_R }),
        ],
    );
    ReferenceCase {
        name: "rc",
        circuit,
        tstop: 5e-3,
        uic: true,
        signal: "a",
        event: None,
        expected_events: Vec::new(),
        isi: 0.0,
        rel_tol_default: 0.0,
        rel_tol_tight: 0.0,
        exact: Some(rc_exact),
    }
}

const RLC_R: f64 = 10.0;
const RLC_L: f64 = 1e-3;
const RLC_C: f64 = 1e-6;

fn rlc_exact(t: f64) -> f64 {
    let a = RLC_R / (2.0 * RLC_L);
    let w0 = 1.0 / (RLC_L * RLC_C).sqrt();
    let wd = (w0 * w0 - a * a).sqrt();
    (-a * t).exp() * ((wd * t).cos() + a / wd * (wd * t).sin())
}

/// Series RLC ring-down: `C = 1 uF` at 1 V on node `a`, `L = 1 mH` from `a`
/// to `b`, `R = 10 Ohm` from `b` to ground; underdamped,
/// `v(t) = exp(-at) (cos wd t + a/wd sin wd t)`.
pub fn rlc() -> ReferenceCase {
    let circuit = flat(
        "series RLC ring-down",
        vec![
            el("C1", ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: RLC_C, ic_volt: Some(1.0) }),
            el("L1", ElementKind::Inductor { p: s("a"), n: s("b"), l_henry: RLC_L, ic_amp: Some(0.0) }),
            el("R1", ElementKind::Resistor { p: s("b"), n: s("0"), r_ohm: RLC_R }),
        ],
    );
    ReferenceCase {
        name: "rlc",
        circuit,
        tstop: 1e-3,
        uic: true,
        signal: "a",
        event: None,
        expected_events: Vec::new(),
        isi: 0.0,
        rel_tol_default: 0.0,
        rel_tol_tight: 0.0,
        exact: Some(rlc_exact),
    }
}

fn fhn_elements(v0: f64, il0: f64) -> Vec<Element<f64>> {
    vec![
        el("C1", ElementKind::Capacitor { p: s("v"), n: s("0"), c_farad: 1.0, ic_volt: Some(v0) }),
        el(
            "Rnl",
            ElementKind::NonlinearResistor {
                p: s("v"),
                n: s("0"),
                law: ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
            },
        ),
        el("L1", ElementKind::Inductor { p: s("v"), n: s("m"), l_henry: 12.5, ic_amp: Some(il0) }),
        el("R1", ElementKind::Resistor { p: s("m"), n: s("e"), r_ohm: 0.8 }),
        el("Vbat", ElementKind::VoltageSource { p: s("e"), n: s("0"), waveform: dc(-0.7), dc: None }),
        el("Iext", ElementKind::CurrentSource { p: s("0"), n: s("v"), waveform: dc(0.5), dc: None }),
    ]
}

/// The FitzHugh-Nagumo circuit of theory section 3 (the same elements as
/// `atscale_circuit::builtin::fitzhugh_nagumo`): `v(0) = -1`, `i_L(0) = 1`,
/// ten rising crossings of `v = 1` (hysteresis 0.5) before `t = 400`.
pub fn fitzhugh_nagumo() -> ReferenceCase {
    with_isi(ReferenceCase {
        name: "fitzhugh_nagumo",
        circuit: flat("FitzHugh-Nagumo circuit", fhn_elements(-1.0, 1.0)),
        tstop: 400.0,
        uic: true,
        signal: "v",
        event: Some(EventSpec {
            signal: "v".into(),
            threshold: 1.0,
            hysteresis: 0.5,
            direction: Direction::Rising,
        }),
        expected_events: vec![
            23.275820859,
            62.750235838,
            102.224650818,
            141.699065798,
            181.173480778,
            220.647895759,
            260.122310739,
            299.596725719,
            339.071140699,
            378.54555568,
        ],
        isi: 0.0,
        rel_tol_default: 1e-4,
        rel_tol_tight: 1e-6,
        exact: None,
    })
}

/// The tanh-element spiker: a fast negative tanh conductance acting
/// instantaneously, a unit conductance and a slow positive tanh element of a
/// low-passed voltage (`tau = 20`), biased by `I = -0.7`:
/// `C dv/dt = I - v + 2 tanh(v) - 2 tanh(x_s)`, `20 dx_s/dt = v - x_s`.
pub fn tanh_spiker() -> ReferenceCase {
    let circuit = flat(
        "tanh-element spiker",
        vec![
            el("C1", ElementKind::Capacitor { p: s("v"), n: s("0"), c_farad: 1.0, ic_volt: Some(0.0) }),
            el("G1", ElementKind::Resistor { p: s("v"), n: s("0"), r_ohm: 1.0 }),
            el(
                "Rf",
                ElementKind::NonlinearResistor {
                    p: s("v"),
                    n: s("0"),
                    law: ResistiveLaw::Tanh { alpha: -2.0, delta: 0.0, w: 1.0 },
                },
            ),
            el(
                "Ms",
                ElementKind::Memristive {
                    p: s("v"),
                    n: s("0"),
                    states: vec![Relaxation::Linear { tau_s: 20.0, x0: 0.0 }],
                    law: MemristiveLaw::Tanh { state: 0, alpha: 2.0, delta: 0.0 },
                },
            ),
            el("Iext", ElementKind::CurrentSource { p: s("0"), n: s("v"), waveform: dc(-0.7), dc: None }),
        ],
    );
    with_isi(ReferenceCase {
        name: "tanh_spiker",
        circuit,
        tstop: 200.0,
        uic: true,
        signal: "v",
        event: Some(EventSpec {
            signal: "v".into(),
            threshold: 0.0,
            hysteresis: 0.5,
            direction: Direction::Rising,
        }),
        expected_events: vec![
            21.215659366,
            53.860443752,
            86.505543902,
            119.150644053,
            151.795744205,
            184.440844356,
        ],
        isi: 0.0,
        rel_tol_default: 1e-4,
        rel_tol_tight: 1e-6,
        exact: None,
    })
}

fn v() -> Expr {
    Expr::var("v")
}

/// `a (v + b) / (1 - exp(-(v + b) / c))`.
fn lin_exp(a: f64, b: f64, c: f64) -> Expr {
    a * (v() + b) / (1.0 - (-(v() + b) / c).exp())
}

/// `a exp(-(v + b) / c)`.
fn exp_rate(a: f64, b: f64, c: f64) -> Expr {
    a * (-(v() + b) / c).exp()
}

/// Hodgkin-Huxley squid axon at 6.3 °C and 10 uA/cm², in model units (mV,
/// ms, uA/cm², mS/cm², uF/cm²): sodium and potassium channels as
/// memristive conductances with kinetic gates, a leak conductance with its
/// battery, starting from rest at zero current.
pub fn hodgkin_huxley() -> ReferenceCase {
    let (v0, m0, h0, n0) = (-64.99637933119206, 0.05295508681300811, 0.5959941247398639, 0.31773239976086576);
    let am = lin_exp(0.1, 40.0, 10.0);
    let bm = exp_rate(4.0, 65.0, 18.0);
    let ah = exp_rate(0.07, 65.0, 20.0);
    let bh = 1.0 / (1.0 + (-(v() + 35.0) / 10.0).exp());
    let an = lin_exp(0.01, 55.0, 10.0);
    let bn = exp_rate(0.125, 65.0, 80.0);
    let gate = |state: usize, power: u32| Gate { state, power, logistic: None };
    let circuit = flat(
        "Hodgkin-Huxley membrane",
        vec![
            el("C1", ElementKind::Capacitor { p: s("v"), n: s("0"), c_farad: 1.0, ic_volt: Some(v0) }),
            el(
                "Gna",
                ElementKind::Memristive {
                    p: s("v"),
                    n: s("0"),
                    states: vec![
                        Relaxation::Kinetic { alpha: am, beta: bm, x0: m0 },
                        Relaxation::Kinetic { alpha: ah, beta: bh, x0: h0 },
                    ],
                    law: MemristiveLaw::Gates {
                        gbar: 120.0,
                        e_volt: 50.0,
                        gates: vec![gate(0, 3), gate(1, 1)],
                    },
                },
            ),
            el(
                "Gk",
                ElementKind::Memristive {
                    p: s("v"),
                    n: s("0"),
                    states: vec![Relaxation::Kinetic { alpha: an, beta: bn, x0: n0 }],
                    law: MemristiveLaw::Gates { gbar: 36.0, e_volt: -77.0, gates: vec![gate(0, 4)] },
                },
            ),
            el("Rl", ElementKind::Resistor { p: s("v"), n: s("el"), r_ohm: 1.0 / 0.3 }),
            el("Vl", ElementKind::VoltageSource { p: s("el"), n: s("0"), waveform: dc(-54.387), dc: None }),
            el("Iext", ElementKind::CurrentSource { p: s("0"), n: s("v"), waveform: dc(10.0), dc: None }),
        ],
    );
    with_isi(ReferenceCase {
        name: "hodgkin_huxley",
        circuit,
        tstop: 100.0,
        uic: true,
        signal: "v",
        event: Some(EventSpec {
            signal: "v".into(),
            threshold: 0.0,
            hysteresis: 10.0,
            direction: Direction::Rising,
        }),
        expected_events: vec![
            1.901231541,
            16.822651891,
            31.471887518,
            46.109061818,
            60.745343224,
            75.381558503,
            90.017768884,
        ],
        isi: 0.0,
        rel_tol_default: 1e-4,
        rel_tol_tight: 1e-6,
        exact: None,
    })
}

/// One FitzHugh-Nagumo cell `c{i}` with membrane node `v{i}`. The battery in
/// series with the resistor is written as its Norton equivalent (a resistor
/// to ground and a current source), which keeps every cell's equations
/// local: a network then has no shared battery node.
fn push_cell(els: &mut Vec<Element<f64>>, i: usize, v0: f64, il0: f64) {
    let vn = format!("v{i}");
    let mn = format!("m{i}");
    els.push(el(
        &format!("C{i}"),
        ElementKind::Capacitor { p: vn.clone(), n: s("0"), c_farad: 1.0, ic_volt: Some(v0) },
    ));
    els.push(el(
        &format!("Rnl{i}"),
        ElementKind::NonlinearResistor {
            p: vn.clone(),
            n: s("0"),
            law: ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
        },
    ));
    els.push(el(
        &format!("L{i}"),
        ElementKind::Inductor { p: vn.clone(), n: mn.clone(), l_henry: 12.5, ic_amp: Some(il0) },
    ));
    els.push(el(&format!("R{i}"), ElementKind::Resistor { p: mn.clone(), n: s("0"), r_ohm: 0.8 }));
    // Battery -0.7 V behind 0.8 Ohm = 0.875 A leaving node m.
    els.push(el(
        &format!("Ib{i}"),
        ElementKind::CurrentSource { p: mn, n: s("0"), waveform: dc(0.7 / 0.8), dc: None },
    ));
    els.push(el(
        &format!("Iext{i}"),
        ElementKind::CurrentSource { p: s("0"), n: vn, waveform: dc(0.5), dc: None },
    ));
}

/// Coupling resistance between neighbouring cells of [`fhn_chain`], Ω.
pub const CHAIN_COUPLING_OHM: f64 = 10.0;
/// Coupling resistance of every link of [`fhn_network`], Ω.
pub const NETWORK_COUPLING_OHM: f64 = 20.0;

/// A chain of `n` FitzHugh-Nagumo cells, neighbours coupled by
/// [`CHAIN_COUPLING_OHM`]; cell `i` starts at `v = -1 + 0.5 frac(0.618 i)`,
/// `i_L = 1`. Events: rising crossings of `v0 = 1`.
pub fn fhn_chain(n: usize, tstop: f64) -> ReferenceCase {
    let mut els = Vec::with_capacity(7 * n);
    for i in 0..n {
        let frac = (0.618_033_988_7 * i as f64).fract();
        push_cell(&mut els, i, -1.0 + 0.5 * frac, 1.0);
    }
    for i in 1..n {
        els.push(el(
            &format!("Rc{i}"),
            ElementKind::Resistor { p: format!("v{}", i - 1), n: format!("v{i}"), r_ohm: CHAIN_COUPLING_OHM },
        ));
    }
    ReferenceCase {
        name: "fhn_chain",
        circuit: flat(&format!("chain of {n} FitzHugh-Nagumo cells"), els),
        tstop,
        uic: true,
        signal: "v0",
        event: Some(EventSpec {
            signal: "v0".into(),
            threshold: 1.0,
            hysteresis: 0.5,
            direction: Direction::Rising,
        }),
        expected_events: Vec::new(),
        isi: 39.474414980,
        rel_tol_default: 1e-4,
        rel_tol_tight: 1e-6,
        exact: None,
    }
}

/// A random sparse network of `n` FitzHugh-Nagumo cells: every cell is linked
/// to 4 distinct random others by [`NETWORK_COUPLING_OHM`] resistors (links
/// drawn by `atscale_circuit::random::Rng` from `seed`; a pair already linked is not linked
/// twice). Initial states uniform in `v in [-2, 2]`, `i_L in [-0.5, 1.5]`.
pub fn fhn_network(n: usize, seed: u64, tstop: f64) -> ReferenceCase {
    let mut rng = atscale_circuit::random::Rng::new(seed);
    let mut els = Vec::with_capacity(11 * n);
    for i in 0..n {
        let v0 = -2.0 + 4.0 * rng.uniform();
        let il0 = -0.5 + 2.0 * rng.uniform();
        push_cell(&mut els, i, v0, il0);
    }
    let mut links = std::collections::HashSet::new();
    if n > 4 {
        for i in 0..n {
            let mut made = 0;
            let mut tries = 0;
            while made < 4 && tries < 100 {
                tries += 1;
                let j = rng.below(n);
                if j == i {
                    continue;
                }
                let key = (i.min(j), i.max(j));
                if links.insert(key) {
                    made += 1;
                    els.push(el(
                        &format!("Rk{}_{}", key.0, key.1),
                        ElementKind::Resistor {
                            p: format!("v{}", key.0),
                            n: format!("v{}", key.1),
                            r_ohm: NETWORK_COUPLING_OHM,
                        },
                    ));
                }
            }
        }
    }
    ReferenceCase {
        name: "fhn_network",
        circuit: flat(&format!("random network of {n} FitzHugh-Nagumo cells"), els),
        tstop,
        uic: true,
        signal: "v0",
        event: Some(EventSpec {
            signal: "v0".into(),
            threshold: 1.0,
            hysteresis: 0.5,
            direction: Direction::Rising,
        }),
        expected_events: Vec::new(),
        isi: 39.474414980,
        rel_tol_default: 1e-4,
        rel_tol_tight: 1e-6,
        exact: None,
    }
}

/// The three spiking cases of `events.json`.
pub fn spiking_cases() -> Vec<ReferenceCase> {
    vec![fitzhugh_nagumo(), tanh_spiker(), hodgkin_huxley()]
}

/// Sets `isi` from the expected events.
fn with_isi(mut c: ReferenceCase) -> ReferenceCase {
    c.isi = mean_interval(&c.expected_events);
    c
}

/// The mean interval between expected events (0 with fewer than two).
fn mean_interval(ev: &[f64]) -> f64 {
    match (ev.first(), ev.last()) {
        (Some(a), Some(b)) if ev.len() > 1 => (b - a) / (ev.len() - 1) as f64,
        _ => 0.0,
    }
}
