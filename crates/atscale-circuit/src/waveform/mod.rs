//! Waveforms of independent sources, with SPICE semantics.
//!
//! A [`Waveform`] describes a source as a SPICE netlist does; with the
//! [`TranTiming`] of the run it is evaluated by [`Waveform::value`] (and
//! [`Waveform::slope`]), and [`Waveform::breakpoints`] and
//! [`Waveform::next_breakpoint`] give the corners a solver must step onto.
//! [`Waveform::check`] rejects meaningless parameters with a
//! [`WaveformError`].
//!
//! The semantics, defaults included, are those of ngspice 39.3, the version
//! atscale verifies against: `VSRCload` in
//! `src/spicelib/devices/vsrc/vsrcload.c` and `ISRCload` in
//! `src/spicelib/devices/isrc/isrcload.c` (identical for these shapes),
//! breakpoints as `VSRCaccept` in `vsrc/vsrcacct.c`; `VSRCparam` in
//! `vsrc/vsrcpar.c` only warns about decreasing PWL times, and `VSRCtemp` in
//! `vsrc/vsrctemp.c` does not touch transient parameters. The edge cases
//! documented on [`Waveform::value`] were measured on ngspice 39.3. Later
//! ngspice sources change the PULSE defaults (for example `pw` 0 instead of
//! `tstop` when only `v1 v2 td tr tf` are given): revisit this module when
//! the verifier moves to a newer ngspice.

use serde::{Deserialize, Serialize};

use modulated::{Am, Sffm};

mod modulated;
mod pwl;
mod random;

pub use random::{Distribution, FlickerTable, FLICKER_LIMIT};

/// The time course of an independent voltage (volts) or current (amperes)
/// source, as in SPICE. Optional fields take SPICE's defaults, some of which
/// depend on the transient analysis (`tstep`, `tstop`): see [`TranTiming`].
/// As in ngspice, a value of exactly 0 for `tr`, `tf`, `pw`, `per`, `freq`,
/// `td1`, `tau1`, `td2` or `tau2` also takes the default (see
/// [`Waveform::value`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case", deny_unknown_fields)]
pub enum Waveform<V> {
    /// A constant.
    Dc {
        /// Value (V or A).
        value: V,
    },
    /// `PULSE(v1 v2 td tr tf pw per np)`.
    Pulse {
        /// Initial value (V or A).
        v1: V,
        /// Pulsed value (V or A).
        v2: V,
        /// Delay, s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        td: Option<V>,
        /// Rise time, s (default `tstep`).
        #[serde(skip_serializing_if = "Option::is_none")]
        tr: Option<V>,
        /// Fall time, s (default `tstep`).
        #[serde(skip_serializing_if = "Option::is_none")]
        tf: Option<V>,
        /// Pulse width, s (default `tstop`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pw: Option<V>,
        /// Period, s (default `tstop`).
        #[serde(skip_serializing_if = "Option::is_none")]
        per: Option<V>,
        /// Number of pulses (default: unlimited).
        #[serde(skip_serializing_if = "Option::is_none")]
        np: Option<V>,
    },
    /// `PWL(t1 v1 t2 v2 ...)`: piecewise linear, constant before the first
    /// and after the last corner.
    Pwl {
        /// Corners `(seconds, value)`, times non-decreasing.
        points: Vec<(V, V)>,
    },
    /// `SIN(vo va freq td theta phase)`.
    Sin {
        /// Offset (V or A).
        vo: V,
        /// Amplitude (V or A).
        va: V,
        /// Frequency, Hz (default `1/tstop`).
        #[serde(skip_serializing_if = "Option::is_none")]
        freq: Option<V>,
        /// Delay, s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        td: Option<V>,
        /// Damping factor, 1/s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        theta: Option<V>,
        /// Phase, degrees (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        phase: Option<V>,
    },
    /// `EXP(v1 v2 td1 tau1 td2 tau2)`.
    Exp {
        /// Initial value (V or A).
        v1: V,
        /// Pulsed value (V or A).
        v2: V,
        /// Rise delay, s (default `tstep`, as in ngspice, not 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        td1: Option<V>,
        /// Rise time constant, s (default `tstep`).
        #[serde(skip_serializing_if = "Option::is_none")]
        tau1: Option<V>,
        /// Fall delay, s (default `td1 + tstep`).
        #[serde(skip_serializing_if = "Option::is_none")]
        td2: Option<V>,
        /// Fall time constant, s (default `tstep`).
        #[serde(skip_serializing_if = "Option::is_none")]
        tau2: Option<V>,
    },
    /// `PWL(t1 v1 t2 v2 ...) r=... td=...`: a PWL with ngspice's instance
    /// parameters `r` (repeat) and `td` (delay), which ngspice 39 reads on
    /// voltage sources only. The value at `t` is the PWL's at `t - td`;
    /// after its last point, when `r` names one of its times, the points
    /// from that time on repeat without end (see [`Waveform::value`]).
    PwlRepeat {
        /// Corners `(seconds, value)`, times non-decreasing.
        points: Vec<(V, V)>,
        /// Repeat from this PWL time, s (one of the points' times; below
        /// -0.5, such as ngspice's `r=-1`, or absent: no repetition).
        #[serde(skip_serializing_if = "Option::is_none")]
        r: Option<V>,
        /// Delay, s (default 0; may be negative).
        #[serde(skip_serializing_if = "Option::is_none")]
        td: Option<V>,
    },
    /// `SFFM(vo va fc mdi fs phasec phases)`, single-frequency FM as
    /// ngspice 39 reads it (ngspice 43 and later read other arguments):
    /// `vo + va·sin(2π·fc·t + phasec + mdi·sin(2π·fs·t + phases))`, no delay.
    Sffm {
        /// Offset (V or A).
        vo: V,
        /// Amplitude (V or A).
        va: V,
        /// Carrier frequency, Hz (default `1/tstop`, also when 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        fc: Option<V>,
        /// Modulation index, dimensionless (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        mdi: Option<V>,
        /// Signal (modulating) frequency, Hz (default `1/tstop`, also when 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        fs: Option<V>,
        /// Carrier phase, degrees (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        phasec: Option<V>,
        /// Signal phase, degrees (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        phases: Option<V>,
    },
    /// `AM(va vo mf fc td phasec phases)`, amplitude modulation as ngspice 39
    /// reads it (ngspice 43 and later read other arguments): 0 up to `td`,
    /// then `va·(vo + sin(2π·mf·u + phases))·sin(2π·fc·u + phases)` with
    /// `u = t - td`. ngspice 39 shifts the carrier by the signal phase
    /// `phases` and ignores `phasec`; atscale does the same.
    Am {
        /// Amplitude (V or A).
        va: V,
        /// Offset of the modulating sine, in units of its amplitude
        /// (dimensionless).
        vo: V,
        /// Modulating frequency, Hz (default `1/tstop`, also when 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        mf: Option<V>,
        /// Carrier frequency, Hz (default 0, as in ngspice 39).
        #[serde(skip_serializing_if = "Option::is_none")]
        fc: Option<V>,
        /// Delay, s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        td: Option<V>,
        /// Carrier phase, degrees: read and kept, unused by ngspice 39.
        #[serde(skip_serializing_if = "Option::is_none")]
        phasec: Option<V>,
        /// Signal phase, degrees (default 0), applied to both sines.
        #[serde(skip_serializing_if = "Option::is_none")]
        phases: Option<V>,
    },
    /// `TRNOISE(na nt nalpha namp rtsam rtscapt rtsemt)` on a DC offset:
    /// white Gaussian noise of rms `na`, a new sample every `nt` (the first,
    /// at 0, is 0), linear between samples; plus ngspice's 1/f noise of
    /// exponent `nalpha` and amplitude `namp` on the same samples (when both
    /// are positive); plus random telegraph noise of amplitude `rtsam` (when
    /// positive) with mean capture and emission times `rtscapt`, `rtsemt`.
    /// Drawn by atscale's generator from `seed`: ngspice's processes, not its
    /// sequence.
    TrNoise {
        /// DC offset (V or A): SPICE adds the source's DC value.
        offset: V,
        /// Rms amplitude of the white noise (V or A).
        na: V,
        /// Time between samples, s (0: no white or 1/f noise).
        nt: V,
        /// 1/f exponent (default 0: no 1/f noise).
        #[serde(skip_serializing_if = "Option::is_none")]
        nalpha: Option<V>,
        /// 1/f amplitude: rms of the white noise the 1/f filter is driven
        /// with (V or A; default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        namp: Option<V>,
        /// Random telegraph amplitude (V or A; default 0: none).
        #[serde(skip_serializing_if = "Option::is_none")]
        rtsam: Option<V>,
        /// Mean time to a capture (the value rises by `rtsam`), s (default 0:
        /// captured from the start, for good).
        #[serde(skip_serializing_if = "Option::is_none")]
        rtscapt: Option<V>,
        /// Mean time to an emission (the value falls back), s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        rtsemt: Option<V>,
        /// Seed of the generator (the simulator mixes in the element's name).
        #[serde(default)]
        seed: u64,
        /// The 1/f samples once computed (a cache, never serialized).
        #[serde(skip)]
        flicker: FlickerTable,
    },
    /// `TRRANDOM(type ts td p1 p2)` on a DC offset: a value drawn from
    /// `dist` at `td`, `td + ts`, ... and held; `p2` up to `td`.
    TrRandom {
        /// DC offset (V or A).
        offset: V,
        /// The distribution (`type` 1 to 4).
        dist: Distribution,
        /// Time a value is held, s.
        ts: V,
        /// Delay before the first draw, s (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        td: Option<V>,
        /// First parameter of the distribution (default 1).
        #[serde(skip_serializing_if = "Option::is_none")]
        p1: Option<V>,
        /// Second parameter of the distribution (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        p2: Option<V>,
        /// Seed of the generator (the simulator mixes in the element's name).
        #[serde(default)]
        seed: u64,
    },
}

/// The transient analysis settings SPICE's waveform defaults depend on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranTiming {
    /// Print step `tstep` of `.tran`, s.
    pub tstep: f64,
    /// Stop time `tstop` of `.tran`, s.
    pub tstop: f64,
}

impl<V> Waveform<V> {
    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<Waveform<W>, E> {
        Ok(match self {
            Waveform::Dc { value } => Waveform::Dc { value: f(value)? },
            Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => Waveform::Pulse {
                v1: f(v1)?,
                v2: f(v2)?,
                td: map_opt(td, f)?,
                tr: map_opt(tr, f)?,
                tf: map_opt(tf, f)?,
                pw: map_opt(pw, f)?,
                per: map_opt(per, f)?,
                np: map_opt(np, f)?,
            },
            Waveform::Pwl { points } => Waveform::Pwl {
                points: points.iter().map(|(t, v)| Ok((f(t)?, f(v)?))).collect::<Result<_, E>>()?,
            },
            Waveform::PwlRepeat { points, r, td } => Waveform::PwlRepeat {
                points: points.iter().map(|(t, v)| Ok((f(t)?, f(v)?))).collect::<Result<_, E>>()?,
                r: map_opt(r, f)?,
                td: map_opt(td, f)?,
            },
            Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => Waveform::Sffm {
                vo: f(vo)?,
                va: f(va)?,
                fc: map_opt(fc, f)?,
                mdi: map_opt(mdi, f)?,
                fs: map_opt(fs, f)?,
                phasec: map_opt(phasec, f)?,
                phases: map_opt(phases, f)?,
            },
            Waveform::Am { va, vo, mf, fc, td, phasec, phases } => Waveform::Am {
                va: f(va)?,
                vo: f(vo)?,
                mf: map_opt(mf, f)?,
                fc: map_opt(fc, f)?,
                td: map_opt(td, f)?,
                phasec: map_opt(phasec, f)?,
                phases: map_opt(phases, f)?,
            },
            Waveform::Sin { vo, va, freq, td, theta, phase } => Waveform::Sin {
                vo: f(vo)?,
                va: f(va)?,
                freq: map_opt(freq, f)?,
                td: map_opt(td, f)?,
                theta: map_opt(theta, f)?,
                phase: map_opt(phase, f)?,
            },
            Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => Waveform::Exp {
                v1: f(v1)?,
                v2: f(v2)?,
                td1: map_opt(td1, f)?,
                tau1: map_opt(tau1, f)?,
                td2: map_opt(td2, f)?,
                tau2: map_opt(tau2, f)?,
            },
            Waveform::TrNoise { offset, na, nt, nalpha, namp, rtsam, rtscapt, rtsemt, seed, .. } => {
                Waveform::TrNoise {
                    offset: f(offset)?,
                    na: f(na)?,
                    nt: f(nt)?,
                    nalpha: map_opt(nalpha, f)?,
                    namp: map_opt(namp, f)?,
                    rtsam: map_opt(rtsam, f)?,
                    rtscapt: map_opt(rtscapt, f)?,
                    rtsemt: map_opt(rtsemt, f)?,
                    seed: *seed,
                    flicker: FlickerTable::default(),
                }
            }
            Waveform::TrRandom { offset, dist, ts, td, p1, p2, seed } => Waveform::TrRandom {
                offset: f(offset)?,
                dist: *dist,
                ts: f(ts)?,
                td: map_opt(td, f)?,
                p1: map_opt(p1, f)?,
                p2: map_opt(p2, f)?,
                seed: *seed,
            },
        })
    }

