//! The verification report: a stable JSON schema (serde) and a Markdown summary.
//!
//! Schema version [`SCHEMA_VERSION`]. Every number is in SI units, named with its
//! unit (`_s` seconds, `_per_s` per second); dimensionless ratios say so in their
//! documentation. [`Report::assemble`] builds a report from per-engine events:
//! the first engine is the reference, every other engine is compared against it
//! signal by signal, and the overall verdict is "agree" iff every comparison agrees.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::compare::{
    compare_trains, verdict, CompareOptions, Disagreement, SignalVerdict, Tolerances, TrainComparison,
};
use crate::events::{Direction, EventSpec};
use crate::ngspice::{MaxStepChoice, MaxStepSource};

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Settings an engine ran with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// Maximum step and where it came from (ngspice, native).
    pub max_step: Option<MaxStepChoice>,
    /// Fixed step in seconds (spice21's backward Euler).
    pub fixed_step_s: Option<f64>,
    /// Relative tolerance (dimensionless), when the engine has one.
    pub reltol: Option<f64>,
    /// Absolute tolerance in the state's unit, when the engine has one.
    pub abstol: Option<f64>,
}

/// One engine's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineReport {
    /// Engine name: `native`, `ngspice`, `spice21`.
    pub name: String,
    /// Engine version, e.g. `39.3`.
    pub version: Option<String>,
    /// Settings used.
    pub settings: EngineSettings,
    /// Wall time of the run, in seconds.
    pub wall_time_s: f64,
    /// Event times per signal, in seconds.
    pub events: BTreeMap<String, Vec<f64>>,
}

/// Comparison of one signal between two engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalComparison {
    /// Signal name.
    pub signal: String,
    /// Metrics.
    pub comparison: TrainComparison,
    /// Verdict.
    pub verdict: SignalVerdict,
}

/// Comparison of one engine against the reference engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// Reference engine name.
    pub reference: String,
    /// Compared engine name.
    pub other: String,
    /// Per signal.
    pub signals: Vec<SignalComparison>,
}

/// Overall verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// All comparisons agree.
    pub agree: bool,
    /// Tolerances applied.
    pub tolerances: Tolerances,
    /// Number of (engine pair, signal) comparisons that disagree.
    pub disagreements: usize,
}

/// A complete verification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Netlist path as given by the user.
    pub netlist: String,
    /// Stop time of the runs, in seconds.
    pub tstop_s: Option<f64>,
    /// Event definitions.
    pub events: Vec<EventSpec>,
    /// Engines in order; the first is the reference.
    pub engines: Vec<EngineReport>,
    /// Each non-reference engine against the reference.
    pub comparisons: Vec<PairComparison>,
    /// Overall verdict.
    pub verdict: Verdict,
}

impl Report {
    /// Compares every engine with the first one on every event signal.
    /// `opts.duration_s` defaults to `tstop_s`.
    pub fn assemble(
        netlist: impl Into<String>,
        tstop_s: Option<f64>,
        events: Vec<EventSpec>,
        engines: Vec<EngineReport>,
        opts: &CompareOptions,
        tolerances: &Tolerances,
    ) -> Self {
        let opts = CompareOptions { duration_s: opts.duration_s.or(tstop_s), ..opts.clone() };
        let mut comparisons = Vec::new();
        if let Some((reference, others)) = engines.split_first() {
            for other in others {
                let signals = crate::events::event_keys(&events)
                    .into_iter()
                    .map(|key| {
                        let empty = Vec::new();
                        let a = reference.events.get(&key).unwrap_or(&empty);
                        let b = other.events.get(&key).unwrap_or(&empty);
                        let comparison = compare_trains(a, b, &opts);
                        let verdict = verdict(&comparison, tolerances);
                        SignalComparison { signal: key, comparison, verdict }
                    })
                    .collect();
                comparisons.push(PairComparison {
                    reference: reference.name.clone(),
                    other: other.name.clone(),
                    signals,
                });
            }
        }
        let disagreements = comparisons.iter().flat_map(|c| &c.signals).filter(|s| !s.verdict.agree).count();
        Self {
            schema_version: SCHEMA_VERSION,
            netlist: netlist.into(),
            tstop_s,
            events,
            engines,
            comparisons,
            verdict: Verdict { agree: disagreements == 0, tolerances: tolerances.clone(), disagreements },
        }
    }

    /// Pretty JSON of the report.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }
}

fn secs(x: f64) -> String {
    format!("{x:.6e} s")
}

fn opt<T>(x: Option<T>, f: impl Fn(T) -> String) -> String {
    x.map_or_else(|| "n/a".to_string(), f)
}

fn max_step_text(m: &MaxStepChoice) -> String {
    let why = match &m.source {
        MaxStepSource::Explicit { replaced_netlist_value_s: Some(v) } => {
            format!("explicit (replaced the netlist's {})", secs(*v))
        }
        MaxStepSource::Explicit { replaced_netlist_value_s: None } => "explicit".to_string(),
        MaxStepSource::FromNetlist => "from the netlist".to_string(),
        MaxStepSource::DerivedFromAccuracy { event_accuracy_s, factor } => {
            format!("{factor} × requested event accuracy {}", secs(*event_accuracy_s))
        }
        MaxStepSource::NgspiceDefault => "ngspice default min(TSTEP, span/50)".to_string(),
    };
    format!("{} ({why})", secs(m.value_s))
}

