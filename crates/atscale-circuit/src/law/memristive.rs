//! Evaluation of [`MemristiveLaw`]s and their [`Relaxation`] states.
//!
//! A memristive conductance carries the current `i = law(v, x)` for its
//! branch voltage `v` (V) and internal states `x`; each state obeys a
//! first-order relaxation `dx/dt = rate(v, x)` (theory section 7).
//!
//! - [`MemristiveLaw::current`] and [`MemristiveLaw::eval`] give the current
//!   in A with its exact derivatives with respect to `v` (S) and each state
//!   (A per unit of the state);
//! - [`MemristiveLaw::conductance`] gives the conductance `g` in S of laws of
//!   the form `g(x) (v - E)`;
//! - [`Relaxation::rate`] gives `dx/dt` and its derivatives,
//!   [`Relaxation::steady_state`] and [`Relaxation::time_constant`] the
//!   steady state `x∞(v)` and time constant `τ(v)`.
//!
//! Kinetic rates are expressions of `v` compiled on each call; a rate that
//! does not compile evaluates to NaN (a relaxation that passed
//! [`Relaxation::check`] always compiles). Rate functions with removable
//! singularities, like the Hodgkin–Huxley `0.1 (v+40) / (1 - exp(-(v+40)/10))`
//! at `v = -40`, are evaluated as written, with ngspice's rules: exactly at
//! the singular point this one is `0 / (0 + 1e-32) = 0` (ngspice's division
//! rule, see [`crate::expr`]), not its limit 1, and near the point it loses
//! digits to cancellation, as in ngspice. Write such rates with the
//! singularity removed if that matters.

use super::resistive::{logistic, softplus, LawError, VoltageExpr};
use super::{Gate, MemristiveLaw, Relaxation};

impl MemristiveLaw<f64> {
    /// The current in A at branch voltage `v` (V) and states `x`.
    ///
    /// A state index beyond `x` reads NaN (a law that passed
    /// [`check`](Self::check) never does).
    pub fn current(&self, v: f64, x: &[f64]) -> f64 {
        match self {
            MemristiveLaw::Tanh { state, alpha, delta } => alpha * (read(x, *state) - delta).tanh(),
            MemristiveLaw::Gates { e_volt, .. } | MemristiveLaw::Glm { e_volt, .. } => {
                self.conductance(x).unwrap_or(f64::NAN) * (v - e_volt)
            }
        }
    }

    /// The current `i` in A and `di/dv` in S at branch voltage `v` (V) and
    /// states `x`; writes `di/dx[j]` (A per unit of state `j`) into `di_dx[j]`
    /// for every `j < di_dx.len()`, zero for states the law does not read.
    /// Does not allocate.
    ///
    /// Several gates or terms reading one state add up. Derivatives for a
    /// state index beyond `di_dx` are dropped, and a state beyond `x` reads
    /// NaN (a law that passed [`check`](Self::check) does neither).
    pub fn eval(&self, v: f64, x: &[f64], di_dx: &mut [f64]) -> (f64, f64) {
        di_dx.fill(0.0);
        match self {
            MemristiveLaw::Tanh { state, alpha, delta } => {
                let z = read(x, *state) - delta;
                let c = z.cosh();
                add(di_dx, *state, alpha / (c * c));
                (alpha * z.tanh(), 0.0)
            }
            MemristiveLaw::Gates { gbar, e_volt, gates } => {
                let drive = v - e_volt;
                let mut g = *gbar;
                for gate in gates {
                    g *= gate_value(gate, x).0;
                }
                for (k, gate) in gates.iter().enumerate() {
                    let (_, dgate) = gate_value(gate, x);
                    let mut others = *gbar;
                    for (j, other) in gates.iter().enumerate() {
                        if j != k {
                            others *= gate_value(other, x).0;
                        }
                    }
                    add(di_dx, gate.state, others * dgate * drive);
                }
                (g * drive, g)
            }
            MemristiveLaw::Glm { gbar, e_volt, terms } => {
                let drive = v - e_volt;
                let mut s = 0.0;
                for t in terms {
                    s += t.w * softplus(t.a * (read(x, t.state) - t.c));
                }
                let g = gbar * s.exp();
                for t in terms {
                    let dsdx = t.w * t.a * logistic(t.a * (read(x, t.state) - t.c));
                    add(di_dx, t.state, g * drive * dsdx);
                }
                (g * drive, g)
            }
        }
    }

