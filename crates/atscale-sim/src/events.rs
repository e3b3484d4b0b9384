//! Threshold-crossing events with direction and hysteresis, located by
//! root finding (Illinois) on the step's interpolating polynomial.

use serde::{Deserialize, Serialize};

/// Which crossings of a threshold are events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Upward crossings; re-armed once the signal falls below `threshold - hysteresis`.
    #[default]
    Rising,
    /// Downward crossings; re-armed once the signal rises above `threshold + hysteresis`.
    Falling,
    /// Both, each with its own arming.
    Both,
}

/// What counts as an event on one signal: the one event definition of
/// atscale, used by the native solver (located on its step polynomials), by
/// the verifier on other engines' sampled waveforms, by sweeps and by the
/// designer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSpec {
    /// The signal: a node name, `v(node)`, `i(element)` or `x(element,k)`.
    pub signal: String,
    /// Threshold, in the signal's unit (V for a node, A for a current).
    pub threshold: f64,
    /// Re-arm distance past the threshold the other way, same unit, >= 0. Default 0.
    #[serde(default)]
    pub hysteresis: f64,
    /// Which crossings count. Default rising.
    #[serde(default)]
    pub direction: Direction,
}

impl EventSpec {
    /// Rising crossings of `threshold` by `signal`, re-armed below `threshold - hysteresis`.
    pub fn rising(signal: impl Into<String>, threshold: f64, hysteresis: f64) -> Self {
        EventSpec { signal: signal.into(), threshold, hysteresis, direction: Direction::Rising }
    }
}

/// A located threshold crossing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Time of the crossing, s.
    pub t: f64,
    /// The signal, as named when the event was requested.
    pub signal: String,
    /// Index of the event specification (in the order they were added).
    pub index: usize,
    /// Direction of this crossing (`Rising` or `Falling`).
    pub direction: Direction,
    /// The threshold crossed, in the signal's unit.
    pub threshold: f64,
}

/// The state of one event specification during a run.
#[derive(Debug, Clone)]
pub(crate) struct Detector {
    pub unknown: usize,
    pub signal: String,
    pub threshold: f64,
    pub hysteresis: f64,
    pub direction: Direction,
    armed_rise: bool,
    armed_fall: bool,
}

/// Root of `g` in `[a, b]` with `g(a)` and `g(b)` of opposite signs (Illinois).
pub(crate) fn illinois(g: &impl Fn(f64) -> f64, mut a: f64, mut b: f64, mut ga: f64, mut gb: f64) -> f64 {
    if ga == 0.0 {
        return a;
    }
    if gb == 0.0 {
        return b;
    }
    let tol = 4.0 * f64::EPSILON * a.abs().max(b.abs()) + f64::MIN_POSITIVE;
    let mut side = 0i8;
    for _ in 0..200 {
        let c = (a * gb - b * ga) / (gb - ga);
        let c = if c.is_finite() && c > a.min(b) && c < a.max(b) { c } else { 0.5 * (a + b) };
        let gc = g(c);
        if gc == 0.0 {
            return c;
        }
        if (gc > 0.0) == (gb > 0.0) {
            b = c;
            gb = gc;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        } else {
            a = c;
            ga = gc;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        }
        if (b - a).abs() <= tol {
            break;
        }
    }
    if ga.abs() < gb.abs() {
        a
    } else {
        b
    }
}

/// Sub-intervals per step used to bracket crossings of the interpolant.
const BRACKETS: usize = 4;

impl Detector {
    pub fn new(
        unknown: usize,
        signal: String,
        threshold: f64,
        hysteresis: f64,
        direction: Direction,
    ) -> Self {
        Detector {
            unknown,
            signal,
            threshold,
            hysteresis: hysteresis.abs(),
            direction,
            armed_rise: false,
            armed_fall: false,
        }
    }

    /// Arms from the initial value: a rising detector is armed when the
    /// signal starts below the threshold, a falling one when above.
    pub fn init(&mut self, v0: f64) {
        self.armed_rise = v0 < self.threshold;
        self.armed_fall = v0 > self.threshold;
    }

    fn wants_rise(&self) -> bool {
        matches!(self.direction, Direction::Rising | Direction::Both)
    }

