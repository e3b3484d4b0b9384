//! Amplitude scale analysis (theory note section 5): conductances as GLMs on
//! the softplus basis.
//!
//! A conductor `i = g(v) v` with `g(v) = g0 m(v)` is written
//!
//! ```text
//! log m(v) ≈ Σⱼ wⱼ softplus(aⱼ (v - cⱼ)),      softplus(x) = ln(1 + eˣ)
//! ```
//!
//! with slopes `aⱼ` (1/V) on a log-spaced grid of both signs and optional
//! centres `cⱼ` (V): a [`SoftplusBasis`]. [`SoftplusBasis::fit`] finds the
//! weights by ridge (Tikhonov) least squares and returns a [`GlmFit`], which
//! evaluates, becomes a circuit law ([`GlmFit::to_law`]), stretches to
//! another amplitude scale ([`GlmFit::stretch`]), shows its discrete scale
//! transform ([`GlmFit::scale_plot`]) and coarsens either by band-passing
//! that transform ([`GlmFit::coarsen_band`]) or by smoothing with the
//! logistic density, a Pólya frequency kernel ([`GlmFit::smooth_polya`],
//! [`smooth_polya`]).
//!
//! Critical points of the landscape `P(v) = G(v) - I v` are the solutions of
//! `f(v) = I`; [`crossings`], [`count_critical_points`] and [`sign_changes`]
//! count them and [`fingerprint_amplitude`] follows their number as the
//! smoothing scale grows.
//!
//! # Variation diminishing, and what band-passing does not guarantee
//!
//! Smoothing with a normalised Pólya frequency kernel `k` never increases the
//! number of sign changes (Schoenberg): `S⁻((f - I) * k) ≤ S⁻(f - I)`, and
//! since `∫k = 1`, `(f - I) * k = f * k - I`. So smoothing the *current* of a
//! resistor never creates new critical points of its landscape. Across
//! scales, the logistic family is not a semigroup: the logistic density of
//! scale `n s` is the logistic density of scale `s` convolved with another
//! Pólya frequency kernel only when `n` is a positive integer (the ratio of
//! their Laplace transforms, `sin(π n s z) / (n sin(π s z))`, has only real
//! zeros). Hence the count is non-increasing along dyadic scales
//! `s, 2s, 4s, …`, which is what the property tests check.
//!
//! Band truncation ([`GlmFit::coarsen_band`]) removes features sharper than
//! a scale but gives no such guarantee: removing a sharp term that
//! compensated a gentle one can create folds. The integration tests exhibit
//! such a law (a gentle conductance ramp cancelled by a sharp one).
//!
//! # Accuracy of the numerical smoothing
//!
//! [`smooth_polya`] samples `f` on a uniform grid of step `δ` and convolves
//! with the sampled kernel, truncated at `|u| ≤ 36 s` (neglected kernel mass
//! `2/(1 + e³⁶) ≈ 4.6e-16`) and normalised to unit sum. This is the
//! trapezoidal rule on the real line, whose error for integrands analytic in
//! the strip `|Im u| < d` decays like `exp(-2π d/δ)`. The logistic density is
//! analytic for `|Im u| < π s` and `softplus(a v)` for `|Im v| < π/|a|`, so
//! with `δ ≤ s/2` (enforced) and `δ ≤ 1/(2 max|a|)` (the caller's choice of
//! grid) the quadrature error is below `exp(-4π²) ≈ 7e-18` relative to the
//! size of `f` over a few scales: rounding dominates.

use atscale_circuit::{ResistiveLaw, SoftplusTerm};
use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

/// Half-width of the truncated logistic kernel, in units of its scale.
pub const KERNEL_HALF_WIDTH: f64 = 36.0;

