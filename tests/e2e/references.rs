//! `atscale realise --references ladder`: every reference voltage of a
//! realisation (model 0 V included) a tap of one resistor string from the
//! supply to ground. With `--bias mirrors` only the supply and the mirrors'
//! reference current are ideal. The truths: the reference voltages in
//! closed form (`V_dd / 2 + (2 U_T / kappa) delta`, the technology's kappa),
//! a separate ngspice run of the written netlist for the taps' DC voltages,
//! and the same realisation with ideal reference sources for the rate.

use std::path::Path;

use serde_json::Value;

use crate::{atscale, sim_rows, stdout_ok};

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("JSON")
}

/// `generic-bsim4`: 1.8 V, kappa 0.83 at 27 °C; its `[resistor]` table
/// (1 kΩ/sq, 1 µm wide) and its 10 nm grid.
const VDD: f64 = 1.8;
const KAPPA: f64 = 0.83;
const SHEET_OHM: f64 = 1000.0;
const WIDTH_M: f64 = 1e-6;
const GRID_M: f64 = 1e-8;

/// The spiker realised with mirrors and ladder references has exactly two
/// ideal sources (`Vdd` and the mirrors' `Iref`); its taps, measured at the
/// DC operating point of a separate ngspice run, are the closed-form
/// reference voltages within the grid's bound; it spikes at the rate of the
/// same realisation with ideal reference sources.
///
/// Measured (300 model units, maximum step 0.5 model units): taps within
/// 1.81e-7 V of the closed form (equal to the report's grid errors to the
/// nV), against the grid's bound of 1.8e-6 V (10x); rate 100.999 Hz against
/// 100.936 Hz with ideal references, +6.2e-4 (the taps move by up to
/// 0.17 mV while the membrane spikes, charge the pairs' gates couple in; at
/// ten times the string current the difference is 5.9e-5: it scales as the
/// tap resistance), so 3e-3 is 4.8x. The energy per spike grows by the
/// string's `V_dd I / rate` plus 4.2 % (the gate charge the ideal
/// references delivered now comes from the supply too); 0.15 is 3.6x.
#[test]
fn ladder_references_leave_only_the_supply_and_one_current_ideal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fc");
    stdout_ok(&["design", "docs/examples/four-conductance-spiking.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let run = |references: &str| {
        let out = tmp.path().join(references);
        let text = stdout_ok(&[
            "realise",
            design.to_str().expect("UTF-8"),
            "--tech",
            "generic-bsim4",
            "-o",
            out.to_str().expect("UTF-8"),
            "--bias",
            "mirrors",
            "--references",
            references,
            "--tstop-model",
            "300",
            "--max-step-model",
            "0.5",
        ]);
        (text, report(&out), out)
    };
    let (_, ideal, _) = run("ideal");
    let (text, ladder, dir) = run("ladder");
    assert!(text.contains("## Reference ladder") && text.contains("drawn resistor area"), "{text}");

    // Exactly one ideal voltage source and one ideal current source.
    let cir = std::fs::read_to_string(dir.join("realised.cir")).expect("netlist");
    let cards = |c: char| -> Vec<&str> {
        cir.lines().filter(|l| l.starts_with(c) || l.starts_with(c.to_ascii_lowercase())).collect()
    };
    assert_eq!(cards('V').len(), 1, "{:?}", cards('V'));
    assert!(cards('V')[0].starts_with("Vdd vdd 0 "), "{:?}", cards('V'));
    assert_eq!(cards('I').len(), 1, "{:?}", cards('I'));
    assert!(cards('I')[0].starts_with("Iref "), "{:?}", cards('I'));
    let resistors: Vec<f64> = cards('R')
        .iter()
        .map(|l| l.split_whitespace().nth(3).expect("value").parse::<f64>().expect("ohms"))
        .collect();

    // The references asked for: the ideal run's sources (node refN for
    // Vref<N>) and model 0 V at half the supply.
    let devices = ideal["realisation"]["devices"].as_array().expect("devices");
    let mut refs: Vec<(String, f64, f64)> = devices
        .iter()
        .filter(|d| d["kind"] == "voltage source" && d["name"] != "Vdd")
        .map(|d| {
            let name = d["name"].as_str().expect("name");
            let offset: f64 = d["role"]
                .as_str()
                .and_then(|r| r.strip_prefix("reference for offset "))
                .and_then(|r| r.strip_suffix(" model V"))
                .expect("offset")
                .parse()
                .expect("number");
            (name[1..].to_string(), offset, d["value"].as_f64().expect("V"))
        })
        .collect();
    refs.push(("vref".into(), 0.0, VDD / 2.0));
    assert_eq!(resistors.len(), refs.len() + 1, "one segment more than taps: {resistors:?}");
    let probes: Vec<String> = refs.iter().map(|(n, _, _)| format!("v({n})")).collect();
    let probe_refs: Vec<&str> = probes.iter().map(String::as_str).collect();
    let (rows, _) = sim_rows(&dir.join("realised.cir"), "ngspice", &probe_refs, &["--tstop", "1u"]);
    // The grid's bound: each length rounded by at most half a step changes
    // its segment by at most R_sq g / (2 W); a tap moves by at most V_dd
    // times the sum of those changes over the total resistance, twice.
    let total: f64 = resistors.iter().sum();
    let bound = 2.0 * VDD * resistors.len() as f64 * SHEET_OHM * GRID_M / (2.0 * WIDTH_M) / total;
    let u_t = 8.617_333_262e-5 * 300.15;
    let s = 2.0 * u_t / KAPPA;
    let mut worst = 0.0_f64;
    for (k, (node, offset, ideal_v)) in refs.iter().enumerate() {
        let tap = rows[0][k + 1];
        let closed = VDD / 2.0 + s * offset;
        // The ideal sources are the closed form (measured 0 V; 1e-12 V allows
        // rounding); the tap is within the grid's bound.
        assert!((ideal_v - closed).abs() < 1e-12, "{node}: ideal source {ideal_v} V, closed form {closed} V");
        assert!((tap - closed).abs() < bound, "{node}: tap {tap} V, closed form {closed} V, bound {bound} V");
        worst = worst.max((tap - closed).abs());
    }
    assert!(worst > 0.0, "the grid leaves some error: {worst}");
    for d in ladder["realisation"]["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| d["kind"] == "resistor")
    {
        let l = d["l_m"].as_f64().expect("L");
        assert_eq!(d["w_m"].as_f64(), Some(WIDTH_M), "{d}");
        assert!(((l / GRID_M) - (l / GRID_M).round()).abs() < 1e-6, "L on the grid: {d}");
    }

    // The ideal model does not see the references (its taps are exact):
    // measured the same prediction to the bit; 1e-12 relative allows rounding only.
    let predicted = |r: &Value| r["evidence"]["ideal"]["rate_hz"].as_f64().expect("prediction");
    assert!((predicted(&ladder) / predicted(&ideal) - 1.0).abs() < 1e-12);
    // The rate with ladder references is the rate with ideal ones.
    let rate = |r: &Value| r["evidence"]["nominal"]["rate_hz"].as_f64().expect("rate");
    let (ri, rl) = (rate(&ideal), rate(&ladder));
    assert!((rl / ri - 1.0).abs() < 3e-3, "ladder {rl} Hz, ideal {ri} Hz");
    // The supply delivers the string's current: the energy per spike grows by V_dd I / rate.
    let energy = |r: &Value| r["evidence"]["nominal"]["energy_per_spike_j"].as_f64().expect("energy");
    let string_a = VDD / total;
    let extra = energy(&ladder) - energy(&ideal);
    assert!(
        (extra / (VDD * string_a / rl) - 1.0).abs() < 0.15,
        "extra energy {extra} J, string {string_a} A"
    );
}

/// A nonsense `[resistor]` table is refused before any work, naming the
/// file, the line and the key.
#[test]
fn a_nonsense_resistor_table_names_file_and_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let asset =
        std::fs::read_to_string(crate::root().join("docs/examples/tech/generic-bsim4.toml")).expect("tech");
    let bad = asset.replace("sheet_ohm_per_square = 1000.0", "sheet_ohm_per_square = -1000.0");
    assert_ne!(bad, asset);
    let line = bad[..bad.find("sheet_ohm_per_square").expect("key")].matches('\n').count() + 1;
    let tech = tmp.path().join("bad.toml");
    std::fs::write(&tech, &bad).expect("write");
    let d = tmp.path().join("fc");
    stdout_ok(&["design", "docs/examples/four-conductance-spiking.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = atscale(&[
        "realise",
        d.join("design.json").to_str().expect("UTF-8"),
        "--tech",
        tech.to_str().expect("UTF-8"),
        "-o",
        tmp.path().join("o").to_str().expect("UTF-8"),
        "--no-sim",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let want =
        format!("bad.toml:{line}: resistor.sheet_ohm_per_square must be positive and finite, got -1000");
    assert!(stderr.contains(&want), "{stderr}");
}
