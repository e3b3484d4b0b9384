//! The Verilog-A modules and the VACASK writer, run in real VACASK.
//!
//! VACASK and openvaf-r are found through `ATSCALE_VACASK` and
//! `ATSCALE_OPENVAF`, else in `<repo>/.venv/atscale/` where
//! `scripts/install-vacask.sh` puts them. When they are missing the tests
//! fail and say how to install them; they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use atscale_circuit::{
    Analysis, Element, ElementKind, Expr, FlatCircuit, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope,
    SoftplusTerm, StateTerm, Waveform,
};
use atscale_spice::vacask::{quoted, write_vacask, VacaskDeck};
use atscale_spice::veriloga::{self, VaModule};
use atscale_spice::Error;
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool(var: &str, file: &str) -> PathBuf {
    let path = match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => repo().join(".venv/atscale").join(file),
    };
    assert!(
        path.exists(),
        "{file} not found at {} (from {var} or <repo>/.venv/atscale/): run scripts/install-vacask.sh \
         (`make vacask`) to install VACASK and openvaf-r into .venv/, or set {var}",
        path.display()
    );
    path
}

fn vacask() -> PathBuf {
    tool("ATSCALE_VACASK", "vacask")
}

fn openvaf() -> PathBuf {
    if std::env::var_os("ATSCALE_OPENVAF").is_none() {
        if let Some(dir) =
            std::fs::canonicalize(vacask()).ok().and_then(|p| p.parent().map(Path::to_path_buf))
        {
            if dir.join("openvaf-r").exists() {
                return dir.join("openvaf-r");
            }
        }
    }
    tool("ATSCALE_OPENVAF", "openvaf-r")
}

/// A scratch folder, removed when it is dropped.
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("atscale-vacask-test-").tempdir().unwrap()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// Compiles every module into `dir`.
fn compile(dir: &Path, modules: &[VaModule]) {
    for m in modules {
        let va = dir.join(format!("{}.va", m.file_stem));
        std::fs::write(&va, &m.source).unwrap();
        let text =
            run(Command::new(openvaf()).arg(&va).current_dir(dir), &format!("openvaf-r {}", va.display()));
        assert!(
            dir.join(format!("{}.osdi", m.file_stem)).exists(),
            "openvaf-r wrote no {}.osdi:\n{text}\n--- source ---\n{}",
            m.file_stem,
            m.source
        );
    }
}

/// Runs VACASK on `netlist` in `dir`; fails unless it wrote `raw`.
fn simulate(dir: &Path, netlist: &str, raw: &str) -> String {
    std::fs::write(dir.join("deck.sim"), netlist).unwrap();
    let text = run(Command::new(vacask()).arg("-qp").arg("deck.sim").current_dir(dir), "vacask");
    assert!(
        dir.join(raw).exists() && !text.contains("failed"),
        "VACASK wrote no {raw} in {}:\n{text}\n--- netlist ---\n{netlist}",
        dir.display()
    );
    text
}

/// An ASCII raw file: vector names and point-major values.
struct Raw {
    names: Vec<String>,
    points: Vec<Vec<f64>>,
}

impl Raw {
    fn read(path: &Path) -> Raw {
        let text = std::fs::read_to_string(path).unwrap();
        let (head, values) = text.split_once("Values:\n").expect("an ASCII raw file");
        let names: Vec<String> = head
            .split_once("Variables:\n")
            .unwrap()
            .1
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .collect();
        let numbers: Vec<f64> =
            values.lines().filter_map(|l| l.split_whitespace().last()).map(|x| x.parse().unwrap()).collect();
        let points = numbers.chunks(names.len()).map(<[f64]>::to_vec).collect();
        Raw { names, points }
    }

    fn column(&self, name: &str) -> Vec<f64> {
        let k = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.names));
        self.points.iter().map(|p| p[k]).collect()
    }
}

/// One law under test: a resistive law, or a memristive element with
/// states (compared at their steady state).
#[derive(Debug, Clone)]
enum Law {
    Resistive(ResistiveLaw<f64>),
    Memristive(Vec<Relaxation<f64>>, MemristiveLaw<f64>),
}

impl Law {
    fn instance(&self, k: usize) -> veriloga::VaInstance {
        let context = format!("law {k}");
        match self {
            Law::Resistive(l) => veriloga::resistive(l, &context).unwrap(),
            Law::Memristive(s, l) => veriloga::memristive(s, l, &context).unwrap(),
        }
    }

    /// atscale's current at a constant branch voltage `v`.
    fn current(&self, v: f64) -> f64 {
        match self {
            Law::Resistive(l) => l.current(v),
            Law::Memristive(states, l) => {
                let x: Vec<f64> = states.iter().map(|s| s.steady_state(v)).collect();
                l.current(v, &x)
            }
        }
    }
}