/// `ln(1 + eˣ)` without overflow or loss of precision.
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The logistic density of scale `scale` (V) at `u` (V):
/// `k(u) = e^{-u/s} / (s (1 + e^{-u/s})²)`, in 1/V. It integrates to 1, has
/// variance `π² s²/3`, and is a Pólya frequency function. It is
/// `softplus''(u/s)/s`.
pub fn logistic_density(u: f64, scale: f64) -> f64 {
    let x = -(u / scale).abs();
    let e = x.exp();
    e / (scale * (1.0 + e) * (1.0 + e))
}

fn positive(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::BadParameter { name: name.to_owned(), requirement: "positive and finite", value })
    }
}

fn finite(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::BadParameter { name: name.to_owned(), requirement: "finite", value })
    }
}

/// A softplus basis: every slope with every centre, plus an optional
/// constant (which becomes `g0`).
#[derive(Debug, Clone, PartialEq)]
pub struct SoftplusBasis {
    /// Slopes `a` in 1/V, both signs, non-zero.
    pub slopes: Vec<f64>,
    /// Centres `c` in V; each slope is used with each centre. Empty means
    /// the single centre 0 V.
    pub centres: Vec<f64>,
    /// Fit a constant `ln g0` as well (default `true`); without it `g0` is
    /// 1 (in the unit of the samples).
    pub constant: bool,
}

impl SoftplusBasis {
    /// Log-spaced magnitudes `a_min · 10^(k/per_decade)` (1/V) up to `a_max`
    /// (included when it falls on the grid, within 1e-9 relative), each with
    /// both signs, used with every centre (V). A constant is fitted too.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] when `0 < a_min ≤ a_max` fails, `per_decade`
    /// is 0 or a centre is not finite.
    pub fn log_spaced(a_min: f64, a_max: f64, per_decade: usize, centres: Vec<f64>) -> Result<Self> {
        positive("smallest slope a_min (1/V)", a_min)?;
        positive("largest slope a_max (1/V)", a_max)?;
        if a_max < a_min {
            return Err(Error::BadParameter {
                name: "largest slope a_max (1/V)".into(),
                requirement: "at least a_min",
                value: a_max,
            });
        }
        if per_decade == 0 {
            return Err(Error::BadParameter {
                name: "slopes per decade".into(),
                requirement: "at least 1",
                value: 0.0,
            });
        }
        for &c in &centres {
            finite("centre c (V)", c)?;
        }
        let decades = (a_max / a_min).log10();
        let n = (decades * per_decade as f64 + 1e-9).floor() as usize + 1;
        let mut slopes = Vec::with_capacity(2 * n);
        for k in 0..n {
            let a = a_min * 10f64.powf(k as f64 / per_decade as f64);
            slopes.push(-a);
            slopes.push(a);
        }
        Ok(Self { slopes, centres, constant: true })
    }

    fn centre_list(&self) -> Vec<f64> {
        if self.centres.is_empty() {
            vec![0.0]
        } else {
            self.centres.clone()
        }
    }

    /// The `(a, c)` pairs of the basis, in column order.
    pub fn terms(&self) -> Vec<(f64, f64)> {
        let centres = self.centre_list();
        self.slopes.iter().flat_map(|&a| centres.iter().map(move |&c| (a, c))).collect()
    }

    /// Number of basis functions, the constant included.
    pub fn len(&self) -> usize {
        self.slopes.len() * self.centre_list().len() + usize::from(self.constant)
    }

