//! Raw file reader on real ngspice output and hand-edited header variants.

use atscale_verify::raw::{Columns, Encoding, RawFile};
use atscale_verify::Error;
use proptest::prelude::*;

use crate::{close, fixture};

fn read(name: &str) -> RawFile {
    RawFile::read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn binary_transient_rc_step() {
    let f = read("rc_step.raw");
    assert_eq!(f.plots.len(), 1);
    let p = &f.plots[0];
    assert_eq!(p.plotname, "Transient Analysis");
    assert_eq!(p.encoding, Encoding::Binary);
    assert_eq!(p.len(), 219);
    assert!(!p.truncated);
    assert_eq!(p.names(), ["time", "v(in)", "v(out)", "i(v1)"]);
    let t = p.time().unwrap();
    assert_eq!(t[0], 0.0);
    // Measured exactly 0.
    assert!(close(*t.last().unwrap(), 2e-3, 1e-15, 0.0));
    // Case-insensitive names and aliases.
    let out = p.real("V(OUT)").unwrap();
    assert_eq!(out, p.real("out").unwrap());
    assert_eq!(p.real("i(V1)").unwrap().len(), 219);
    // RC charging: v(out) at the end = 1 - exp(-(2e-3 - 1e-4)/1e-3) within integration error.
    let expect = 1.0 - (-(2e-3f64 - 1e-4 - 0.5e-6) / 1e-3).exp();
    // Measured 3.6e-6 relative (ngspice's integration error in this recorded run);
    // 4e-5 is an 11x margin.
    assert!(close(*out.last().unwrap(), expect, 4e-5, 0.0), "{} vs {expect}", out.last().unwrap());
    match p.real("v(nosuch)") {
        Err(Error::MissingSignal { available, .. }) => assert_eq!(available.len(), 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ascii_equals_binary() {
    let b = read("rc_step.raw");
    let a = read("rc_step_ascii.raw");
    assert_eq!(a.plots[0].encoding, Encoding::Ascii);
    assert_eq!(a.plots[0].names(), b.plots[0].names());
    for name in ["time", "v(in)", "v(out)", "i(v1)"] {
        let (x, y) = (a.plots[0].real(name).unwrap(), b.plots[0].real(name).unwrap());
        assert_eq!(x.len(), y.len());
        for (u, v) in x.iter().zip(y) {
            // Measured at most 0.04 of this bound; 25x margin.
            assert!(close(*u, *v, 1e-14, 1e-300), "{name}: {u} vs {v}");
        }
    }
}

#[test]
fn complex_ac_binary_and_ascii() {
    for name in ["ac_rc.raw", "ac_rc_ascii.raw"] {
        let f = read(name);
        let p = &f.plots[0];
        assert!(p.is_complex(), "{name}");
        assert_eq!(p.len(), 21);
        let freq = p.complex("frequency").unwrap();
        let out = p.complex("v(out)").unwrap();
        for (f, v) in freq.iter().zip(out) {
            // First-order low-pass, RC = 1 ms: |H| = 1/sqrt(1 + (w RC)^2).
            let w = 2.0 * std::f64::consts::PI * f.re;
            let h = 1.0 / (1.0 + (w * 1e-3).powi(2)).sqrt();
            // Measured at most 1.4e-17 (3.5e-7 of the old 1e-9/1e-15 bound);
            // 3e-15/3e-18 is an 8.6x margin.
            assert!(close(v.abs(), h, 3e-15, 3e-18), "{name} f = {}: {} vs {h}", f.re, v.abs());
            // ngspice stores the frequency as complex; its imaginary part is noise near 0
            // (seen: 2e-137, 3e-30).
            // Not an accuracy: a bound on noise of arbitrary size (measured at
            // most 2.8e-31 of f here).
            assert!(f.im.abs() < 1e-20 * f.re, "{}", f.im);
        }
        assert!(p.real("v(out)").is_err());
    }
}

#[test]
fn several_plots_in_one_file() {
    let f = read("multi.raw");
    let names: Vec<&str> = f.plots.iter().map(|p| p.plotname.as_str()).collect();
    assert_eq!(names, ["AC Analysis", "Operating Point", "Transient Analysis"]);
    assert_eq!(f.plots[0].len(), 5);
    assert_eq!(f.plots[1].len(), 1);
    // Measured exactly 0 here and below.
    assert!(close(f.plots[1].real("v(in)").unwrap()[0], 1.0, 1e-15, 0.0));
    let tr = f.transient().unwrap();
    assert_eq!(tr.len(), 71);
    assert!(close(*tr.time().unwrap().last().unwrap(), 1e-3, 1e-15, 0.0));
}

#[test]
fn uic_missing_first_row_and_prepend() {
    let mut f = read("fhn_uic.raw");
    let p = &mut f.plots[0];
    let t0 = p.time().unwrap()[0];
    assert!(t0 > 0.0, "ngspice 39 omits the t = 0 row under uic");
    let n = p.len();
    assert!(p.prepend_initial_state(0.0, &[("v", -1.0), ("i(l1)", 1.0)]).unwrap());
    assert_eq!(p.len(), n + 1);
    assert_eq!(p.time().unwrap()[0], 0.0);
    assert_eq!(p.real("v(v)").unwrap()[0], -1.0);
    assert_eq!(p.real("i(l1)").unwrap()[0], 1.0);
    // Second call is a no-op.
    assert!(!p.prepend_initial_state(0.0, &[]).unwrap());
    assert!(p.prepend_initial_row(&[0.0]).is_err());
}

#[test]
fn aborted_run_no_points_zero_infers_count() {
    let f = read("aborted_blowup.raw");
    let p = &f.plots[0];
    assert_eq!(p.declared_points, 0);
    assert_eq!(p.len(), 255);
    assert!(!p.truncated);
    let t = p.time().unwrap();
    // Measured 4.0e-6 relative (0.9977 is rounded); 1e-4 is a 25x margin.
    assert!(close(*t.last().unwrap(), 0.9977, 1e-4, 0.0));
}

#[test]
fn header_variants_42_and_45() {
    let a = read("rc_step_ascii_v42.raw");
    assert_eq!(a.plots[0].command.as_deref(), Some("version 42"));
    assert_eq!(a.plots[0].flags, ["real", "forward"]);
    let b = read("rc_step_v45.raw");
    assert_eq!(b.plots[0].command.as_deref(), Some("ngspice-45.2 -b -r out.raw deck.cir"));
    assert_eq!(b.plots[0].flags, ["real", "forward", "nosort"]);
    assert_eq!(b.plots[0].columns, read("rc_step.raw").plots[0].columns);
}

#[test]
fn truncated_binary_keeps_complete_points() {
    let f = read("rc_step_truncated.raw");
    let p = &f.plots[0];
    assert!(p.truncated);
    assert_eq!(p.declared_points, 219);
    // 100 bytes cut = 3.125 rows of 32 bytes: 215 complete rows remain.
    assert_eq!(p.len(), 215);
    let full = read("rc_step.raw");
    assert_eq!(p.time().unwrap(), &full.plots[0].time().unwrap()[..215]);
}

#[test]
fn malformed_headers_are_errors() {
    let path = std::path::Path::new("mem.raw");
    for bytes in [
        &b""[..],
        b"Title: x\n",
        b"Title: x\nNo. Variables: two\n",
        b"Title: x\nNo. Variables: 1\nNo. Points: 1\nVariables:\n\t0\ttime\ttime\n\t1\tv\tvoltage\nBinary:\n",
        b"garbage line\n",
    ] {
        assert!(RawFile::parse(bytes, path).is_err(), "{:?}", String::from_utf8_lossy(bytes));
    }
    let ok =
        b"Title: x\nNo. Variables: 1\nNo. Points: 2\nVariables:\n\t0\ttime\ttime\nValues:\n0\t1.0\n1\t2.0\n";
    let f = RawFile::parse(ok, path).unwrap();
    assert_eq!(f.plots[0].columns, Columns::Real(vec![vec![1.0, 2.0]]));
    let bad = b"Title: x\nNo. Variables: 1\nNo. Points: 1\nVariables:\n\t0\ttime\ttime\nValues:\n0\tabc\n";
    assert!(matches!(RawFile::parse(bad, path), Err(Error::RawValue { .. })));
}

#[test]
fn non_finite_or_backward_times_are_not_a_run() {
    let path = std::path::Path::new("mem.raw");
    let file = |times: &str| {
        format!(
            "Title: x\nPlotname: Transient Analysis\nNo. Variables: 1\nNo. Points: 3\nVariables:\n\t0\ttime\ttime\nValues:\n{times}"
        )
    };
    let ok = file("0\t0.0\n1\t1e-3\n2\t1e-3\n");
    assert!(RawFile::parse(ok.as_bytes(), path).is_ok());
    for (times, point, reason) in [
        ("0\t0.0\n1\tnan\n2\t2e-3\n", 1, "is not a finite number"),
        ("0\t0.0\n1\t1e-3\n2\tinf\n", 2, "is not a finite number"),
        ("0\t0.0\n1\t2e-3\n2\t1e-3\n", 2, "is before the previous time point"),
    ] {
        match RawFile::parse(file(times).as_bytes(), path) {
            Err(Error::RawScale { point: p, reason: r, .. }) => {
                assert_eq!((p, r), (point, reason), "{times}")
            }
            other => panic!("{times}: {other:?}"),
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = RawFile::parse(&bytes, std::path::Path::new("fuzz.raw"));
    }

    #[test]
    fn mutated_real_files_never_panic(cut in 0usize..8000, pos in 0usize..8000, byte in any::<u8>(),
                                      which in 0usize..4) {
        let name = ["rc_step.raw", "rc_step_ascii.raw", "ac_rc.raw", "multi.raw"][which];
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        if pos < bytes.len() { bytes[pos] = byte; }
        bytes.truncate(cut.min(bytes.len()));
        let _ = RawFile::parse(&bytes, std::path::Path::new(name));
    }
}
