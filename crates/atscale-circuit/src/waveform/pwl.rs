//! Piecewise linear waveforms: the plain `PWL(t1 v1 ...)` and ngspice's
//! `PWL(...) r=... td=...` (repeat from a corner, delay), evaluated as
//! ngspice 39's `VSRCload` (`vsrc/vsrcload.c`) does.

use super::WaveformError;

/// Value of a plain PWL at `t` (`VSRCload`'s PWL branch, with a binary search
/// in place of its linear scan; the same result for non-decreasing times).
pub(super) fn value(points: &[(f64, f64)], t: f64) -> f64 {
    let (Some(&(t_first, v_first)), Some(&(t_last, v_last))) = (points.first(), points.last()) else {
        return 0.0;
    };
    if t <= t_first {
        return v_first;
    }
    if t > t_last {
        return v_last;
    }
    // First point at or after `t`: at a vertical step (equal times) this is
    // the earlier point, so the step time takes the value before the step.
    let i = points.partition_point(|p| p.0 < t);
    match (i.checked_sub(1).and_then(|j| points.get(j)), points.get(i)) {
        (Some(&(t0, v0)), Some(&(t1, v1))) => v0 + (t - t0) / (t1 - t0) * (v1 - v0),
        _ => v_last,
    }
}

/// Right derivative of a plain PWL at `t`, per second.
pub(super) fn slope(points: &[(f64, f64)], t: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= t);
    match (i.checked_sub(1).and_then(|j| points.get(j)), points.get(i)) {
        (Some(&(t0, v0)), Some(&(t1, v1))) if t1 > t0 => (v1 - v0) / (t1 - t0),
        _ => 0.0,
    }
}

/// Checks the points of a PWL: at least one, finite, times not decreasing.
pub(super) fn check(points: &[(f64, f64)]) -> Result<(), WaveformError> {
    if points.is_empty() {
        return Err(WaveformError::PwlEmpty);
    }
    for (index, &(time, value)) in points.iter().enumerate() {
        for (coordinate, x) in [("time", time), ("value", value)] {
            if !x.is_finite() {
                return Err(WaveformError::PwlNonFinite { index, coordinate, value: x });
            }
        }
    }
    for (i, (&(previous, _), &(time, _))) in points.iter().zip(&points[1..]).enumerate() {
        if time < previous {
            return Err(WaveformError::PwlTimeDecreasing { index: i + 1, time, previous });
        }
    }
    Ok(())
}

/// Checks `r=` and `td=` of a PWL whose points passed [`check`], as
/// `VSRCparam` (`vsrc/vsrcpar.c`) does: `r` below -0.5 means no repetition;
/// otherwise it must be one of the PWL times (compared exactly) and not
/// after the last. ngspice 39 accepts `r` equal to the last time but then
/// loops forever once the run passes it: refused here.
pub(super) fn check_repeat(
    points: &[(f64, f64)],
    r: Option<f64>,
    td: Option<f64>,
) -> Result<(), WaveformError> {
    if let Some(td) = td.filter(|x| !x.is_finite()) {
        return Err(WaveformError::NonFinite { shape: "PWL", field: "td", value: td });
    }
    let Some(r) = r else { return Ok(()) };
    if !r.is_finite() {
        return Err(WaveformError::NonFinite { shape: "PWL", field: "r", value: r });
    }
    if r < -0.5 {
        return Ok(());
    }
    let end = points.last().map_or(0.0, |p| p.0);
    if r > end {
        return Err(WaveformError::PwlRepeatAfterEnd { r, end });
    }
    if !points.iter().any(|p| p.0 == r) {
        return Err(WaveformError::PwlRepeatNotAPoint { r });
    }
    if r == end {
        return Err(WaveformError::PwlRepeatAtEnd { r });
    }
    Ok(())
}

/// Whether `a` and `b` are at most `max` representable doubles apart
/// (ngspice's `AlmostEqualUlps`, `maths/misc/equality.c`).
fn almost_equal_ulps(a: f64, b: f64, max: i128) -> bool {
    fn ordered(x: f64) -> i128 {
        let i = i128::from(x.to_bits() as i64);
        if i < 0 {
            i128::from(i64::MIN) - i
        } else {
            i
        }
    }
    a == b || (ordered(a) - ordered(b)).abs() <= max
}

/// A PWL with ngspice's `r=` (repeat) and `td=` (delay), resolved.
///
/// ngspice 39 shifts the time by `td`, holds the first value before the
/// first point, and after the last point, when `r` names point `b`, runs
/// the points `b..` again and again: pass `k` (from 0) adds
/// `rep_k = (end + (end - t_b) k) - t_b` to their times, so each pass lasts
/// `end - t_b` and starts with the value of point `b` (which is also the
/// value at the instant a pass ends). Within 3 ulps of a point's shifted
/// time the value is that point's.
#[derive(Debug, Clone, Copy)]
pub(super) struct Repeating<'a> {
    points: &'a [(f64, f64)],
    /// Delay `td`, s.
    delay: f64,
    /// The first repeated point, when the waveform repeats.
    from: Option<usize>,
}

impl<'a> Repeating<'a> {
    pub(super) fn new(points: &'a [(f64, f64)], r: Option<f64>, td: Option<f64>) -> Self {
        let end = points.last().map_or(0.0, |p| p.0);
        let from = r
            .filter(|&r| r >= -0.5)
            .and_then(|r| points.iter().position(|p| p.0 == r))
            // A repeat of zero length never advances (ngspice loops forever).
            .filter(|&b| points[b].0 < end);
        Repeating { points, delay: td.unwrap_or(0.0), from }
    }

