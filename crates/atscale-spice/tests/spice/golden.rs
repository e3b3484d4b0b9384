//! `netlists/`: the writer's output for the reference circuits, byte for
//! byte (regenerate with `UPDATE_GOLDEN=1 cargo test -p atscale-spice`), and
//! every ngspice netlist there runs in ngspice and reaches tstop.

use std::path::PathBuf;

use atscale_spice::{write_flat_netlist, write_netlist, Dialect, Ngspice, Xyce};

use crate::ngspice::{crossings, netlists_dir, run, Run};
use crate::reference;

fn golden_path(dialect: &str, name: &str) -> PathBuf {
    netlists_dir().join(dialect).join(format!("{name}.cir"))
}

#[test]
fn netlists_match_the_writer() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for case in reference::all() {
        for (dir, dialect) in [("ngspice", &Ngspice as &dyn Dialect), ("xyce", &Xyce)] {
            let text = write_netlist(&case.circuit, &case.analysis, dialect, &case.header)
                .unwrap_or_else(|e| panic!("{} ({dir}): {e}", case.name));
            let path = golden_path(dir, case.name);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(old) if old == text => {}
                Ok(old) => stale.push(format!(
                    "{} differs from the writer's output.\n--- file ---\n{old}\n--- writer ---\n{text}",
                    path.display()
                )),
                Err(e) => stale.push(format!("{}: {e}", path.display())),
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n\nIf the change is intended, regenerate with UPDATE_GOLDEN=1 cargo test -p atscale-spice",
        stale.join("\n\n")
    );
}

#[test]
fn every_ngspice_netlist_runs_to_tstop() {
    let dir = netlists_dir().join("ngspice");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cir"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no netlists in {}", dir.display());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed =
            atscale_spice::parse_str(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        let tstop = parsed.analysis.tran.expect("netlists/ holds transient analyses").tstop_s;
        run(&text, &path.display().to_string(), tstop);
    }
}

/// The neurons spike when the reference says (ngspice with the written
/// netlist; tolerance from the maximum step 0.01).
#[test]
fn written_neurons_spike_on_time_in_ngspice() {
    for case in reference::all() {
        let Some((node, threshold, hysteresis, expected)) = &case.events else { continue };
        let text = write_netlist(&case.circuit, &case.analysis, &Ngspice, &case.header).unwrap();
        let tstop = case.analysis.tran.unwrap().tstop_s;
        check_events(&run(&text, case.name, tstop), case.name, node, *threshold, *hysteresis, expected);
        // Flat export (subcircuits expanded) spikes on time too.
        let flat = write_flat_netlist(&case.circuit, &case.analysis, &Ngspice, &case.header).unwrap();
        let label = format!("{} (flat)", case.name);
        check_events(&run(&flat, &label, tstop), &label, node, *threshold, *hysteresis, expected);
    }
}

fn check_events(r: &Run, name: &str, node: &str, threshold: f64, hysteresis: f64, expected: &[f64]) {
    let t = r.column("time").unwrap();
    let v =
        r.column(&format!("v({node})")).unwrap_or_else(|| panic!("{name}: no v({node}) in {:?}", r.names));
    let got = crossings(&t, &v, threshold, hysteresis);
    assert_eq!(got.len(), expected.len(), "{name}: events {got:?}, expected {expected:?}");
    for (g, x) in got.iter().zip(expected) {
        assert!((g - x).abs() <= 2e-3 * x.abs().max(1.0), "{name}: event at {g}, expected {x} ({got:?})");
    }
}
