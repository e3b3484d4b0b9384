//! `.meas tran` measurements evaluated on sampled waveforms, as ngspice 39
//! evaluates them (`src/frontend/com_measure2.c`).
//!
//! [`evaluate`] takes a [`Measure`] (read from a netlist by
//! `atscale_spice::parse::measure::read_measures`), the engine's time points and a
//! way to read a signal's samples, and returns the value or a named
//! [`MeasureError`]. The same function serves every engine: the native
//! solver's accepted steps, ngspice's raw file, spice21's fixed steps.
//!
//! The rules, each ngspice's:
//!
//! - **Crossings** (`TRIG`/`TARG`, `WHEN`): only samples at `t >= TD` and
//!   `t >= FROM` count, up to the last before `TO`. At the second sample the
//!   signal is *below* the level when that sample is below it, else *above*,
//!   and one rise is counted when the level lies between the first two
//!   samples. After that, a sample at or above the level after *below* is a
//!   rise, one at or below after *above* a fall, timed by linear
//!   interpolation between it and the sample before. `RISE=n`/`FALL=n`/
//!   `CROSS=n` are checked at every sample from the third (so a rise counted
//!   at the start is timed on the next two samples, an extrapolation
//!   [`Measured::note`] points out); `LAST` keeps the last; nothing given
//!   takes the first rise or fall from the third sample on.
//! - **`AT=t`**: linear interpolation between the samples around `t`.
//! - **`MIN`, `MAX`, `PP`, `MIN_AT`, `MAX_AT`**: over the samples in
//!   `[FROM, TO]` (no interpolation at the ends; of equal extrema the last).
//! - **`AVG`**: trapezoids between the samples in `[FROM, TO]`, divided by
//!   the time they span (no interpolation at the ends).
//! - **`INTEG`, `RMS`**: the window's ends interpolated, then Simpson's 3/8
//!   rule, Simpson's 1/3 rule or the trapezoid, chosen per panel by whether
//!   neighbouring steps are equal to 100 units in the last place; `RMS` is
//!   the root of the integral of the square divided by the window's length.
//!
//! Where ngspice 39 prints a number that is not a measurement (0 for an
//! `AVG` or `PP` over a window without samples), atscale reports
//! [`MeasureError::EmptyWindow`]. ngspice 39 does not evaluate `v(a,b)` in
//! `.meas`; atscale evaluates it as `v(a) - v(b)`. (Later ngspice versions
//! count the first two samples differently; atscale follows 39, the version
//! it is checked against.)

use atscale_circuit::measure::{Crossing, Instant, Level, MeasureKind, Signal, Statistic, Which, Window};
use atscale_circuit::units::si;
use atscale_circuit::Measure;

/// A measured value.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The value, in the unit of [`Measure::unit`].
    pub value: f64,
    /// Something the reader should know about how it was found (a crossing
    /// ngspice 39 times by extrapolation).
    pub note: Option<String>,
}

/// Why a measurement has no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// The engine's output does not hold a signal the measurement reads.
    #[error("the engine's output has no signal `{signal}`")]
    MissingSignal {
        /// The signal as written (`v(out)`).
        signal: String,
    },
    /// The crossing a trigger, target or `WHEN` asks for does not happen.
    #[error(
        "{role} never reached: {signal} rises through {level} {rises} time(s) and falls {falls} time(s) {span}, \
         {wanted} wanted"
    )]
    NotReached {
        /// `trigger`, `target` or `WHEN`.
        role: &'static str,
        /// The signal.
        signal: String,
        /// The level, with its unit (or the level's signal).
        level: String,
        /// Rises counted in the window.
        rises: u32,
        /// Falls counted in the window.
        falls: u32,
        /// The window, as a phrase.
        span: String,
        /// The crossing wanted, as written (`RISE=2`).
        wanted: String,
    },
    /// The signal sits on the level at both samples around the crossing, so
    /// its time is undefined (ngspice 39 fails the measurement too).
    #[error("{role}: {signal} sits on the level at both samples around {}, so the crossing time is undefined", si(*at_s, "s"))]
    Undefined {
        /// `trigger`, `target` or `WHEN`.
        role: &'static str,
        /// The signal.
        signal: String,
        /// The time of the second sample, s.
        at_s: f64,
    },
    /// A time (`AT=`, or the time of a `WHEN`) outside the run.
    #[error("time {} is outside the run ({} to {})", si(*at_s, "s"), si(*first_s, "s"), si(*last_s, "s"))]
    OutOfRange {
        /// The time asked for, s.
        at_s: f64,
        /// The first sample's time, s.
        first_s: f64,
        /// The last sample's time, s.
        last_s: f64,
    },
    /// The samples give no finite number (a NaN among them, or two samples at
    /// one time where a slope is needed).
    #[error("the result is not a finite number ({value}): the samples hold a NaN or two at one time")]
    NotFinite {
        /// What came out.
        value: f64,
    },
    /// Too few samples in the window for the statistic.
    #[error("{stat} needs {need} sample(s) in the window {span}, the run has {found}")]
    EmptyWindow {
        /// The statistic's keyword.
        stat: &'static str,
        /// Samples needed.
        need: usize,
        /// Samples found.
        found: usize,
        /// The window, as a phrase.
        span: String,
    },
}