    /// Whether the basis has no function at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fits `ln y(v) ≈ ln g0 + Σ wⱼ softplus(aⱼ (v - cⱼ))` to positive samples
    /// `(v in V, y)`, where `y` is `m(v)` (dimensionless) or a conductance
    /// `g(v) = g0 m(v)` in S, by ridge least squares: minimise
    /// `Σ residual² + lambda Σ wⱼ²` (the constant is not penalised).
    ///
    /// Solved by SVD of the stacked system `[A; √λ I]` (no normal equations),
    /// singular values below `1e-15 σ_max` dropped. The weights are not unique
    /// (`softplus(x) - softplus(-x) = x`, so opposite slopes share a linear
    /// part): compare fitted functions, not weights.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] for a negative or non-finite `lambda`, an empty
    /// basis, or a sample that is not finite and positive;
    /// [`Error::FitFailed`] when the SVD does not converge.
    pub fn fit(&self, samples: &[(f64, f64)], lambda: f64) -> Result<GlmFit> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::BadParameter {
                name: "ridge parameter lambda".into(),
                requirement: "non-negative and finite",
                value: lambda,
            });
        }
        if self.is_empty() {
            return Err(Error::BadParameter {
                name: "number of basis functions".into(),
                requirement: "at least 1",
                value: 0.0,
            });
        }
        for (k, &(v, y)) in samples.iter().enumerate() {
            finite(&format!("sample {k} voltage (V)"), v)?;
            positive(&format!("sample {k} value at v = {v} V"), y)?;
        }
        let terms = self.terms();
        let cols = self.len();
        let n = samples.len();
        let rows = n + terms.len();
        let mut a = DMatrix::<f64>::zeros(rows, cols);
        let mut b = DVector::<f64>::zeros(rows);
        for (r, &(v, y)) in samples.iter().enumerate() {
            for (j, &(s, c)) in terms.iter().enumerate() {
                a[(r, j)] = softplus(s * (v - c));
            }
            if self.constant {
                a[(r, cols - 1)] = 1.0;
            }
            b[r] = y.ln();
        }
        let root = lambda.sqrt();
        for j in 0..terms.len() {
            a[(n + j, j)] = root;
        }
        let svd = a.clone().svd(true, true);
        let sigma_max = svd.singular_values.max();
        let eps = 1e-15 * sigma_max.max(f64::MIN_POSITIVE);
        let x = svd.solve(&b, eps).map_err(|reason| Error::FitFailed { samples: n, basis: cols, reason })?;
        let fitted = a.rows(0, n) * &x;
        let sum_sq: f64 = (0..n).map(|r| (fitted[r] - b[r]).powi(2)).sum();
        let residual_rms = if n == 0 { 0.0 } else { (sum_sq / n as f64).sqrt() };
        let g0 = if self.constant { x[cols - 1].exp() } else { 1.0 };
        let terms = terms.iter().enumerate().map(|(j, &(s, c))| SoftplusTerm { w: x[j], a: s, c }).collect();
        tracing::debug!(samples = n, basis = cols, lambda, residual_rms, "softplus fit");
        Ok(GlmFit { g0, terms, residual_rms })
    }

    /// Fits the conductance `g(v) = f(v)/v` of a resistive law sampled at
    /// the given voltages (V); voltages with `|v| < 1e-12` V are skipped. See
    /// [`fit`](Self::fit).
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit); a voltage where the conductance is not positive
    /// is a [`Error::BadParameter`].
    pub fn fit_law(&self, law: &ResistiveLaw<f64>, voltages: &[f64], lambda: f64) -> Result<GlmFit> {
        let samples: Vec<(f64, f64)> =
            voltages.iter().filter(|v| v.abs() >= 1e-12).map(|&v| (v, law.current(v) / v)).collect();
        self.fit(&samples, lambda)
    }
}

/// A fitted GLM conductor `g(v) = g0 exp(Σⱼ wⱼ softplus(aⱼ (v - cⱼ)))`.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmFit {
    /// Conductance scale `g0`, in the unit of the fitted samples (S for a
    /// conductance, 1 for `m`).
    pub g0: f64,
    /// The softplus terms of `log m(v)`: weight, slope (1/V), centre (V).
    pub terms: Vec<SoftplusTerm<f64>>,
    /// Root-mean-square residual of `ln y` over the samples (natural-log
    /// units, about the relative error); 0 for a law not obtained by fitting.
    pub residual_rms: f64,
}

