//! Verilog-A modules of atscale's element laws, for simulators that load
//! compiled Verilog-A (OSDI): VACASK (see [`crate::vacask`]) and, later,
//! OSDI-capable ngspice builds.
//!
//! # Modules
//!
//! One module per law family, with the law's numbers as instance parameters
//! (`(* type="instance" *)`, so one compiled model serves every element of
//! the family); the module's name is also its file stem:
//!
//! | family | module | instance parameters |
//! |---|---|---|
//! | cubic `a v³ - b v` | `atscale_cubic` | `a`, `b` |
//! | tanh `alpha tanh((v - delta)/w)` | `atscale_tanh` | `alpha`, `delta`, `w` |
//! | logistic `alpha/(1 + exp(-a (v - c)))` | `atscale_logistic` | `alpha`, `a`, `c` |
//! | softplus `alpha softplus(a (v - c))` | `atscale_softplus` | `alpha`, `a`, `c` |
//! | GLM with `N` terms | `atscale_glm<N>` | `g0`, `w<k>`, `a<k>`, `c<k>` |
//! | PWL with `N` corners | `atscale_pwl<N>` | `v<k>`, `i<k>` |
//! | expression | `atscale_expr_<hash>` | none (the expression is the law) |
//! | memristive | `atscale_mem_<hash>` | the law's and the linear states' numbers |
//! | behavioural source | `atscale_bsrc_<hash>` | none; terminals `p n r0 r1 ...` (the nodes read) |
//!
//! GLM and PWL laws have one module per size (Verilog-A parameters are
//! scalars here); expression and memristive modules are made per shape
//! (expression text, state kinds, kinetic rates, law form), named by a
//! hash of their source, with every number that is not part of an
//! expression as a parameter.
//!
//! Terminals are `p` and `n`; the branch voltage is `V(p, n)` and the law's
//! current flows from `p` through the element to `n`, as in atscale.
//!
//! # Semantics
//!
//! Every formula is the one atscale evaluates
//! ([`ResistiveLaw::current`], [`MemristiveLaw::current`],
//! [`Relaxation::rate`]), written in the same order of operations so that
//! the compiled model gives the same doubles up to the last bits of the
//! math library: softplus and logistic in their overflow-free forms, with
//! `ln(1 + y)` computed as an accurate `log1p`; integer powers as products.
//! Expressions keep ngspice's meaning ([`atscale_circuit::expr`]): `x^y`
//! and `pow` are `|x|^y`, `pwr` keeps the sign, `a/b` divides by
//! `b ± 1e-32` (ngspice's fudge for the default gmin), `exp` returns 1e99
//! above 227.9559242, `ln(0)` is -1e99, `u(0)` is 0.5, `log` is the natural
//! logarithm (Verilog-A's `log` is base 10 and is never written).
//! Comparisons are `(a - b) < 0` as 1 or 0 and the ternary takes its first
//! branch when the condition is not 0 (NaN included), as in ngspice; every
//! analog-function call of both branches is computed (only the value of
//! the branch taken is used). Functions whose ngspice meaning is not
//! written exactly here (`sin`/`cos`/`tan` with ngspice's argument
//! reduction, `nint`, `floor`, `ceil`, `u2`, inverse trigonometric
//! functions other than `atan`/`asinh`, `ddt`) and `!`, `&&`, `||` are
//! refused by name.
//!
//! A memristive state `x<k>` is an internal node whose voltage is the
//! state: `I(x<k>) <+ ddt(V(x<k>)) - dx/dt`, as the SPICE writer's unit
//! capacitor charged by a B-source. Its steady state is the operating point.
//!
//! # Injection safety
//!
//! No user-supplied name or text reaches a module: module, parameter and
//! node names are made here, numbers are printed as Rust's shortest
//! round-trip form, and an expression may only read the branch voltage `v`
//! (any other variable, such as one named after a Verilog-A keyword, is
//! refused).

use atscale_circuit::expr::{BinaryOp, Constant, Func, UnaryOp};
use atscale_circuit::{Expr, MemristiveLaw, Relaxation, ResistiveLaw};