/// Reads the samples of a signal, one per time point; `None` when the
/// engine's output has no such signal.
pub type Reader<'a> = &'a dyn Fn(&Signal) -> Option<Vec<f64>>;

/// Evaluates `m` on waveforms sampled at `time_s` (seconds, non-decreasing),
/// reading signals with `read`.
///
/// # Errors
///
/// [`MeasureError`] naming why there is no value.
pub fn evaluate(m: &Measure, time_s: &[f64], read: Reader<'_>) -> Result<Measured, MeasureError> {
    let measured = evaluate_kind(m, time_s, read)?;
    if !measured.value.is_finite() {
        return Err(MeasureError::NotFinite { value: measured.value });
    }
    Ok(measured)
}

fn evaluate_kind(m: &Measure, time_s: &[f64], read: Reader<'_>) -> Result<Measured, MeasureError> {
    match &m.kind {
        MeasureKind::Delay { trig, targ } => {
            let a = instant(trig, "trigger", time_s, read)?;
            let b = instant(targ, "target", time_s, read)?;
            Ok(Measured { value: b.value - a.value, note: a.note.or(b.note) })
        }
        MeasureKind::When { when } => crossing_time(when, "WHEN", time_s, read),
        MeasureKind::FindAt { signal, at_s } => {
            let v = samples(signal, time_s, read)?;
            Ok(Measured { value: value_at(time_s, &v, *at_s)?, note: None })
        }
        MeasureKind::FindWhen { signal, when } => {
            let at = crossing_time(when, "WHEN", time_s, read)?;
            let v = samples(signal, time_s, read)?;
            Ok(Measured { value: value_at(time_s, &v, at.value)?, note: at.note })
        }
        MeasureKind::Statistic { stat, signal, window } => {
            let v = samples(signal, time_s, read)?;
            Ok(Measured { value: statistic(*stat, time_s, &v, window)?, note: None })
        }
    }
}

/// The samples of `signal`, as long as `time_s`.
fn samples(signal: &Signal, time_s: &[f64], read: Reader<'_>) -> Result<Vec<f64>, MeasureError> {
    let missing = || MeasureError::MissingSignal { signal: signal.to_string() };
    let v = read(signal).ok_or_else(missing)?;
    if v.len() < time_s.len() {
        return Err(missing());
    }
    Ok(v)
}

fn instant(
    i: &Instant,
    role: &'static str,
    time_s: &[f64],
    read: Reader<'_>,
) -> Result<Measured, MeasureError> {
    match i {
        // As ngspice: the given time, whatever the run's span.
        Instant::At(t) => Ok(Measured { value: *t, note: None }),
        Instant::Crossing(c) => crossing_time(c, role, time_s, read),
    }
}

/// Which side of the level the signal is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Below,
    Above,
}

/// What a sample did to the count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Nothing,
    Rise,
    Fall,
}

/// ngspice 39's crossing counter (`com_measure_when`): the side of the
/// level and the rises, falls and crossings so far.
struct Counter {
    side: Side,
    rises: u32,
    falls: u32,
    crosses: u32,
}

impl Counter {
    /// At the second sample of the window: the side, and one rise when the
    /// level lies between the first two samples (`v0 <= level <= v1`).
    fn start(&mut self, v0: f64, v1: f64, level: f64) {
        self.crosses = 0;
        if v1 < level {
            self.side = Side::Below;
        } else {
            self.side = Side::Above;
            if v0 <= level && v1 >= level {
                self.rises = 1;
                self.crosses = 1;
            }
        }
    }

    /// A later sample: a rise when it reaches the level from below, a fall
    /// when it reaches it from above.
    fn step(&mut self, v: f64, level: f64) -> Step {
        if self.side == Side::Below && v >= level {
            self.side = Side::Above;
            self.rises += 1;
            self.crosses += 1;
            Step::Rise
        } else if self.side == Side::Above && v <= level {
            self.side = Side::Below;
            self.falls += 1;
            self.crosses += 1;
            Step::Fall
        } else {
            Step::Nothing
        }
    }

