//! Forward-mode dual numbers over a MOSFET's three controlling voltages
//! `(vgs, vds, vbs)`: a value with its three partial derivatives. The
//! level-2 and level-3 channels are written once, over [`D`], and their
//! transconductances `gm`, `gds`, `gmbs` are the exact derivatives of the
//! current they compute (ngspice's hand-written ones approximate a few
//! terms; a solution does not depend on the Jacobian, only the
//! iterations to reach it do).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A value `v` with its derivatives `d` with respect to `(vgs, vds, vbs)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct D {
    pub(crate) v: f64,
    pub(crate) d: [f64; 3],
}

impl D {
    /// A constant.
    pub(crate) const fn c(v: f64) -> D {
        D { v, d: [0.0; 3] }
    }

    /// The controlling voltages `(vgs, vds, vbs)` as independent variables.
    pub(crate) fn vars(vgs: f64, vds: f64, vbs: f64) -> (D, D, D) {
        (D { v: vgs, d: [1.0, 0.0, 0.0] }, D { v: vds, d: [0.0, 1.0, 0.0] }, D { v: vbs, d: [0.0, 0.0, 1.0] })
    }

    /// `f(v)` with slope `df` at `v` (the chain rule).
    fn chain(self, f: f64, df: f64) -> D {
        D { v: f, d: self.d.map(|x| x * df) }
    }

    pub(crate) fn sqrt(self) -> D {
        let s = self.v.sqrt();
        self.chain(s, 0.5 / s)
    }

    pub(crate) fn exp(self) -> D {
        let e = self.v.exp();
        self.chain(e, e)
    }

    pub(crate) fn ln(self) -> D {
        self.chain(self.v.ln(), 1.0 / self.v)
    }

    pub(crate) fn recip(self) -> D {
        let r = 1.0 / self.v;
        self.chain(r, -r * r)
    }

    pub(crate) fn cos(self) -> D {
        self.chain(self.v.cos(), -self.v.sin())
    }

    pub(crate) fn atan(self) -> D {
        self.chain(self.v.atan(), 1.0 / (1.0 + self.v * self.v))
    }

    pub(crate) fn abs(self) -> D {
        if self.v < 0.0 {
            -self
        } else {
            self
        }
    }

    /// The larger of the two (`self` when equal).
    pub(crate) fn max(self, other: D) -> D {
        if other.v > self.v {
            other
        } else {
            self
        }
    }

    /// The smaller of the two (`self` when equal).
    pub(crate) fn min(self, other: D) -> D {
        if other.v < self.v {
            other
        } else {
            self
        }
    }

    fn zip(self, o: D, f: impl Fn(f64, f64) -> f64) -> [f64; 3] {
        [f(self.d[0], o.d[0]), f(self.d[1], o.d[1]), f(self.d[2], o.d[2])]
    }
}

impl Add for D {
    type Output = D;
    fn add(self, o: D) -> D {
        D { v: self.v + o.v, d: self.zip(o, |a, b| a + b) }
    }
}

impl Sub for D {
    type Output = D;
    fn sub(self, o: D) -> D {
        D { v: self.v - o.v, d: self.zip(o, |a, b| a - b) }
    }
}

// The product and quotient rules mix operations, as they must.
#[allow(clippy::suspicious_arithmetic_impl)]
impl Mul for D {
    type Output = D;
    fn mul(self, o: D) -> D {
        let (a, b) = (self.v, o.v);
        D { v: a * b, d: self.zip(o, |da, db| da * b + a * db) }
    }
}

#[allow(clippy::suspicious_arithmetic_impl)]
impl Div for D {
    type Output = D;
    fn div(self, o: D) -> D {
        let (a, b) = (self.v, o.v);
        let q = a / b;
        D { v: q, d: self.zip(o, |da, db| (da - q * db) / b) }
    }
}

impl Neg for D {
    type Output = D;
    fn neg(self) -> D {
        D { v: -self.v, d: self.d.map(|x| -x) }
    }
}

impl Add<f64> for D {
    type Output = D;
    fn add(self, o: f64) -> D {
        D { v: self.v + o, d: self.d }
    }
}

impl Sub<f64> for D {
    type Output = D;
    fn sub(self, o: f64) -> D {
        D { v: self.v - o, d: self.d }
    }
}

impl Mul<f64> for D {
    type Output = D;
    fn mul(self, o: f64) -> D {
        D { v: self.v * o, d: self.d.map(|x| x * o) }
    }
}

impl Div<f64> for D {
    type Output = D;
    fn div(self, o: f64) -> D {
        D { v: self.v / o, d: self.d.map(|x| x / o) }
    }
}

impl Add<D> for f64 {
    type Output = D;
    fn add(self, o: D) -> D {
        o + self
    }
}

impl Sub<D> for f64 {
    type Output = D;
    fn sub(self, o: D) -> D {
        -o + self
    }
}

impl Mul<D> for f64 {
    type Output = D;
    fn mul(self, o: D) -> D {
        o * self
    }
}

