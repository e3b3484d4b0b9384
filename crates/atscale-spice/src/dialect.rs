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

/// Xyce 7 (from its Reference Guide; Xyce is not installed here, so these
/// netlists are not run by the test suite).
///
/// Differences handled: `^` is XOR in Xyce, so `a^b` (`|a|^b`) is written
/// `(ABS(a))**(b)` and `pwr` as `PWRS`; the ternary is `IF(c, a, b)`; logical
/// operators are `~ & |`; `u(x)` is `STP(x)` (0 at 0, ngspice gives 0.5),
/// `u2(x)` is `LIMIT(x, 0, 1)`, `nint` is `ROUND` (ties away from zero,
/// ngspice rounds to even); options are grouped (`.OPTIONS TIMEINT`,
/// `.OPTIONS DEVICE`); `.PRINT TRAN V(*)` requests the output. ngspice's
/// divisor nudge (`a/b` divides by `b ± 1e-32`) and exp cap (`1e99` above
/// 227.96) are not reproduced.
#[derive(Debug, Clone, Copy, Default)]
pub struct Xyce;

impl Dialect for Xyce {
    fn name(&self) -> &'static str {
        "Xyce"
    }

    fn instance_params_keyword(&self) -> Option<&'static str> {
        Some("PARAMS:")
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
        if let Some(x) = o.abstol {
            timeint.push(format!("ABSTOL={}", num(x, "option abstol")?));
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
        if let Some(g) = o.gmin {
            out.push(format!(".OPTIONS DEVICE GMIN={}", num(g, "option gmin")?));
        }
        for (key, x) in [("vntol", o.vntol), ("chgtol", o.chgtol)] {
            if let Some(x) = x {
                out.push(format!("* ngspice option {key}={} has no Xyce equivalent", num(x, key)?));
            }
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
        Expr::Call(func, args) => {
            let (name, extra): (&str, &str) = match func {
                Func::U => ("STP", ""),
                Func::U2 => ("LIMIT", ", 0, 1"),
                Func::Nint => ("ROUND", ""),
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
            "(((ABS(a)**2)+IF((V(x)>1), PWRS(V(x,y), 3), (-STP(TIME))))&(~PI))"
        );
    }
}