/// One point of a discrete scale plot.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ScalePoint {
    /// Slope `a` in 1/V (its sign is the side of the plot).
    pub a_per_volt: f64,
    /// `log10 |a|`, the abscissa of the scale plot.
    pub log10_abs_a: f64,
    /// Sum of the weights of all terms with this slope (dimensionless).
    pub weight: f64,
}

impl GlmFit {
    /// A GLM from its parts (`residual_rms` 0).
    pub fn new(g0: f64, terms: Vec<SoftplusTerm<f64>>) -> Self {
        Self { g0, terms, residual_rms: 0.0 }
    }

    /// `log m(v) = Σⱼ wⱼ softplus(aⱼ (v - cⱼ))` at `v` in V.
    pub fn log_m(&self, v: f64) -> f64 {
        self.terms.iter().map(|t| t.w * softplus(t.a * (v - t.c))).sum()
    }

    /// The conductance `g(v) = g0 m(v)` at `v` in V.
    pub fn eval(&self, v: f64) -> f64 {
        self.g0 * self.log_m(v).exp()
    }

    /// The current `i = g(v) v` at `v` in V.
    pub fn current(&self, v: f64) -> f64 {
        v * self.eval(v)
    }

    /// The circuit law [`ResistiveLaw::Glm`] with the same `g0` and terms.
    pub fn to_law(&self) -> ResistiveLaw<f64> {
        ResistiveLaw::Glm { g0: self.g0, terms: self.terms.clone() }
    }

    /// The conductor at amplitude scale `s`: `g_s(v) = g(v/s)`. Slopes
    /// become `a/s` and centres `c s`, so the weight at slope `a` moves to
    /// `a/s` and the scale plot shifts by `-log10 s` along `log10|a|` (as a
    /// density, `M_s(b) = s M(s b)`; theory section 5 writes the inverse
    /// map). The current law of a physically scaled circuit also rescales
    /// `g0` (see `scaling`).
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] unless `s` is positive and finite.
    pub fn stretch(&self, s: f64) -> Result<Self> {
        positive("amplitude scale s", s)?;
        let terms = self.terms.iter().map(|t| SoftplusTerm { w: t.w, a: t.a / s, c: t.c * s }).collect();
        Ok(Self { g0: self.g0, terms, residual_rms: self.residual_rms })
    }

    /// The discrete scale transform: the weights summed per slope (over
    /// centres), sorted by slope (negative slopes first, most negative
    /// first). Slopes equal within 1e-12 relative are merged.
    pub fn scale_plot(&self) -> Vec<ScalePoint> {
        let mut pts: Vec<ScalePoint> = Vec::new();
        for t in &self.terms {
            match pts.iter_mut().find(|p| (p.a_per_volt - t.a).abs() <= 1e-12 * t.a.abs()) {
                Some(p) => p.weight += t.w,
                None => pts.push(ScalePoint { a_per_volt: t.a, log10_abs_a: t.a.abs().log10(), weight: t.w }),
            }
        }
        pts.sort_by(|p, q| p.a_per_volt.total_cmp(&q.a_per_volt));
        pts
    }

    /// Band-pass coarsening: drops the terms with `|a| > a_max` (1/V),
    /// features sharper than `1/a_max` volts. This does **not** guarantee
    /// fewer critical points (see the module documentation).
    pub fn coarsen_band(&self, a_max: f64) -> Self {
        let terms = self.terms.iter().filter(|t| t.a.abs() <= a_max).cloned().collect();
        Self { g0: self.g0, terms, residual_rms: self.residual_rms }
    }

    /// `log m` smoothed with the logistic density of scale `scale` (V), on
    /// the grid `v_lo, v_lo + step, …` up to `v_hi` (V). See [`smooth_polya`].
    ///
    /// # Errors
    ///
    /// As [`smooth_polya`].
    pub fn smooth_polya(&self, scale: f64, v_lo: f64, v_hi: f64, step: f64) -> Result<Vec<(f64, f64)>> {
        smooth_polya(|v| self.log_m(v), scale, v_lo, v_hi, step)
    }
}

