//! Printing (parses back to an equal tree; ngspice reads it with the same
//! meaning) and serde as that text.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{BinaryOp, Expr};

/// Binding strength of the printed form: 0 ternary, 1..6 binary operators,
/// 7 prefix operators and negative numbers, 8 `^`, 9 atoms.
fn level(e: &Expr) -> u8 {
    match e {
        Expr::Ternary(..) => 0,
        Expr::Binary(op, ..) => op.level(),
        Expr::Chain(_, rest) => rest.first().map_or(9, |(op, _)| op.level()),
        Expr::Unary(..) => 7,
        Expr::Num(x) if x.is_sign_negative() && !x.is_nan() => 7,
        _ => 9,
    }
}

fn write_at(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if level(e) < min {
        f.write_str("(")?;
        write_bare(f, e)?;
        f.write_str(")")
    } else {
        write_bare(f, e)
    }
}

/// Numbers print in Rust's shortest round-trip form (`0.1`, `1e-12`,
/// `-2.5`, `3` for `3.0`); infinities as `1e999` (which reads back as infinity) and NaN as
/// `(1e999 - 1e999)`, which evaluates to NaN.
fn write_num(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        f.write_str("(1e999 - 1e999)")
    } else if x == f64::INFINITY {
        f.write_str("1e999")
    } else if x == f64::NEG_INFINITY {
        f.write_str("-1e999")
    } else {
        let text = format!("{x:?}");
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

fn write_bare(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    match e {
        Expr::Num(x) => write_num(f, *x),
        Expr::Var(name) => f.write_str(name),
        Expr::Const(c) => f.write_str(c.name()),
        Expr::Time => f.write_str("time"),
        Expr::Voltage(a, None) => write!(f, "v({a})"),
        Expr::Voltage(a, Some(b)) => write!(f, "v({a},{b})"),
        Expr::Current(n) => write!(f, "i({n})"),
        Expr::Unary(op, a) => {
            f.write_str(op.symbol())?;
            if matches!(**a, Expr::Num(_)) {
                // `-2` would read back as the number -2, not as `-(2)`.
                f.write_str("(")?;
                write_bare(f, a)?;
                f.write_str(")")
            } else {
                write_at(f, a, 7)
            }
        }
        Expr::Binary(BinaryOp::Pow, a, b) => {
            write_at(f, a, 8)?;
            f.write_str("^")?;
            write_at(f, b, 9)
        }
        Expr::Binary(op, a, b) => {
            let l = op.level();
            write_at(f, a, l)?;
            write!(f, " {} ", op.symbol())?;
            write_at(f, b, l + 1)
        }
        Expr::Chain(first, rest) => {
            let l = level(e);
            write_at(f, first, l)?;
            for (op, t) in rest {
                write!(f, " {} ", op.symbol())?;
                write_at(f, t, l + 1)?;
            }
            Ok(())
        }
        Expr::Ternary(c, t, e) => {
            write_at(f, c, 1)?;
            f.write_str(" ? ")?;
            write_at(f, t, 0)?;
            f.write_str(" : ")?;
            write_at(f, e, 0)
        }
        Expr::Call(func, args) => {
            write!(f, "{}(", func.name())?;
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    f.write_str(", ")?;
                }
                write_at(f, a, 0)?;
            }
            f.write_str(")")
        }
    }
}

/// Prints with as few parentheses as ngspice's precedence allows; the text
/// parses back to an equal [`Expr`] (for valid names, see [`Expr`]).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_at(f, self, 0)
    }
}

/// Serialises as the printed text.
impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Deserialises from the text of an expression.
impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Expr::parse(&s).map_err(|e| serde::de::Error::custom(format!("in expression `{s}`: {e}")))
    }
}