    fn end(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.0)
    }

    /// `(t_b, end - t_b)` of a repeating waveform.
    fn period(&self) -> Option<(usize, f64, f64)> {
        let b = self.from?;
        let tb = self.points[b].0;
        Some((b, tb, self.end() - tb))
    }

    /// `rep_k` exactly as ngspice computes it.
    fn rep(&self, k: f64) -> f64 {
        let (tb, end) = (self.period().map_or(0.0, |p| p.1), self.end());
        end + (end - tb) * k - tb
    }

    /// The passes that may hold delay-shifted time `u` beyond the end:
    /// `k0..=k0 + 2`.
    fn first_pass(&self, u: f64) -> f64 {
        match self.period() {
            Some((_, _, len)) => (((u - self.end()) / len).floor() - 1.0).max(0.0),
            None => 0.0,
        }
    }

    /// One pass of `VSRCload`'s scan over points `from..` shifted by `rep`:
    /// the value of the first point within 3 ulps of `u`, or on the first
    /// segment holding `u` strictly inside.
    fn pass(&self, from: usize, rep: f64, u: f64) -> Option<f64> {
        let p = self.points;
        let n = p.len();
        if n < 2 || from > n - 2 {
            return None;
        }
        let s = |i: usize| p[i].0 + rep;
        // Shifted times do not decrease: the points within 3 ulps of `u`
        // are consecutive, and the segment holding `u` is just before them.
        let low = (0..3).fold(u, |x, _| x.next_down());
        let lo = from + p[from..].partition_point(|q| q.0 + rep < low);
        let j = from + p[from..].partition_point(|q| q.0 + rep < u);
        if lo < j && lo <= n - 2 {
            return Some(p[lo].1);
        }
        if j > from && j < n && s(j) > u {
            let i = j - 1;
            return Some(p[i].1 + (u - s(i)) / (p[j].0 - p[i].0) * (p[j].1 - p[i].1));
        }
        (lo <= n - 2 && almost_equal_ulps(s(lo), u, 3)).then(|| p[lo].1)
    }

    pub(super) fn value(&self, t: f64) -> f64 {
        let p = self.points;
        let (Some(&(t_first, v_first)), Some(&(_, v_last))) = (p.first(), p.last()) else {
            return 0.0;
        };
        let u = t - self.delay;
        if u < t_first {
            return v_first;
        }
        if let Some(v) = self.pass(0, 0.0, u) {
            return v;
        }
        let Some((b, _, _)) = self.period() else {
            return v_last;
        };
        let k0 = self.first_pass(u);
        (0..3).find_map(|d| self.pass(b, self.rep(k0 + f64::from(d)), u)).unwrap_or(v_last)
    }

    /// Right derivative, per second.
    pub(super) fn slope(&self, t: f64) -> f64 {
        let u = t - self.delay;
        let Some((b, tb, len)) = self.period().filter(|_| u >= self.end()) else {
            return slope(self.points, self.snap(u, u));
        };
        let k = ((u - self.end()) / len).floor();
        let mut x = tb + (u - self.end() - k * len);
        if x >= self.end() {
            x = tb;
        }
        slope(&self.points[b..], self.snap(u, x))
    }

    /// Pattern time `x` (of delay-shifted time `u`) within rounding of a
    /// point's time, moved onto it.
    fn snap(&self, u: f64, x: f64) -> f64 {
        let eps = 8.0 * f64::EPSILON * u.abs().max(self.end().abs()).max(self.delay.abs());
        self.points.iter().map(|q| q.0).find(|c| (c - x).abs() <= eps).unwrap_or(x)
    }

    /// Every corner in `[lo, hi]` (appended to `out`, unsorted).
    pub(super) fn breakpoints(&self, lo: f64, hi: f64, out: &mut Vec<f64>) {
        let mut t = lo.next_down();
        while let Some(c) = self.next_breakpoint(t) {
            if c > hi {
                break;
            }
            out.push(c);
            t = c;
        }
    }

    /// The first corner strictly after `t`: the points' times shifted by the
    /// delay, and in every pass of a repeat.
    pub(super) fn next_breakpoint(&self, t: f64) -> Option<f64> {
        let p = self.points;
        let u = t - self.delay;
        let corner = |x: f64| x + self.delay;
        let i = p.partition_point(|q| corner(q.0) <= t);
        if let Some(q) = p.get(i) {
            return Some(corner(q.0));
        }
        let (b, _, _) = self.period()?;
        let k0 = self.first_pass(u);
        (0..3).find_map(|d| {
            let rep = self.rep(k0 + f64::from(d));
            let j = b + p[b..].partition_point(|q| corner(q.0 + rep) <= t);
            p.get(j).map(|q| corner(q.0 + rep))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn almost_equal_ulps_counts_representable_doubles_across_zero() {
        let x = 1e-3;
        let up3 = (0..3).fold(x, |a: f64, _| a.next_up());
        assert!(almost_equal_ulps(x, up3, 3));
        assert!(!almost_equal_ulps(x, up3.next_up(), 3));
        // -0 and +0 are equal; the smallest subnormals either side are 2 apart.
        assert!(almost_equal_ulps(-0.0, 0.0, 3));
        let tiny = f64::from_bits(1);
        assert!(almost_equal_ulps(-tiny, tiny, 3));
        assert!(!almost_equal_ulps(-1.0, 1.0, 3));
    }
}