/// A DC sweep of `volts` across every law at once: law `k` sits between
/// the swept node `a` and `b<k>`, and a 0 V source `m<k>` from `b<k>` to
/// ground carries its current (`m<k>:flow(br)`). Returns, per law, the
/// currents VACASK computed.
fn sweep(laws: &[Law], volts: &[f64]) -> Vec<Vec<f64>> {
    let scratch = scratch();
    let dir = scratch.path();
    let mut modules: Vec<VaModule> = Vec::new();
    let mut cards = Vec::new();
    for (k, law) in laws.iter().enumerate() {
        let inst = law.instance(k);
        let params: Vec<String> = inst.params.iter().map(|(n, v)| format!("{n}={v:e}")).collect();
        cards.push(format!("law{k} (a b{k}) {} {}", inst.module.file_stem, params.join(" ")));
        cards.push(format!("m{k} (b{k} 0) vsrc dc=0"));
        if !modules.iter().any(|m| m.file_stem == inst.module.file_stem) {
            modules.push(inst.module);
        }
    }
    compile(dir, &modules);
    let loads: Vec<String> = modules.iter().map(|m| format!("load \"{}.osdi\"", m.file_stem)).collect();
    let models: Vec<String> = modules.iter().map(|m| format!("model {0} {0}", m.file_stem)).collect();
    let values: Vec<String> = volts.iter().map(|v| format!("{v:e}")).collect();
    let netlist = format!(
        "law sweep\n{}\n{}\nmodel vsrc vsource\nvin (a 0) vsrc dc=0\n{}\ncontrol\n  options rawfile=\"ascii\" reltol=1e-12 abstol=1e-30 vntol=1e-30 nr_conviter=2\n  \
         sweep s1 instance=\"vin\" parameter=\"dc\" values=[{}]\n    analysis dc1 op\nendc\n",
        loads.join("\n"),
        models.join("\n"),
        cards.join("\n"),
        values.join(", ")
    );
    simulate(dir, &netlist, "dc1.raw");
    let raw = Raw::read(&dir.join("dc1.raw"));
    assert_eq!(raw.column("a"), volts, "the swept voltages");
    (0..laws.len()).map(|k| raw.column(&format!("m{k}:flow(br)"))).collect()
}

fn hh_rate(text: &str) -> Expr {
    Expr::parse(text).unwrap()
}

/// One law of every family and shape.
fn every_family() -> Vec<Law> {
    let sp = |w, a, c| SoftplusTerm { w, a, c };
    let lin = |tau_s| Relaxation::Linear { tau_s, x0: 0.0 };
    let kinetic = Relaxation::Kinetic {
        alpha: hh_rate("0.1*(v+0.04)/(1-exp(-(v+0.04)/0.01))"),
        beta: hh_rate("4*exp(-(v+0.065)/0.018)"),
        x0: 0.0,
    };
    vec![
        Law::Resistive(ResistiveLaw::Cubic { a: 1e-3, b: 2e-3 }),
        Law::Resistive(ResistiveLaw::Tanh { alpha: -1e-3, delta: 0.1, w: 0.2 }),
        Law::Resistive(ResistiveLaw::Logistic { alpha: 2e-3, a: -8.0, c: 0.3 }),
        Law::Resistive(ResistiveLaw::Softplus { alpha: 1e-4, a: 12.0, c: -0.2 }),
        Law::Resistive(ResistiveLaw::Glm { g0: 1e-3, terms: vec![sp(0.5, 10.0, 0.2), sp(-1.5, -4.0, -0.3)] }),
        Law::Resistive(ResistiveLaw::Pwl {
            points: vec![(-1.0, -2e-3), (0.0, 1e-3), (0.5, -1e-3), (1.0, 3e-3)],
        }),
        Law::Resistive(ResistiveLaw::Expression {
            expr: Expr::parse(
                "1e-3*(v^3/3 - pwr(v, 2) + exp(v)/(1+v*v) - ln(1+abs(v)) + max(v, 0.1) + u(v))",
            )
            .unwrap(),
        }),
        Law::Memristive(vec![lin(1e-3)], MemristiveLaw::Tanh { state: 0, alpha: 1e-3, delta: 0.2 }),
        Law::Memristive(
            vec![lin(1e-3), kinetic],
            MemristiveLaw::Gates {
                gbar: 1e-3,
                e_volt: 0.05,
                gates: vec![
                    Gate { state: 1, power: 3, logistic: None },
                    Gate { state: 0, power: 2, logistic: Some(Slope { a: 5.0, c: 0.1 }) },
                ],
            },
        ),
        Law::Memristive(
            vec![lin(2e-3), lin(5e-3)],
            MemristiveLaw::Glm {
                gbar: 2e-3,
                e_volt: -0.1,
                terms: vec![
                    StateTerm { state: 0, w: 0.7, a: 6.0, c: 0.0 },
                    StateTerm { state: 1, w: -0.3, a: -3.0, c: 0.2 },
                ],
            },
        ),
    ]
}

/// Largest |vacask - atscale| / (|atscale| + floor) over every law and voltage.
fn worst_error(laws: &[Law], volts: &[f64], floor: f64) -> (f64, String) {
    let got = sweep(laws, volts);
    let mut worst = (0.0, String::new());
    for (k, law) in laws.iter().enumerate() {
        for (j, &v) in volts.iter().enumerate() {
            let want = law.current(v);
            let err = (got[k][j] - want).abs() / (want.abs() + floor);
            if err > worst.0 || err.is_nan() {
                worst =
                    (err, format!("law {k} {law:?} at v = {v} V: VACASK {} A, atscale {want} A", got[k][j]));
            }
        }
    }
    worst
}

/// Absolute floor of the current comparison, A: a law's current passes
/// through zero, where no relative error is defined. 1e-18 A is 1e-15 of
/// the mA currents here and far above the sweep's Newton tolerances
/// (`reltol=1e-12 abstol=1e-30` and `nr_conviter=2`, one more Newton
/// iteration after convergence, so no current lags one linearisation
/// behind: without it errors of 7e-13 were seen, and `reltol=1e-14` made
/// Newton fail in 1 of 24 cases).
const FLOOR_A: f64 = 1e-18;

