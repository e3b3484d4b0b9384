//! Write then parse gives the same circuit; parse then write of `netlists/`
//! is stable.

use atscale_spice::{parse_str, write_netlist, Ngspice};

use crate::ngspice::netlists_dir;
use crate::reference;

#[test]
fn reference_circuits_round_trip() {
    for case in reference::all() {
        let text = write_netlist(&case.circuit, &case.analysis, &Ngspice, &case.header).unwrap();
        let parsed = parse_str(&text, case.name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.circuit, case.circuit, "{}", case.name);
        assert_eq!(parsed.analysis, case.analysis, "{}", case.name);
        assert_eq!(parsed.header, case.header, "{}", case.name);
        assert!(parsed.warnings.is_empty(), "{}: {:?}", case.name, parsed.warnings);
    }
}

#[test]
fn parse_then_write_of_netlists_is_stable() {
    let dir = netlists_dir().join("ngspice");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = parse_str(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        let again = write_netlist(&parsed.circuit, &parsed.analysis, &Ngspice, &parsed.header).unwrap();
        assert_eq!(again, text, "{}", path.display());
    }
}

#[test]
fn analysis_cards_round_trip() {
    use atscale_spice::{Analysis, Header, Method, Options, Tran};
    let analysis = Analysis {
        tran: Some(Tran { tstep_s: 1e-6, tstop_s: 2e-3, tstart_s: 1e-4, tmax_s: Some(5e-7), uic: false }),
        options: Options {
            reltol: Some(1e-6),
            abstol: Some(1e-15),
            vntol: Some(1e-9),
            chgtol: Some(1e-17),
            gmin: Some(1e-15),
            method: Some(Method::Gear),
            maxord: Some(2),
            maxstep_s: None,
            other: vec![("post".into(), None), ("itl4".into(), Some("100".into()))],
        },
        ic: vec![("a".into(), -1.5), ("x1.n".into(), 2e-3)],
        nodeset: vec![("b".into(), 0.25)],
    };
    let circuit = atscale_circuit::Circuit { title: "analysis".into(), ..Default::default() };
    let text = write_netlist(&circuit, &analysis, &Ngspice, &Header::default()).unwrap();
    assert_eq!(
        text.lines().skip(2).collect::<Vec<_>>(),
        vec![
            ".options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-17 gmin=1e-15 method=gear maxord=2 post itl4=100",
            ".ic v(a)=-1.5 v(x1.n)=0.002",
            ".nodeset v(b)=0.25",
            ".tran 1e-6 0.002 0.0001 5e-7",
            ".end",
        ]
    );
    assert_eq!(parse_str(&text, "a.cir").unwrap().analysis, analysis);
}
