//! Comparison metrics on hand-made trains with known answers
//! (`tests/fixtures/compare/known.py` computes them by brute force; output in `known.txt`).

use atscale_verify::compare::{
    coincidence_factor, compare_trains, exp_kernel_sum, match_events, van_rossum, verdict, victor_purpura,
    CompareOptions, Disagreement, Tolerances,
};
use proptest::prelude::*;

use crate::close;

const REF: [f64; 4] = [10.0, 20.0, 30.0, 40.0];

fn opts() -> CompareOptions {
    CompareOptions { duration_s: Some(50.0), ..CompareOptions::default() }
}

#[test]
fn identical_trains() {
    let c = compare_trains(&REF, &REF, &opts());
    assert_eq!((c.counts.matched, c.counts.missing, c.counts.extra), (4, 0, 0));
    assert_eq!(c.time_scale_s, Some(10.0));
    assert_eq!(c.gamma, Some(1.0));
    assert_eq!(c.van_rossum, Some(0.0));
    assert_eq!(c.victor_purpura, Some(0.0));
    assert_eq!(c.max_abs_dt_s, Some(0.0));
    assert!(verdict(&c, &Tolerances::default()).agree);
}

#[test]
fn one_shifted_spike() {
    let other = [10.0, 20.05, 30.0, 40.0];
    let c = compare_trains(&REF, &other, &opts());
    assert_eq!(c.counts.matched, 4);
    // 20.05 - 20 is 0.05 + 7.1e-16 in binary: measured 1.4e-14 relative here
    // and for the VP distances below; 1e-13 is a 7x margin.
    assert!(close(c.max_abs_dt_s.unwrap(), 0.05, 1e-13, 0.0));
    assert!(close(c.matched[1].dt_s, 0.05, 1e-13, 0.0));
    assert!(close(c.max_abs_dt_rel_local.unwrap(), 0.005, 1e-13, 0.0));
    // Defaults: Δ = τ = 0.1 s, q = 10 /s. Exact values (measured 0) are checked
    // at 1e-15, a few ulp.
    assert!(close(c.coincidence_window_s.unwrap(), 0.1, 1e-15, 0.0));
    assert_eq!(c.gamma, Some(1.0));
    // van Rossum closed form sqrt(1 - e^{-|dt|/τ}) = 0.6272713450233246 (known.txt).
    assert!(close(c.van_rossum.unwrap(), 0.627_271_345_023_324_6, 1e-15, 0.0));
    // Measured 5.3e-15 relative (the input's 7.1e-16 s offset); 5e-14 is a 9.4x margin.
    assert!(close(c.van_rossum.unwrap(), (1.0 - (-0.5f64).exp()).sqrt(), 5e-14, 0.0));
    // VP = q |dt| when q |dt| < 2.
    assert!(close(c.victor_purpura.unwrap(), 0.5, 1e-13, 0.0));
    assert!(close(victor_purpura(&REF, &other, 1.0), 0.05, 1e-13, 0.0));
    // Default tolerance: 1e-3 × 10 s = 0.01 s < 0.05 s.
    let v = verdict(&c, &Tolerances::default());
    assert!(!v.agree);
    assert_eq!(
        v.reasons,
        [Disagreement::TimingExceeded { max_abs_dt_s: c.max_abs_dt_s.unwrap(), limit_s: 0.01 }]
    );
    assert!(verdict(&c, &Tolerances { max_abs_dt_s: Some(0.06), ..Tolerances::default() }).agree);
}

#[test]
fn shift_beyond_coincidence_window() {
    let other = [10.0, 20.5, 30.0, 40.0];
    let c = compare_trains(&REF, &other, &opts());
    assert_eq!(c.counts.matched, 4);
    // Both measured exactly 0; 1e-15 is a few ulp.
    assert!(close(c.gamma.unwrap(), 0.745_934_959_349_593_5, 1e-15, 0.0));
    assert!(close(c.van_rossum.unwrap(), 0.996_625_332_309_446_4, 1e-15, 0.0));
    // q |dt| = 5 > 2: deleting and inserting (cost 2) is cheaper.
    assert_eq!(c.victor_purpura, Some(2.0));
}

#[test]
fn one_missing_spike() {
    let other = [10.0, 20.0, 40.0];
    let c = compare_trains(&REF, &other, &opts());
    assert_eq!((c.counts.matched, c.counts.missing, c.counts.extra), (3, 1, 0));
    assert_eq!(c.missing_s, [30.0]);
    assert_eq!(c.victor_purpura, Some(1.0));
    // Both measured exactly 0; 1e-15 is a few ulp.
    assert!(close(c.van_rossum.unwrap(), std::f64::consts::FRAC_1_SQRT_2, 1e-15, 0.0));
    assert!(close(c.gamma.unwrap(), 0.853_672_643_146_327_4, 1e-15, 0.0));
    let v = verdict(&c, &Tolerances::default());
    assert_eq!(v.reasons, [Disagreement::CountMismatch { missing: 1, extra: 0 }]);
    // The reverse direction counts it as extra.
    let r = compare_trains(&other, &REF, &opts());
    assert_eq!((r.counts.missing, r.counts.extra), (0, 1));
}