/// Relative agreement of VACASK's currents with atscale's law evaluation
/// for the fixed set of every family: measured worst 5.2e-16; 10x margin.
/// The issue asks for 1e-9.
const FAMILY_REL_TOL: f64 = 5e-15;

/// The same for random laws: measured worst 7.0e-15 over 8 runs of 12
/// cases of 7 laws at 5 voltages; 10x margin.
const RANDOM_REL_TOL: f64 = 7e-14;

#[test]
fn every_law_family_compiles_and_runs_in_vacask() {
    let laws = every_family();
    let volts = [-1.5, -0.7, -0.3, -0.05, 0.0, 0.13, 0.5, 0.9, 1.6];
    // The fixed part of the library compiles on its own too.
    let library = veriloga::fixed_modules();
    assert_eq!(library.len(), 4, "cubic, tanh, logistic, softplus");
    compile(scratch().path(), &library);
    let (err, at) = worst_error(&laws, &volts, FLOOR_A);
    eprintln!("every family: worst relative error {err:e}: {at}");
    assert!(err <= FAMILY_REL_TOL, "worst relative error {err:e}: {at}");
}

fn term() -> impl Strategy<Value = SoftplusTerm<f64>> {
    (-2.0..2.0f64, -20.0..20.0f64, -1.0..1.0f64).prop_map(|(w, a, c)| SoftplusTerm { w, a, c })
}

fn resistive_law() -> impl Strategy<Value = ResistiveLaw<f64>> {
    let scale = prop_oneof![-1e-2..-1e-6f64, 1e-6..1e-2f64];
    prop_oneof![
        (scale.clone(), scale.clone()).prop_map(|(a, b)| ResistiveLaw::Cubic { a, b }),
        (scale.clone(), -0.5..0.5f64, 0.01..1.0f64).prop_map(|(alpha, delta, w)| ResistiveLaw::Tanh {
            alpha,
            delta,
            w
        }),
        (scale.clone(), prop_oneof![-30.0..-0.1f64, 0.1..30.0f64], -1.0..1.0f64)
            .prop_map(|(alpha, a, c)| ResistiveLaw::Logistic { alpha, a, c }),
        (scale.clone(), prop_oneof![-30.0..-0.1f64, 0.1..30.0f64], -1.0..1.0f64)
            .prop_map(|(alpha, a, c)| ResistiveLaw::Softplus { alpha, a, c }),
        (scale.clone(), proptest::collection::vec(term(), 0..4))
            .prop_map(|(g0, terms)| ResistiveLaw::Glm { g0, terms }),
        (proptest::collection::vec((0.05..1.0f64, scale), 2..6)).prop_map(|steps| {
            let mut v = -1.2;
            let points = steps
                .into_iter()
                .map(|(dv, i)| {
                    v += dv;
                    (v, i)
                })
                .collect();
            ResistiveLaw::Pwl { points }
        }),
    ]
}

fn memristive_law() -> impl Strategy<Value = Law> {
    let states = proptest::collection::vec(1e-4..1e-1f64, 1..3);
    (
        states,
        1e-6..1e-2f64,
        -0.5..0.5f64,
        proptest::collection::vec((0usize..3, 1u32..4, -10.0..10.0f64), 1..3),
    )
        .prop_map(|(taus, g, e, gates)| {
            let n = taus.len();
            let states = taus.into_iter().map(|tau_s| Relaxation::Linear { tau_s, x0: 0.0 }).collect();
            let gates = gates
                .into_iter()
                .map(|(s, power, a)| Gate { state: s % n, power, logistic: Some(Slope { a, c: 0.1 }) })
                .collect();
            Law::Memristive(states, MemristiveLaw::Gates { gbar: g, e_volt: e, gates })
        })
}

proptest! {
    // Each case is one VACASK run (compile + sweep, about 0.3 s in debug).
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_laws_agree_with_atscale_in_a_vacask_dc_sweep(
        laws in proptest::collection::vec(resistive_law(), 6),
        mem in memristive_law(),
        volts in proptest::collection::vec(-1.5..1.5f64, 5),
    ) {
        // VACASK's ASCII raw file prints 16 significant digits: voltages
        // with 13 read back exactly.
        let volts: Vec<f64> = volts.iter().map(|v| format!("{v:.12e}").parse().unwrap()).collect();
        let mut laws: Vec<Law> = laws.into_iter().map(Law::Resistive).collect();
        laws.push(mem);
        let (err, at) = worst_error(&laws, &volts, FLOOR_A);
        eprintln!("random laws: worst relative error {err:e}: {at}");
        prop_assert!(err <= RANDOM_REL_TOL, "worst relative error {:e}: {}", err, at);
    }
}

// ---------------------------------------------------------------------------
// The writer

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.to_string(), kind }
}

fn rc(name_r: &str, node: &str) -> FlatCircuit {
    let pulse = Waveform::Pulse {
        v1: 0.0,
        v2: 1.0,
        td: Some(1e-4),
        tr: Some(1e-6),
        tf: Some(1e-6),
        pw: Some(1.0),
        per: Some(3.0),
        np: None,
    };
    FlatCircuit {
        title: "RC step".into(),
        models: vec![],
        elements: vec![
            el("V1", ElementKind::VoltageSource { p: "in".into(), n: "0".into(), waveform: pulse, dc: None }),
            el(name_r, ElementKind::Resistor { p: "in".into(), n: node.into(), r_ohm: 1e3 }),
            el("C1", ElementKind::Capacitor { p: node.into(), n: "0".into(), c_farad: 1e-6, ic_volt: None }),
        ],
    }
}

