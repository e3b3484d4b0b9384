//! Errors of the native solver.

use atscale_circuit::units::si;

use crate::mna::UnknownKind;
use thiserror::Error;

/// What went wrong while setting up or running a simulation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// The circuit cannot be simulated natively (an unsupported model level,
    /// a missing model card, an expression that does not compile, ...).
    #[error("element {element} cannot be simulated: {reason}")]
    Unsupported {
        /// The element (or model) concerned.
        element: String,
        /// Why.
        reason: String,
    },
    /// A probe, event or initial condition names a signal the circuit does not have.
    #[error("unknown signal {name:?}: expected a node name, `v(node)`, `i(element)` or `x(element,k)`")]
    UnknownSignal {
        /// The name as given.
        name: String,
    },
    /// A setting is out of range (negative tolerance, `tstop <= tstart`, ...).
    #[error("invalid setting {name} = {value}: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What is required.
        reason: &'static str,
    },
    /// The modified nodal matrix is singular.
    #[error(
        "singular matrix at t = {t}: no pivot for {unknown} (a floating node, a loop of voltage \
         sources or inductors, or a cut set of current sources)",
        t = si(*time_s, "s")
    )]
    Singular {
        /// Time of the failure, s (the start time for the operating point).
        time_s: f64,
        /// The unknown (node voltage `v(n)`, branch current `i(L1)`, state `x(M1,0)`) without a pivot.
        unknown: String,
    },
    /// Newton's method did not converge for the operating point, even with
    /// gmin and source stepping.
    #[error(
        "no operating point: Newton did not converge after {iterations} iterations \
         (also with gmin and source stepping); the largest residual, {r}, is in the \
         equation of {worst}",
        r = residual_text(*residual, *worst_kind)
    )]
    OperatingPoint {
        /// Newton iterations spent in all attempts.
        iterations: usize,
        /// Largest residual entry of the last attempt (A for node equations).
        residual: f64,
        /// What the worst unknown is (its equation's residual has that unit).
        worst_kind: Option<UnknownKind>,
        /// The unknown whose equation has the largest residual.
        worst: String,
    },
    /// The time step fell below the minimum: Newton failed or the error test
    /// was not met at ever smaller steps.
    #[error(
        "time step too small at t = {t}: {what} even with a step of {h} {why}; try --max-step to \
         approach this time in smaller steps, a looser --reltol, or --engine ngspice",
        t = si(*time_s, "s"),
        h = si(*step_s, "s"),
        what = cause.what(*iterations, (*residual, *worst_kind), worst, elements),
        why = cause.why(),
    )]
    StepUnderflow {
        /// Time of the failure, s.
        time_s: f64,
        /// The step size last tried, s.
        step_s: f64,
        /// Newton iterations of the last attempt.
        iterations: usize,
        /// Largest residual entry of the last attempt (A for a node's
        /// equation), or the error estimate in units of its tolerance when
        /// the error test failed.
        residual: f64,
        /// What the worst unknown is (its equation's residual has that
        /// unit; the error test's estimate is a ratio whatever it is).
        worst_kind: Option<UnknownKind>,
        /// The unknown whose equation has the largest residual (or the
        /// largest error estimate, when the error test failed).
        worst: String,
        /// The elements at that unknown (with a terminal there, or owning it).
        elements: Vec<String>,
        /// Which test the smallest step could not pass.
        cause: StepFailure,
    },
    /// An element evaluated to a non-finite value.
    #[error("non-finite value at t = {t} in the equation of {worst}", t = si(*time_s, "s"))]
    NonFinite {
        /// Time, s.
        time_s: f64,
        /// The unknown whose equation is not finite.
        worst: String,
    },
    /// A run reached one of its limits ([`crate::SimLimits`]).
    #[error(
        "stopped at t = {t}: {what} reached the limit of {limit}; raise it with {flag}",
        t = si(*time_s, "s")
    )]
    Limit {
        /// What reached it (`the number of time steps`, `the stored waveforms, in bytes,`).
        what: &'static str,
        /// The limit.
        limit: u64,
        /// Time reached, s.
        time_s: f64,
        /// The command-line option that raises it.
        flag: &'static str,
    },
    /// A run would need more memory than its limit before it starts.
    #[error("{what} would need about {bytes} bytes, more than the limit of {limit}; raise it with {flag}")]
    TooLarge {
        /// What would need it.
        what: &'static str,
        /// The bytes estimated.
        bytes: u64,
        /// The limit.
        limit: u64,
        /// The command-line option that raises it.
        flag: &'static str,
    },
    /// The caller's stop check asked the run to stop (an interruption, a time limit).
    #[error("stopped at t = {t}: {reason}", t = si(*time_s, "s"))]
    Stopped {
        /// Why, as the check said it.
        reason: String,
        /// Time reached, s.
        time_s: f64,
    },
}