#[test]
fn single_event_uses_duration_as_time_scale() {
    let c = compare_trains(
        &[1.0],
        &[1.0005],
        &CompareOptions { duration_s: Some(2.0), ..CompareOptions::default() },
    );
    assert_eq!(c.time_scale_s, Some(2.0));
    assert!(verdict(&c, &Tolerances::default()).agree);
    let none = compare_trains(&[1.0], &[1.0005], &CompareOptions::default());
    assert_eq!(none.time_scale_s, None);
    assert_eq!(verdict(&none, &Tolerances::default()).reasons, [Disagreement::NoTimeScale]);
    let empty = compare_trains(&[], &[], &CompareOptions::default());
    assert!(verdict(&empty, &Tolerances::default()).agree);
}

/// splitmix64, so the test needs no random-number crate.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn poisson_train(&mut self, rate: f64, duration: f64) -> Vec<f64> {
        let mut t = 0.0;
        let mut out = Vec::new();
        loop {
            t += -(1.0 - self.next_f64()).ln() / rate;
            if t >= duration {
                return out;
            }
            out.push(t);
        }
    }
}

#[test]
fn gamma_is_near_zero_for_independent_poisson_trains() {
    let mut rng = Rng(0x5eed);
    let (rate, duration, delta) = (10.0, 100.0, 2e-3);
    let n = 400;
    let mean: f64 = (0..n)
        .map(|_| {
            let a = rng.poisson_train(rate, duration);
            let b = rng.poisson_train(rate, duration);
            coincidence_factor(&a, &b, delta, duration).unwrap()
        })
        .sum::<f64>()
        / n as f64;
    // Per pair sd ≈ sqrt(2νΔ N)/N ≈ 0.0063; the mean of 400 has sd ≈ 3e-4.
    assert!(mean.abs() < 2e-3, "mean Gamma {mean}");
    // Identical trains stay at 1.
    let a = rng.poisson_train(rate, duration);
    // Measured exactly 0.
    assert!(close(coincidence_factor(&a, &a, delta, duration).unwrap(), 1.0, 1e-15, 0.0));
}

fn brute_kernel(x: &[f64], y: &[f64], tau: f64) -> f64 {
    x.iter().flat_map(|a| y.iter().map(move |b| (-(a - b).abs() / tau).exp())).sum()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

proptest! {
    #[test]
    fn linear_kernel_sum_equals_brute_force(x in proptest::collection::vec(0.0..100.0f64, 0..40),
                                            y in proptest::collection::vec(0.0..100.0f64, 0..40),
                                            tau in 0.01..50.0f64) {
        let (x, y) = (sorted(x), sorted(y));
        let fast = exp_kernel_sum(&x, &y, tau);
        let slow = brute_kernel(&x, &y, tau);
        // Measured at most 2.9e-6 of the old 1e-9/1e-12 bound over 256 random
        // cases; 1e-13/1e-16 is 35x, wider than usual as the cases change per run.
        prop_assert!(close(fast, slow, 1e-13, 1e-16), "{} vs {}", fast, slow);
    }

    #[test]
    fn metrics_are_symmetric_and_zero_on_self(x in proptest::collection::vec(0.0..100.0f64, 0..30),
                                              y in proptest::collection::vec(0.0..100.0f64, 0..30)) {
        let (x, y) = (sorted(x), sorted(y));
        // Symmetry measured to 8.9e-16 (van Rossum) and exactly (VP) over 256
        // random cases; 1e-14/1e-14 is 58x and 1e-13/1e-15 a few ulp, wider
        // than usual as the cases change per run.
        prop_assert!(close(van_rossum(&x, &y, 1.0), van_rossum(&y, &x, 1.0), 1e-14, 1e-14));
        prop_assert!(close(victor_purpura(&x, &y, 2.0), victor_purpura(&y, &x, 2.0), 1e-13, 1e-15));
        // Measured exactly 0, but van Rossum is the square root of a difference of
        // kernel sums: a 1e-14 round-off there becomes 1e-7, so 1e-6 stays loose.
        prop_assert!(van_rossum(&x, &x, 1.0) < 1e-6);
        prop_assert_eq!(victor_purpura(&x, &x, 2.0), 0.0);
        // VP is bounded by deleting everything and inserting everything.
        prop_assert!(victor_purpura(&x, &y, 2.0) <= (x.len() + y.len()) as f64 + 1e-9);
        let (pairs, miss, extra) = match_events(&x, &y, 1.0);
        prop_assert_eq!(pairs.len() + miss.len(), x.len());
        prop_assert_eq!(pairs.len() + extra.len(), y.len());
        for (i, j) in pairs { prop_assert!((x[i] - y[j]).abs() <= 1.0); }
    }
}
