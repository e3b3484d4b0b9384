//! Time scale analysis: Bode magnitudes of real pole/zero filters in the
//! softplus form, rescaling as a shift, band-pass coarsening.

use atscale_circuit::{Expr, Relaxation};
use atscale_design::timescale::{CornerFate, Filter};
use nalgebra::Complex;
use proptest::prelude::*;

/// `|G(jω)|` by complex arithmetic, directly from the factors.
fn direct_magnitude(f: &Filter, omega: f64) -> f64 {
    let s = Complex::new(0.0, omega);
    let mut g = Complex::new(f.gain, 0.0) * s.powi(f.s_power);
    for &(tau, k) in &f.zeros {
        g *= (Complex::new(1.0, 0.0) + s * tau).powi(k as i32);
    }
    for &(tau, l) in &f.poles {
        g /= (Complex::new(1.0, 0.0) + s * tau).powi(l as i32);
    }
    g.norm()
}

fn example() -> Filter {
    Filter::new(-2.5, vec![(1e-3, 1), (0.2, 2)], vec![(1e-2, 1), (1.0, 3), (5e-5, 1)]).unwrap()
}

#[test]
fn softplus_form_equals_complex_magnitude() {
    let mut f = example();
    for s_power in [0, 1, -2] {
        f.s_power = s_power;
        for k in 0..=90 {
            let w = 10f64.powf(-3.0 + f64::from(k) / 10.0);
            let want = direct_magnitude(&f, w).ln();
            let got = f.log_magnitude(w);
            // Measured at most 1.3e-15 (scaled); 2e-14 is a 15x margin.
            assert!((got - want).abs() < 2e-14 * (1.0 + want.abs()), "ω = {w}: {got} vs {want}");
        }
    }
}

#[test]
fn bode_is_log_spaced_in_log10() {
    let f = example();
    let b = f.bode(1e-2, 1e4, 61).unwrap();
    assert_eq!(b.len(), 61);
    // Measured 3.5e-18, 9.1e-12 and 1.4e-17 (a few ulp of 10^x); 29x, 11x, 14x.
    assert!((b[0].0 - 1e-2).abs() < 1e-16 && (b[60].0 - 1e4).abs() < 1e-10);
    assert!((b[10].0 - 1e-1).abs() < 2e-16);
    for &(w, db) in &b {
        // Measured at most 2.2e-15; 3e-14 is a 13x margin.
        assert!((db - direct_magnitude(&f, w).log10()).abs() < 3e-14);
    }
    assert!(f.bode(1.0, 0.5, 10).is_err());
    assert!(f.bode(1.0, 2.0, 1).is_err());
    assert!(Filter::new(0.0, vec![], vec![]).is_err());
    assert!(Filter::low_pass(1.0, -1.0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Time rescaling by `ω0` shifts the Bode plot: `G'(jω/ω0) = G(jω)`.
    #[test]
    fn rescaling_shifts_the_bode_plot(log_w0 in -9.0..3.0f64, log_w in -4.0..6.0f64, s_power in -1i32..2) {
        let mut f = example();
        f.s_power = s_power;
        let w0 = 10f64.powf(log_w0);
        let w = 10f64.powf(log_w);
        let r = f.rescale(w0).unwrap();
        let (a, b) = (r.log_magnitude(w / w0), f.log_magnitude(w));
        prop_assert!((a - b).abs() < 1e-11 * (1.0 + b.abs()), "{} vs {}", a, b);
    }
}

#[test]
fn coarsening_keeps_the_band_within_the_stated_bound() {
    // Band 10..1000 rad/s. Corners (1/τ): fast pole 1e5 and double pole
    // 1e4, fast zero 2e4; kept zero 100 and pole 300; slow pole 0.5 and
    // slow zero 1.
    let f = Filter::new(
        3.0,
        vec![(1.0 / 2e4, 1), (1e-2, 1), (1.0, 1)],
        vec![(1e-5, 1), (1e-4, 2), (1.0 / 300.0, 1), (2.0, 1)],
    )
    .unwrap();
    let band = (10.0, 1000.0);
    assert_eq!(Filter::corner_fate(1e-5, band), CornerFate::Instantaneous);
    assert_eq!(Filter::corner_fate(1e-2, band), CornerFate::Kept);
    assert_eq!(Filter::corner_fate(2.0, band), CornerFate::Frozen);
    let c = f.coarsen(band).unwrap();
    assert_eq!(c.zeros, vec![(1e-2, 1)]);
    assert_eq!(c.poles, vec![(1.0 / 300.0, 1)]);
    assert_eq!(c.s_power, 0, "a frozen zero and a frozen pole: s / s");
    let bound = f.coarsen_error_bound(band).unwrap();
    // Each removed corner is at least a decade outside: ½ ln(1.01) per unit of multiplicity (6 units).
    assert!(bound <= 6.0 * 0.5 * 1.01f64.ln() + 1e-15, "bound {bound}");
    let mut worst = 0.0f64;
    for k in 0..=200 {
        let w = 10f64.powf(1.0 + 2.0 * f64::from(k) / 200.0);
        worst = worst.max((c.log_magnitude(w) - f.log_magnitude(w)).abs());
    }
    assert!(worst <= bound, "worst {worst} > bound {bound}");
    assert!(worst < 0.02, "worst {worst}");
    // Far outside the band the coarse filter is not the filter.
    assert!((c.log_magnitude(1e7) - f.log_magnitude(1e7)).abs() > 1.0);
    assert!(f.coarsen((10.0, 10.0)).is_err());
}

#[test]
fn frozen_low_pass_is_an_integrator() {
    let f = Filter::low_pass(2.0, 10.0).unwrap();
    let c = f.coarsen((100.0, 1e4)).unwrap();
    assert_eq!(c.s_power, -1);
    assert!(c.poles.is_empty());
    assert!((c.gain - 0.2).abs() < 1e-15);
    assert!((c.log_magnitude(1e3) - (2.0f64 / 1e4).ln()).abs() < 1e-14);
}

#[test]
fn relaxation_filters() {
    let lin = Relaxation::Linear { tau_s: 2e-3, x0: 0.0 };
    let f = Filter::from_relaxation(&lin, 0.3).unwrap();
    assert_eq!(f.poles, vec![(2e-3, 1)]);
    assert!((f.gain - 1.0).abs() < 1e-15);
    // alpha = e^v, beta = e^-v (1/s): x∞ = logistic(2v), τ = 1/(2 cosh v),
    // dx∞/dv = 2 x∞ (1 - x∞).
    let kin = Relaxation::Kinetic {
        alpha: Expr::parse("exp(v)").unwrap(),
        beta: Expr::parse("exp(-v)").unwrap(),
        x0: 0.5,
    };
    for v in [-1.0f64, 0.0, 0.7] {
        let f = Filter::from_relaxation(&kin, v).unwrap();
        let x = 1.0 / (1.0 + (-2.0 * v).exp());
        assert!((f.poles[0].0 - 1.0 / (2.0 * v.cosh())).abs() < 1e-14);
        assert!((f.gain - 2.0 * x * (1.0 - x)).abs() < 1e-12, "v = {v}: {}", f.gain);
    }
    assert!(Filter::from_relaxation(&lin, f64::NAN).is_err());
}
