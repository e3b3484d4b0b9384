//! The reference circuits of `netlists/`, with the analysis each is run with
//! and, for the neurons, the event times of the public reference file.
//!
//! The circuits come from `atscale_sim::reference`, the one public set; this
//! module adds the analysis each netlist is written with, a header, and a
//! hierarchical variant of the tanh spiker. The expected events are read
//! from `data/reference/events.json`, a byte-identical copy of
//! `shared/reference/events.json` (sha256
//! 8fad98e7f25fedee86e25a7649ae2b9439ff0e29a862c3a4b92dad683c849baf; scipy
//! Radau at `rtol = 1e-12`, written by `make_events.py` beside it), never
//! from literals.

use atscale_circuit::{
    Circuit, Element, ElementKind, Expr, Instance, MemristiveLaw, Param, Relaxation, ResistiveLaw, Subckt,
    Value, Waveform,
};
use atscale_spice::{Analysis, Header};
use serde_json::Value as Json;

/// A reference case.
pub struct Case {
    /// File stem in `netlists/`.
    pub name: &'static str,
    pub circuit: Circuit,
    pub analysis: Analysis,
    pub header: Header,
    /// Expected rising crossings, from the reference file.
    pub events: Option<Events>,
}

/// The rising crossings of one case of `events.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Events {
    /// The node whose voltage crosses.
    pub signal: String,
    pub threshold: f64,
    pub hysteresis: f64,
    /// The run's stop time, in the circuit's time unit (ms for Hodgkin-Huxley).
    pub tstop: f64,
    /// The crossing times, in the same unit.
    pub times: Vec<f64>,
}

impl Events {
    /// The mean interval between events (the circuit's time unit): the scale
    /// event errors are measured against.
    pub fn interval(&self) -> f64 {
        let n = self.times.len();
        assert!(n > 1, "{n} events have no interval");
        (self.times[n - 1] - self.times[0]) / (n - 1) as f64
    }
}

