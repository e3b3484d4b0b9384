//! The built-in functions, with ngspice's value rules and their exact
//! derivatives.

use std::f64::consts::{LOG10_E, PI, TAU};

use super::eval::{EvalError, OutOfRange};

/// Above this argument ngspice's `exp` returns [`EXP_CAP`] (`PTexp`).
pub(crate) const EXP_ARG_MAX: f64 = 227.9559242;
/// What `exp` returns above [`EXP_ARG_MAX`] (`PTexp`).
pub(crate) const EXP_CAP: f64 = 1e99;
/// What `ln`, `log` and `log10` return at exactly 0 (`PTlog`, `PTlog10`).
pub(crate) const LOG_OF_ZERO: f64 = -1e99;
/// ngspice's `HUGE`: the "out of range" return value, `HUGE_VAL` = `+inf`
/// with glibc. ngspice's `PTeval` rejects any result equal to it.
pub(crate) const HUGE: f64 = f64::INFINITY;

/// A built-in function of the B-source language. Names are matched without
/// regard to case. Each variant states its value rule (from ngspice's
/// `src/spicelib/parser/ptfuncs.c`, function named in brackets) and the
/// derivative [`CompiledExpr`](super::CompiledExpr) uses: the exact derivative
/// of that value. Where ngspice's symbolic derivative (`PTdifferentiate` in
/// `inpptree.c`) differs, the variant says so.
///
/// A value of `+inf` (what `sqrt` and the logarithms return for a negative
/// argument, ngspice's `HUGE`) makes the evaluation fail, as in `PTeval`; see
/// [`OutOfRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// `abs(x)` = `|x|` (`PTabs`). Slope `sgn(x)` (0 at 0).
    Abs,
    /// `acos(x)` (`PTacos`); NaN outside `[-1, 1]`. Slope `-1/sqrt(1-x^2)`.
    Acos,
    /// `acosh(x)` (`PTacosh`); NaN below 1. Slope `1/sqrt(x^2-1)`.
    Acosh,
    /// `asin(x)` (`PTasin`); NaN outside `[-1, 1]`. Slope `1/sqrt(1-x^2)`.
    Asin,
    /// `asinh(x)` (`PTasinh`). Slope `1/sqrt(x^2+1)`.
    Asinh,
    /// `atan(x)` (`PTatan`). Slope `1/(1+x^2)`.
    Atan,
    /// `atanh(x)` (`PTatanh`); `atanh(1) = +inf` fails, `atanh(-1) = -inf`.
    /// Slope `1/(1-x^2)`.
    Atanh,
    /// `cos(x)` = `cos(x - trunc(x/2pi)*2pi)` (`PTcos`, the `MODULUS` macro).
    /// Slope `-sin` of the same reduced argument.
    Cos,
    /// `cosh(x)` (`PTcosh`); overflow to `+inf` fails. Slope `sinh(x)`.
    Cosh,
    /// `sin(x)` = `sin(x - trunc(x/2pi)*2pi)` (`PTsin`). Slope `cos` of the
    /// reduced argument. ngspice truncates with a C `int` cast, which
    /// overflows beyond `|x| = 2^31*2pi ~ 1.35e10` (`2^31*pi` for `tan`);
    /// there the quotient becomes `INT_MIN` as on x86-64, so
    /// `sin(1e15)` is `sin(1e15 + 2^31*2pi)` = 0.8693638200131949, as ngspice
    /// 39.3 computes it.
    Sin,
    /// `sinh(x)` (`PTsinh`). Slope `cosh(x)`.
    Sinh,
    /// `tan(x)` = `tan(x - trunc(x/pi)*pi)` (`PTtan`). Slope `1 + tan^2`.
    Tan,
    /// `tanh(x)` (`PTtanh`). Slope `1 - tanh^2`.
    Tanh,
    /// `exp(x)`, but `1e99` for `x > 227.9559242` (`PTexp`, default mode).
    /// Slope: `exp(x)` below the cap and **0** above it, the exact slope of
    /// the capped value; ngspice's symbolic slope there is `exp(x)` evaluated
    /// by `PTexp`, i.e. `1e99`.
    Exp,
    /// `ln(x)`: natural logarithm; `-1e99` at `x = 0`; fails for `x < 0`
    /// (`PTlog`). Slope `1/x`.
    Ln,
    /// `log(x)`: in ngspice this is the **natural** logarithm, the same
    /// function as `ln` (both map to `PTF_LOG`/`PTlog`). Slope `1/x`.
    Log,
    /// `log10(x)`: `-1e99` at 0, fails for `x < 0` (`PTlog10`). Slope
    /// `log10(e)/x`.
    Log10,
    /// `sqrt(x)`: fails for `x < 0` (`PTsqrt`). Slope `1/(2 sqrt(x))`,
    /// `+inf` at 0.
    Sqrt,
    /// `sgn(x)`: 1, -1, or 0 for 0 and NaN (`PTsgn`). Slope 0.
    Sgn,
    /// `u(x)`: unit step, 0 below 0, 1 above, **0.5 at 0** (and for NaN)
    /// (`PTustep`). Slope 0.
    U,
    /// `u2(x)`: 0 for `x <= 0`, `x` up to 1, then 1 (1 for NaN)
    /// (`PTustep2`). Slope `u(x) - u(x-1)`: 1 inside, 0.5 at the corners, as
    /// ngspice.
    U2,
    /// `uramp(x)`: 0 below 0, else `x` (`PTuramp`); `uramp(-1) = 0`. Slope
    /// `u(x)` (0.5 at 0, as ngspice).
    Uramp,
    /// `ceil(x)` (`PTceil`). Slope 0.
    Ceil,
    /// `floor(x)` (`PTfloor`). Slope 0.
    Floor,
    /// `nint(x)`: nearest integer, **halves to even** (`nearbyint` in the
    /// default rounding mode) (`PTnint`): `nint(2.5) = 2`, `nint(3.5) = 4`,
    /// `nint(-2.5) = -2`. Slope 0.
    Nint,
    /// `min(a,b)` = `a > b ? b : a` (`PTmin`) (so `min(NaN, 1)` is NaN and
    /// `min(1, NaN)` is 1). Slope: that of the argument selected. ngspice's
    /// symbolic slope picks `b` on a tie (`(a-b) < 0 ? a' : b'`); here the tie
    /// goes to `a`, the argument whose value is returned. In `.param`
    /// expressions `min(x)` is `min(x, 1)` (see [`Func::takes`]).
    Min,
    /// `max(a,b)` = `a > b ? a : b` (`PTmax`). Slope: that of the argument
    /// selected (`b` on a tie, as ngspice). In `.param` expressions
    /// `max(x)` is `max(x, 1)` (see [`Func::takes`]).
    Max,
    /// `pow(a,b)` = `|a|^b`, same as `a^b` (`PTpower`, default mode; ngspice
    /// in HSPICE or LTspice compatibility modes differs). `pow(-2,3) = 8`;
    /// `pow(0,-1) = +inf` fails. Slopes `b * pwr(a, b-1)` (that is
    /// `b |a|^(b-1) sgn(a)`, as ngspice) and `|a|^b ln|a|` (0 where the value
    /// is 0).
    Pow,
    /// `pwr(a,b)` = `sign(a) |a|^b`: `a < 0 ? -(-a)^b : a^b` (`PTpwr`);
    /// `pwr(-2,3) = -8`, `pwr(0,0) = 1`. Slopes `b |a|^(b-1)` and
    /// `pwr(a,b) ln|a|` (0 where the value is 0).
    Pwr,
    /// `ddt(x)`: the time derivative of `x` (`PTddt`). It has a value only
    /// in a transient simulation: evaluating it anywhere else
    /// ([`Expr::eval_const`](super::Expr::eval_const), a `.param`) is
    /// [`EvalError::TimeDerivative`], and
    /// [`CompiledExpr::compile`](super::CompiledExpr::compile) refuses it
    /// ([`CompileError::TimeDerivative`](super::CompileError::TimeDerivative)):
    /// the transient engine first replaces every call by an unknown of its
    /// own ([`Expr::split_ddt`](super::Expr::split_ddt)). ngspice computes
    /// it as a finite difference of the argument between earlier time
    /// points (0 at the operating point); atscale's engine differentiates
    /// the argument with its integration formula (also 0 at the operating
    /// point).
    Ddt,
}

