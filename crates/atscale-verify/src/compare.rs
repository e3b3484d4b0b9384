//! Comparison of two event trains: one-to-one matching, timing differences,
//! coincidence factor, van Rossum and Victor-Purpura distances, and a verdict.
//!
//! # Matching
//! Trains are sorted, so events are matched by a linear two-pointer sweep: take the
//! earliest unmatched event of each train; if they are within the window they are
//! matched, otherwise the earlier one cannot match anything later and is counted
//! as missing (reference) or extra (other). An exchange argument shows this gives
//! a maximum-cardinality non-crossing one-to-one matching: if the two earliest
//! events `a` and `b` are within the window and an optimal matching pairs `a–b'`
//! and `a'–b`, then `a–b` and `a'–b'` are also within the window.
//!
//! # Time scale and defaults
//! Windows default to fractions of the *median inter-event interval* `T` of the
//! reference train (of the other train if the reference has fewer than two
//! events, else the comparison duration): matching window `T/2`, coincidence
//! window `Δ = T/100`, van Rossum `τ = T/100`, Victor-Purpura cost `q = 1/Δ`
//! (moving an event by `Δ` costs as much as deleting it).
//!
//! # Metrics
//! - Coincidence factor (Kistler, Gerstner & van Hemmen 1997):
//!   `Γ = (N_coinc − 2νΔN_ref) / (½(N_ref + N_other)) · 1/(1 − 2νΔ)` with `ν = N_other / duration`
//!   and `N_coinc` counted one-to-one within `±Δ`; `Γ = 1` for identical trains and
//!   `≈ 0` at chance level.
//! - van Rossum distance (2001): `D² = (1/τ) ∫ (f − g)² dt` for exponentially
//!   filtered trains, in closed form `D² = ½ [Σ e^{−|aᵢ−aⱼ|/τ} + Σ e^{−|bᵢ−bⱼ|/τ} − 2 Σ e^{−|aᵢ−bⱼ|/τ}]`
//!   (one unmatched spike gives `1/√2`, one spike shifted by `δ` gives `√(1 − e^{−|δ|/τ})`).
//!   The pair sums are computed in linear time on the sorted trains.
//! - Victor-Purpura distance (1996): minimal cost of transforming one train into
//!   the other with insertions and deletions (cost 1) and shifts (cost `q|δ|`),
//!   by dynamic programming in `O(N_ref · N_other)`.

use serde::{Deserialize, Serialize};

/// Options of [`compare_trains`]. `None` means "derive from the time scale" (see module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Duration over which both trains were recorded, in seconds (for the rate in Γ
    /// and as a last-resort time scale). Default: `tstop` of the run when known,
    /// else the span of all events plus one time scale.
    pub duration_s: Option<f64>,
    /// Window for one-to-one matching, in seconds. Default half the time scale.
    pub match_window_s: Option<f64>,
    /// Coincidence window Δ of Γ, in seconds. Default 1 % of the time scale.
    pub coincidence_window_s: Option<f64>,
    /// van Rossum time constant τ, in seconds. Default 1 % of the time scale.
    pub van_rossum_tau_s: Option<f64>,
    /// Victor-Purpura shift cost q, per second. Default `1 / Δ`.
    pub victor_purpura_q_per_s: Option<f64>,
}

/// One matched pair of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedEvent {
    /// Index in the reference train.
    pub reference_index: usize,
    /// Reference event time, in seconds.
    pub reference_s: f64,
    /// Other event time, in seconds.
    pub other_s: f64,
    /// `other − reference`, in seconds.
    pub dt_s: f64,
    /// Local inter-event interval of the reference around this event (mean of the
    /// neighbouring intervals), in seconds; `None` for a single-event train.
    pub local_interval_s: Option<f64>,
    /// `|dt| / local interval` (dimensionless).
    pub dt_rel_local: Option<f64>,
}

