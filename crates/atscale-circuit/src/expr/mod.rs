//! The ngspice B-source expression language.
//!
//! A tour, in the order a user meets it:
//!
//! - [`Expr::parse`] reads an expression as ngspice reads the right-hand side
//!   of a B-source (`V=...`, `I=...`): numbers with SPICE scale suffixes,
//!   `v(n)`, `v(a,b)`, `i(Vsrc)`, `time`, `pi`, `e`, parameters and bound
//!   variables ([`Expr::Var`]), the operators of [`UnaryOp`] and [`BinaryOp`],
//!   the ternary `c ? a : b` and the functions of [`Func`]. Errors are
//!   [`ExprError`]s that give the column and what was expected.
//! - [`Expr`] is the tree. It prints ([`std::fmt::Display`]) as text that
//!   parses back to an equal tree and that ngspice reads with the same
//!   meaning, and it (de)serialises as that text. Expressions can also be built
//!   in code: [`Expr::v`], [`Expr::num`], `+ - * /` and unary `-` on [`Expr`],
//!   and one method per function ([`Expr::tanh`], [`Expr::min`], ...).
//! - Tree utilities: [`Expr::nodes`], [`Expr::currents`], [`Expr::variables`]
//!   and [`Expr::visit_leaves`] list what an expression reads;
//!   [`Expr::substitute_vars`] replaces parameters, [`Expr::rename`] renames
//!   nodes and currents when subcircuits are flattened,
//!   [`Expr::fold_constants`] evaluates constant subtrees,
//!   [`Expr::eval_const`] evaluates an expression of parameters and
//!   [`Expr::split_ddt`] takes the time derivatives `ddt(...)` out for the
//!   transient engine.
//! - [`CompiledExpr`] is the form a solver uses: a flat postfix tape that
//!   returns, in one pass and without allocating, the value and the exact
//!   first derivatives with respect to every state entry it reads
//!   (forward-mode automatic differentiation), using a reusable
//!   [`Workspace`].
//!
//! # Semantics
//!
//! Values follow ngspice (the default compatibility mode) exactly, as defined
//! in `src/spicelib/parser/ptfuncs.c`, `inpptree.c`, `inpptree-parser.y` and
//! `ifeval.c`; every function's rule is listed on [`Func`] and every
//! operator's on [`BinaryOp`] and [`UnaryOp`]. The points where ngspice and
//! school mathematics part ways:
//!
//! - `x^y`, `x**y` and `pow(x,y)` are `|x|^y`; only `pwr(x,y)` keeps the sign
//!   (`(-2)^3 = 8`, `pwr(-2,3) = -8`).
//! - `^` is **left**-associative (`2^3^2 = 64`) and binds tighter than unary
//!   minus (`-2^2 = -4`); `2^-2` is `2^(-2)`.
//! - `a/b` divides by `b + f` (`b - f` for negative `b`) where
//!   `f = gmin * 1e-20`, `1e-32` with ngspice's default gmin; so `1/0` is
//!   `1e32`, not an error (see [`CompiledExpr::with_gmin`]).
//! - `u(0) = 0.5`, `exp(x) = 1e99` above `x = 227.9559242`, `ln(0) = -1e99`,
//!   `nint` rounds half to even, `log` is the natural logarithm, `sin`, `cos`,
//!   `tan` reduce their argument modulo `2*pi` (`pi` for `tan`) first.
//! - **Evaluation fails** when any operator or function (not a literal,
//!   `v()`, `i()` or the ternary) yields exactly `+inf`: ngspice's `PTeval`
//!   rejects the value `HUGE` (`HUGE_VAL`, i.e. `+inf`, with glibc), which is
//!   also what `sqrt`, `ln`, `log` and `log10` return for negative arguments.
//!   So `sqrt(-1)`, `ln(-1)`, `0^-1`, `1e308*10` and `-(-1e999)` are errors,
//!   while `-inf` and NaN results are not (`acos(2)` is NaN, `ln(0)` is
//!   `-1e99`). [`Expr::eval_const`] returns such failures as
//!   [`EvalError::OutOfRange`]; [`CompiledExpr::eval`] returns NaN and
//!   reports the [`EvalFault`] in [`Workspace::fault`].
//! - `a ? b : c` takes `b` when `a != 0` (NaN counts as true) and evaluates
//!   only the branch it takes. `a < b` is `(a - b) < 0` (so two equal
//!   infinities compare as unordered), `a && b` is `!(!a + !b)` and `a || b`
//!   is `(a != 0) + (b != 0) != 0`, each 0 or 1.
//!
//! Deviations, all deliberate:
//!
//! - Numbers are read with correct rounding (the decimal value written,
//!   scaled by its suffix, rounded once). ngspice's `INPevaluate` multiplies
//!   the digits by `pow(10, exponent)` and can be one ulp off (`10p` reads as
//!   `9.999999999999999e-12` there). The printed form of an [`Expr`] reads
//!   back to the same `f64` here.
//! - `temper`, `hertz` and `pwl(...)` are not supported (`temper` and
//!   `hertz` parse as variables).
//! - `ddt(x)`, the time derivative, has a value only in a transient
//!   simulation, where the engine replaces each call by an unknown of its
//!   own ([`Expr::split_ddt`]); ngspice's finite difference between
//!   earlier time points is not reproduced (see [`Func::Ddt`]).
//! - `min(x)` and `max(x)` with one argument are ngspice's `.param` forms
//!   (`min(x, 1)`, `max(x, 1)`): [`Expr::eval_const`] evaluates them,
//!   [`CompiledExpr::compile`] refuses them as ngspice's B sources do
//!   (see [`Func::takes`]).
//! - An accidental result of exactly `+inf` is the only "out of range" test;
//!   the derivatives never fail evaluation (ngspice also rejects a
//!   derivative that evaluates to `+inf`, e.g. the slope of `sqrt` at 0).
//! - Derivatives are the exact derivatives of the values above, which differ
//!   from ngspice's symbolic derivatives (`PTdifferentiate` in `inpptree.c`)
//!   in a few places: see [`Func`] and [`CompiledExpr`].

