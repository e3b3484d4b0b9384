//! The verification report: a stable JSON schema (serde); `atscale-render` writes its Markdown.
//!
//! Schema version [`SCHEMA_VERSION`]. Every number is in SI units, named with its
//! unit (`_s` seconds, `_per_s` per second); dimensionless ratios say so in their
//! documentation. [`Report::assemble`] builds a report from per-engine events:
//! the first engine is the reference, every other engine is compared against it
//! signal by signal, and the overall verdict is "agree" iff every comparison agrees.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::{compare_trains, verdict, CompareOptions, SignalVerdict, Tolerances, TrainComparison};
use crate::events::EventSpec;
use crate::ngspice::MaxStepChoice;

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
    /// Where the relative tolerance came from (the native engine).
    #[serde(default)]
    pub reltol_source: Option<ReltolSource>,
    /// Absolute tolerance in the state's unit, when the engine has one.
    pub abstol: Option<f64>,
}

/// Where the native engine's relative tolerance came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReltolSource {
    /// Given by the caller (the CLI's `--reltol`).
    Explicit,
    /// The netlist's `.options reltol`.
    FromNetlist,
    /// The engine's default (1e-3, as ngspice's).
    EngineDefault,
    /// Derived by `verify` from the requested event tolerance: reltol =
    /// `factor` × `event_tolerance_rel` (a refinement divides `factor`).
    DerivedFromTolerance {
        /// Allowed |dt| relative to the median inter-event interval.
        event_tolerance_rel: f64,
        /// reltol / event tolerance (dimensionless).
        factor: f64,
    },
    /// A refinement of a tolerance that was not derived: reltol =
    /// `factor` × `first_reltol`.
    Refined {
        /// The first run's reltol (dimensionless).
        first_reltol: f64,
        /// reltol / first reltol (dimensionless).
        factor: f64,
    },
}

/// The warning for one thing `engine` does not model as ngspice does.
pub fn unmodelled_warning(engine: &str, what: &str) -> String {
    format!("{engine} engine: {what}; its result may differ from ngspice's")
}

/// One engine's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineReport {
    /// Engine name: `native`, `ngspice`, `spice21`, `vacask`.
    pub name: String,
    /// Engine version, e.g. `39.3`.
    pub version: Option<String>,
    /// Settings used.
    pub settings: EngineSettings,
    /// Wall time of the run, in seconds.
    pub wall_time_s: f64,
    /// Event times per signal, in seconds.
    pub events: BTreeMap<String, Vec<f64>>,
    /// What this engine does not model as ngspice does in this netlist
    /// (parameters, options), one sentence each; empty when nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmodelled: Vec<String>,
    /// The netlist's `.meas tran` measurements evaluated on this engine's
    /// samples, in the netlist's order; empty when it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<MeasureResult>,
}

/// One `.meas tran` measurement on one engine's run: a value or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureResult {
    /// The measurement's name, as on its card.
    pub name: String,
    /// The value in `unit`; `None` when it failed.
    pub value: Option<f64>,
    /// `s`, `V`, `A`, `V·s` or `A·s`.
    pub unit: String,
    /// Why there is no value (a crossing never reached, a signal missing, ...).
    pub error: Option<String>,
    /// Something to know about how the value was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl MeasureResult {
    /// The result of evaluating `m`.
    pub fn new(
        m: &atscale_circuit::Measure,
        outcome: Result<atscale_sim::measure::Measured, atscale_sim::measure::MeasureError>,
    ) -> MeasureResult {
        let (value, error, note) = match outcome {
            Ok(x) => (Some(x.value), None, x.note),
            Err(e) => (None, Some(e.to_string()), None),
        };
        MeasureResult { name: m.name.clone(), value, unit: m.unit(), error, note }
    }
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

impl EngineReport {
    /// A warning per parameter, option or card the engine did not model as ngspice does.
    pub fn unmodelled_warnings(&self) -> Vec<String> {
        self.unmodelled.iter().map(|u| unmodelled_warning(&self.name, u)).collect()
    }
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
                    source: crate::ngspice::MaxStepSource::DerivedFromAccuracy {
                        event_accuracy_s: 0.4,
                        factor: 0.25,
                    },
                }),
                ..EngineSettings::default()
            },
            wall_time_s: 0.02,
            events: BTreeMap::from([("v".to_string(), vec![10.0 + shift, 20.0, 30.0])]),
            unmodelled: Vec::new(),
            measures: Vec::new(),
        }
    }

    #[test]
    fn assemble_and_round_trip() {
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