/// Event counts of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Events in the reference train.
    pub reference: usize,
    /// Events in the other train.
    pub other: usize,
    /// Matched pairs.
    pub matched: usize,
    /// Reference events without a partner.
    pub missing: usize,
    /// Other events without a partner.
    pub extra: usize,
}

/// Everything [`compare_trains`] measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainComparison {
    /// Counts.
    pub counts: Counts,
    /// Matched pairs in time order.
    pub matched: Vec<MatchedEvent>,
    /// Unmatched reference event times, in seconds.
    pub missing_s: Vec<f64>,
    /// Unmatched other event times, in seconds.
    pub extra_s: Vec<f64>,
    /// Time scale used for the defaults (median inter-event interval), in seconds.
    pub time_scale_s: Option<f64>,
    /// Duration used for rates, in seconds.
    pub duration_s: Option<f64>,
    /// Largest |dt| over matched pairs, in seconds.
    pub max_abs_dt_s: Option<f64>,
    /// Largest |dt| relative to the local inter-event interval (dimensionless).
    pub max_abs_dt_rel_local: Option<f64>,
    /// Matching window used, in seconds (`None`: unbounded, no time scale known).
    pub match_window_s: Option<f64>,
    /// Coincidence window Δ used, in seconds.
    pub coincidence_window_s: Option<f64>,
    /// Coincidence factor Γ (dimensionless); `None` when undefined (empty trains,
    /// unknown duration or `2νΔ ≥ 1`).
    pub gamma: Option<f64>,
    /// van Rossum τ used, in seconds.
    pub van_rossum_tau_s: Option<f64>,
    /// van Rossum distance (dimensionless).
    pub van_rossum: Option<f64>,
    /// Victor-Purpura q used, per second.
    pub victor_purpura_q_per_s: Option<f64>,
    /// Victor-Purpura distance (dimensionless).
    pub victor_purpura: Option<f64>,
}

fn median(mut x: Vec<f64>) -> Option<f64> {
    x.retain(|v| v.is_finite());
    if x.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    Some(if n % 2 == 1 { x[n / 2] } else { 0.5 * (x[n / 2 - 1] + x[n / 2]) })
}

/// Median inter-event interval of a sorted train, in seconds (`None` for < 2 events).
pub fn median_interval(train: &[f64]) -> Option<f64> {
    median(train.windows(2).map(|w| w[1] - w[0]).collect())
}

fn positive(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite() && *v > 0.0)
}

/// One-to-one matching of two sorted trains within `window` (inclusive);
/// returns index pairs and the unmatched indices of each train.
pub fn match_events(a: &[f64], b: &[f64], window: f64) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let (mut i, mut j) = (0, 0);
    let (mut pairs, mut miss, mut extra) = (Vec::new(), Vec::new(), Vec::new());
    while i < a.len() && j < b.len() {
        if (a[i] - b[j]).abs() <= window {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if a[i] < b[j] {
            miss.push(i);
            i += 1;
        } else {
            extra.push(j);
            j += 1;
        }
    }
    miss.extend(i..a.len());
    extra.extend(j..b.len());
    (pairs, miss, extra)
}

/// `Σᵢ Σⱼ exp(−|xᵢ − yⱼ|/τ)` for sorted `x`, `y` in `O(len x + len y)`.
pub fn exp_kernel_sum(x: &[f64], y: &[f64], tau: f64) -> f64 {
    let mut total = 0.0;
    // Pass 1: pairs with y ≤ x (ascending sweep keeps Σ_{yⱼ ≤ xᵢ} e^{−(xᵢ−yⱼ)/τ}).
    let (mut s, mut j, mut last) = (0.0f64, 0usize, f64::NEG_INFINITY);
    for &xi in x {
        if last.is_finite() {
            s *= (-(xi - last) / tau).exp();
        }
        while j < y.len() && y[j] <= xi {
            s += (-(xi - y[j]) / tau).exp();
            j += 1;
        }
        total += s;
        last = xi;
    }
    // Pass 2: pairs with y > x (descending sweep).
    let (mut s, mut j, mut last) = (0.0f64, y.len(), f64::INFINITY);
    for &xi in x.iter().rev() {
        if last.is_finite() {
            s *= (-(last - xi) / tau).exp();
        }
        while j > 0 && y[j - 1] > xi {
            s += (-(y[j - 1] - xi) / tau).exp();
            j -= 1;
        }
        total += s;
        last = xi;
    }
    total
}

