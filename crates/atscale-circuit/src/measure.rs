//! Measurements a netlist asks for (`.meas tran`), as data.
//!
//! A [`Measure`] is one `.meas[ure] tran NAME ...` card of ngspice's
//! language, read by `atscale_spice::parse::measure::read_measures` and evaluated on
//! any engine's sampled waveforms by `atscale_sim::measure`. The forms, with
//! their result and unit:
//!
//! | card | [`MeasureKind`] | result |
//! |---|---|---|
//! | `TRIG sig VAL= RISE=… TARG sig VAL= …` | [`MeasureKind::Delay`] | target time minus trigger time, s |
//! | `WHEN sig=level …` | [`MeasureKind::When`] | time of the crossing, s |
//! | `FIND sig AT=t` | [`MeasureKind::FindAt`] | the signal at `t`, V or A |
//! | `FIND sig WHEN sig2=level …` | [`MeasureKind::FindWhen`] | the signal at the crossing, V or A |
//! | `AVG`/`MIN`/`MAX`/`PP`/`RMS sig FROM= TO=` | [`MeasureKind::Statistic`] | V or A |
//! | `INTEG sig FROM= TO=` | [`MeasureKind::Statistic`] | V·s or A·s |
//! | `MIN_AT`/`MAX_AT sig FROM= TO=` | [`MeasureKind::Statistic`] | time of the extremum, s |
//!
//! Times are seconds; levels are in the signal's unit.

use serde::{Deserialize, Serialize};

/// One measurement: its name (what ngspice prints it as) and what it measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// The result name, as written on the card.
    pub name: String,
    /// What is measured.
    pub kind: MeasureKind,
}

/// What a measurement measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum MeasureKind {
    /// `TRIG ... TARG ...`: the time from the trigger to the target, s.
    Delay {
        /// The trigger.
        trig: Instant,
        /// The target.
        targ: Instant,
    },
    /// `WHEN sig=level ...`: the time of a crossing, s.
    When {
        /// The crossing.
        when: Crossing,
    },
    /// `FIND sig AT=t`: the signal at a time.
    FindAt {
        /// The signal read.
        signal: Signal,
        /// The time, s.
        at_s: f64,
    },
    /// `FIND sig WHEN ...`: the signal at the time of a crossing.
    FindWhen {
        /// The signal read.
        signal: Signal,
        /// The crossing that gives the time.
        when: Crossing,
    },
    /// `AVG`, `MIN`, `MAX`, `PP`, `RMS`, `INTEG`, `MIN_AT`, `MAX_AT` over a window.
    Statistic {
        /// Which statistic.
        stat: Statistic,
        /// The signal.
        signal: Signal,
        /// The window (`FROM=`, `TO=`).
        window: Window,
    },
}

/// The trigger or target of a [`MeasureKind::Delay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instant {
    /// `AT=t`: a given time, s.
    At(f64),
    /// The time a signal crosses a level.
    Crossing(Crossing),
}

/// A statistic of a signal over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// `AVG`: the time average (trapezoids between the samples in the window).
    Avg,
    /// `MIN`: the smallest sample.
    Min,
    /// `MAX`: the largest sample.
    Max,
    /// `PP`: largest minus smallest sample.
    Pp,
    /// `RMS`: root of the time average of the square.
    Rms,
    /// `INTEG`: the time integral.
    Integ,
    /// `MIN_AT`: the time of the smallest sample, s.
    MinAt,
    /// `MAX_AT`: the time of the largest sample, s.
    MaxAt,
}

impl Statistic {
    /// The keyword (`AVG`, `MIN_AT`, ...).
    pub fn keyword(self) -> &'static str {
        match self {
            Statistic::Avg => "AVG",
            Statistic::Min => "MIN",
            Statistic::Max => "MAX",
            Statistic::Pp => "PP",
            Statistic::Rms => "RMS",
            Statistic::Integ => "INTEG",
            Statistic::MinAt => "MIN_AT",
            Statistic::MaxAt => "MAX_AT",
        }
    }

    /// The statistic of a keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Statistic> {
        let all = [
            Statistic::Avg,
            Statistic::Min,
            Statistic::Max,
            Statistic::Pp,
            Statistic::Rms,
            Statistic::Integ,
            Statistic::MinAt,
            Statistic::MaxAt,
        ];
        all.into_iter().find(|s| s.keyword().eq_ignore_ascii_case(word))
    }
}