use crate::error::{Error, Result};

/// The dialect name in errors.
const DIALECT: &str = "Verilog-A";

/// One Verilog-A module: `file_stem` names both files (`{file_stem}.va`
/// compiled by openvaf-r to `{file_stem}.osdi`) and is the module's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaModule {
    /// File stem and module name.
    pub file_stem: String,
    /// The Verilog-A source.
    pub source: String,
}

/// A law as an instance of a module: the module and its parameter values.
#[derive(Debug, Clone, PartialEq)]
pub struct VaInstance {
    /// The module to load.
    pub module: VaModule,
    /// Instance parameters in declaration order, name and value (SI units).
    pub params: Vec<(String, f64)>,
}

/// The four fixed-shape resistive modules (cubic, tanh, logistic,
/// softplus), the part of the library that does not depend on a law's size.
pub fn fixed_modules() -> Vec<VaModule> {
    [
        ResistiveLaw::Cubic { a: 0.0, b: 0.0 },
        ResistiveLaw::Tanh { alpha: 0.0, delta: 0.0, w: 1.0 },
        ResistiveLaw::Logistic { alpha: 0.0, a: 1.0, c: 0.0 },
        ResistiveLaw::Softplus { alpha: 0.0, a: 1.0, c: 0.0 },
    ]
    .iter()
    .filter_map(|law| resistive(law, "library").ok().map(|i| i.module))
    .collect()
}

/// The module and parameters of a nonlinear resistor's law; `context`
/// names the element in errors.
///
/// # Errors
/// A non-finite parameter, a PWL law with fewer than 2 corners, or an
/// expression this module cannot write with ngspice's meaning.
pub fn resistive(law: &ResistiveLaw<f64>, context: &str) -> Result<VaInstance> {
    let p = |name: &str, x: f64| (name.to_string(), x);
    let mut temps = 0;
    let (name, params, body) = match law {
        ResistiveLaw::Cubic { a, b } => {
            ("atscale_cubic".to_string(), vec![p("a", *a), p("b", *b)], "i = a*vb*vb*vb - b*vb;".to_string())
        }
        ResistiveLaw::Tanh { alpha, delta, w } => (
            "atscale_tanh".to_string(),
            vec![p("alpha", *alpha), p("delta", *delta), p("w", *w)],
            "i = alpha*tanh((vb - delta)/w);".to_string(),
        ),
        ResistiveLaw::Logistic { alpha, a, c } => (
            "atscale_logistic".to_string(),
            vec![p("alpha", *alpha), p("a", *a), p("c", *c)],
            "i = alpha*atscale_lgs(a*(vb - c));".to_string(),
        ),
        ResistiveLaw::Softplus { alpha, a, c } => (
            "atscale_softplus".to_string(),
            vec![p("alpha", *alpha), p("a", *a), p("c", *c)],
            "i = alpha*atscale_sp(a*(vb - c));".to_string(),
        ),
        ResistiveLaw::Glm { g0, terms } => glm(*g0, terms),
        ResistiveLaw::Pwl { points } => pwl(points, context)?,
        ResistiveLaw::Expression { expr } => {
            let mut h = Hoist::default();
            let value = h.expr(expr, context)?;
            let text = format!("{}i = {value};", h.statements());
            temps = h.temps;
            (format!("atscale_expr_{:016x}", fnv(&text)), vec![], text)
        }
    };
    for (k, x) in &params {
        finite(*x, &format!("parameter {k} of {context}"))?;
    }
    let source = two_terminal_module(&name, &params, &[], temps, &format!("    {body}\n    I(p, n) <+ i;\n"));
    Ok(VaInstance { module: VaModule { file_stem: name, source }, params })
}

/// A module's name, its instance parameters and the body computing `i`.
type Shape = (String, Vec<(String, f64)>, String);

