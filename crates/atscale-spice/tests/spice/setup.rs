//! Deck-level settings: `.lib` sections, `.include`, temperature.

use atscale_circuit::{Circuit, Element, ElementKind, Value, Waveform};
use atscale_spice::{write_netlist_with, Analysis, Header, Library, Ngspice, Setup, Xyce};

fn circuit() -> Circuit {
    Circuit {
        title: "lib test".into(),
        elements: vec![
            Element {
                name: "V1".into(),
                kind: ElementKind::VoltageSource {
                    p: "a".into(),
                    n: "0".into(),
                    waveform: Waveform::Dc { value: Value::Num(1.0) },
                    dc: None,
                },
            },
            Element {
                name: "R1".into(),
                kind: ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: Value::Num(1e3) },
            },
        ],
        ..Circuit::default()
    }
}

#[test]
fn libraries_and_temperature_are_written() {
    let setup = Setup {
        libraries: vec![
            Library { path: "models/generic.lib".into(), section: Some("tt".into()) },
            Library { path: "/abs/extra.inc".into(), section: None },
        ],
        parameters: vec![("pdk_vfbo".into(), 1.0025)],
        temp_c: Some(85.0),
    };
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-6);
    let text = write_netlist_with(&circuit(), &a, &setup, &Ngspice, &Header::default()).unwrap();
    // The libraries' parameters come before the libraries that read them.
    assert!(text.contains("\n.param pdk_vfbo=1.0025\n.lib \"models/generic.lib\" tt\n"), "{text}");
    assert!(text.contains("\n.include \"/abs/extra.inc\"\n"), "{text}");
    assert!(text.contains("\n.options temp=85\n"), "{text}");
    let x = write_netlist_with(&circuit(), &a, &setup, &Xyce, &Header::default()).unwrap();
    assert!(x.contains("\n.PARAM pdk_vfbo=1.0025\n.LIB \"models/generic.lib\" tt\n"), "{x}");
    // A parameter name is checked as any other.
    let bad = Setup { parameters: vec![("a b\n.control".into(), 1.0)], ..setup.clone() };
    assert!(write_netlist_with(&circuit(), &a, &bad, &Ngspice, &Header::default()).is_err());
    assert!(x.contains("\n.OPTIONS DEVICE TEMP=85\n"), "{x}");
}

#[test]
fn library_paths_and_sections_cannot_inject_lines() {
    let a = Analysis::default();
    for (path, section) in [
        ("a.lib\n.control", Some("tt")),
        ("a\".lib", Some("tt")),
        ("lib dir/a.lib", Some("tt")),
        ("", None),
        ("a.lib", Some("tt\nshell rm x")),
        ("a.lib", Some("tt x")),
    ] {
        let setup = Setup {
            libraries: vec![Library { path: path.into(), section: section.map(String::from) }],
            ..Setup::default()
        };
        let err = write_netlist_with(&circuit(), &a, &setup, &Ngspice, &Header::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("library"), "{path:?} {section:?}: {msg}");
    }
}

#[test]
fn ngspice_reads_a_written_library_section() {
    let dir = std::env::temp_dir().join(format!("atscale-spice-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.lib"),
        "* corners\n.lib tt\n.model nch nmos level=54\n.endl tt\n.lib ff\n.model nch nmos level=54 vth0=0.3\n.endl ff\n",
    )
    .unwrap();
    let mut c = circuit();
    c.elements.push(Element {
        name: "M1".into(),
        kind: ElementKind::Mosfet {
            d: "a".into(),
            g: "a".into(),
            s: "0".into(),
            b: "0".into(),
            model: "nch".into(),
            w_m: Value::Num(1e-6),
            l_m: Value::Num(1e-6),
            instance: Default::default(),
        },
    });
    let setup = Setup {
        libraries: vec![Library { path: "m.lib".into(), section: Some("ff".into()) }],
        temp_c: Some(50.0),
        ..Setup::default()
    };
    let text =
        write_netlist_with(&c, &Analysis::tran_uic(1e-6, 1e-5, 1e-6), &setup, &Ngspice, &Header::default())
            .unwrap();
    std::fs::write(dir.join("t.cir"), &text).unwrap();
    let out = std::process::Command::new("ngspice")
        .current_dir(&dir)
        .args(["-b", "-r", "out.raw", "t.cir"])
        .output()
        .expect("ngspice must be installed for this test (scripts/install-ngspice.sh)");
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("rror"), "{text}\n{all}");
    assert!(all.contains("TEMP = 50"), "{all}");
    assert!(all.contains("vth0=0.3"), "the ff section was not read: {all}");
    let _ = std::fs::remove_dir_all(&dir);
}
