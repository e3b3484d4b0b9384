//! The verification report in Markdown.

use std::fmt::Write as _;

use atscale_verify::compare::Disagreement;
use atscale_verify::events::{signal_unit, Direction};
use atscale_verify::ngspice::{MaxStepChoice, MaxStepSource};
use atscale_verify::report::{EngineSettings, MeasureResult, ReltolSource, Report};
use atscale_verify::verify::Convergence;

use crate::axis::{num, quantity, si};

fn secs(x: f64) -> String {
    si(x, "s")
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

fn reltol_text(e: &EngineSettings) -> String {
    let Some(r) = e.reltol else { return "n/a".into() };
    let why = match &e.reltol_source {
        Some(ReltolSource::Explicit) => "explicit".to_string(),
        Some(ReltolSource::FromNetlist) => "from the netlist".to_string(),
        Some(ReltolSource::EngineDefault) => "engine default".to_string(),
        Some(ReltolSource::DerivedFromTolerance { event_tolerance_rel, factor }) => {
            format!("{} × event tolerance {}", num(*factor), num(*event_tolerance_rel))
        }
        Some(ReltolSource::Refined { first_reltol, factor }) => {
            format!("{} × first run's {}", num(*factor), num(*first_reltol))
        }
        None => return num(r),
    };
    format!("{} ({why})", num(r))
}

/// The report as Markdown, every quantity with its unit.
pub fn report(r: &Report) -> String {
    let mut s = String::new();
    let verdict = if r.verdict.agree { "**AGREE**" } else { "**DISAGREE**" };
    let _ = writeln!(s, "# Verification of `{}`: {verdict}\n", r.netlist);
    if let Some(t) = r.tstop_s {
        let _ = writeln!(s, "Stop time {}.", secs(t));
    }
    let tol = &r.verdict.tolerances;
    let limit = tol
        .max_abs_dt_s
        .map_or_else(|| format!("{} × median inter-event interval", num(tol.max_abs_dt_rel)), secs);
    let _ = writeln!(
        s,
        "Tolerances: equal counts {}, max |dt| ≤ {limit}. {} disagreement(s).\n",
        if tol.require_equal_counts { "required" } else { "not required" },
        r.verdict.disagreements
    );
    events(&mut s, r);
    engines(&mut s, r);
    measures(&mut s, r);
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
                opt(m.max_abs_dt_rel_local, |v| format!("{} (ratio)", num(v))),
                opt(m.gamma.zip(m.coincidence_window_s), |(g, d)| format!("{} (Δ = {})", num(g), secs(d))),
                opt(m.van_rossum.zip(m.van_rossum_tau_s), |(v, t)| format!("{} (τ = {})", num(v), secs(t))),
                opt(m.victor_purpura.zip(m.victor_purpura_q_per_s), |(v, q)| format!(
                    "{} (q = {})",
                    num(v),
                    si(q, "1/s")
                )),
            );
        }
        for sc in c.signals.iter().filter(|sc| !sc.verdict.agree) {
            for reason in &sc.verdict.reasons {
                let _ = writeln!(s, "- `{}`: {}", sc.signal, disagreement(reason));
            }
        }
    }
    s
}

fn disagreement(reason: &Disagreement) -> String {
    match reason {
        Disagreement::CountMismatch { missing, extra } => {
            format!("{missing} event(s) missing, {extra} extra")
        }
        Disagreement::TimingExceeded { max_abs_dt_s, limit_s } => {
            format!("max |dt| {} exceeds {}", secs(*max_abs_dt_s), secs(*limit_s))
        }
        Disagreement::NoTimeScale => {
            "no time scale (fewer than two events, no duration) for a relative tolerance".to_string()
        }
    }
}

fn events(s: &mut String, r: &Report) {
    let _ = writeln!(s, "## Events\n");
    for e in &r.events {
        let dir = match e.direction {
            Direction::Rising => "rising",
            Direction::Falling => "falling",
            Direction::Both => "crossing either way",
        };
        let unit = signal_unit(&e.signal);
        let _ = writeln!(
            s,
            "- `{}`: {dir} through {}, hysteresis {}",
            e.signal,
            quantity(e.threshold, unit),
            quantity(e.hysteresis, unit)
        );
    }
}