    /// The conductance `g(x)` in S of a law `i = g(x) (v - E)`; `None` for
    /// the tanh law, which is a current, not a conductance.
    pub fn conductance(&self, x: &[f64]) -> Option<f64> {
        match self {
            MemristiveLaw::Tanh { .. } => None,
            MemristiveLaw::Gates { gbar, gates, .. } => {
                Some(gates.iter().fold(*gbar, |g, gate| g * gate_value(gate, x).0))
            }
            MemristiveLaw::Glm { gbar, terms, .. } => {
                let s: f64 = terms.iter().map(|t| t.w * softplus(t.a * (read(x, t.state) - t.c))).sum();
                Some(gbar * s.exp())
            }
        }
    }

    /// Checks the law against an element with `n_states` states: every state
    /// index read is below `n_states`, every parameter finite, every gate
    /// power at least 1, every logistic gate and GLM term slope non-zero.
    ///
    /// # Errors
    ///
    /// The first problem found, as a [`LawError`] naming the parameter.
    pub fn check(&self, n_states: usize) -> Result<(), LawError> {
        let law = self.kind_name();
        let state_ok = |state: usize| {
            if state < n_states {
                Ok(())
            } else {
                Err(LawError::StateOutOfRange { law, state, n_states })
            }
        };
        match self {
            MemristiveLaw::Tanh { state, alpha, delta } => {
                state_ok(*state)?;
                finite(law, "alpha", *alpha)?;
                finite(law, "delta", *delta)
            }
            MemristiveLaw::Gates { gbar, e_volt, gates } => {
                finite(law, "gbar", *gbar)?;
                finite(law, "e_volt", *e_volt)?;
                for (k, gate) in gates.iter().enumerate() {
                    state_ok(gate.state)?;
                    if gate.power == 0 {
                        return Err(LawError::ZeroPower { index: k });
                    }
                    if let Some(slope) = &gate.logistic {
                        finite(law, &format!("gates[{k}].logistic.a"), slope.a)?;
                        finite(law, &format!("gates[{k}].logistic.c"), slope.c)?;
                        if slope.a == 0.0 {
                            return Err(LawError::ZeroSlope { law, name: format!("gates[{k}].logistic.a") });
                        }
                    }
                }
                Ok(())
            }
            MemristiveLaw::Glm { gbar, e_volt, terms } => {
                finite(law, "gbar", *gbar)?;
                finite(law, "e_volt", *e_volt)?;
                for (k, t) in terms.iter().enumerate() {
                    state_ok(t.state)?;
                    finite(law, &format!("terms[{k}].w"), t.w)?;
                    finite(law, &format!("terms[{k}].a"), t.a)?;
                    finite(law, &format!("terms[{k}].c"), t.c)?;
                    if t.a == 0.0 {
                        return Err(LawError::ZeroSlope { law, name: format!("terms[{k}].a") });
                    }
                }
                Ok(())
            }
        }
    }
}

impl Relaxation<f64> {
    /// The rate `dx/dt` and its partial derivatives `(dx/dt, ∂/∂v, ∂/∂x)` at
    /// branch voltage `v` (V) and state `x`.
    ///
    /// Linear: `dx/dt = (v - x)/tau_s` in V/s, derivatives `1/tau_s` and
    /// `-1/tau_s` in 1/s. Kinetic: `dx/dt = alpha(v)(1 - x) - beta(v) x` in
    /// 1/s, `∂/∂v = alpha'(v)(1 - x) - beta'(v) x` in 1/(s·V) and
    /// `∂/∂x = -(alpha + beta)` in 1/s. A kinetic rate that does not compile
    /// gives NaN.
    pub fn rate(&self, v: f64, x: f64) -> (f64, f64, f64) {
        match self {
            Relaxation::Linear { tau_s, .. } => ((v - x) / tau_s, 1.0 / tau_s, -1.0 / tau_s),
            Relaxation::Kinetic { alpha, beta, .. } => match kinetic_rates(alpha, beta, v) {
                Some(((a, da), (b, db))) => (a * (1.0 - x) - b * x, da * (1.0 - x) - db * x, -(a + b)),
                None => (f64::NAN, f64::NAN, f64::NAN),
            },
        }
    }