    /// The waveform with its random seed (if it has one) mixed with `name`,
    /// so that sources of the same netlist draw independent sequences.
    pub fn reseeded(mut self, name: &str) -> Self {
        if let Waveform::TrNoise { seed, .. } | Waveform::TrRandom { seed, .. } = &mut self {
            let h = name
                .to_ascii_lowercase()
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
            *seed ^= h;
        }
        self
    }

    /// Whether the waveform is drawn at random (TRNOISE, TRRANDOM).
    pub fn is_random(&self) -> bool {
        matches!(self, Waveform::TrNoise { .. } | Waveform::TrRandom { .. })
    }

    /// The waveform's SPICE keyword (`DC`, `PULSE`, `PWL`, `SIN`, `EXP`,
    /// `SFFM`, `AM`, `TRNOISE`, `TRRANDOM`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Waveform::Dc { .. } => "DC",
            Waveform::Pulse { .. } => "PULSE",
            Waveform::Pwl { .. } | Waveform::PwlRepeat { .. } => "PWL",
            Waveform::Sffm { .. } => "SFFM",
            Waveform::Am { .. } => "AM",
            Waveform::Sin { .. } => "SIN",
            Waveform::Exp { .. } => "EXP",
            Waveform::TrNoise { .. } => "TRNOISE",
            Waveform::TrRandom { .. } => "TRRANDOM",
        }
    }
}

fn map_opt<V, W, E>(o: &Option<V>, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<Option<W>, E> {
    o.as_ref().map(f).transpose()
}

// ---------------------------------------------------------------------------
// Evaluation with ngspice semantics.
// ---------------------------------------------------------------------------

/// Why a waveform's parameters, or a transient timing, are not acceptable
/// (see [`Waveform::check`] and [`TranTiming::check`]).
///
/// ngspice itself rejects none of these: it warns about decreasing PWL times
/// and evaluates the rest literally, which gives meaningless waveforms. A
/// parameter of 0 where ngspice substitutes a default (`tr`, `tf`, `pw`,
/// `per`, `freq`, `td1`, `tau1`, `td2`, `tau2`) is accepted: it means the
/// default, as in ngspice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WaveformError {
    /// A parameter is NaN or infinite.
    #[error("{shape} parameter `{field}` is {value}; it must be a finite number")]
    NonFinite {
        /// SPICE keyword of the waveform (`PULSE`, `SIN`, ...).
        shape: &'static str,
        /// Parameter name as in SPICE (`v1`, `tr`, ...).
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A duration (rise, fall, width, period, time constant), a frequency or
    /// a pulse count is negative.
    #[error("{shape} parameter `{field}` is {value}; a {what} cannot be negative")]
    Negative {
        /// SPICE keyword of the waveform.
        shape: &'static str,
        /// Parameter name as in SPICE.
        field: &'static str,
        /// What the parameter is (`rise time`, `period`, ...).
        what: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A PWL waveform without any point.
    #[error("PWL has no points; it needs at least one (time, value) pair")]
    PwlEmpty,
    /// A PWL time or value is NaN or infinite.
    #[error("PWL point {index} has {coordinate} {value}; it must be a finite number")]
    PwlNonFinite {
        /// Index of the point, from 0.
        index: usize,
        /// `time` or `value`.
        coordinate: &'static str,
        /// The offending number.
        value: f64,
    },
    /// A PWL point lies before its predecessor.
    #[error(
        "PWL point {index} is at {time} s, before the preceding point at {previous} s; \
         PWL times must not decrease"
    )]
    PwlTimeDecreasing {
        /// Index of the point, from 1.
        index: usize,
        /// Its time, s.
        time: f64,
        /// Time of point `index - 1`, s.
        previous: f64,
    },
    /// A PWL `r=` after the last PWL time.
    #[error(
        "PWL repeat time `r` = {} is after the last PWL time {}; it must be one of the PWL times \
         (ngspice refuses it too)",
        crate::units::si(*r, "s"),
        crate::units::si(*end, "s")
    )]
    PwlRepeatAfterEnd {
        /// The repeat time, s.
        r: f64,
        /// The last PWL time, s.
        end: f64,
    },
    /// A PWL `r=` that is none of the PWL times.
    #[error(
        "PWL repeat time `r` = {} matches none of the PWL times; it must be one of them exactly \
         (ngspice refuses it too), or -1 for no repetition",
        crate::units::si(*r, "s")
    )]
    PwlRepeatNotAPoint {
        /// The repeat time, s.
        r: f64,
    },
    /// A PWL `r=` equal to the last PWL time: nothing to repeat.
    #[error(
        "PWL repeat time `r` = {} is the last PWL time: there is nothing to repeat, and ngspice 39 \
         loops forever once the run passes it; give an earlier PWL time, or leave `r` out to hold the \
         last value",
        crate::units::si(*r, "s")
    )]
    PwlRepeatAtEnd {
        /// The repeat time, s.
        r: f64,
    },
    /// EXP falls before it rises.
    #[error("EXP fall delay `td2` = {td2} s is before the rise delay `td1` = {td1} s")]
    ExpFallBeforeRise {
        /// Rise delay, s.
        td1: f64,
        /// Fall delay, s.
        td2: f64,
    },
    /// A `TRNOISE` random telegraph part with emission time 0 after a
    /// positive capture time: ngspice makes a spike one time point wide at
    /// each capture, which depends on its time steps.
    #[error(
        "TRNOISE random telegraph emission time `rtsemt` is 0 after capture time `rtscapt` {}: \
         ngspice makes a one-time-point spike at each capture, which depends on its time steps; not \
         simulated natively (give `rtsemt` > 0, or run the netlist with --engine ngspice)",
        crate::units::si(*rtscapt, "s")
    )]
    TelegraphSpikes {
        /// The mean capture time, s.
        rtscapt: f64,
    },
    /// A `TRNOISE` 1/f part needs more samples up front than
    /// [`FLICKER_LIMIT`].
    #[error(
        "TRNOISE 1/f noise needs {samples:.0} samples computed up front (tstop/nt + 10, rounded up to a power \
         of 2, as ngspice computes them), more than atscale's limit of {limit} (64 MiB a source); raise `nt`, \
         shorten the run, or run the netlist with --engine ngspice",
        limit = FLICKER_LIMIT
    )]
    FlickerTooLong {
        /// The number of samples the run needs.
        samples: f64,
    },
    /// A transient setting is not a positive finite time.
    #[error("transient `{field}` is {value} s; it must be a positive finite time")]
    Timing {
        /// `tstep` or `tstop`.
        field: &'static str,
        /// The offending value, s.
        value: f64,
    },
}

impl TranTiming {
    /// Checks that `tstep` and `tstop` are positive and finite, which every
    /// default of [`Waveform`] relies on.
    ///
    /// # Errors
    /// [`WaveformError::Timing`] naming the first bad field.
    pub fn check(&self) -> Result<(), WaveformError> {
        for (field, value) in [("tstep", self.tstep), ("tstop", self.tstop)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(WaveformError::Timing { field, value });
            }
        }
        Ok(())
    }
}

/// `given` unless it is absent or exactly 0, else `default`: how ngspice reads
/// most optional source parameters (`coeffs[i] != 0.0 ? coeffs[i] : default`
/// in `vsrcload.c`).
fn nonzero_or(given: Option<f64>, default: f64) -> f64 {
    match given {
        Some(x) if x != 0.0 => x,
        _ => default,
    }
}

/// A PULSE with every default resolved, in seconds.
#[derive(Debug, Clone, Copy)]
struct Pulse {
    v1: f64,
    v2: f64,
    td: f64,
    tr: f64,
    tf: f64,
    pw: f64,
    per: f64,
    /// Number of pulses; 0 or less means unlimited (as ngspice's `PHASE > 0.0`).
    np: f64,
}

impl Pulse {
    #[allow(clippy::too_many_arguments)]
    fn new(
        v1: f64,
        v2: f64,
        td: Option<f64>,
        tr: Option<f64>,
        tf: Option<f64>,
        pw: Option<f64>,
        per: Option<f64>,
        np: Option<f64>,
        timing: &TranTiming,
    ) -> Self {
        Pulse {
            v1,
            v2,
            td: td.unwrap_or(0.0),
            tr: nonzero_or(tr, timing.tstep),
            tf: nonzero_or(tf, timing.tstep),
            pw: nonzero_or(pw, timing.tstop),
            per: nonzero_or(per, timing.tstop),
            np: np.unwrap_or(0.0),
        }
    }

    /// Whether the pulse repeats. ngspice would divide by a zero or NaN
    /// period (only possible with an invalid [`TranTiming`]); we do not repeat.
    fn periodic(&self) -> bool {
        self.per > 0.0 && self.per.is_finite()
    }

    /// Delay-shifted time after which the waveform stays at `v1` (`tmax`).
    fn tmax(&self) -> f64 {
        if self.np > 0.0 && self.periodic() {
            self.np * self.per
        } else {
            f64::INFINITY
        }
    }

    /// A delay-shifted, period-folded time within rounding of a corner,
    /// moved onto it. A breakpoint is computed as `td + k per + corner`, which
    /// need not give back `corner` exactly when `td` is subtracted again; a
    /// solver that stops at the breakpoint must see the corner's value and
    /// the slope after it, or it straddles the kink by an ulp and its step
    /// collapses.
    fn snap(&self, t: f64, time: f64) -> f64 {
        let eps =
            8.0 * f64::EPSILON * t.abs().max(self.td.abs()).max(if self.periodic() { self.per } else { 0.0 });
        let corners = [0.0, self.tr, self.tr + self.pw, self.tr + self.pw + self.tf];
        for c in corners {
            if (time - c).abs() <= eps {
                return c;
            }
        }
        // Exactly at the end of a period the pulse is still in that period
        // (ngspice folds only `time > PER`): the value there is the left
        // limit, which differs from the next period's start when the period
        // cuts the pulse short (`per < tr + pw + tf`).
        if self.periodic() && (time - self.per).abs() <= eps {
            return self.per;
        }
        time
    }

    /// `VSRCload`'s PULSE branch, line for line, with the shifted time
    /// snapped to a corner within rounding ([`Pulse::snap`]).
    fn value(&self, t: f64) -> f64 {
        let Pulse { v1, v2, td, tr, tf, pw, per, .. } = *self;
        let mut time = t - td;
        if time > self.tmax() {
            return v1;
        }
        if self.periodic() && time > per {
            time -= per * (time / per).floor();
        }
        let time = self.snap(t, time);
        if time <= 0.0 || time >= tr + pw + tf {
            v1
        } else if time >= tr && time <= tr + pw {
            v2
        } else if time > 0.0 && time < tr {
            v1 + (v2 - v1) * time / tr
        } else {
            v2 + (v1 - v2) * (time - (tr + pw)) / tf
        }
    }