mod compile;
mod display;
mod eval;
mod func;
mod parse;
#[cfg(test)]
mod tests;

use std::ops;

pub use compile::{CompileError, CompiledExpr, EvalFault, Input, Workspace, NGSPICE_DEFAULT_GMIN};
pub use eval::{EvalError, OutOfRange};
pub use func::Func;
pub use parse::{ExprError, CHAIN_MIN, MAX_DEPTH, MAX_NESTING, MAX_TOKENS};

/// An expression of the ngspice B-source language.
///
/// Names are stored as written. Keywords (`time`, `pi`, `e`, `v`, `i`) and
/// function names are case-insensitive when parsed; node, current and
/// variable names keep their case. For [`Display`](std::fmt::Display) to
/// read back, a node or current name must be non-empty and contain no
/// whitespace, `,`, `(` or `)` (ngspice's own rule for `v(...)`), and a
/// variable name must be an identifier (`[A-Za-z_][A-Za-z0-9_.]*`) other than
/// `time`, `pi` and `e`.
///
/// Tree operations (printing, evaluation, compilation, dropping) recurse
/// once per level: parsed trees are at most [`MAX_DEPTH`] deep, and trees
/// built in code should stay within a few thousand levels.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number. A literal preceded directly by unary minus (`-2`, but not
    /// `-(2)` or `-2^2`) parses as a negative number.
    Num(f64),
    /// A parameter, or a variable bound by the caller such as the branch
    /// voltage `v` of a law.
    Var(String),
    /// `pi` or `e`.
    Const(Constant),
    /// The simulation time `time`, in seconds.
    Time,
    /// `v(n)` (node voltage against ground) or `v(a,b)` (`v(a) - v(b)`),
    /// node names as written.
    Voltage(String, Option<String>),
    /// `i(name)`: the current through a voltage source or inductor.
    Current(String),
    /// `-x` or `!x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A left-associative chain `t0 op1 t1 op2 t2 ...` of operators of one
    /// precedence level, meaning exactly `((t0 op1 t1) op2 t2) ...`. The
    /// parser builds it for chains longer than [`CHAIN_MIN`] operands
    /// (a netlist's sum of a thousand terms), so that the tree's depth does
    /// not grow with the chain's length; shorter chains stay `Binary`.
    Chain(Box<Expr>, Vec<(BinaryOp, Expr)>),
    /// `cond ? then : else`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A call of a built-in function.
    Call(Func, Vec<Expr>),
}

