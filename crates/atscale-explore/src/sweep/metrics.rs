//! What a sweep measures on each point's simulation.
//!
//! All metrics come from the spike events of the membrane (rising crossings
//! of the design's threshold with hysteresis) and, for the energy, from the
//! power delivered by the independent sources:
//!
//! - `spike_count`: events in the run.
//! - `firing_rate` (Hz): the inverse of the mean inter-spike interval after
//!   the first two spikes ([`atscale_design::spikes::spike_period`]; at least five spikes).
//! - `spikes_per_burst`, `burst_period` (s): the settled burst count and
//!   period ([`atscale_design::spikes::bursts`]).
//! - `first_spike_latency` (s): the time of the first spike.
//! - `threshold_current` (A): the smallest DC step that removes the rest
//!   state in the fine-scale landscape (excitable circuits).
//! - `landscape_class`: the behaviour the energy landscapes imply.
//! - `energy_per_spike` (J): the energy the independent sources deliver
//!   between the third and the last spike, divided by the spikes in between
//!   (whole periods of the settled train). A realisation's points
//!   (`[realise]`, [`super::realised`]) record instead the energy the supply
//!   delivers per spike, as `atscale realise` reports it.
//! - `activity`: what the simulation shows: `silent` (no spike),
//!   `transient` (fewer than five), `tonic` or `bursting`.

use atscale_circuit::{FlatCircuit, TranTiming};
use atscale_sim::SimResult;

use atscale_design::energy::{account, EnergyAccount};
use atscale_design::landscape::{classify, linspace, Behaviour, Classification};
use atscale_design::spec::{behaviour_name, threshold_current};
use atscale_design::spikes::{activity, burst_count, bursts, spike_period};

/// A quantity recorded per sweep point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Number of spikes.
    SpikeCount,
    /// Settled firing rate, Hz.
    FiringRate,
    /// Settled spikes per burst.
    SpikesPerBurst,
    /// Settled burst period, s.
    BurstPeriod,
    /// Time of the first spike, s.
    FirstSpikeLatency,
    /// Fine-scale threshold current, A.
    ThresholdCurrent,
    /// Landscape behaviour class.
    LandscapeClass,
    /// Energy delivered by the sources per spike, J.
    EnergyPerSpike,
    /// Observed activity class.
    Activity,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 9] = [
        Metric::SpikeCount,
        Metric::FiringRate,
        Metric::SpikesPerBurst,
        Metric::BurstPeriod,
        Metric::FirstSpikeLatency,
        Metric::ThresholdCurrent,
        Metric::LandscapeClass,
        Metric::EnergyPerSpike,
        Metric::Activity,
    ];

    /// The name in sweep files and column headers.
    pub fn name(self) -> &'static str {
        match self {
            Metric::SpikeCount => "spike_count",
            Metric::FiringRate => "firing_rate",
            Metric::SpikesPerBurst => "spikes_per_burst",
            Metric::BurstPeriod => "burst_period",
            Metric::FirstSpikeLatency => "first_spike_latency",
            Metric::ThresholdCurrent => "threshold_current",
            Metric::LandscapeClass => "landscape_class",
            Metric::EnergyPerSpike => "energy_per_spike",
            Metric::Activity => "activity",
        }
    }

    /// The unit of its values (`1` for counts, `class` for categories).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::SpikeCount | Metric::SpikesPerBurst => "1",
            Metric::FiringRate => "Hz",
            Metric::BurstPeriod | Metric::FirstSpikeLatency => "s",
            Metric::ThresholdCurrent => "A",
            Metric::EnergyPerSpike => "J",
            Metric::LandscapeClass | Metric::Activity => "class",
        }
    }

    /// Whether the values are categories rather than numbers.
    pub fn is_class(self) -> bool {
        matches!(self, Metric::LandscapeClass | Metric::Activity)
    }

    /// Whether it needs the landscape analysis.
    pub fn needs_landscape(self) -> bool {
        matches!(self, Metric::ThresholdCurrent | Metric::LandscapeClass)
    }

    /// The metric of a name.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name.trim())
    }
}

/// One metric's value at a point.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not defined there (no spike for a latency, no burst for a burst period, ...).
    None,
    /// A number in the metric's unit.
    Number(f64),
    /// A class name.
    Class(String),
}

impl Value {
    /// The CSV cell: empty, the shortest round-trip number, or the class.
    pub fn cell(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Number(x) => format!("{x:?}"),
            Value::Class(c) => c.clone(),
        }
    }
}

/// The value of a sampled function at `x` (linear interpolation, held
/// constant beyond the ends).
pub fn interpolate(t: &[f64], y: &[f64], x: f64) -> f64 {
    match t.iter().position(|&ti| ti >= x) {
        Some(0) => y[0],
        Some(k) => {
            let w = (x - t[k - 1]) / (t[k] - t[k - 1]);
            y[k - 1] + w * (y[k] - y[k - 1])
        }
        None => y[y.len() - 1],
    }
}