fn engines(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Engines\n");
    let _ = writeln!(s, "| engine | version | max step | fixed step | reltol (ratio) | wall time | events |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for e in &r.engines {
        let counts: Vec<String> = e.events.iter().map(|(k, v)| format!("`{k}`: {}", v.len())).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e.name,
            e.version.as_deref().unwrap_or("n/a"),
            opt(e.settings.max_step.as_ref(), max_step_text),
            opt(e.settings.fixed_step_s, secs),
            reltol_text(&e.settings),
            secs(e.wall_time_s),
            counts.join(", ")
        );
    }
    for e in r.engines.iter().filter(|e| !e.unmodelled.is_empty()) {
        let _ = writeln!(s, "\nNot modelled by `{}` as ngspice models it (its events may differ):\n", e.name);
        for u in &e.unmodelled {
            let _ = writeln!(s, "- {u}");
        }
    }
}

/// The netlist's `.meas` measurements side by side per engine (every engine
/// evaluates the same list, in the netlist's order, names may repeat), with
/// each engine's difference from the first, absolute and relative.
fn measures(s: &mut String, r: &Report) {
    let rows = r.engines.iter().map(|e| e.measures.len()).max().unwrap_or(0);
    let Some((first, others)) = r.engines.split_first() else { return };
    if rows == 0 {
        return;
    }
    let _ = writeln!(s, "\n## Measurements (`.meas tran`)\n");
    let names: Vec<&str> = r.engines.iter().map(|e| e.name.as_str()).collect();
    let diffs: Vec<String> = others.iter().map(|e| format!("{} − {}", e.name, first.name)).collect();
    let _ = writeln!(s, "| measurement | {} | {} |", names.join(" | "), diffs.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(names.len() + diffs.len()));
    for k in 0..rows {
        let Some(m) = r.engines.iter().find_map(|e| e.measures.get(k)) else { continue };
        let cells: Vec<String> = r.engines.iter().map(|e| measure_cell(e.measures.get(k))).collect();
        let deltas: Vec<String> =
            others.iter().map(|e| difference(first.measures.get(k), e.measures.get(k))).collect();
        let _ = writeln!(s, "| `{}` | {} | {} |", m.name, cells.join(" | "), deltas.join(" | "));
    }
    for e in &r.engines {
        for (m, note) in e.measures.iter().filter_map(|m| m.note.as_ref().map(|n| (m, n))) {
            let _ = writeln!(s, "\n- `{}` on `{}`: {note}", m.name, e.name);
        }
    }
}

/// A measurement's value with its unit, or why it failed.
fn measure_cell(m: Option<&MeasureResult>) -> String {
    match m {
        Some(MeasureResult { value: Some(v), unit, .. }) => si(*v, unit),
        Some(MeasureResult { error: Some(e), .. }) => format!("failed: {e}"),
        Some(_) => "failed".into(),
        None => "n/a".into(),
    }
}

/// `b - a` with its unit and relative to `|a|`.
fn difference(a: Option<&MeasureResult>, b: Option<&MeasureResult>) -> String {
    match (a.and_then(|m| m.value.map(|v| (v, &m.unit))), b.and_then(|m| m.value)) {
        (Some((a, unit)), Some(b)) if a != 0.0 => {
            format!("{} ({} relative)", si(b - a, unit), num((b - a) / a.abs()))
        }
        (Some((a, unit)), Some(b)) => si(b - a, unit),
        _ => "n/a".into(),
    }
}

/// Each engine's refinements (the native engine's confirmation, ngspice's
/// refinement when it disagreed, `--converged`'s halving) with how far they
/// moved the events, as Markdown. A refinement that did not run is listed
/// with why.
pub fn convergence(c: &[Convergence]) -> String {
    if c.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Convergence (each refinement and how far it moved the events)\n\n");
    let _ = writeln!(
        s,
        "| engine | refinement | signal | events | refined events | max shift | max shift / local interval | max shift / allowed dt |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for e in c {
        if e.signals.is_empty() {
            let _ = writeln!(s, "| {} | {} | - | - | - | - | - | - |", e.engine, e.refinement);
        }
        for sig in &e.signals {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                e.engine,
                e.refinement,
                sig.signal,
                sig.count,
                sig.refined_count,
                sig.max_shift_s.map_or_else(|| "-".into(), secs),
                sig.max_shift_rel.map_or_else(|| "-".into(), num),
                sig.max_shift_s.zip(sig.allowed_s).map_or_else(|| "-".into(), |(d, l)| num(d / l)),
            );
        }
    }
    s
}
