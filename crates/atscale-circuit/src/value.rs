//! Parameter values: a number or an expression over parameters.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::expr::Expr;

/// A component value as written by a designer: a number, or an expression
/// over parameters (`{2*gain}` in SPICE) that [`Circuit::flatten`] resolves.
///
/// Serialises as a JSON/TOML number or as a string holding the expression.
///
/// [`Circuit::flatten`]: crate::Circuit::flatten
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number in the SI unit of the field that holds it.
    Num(f64),
    /// An expression over parameters, evaluated when the circuit is flattened
    /// (boxed, so that the common case, a number, costs 16 bytes: netlists
    /// hold millions of them in PWL sources).
    Expr(Box<Expr>),
}

impl Value {
    /// The number, when this value is one.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(x) => Some(*x),
            Value::Expr(_) => None,
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Num(x)
    }
}

impl From<Expr> for Value {
    fn from(e: Expr) -> Self {
        Value::Expr(Box::new(e))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{x:?}"),
            Value::Expr(e) => write!(f, "{{{e}}}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Num(x) => s.serialize_f64(*x),
            Value::Expr(e) => s.serialize_str(&e.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string holding an expression")
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Value, E> {
                Ok(Value::Num(x))
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> Result<Value, E> {
                Ok(Value::Num(x as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> Result<Value, E> {
                Ok(Value::Num(x as f64))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
                let t = s.trim();
                let inner = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(t);
                Expr::parse(inner)
                    .map(Value::from)
                    .map_err(|e| E::custom(format!("in expression `{s}`: {e}")))
            }
        }
        d.deserialize_any(Visitor)
    }
}