    /// Whether the count `RISE=n`, `FALL=n` or `CROSS=n` asks for is reached.
    fn reached(&self, which: Which) -> bool {
        match which {
            Which::Rise(n) => self.rises == n,
            Which::Fall(n) => self.falls == n,
            Which::Cross(n) => self.crosses == n,
            _ => false,
        }
    }
}

/// The time of the crossing `c` asks for, by ngspice 39's rule: samples
/// before `TD` and `FROM` skipped, none after `TO`; the count started at the
/// second sample; each later sample checked.
fn crossing_time(
    c: &Crossing,
    role: &'static str,
    time_s: &[f64],
    read: Reader<'_>,
) -> Result<Measured, MeasureError> {
    let v = samples(&c.signal, time_s, read)?;
    let level: Vec<f64> = match &c.level {
        Level::Value(x) => vec![*x; time_s.len()],
        Level::Signal(s) => samples(s, time_s, read)?,
    };
    let constant = matches!(c.level, Level::Value(_));
    let mut count = Counter { side: Side::Above, rises: 0, falls: 0, crosses: 0 };
    let (mut kept, mut prev) = (0usize, 0usize);
    let mut last: Option<Result<Measured, MeasureError>> = None;
    for (k, &t) in time_s.iter().enumerate() {
        if t < c.td_s || t < c.window.from_s {
            continue;
        }
        if c.window.to_s.is_some_and(|to| t > to) {
            break;
        }
        if kept == 1 {
            count.start(v[prev], v[k], level[k]);
        } else if kept > 1 {
            let step = count.step(v[k], level[k]);
            let at =
                || located(interpolate_crossing(time_s, &v, &level, prev, k, constant), step, role, c, t);
            if count.reached(c.which) {
                return at();
            }
            match (step, c.which) {
                (Step::Nothing, _) => {}
                (_, Which::First) => return at(),
                (Step::Rise, Which::LastRise | Which::LastCross)
                | (Step::Fall, Which::LastFall | Which::LastCross) => last = Some(at()),
                _ => {}
            }
        }
        kept += 1;
        prev = k;
    }
    last.unwrap_or_else(|| Err(not_reached(c, role, &count)))
}

/// A located crossing: its time, with a note when ngspice 39 timed it from
/// samples that do not bracket it (a crossing counted between the first two
/// samples of the window, timed on the next two); an error when the time is
/// undefined (the signal on the level at both samples).
fn located(at: f64, step: Step, role: &'static str, c: &Crossing, t: f64) -> Result<Measured, MeasureError> {
    if !at.is_finite() {
        return Err(MeasureError::Undefined { role, signal: c.signal.to_string(), at_s: t });
    }
    let note = (step == Step::Nothing).then(|| {
        "ngspice 39 counts this crossing between the first two samples of the window and times it on the \
         next two (an extrapolation); atscale gives ngspice's number"
            .to_string()
    });
    Ok(Measured { value: at, note })
}

fn not_reached(c: &Crossing, role: &'static str, count: &Counter) -> MeasureError {
    MeasureError::NotReached {
        role,
        signal: c.signal.to_string(),
        level: match &c.level {
            Level::Value(x) => si(*x, c.signal.unit()),
            Level::Signal(s) => s.to_string(),
        },
        rises: count.rises,
        falls: count.falls,
        span: span(c.td_s.max(c.window.from_s), c.window.to_s),
        wanted: wanted(c.which),
    }
}

/// The time between samples `p` and `k` where `v` meets `level`, as ngspice
/// writes it for a number and for a signal level (NaN when both samples are
/// on the level).
fn interpolate_crossing(t: &[f64], v: &[f64], l: &[f64], p: usize, k: usize, constant: bool) -> f64 {
    if constant {
        t[p] + (l[p] - v[p]) * (t[k] - t[p]) / (v[k] - v[p])
    } else {
        t[p] + (l[p] - v[p]) * (t[k] - t[p]) / (v[k] - v[p] - l[k] + l[p])
    }
}

/// `from 1 ms to 2 ms`, `from 0 s to the end`.
fn span(from_s: f64, to_s: Option<f64>) -> String {
    match to_s {
        Some(to) => format!("from {} to {}", si(from_s, "s"), si(to, "s")),
        None => format!("from {} to the end", si(from_s, "s")),
    }
}

fn wanted(w: Which) -> String {
    match w {
        Which::First => "the first crossing".into(),
        Which::Rise(n) => format!("RISE={n}"),
        Which::Fall(n) => format!("FALL={n}"),
        Which::Cross(n) => format!("CROSS={n}"),
        Which::LastRise => "RISE=LAST".into(),
        Which::LastFall => "FALL=LAST".into(),
        Which::LastCross => "CROSS=LAST".into(),
    }
}

