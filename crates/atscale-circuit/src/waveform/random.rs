//! Random sources: ngspice's `TRNOISE` (white, 1/f and random telegraph
//! noise) and `TRRANDOM`, drawn from atscale's own generator
//! ([`crate::random::Rng`]), one independent stream per sample (or per
//! block of telegraph events) so a value never depends on the order of
//! evaluation.
//!
//! The processes are ngspice 39's (`vsrcload.c`, `vsrcacct.c`,
//! `vsrcpar.c`, `1-f-code.c`), in distribution, not sample by sample:
//! - TRNOISE takes a new sample every `nt`, the first (at `t = 0`) being
//!   0, and is linear between samples. Sample `k` is white Gaussian noise
//!   of rms `na` plus, with 1/f noise, `x_k - x_0` of ngspice's 1/f
//!   sequence `x`: Kasdin's fractional filter of exponent `nalpha` applied
//!   to white noise of rms `namp` by a circular convolution over the
//!   `tstop/nt + 10` samples of the run rounded up to a power of 2,
//!   computed up front as ngspice does (at most [`FLICKER_LIMIT`]
//!   samples). A random telegraph part adds `rtsam` while a trap is
//!   filled: exponential times of means `rtscapt` (empty) and `rtsemt`
//!   (filled), starting empty at 0, switching at exact instants.
//! - TRRANDOM draws a value at `td`, `td + ts`, `td + 2 ts`, ... and holds
//!   it (its offset `p2` before `td`).
//!
//! A run of the same netlist in ngspice sees other samples of the same
//! processes.

use std::sync::{Arc, Mutex};

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

/// The most 1/f samples a `TRNOISE` source computes up front: 2^23
/// (8 388 608 samples, 64 MiB kept per source, 192 MiB while they are
/// computed). ngspice computes `tstop/NT + 10` of them, rounded up to a
/// power of 2, at the start of every run; a run needing more is refused
/// (see [`Waveform::check_run`](super::Waveform::check_run)).
pub const FLICKER_LIMIT: usize = 1 << 23;

/// Family tags of a noise source's seed ([`Rng::family`]): the driving
/// white noise of its 1/f part, its telegraph captures and emissions.
const FLICKER_TAG: u64 = 1;
const CAPTURE_TAG: u64 = 2;
const EMISSION_TAG: u64 = 3;

/// A `TRNOISE` source without its DC offset, read as ngspice 39 reads it
/// (`VSRCparam` in `vsrcpar.c`, `trnoise_state_init` in `1-f-code.c`):
/// white noise of rms `na` sampled every `nt`; 1/f noise when `NALPHA > 0`
/// and `NAMP > 0` (NAMP is not even read when NALPHA is 0); random
/// telegraph noise when `RTSAM > 0` (a missing RTSCAPT or RTSEMT is 0).
/// White and 1/f need `nt > 0` (ngspice gives 0 otherwise).
#[derive(Debug, Clone, Copy)]
pub(super) struct Noise<'a> {
    na: f64,
    nt: f64,
    /// 1/f exponent and amplitude (V or A), when active.
    flicker: Option<(f64, f64)>,
    rts: Option<Telegraph>,
    seed: u64,
    table: &'a FlickerTable,
}

impl<'a> Noise<'a> {
    /// The source of arguments `[na, nt]`, `[nalpha, namp]` and `[rtsam,
    /// rtscapt, rtsemt]`.
    pub(super) fn new(
        [na, nt]: [f64; 2],
        [nalpha, namp]: [Option<f64>; 2],
        [rtsam, rtscapt, rtsemt]: [Option<f64>; 3],
        seed: u64,
        table: &'a FlickerTable,
    ) -> Self {
        let (alpha, amp) = (nalpha.unwrap_or(0.0), namp.unwrap_or(0.0));
        let flicker = (positive(alpha) && positive(amp)).then_some((alpha, amp));
        let rts = rtsam.filter(|&a| positive(a)).map(|amp| Telegraph {
            amp,
            capture_s: rtscapt.unwrap_or(0.0),
            emission_s: rtsemt.unwrap_or(0.0),
            seed,
        });
        Noise { na, nt, flicker, rts, seed, table }
    }

    /// Whether the source has samples every `nt` (white or 1/f noise).
    fn sampled(&self) -> bool {
        positive(self.nt) && (self.na != 0.0 || self.flicker.is_some())
    }

