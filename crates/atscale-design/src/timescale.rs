//! Time scale analysis (theory note section 6): Bode magnitudes of real
//! pole/zero relaxation filters in log coordinates.
//!
//! A [`Filter`] is `G(s) = G0 sⁿ Πᵢ (1 + τᵢ s)^{kᵢ} / Πⱼ (1 + τⱼ s)^{lⱼ}`.
//! With `a = ln ω` and `aᵢ = ln τᵢ`, since `|1 + jωτ|² = 1 + e^{2(a + ln τ)}`,
//!
//! ```text
//! ln|G(jω)| = ln|G0| + n a + ½ Σᵢ kᵢ softplus(2(a + aᵢ)) - ½ Σⱼ lⱼ softplus(2(a + aⱼ))
//! ```
//!
//! the softplus basis of the amplitude analysis, now in log-frequency
//! ([`Filter::log_magnitude`], [`Filter::bode`]). Rescaling time by `ω0`
//! (`τ → ω0 τ`) shifts the plot by `-ln ω0` along `a` ([`Filter::rescale`]).
//! Coarsening to a band `(ω_lo, ω_hi)` band-passes it ([`Filter::coarsen`]),
//! following theory section 3: elements much faster than the band act
//! instantaneously, elements much slower are frozen.
//!
//! [`Filter::from_relaxation`] gives the linearised filter of a memristive
//! state (the LTI stage of theory section 7).
//!
//! The monomial `sⁿ` (default `n = 0`) is not in the theory's form; it is
//! what frozen corners leave behind (their high-frequency asymptote `τ s`).

use atscale_circuit::Relaxation;

use crate::amplitude::softplus;
use crate::error::{Error, Result};

/// A rational filter with real poles and zeros,
/// `G(s) = gain · s^s_power · Π (1 + τ s)^k (zeros) / Π (1 + τ s)^l (poles)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// `G0`: the static gain when `s_power = 0`, in the unit of the filter
    /// (e.g. 1 for a voltage low-pass, 1/V for a gate). Non-zero.
    pub gain: f64,
    /// Zeros as `(tau_s, multiplicity)`: factors `(1 + tau_s s)^k`, `tau_s > 0` in s.
    pub zeros: Vec<(f64, u32)>,
    /// Poles as `(tau_s, multiplicity)`: factors `1/(1 + tau_s s)^l`, `tau_s > 0` in s.
    pub poles: Vec<(f64, u32)>,
    /// Power `n` of a pure `sⁿ` factor (differentiator for `n > 0`,
    /// integrator for `n < 0`); default 0. Frozen corners add to it.
    pub s_power: i32,
}

/// The rule [`Filter::coarsen`] applied to one corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CornerFate {
    /// Corner frequency `1/τ` at or above the band's top: the element is
    /// instantaneous over the band, its factor `(1 + τ s)` is replaced by 1.
    Instantaneous,
    /// Corner inside the band: kept.
    Kept,
    /// Corner frequency at or below the band's bottom: the element is frozen
    /// over the band, its factor `(1 + τ s)` is replaced by its
    /// high-frequency asymptote `τ s`.
    Frozen,
}

fn check_tau(what: &str, tau: f64) -> Result<()> {
    if tau.is_finite() && tau > 0.0 {
        Ok(())
    } else {
        Err(Error::BadParameter {
            name: format!("{what} time constant tau (s)"),
            requirement: "positive and finite",
            value: tau,
        })
    }
}

impl Filter {
    /// A filter with `s_power = 0`, checked.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] for a gain that is zero or not finite, or a
    /// time constant that is not positive and finite.
    pub fn new(gain: f64, zeros: Vec<(f64, u32)>, poles: Vec<(f64, u32)>) -> Result<Self> {
        let f = Self { gain, zeros, poles, s_power: 0 };
        f.check()?;
        Ok(f)
    }