/// The value of `v` at `at_s`, interpolated between the first pair of
/// samples around it.
fn value_at(t: &[f64], v: &[f64], at_s: f64) -> Result<f64, MeasureError> {
    for k in 1..t.len() {
        if t[k - 1] <= at_s && t[k] >= at_s {
            if t[k] == t[k - 1] {
                return Ok(v[k - 1]);
            }
            return Ok(v[k - 1] + (at_s - t[k - 1]) * (v[k] - v[k - 1]) / (t[k] - t[k - 1]));
        }
    }
    Err(MeasureError::OutOfRange {
        at_s,
        first_s: t.first().copied().unwrap_or(f64::NAN),
        last_s: t.last().copied().unwrap_or(f64::NAN),
    })
}

/// The indices of the samples in `[from, to]`.
fn in_window(t: &[f64], w: &Window) -> std::ops::Range<usize> {
    let start = t.iter().position(|&x| x >= w.from_s).unwrap_or(t.len());
    let end = match w.to_s {
        Some(to) => (start..t.len()).find(|&k| t[k] > to).unwrap_or(t.len()),
        None => t.len(),
    };
    start..end.max(start)
}

fn statistic(stat: Statistic, t: &[f64], v: &[f64], w: &Window) -> Result<f64, MeasureError> {
    match stat {
        Statistic::Integ | Statistic::Rms => integral(stat, t, v, w),
        _ => {
            let r = in_window(t, w);
            let need = if stat == Statistic::Avg { 2 } else { 1 };
            if r.len() < need {
                return Err(empty(stat, need, r.len(), w));
            }
            Ok(sample_statistic(stat, &t[r.clone()], &v[r]))
        }
    }
}

fn empty(stat: Statistic, need: usize, found: usize, w: &Window) -> MeasureError {
    MeasureError::EmptyWindow { stat: stat.keyword(), need, found, span: span(w.from_s, w.to_s) }
}

/// `AVG`, `MIN`, `MAX`, `PP`, `MIN_AT`, `MAX_AT` over samples (at least one;
/// two for `AVG`).
fn sample_statistic(stat: Statistic, t: &[f64], v: &[f64]) -> f64 {
    let (mut lo, mut lo_at, mut hi, mut hi_at) = (v[0], t[0], v[0], t[0]);
    let (mut area, mut span) = (0.0, 0.0);
    for k in 1..v.len() {
        if v[k] <= lo {
            (lo, lo_at) = (v[k], t[k]);
        }
        if v[k] >= hi {
            (hi, hi_at) = (v[k], t[k]);
        }
        area += 0.5 * (v[k] + v[k - 1]) * (t[k] - t[k - 1]);
        span += t[k] - t[k - 1];
    }
    match stat {
        Statistic::Avg => area / span,
        Statistic::Min => lo,
        Statistic::Max => hi,
        Statistic::Pp => hi - lo,
        Statistic::MinAt => lo_at,
        _ => hi_at,
    }
}

/// `INTEG` or `RMS`: the window's ends interpolated (as ngspice, by the line
/// through the two samples around them), then ngspice's composite rule.
fn integral(stat: Statistic, t: &[f64], v: &[f64], w: &Window) -> Result<f64, MeasureError> {
    let square = stat == Statistic::Rms;
    let y_of = |x: f64| if square { x * x } else { x };
    let mut x: Vec<f64> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let line = |k: usize, at: f64| {
        let slope = (v[k] - v[k - 1]) / (t[k] - t[k - 1]);
        let intercept = v[k - 1] - slope * t[k - 1];
        slope * at + intercept
    };
    for k in 0..t.len() {
        let (mut tk, mut vk) = (t[k], v[k]);
        if tk < w.from_s {
            continue;
        }
        if let Some(to) = w.to_s.filter(|&to| tk > to) {
            if x.is_empty() || k == 0 {
                // The window holds no sample (ngspice 39 prints 0 or fails).
                return Err(empty(stat, 2, x.len(), w));
            }
            if !almost_equal_ulps(tk, to, 100) {
                (tk, vk) = (to, line(k, to));
            }
            x.push(tk);
            y.push(y_of(vk));
            break;
        }
        if x.is_empty() && w.from_s != 0.0 && k > 0 && !almost_equal_ulps(tk, w.from_s, 100) {
            (tk, vk) = (w.from_s, line(k, w.from_s));
        }
        x.push(tk);
        y.push(y_of(vk));
    }
    if x.len() < 2 {
        return Err(empty(stat, 2, x.len(), w));
    }
    let sum = composite(&x, &y);
    let length = x[x.len() - 1] - x[0];
    Ok(if square { (sum / length).sqrt() } else { sum })
}