impl Func {
    /// Every function.
    pub const ALL: [Func; 30] = [
        Func::Abs,
        Func::Acos,
        Func::Acosh,
        Func::Asin,
        Func::Asinh,
        Func::Atan,
        Func::Atanh,
        Func::Cos,
        Func::Cosh,
        Func::Sin,
        Func::Sinh,
        Func::Tan,
        Func::Tanh,
        Func::Exp,
        Func::Ln,
        Func::Log,
        Func::Log10,
        Func::Sqrt,
        Func::Sgn,
        Func::U,
        Func::U2,
        Func::Uramp,
        Func::Ceil,
        Func::Floor,
        Func::Nint,
        Func::Min,
        Func::Max,
        Func::Pow,
        Func::Pwr,
        Func::Ddt,
    ];

    /// The name as printed (lower case).
    pub fn name(self) -> &'static str {
        match self {
            Func::Abs => "abs",
            Func::Acos => "acos",
            Func::Acosh => "acosh",
            Func::Asin => "asin",
            Func::Asinh => "asinh",
            Func::Atan => "atan",
            Func::Atanh => "atanh",
            Func::Cos => "cos",
            Func::Cosh => "cosh",
            Func::Sin => "sin",
            Func::Sinh => "sinh",
            Func::Tan => "tan",
            Func::Tanh => "tanh",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Sgn => "sgn",
            Func::U => "u",
            Func::U2 => "u2",
            Func::Uramp => "uramp",
            Func::Ceil => "ceil",
            Func::Floor => "floor",
            Func::Nint => "nint",
            Func::Min => "min",
            Func::Max => "max",
            Func::Pow => "pow",
            Func::Pwr => "pwr",
            Func::Ddt => "ddt",
        }
    }

    /// The function of that name, in any case. `arctan` (ngspice's brace
    /// expressions) is `atan`.
    pub fn from_name(name: &str) -> Option<Func> {
        if name.eq_ignore_ascii_case("arctan") {
            return Some(Func::Atan);
        }
        Func::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// How many arguments it takes: 2 for `min`, `max`, `pow`, `pwr`, else 1.
    /// (`min` and `max` also take one in ngspice's `.param` expressions:
    /// see [`Func::takes`].)
    pub fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max | Func::Pow | Func::Pwr => 2,
            _ => 1,
        }
    }

    /// Whether a call with `n` arguments parses: [`Func::arity`], and also
    /// one for `min` and `max`. ngspice's `.param` expressions (numparam,
    /// `xpressn.c`) read `max(x)` as `max(x, 1)` and `min(x)` as
    /// `min(x, 1)` (its second operand defaults to 1.0), which
    /// [`Expr::eval_const`](super::Expr::eval_const) follows; its B sources
    /// do not accept them (ngspice 39 crashes), and
    /// [`CompiledExpr::compile`](super::CompiledExpr::compile) refuses them.
    pub fn takes(self, n: usize) -> bool {
        n == self.arity() || (n == 1 && matches!(self, Func::Min | Func::Max))
    }

    /// The value for these arguments, with the rules above (one-argument
    /// `min` and `max` as in `.param`, see [`Func::takes`]).
    ///
    /// # Errors
    ///
    /// [`EvalError::ArgCount`] for a count [`Func::takes`] refuses,
    /// [`EvalError::TimeDerivative`] for `ddt`, [`EvalError::OutOfRange`]
    /// for a `+inf` value.
    pub fn apply(self, args: &[f64]) -> Result<f64, EvalError> {
        if self == Func::Ddt {
            return Err(EvalError::TimeDerivative { expr: format!("ddt({})", show_list(args)) });
        }
        let v = match (self.arity(), args) {
            (1, &[x]) => value1(self, x),
            (2, &[a, b]) => value2(self, a, b),
            (2, &[x]) if self.takes(1) => param_form(self, x),
            _ => {
                return Err(EvalError::ArgCount {
                    name: self.name(),
                    expected: self.arity(),
                    found: args.len(),
                })
            }
        };
        if v == HUGE {
            let (arg, arg2) = match args {
                &[a, b] => (a, Some(b)),
                _ => (args.first().copied().unwrap_or(f64::NAN), None),
            };
            return Err(EvalError::OutOfRange(OutOfRange { op: self.name(), arg, arg2 }));
        }
        Ok(v)
    }
}

