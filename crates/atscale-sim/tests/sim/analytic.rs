//! RC and RLC against their analytic waveforms; error shrinking with tolerance.

use atscale_sim::reference::{self, ReferenceCase};

fn max_error(case: &ReferenceCase, reltol: f64) -> f64 {
    let res = case.simulation().unwrap().reltol(reltol).run().unwrap();
    let exact = case.exact.unwrap();
    let v = res.trace(case.signal).unwrap();
    res.time.iter().zip(v).map(|(t, v)| (v - exact(*t)).abs()).fold(0.0, f64::max)
}

#[test]
fn rc_matches_exponential_within_tolerance() {
    let case = reference::rc();
    // Amplitude 1 V: the error must stay within reltol * 1 V.
    let e = max_error(&case, 1e-3);
    assert!(e < 1e-3, "RC max error {e}");
}

#[test]
fn rlc_matches_ring_down_within_tolerance() {
    let case = reference::rlc();
    let e = max_error(&case, 1e-3);
    assert!(e < 1e-3, "RLC max error {e}");
}

#[test]
fn error_shrinks_over_three_decades() {
    for case in [reference::rc(), reference::rlc()] {
        let errs: Vec<f64> = [1e-2, 1e-3, 1e-4, 1e-5].iter().map(|&rt| max_error(&case, rt)).collect();
        for w in errs.windows(2) {
            assert!(w[1] < w[0], "{}: errors {errs:?}", case.name);
        }
        assert!(errs[3] < errs[0] / 100.0, "{}: errors {errs:?}", case.name);
    }
}

#[test]
fn output_at_requested_times_interpolates() {
    let case = reference::rc();
    let times: Vec<f64> = (0..=10).map(|k| k as f64 * 4e-4).collect();
    let res = case.simulation().unwrap().output(atscale_sim::Output::Times(times.clone())).run().unwrap();
    assert_eq!(res.time, times);
    let exact = case.exact.unwrap();
    for (t, v) in res.time.iter().zip(res.trace("a").unwrap()) {
        assert!((v - exact(*t)).abs() < 1e-3, "at {t}: {v} vs {}", exact(*t));
    }
}