/// A named constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constant {
    /// `pi` = 3.141592653589793 (`M_PI`).
    Pi,
    /// `e` = 2.718281828459045 (`M_E`).
    E,
}

impl Constant {
    /// The value.
    pub fn value(self) -> f64 {
        match self {
            Constant::Pi => std::f64::consts::PI,
            Constant::E => std::f64::consts::E,
        }
    }

    /// The name as printed (`pi`, `e`).
    pub fn name(self) -> &'static str {
        match self {
            Constant::Pi => "pi",
            Constant::E => "e",
        }
    }
}

/// A prefix operator. Both bind tighter than `*` and `/` and looser than
/// `^` (`-a^b` is `-(a^b)`), as `%left NEG '!'` in ngspice's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (ngspice `PTuminus`; `+x` parses as `x`).
    Neg,
    /// `!x`: 1 if `x == 0`, else 0 (ngspice builds `eq0(x)`, `PTeq0`).
    Not,
}

impl UnaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
        }
    }
}

/// An infix operator, listed from the tightest binding to the loosest
/// (ngspice's grammar `inpptree-parser.y`; all are left-associative, `^`
/// included; the ternary `?:` binds loosest of all and is right-associative).
///
/// | operators | value |
/// |---|---|
/// | `^` (also `**`) | `pow(abs(a), b)` (`PTpowerH` in default mode) |
/// | `*` `/` | `a*b`; `a / (b ± gmin*1e-20)` (`PTdivide`, sign of `b`, `+` for `b = 0`) |
/// | `+` `-` | `a+b`, `a-b` |
/// | `<` `<=` `>` `>=` | `lt0(a-b)` ... : 1 or 0 |
/// | `==` `!=` (also `<>`) | `eq0(a-b)`, `ne0(a-b)` |
/// | `&&` | `eq0(eq0(a) + eq0(b))` |
/// | `\|\|` | `ne0(ne0(a) + ne0(b))` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`, with ngspice's divisor nudge (see the table above).
    Div,
    /// `a ^ b` or `a ** b`: `|a|^b`.
    Pow,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b`.
    Eq,
    /// `a != b` or `a <> b`.
    Ne,
    /// `a && b`.
    And,
    /// `a || b`.
    Or,
}

impl BinaryOp {
    /// The operator as printed.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    /// Binding strength: 1 (`||`) to 6 (`*` `/`) and 8 (`^`); prefix
    /// operators are 7 and the ternary 0.
    pub(crate) fn level(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
            BinaryOp::Pow => 8,
        }
    }

    /// Every operator.
    pub const ALL: [BinaryOp; 13] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::And,
        BinaryOp::Or,
    ];
}

/// A leaf an expression reads, as listed by [`Expr::visit_leaves`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leaf<'a> {
    /// A node read by `v(...)` (each of the two nodes of `v(a,b)`).
    Node(&'a str),
    /// The device of `i(...)`.
    Current(&'a str),
    /// A variable.
    Var(&'a str),
    /// `time`.
    Time,
}

impl Expr {
    /// Parses an expression (see the [module documentation](self)). The
    /// caller strips surrounding `{ }` braces or quotes.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        parse::parse(src)
    }

    /// A number.
    pub fn num(x: f64) -> Expr {
        Expr::Num(x)
    }

    /// A variable (parameter).
    pub fn var(name: impl Into<String>) -> Expr {
        Expr::Var(name.into())
    }

    /// `v(node)`.
    pub fn v(node: impl Into<String>) -> Expr {
        Expr::Voltage(node.into(), None)
    }

    /// `v(pos,neg)`.
    pub fn v_diff(pos: impl Into<String>, neg: impl Into<String>) -> Expr {
        Expr::Voltage(pos.into(), Some(neg.into()))
    }

    /// `i(device)`.
    pub fn i(device: impl Into<String>) -> Expr {
        Expr::Current(device.into())
    }

    /// `time`.
    pub fn time() -> Expr {
        Expr::Time
    }

    /// `pi`.
    pub fn pi() -> Expr {
        Expr::Const(Constant::Pi)
    }

    /// `op a`.
    pub fn unary(op: UnaryOp, a: Expr) -> Expr {
        Expr::Unary(op, Box::new(a))
    }

    /// `a op b`.
    pub fn binary(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    /// `cond ? then : otherwise`.
    pub fn ternary(cond: Expr, then: Expr, otherwise: Expr) -> Expr {
        Expr::Ternary(Box::new(cond), Box::new(then), Box::new(otherwise))
    }

    /// A call. The argument count is not checked here:
    /// [`CompiledExpr::compile`] and [`Expr::eval_const`] reject a wrong one
    /// (see [`Func::arity`]).
    pub fn call(func: Func, args: Vec<Expr>) -> Expr {
        Expr::Call(func, args)
    }

    /// `self ^ exponent`, that is `|self|^exponent`.
    pub fn pow(self, exponent: impl Into<Expr>) -> Expr {
        Expr::binary(BinaryOp::Pow, self, exponent.into())
    }

    /// `pwr(self, exponent)`, that is `sign(self) * |self|^exponent`.
    pub fn pwr(self, exponent: impl Into<Expr>) -> Expr {
        Expr::Call(Func::Pwr, vec![self, exponent.into()])
    }

    /// `min(self, other)`.
    pub fn min(self, other: impl Into<Expr>) -> Expr {
        Expr::Call(Func::Min, vec![self, other.into()])
    }

    /// `max(self, other)`.
    pub fn max(self, other: impl Into<Expr>) -> Expr {
        Expr::Call(Func::Max, vec![self, other.into()])
    }

    /// `self < other`.
    pub fn lt(self, other: impl Into<Expr>) -> Expr {
        Expr::binary(BinaryOp::Lt, self, other.into())
    }

    /// `self <= other`.
    pub fn le(self, other: impl Into<Expr>) -> Expr {
        Expr::binary(BinaryOp::Le, self, other.into())
    }

    /// `self > other`.
    pub fn gt(self, other: impl Into<Expr>) -> Expr {
        Expr::binary(BinaryOp::Gt, self, other.into())
    }

    /// `self >= other`.
    pub fn ge(self, other: impl Into<Expr>) -> Expr {
        Expr::binary(BinaryOp::Ge, self, other.into())
    }

    /// Calls `f` for every leaf, left to right, including repeats.
    pub fn visit_leaves<'a>(&'a self, f: &mut impl FnMut(Leaf<'a>)) {
        match self {
            Expr::Num(_) | Expr::Const(_) => {}
            Expr::Var(name) => f(Leaf::Var(name)),
            Expr::Time => f(Leaf::Time),
            Expr::Voltage(a, b) => {
                f(Leaf::Node(a));
                if let Some(b) = b {
                    f(Leaf::Node(b));
                }
            }
            Expr::Current(name) => f(Leaf::Current(name)),
            Expr::Unary(_, a) => a.visit_leaves(f),
            Expr::Binary(_, a, b) => {
                a.visit_leaves(f);
                b.visit_leaves(f);
            }
            Expr::Chain(first, rest) => {
                first.visit_leaves(f);
                rest.iter().for_each(|(_, t)| t.visit_leaves(f));
            }
            Expr::Ternary(c, t, e) => {
                c.visit_leaves(f);
                t.visit_leaves(f);
                e.visit_leaves(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit_leaves(f)),
        }
    }

    fn collect_names<'a>(&'a self, pick: impl Fn(Leaf<'a>) -> Option<&'a str>) -> Vec<&'a str> {
        let mut out = Vec::new();
        self.visit_leaves(&mut |l| out.extend(pick(l)));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The nodes read by `v(...)`, sorted and without repeats (ground `0`
    /// included when written).
    pub fn nodes(&self) -> Vec<&str> {
        self.collect_names(|l| match l {
            Leaf::Node(n) => Some(n),
            _ => None,
        })
    }

    /// The devices read by `i(...)`, sorted and without repeats.
    pub fn currents(&self) -> Vec<&str> {
        self.collect_names(|l| match l {
            Leaf::Current(n) => Some(n),
            _ => None,
        })
    }

    /// The variables, sorted and without repeats.
    pub fn variables(&self) -> Vec<&str> {
        self.collect_names(|l| match l {
            Leaf::Var(n) => Some(n),
            _ => None,
        })
    }

    /// Whether the expression reads `time`.
    pub fn reads_time(&self) -> bool {
        let mut found = false;
        self.visit_leaves(&mut |l| found |= l == Leaf::Time);
        found
    }

    /// Whether the expression reads no variable, node, current or `time`.
    pub fn is_constant(&self) -> bool {
        let mut leaves = 0usize;
        self.visit_leaves(&mut |_| leaves += 1);
        leaves == 0
    }

    /// Replaces every call `ddt(x)` by `replace(k)` and returns the
    /// arguments `x`, numbered `k = 0, 1, ...` in the order they are met,
    /// innermost first: inside an argument, the `ddt` calls it holds are
    /// replaced already (by numbers smaller than its own), so
    /// `ddt(ddt(v(a)))` gives `replace(1)` and the arguments `v(a)` and
    /// `replace(0)`. The transient engine computes each argument and its
    /// derivative in unknowns of their own, which `replace(k)` reads.
    ///
    /// ```
    /// use atscale_circuit::expr::Expr;
    ///
    /// let e = Expr::parse("2*ddt(v(a)) + ddt(time^2)")?;
    /// let (outer, args) = e.split_ddt(&mut |k| Expr::var(format!("d{k}")));
    /// assert_eq!(outer.to_string(), "2 * d0 + d1");
    /// assert_eq!(args, vec![Expr::v("a"), Expr::Time.pow(2.0)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn split_ddt(&self, replace: &mut impl FnMut(usize) -> Expr) -> (Expr, Vec<Expr>) {
        let mut args = Vec::new();
        let outer = self.split_ddt_into(replace, &mut args);
        (outer, args)
    }

    /// Whether the expression takes a time derivative `ddt(...)`.
    pub fn has_ddt(&self) -> bool {
        self.each_ddt(&mut |_, _| {})
    }

    /// The first call `ddt(x)` (depth first, left to right) whose argument
    /// holds another `ddt` call: a second derivative.
    pub fn nested_ddt(&self) -> Option<&Expr> {
        let mut found = None;
        self.each_ddt(&mut |call, arg| {
            if found.is_none() && arg.has_ddt() {
                found = Some(call);
            }
        });
        found
    }

    /// Calls `f(call, argument)` for every one-argument `ddt` call, outer
    /// calls before the calls in their argument; whether there was one.
    fn each_ddt<'a>(&'a self, f: &mut impl FnMut(&'a Expr, &'a Expr)) -> bool {
        match self {
            Expr::Num(_)
            | Expr::Const(_)
            | Expr::Var(_)
            | Expr::Time
            | Expr::Voltage(..)
            | Expr::Current(_) => false,
            Expr::Unary(_, a) => a.each_ddt(f),
            Expr::Binary(_, a, b) => a.each_ddt(f) | b.each_ddt(f),
            Expr::Chain(first, rest) => {
                rest.iter().fold(first.each_ddt(f), |any, (_, t)| t.each_ddt(f) | any)
            }
            Expr::Ternary(c, t, e) => c.each_ddt(f) | t.each_ddt(f) | e.each_ddt(f),
            Expr::Call(Func::Ddt, args) if args.len() == 1 => {
                f(self, &args[0]);
                args[0].each_ddt(f);
                true
            }
            Expr::Call(_, args) => args.iter().fold(false, |any, a| a.each_ddt(f) | any),
        }
    }

    fn split_ddt_into(&self, replace: &mut impl FnMut(usize) -> Expr, out: &mut Vec<Expr>) -> Expr {
        let mut bx = |e: &Expr| Box::new(e.split_ddt_into(replace, out));
        match self {
            Expr::Num(_)
            | Expr::Const(_)
            | Expr::Var(_)
            | Expr::Time
            | Expr::Voltage(..)
            | Expr::Current(_) => self.clone(),
            Expr::Unary(op, a) => Expr::Unary(*op, bx(a)),
            Expr::Binary(op, a, b) => {
                let a = bx(a);
                Expr::Binary(*op, a, bx(b))
            }
            Expr::Chain(first, rest) => {
                let first = bx(first);
                let rest = rest.iter().map(|(op, t)| (*op, *bx(t))).collect();
                Expr::Chain(first, rest)
            }
            Expr::Ternary(c, t, e) => {
                let c = bx(c);
                let t = bx(t);
                Expr::Ternary(c, t, bx(e))
            }
            Expr::Call(Func::Ddt, args) if args.len() == 1 => {
                let arg = *bx(&args[0]);
                out.push(arg);
                replace(out.len() - 1)
            }
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(|a| *bx(a)).collect()),
        }
    }

    /// Rebuilds the tree, replacing each leaf for which `f` returns a
    /// replacement.
    fn map_leaves(&self, f: &mut impl FnMut(&Expr) -> Option<Expr>) -> Expr {
        let bx = |e: &Expr, f: &mut _| Box::new(e.map_leaves(f));
        match self {
            Expr::Num(_)
            | Expr::Const(_)
            | Expr::Var(_)
            | Expr::Time
            | Expr::Voltage(..)
            | Expr::Current(_) => f(self).unwrap_or_else(|| self.clone()),
            Expr::Unary(op, a) => Expr::Unary(*op, bx(a, f)),
            Expr::Binary(op, a, b) => {
                let a = bx(a, f);
                Expr::Binary(*op, a, bx(b, f))
            }
            Expr::Chain(first, rest) => {
                let first = bx(first, f);
                Expr::Chain(first, rest.iter().map(|(op, t)| (*op, t.map_leaves(f))).collect())
            }
            Expr::Ternary(c, t, e) => {
                let c = bx(c, f);
                let t = bx(t, f);
                Expr::Ternary(c, t, bx(e, f))
            }
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(|a| a.map_leaves(f)).collect()),
        }
    }

    /// Replaces each variable for which `f` returns an expression (a
    /// parameter by its value, say); other variables stay.
    pub fn substitute_vars(&self, f: &mut impl FnMut(&str) -> Option<Expr>) -> Expr {
        self.map_leaves(&mut |e| match e {
            Expr::Var(name) => f(name),
            _ => None,
        })
    }

    /// Reads the built-in constants `pi` and `e` as variables where `defined`
    /// says a parameter of that name exists: in ngspice a parameter shadows
    /// a constant (`.param e=0.7` makes `{e}` 0.7).
    pub fn shadow_constants(&self, defined: &impl Fn(&str) -> bool) -> Expr {
        self.map_leaves(&mut |e| match e {
            Expr::Const(c) if defined(c.name()) => Some(Expr::Var(c.name().to_string())),
            _ => None,
        })
    }

    /// Renames every node of `v(...)` with `node` and every device of
    /// `i(...)` with `current` (hierarchical names such as `x1.n2` when a
    /// subcircuit is flattened). Ground `0` is passed to `node` like any
    /// other name.
    pub fn rename(
        &self,
        node: &mut impl FnMut(&str) -> String,
        current: &mut impl FnMut(&str) -> String,
    ) -> Expr {
        self.map_leaves(&mut |e| match e {
            Expr::Voltage(a, b) => Some(Expr::Voltage(node(a), b.as_deref().map(&mut *node))),
            Expr::Current(c) => Some(Expr::Current(current(c))),
            _ => None,
        })
    }
}