/// van Rossum distance with an exponential kernel of time constant `tau_s` (see module docs).
pub fn van_rossum(a: &[f64], b: &[f64], tau_s: f64) -> f64 {
    let d2 =
        0.5 * (exp_kernel_sum(a, a, tau_s) + exp_kernel_sum(b, b, tau_s) - 2.0 * exp_kernel_sum(a, b, tau_s));
    d2.max(0.0).sqrt()
}

/// Victor-Purpura distance with shift cost `q_per_s` (see module docs).
pub fn victor_purpura(a: &[f64], b: &[f64], q_per_s: f64) -> f64 {
    let m = b.len();
    let mut prev: Vec<f64> = (0..=m).map(|j| j as f64).collect();
    let mut cur = vec![0.0; m + 1];
    for (i, &ai) in a.iter().enumerate() {
        cur[0] = (i + 1) as f64;
        for (j, &bj) in b.iter().enumerate() {
            let shift = prev[j] + q_per_s * (ai - bj).abs();
            cur[j + 1] = (prev[j + 1] + 1.0).min(cur[j] + 1.0).min(shift);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// Coincidence factor Γ of `other` against `reference` (see module docs).
pub fn coincidence_factor(reference: &[f64], other: &[f64], window_s: f64, duration_s: f64) -> Option<f64> {
    let (n1, n2) = (reference.len() as f64, other.len() as f64);
    let valid = duration_s > 0.0 && window_s >= 0.0;
    if n1 + n2 == 0.0 || !valid {
        return None;
    }
    let nu = n2 / duration_s;
    let norm = 1.0 - 2.0 * nu * window_s;
    if norm.is_nan() || norm <= 0.0 {
        return None;
    }
    let (pairs, _, _) = match_events(reference, other, window_s);
    let expected = 2.0 * nu * window_s * n1;
    Some((pairs.len() as f64 - expected) / (0.5 * (n1 + n2)) / norm)
}

/// Compares `other` against `reference` (both sorted, times in seconds).
pub fn compare_trains(reference: &[f64], other: &[f64], opts: &CompareOptions) -> TrainComparison {
    let time_scale = median_interval(reference).or_else(|| median_interval(other)).or(opts.duration_s);
    let time_scale = positive(time_scale);
    let span = reference.iter().chain(other).fold(None, |acc: Option<(f64, f64)>, &t| match acc {
        None => Some((t, t)),
        Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
    });
    let duration = positive(opts.duration_s).or_else(|| {
        span.and_then(|(lo, hi)| time_scale.map(|s| hi - lo + s)).and_then(|d| positive(Some(d)))
    });
    let match_window = positive(opts.match_window_s).or(time_scale.map(|s| 0.5 * s));
    let delta = positive(opts.coincidence_window_s).or(time_scale.map(|s| 0.01 * s));
    let tau = positive(opts.van_rossum_tau_s).or(time_scale.map(|s| 0.01 * s));
    let q = positive(opts.victor_purpura_q_per_s).or(delta.map(|d| 1.0 / d));

    let (pairs, miss, extra) = match_events(reference, other, match_window.unwrap_or(f64::INFINITY));
    let local = |i: usize| -> Option<f64> {
        let before = i.checked_sub(1).map(|k| reference[i] - reference[k]);
        let after = reference.get(i + 1).map(|t| t - reference[i]);
        match (before, after) {
            (Some(x), Some(y)) => Some(0.5 * (x + y)),
            (x, y) => x.or(y),
        }
    };
    let matched: Vec<MatchedEvent> = pairs
        .iter()
        .map(|&(i, j)| {
            let dt = other[j] - reference[i];
            let li = positive(local(i));
            MatchedEvent {
                reference_index: i,
                reference_s: reference[i],
                other_s: other[j],
                dt_s: dt,
                local_interval_s: li,
                dt_rel_local: li.map(|l| dt.abs() / l),
            }
        })
        .collect();
    let max_abs_dt_s = matched.iter().map(|m| m.dt_s.abs()).reduce(f64::max);
    let max_abs_dt_rel_local = matched.iter().filter_map(|m| m.dt_rel_local).reduce(f64::max);
    TrainComparison {
        counts: Counts {
            reference: reference.len(),
            other: other.len(),
            matched: pairs.len(),
            missing: miss.len(),
            extra: extra.len(),
        },
        missing_s: miss.iter().map(|&i| reference[i]).collect(),
        extra_s: extra.iter().map(|&j| other[j]).collect(),
        matched,
        time_scale_s: time_scale,
        duration_s: duration,
        max_abs_dt_s,
        max_abs_dt_rel_local,
        match_window_s: match_window,
        coincidence_window_s: delta,
        gamma: delta.zip(duration).and_then(|(d, t)| coincidence_factor(reference, other, d, t)),
        van_rossum_tau_s: tau,
        van_rossum: tau.map(|t| van_rossum(reference, other, t)),
        victor_purpura_q_per_s: q,
        victor_purpura: q.map(|q| victor_purpura(reference, other, q)),
    }
}

/// Tolerances of the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    /// Require equal event counts (no missing, no extra). Default `true`.
    pub require_equal_counts: bool,
    /// Largest allowed |dt| relative to the time scale (median interval). Default `1e-3`.
    pub max_abs_dt_rel: f64,
    /// Largest allowed |dt| in seconds; when set it replaces the relative limit.
    pub max_abs_dt_s: Option<f64>,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self { require_equal_counts: true, max_abs_dt_rel: 1e-3, max_abs_dt_s: None }
    }
}

/// Why two trains disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disagreement {
    /// Some events found no partner.
    CountMismatch {
        /// Reference events without partner.
        missing: usize,
        /// Other events without partner.
        extra: usize,
    },
    /// A matched pair is further apart than allowed.
    TimingExceeded {
        /// Largest |dt|, in seconds.
        max_abs_dt_s: f64,
        /// Allowed |dt|, in seconds.
        limit_s: f64,
    },
    /// No relative limit can be applied: fewer than two events and no duration.
    NoTimeScale,
}