/// Samples `f` on `v_lo + k step` for `k = 0..` while `≤ v_hi` (within
/// 1e-9 step), at least one point.
fn grid(v_lo: f64, v_hi: f64, step: f64) -> Result<Vec<f64>> {
    finite("window start (V)", v_lo)?;
    finite("window end (V)", v_hi)?;
    positive("grid step (V)", step)?;
    if v_hi < v_lo {
        return Err(Error::BadParameter {
            name: "window end (V)".into(),
            requirement: "at least the window start",
            value: v_hi,
        });
    }
    let n = ((v_hi - v_lo) / step + 1e-9).floor() as usize + 1;
    if n > 50_000_000 {
        return Err(Error::BadParameter {
            name: "number of grid points".into(),
            requirement: "at most 5e7",
            value: n as f64,
        });
    }
    Ok((0..n).map(|k| v_lo + k as f64 * step).collect())
}

/// `(f * k_s)(v)` for the logistic density `k_s` of scale `scale` (V), on
/// the grid `v_lo + k step ≤ v_hi` (V): pairs `(v, smoothed value)`. A scale
/// of 0 returns `f` itself on the grid.
///
/// `f` is sampled on the grid extended by `36 scale` on both sides and
/// convolved with the sampled kernel normalised to unit sum, so a constant
/// is reproduced to rounding and `(f - I) * k = f * k - I` holds in the
/// discrete arithmetic too. See the module documentation for the accuracy
/// (exponential in `scale/step` and in `1/(|a| step)`).
///
/// # Errors
///
/// [`Error::BadParameter`] for a negative scale, a step above `scale/2`,
/// or a bad window.
pub fn smooth_polya(
    f: impl Fn(f64) -> f64,
    scale: f64,
    v_lo: f64,
    v_hi: f64,
    step: f64,
) -> Result<Vec<(f64, f64)>> {
    let out = grid(v_lo, v_hi, step)?;
    if scale == 0.0 {
        return Ok(out.into_iter().map(|v| (v, f(v))).collect());
    }
    positive("smoothing scale (V)", scale)?;
    if step > 0.5 * scale {
        return Err(Error::BadParameter {
            name: format!("grid step (V) for smoothing scale {scale} V"),
            requirement: "at most half the smoothing scale",
            value: step,
        });
    }
    let m = (KERNEL_HALF_WIDTH * scale / step).ceil() as usize;
    let mut kernel: Vec<f64> =
        (0..=2 * m).map(|j| logistic_density((j as f64 - m as f64) * step, scale)).collect();
    let total: f64 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let samples: Vec<f64> = (0..out.len() + 2 * m).map(|i| f(v_lo + (i as f64 - m as f64) * step)).collect();
    Ok(out
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            // y_i = Σ_j k_j f(v_i - u_j), u_j = (j - m) step; f(v_i - u_j) is samples[i + 2m - j].
            let window = &samples[i..=i + 2 * m];
            let y: f64 = kernel.iter().zip(window.iter().rev()).map(|(k, s)| k * s).sum();
            (v, y)
        })
        .collect())
}

/// Number of sign changes of a sequence, zeros skipped (Schoenberg's `S⁻`).
pub fn sign_changes(values: &[f64]) -> usize {
    let mut last = 0.0f64;
    let mut count = 0;
    for &x in values {
        if x != 0.0 && !x.is_nan() {
            if last != 0.0 && (x > 0.0) != (last > 0.0) {
                count += 1;
            }
            last = x;
        }
    }
    count
}

