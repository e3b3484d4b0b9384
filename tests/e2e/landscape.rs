//! `atscale landscape` on reference netlists: the behaviour read off the
//! energy landscapes per timescale, and the plot.

use crate::{atscale, stdout_ok};

#[test]
fn fitzhugh_nagumo_netlist_is_tonic_spiking_with_a_fine_double_well() {
    let out = stdout_ok(&["landscape", "netlists/ngspice/fitzhugh_nagumo.cir", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["behaviour"], "tonic-spiking", "{out}");
    // Three critical points at the instantaneous scale, one at L/R = 15.625.
    assert_eq!(v["fingerprint"][0][1], 3, "{out}");
    assert_eq!(v["fingerprint"][1][0], 15.625, "{out}");
    assert_eq!(v["fingerprint"][1][1], 1, "{out}");
    let text = stdout_ok(&["landscape", "netlists/ngspice/tanh_spiker.cir"]);
    assert!(text.starts_with("behaviour: tonic-spiking"), "{text}");
    assert!(text.contains("timescale instantaneous: 3 critical points"), "{text}");
}

#[test]
fn landscape_plot_is_written_and_kept_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("l.png");
    let p = png.to_str().expect("UTF-8");
    stdout_ok(&["landscape", "netlists/ngspice/fitzhugh_nagumo.cir", "--plot", p]);
    let bytes = std::fs::read(&png).expect("plot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let again = atscale(&["landscape", "netlists/ngspice/fitzhugh_nagumo.cir", "--plot", p]);
    assert_eq!(again.status.code(), Some(2));
}
