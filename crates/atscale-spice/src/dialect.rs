//! Netlist dialects: what differs between ngspice and Xyce.
//!
//! The writer produces the same cards for every dialect (element lines,
//! B-sources, subcircuits); a [`Dialect`] decides how expressions are
//! printed and how the analysis is requested.

use atscale_circuit::expr::{BinaryOp, Constant, Func, UnaryOp};
use atscale_circuit::Expr;

use crate::error::{Error, Result};
use crate::number::format_number;
use atscale_circuit::analysis::{Analysis, Method};

/// A SPICE dialect the writer can target.
///
/// Implementors print expressions and the analysis cards; the writer does the
/// rest. Output must be deterministic: the same input gives the same text.
pub trait Dialect {
    /// The dialect's name, as the header and error messages show it.
    fn name(&self) -> &'static str;

    /// Prints an expression so that this simulator computes what the atscale
    /// expression language ([`atscale_circuit::expr`], ngspice semantics)
    /// computes. Names in it have been checked by the writer.
    fn expr(&self, e: &Expr) -> Result<String>;

    /// The cards that request the analysis: `.options`, `.ic`, `.tran` (and
    /// whatever output request the simulator needs), in order.
    fn analysis_cards(&self, analysis: &Analysis) -> Result<Vec<String>>;

    /// The keyword written before the parameter overrides of an `X` line
    /// (`PARAMS:` in Xyce; nothing in ngspice).
    fn instance_params_keyword(&self) -> Option<&'static str> {
        None
    }

    /// Whether the writer adds `*@atscale` annotations so that the atscale
    /// parser can read the netlist back into the same circuit.
    fn annotates(&self) -> bool {
        true
    }

    /// Refuses a parameter name the simulator reserves (checked for every
    /// `.param`, subcircuit and instance parameter the writer writes).
    fn check_param_name(&self, _name: &str) -> Result<()> {
        Ok(())
    }

    /// The MOSFET `LEVEL` to write for an ngspice model of level `level`
    /// (named `model`), with a comment line to put before the card when the
    /// simulator's model of that level is not exactly ngspice's; an error
    /// when the simulator has no such model.
    fn mos_level(&self, level: u32, _model: &str) -> Result<(u32, Option<String>)> {
        Ok((level, None))
    }

    /// The bipolar transistor `LEVEL` to write for an ngspice model of level
    /// `level` (named `model`); an error when the simulator has no such model.
    fn bjt_level(&self, level: u32, _model: &str) -> Result<u32> {
        Ok(level)
    }
}

fn num(x: f64, context: &str) -> Result<String> {
    format_number(x).ok_or_else(|| Error::NonFinite { context: context.to_string(), value: x })
}

/// ngspice 39 and later (`ngspice -b`).
///
/// Expressions are printed in atscale's own syntax, which is ngspice's: the
/// expression language has ngspice's semantics, so `x^3` stays `x^3`
/// (meaning `|x|^3` in both). Laws that need signed integer powers are built
/// from products by the writer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ngspice;

impl Dialect for Ngspice {
    fn name(&self) -> &'static str {
        "ngspice"
    }

    fn expr(&self, e: &Expr) -> Result<String> {
        check_numbers(e)?;
        Ok(e.to_string())
    }

    fn analysis_cards(&self, analysis: &Analysis) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let o = &analysis.options;
        let mut opts = Vec::new();
        for (key, value) in [
            ("reltol", o.reltol),
            ("abstol", o.abstol),
            ("vntol", o.vntol),
            ("chgtol", o.chgtol),
            ("gmin", o.gmin),
        ] {
            if let Some(x) = value {
                opts.push(format!("{key}={}", num(x, &format!("option {key}"))?));
            }
        }
        if let Some(m) = o.method {
            opts.push(format!("method={}", m.keyword()));
        }
        if let Some(k) = o.maxord {
            opts.push(format!("maxord={k}"));
        }
        for (key, value) in &o.other {
            crate::names::check_name("option", key)?;
            match value {
                Some(v) => {
                    crate::names::check_option_value(v)?;
                    opts.push(format!("{key}={v}"));
                }
                None => opts.push(key.clone()),
            }
        }
        if !opts.is_empty() {
            out.push(format!(".options {}", opts.join(" ")));
        }
        if let Some(line) = node_values(".ic", "v", &analysis.ic)? {
            out.push(line);
        }
        if let Some(line) = node_values(".nodeset", "v", &analysis.nodeset)? {
            out.push(line);
        }
        if let Some(t) = &analysis.tran {
            let tmax = t.tmax_s.or(o.maxstep_s).unwrap_or_else(|| t.default_tmax_s());
            out.push(format!(
                ".tran {} {} {} {}{}",
                num(t.tstep_s, "tstep of .tran")?,
                num(t.tstop_s, "tstop of .tran")?,
                num(t.tstart_s, "tstart of .tran")?,
                num(tmax, "tmax of .tran")?,
                if t.uic { " uic" } else { "" }
            ));
        }
        Ok(out)
    }
}