/// Solutions of `f(v) = level` in `[v_lo, v_hi]` (V): sign changes of
/// `f - level` on `n` uniform intervals, each refined by bisection to
/// `1e-13 (1 + |v|)` V. A root where `f - level` touches zero without
/// changing sign is not found (a tangency, of measure zero in the bias).
///
/// # Errors
///
/// [`Error::BadParameter`] for a bad window or `n = 0`.
pub fn crossings(f: impl Fn(f64) -> f64, level: f64, v_lo: f64, v_hi: f64, n: usize) -> Result<Vec<f64>> {
    if n == 0 {
        return Err(Error::BadParameter {
            name: "number of intervals".into(),
            requirement: "at least 1",
            value: 0.0,
        });
    }
    let step = (v_hi - v_lo) / n as f64;
    let vs = grid(v_lo, v_hi, step.max(f64::MIN_POSITIVE))?;
    let g = |v: f64| f(v) - level;
    let mut roots = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for &v in &vs {
        let y = g(v);
        if y == 0.0 {
            roots.push(v);
            prev = None;
            continue;
        }
        if let Some((v0, y0)) = prev {
            if (y0 > 0.0) != (y > 0.0) {
                let (mut a, mut b, mut ya) = (v0, v, y0);
                for _ in 0..200 {
                    if (b - a).abs() <= 1e-13 * (1.0 + a.abs()) {
                        break;
                    }
                    let mid = 0.5 * (a + b);
                    let ym = g(mid);
                    if ym == 0.0 {
                        a = mid;
                        b = mid;
                        break;
                    }
                    if (ym > 0.0) == (ya > 0.0) {
                        a = mid;
                        ya = ym;
                    } else {
                        b = mid;
                    }
                }
                roots.push(0.5 * (a + b));
            }
        }
        if !y.is_nan() {
            prev = Some((v, y));
        }
    }
    Ok(roots)
}

/// Number of critical points of the landscape `P(v) = G(v) - i_bias v` of a
/// resistive law in the window `(v_lo, v_hi)` (V): the solutions of
/// `f(v) = i_bias` (A) found by [`crossings`] on `n` intervals.
///
/// # Errors
///
/// As [`crossings`].
pub fn count_critical_points(
    law: &ResistiveLaw<f64>,
    i_bias: f64,
    window: (f64, f64),
    n: usize,
) -> Result<usize> {
    Ok(crossings(|v| law.current(v), i_bias, window.0, window.1, n)?.len())
}

/// The amplitude fingerprint of a resistive law at bias `i_bias` (A): for
/// each smoothing scale (V), the number of sign changes of `f * k_s - I` on
/// the window sampled with `step` (V); scale 0 is the law itself. By the
/// variation-diminishing property the counts never exceed the count at
/// scale 0, and they are non-increasing along scales that are integer
/// multiples of one another.
///
/// # Errors
///
/// As [`smooth_polya`] for each scale.
pub fn fingerprint_amplitude(
    law: &ResistiveLaw<f64>,
    i_bias: f64,
    window: (f64, f64),
    step: f64,
    scales: &[f64],
) -> Result<Vec<(f64, usize)>> {
    scales
        .iter()
        .map(|&s| {
            let ys: Vec<f64> = smooth_polya(|v| law.current(v), s, window.0, window.1, step)?
                .iter()
                .map(|p| p.1 - i_bias)
                .collect();
            Ok((s, sign_changes(&ys)))
        })
        .collect()
}

/// A nonlinear resistor's conductance fitted on the softplus basis over a
/// voltage window (`atscale scale fit`): the basis has `per_decade` slopes
/// per decade over two decades from about 1/width.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConductanceFit {
    /// The window, V.
    pub range_volt: [f64; 2],
    /// `g0`, S (negative for a negative conductance).
    pub g0_siemens: f64,
    /// Root-mean-square residual of `ln g` (dimensionless, about the relative error).
    pub residual_rms: f64,
    /// The smallest and largest slope of the basis, 1/V.
    pub slopes_per_volt: [f64; 2],
    /// The scale plot: weight per slope.
    pub scale_plot: Vec<ScalePoint>,
}