/// `i = g0 v exp(Σ w softplus(a (v - c)))`, summed in term order.
fn glm(g0: f64, terms: &[atscale_circuit::SoftplusTerm<f64>]) -> Shape {
    let mut params = vec![("g0".to_string(), g0)];
    let mut body = "s = 0.0;\n".to_string();
    for (k, t) in terms.iter().enumerate() {
        params.extend([(format!("w{k}"), t.w), (format!("a{k}"), t.a), (format!("c{k}"), t.c)]);
        body.push_str(&format!("    s = s + w{k}*atscale_sp(a{k}*(vb - c{k}));\n"));
    }
    body.push_str("    i = g0*vb*exp(s);");
    (format!("atscale_glm{}", terms.len()), params, body)
}

/// The PWL law through its corners: the segment whose start is the last
/// interior corner at or below `v` (the end segments extend linearly).
fn pwl(points: &[(f64, f64)], context: &str) -> Result<Shape> {
    let n = points.len();
    if n < 2 {
        return Err(refused(context, format!("a piecewise-linear law needs at least 2 points, it has {n}")));
    }
    let mut params = Vec::new();
    for (k, (v, i)) in points.iter().enumerate() {
        params.push((format!("v{k}"), *v));
        params.push((format!("i{k}"), *i));
    }
    let seg = |k: usize| format!("i = i{k} + ((i{j} - i{k})/(v{j} - v{k}))*(vb - v{k});", j = k + 1);
    let mut body = String::new();
    for k in (1..n - 1).rev() {
        body.push_str(&format!("if (vb >= v{k}) begin\n      {}\n    end else ", seg(k)));
    }
    body.push_str(&format!("begin\n      {}\n    end", seg(0)));
    Ok((format!("atscale_pwl{n}"), params, body))
}

/// The module of a memristive conductance: its relaxations (linear with
/// parameters `tau<k>`, kinetic with their rate expressions written in) and
/// its law. Initial values are not part of the module.
///
/// # Errors
/// A non-finite number, a law reading a state that does not exist, or a
/// kinetic rate that cannot be written with ngspice's meaning.
pub fn memristive(states: &[Relaxation<f64>], law: &MemristiveLaw<f64>, context: &str) -> Result<VaInstance> {
    law.check(states.len()).map_err(|e| refused(context, e.to_string()))?;
    let mut params = Vec::new();
    let mut body = String::new();
    let mut h = Hoist::default();
    for (k, s) in states.iter().enumerate() {
        let rate = match s {
            Relaxation::Linear { tau_s, .. } => {
                params.push((format!("tau{k}"), *tau_s));
                format!("(vb - V(x{k}))/tau{k}")
            }
            Relaxation::Kinetic { alpha, beta, .. } => {
                let a = h.expr(alpha, &format!("the opening rate of state {k} of {context}"))?;
                let b = h.expr(beta, &format!("the closing rate of state {k} of {context}"))?;
                body.push_str(&format!("    {}", h.statements()));
                format!("({a})*(1 - V(x{k})) - ({b})*V(x{k})")
            }
        };
        body.push_str(&format!("    I(x{k}) <+ ddt(V(x{k}));\n    I(x{k}) <+ -({rate});\n"));
    }
    let current = memristive_current(law, &mut params);
    body.push_str(&format!("    {current}\n    I(p, n) <+ i;\n"));
    for (k, x) in &params {
        finite(*x, &format!("parameter {k} of {context}"))?;
    }
    let internal: Vec<String> = (0..states.len()).map(|k| format!("x{k}")).collect();
    let shape = two_terminal_module("atscale_mem", &params, &internal, h.temps, &body);
    let name = format!("atscale_mem_{:016x}", fnv(&shape));
    let source = two_terminal_module(&name, &params, &internal, h.temps, &body);
    Ok(VaInstance { module: VaModule { file_stem: name, source }, params })
}

