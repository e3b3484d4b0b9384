//! The modulated sines `SFFM` and `AM`, as ngspice 39's `VSRCload`
//! (`vsrc/vsrcload.c`; `isrc/isrcload.c` is the same) computes them.

use std::f64::consts::PI;

use super::{nonzero_or, TranTiming};

/// Degrees to radians as ngspice writes it (`PHASE * M_PI / 180.0`).
fn radians(degrees: Option<f64>) -> f64 {
    degrees.unwrap_or(0.0) * PI / 180.0
}

/// An SFFM with every default resolved: `vo + va sin(2π fc t + phasec +
/// mdi sin(2π fs t + phases))`, from `t = 0`, no delay.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sffm {
    vo: f64,
    va: f64,
    fc: f64,
    mdi: f64,
    fs: f64,
    /// Radians.
    phasec: f64,
    /// Radians.
    phases: f64,
}

impl Sffm {
    /// ngspice 39's defaults: `fc` and `fs` `1/tstop` (also when 0), `mdi`
    /// and the phases 0.
    pub(super) fn new(
        [vo, va]: [f64; 2],
        [fc, mdi, fs, phasec, phases]: [Option<f64>; 5],
        timing: &TranTiming,
    ) -> Self {
        Sffm {
            vo,
            va,
            fc: nonzero_or(fc, 1.0 / timing.tstop),
            mdi: mdi.unwrap_or(0.0),
            fs: nonzero_or(fs, 1.0 / timing.tstop),
            phasec: radians(phasec),
            phases: radians(phases),
        }
    }

    pub(super) fn value(&self, t: f64) -> f64 {
        let Sffm { vo, va, fc, mdi, fs, phasec, phases } = *self;
        vo + va * ((2.0 * PI * fc * t + phasec) + mdi * (2.0 * PI * fs * t + phases).sin()).sin()
    }

    pub(super) fn slope(&self, t: f64) -> f64 {
        let Sffm { va, fc, mdi, fs, phasec, phases, .. } = *self;
        let inner = 2.0 * PI * fs * t + phases;
        let arg = 2.0 * PI * fc * t + phasec + mdi * inner.sin();
        va * arg.cos() * (2.0 * PI * fc + mdi * 2.0 * PI * fs * inner.cos())
    }
}

/// An AM with every default resolved: 0 up to `td`, then
/// `va (vo + sin(2π mf u + phases)) sin(2π fc u + phases)` with
/// `u = t - td`. ngspice 39 turns the carrier phase `phasec` into radians
/// and never uses it: the signal phase `phases` shifts both sines.
#[derive(Debug, Clone, Copy)]
pub(super) struct Am {
    va: f64,
    vo: f64,
    mf: f64,
    fc: f64,
    td: f64,
    /// Radians.
    phases: f64,
}

impl Am {
    /// ngspice 39's defaults: `mf` `1/tstop` (also when 0), `fc`, `td` and
    /// the phases 0 (a carrier of 0 Hz: the value is then 0).
    pub(super) fn new(
        [va, vo]: [f64; 2],
        [mf, fc, td, phases]: [Option<f64>; 4],
        timing: &TranTiming,
    ) -> Self {
        Am {
            va,
            vo,
            mf: nonzero_or(mf, 1.0 / timing.tstop),
            fc: fc.unwrap_or(0.0),
            td: td.unwrap_or(0.0),
            phases: radians(phases),
        }
    }

    /// Delay, s: where the value leaves 0 (a corner, and a jump unless
    /// `sin(phases)` or `vo + sin(phases)` is 0).
    pub(super) fn td(&self) -> f64 {
        self.td
    }

    pub(super) fn value(&self, t: f64) -> f64 {
        let Am { va, vo, mf, fc, td, phases } = *self;
        let u = t - td;
        if u <= 0.0 {
            0.0
        } else {
            va * (vo + (2.0 * PI * mf * u + phases).sin()) * (2.0 * PI * fc * u + phases).sin()
        }
    }

    pub(super) fn slope(&self, t: f64) -> f64 {
        let Am { va, vo, mf, fc, td, phases } = *self;
        let u = t - td;
        if u.is_nan() || u < 0.0 {
            return 0.0;
        }
        let (wm, wc) = (2.0 * PI * mf, 2.0 * PI * fc);
        let (sm, cm) = (wm * u + phases).sin_cos();
        let (sc, cc) = (wc * u + phases).sin_cos();
        va * (wm * cm * sc + (vo + sm) * wc * cc)
    }
}