    /// The number of 1/f samples a run to `tstop` computes up front (a
    /// power of 2), `None` without 1/f noise; may exceed [`FLICKER_LIMIT`].
    pub(super) fn flicker_len(&self, tstop: f64) -> Option<f64> {
        self.flicker.filter(|_| positive(self.nt)).map(|_| flicker_len(self.nt, tstop))
    }

    /// Sample `k` of white plus 1/f noise (sample 0 is 0, as in ngspice);
    /// NaN when the 1/f samples exceed [`FLICKER_LIMIT`].
    fn sample(&self, k: u64, tstop: f64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        let white = if self.na == 0.0 { 0.0 } else { self.na * Rng::stream(self.seed, k).normal() };
        let Some((alpha, amp)) = self.flicker else { return white };
        let key = FlickerKey { alpha, amp, seed: self.seed, len: flicker_len(self.nt, tstop) };
        match self.table.samples(key) {
            Some(x) => white + x[(k % x.len() as u64) as usize],
            None => f64::NAN,
        }
    }

    /// The value at `t >= 0` (V or A).
    pub(super) fn value(&self, t: f64, tstop: f64) -> f64 {
        let rts = self.rts.map_or(0.0, |r| if r.high(t) { r.amp } else { 0.0 });
        if !self.sampled() {
            return rts;
        }
        let x = t / self.nt;
        let n = interval(x);
        let v1 = self.sample(n as u64, tstop);
        let frac = (x - n).max(0.0);
        // On a sample instant the next sample is not needed.
        let between = if frac == 0.0 { 0.0 } else { (self.sample(n as u64 + 1, tstop) - v1) * frac };
        v1 + between + rts
    }

    /// The right derivative at `t >= 0` (V/s or A/s): telegraph jumps are
    /// breakpoints, not slopes.
    pub(super) fn slope(&self, t: f64, tstop: f64) -> f64 {
        if !self.sampled() {
            return 0.0;
        }
        let k = interval(t / self.nt) as u64;
        (self.sample(k + 1, tstop) - self.sample(k, tstop)) / self.nt
    }

    /// Every sample instant and telegraph switch in `[lo, hi]`, appended to `out`.
    pub(super) fn breakpoints(&self, lo: f64, hi: f64, out: &mut Vec<f64>) {
        if self.sampled() {
            samples(0.0, self.nt, lo, hi, out);
        }
        if let Some(r) = self.rts {
            let mut t = lo;
            while let Some(s) = r.next_switch(t, hi).filter(|&s| s <= hi) {
                out.push(s);
                t = s;
            }
        }
    }

    /// The first sample instant or telegraph switch strictly after `t`,
    /// looking for switches up to `until` (s).
    pub(super) fn next_breakpoint(&self, t: f64, until: f64) -> Option<f64> {
        let sample = if self.sampled() { next_sample(0.0, self.nt, t.max(-f64::MIN_POSITIVE)) } else { None };
        let switch = self.rts.and_then(|r| r.next_switch(t, until.max(t)));
        match (sample, switch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

// ---------------------------------------------------------------------------
// 1/f noise: ngspice's Kasdin filter, computed up front.
// ---------------------------------------------------------------------------

/// ngspice 39's number of 1/f samples for a run to `tstop`: `tstop/nt + 10`
/// (truncated), rounded up to a power of 2 (its own FFT; a build with
/// FFTW would keep `tstop/nt + 10`). Large values are returned as they are
/// for the limit to be checked.
fn flicker_len(nt: f64, tstop: f64) -> f64 {
    let steps = (tstop / nt).floor().max(0.0) + 10.0;
    if steps > FLICKER_LIMIT as f64 || !steps.is_finite() {
        return steps;
    }
    (steps as usize).next_power_of_two() as f64
}

/// What a 1/f table is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FlickerKey {
    alpha: f64,
    amp: f64,
    seed: u64,
    /// Number of samples, a power of 2 (as `f64`, may exceed the limit).
    len: f64,
}

/// The 1/f samples of a `TRNOISE` source, computed on first use and kept
/// with the waveform. It is a cache, not data: it compares equal, clones
/// as what it holds, and is never serialized.
#[derive(Default)]
pub struct FlickerTable(Mutex<Option<(FlickerKey, Arc<Vec<f64>>)>>);

impl FlickerTable {
    /// The samples for `key` (computed if they are not those held), `None`
    /// above [`FLICKER_LIMIT`].
    fn samples(&self, key: FlickerKey) -> Option<Arc<Vec<f64>>> {
        if key.len > FLICKER_LIMIT as f64 {
            return None;
        }
        let mut held = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, x)) = held.as_ref().filter(|(k, _)| *k == key) {
            return Some(Arc::clone(x));
        }
        let x = Arc::new(flicker_samples(key.alpha, key.amp, key.seed, key.len as usize));
        *held = Some((key, Arc::clone(&x)));
        Some(x)
    }
}

