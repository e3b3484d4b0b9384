//! Circuits the native solver used to stop on where ngspice finishes
//! (issue 16): each class against a closed form.
//!
//! - a `uic` start with a node joined only by inductors (no equation at
//!   t = 0 determines it: "singular matrix");
//! - a `uic` start whose capacitor initial voltage forward-biases a
//!   junction far beyond its knee ("time step too small" at t = 0);
//! - a large supply capacitor under picosecond steps at a tight `reltol`
//!   (Newton's tolerance on the supply current below the rounding of
//!   `dq/dt`);
//! - an input that jumps, and one that drives resistive nodes only (the
//!   error test on algebraic unknowns);
//! - a state at rest when a fast ramp starts (the restart's error estimate
//!   divided by an increment below rounding);
//! - the message when a step does fail.

use atscale_circuit::FlatCircuit;
use atscale_sim::error::StepFailure;
use atscale_sim::{Direction, Error, Output, SimResult, Simulation};

/// Boltzmann's constant and the elementary charge as ngspice 39 has them
/// (CODATA 2014), and SPICE's nominal 27 °C: the thermal voltage of the
/// diode law below.
const VT: f64 = 1.380_648_52e-23 * 300.15 / 1.602_176_620_8e-19;

fn circuit(netlist: &str) -> FlatCircuit {
    atscale_spice::parse_str(netlist, "stops.cir").unwrap().circuit.flatten().unwrap()
}

/// The value of trace `name` at `t` by linear interpolation between time points.
fn at(res: &SimResult, name: &str, t: f64) -> f64 {
    let i = res.time.partition_point(|x| *x < t).clamp(1, res.time.len() - 1);
    let (t0, t1) = (res.time[i - 1], res.time[i]);
    let y = res.trace(name).unwrap();
    y[i - 1] + (y[i] - y[i - 1]) * (t - t0) / (t1 - t0)
}

/// The largest |a - b| over paired event times, with equal counts.
fn worst_dt(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "events {got:?}, expected {want:?}");
    got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// A tank of a capacitor and two coupled inductors in series, `tap` between
/// the inductors (the Hartley oscillator's tank), started by `uic` from the
/// capacitor at 1 V. ngspice solves nothing at t = 0 under `uic`; no
/// equation there fixes `tap` (both inductor currents are held), so it
/// starts at 0 V, and from then on divides the capacitor's voltage as the
/// inductances do: `v(tap) = v(a) (L2 + M) / (L1 + L2 + 2M)`, with
/// `v(a) = cos(t / sqrt(L C))`, `L = L1 + L2 + 2M`, `M = k sqrt(L1 L2)`.
#[test]
fn a_node_joined_only_by_inductors_starts_a_uic_run_at_zero() {
    let c = circuit(
        "hartley tank\nC1 a 0 100p IC=1\nL1 a tap 120u\nL2 tap 0 130u\nK1 L1 L2 0.2\n.tran 10n 5u uic\n.end\n",
    );
    let res = Simulation::new(&c)
        .unwrap()
        .tstop(5e-6)
        .uic(true)
        .probe("a")
        .probe("tap")
        .event("a", 0.0, 0.5, Direction::Falling)
        .run()
        .unwrap();
    let m = 0.2 * (120e-6f64 * 130e-6).sqrt();
    let l = 120e-6 + 130e-6 + 2.0 * m;
    let w = 1.0 / (l * 100e-12f64).sqrt();
    assert_eq!(res.trace("tap").unwrap()[0], 0.0, "tap at t = 0 (ngspice's uic start)");
    // Falling zero crossings of cos(w t): (2n + 1/2) pi / w.
    let want: Vec<f64> = (0..5).map(|n| (2.0 * f64::from(n) + 0.5) * std::f64::consts::PI / w).collect();
    let dt = worst_dt(&res.event_times("a"), &want);
    // Measured 7.1e-13 s (a period of 1.09 µs); 7e-12 s is a 10x margin.
    assert!(dt < 7e-12, "zero crossings off by {dt:e} s");
    let ratio = (130e-6 + m) / l;
    let worst = (1..=100)
        .map(|k| 5e-6 * f64::from(k) / 100.0)
        .map(|t| (at(&res, "tap", t) - ratio * at(&res, "a", t)).abs())
        .fold(0.0, f64::max);
    // Measured 9.8e-8 V (interpolation between time points); 1e-6 V is a 10x margin.
    assert!(worst < 1e-6, "tap off the inductive divider by {worst:e} V");
}

