//! Evaluation of expression trees: the operator rules shared with the
//! compiled form, [`Expr::eval_const`] and [`Expr::fold_constants`].

use std::fmt;

use super::compile::NGSPICE_DEFAULT_GMIN;
use super::func::{self, Func, HUGE};
use super::{BinaryOp, Expr, UnaryOp};

/// An operator or function produced `+inf`, which ngspice treats as "out of
/// range" and refuses (`PTeval` in `ifeval.c` compares every result with
/// `HUGE`, which is `+inf` with glibc; `sqrt`, `ln`, `log` and `log10`
/// return it for negative arguments, `PTdivide` for a zero divisor).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{} out of range for `{op}`", show_args(*.arg, *.arg2))]
pub struct OutOfRange {
    /// The operator or function as ngspice names it (`"/"`, `"-"` for both
    /// minus signs, `"sqrt"`).
    pub op: &'static str,
    /// Its (first) argument.
    pub arg: f64,
    /// Its second argument, for a binary operator or two-argument function.
    pub arg2: Option<f64>,
}

fn show_args(a: f64, b: Option<f64>) -> String {
    match b {
        Some(b) => format!("{a:?}, {b:?}"),
        None => format!("{a:?}"),
    }
}

/// Why [`Expr::eval_const`] could not produce a number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The lookup did not know this variable.
    #[error("unknown variable `{name}`")]
    UnknownVariable {
        /// The variable as written.
        name: String,
    },
    /// The expression reads a node voltage, a current or `time`, which have
    /// no value outside a simulation.
    #[error("`{leaf}` has no value outside a simulation")]
    NotConstant {
        /// The leaf as written, e.g. `v(out)`, `i(v1)` or `time`.
        leaf: String,
    },
    /// A function was called with the wrong number of arguments (only
    /// possible for a tree built in code).
    #[error("`{name}` takes {expected} argument(s), but {found} were given")]
    ArgCount {
        /// The function.
        name: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many it was given.
        found: usize,
    },
    /// An operator or function produced `+inf` (see [`OutOfRange`]).
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
    /// `ddt(...)` (a time derivative) was evaluated outside a transient
    /// simulation, e.g. in a `.param` (see [`Func::Ddt`]).
    #[error("`{expr}`: the time derivative `ddt` has a value only in a transient simulation (in a B, E or G source)")]
    TimeDerivative {
        /// The call as written, e.g. `ddt(v(a))`.
        expr: String,
    },
}

/// ngspice's `PTfudge_factor` for a gmin: `gmin * 1e-20` (`PTeval`).
pub(crate) fn fudge_for(gmin: f64) -> f64 {
    gmin * 1e-20
}

/// `PTdivide`: the divisor is pushed away from zero by `fudge`; a divisor
/// that is still zero gives `HUGE`.
pub(crate) fn divisor(b: f64, fudge: f64) -> f64 {
    if b >= 0.0 {
        b + fudge
    } else {
        b - fudge
    }
}

fn check(op: &'static str, v: f64, arg: f64, arg2: Option<f64>) -> Result<f64, OutOfRange> {
    if v == HUGE {
        Err(OutOfRange { op, arg, arg2 })
    } else {
        Ok(v)
    }
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// The value of `a op b` (ngspice's grammar actions and `ptfuncs.c`).
pub(crate) fn binary_value(op: BinaryOp, a: f64, b: f64, fudge: f64) -> Result<f64, OutOfRange> {
    let sym = op.symbol();
    let v = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => {
            let d = divisor(b, fudge);
            if d == 0.0 {
                HUGE
            } else {
                a / d
            }
        }
        BinaryOp::Pow => func::pow_abs(a, b),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            // `a < b` is `lt0(a - b)`: the difference is a `-` node of its own.
            let d = check("-", a - b, a, Some(b))?;
            return Ok(flag(match op {
                BinaryOp::Lt => d < 0.0,
                BinaryOp::Le => d <= 0.0,
                BinaryOp::Gt => d > 0.0,
                BinaryOp::Ge => d >= 0.0,
                BinaryOp::Eq => d == 0.0,
                _ => d != 0.0,
            }));
        }
        BinaryOp::And => flag(flag(a == 0.0) + flag(b == 0.0) == 0.0),
        BinaryOp::Or => flag(flag(a != 0.0) + flag(b != 0.0) != 0.0),
    };
    check(sym, v, a, Some(b))
}

