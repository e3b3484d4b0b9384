//! Source waveform values and breakpoints (SPICE semantics).
//!
//! `atscale-circuit` does not (yet) evaluate waveforms, so the solver does it
//! here: values follow ngspice's `PULSE`, `PWL`, `SIN` and `EXP`, and every
//! corner where a waveform's derivative jumps is a breakpoint.

use atscale_circuit::{TranTiming, Waveform};

/// The value of a waveform at time `t` (s).
pub(crate) fn value(w: &Waveform<f64>, t: f64, tm: &TranTiming) -> f64 {
    match w {
        Waveform::Dc { value } => *value,
        Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
            let (td, tr, tf, pw, per) = pulse_times(*td, *tr, *tf, *pw, *per, tm);
            if t < td {
                return *v1;
            }
            let mut tt = t - td;
            if per > 0.0 {
                let k = (tt / per).floor();
                if np.is_none_or(|n| k < n) {
                    tt -= k * per;
                } else {
                    // After the last pulse the source stays at v1.
                    return *v1;
                }
            }
            // Snap to a corner within rounding of it, so that the value at a
            // breakpoint (computed as `td + k per + corner`) is the corner's.
            let eps = 8.0 * f64::EPSILON * t.abs().max(td.abs()).max(per.abs());
            for c in [0.0, tr, tr + pw, tr + pw + tf, per] {
                if (tt - c).abs() <= eps {
                    tt = if c == per { 0.0 } else { c };
                }
            }
            if tt < tr {
                v1 + (v2 - v1) * tt / tr
            } else if tt < tr + pw {
                *v2
            } else if tt < tr + pw + tf {
                v2 + (v1 - v2) * (tt - tr - pw) / tf
            } else {
                *v1
            }
        }
        Waveform::Pwl { points } => {
            let Some(first) = points.first() else { return 0.0 };
            if t <= first.0 {
                return first.1;
            }
            for w2 in points.windows(2) {
                let (t0, v0) = w2[0];
                let (t1, v1) = w2[1];
                if t < t1 {
                    if t1 <= t0 {
                        return v1;
                    }
                    return v0 + (v1 - v0) * (t - t0) / (t1 - t0);
                }
            }
            points.last().map_or(0.0, |p| p.1)
        }
        Waveform::Sin { vo, va, freq, td, theta, phase } => {
            let freq = freq.unwrap_or(if tm.tstop > 0.0 { 1.0 / tm.tstop } else { 0.0 });
            let td = td.unwrap_or(0.0);
            let theta = theta.unwrap_or(0.0);
            let ph = phase.unwrap_or(0.0).to_radians();
            if t < td {
                vo + va * ph.sin()
            } else {
                let s = t - td;
                vo + va * (-s * theta).exp() * (2.0 * std::f64::consts::PI * freq * s + ph).sin()
            }
        }
        Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
            let td1 = td1.unwrap_or(0.0);
            let tau1 = tau1.unwrap_or(tm.tstep);
            let td2 = td2.unwrap_or(td1 + tm.tstep);
            let tau2 = tau2.unwrap_or(tm.tstep);
            let mut v = *v1;
            if t >= td1 {
                v += (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp());
            }
            if t >= td2 {
                v += (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp());
            }
            v
        }
    }
}

fn pulse_times(
    td: Option<f64>,
    tr: Option<f64>,
    tf: Option<f64>,
    pw: Option<f64>,
    per: Option<f64>,
    tm: &TranTiming,
) -> (f64, f64, f64, f64, f64) {
    let td = td.unwrap_or(0.0);
    let tr = tr.filter(|v| *v > 0.0).unwrap_or(tm.tstep);
    let tf = tf.filter(|v| *v > 0.0).unwrap_or(tm.tstep);
    let pw = pw.unwrap_or(tm.tstop);
    let per = per.unwrap_or(tm.tstop);
    (td, tr, tf, pw, per)
}

/// The first breakpoint strictly after `t` (s), if any.
pub(crate) fn next_breakpoint(w: &Waveform<f64>, t: f64, tm: &TranTiming) -> Option<f64> {
    // A tiny relative margin so that a breakpoint just reached is not returned again.
    let after = |b: f64| b > t + 1e-14 * t.abs().max(1e-300);
    match w {
        Waveform::Dc { .. } | Waveform::Sin { .. } => match w {
            Waveform::Sin { td: Some(td), .. } if after(*td) => Some(*td),
            _ => None,
        },
        Waveform::Exp { td1, td2, .. } => {
            let td1 = td1.unwrap_or(0.0);
            let td2 = td2.unwrap_or(td1 + tm.tstep);
            [td1, td2].into_iter().find(|b| after(*b))
        }
        Waveform::Pwl { points } => points.iter().map(|p| p.0).find(|b| after(*b)),
        Waveform::Pulse { td, tr, tf, pw, per, np, .. } => {
            let (td, tr, tf, pw, per) = pulse_times(*td, *tr, *tf, *pw, *per, tm);
            let corners = [0.0, tr, tr + pw, tr + pw + tf];
            let first_k = if t <= td || per <= 0.0 { 0.0 } else { ((t - td) / per).floor() };
            let mut k = first_k;
            loop {
                if let Some(n) = np {
                    if k >= *n {
                        return None;
                    }
                }
                let base = td + k * per;
                if let Some(b) = corners.iter().map(|c| base + c).find(|b| after(*b)) {
                    return Some(b);
                }
                if per <= 0.0 || k > first_k + 1.0 {
                    return None;
                }
                k += 1.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulse_corners_are_breakpoints() {
        let tm = TranTiming { tstep: 1e-3, tstop: 1.0 };
        let w = Waveform::Pulse {
            v1: 0.0,
            v2: 1.0,
            td: Some(0.5),
            tr: Some(1e-10),
            tf: Some(1e-10),
            pw: Some(1e-9),
            per: None,
            np: None,
        };
        let b1 = next_breakpoint(&w, 0.0, &tm).unwrap();
        assert_eq!(b1, 0.5);
        let b2 = next_breakpoint(&w, b1, &tm).unwrap();
        assert!((b2 - 0.5 - 1e-10).abs() < 1e-15);
        assert!((value(&w, 0.5 + 6e-10, &tm) - 1.0).abs() < 1e-12);
        assert_eq!(value(&w, 0.4, &tm), 0.0);
    }
}