/// Xyce 7 (from its Reference Guide, `doc/Reference_Guide/` of the Xyce
/// sources, and its expression lexer; Xyce is not installed here, so these
/// netlists are not run by the test suite: `tests/spice/xyce.rs` checks each
/// rule below against the guide text it cites).
///
/// Expressions: `^` is XOR in Xyce, so `a^b` (`|a|^b`) is written
/// `(ABS(a))**(b)` and `pwr` as `PWRS`; the ternary is `IF(c, a, b)`; logical
/// operators are `~ & |`; `u2(x)` is `LIMIT(x, 0, 1)`. Where Xyce's function
/// differs from ngspice's it is written so that Xyce computes ngspice's value
/// exactly: `nint(x)` (ngspice rounds halves to even, Xyce's `NINT` away from
/// zero) as `IF((x-FLOOR(x))==0.5, 2*NINT(x/2), NINT(x))`; `u(x)` (0.5 at 0 in
/// ngspice, `STP(0)` is 0) as `IF(x==0, 0.5, STP(x))`; `exp(x)` (ngspice
/// gives 1e99 above 227.9559242) as `IF(x>227.9559242, 1e99, EXP(x))`.
/// ngspice's divisor nudge (`a/b` divides by `b ± gmin·1e-20`) is not
/// reproduced.
///
/// Options, by meaning (`.OPTIONS` groups): `reltol` sets `TIMEINT RELTOL`
/// (truncation error) and `NONLIN`/`NONLIN-TRAN RELTOL` (Newton); `abstol`
/// (amperes: ngspice's current tolerance) sets `NONLIN`/`NONLIN-TRAN ABSTOL`
/// (absolute residual tolerance, a current); `vntol` (volts) sets `TIMEINT
/// ABSTOL` (the absolute tolerance on node values); `gmin` is `DEVICE GMIN`.
/// `NONLIN-TRAN` is always written, with ngspice's defaults (1e-3, 1e-12 A)
/// for what is not given, since Xyce's transient Newton defaults are looser
/// (1e-2, 1e-6). `chgtol` and other options have no equivalent and are
/// written as comments. `.PRINT TRAN V(*)` requests the output.
///
/// Refused by name: parameter names Xyce reserves, MOSFET levels without a
/// Xyce model, switches, sources Xyce does not have (and see the writer for
/// PULSE's `np`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Xyce;

