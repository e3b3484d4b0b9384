//! Operating points, including ones that need gmin or source stepping.

use atscale_circuit::{
    DiodeParams, Element, ElementKind, FlatCircuit, Model, ModelKind, MosParams, Waveform,
};
use atscale_sim::Simulation;

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.to_string(), kind }
}

fn vdc(p: &str, n: &str, v: f64) -> ElementKind<f64> {
    ElementKind::VoltageSource { p: p.into(), n: n.into(), waveform: Waveform::Dc { value: v }, dc: None }
}

#[test]
fn resistive_divider() {
    let c = FlatCircuit {
        title: "divider".into(),
        models: vec![],
        elements: vec![
            el("V1", vdc("a", "0", 10.0)),
            el("R1", ElementKind::Resistor { p: "a".into(), n: "b".into(), r_ohm: 1e3 }),
            el("R2", ElementKind::Resistor { p: "b".into(), n: "0".into(), r_ohm: 3e3 }),
        ],
    };
    let op = Simulation::new(&c).unwrap().operating_point().unwrap();
    // Measured exactly 0 for both: the bounds are a few ulp (1e-14 is 11 ulp of
    // 7.5 V, 1e-17 A is 23 ulp of 2.5 mA) for another order of the same sums.
    assert!((op.get("b").unwrap() - 7.5).abs() < 1e-14);
    assert!((op.get("i(V1)").unwrap() + 2.5e-3).abs() < 1e-17);
}

#[test]
fn diode_chain_from_a_stiff_source() {
    // Ten diodes in series across 100 V through 1 Ohm: plain Newton from zero
    // needs many limited iterations; the solution has ~0.9-1 V per diode.
    let mut elements = vec![el("V1", vdc("top", "0", 100.0))];
    elements.push(el("R1", ElementKind::Resistor { p: "top".into(), n: "d0".into(), r_ohm: 1.0 }));
    for i in 0..10 {
        let n = if i == 9 { "0".to_string() } else { format!("d{}", i + 1) };
        elements.push(el(
            &format!("D{i}"),
            ElementKind::Diode { p: format!("d{i}"), n, model: "dm".into(), area: None },
        ));
    }
    let c = FlatCircuit {
        title: "diode chain".into(),
        models: vec![Model { name: "dm".into(), kind: ModelKind::Diode(DiodeParams::default()) }],
        elements,
    };
    let op = Simulation::new(&c).unwrap().operating_point().unwrap();
    let vd0 = op.get("d0").unwrap();
    // A sanity band only (measured 9.5032 V): the KCL check below is the accuracy bound.
    assert!(vd0 > 8.0 && vd0 < 12.0, "{vd0}");
    // KCL: the current through R1 equals the diode current.
    let i = 100.0 - vd0;
    let per = vd0 / 10.0;
    // IS = 1e-14 A (SPICE default), kT/q at 300.15 K from ngspice's
    // constants (CODATA 2014, as the native engine has them).
    let vt = 1.380_648_52e-23 * 300.15 / 1.602_176_620_8e-19;
    let id = 1e-14 * ((per / vt).exp() - 1.0);
    // Measured 1.0e-10 relative; 1e-9 is a 9.7x margin.
    assert!((id - i).abs() / i < 1e-9, "{id} vs {i}");
}

fn nmos() -> MosParams<f64> {
    MosParams {
        level: 1,
        vto: Some(0.7),
        kp: Some(1e-4),
        lambda: Some(0.01),
        gamma: None,
        phi: None,
        extra: Default::default(),
    }
}

fn pmos() -> MosParams<f64> {
    MosParams {
        level: 1,
        vto: Some(-0.7),
        kp: Some(5e-5),
        lambda: Some(0.01),
        gamma: None,
        phi: None,
        extra: Default::default(),
    }
}

