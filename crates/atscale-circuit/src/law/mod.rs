//! Constitutive laws of nonlinear resistors and memristive conductances.
//!
//! A [`ResistiveLaw`] is a voltage-controlled resistor `i = f(v)`; its
//! evaluation (current, slope, co-content `G(v) = ∫₀ᵛ f`, content
//! `J(i) = v f(v) - G(v)`) lives in [`resistive`]. A [`MemristiveLaw`] gives
//! the current of a memristive conductance from its branch voltage and its
//! internal [`Relaxation`] states; its evaluation lives in [`memristive`].
//!
//! Every law is generic over its value type `V`: [`Value`](crate::Value) in a
//! circuit as written (numbers or parameter expressions), `f64` once the
//! circuit is flattened. Only the `f64` forms evaluate.

pub mod memristive;
pub mod resistive;

use serde::{Deserialize, Serialize};

use crate::expr::Expr;

/// The constitutive law `i = f(v)` of a nonlinear resistor, `v` the voltage
/// from its positive to its negative node in volts, `i` the current in amperes
/// flowing through it from positive to negative node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResistiveLaw<V> {
    /// `i = a v³ - b v`: the FitzHugh-Nagumo negative resistor.
    /// `a` in A/V³, `b` in S.
    Cubic {
        /// Cubic coefficient, A/V³.
        a: V,
        /// Linear coefficient, S (negative slope at the origin when `b > 0`).
        b: V,
    },
    /// `i = alpha tanh((v - delta) / w)`: the tanh element of neuromorphic neurons.
    Tanh {
        /// Saturation current, A (negative for a negative conductance).
        alpha: V,
        /// Offset, V.
        delta: V,
        /// Width, V (must be positive).
        w: V,
    },
    /// `i = alpha / (1 + exp(-a (v - c)))`: a logistic (sigmoid) current.
    Logistic {
        /// Saturation current, A.
        alpha: V,
        /// Slope, 1/V (either sign, non-zero).
        a: V,
        /// Centre, V.
        c: V,
    },
    /// `i = alpha softplus(a (v - c))`, `softplus(x) = ln(1 + eˣ)`: one
    /// "switchlet" of the softplus basis (theory section 5).
    Softplus {
        /// Current scale, A.
        alpha: V,
        /// Slope, 1/V (either sign, non-zero).
        a: V,
        /// Centre, V.
        c: V,
    },
    /// The GLM conductor of theory section 5:
    /// `i = g0 v exp(Σⱼ wⱼ softplus(aⱼ (v - cⱼ)))`.
    Glm {
        /// Conductance scale, S.
        g0: V,
        /// Softplus terms of `log m(v)`.
        terms: Vec<SoftplusTerm<V>>,
    },
    /// Piecewise linear through `(v, i)` corners sorted by strictly
    /// increasing `v`; the end segments extend linearly.
    Pwl {
        /// Corners `(volts, amperes)`.
        points: Vec<(V, V)>,
    },
    /// Any expression of the branch voltage, written as the variable `v`
    /// (and parameters). Its derivative is exact (automatic differentiation);
    /// its co-content is computed by numerical quadrature.
    Expression {
        /// The current in amperes as an expression of `v` in volts.
        expr: Expr,
    },
}

/// One term `w softplus(a (u - c))` of a softplus (GLM) sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftplusTerm<V> {
    /// Weight (dimensionless).
    pub w: V,
    /// Slope, 1/V.
    pub a: V,
    /// Centre, V.
    pub c: V,
}

