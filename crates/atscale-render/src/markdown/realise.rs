//! The realisation's report in Markdown: scales, blocks, every device and
//! the evidence from the technology's simulator (ngspice or VACASK).

use std::fmt::Write as _;

use atscale_design::realise::characterise::PAIR_INVERSION;
use atscale_design::realise::mapping::Ladder;
use atscale_design::realise::{DeviceKind, Realisation};
use atscale_explore::characterise::Characterisation;
use atscale_explore::realise::{CornerRun, Evidence, Headroom, MonteCarlo, Trim};
use atscale_explore::sweep::summary::stats;

use crate::axis::{num, si};

/// A mirror bank's error above which the report says the mirrors miss
/// their currents (the bank's correction reaches 0.3 % where it works).
const MIRROR_ERROR_WARN: f64 = 0.01;

fn opt(x: Option<f64>, unit: &str) -> String {
    x.map_or_else(|| "none".to_string(), |x| si(x, unit))
}

/// The sizing report and the evidence as Markdown.
pub fn markdown(r: &Realisation, evidence: Option<&Evidence>) -> String {
    let s = &r.scales;
    let mut o = String::new();
    let _ = writeln!(o, "# Realisation of {} in {}\n", r.template, r.technology);
    // The followers as built, where the design has followers (above
    // threshold one pair each, whatever was asked).
    let has = |kind: &str| r.blocks.iter().any(|b| b.block.starts_with(kind));
    let followers = if has("linearised follower-integrator") {
        ", linearised followers"
    } else if has("wide-linear-range follower-integrator") {
        ", offset-pairs followers"
    } else if has("follower-integrator") {
        ", one-pair followers"
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "{}, {} °C, bias scale {}, {} amplifiers{followers}\n",
        s.describe(),
        num(r.temperature_c),
        num(r.options.bias_scale),
        r.options.amplifier.name()
    );
    for w in &r.warnings {
        let _ = writeln!(o, "**Warning:** {w}.\n");
    }
    let _ = writeln!(o, "## Blocks\n");
    for b in &r.blocks {
        let _ = writeln!(o, "- {}: {} — {}", b.element, b.block, b.realises);
    }
    o.push_str(&devices(r));
    if let Some(l) = &r.ladder {
        o.push_str(&ladder(l, s.s_volt));
    }
    if let Some(e) = evidence {
        let _ = writeln!(o, "\n## Evidence ({})\n", e.simulator);
        o.push_str(&runs(e));
        o.push_str(&calibration(e));
        o.push_str(&corners(&e.corners));
        if let Some(mc) = &e.monte_carlo {
            o.push_str(&monte_carlo(mc));
        }
    }
    o
}

/// The devices table, with W, L, current, value and inversion in their units.
fn devices(r: &Realisation) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n## Devices ({})\n", r.devices.len());
    let _ = writeln!(o, "| device | kind | element | role | W | L | current | value | inversion | region |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for d in &r.devices {
        let value = match d.kind {
            DeviceKind::Capacitor => opt(d.value, "F"),
            DeviceKind::VoltageSource => opt(d.value, "V"),
            DeviceKind::Resistor => opt(d.value, "Ω"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            d.name,
            d.kind,
            d.element,
            d.role,
            d.w_m.map_or(String::new(), |x| match d.fingers {
                Some(m) => format!("{m} × {}", si(x, "m")),
                None => si(x, "m"),
            }),
            d.l_m.map_or(String::new(), |x| si(x, "m")),
            d.current_a.map_or(String::new(), |x| si(x, "A")),
            value,
            d.inversion.map_or(String::new(), num),
            d.region.clone().unwrap_or_default()
        );
    }
    o
}