fn run_deck(deck: &VacaskDeck) -> Raw {
    let scratch = scratch();
    let dir = scratch.path();
    compile(dir, &deck.modules);
    let netlist = deck.netlist.replace("  options ", "  options rawfile=\"ascii\" ");
    simulate(dir, &netlist, "tran1.raw");
    Raw::read(&dir.join("tran1.raw"))
}

/// The RC step response against its closed form: the written sources,
/// elements, options and tran card run and mean what ngspice's would.
#[test]
fn an_rc_step_written_for_vacask_follows_the_closed_form() {
    let mut analysis = Analysis::tran_uic(1e-6, 3e-3, 2e-6);
    analysis.tran.as_mut().unwrap().uic = false;
    analysis.options.reltol = Some(1e-6);
    analysis.options.method = Some(atscale_circuit::Method::Gear);
    let deck = write_vacask(&rc("R1", "out"), &analysis).unwrap();
    let raw = run_deck(&deck);
    let (t, v) = (raw.column("time"), raw.column("out"));
    let tau = 1e-3;
    let mut worst: f64 = 0.0;
    for (t, v) in t.iter().zip(&v) {
        // The ramp lasts 1 µs: exact response of RC to a ramp, then the step.
        let want = ramp_response(t - 1e-4, 1e-6, tau);
        worst = worst.max((v - want).abs());
    }
    eprintln!("RC step: worst |v - closed form| {worst:e} V");
    // measured 3.4e-5 V, one gear step over the 1 µs ramp (gear2, reltol
    // 1e-6, maxstep 2 µs), decaying with tau after it; 3x margin
    assert!(worst < 1e-4, "worst |v - closed form| {worst:e} V\n{}", deck.netlist);
    let i = raw.column("V1:flow(br)");
    let k = t.iter().position(|&x| x > 2e-3).unwrap();
    let want = -(1.0 - v[k]) / 1e3;
    // Ohm's law at one point: the current of the source from p through it to n.
    assert!((i[k] - want).abs() < 1e-12, "i(V1) {} A, want {want} A", i[k]);
}

/// RC response to a ramp of duration `tr` from 0 to 1 starting at 0.
fn ramp_response(t: f64, tr: f64, tau: f64) -> f64 {
    let ramp = |t: f64| if t <= 0.0 { 0.0 } else { (t - tau * (1.0 - (-t / tau).exp())) / tr };
    ramp(t) - ramp(t - tr)
}

/// A memristive element's state starts at its `x0` under `uic` (the `ic`
/// list reaches the module's internal node) and relaxes as `tau dx/dt = v - x`.
#[test]
fn a_memristive_state_starts_at_x0_and_relaxes_in_vacask() {
    let circuit = FlatCircuit {
        title: "relaxation".into(),
        models: vec![],
        elements: vec![
            el(
                "V1",
                ElementKind::VoltageSource {
                    p: "a".into(),
                    n: "0".into(),
                    waveform: Waveform::Dc { value: 0.5 },
                    dc: None,
                },
            ),
            el(
                "M1",
                ElementKind::Memristive {
                    p: "a".into(),
                    n: "0".into(),
                    states: vec![Relaxation::Linear { tau_s: 1e-3, x0: -0.5 }],
                    law: MemristiveLaw::Tanh { state: 0, alpha: 1e-3, delta: 0.0 },
                },
            ),
        ],
    };
    let mut analysis = Analysis::tran_uic(1e-5, 2e-3, 1e-6);
    analysis.options.reltol = Some(1e-6);
    let raw = run_deck(&write_vacask(&circuit, &analysis).unwrap());
    let (t, x) = (raw.column("time"), raw.column("M1:x0"));
    let mut worst: f64 = 0.0;
    for (t, x) in t.iter().zip(&x) {
        worst = worst.max((x - (0.5 - (-t / 1e-3).exp())).abs());
    }
    eprintln!("relaxation: worst |x - closed form| {worst:e}");
    // measured 9.4e-8 (trap, reltol 1e-6, maxstep 1 µs); 5x margin
    assert!(worst < 5e-7, "worst |x - (0.5 - e^(-t/tau))| {worst:e}");
}