/// A first-order internal state of a memristive conductance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "relaxation", rename_all = "snake_case", deny_unknown_fields)]
pub enum Relaxation<V> {
    /// `tau dx/dt = v - x`: a low-pass filter of the branch voltage; `x` in volts.
    Linear {
        /// Time constant, s (positive).
        tau_s: V,
        /// Initial value, V.
        x0: V,
    },
    /// `dx/dt = alpha(v) (1 - x) - beta(v) x`: a Hodgkin-Huxley gate with
    /// voltage-dependent relaxation; `x` dimensionless in [0, 1].
    Kinetic {
        /// Opening rate in 1/s as an expression of the branch voltage `v` (volts).
        alpha: Expr,
        /// Closing rate in 1/s as an expression of the branch voltage `v` (volts).
        beta: Expr,
        /// Initial value (dimensionless).
        x0: V,
    },
}

/// The law of a memristive conductance over its states `x` (theory section 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case", deny_unknown_fields)]
pub enum MemristiveLaw<V> {
    /// `i = alpha tanh(x[state] - delta)`: the tanh element of a lowpass-filtered
    /// voltage (slow and ultraslow elements of neuromorphic neurons). No battery.
    Tanh {
        /// Index of the state it reads.
        state: usize,
        /// Saturation current, A.
        alpha: V,
        /// Offset, V.
        delta: V,
    },
    /// `i = gbar Πⱼ gateⱼ (v - e)`, `gate = x^p` or `logistic(a (x - c))^p`:
    /// product of gates, e.g. Hodgkin-Huxley `gNa m³ h (v - ENa)`.
    Gates {
        /// Maximal conductance, S.
        gbar: V,
        /// Battery (reversal potential), V.
        e_volt: V,
        /// The gating factors.
        gates: Vec<Gate<V>>,
    },
    /// `i = gbar exp(Σⱼ wⱼ softplus(aⱼ (x[sⱼ] - cⱼ))) (v - e)`: the softplus GLM.
    Glm {
        /// Conductance scale, S.
        gbar: V,
        /// Battery, V.
        e_volt: V,
        /// Softplus terms over the states.
        terms: Vec<StateTerm<V>>,
    },
}

/// A gating factor `x[state]^power`, or `logistic(a (x[state] - c))^power`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate<V> {
    /// Index of the state it reads.
    pub state: usize,
    /// Integer exponent (at least 1).
    pub power: u32,
    /// When present, the gate is a logistic function of the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistic: Option<Slope<V>>,
}

/// Slope and centre of a logistic gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slope<V> {
    /// Slope, 1/(unit of the state).
    pub a: V,
    /// Centre, unit of the state.
    pub c: V,
}

/// A softplus term `w softplus(a (x[state] - c))` over a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateTerm<V> {
    /// Index of the state it reads.
    pub state: usize,
    /// Weight (dimensionless).
    pub w: V,
    /// Slope, 1/(unit of the state).
    pub a: V,
    /// Centre, unit of the state.
    pub c: V,
}

fn map_pairs<V, W, E>(points: &[(V, V)], f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<Vec<(W, W)>, E> {
    points.iter().map(|(a, b)| Ok((f(a)?, f(b)?))).collect()
}

impl<V> SoftplusTerm<V> {
    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<SoftplusTerm<W>, E> {
        Ok(SoftplusTerm { w: f(&self.w)?, a: f(&self.a)?, c: f(&self.c)? })
    }
}

impl<V> ResistiveLaw<V> {
    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<ResistiveLaw<W>, E> {
        Ok(match self {
            ResistiveLaw::Cubic { a, b } => ResistiveLaw::Cubic { a: f(a)?, b: f(b)? },
            ResistiveLaw::Tanh { alpha, delta, w } => {
                ResistiveLaw::Tanh { alpha: f(alpha)?, delta: f(delta)?, w: f(w)? }
            }
            ResistiveLaw::Logistic { alpha, a, c } => {
                ResistiveLaw::Logistic { alpha: f(alpha)?, a: f(a)?, c: f(c)? }
            }
            ResistiveLaw::Softplus { alpha, a, c } => {
                ResistiveLaw::Softplus { alpha: f(alpha)?, a: f(a)?, c: f(c)? }
            }
            ResistiveLaw::Glm { g0, terms } => ResistiveLaw::Glm {
                g0: f(g0)?,
                terms: terms.iter().map(|t| t.try_map(f)).collect::<Result<_, _>>()?,
            },
            ResistiveLaw::Pwl { points } => ResistiveLaw::Pwl { points: map_pairs(points, f)? },
            ResistiveLaw::Expression { expr } => ResistiveLaw::Expression { expr: expr.clone() },
        })
    }

    /// The law's name as written in specs and netlists (`cubic`, `tanh`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            ResistiveLaw::Cubic { .. } => "cubic",
            ResistiveLaw::Tanh { .. } => "tanh",
            ResistiveLaw::Logistic { .. } => "logistic",
            ResistiveLaw::Softplus { .. } => "softplus",
            ResistiveLaw::Glm { .. } => "glm",
            ResistiveLaw::Pwl { .. } => "pwl",
            ResistiveLaw::Expression { .. } => "expression",
        }
    }
}

