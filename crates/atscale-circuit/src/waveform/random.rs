//! Random sources: ngspice's `TRNOISE` (white noise) and `TRRANDOM`, drawn
//! from atscale's own generator ([`crate::random::Rng`]), one independent
//! stream per sample so a value never depends on the order of evaluation.
//!
//! The shapes follow ngspice (`vsrcload.c`, `vsrcacct.c`, `1-f-code.c`):
//! TRNOISE takes a new sample every `nt`, the first (at `t = 0`) being 0,
//! and is linear between samples; TRRANDOM draws a value at `td`, `td + ts`,
//! `td + 2 ts`, ... and holds it (0 before `td`). The sequences are not
//! ngspice's: a run of the same netlist in ngspice sees other samples of
//! the same distribution.

use crate::random::Rng;

/// The distribution of a `TRRANDOM` source (its `TYPE` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Type 1: uniform in `[p2 - p1, p2 + p1)` (`p1` default 1).
    Uniform,
    /// Type 2: Gaussian of standard deviation `p1` (default 1) and mean `p2`.
    Gaussian,
    /// Type 3: exponential of mean `p1` (default 1), plus `p2`.
    Exponential,
    /// Type 4: Poisson of mean `p1` (default 1), plus `p2`.
    Poisson,
}

impl Distribution {
    /// The distribution of ngspice's `TYPE` number, if it is one.
    pub fn from_type(t: f64) -> Option<Distribution> {
        Some(match t {
            1.0 => Distribution::Uniform,
            2.0 => Distribution::Gaussian,
            3.0 => Distribution::Exponential,
            4.0 => Distribution::Poisson,
            _ => return None,
        })
    }

    /// ngspice's `TYPE` number.
    pub fn type_number(self) -> u32 {
        match self {
            Distribution::Uniform => 1,
            Distribution::Gaussian => 2,
            Distribution::Exponential => 3,
            Distribution::Poisson => 4,
        }
    }

    /// One draw with parameters `p1`, `p2`.
    fn draw(self, rng: &mut Rng, p1: f64, p2: f64) -> f64 {
        match self {
            Distribution::Uniform => p1 * (2.0 * rng.uniform() - 1.0) + p2,
            Distribution::Gaussian => p1 * rng.normal() + p2,
            Distribution::Exponential => -p1 * (1.0 - rng.uniform()).ln() + p2,
            Distribution::Poisson => poisson(rng, p1) + p2,
        }
    }
}

/// A Poisson draw of mean `lambda` (Knuth's product of uniforms; means
/// above 500 use the normal approximation, whose error there is below the
/// draw's own spread by far).
fn poisson(rng: &mut Rng, lambda: f64) -> f64 {
    if !positive(lambda) {
        return 0.0;
    }
    if lambda > 500.0 {
        return (lambda + lambda.sqrt() * rng.normal()).round().max(0.0);
    }
    let limit = (-lambda).exp();
    let mut k = 0.0;
    let mut p = rng.uniform();
    while p > limit {
        k += 1.0;
        p *= rng.uniform();
    }
    k
}

/// Whether `x` is a positive number (false for NaN).
fn positive(x: f64) -> bool {
    x > 0.0
}

/// The white-noise sample `k` of rms `na` (sample 0 is 0, as in ngspice).
fn noise_sample(na: f64, seed: u64, k: u64) -> f64 {
    if k == 0 || na == 0.0 {
        0.0
    } else {
        na * Rng::stream(seed, k).normal()
    }
}

/// The index of the sample interval holding `x` (in units of the sample
/// time), robust to `x` landing a rounding error below a whole number.
fn interval(x: f64) -> f64 {
    let n = x.floor();
    if x - n > 1.0 - 1e-9 {
        n + 1.0
    } else {
        n
    }
}

/// `TRNOISE` at `t >= 0`: `(value, slope)` without the DC offset.
pub(super) fn noise(na: f64, nt: f64, seed: u64, t: f64) -> (f64, f64) {
    if !positive(nt) || na == 0.0 {
        return (0.0, 0.0);
    }
    let x = t / nt;
    let n = interval(x);
    let k = n as u64;
    let (v1, v2) = (noise_sample(na, seed, k), noise_sample(na, seed, k + 1));
    (v1 + (v2 - v1) * (x - n).max(0.0), (v2 - v1) / nt)
}

/// `TRRANDOM` at `t >= 0`, without the DC offset. As in ngspice, where the
/// value is drawn when the step onto `td + n·ts` is accepted: draw `n` on
/// `(td + n·ts, td + (n+1)·ts]`, and up to and at `td` the distribution's
/// offset `p2` (measured in ngspice 39: `TRRANDOM(2 10u 5u 0.5 3)` is 3 up
/// to 5 µs, also in the operating point).
pub(super) fn held(dist: Distribution, [ts, td, p1, p2]: [f64; 4], seed: u64, t: f64) -> f64 {
    if !positive(ts) || t <= td {
        return p2;
    }
    let x = (t - td) / ts;
    // The interval `(n, n + 1]` holding x, robust to x landing a rounding
    // error above a whole number.
    let n = (x - 1e-9).ceil().max(1.0) - 1.0;
    dist.draw(&mut Rng::stream(seed, n as u64), p1, p2)
}