/// The statements computing `i` of a memristive law, pushing its numbers
/// onto `params`.
fn memristive_current(law: &MemristiveLaw<f64>, params: &mut Vec<(String, f64)>) -> String {
    match law {
        MemristiveLaw::Tanh { state, alpha, delta } => {
            params.extend([("alpha".to_string(), *alpha), ("delta".to_string(), *delta)]);
            format!("i = alpha*tanh(V(x{state}) - delta);")
        }
        MemristiveLaw::Gates { gbar, e_volt, gates } => {
            params.extend([("gbar".to_string(), *gbar), ("e".to_string(), *e_volt)]);
            let mut g = "g = gbar;".to_string();
            for (j, gate) in gates.iter().enumerate() {
                let x = match &gate.logistic {
                    Some(s) => {
                        params.extend([(format!("ga{j}"), s.a), (format!("gc{j}"), s.c)]);
                        format!("atscale_lgs(ga{j}*(V(x{}) - gc{j}))", gate.state)
                    }
                    None => format!("V(x{})", gate.state),
                };
                g.push_str(&format!("\n    f = {x};\n    g = g*{};", power("f", gate.power)));
            }
            format!("{g}\n    i = g*(vb - e);")
        }
        MemristiveLaw::Glm { gbar, e_volt, terms } => {
            params.extend([("gbar".to_string(), *gbar), ("e".to_string(), *e_volt)]);
            let mut s = "s = 0.0;".to_string();
            for (j, t) in terms.iter().enumerate() {
                params.extend([(format!("w{j}"), t.w), (format!("a{j}"), t.a), (format!("c{j}"), t.c)]);
                s.push_str(&format!("\n    s = s + w{j}*atscale_sp(a{j}*(V(x{}) - c{j}));", t.state));
            }
            format!("{s}\n    i = gbar*exp(s)*(vb - e);")
        }
    }
}

/// What a behavioural source drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// A current from `p` through the source to `n` (`I(p, n) <+`).
    Current,
    /// The voltage `v(p) - v(n)` (`V(p, n) <+`).
    Voltage,
}

/// The module of a behavioural source whose expression reads node voltages
/// and `time`, and the nodes it reads (as written, first spelling): the
/// instance connects `p`, `n` and then those nodes to its terminals `r0`,
/// `r1`, ... Branch currents `i(...)` and `ddt` are refused.
///
/// # Errors
/// What [`Hoist::expr`] refuses, `i(...)` by name.
pub fn behavioural(expr: &Expr, drive: Drive, context: &str) -> Result<(VaModule, Vec<String>)> {
    if let Some(c) = expr.currents().first() {
        return Err(refused(context, format!("it reads the branch current i({c}), which is not written")));
    }
    let mut h = Hoist { reads: Some(Vec::new()), ..Hoist::default() };
    let value = h.expr(expr, context)?;
    let reads = h.reads.clone().unwrap_or_default();
    let written: Vec<String> = reads
        .iter()
        .map(|lower| {
            expr.nodes()
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(lower))
                .unwrap_or(lower.as_str())
                .to_string()
        })
        .collect();
    let terminals: Vec<String> = (0..reads.len()).map(|k| format!("r{k}")).collect();
    let target = match drive {
        Drive::Current => "I(p, n)",
        Drive::Voltage => "V(p, n)",
    };
    let body = format!("    {}i = {value};\n    {target} <+ i;\n", h.statements());
    let shape = module_source("atscale_bsrc", &terminals, &[], &[], h.temps, &body);
    let name = format!("atscale_bsrc_{:016x}", fnv(&shape));
    let source = module_source(&name, &terminals, &[], &[], h.temps, &body);
    Ok((VaModule { file_stem: name, source }, written))
}

/// `x^p` as a product `x*x*...` (`p >= 1`; 0 gives 1).
fn power(x: &str, p: u32) -> String {
    if p == 0 {
        return "1.0".to_string();
    }
    vec![x; p as usize].join("*")
}

/// A two-terminal module with instance parameters, internal nodes and an
/// analog body (which sets `i` and contributes it), and the helper
/// functions every law may call.
fn two_terminal_module(
    name: &str,
    params: &[(String, f64)],
    internal: &[String],
    temps: usize,
    body: &str,
) -> String {
    module_source(name, &[], params, internal, temps, body)
}