/// ngspice's composite rule: per panel, Simpson's 3/8 rule when the next
/// two steps equal this one, else Simpson's 1/3 rule when the next does,
/// else the trapezoid (steps compared to 100 units in the last place).
fn composite(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    // ngspice pads the steps with two zeros.
    let width = |i: usize| if i + 1 < n { x[i + 1] - x[i] } else { 0.0 };
    let yy = |i: usize| y.get(i).copied().unwrap_or(0.0);
    let (mut s38, mut s13, mut trap) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i + 1 < n {
        let (w0, w1, w2) = (width(i), width(i + 1), width(i + 2));
        if almost_equal_ulps(w0, w1, 100) && almost_equal_ulps(w0, w2, 100) {
            s38 += 3.0 * w0 * (yy(i) + 3.0 * (yy(i + 1) + yy(i + 2)) + yy(i + 3)) / 8.0;
            i += 3;
        } else if almost_equal_ulps(w0, w1, 100) {
            s13 += w0 * (yy(i) + 4.0 * yy(i + 1) + yy(i + 2)) / 3.0;
            i += 2;
        } else {
            trap += w0 * (yy(i) + yy(i + 1)) / 2.0;
            i += 1;
        }
    }
    s38 + s13 + trap
}

/// Whether `a` and `b` are at most `max_ulps` representable doubles apart
/// (ngspice's `AlmostEqualUlps`, Bruce Dawson's two's-complement form).
fn almost_equal_ulps(a: f64, b: f64, max_ulps: i64) -> bool {
    if a == b {
        return true;
    }
    let ordered = |x: f64| {
        let i = x.to_bits() as i64;
        if i < 0 {
            i128::from(i64::MIN) - i128::from(i)
        } else {
            i128::from(i)
        }
    };
    (ordered(a) - ordered(b)).abs() <= i128::from(max_ulps)
}

#[cfg(test)]
mod tests {
    //! The evaluator on waveforms with closed forms: a ramp (linear
    //! interpolation and every quadrature rule are exact), a sine and an RC
    //! charging curve sampled as a solver samples them.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::f64::consts::{LN_2, PI};

    fn v(node: &str) -> Signal {
        Signal::Voltage { node: node.into(), reference: None }
    }

    fn crossing(node: &str, level: f64, which: Which) -> Crossing {
        Crossing { signal: v(node), level: Level::Value(level), which, td_s: 0.0, window: Window::default() }
    }

    fn when(c: Crossing) -> Measure {
        Measure { name: "m".into(), kind: MeasureKind::When { when: c } }
    }

    fn stat(stat: Statistic, node: &str, from_s: f64, to_s: Option<f64>) -> Measure {
        let kind = MeasureKind::Statistic { stat, signal: v(node), window: Window { from_s, to_s } };
        Measure { name: "m".into(), kind }
    }

    fn find_at(node: &str, at_s: f64) -> Measure {
        Measure { name: "m".into(), kind: MeasureKind::FindAt { signal: v(node), at_s } }
    }

    type Law = fn(f64) -> f64;

    /// Sampled waveforms: time and named signals.
    struct Wave {
        t: Vec<f64>,
        signals: Vec<(&'static str, Vec<f64>)>,
    }

    impl Wave {
        fn new(t: Vec<f64>, laws: &[(&'static str, Law)]) -> Wave {
            let signals = laws.iter().map(|(n, f)| (*n, t.iter().map(|&x| f(x)).collect())).collect();
            Wave { t, signals }
        }

        fn eval(&self, m: &Measure) -> Result<Measured, MeasureError> {
            let get = |n: &str| self.signals.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
            let read = |s: &Signal| -> Option<Vec<f64>> {
                let Signal::Voltage { node, reference } = s else { return None };
                let a = get(node)?;
                match reference {
                    None => Some(a),
                    Some(r) => Some(a.iter().zip(get(r)?).map(|(x, y)| x - y).collect()),
                }
            };
            evaluate(m, &self.t, &read)
        }

        fn value(&self, m: &Measure) -> f64 {
            self.eval(m).unwrap_or_else(|e| panic!("{m:?}: {e}")).value
        }
    }

    /// `n` equal steps over `[0, end]`.
    fn uniform(end: f64, n: usize) -> Vec<f64> {
        (0..=n).map(|k| end * k as f64 / n as f64).collect()
    }

    /// Steps growing by 2 % from `h0` up to `hmax`, as a solver's do, to `end`.
    fn growing(h0: f64, hmax: f64, end: f64) -> Vec<f64> {
        let (mut t, mut h, mut out) = (0.0, h0, vec![0.0]);
        while t < end {
            t = (t + h).min(end);
            out.push(t);
            h = (h * 1.02).min(hmax);
        }
        out
    }

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        let err = (got - want).abs();
        assert!(err <= tol, "{what}: got {got:e}, want {want:e}, error {err:e} > {tol:e}");
    }