impl Clone for FlickerTable {
    fn clone(&self) -> Self {
        let held = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        FlickerTable(Mutex::new(held.clone()))
    }
}

impl PartialEq for FlickerTable {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for FlickerTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlickerTable")
    }
}

/// ngspice's 1/f samples (`f_alpha` in `1-f-code.c`, Kasdin 1995): the
/// circular convolution, over `len` points, of the filter `h_0 = 1`,
/// `h_k = h_{k-1} (alpha/2 + k - 1) / k` with white Gaussian noise of rms
/// `amp`, less its first value (ngspice adds `x_k - x_0` to white sample
/// `k`, so the noise starts at 0).
fn flicker_samples(alpha: f64, amp: f64, seed: u64, len: usize) -> Vec<f64> {
    let family = Rng::family(seed, FLICKER_TAG);
    let mut h = 1.0;
    let mut re = Vec::with_capacity(len);
    for k in 0..len {
        if k > 0 {
            h *= (0.5 * alpha + (k - 1) as f64) / k as f64;
        }
        re.push(h);
    }
    let mut im: Vec<f64> = (0..len as u64).map(|k| amp * Rng::stream(family, k).normal()).collect();
    // One complex FFT carries both real sequences: z = h + i w.
    let twiddles = Twiddles::new(len);
    fft(&mut re, &mut im, &twiddles, false);
    multiply_packed_spectra(&mut re, &mut im);
    fft(&mut re, &mut im, &twiddles, true);
    drop(im);
    let x0 = re[0];
    for x in &mut re {
        *x = (*x - x0) / len as f64;
    }
    re
}

/// Replaces the spectrum `Z = H + i W` of two real sequences packed as
/// `h + i w` with the spectrum `H W` of their circular convolution.
fn multiply_packed_spectra(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    for i in 0..=n / 2 {
        let j = (n - i) % n;
        let (a, b) = ([re[i], im[i]], [re[j], im[j]]);
        // H_i = (Z_i + conj Z_j) / 2 and W_i = (Z_i - conj Z_j) / 2i.
        let hs = [0.5 * (a[0] + b[0]), 0.5 * (a[1] - b[1])];
        let ws = [0.5 * (a[1] + b[1]), -0.5 * (a[0] - b[0])];
        let y = [hs[0] * ws[0] - hs[1] * ws[1], hs[0] * ws[1] + hs[1] * ws[0]];
        (re[i], im[i]) = (y[0], y[1]);
        (re[j], im[j]) = (y[0], -y[1]);
    }
}

/// `exp(-2 pi i k / n)` for `k < n/2`.
struct Twiddles {
    cos: Vec<f64>,
    sin: Vec<f64>,
}

impl Twiddles {
    fn new(n: usize) -> Self {
        let (sin, cos) = (0..n / 2).map(|k| (-std::f64::consts::TAU * k as f64 / n as f64).sin_cos()).unzip();
        Twiddles { cos, sin }
    }
}

/// In-place radix-2 FFT of `re + i im` (length a power of 2), unscaled;
/// `inverse` uses `exp(+2 pi i k / n)`.
fn fft(re: &mut [f64], im: &mut [f64], w: &Twiddles, inverse: bool) {
    let n = re.len();
    bit_reverse(re, im);
    let sign = if inverse { -1.0 } else { 1.0 };
    let mut half = 1;
    while half < n {
        let stride = n / (2 * half);
        for start in (0..n).step_by(2 * half) {
            for k in 0..half {
                let (c, s) = (w.cos[k * stride], sign * w.sin[k * stride]);
                let (a, b) = (start + k, start + k + half);
                let t = [re[b] * c - im[b] * s, re[b] * s + im[b] * c];
                (re[b], im[b]) = (re[a] - t[0], im[a] - t[1]);
                (re[a], im[a]) = (re[a] + t[0], im[a] + t[1]);
            }
        }
        half *= 2;
    }
}