/// A module with terminals `p`, `n` and `extra`, instance parameters,
/// internal nodes and an analog body, with the helper functions.
fn module_source(
    name: &str,
    extra: &[String],
    params: &[(String, f64)],
    internal: &[String],
    temps: usize,
    body: &str,
) -> String {
    let ports: String =
        std::iter::once("p, n".to_string()).chain(extra.iter().cloned()).collect::<Vec<_>>().join(", ");
    let mut s = format!(
        "// Written by atscale-spice {}: an atscale element as a Verilog-A module.\n\
         `include \"disciplines.vams\"\n\nmodule {name}({ports});\n  inout {ports};\n  electrical {ports}",
        env!("CARGO_PKG_VERSION")
    );
    for x in internal {
        s.push_str(&format!(", {x}"));
    }
    s.push_str(";\n");
    for (k, _) in params {
        s.push_str(&format!("  (* type=\"instance\" *) parameter real {k} = 0.0;\n"));
    }
    s.push_str(HELPERS);
    s.push_str("  real vb, i, s, g, f;\n");
    for t in 0..temps {
        s.push_str(&format!("  real atscale_t{t};\n"));
    }
    s.push_str("  analog begin\n    vb = V(p, n);\n");
    s.push_str(body);
    s.push_str("  end\nendmodule\n");
    s
}

/// Analog functions with atscale's (and ngspice's) meaning.
const HELPERS: &str = r#"  // ln(1 + y) for y > -1, accurate for small y: below 1e-2 a Taylor
  // series to y^8 (truncation below 1.2e-17 relative), else ln(1 + y)
  // (rounding of 1 + y: below 1.2e-14 relative). Goldberg's
  // ln(u)*y/(u - 1) is not used: openvaf-r simplifies u - 1 to y.
  analog function real atscale_log1p;
    input y;
    real y;
    begin
      if (abs(y) < 1e-2)
        atscale_log1p = y*(1.0 - y*(0.5 - y*(1.0/3.0 - y*(0.25 - y*(0.2 - y*(1.0/6.0
          - y*(1.0/7.0 - y*0.125)))))));
      else atscale_log1p = ln(1.0 + y);
    end
  endfunction
  // softplus ln(1 + exp(x)) without overflow.
  analog function real atscale_sp;
    input x;
    real x;
    begin
      if (x > 0.0) atscale_sp = x + atscale_log1p(exp(-x));
      else atscale_sp = atscale_log1p(exp(x));
    end
  endfunction
  // logistic 1/(1 + exp(-x)) without overflow.
  analog function real atscale_lgs;
    input x;
    real x, e;
    begin
      if (x >= 0.0) atscale_lgs = 1.0/(1.0 + exp(-x));
      else begin
        e = exp(x);
        atscale_lgs = e/(1.0 + e);
      end
    end
  endfunction
  // ngspice a/b: the divisor pushed away from zero by 1e-32.
  analog function real atscale_div;
    input a, b;
    real a, b;
    begin
      if (b >= 0.0) atscale_div = a/(b + 1e-32);
      else atscale_div = a/(b - 1e-32);
    end
  endfunction
  // ngspice exp: 1e99 above 227.9559242.
  analog function real atscale_exp;
    input x;
    real x;
    begin
      if (x > 227.9559242) atscale_exp = 1e99;
      else atscale_exp = exp(x);
    end
  endfunction
  // ngspice ln: -1e99 at 0.
  analog function real atscale_ln;
    input x;
    real x;
    begin
      if (x == 0.0) atscale_ln = -1e99;
      else atscale_ln = ln(x);
    end
  endfunction
  // ngspice pwr(a, b): sign(a) |a|^b.
  analog function real atscale_pwr;
    input a, b;
    real a, b;
    begin
      if (a < 0.0) atscale_pwr = -pow(-a, b);
      else atscale_pwr = pow(a, b);
    end
  endfunction
"#;