    /// The steady state `x∞(v)` at a constant branch voltage `v` (V): `v`
    /// (V) for the linear relaxation, `alpha/(alpha + beta)` (dimensionless)
    /// for a kinetic one (NaN if a rate does not compile).
    pub fn steady_state(&self, v: f64) -> f64 {
        match self {
            Relaxation::Linear { .. } => v,
            Relaxation::Kinetic { alpha, beta, .. } => match kinetic_rates(alpha, beta, v) {
                Some(((a, _), (b, _))) => a / (a + b),
                None => f64::NAN,
            },
        }
    }

    /// The time constant `τ(v)` in s at a constant branch voltage `v` (V):
    /// `tau_s` for the linear relaxation, `1/(alpha + beta)` for a kinetic
    /// one (NaN if a rate does not compile).
    pub fn time_constant(&self, v: f64) -> f64 {
        match self {
            Relaxation::Linear { tau_s, .. } => *tau_s,
            Relaxation::Kinetic { alpha, beta, .. } => match kinetic_rates(alpha, beta, v) {
                Some(((a, _), (b, _))) => 1.0 / (a + b),
                None => f64::NAN,
            },
        }
    }

    /// Checks the relaxation: `tau_s > 0` and finite for the linear one,
    /// rates that compile reading only `v` for a kinetic one, a finite
    /// initial value.
    ///
    /// # Errors
    ///
    /// The first problem found, as a [`LawError`].
    pub fn check(&self) -> Result<(), LawError> {
        match self {
            Relaxation::Linear { tau_s, x0 } => {
                let law = "linear relaxation";
                finite(law, "tau_s", *tau_s)?;
                finite(law, "x0", *x0)?;
                if *tau_s > 0.0 {
                    Ok(())
                } else {
                    Err(LawError::NotPositive { law, name: "tau_s", unit: "s", value: *tau_s })
                }
            }
            Relaxation::Kinetic { alpha, beta, x0 } => {
                VoltageExpr::compile(alpha, ALPHA)?;
                VoltageExpr::compile(beta, BETA)?;
                finite("kinetic relaxation", "x0", *x0)
            }
        }
    }
}

const ALPHA: &str = "opening rate alpha of the kinetic relaxation";
const BETA: &str = "closing rate beta of the kinetic relaxation";

/// The opening and closing rates, each with its derivative in `v`.
type RatePair = ((f64, f64), (f64, f64));

/// The kinetic rates at `v`, or `None` if either does not compile.
fn kinetic_rates(alpha: &crate::expr::Expr, beta: &crate::expr::Expr, v: f64) -> Option<RatePair> {
    let mut a = VoltageExpr::compile(alpha, ALPHA).ok()?;
    let mut b = VoltageExpr::compile(beta, BETA).ok()?;
    Some((a.eval(v), b.eval(v)))
}

/// State `j` of `x`, NaN if there is none.
fn read(x: &[f64], j: usize) -> f64 {
    x.get(j).copied().unwrap_or(f64::NAN)
}

/// Adds `d` to `di_dx[j]` if it exists.
fn add(di_dx: &mut [f64], j: usize, d: f64) {
    if let Some(slot) = di_dx.get_mut(j) {
        *slot += d;
    }
}

/// A gate's value and its derivative with respect to its state.
fn gate_value(gate: &Gate<f64>, x: &[f64]) -> (f64, f64) {
    let xs = read(x, gate.state);
    let (base, dbase) = match &gate.logistic {
        None => (xs, 1.0),
        Some(slope) => {
            let z = slope.a * (xs - slope.c);
            let s = logistic(z);
            (s, slope.a * s * logistic(-z))
        }
    };
    match gate.power {
        0 => (1.0, 0.0),
        1 => (base, dbase),
        p => match i32::try_from(p) {
            Ok(p) => (base.powi(p), f64::from(p) * base.powi(p - 1) * dbase),
            Err(_) => {
                let p = f64::from(p);
                (base.powf(p), p * base.powf(p - 1.0) * dbase)
            }
        },
    }
}