/// The evidence's runs: the transistor circuit, the behavioural design, the
/// ideal model, the mirrors, the membrane's stray capacitance and trim.
fn runs(e: &Evidence) -> String {
    let mut o = String::new();
    let n = &e.nominal;
    let _ = writeln!(
        o,
        "- transistor circuit: {} spikes, rate {}, {} spikes per burst, burst period {}, supply energy per \
         spike {} (simulator wall {})",
        n.events_s.len(),
        opt(n.rate_hz, "Hz"),
        n.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
        opt(n.burst_period_s, "s"),
        opt(n.energy_per_spike_j, "J"),
        si(n.wall_s, "s")
    );
    let _ = writeln!(
        o,
        "- behavioural design: rate {}, bursts {}",
        opt(e.design_rate_hz, "Hz"),
        e.design_bursts.map_or("-".into(), |(k, p)| format!("{k} spikes per {}", si(p, "s")))
    );
    let _ = writeln!(
        o,
        "- ideal model of the realisation: rate {}, {} spikes per burst, burst period {}",
        opt(e.ideal.rate_hz, "Hz"),
        e.ideal.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
        opt(e.ideal.burst_period_s, "s")
    );
    if let Some(b) = &e.ideal_blocks {
        let m = &b.measured;
        let _ = writeln!(
            o,
            "- transistor circuit with the blocks of {} replaced by their ideal model (`--ideal-blocks`, {}): {} \
             spikes, rate {}, {} spikes per burst, burst period {}{}",
            b.elements.join(", "),
            atscale_explore::realise::IDEAL_BLOCKS_NETLIST,
            m.events_s.len(),
            opt(m.rate_hz, "Hz"),
            m.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
            opt(m.burst_period_s, "s"),
            if e.stray.is_some() {
                "; the membrane capacitor stays reduced by the strays the compensation measured, the replaced \
                 blocks' among them"
            } else {
                ""
            }
        );
    }
    if let Some(m) = e.mirror_error {
        let _ = writeln!(
            o,
            "- bias mirrors: one reference current; fingers and lengths (widths where the technology \
             draws no fingers) sized on the mirror bank in the simulator; largest mirror current error {:.3} %{}",
            100.0 * m,
            if m > MIRROR_ERROR_WARN {
                "; **the mirrors do not carry the design's currents** (a multiplier the device does not \
                 pass on, a length beyond the models' range?)"
            } else {
                ""
            }
        );
    }
    if let Some(st) = &e.stray {
        let _ = writeln!(
            o,
            "- membrane stray capacitance: {} of the transistors on the membrane at rest (a {} sine of {} \
             in the simulator, {}), taken off the membrane capacitor: {} of {} (conductance at rest {})",
            si(st.capacitance_f, "F"),
            si(atscale_explore::strays::AMPLITUDE_V, "V"),
            si(st.frequency_hz, "Hz"),
            si(st.wall_s, "s"),
            si(st.membrane_f - st.capacitance_f, "F"),
            si(st.membrane_f, "F"),
            si(st.conductance_s, "S")
        );
    }
    if !e.follower_offsets.is_empty() {
        let list: Vec<String> = e
            .follower_offsets
            .iter()
            .map(|f| format!("{} {} at {}", f.element, si(f.offset_v, "V"), si(f.membrane_v, "V")))
            .collect();
        let _ = writeln!(
            o,
            "- linearised followers' offsets x - v, measured at the operating point with the membrane held \
             at each output pair's reference (in {} of simulator runs): {}; each output pair's reference moved by its \
             follower's",
            si(follower_runs_wall(&e.follower_offsets), "s"),
            list.join(", ")
        );
    }
    if let Some(t) = &e.trim {
        let _ = writeln!(o, "- membrane trim: {} into the membrane ({})", si(t.trim_a, "A"), knee(t));
    }
    if let Some(t) = &e.static_error {
        let _ = writeln!(
            o,
            "- static current error, not trimmed: {} into the membrane ({}; `--trim` cancels it there)",
            si(-t.trim_a, "A"),
            knee(t)
        );
    }
    if let Some(t) = e.trim.as_ref().or(e.static_error.as_ref()) {
        let _ = writeln!(o, "{}", headroom(&t.headroom));
    }
    if let Some(x) = &e.sensitivity {
        let change = |d: Option<f64>| d.map_or("no period".into(), |d| format!("{:+.2} %", 100.0 * d));
        let _ = writeln!(
            o,
            "- sensitivity of the ideal model's {} to a DC current into the membrane: {} with {} ({} model \
             units), {} with {}",
            x.metric,
            change(x.plus),
            si(x.step_a, "A"),
            num(x.step_model),
            change(x.minus),
            si(-x.step_a, "A")
        );
    }
    o
}

/// Where and how the static current error at the design's knee was measured.
fn knee(t: &Trim) -> String {
    format!(
        "at the design's knee, {} model V, the transistor circuit draws {} in steady state, the design {}; \
         measured in {}",
        num(t.knee_model_v),
        si(t.transistor_a, "A"),
        si(t.design_a, "A"),
        si(t.wall_s, "s")
    )
}

