//! `atscale summary` on the built-in circuit and the guide's example file.

use crate::{atscale, root, stdout_ok};

#[test]
fn builtin_summary_names_elements_energy_and_units() {
    let out = stdout_ok(&["summary", "--builtin", "fitzhugh-nagumo"]);
    assert!(out.contains("6 elements, 3 nodes (besides ground `0`)"), "{out}");
    for line in [
        "C1    capacitor           v 0    stores energy",
        "Rnl   nonlinear resistor  v 0    dissipates energy",
        "Vbat  voltage source      e 0    supplies energy",
    ] {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
    assert!(out.contains("1 F, initial -1 V"), "{out}");
    assert!(out.contains("12.5 H, initial 1 A"), "{out}");
    assert!(out.contains("DC -700 mV"), "{out}");
    assert!(out.contains("energy: 2 store, 2 dissipate, 0 dissipate with a battery, 2 supply"), "{out}");
}

#[test]
fn guide_example_file_gives_the_same_summary_as_the_builtin() {
    let file = root().join("docs/examples/fitzhugh-nagumo.toml");
    let from_file = stdout_ok(&["summary", file.to_str().expect("UTF-8 path"), "--json"]);
    let builtin = stdout_ok(&["summary", "--builtin", "fitzhugh-nagumo", "--json"]);
    assert_eq!(from_file, builtin);
    let v: serde_json::Value = serde_json::from_str(&from_file).expect("JSON");
    assert_eq!(v["node_count"], 3);
    assert_eq!(v["elements"][0]["energy"], "storage");
}

#[test]
fn bad_file_error_names_file_line_and_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "title = \"x\"\n[[elements]]\nname = \"R1\"\nkind = \"resistor\"\np = \"a\"\nn = \"0\"\nr_ohm = \"2*\"\n")
        .expect("writes");
    let out = atscale(&["summary", path.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // The location is the element's table (serde buffers flattened fields,
    // so the span of the value itself is not known).
    assert!(err.contains("bad.toml:2:1: in expression `2*`: column 3: expected an expression"), "{err}");
}

#[test]
fn invalid_circuit_exits_2_naming_the_element() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("neg.json");
    std::fs::write(
        &path,
        r#"{"title":"t","elements":[{"name":"C9","kind":"capacitor","p":"a","n":"0","c_farad":-1e-12},
            {"name":"R1","kind":"resistor","p":"a","n":"0","r_ohm":1000.0}]}"#,
    )
    .expect("writes");
    let out = atscale(&["summary", path.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("capacitor `C9`: capacitance must be positive and finite, got -1 pF"), "{err}");
}

#[test]
fn misspelt_field_is_an_error_not_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.toml");
    std::fs::write(
        &path,
        "title = \"t\"\n[[elements]]\nname = \"C1\"\nkind = \"capacitor\"\np = \"a\"\nn = \"0\"\nc_farad = 1e-12\nic_vlot = 0.5\n",
    )
    .expect("writes");
    let out = atscale(&["summary", path.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "typo.toml:2:1: unknown field `ic_vlot`, expected one of `p`, `n`, `c_farad`, `ic_volt`"
        ),
        "{err}"
    );
}

#[test]
fn summary_reads_spice_netlists_too() {
    let out = stdout_ok(&["summary", "netlists/ngspice/hodgkin_huxley.cir"]);
    assert!(out.contains("memristive conductance"), "{out}");
    assert!(out.contains("dissipates energy, its battery supplies it"), "{out}");
    assert!(out.contains("3 internal states"), "{out}");
}