    #[test]
    fn ramp_is_exact() {
        // v = 2t on unequal steps: linear interpolation and the trapezoid are
        // exact, so only rounding remains: measured at most 4.4e-16 (AVG);
        // 9x margin.
        let w = Wave::new(growing(1e-3, 0.05, 1.0), &[("a", |x| 2.0 * x)]);
        close(w.value(&when(crossing("a", 0.7, Which::Rise(1)))), 0.35, 4e-15, "WHEN");
        close(w.value(&find_at("a", 0.123)), 0.246, 4e-15, "FIND AT");
        close(w.value(&stat(Statistic::Integ, "a", 0.1, Some(0.9))), 0.8, 4e-15, "INTEG from 0.1 to 0.9");
        close(w.value(&stat(Statistic::Avg, "a", 0.0, None)), 1.0, 4e-15, "AVG");
        // The statistics over samples take the last sample in the window.
        let last = w.t.iter().copied().filter(|&x| x <= 0.5).fold(0.0, f64::max);
        close(w.value(&stat(Statistic::Max, "a", 0.0, Some(0.5))), 2.0 * last, 0.0, "MAX");
        close(w.value(&stat(Statistic::MaxAt, "a", 0.0, Some(0.5))), last, 0.0, "MAX_AT");
        close(
            w.value(&stat(Statistic::Min, "a", 0.2, None)),
            2.0 * w.t[w.t.partition_point(|&x| x < 0.2)],
            0.0,
            "MIN",
        );
    }

    #[test]
    fn sine_crossings_and_statistics() {
        // sin(2 pi t) over 3 periods of 1 s, 1024 steps per period: the steps
        // are powers of two, so they are exactly equal and ngspice's rule
        // takes Simpson's 3/8 and 1/3 panels.
        let w = Wave::new(uniform(3.0, 3072), &[("s", |t| (2.0 * PI * t).sin())]);
        // Crossings of 0.5 V: rises at 1/12 + k, falls at 5/12 + k periods.
        // Linear interpolation errs by at most h^2 |v''| / (8 |v'|) = 4.3e-7 s
        // here: measured 3.9e-7 s; 10x margin.
        let c = |which| w.value(&when(crossing("s", 0.5, which)));
        let tol = 4e-6;
        close(c(Which::Rise(2)), 1.0 + 1.0 / 12.0, tol, "RISE=2");
        close(c(Which::Fall(1)), 5.0 / 12.0, tol, "FALL=1");
        close(c(Which::Cross(3)), 1.0 + 1.0 / 12.0, tol, "CROSS=3");
        close(c(Which::LastRise), 2.0 + 1.0 / 12.0, tol, "RISE=LAST");
        close(c(Which::LastCross), 2.0 + 5.0 / 12.0, tol, "CROSS=LAST");
        close(c(Which::First), 1.0 / 12.0, tol, "first crossing");
        // TD and FROM skip the samples before them.
        let mut late = crossing("s", 0.5, Which::Rise(1));
        late.td_s = 0.5;
        close(w.value(&when(late.clone())), 1.0 + 1.0 / 12.0, tol, "RISE=1 TD=0.5");
        late.td_s = 0.0;
        late.window.from_s = 1.5;
        close(w.value(&when(late.clone())), 2.0 + 1.0 / 12.0, tol, "RISE=1 FROM=1.5");
        late.window = Window { from_s: 0.0, to_s: Some(1.0) };
        late.which = Which::Rise(2);
        assert!(w.eval(&when(late)).is_err(), "the second rise is after TO");
        // Peaks and troughs are samples: exact up to rounding, measured 0.
        close(w.value(&stat(Statistic::Max, "s", 0.0, None)), 1.0, 1e-15, "MAX");
        close(w.value(&stat(Statistic::Pp, "s", 0.0, None)), 2.0, 1e-15, "PP");
        close(w.value(&stat(Statistic::MinAt, "s", 0.0, Some(1.0))), 0.75, 1e-15, "MIN_AT");
        // Simpson's rules: the integral of half a period is 1/pi, the RMS over
        // whole periods 1/sqrt(2), the AVG (trapezoids) over whole periods 0.
        // Simpson errs by about h^4 |v''''| / 80 (3/8 rule): measured 5.6e-12 V·s
        // (INTEG), 5.5e-14 V (RMS), 1.4e-16 V (AVG); 9-11x margin.
        close(w.value(&stat(Statistic::Integ, "s", 0.0, Some(0.5))), 1.0 / PI, 5e-11, "INTEG");
        close(w.value(&stat(Statistic::Rms, "s", 0.0, Some(2.0))), 0.5f64.sqrt(), 5e-13, "RMS");
        close(w.value(&stat(Statistic::Avg, "s", 0.0, Some(2.0))), 0.0, 1.5e-15, "AVG");
    }