    /// Right derivative, per second.
    fn slope(&self, t: f64) -> f64 {
        let u = t - self.td;
        if u.is_nan() || u < 0.0 || u >= self.tmax() {
            return 0.0;
        }
        let mut p = u;
        if self.periodic() {
            p = u - self.per * (u / self.per).floor();
            if p >= self.per {
                p = 0.0;
            }
        }
        let p = self.snap(t, p);
        if p < self.tr {
            (self.v2 - self.v1) / self.tr
        } else if p < self.tr + self.pw {
            0.0
        } else if p < self.tr + self.pw + self.tf {
            (self.v1 - self.v2) / self.tf
        } else {
            0.0
        }
    }

    /// Corners within one period, relative to its start: start of rise, end
    /// of rise, start of fall, end of fall. A corner at or after the period
    /// is never reached: the next period starts first (ngspice truncates such
    /// a pulse, see [`Waveform::value`]).
    fn offsets(&self) -> ([f64; 4], usize) {
        let all = [0.0, self.tr, self.tr + self.pw, self.tr + self.pw + self.tf];
        let mut out = [0.0; 4];
        let mut n = 0;
        for o in all {
            if !self.periodic() || o < self.per {
                out[n] = o;
                n += 1;
            }
        }
        (out, n)
    }

    /// Number of periods in which a pulse starts (infinite if unlimited).
    fn pulses(&self) -> f64 {
        if !self.periodic() {
            1.0
        } else if self.np > 0.0 {
            self.np.ceil()
        } else {
            f64::INFINITY
        }
    }

    /// Start of the rise of pulse `k`, delay-shifted.
    fn base(&self, k: f64) -> f64 {
        if self.periodic() {
            k * self.per
        } else {
            0.0
        }
    }

    /// The last pulse's index and the delay-shifted length of it that `np`
    /// keeps (`tmax` minus the start of that pulse), when `np` limits the pulses.
    fn last(&self) -> Option<(f64, f64)> {
        let kmax = self.pulses();
        if !kmax.is_finite() || !self.periodic() || self.np <= 0.0 {
            return None;
        }
        // `np - (kmax - 1)` is exactly 1 for a whole `np`, so `kept` is then
        // exactly `per`.
        Some((kmax - 1.0, (self.np - (kmax - 1.0)) * self.per))
    }

    /// Whether corner offset `o` of pulse `k` survives the `np` cut.
    fn keeps(&self, k: f64, o: f64) -> bool {
        match self.last() {
            Some((k_last, kept)) if k == k_last => o < kept,
            _ => true,
        }
    }

    /// The corner where `np` cuts the last pulse short, if it does.
    fn cut(&self) -> Option<f64> {
        let (_, kept) = self.last()?;
        let active = (self.tr + self.pw + self.tf).min(self.per);
        (kept > 0.0 && kept <= active).then(|| self.td + self.tmax())
    }

    fn corner(&self, k: f64, o: f64) -> f64 {
        self.td + (self.base(k) + o)
    }

    fn breakpoints(&self, lo: f64, hi: f64, out: &mut Vec<f64>) {
        let (offs, n) = self.offsets();
        let (k_start, k_end) = if self.periodic() {
            let start = ((lo - self.td) / self.per).floor() - 1.0;
            let end = ((hi - self.td) / self.per).floor() + 1.0;
            (start.max(0.0), end.min(self.pulses() - 1.0))
        } else {
            (0.0, 0.0)
        };
        if !(k_start.is_finite() && k_end.is_finite()) {
            return;
        }
        let mut k = k_start;
        while k <= k_end {
            for &o in &offs[..n] {
                let c = self.corner(k, o);
                if self.keeps(k, o) && c >= lo && c <= hi {
                    out.push(c);
                }
            }
            k += 1.0;
        }
        if let Some(c) = self.cut() {
            if c >= lo && c <= hi {
                out.push(c);
            }
        }
    }

    fn next_breakpoint(&self, t: f64) -> Option<f64> {
        let (offs, n) = self.offsets();
        let (k_lo, k_hi) = if self.periodic() {
            let k0 = ((t.max(0.0) - self.td) / self.per).floor();
            if k0.is_nan() {
                return None;
            }
            ((k0 - 1.0).max(0.0), (k0 + 2.0).max(1.0).min(self.pulses() - 1.0))
        } else {
            (0.0, 0.0)
        };
        let mut best: Option<f64> = None;
        let mut consider = |c: f64| {
            if c > t && c >= 0.0 && best.is_none_or(|b| c < b) {
                best = Some(c);
            }
        };
        let mut k = k_lo;
        while k <= k_hi {
            for &o in &offs[..n] {
                if self.keeps(k, o) {
                    consider(self.corner(k, o));
                }
            }
            k += 1.0;
        }
        if let Some(c) = self.cut() {
            consider(c);
        }
        best
    }
}

/// A SIN with every default resolved.
#[derive(Debug, Clone, Copy)]
struct Sine {
    vo: f64,
    va: f64,
    freq: f64,
    td: f64,
    theta: f64,
    /// Phase, radians.
    phase: f64,
}

impl Sine {
    fn new(
        vo: f64,
        va: f64,
        freq: Option<f64>,
        td: Option<f64>,
        theta: Option<f64>,
        phase: Option<f64>,
        timing: &TranTiming,
    ) -> Self {
        Sine {
            vo,
            va,
            freq: nonzero_or(freq, 1.0 / timing.tstop),
            td: td.unwrap_or(0.0),
            theta: theta.unwrap_or(0.0),
            phase: phase.unwrap_or(0.0) * std::f64::consts::PI / 180.0,
        }
    }

    fn value(&self, t: f64) -> f64 {
        let time = t - self.td;
        if time <= 0.0 {
            self.vo + self.va * self.phase.sin()
        } else {
            self.vo
                + self.va
                    * (self.freq * time * 2.0 * std::f64::consts::PI + self.phase).sin()
                    * (-time * self.theta).exp()
        }
    }

    fn slope(&self, t: f64) -> f64 {
        let time = t - self.td;
        if time.is_nan() || time < 0.0 {
            return 0.0;
        }
        let w = 2.0 * std::f64::consts::PI * self.freq;
        let arg = w * time + self.phase;
        self.va * (-time * self.theta).exp() * (w * arg.cos() - self.theta * arg.sin())
    }
}

/// An EXP with every default resolved.
#[derive(Debug, Clone, Copy)]
struct Expo {
    v1: f64,
    v2: f64,
    td1: f64,
    tau1: f64,
    td2: f64,
    tau2: f64,
}

impl Expo {
    fn new(
        v1: f64,
        v2: f64,
        td1: Option<f64>,
        tau1: Option<f64>,
        td2: Option<f64>,
        tau2: Option<f64>,
        timing: &TranTiming,
    ) -> Self {
        let td1 = nonzero_or(td1, timing.tstep);
        Expo {
            v1,
            v2,
            td1,
            tau1: nonzero_or(tau1, timing.tstep),
            td2: nonzero_or(td2, td1 + timing.tstep),
            tau2: nonzero_or(tau2, timing.tstep),
        }
    }

    fn value(&self, t: f64) -> f64 {
        let Expo { v1, v2, td1, tau1, td2, tau2 } = *self;
        if t <= td1 {
            v1
        } else if t <= td2 {
            v1 + (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp())
        } else {
            v1 + (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp()) + (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp())
        }
    }

    fn slope(&self, t: f64) -> f64 {
        let Expo { v1, v2, td1, tau1, td2, tau2 } = *self;
        let mut s = 0.0;
        if t >= td1 {
            s += (v2 - v1) / tau1 * (-(t - td1) / tau1).exp();
        }
        if t >= td2 {
            s += (v1 - v2) / tau2 * (-(t - td2) / tau2).exp();
        }
        s
    }
}

/// Checks a parameter for finiteness.
fn finite(shape: &'static str, field: &'static str, value: f64) -> Result<(), WaveformError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(WaveformError::NonFinite { shape, field, value })
    }
}

/// Checks the random telegraph part of a `TRNOISE`: ngspice reads the
/// times only with an amplitude, and uses them only when it is positive;
/// negative times stop its run ("breakpoint in the past").
fn telegraph_check(
    rtsam: Option<f64>,
    rtscapt: Option<f64>,
    rtsemt: Option<f64>,
) -> Result<(), WaveformError> {
    if !rtsam.is_some_and(|a| a > 0.0) {
        return Ok(());
    }
    let s = "TRNOISE";
    param(s, "rtscapt", rtscapt, Some("mean capture time"))?;
    param(s, "rtsemt", rtsemt, Some("mean emission time"))?;
    match (rtscapt.unwrap_or(0.0), rtsemt.unwrap_or(0.0)) {
        (c, e) if c > 0.0 && e == 0.0 => Err(WaveformError::TelegraphSpikes { rtscapt: c }),
        _ => Ok(()),
    }
}

/// Checks an optional parameter for finiteness and, for a duration, sign.
fn param(
    shape: &'static str,
    field: &'static str,
    value: Option<f64>,
    nonnegative: Option<&'static str>,
) -> Result<(), WaveformError> {
    let Some(value) = value else { return Ok(()) };
    finite(shape, field, value)?;
    match nonnegative {
        Some(what) if value < 0.0 => Err(WaveformError::Negative { shape, field, what, value }),
        _ => Ok(()),
    }
}