impl Dialect for Xyce {
    fn name(&self) -> &'static str {
        "Xyce"
    }

    fn instance_params_keyword(&self) -> Option<&'static str> {
        Some("PARAMS:")
    }

    fn check_param_name(&self, name: &str) -> Result<()> {
        match XYCE_RESERVED.iter().find(|r| r.eq_ignore_ascii_case(name)) {
            Some(r) => Err(Error::Unrepresentable {
                context: format!("parameter {name}"),
                dialect: "Xyce",
                reason: format!(
                    "Xyce reserves the name `{r}` (its expressions read it as a built-in variable or \
                     constant); rename the parameter"
                ),
            }),
            None => Ok(()),
        }
    }

    fn bjt_level(&self, level: u32, model: &str) -> Result<u32> {
        match level {
            1 => Ok(1),
            other => Err(Error::Unrepresentable {
                context: format!("bipolar transistor model {model}"),
                dialect: "Xyce",
                reason: format!(
                    "ngspice's BJT level {other} has no Xyce model computing the same (Xyce's level 1 is \
                     Gummel-Poon; its VBIC is version 1.3 at levels 11/12, ngspice's level 4 is VBIC 1.2; \
                     its HICUM and MEXTRAM levels are 230/234 and 504/505)"
                ),
            }),
        }
    }

    fn mos_level(&self, level: u32, model: &str) -> Result<(u32, Option<String>)> {
        let note = |what: &str| Some(format!("* atscale: model {model}: {what}"));
        match level {
            1 | 2 | 3 | 6 => Ok((level, None)),
            8 | 49 => Ok((
                9,
                note(
                    "ngspice's BSIM3 (level 8/49, version 3.3.0 unless VERSION is given) is Xyce's \
                     level 9, which implements BSIM3 version 3.2.2 only: results can differ",
                ),
            )),
            14 | 54 => Ok((
                14,
                note(
                    "ngspice's BSIM4 (level 14/54, version 4.8 unless VERSION is given) is Xyce's level \
                     14 (version 4.6.1 unless VERSION selects another it implements)",
                ),
            )),
            other => Err(Error::Unrepresentable {
                context: format!("MOSFET model {model}"),
                dialect: "Xyce",
                reason: format!(
                    "ngspice's MOSFET level {other} has no Xyce equivalent (Xyce's levels 1, 2, 3 and 6 \
                     are SPICE's, BSIM3 is 9/49, BSIM4 14/54; its other levels are different models)"
                ),
            }),
        }
    }

    fn expr(&self, e: &Expr) -> Result<String> {
        let mut s = String::new();
        xyce_expr(e, &mut s)?;
        Ok(s)
    }

    fn analysis_cards(&self, analysis: &Analysis) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let o = &analysis.options;
        let mut timeint = Vec::new();
        if let Some(x) = o.reltol {
            timeint.push(format!("RELTOL={}", num(x, "option reltol")?));
        }
        // ngspice's vntol (V) is the absolute tolerance on node voltages;
        // TIMEINT ABSTOL is the one on node values (ngspice's abstol, in A, is not).
        if let Some(x) = o.vntol {
            timeint.push(format!("ABSTOL={}", num(x, "option vntol")?));
        }
        if let Some(m) = o.method {
            timeint.push(format!(
                "METHOD={}",
                match m {
                    Method::Trap => "TRAP",
                    Method::Gear => "GEAR",
                }
            ));
        }
        if let Some(k) = o.maxord {
            timeint.push(format!("MAXORD={k}"));
        }
        if !timeint.is_empty() {
            out.push(format!(".OPTIONS TIMEINT {}", timeint.join(" ")));
        }
        out.extend(newton_options(o.reltol, o.abstol, analysis.tran.is_some())?);
        if let Some(g) = o.gmin {
            out.push(format!(".OPTIONS DEVICE GMIN={}", num(g, "option gmin")?));
        }
        if let Some(x) = o.chgtol {
            out.push(format!("* ngspice option chgtol={} has no Xyce equivalent", num(x, "chgtol")?));
        }
        for (key, _) in &o.other {
            crate::names::check_name("option", key)?;
            out.push(format!("* ngspice option {key} is not translated to Xyce"));
        }
        if let Some(line) = node_values(".IC", "V", &analysis.ic)? {
            out.push(line);
        }
        if let Some(line) = node_values(".NODESET", "V", &analysis.nodeset)? {
            out.push(line);
        }
        if let Some(t) = &analysis.tran {
            let tmax = t.tmax_s.or(o.maxstep_s).unwrap_or_else(|| t.default_tmax_s());
            out.push(format!(
                ".TRAN {} {} {} {}{}",
                num(t.tstep_s, "tstep of .tran")?,
                num(t.tstop_s, "tstop of .tran")?,
                num(t.tstart_s, "tstart of .tran")?,
                num(tmax, "tmax of .tran")?,
                if t.uic { " UIC" } else { "" }
            ));
            out.push(".PRINT TRAN V(*)".to_string());
        }
        Ok(out)
    }
}

