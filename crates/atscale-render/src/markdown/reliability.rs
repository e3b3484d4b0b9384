//! The reliability experiment's report: Markdown, the terminal summary and
//! the rasters.

use std::fmt::Write as _;

use atscale_design::reliability::{Case, CaseResult, Reliability};

use crate::axis::{num, quantity};
use crate::error::Result;
use crate::figure::{Format, Rendered};
use crate::plots::verify::{rasters, RasterCase};

/// A case's name.
pub fn case_title(c: &CaseResult) -> &'static str {
    match c.case {
        Case::FrozenNoise => "frozen noise",
        Case::Constant => "constant current",
    }
}

fn precision(c: &CaseResult, unit: &str) -> String {
    c.stats.precision.map_or_else(|| "none (no events)".to_string(), |p| quantity(p, unit))
}

/// The rasters and PSTHs of both cases, events shaded, spikes before `settle_time` grey.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn raster(r: &Reliability, format: Format) -> Result<Rendered> {
    let cases = [&r.frozen, &r.constant];
    let windows: Vec<Vec<(f64, f64)>> =
        cases.iter().map(|c| c.stats.events.iter().map(|e| (e.start, e.end)).collect()).collect();
    let titles: Vec<String> = cases
        .iter()
        .map(|c| {
            format!(
                "{}: reliability {}, precision {}",
                case_title(c),
                num(c.stats.reliability),
                precision(c, &r.time_unit)
            )
        })
        .collect();
    let panels: Vec<RasterCase<'_>> = cases
        .iter()
        .zip(titles.iter().zip(&windows))
        .map(|(c, (title, events))| RasterCase {
            title,
            trains: &c.spike_times,
            psth_start: c.stats.psth.start,
            bin_width: c.stats.psth.bin_width,
            psth_rate: &c.stats.psth.rate,
            events,
        })
        .collect();
    rasters(&panels, r.spec.duration, r.spec.settle_time, &r.time_unit, format)
}

/// The report as Markdown; `spec` names the experiment's file.
pub fn markdown(r: &Reliability, spec: &str) -> String {
    let s = &r.spec;
    let u = r.time_unit.as_str();
    let t = |x: f64| quantity(x, u);
    let mut m = String::new();
    let _ = writeln!(m, "# Reliability experiment\n");
    let _ = writeln!(
        m,
        "From `{spec}`: template `{}`, seed {}, {} trials per case. Currents in model current units.\n",
        s.template, s.seed, s.trials
    );
    let _ = writeln!(
        m,
        "**Verdict: {}.** Criterion: {}.\n",
        if r.passed { "the frozen-noise case is reliable and the constant case is not" } else { "FAILED" },
        r.criterion
    );
    let _ = writeln!(m, "| | frozen noise | constant current |");
    let _ = writeln!(m, "|---|---|---|");
    let (f, c) = (&r.frozen, &r.constant);
    let mut row = |name: &str, a: String, b: String| {
        let _ = writeln!(m, "| {name} | {a} | {b} |");
    };
    row("reliability (fraction of spikes in events)", num(f.stats.reliability), num(c.stats.reliability));
    row("precision", precision(f, u), precision(c, u));
    row("events", f.stats.events.len().to_string(), c.stats.events.len().to_string());
    row("spikes analysed (all trials)", f.stats.spikes.to_string(), c.stats.spikes.to_string());
    row("spikes in events", f.stats.spikes_in_events.to_string(), c.stats.spikes_in_events.to_string());
    let per = if u == "s" { "s".to_string() } else { u.trim_end_matches('s').to_string() };
    row(&format!("mean rate (spikes per trial per {per})"), num(f.stats.mean_rate), num(c.stats.mean_rate));
    let _ = writeln!(m, "\n## Parameters\n");
    let params: [(&str, String); 12] = [
        ("mean_current (model current units)", num(s.mean_current)),
        ("noise_std, frozen noise (model current units)", num(s.noise_std)),
        ("correlation_time", t(s.correlation_time)),
        ("PWL grid step", t(s.grid_step())),
        ("trial_noise_std, private noise (model current units)", num(s.trial_noise_std)),
        ("random_initial_states", s.random_initial_states.to_string()),
        ("duration", t(s.duration)),
        ("settle_time", t(s.settle_time)),
        ("bin_width", t(s.bin_width)),
        (
            "event_fraction (least fraction of trials firing in an event bin)",
            format!("{} (at least {} spikes per bin)", num(s.event_fraction), f.stats.event_min_count),
        ),
        (
            "spike threshold / hysteresis (model voltage units)",
            format!("{} / {}", num(s.spike_threshold), num(s.spike_hysteresis)),
        ),
        ("seed", s.seed.to_string()),
    ];
    for (k, v) in params {
        let _ = writeln!(m, "- {k}: {v}");
    }
    let _ = writeln!(
        m,
        "\n## Definitions\n\n\
         The PSTH counts the spikes of all trials in bins of `bin_width` over the window from `settle_time` \
         to `duration`, divided by trials × bin width. An event is a run of consecutive bins each holding at \
         least max(2, ceil(event_fraction × trials)) spikes. Reliability is the fraction of the analysed \
         spikes that fall in events (Mainen & Sejnowski 1995); precision is the mean over events of the \
         (population) standard deviation of the spike times in the event.\n\n\
         Files: `raster.png` (rasters and PSTHs, events shaded, spikes before `settle_time` in grey), \
         `report.json` (everything, with spike times), `frozen_trial0.cir` and `constant_trial0.cir` (trial 0 \
         of each case for ngspice)."
    );
    m
}

/// The terminal summary; `dir` is where the files went, `files` their names.
pub fn summary(r: &Reliability, dir: &str, files: &[&str]) -> String {
    let mut s = String::new();
    let u = r.time_unit.as_str();
    let _ = writeln!(
        s,
        "reliability experiment: {} trials per case, seed {}, template {}",
        r.spec.trials, r.spec.seed, r.spec.template
    );
    let per = if u == "s" { "s".to_string() } else { u.trim_end_matches('s').to_string() };
    for c in [&r.frozen, &r.constant] {
        let _ = writeln!(
            s,
            "{:17} reliability {}, precision {}, {} events, {} spikes ({} in events), mean rate {} spikes per \
             trial per {per}",
            format!("{}:", case_title(c)),
            num(c.stats.reliability),
            precision(c, u),
            c.stats.events.len(),
            c.stats.spikes,
            c.stats.spikes_in_events,
            num(c.stats.mean_rate),
        );
    }
    let _ = writeln!(s, "{}: {}", if r.passed { "PASS" } else { "FAIL" }, r.criterion);
    let _ = writeln!(s, "wrote {dir}/{{{}}}", files.join(", "));
    s
}