/// A 1 nF capacitor started by `uic` at 1.75 V across a diode (IS = 1e-14 A):
/// `C dv/dt = -IS (exp(v/VT) - 1)` (the diode's gmin, 1e-12 S, moves the
/// times below by less than 1e-7 relative), so the capacitor reaches `v` at
/// `t(v) = C VT / IS ln((1 - exp(-v0/VT)) / (1 - exp(-v/VT)))`. The first
/// step starts from a junction at 1.75 V (a current of 3e15 A): ngspice's
/// first iteration takes each junction's voltage from its state at t = 0
/// (its `uic` state, 0 V here), and the limiter walks it up from there.
#[test]
fn a_junction_forward_biased_by_an_initial_condition_discharges_on_the_diode_law() {
    let c = circuit("ic across a diode\nC1 a 0 1n IC=1.75\nD1 a 0 dmod\n.model dmod D(IS=1e-14)\n.end\n");
    let res = Simulation::new(&c)
        .unwrap()
        .tstop(1e-4)
        .uic(true)
        .event("a", 0.65, 0.0, Direction::Falling)
        .event("a", 0.6, 0.0, Direction::Falling)
        .event("a", 0.55, 0.0, Direction::Falling)
        .run()
        .unwrap();
    let t_of = |v: f64| 1e-9 * VT / 1e-14 * ((1.0 - (-1.75 / VT).exp()) / (1.0 - (-v / VT).exp())).ln();
    for (index, v) in [0.65, 0.6, 0.55].into_iter().enumerate() {
        let want = t_of(v);
        let &[t] = res.event_times_of(index).as_slice() else {
            panic!("crossings of {v} V: {:?} (expected one, at {want:e} s)", res.event_times_of(index));
        };
        // Measured 1.07e-11, 1.84e-11 and 1.16e-10 s late; 1e-9 s is a 8.6x margin. (At
        // reltol 1e-6 all three are 9.4e-12 s late: the first step of a `uic` start,
        // 1e-7 of the run with no error test, lands there.)
        assert!((t - want).abs() < 1e-9, "{v} V at {t:e} s, the diode law gives {want:e} s");
    }
}

/// An RC of 1 ns from a 1 V source beside a 10 V supply with a 10 µF
/// capacitor, at `reltol = 1e-7`: the RC needs steps of picoseconds, where
/// the rounding of the supply capacitor's `cj q` (`eps 1e-4 C / 1 ps`,
/// 2e-8 A) exceeds Newton's tolerance on the supply's 10 mA current. The
/// circuit is linear, so Newton's first iteration solves each step: any
/// failure is that floor's. The iteration is accepted at the floor, and the
/// RC follows `1 - exp(-t / RC)`.
#[test]
fn newton_accepts_the_rounding_floor_of_a_large_charge() {
    let c = circuit(
        "supply and fast rc\nV1 in 0 DC 1\nR1 in b 1k\nC1 b 0 1p IC=0\n\
         VCC vcc 0 DC 10\nCDEC vcc 0 10u\nRL vcc 0 1k\n.end\n",
    );
    let res = Simulation::new(&c).unwrap().tstop(1e-8).uic(true).reltol(1e-7).probe("b").run().unwrap();
    // (Without the floor: 4228 Newton failures and 8704 steps instead of 188.)
    assert_eq!(res.stats.newton_failures, 0, "{:?}", res.stats);
    let worst = res
        .time
        .iter()
        .zip(res.trace("b").unwrap())
        .map(|(t, v)| (v - (1.0 - (-t / 1e-9).exp())).abs())
        .fold(0.0, f64::max);
    // Measured 4.5e-9 V; 4e-8 V is a 9x margin.
    assert!(worst < 4e-8, "RC off its exponential by {worst:e} V");
}

/// A behavioural source that reads `time` and jumps at 1 ms (no breakpoint
/// tells the engine), through 1 kΩ into 1 µF: the capacitor reaches 0.5 V
/// at `1 ms + RC ln 2`. The source's node is error tested (it is how the
/// step follows an input), but a jump is no truncation error: once its
/// error does not shrink with the step, the step is judged on the rest.
#[test]
fn an_input_that_jumps_without_a_breakpoint_does_not_stall_the_step() {
    let c = circuit("jump\nB1 a 0 V = time > 1m ? 1 : 0\nR1 a b 1k\nC1 b 0 1u\n.end\n");
    let res = Simulation::new(&c).unwrap().tstop(5e-3).event("b", 0.5, 0.1, Direction::Rising).run().unwrap();
    let dt = worst_dt(&res.event_times("b"), &[1e-3 + 1e-3 * 2f64.ln()]);
    // Measured 7.0e-10 s; 7e-9 s is a 10x margin.
    assert!(dt < 7e-9, "crossing off by {dt:e} s");
}

