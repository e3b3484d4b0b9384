//! Compiled evaluation: a flat postfix tape evaluated on a preallocated
//! value/gradient stack, giving the value and exact first derivatives in one
//! pass (forward-mode automatic differentiation).

use std::collections::BTreeMap;
use std::fmt;

use super::eval::{binary_value, call_value, divisor, fudge_for, unary_value, OutOfRange};
use super::func::{self, Func};
use super::{BinaryOp, Expr, UnaryOp};

/// ngspice's default `gmin` (`.options gmin`), in siemens: 1e-12.
pub const NGSPICE_DEFAULT_GMIN: f64 = 1e-12;

/// A leaf of an expression to be mapped to a state index by
/// [`CompiledExpr::compile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input<'a> {
    /// A node voltage (each node of `v(a,b)` separately).
    Node(&'a str),
    /// The current of `i(name)`.
    Current(&'a str),
    /// A variable (a bound variable such as a law's `v`).
    Var(&'a str),
}

impl fmt::Display for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Node(n) => write!(f, "node `{n}`"),
            Input::Current(n) => write!(f, "current `i({n})`"),
            Input::Var(n) => write!(f, "variable `{n}`"),
        }
    }
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The resolver refused a leaf.
    #[error("cannot resolve {leaf}: {reason}")]
    Unresolved {
        /// The leaf, e.g. "node `n3`".
        leaf: String,
        /// What the resolver said.
        reason: String,
    },
    /// A function was given the wrong number of arguments (only possible
    /// for a tree built in code).
    #[error("`{name}` takes {expected} argument(s), but {found} were given")]
    ArgCount {
        /// The function.
        name: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many it was given.
        found: usize,
    },
    /// `ddt(...)`: a time derivative is no function of the state at one
    /// time. The transient engine replaces each call by an unknown of its
    /// own first ([`Expr::split_ddt`]); elsewhere it cannot be computed.
    #[error("`{expr}`: the time derivative `ddt` is computed only in B, E and G sources")]
    TimeDerivative {
        /// The call, e.g. `ddt(v(a))`.
        expr: String,
    },
    /// One-argument `min(x)` or `max(x)`: ngspice's `.param` form (see
    /// [`Func::takes`]), which its B sources do not accept.
    #[error(
        "`{expr}`: one-argument `{name}` is ngspice's .param form (meaning `{name}(x, 1)`); ngspice's B \
         sources do not accept it: give both arguments"
    )]
    ParamForm {
        /// `min` or `max`.
        name: &'static str,
        /// The call.
        expr: String,
    },
}

/// Why [`CompiledExpr::eval`] returned NaN, as left in [`Workspace::fault`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum EvalFault {
    /// An operator or function produced `+inf`, which ngspice refuses.
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
    /// The state slice is shorter than the largest index the expression
    /// reads.
    #[error("the state vector has {len} entries, but the expression reads entry {index}")]
    StateTooShort {
        /// Length of the slice given.
        len: usize,
        /// Largest index read.
        index: usize,
    },
}

/// A state entry read by the tape: its index in `x` and its gradient slot.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Src {
    idx: usize,
    slot: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Const(f64),
    Load(Src),
    /// `v(a,b)`: `x[pos] - x[neg]`, either side possibly ground.
    LoadDiff(Option<Src>, Option<Src>),
    Time,
    Unary(UnaryOp),
    Binary(BinaryOp),
    Call1(Func),
    Call2(Func),
    /// Pops the condition; jumps when it is zero.
    JumpIfZero(usize),
    Jump(usize),
}