#[test]
fn names_that_could_break_out_of_a_quote_or_line_are_refused() {
    let analysis = Analysis::tran_uic(1e-6, 1e-3, 1e-6);
    for bad in ["r'1", "r\n1", "r//1", "r*)1", "r 1", "x:flow(br)", "r\"1", ""] {
        match write_vacask(&rc(bad, "out"), &analysis) {
            Err(Error::UnsafeName { what: "element", name, .. }) => assert_eq!(name, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
        match write_vacask(&rc("R1", bad), &analysis) {
            Err(Error::UnsafeName { what: "node", .. }) => {}
            other if bad.is_empty() => drop(other),
            other => panic!("node {bad:?}: {other:?}"),
        }
    }
    // Names VACASK reads as keywords at the start of a line are quoted.
    let deck = write_vacask(&rc("model", "control"), &analysis).unwrap();
    assert!(deck.netlist.contains("'model' ('in' 'control') atscale_r r=1e3"), "{}", deck.netlist);
    assert_eq!(quoted("node", "x1.n$2").unwrap(), "'x1.n$2'");
}

#[test]
fn law_expressions_may_read_only_v_with_ngspice_meaning() {
    for (text, why) in [
        ("module*v", "variable `module`"),
        ("begin + v", "variable `begin`"),
        ("v(a)*2", "a law may read only"),
        ("time*v", "`time`"),
        ("!v", "operator `!`"),
        ("sin(v)", "function `sin`"),
        ("nint(v)", "function `nint`"),
    ] {
        let law = ResistiveLaw::Expression { expr: Expr::parse(text).unwrap() };
        let err = veriloga::resistive(&law, "nonlinear resistor `B1`").unwrap_err().to_string();
        assert!(err.contains(why) && err.contains("`B1`"), "{text}: {err}");
    }
    let law = ResistiveLaw::Expression { expr: Expr::parse("v^3 - 2/v").unwrap() };
    let src = veriloga::resistive(&law, "x").unwrap().module.source;
    assert!(src.contains("pow(abs(vb), 3e0)") && src.contains("atscale_div(2e0, vb)"), "{src}");
}

#[test]
fn elements_and_waveforms_vacask_cannot_take_are_refused_by_name() {
    let analysis = Analysis::tran_uic(1e-6, 1e-3, 1e-6);
    let with_source = |w: Waveform<f64>| {
        let mut c = rc("R1", "out");
        c.elements[0].kind =
            ElementKind::VoltageSource { p: "in".into(), n: "0".into(), waveform: w, dc: None };
        write_vacask(&c, &analysis).unwrap_err().to_string()
    };
    let sin = Waveform::Sin { vo: 0.0, va: 1.0, freq: Some(1e3), td: None, theta: None, phase: Some(30.0) };
    assert!(with_source(sin).contains("voltage source `V1`"), "sine phase");
    let pwl = Waveform::Pwl { points: vec![(0.0, 0.0), (1e-4, 1.0), (1e-4, 2.0)] };
    assert!(with_source(pwl).contains("strictly increasing"));
    let pulse = Waveform::Pulse {
        v1: 0.0,
        v2: 1.0,
        td: None,
        tr: None,
        tf: None,
        pw: None,
        per: None,
        np: Some(2.0),
    };
    assert!(with_source(pulse).contains("pulse count"));
    // A Gummel-Poon transistor is written (tests/e2e/vacask.rs runs it);
    // OFF, a parameter sp_bjt does not read, and other levels are refused.
    let bjt = |off: bool, level: u32, param: &str| {
        let mut c = rc("R1", "out");
        let params = std::collections::BTreeMap::from([(param.to_string(), 1.0)]);
        c.models.push(atscale_circuit::Model {
            name: "qx".into(),
            kind: atscale_circuit::ModelKind::Npn(atscale_circuit::BjtParams { level, params }),
        });
        c.elements.push(el(
            "Q1",
            ElementKind::Bjt {
                c: "out".into(),
                b: "in".into(),
                e: "0".into(),
                sub: None,
                model: "qx".into(),
                area: None,
                m: None,
                off,
                ic_volt: vec![],
            },
        ));
        write_vacask(&c, &analysis).map(|d| d.netlist).map_err(|e| e.to_string())
    };
    let ok = bjt(false, 1, "bf").expect("a Gummel-Poon transistor is written");
    assert!(ok.contains("'Q1' ('out' 'in' 0 0) 'model.qx'"), "{ok}");
    assert!(ok.contains("model 'model.qx' sp_bjt type=1 bf=1"), "{ok}");
    let err = bjt(true, 1, "bf").unwrap_err();
    assert!(err.contains("bipolar transistor `Q1`") && err.contains("OFF"), "{err}");
    let err = bjt(false, 4, "bf").unwrap_err();
    assert!(err.contains("bipolar level 4"), "{err}");
    let err = bjt(false, 1, "xyz").unwrap_err();
    assert!(err.contains("`xyz` is not translated"), "{err}");
    let mut a = analysis.clone();
    a.options.other.push(("itl4".into(), Some("100".into())));
    let err = write_vacask(&rc("R1", "out"), &a).unwrap_err().to_string();
    assert!(err.contains(".options itl4"), "{err}");
}

/// Under `uic` an inductor starts with its `IC=` current (the `ic` list
/// names VACASK's branch unknown `L1:flow(br)`) and decays through R as
/// `i(t) = i0 e^{-t R/L}`; `i(L1)` reads back as `L1:flow(br)`.
#[test]
fn an_inductor_current_starts_at_its_ic_in_vacask() {
    let circuit = FlatCircuit {
        title: "LR decay".into(),
        models: vec![],
        elements: vec![
            el(
                "L1",
                ElementKind::Inductor { p: "a".into(), n: "0".into(), l_henry: 1e-3, ic_amp: Some(2e-3) },
            ),
            el("R1", ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: 1.0 }),
        ],
    };
    let mut analysis = Analysis::tran_uic(1e-5, 3e-3, 1e-6);
    analysis.options.reltol = Some(1e-6);
    let raw = run_deck(&write_vacask(&circuit, &analysis).unwrap());
    let (t, i, v) = (raw.column("time"), raw.column("L1:flow(br)"), raw.column("a"));
    let mut worst: f64 = 0.0;
    for ((t, i), v) in t.iter().zip(&i).zip(&v) {
        let want = 2e-3 * (-t / 1e-3).exp();
        worst = worst.max((i - want).abs() / 2e-3);
        if *t > 0.0 {
            // The current flows from a through L1 to ground and back through R1.
            assert!((v + i * 1.0).abs() < 1e-15, "v(a) {v} V, i(L1) {i} A at {t} s");
        }
    }
    eprintln!("LR decay: worst |i - closed form| / i0 {worst:e}");
    // measured 9.4e-8 of i0 (trap, reltol 1e-6, maxstep 1 µs); 5x margin
    assert!(worst < 5e-7, "worst |i - i0 e^(-t/tau)| / i0 = {worst:e}");
}

/// A source ramping `v(a)` from `v0` to `v1` over 1 ms, across `device`.
fn ramp_deck(
    device: Element<f64>,
    models: Vec<atscale_circuit::Model<f64>>,
    (v0, v1): (f64, f64),
    abstol: f64,
) -> Raw {
    let ramp = Waveform::Pwl { points: vec![(0.0, v0), (1e-3, v1)] };
    let circuit = FlatCircuit {
        title: "device ramp".into(),
        models,
        elements: vec![
            el("V1", ElementKind::VoltageSource { p: "a".into(), n: "0".into(), waveform: ramp, dc: None }),
            device,
        ],
    };
    let mut analysis = Analysis::tran_uic(1e-5, 1e-3, 1e-5);
    analysis.tran.as_mut().unwrap().uic = false;
    // Tight Newton tolerances: the currents are compared down to 1e-13 A.
    analysis.options.reltol = Some(1e-10);
    analysis.options.abstol = Some(abstol);
    run_deck(&write_vacask(&circuit, &analysis).unwrap())
}

/// The relative error of `got` beyond `abstol`, the absolute current
/// tolerance VACASK's Newton iteration was given (currents below it are
/// not resolved: one point 5 nV above a MOSFET's threshold is off by
/// 6.5e-21 A with abstol 1e-18 A).
fn beyond_abstol(got: f64, want: f64, abstol: f64) -> f64 {
    let excess = ((got - want).abs() - abstol).max(0.0);
    if excess == 0.0 {
        0.0
    } else {
        excess / want.abs()
    }
}

/// ngspice's thermal voltage at 27 °C: `CONSTKoverQ * 300.15` with
/// ngspice 39's `CONSTboltz = 1.38064852e-23` and `CHARGE = 1.6021766208e-19`.
const VT_NGSPICE: f64 = 1.38064852e-23 / 1.6021766208e-19 * 300.15;

/// ngspice 39's diode current (`dioload.c`, no breakdown, no series
/// resistance) at `vd`, for saturation current `csat` and `vte = N vt`:
/// Shockley's law above `-3 vte`, ngspice's cubic reverse tail below it,
/// plus gmin (1e-12 S).
fn ngspice_diode(vd: f64, csat: f64, vte: f64) -> f64 {
    let id = if vd >= -3.0 * vte {
        csat * ((vd / vte).exp() - 1.0)
    } else {
        let arg = 3.0 * vte / (vd * std::f64::consts::E);
        -csat * (1.0 + arg * arg * arg)
    };
    id + 1e-12 * vd
}

/// A diode (`sp_diode`, ngspice's diode in Verilog-A) against ngspice's
/// diode equations with ngspice's gmin and thermal voltage.
#[test]
fn a_diode_written_for_vacask_follows_shockley_with_ngspice_constants() {
    let mut params: atscale_circuit::DiodeParams<f64> =
        serde_json::from_str("{}").expect("every diode parameter is optional");
    params.is = Some(1e-14);
    params.n = Some(1.5);
    let model = atscale_circuit::Model { name: "dx".into(), kind: atscale_circuit::ModelKind::Diode(params) };
    let diode =
        el("D1", ElementKind::Diode { p: "a".into(), n: "0".into(), model: "dx".into(), area: Some(2.0) });
    let raw = ramp_deck(diode, vec![model], (-1.0, 0.8), 1e-22);
    let (v, i) = (raw.column("a"), raw.column("V1:flow(br)"));
    let mut worst: f64 = 0.0;
    for (v, i) in v.iter().zip(&i) {
        let want = ngspice_diode(*v, 2.0 * 1e-14, 1.5 * VT_NGSPICE);
        worst = worst.max(beyond_abstol(-i, want, 1e-22));
    }
    eprintln!("diode: worst relative error {worst:e}");
    // measured 8.2e-11 (reltol 1e-10, abstol 1e-22), at the smallest
    // currents; 6x margin. Other physical constants would show as 1e-6.
    assert!(worst < 5e-10, "worst relative error {worst:e}");
}

/// A diode-connected level-1 NMOS (`sp_mos1`) against ngspice's
/// Shichman-Hodges saturation current `kp/2 W/L (vgs - vto)^2 (1 + lambda
/// vds)` plus its reverse-biased bulk-drain junction (`is = 1e-14`, gmin)
/// as ngspice 39's `mos1load.c` computes them.
#[test]
fn a_level1_mosfet_written_for_vacask_follows_shichman_hodges() {
    let mut params: atscale_circuit::MosParams<f64> =
        serde_json::from_str(r#"{"level": 1}"#).expect("level is the only required MOSFET parameter");
    params.vto = Some(0.7);
    params.kp = Some(1e-4);
    params.lambda = Some(0.02);
    let model = atscale_circuit::Model { name: "nx".into(), kind: atscale_circuit::ModelKind::Nmos(params) };
    let mos = el(
        "M1",
        ElementKind::Mosfet {
            d: "a".into(),
            g: "a".into(),
            s: "0".into(),
            b: "0".into(),
            model: "nx".into(),
            w_m: 10e-6,
            l_m: 2e-6,
            instance: atscale_circuit::MosInstance { ad_m2: Some(0.0), ..Default::default() },
        },
    );
    // abstol 1e-22 stops VACASK ("timestep too small") below threshold.
    let raw = ramp_deck(mos, vec![model], (0.0, 1.5), 1e-18);
    let (v, i) = (raw.column("a"), raw.column("V1:flow(br)"));
    let mut worst: f64 = 0.0;
    for (v, i) in v.iter().zip(&i) {
        let vgst = v - 0.7;
        let channel = if vgst > 0.0 { 1e-4 * 10.0 / 2.0 * vgst * vgst * 0.5 * (1.0 + 0.02 * v) } else { 0.0 };
        // ngspice's mos1load.c: below -3 vt the junction is -is + gmin v.
        let vbd = -v;
        let cbd = if vbd <= -3.0 * VT_NGSPICE {
            -1e-14 + 1e-12 * vbd
        } else {
            1e-14 * ((vbd / VT_NGSPICE).exp() - 1.0) + 1e-12 * vbd
        };
        let want = channel - cbd;
        worst = worst.max(beyond_abstol(-i, want, 1e-18));
    }
    eprintln!("mos1: worst relative error {worst:e}");
    // measured 5.7e-11 (reltol 1e-10) near the largest currents; 9x margin
    assert!(worst < 5e-10, "worst relative error {worst:e}");
}

/// atscale's value of `expr` at node voltages `nodes` (name, volts) and `time`.
fn atscale_value(expr: &Expr, nodes: &[(&str, f64)], time: f64) -> f64 {
    let mut resolve = |input: atscale_circuit::expr::Input<'_>| match input {
        atscale_circuit::expr::Input::Node(n) => {
            Ok(nodes.iter().position(|(m, _)| m.eq_ignore_ascii_case(n)))
        }
        other => Err(format!("{other:?}")),
    };
    let compiled = atscale_circuit::expr::CompiledExpr::compile(expr, &mut resolve).unwrap();
    let x: Vec<f64> = nodes.iter().map(|(_, v)| *v).collect();
    compiled.value(&x, time, &mut compiled.workspace())
}

/// Behavioural current and voltage sources reading node voltages and
/// `time` (with a comparison, a ternary and `pwr`) against atscale's
/// evaluation of the same expressions at VACASK's node voltages.
#[test]
fn behavioural_sources_written_for_vacask_follow_their_expressions() {
    let current = Expr::parse(
        "1e-3*tanh(v(a)/0.3) + (v(a) > 0.5 ? v(a) - 0.5 : 0)*1e-3 + 1e-4*time/1e-3 + v(a,out)*1e-5",
    )
    .unwrap();
    let voltage = Expr::parse("2*V(A) - 0.5*pwr(v(a), 3) + exp(-v(a)/0.2)/(1 + v(a)*v(a))").unwrap();
    let ramp = Waveform::Pwl { points: vec![(0.0, -1.0), (1e-3, 1.0)] };
    let circuit = FlatCircuit {
        title: "behavioural".into(),
        models: vec![],
        elements: vec![
            el("V1", ElementKind::VoltageSource { p: "a".into(), n: "0".into(), waveform: ramp, dc: None }),
            el(
                "B1",
                ElementKind::BehaviouralCurrent { p: "0".into(), n: "out".into(), expr: current.clone() },
            ),
            el("R1", ElementKind::Resistor { p: "out".into(), n: "0".into(), r_ohm: 1e3 }),
            el("B2", ElementKind::BehaviouralVoltage { p: "c".into(), n: "0".into(), expr: voltage.clone() }),
            el("R2", ElementKind::Resistor { p: "c".into(), n: "0".into(), r_ohm: 1e3 }),
        ],
    };
    let mut analysis = Analysis::tran_uic(1e-5, 1e-3, 1e-5);
    analysis.tran.as_mut().unwrap().uic = false;
    analysis.options.reltol = Some(1e-10);
    analysis.options.abstol = Some(1e-18);
    let raw = run_deck(&write_vacask(&circuit, &analysis).unwrap());
    let (t, a, out, c) = (raw.column("time"), raw.column("a"), raw.column("out"), raw.column("c"));
    let (mut worst_i, mut worst_v): (f64, f64) = (0.0, 0.0);
    for k in 0..t.len() {
        let nodes = [("a", a[k]), ("out", out[k])];
        let want_i = atscale_value(&current, &nodes, t[k]);
        worst_i = worst_i.max((out[k] / 1e3 - want_i).abs() / want_i.abs().max(1e-6));
        let want_v = atscale_value(&voltage, &nodes, t[k]);
        worst_v = worst_v.max((c[k] - want_v).abs() / want_v.abs().max(1e-3));
    }
    eprintln!("behavioural: worst relative error {worst_i:e} (current), {worst_v:e} (voltage)");
    // measured 2.7e-14 (current, relative to at least 1 µA) and 8.8e-16
    // (voltage, relative to at least 1 mV) at reltol 1e-10; 7x and 6x margins
    assert!(worst_i < 2e-13 && worst_v < 5e-15, "current {worst_i:e}, voltage {worst_v:e}");
}

/// Every source shape written for VACASK, ngspice's defaults resolved,
/// against atscale's `Waveform::value` (ngspice 39's semantics) at VACASK's
/// time points: one voltage source per shape, each across a resistor, and
/// a current source into a resistor (its SPICE direction).
#[test]
fn sources_written_for_vacask_follow_ngspice_waveforms() {
    let (tstep, tstop) = (1e-5, 2e-3);
    let shapes = [
        Waveform::Pulse {
            v1: -1.0,
            v2: 2.0,
            td: Some(1e-4),
            tr: None,
            tf: Some(3e-5),
            pw: Some(2e-4),
            per: Some(7e-4),
            np: None,
        },
        Waveform::Pulse {
            v1: 0.5,
            v2: -0.5,
            td: Some(-2e-4),
            tr: Some(1e-4),
            tf: Some(5e-5),
            pw: Some(1e-4),
            per: Some(5e-4),
            np: None,
        },
        Waveform::Sin { vo: 0.2, va: 1.5, freq: None, td: Some(3e-4), theta: Some(500.0), phase: None },
        Waveform::Sin { vo: 0.0, va: 1.0, freq: Some(3e3), td: None, theta: None, phase: Some(0.0) },
        Waveform::Exp {
            v1: -0.5,
            v2: 1.0,
            td1: Some(2e-4),
            tau1: Some(1e-4),
            td2: Some(9e-4),
            tau2: Some(3e-4),
        },
        Waveform::Exp { v1: 0.0, v2: 1.0, td1: None, tau1: None, td2: None, tau2: None },
        Waveform::Pwl { points: vec![(1e-4, 1.0), (3e-4, -2.0), (3.5e-4, 0.5), (1.5e-3, 0.25)] },
    ];
    let mut elements = Vec::new();
    for (k, w) in shapes.iter().enumerate() {
        let node = format!("s{k}");
        elements.push(el(
            &format!("V{k}"),
            ElementKind::VoltageSource { p: node.clone(), n: "0".into(), waveform: w.clone(), dc: None },
        ));
        elements.push(el(&format!("R{k}"), ElementKind::Resistor { p: node, n: "0".into(), r_ohm: 1e3 }));
    }
    elements.push(el(
        "I1",
        ElementKind::CurrentSource { p: "0".into(), n: "i".into(), waveform: shapes[0].clone(), dc: None },
    ));
    elements.push(el("RI", ElementKind::Resistor { p: "i".into(), n: "0".into(), r_ohm: 1.0 }));
    let circuit = FlatCircuit { title: "sources".into(), models: vec![], elements };
    let mut analysis = Analysis::tran_uic(tstep, tstop, 1e-6);
    analysis.tran.as_mut().unwrap().uic = false;
    let raw = run_deck(&write_vacask(&circuit, &analysis).unwrap());
    let timing = atscale_circuit::TranTiming { tstep, tstop };
    let t = raw.column("time");
    let mut worst: f64 = 0.0;
    for (k, w) in shapes.iter().enumerate() {
        for (t, v) in t.iter().zip(raw.column(&format!("s{k}"))) {
            let err = (v - w.value(*t, &timing)).abs();
            assert!(
                err < 1e-12,
                "source {k} {w:?} at {t} s: VACASK {v} V, atscale {} V",
                w.value(*t, &timing)
            );
            worst = worst.max(err);
        }
    }
    for (t, v) in t.iter().zip(raw.column("i")) {
        worst = worst.max((v - shapes[0].value(*t, &timing)).abs());
    }
    eprintln!("sources: worst |v - waveform| {worst:e} V");
    // measured 1.3e-13 V (rounding in the ramps and exponentials); 7x margin
    assert!(worst < 1e-12, "worst {worst:e} V");
}

/// `.ic` without `uic`: as in ngspice, the operating point holds the node
/// at its `.ic` voltage, then the transient releases it (RC charging from
/// 0.5 V to 1 V: `1 - 0.5 e^{-t/RC}`).
#[test]
fn an_ic_without_uic_holds_the_operating_point_in_vacask() {
    let mut circuit = rc("R1", "out");
    circuit.elements[0].kind = ElementKind::VoltageSource {
        p: "in".into(),
        n: "0".into(),
        waveform: Waveform::Dc { value: 1.0 },
        dc: None,
    };
    let mut analysis = Analysis::tran_uic(1e-5, 3e-3, 1e-6);
    analysis.tran.as_mut().unwrap().uic = false;
    analysis.options.reltol = Some(1e-6);
    analysis.ic.push(("OUT".into(), 0.5));
    let raw = run_deck(&write_vacask(&circuit, &analysis).unwrap());
    let (t, v) = (raw.column("time"), raw.column("out"));
    let mut worst: f64 = 0.0;
    for (t, v) in t.iter().zip(&v) {
        worst = worst.max((v - (1.0 - 0.5 * (-t / 1e-3).exp())).abs());
    }
    eprintln!(".ic: worst |v - closed form| {worst:e} V");
    // measured 4.7e-8 V (trap, reltol 1e-6, maxstep 1 µs; the node held by a
    // source for the operating point; 5.0e-6 V at t = 0 with VACASK's own
    // hold, `ic` at its default nr_force); 6x margin
    assert!(worst < 3e-7, "worst |v - (1 - 0.5 e^(-t/tau))| = {worst:e} V");
}