/// Energy per spike, J: over the settled train (from the third to the last
/// spike), the energy dissipated by the lossy elements (each element whose
/// net dissipation over that window is positive) divided by the spikes in
/// the window. In a periodic steady state this is the energy the sources
/// and the negative conductances must supply per spike. `None` with fewer
/// than four spikes.
pub fn energy_per_spike(events: &[f64], account: &EnergyAccount) -> Option<f64> {
    if events.len() < 4 || account.time_s.len() < 2 {
        return None;
    }
    let (a, b) = (events[2], events[events.len() - 1]);
    let t = &account.time_s;
    let lossy: f64 = account
        .dissipation
        .iter()
        .map(|d| (interpolate(t, &d.values_j, b) - interpolate(t, &d.values_j, a)).max(0.0))
        .sum();
    Some(lossy / (events.len() - 3) as f64)
}

/// What a point needs to compute its metrics.
pub struct Context<'a> {
    /// The point's circuit.
    pub circuit: &'a FlatCircuit,
    /// The membrane node.
    pub membrane: &'a str,
    /// Voltage grid of the landscape analysis, V.
    pub v_range: (f64, f64),
    /// Waveform timing (print step and stop time).
    pub timing: TranTiming,
}

/// The metrics of one simulated point.
///
/// # Errors
///
/// The landscape analysis' error when a landscape metric is asked of a
/// circuit it cannot read.
pub fn measure(metrics: &[Metric], cx: &Context<'_>, result: &SimResult) -> crate::Result<Vec<Value>> {
    let events = result.event_times(cx.membrane);
    let class = if metrics.iter().any(|m| m.needs_landscape()) {
        Some(classify(cx.circuit, cx.membrane, &linspace(cx.v_range.0, cx.v_range.1, 601))?)
    } else {
        None
    };
    let energy = if metrics.contains(&Metric::EnergyPerSpike) && events.len() >= 4 {
        Some(account(cx.circuit, result, cx.timing)?)
    } else {
        None
    };
    let energy_j = energy.as_ref().and_then(|a| energy_per_spike(&events, a));
    Ok(values(metrics, &events, class.as_ref(), energy_j))
}