/// Names Xyce's expressions read as built-in variables or constants, so that
/// no parameter may have them: the Reference Guide's list (`.PARAM`,
/// `PARAM_Command.tex`: TIME, FREQ, HERTZ, VT, TEMP, TEMPER, GMIN) and the
/// other bare words of its expression lexer
/// (`src/UtilityPKG/ExpressionSrc/ExpressionLexer.l`: DT, PI, EXP, CTOK,
/// CONSTCTOK).
pub const XYCE_RESERVED: [&str; 12] =
    ["time", "freq", "hertz", "vt", "temp", "temper", "gmin", "dt", "pi", "exp", "ctok", "constctok"];

/// ngspice's defaults of `reltol` and `abstol` (A).
const NGSPICE_RELTOL: f64 = 1e-3;
const NGSPICE_ABSTOL_A: f64 = 1e-12;

/// Xyce's Newton tolerances from ngspice's `reltol` and `abstol`: `.OPTIONS
/// NONLIN` (operating point; its defaults are ngspice's, so only what is
/// given) and, for a transient, `.OPTIONS NONLIN-TRAN` always (its defaults,
/// RELTOL 1e-2 and ABSTOL 1e-6, are looser than ngspice's).
fn newton_options(reltol: Option<f64>, abstol: Option<f64>, tran: bool) -> Result<Vec<String>> {
    let pair = |r: Option<f64>, a: Option<f64>| -> Result<String> {
        let mut parts = Vec::new();
        if let Some(r) = r {
            parts.push(format!("RELTOL={}", num(r, "option reltol")?));
        }
        if let Some(a) = a {
            parts.push(format!("ABSTOL={}", num(a, "option abstol")?));
        }
        Ok(parts.join(" "))
    };
    let mut out = Vec::new();
    if reltol.is_some() || abstol.is_some() {
        out.push(format!(".OPTIONS NONLIN {}", pair(reltol, abstol)?));
    }
    if tran {
        let (r, a) = (reltol.unwrap_or(NGSPICE_RELTOL), abstol.unwrap_or(NGSPICE_ABSTOL_A));
        out.push(format!(".OPTIONS NONLIN-TRAN {}", pair(Some(r), Some(a))?));
    }
    Ok(out)
}

/// Rejects expressions holding a number no netlist can hold.
fn check_numbers(e: &Expr) -> Result<()> {
    let mut bad = None;
    visit(e, &mut |n| {
        if let Expr::Num(x) = n {
            if !x.is_finite() && bad.is_none() {
                bad = Some(*x);
            }
        }
    });
    match bad {
        Some(x) => Err(Error::NonFinite { context: format!("the expression `{e}`"), value: x }),
        None => Ok(()),
    }
}

fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Unary(_, a) => visit(a, f),
        Expr::Binary(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        Expr::Chain(first, rest) => {
            visit(first, f);
            rest.iter().for_each(|(_, t)| visit(t, f));
        }
        Expr::Ternary(c, t, o) => {
            visit(c, f);
            visit(t, f);
            visit(o, f);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| visit(a, f)),
        _ => {}
    }
}

/// A binary operator in Xyce syntax (`^` is not one: it is printed apart).
fn xyce_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::And => "&",
        BinaryOp::Or => "|",
        other => other.symbol(),
    }
}