/// The time-scale calibration and the bias sweep.
fn calibration(e: &Evidence) -> String {
    let mut o = String::new();
    let n = &e.nominal;
    let what = if e.design_bursts.is_some() {
        format!(
            "transistor mean intra-burst interval {} / behavioural {}",
            opt(n.intra_burst_interval_s, "s"),
            opt(e.design_intra_burst_interval_s, "s")
        )
    } else {
        "transistor period / behavioural period".to_string()
    };
    let _ = writeln!(
        o,
        "- time-scale calibration factor ({what}): {}",
        e.calibration_factor.map_or("none".into(), num)
    );
    if e.design_bursts.is_some() {
        let _ = writeln!(
            o,
            "  - after calibration: burst period {} from the design's; spikes per burst {} from the design's",
            e.calibrated_period_deviation.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d)),
            e.spikes_per_burst_deviation.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d))
        );
    }
    let _ = writeln!(
        o,
        "  - explained by the blocks' nonlinearity (ideal model / behavioural): {}",
        e.calibration_ideal_model.map_or("none".into(), num)
    );
    let _ = writeln!(
        o,
        "  - transistor circuit against the ideal model's prediction (no fit): {}",
        e.deviation_from_ideal.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d))
    );
    if !e.sweep.is_empty() {
        let what =
            if e.mirror_error.is_some() { "the mirrors' reference current" } else { "all bias currents" };
        let _ = writeln!(o, "- bias sweep ({what} x scale; theory: rate ∝ scale, slope 1):");
        for m in &e.sweep {
            let _ = writeln!(
                o,
                "  - scale {}: rate {} (period {})",
                num(m.bias_scale),
                opt(m.period_s().map(|p| 1.0 / p), "Hz"),
                opt(m.period_s(), "s")
            );
        }
        let _ = writeln!(
            o,
            "  - fitted log-log slope {}; largest deviation from rate(1) x scale {}",
            e.sweep_slope.map_or("none".into(), num),
            e.sweep_max_deviation.map_or("none".into(), |d| format!("{:.2} %", 100.0 * d))
        );
    }
    o
}

/// The on-chip reference ladder: string, area, supply current and each tap's error.
fn ladder(l: &Ladder, s_volt: f64) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n## Reference ladder\n");
    let device = match &l.subckt {
        Some(sub) => format!("instances of the technology's `{}`", sub.name),
        None if l.area_m2.is_some() => "ideal R elements sized from the technology's [resistor] table".into(),
        None => "ideal R elements".into(),
    };
    let area = match l.area_m2 {
        Some(a) => format!("drawn resistor area {} µm² ({} mm²)", num(a * 1e12), num(a * 1e6)),
        None => "area unknown (the technology has no [resistor] table: ideal resistors)".into(),
    };
    let _ = writeln!(
        o,
        "One resistor string from vdd to ground, {} segments ({device}); string current {}, total \
         resistance {}, {area}; the supply Vdd delivers {} to it (counted in the energy per spike). \
         One model volt is {}.\n",
        l.segments.len(),
        si(l.string_current_a, "A"),
        si(l.total_ohm, "Ω"),
        si(l.supply_current_a, "A"),
        si(s_volt, "V")
    );
    if l.subckt.is_some() {
        let _ = writeln!(
            o,
            "Resistances and tap voltages follow the technology's [resistor] table (`end_ohm` plus the \
             sheet resistance times the squares); the netlist instantiates the PDK's resistor, whose \
             model the table must match (the built-in sky130's is measured on it).\n"
        );
    }
    let _ = writeln!(o, "| tap | reference | target | at DC | error | error (model V) |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for t in &l.taps {
        let _ = writeln!(
            o,
            "| {} | {} model V | {} | {} | {} | {:.3e} |",
            t.node,
            num(t.offset_model_v),
            si(t.target_v, "V"),
            si(t.realised_v, "V"),
            si(t.error_v, "V"),
            t.error_model_v
        );
    }
    o
}

/// An error as one table cell: its first line, without `|`.
fn cell(e: &Option<String>) -> String {
    e.as_deref().and_then(|e| e.lines().next()).unwrap_or("unknown").replace('|', "/")
}

/// The corner and temperature runs as a table.
fn corners(runs: &[CornerRun]) -> String {
    let mut o = String::new();
    if runs.is_empty() {
        return o;
    }
    let _ = writeln!(o, "\n## Corners and temperatures\n");
    let _ =
        writeln!(o, "| section | temperature | rate | spikes per burst | burst period | energy per spike |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for c in runs {
        let section = c.section.as_deref().unwrap_or("(cards)");
        match (&c.measured, &c.error) {
            (Some(m), _) => {
                let _ = writeln!(
                    o,
                    "| {section} | {} °C | {} | {} | {} | {} |",
                    num(c.temperature_c),
                    opt(m.rate_hz, "Hz"),
                    m.spikes_per_burst.map_or("-".into(), |n| n.to_string()),
                    opt(m.burst_period_s, "s"),
                    opt(m.energy_per_spike_j, "J")
                );
            }
            (None, e) => {
                let _ =
                    writeln!(o, "| {section} | {} °C | failed: {} | | | |", num(c.temperature_c), cell(e));
            }
        }
    }
    o
}