    #[test]
    fn rc_charging_on_growing_steps() {
        // v = 1 - exp(-t/tau), tau = 1 ms, to 5 tau, on steps growing from
        // 1 us to 20 us (the trapezoid is used: no two steps are equal).
        const TAU: f64 = 1e-3;
        let w = Wave::new(growing(1e-6, 2e-5, 5.0 * TAU), &[("out", |t| 1.0 - (-t / TAU).exp())]);
        let end = 5.0 * TAU;
        let decay = 1.0 - (-5.0f64).exp();
        // WHEN v = 0.5: tau ln 2. Interpolation errs by at most h^2/(8 tau) =
        // 2.7e-8 s at the 15 us steps there: measured 2.2e-8 s; 9x margin.
        close(w.value(&when(crossing("out", 0.5, Which::First))), TAU * LN_2, 2e-7, "WHEN 0.5");
        // The integral 5 tau - tau (1 - e^-5): trapezoids where the steps grow,
        // Simpson where they are capped (equal to 100 ulps): measured 5.7e-9 V·s;
        // 9x margin. AVG (trapezoids only): measured 3.6e-6 V; 8x margin.
        let integ = end - TAU * decay;
        close(w.value(&stat(Statistic::Integ, "out", 0.0, None)), integ, 5e-8, "INTEG");
        close(w.value(&stat(Statistic::Avg, "out", 0.0, None)), integ / end, 3e-5, "AVG");
        // RMS: the mean of (1 - e)^2 is 1 - 2 tau/T (1 - e^-5) + tau/(2T)(1 - e^-10):
        // measured 6.6e-8 V; 8x margin.
        let ms = 1.0 - 2.0 * TAU / end * decay + TAU / (2.0 * end) * (1.0 - (-10.0f64).exp());
        close(w.value(&stat(Statistic::Rms, "out", 0.0, None)), ms.sqrt(), 5e-7, "RMS");
        // FROM/TO interpolated: INTEG over [tau, 2 tau] = tau + tau (e^-2 - e^-1):
        // measured 6.7e-10 V·s; 7x margin.
        let part = TAU + TAU * ((-2.0f64).exp() - (-1.0f64).exp());
        close(w.value(&stat(Statistic::Integ, "out", TAU, Some(2.0 * TAU))), part, 5e-9, "INTEG tau..2tau");
        // FIND ... AT errs by at most h^2/8 |v''| = 6.8e-6 V there: measured 4.6e-6 V; 9x margin.
        close(w.value(&find_at("out", 2.0 * TAU)), 1.0 - (-2.0f64).exp(), 4e-5, "FIND AT 2 tau");
    }

    #[test]
    fn delay_and_signal_levels() {
        // TRIG on a sine rising through 0 after TD, TARG on a cosine falling
        // through 0: sin rises through 0 at 1 period, cos falls through 0 at
        // 1.25 periods; delay a quarter period. WHEN v(s)=v(c) (sin = cos) at
        // 1/8 period; v(s,c) crosses 0 there too.
        const F: f64 = 1e3;
        let w = Wave::new(
            uniform(2e-3, 2000),
            &[("s", |t| (2.0 * PI * F * t).sin()), ("c", |t| (2.0 * PI * F * t).cos())],
        );
        let mut trig = crossing("s", 0.0, Which::Rise(1));
        trig.td_s = 0.5e-3;
        let targ = Crossing { td_s: 1e-3, ..crossing("c", 0.0, Which::Fall(1)) };
        let delay = Measure {
            name: "d".into(),
            kind: MeasureKind::Delay { trig: Instant::Crossing(trig), targ: Instant::Crossing(targ) },
        };
        // Every crossing here falls on a sample (0.25, 1, 1.25 ms and 1/8 ms on
        // 1 us steps): exact up to rounding, measured 0 and 6.8e-21 s.
        close(w.value(&delay), 0.25e-3, 1e-18, "TRIG/TARG delay");
        let at = Measure {
            name: "d".into(),
            kind: MeasureKind::Delay {
                trig: Instant::At(0.2e-3),
                targ: Instant::Crossing(crossing("c", 0.0, Which::Fall(1))),
            },
        };
        close(w.value(&at), 0.05e-3, 1e-19, "TRIG AT=0.2 ms");
        let level = Crossing { level: Level::Signal(v("c")), ..crossing("s", 0.0, Which::Rise(1)) };
        close(w.value(&when(level)), 0.125e-3, 1e-18, "WHEN v(s)=v(c)");
        let diff = Signal::Voltage { node: "s".into(), reference: Some("c".into()) };
        let c = Crossing { signal: diff, ..crossing("s", 0.0, Which::Rise(1)) };
        close(w.value(&when(c)), 0.125e-3, 1e-18, "WHEN v(s,c)=0");
        // FIND v(c) WHEN v(s)=0.5 RISE=1: cos(pi/6) = sqrt(3)/2; the crossing
        // time and cos's interpolation err by ~h^2: measured 5.1e-6 V; 10x margin.
        let find = Measure {
            name: "f".into(),
            kind: MeasureKind::FindWhen { signal: v("c"), when: crossing("s", 0.5, Which::Rise(1)) },
        };
        close(w.value(&find), 0.75f64.sqrt(), 5e-5, "FIND WHEN");
    }