/// Prints in Xyce syntax, every compound sub-expression in parentheses.
fn xyce_expr(e: &Expr, out: &mut String) -> Result<()> {
    match e {
        Expr::Num(x) => {
            let s = num(*x, "a number in an expression")?;
            if *x < 0.0 || s.starts_with('-') {
                out.push('(');
                out.push_str(&s);
                out.push(')');
            } else {
                out.push_str(&s);
            }
        }
        Expr::Var(n) => out.push_str(n),
        Expr::Const(Constant::Pi) => out.push_str("PI"),
        Expr::Const(Constant::E) => out.push_str("EXP(1)"),
        Expr::Time => out.push_str("TIME"),
        Expr::Voltage(a, None) => {
            out.push_str("V(");
            out.push_str(a);
            out.push(')');
        }
        Expr::Voltage(a, Some(b)) => {
            out.push_str("V(");
            out.push_str(a);
            out.push(',');
            out.push_str(b);
            out.push(')');
        }
        Expr::Current(n) => {
            out.push_str("I(");
            out.push_str(n);
            out.push(')');
        }
        Expr::Unary(op, a) => {
            out.push_str(match op {
                UnaryOp::Neg => "(-",
                UnaryOp::Not => "(~",
            });
            xyce_expr(a, out)?;
            out.push(')');
        }
        Expr::Binary(BinaryOp::Pow, a, b) => {
            out.push_str("(ABS(");
            xyce_expr(a, out)?;
            out.push_str(")**");
            xyce_expr(b, out)?;
            out.push(')');
        }
        Expr::Binary(op, a, b) => {
            out.push('(');
            xyce_expr(a, out)?;
            out.push_str(xyce_symbol(*op));
            xyce_expr(b, out)?;
            out.push(')');
        }
        Expr::Chain(first, rest) => {
            // `((t0 op t1) op t2) ...`: the opening parentheses first.
            out.push_str(&"(".repeat(rest.len()));
            xyce_expr(first, out)?;
            for (op, t) in rest {
                out.push_str(xyce_symbol(*op));
                xyce_expr(t, out)?;
                out.push(')');
            }
        }
        Expr::Ternary(c, t, o) => {
            out.push_str("IF(");
            xyce_expr(c, out)?;
            out.push_str(", ");
            xyce_expr(t, out)?;
            out.push_str(", ");
            xyce_expr(o, out)?;
            out.push(')');
        }
        Expr::Call(func @ (Func::Nint | Func::U | Func::Exp), args) if args.len() == 1 => {
            let mut x = String::new();
            xyce_expr(&args[0], &mut x)?;
            out.push_str(&ngspice_exact(*func, &x));
        }
        Expr::Call(func, args) => {
            let (name, extra): (&str, &str) = match func {
                Func::U2 => ("LIMIT", ", 0, 1"),
                Func::Log => ("LN", ""),
                Func::Pwr => ("PWRS", ""),
                Func::Pow => ("POW", ""),
                other => (other.name(), ""),
            };
            out.push_str(&name.to_ascii_uppercase());
            out.push('(');
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                if *func == Func::Pow && k == 0 {
                    out.push_str("ABS(");
                    xyce_expr(a, out)?;
                    out.push(')');
                } else {
                    xyce_expr(a, out)?;
                }
            }
            out.push_str(extra);
            out.push(')');
        }
    }
    Ok(())
}

/// `nint`, `u` and `exp` of the Xyce text `x`, as Xyce functions computing
/// ngspice's values exactly (see [`Xyce`]). `nint`: Xyce's `NINT` is
/// `std::round` (halves away from zero, `ExpressionSrc/ast.h`, `roundOp`);
/// ngspice rounds halves to even. `x - FLOOR(x)` is 0.5 exactly at halves
/// (and, by rounding, just above -0.5, where both branches give 0); `x/2` is
/// exact and never a half, so `2*NINT(x/2)` is the even neighbour.
fn ngspice_exact(func: Func, x: &str) -> String {
    match func {
        Func::Nint => format!("IF(({x}-FLOOR({x}))==0.5, 2*NINT({x}/2), NINT({x}))"),
        Func::U => format!("IF({x}==0, 0.5, STP({x}))"),
        _ => format!("IF({x}>227.9559242, 1e99, EXP({x}))"),
    }
}

/// A `card v(node)=value ...` line of node voltages, `None` when empty.
fn node_values(card: &str, v: &str, values: &[(String, f64)]) -> Result<Option<String>> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for (node, x) in values {
        crate::names::check_node(node)?;
        let x = format_number(*x).ok_or_else(|| Error::NonFinite {
            context: format!("the {card} voltage of node {node}"),
            value: *x,
        })?;
        parts.push(format!("{v}({node})={x}"));
    }
    Ok(Some(format!("{card} {}", parts.join(" "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xyce_syntax() {
        let e = Expr::parse("a^2 + (v(x) > 1 ? pwr(v(x,y), 3) : -u(time)) && !pi").unwrap();
        assert_eq!(
            Xyce.expr(&e).unwrap(),
            "(((ABS(a)**2)+IF((V(x)>1), PWRS(V(x,y), 3), (-IF(TIME==0, 0.5, STP(TIME)))))&(~PI))"
        );
    }
}