    /// The first-order low-pass `gain / (1 + tau_s s)`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn low_pass(gain: f64, tau_s: f64) -> Result<Self> {
        Self::new(gain, vec![], vec![(tau_s, 1)])
    }

    /// Checks the gain and the time constants.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn check(&self) -> Result<()> {
        if !(self.gain.is_finite() && self.gain != 0.0) {
            return Err(Error::BadParameter {
                name: "filter gain G0".into(),
                requirement: "non-zero and finite",
                value: self.gain,
            });
        }
        for &(tau, _) in &self.zeros {
            check_tau("zero", tau)?;
        }
        for &(tau, _) in &self.poles {
            check_tau("pole", tau)?;
        }
        Ok(())
    }

    /// The linearised response `δx/δv` of a memristive state around the
    /// operating voltage `v_op` (V): a first-order low-pass with the state's
    /// time constant `τ(v_op)` (s) and static gain `dx∞/dv` at `v_op` (1 for
    /// a linear relaxation, `x∞'(v_op)` in 1/V for a kinetic gate). The gain
    /// is `-(∂ẋ/∂v)/(∂ẋ/∂x)` at `(v_op, x∞(v_op))`.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] when `v_op` is not finite, the time constant
    /// is not positive and finite (e.g. a kinetic rate that does not
    /// compile), or the gain is zero (a gate insensitive to `v` at `v_op`).
    pub fn from_relaxation(relaxation: &Relaxation<f64>, v_op: f64) -> Result<Self> {
        if !v_op.is_finite() {
            return Err(Error::BadParameter {
                name: "operating voltage v_op (V)".into(),
                requirement: "finite",
                value: v_op,
            });
        }
        let tau = relaxation.time_constant(v_op);
        check_tau(&format!("relaxation at v_op = {v_op} V:"), tau)?;
        let x_inf = relaxation.steady_state(v_op);
        let (_, d_dv, d_dx) = relaxation.rate(v_op, x_inf);
        let gain = -d_dv / d_dx;
        if !(gain.is_finite() && gain != 0.0) {
            return Err(Error::BadParameter {
                name: format!("static gain dx∞/dv of the relaxation at v_op = {v_op} V"),
                requirement: "non-zero and finite",
                value: gain,
            });
        }
        Self::low_pass(gain, tau)
    }

    /// `ln|G(jω)|` at angular frequency `omega` (rad/s), in the softplus form.
    pub fn log_magnitude(&self, omega: f64) -> f64 {
        let a = omega.ln();
        let zeros: f64 =
            self.zeros.iter().map(|&(tau, k)| f64::from(k) * softplus(2.0 * (a + tau.ln()))).sum();
        let poles: f64 =
            self.poles.iter().map(|&(tau, l)| f64::from(l) * softplus(2.0 * (a + tau.ln()))).sum();
        self.gain.abs().ln() + f64::from(self.s_power) * a + 0.5 * (zeros - poles)
    }

    /// The Bode magnitude on `n` log-spaced angular frequencies from
    /// `omega_min` to `omega_max` (rad/s, both included): pairs
    /// `(omega, log10 |G(jω)|)`.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] unless `0 < omega_min ≤ omega_max` (finite)
    /// and `n ≥ 2`.
    pub fn bode(&self, omega_min: f64, omega_max: f64, n: usize) -> Result<Vec<(f64, f64)>> {
        for (name, w) in [
            ("lowest angular frequency (rad/s)", omega_min),
            ("highest angular frequency (rad/s)", omega_max),
        ] {
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::BadParameter {
                    name: name.into(),
                    requirement: "positive and finite",
                    value: w,
                });
            }
        }
        if omega_max < omega_min {
            return Err(Error::BadParameter {
                name: "highest angular frequency (rad/s)".into(),
                requirement: "at least the lowest",
                value: omega_max,
            });
        }
        if n < 2 {
            return Err(Error::BadParameter {
                name: "number of Bode points".into(),
                requirement: "at least 2",
                value: n as f64,
            });
        }
        let (l0, l1) = (omega_min.ln(), omega_max.ln());
        Ok((0..n)
            .map(|k| {
                let w = (l0 + (l1 - l0) * k as f64 / (n - 1) as f64).exp();
                (w, self.log_magnitude(w) / std::f64::consts::LN_10)
            })
            .collect())
    }

    /// The filter of the time-rescaled element: every `τ` becomes `omega0 τ`
    /// (time unit `omega0` s per mother unit), so
    /// `G'(jω) = G(j ω omega0)`: the Bode plot shifts by `-log10 omega0`.
    /// The gain is multiplied by `omega0^s_power` so the identity is exact.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] unless `omega0` is positive and finite.
    pub fn rescale(&self, omega0: f64) -> Result<Self> {
        if !(omega0.is_finite() && omega0 > 0.0) {
            return Err(Error::BadParameter {
                name: "time scale omega0 (s)".into(),
                requirement: "positive and finite",
                value: omega0,
            });
        }
        let map = |v: &Vec<(f64, u32)>| v.iter().map(|&(t, k)| (t * omega0, k)).collect();
        Ok(Self {
            gain: self.gain * omega0.powi(self.s_power),
            zeros: map(&self.zeros),
            poles: map(&self.poles),
            s_power: self.s_power,
        })
    }

    /// What [`coarsen`](Self::coarsen) does with a corner of time constant
    /// `tau_s` for the band `(omega_lo, omega_hi)` (rad/s).
    pub fn corner_fate(tau_s: f64, band: (f64, f64)) -> CornerFate {
        let corner = 1.0 / tau_s;
        if corner >= band.1 {
            CornerFate::Instantaneous
        } else if corner <= band.0 {
            CornerFate::Frozen
        } else {
            CornerFate::Kept
        }
    }

    /// Band-pass coarsening to `band = (omega_lo, omega_hi)` (rad/s):
    /// corners with `1/τ ≥ omega_hi` are instantaneous (factor 1), corners
    /// with `1/τ ≤ omega_lo` are frozen (factor `τ s`, its high-frequency
    /// asymptote: `τ^{±k}` goes into the gain and `s^{±k}` into `s_power`),
    /// corners inside the band are kept. Over the band, each removed corner
    /// changes `ln|G|` by at most `½ k ln(1 + r²)` where `r` is the ratio of
    /// the nearer band edge to the corner (`ω_hi τ` or `1/(ω_lo τ)`): with
    /// every corner at least a decade outside the band, `½ ln 1.01 ≈ 0.005`
    /// per unit multiplicity. [`coarsen_error_bound`](Self::coarsen_error_bound)
    /// sums these.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] unless `0 < omega_lo < omega_hi` (finite).
    pub fn coarsen(&self, band: (f64, f64)) -> Result<Self> {
        check_band(band)?;
        let mut out = Self { gain: self.gain, zeros: vec![], poles: vec![], s_power: self.s_power };
        for (list, sign) in [(&self.zeros, 1i32), (&self.poles, -1i32)] {
            for &(tau, k) in list {
                match Self::corner_fate(tau, band) {
                    CornerFate::Instantaneous => {}
                    CornerFate::Kept => {
                        if sign > 0 {
                            out.zeros.push((tau, k));
                        } else {
                            out.poles.push((tau, k));
                        }
                    }
                    CornerFate::Frozen => {
                        let p = sign * k as i32;
                        out.gain *= tau.powi(p);
                        out.s_power += p;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Upper bound of `|ln|G_coarse(jω)| - ln|G(jω)||` over the band for
    /// [`coarsen`](Self::coarsen): `Σ ½ k ln(1 + r²)` over removed corners.
    ///
    /// # Errors
    ///
    /// As [`coarsen`](Self::coarsen).
    pub fn coarsen_error_bound(&self, band: (f64, f64)) -> Result<f64> {
        check_band(band)?;
        Ok(self
            .zeros
            .iter()
            .chain(&self.poles)
            .map(|&(tau, k)| {
                let r = match Self::corner_fate(tau, band) {
                    CornerFate::Instantaneous => band.1 * tau,
                    CornerFate::Frozen => 1.0 / (band.0 * tau),
                    CornerFate::Kept => 0.0,
                };
                0.5 * f64::from(k) * (r * r).ln_1p()
            })
            .sum())
    }
}

fn check_band(band: (f64, f64)) -> Result<()> {
    if !(band.0.is_finite() && band.0 > 0.0) {
        return Err(Error::BadParameter {
            name: "band bottom omega_lo (rad/s)".into(),
            requirement: "positive and finite",
            value: band.0,
        });
    }
    if !(band.1.is_finite() && band.1 > band.0) {
        return Err(Error::BadParameter {
            name: "band top omega_hi (rad/s)".into(),
            requirement: "finite and above omega_lo",
            value: band.1,
        });
    }
    Ok(())
}

/// One relaxation state of a memristive element, linearised at an
/// operating voltage (`atscale scale bode`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StateBode {
    /// The state's index in its element.
    pub state: usize,
    /// Its time constant, s.
    pub tau_s: f64,
    /// Its corner frequency, rad/s.
    pub corner_rad_per_s: f64,
    /// The static gain `dx∞/dv`.
    pub static_gain: f64,
    /// The gain's unit: V/V (linear relaxation) or 1/V (kinetic gate).
    pub gain_unit: &'static str,
    /// `log10 |G|` at the corner (3 dB, i.e. half a decade of power, below the static gain).
    pub log10_gain_at_corner: f64,
    /// `[log10 ω (rad/s), log10 |G|]` on a grid three decades either side of the corners.
    pub bode: Vec<[f64; 2]>,
}

/// Every state of `states` linearised at `v_op` (V), with its Bode
/// magnitude on one frequency grid for all (401 points from a thousandth
/// of the slowest corner to a thousand times the fastest).
///
/// # Errors
///
/// As [`Filter::from_relaxation`], naming the state.
pub fn bode_states(states: &[Relaxation<f64>], v_op: f64) -> Result<Vec<StateBode>> {
    let mut filters = Vec::with_capacity(states.len());
    for (k, state) in states.iter().enumerate() {
        let unit = match state {
            Relaxation::Linear { .. } => "V/V",
            Relaxation::Kinetic { .. } => "1/V",
        };
        let f = Filter::from_relaxation(state, v_op).map_err(|e| match e {
            Error::BadParameter { name, requirement, value } => {
                Error::BadParameter { name: format!("state {k}: {name}"), requirement, value }
            }
            other => other,
        })?;
        filters.push((k, unit, f));
    }
    let taus: Vec<f64> = filters.iter().flat_map(|(_, _, f)| f.poles.iter().map(|p| p.0)).collect();
    let tau_max = taus.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tau_min = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let (w_lo, w_hi) = if taus.is_empty() { (1e-3, 1e3) } else { (1e-3 / tau_max, 1e3 / tau_min) };
    let mut rows = Vec::with_capacity(filters.len());
    for (state, gain_unit, f) in filters {
        let curve = f.bode(w_lo, w_hi, 401)?;
        let tau_s = f.poles.first().map_or(f64::NAN, |p| p.0);
        rows.push(StateBode {
            state,
            tau_s,
            corner_rad_per_s: 1.0 / tau_s,
            static_gain: f.gain,
            gain_unit,
            log10_gain_at_corner: f.gain.abs().log10() - 0.5 * 2f64.log10(),
            bode: curve.iter().map(|&(w, m)| [w.log10(), m]).collect(),
        });
    }
    Ok(rows)
}