/// A sine through a resistive divider, no capacitor anywhere: nothing
/// reactive limits the step, the source's node (tested as an input) does.
/// `out = 0.5 sin(2 pi 1 kHz t)` rises through 0.25 V at `(n + 1/12)` ms.
#[test]
fn a_source_driving_resistors_only_is_followed_by_the_step() {
    let c = circuit("divider\nV1 in 0 SIN(0 1 1k)\nR1 in out 1k\nR2 out 0 1k\n.end\n");
    let res =
        Simulation::new(&c).unwrap().tstop(5e-3).event("out", 0.25, 0.1, Direction::Rising).run().unwrap();
    let want: Vec<f64> = (0..5).map(|n| (f64::from(n) + 1.0 / 12.0) * 1e-3).collect();
    let dt = worst_dt(&res.event_times("out"), &want);
    // Measured 1.9e-11 s (a period of 1 ms); 2e-10 s is a 10x margin.
    assert!(dt < 2e-10, "crossings off by {dt:e} s");
}

/// A node with no solution once the drive passes 0.5 mA (1 kΩ to ground
/// and a source of 2 mA switched on above 0.5 V: below, `v = I R > 0.5 V`;
/// above, `v = (I - 2 mA) R < 0`). The error says where (the time the
/// closed form gives, the node, the elements at it) and what to try.
#[test]
fn a_step_that_cannot_converge_names_the_time_node_elements_and_remedies() {
    let c = circuit(
        "no solution past 0.5 mA\nI1 0 a PWL(0 0 1m 1m)\nR1 a 0 1k\nB1 a 0 I = v(a) > 0.5 ? 2m : 0\n.end\n",
    );
    let err = Simulation::new(&c).unwrap().tstop(1e-3).run().unwrap_err();
    let Error::StepUnderflow { time_s, worst, elements, cause, .. } = &err else {
        panic!("expected a step underflow, got {err}");
    };
    // The last accepted point, within the minimum step of 0.5 ms.
    assert!((time_s - 0.5e-3).abs() < 1e-12, "stopped at {time_s:e} s");
    assert_eq!((worst.as_str(), *cause), ("a", StepFailure::Newton));
    assert_eq!(elements, &["I1", "R1", "B1"]);
    let text = err.to_string();
    for part in
        ["t = 500 µs", "Newton's method did not converge", "equation of a, at I1, R1, B1", "--max-step"]
    {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

/// A memristive state at rest (`20 dx/dt = v - x`, at `x = v` from the
/// operating point) when its voltage starts a ramp of 1e-4 of the run,
/// at tight tolerances (as a voltage clamp steps a membrane). The first
/// step after the ramp's corner moved the state by less than its rounding,
/// and the restart's error estimate divided by that zero increment: NaN,
/// "time step too small" at the corner. After the ramp (slope `s` over
/// `T`, ending at `t1`) the closed form is
/// `x = -3 - s τ (1 - exp(-T/τ)) exp(-(t - t1)/τ)`.
#[test]
fn a_state_at_rest_when_a_fast_ramp_starts_is_stepped_through() {
    use atscale_circuit::{Element, ElementKind, MemristiveLaw, Relaxation, Waveform};
    let pwl = vec![(0.0, -0.7), (2e-11, -0.7), (4e-11, -3.0), (2e-7, -3.0)];
    let elements = vec![
        Element {
            name: "V1".into(),
            kind: ElementKind::VoltageSource {
                p: "a".into(),
                n: "0".into(),
                waveform: Waveform::Pwl { points: pwl },
                dc: None,
            },
        },
        Element {
            name: "M1".into(),
            kind: ElementKind::Memristive {
                p: "a".into(),
                n: "0".into(),
                states: vec![Relaxation::Linear { tau_s: 20.0, x0: 0.0 }],
                law: MemristiveLaw::Tanh { state: 0, alpha: 2.0, delta: 0.0 },
            },
        },
    ];
    let c = FlatCircuit { title: "ramp".into(), models: Vec::new(), elements };
    let times = vec![1e-9, 1e-8, 1e-7, 2e-7];
    let sim = Simulation::new(&c)
        .unwrap()
        .tstop(2e-7)
        .reltol(1e-9)
        .vntol(1e-9)
        .output(Output::Times(times.clone()));
    let res = sim.probe("x(M1,0)").run().unwrap();
    let (t1, ramp, tau): (f64, f64, f64) = (4e-11, 2e-11, 20.0);
    let slope = -2.3 / ramp;
    let mut worst = 0.0f64;
    for (t, x) in times.iter().zip(res.trace("x(M1,0)").unwrap()) {
        let want = -3.0 + slope * tau * (-ramp / tau).exp_m1() * (-(t - t1) / tau).exp();
        worst = worst.max((x - want).abs());
    }
    // Measured 2.9e-13 V (of a 2.3 V step); 3e-12 V is a 10x margin.
    assert!(worst < 3e-12, "off the closed form by {worst:e} V");
}