/// Two cross-coupled CMOS inverters (a latch) with a weak `.ic` bias.
fn latch() -> FlatCircuit {
    let inv = |name: &str, input: &str, output: &str| {
        vec![
            el(
                &format!("MN{name}"),
                ElementKind::Mosfet {
                    d: output.into(),
                    g: input.into(),
                    s: "0".into(),
                    b: "0".into(),
                    model: "nm".into(),
                    w_m: 2e-6,
                    l_m: 1e-6,
                    instance: Default::default(),
                },
            ),
            el(
                &format!("MP{name}"),
                ElementKind::Mosfet {
                    d: output.into(),
                    g: input.into(),
                    s: "vdd".into(),
                    b: "vdd".into(),
                    model: "pm".into(),
                    w_m: 4e-6,
                    l_m: 1e-6,
                    instance: Default::default(),
                },
            ),
        ]
    };
    let mut elements = vec![el("VDD", vdc("vdd", "0", 3.3))];
    elements.extend(inv("1", "q", "qb"));
    elements.extend(inv("2", "qb", "q"));
    FlatCircuit {
        title: "CMOS latch".into(),
        models: vec![
            Model { name: "nm".into(), kind: ModelKind::Nmos(nmos()) },
            Model { name: "pm".into(), kind: ModelKind::Pmos(pmos()) },
        ],
        elements,
    }
}

#[test]
fn latch_held_by_ic_then_released() {
    // `.ic q = 3.3`: the operating point holds q high, so qb is low.
    let op = Simulation::new(&latch()).unwrap().ic("q", 3.3).operating_point().unwrap();
    // Measured 6.4e-9 V (the junction leakage through the on NMOS); 1e-7 V is a 16x margin.
    assert!(op.get("qb").unwrap().abs() < 1e-7, "qb = {:?}", op.get("qb"));
    // Released in the transient, the latch keeps its state.
    let res = Simulation::new(&latch()).unwrap().ic("q", 3.3).tstop(1e-6).probe("q").run().unwrap();
    let q = *res.trace("q").unwrap().last().unwrap();
    // Measured 6.4e-9 V below the rail (leakage again); 1e-7 V is a 16x margin.
    assert!((q - 3.3).abs() < 1e-7, "q = {q}");
}

#[test]
fn symmetric_inverter_at_mid_rail_sits_at_half_the_supply() {
    // A CMOS inverter driven at mid-rail, in its high-gain region. It is
    // symmetric: beta = KP W/L = 1e-4 * 2 = 5e-5 * 4 = 2e-4 A/V² for both
    // devices, |VTO| = 0.7 V and LAMBDA = 0.01 /V for both, and the bulk
    // junctions leak the same IS in opposite directions. With Vin = 1.65 V
    // both devices saturate (Vgs - VTO = 0.95 V <= Vds) and KCL reads
    //   (beta/2) 0.95² (1 + 0.01 Vout) = (beta/2) 0.95² (1 + 0.01 (3.3 - Vout)),
    // whose only root is Vout = 1.65 V, half the supply.
    let mut c = latch();
    c.elements.retain(|e| !e.name.ends_with('2'));
    c.elements.push(el("VIN", vdc("q", "0", 1.65)));
    let op = Simulation::new(&c).unwrap().operating_point().unwrap();
    let qb = op.get("qb").unwrap();
    // Measured |qb - 1.65 V| = 7.3e-15 V (Newton converged to rounding,
    // about 33 ulp of 1.65); 1e-13 V is a 14x margin.
    assert!((qb - 1.65).abs() <= 1e-13, "qb = {qb} V, want 1.65 V (difference {:e} V)", qb - 1.65);
}

#[test]
fn operating_point_needing_source_stepping() {
    // A negative-resistance cubic in parallel with a current source far out
    // on its curve: Newton from zero bounces around the fold of the cubic.
    let c = FlatCircuit {
        title: "cubic".into(),
        models: vec![],
        elements: vec![
            el(
                "N1",
                ElementKind::NonlinearResistor {
                    p: "a".into(),
                    n: "0".into(),
                    law: atscale_circuit::ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
                },
            ),
            el(
                "I1",
                ElementKind::CurrentSource {
                    p: "0".into(),
                    n: "a".into(),
                    waveform: Waveform::Dc { value: 30.0 },
                    dc: None,
                },
            ),
        ],
    };
    let op = Simulation::new(&c).unwrap().operating_point().unwrap();
    let v = op.get("a").unwrap();
    // Measured residual 2.9e-8 A; 3e-7 A is a 10x margin.
    assert!((v * v * v / 3.0 - v - 30.0).abs() < 3e-7, "v = {v}");
}