impl Waveform<f64> {
    /// The value at time `t` (s), in V or A, following ngspice 39
    /// (`VSRCload` in `src/spicelib/devices/vsrc/vsrcload.c`; `ISRCload` in
    /// `isrc/isrcload.c` is the same), defaults taken from `timing`:
    ///
    /// - **PULSE**: `td` defaults to 0; `tr`, `tf` to `tstep`; `pw`, `per` to
    ///   `tstop`; a value of exactly 0 for `tr`, `tf`, `pw` or `per` also
    ///   takes the default (so a zero rise time is `tstep`, not a jump).
    ///   With `u = t - td`: `v1` for `u ≤ 0`, a linear rise over `tr`, `v2`
    ///   for `pw`, a linear fall over `tf`, then `v1`; for `u > per` the
    ///   pattern repeats with `u` reduced modulo `per`. After `np · per`
    ///   (when `np > 0`; otherwise unlimited) the value stays `v1`, even
    ///   mid-pulse for a fractional `np`. A period shorter than
    ///   `tr + pw + tf` is neither an error nor clamped: each pulse is cut
    ///   off where the next period starts, jumping back to `v1` (measured on
    ///   ngspice 39.3). At the end of the first period ngspice does not fold
    ///   (`u > per` only), so the value there is the cut pulse's; at later
    ///   period starts `floor(u / per)` folds to 0 and the value is `v1`
    ///   (each such instant is a breakpoint, `tstop` included). A
    ///   negative `td` shifts the train left (a clock's phase).
    /// - **PWL**: the first value up to the first time, the last value after
    ///   the last time, linear in between. At a vertical step (two points at
    ///   one time) the step time takes the earlier point's value.
    /// - **SIN**: `vo + va·sin(phase)` for `t ≤ td`, else
    ///   `vo + va·e^{-theta (t-td)}·sin(2π·freq·(t-td) + phase)`, phase in
    ///   degrees. `freq` defaults to `1/tstop` (also when 0); `td`, `theta`,
    ///   `phase` to 0.
    /// - **PWL with `r=`/`td=`** ([`Waveform::PwlRepeat`]): the PWL at
    ///   `u = t - td` (the first value before the first time). After the
    ///   last time `end`, when `r` is one of the times, the points from `r`
    ///   on repeat without end, pass `k` (from 0) shifted by
    ///   `(end + (end - r) k) - r`; at the instant one pass ends the value is
    ///   already the repeated first point's (a jump when it differs from the
    ///   last value). `r` below -0.5 (ngspice's `r=-1`) repeats nothing.
    ///   Within 3 ulps of a shifted point time the value is that point's, as
    ///   ngspice's `AlmostEqualUlps` test.
    /// - **SFFM**: `vo + va·sin(2π·fc·t + phasec + mdi·sin(2π·fs·t + phases))`
    ///   from `t = 0` (no delay), phases in degrees; `fc` and `fs` default to
    ///   `1/tstop` (also when 0), `mdi` and the phases to 0.
    /// - **AM**: 0 for `u = t - td ≤ 0`, else
    ///   `va·(vo + sin(2π·mf·u + phases))·sin(2π·fc·u + phases)`: ngspice 39
    ///   shifts the carrier by the signal phase and ignores `phasec`. `mf`
    ///   defaults to `1/tstop` (also when 0), `fc` to 0, `td` and the phases to 0.
    /// - **EXP**: `v1` up to `td1`, then `v1 + (v2-v1)(1 - e^{-(t-td1)/tau1})`,
    ///   and after `td2` also `+ (v1-v2)(1 - e^{-(t-td2)/tau2})`. Defaults
    ///   (also when 0): `td1 = tstep` (not 0), `tau1 = tau2 = tstep`,
    ///   `td2 = td1 + tstep`.
    ///
    /// Before the run (`t < 0`) the value is the one at `t = 0`, as ngspice
    /// uses `t = 0` for the operating point. A NaN `t` gives NaN. Values for
    /// a waveform that fails [`check`](Self::check) follow the same formulas
    /// and never panic, but mean little.
    pub fn value(&self, t: f64, timing: &TranTiming) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let t = if t < 0.0 { 0.0 } else { t };
        match self {
            Waveform::Dc { value } => *value,
            &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
                Pulse::new(v1, v2, td, tr, tf, pw, per, np, timing).value(t)
            }
            Waveform::Pwl { points } => pwl::value(points, t),
            Waveform::PwlRepeat { points, r, td } => pwl::Repeating::new(points, *r, *td).value(t),
            &Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => {
                Sffm::new([vo, va], [fc, mdi, fs, phasec, phases], timing).value(t)
            }
            &Waveform::Am { va, vo, mf, fc, td, phases, .. } => {
                Am::new([va, vo], [mf, fc, td, phases], timing).value(t)
            }
            &Waveform::Sin { vo, va, freq, td, theta, phase } => {
                Sine::new(vo, va, freq, td, theta, phase, timing).value(t)
            }
            &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
                Expo::new(v1, v2, td1, tau1, td2, tau2, timing).value(t)
            }
            Waveform::TrNoise { offset, .. } => {
                offset + self.noise().map_or(0.0, |n| n.value(t, timing.tstop))
            }
            &Waveform::TrRandom { offset, dist, ts, td, p1, p2, seed } => {
                let p = [ts, td.unwrap_or(0.0), p1.unwrap_or(1.0), p2.unwrap_or(0.0)];
                offset + random::held(dist, p, seed, t)
            }
        }
    }

    /// The `TRNOISE` source without its offset, if the waveform is one.
    fn noise(&self) -> Option<random::Noise<'_>> {
        let Waveform::TrNoise { na, nt, nalpha, namp, rtsam, rtscapt, rtsemt, seed, flicker, .. } = self
        else {
            return None;
        };
        Some(random::Noise::new([*na, *nt], [*nalpha, *namp], [*rtsam, *rtscapt, *rtsemt], *seed, flicker))
    }

    /// Checks what depends on the run as well as on the parameters: a
    /// `TRNOISE` 1/f part computes `tstop/nt + 10` samples up front (rounded
    /// up to a power of 2, as ngspice does), at most [`FLICKER_LIMIT`].
    /// Call it before a run: above the limit [`value`](Self::value) is NaN.
    ///
    /// # Errors
    /// [`WaveformError::FlickerTooLong`] with the number of samples needed.
    pub fn check_run(&self, timing: &TranTiming) -> Result<(), WaveformError> {
        match self.noise().and_then(|n| n.flicker_len(timing.tstop)) {
            Some(samples) if samples > FLICKER_LIMIT as f64 => Err(WaveformError::FlickerTooLong { samples }),
            _ => Ok(()),
        }
    }

    /// The value at `t = 0` (V or A): what ngspice uses for the operating
    /// point when the source has no separate DC value.
    pub fn initial_value(&self, timing: &TranTiming) -> f64 {
        self.value(0.0, timing)
    }

    /// The right derivative `d value / dt` at `t` (V/s or A/s): at a corner,
    /// the slope of the piece that starts there. 0 for `t < 0` (the value is
    /// held at its `t = 0` level there) and for NaN `t`.
    pub fn slope(&self, t: f64, timing: &TranTiming) -> f64 {
        if t.is_nan() || t < 0.0 {
            return 0.0;
        }
        match self {
            Waveform::Dc { .. } => 0.0,
            &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
                Pulse::new(v1, v2, td, tr, tf, pw, per, np, timing).slope(t)
            }
            Waveform::Pwl { points } => pwl::slope(points, t),
            Waveform::PwlRepeat { points, r, td } => pwl::Repeating::new(points, *r, *td).slope(t),
            &Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => {
                Sffm::new([vo, va], [fc, mdi, fs, phasec, phases], timing).slope(t)
            }
            &Waveform::Am { va, vo, mf, fc, td, phases, .. } => {
                Am::new([va, vo], [mf, fc, td, phases], timing).slope(t)
            }
            &Waveform::Sin { vo, va, freq, td, theta, phase } => {
                Sine::new(vo, va, freq, td, theta, phase, timing).slope(t)
            }
            &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
                Expo::new(v1, v2, td1, tau1, td2, tau2, timing).slope(t)
            }
            Waveform::TrNoise { .. } => self.noise().map_or(0.0, |n| n.slope(t, timing.tstop)),
            Waveform::TrRandom { .. } => 0.0,
        }
    }

    /// Every corner (time, s) in `[t0, t1]`, sorted and deduplicated: where
    /// the value or its slope may jump, so a solver must step onto it.
    ///
    /// - PULSE: start of rise, end of rise, start of fall and end of fall of
    ///   every pulse (only the first `np`), except corners a too-short period
    ///   cuts off, plus the instant `td + np·per` when it cuts a pulse short.
    ///   ngspice's `VSRCaccept` (`vsrcacct.c`) sets the same instants one at
    ///   a time.
    /// - PWL: every point's time, as in `VSRCaccept`. With `r=`/`td=`: every
    ///   point's time plus `td`, and the points of every repeated pass
    ///   (ngspice 39 sets only the points' own times, without `td`, and none
    ///   in the repeats: it steps over those corners).
    /// - SIN: `td` (ngspice sets none). EXP: `td1` and `td2` (ngspice sets none).
    ///   AM: `td` (ngspice sets none). SFFM: none.
    /// - DC: none.
    ///
    /// Corners before 0 are not reported (the value is held before 0). The
    /// result has 4 entries per period of a PULSE: prefer
    /// [`next_breakpoint`](Self::next_breakpoint) for long runs. A non-finite
    /// `t1` with an unlimited periodic PULSE stops at `timing.tstop`; a NaN
    /// bound gives an empty list.
    pub fn breakpoints(&self, t0: f64, t1: f64, timing: &TranTiming) -> Vec<f64> {
        let lo = t0.max(0.0);
        let mut out = Vec::new();
        if t0.is_nan() || t1.is_nan() || lo > t1 {
            return out;
        }
        match self {
            Waveform::Dc { .. } => {}
            &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
                let p = Pulse::new(v1, v2, td, tr, tf, pw, per, np, timing);
                let hi = if t1.is_finite() || p.pulses().is_finite() { t1 } else { timing.tstop };
                p.breakpoints(lo, hi, &mut out);
            }
            Waveform::Pwl { points } => out.extend(points.iter().map(|p| p.0)),
            Waveform::PwlRepeat { points, r, td } => {
                let hi = if t1.is_finite() { t1 } else { timing.tstop };
                pwl::Repeating::new(points, *r, *td).breakpoints(lo, hi, &mut out);
            }
            Waveform::Sffm { .. } => {}
            &Waveform::Am { va, vo, mf, fc, td, phases, .. } => {
                out.push(Am::new([va, vo], [mf, fc, td, phases], timing).td());
            }
            &Waveform::Sin { vo, va, freq, td, theta, phase } => {
                out.push(Sine::new(vo, va, freq, td, theta, phase, timing).td);
            }
            &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
                let e = Expo::new(v1, v2, td1, tau1, td2, tau2, timing);
                out.extend([e.td1, e.td2]);
            }
            Waveform::TrNoise { .. } => {
                if let Some(n) = self.noise() {
                    n.breakpoints(lo, if t1.is_finite() { t1 } else { timing.tstop }, &mut out);
                }
            }
            &Waveform::TrRandom { ts, td, .. } => {
                let hi = if t1.is_finite() { t1 } else { timing.tstop };
                random::samples(td.unwrap_or(0.0).max(0.0), ts, lo, hi, &mut out);
            }
        }
        out.retain(|&c| c >= lo && c <= t1);
        out.sort_by(f64::total_cmp);
        out.dedup();
        out
    }

    /// The first corner (s) strictly after `t` (and not before 0), if any:
    /// the next element of [`breakpoints`](Self::breakpoints). Constant time
    /// for PULSE (computed from the period, whatever the number of periods
    /// before `t`), `O(log n)` for a PWL of `n` points; never allocates.
    pub fn next_breakpoint(&self, t: f64, timing: &TranTiming) -> Option<f64> {
        if t.is_nan() {
            return None;
        }
        let after = |c: f64| c > t && c >= 0.0;
        match self {
            Waveform::Dc { .. } => None,
            &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
                Pulse::new(v1, v2, td, tr, tf, pw, per, np, timing).next_breakpoint(t)
            }
            Waveform::Pwl { points } => {
                let i = points.partition_point(|p| !after(p.0));
                points.get(i).map(|p| p.0)
            }
            Waveform::PwlRepeat { points, r, td } => {
                pwl::Repeating::new(points, *r, *td).next_breakpoint(t.max(0.0_f64.next_down()))
            }
            Waveform::Sffm { .. } => None,
            &Waveform::Am { va, vo, mf, fc, td, phases, .. } => {
                Some(Am::new([va, vo], [mf, fc, td, phases], timing).td()).filter(|&c| after(c))
            }
            &Waveform::Sin { vo, va, freq, td, theta, phase } => {
                Some(Sine::new(vo, va, freq, td, theta, phase, timing).td).filter(|&c| after(c))
            }
            &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
                let e = Expo::new(v1, v2, td1, tau1, td2, tau2, timing);
                [e.td1, e.td2].into_iter().filter(|&c| after(c)).min_by(f64::total_cmp)
            }
            Waveform::TrNoise { .. } => self.noise().and_then(|n| n.next_breakpoint(t, timing.tstop)),
            &Waveform::TrRandom { ts, td, .. } => random::next_sample(td.unwrap_or(0.0).max(0.0), ts, t),
        }
    }

    /// Checks the parameters: every number finite; rise, fall, width,
    /// period, pulse count, frequencies and time constants not negative; PWL
    /// not empty with times that never decrease (equal times make a vertical
    /// step), its `r` (unless below -0.5) one of its times before the last;
    /// EXP `td2` not before `td1` when both are given (and not 0).
    ///
    /// Accepted as in ngspice: negative delays (`td`, `td1`, PWL times before
    /// 0), which shift the waveform; a PULSE period shorter than
    /// `tr + pw + tf` (each pulse is cut off by the next period; ngspice
    /// neither rejects nor clamps it); a fractional `np` (the last pulse is
    /// cut off); 0 wherever it selects a default; a negative SIN `theta`
    /// (a growing sine).
    ///
    /// # Errors
    /// The first problem found, as a [`WaveformError`] naming the field.
    pub fn check(&self) -> Result<(), WaveformError> {
        const ANY_SIGN: Option<&str> = None;
        match self {
            Waveform::Dc { value } => finite("DC", "value", *value),
            &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
                let s = "PULSE";
                finite(s, "v1", v1)?;
                finite(s, "v2", v2)?;
                param(s, "td", td, ANY_SIGN)?;
                param(s, "tr", tr, Some("rise time"))?;
                param(s, "tf", tf, Some("fall time"))?;
                param(s, "pw", pw, Some("pulse width"))?;
                param(s, "per", per, Some("period"))?;
                param(s, "np", np, Some("pulse count"))
            }
            Waveform::Pwl { points } => pwl::check(points),
            Waveform::PwlRepeat { points, r, td } => {
                pwl::check(points)?;
                pwl::check_repeat(points, *r, *td)
            }
            &Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => {
                let s = "SFFM";
                finite(s, "vo", vo)?;
                finite(s, "va", va)?;
                param(s, "fc", fc, Some("frequency"))?;
                param(s, "mdi", mdi, ANY_SIGN)?;
                param(s, "fs", fs, Some("frequency"))?;
                param(s, "phasec", phasec, ANY_SIGN)?;
                param(s, "phases", phases, ANY_SIGN)
            }
            &Waveform::Am { va, vo, mf, fc, td, phasec, phases } => {
                let s = "AM";
                finite(s, "va", va)?;
                finite(s, "vo", vo)?;
                param(s, "mf", mf, Some("frequency"))?;
                param(s, "fc", fc, Some("frequency"))?;
                param(s, "td", td, ANY_SIGN)?;
                param(s, "phasec", phasec, ANY_SIGN)?;
                param(s, "phases", phases, ANY_SIGN)
            }
            &Waveform::Sin { vo, va, freq, td, theta, phase } => {
                let s = "SIN";
                finite(s, "vo", vo)?;
                finite(s, "va", va)?;
                param(s, "freq", freq, Some("frequency"))?;
                param(s, "td", td, ANY_SIGN)?;
                param(s, "theta", theta, ANY_SIGN)?;
                param(s, "phase", phase, ANY_SIGN)
            }
            &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
                let s = "EXP";
                finite(s, "v1", v1)?;
                finite(s, "v2", v2)?;
                param(s, "td1", td1, ANY_SIGN)?;
                param(s, "tau1", tau1, Some("time constant"))?;
                param(s, "td2", td2, ANY_SIGN)?;
                param(s, "tau2", tau2, Some("time constant"))?;
                match (td1, td2) {
                    (Some(td1), Some(td2)) if td1 != 0.0 && td2 != 0.0 && td2 < td1 => {
                        Err(WaveformError::ExpFallBeforeRise { td1, td2 })
                    }
                    _ => Ok(()),
                }
            }
            &Waveform::TrNoise { offset, na, nt, nalpha, namp, rtsam, rtscapt, rtsemt, .. } => {
                let s = "TRNOISE";
                finite(s, "dc", offset)?;
                finite(s, "na", na)?;
                param(s, "nt", Some(nt), Some("sample time"))?;
                param(s, "nalpha", nalpha, ANY_SIGN)?;
                param(s, "namp", namp, ANY_SIGN)?;
                param(s, "rtsam", rtsam, ANY_SIGN)?;
                telegraph_check(rtsam, rtscapt, rtsemt)
            }
            &Waveform::TrRandom { offset, ts, td, p1, p2, .. } => {
                let s = "TRRANDOM";
                finite(s, "dc", offset)?;
                param(s, "ts", Some(ts), Some("hold time"))?;
                param(s, "td", td, Some("delay"))?;
                param(s, "param1", p1, ANY_SIGN)?;
                param(s, "param2", p2, ANY_SIGN)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::f64::consts::PI;

    /// `tstep` = 0.1 s, `tstop` = 10 s.
    const T: TranTiming = TranTiming { tstep: 0.1, tstop: 10.0 };

    #[track_caller]
    fn close(got: f64, want: f64) {
        // Measured at most 7.1e-15 (4.7e-3 of the old 1e-12 bound; most values
        // are exact); 1e-13 is a 21x margin.
        let tol = 1e-13 + 1e-13 * want.abs();
        assert!((got - want).abs() <= tol, "got {got}, want {want} (|diff| {})", (got - want).abs());
    }

    #[track_caller]
    fn close_all(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
        for (&g, &w) in got.iter().zip(want) {
            close(g, w);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pulse(
        v1: f64,
        v2: f64,
        td: f64,
        tr: f64,
        tf: f64,
        pw: f64,
        per: f64,
        np: Option<f64>,
    ) -> Waveform<f64> {
        Waveform::Pulse { v1, v2, td: Some(td), tr: Some(tr), tf: Some(tf), pw: Some(pw), per: Some(per), np }
    }

    fn pwl(points: &[(f64, f64)]) -> Waveform<f64> {
        Waveform::Pwl { points: points.to_vec() }
    }

    /// Iterates `next_breakpoint` from before 0 up to `t1`.
    fn iterate(w: &Waveform<f64>, t1: f64, timing: &TranTiming) -> Vec<f64> {
        let mut out = Vec::new();
        let mut t = -1.0;
        while let Some(c) = w.next_breakpoint(t, timing) {
            if c > t1 {
                break;
            }
            assert!(c > t, "next_breakpoint({t}) = {c} does not advance");
            out.push(c);
            t = c;
        }
        out
    }

    // PULSE(0 2 1 0.5 0.25 2 5): rise 1..1.5, high to 3.5, fall to 3.75, period 5.
    fn train() -> Waveform<f64> {
        pulse(0.0, 2.0, 1.0, 0.5, 0.25, 2.0, 5.0, None)
    }

    #[test]
    fn pulse_corners_and_ramps() {
        let w = train();
        for (t, v) in [
            (0.0, 0.0),
            (1.0, 0.0),
            (1.25, 1.0),
            (1.5, 2.0),
            (3.5, 2.0),
            (3.625, 1.0),
            (3.75, 0.0),
            (5.9, 0.0),
        ] {
            close(w.value(t, &T), v);
        }
        close(w.slope(1.0, &T), 4.0);
        close(w.slope(1.25, &T), 4.0);
        close(w.slope(2.0, &T), 0.0);
        close(w.slope(3.5, &T), -8.0);
        close(w.slope(3.75, &T), 0.0);
        close(w.initial_value(&T), 0.0);
    }

    #[test]
    fn pulse_third_period() {
        let w = train();
        // Third pulse starts at 1 + 2 * 5 = 11 s.
        for (t, v) in [(11.0, 0.0), (11.25, 1.0), (11.5, 2.0), (13.0, 2.0), (13.625, 1.0), (14.0, 0.0)] {
            close(w.value(t, &T), v);
        }
        close(w.slope(11.1, &T), 4.0);
        close(w.slope(13.7, &T), -8.0);
    }

    #[test]
    fn pulse_defaults_come_from_timing() {
        // tr = tf = tstep = 0.1, pw = per = tstop = 10.
        let bare =
            Waveform::Pulse { v1: 0.0, v2: 1.0, td: None, tr: None, tf: None, pw: None, per: None, np: None };
        // Zeros select the defaults as well (ngspice's `coeffs[i] != 0.0 ? ... : default`).
        let zeros = pulse(0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, None);
        for w in [bare, zeros] {
            close(w.value(0.05, &T), 0.5);
            close(w.value(0.1, &T), 1.0);
            close(w.value(9.0, &T), 1.0);
            // tr + pw + tf > per: the next period cuts the pulse and rises again.
            close(w.value(10.05, &T), 0.5);
            close(w.slope(0.0, &T), 10.0);
            close_all(&w.breakpoints(0.0, 10.0, &T), &[0.0, 0.1, 10.0]);
        }
    }

    #[test]
    fn pulse_np_limits_the_train() {
        // Pulses at 0, 4, 8, ...: rise 1, high 1, fall 1.
        let unlimited = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 4.0, None);
        let two = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 4.0, Some(2.0));
        close(unlimited.value(9.5, &T), 1.0);
        close(two.value(5.5, &T), 1.0);
        close(two.value(9.5, &T), 0.0);
        close(two.slope(8.5, &T), 0.0);
        close_all(&two.breakpoints(0.0, 20.0, &T), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        close_all(&iterate(&two, 20.0, &T), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        // np = 0 is unlimited, as in ngspice (`PHASE > 0.0`).
        let zero = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 4.0, Some(0.0));
        close(zero.value(9.5, &T), 1.0);
    }

    #[test]
    fn pulse_fractional_np_cuts_the_last_pulse() {
        // tmax = 1.5 * 4 = 6: the second pulse is cut at the start of its fall.
        let w = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 4.0, Some(1.5));
        close(w.value(5.9, &T), 1.0);
        close(w.value(6.0, &T), 1.0);
        close(w.value(6.1, &T), 0.0);
        close_all(&w.breakpoints(0.0, 20.0, &T), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        close_all(&iterate(&w, 20.0, &T), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn pulse_period_shorter_than_pulse_is_cut_not_clamped() {
        // tr + pw + tf = 4 > per = 3: as ngspice 39.3, the pulse stays high
        // until the next period restarts the rise; it never falls.
        let w = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 2.0, 3.0, None);
        close(w.value(2.5, &T), 1.0);
        close(w.value(3.0, &T), 1.0); // ngspice wraps only for time > per
        close(w.value(3.5, &T), 0.5);
        close(w.value(6.5, &T), 0.5);
        close(w.slope(3.0, &T), 1.0);
        close_all(&w.breakpoints(0.0, 7.0, &T), &[0.0, 1.0, 3.0, 4.0, 6.0, 7.0]);
        // With np, the cut at the end of the last period is a corner too.
        let np = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 2.0, 3.0, Some(2.0));
        close(np.value(6.5, &T), 0.0);
        close_all(&np.breakpoints(0.0, 20.0, &T), &[0.0, 1.0, 3.0, 4.0, 6.0]);
        close_all(&iterate(&np, 20.0, &T), &[0.0, 1.0, 3.0, 4.0, 6.0]);
    }

    #[test]
    fn pulse_negative_delay_shifts_the_train() {
        // PULSE(0 1 -0.5 1 1 1 4): mid-rise at t = 0 (ngspice 39.3 gives 0.5).
        let w = pulse(0.0, 1.0, -0.5, 1.0, 1.0, 1.0, 4.0, None);
        close(w.initial_value(&T), 0.5);
        close(w.value(2.0, &T), 0.5);
        close(w.value(3.6, &T), 0.1);
        close_all(&w.breakpoints(0.0, 5.0, &T), &[0.5, 1.5, 2.5, 3.5, 4.5]);
        assert_eq!(w.next_breakpoint(-1.0, &T), Some(0.5));
    }

    #[test]
    fn time_before_zero_is_time_zero() {
        let w = pulse(0.0, 1.0, -0.5, 1.0, 1.0, 1.0, 4.0, None);
        close(w.value(-3.0, &T), w.value(0.0, &T));
        close(w.slope(-3.0, &T), 0.0);
        let s =
            Waveform::Sin { vo: 0.0, va: 1.0, freq: Some(1.0), td: Some(-0.25), theta: None, phase: None };
        close(s.value(-1.0, &T), 1.0);
        assert!(s.value(f64::NAN, &T).is_nan());
    }

    #[test]
    fn pwl_interpolates_and_holds() {
        let w = pwl(&[(0.0, 0.0), (1.0, 0.0), (1.0, 5.0), (2.0, 5.0), (4.0, 1.0)]);
        for (t, v) in [(-1.0, 0.0), (0.5, 0.0), (1.5, 5.0), (2.0, 5.0), (3.0, 3.0), (4.0, 1.0), (10.0, 1.0)] {
            close(w.value(t, &T), v);
        }
        close(w.slope(0.5, &T), 0.0);
        close(w.slope(2.0, &T), -2.0);
        close(w.slope(3.0, &T), -2.0);
        close(w.slope(4.0, &T), 0.0);
        close_all(&w.breakpoints(0.0, 10.0, &T), &[0.0, 1.0, 2.0, 4.0]);
        close_all(&w.breakpoints(1.0, 3.0, &T), &[1.0, 2.0]);
        // A first point after 0: its value holds before it.
        let late = pwl(&[(2.0, 1.0), (3.0, 3.0)]);
        close(late.value(0.0, &T), 1.0);
        close(late.value(2.5, &T), 2.0);
        // A single point is a constant.
        close(pwl(&[(1.0, 7.0)]).value(5.0, &T), 7.0);
    }

    #[test]
    fn pwl_vertical_step_takes_the_earlier_value_at_the_step() {
        // ngspice 39.3: PWL(0 0 1n 0 1n 5 2n 5) is 0 at 1n and 5 just after.
        let w = pwl(&[(0.0, 0.0), (1.0, 0.0), (1.0, 5.0), (2.0, 5.0)]);
        close(w.value(1.0, &T), 0.0);
        close(w.value(1.0 + 1e-9, &T), 5.0);
        close(w.slope(1.0, &T), 0.0);
        // A step in the middle of a ramp: slope is that of the piece after.
        let ramp = pwl(&[(0.0, 0.0), (1.0, 1.0), (1.0, 3.0), (2.0, 5.0)]);
        close(ramp.value(1.0, &T), 1.0);
        close(ramp.value(1.5, &T), 4.0);
        close(ramp.slope(1.0, &T), 2.0);
        close(ramp.slope(0.5, &T), 1.0);
        close_all(&ramp.breakpoints(0.0, 10.0, &T), &[0.0, 1.0, 2.0]);
        assert_eq!(ramp.next_breakpoint(0.0, &T), Some(1.0));
        assert_eq!(ramp.next_breakpoint(1.0, &T), Some(2.0));
        assert_eq!(ramp.next_breakpoint(2.0, &T), None);
    }

    #[test]
    fn sin_with_delay_damping_and_phase() {
        // SIN(1 2 0.5 1 0.2 30)
        let w = Waveform::Sin {
            vo: 1.0,
            va: 2.0,
            freq: Some(0.5),
            td: Some(1.0),
            theta: Some(0.2),
            phase: Some(30.0),
        };
        close(w.value(0.0, &T), 2.0); // 1 + 2 sin(30°), no damping before td
        close(w.value(1.0, &T), 2.0);
        // t = 1.5: 1 + 2 sin(π/2 + π/6) e^{-0.1}
        close(w.value(1.5, &T), 2.5672243806277217);
        // t = 2: 1 + 2 sin(π + π/6) e^{-0.2} = 1 - e^{-0.2}
        close(w.value(2.0, &T), 0.18126924692201862);
        close(w.slope(0.5, &T), 0.0);
        // d/dt at td: 2 (π cos 30° - 0.2 sin 30°)
        let s3 = 3f64.sqrt();
        close(w.slope(1.0, &T), 2.0 * (std::f64::consts::PI * s3 / 2.0 - 0.1));
        close_all(&w.breakpoints(0.0, 10.0, &T), &[1.0]);
        assert_eq!(w.next_breakpoint(0.0, &T), Some(1.0));
        assert_eq!(w.next_breakpoint(1.0, &T), None);
    }

    #[test]
    fn sin_defaults() {
        // freq = 1/tstop = 0.1 Hz; also when 0.
        for freq in [None, Some(0.0)] {
            let w = Waveform::Sin { vo: 0.0, va: 1.0, freq, td: None, theta: None, phase: None };
            close(w.value(2.5, &T), 1.0);
            close(w.value(5.0, &T), (std::f64::consts::PI).sin());
            close_all(&w.breakpoints(0.0, 10.0, &T), &[0.0]);
            assert_eq!(w.next_breakpoint(0.0, &T), None);
        }
    }

    #[test]
    fn exp_rise_and_fall_match_the_closed_form() {
        // EXP(0 1 1 0.5 3 2)
        let w = Waveform::Exp {
            v1: 0.0,
            v2: 1.0,
            td1: Some(1.0),
            tau1: Some(0.5),
            td2: Some(3.0),
            tau2: Some(2.0),
        };
        let closed = |t: f64| {
            let rise = if t > 1.0 { 1.0 - (-(t - 1.0) / 0.5).exp() } else { 0.0 };
            let fall = if t > 3.0 { -(1.0 - (-(t - 3.0) / 2.0).exp()) } else { 0.0 };
            rise + fall
        };
        for t in [0.0, 1.0, 1.3, 2.0, 3.0, 3.5, 5.0, 9.0] {
            close(w.value(t, &T), closed(t));
        }
        close(w.value(2.0, &T), 0.8646647167633873);
        close(w.value(3.0, &T), 0.9816843611112658);
        close(w.value(5.0, &T), 0.3675439785435398);
        close(w.slope(2.0, &T), 2.0 * (-2.0f64).exp());
        close(w.slope(5.0, &T), 2.0 * (-8.0f64).exp() - 0.5 * (-1.0f64).exp());
        close_all(&w.breakpoints(0.0, 10.0, &T), &[1.0, 3.0]);
        close_all(&iterate(&w, 10.0, &T), &[1.0, 3.0]);
    }

    #[test]
    fn a_period_shorter_than_the_pulse_jumps_back_to_v1_at_each_period_start() {
        // PULSE(0 1 0 0.1m 0.1m 1m 0.5m) in `.tran 10u 5m`: tr + pw + tf = 1.2 ms > per.
        let t = TranTiming { tstep: 10e-6, tstop: 5e-3 };
        let w = pulse(0.0, 1.0, 0.0, 0.1e-3, 0.1e-3, 1e-3, 0.5e-3, None);
        close(w.value(0.05e-3, &t), 0.5);
        close(w.value(0.3e-3, &t), 1.0);
        // At the first period end ngspice does not fold (`time > PER` only): still high.
        close(w.value(0.5e-3, &t), 1.0);
        close(w.value(0.55e-3, &t), 0.5);
        // At later period starts `floor(time / PER)` is exact: folded to 0, so v1.
        close(w.value(1e-3, &t), 0.0);
        close(w.value(5e-3, &t), 0.0);
        close(w.value(4.999e-3, &t), 1.0);
        // Every jump back to v1 is a corner, the one at tstop included.
        let mut want = Vec::new();
        for k in 0..10 {
            let s = 0.5e-3 * f64::from(k);
            want.extend([s, s + 0.1e-3]);
        }
        want.push(5e-3);
        close_all(&w.breakpoints(0.0, 5e-3, &t), &want);
        close_all(&iterate(&w, 5e-3, &t), &want);
        // A period shorter than the rise: a sawtooth up to 0.4 of the swing.
        let saw = pulse(0.0, 1.0, 0.0, 1e-3, 1e-3, 1e-3, 0.4e-3, None);
        close(saw.value(0.4e-3, &t), 0.4);
        close(saw.value(0.6e-3, &t), 0.2);
        close(saw.slope(0.6e-3, &t), 1e3);
        close_all(&saw.breakpoints(0.0, 1.3e-3, &t), &[0.0, 0.4e-3, 0.8e-3, 1.2e-3]);
    }

    fn sffm(vo: f64, va: f64, rest: [Option<f64>; 5]) -> Waveform<f64> {
        let [fc, mdi, fs, phasec, phases] = rest;
        Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases }
    }

    fn am(va: f64, vo: f64, rest: [Option<f64>; 5]) -> Waveform<f64> {
        let [mf, fc, td, phasec, phases] = rest;
        Waveform::Am { va, vo, mf, fc, td, phasec, phases }
    }

    #[test]
    fn sffm_is_ngspice_39s_formula() {
        // Values from mpmath at 30 digits of vo + va sin(2π fc t + phasec + mdi sin(2π fs t + phases)).
        let t = TranTiming { tstep: 1e-6, tstop: 3e-3 };
        // The corpus deck's V2 as ngspice 39 reads it (8th argument ignored);
        // ngspice 39 printed 2.092580e+00 at this time point.
        let w = sffm(0.1, 2.0, [Some(200.0), Some(45.0), Some(10e3), Some(1e-3), Some(0.0)]);
        close(w.value(9.9328e-4, &t), 2.0925803253887144);
        let w = sffm(1.0, 2.0, [Some(1e3), Some(0.5), Some(250.0), Some(30.0), Some(60.0)]);
        close(w.value(0.3e-3, &t), 1.46320279909603);
        close(w.value(1.7e-3, &t), -0.9960474072882758);
        // At 0 (the operating point): 1 + 2 sin(30° + 0.5 sin 60°).
        close(w.value(0.0, &T), 1.0 + 2.0 * (PI / 6.0 + 0.5 * 3f64.sqrt() / 2.0).sin());
        // d/dt at 0: 2 cos(30° + 0.5 sin 60°) (2π 1k + 0.5 · 2π 250 cos 60°).
        let arg = PI / 6.0 + 0.25 * 3f64.sqrt();
        close(w.slope(0.0, &t), 2.0 * arg.cos() * (2.0 * PI * 1e3 + 0.5 * 2.0 * PI * 250.0 * 0.5));
        assert!(w.breakpoints(0.0, 1.0, &t).is_empty());
        assert_eq!(w.next_breakpoint(0.0, &t), None);
    }

    #[test]
    fn sffm_defaults_are_one_over_tstop_also_when_zero() {
        // fc = fs = 1/tstop = 0.1 Hz, mdi 0: a plain sine of period tstop.
        for z in [None, Some(0.0)] {
            let w = sffm(0.5, 1.0, [z, None, z, None, None]);
            close(w.value(2.5, &T), 1.5);
            close(w.value(7.5, &T), -0.5);
        }
        // mdi given, fs defaulted: at t = 2.5 s the modulating sine is 1.
        let w = sffm(0.0, 1.0, [Some(0.2), Some(PI / 2.0), None, None, None]);
        close(w.value(2.5, &T), (PI + PI / 2.0).sin());
    }

    #[test]
    fn am_is_ngspice_39s_formula_with_its_phase_quirk() {
        let t = TranTiming { tstep: 1e-6, tstop: 3e-3 };
        // AM(0.5 2 1.8 1k 1m 30 60): ngspice 39 printed 1.212023e+00 at
        // 1.99328 ms; mpmath: 0.5 (2 + sin(2π 1.8 u + 60°)) sin(2π 1k u + 60°), u = t - 1 ms.
        let w = am(0.5, 2.0, [Some(1.8), Some(1e3), Some(1e-3), Some(30.0), Some(60.0)]);
        close(w.value(1.99328e-3, &t), 1.2120228862679154);
        // The carrier phase is not used: any phasec gives the same value.
        let other = am(0.5, 2.0, [Some(1.8), Some(1e3), Some(1e-3), Some(-75.0), Some(60.0)]);
        close(other.value(1.99328e-3, &t), 1.2120228862679154);
        let w = am(0.5, 2.0, [Some(200.0), Some(5e3), Some(1e-3), None, Some(45.0)]);
        close(w.value(1.3e-3, &t), -1.03158204082978);
        // 0 up to and at td, then a jump to 0.5 (2 + sin 45°) sin 45°.
        close(w.value(0.0, &t), 0.0);
        close(w.value(1e-3, &t), 0.0);
        let s = 0.5f64.sqrt();
        // d/dt just after td: 0.5 (2π 200 cos45° sin45° + (2 + sin45°) 2π 5k cos45°).
        let want = 0.5 * (2.0 * PI * 200.0 * 0.5 + (2.0 + s) * 2.0 * PI * 5e3 * s);
        close(w.slope(1e-3, &t), want);
        // 1 fs after td the value has moved by the slope times 1 fs (3e-11).
        close(w.value(1e-3 + 1e-15, &t) - want * 1e-15, 0.5 * (2.0 + s) * s);
        close(w.slope(0.5e-3, &t), 0.0);
        close_all(&w.breakpoints(0.0, 1.0, &t), &[1e-3]);
        assert_eq!(w.next_breakpoint(0.0, &t), Some(1e-3));
        assert_eq!(w.next_breakpoint(1e-3, &t), None);
    }

    #[test]
    fn am_defaults_follow_ngspice_39() {
        // fc defaults to 0 (not 1/tstop): sin(phases) is then the carrier.
        let w = am(1.0, 2.0, [None, None, None, None, None]);
        close(w.value(3.0, &T), 0.0);
        // mf = 1/tstop = 0.1 Hz (also when 0); phases 90°: (2 + cos(2π 0.1 t)) · 1.
        for mf in [None, Some(0.0)] {
            let w = am(1.0, 2.0, [mf, None, None, None, Some(90.0)]);
            close(w.value(0.0, &T), 0.0);
            close(w.value(2.5, &T), 2.0);
            close(w.value(5.0, &T), 1.0);
        }
    }

    fn pwl_r(points: &[(f64, f64)], r: Option<f64>, td: Option<f64>) -> Waveform<f64> {
        Waveform::PwlRepeat { points: points.to_vec(), r, td }
    }

    #[test]
    fn pwl_repeats_from_r_and_is_delayed_by_td() {
        // PWL(0 0 1 1 2 0) r=1 td=0.5: a triangle, then the fall 1 -> 0 every second.
        let w = pwl_r(&[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)], Some(1.0), Some(0.5));
        for (t, v) in [(0.0, 0.0), (0.5, 0.0), (1.0, 0.5), (1.5, 1.0), (2.0, 0.5), (2.75, 0.75), (6.0, 0.5)] {
            close(w.value(t, &T), v);
        }
        // At a pass boundary the value is already the repeated point's.
        close(w.value(2.5, &T), 1.0);
        close(w.value(3.5, &T), 1.0);
        close(w.value(3.5 - 1e-9, &T), 1e-9);
        close(w.slope(2.75, &T), -1.0);
        close(w.slope(3.5, &T), -1.0);
        close(w.slope(1.0, &T), 1.0);
        let want = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5];
        close_all(&w.breakpoints(0.0, 6.0, &T), &want);
        close_all(&iterate(&w, 6.0, &T), &want);
        // Deep into the run: computed, not enumerated.
        close(w.value(1e6 + 0.75, &T), 0.75);
        close(w.next_breakpoint(1e6 + 0.6, &T).unwrap_or(f64::NAN), 1e6 + 1.5);
        // Without td the corners are the PWL times and their repeats.
        let w = pwl_r(&[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)], Some(1.0), None);
        close_all(&w.breakpoints(0.0, 4.0, &T), &[0.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn pwl_r_zero_repeats_the_whole_list_and_minus_one_none() {
        let pts = [(0.0, 0.0), (1.0, 2.0), (3.0, 0.0)];
        let w = pwl_r(&pts, Some(0.0), None);
        for (t, v) in [(0.5, 1.0), (2.0, 1.0), (3.5, 1.0), (5.0, 1.0), (6.5, 1.0), (7.0, 2.0), (9.0, 0.0)] {
            close(w.value(t, &T), v);
        }
        close_all(&w.breakpoints(0.0, 9.0, &T), &[0.0, 1.0, 3.0, 4.0, 6.0, 7.0, 9.0]);
        // r = -1 (any r below -0.5): no repetition, the last value holds.
        for r in [Some(-1.0), None] {
            let w = pwl_r(&pts, r, None);
            close(w.value(5.0, &T), 0.0);
            close_all(&w.breakpoints(0.0, 9.0, &T), &[0.0, 1.0, 3.0]);
            assert_eq!(w.check(), Ok(()));
        }
        // A negative delay starts the list early; before its first time the first value holds.
        let w = pwl_r(&[(1.0, 5.0), (2.0, 7.0)], None, Some(-0.5));
        close(w.value(0.0, &T), 5.0);
        close(w.value(1.0, &T), 6.0);
        close_all(&w.breakpoints(0.0, 9.0, &T), &[0.5, 1.5]);
    }

    #[test]
    fn pwl_r_must_be_one_of_the_times_before_the_last() {
        let pts = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)];
        let e = pwl_r(&pts, Some(0.5), None).check().unwrap_err();
        assert_eq!(e, WaveformError::PwlRepeatNotAPoint { r: 0.5 });
        assert!(e.to_string().contains("matches none of the PWL times"), "{e}");
        // Between -0.5 and 0 ngspice looks for a point too.
        let e = pwl_r(&pts, Some(-0.3), None).check().unwrap_err();
        assert_eq!(e, WaveformError::PwlRepeatNotAPoint { r: -0.3 });
        let e = pwl_r(&pts, Some(3.0), None).check().unwrap_err();
        assert_eq!(e, WaveformError::PwlRepeatAfterEnd { r: 3.0, end: 2.0 });
        let e = pwl_r(&pts, Some(2.0), None).check().unwrap_err();
        assert_eq!(e, WaveformError::PwlRepeatAtEnd { r: 2.0 });
        assert!(e.to_string().contains("loops forever"), "{e}");
        let e = pwl_r(&pts, None, Some(f64::NAN)).check().unwrap_err();
        assert!(matches!(e, WaveformError::NonFinite { shape: "PWL", field: "td", .. }), "{e}");
        assert_eq!(pwl_r(&[], Some(0.0), None).check(), Err(WaveformError::PwlEmpty));
        assert_eq!(pwl_r(&pts, Some(1.0), Some(-3.0)).check(), Ok(()));
    }

    #[test]
    fn exp_defaults_follow_ngspice_not_the_textbook() {
        // ngspice 39: td1 = tstep (also when 0), tau1 = tau2 = tstep, td2 = td1 + tstep.
        for td1 in [None, Some(0.0)] {
            let w = Waveform::Exp { v1: 0.0, v2: 1.0, td1, tau1: None, td2: None, tau2: None };
            close(w.value(0.1, &T), 0.0);
            close(w.value(0.15, &T), 0.3934693402873666);
            close(w.value(0.3, &T), 0.23254415793482963);
            close_all(&w.breakpoints(0.0, 10.0, &T), &[0.1, 0.2]);
        }
    }

    #[test]
    fn dc_is_constant_without_corners() {
        let w = Waveform::Dc { value: 3.3 };
        close(w.value(5.0, &T), 3.3);
        close(w.slope(5.0, &T), 0.0);
        assert!(w.breakpoints(0.0, 10.0, &T).is_empty());
        assert_eq!(w.next_breakpoint(0.0, &T), None);
    }

    #[test]
    fn a_one_nanosecond_pulse_in_a_one_second_run_has_its_corners() {
        let t = TranTiming { tstep: 1e-3, tstop: 1.0 };
        let w = pulse(0.0, 1.0, 0.5, 1e-12, 1e-12, 1e-9, 0.0, None);
        let want = [0.5, 0.5 + 1e-12, 0.5 + 1e-12 + 1e-9, 0.5 + 2e-12 + 1e-9];
        close_all(&w.breakpoints(0.0, 1.0, &t), &want);
        close_all(&iterate(&w, 1.0, &t), &want);
        close(w.value(0.5 + 5e-10, &t), 1.0);
        close(w.value(0.5 + 2e-9, &t), 0.0);
        // Default rise and fall (tstep): the 1 ns top is still two corners.
        let soft = pulse(0.0, 1.0, 0.5, 0.0, 0.0, 1e-9, 0.0, None);
        let want = [0.5, 0.501, 0.501 + 1e-9, 0.502 + 1e-9];
        close_all(&soft.breakpoints(0.0, 1.0, &t), &want);
        close_all(&iterate(&soft, 1.0, &t), &want);
    }

    #[test]
    fn pulse_corners_over_many_periods_agree_with_next_breakpoint() {
        let w = train();
        let mut want = Vec::new();
        for k in 0..6 {
            let s = 1.0 + 5.0 * f64::from(k);
            want.extend([s, s + 0.5, s + 2.5, s + 2.75]);
        }
        close_all(&w.breakpoints(0.0, 30.0, &T), &want);
        close_all(&iterate(&w, 30.0, &T), &want);
        // A window in the middle.
        close_all(&w.breakpoints(11.5, 16.0, &T), &[11.5, 13.5, 13.75, 16.0]);
        // Deep into a long train: computed, not enumerated.
        let k = 1e6;
        let s = 1.0 + 5.0 * k;
        let next = |t: f64| w.next_breakpoint(t, &T).unwrap_or(f64::NAN);
        close(next(s + 0.1), s + 0.5);
        close(next(s + 2.6), s + 2.75);
        close(next(s + 4.0), s + 5.0);
        // An infinite end with unlimited pulses stops at tstop.
        close_all(&w.breakpoints(0.0, f64::INFINITY, &T), &want[..8]);
        assert!(w.breakpoints(5.0, 1.0, &T).is_empty());
        assert!(w.breakpoints(f64::NAN, 1.0, &T).is_empty());
    }

    #[test]
    fn check_accepts_valid_waveforms() {
        let ok = [
            Waveform::Dc { value: 1.0 },
            train(),
            pulse(0.0, 1.0, -0.5, 0.0, 0.0, 0.0, 0.0, Some(2.5)),
            pulse(0.0, 1.0, 0.0, 1.0, 1.0, 2.0, 3.0, None), // per < tr + pw + tf
            pwl(&[(-1.0, 0.0), (1.0, 0.0), (1.0, 5.0)]),
            Waveform::Sin {
                vo: 0.0,
                va: 1.0,
                freq: Some(0.0),
                td: Some(-1.0),
                theta: Some(-0.5),
                phase: None,
            },
            Waveform::Exp { v1: 0.0, v2: 1.0, td1: Some(2.0), tau1: Some(0.0), td2: Some(0.0), tau2: None },
        ];
        for w in ok {
            assert_eq!(w.check(), Ok(()), "{w:?}");
        }
        assert_eq!(T.check(), Ok(()));
    }

    #[test]
    fn check_rejects_non_finite_numbers() {
        let e = Waveform::Dc { value: f64::NAN }.check().unwrap_err();
        assert!(matches!(e, WaveformError::NonFinite { shape: "DC", field: "value", .. }), "{e}");
        let mut w = train();
        if let Waveform::Pulse { tr, .. } = &mut w {
            *tr = Some(f64::INFINITY);
        }
        let e = w.check().unwrap_err();
        assert_eq!(e.to_string(), "PULSE parameter `tr` is inf; it must be a finite number");
        let e = Waveform::Sin { vo: 0.0, va: 1.0, freq: None, td: None, theta: None, phase: Some(f64::NAN) }
            .check()
            .unwrap_err();
        assert!(matches!(e, WaveformError::NonFinite { shape: "SIN", field: "phase", .. }), "{e}");
        let e =
            Waveform::Exp { v1: 0.0, v2: f64::NEG_INFINITY, td1: None, tau1: None, td2: None, tau2: None }
                .check()
                .unwrap_err();
        assert!(matches!(e, WaveformError::NonFinite { shape: "EXP", field: "v2", .. }), "{e}");
        let e = pwl(&[(0.0, 0.0), (1.0, f64::NAN)]).check().unwrap_err();
        assert!(matches!(e, WaveformError::PwlNonFinite { index: 1, coordinate: "value", .. }), "{e}");
        assert_eq!(e.to_string(), "PWL point 1 has value NaN; it must be a finite number");
    }

    #[test]
    fn check_rejects_negative_durations() {
        let cases: [(Waveform<f64>, &str); 8] = [
            (pulse(0.0, 1.0, 0.0, -1.0, 1.0, 1.0, 4.0, None), "tr"),
            (pulse(0.0, 1.0, 0.0, 1.0, -1.0, 1.0, 4.0, None), "tf"),
            (pulse(0.0, 1.0, 0.0, 1.0, 1.0, -1.0, 4.0, None), "pw"),
            (pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, -4.0, None), "per"),
            (pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 4.0, Some(-2.0)), "np"),
            (
                Waveform::Sin { vo: 0.0, va: 1.0, freq: Some(-1.0), td: None, theta: None, phase: None },
                "freq",
            ),
            (Waveform::Exp { v1: 0.0, v2: 1.0, td1: None, tau1: Some(-1.0), td2: None, tau2: None }, "tau1"),
            (Waveform::Exp { v1: 0.0, v2: 1.0, td1: None, tau1: None, td2: None, tau2: Some(-1.0) }, "tau2"),
        ];
        for (w, name) in cases {
            match w.check() {
                Err(WaveformError::Negative { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: expected Negative, got {other:?}"),
            }
        }
        let e = pulse(0.0, 1.0, 0.0, 1.0, 1.0, 1.0, -4.0, None).check().unwrap_err();
        assert_eq!(e.to_string(), "PULSE parameter `per` is -4; a period cannot be negative");
    }

    #[test]
    fn check_rejects_bad_pwl_and_exp_order() {
        assert_eq!(pwl(&[]).check(), Err(WaveformError::PwlEmpty));
        let e = pwl(&[(0.0, 0.0), (2.0, 1.0), (1.0, 0.0)]).check().unwrap_err();
        assert_eq!(e, WaveformError::PwlTimeDecreasing { index: 2, time: 1.0, previous: 2.0 });
        assert!(e.to_string().contains("must not decrease"), "{e}");
        let e = Waveform::Exp { v1: 0.0, v2: 1.0, td1: Some(2.0), tau1: None, td2: Some(1.0), tau2: None }
            .check()
            .unwrap_err();
        assert_eq!(e, WaveformError::ExpFallBeforeRise { td1: 2.0, td2: 1.0 });
    }

    /// `TRNOISE(na nt nalpha namp rtsam rtscapt rtsemt)` on 0 V.
    fn trnoise([na, nt, nalpha, namp, rtsam, rtscapt, rtsemt]: [f64; 7]) -> Waveform<f64> {
        Waveform::TrNoise {
            offset: 0.0,
            na,
            nt,
            nalpha: Some(nalpha),
            namp: Some(namp),
            rtsam: Some(rtsam),
            rtscapt: Some(rtscapt),
            rtsemt: Some(rtsemt),
            seed: 3,
            flicker: FlickerTable::default(),
        }
    }

    #[test]
    fn trnoise_reads_its_arguments_as_ngspice() {
        // Measured in ngspice 39: TRNOISE(0 1u 0 1 1m) is 1 mV from the
        // operating point on (NAMP is not read when NALPHA is 0; RTSCAPT and
        // RTSEMT default to 0, and a capture time of 0 traps at once).
        let t = TranTiming { tstep: 1e-6, tstop: 200e-6 };
        let w = trnoise([0.0, 1e-6, 0.0, 1.0, 1e-3, 0.0, 0.0]);
        for x in [0.0, 0.3e-6, 1e-6, 57.5e-6, 200e-6] {
            assert_eq!(w.value(x, &t), 1e-3, "t = {x}");
        }
        assert_eq!(w.next_breakpoint(0.0, &t), None);
        // A negative RTSAM is no telegraph at all, as in ngspice (RTSAM > 0).
        assert_eq!(trnoise([0.0, 0.0, 0.0, 0.0, -1.0, 1e-6, 1e-6]).value(5e-6, &t), 0.0);
        // 1/f noise alone (NA 0) is sampled every NT, 0 at 0.
        let w = trnoise([0.0, 1e-6, 1.0, 1e-3, 0.0, 0.0, 0.0]);
        assert_eq!(w.value(0.0, &t), 0.0);
        assert_ne!(w.value(1e-6, &t), 0.0);
        assert_eq!(w.next_breakpoint(0.0, &t), Some(1e-6));
    }

    #[test]
    fn trnoise_telegraph_switches_are_breakpoints_where_the_value_jumps() {
        let t = TranTiming { tstep: 1e-6, tstop: 1e-3 };
        let w = trnoise([0.0, 0.0, 0.0, 0.0, 2.0, 20e-6, 40e-6]);
        let corners = w.breakpoints(0.0, 1e-3, &t);
        assert!(corners.len() > 10, "{corners:?}");
        let mut x = 0.0;
        for (k, &c) in corners.iter().enumerate() {
            assert_eq!(w.next_breakpoint(x, &t), Some(c));
            // 0 before a capture, 2 at both instants of a trapped stretch.
            let before = w.value(c - 1e-12, &t);
            assert_eq!(
                (before, w.value(c, &t)),
                if k % 2 == 0 { (0.0, 2.0) } else { (2.0, 2.0) },
                "switch {k}"
            );
            x = c;
        }
    }

    #[test]
    fn trnoise_refuses_what_ngspice_cannot_run_or_runs_step_dependent() {
        let e = trnoise([0.0, 0.0, 0.0, 0.0, 1.0, -2e-5, 1e-5]).check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "TRNOISE parameter `rtscapt` is -0.00002; a mean capture time cannot be negative"
        );
        let e = trnoise([0.0, 0.0, 0.0, 0.0, 1.0, 2e-5, 0.0]).check().unwrap_err();
        assert_eq!(e, WaveformError::TelegraphSpikes { rtscapt: 2e-5 });
        // Without an amplitude ngspice reads no times: nothing to check.
        assert_eq!(trnoise([0.0, 0.0, 0.0, 0.0, 0.0, -2e-5, 0.0]).check(), Ok(()));
        // 2^23 samples is the limit: tstop/nt + 10 = 2^23 runs, one more does not.
        let w = trnoise([0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        let run = |tstop: f64| w.check_run(&TranTiming { tstep: 1.0, tstop });
        assert_eq!(run(8_388_598.0), Ok(()));
        let e = run(8_388_599.0).unwrap_err();
        assert_eq!(e, WaveformError::FlickerTooLong { samples: 8_388_609.0 });
        assert!(e.to_string().contains("more than atscale's limit of 8388608"), "{e}");
        assert!(w.value(5.5, &TranTiming { tstep: 1.0, tstop: 8_388_599.0 }).is_nan());
    }

    #[test]
    fn timing_check_names_the_field() {
        let e = TranTiming { tstep: 0.0, tstop: 1.0 }.check().unwrap_err();
        assert_eq!(e, WaveformError::Timing { field: "tstep", value: 0.0 });
        let e = TranTiming { tstep: 1e-3, tstop: f64::NAN }.check().unwrap_err();
        assert!(e.to_string().contains("`tstop`"), "{e}");
    }

    fn opt(s: impl Strategy<Value = f64>) -> impl Strategy<Value = Option<f64>> {
        prop_oneof![1 => Just(None), 1 => Just(Some(0.0)), 4 => s.prop_map(Some)]
    }

    fn timing() -> impl Strategy<Value = TranTiming> {
        (0.01..1.0f64, 1.0..50.0f64).prop_map(|(tstep, tstop)| TranTiming { tstep, tstop })
    }

    fn pulses() -> impl Strategy<Value = Waveform<f64>> {
        let np = prop_oneof![
            2 => Just(None),
            1 => Just(Some(0.0)),
            2 => (1..6u8).prop_map(|n| Some(f64::from(n))),
            2 => (0.1..5.0f64).prop_map(Some),
        ];
        (
            (-10.0..10.0f64, -10.0..10.0f64),
            (opt(-5.0..20.0), opt(0.001..3.0), opt(0.001..3.0), opt(0.0..10.0), opt(0.05..20.0)),
            np,
        )
            .prop_map(|((v1, v2), (td, tr, tf, pw, per), np)| Waveform::Pulse {
                v1,
                v2,
                td,
                tr,
                tf,
                pw,
                per,
                np,
            })
    }

    fn pwls() -> impl Strategy<Value = Waveform<f64>> {
        let step = prop_oneof![1 => Just(0.0), 4 => 0.01..5.0f64];
        (-5.0..10.0f64, prop::collection::vec((step, -10.0..10.0f64), 1..8)).prop_map(|(start, steps)| {
            let mut t = start;
            let points = steps
                .into_iter()
                .map(|(dt, v)| {
                    t += dt;
                    (t, v)
                })
                .collect();
            Waveform::Pwl { points }
        })
    }

    /// Iterating `next_breakpoint` gives `breakpoints`, and between
    /// consecutive corners the waveform is a straight line whose slope is `slope`.
    fn piecewise_linear_between_corners(w: &Waveform<f64>, t: &TranTiming) -> Result<(), TestCaseError> {
        prop_assert_eq!(w.check(), Ok(()));
        let all = w.breakpoints(0.0, t.tstop, t);
        let walked = iterate(w, t.tstop, t);
        prop_assert_eq!(&walked, &all);
        prop_assert!(all.windows(2).all(|p| p[0] < p[1]));
        let mut edges = vec![0.0];
        edges.extend(all.iter().copied().filter(|&c| c > 0.0 && c < t.tstop));
        edges.push(t.tstop);
        let scale = 1.0 + w.value(0.0, t).abs() + 20.0;
        for e in edges.windows(2) {
            let (a, b) = (e[0], e[1]);
            if b - a < 1e-6 * t.tstop {
                continue;
            }
            let (x1, xm, x2) = (a + 0.25 * (b - a), 0.5 * (a + b), a + 0.75 * (b - a));
            let (y1, ym, y2) = (w.value(x1, t), w.value(xm, t), w.value(x2, t));
            prop_assert!((ym - 0.5 * (y1 + y2)).abs() <= 1e-9 * scale, "not linear on [{}, {}]", a, b);
            let secant = (y2 - y1) / (x2 - x1);
            let s = w.slope(xm, t);
            prop_assert!((s - secant).abs() <= 1e-6 * (1.0 + secant.abs()), "slope {} vs {}", s, secant);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn pulse_breakpoints_are_consistent_and_complete(w in pulses(), t in timing()) {
            piecewise_linear_between_corners(&w, &t)?;
        }

        #[test]
        fn pwl_breakpoints_are_consistent_and_complete(w in pwls(), t in timing()) {
            piecewise_linear_between_corners(&w, &t)?;
        }

        #[test]
        fn repeating_pwl_breakpoints_are_consistent_and_complete(
            (w, pick, td) in (pwls(), 0..8usize, opt(-3.0..3.0f64)),
            t in timing(),
        ) {
            let Waveform::Pwl { points } = w else { unreachable!() };
            // r: one of the times before the last, or none.
            let end = points[points.len() - 1].0;
            let r = points.get(pick).map(|p| p.0).filter(|&r| r < end && r >= -0.5);
            let w = Waveform::PwlRepeat { points, r, td };
            piecewise_linear_between_corners(&w, &t)?;
        }
    }

    #[test]
    fn breakpoints_land_exactly_on_corner_values_and_slopes() {
        // A 1 ns pulse late in a long run: `td + corner` rounds, the value
        // and slope at the breakpoint must still be the corner's.
        let tm = TranTiming { tstep: 1e-3, tstop: 1.0 };
        let w = Waveform::Pulse {
            v1: 0.0,
            v2: 1.0,
            td: Some(0.4),
            tr: Some(1e-10),
            tf: Some(1e-10),
            pw: Some(1e-9),
            per: Some(0.3),
            np: None,
        };
        let mut t = 0.0;
        let mut seen = 0;
        while let Some(b) = w.next_breakpoint(t, &tm) {
            if b > 1.0 {
                break;
            }
            let v = w.value(b, &tm);
            assert!(v == 0.0 || v == 1.0, "value {v} at breakpoint {b}");
            let s = w.slope(b, &tm);
            assert!(s == 0.0 || (s.abs() - 1e10).abs() < 1e-3 * 1e10, "slope {s} at {b}");
            t = b;
            seen += 1;
        }
        assert_eq!(seen, 9, "two pulses of four corners, and the third starting at t = 1 s");
    }
}