/// The section on a technology's measured subthreshold parameters.
pub fn characterisation(c: &Characterisation) -> String {
    let m = &c.measured;
    let mut o = String::new();
    let how = if c.from_cache {
        "from the cache".to_string()
    } else {
        format!("measured now in {}", si(c.wall_s, "s"))
    };
    let _ = writeln!(o, "\n## Subthreshold parameters of {} (measured on its models)\n", c.technology);
    let _ = writeln!(
        o,
        "{}, {how}; one-square devices W = L = {}, |V_DS| = {}, U_T = {}.\n",
        c.simulator,
        si(m.square_m, "m"),
        si(m.vds_v, "V"),
        si(m.thermal_voltage_v, "V")
    );
    let _ = writeln!(o, "| device | kappa | swing | specific current per square |");
    let _ = writeln!(o, "|---|---|---|---|");
    for (dev, k, sw, is) in [
        ("NMOS", m.kappa_n, m.swing_n_v, m.specific_current_n_a),
        ("PMOS", m.kappa_p, m.swing_p_v, m.specific_current_p_a),
    ] {
        let _ = writeln!(o, "| {dev} | {} | {}/decade | {} |", num(k), si(sw, "V"), si(is, "A"));
    }
    let _ = writeln!(
        o,
        "\nInput pairs: kappa {} (NMOS with its source at {} above its bulk, where it carries {} of its \
         specific current with its gate at half the supply: the pairs' common source; the model volt \
         2 U_T / kappa is {}).",
        num(m.kappa_pair),
        si(m.pair_source_v, "V"),
        num(PAIR_INVERSION),
        si(m.subthreshold().model_volt(), "V")
    );
    let _ = writeln!(o, "\nOffset length factor {}.", num(m.offset_length_factor));
    if m.offset_length_at_longest {
        let _ = writeln!(
            o,
            "No length up to the technology's longest, nor a stack of such devices in series, carries \
             e^-3 of the one-square current at the pairs' source: the factor is the longest stack's, and \
             a pair offset of 1.5 model V needs a device longer than atscale draws."
        );
    }
    o
}

/// The report line of the headroom check at the knee.
fn headroom(h: &Headroom) -> String {
    let limit = si(h.limit_v, "V");
    if h.out_of_saturation.is_empty() {
        return format!(
            "- headroom at the knee: all {} transistors in saturation (|V_DS| at least {limit})",
            h.transistors
        );
    }
    let shown: Vec<String> =
        h.out_of_saturation.iter().take(5).map(|(name, v)| format!("{name} {}", si(*v, "V"))).collect();
    let more = h.out_of_saturation.len().saturating_sub(shown.len());
    format!(
        "- **headroom at the knee: {} of {} transistors out of saturation** (|V_DS| below {limit}: {}{}); \
         the circuit does not follow its ideal model there: the amplifier topology or the references do not \
         fit the supply",
        h.out_of_saturation.len(),
        h.transistors,
        shown.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    )
}

/// The Monte Carlo runs: the spread of the rate (or burst period) and energy, each seed.
fn monte_carlo(mc: &MonteCarlo) -> String {
    let mut o = String::new();
    let (what, values) = mc.values();
    let unit = if what == "rate" { "Hz" } else { "s" };
    let _ = writeln!(o, "\n## Monte Carlo ({} runs on section `{}`)\n", mc.runs.len(), mc.section);
    if let Some(d) = &mc.drawn {
        let _ = writeln!(o, "Drawn by atscale (the simulator has no random functions), seed by seed: {d}.\n");
    }
    let some: Vec<Option<f64>> = values.iter().map(|v| Some(*v)).collect();
    match stats(what, unit, &some) {
        Some(s) => {
            let _ = writeln!(
                o,
                "{what}: mean {}, std {} ({:.2} % of the mean), min {}, max {}; {} of {} runs have one \
                 (histogram: monte-carlo.png)\n",
                si(s.mean, unit),
                si(s.std, unit),
                100.0 * s.std / s.mean.abs(),
                si(s.min, unit),
                si(s.max, unit),
                s.count,
                mc.runs.len()
            );
        }
        None => {
            let _ = writeln!(o, "no run has a {what} (no histogram)\n");
        }
    }
    let _ = writeln!(o, "| seed | rate | spikes per burst | burst period | energy per spike |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for run in &mc.runs {
        match &run.measured {
            Some(m) => {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    run.seed,
                    opt(m.rate_hz, "Hz"),
                    m.spikes_per_burst.map_or("-".into(), |n| n.to_string()),
                    opt(m.burst_period_s, "s"),
                    opt(m.energy_per_spike_j, "J")
                );
            }
            None => {
                let _ = writeln!(o, "| {} | failed: {} | | | |", run.seed, cell(&run.error));
            }
        }
    }
    o
}

/// The simulator's wall time of the follower-offset runs, s: one run per
/// membrane voltage held, shared by the followers measured in it.
fn follower_runs_wall(offsets: &[atscale_explore::followers::FollowerOffset]) -> f64 {
    let mut runs: Vec<(f64, f64)> = offsets.iter().map(|f| (f.membrane_v, f.wall_s)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs.dedup_by(|a, b| a.0 == b.0);
    runs.iter().map(|r| r.1).sum()
}