/// An expression compiled for repeated evaluation with derivatives.
///
/// The value rules are those of the [module documentation](super); the
/// derivatives are the exact derivatives of those values (see [`Func`] for
/// each function). Comparisons, `!`, `&&`, `||`, `u`, `sgn`, `ceil`, `floor`
/// and `nint` have slope 0; a ternary has the slope of the branch taken;
/// `a/b` has the slope of `a/(b ± gmin*1e-20)`. At points where a derivative
/// is infinite (`sqrt` at 0) it may be `inf` or NaN; where an input does not
/// influence a subexpression its slope is an exact 0 even there.
///
/// ```
/// use atscale_circuit::expr::{CompiledExpr, Expr, Input};
///
/// let e = Expr::parse("v(a,b)^2 + 3*i(v1)")?;
/// let f = CompiledExpr::compile(&e, &mut |leaf| match leaf {
///     Input::Node("a") => Ok(Some(0)),
///     Input::Node("b") => Ok(Some(1)),
///     Input::Node("0") => Ok(None), // ground reads as 0
///     Input::Current("v1") => Ok(Some(2)),
///     other => Err(format!("unknown {other}")),
/// })?;
/// let mut ws = f.workspace();
/// let y = f.eval(&[3.0, 1.0, 0.5], 0.0, &mut ws);
/// assert_eq!(y, 5.5);
/// assert_eq!(f.inputs(), &[0, 1, 2]);
/// assert_eq!(ws.gradient(), &[4.0, -4.0, 3.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CompiledExpr {
    ops: Vec<Op>,
    inputs: Vec<usize>,
    depth: usize,
    fudge: f64,
}

/// Preallocated scratch for [`CompiledExpr::eval`]; reuse it for every
/// evaluation. After an evaluation it holds the gradient and any fault.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    vals: Vec<f64>,
    grads: Vec<f64>,
    width: usize,
    fault: Option<EvalFault>,
}

impl Workspace {
    /// After [`CompiledExpr::eval`]: the derivatives of the value with
    /// respect to `x[inputs()[k]]`, in the order of
    /// [`CompiledExpr::inputs`] (NaN after a fault). Stale after
    /// [`CompiledExpr::value`].
    pub fn gradient(&self) -> &[f64] {
        self.grads.get(..self.width).unwrap_or(&[])
    }

    /// Why the last evaluation returned NaN, if it failed; `None` after a
    /// successful one.
    pub fn fault(&self) -> Option<&EvalFault> {
        self.fault.as_ref()
    }

    fn prepare(&mut self, depth: usize, width: usize) {
        if self.vals.len() < depth {
            self.vals.resize(depth, 0.0);
        }
        if self.grads.len() < depth * width {
            self.grads.resize(depth * width, 0.0);
        }
        self.width = width;
        self.fault = None;
    }
}

/// Leaves of an expression, distinct, in a deterministic order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Node(&'a str),
    Current(&'a str),
    Var(&'a str),
}

struct Builder<'m> {
    ops: Vec<Op>,
    depth: usize,
    max_depth: usize,
    map: &'m BTreeMap<Key<'m>, Option<Src>>,
}

impl Builder<'_> {
    fn push(&mut self, op: Op) {
        self.ops.push(op);
        match op {
            Op::Const(_) | Op::Load(_) | Op::LoadDiff(..) | Op::Time => {
                self.depth += 1;
                self.max_depth = self.max_depth.max(self.depth);
            }
            Op::Binary(_) | Op::Call2(_) | Op::JumpIfZero(_) => self.depth -= 1,
            Op::Unary(_) | Op::Call1(_) | Op::Jump(_) => {}
        }
    }

    fn src(&self, key: Key<'_>) -> Option<Src> {
        self.map.get(&key).copied().flatten()
    }

    fn emit(&mut self, e: &Expr) -> Result<(), CompileError> {
        match e {
            Expr::Num(x) => self.push(Op::Const(*x)),
            Expr::Const(c) => self.push(Op::Const(c.value())),
            Expr::Time => self.push(Op::Time),
            Expr::Var(n) => self.push(self.src(Key::Var(n)).map_or(Op::Const(0.0), Op::Load)),
            Expr::Current(n) => self.push(self.src(Key::Current(n)).map_or(Op::Const(0.0), Op::Load)),
            Expr::Voltage(a, None) => self.push(self.src(Key::Node(a)).map_or(Op::Const(0.0), Op::Load)),
            Expr::Voltage(a, Some(b)) => {
                let (a, b) = (self.src(Key::Node(a)), self.src(Key::Node(b)));
                self.push(if a.is_none() && b.is_none() { Op::Const(0.0) } else { Op::LoadDiff(a, b) })
            }
            Expr::Unary(op, a) => {
                self.emit(a)?;
                self.push(Op::Unary(*op));
            }
            Expr::Binary(op, a, b) => {
                self.emit(a)?;
                self.emit(b)?;
                self.push(Op::Binary(*op));
            }
            // The very code of the left-deep tree it stands for.
            Expr::Chain(first, rest) => {
                self.emit(first)?;
                for (op, t) in rest {
                    self.emit(t)?;
                    self.push(Op::Binary(*op));
                }
            }
            Expr::Ternary(c, t, f) => {
                self.emit(c)?;
                let branch = self.ops.len();
                self.push(Op::JumpIfZero(0));
                self.emit(t)?;
                let skip = self.ops.len();
                self.push(Op::Jump(0));
                // The else branch starts from the depth before the then branch.
                self.depth -= 1;
                let else_start = self.ops.len();
                self.emit(f)?;
                let end = self.ops.len();
                if let Some(op) = self.ops.get_mut(branch) {
                    *op = Op::JumpIfZero(else_start);
                }
                if let Some(op) = self.ops.get_mut(skip) {
                    *op = Op::Jump(end);
                }
            }
            Expr::Call(Func::Ddt, _) => return Err(CompileError::TimeDerivative { expr: e.to_string() }),
            Expr::Call(f, args) if args.len() == 1 && f.takes(1) && f.arity() == 2 => {
                return Err(CompileError::ParamForm { name: f.name(), expr: e.to_string() })
            }
            Expr::Call(f, args) => {
                if args.len() != f.arity() {
                    return Err(CompileError::ArgCount {
                        name: f.name(),
                        expected: f.arity(),
                        found: args.len(),
                    });
                }
                for a in args {
                    self.emit(a)?;
                }
                self.push(if f.arity() == 2 { Op::Call2(*f) } else { Op::Call1(*f) });
            }
        }
        Ok(())
    }
}