    #[test]
    fn failures_are_named() {
        let w = Wave::new(uniform(1.0, 10), &[("a", |t| t)]);
        let e = w.eval(&when(crossing("a", 0.5, Which::Rise(2)))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "WHEN never reached: v(a) rises through 500 mV 1 time(s) and falls 0 time(s) from 0 s to the end, \
             RISE=2 wanted"
        );
        let e = w.eval(&find_at("a", 2.0)).unwrap_err();
        assert_eq!(e.to_string(), "time 2 s is outside the run (0 s to 1 s)");
        let e = w.eval(&find_at("b", 0.5)).unwrap_err();
        assert_eq!(e.to_string(), "the engine's output has no signal `v(b)`");
        let e = w.eval(&stat(Statistic::Avg, "a", 0.55, Some(0.58))).unwrap_err();
        assert_eq!(e.to_string(), "AVG needs 2 sample(s) in the window from 550 ms to 580 ms, the run has 0");
        let e = w.eval(&stat(Statistic::Integ, "a", 0.55, Some(0.58))).unwrap_err();
        assert!(e.to_string().starts_with("INTEG needs 2 sample(s)"), "{e}");
    }

    #[test]
    fn the_first_two_samples_count_as_in_ngspice_39() {
        // Samples at t = 0, 0.1, ..., 1 of t^2 and of a sine starting at 0.
        // Truths worked by hand from ngspice 39's rule (com_measure2.c).
        let w =
            Wave::new(uniform(1.0, 10), &[("q", |t| t * t), ("s", |t| (2.0 * PI * t).sin()), ("z", |_| 0.0)]);
        // The level 0.0025 lies between the first two samples (0 and 0.01):
        // a rise counted at the start, timed on samples 0.1 and 0.2:
        // 0.1 + (0.0025 - 0.01) * 0.1 / (0.04 - 0.01) = 0.075 (the crossing is at 0.05).
        let m = w.eval(&when(crossing("q", 0.0025, Which::Rise(1)))).unwrap();
        close(m.value, 0.075, 1e-16, "RISE=1 counted at the start");
        assert!(m.note.is_some_and(|n| n.contains("extrapolation")));
        // Nothing given: the start is not taken; no later crossing.
        assert!(w.eval(&when(crossing("q", 0.0025, Which::First))).is_err());
        // A sine starting on the level 0: CROSS=1 is the start, timed on
        // samples 0.1 and 0.2 (0.1 - sin(0.2 pi) * 0.1 / (sin(0.4 pi) - sin(0.2 pi)));
        // the first crossing taken by default is the fall at 0.5.
        let (a, b) = ((0.2 * PI).sin(), (0.4 * PI).sin());
        let want = 0.1 - a * 0.1 / (b - a);
        close(w.value(&when(crossing("s", 0.0, Which::Cross(1)))), want, 1e-16, "CROSS=1 on a sine from 0");
        close(
            w.value(&when(crossing("s", 0.0, Which::First))),
            0.5,
            1e-15,
            "first crossing of a sine from 0",
        );
        close(w.value(&when(crossing("s", 0.0, Which::Fall(1)))), 0.5, 1e-15, "FALL=1");
        // A later crossing has no note.
        assert_eq!(w.eval(&when(crossing("q", 0.05, Which::Rise(1)))).unwrap().note, None);
        // On the level at both samples around the crossing: undefined.
        let e = w.eval(&when(crossing("z", 0.0, Which::Cross(2)))).unwrap_err();
        assert!(e.to_string().contains("sits on the level"), "{e}");
    }

    #[test]
    fn ulps() {
        assert!(almost_equal_ulps(1.0, 1.0 + 100.0 * f64::EPSILON / 2.0, 100));
        assert!(!almost_equal_ulps(1.0, 1.0 + 101.0 * f64::EPSILON, 100));
        assert!(almost_equal_ulps(0.0, -0.0, 100));
        assert!(almost_equal_ulps(f64::from_bits(3), -f64::from_bits(3), 100));
        assert!(!almost_equal_ulps(1.0, -1.0, 100));
    }
}