impl<V> Relaxation<V> {
    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<Relaxation<W>, E> {
        Ok(match self {
            Relaxation::Linear { tau_s, x0 } => Relaxation::Linear { tau_s: f(tau_s)?, x0: f(x0)? },
            Relaxation::Kinetic { alpha, beta, x0 } => {
                Relaxation::Kinetic { alpha: alpha.clone(), beta: beta.clone(), x0: f(x0)? }
            }
        })
    }

    /// The initial value of the state.
    pub fn x0(&self) -> &V {
        match self {
            Relaxation::Linear { x0, .. } | Relaxation::Kinetic { x0, .. } => x0,
        }
    }
}

impl<V> MemristiveLaw<V> {
    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<MemristiveLaw<W>, E> {
        Ok(match self {
            MemristiveLaw::Tanh { state, alpha, delta } => {
                MemristiveLaw::Tanh { state: *state, alpha: f(alpha)?, delta: f(delta)? }
            }
            MemristiveLaw::Gates { gbar, e_volt, gates } => MemristiveLaw::Gates {
                gbar: f(gbar)?,
                e_volt: f(e_volt)?,
                gates: gates
                    .iter()
                    .map(|g| {
                        Ok(Gate {
                            state: g.state,
                            power: g.power,
                            logistic: match &g.logistic {
                                Some(s) => Some(Slope { a: f(&s.a)?, c: f(&s.c)? }),
                                None => None,
                            },
                        })
                    })
                    .collect::<Result<_, E>>()?,
            },
            MemristiveLaw::Glm { gbar, e_volt, terms } => MemristiveLaw::Glm {
                gbar: f(gbar)?,
                e_volt: f(e_volt)?,
                terms: terms
                    .iter()
                    .map(|t| Ok(StateTerm { state: t.state, w: f(&t.w)?, a: f(&t.a)?, c: f(&t.c)? }))
                    .collect::<Result<_, E>>()?,
            },
        })
    }

    /// Indices of the states the law reads.
    pub fn states_read(&self) -> Vec<usize> {
        let mut s: Vec<usize> = match self {
            MemristiveLaw::Tanh { state, .. } => vec![*state],
            MemristiveLaw::Gates { gates, .. } => gates.iter().map(|g| g.state).collect(),
            MemristiveLaw::Glm { terms, .. } => terms.iter().map(|t| t.state).collect(),
        };
        s.sort_unstable();
        s.dedup();
        s
    }

    /// Whether the law has a battery (a reversal potential it drives towards).
    pub fn battery(&self) -> Option<&V> {
        match self {
            MemristiveLaw::Tanh { .. } => None,
            MemristiveLaw::Gates { e_volt, .. } | MemristiveLaw::Glm { e_volt, .. } => Some(e_volt),
        }
    }

    /// The law's name as written in specs (`tanh`, `gates`, `glm`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            MemristiveLaw::Tanh { .. } => "tanh",
            MemristiveLaw::Gates { .. } => "gates",
            MemristiveLaw::Glm { .. } => "glm",
        }
    }
}
