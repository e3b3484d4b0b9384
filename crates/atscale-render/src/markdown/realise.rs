//! The realisation's report in Markdown: scales, blocks, every device and
//! the ngspice evidence.

use std::fmt::Write as _;

use atscale_design::realise::{DeviceKind, Realisation};
use atscale_explore::realise::Evidence;

use crate::axis::{num, si};

fn opt(x: Option<f64>, unit: &str) -> String {
    x.map_or_else(|| "none".to_string(), |x| si(x, unit))
}

/// The sizing report and the evidence as Markdown.
pub fn markdown(r: &Realisation, evidence: Option<&Evidence>) -> String {
    let s = &r.scales;
    let mut o = String::new();
    let _ = writeln!(o, "# Realisation of {} in {}\n", r.template, r.technology);
    let _ = writeln!(
        o,
        "{}, {} °C, bias scale {}\n",
        s.describe(),
        num(r.temperature_c),
        num(r.options.bias_scale)
    );
    let _ = writeln!(o, "## Blocks\n");
    for b in &r.blocks {
        let _ = writeln!(o, "- {}: {} — {}", b.element, b.block, b.realises);
    }
    let _ = writeln!(o, "\n## Devices ({})\n", r.devices.len());
    let _ = writeln!(o, "| device | kind | element | role | W | L | current | value | inversion | region |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for d in &r.devices {
        let value = match d.kind {
            DeviceKind::Capacitor => opt(d.value, "F"),
            DeviceKind::VoltageSource => opt(d.value, "V"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            d.name,
            d.kind,
            d.element,
            d.role,
            d.w_m.map_or(String::new(), |x| si(x, "m")),
            d.l_m.map_or(String::new(), |x| si(x, "m")),
            d.current_a.map_or(String::new(), |x| si(x, "A")),
            value,
            d.inversion.map_or(String::new(), num),
            d.region.clone().unwrap_or_default()
        );
    }
    if let Some(e) = evidence {
        let _ = writeln!(o, "\n## Evidence ({})\n", e.ngspice);
        let n = &e.nominal;
        let _ = writeln!(o, "- transistor circuit: {} spikes, rate {}, {} spikes per burst, burst period {} (ngspice wall {})",
            n.events_s.len(), opt(n.rate_hz, "Hz"), n.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
            opt(n.burst_period_s, "s"), si(n.wall_s, "s"));
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
        if let Some(m) = e.mirror_error {
            let _ = writeln!(
                o,
                "- bias mirrors: one reference current, widths sized on the mirror bank in ngspice; largest \
                 mirror current error {:.3} %",
                100.0 * m
            );
        }
        if let Some(t) = &e.trim {
            let _ = writeln!(
                o,
                "- membrane trim: {} into the membrane (at the design's knee, {} model V, the transistor \
                 circuit draws {} in steady state, the design {}; measured in {})",
                si(t.trim_a, "A"),
                num(t.knee_model_v),
                si(t.transistor_a, "A"),
                si(t.design_a, "A"),
                si(t.wall_s, "s")
            );
        }
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
    }
    o
}