fn show_list(args: &[f64]) -> String {
    args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
}

/// One-argument `min(x)` and `max(x)` as ngspice's `.param` expressions
/// compute them: numparam's `MIN(x, 1.0)` and `MAX(x, 1.0)` (C macros
/// `x < 1 ? x : 1` and `x > 1 ? x : 1`, so NaN gives 1), which are the
/// B-source rules of `min(1, x)` and `max(x, 1)`.
pub(crate) fn param_form(f: Func, x: f64) -> f64 {
    match f {
        Func::Min => value2(Func::Min, 1.0, x),
        _ => value2(Func::Max, x, 1.0),
    }
}

/// `MODULUS(x, limit)` of `ptfuncs.c`: `x - (int)(x/limit) * limit`. The C
/// cast truncates; out of the `int` range (and for NaN) x86-64 gives
/// `INT_MIN`, and so does this function, to match ngspice there too
/// (measured: ngspice 39.3 gives `sin(1e15)` = `sin(1e15 + 2^31*2pi)`).
fn modulus(x: f64, limit: f64) -> f64 {
    let q = (x / limit).trunc();
    let k = if (-2_147_483_648.0..=2_147_483_647.0).contains(&q) { q } else { -2_147_483_648.0 };
    x - k * limit
}

/// ngspice `PTsgn`.
pub(crate) fn sgn(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// ngspice `PTustep`.
fn ustep(x: f64) -> f64 {
    if x < 0.0 {
        0.0
    } else if x > 0.0 {
        1.0
    } else {
        0.5
    }
}

/// ngspice `PTustep2`.
fn ustep2(x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x <= 1.0 {
        x
    } else {
        1.0
    }
}

/// `|a|^b` ((`PTpower`) in the default mode).
pub(crate) fn pow_abs(a: f64, b: f64) -> f64 {
    a.abs().powf(b)
}

/// ngspice `PTpwr` (default mode).
fn pwr(a: f64, b: f64) -> f64 {
    if a < 0.0 {
        -(-a).powf(b)
    } else {
        a.powf(b)
    }
}

/// `acosh` as glibc/fdlibm compute it (`e_acosh.c`), accurate for large `x`.
fn acosh(x: f64) -> f64 {
    if x.is_nan() || x < 1.0 {
        f64::NAN
    } else if x >= 268_435_456.0 {
        // 2^28: sqrt(x^2 - 1) == x to double precision.
        x.ln() + std::f64::consts::LN_2
    } else if x > 2.0 {
        (2.0 * x - 1.0 / (x + (x * x - 1.0).sqrt())).ln()
    } else {
        let t = x - 1.0;
        (t + (2.0 * t + t * t).sqrt()).ln_1p()
    }
}

/// Value of a one-argument function; `HUGE` (`+inf`) means out of range.
pub(crate) fn value1(f: Func, x: f64) -> f64 {
    match f {
        Func::Abs => x.abs(),
        Func::Acos => x.acos(),
        Func::Acosh => acosh(x),
        Func::Asin => x.asin(),
        Func::Asinh => x.asinh(),
        Func::Atan => x.atan(),
        Func::Atanh => x.atanh(),
        Func::Cos => modulus(x, TAU).cos(),
        Func::Cosh => x.cosh(),
        Func::Sin => modulus(x, TAU).sin(),
        Func::Sinh => x.sinh(),
        Func::Tan => modulus(x, PI).tan(),
        Func::Tanh => x.tanh(),
        Func::Exp => {
            if x > EXP_ARG_MAX {
                EXP_CAP
            } else {
                x.exp()
            }
        }
        Func::Ln | Func::Log | Func::Log10 => {
            if x < 0.0 {
                HUGE
            } else if x == 0.0 {
                LOG_OF_ZERO
            } else if f == Func::Log10 {
                x.log10()
            } else {
                x.ln()
            }
        }
        Func::Sqrt => {
            if x < 0.0 {
                HUGE
            } else {
                x.sqrt()
            }
        }
        Func::Sgn => sgn(x),
        Func::U => ustep(x),
        Func::U2 => ustep2(x),
        Func::Uramp => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        Func::Ceil => x.ceil(),
        Func::Floor => x.floor(),
        Func::Nint => x.round_ties_even(),
        // Two-argument functions never reach here (arity is checked first),
        // nor does `ddt` (refused before any evaluation).
        Func::Min | Func::Max | Func::Pow | Func::Pwr | Func::Ddt => f64::NAN,
    }
}

/// Exact derivative of [`value1`] at `x`, given its value `v`.
pub(crate) fn deriv1(f: Func, x: f64, v: f64) -> f64 {
    match f {
        Func::Abs => sgn(x),
        Func::Acos => -1.0 / ((1.0 - x) * (1.0 + x)).sqrt(),
        Func::Acosh => 1.0 / ((x - 1.0) * (x + 1.0)).sqrt(),
        Func::Asin => 1.0 / ((1.0 - x) * (1.0 + x)).sqrt(),
        Func::Asinh => 1.0 / x.hypot(1.0),
        Func::Atan => 1.0 / (1.0 + x * x),
        Func::Atanh => 1.0 / ((1.0 - x) * (1.0 + x)),
        Func::Cos => -modulus(x, TAU).sin(),
        Func::Cosh => x.sinh(),
        Func::Sin => modulus(x, TAU).cos(),
        Func::Sinh => x.cosh(),
        Func::Tan => 1.0 + v * v,
        Func::Tanh => 1.0 - v * v,
        Func::Exp => {
            if x > EXP_ARG_MAX {
                0.0
            } else {
                v
            }
        }
        Func::Ln | Func::Log => 1.0 / x,
        Func::Log10 => LOG10_E / x,
        Func::Sqrt => 0.5 / v,
        Func::Sgn | Func::U | Func::Ceil | Func::Floor | Func::Nint => 0.0,
        Func::U2 => ustep(x) - ustep(x - 1.0),
        Func::Uramp => ustep(x),
        Func::Min | Func::Max | Func::Pow | Func::Pwr | Func::Ddt => f64::NAN,
    }
}

/// Value of a two-argument function; `HUGE` (`+inf`) means out of range.
pub(crate) fn value2(f: Func, a: f64, b: f64) -> f64 {
    match f {
        Func::Min => {
            if a > b {
                b
            } else {
                a
            }
        }
        Func::Max => {
            if a > b {
                a
            } else {
                b
            }
        }
        Func::Pow => pow_abs(a, b),
        Func::Pwr => pwr(a, b),
        _ => f64::NAN,
    }
}

/// For `min` and `max`: whether the value is the first argument.
pub(crate) fn selects_first(f: Func, a: f64, b: f64) -> bool {
    match f {
        Func::Max => a > b,
        _ => a.partial_cmp(&b) != Some(std::cmp::Ordering::Greater),
    }
}

/// Partial derivatives `(d/da, d/db)` of `pow`/`^` (`pwr` when `signed`) at
/// `(a, b)` with value `v`.
pub(crate) fn power_partials(signed: bool, a: f64, b: f64, v: f64) -> (f64, f64) {
    let da = if signed { b * a.abs().powf(b - 1.0) } else { b * pwr(a, b - 1.0) };
    let db = if v == 0.0 { 0.0 } else { v * a.abs().ln() };
    (da, db)
}