/// An expression of the branch voltage `v` in Verilog-A with ngspice's
/// meaning (see the module documentation): the statements that compute it
/// and the value. Every call of an analog function is hoisted into a
/// statement of its own (`atscale_t<k> = f(...);`) whose arguments hold no
/// such call: openvaf-r (OSDI 0.5, 2026-08) shares a function's input
/// variables between nested calls, so `f(a, f(b, c))` computes `f(b, c)`
/// into the outer call's `a` first (measured: `fdiv(0.1*x, 1 - fexp(fdiv(-x,
/// 0.01)))` gave `-x`).
#[derive(Debug, Default)]
pub struct Hoist {
    /// Statements in order, each `atscale_t<k> = ...;`.
    pub stmts: Vec<String>,
    /// Temporaries used so far (`atscale_t0` ...).
    pub temps: usize,
    /// For a behavioural source: the nodes it reads (lower case), in the
    /// order of its extra terminals `r0`, `r1`, ...; `None` for a law,
    /// which reads only its branch voltage `v`.
    pub reads: Option<Vec<String>>,
}

impl Hoist {
    /// The statements so far as lines of an analog block (each followed by
    /// a newline and indentation), emptied.
    pub fn statements(&mut self) -> String {
        std::mem::take(&mut self.stmts).into_iter().map(|s| format!("{s}\n    ")).collect()
    }

    fn temp(&mut self, value: String) -> String {
        let t = format!("atscale_t{}", self.temps);
        self.temps += 1;
        self.stmts.push(format!("{t} = {value};"));
        t
    }

    /// The expression's value, pushing the statements it needs; `context`
    /// names it in errors.
    ///
    /// # Errors
    /// Anything but `v`, numbers, constants, `+ - * / ^`, unary minus and
    /// the functions listed in the module documentation, by name.
    pub fn expr(&mut self, e: &Expr, context: &str) -> Result<String> {
        Ok(match e {
            Expr::Num(x) => number(*x, context)?,
            Expr::Const(c) => number(constant(*c), context)?,
            Expr::Var(name) if name == "v" && self.reads.is_none() => "vb".to_string(),
            Expr::Time if self.reads.is_some() => "$abstime".to_string(),
            Expr::Voltage(a, b) if self.reads.is_some() => {
                let a = self.node(a);
                match b {
                    Some(b) => format!("({a} - {})", self.node(b)),
                    None => a,
                }
            }
            Expr::Var(name) => {
                return Err(refused(
                    context,
                    format!("it reads the variable `{name}`; a law may read only its branch voltage `v`"),
                ))
            }
            Expr::Time => return Err(refused(context, "a law may not read `time`".to_string())),
            Expr::Voltage(..) | Expr::Current(..) => {
                return Err(refused(
                    context,
                    format!("it reads `{e}`; a law may read only its branch voltage `v`"),
                ))
            }
            Expr::Unary(UnaryOp::Neg, x) => format!("(-{})", self.expr(x, context)?),
            Expr::Unary(op, _) => {
                return Err(refused(context, format!("the operator `{}` is not written", op.symbol())))
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a, context)?, self.expr(b, context)?);
                self.binary(*op, a, b, context)?
            }
            Expr::Chain(first, rest) => {
                let mut acc = self.expr(first, context)?;
                for (op, x) in rest {
                    let x = self.expr(x, context)?;
                    acc = self.binary(*op, acc, x, context)?;
                }
                acc
            }
            Expr::Ternary(c, a, b) => {
                // ngspice takes `a` when `c != 0` (NaN counts as true).
                let (c, a, b) = (self.expr(c, context)?, self.expr(a, context)?, self.expr(b, context)?);
                format!("(({c}) != 0.0 ? ({a}) : ({b}))")
            }
            Expr::Call(f, args) => {
                let args = args.iter().map(|a| self.expr(a, context)).collect::<Result<Vec<_>>>()?;
                let (value, user) = call(*f, &args, context)?;
                if user {
                    self.temp(value)
                } else {
                    value
                }
            }
        })
    }

    /// `V(r<k>)` for a node a behavioural source reads (`0.0` for ground).
    fn node(&mut self, node: &str) -> String {
        if node == atscale_circuit::GROUND {
            return "0.0".to_string();
        }
        let reads = self.reads.get_or_insert_with(Vec::new);
        let key = node.to_ascii_lowercase();
        let k = reads.iter().position(|n| *n == key).unwrap_or_else(|| {
            reads.push(key);
            reads.len() - 1
        });
        format!("V(r{k})")
    }

    fn binary(&mut self, op: BinaryOp, a: String, b: String, context: &str) -> Result<String> {
        let compare = |rel: &str| format!("((({a}) - ({b})) {rel} 0.0 ? 1.0 : 0.0)");
        Ok(match op {
            BinaryOp::Lt => compare("<"),
            BinaryOp::Le => compare("<="),
            BinaryOp::Gt => compare(">"),
            BinaryOp::Ge => compare(">="),
            BinaryOp::Eq => compare("=="),
            BinaryOp::Ne => compare("!="),
            BinaryOp::Add => format!("({a} + {b})"),
            BinaryOp::Sub => format!("({a} - {b})"),
            BinaryOp::Mul => format!("({a}*{b})"),
            BinaryOp::Div => self.temp(format!("atscale_div({a}, {b})")),
            BinaryOp::Pow => format!("pow(abs({a}), {b})"),
            other => {
                return Err(refused(
                    context,
                    format!("the operator `{}` is not written in Verilog-A", other.symbol()),
                ))
            }
        })
    }
}