/// Puts `re + i im` in bit-reversed order.
fn bit_reverse(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// Random telegraph noise.
// ---------------------------------------------------------------------------

/// ngspice's random telegraph signal (`vsrcacct.c`): 0 from `t = 0` for an
/// exponential time of mean `capture_s` (the trap is empty), then `amp`
/// for an exponential time of mean `emission_s` (trapped), and so on; the
/// value is `amp` at both switch instants (ngspice adds it while
/// `t >= capture time` and draws the next capture only once the emission
/// instant is reached). A capture time of 0 keeps it at `amp` throughout.
///
/// Drawn without memory of earlier evaluations: the alternating renewal
/// process with exponential times is the two-state Markov chain of rates
/// `1/capture_s` (0 to `amp`) and `1/emission_s` (back), which is the
/// same as two independent Poisson processes of those rates, captures
/// and emissions, with the state set by the latest event of either.
/// Each Poisson process is drawn per block of time, one stream per block,
/// so the state at any `t` is found from the blocks around it.
#[derive(Debug, Clone, Copy)]
struct Telegraph {
    /// Amplitude while trapped (V or A).
    amp: f64,
    /// Mean time to a capture, s.
    capture_s: f64,
    /// Mean time to an emission, s.
    emission_s: f64,
    seed: u64,
}

impl Telegraph {
    fn captures(&self) -> PoissonEvents {
        PoissonEvents { family: Rng::family(self.seed, CAPTURE_TAG), mean: self.capture_s }
    }

    fn emissions(&self) -> PoissonEvents {
        PoissonEvents { family: Rng::family(self.seed, EMISSION_TAG), mean: self.emission_s }
    }

    /// Whether trapped after the events before `t` (and at `t` if `inclusive`).
    fn trapped(&self, t: f64, inclusive: bool) -> bool {
        if !positive(self.capture_s) {
            return true;
        }
        match (self.captures().last_before(t, inclusive), self.emissions().last_before(t, inclusive)) {
            (Some(c), Some(e)) => c > e,
            (c, _) => c.is_some(),
        }
    }

    /// Whether the value is `amp` at `t` (switch instants included).
    fn high(&self, t: f64) -> bool {
        self.trapped(t, true) || self.trapped(t, false)
    }

    /// The first switch strictly after `t`, looking up to `until` (s).
    fn next_switch(&self, t: f64, until: f64) -> Option<f64> {
        if !positive(self.capture_s) || !positive(self.emission_s) {
            return None;
        }
        let events = if self.trapped(t, true) { self.emissions() } else { self.captures() };
        events.first_after(t, until)
    }
}

/// A Poisson process on `t > 0` of mean spacing `mean` (s), drawn in
/// blocks of `BLOCK` mean spacings, block `b` from stream `b` of `family`.
struct PoissonEvents {
    family: u64,
    mean: f64,
}

/// Mean number of events per block: an empty block (probability e^-4)
/// makes a search look one block further.
const BLOCK: f64 = 4.0;

impl PoissonEvents {
    /// The events of block `b`, in order.
    fn block(&self, b: u64) -> impl Iterator<Item = f64> {
        let mut rng = Rng::stream(self.family, b);
        let (mean, len) = (self.mean, BLOCK * self.mean);
        let end = (b + 1) as f64 * len;
        let mut t = b as f64 * len;
        std::iter::from_fn(move || {
            t -= mean * (1.0 - rng.uniform()).ln();
            (t < end).then_some(t)
        })
    }

    /// The block holding `t` (0 for `t <= 0`).
    fn block_of(&self, t: f64) -> u64 {
        (t / (BLOCK * self.mean)).floor().max(0.0) as u64
    }

    /// The last event before `t` (or at `t` if `inclusive`); none without
    /// a positive mean spacing.
    fn last_before(&self, t: f64, inclusive: bool) -> Option<f64> {
        if !positive(self.mean) {
            return None;
        }
        // One block past `t`'s own, in case rounding put `t` in the block before.
        let first = self.block_of(t).saturating_add(1);
        (0..=first).rev().find_map(|b| self.block(b).take_while(|&e| e < t || (inclusive && e == t)).last())
    }

    /// The first event strictly after `t`, if one comes by `until`; none
    /// without a positive mean spacing.
    fn first_after(&self, t: f64, until: f64) -> Option<f64> {
        if !positive(self.mean) {
            return None;
        }
        let last = self.block_of(until).saturating_add(1);
        (self.block_of(t).saturating_sub(1)..=last).find_map(|b| self.block(b).find(|&e| e > t))
    }
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

    /// White noise only, of rms `na` every `nt`.
    fn white<'a>(na: f64, nt: f64, seed: u64, table: &'a FlickerTable) -> Noise<'a> {
        Noise::new([na, nt], [None; 2], [None; 3], seed, table)
    }

    #[test]
    fn white_noise_starts_at_zero_is_linear_between_samples_and_has_its_rms() {
        let t = FlickerTable::default();
        let (na, nt, tstop) = (0.3, 1e-3, 1.0);
        let n = white(na, nt, 7, &t);
        assert_eq!(n.value(0.0, tstop), 0.0);
        let (s1, s2, mid) = (n.value(nt, tstop), n.value(2.0 * nt, tstop), n.value(1.5 * nt, tstop));
        assert!((mid - 0.5 * (s1 + s2)).abs() < 1e-15, "{mid} vs {s1} {s2}");
        assert_eq!(n.slope(1.5 * nt, tstop), (s2 - s1) / nt);
        // The samples' rms over 20000 draws: standard error 0.3/sqrt(2*20000) = 1.5e-3.
        let k = 20_000u64;
        let ms = (1..=k).map(|k| n.sample(k, tstop).powi(2)).sum::<f64>() / k as f64;
        assert!((ms.sqrt() - na).abs() < 5.0 * na / (2.0 * k as f64).sqrt(), "rms {}", ms.sqrt());
        // Reproducible and independent of evaluation order.
        assert_eq!(n.value(3.7 * nt, tstop), white(na, nt, 7, &t).value(3.7 * nt, tstop));
        assert_ne!(n.value(3.7 * nt, tstop), white(na, nt, 8, &t).value(3.7 * nt, tstop));
    }

    /// ngspice's 1/f filter (`f_alpha`): `h_0 = 1`, `h_k = h_{k-1} (alpha/2 + k - 1) / k`.
    fn kasdin(alpha: f64, len: usize) -> Vec<f64> {
        let mut h = vec![1.0; len];
        for k in 1..len {
            h[k] = h[k - 1] * (0.5 * alpha + k as f64 - 1.0) / k as f64;
        }
        h
    }

    #[test]
    fn flicker_samples_are_the_circular_convolution_ngspice_computes() {
        // The direct O(n^2) sum of f_alpha's definition, from the same white draws.
        let (alpha, amp, seed, len) = (1.3, 0.7, 5, 256);
        let h = kasdin(alpha, len);
        let family = Rng::family(seed, FLICKER_TAG);
        let w: Vec<f64> = (0..len as u64).map(|k| amp * Rng::stream(family, k).normal()).collect();
        let conv = |k: usize| (0..len).map(|j| h[j] * w[(k + len - j) % len]).sum::<f64>();
        let x = flicker_samples(alpha, amp, seed, len);
        let worst = (0..len).map(|k| (x[k] - (conv(k) - conv(0))).abs()).fold(0.0, f64::max);
        // Measured 1.0e-14 (samples of rms ~1); 1e-13 is a 10x margin.
        assert!(worst < 1e-13, "largest difference {worst:e}");
    }

    /// Mean periodogram of `runs` 1/f sequences at bin `i` (a direct DFT).
    fn periodogram(xs: &[Vec<f64>], i: usize) -> f64 {
        let n = xs[0].len();
        let (c, s): (Vec<f64>, Vec<f64>) = (0..n)
            .map(|k| (std::f64::consts::TAU * (i * k % n) as f64 / n as f64).sin_cos())
            .map(|(s, c)| (c, s))
            .unzip();
        let power = |x: &Vec<f64>| {
            let re: f64 = x.iter().zip(&c).map(|(a, b)| a * b).sum();
            let im: f64 = x.iter().zip(&s).map(|(a, b)| a * b).sum();
            (re * re + im * im) / n as f64
        };
        xs.iter().map(power).sum::<f64>() / xs.len() as f64
    }

    /// Least-squares slope of `y` against `x`.
    fn slope_of(x: &[f64], y: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        (x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx, sxx)
    }

    #[test]
    fn flicker_spectrum_is_ngspice_s_level_and_slope() {
        // 200 runs of 1024 samples, NALPHA 1, NAMP 0.5. ngspice's spectrum at bin
        // i is NAMP^2 |H(i)|^2, H the DFT of its truncated filter (direct sum here).
        let (alpha, amp, len, runs) = (1.0, 0.5, 1024usize, 200u64);
        let xs: Vec<Vec<f64>> = (0..runs).map(|s| flicker_samples(alpha, amp, s, len)).collect();
        let h = kasdin(alpha, len);
        let expected = |i: usize| {
            let a = |f: fn(f64) -> f64| -> f64 {
                h.iter()
                    .enumerate()
                    .map(|(k, hk)| hk * f(std::f64::consts::TAU * (i * k % len) as f64 / len as f64))
                    .sum()
            };
            amp * amp * (a(f64::cos).powi(2) + a(f64::sin).powi(2))
        };
        let bins = [1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 511];
        let (mut lx, mut ly, mut le) = (vec![], vec![], vec![]);
        for &i in &bins {
            let (got, want) = (periodogram(&xs, i), expected(i));
            // Each bin is a mean of 200 exponential draws: relative standard
            // error 1/sqrt(200) = 7.1 %; 5 standard errors allowed.
            assert!((got / want - 1.0).abs() < 5.0 / (runs as f64).sqrt(), "bin {i}: {got:e} vs {want:e}");
            if (8..=256).contains(&i) {
                lx.push((i as f64).ln());
                ly.push(got.ln());
                le.push(want.ln());
            }
        }
        // The slope over bins 8 to 256 (f = 1/128 to 1/4 of the sample rate):
        // ngspice's own is -0.9537 there (numpy on its truncated filter; the
        // ideal 1/f^NALPHA would give -1, its sine-corrected form -0.978).
        // Standard error of the fitted slope: each log-mean has sd
        // 1/sqrt(200) = 0.071, over sxx of the log-frequencies (0.019).
        let ((got, sxx), (want, _)) = (slope_of(&lx, &ly), slope_of(&lx, &le));
        let se = (1.0 / runs as f64 / sxx).sqrt();
        assert!((want + 0.95371).abs() < 1e-5, "ngspice's slope {want}");
        assert!((got - want).abs() < 5.0 * se, "slope {got}, ngspice's {want} (standard error {se:.3})");
    }

    /// A telegraph of amplitude 1 and mean capture and emission times (s).
    fn telegraph(capture_s: f64, emission_s: f64, seed: u64) -> Telegraph {
        Telegraph { amp: 1.0, capture_s, emission_s, seed }
    }

    #[test]
    fn telegraph_dwell_times_are_exponential_of_their_means() {
        // 20000 switches: 10000 dwells each way. The mean of n exponential
        // times of mean m has standard error m/sqrt(n) (1 %); the fraction
        // longer than the mean is e^-1 with standard error
        // sqrt(p(1-p)/n) = 0.0048. 5 standard errors allowed.
        let (capture, emission, n) = (2.0, 5.0, 10_000);
        let r = telegraph(capture, emission, 9);
        let mut switches = vec![0.0];
        while switches.len() <= 2 * n {
            let t = *switches.last().unwrap();
            switches.push(r.next_switch(t, f64::INFINITY).expect("a next switch"));
        }
        let dwell = |first: usize| -> Vec<f64> {
            (first..2 * n).step_by(2).map(|k| switches[k + 1] - switches[k]).collect()
        };
        for (d, mean) in [(dwell(0), capture), (dwell(1), emission)] {
            let got = d.iter().sum::<f64>() / n as f64;
            assert!(
                (got / mean - 1.0).abs() < 5.0 / (n as f64).sqrt(),
                "mean dwell {got} s, expected {mean} s"
            );
            let longer = d.iter().filter(|&&x| x > mean).count() as f64 / n as f64;
            let p = (-1f64).exp();
            assert!((longer - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(), "fraction {longer}");
        }
        // Empty at 0; trapped (value 1) on [capture, emission], both instants included.
        assert!(!r.high(0.0) && !r.high(0.5 * switches[1]));
        for k in 1..6 {
            let (a, b) = (switches[k], switches[k + 1]);
            assert!(r.high(a), "switch {k} at {a} s");
            assert_eq!(r.high(0.5 * (a + b)), k % 2 == 1, "between switches {k} and {}", k + 1);
        }
    }

    #[test]
    fn telegraph_starts_empty_and_fills_as_its_markov_chain() {
        // P(trapped at t) = a/(a+b) (1 - e^{-(a+b) t}) with a = 1/capture,
        // b = 1/emission, from empty at 0; 4000 seeds, 5 standard errors.
        let (capture, emission, runs) = (2.0, 5.0, 4000u64);
        let (a, b) = (1.0 / capture, 1.0 / emission);
        for t in [0.0f64, 0.3, 1.0, 3.0, 10.0, 50.0] {
            let p = a / (a + b) * (1.0 - (-(a + b) * t).exp());
            let got =
                (0..runs).filter(|&s| telegraph(capture, emission, s).high(t)).count() as f64 / runs as f64;
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            assert!((got - p).abs() <= 5.0 * se, "t = {t} s: {got} trapped, expected {p}");
        }
        // An emission time of 0 (refused by `check`) never hangs a search.
        for t in [0.5, 1e6] {
            telegraph(2.0, 0.0, 1).high(t);
        }
        assert_eq!(telegraph(2.0, 0.0, 1).next_switch(0.0, 1e9), None);
        // A capture time of 0 keeps it trapped from the start (as ngspice: the
        // first capture is drawn as 0).
        assert!(telegraph(0.0, 5.0, 1).high(0.0) && telegraph(0.0, 5.0, 1).next_switch(0.0, 1e9).is_none());
    }

    #[test]
    fn telegraph_values_do_not_depend_on_the_order_they_are_asked_in() {
        let r = telegraph(1e-6, 3e-6, 4);
        let times: Vec<f64> = (0..400).map(|k| k as f64 * 2.5e-7).collect();
        let forward: Vec<bool> = times.iter().map(|&t| r.high(t)).collect();
        let order = Rng::new(1).permutation(times.len());
        for k in order {
            assert_eq!(r.high(times[k]), forward[k], "t = {}", times[k]);
        }
        assert!(forward.iter().any(|&h| h) && forward.iter().any(|&h| !h));
    }

    #[test]
    fn white_flicker_and_telegraph_add_as_independent_parts() {
        // Sample k of TRNOISE(na nt nalpha namp rtsam rtscapt rtsemt) over 1000
        // seeds: mean rtsam P(trapped at k nt), variance na^2 (white)
        // + 2 namp^2 (c_0 - c_k) (ngspice's 1/f, anchored at 0; c the circular
        // autocorrelation of its filter) + rtsam^2 P (1 - P). 5 standard errors
        // of the mean (sd/sqrt(n)) and of the variance (sd of the squared
        // deviations/sqrt(n)).
        let (na, nt, alpha, amp, rtsam, capt, emt) = (0.2, 1.0, 1.5, 0.3, 0.5, 20.0, 30.0);
        let (tstop, runs) = (246.0, 1000u64);
        let len = 256;
        let h = kasdin(alpha, len);
        let c = |m: usize| amp * amp * (0..len).map(|j| h[j] * h[(j + m) % len]).sum::<f64>();
        let (a, b) = (1.0 / capt, 1.0 / emt);
        for k in [1usize, 7, 60, 200] {
            let t = k as f64 * nt;
            let tables: Vec<FlickerTable> = (0..runs).map(|_| FlickerTable::default()).collect();
            let v: Vec<f64> = (0..runs)
                .map(|s| {
                    let n = Noise::new(
                        [na, nt],
                        [Some(alpha), Some(amp)],
                        [Some(rtsam), Some(capt), Some(emt)],
                        s,
                        &tables[s as usize],
                    );
                    n.value(t, tstop)
                })
                .collect();
            let p = a / (a + b) * (1.0 - (-(a + b) * t).exp());
            let (mean, var) = (rtsam * p, na * na + 2.0 * (c(0) - c(k)) + rtsam * rtsam * p * (1.0 - p));
            let m = v.iter().sum::<f64>() / runs as f64;
            let d2: Vec<f64> = v.iter().map(|x| (x - m).powi(2)).collect();
            let s2 = d2.iter().sum::<f64>() / (runs - 1) as f64;
            let se2 = (d2.iter().map(|d| (d - s2).powi(2)).sum::<f64>() / runs as f64).sqrt()
                / (runs as f64).sqrt();
            assert!(
                (m - mean).abs() < 5.0 * (var / runs as f64).sqrt(),
                "sample {k}: mean {m}, expected {mean}"
            );
            assert!((s2 - var).abs() < 5.0 * se2, "sample {k}: variance {s2}, expected {var} (se {se2})");
        }
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
