//! Circuits as written (hierarchical, parametric) and flattened.

use serde::{Deserialize, Serialize};

use crate::element::{Element, GROUND};
use crate::model::Model;
use crate::value::Value;

/// A named parameter with its value (a number or an expression over other
/// parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Name (compared case-insensitively, as SPICE does).
    pub name: String,
    /// Value; expressions may read other parameters of the same or an
    /// enclosing scope.
    pub value: Value,
}

impl Param {
    /// A parameter with a value.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Param { name: name.into(), value: value.into() }
    }
}

/// A subcircuit definition: ports, parameters with defaults, and a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subckt {
    /// Name instances refer to (case-insensitive).
    pub name: String,
    /// Port nodes, in the order instances connect them.
    pub ports: Vec<String>,
    /// Parameters with their default values.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Elements of the body; their node names are local to the subcircuit
    /// except ground `0`.
    #[serde(default)]
    pub elements: Vec<Element<Value>>,
    /// Nested instances.
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// An instance of a subcircuit (`X` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// Instance name; it prefixes the hierarchical names of everything inside
    /// (`x1.n2`).
    pub name: String,
    /// Name of the [`Subckt`].
    pub subckt: String,
    /// Nodes connected to the subcircuit's ports, in port order.
    pub nodes: Vec<String>,
    /// Parameter overrides, evaluated in the enclosing scope.
    #[serde(default)]
    pub params: Vec<Param>,
}

/// A circuit as a designer writes it: parameters, models, subcircuits,
/// elements and instances. [`Circuit::flatten`] resolves it into a
/// [`FlatCircuit`] that simulators consume; [`Circuit::check`] also validates.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit {
    /// Title (the first line of a SPICE netlist).
    pub title: String,
    /// Global parameters.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Device model cards.
    #[serde(default)]
    pub models: Vec<Model<Value>>,
    /// Subcircuit definitions.
    #[serde(default)]
    pub subckts: Vec<Subckt>,
    /// Top-level elements.
    #[serde(default)]
    pub elements: Vec<Element<Value>>,
    /// Top-level subcircuit instances.
    #[serde(default)]
    pub instances: Vec<Instance>,
    /// Global nodes (SPICE `.global`): the same node inside every
    /// subcircuit, never renamed to `x1.name` there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub globals: Vec<String>,
}

/// A flattened circuit: no subcircuits, every value a number in SI units,
/// every expression's parameters substituted and its nodes and currents
/// named hierarchically (`x1.n2`, `x1.vin`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatCircuit {
    /// Title.
    pub title: String,
    /// Model cards with numeric parameters.
    pub models: Vec<Model<f64>>,
    /// All elements.
    pub elements: Vec<Element<f64>>,
}

impl FlatCircuit {
    /// The non-ground nodes in order of first appearance (names compare
    /// case-insensitively, as in SPICE; the first spelling is kept).
    pub fn nodes(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for e in &self.elements {
            for n in e.kind.nodes() {
                if n != GROUND && seen.insert(n.to_ascii_lowercase()) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The element with this name (case-insensitive).
    pub fn element(&self, name: &str) -> Option<&Element<f64>> {
        self.elements.iter().find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// The model with this name (case-insensitive).
    pub fn model(&self, name: &str) -> Option<&Model<f64>> {
        self.models.iter().find(|m| m.name.eq_ignore_ascii_case(name))
    }
}

impl From<FlatCircuit> for Circuit {
    /// A flat circuit as a circuit that can be written, exported or edited:
    /// every value becomes [`Value::Num`]; there are no parameters or
    /// subcircuits. Flattening the result gives the original back.
    fn from(flat: FlatCircuit) -> Self {
        let num = |x: &f64| -> Result<Value, std::convert::Infallible> { Ok(Value::Num(*x)) };
        let same =
            |e: &crate::expr::Expr| -> Result<crate::expr::Expr, std::convert::Infallible> { Ok(e.clone()) };
        let elements = flat
            .elements
            .iter()
            .map(|e| match e.kind.try_map(&mut { num }, &mut { same }) {
                Ok(kind) => Element { name: e.name.clone(), kind },
                Err(never) => match never {},
            })
            .collect();
        let models = flat
            .models
            .iter()
            .map(|m| match m.kind.try_map(&mut { num }) {
                Ok(kind) => Model { name: m.name.clone(), kind },
                Err(never) => match never {},
            })
            .collect();
        Circuit { title: flat.title, elements, models, ..Circuit::default() }
    }
}