/// `data/reference/events.json`.
fn reference_file() -> Json {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spice/data/reference/events.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The events of case `name` in the reference file.
pub fn reference_events(name: &str) -> Events {
    let file = reference_file();
    let case = &file[name];
    let num = |v: &Json, what: &str| {
        v.as_f64().unwrap_or_else(|| panic!("events.json: {name}.{what} is not a number"))
    };
    let event = &case["event"];
    assert_eq!(event["direction"], "rising", "events.json: {name}");
    Events {
        signal: event["signal"]
            .as_str()
            .unwrap_or_else(|| panic!("events.json: {name}.event.signal"))
            .to_string(),
        threshold: num(&event["threshold"], "event.threshold"),
        hysteresis: num(&event["hysteresis"], "event.hysteresis"),
        tstop: num(&case["tstop"], "tstop"),
        times: case["events"]
            .as_array()
            .unwrap_or_else(|| panic!("events.json: {name}.events is not a list"))
            .iter()
            .map(|t| num(t, "events[]"))
            .collect(),
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

fn n(x: f64) -> Value {
    Value::Num(x)
}

fn el(name: &str, kind: ElementKind<Value>) -> Element<Value> {
    Element { name: name.into(), kind }
}

fn header(lines: &[&str]) -> Header {
    Header { lines: lines.iter().map(|l| l.to_string()).collect(), ..Header::default() }
}

/// A case of `atscale_sim::reference` (the one public set of reference
/// circuits), written with a maximum step fine enough for ngspice to meet
/// the events' accuracy: a 4000th of the inter-spike interval, or a 2000th
/// of the run for the linear circuits.
fn from_sim(case: atscale_sim::reference::ReferenceCase, lines: &[&str]) -> Case {
    let tmax = if case.isi > 0.0 { case.isi / 4000.0 } else { case.tstop / 2000.0 };
    let tstep = case.tstop / 1000.0;
    let mut analysis = Analysis::tran_uic(tstep, case.tstop, tmax);
    if let Some(tran) = analysis.tran.as_mut() {
        tran.uic = case.uic;
    }
    let events = case.event.as_ref().map(|_| reference_events(case.name));
    Case { name: case.name, circuit: Circuit::from(case.circuit), analysis, header: header(lines), events }
}

pub fn rc() -> Case {
    from_sim(atscale_sim::reference::rc(), &["RC discharge, tau = R C = 1 ms: v(a) = exp(-t / RC)"])
}

pub fn rlc() -> Case {
    from_sim(atscale_sim::reference::rlc(), &["Series RLC ring-down, underdamped"])
}

pub fn fitzhugh_nagumo() -> Case {
    from_sim(
        atscale_sim::reference::fitzhugh_nagumo(),
        &[
            "Dimensionless FitzHugh-Nagumo: C dv/dt = -(v^3/3 - v) - iL + I, L diL/dt = v + E - R iL",
            "C = 1, L = 12.5, R = 0.8, E = 0.7, I = 0.5; v(0) = -1, iL(0) = 1",
        ],
    )
}

/// The tanh spiker's body, on node `v`, with bias current parameter or number `ibias`.
fn tanh_spiker_elements(ibias: Value) -> Vec<Element<Value>> {
    vec![
        el("C1", ElementKind::Capacitor { p: s("v"), n: s("0"), c_farad: n(1.0), ic_volt: Some(n(0.0)) }),
        el("R1", ElementKind::Resistor { p: s("v"), n: s("0"), r_ohm: n(1.0) }),
        el(
            "Rfast",
            ElementKind::NonlinearResistor {
                p: s("v"),
                n: s("0"),
                law: ResistiveLaw::Tanh { alpha: n(-2.0), delta: n(0.0), w: n(1.0) },
            },
        ),
        el(
            "Gslow",
            ElementKind::Memristive {
                p: s("v"),
                n: s("0"),
                states: vec![Relaxation::Linear { tau_s: n(20.0), x0: n(0.0) }],
                law: MemristiveLaw::Tanh { state: 0, alpha: n(2.0), delta: n(0.0) },
            },
        ),
        el(
            "Ibias",
            ElementKind::CurrentSource {
                p: s("0"),
                n: s("v"),
                waveform: Waveform::Dc { value: ibias },
                dc: None,
            },
        ),
    ]
}

pub fn tanh_spiker() -> Case {
    from_sim(
        atscale_sim::reference::tanh_spiker(),
        &[
            "C dv/dt = I - v - af tanh(v - df) - as tanh(xs - ds), ts dxs/dt = v - xs",
            "C = 1, I = -0.7, af = -2, df = 0, as = 2, ds = 0, ts = 20",
        ],
    )
}

/// The tanh spiker as a subcircuit with a bias parameter, instantiated once
/// with an override: hierarchical export.
pub fn tanh_spiker_subckt() -> Case {
    let tanh = tanh_spiker();
    Case {
        name: "tanh_spiker_subckt",
        circuit: Circuit {
            title: "tanh spiker as a subcircuit with parameters".into(),
            params: vec![Param::new("ib", -0.7)],
            subckts: vec![Subckt {
                name: "spiker".into(),
                ports: vec![s("v")],
                params: vec![Param::new("ibias", 0.0)],
                elements: tanh_spiker_elements(Value::from(Expr::var("ibias"))),
                instances: vec![],
            }],
            instances: vec![Instance {
                name: "X1".into(),
                subckt: "spiker".into(),
                nodes: vec![s("v")],
                params: vec![Param::new("ibias", Value::from(Expr::var("ib")))],
            }],
            ..Circuit::default()
        },
        analysis: tanh.analysis,
        header: header(&["The tanh spiker of tanh_spiker.cir, inside subcircuit `spiker`."]),
        events: tanh.events,
    }
}

pub fn hodgkin_huxley() -> Case {
    from_sim(
        atscale_sim::reference::hodgkin_huxley(),
        &[
            "Cm dv/dt = -gNa m^3 h (v-ENa) - gK n^4 (v-EK) - gL (v-EL) + I, standard 6.3 C rates",
            "Model units: time ms, voltage mV, current uA/cm2, conductance mS/cm2, capacitance uF/cm2",
        ],
    )
}

pub fn all() -> Vec<Case> {
    vec![rc(), rlc(), fitzhugh_nagumo(), tanh_spiker(), tanh_spiker_subckt(), hodgkin_huxley()]
}

/// The spiking cases of `atscale_sim::reference` are those of the reference
/// file: the same event, stop time and crossing times (their literals are
/// copies of the file's).
#[test]
fn sim_reference_cases_match_the_reference_file() {
    let names = ["fitzhugh_nagumo", "tanh_spiker", "hodgkin_huxley"];
    let cases = atscale_sim::reference::spiking_cases();
    assert_eq!(cases.iter().map(|c| c.name).collect::<Vec<_>>(), names);
    for case in cases {
        let file = reference_events(case.name);
        let ev = case.event.as_ref().unwrap_or_else(|| panic!("{}: no event", case.name));
        assert_eq!(
            (ev.signal.as_str(), ev.threshold, ev.hysteresis, case.tstop),
            (file.signal.as_str(), file.threshold, file.hysteresis, file.tstop),
            "{}",
            case.name
        );
        assert_eq!(
            case.expected_events, file.times,
            "{}: atscale-sim's events differ from the file",
            case.name
        );
    }
}