/// The value of `op a`.
pub(crate) fn unary_value(op: UnaryOp, a: f64) -> Result<f64, OutOfRange> {
    match op {
        UnaryOp::Neg => check("-", -a, a, None),
        UnaryOp::Not => Ok(flag(a == 0.0)),
    }
}

/// The value of a call with checked arity.
pub(crate) fn call_value(f: Func, a: f64, b: f64) -> Result<f64, OutOfRange> {
    if f.arity() == 2 {
        check(f.name(), func::value2(f, a, b), a, Some(b))
    } else {
        check(f.name(), func::value1(f, a), a, None)
    }
}

fn arity_error(f: Func, found: usize) -> EvalError {
    EvalError::ArgCount { name: f.name(), expected: f.arity(), found }
}

/// Evaluates a tree; `leaf` gives the value of a variable, node, current or
/// `time` leaf. Only the taken branch of a ternary is evaluated.
fn eval_tree(
    e: &Expr,
    leaf: &mut impl FnMut(&Expr) -> Result<f64, EvalError>,
    fudge: f64,
) -> Result<f64, EvalError> {
    Ok(match e {
        Expr::Num(x) => *x,
        Expr::Const(c) => c.value(),
        Expr::Var(_) | Expr::Time | Expr::Voltage(..) | Expr::Current(_) => leaf(e)?,
        Expr::Unary(op, a) => unary_value(*op, eval_tree(a, leaf, fudge)?)?,
        Expr::Binary(op, a, b) => {
            let a = eval_tree(a, leaf, fudge)?;
            binary_value(*op, a, eval_tree(b, leaf, fudge)?, fudge)?
        }
        Expr::Chain(first, rest) => {
            let mut acc = eval_tree(first, leaf, fudge)?;
            for (op, t) in rest {
                acc = binary_value(*op, acc, eval_tree(t, leaf, fudge)?, fudge)?;
            }
            acc
        }
        Expr::Ternary(c, t, f) => {
            if eval_tree(c, leaf, fudge)? != 0.0 {
                eval_tree(t, leaf, fudge)?
            } else {
                eval_tree(f, leaf, fudge)?
            }
        }
        Expr::Call(Func::Ddt, _) => return Err(EvalError::TimeDerivative { expr: e.to_string() }),
        Expr::Call(f, args) => {
            if !f.takes(args.len()) {
                return Err(arity_error(*f, args.len()));
            }
            let mut v = [f64::NAN; 2];
            for (slot, a) in v.iter_mut().zip(args) {
                *slot = eval_tree(a, leaf, fudge)?;
            }
            if args.len() < f.arity() {
                return Ok(check(f.name(), func::param_form(*f, v[0]), v[0], None)?);
            }
            call_value(*f, v[0], v[1])?
        }
    })
}

impl Expr {
    /// Evaluates an expression that reads only variables and constants,
    /// `lookup` giving each variable's value. Division uses ngspice's divisor
    /// nudge for the default gmin (`1/0` = `1e32`).
    ///
    /// # Errors
    ///
    /// [`EvalError::UnknownVariable`] when `lookup` returns `None`,
    /// [`EvalError::NotConstant`] for `v()`, `i()` and `time` (in an evaluated
    /// branch), [`EvalError::TimeDerivative`] for `ddt()` (in an evaluated
    /// branch), [`EvalError::OutOfRange`] for a `+inf` result.
    ///
    /// This is the evaluation of ngspice's `.param` expressions too, so
    /// `max(x)` and `min(x)` are `max(x, 1)` and `min(x, 1)` here (see
    /// [`Func::takes`]).
    pub fn eval_const(&self, lookup: &mut impl FnMut(&str) -> Option<f64>) -> Result<f64, EvalError> {
        eval_tree(
            self,
            &mut |e| match e {
                Expr::Var(name) => {
                    lookup(name).ok_or_else(|| EvalError::UnknownVariable { name: name.clone() })
                }
                other => Err(EvalError::NotConstant { leaf: other.to_string() }),
            },
            fudge_for(NGSPICE_DEFAULT_GMIN),
        )
    }