/// A time window: samples at `from_s <= t <= to_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start, s (`FROM=`, default 0).
    pub from_s: f64,
    /// End, s (`TO=`; `None`: the end of the run; ngspice reads `TO=0` as no end too).
    pub to_s: Option<f64>,
}

impl Default for Window {
    fn default() -> Self {
        Window { from_s: 0.0, to_s: None }
    }
}

/// A crossing of a level by a signal: `sig VAL=level` in a trigger or
/// target, `sig=level` after `WHEN`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crossing {
    /// The signal.
    pub signal: Signal,
    /// The level it crosses.
    pub level: Level,
    /// Which crossing.
    pub which: Which,
    /// Samples before this time are ignored (`TD=`, s, default 0).
    pub td_s: f64,
    /// Only samples in this window count (`FROM=`, `TO=`).
    pub window: Window,
}

/// The level of a [`Crossing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A number, in the signal's unit.
    Value(f64),
    /// Another signal (`WHEN v(a)=v(b)`).
    Signal(Signal),
}

/// Which crossing of a level counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// No `RISE`, `FALL` or `CROSS` given: the first crossing either way.
    First,
    /// `RISE=n` (from 1).
    Rise(u32),
    /// `FALL=n` (from 1).
    Fall(u32),
    /// `CROSS=n` (from 1): the n-th crossing either way.
    Cross(u32),
    /// `RISE=LAST`.
    LastRise,
    /// `FALL=LAST`.
    LastFall,
    /// `CROSS=LAST` or `LAST`.
    LastCross,
}

/// A signal a measurement reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// `v(node)` (with `reference: None`) or `v(node,reference)`; a bare
    /// node name is `v(node)`. Ground is `0`.
    Voltage {
        /// The node (hierarchical names as flattened: `x1.n2`).
        node: String,
        /// The node it is measured against (`v(a,b)` = `v(a) - v(b)`).
        reference: Option<String>,
    },
    /// `i(element)`: the branch current of a voltage source or inductor, A.
    Current {
        /// The element.
        element: String,
    },
}

impl Signal {
    /// The unit: `V` or `A`.
    pub fn unit(&self) -> &'static str {
        match self {
            Signal::Voltage { .. } => "V",
            Signal::Current { .. } => "A",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signal::Voltage { node, reference: None } => write!(f, "v({node})"),
            Signal::Voltage { node, reference: Some(r) } => write!(f, "v({node},{r})"),
            Signal::Current { element } => write!(f, "i({element})"),
        }
    }
}

impl Measure {
    /// The unit of the result: `s` for times, the signal's unit for values
    /// (`V`, `A`), `V·s` or `A·s` for an integral.
    pub fn unit(&self) -> String {
        match &self.kind {
            MeasureKind::Delay { .. } | MeasureKind::When { .. } => "s".into(),
            MeasureKind::FindAt { signal, .. } | MeasureKind::FindWhen { signal, .. } => signal.unit().into(),
            MeasureKind::Statistic { stat, signal, .. } => match stat {
                Statistic::MinAt | Statistic::MaxAt => "s".into(),
                Statistic::Integ => format!("{}·s", signal.unit()),
                _ => signal.unit().into(),
            },
        }
    }

    /// Every signal the measurement reads, in order, without repeats.
    pub fn signals(&self) -> Vec<&Signal> {
        let mut all: Vec<&Signal> = Vec::new();
        match &self.kind {
            MeasureKind::Delay { trig, targ } => {
                for i in [trig, targ] {
                    if let Instant::Crossing(c) = i {
                        all.extend(c.signals());
                    }
                }
            }
            MeasureKind::When { when } => all.extend(when.signals()),
            MeasureKind::FindAt { signal, .. } => all.push(signal),
            MeasureKind::FindWhen { signal, when } => {
                all.push(signal);
                all.extend(when.signals());
            }
            MeasureKind::Statistic { signal, .. } => all.push(signal),
        }
        let mut out: Vec<&Signal> = Vec::new();
        for s in all {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

impl Crossing {
    /// The signal and, when the level is one, the level's signal.
    pub fn signals(&self) -> Vec<&Signal> {
        match &self.level {
            Level::Value(_) => vec![&self.signal],
            Level::Signal(s) => vec![&self.signal, s],
        }
    }
}