#[allow(clippy::suspicious_arithmetic_impl)]
impl Div<D> for f64 {
    type Output = D;
    fn div(self, o: D) -> D {
        o.recip() * self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference of `f` along the `k`-th variable at `(a, b, c)`.
    fn fd(f: impl Fn(D, D, D) -> D, x: [f64; 3], k: usize) -> f64 {
        let h = 1e-6;
        let at = |s: f64| {
            let mut y = x;
            y[k] += s;
            let (a, b, c) = D::vars(y[0], y[1], y[2]);
            f(a, b, c).v
        };
        (at(h) - at(-h)) / (2.0 * h)
    }

    #[test]
    fn derivatives_of_every_operation_match_central_differences() {
        let f = |a: D, b: D, c: D| {
            let p = (a * b + 2.0 - c) / (b + 3.0) - 1.5 / a + (a + 0.2 * b).sqrt() * 2.0;
            let q = (c * 0.3).exp() + (a + 1.0).ln() + b * b * b + (a - c).cos() + (b * c).atan();
            let r = (1.0 - a).abs() * (a - b).max(c).min(b * 2.0);
            p * q + r / 4.0 - (2.0 - c) * 1.0
        };
        for x in [[1.3, 0.7, -0.4], [0.4, 2.1, 0.9], [2.5, 1.1, -2.0]] {
            let (a, b, c) = D::vars(x[0], x[1], x[2]);
            let y = f(a, b, c);
            for k in 0..3 {
                let num = fd(f, x, k);
                // Central differences with h = 1e-6 of these smooth terms:
                // truncation ~h² and rounding ~1e-16/h; measured 3.9e-10
                // at worst, 1e-8 is 25x.
                let err = (y.d[k] - num).abs() / (1.0 + num.abs());
                assert!(err < 1e-8, "{x:?} {k}: {} vs {num}", y.d[k]);
            }
        }
    }
}

/// Checks of a channel's transconductances against finite differences of
/// its current, shared by the level-2 and level-3 tests.
#[cfg(test)]
pub(crate) mod check {
    use super::super::mosfet::Channel;

    /// The bias grid of the derivative checks: cutoff and weak inversion to
    /// strong, vds from 10 mV to deep saturation, reverse and forward body bias (not
    /// at vbs = 0, where the depletion root changes form: its slope is
    /// continuous there, its curvature not, which a central difference
    /// mistakes for an error).
    pub(crate) fn grid() -> Vec<(f64, f64, f64)> {
        let mut g = Vec::new();
        for vgs in [-0.5, 0.3, 0.6, 0.75, 0.9, 1.2, 2.0, 3.3, 5.0] {
            for vds in [0.01, 0.1, 0.4, 1.0, 2.0, 3.5, 6.0] {
                for vbs in [-3.0, -1.0, -0.2, -0.01, 0.25] {
                    g.push((vgs, vds, vbs));
                }
            }
        }
        g
    }

    /// The largest error of `gm`, `gds`, `gmbs` of `channel` against the
    /// central difference of step `h` over `grid`, relative to the current
    /// plus the derivative, and how many derivatives were checked. Points
    /// where the forward and backward differences disagree (a region
    /// boundary within `h`: the current is continuous there, its slope is
    /// not) are skipped.
    pub(crate) fn derivative_error(
        channel: &dyn Fn(f64, f64, f64) -> Channel,
        grid: &[(f64, f64, f64)],
        h: f64,
    ) -> (f64, usize) {
        let mut worst: f64 = 0.0;
        let mut checked = 0;
        for &(vgs, vds, vbs) in grid {
            let ch = channel(vgs, vds, vbs);
            let scale = ch.ids.abs().max(1e-15);
            for (k, g) in [ch.gm, ch.gds, ch.gmbs].into_iter().enumerate() {
                let at = |s: f64| {
                    let mut y = [vgs, vds, vbs];
                    y[k] += s * h;
                    channel(y[0], y[1], y[2]).ids
                };
                let (lo, hi) = (at(-1.0), at(1.0));
                let (bwd, fwd) = ((ch.ids - lo) / h, (hi - ch.ids) / h);
                let num = (hi - lo) / (2.0 * h);
                let size = scale + g.abs().max(num.abs());
                if (fwd - bwd).abs() > 1e-4 * size {
                    continue;
                }
                worst = worst.max((g - num).abs() / size);
                checked += 1;
            }
        }
        (worst, checked)
    }

    /// The largest error of `gds` at `vds = 0` (where the current is zero)
    /// against the forward difference `i(h)/h`, relative to it, over the
    /// gate and body voltages of [`grid`] where the channel conducts with
    /// a positive saturation voltage.
    pub(crate) fn zero_vds_error(channel: &dyn Fn(f64, f64, f64) -> Channel, h: f64) -> f64 {
        let mut worst: f64 = 0.0;
        for (vgs, _, vbs) in grid().into_iter().filter(|x| x.1 == 0.01) {
            let ch = channel(vgs, 0.0, vbs);
            assert_eq!(ch.ids, 0.0, "{vgs} {vbs}");
            let num = channel(vgs, h, vbs).ids / h;
            if num.abs() < 1e-12 || ch.vdsat <= 0.0 {
                continue;
            }
            worst = worst.max((ch.gds - num).abs() / num.abs());
        }
        worst
    }
}