/// Which test a time step could not pass however small it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepFailure {
    /// Newton's method did not converge.
    Newton,
    /// The local truncation error stayed above its tolerance.
    ErrorTest,
}

impl StepFailure {
    /// What failed, on which unknown and elements.
    fn what(
        self,
        iterations: usize,
        (residual, kind): (f64, Option<UnknownKind>),
        worst: &str,
        elements: &[String],
    ) -> String {
        let listed = list(elements);
        match self {
            StepFailure::Newton => {
                let at = if listed.is_empty() { listed } else { format!(", at {listed}") };
                format!(
                    "Newton's method did not converge, also with gmin stepping ({iterations} iterations; \
                     the largest residual, {}, is in the equation of {worst}{at})",
                    residual_text(residual, kind)
                )
            }
            StepFailure::ErrorTest => {
                let at = if listed.is_empty() { listed } else { format!(" ({listed})") };
                format!("the local truncation error of {worst}{at} stayed {residual:.3e} times its tolerance")
            }
        }
    }

    /// The usual reason, in a designer's words.
    fn why(self) -> &'static str {
        match self {
            StepFailure::Newton => {
                "(a device switches faster than the step can follow, or the circuit has no solution \
                 there: a floating node, an ideal switch with no resistance)"
            }
            StepFailure::ErrorTest => {
                "(it jumps, and the engine does not know the jump as a breakpoint: a behavioural \
                 source switching with `?:`, a switch)"
            }
        }
    }
}

/// `C1, R1, D1`: the first six names, and how many more.
/// A residual with the unit of its unknown's equation (SI-prefixed), or
/// as a number for a memristive state's (or an unknown not known).
fn residual_text(residual: f64, kind: Option<UnknownKind>) -> String {
    match kind.map(UnknownKind::residual_unit) {
        Some(unit) if !unit.is_empty() => si(residual, unit),
        _ => format!("{residual:.3e}"),
    }
}

fn list(elements: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut s = elements[..elements.len().min(SHOWN)].join(", ");
    if elements.len() > SHOWN {
        s.push_str(&format!(" and {} more", elements.len() - SHOWN));
    }
    s
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(residual: f64, worst: &str, worst_kind: UnknownKind) -> String {
        Error::StepUnderflow {
            time_s: 1.5e-3,
            step_s: 2e-21,
            iterations: 12,
            residual,
            worst_kind: Some(worst_kind),
            worst: worst.to_string(),
            elements: vec!["D1".to_string()],
            cause: StepFailure::Newton,
        }
        .to_string()
    }

    #[test]
    fn residuals_carry_their_equations_unit() {
        let node = stop(2.5e-3, "out", UnknownKind::Voltage);
        assert!(node.contains("the largest residual, 2.5 mA, is in the equation of out"), "{node}");
        assert!(node.contains("t = 1.5 ms") && node.contains("2 zs"), "{node}");
        let branch = stop(0.75, "i(V1)", UnknownKind::Current);
        assert!(branch.contains("the largest residual, 750 mV, is in the equation of i(V1)"), "{branch}");
        let state = stop(3.0e-2, "x(M1,0)", UnknownKind::State);
        assert!(state.contains("the largest residual, 3.000e-2, is in the equation of x(M1,0)"), "{state}");
        let op = Error::OperatingPoint {
            iterations: 40,
            residual: 1e-9,
            worst_kind: Some(UnknownKind::Voltage),
            worst: "a".into(),
        }
        .to_string();
        assert!(op.contains("the largest residual, 1 nA, is in the equation of a"), "{op}");
    }
}