/// The first sample instant `origin + n·step` strictly after `t`.
pub(super) fn next_sample(origin: f64, step: f64, t: f64) -> Option<f64> {
    if !positive(step) {
        return None;
    }
    if t < origin {
        return Some(origin);
    }
    let mut n = ((t - origin) / step).floor() + 1.0;
    let mut c = origin + n * step;
    // Step past an instant that rounding put at or before `t`.
    while c <= t || (c - t) < 1e-9 * step {
        n += 1.0;
        c = origin + n * step;
    }
    Some(c)
}

/// Every sample instant `origin + n·step` in `[lo, hi]`, appended to `out`.
pub(super) fn samples(origin: f64, step: f64, lo: f64, hi: f64, out: &mut Vec<f64>) {
    if !positive(step) {
        return;
    }
    let first = ((lo - origin) / step).ceil().max(0.0);
    let mut n = first;
    loop {
        let c = origin + n * step;
        if c > hi {
            break;
        }
        out.push(c);
        n += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_starts_at_zero_is_linear_between_samples_and_has_its_rms() {
        let (na, nt, seed) = (0.3, 1e-3, 7);
        assert_eq!(noise(na, nt, seed, 0.0), (0.0, noise(na, nt, seed, 0.0).1));
        let s1 = noise(na, nt, seed, nt).0;
        let s2 = noise(na, nt, seed, 2.0 * nt).0;
        let mid = noise(na, nt, seed, 1.5 * nt).0;
        assert!((mid - 0.5 * (s1 + s2)).abs() < 1e-15, "{mid} vs {s1} {s2}");
        // The samples' rms over 20000 draws: standard error 0.3/sqrt(2*20000) = 1.5e-3.
        let n = 20_000u64;
        let ms = (1..=n).map(|k| noise_sample(na, seed, k).powi(2)).sum::<f64>() / n as f64;
        assert!((ms.sqrt() - na).abs() < 5.0 * na / (2.0 * n as f64).sqrt(), "rms {}", ms.sqrt());
        // Reproducible and independent of evaluation order.
        assert_eq!(noise(na, nt, seed, 3.7 * nt), noise(na, nt, seed, 3.7 * nt));
        assert_ne!(noise(na, nt, seed, 3.7 * nt), noise(na, nt, seed + 1, 3.7 * nt));
    }

    #[test]
    fn held_values_change_only_at_sample_instants_from_the_delay_on() {
        let p = [1e-3, 2e-3, 1.0, 5.0];
        assert_eq!(held(Distribution::Uniform, p, 3, 1.9e-3), 5.0);
        assert_eq!(held(Distribution::Uniform, p, 3, 2e-3), 5.0);
        let a = held(Distribution::Uniform, p, 3, 2.001e-3);
        assert_eq!(a, held(Distribution::Uniform, p, 3, 3e-3));
        assert_ne!(a, held(Distribution::Uniform, p, 3, 3.001e-3));
        assert!((4.0..6.0).contains(&a), "{a}");
        // Means of each distribution over 20000 draws, 5 standard errors.
        let mean = |d: Distribution, p1: f64, p2: f64| {
            let n = 20_000u64;
            (0..n).map(|k| d.draw(&mut Rng::stream(11, k), p1, p2)).sum::<f64>() / n as f64
        };
        let se = |sd: f64| 5.0 * sd / (20_000f64).sqrt();
        assert!((mean(Distribution::Uniform, 2.0, 1.0) - 1.0).abs() < se(2.0 / 3f64.sqrt()));
        assert!((mean(Distribution::Gaussian, 0.5, -1.0) + 1.0).abs() < se(0.5));
        assert!((mean(Distribution::Exponential, 3.0, 0.0) - 3.0).abs() < se(3.0));
        assert!((mean(Distribution::Poisson, 4.0, 1.0) - 5.0).abs() < se(2.0));
    }

    #[test]
    fn sample_instants_are_strictly_after_t() {
        assert_eq!(next_sample(0.0, 1e-3, 0.0), Some(1e-3));
        let c = next_sample(0.0, 0.1, 0.30000000000000004).unwrap();
        assert!(c > 0.35 && c < 0.41, "{c}");
        assert_eq!(next_sample(2e-3, 1e-3, 0.0), Some(2e-3));
        assert_eq!(next_sample(0.0, 0.0, 1.0), None);
    }
}
