//! Energy accounting along a simulated trajectory (theory section 1).
//!
//! Kirchhoff's laws preserve power: the powers absorbed by all elements sum
//! to zero at every instant. Splitting them by energy nature gives the
//! balance this module reports:
//!
//! ```text
//! S(t) - S(0) = ∫₀ᵗ (supplied - dissipated) dt
//! ```
//!
//! - **stored** `S`: `C u²/2` per capacitor (`u` its branch voltage) and
//!   `L i²/2` per inductor (`i` its branch current), J;
//! - **dissipated**, per element, cumulative `∫ p dt` in J, with `p`:
//!   `u²/R` for a resistor, `u f(u)` for a nonlinear resistor, and for a
//!   memristive conductance `i = g(x) (u - E)` with a battery `E` only the
//!   conductance part `g (u - E)²`; for a memristive law without battery
//!   (the tanh element) the whole branch power `u i`. Active elements
//!   (negative resistors) have negative dissipation where they give power;
//! - **supplied**, per source, cumulative, J: `-u i` for independent voltage
//!   and current sources (`i` flowing from `p` through the source to `n`,
//!   the SPICE convention), and for the battery inside a memristive
//!   conductance `-E i`, since its branch power splits as
//!   `u i = g (u - E)² + E i`. Batteries are listed as `<element>:battery`.
//!
//! The **balance residual** `S(t) - S(0) - (supplied(t) - dissipated(t))`
//! measures the accuracy of the trajectory and of the quadrature.
//!
//! Powers are integrated over every accepted solver point
//! ([`Output::All`]): each interval by the cubic through its four nearest
//! points (exact for cubics on any spacing, fourth order). Source corners are
//! solver breakpoints, hence output points, but a cubic spanning a corner is
//! only first order there; keep corners few or use tight tolerances.

use atscale_circuit::{ElementKind, FlatCircuit, TranTiming, GROUND};
use atscale_sim::{Output, SimResult, Simulation, Tolerances};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landscape::cumulative_integral;

/// One element's (or battery's) energy over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyTerm {
    /// The element name (`<element>:battery` for a memristive battery).
    pub element: String,
    /// The energy at each time point, J (stored energy, or cumulative
    /// dissipated or supplied energy since the start).
    pub values_j: Vec<f64>,
}

/// The energy account of a trajectory (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyAccount {
    /// Time points, s.
    pub time_s: Vec<f64>,
    /// Total stored energy, J.
    pub stored_j: Vec<f64>,
    /// Stored energy per capacitor and inductor.
    pub storage: Vec<EnergyTerm>,
    /// Total cumulative dissipated energy, J.
    pub dissipated_j: Vec<f64>,
    /// Cumulative dissipated energy per dissipative element.
    pub dissipation: Vec<EnergyTerm>,
    /// Total cumulative supplied energy, J.
    pub supplied_j: Vec<f64>,
    /// Cumulative supplied energy per source and battery.
    pub supply: Vec<EnergyTerm>,
    /// `stored(t) - stored(0) - (supplied(t) - dissipated(t))`, J.
    pub balance_residual_j: Vec<f64>,
}

impl EnergyAccount {
    /// The largest absolute balance residual, J.
    pub fn max_residual_j(&self) -> f64 {
        self.balance_residual_j.iter().fold(0.0, |m, r| m.max(r.abs()))
    }

    /// The total dissipated energy at the end of the trajectory, J.
    pub fn total_dissipated_j(&self) -> f64 {
        self.dissipated_j.last().copied().unwrap_or(0.0)
    }

    /// The energy the dissipative elements exchange, J: the sum over them of
    /// the magnitude of each one's energy at the end. Equal to
    /// [`total_dissipated_j`](Self::total_dissipated_j) for passive circuits;
    /// with negative conductances (which supply energy, as the fast element
    /// of a neuromorphic neuron does) the net dissipation can be near zero or
    /// negative, and this gross figure is the scale the residual is judged on.
    pub fn gross_dissipated_j(&self) -> f64 {
        self.dissipation.iter().map(|t| t.values_j.last().copied().unwrap_or(0.0).abs()).sum()
    }

    /// The relative residual: the largest absolute residual divided by the
    /// gross dissipated energy at the end (infinite if that is zero).
    pub fn relative_residual(&self) -> f64 {
        let d = self.gross_dissipated_j();
        if d > 0.0 {
            self.max_residual_j() / d
        } else {
            f64::INFINITY
        }
    }
}