/// A law expression as statements and a value (see [`Hoist`]).
///
/// # Errors
/// As [`Hoist::expr`].
pub fn va_expr(e: &Expr, context: &str) -> Result<(String, String)> {
    let mut h = Hoist::default();
    let value = h.expr(e, context)?;
    Ok((h.statements(), value))
}

fn constant(c: Constant) -> f64 {
    c.value()
}

/// A call and whether it calls one of this module's analog functions.
fn call(f: Func, args: &[String], context: &str) -> Result<(String, bool)> {
    let one = |name: &str| format!("{name}({})", args[0]);
    let user = matches!(f, Func::Exp | Func::Ln | Func::Log | Func::Log10 | Func::Pwr);
    let text = match (f, args.len()) {
        (Func::Abs | Func::Sqrt | Func::Tanh | Func::Sinh | Func::Cosh | Func::Atan | Func::Asinh, 1) => {
            one(f.name())
        }
        (Func::Exp, 1) => one("atscale_exp"),
        (Func::Ln | Func::Log, 1) => one("atscale_ln"),
        (Func::Log10, 1) => format!("(atscale_ln({})/ln(10.0))", args[0]),
        (Func::Sgn, 1) => format!("(({x}) > 0.0 ? 1.0 : (({x}) < 0.0 ? -1.0 : 0.0))", x = args[0]),
        (Func::U, 1) => format!("(({x}) > 0.0 ? 1.0 : (({x}) < 0.0 ? 0.0 : 0.5))", x = args[0]),
        (Func::Uramp, 1) => format!("(({x}) < 0.0 ? 0.0 : ({x}))", x = args[0]),
        (Func::Min, 2) => format!("(({a}) > ({b}) ? ({b}) : ({a}))", a = args[0], b = args[1]),
        (Func::Max, 2) => format!("(({a}) > ({b}) ? ({a}) : ({b}))", a = args[0], b = args[1]),
        (Func::Pow, 2) => format!("pow(abs({}), {})", args[0], args[1]),
        (Func::Pwr, 2) => format!("atscale_pwr({}, {})", args[0], args[1]),
        _ => {
            return Err(refused(
                context,
                format!(
                "the function `{}` with {} argument(s) is not written in Verilog-A with ngspice's meaning",
                f.name(),
                args.len()
            ),
            ))
        }
    };
    Ok((text, user))
}

/// A number as a Verilog-A real literal (shortest round-trip form), in
/// parentheses when negative.
pub fn number(x: f64, context: &str) -> Result<String> {
    finite(x, context)?;
    let s = format!("{x:e}");
    Ok(if x < 0.0 || s.starts_with('-') { format!("({s})") } else { s })
}

fn finite(x: f64, context: &str) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite { context: context.to_string(), value: x })
    }
}

fn refused(context: &str, reason: String) -> Error {
    Error::Unrepresentable { context: context.to_string(), dialect: DIALECT, reason }
}

/// FNV-1a, 64 bits: a stable name for a module made from its text.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
