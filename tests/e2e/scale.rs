//! `atscale scale fit|coarsen|bode` on reference netlists: the softplus fit
//! residual, the amplitude fingerprint of the FitzHugh-Nagumo cubic and the
//! Bode corner of the tanh spiker's slow state, with their plots.

use crate::{atscale, stdout_ok};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

#[test]
fn fit_of_a_tanh_conductor_is_accurate_and_plotted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cir = dir.path().join("conductor.cir");
    std::fs::write(
        &cir,
        "positive tanh conductor\n\
         *@atscale element {\"name\":\"Rp\",\"kind\":\"nonlinear_resistor\",\"p\":\"v\",\"n\":\"0\",\"law\":{\"law\":\"tanh\",\"alpha\":2.0,\"delta\":0.0,\"w\":1.0}}\n\
         BRp v 0 I={2 * tanh(v(v))}\n\
         Iext 0 v DC 0.1\n\
         .end\n",
    )
    .expect("netlist written");
    let png = dir.path().join("fit.png");
    let c = cir.to_str().expect("UTF-8");
    let p = png.to_str().expect("UTF-8");
    let out = stdout_ok(&["scale", "fit", c, "--element", "Rp", "--plot", p, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    // ln(2 tanh(v)/v) is smooth: the fit is good to 1e-4 in ln g (0.01%).
    let residual = v["residual_rms"].as_f64().expect("residual");
    // Measured 1.1e-5; 1e-4 is a 9x margin.
    assert!(residual < 1e-4, "{out}");
    // g(0) = 2 S; g0 is the constant of the fit, positive.
    assert!(v["g0_siemens"].as_f64().expect("g0") > 0.0, "{out}");
    assert!(v["scale_plot"].as_array().expect("scale plot").len() >= 10, "{out}");
    assert_eq!(&std::fs::read(&png).expect("plot written")[..8], PNG);
    // The plot is kept without --force.
    assert_eq!(atscale(&["scale", "fit", c, "--element", "Rp", "--plot", p]).status.code(), Some(2));
    // The negative tanh conductor of the spiker fits with a negative g0.
    let text = stdout_ok(&["scale", "fit", "netlists/ngspice/tanh_spiker.cir", "--element", "Rf"]);
    let g0 = text.lines().find(|l| l.starts_with("g0 = ")).expect("g0 line");
    assert!(g0.starts_with("g0 = -") && g0.ends_with('S'), "{text}");
}

#[test]
fn fit_rejects_elements_that_are_not_one_signed_resistors() {
    let cap = atscale(&["scale", "fit", "netlists/ngspice/fitzhugh_nagumo.cir", "--element", "C1"]);
    assert_eq!(cap.status.code(), Some(2));
    let err = String::from_utf8_lossy(&cap.stderr);
    assert!(err.contains("`C1`") && err.contains("not a nonlinear resistor"), "{err}");
    let cubic = atscale(&["scale", "fit", "netlists/ngspice/fitzhugh_nagumo.cir", "--element", "Rnl"]);
    assert_eq!(cubic.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cubic.stderr).contains("changes sign"));
}

#[test]
fn coarsening_the_cubic_merges_three_critical_points_above_sqrt3_over_pi() {
    // v³/3 - v smoothed by the logistic density of scale s is
    // v³/3 + (π² s²/3 - 1) v: one zero once s > √3/π ≈ 0.551 V.
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("fingerprint.png");
    let p = png.to_str().expect("UTF-8");
    let out = stdout_ok(&[
        "scale",
        "coarsen",
        "netlists/ngspice/fitzhugh_nagumo.cir",
        "--element",
        "Rnl",
        "--bias",
        "0",
        "--scales",
        "0,100m,500m,0.6,1.2",
        "--plot",
        p,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let counts: Vec<(f64, u64)> = v["fingerprint"]
        .as_array()
        .expect("fingerprint")
        .iter()
        .map(|r| (r["scale_volt"].as_f64().unwrap(), r["critical_points"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, vec![(0.0, 3), (0.1, 3), (0.5, 3), (0.6, 1), (1.2, 1)], "{out}");
    assert_eq!(&std::fs::read(&png).expect("plot written")[..8], PNG);
    let text = stdout_ok(&[
        "scale",
        "coarsen",
        "netlists/ngspice/fitzhugh_nagumo.cir",
        "--element",
        "Rnl",
        "--bias",
        "0",
        "--scales",
        "0.1,1.2",
    ]);
    assert!(text.contains("100 mV  3"), "{text}");
    assert!(text.contains("1.2 V  1"), "{text}");
}

#[test]
fn bode_of_the_slow_state_has_its_corner_at_20_s() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("bode.png");
    let p = png.to_str().expect("UTF-8");
    let out = stdout_ok(&[
        "scale",
        "bode",
        "netlists/ngspice/tanh_spiker.cir",
        "--element",
        "Ms",
        "--plot",
        p,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let states = v["states"].as_array().expect("states");
    assert_eq!(states.len(), 1, "{out}");
    // Measured exactly 0 here and at the corner below; the bounds are a few ulp.
    assert!((states[0]["tau_s"].as_f64().unwrap() - 20.0).abs() < 3e-14, "{out}");
    assert!((states[0]["corner_rad_per_s"].as_f64().unwrap() - 0.05).abs() < 1e-16, "{out}");
    // A unit low-pass is 3 dB down at its corner: log10|G| = -log10(2)/2.
    let at_corner = states[0]["log10_gain_at_corner"].as_f64().unwrap();
    assert!((at_corner + 0.5 * 2f64.log10()).abs() < 1e-15, "{out}");
    assert_eq!(&std::fs::read(&png).expect("plot written")[..8], PNG);
    let text = stdout_ok(&["scale", "bode", "netlists/ngspice/tanh_spiker.cir", "--element", "Ms"]);
    assert!(text.contains("τ = 20 s"), "{text}");
    let not_memristive = atscale(&["scale", "bode", "netlists/ngspice/tanh_spiker.cir", "--element", "Rf"]);
    assert_eq!(not_memristive.status.code(), Some(2));
}