/// `g * s`, but an exact 0 when `g` is 0 (an input that does not influence
/// the operand has slope 0 even where `s` is infinite).
#[inline]
fn mul0(g: f64, s: f64) -> f64 {
    if g == 0.0 {
        0.0
    } else {
        g * s
    }
}

impl CompiledExpr {
    /// Compiles `expr` (after [`Expr::fold_constants`]). `resolve` is called
    /// once for every distinct node, current and variable the expression
    /// reads, and maps it to an index into the state slice `x` given to
    /// [`CompiledExpr::eval`], or to `None` for a leaf that is identically
    /// zero (ground `0`). Two leaves may share an index.
    ///
    /// # Errors
    ///
    /// [`CompileError::Unresolved`] naming the leaf when `resolve` returns an
    /// error; [`CompileError::ArgCount`] for a call with the wrong number of
    /// arguments; [`CompileError::TimeDerivative`] for `ddt` (replace it
    /// with [`Expr::split_ddt`] first); [`CompileError::ParamForm`] for
    /// one-argument `min` or `max`.
    pub fn compile(
        expr: &Expr,
        resolve: &mut impl FnMut(Input<'_>) -> Result<Option<usize>, String>,
    ) -> Result<CompiledExpr, CompileError> {
        let expr = expr.fold_constants();
        let mut keys = Vec::new();
        expr.visit_leaves(&mut |l| match l {
            super::Leaf::Node(n) => keys.push(Key::Node(n)),
            super::Leaf::Current(n) => keys.push(Key::Current(n)),
            super::Leaf::Var(n) => keys.push(Key::Var(n)),
            super::Leaf::Time => {}
        });
        keys.sort_unstable();
        keys.dedup();
        let mut indices = Vec::with_capacity(keys.len());
        for &key in &keys {
            let input = match key {
                Key::Node(n) => Input::Node(n),
                Key::Current(n) => Input::Current(n),
                Key::Var(n) => Input::Var(n),
            };
            let idx = resolve(input)
                .map_err(|reason| CompileError::Unresolved { leaf: input.to_string(), reason })?;
            indices.push(idx);
        }
        let mut inputs: Vec<usize> = indices.iter().flatten().copied().collect();
        inputs.sort_unstable();
        inputs.dedup();
        let map: BTreeMap<Key<'_>, Option<Src>> = keys
            .iter()
            .zip(&indices)
            .map(|(&k, idx)| {
                let src = idx.and_then(|idx| inputs.binary_search(&idx).ok().map(|slot| Src { idx, slot }));
                (k, src)
            })
            .collect();
        let mut b = Builder { ops: Vec::new(), depth: 0, max_depth: 0, map: &map };
        b.emit(&expr)?;
        let (ops, depth) = (b.ops, b.max_depth.max(1));
        Ok(CompiledExpr { ops, inputs, depth, fudge: fudge_for(NGSPICE_DEFAULT_GMIN) })
    }

    /// Uses ngspice's division rule for this `gmin` (siemens): `a/b` divides
    /// by `b + gmin*1e-20` (`b - gmin*1e-20` for negative `b`), as ngspice's
    /// `PTdivide` with `PTfudge_factor = gmin * 1e-20` set by `PTeval`.
    /// The default is [`NGSPICE_DEFAULT_GMIN`]; with 0, division by zero is
    /// out of range.
    pub fn with_gmin(mut self, gmin_siemens: f64) -> Self {
        self.fudge = fudge_for(gmin_siemens);
        self
    }

    /// The distinct indices into `x` the expression depends on, sorted; the
    /// gradient has one entry per index, in this order.
    pub fn inputs(&self) -> &[usize] {
        &self.inputs
    }

    /// Scratch space sized for this expression.
    pub fn workspace(&self) -> Workspace {
        let width = self.inputs.len();
        Workspace { vals: vec![0.0; self.depth], grads: vec![0.0; self.depth * width], width, fault: None }
    }

    /// The value at state `x` and time `time` (seconds), with the exact
    /// derivatives `d value / d x[inputs()[k]]` left in
    /// [`Workspace::gradient`]. Returns NaN, with NaN derivatives and the
    /// reason in [`Workspace::fault`], when ngspice would refuse the
    /// evaluation (a `+inf` result) or `x` is too short.
    pub fn eval(&self, x: &[f64], time: f64, ws: &mut Workspace) -> f64 {
        self.run::<true>(x, time, ws)
    }

    /// The value only (cheaper than [`CompiledExpr::eval`]; the gradient in
    /// `ws` is left stale).
    pub fn value(&self, x: &[f64], time: f64, ws: &mut Workspace) -> f64 {
        self.run::<false>(x, time, ws)
    }

    fn run<const GRAD: bool>(&self, x: &[f64], time: f64, ws: &mut Workspace) -> f64 {
        let w = self.inputs.len();
        ws.prepare(self.depth, w);
        let Workspace { vals, grads, fault, .. } = ws;
        let failed = |fault: &mut Option<EvalFault>, grads: &mut [f64], why: EvalFault| {
            *fault = Some(why);
            if GRAD {
                grads.iter_mut().take(w).for_each(|g| *g = f64::NAN);
            }
            f64::NAN
        };
        if let Some(&last) = self.inputs.last() {
            if x.len() <= last {
                return failed(fault, grads, EvalFault::StateTooShort { len: x.len(), index: last });
            }
        }
        let load = |s: Src| x.get(s.idx).copied().unwrap_or(f64::NAN);
        let mut sp = 0usize;
        let mut pc = 0usize;
        while let Some(&op) = self.ops.get(pc) {
            pc += 1;
            match op {
                Op::Const(_) | Op::Time => {
                    vals[sp] = if let Op::Const(c) = op { c } else { time };
                    if GRAD {
                        grads[sp * w..(sp + 1) * w].fill(0.0);
                    }
                    sp += 1;
                }
                Op::Load(s) => {
                    vals[sp] = load(s);
                    if GRAD {
                        let g = &mut grads[sp * w..(sp + 1) * w];
                        g.fill(0.0);
                        g[s.slot] = 1.0;
                    }
                    sp += 1;
                }
                Op::LoadDiff(a, b) => {
                    let xa = a.map_or(0.0, load);
                    let xb = b.map_or(0.0, load);
                    match binary_value(BinaryOp::Sub, xa, xb, 0.0) {
                        Ok(v) => vals[sp] = v,
                        Err(e) => return failed(fault, grads, e.into()),
                    }
                    if GRAD {
                        let g = &mut grads[sp * w..(sp + 1) * w];
                        g.fill(0.0);
                        if let Some(a) = a {
                            g[a.slot] += 1.0;
                        }
                        if let Some(b) = b {
                            g[b.slot] -= 1.0;
                        }
                    }
                    sp += 1;
                }
                Op::Unary(u) => {
                    let i = sp - 1;
                    match unary_value(u, vals[i]) {
                        Ok(v) => vals[i] = v,
                        Err(e) => return failed(fault, grads, e.into()),
                    }
                    if GRAD {
                        let g = &mut grads[i * w..sp * w];
                        match u {
                            UnaryOp::Neg => g.iter_mut().for_each(|g| *g = -*g),
                            UnaryOp::Not => g.fill(0.0),
                        }
                    }
                }
                Op::Binary(bop) => {
                    sp -= 1;
                    let i = sp - 1;
                    let (a, b) = (vals[i], vals[sp]);
                    let v = match binary_value(bop, a, b, self.fudge) {
                        Ok(v) => v,
                        Err(e) => return failed(fault, grads, e.into()),
                    };
                    vals[i] = v;
                    if GRAD {
                        let (lo, hi) = grads.split_at_mut(sp * w);
                        let ga = &mut lo[i * w..];
                        let gb = &hi[..w];
                        binary_gradient(bop, a, b, v, self.fudge, ga, gb);
                    }
                }
                Op::Call1(f) => {
                    let i = sp - 1;
                    let a = vals[i];
                    let v = match call_value(f, a, f64::NAN) {
                        Ok(v) => v,
                        Err(e) => return failed(fault, grads, e.into()),
                    };
                    vals[i] = v;
                    if GRAD {
                        let g = &mut grads[i * w..sp * w];
                        let d = func::deriv1(f, a, v);
                        if d == 0.0 {
                            g.fill(0.0);
                        } else {
                            g.iter_mut().for_each(|g| *g = mul0(*g, d));
                        }
                    }
                }
                Op::Call2(f) => {
                    sp -= 1;
                    let i = sp - 1;
                    let (a, b) = (vals[i], vals[sp]);
                    let v = match call_value(f, a, b) {
                        Ok(v) => v,
                        Err(e) => return failed(fault, grads, e.into()),
                    };
                    vals[i] = v;
                    if GRAD {
                        let (lo, hi) = grads.split_at_mut(sp * w);
                        let ga = &mut lo[i * w..];
                        let gb = &hi[..w];
                        match f {
                            Func::Pow | Func::Pwr => {
                                let (pa, pb) = func::power_partials(f == Func::Pwr, a, b, v);
                                for (ga, &gb) in ga.iter_mut().zip(gb) {
                                    *ga = mul0(*ga, pa) + mul0(gb, pb);
                                }
                            }
                            _ => {
                                if !func::selects_first(f, a, b) {
                                    ga.copy_from_slice(gb);
                                }
                            }
                        }
                    }
                }
                Op::JumpIfZero(target) => {
                    sp -= 1;
                    if vals[sp] == 0.0 {
                        pc = target;
                    }
                }
                Op::Jump(target) => pc = target,
            }
        }
        vals[0]
    }
}

/// Gradient of `a op b` into `ga`, given the operands' gradients `ga`, `gb`
/// and the value `v`.
fn binary_gradient(op: BinaryOp, a: f64, b: f64, v: f64, fudge: f64, ga: &mut [f64], gb: &[f64]) {
    let pairs = ga.iter_mut().zip(gb);
    match op {
        BinaryOp::Add => pairs.for_each(|(ga, gb)| *ga += gb),
        BinaryOp::Sub => pairs.for_each(|(ga, gb)| *ga -= gb),
        BinaryOp::Mul => pairs.for_each(|(ga, &gb)| *ga = mul0(*ga, b) + mul0(gb, a)),
        BinaryOp::Div => {
            let d = divisor(b, fudge);
            pairs.for_each(|(ga, &gb)| *ga = (*ga - mul0(gb, v)) / d);
        }
        BinaryOp::Pow => {
            let (pa, pb) = func::power_partials(false, a, b, v);
            pairs.for_each(|(ga, &gb)| *ga = mul0(*ga, pa) + mul0(gb, pb));
        }
        BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::And
        | BinaryOp::Or => ga.fill(0.0),
    }
}