    /// Replaces every constant subtree by its value, computed with the rules
    /// of [`Expr::eval_const`]: `pi` becomes a number, `2*3` becomes `6`, a
    /// ternary with a constant condition becomes the branch it takes. A
    /// subtree whose evaluation fails (`sqrt(-1)`) stays as written so that
    /// the failure shows when it is evaluated, and so does a division by an
    /// exact zero (its value depends on gmin). Subtrees that read a variable,
    /// node, current or `time` are never simplified (`0*v(a)` stays, since it
    /// is NaN for an infinite `v(a)`). Calls of `ddt` and the
    /// one-argument `.param` forms of `min` and `max` stay too: the place
    /// the expression is used decides about them.
    pub fn fold_constants(&self) -> Expr {
        let fudge = fudge_for(NGSPICE_DEFAULT_GMIN);
        let boxed = |e: &Expr| Box::new(e.fold_constants());
        match self {
            Expr::Num(_) | Expr::Var(_) | Expr::Time | Expr::Voltage(..) | Expr::Current(_) => self.clone(),
            Expr::Const(c) => Expr::Num(c.value()),
            Expr::Unary(op, a) => {
                let a = a.fold_constants();
                if let Expr::Num(x) = a {
                    if let Ok(v) = unary_value(*op, x) {
                        return Expr::Num(v);
                    }
                }
                Expr::Unary(*op, Box::new(a))
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.fold_constants(), b.fold_constants());
                if let (Expr::Num(x), Expr::Num(y)) = (&a, &b) {
                    if !(*op == BinaryOp::Div && *y == 0.0) {
                        if let Ok(v) = binary_value(*op, *x, *y, fudge) {
                            return Expr::Num(v);
                        }
                    }
                }
                Expr::Binary(*op, Box::new(a), Box::new(b))
            }
            Expr::Chain(first, rest) => {
                let first = first.fold_constants();
                let rest: Vec<(BinaryOp, Expr)> =
                    rest.iter().map(|(op, t)| (*op, t.fold_constants())).collect();
                // All constant: the value, computed left to right as the chain means.
                let mut acc = match &first {
                    Expr::Num(x) => Some(*x),
                    _ => None,
                };
                for (op, t) in &rest {
                    acc = match (acc, t) {
                        (Some(x), Expr::Num(y)) if !(*op == BinaryOp::Div && *y == 0.0) => {
                            binary_value(*op, x, *y, fudge).ok()
                        }
                        _ => None,
                    };
                }
                match acc {
                    Some(v) => Expr::Num(v),
                    None => Expr::Chain(Box::new(first), rest),
                }
            }
            Expr::Ternary(c, t, e) => match c.fold_constants() {
                Expr::Num(x) if x != 0.0 => t.fold_constants(),
                Expr::Num(_) => e.fold_constants(),
                c => Expr::Ternary(Box::new(c), boxed(t), boxed(e)),
            },
            Expr::Call(f, args) => {
                let args: Vec<Expr> = args.iter().map(Expr::fold_constants).collect();
                if args.len() == f.arity() && *f != Func::Ddt {
                    let mut v = [f64::NAN; 2];
                    let mut all = true;
                    for (slot, a) in v.iter_mut().zip(&args) {
                        match a {
                            Expr::Num(x) => *slot = *x,
                            _ => all = false,
                        }
                    }
                    if all {
                        if let Ok(v) = call_value(*f, v[0], v[1]) {
                            return Expr::Num(v);
                        }
                    }
                }
                Expr::Call(*f, args)
            }
        }
    }
}

impl fmt::Display for super::Leaf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            super::Leaf::Node(n) => write!(f, "v({n})"),
            super::Leaf::Current(n) => write!(f, "i({n})"),
            super::Leaf::Var(n) => f.write_str(n),
            super::Leaf::Time => f.write_str("time"),
        }
    }
}