/// How to simulate a circuit for its energy account.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyRun {
    /// Stop time, s.
    pub tstop_s: f64,
    /// `.tran` print step used by waveform defaults, s (default `tstop/100`).
    pub tstep_s: Option<f64>,
    /// Start from initial conditions (`uic`).
    pub uic: bool,
    /// Solver tolerances (default: [`EnergyRun::new`]'s tight ones).
    pub tolerances: Tolerances,
    /// Maximum internal step, s.
    pub max_step_s: Option<f64>,
}

impl EnergyRun {
    /// A run to `tstop_s` with `uic` and tight tolerances: `reltol = 1e-9`,
    /// absolute tolerances 1e-12 (V, A, C, states), default `trtol`.
    pub fn new(tstop_s: f64) -> Self {
        let tolerances = Tolerances {
            reltol: 1e-9,
            abstol: 1e-12,
            vntol: 1e-12,
            chgtol: 1e-12,
            statetol: 1e-12,
            ..Tolerances::default()
        };
        EnergyRun { tstop_s, tstep_s: None, uic: true, tolerances, max_step_s: None }
    }

    /// The waveform timing of this run.
    pub fn timing(&self) -> TranTiming {
        TranTiming { tstep: self.tstep_s.unwrap_or(self.tstop_s / 100.0), tstop: self.tstop_s }
    }
}

fn unsupported(name: &str, class: &'static str) -> Error {
    Error::UnsupportedElement {
        element: name.to_string(),
        class,
        analysis: "energy",
        reason: "only capacitors, inductors, resistors, nonlinear resistors, memristive conductances \
                 and independent sources are accounted"
            .into(),
    }
}

/// The signals a [`SimResult`] must hold for [`account`]: every node
/// voltage, the branch current of every inductor and voltage source, and
/// every memristive state.
///
/// # Errors
///
/// [`Error::UnsupportedElement`] for an element the account cannot read.
pub fn energy_probes(circuit: &FlatCircuit) -> Result<Vec<String>> {
    let mut out: Vec<String> = circuit.nodes().iter().map(|n| format!("v({n})")).collect();
    for e in &circuit.elements {
        match &e.kind {
            ElementKind::Inductor { .. } | ElementKind::VoltageSource { .. } => {
                out.push(format!("i({})", e.name))
            }
            ElementKind::Memristive { states, .. } => {
                out.extend((0..states.len()).map(|k| format!("x({},{k})", e.name)));
            }
            ElementKind::Resistor { .. }
            | ElementKind::Capacitor { .. }
            | ElementKind::NonlinearResistor { .. }
            | ElementKind::CurrentSource { .. } => {}
            other => return Err(unsupported(&e.name, other.class_name())),
        }
    }
    Ok(out)
}

/// Simulates `circuit` as `run` says, probing what [`account`] needs, with
/// every accepted point as output, and returns its energy account.
///
/// # Errors
///
/// As [`energy_probes`], [`Simulation::run`] and [`account`].
pub fn simulate_energy(circuit: &FlatCircuit, run: &EnergyRun) -> Result<EnergyAccount> {
    let timing = run.timing();
    let mut sim = Simulation::new(circuit)?
        .tstop(run.tstop_s)
        .tstep(timing.tstep)
        .uic(run.uic)
        .tolerances(run.tolerances)
        .output(Output::All);
    if let Some(h) = run.max_step_s {
        sim = sim.max_step(h);
    }
    for p in energy_probes(circuit)? {
        sim = sim.probe(&p);
    }
    let result = sim.run()?;
    account(circuit, &result, timing)
}

