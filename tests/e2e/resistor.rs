//! Resistor models and instance parameters (`.model NAME R(...)`, `l=`,
//! `w=`, `temp=`, `dtemp=`, `scale=`, `m=`, `tc1=`, `tce=`): the resistance
//! ngspice 39's `RESupdate_conduct` computes, written out by hand here, and
//! both engines' currents through 1 V.

use crate::{root, sim_rows};

/// `(source, expected resistance in ohms)` of `data/resistor/models.cir`.
fn expected() -> Vec<(&'static str, f64)> {
    // RSH (L - 2 SHORT) / (W - 2 NARROW), DEFW when W is not given.
    let sheet = |l: f64, w: f64| 50.0 * (l - 2.0 * 0.2e-6) / (w - 2.0 * 0.1e-6);
    // 1 + TC1 dT + TC2 dT^2 with TNOM = 20 °C and the circuit at 27 °C.
    let rdef = |tc1: f64| 1.0 + tc1 * 7.0 + 2e-6 * 49.0;
    vec![
        ("V1", sheet(20e-6, 2e-6)),
        ("V2", sheet(20e-6, 1e-6)),
        ("V3", 2.2e3 * rdef(1e-3)),
        ("V4", 1e3 * (1.0 + 0.01 * 50.0)),
        ("V5", 1e3 * (1.0 - 0.01 * 10.0) * 2.0 / 4.0),
        ("V6", 4e3 * rdef(0.0)),
        ("V7", sheet(20e-6, 2e-6)),
        ("V8", 330.0),
        ("V9", 1e3 * 1.01f64.powf(0.5 * 20.0)),
    ]
}

#[test]
fn resistor_models_give_ngspices_resistance_in_both_engines() {
    let deck = root().join("tests/e2e/data/resistor/models.cir");
    let cases = expected();
    let probes: Vec<String> = cases.iter().map(|(v, _)| format!("i({v})")).collect();
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    for engine in ["native", "ngspice"] {
        let (rows, stderr) = sim_rows(&deck, engine, &probes, &[]);
        assert!(stderr.contains("`ac=` set aside"), "{engine}: {stderr}");
        let last = rows.last().expect("rows");
        for ((src, r), i) in cases.iter().zip(&last[1..]) {
            let rel = (-1.0 / i - r).abs() / r;
            // measured: at most 4.4e-16 relative (native), 4.3e-16 (ngspice's
            // printed digits); 1e-12 leaves room for the solver's last ulps.
            assert!(rel < 1e-12, "{engine}: {src}: {} Ω, expected {r} Ω ({rel:e})", -1.0 / i);
        }
    }
}

#[test]
fn resistor_model_problems_name_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("R1 a 0 1k RMOD\nV1 a 0 1\n.model RMOD R(foo=1)\n.tran 1u 2u\n.end\n", ":4:", "`foo`"),
        ("R1 a 0 1k NOMOD\nV1 a 0 1\n.tran 1u 2u\n.end\n", ":2:", "not a resistor model of this netlist"),
        ("R1 a 0 NOMOD\nV1 a 0 1\n.tran 1u 2u\n.end\n", ":2:", "neither a value nor a resistor model"),
        ("R1 a 0 1k bogus=2\nV1 a 0 1\n.tran 1u 2u\n.end\n", ":2:", "instance parameter `bogus`"),
    ];
    for (k, (body, at, what)) in cases.iter().enumerate() {
        let deck = dir.path().join(format!("bad{k}.cir"));
        std::fs::write(&deck, format!("bad resistor\n{body}")).unwrap();
        let out = crate::atscale(&["sim", deck.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{body}");
        assert!(err.contains(&format!("bad{k}.cir{at}")) && err.contains(what), "{body}: {err}");
    }
}

#[test]
fn a_resistor_without_resistance_is_one_milliohm_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let deck = dir.path().join("bare.cir");
    std::fs::write(&deck, "bare model\n.model rm r tc1=0.01\nV1 a 0 1\nR1 a 0 rm\n.tran 1u 2u\n.end\n")
        .unwrap();
    for engine in ["native", "ngspice"] {
        let (rows, stderr) = sim_rows(&deck, engine, &["i(V1)"], &[]);
        assert!(stderr.contains("set to 1 mΩ"), "{engine}: {stderr}");
        let i = rows.last().unwrap()[1];
        assert!((i + 1e3).abs() < 1e-9, "{engine}: {i} A");
    }
}

#[test]
fn temperature_coefficients_follow_the_circuit_temperature_in_both_engines() {
    // `.temp 91`, `.options tnom=31`: dT = 60 K unless the instance or model says otherwise.
    let deck = root().join("tests/e2e/data/resistor/temperature.cir");
    let probes = ["i(V1)", "i(V2)", "n3", "i(V4)", "i(V5)"];
    let t = 10e-6;
    let want = [
        -1.0 / (1e3 * (1.0 + 0.03125 * 60.0)),
        -1.0 / (1e3 * (1.0 + 0.01 * 49.0 + 1e-4 * 49.0 * 49.0)), // dtemp=-11
        1e-3 * t / (1e-6 * (1.0 + 0.01 * 60.0) * 2.0),           // scale=2
        -t / (1e-3 * (1.0 - 0.005 * 30.0)),                      // temp=61
        -1.0 / (1e3 * (1.0 + 0.01 * 40.0)),                      // model TNOM 51
    ];
    for engine in ["native", "ngspice"] {
        let (rows, stderr) = sim_rows(&deck, engine, &probes, &[]);
        assert!(!stderr.contains("not used"), "{engine}: the temperature is modelled here: {stderr}");
        let last = rows.last().unwrap();
        assert!((last[0] - t).abs() < 1e-18);
        for ((p, w), got) in probes.iter().zip(want).zip(&last[1..]) {
            // measured: 2.0e-12 relative (n3, through the 1e12 Ω leak), others 6e-16; 10x.
            assert!(((got - w) / w).abs() < 2e-11, "{engine}: {p} = {got}, expected {w}");
        }
    }
}