/// Fits `law`'s conductance `f(v)/v` on the window `(lo, hi)` (V).
///
/// # Errors
///
/// [`Error::FitFailed`] when the conductance changes sign in the window
/// (the GLM needs one sign) or the fit fails; [`Error::BadParameter`] for
/// `per_decade` outside 1..=50.
pub fn fit_conductance(
    law: &ResistiveLaw<f64>,
    (lo, hi): (f64, f64),
    per_decade: usize,
) -> Result<ConductanceFit> {
    if per_decade == 0 || per_decade > 50 {
        return Err(Error::BadParameter {
            name: "slopes per decade".into(),
            requirement: "between 1 and 50",
            value: per_decade as f64,
        });
    }
    let width = hi - lo;
    let a_min = 10f64.powf((1.0 / width).log10().floor());
    let a_max = 100.0 * a_min;
    let basis = SoftplusBasis::log_spaced(a_min, a_max, per_decade, vec![])?;
    let voltages: Vec<f64> = (0..400).map(|k| lo + width * (k as f64 + 0.5) / 400.0).collect();
    let samples: Vec<(f64, f64)> =
        voltages.iter().filter(|v| v.abs() >= 1e-12).map(|&v| (v, law.current(v) / v)).collect();
    let sign = if samples.iter().all(|s| s.1 > 0.0) {
        1.0
    } else if samples.iter().all(|s| s.1 < 0.0) {
        -1.0
    } else {
        return Err(Error::FitFailed {
            samples: samples.len(),
            basis: basis.len(),
            reason: "the conductance f(v)/v changes sign in the window; the softplus GLM needs one sign \
                     (try a narrower range)",
        });
    };
    let signed: Vec<(f64, f64)> = samples.iter().map(|&(v, g)| (v, sign * g)).collect();
    let mut glm = basis.fit(&signed, 1e-8)?;
    glm.g0 *= sign;
    Ok(ConductanceFit {
        range_volt: [lo, hi],
        g0_siemens: glm.g0,
        residual_rms: glm.residual_rms,
        slopes_per_volt: [a_min, a_max],
        scale_plot: glm.scale_plot(),
    })
}

/// The default smoothing scales of a fingerprint on a window `width` V
/// wide: 0 (the law itself) and 0.05·2^k·width/6, k = 0..6.
pub fn default_smoothing_scales(width: f64) -> Vec<f64> {
    std::iter::once(0.0).chain((0..7).map(|k| 0.05 * 2f64.powi(k) * width / 6.0)).collect()
}

/// [`fingerprint_amplitude`] of `G(v) - I v` at each scale, the step
/// chosen per scale (a 2000th of the window, at most half the scale).
///
/// # Errors
///
/// [`Error::BadParameter`] for no scale or a scale outside 0..10·width;
/// as [`smooth_polya`].
pub fn coarsen_law(
    law: &ResistiveLaw<f64>,
    i_bias: f64,
    (lo, hi): (f64, f64),
    scales: &[f64],
) -> Result<Vec<(f64, usize)>> {
    let width = hi - lo;
    if scales.is_empty() {
        return Err(Error::BadParameter {
            name: "smoothing scales".into(),
            requirement: "given",
            value: 0.0,
        });
    }
    if let Some(&s) = scales.iter().find(|s| !(0.0..=10.0 * width).contains(*s)) {
        return Err(Error::BadParameter {
            name: "smoothing scale (V)".into(),
            requirement: "between 0 and ten times the window width",
            value: s,
        });
    }
    let base_step = width / 2000.0;
    let mut rows = Vec::with_capacity(scales.len());
    for &s in scales {
        let step = if s > 0.0 { base_step.min(0.5 * s) } else { base_step };
        rows.extend(fingerprint_amplitude(law, i_bias, (lo, hi), step, &[s])?);
    }
    Ok(rows)
}