/// The energy account of a simulated trajectory `result` of `circuit`,
/// which must hold the traces [`energy_probes`] names; `timing` is the run's
/// `.tran` timing (for source waveforms).
///
/// # Errors
///
/// [`Error::UnsupportedElement`] as [`energy_probes`]; [`Error::MissingTrace`]
/// for a signal not probed.
pub fn account(circuit: &FlatCircuit, result: &SimResult, timing: TranTiming) -> Result<EnergyAccount> {
    let t = &result.time;
    let n = t.len();
    let zeros = vec![0.0; n];
    let trace = |name: &str| -> Result<&[f64]> {
        result.trace(name).ok_or_else(|| Error::MissingTrace { signal: name.to_string() })
    };
    let node = |name: &str| -> Result<&[f64]> {
        if name == GROUND {
            Ok(&zeros)
        } else {
            trace(&format!("v({name})"))
        }
    };
    let branch_v = |p: &str, q: &str| -> Result<Vec<f64>> {
        let (a, b) = (node(p)?, node(q)?);
        Ok(a.iter().zip(b).map(|(x, y)| x - y).collect())
    };
    let mut storage = Vec::new();
    let mut dissipation = Vec::new();
    let mut supply = Vec::new();
    let cumulative = |name: String, power: Vec<f64>| EnergyTerm {
        element: name,
        values_j: cumulative_integral(t, &power),
    };
    for e in &circuit.elements {
        match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, .. } => {
                let u = branch_v(p, n)?;
                let values_j = u.iter().map(|u| c_farad * u * u / 2.0).collect();
                storage.push(EnergyTerm { element: e.name.clone(), values_j });
            }
            ElementKind::Inductor { l_henry, .. } => {
                let i = trace(&format!("i({})", e.name))?;
                let values_j = i.iter().map(|i| l_henry * i * i / 2.0).collect();
                storage.push(EnergyTerm { element: e.name.clone(), values_j });
            }
            ElementKind::Resistor { p, n, r_ohm } => {
                let u = branch_v(p, n)?;
                dissipation.push(cumulative(e.name.clone(), u.iter().map(|u| u * u / r_ohm).collect()));
            }
            ElementKind::NonlinearResistor { p, n, law } => {
                let u = branch_v(p, n)?;
                dissipation.push(cumulative(e.name.clone(), u.iter().map(|&u| u * law.current(u)).collect()));
            }
            ElementKind::Memristive { p, n, states, law } => {
                let u = branch_v(p, n)?;
                let xs: Vec<&[f64]> =
                    (0..states.len()).map(|k| trace(&format!("x({},{k})", e.name))).collect::<Result<_>>()?;
                let mut x = vec![0.0; states.len()];
                let mut diss = Vec::with_capacity(n_of(&u));
                let mut batt = Vec::with_capacity(n_of(&u));
                let battery = law.battery().copied();
                for (j, &uj) in u.iter().enumerate() {
                    for (k, xk) in xs.iter().enumerate() {
                        x[k] = xk[j];
                    }
                    let i = law.current(uj, &x);
                    match (battery, law.conductance(&x)) {
                        (Some(ev), Some(g)) => {
                            diss.push(g * (uj - ev) * (uj - ev));
                            batt.push(-ev * i);
                        }
                        _ => diss.push(uj * i),
                    }
                }
                dissipation.push(cumulative(e.name.clone(), diss));
                if battery.is_some() {
                    supply.push(cumulative(format!("{}:battery", e.name), batt));
                }
            }
            ElementKind::VoltageSource { p, n, .. } => {
                let u = branch_v(p, n)?;
                let i = trace(&format!("i({})", e.name))?;
                supply.push(cumulative(e.name.clone(), u.iter().zip(i).map(|(u, i)| -u * i).collect()));
            }
            ElementKind::CurrentSource { p, n, waveform, .. } => {
                let u = branch_v(p, n)?;
                let power = u.iter().zip(t).map(|(u, &tk)| -u * waveform.value(tk, &timing)).collect();
                supply.push(cumulative(e.name.clone(), power));
            }
            other => return Err(unsupported(&e.name, other.class_name())),
        }
    }
    let total = |terms: &[EnergyTerm]| -> Vec<f64> {
        (0..n).map(|j| terms.iter().map(|term| term.values_j[j]).sum()).collect()
    };
    let stored_j = total(&storage);
    let dissipated_j = total(&dissipation);
    let supplied_j = total(&supply);
    let s0 = stored_j.first().copied().unwrap_or(0.0);
    let balance_residual_j = (0..n).map(|j| stored_j[j] - s0 - (supplied_j[j] - dissipated_j[j])).collect();
    Ok(EnergyAccount {
        time_s: t.clone(),
        stored_j,
        storage,
        dissipated_j,
        dissipation,
        supplied_j,
        supply,
        balance_residual_j,
    })
}

fn n_of(v: &[f64]) -> usize {
    v.len()
}