/// The metrics of a spike train: `events` (s), the landscape's
/// classification (`None`: the landscape metrics have no value) and the
/// energy per spike, J, as the base measures it.
pub fn values(
    metrics: &[Metric],
    events: &[f64],
    class: Option<&Classification>,
    energy_j: Option<f64>,
) -> Vec<Value> {
    let burst = bursts(events).and_then(|(c, p)| burst_count(&c).map(|n| (n, p)));
    let num = |x: Option<f64>| x.map_or(Value::None, Value::Number);
    metrics
        .iter()
        .map(|m| match m {
            Metric::SpikeCount => Value::Number(events.len() as f64),
            Metric::FiringRate => num(spike_period(events).map(|p| 1.0 / p)),
            Metric::SpikesPerBurst => num(burst.map(|b| f64::from(b.0))),
            Metric::BurstPeriod => num(burst.map(|b| b.1)),
            Metric::FirstSpikeLatency => num(events.first().copied()),
            Metric::ThresholdCurrent => {
                num(class.filter(|c| c.behaviour == Behaviour::Excitable).and_then(threshold_current))
            }
            Metric::LandscapeClass => {
                class.map_or(Value::None, |c| Value::Class(behaviour_name(c.behaviour).into()))
            }
            Metric::EnergyPerSpike => num(energy_j),
            Metric::Activity => Value::Class(activity(events).into()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use atscale_circuit::{ElementKind, Waveform};
    use atscale_design::energy::EnergyTerm;

    #[test]
    fn energy_per_spike_counts_only_lossy_elements() {
        let time: Vec<f64> = (0..=100).map(|k| k as f64 * 0.1).collect();
        // A resistor dissipating 2 W and a negative conductance supplying 1.5 W.
        let term = |name: &str, p: f64| EnergyTerm {
            element: name.into(),
            values_j: time.iter().map(|t| p * t).collect(),
        };
        let acc = EnergyAccount {
            time_s: time.clone(),
            stored_j: vec![0.0; time.len()],
            storage: vec![],
            dissipated_j: vec![0.0; time.len()],
            dissipation: vec![term("R1", 2.0), term("Rneg", -1.5)],
            supplied_j: vec![0.0; time.len()],
            supply: vec![],
            balance_residual_j: vec![0.0; time.len()],
        };
        // Spikes every 2 s: window 1.25 .. 9.25 holds 4 periods, 2 W x 2 s = 4 J per spike.
        let events = [-2.75, -0.75, 1.25, 3.25, 5.25, 7.25, 9.25];
        let e = energy_per_spike(&events, &acc).unwrap_or(f64::NAN);
        // Measured exactly 0; 1e-14 is 11 ulp of 4 J.
        assert!((e - 4.0).abs() < 1e-14, "{e}");
        assert!(energy_per_spike(&events[..3], &acc).is_none());
    }

    #[test]
    fn activity_classes() {
        assert_eq!(activity(&[]), "silent");
        assert_eq!(activity(&[1.0, 2.0]), "transient");
        let tonic: Vec<f64> = (0..20).map(|k| k as f64).collect();
        assert_eq!(activity(&tonic), "tonic");
        // Bursts of 3 spikes 0.1 apart, one burst every 10.
        let burst: Vec<f64> =
            (0..8).flat_map(|b| (0..3).map(move |k| 10.0 * b as f64 + 0.1 * k as f64)).collect();
        assert_eq!(activity(&burst), "bursting");
    }

    /// The real root of `u³ + p u + q = 0` with `(q/2)² + (p/3)³ > 0`:
    /// Cardano's formula, then one Newton step for the digits its
    /// cancellation loses.
    fn cardano(p: f64, q: f64) -> f64 {
        let d = (0.25 * q * q + p * p * p / 27.0).sqrt();
        let u = (-0.5 * q + d).cbrt() + (-0.5 * q - d).cbrt();
        u - (u * u * u + p * u + q) / (3.0 * u * u + p)
    }

    /// The excitable threshold of the f-I sweep (`docs/examples/sweep-fi.toml`,
    /// its point at zero bias) against its closed form.
    ///
    /// The design is the FitzHugh-Nagumo mother (theory section 3) scaled by
    /// `s` = 0.1 V, `C0` = 1 pF and the `omega` the 100 Hz rate fixes; its
    /// current unit is `k = s C0 / omega`. In model units, with `u = v/s`
    /// and `f(u) = u³/3 - u`, the rest state at zero bias solves
    /// `f(u) + (u + 0.7)/0.8 = 0`, i.e. `u³ + 0.75 u + 2.625 = 0`, whose one
    /// real root is Cardano's `u* = -1.1994080` (discriminant
    /// `(2.625/2)² + (0.75/3)³ > 0`). At the fine scale the inductor
    /// (`L/R` = 15.6 model units) is frozen at its rest current
    /// `i_L* = k (u* + 0.7)/0.8`, so `I_fine(v) = k f(v/s) + i_L*`, whose
    /// maximum is at `u = -1`, `f(-1) = 2/3`. The smallest DC step that
    /// takes that fold to the rest state is
    ///
    ///   `I_th = I_fine(-s) - I_fine(v*) = k (2/3 + (u* + 0.7)/0.8)`
    ///
    /// = 0.0424066 k (the other fold, at `u = 1`, lies below the rest). With
    /// `omega` = 253.33 µs this is 16.740 pA.
    #[test]
    fn the_excitable_threshold_of_the_fi_sweep_is_its_closed_form() {
        let text = include_str!("../../../../docs/examples/tonic-spiking-100hz.toml");
        let d = atscale_design::spec::design(
            &atscale_design::spec::Spec::from_toml_str(text, "tonic-spiking-100hz.toml").unwrap(),
        )
        .unwrap();
        let (s, c0, omega) = (d.scales.s_volt, d.scales.c0_farad, d.scales.omega_s);
        assert_eq!((d.template.as_str(), s, c0), ("fitzhugh-nagumo", 0.1, 1e-12));
        // The sweep's first point: the bias source at 0 A.
        let mut flat = d.physical.clone();
        let bias = flat.elements.iter_mut().find(|e| e.name == "Iext").unwrap();
        let ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. } = &mut bias.kind else {
            panic!("Iext is not a DC current source: {:?}", bias.kind)
        };
        *value = 0.0;
        let tstop = 10.0 * omega;
        let result = atscale_sim::Simulation::new(&flat).unwrap().tstop(tstop).uic(true).run().unwrap();
        let cx = Context {
            circuit: &flat,
            membrane: &d.membrane,
            v_range: (-3.0 * s, 3.0 * s),
            timing: TranTiming { tstep: tstop / 100.0, tstop },
        };
        let got = match measure(&[Metric::ThresholdCurrent], &cx, &result).unwrap().as_slice() {
            [Value::Number(x)] => *x,
            other => panic!("threshold_current is {other:?}"),
        };
        let u = cardano(0.75, 2.625);
        assert!((u * u * u / 3.0 + 0.25 * u + 0.875).abs() < 1e-15, "rest state {u}");
        let want = s * c0 / omega * (2.0 / 3.0 + (u + 0.7) / 0.8);
        // Measured relative error 1.5e-15 (the fold found by golden-section
        // search, the rest by Brent's method, both at a smooth extremum or
        // simple root); 2e-14 is a 13x margin.
        let rel = (got - want).abs() / want;
        assert!(rel <= 2e-14, "threshold {got:e} A, closed form {want:e} A (relative error {rel:e})");
    }

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        assert_eq!(Metric::parse("rate"), None);
    }
}