    fn wants_fall(&self) -> bool {
        matches!(self.direction, Direction::Falling | Direction::Both)
    }

    /// Scans `(t0, t1]` of the interpolant `f`, appending events.
    pub fn scan(&mut self, index: usize, t0: f64, t1: f64, f: &impl Fn(f64) -> f64, found: &mut Vec<Event>) {
        let thr = self.threshold;
        let hy = self.hysteresis;
        let mut a = t0;
        let mut fa = f(t0);
        for s in 1..=BRACKETS {
            let b = if s == BRACKETS { t1 } else { t0 + (t1 - t0) * s as f64 / BRACKETS as f64 };
            let fb = f(b);
            // Within [a, b], handle crossings in time order (at most a few).
            let mut lo = a;
            let mut flo = fa;
            for _ in 0..8 {
                let mut next: Option<(f64, u8)> = None;
                let mut consider = |level: f64, rising: bool, kind: u8| {
                    let crosses =
                        if rising { flo < level && fb >= level } else { flo > level && fb <= level };
                    if crosses {
                        let g = |t: f64| f(t) - level;
                        let r = illinois(&g, lo, b, flo - level, fb - level);
                        if next.is_none_or(|(t, _)| r < t) {
                            next = Some((r, kind));
                        }
                    }
                };
                if self.wants_rise() {
                    if self.armed_rise {
                        consider(thr, true, 0);
                    } else {
                        consider(thr - hy, false, 1);
                    }
                }
                if self.wants_fall() {
                    if self.armed_fall {
                        consider(thr, false, 2);
                    } else {
                        consider(thr + hy, true, 3);
                    }
                }
                let Some((tc, kind)) = next else { break };
                match kind {
                    0 => {
                        self.armed_rise = false;
                        found.push(Event {
                            t: tc,
                            signal: self.signal.clone(),
                            index,
                            direction: Direction::Rising,
                            threshold: thr,
                        });
                    }
                    1 => self.armed_rise = true,
                    2 => {
                        self.armed_fall = false;
                        found.push(Event {
                            t: tc,
                            signal: self.signal.clone(),
                            index,
                            direction: Direction::Falling,
                            threshold: thr,
                        });
                    }
                    _ => self.armed_fall = true,
                }
                lo = tc;
                flo = f(tc);
                // Nudge the value to the crossed side so the same crossing is not found again.
                flo = match kind {
                    0 => flo.max(thr),
                    1 => flo.min(thr - hy),
                    2 => flo.min(thr),
                    _ => flo.max(thr + hy),
                };
            }
            a = b;
            fa = fb;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illinois_finds_cubic_root() {
        let g = |t: f64| t * t * t - 2.0;
        let r = illinois(&g, 0.0, 2.0, g(0.0), g(2.0));
        // Measured exactly 0; 1e-15 (4.5 ulp of 1.26) allows for the libm cbrt.
        assert!((r - 2f64.cbrt()).abs() < 1e-15, "{r}");
    }

    #[test]
    fn hysteresis_rearms_only_below() {
        let mut d = Detector::new(0, "v".into(), 1.0, 0.5, Direction::Rising);
        d.init(0.0);
        let mut found = Vec::new();
        // Up through 1 at t = 1, down to 0.8 (not re-armed), up again: one event.
        d.scan(0, 0.0, 2.0, &|t: f64| t, &mut found);
        d.scan(0, 2.0, 3.0, &|t: f64| 2.0 - 1.2 * (t - 2.0), &mut found);
        d.scan(0, 3.0, 4.0, &|t: f64| 0.8 + (t - 3.0), &mut found);
        assert_eq!(found.len(), 1);
        // Down below 0.5, then up: second event.
        d.scan(0, 4.0, 5.0, &|t: f64| 1.8 - 1.6 * (t - 4.0), &mut found);
        d.scan(0, 5.0, 6.0, &|t: f64| 0.2 + (t - 5.0), &mut found);
        assert_eq!(found.len(), 2);
        // Measured exactly 0 (a linear crossing); 1e-14 is 11 ulp of 5.8.
        assert!((found[1].t - 5.8).abs() < 1e-14, "{:?}", found[1].t);
    }
}