/// Verdict for one signal and one pair of engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalVerdict {
    /// Whether the trains agree within the tolerances.
    pub agree: bool,
    /// Allowed |dt| that was applied, in seconds.
    pub limit_s: Option<f64>,
    /// Reasons for disagreement (empty when they agree).
    pub reasons: Vec<Disagreement>,
}

/// Judges a comparison against tolerances.
pub fn verdict(c: &TrainComparison, tol: &Tolerances) -> SignalVerdict {
    let mut reasons = Vec::new();
    if tol.require_equal_counts && (c.counts.missing > 0 || c.counts.extra > 0) {
        reasons.push(Disagreement::CountMismatch { missing: c.counts.missing, extra: c.counts.extra });
    }
    let limit_s = tol.max_abs_dt_s.or(c.time_scale_s.map(|s| tol.max_abs_dt_rel * s));
    match (limit_s, c.max_abs_dt_s) {
        (Some(limit), Some(max)) if max.is_nan() || max > limit => {
            reasons.push(Disagreement::TimingExceeded { max_abs_dt_s: max, limit_s: limit });
        }
        (None, Some(_)) => reasons.push(Disagreement::NoTimeScale),
        _ => {}
    }
    SignalVerdict { agree: reasons.is_empty(), limit_s, reasons }
}
