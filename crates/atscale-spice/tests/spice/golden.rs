//! `netlists/`: the writer's output for the reference circuits, byte for
//! byte (regenerate with `UPDATE_GOLDEN=1 cargo test -p atscale-spice`), and
//! every ngspice netlist there runs in ngspice and reaches tstop.

use std::path::PathBuf;

use atscale_spice::{write_flat_netlist, write_netlist, Dialect, Ngspice, Xyce};

use crate::ngspice::{crossings, netlists_dir, run, Run};
use crate::reference::{self, Events};

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

/// Largest event-time error allowed in ngspice, as a fraction of the mean
/// interval between the reference events, per case. Measured (ngspice 39,
/// the written netlists: maximum step a 4000th of the interval; crossings
/// interpolated linearly between output points; hierarchical and flat give
/// the same): FitzHugh-Nagumo 8.9e-6 (the 10th event, a phase drift growing
/// by 5e-7 an event), tanh spiker 2.7e-6 (6th), Hodgkin-Huxley 6.7e-6 (7th).
/// Margins 5.6x, 7.5x and 7.5x.
fn event_tolerance(case: &str) -> f64 {
    match case {
        "fitzhugh_nagumo" => 5e-5,
        "tanh_spiker" | "tanh_spiker_subckt" => 2e-5,
        "hodgkin_huxley" => 5e-5,
        other => panic!("no measured event tolerance for `{other}`: measure it and add it here"),
    }
}

/// The neurons spike when the reference says (ngspice with the written
/// netlist, hierarchical and flat).
#[test]
fn written_neurons_spike_on_time_in_ngspice() {
    for case in reference::all() {
        let Some(events) = &case.events else { continue };
        let tol = event_tolerance(case.name);
        let text = write_netlist(&case.circuit, &case.analysis, &Ngspice, &case.header).unwrap();
        let tstop = case.analysis.tran.unwrap().tstop_s;
        check_events(&run(&text, case.name, tstop), case.name, events, tol);
        // Flat export (subcircuits expanded) spikes on time too.
        let flat = write_flat_netlist(&case.circuit, &case.analysis, &Ngspice, &case.header).unwrap();
        let label = format!("{} (flat)", case.name);
        check_events(&run(&flat, &label, tstop), &label, events, tol);
    }
}

fn check_events(r: &Run, name: &str, events: &Events, tol: f64) {
    let node = &events.signal;
    let t = r.column("time").unwrap();
    let v =
        r.column(&format!("v({node})")).unwrap_or_else(|| panic!("{name}: no v({node}) in {:?}", r.names));
    let got = crossings(&t, &v, events.threshold, events.hysteresis);
    let expected = &events.times;
    assert_eq!(got.len(), expected.len(), "{name}: events {got:?}, expected {expected:?}");
    let isi = events.interval();
    for (k, (g, x)) in got.iter().zip(expected).enumerate() {
        let err = (g - x).abs() / isi;
        assert!(
            err <= tol,
            "{name}: event {k} at {g}, expected {x}: off by {err:.3e} of the interval {isi} (allowed {tol:e}); \
             all events {got:?}"
        );
    }
}