fn finite(law: &'static str, name: &str, value: f64) -> Result<(), LawError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(LawError::NonFinite { law, name: name.to_string(), value })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Slope, StateTerm};
    use super::*;
    use crate::expr::Expr;

    fn assert_close(got: f64, want: f64, rel: f64, abs: f64, what: &str) {
        let diff = (got - want).abs();
        assert!(diff <= abs + rel * want.abs(), "{what}: got {got:e}, want {want:e}, difference {diff:e}");
    }

    fn gate(state: usize, power: u32) -> Gate<f64> {
        Gate { state, power, logistic: None }
    }

    /// The Hodgkin–Huxley sodium channel `gNa m³ h (v - ENa)` (mS/cm², mV),
    /// states `[m, h]`.
    fn sodium() -> MemristiveLaw<f64> {
        MemristiveLaw::Gates { gbar: 120.0, e_volt: 50.0, gates: vec![gate(0, 3), gate(1, 1)] }
    }

    /// Checks `eval` against `current` and central differences in `v` and
    /// every state.
    fn check_derivatives(law: &MemristiveLaw<f64>, v: f64, x: &[f64]) {
        let mut di_dx = vec![f64::NAN; x.len()];
        let (i, di_dv) = law.eval(v, x, &mut di_dx);
        assert_close(i, law.current(v, x), 1e-15, 0.0, "eval vs current");
        let h = 1e-6;
        let fd = (law.current(v + h, x) - law.current(v - h, x)) / (2.0 * h);
        assert_close(di_dv, fd, 1e-7, 1e-10, "di/dv");
        for j in 0..x.len() {
            let mut up = x.to_vec();
            let mut down = x.to_vec();
            up[j] += h;
            down[j] -= h;
            let fd = (law.current(v, &up) - law.current(v, &down)) / (2.0 * h);
            // Measured at most 7.7e-4 of the old 1e-7/1e-9 bound; 1e-9/1e-11 is a 13x margin.
            assert_close(di_dx[j], fd, 1e-9, 1e-11, &format!("di/dx[{j}] of {}", law.kind_name()));
        }
    }

    #[test]
    fn hh_sodium_gate_product() {
        let law = sodium();
        let x = [0.05, 0.6];
        let mut di_dx = [0.0; 2];
        let (i, di_dv) = law.eval(-65.0, &x, &mut di_dx);
        // 120 · 0.05³ · 0.6 · (-65 - 50)
        assert_close(i, -1.035, 1e-14, 0.0, "i");
        assert_close(di_dv, 0.009, 1e-14, 0.0, "di/dv = g");
        assert_close(di_dx[0], 120.0 * 3.0 * 0.0025 * 0.6 * -115.0, 1e-14, 0.0, "di/dm");
        assert_close(di_dx[1], 120.0 * 1.25e-4 * -115.0, 1e-14, 0.0, "di/dh");
        assert_close(law.conductance(&x).unwrap(), 0.009, 1e-14, 0.0, "conductance");
        for v in [-80.0, -40.0, 0.0, 30.0] {
            check_derivatives(&law, v, &[0.3, 0.4]);
        }
        // At m = 0 the derivative with respect to h is exactly 0, not NaN.
        let mut di_dx = [f64::NAN; 2];
        law.eval(-65.0, &[0.0, 0.6], &mut di_dx);
        assert_eq!(di_dx, [0.0, 0.0]);
    }

    #[test]
    fn gates_sharing_a_state_and_logistic_gates() {
        let law = MemristiveLaw::Gates {
            gbar: 2e-3,
            e_volt: -0.08,
            gates: vec![
                gate(1, 2),
                Gate { state: 1, power: 1, logistic: Some(Slope { a: 30.0, c: -0.04 }) },
                Gate { state: 0, power: 3, logistic: Some(Slope { a: -50.0, c: -0.06 }) },
            ],
        };
        let x = [-0.05, 0.7, 123.0];
        let s1 = 1.0 / (1.0 + (-30.0f64 * (0.7 + 0.04)).exp());
        let s0 = 1.0 / (1.0 + (50.0f64 * (-0.05 + 0.06)).exp());
        let g = 2e-3 * 0.49 * s1 * s0.powi(3);
        assert_close(law.conductance(&x).unwrap(), g, 1e-14, 0.0, "g");
        assert_close(law.current(0.01, &x), g * 0.09, 1e-14, 0.0, "i");
        check_derivatives(&law, 0.01, &x);
        let mut di_dx = [f64::NAN; 3];
        law.eval(0.01, &x, &mut di_dx);
        assert_eq!(di_dx[2], 0.0, "a state the law does not read");
    }

    #[test]
    fn glm_law() {
        let law = MemristiveLaw::Glm {
            gbar: 1e-3,
            e_volt: 0.05,
            terms: vec![
                StateTerm { state: 0, w: 1.5, a: 20.0, c: -0.02 },
                StateTerm { state: 1, w: -0.7, a: -8.0, c: 0.1 },
                StateTerm { state: 0, w: 0.3, a: -5.0, c: 0.0 },
            ],
        };
        let x = [0.01, -0.2];
        let sp = |z: f64| (1.0 + z.exp()).ln();
        let s = 1.5 * sp(20.0 * 0.03) - 0.7 * sp(-8.0 * -0.3) + 0.3 * sp(-5.0 * 0.01);
        let g = 1e-3 * s.exp();
        assert_close(law.conductance(&x).unwrap(), g, 1e-14, 0.0, "g");
        assert_close(law.current(-0.07, &x), g * -0.12, 1e-14, 0.0, "i");
        check_derivatives(&law, -0.07, &x);
        check_derivatives(&law, 0.3, &[-0.1, 0.4]);
    }

    #[test]
    fn tanh_law_is_a_current_of_its_state() {
        let law = MemristiveLaw::Tanh { state: 1, alpha: -2.0, delta: 0.25 };
        let x = [9.0, 0.75];
        let mut di_dx = [f64::NAN; 2];
        let (i, di_dv) = law.eval(3.0, &x, &mut di_dx);
        assert_close(i, -2.0 * 0.5f64.tanh(), 1e-15, 0.0, "i");
        assert_eq!(di_dv, 0.0);
        assert_close(di_dx[1], -2.0 * (1.0 - 0.5f64.tanh().powi(2)), 1e-14, 0.0, "di/dx");
        assert_eq!(di_dx[0], 0.0);
        assert_eq!(law.conductance(&x), None);
        check_derivatives(&law, 0.0, &[0.3, -1.2]);
        // Far in saturation the slope underflows to 0 rather than NaN.
        law.eval(0.0, &[0.0, 1e3], &mut di_dx);
        assert_eq!(di_dx[1], 0.0);
    }

    #[test]
    fn short_state_vectors_give_nan_not_panics() {
        let law = sodium();
        assert!(law.current(0.0, &[0.1]).is_nan());
        let mut di_dx = [0.0; 1];
        let (i, _) = law.eval(0.0, &[0.1], &mut di_dx);
        assert!(i.is_nan());
    }

    #[test]
    fn memristive_check() {
        assert_eq!(sodium().check(2), Ok(()));
        let err = sodium().check(1).unwrap_err();
        assert_eq!(err.to_string(), "the gates law reads state 1, but its element has 1 states");
        let law = MemristiveLaw::Gates { gbar: 1.0, e_volt: 0.0, gates: vec![gate(0, 0)] };
        assert_eq!(law.check(1), Err(LawError::ZeroPower { index: 0 }));
        let law = MemristiveLaw::Tanh { state: 0, alpha: f64::NAN, delta: 0.0 };
        assert!(matches!(law.check(1), Err(LawError::NonFinite { law: "tanh", .. })));
        let law = MemristiveLaw::Glm {
            gbar: 1.0,
            e_volt: 0.0,
            terms: vec![StateTerm { state: 0, w: 1.0, a: 0.0, c: 0.0 }],
        };
        assert_eq!(law.check(1), Err(LawError::ZeroSlope { law: "glm", name: "terms[0].a".into() }));
    }

    // --- relaxations ---------------------------------------------------------

    // Hodgkin–Huxley sodium activation (mV, ms): a test of the formulas only.
    const ALPHA_M: &str = "0.1*(v+40)/(1-exp(-(v+40)/10))";
    const BETA_M: &str = "4*exp(-(v+65)/18)";
    fn alpha_m(v: f64) -> f64 {
        0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp())
    }
    fn beta_m(v: f64) -> f64 {
        4.0 * (-(v + 65.0) / 18.0).exp()
    }

    fn m_gate() -> Relaxation<f64> {
        Relaxation::Kinetic {
            alpha: Expr::parse(ALPHA_M).unwrap(),
            beta: Expr::parse(BETA_M).unwrap(),
            x0: 0.05,
        }
    }

    #[test]
    fn linear_relaxation() {
        let r = Relaxation::Linear { tau_s: 20.0, x0: 0.0 };
        assert_eq!(r.rate(1.0, 0.5), (0.025, 0.05, -0.05));
        assert_eq!(r.steady_state(-0.3), -0.3);
        assert_eq!(r.time_constant(5.0), 20.0);
        assert_eq!(r.check(), Ok(()));
        let err = Relaxation::Linear { tau_s: 0.0, x0: 0.0 }.check().unwrap_err();
        assert_eq!(err.to_string(), "the linear relaxation law needs tau_s > 0 s, got 0");
    }

    #[test]
    fn hh_gate_rates() {
        let r = m_gate();
        assert_eq!(r.check(), Ok(()));
        let (v, x) = (-50.0, 0.3);
        let (rate, d_dv, d_dx) = r.rate(v, x);
        // Measured exactly 0.
        assert_close(rate, alpha_m(v) * (1.0 - x) - beta_m(v) * x, 1e-15, 0.0, "dm/dt");
        assert_close(rate, -0.114_134_155_399_965_37, 1e-14, 0.0, "dm/dt (40 digits)");
        // Measured 1.3e-16 relative; 1e-15 is a 7.6x margin.
        assert_close(d_dv, 0.052_681_996_014_164_49, 1e-15, 0.0, "∂/∂v");
        assert_close(d_dx, -2.320_369_540_897_639_3, 1e-14, 0.0, "∂/∂x");
        for v in [-90.0, -65.0, -39.0, 0.0, 20.0] {
            let (_, d_dv, d_dx) = r.rate(v, x);
            let h = 1e-5;
            let fd_v = (r.rate(v + h, x).0 - r.rate(v - h, x).0) / (2.0 * h);
            let fd_x = (r.rate(v, x + h).0 - r.rate(v, x - h).0) / (2.0 * h);
            assert_close(d_dv, fd_v, 1e-7, 1e-10, &format!("∂/∂v at {v}"));
            // Measured at most 3.5e-5 of the old 1e-7/1e-10 bound; 1e-10/1e-13 is a 28x margin.
            assert_close(d_dx, fd_x, 1e-10, 1e-13, &format!("∂/∂x at {v}"));
        }
        // Resting state: m∞(-65) = 0.0529..., τ(-65) = 0.2368 ms.
        // Both measured exactly 0.
        assert_close(r.steady_state(-65.0), 0.052_932_485_257_249_58, 1e-15, 0.0, "m∞");
        assert_close(r.time_constant(-65.0), 0.236_766_878_685_687_6, 1e-15, 0.0, "τ");
        // The rate vanishes at the steady state.
        let v = -55.0;
        assert_close(r.rate(v, r.steady_state(v)).0, 0.0, 0.0, 1e-15, "rate at x∞");
    }

    #[test]
    fn hh_rate_is_evaluated_as_written_at_its_removable_singularity() {
        let r = m_gate();
        // At v = -40, alpha_m is 0/(0 + 1e-32) = 0 by ngspice's division rule,
        // not its limit 1; a hair away it is close to the limit.
        let x = 0.0;
        assert_eq!(r.rate(-40.0, x).0, 0.0);
        assert_close(r.rate(-40.0 + 1e-6, x).0, 1.0, 1e-6, 0.0, "alpha_m near -40");
    }

    #[test]
    fn kinetic_check_names_foreign_inputs() {
        let r = Relaxation::Kinetic {
            alpha: Expr::parse("v(a)").unwrap(),
            beta: Expr::parse("1").unwrap(),
            x0: 0.0,
        };
        let err = r.check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the opening rate alpha of the kinetic relaxation reads V(a); a law may only read `v`"
        );
        assert!(r.rate(0.0, 0.0).0.is_nan());
        let r = Relaxation::Kinetic {
            alpha: Expr::parse("1").unwrap(),
            beta: Expr::parse("time*v").unwrap(),
            x0: 0.0,
        };
        let err = r.check().unwrap_err();
        assert_eq!(err, LawError::ReadsTime { what: "closing rate beta of the kinetic relaxation" });
        let r = Relaxation::Kinetic {
            alpha: Expr::parse("1").unwrap(),
            beta: Expr::parse("1").unwrap(),
            x0: f64::NAN,
        };
        assert!(r.check().is_err());
    }
}