/// Renders the report as Markdown, with a unit on every number.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let verdict = if r.verdict.agree { "**AGREE**" } else { "**DISAGREE**" };
    let _ = writeln!(s, "# Verification of `{}`: {verdict}\n", r.netlist);
    if let Some(t) = r.tstop_s {
        let _ = writeln!(s, "Stop time {}.", secs(t));
    }
    let tol = &r.verdict.tolerances;
    let limit = tol
        .max_abs_dt_s
        .map_or_else(|| format!("{} × median inter-event interval", tol.max_abs_dt_rel), secs);
    let _ = writeln!(
        s,
        "Tolerances: equal counts {}, max |dt| ≤ {limit}. {} disagreement(s).\n",
        if tol.require_equal_counts { "required" } else { "not required" },
        r.verdict.disagreements
    );
    let _ = writeln!(s, "## Events\n");
    for e in &r.events {
        let dir = match e.direction {
            Direction::Rising => "rising",
            Direction::Falling => "falling",
            Direction::Both => "crossing either way",
        };
        let unit = crate::events::signal_unit(&e.signal);
        let _ = writeln!(
            s,
            "- `{}`: {dir} through {} {unit}, hysteresis {} {unit}",
            e.signal, e.threshold, e.hysteresis
        );
    }
    let _ = writeln!(s, "\n## Engines\n");
    let _ = writeln!(s, "| engine | version | max step | fixed step | wall time | events |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for e in &r.engines {
        let counts: Vec<String> = e.events.iter().map(|(k, v)| format!("`{k}`: {}", v.len())).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            e.name,
            e.version.as_deref().unwrap_or("n/a"),
            opt(e.settings.max_step.as_ref(), max_step_text),
            opt(e.settings.fixed_step_s, secs),
            secs(e.wall_time_s),
            counts.join(", ")
        );
    }
    for c in &r.comparisons {
        let _ = writeln!(s, "\n## `{}` against `{}`\n", c.other, c.reference);
        let _ = writeln!(
            s,
            "| signal | verdict | matched | missing | extra | max abs dt | max abs dt / local interval | Gamma | van Rossum | Victor-Purpura |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
        for sc in &c.signals {
            let m = &sc.comparison;
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                sc.signal,
                if sc.verdict.agree { "agree" } else { "DISAGREE" },
                m.counts.matched,
                m.counts.missing,
                m.counts.extra,
                opt(m.max_abs_dt_s, secs),
                opt(m.max_abs_dt_rel_local, |v| format!("{v:.3e} (ratio)")),
                opt(m.gamma.zip(m.coincidence_window_s), |(g, d)| format!("{g:.4} (Δ = {})", secs(d))),
                opt(m.van_rossum.zip(m.van_rossum_tau_s), |(v, t)| format!("{v:.4e} (τ = {})", secs(t))),
                opt(m.victor_purpura.zip(m.victor_purpura_q_per_s), |(v, q)| format!(
                    "{v:.4e} (q = {q:.4e} 1/s)"
                )),
            );
        }
        for sc in c.signals.iter().filter(|sc| !sc.verdict.agree) {
            for reason in &sc.verdict.reasons {
                let text = match reason {
                    Disagreement::CountMismatch { missing, extra } => {
                        format!("{missing} event(s) missing, {extra} extra")
                    }
                    Disagreement::TimingExceeded { max_abs_dt_s, limit_s } => {
                        format!("max |dt| {} exceeds {}", secs(*max_abs_dt_s), secs(*limit_s))
                    }
                    Disagreement::NoTimeScale => {
                        "no time scale (fewer than two events, no duration) for a relative tolerance"
                            .to_string()
                    }
                };
                let _ = writeln!(s, "- `{}`: {text}", sc.signal);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn engine(name: &str, shift: f64) -> EngineReport {
        EngineReport {
            name: name.into(),
            version: None,
            settings: EngineSettings {
                max_step: Some(MaxStepChoice {
                    value_s: 0.1,
                    source: MaxStepSource::DerivedFromAccuracy { event_accuracy_s: 0.4, factor: 0.25 },
                }),
                ..EngineSettings::default()
            },
            wall_time_s: 0.02,
            events: BTreeMap::from([("v".to_string(), vec![10.0 + shift, 20.0, 30.0])]),
        }
    }

    #[test]
    fn assemble_round_trip_and_markdown() {
        let r = Report::assemble(
            "fhn.cir",
            Some(40.0),
            vec![EventSpec::rising("v", 1.0, 0.5)],
            vec![engine("native", 0.0), engine("ngspice", 0.5)],
            &CompareOptions::default(),
            &Tolerances::default(),
        );
        assert!(!r.verdict.agree);
        assert_eq!(r.verdict.disagreements, 1);
        let json = r.to_json().unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let md = markdown(&r);
        assert!(md.contains("DISAGREE"));
        assert!(md.contains("max |dt| 5.000000e-1 s exceeds 1.000000e-2 s"), "{md}");
        let same = Report::assemble(
            "fhn.cir",
            Some(40.0),
            vec![EventSpec::rising("v", 1.0, 0.5)],
            vec![engine("native", 0.0), engine("ngspice", 0.0)],
            &CompareOptions::default(),
            &Tolerances::default(),
        );
        assert!(same.verdict.agree);
    }
}