impl std::str::FromStr for Expr {
    type Err = ExprError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expr::parse(s)
    }
}

impl From<f64> for Expr {
    fn from(x: f64) -> Self {
        Expr::Num(x)
    }
}

macro_rules! binary_overloads {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl ops::$trait for Expr {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                Expr::binary(BinaryOp::$op, self, rhs)
            }
        }
        impl ops::$trait<f64> for Expr {
            type Output = Expr;
            fn $method(self, rhs: f64) -> Expr {
                Expr::binary(BinaryOp::$op, self, Expr::Num(rhs))
            }
        }
        impl ops::$trait<Expr> for f64 {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                Expr::binary(BinaryOp::$op, Expr::Num(self), rhs)
            }
        }
    )*};
}

binary_overloads!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

impl ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::unary(UnaryOp::Neg, self)
    }
}

macro_rules! unary_methods {
    ($($method:ident $func:ident),*) => {
        impl Expr {$(
            #[doc = concat!("`", stringify!($method), "(self)`: see [`Func::", stringify!($func), "`].")]
            pub fn $method(self) -> Expr {
                Expr::Call(Func::$func, vec![self])
            }
        )*}
    };
}

unary_methods!(
    abs Abs, acos Acos, acosh Acosh, asin Asin, asinh Asinh, atan Atan, atanh Atanh,
    cos Cos, cosh Cosh, sin Sin, sinh Sinh, tan Tan, tanh Tanh, exp Exp, ln Ln,
    log Log, log10 Log10, sqrt Sqrt, sgn Sgn, u U, u2 U2, uramp Uramp, ceil Ceil,
    floor Floor, nint Nint, ddt Ddt
);
