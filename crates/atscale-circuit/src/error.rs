//! Errors and warnings of the circuit model.

use std::fmt;

/// Result of this crate's fallible operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a circuit could not be flattened or validated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The circuit has one or more problems; each names the element and what is wrong.
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
    /// The circuit is beyond a limit ([`crate::CircuitLimits`]); nothing
    /// was expanded.
    #[error("{what}: {found}, more than the limit of {limit}; raise it with {flag}")]
    Limit {
        /// What is counted (`elements after flattening`).
        what: String,
        /// The count found (may exceed `usize`).
        found: u128,
        /// The limit.
        limit: usize,
        /// The command-line option that raises it.
        flag: &'static str,
    },
}

impl Error {
    /// The individual problems (none for a limit).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(p) => p,
            Error::Limit { .. } => &[],
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "invalid circuit: {one}"),
            many => {
                write!(f, "invalid circuit: {} problems", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// One problem found in a circuit. Every message names the element (or
/// parameter, instance, subcircuit) and says what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// Two elements, instances, models, subcircuits or parameters share a name.
    #[error("duplicate {what} name `{name}` in {scope}")]
    DuplicateName {
        /// `element`, `model`, `subcircuit` or `parameter`.
        what: &'static str,
        /// The repeated name.
        name: String,
        /// Where: `the top level` or `subcircuit `amp``.
        scope: String,
    },
    /// An expression reads the voltage of a node nothing connects.
    #[error("{element} reads V({node}), but no element connects node `{node}`")]
    UnknownNode {
        /// The element (hierarchical name).
        element: String,
        /// The node.
        node: String,
    },
    /// An expression reads the current of something that has none.
    #[error("{element} reads I({name}), but there is no voltage source or inductor `{name}`")]
    UnknownCurrent {
        /// The element.
        element: String,
        /// The name read.
        name: String,
    },
    /// A value or expression uses a parameter that is not defined.
    #[error("{context} uses parameter `{name}`, which is not defined")]
    UnknownParam {
        /// What uses it (element, parameter or instance).
        context: String,
        /// The parameter.
        name: String,
    },
    /// A device names a model that does not exist.
    #[error("{element} uses model `{model}`, which is not defined")]
    UnknownModel {
        /// The device.
        element: String,
        /// The model name.
        model: String,
    },
    /// A device names a model of the wrong type.
    #[error("{element} needs a {expected} model, but `{model}` is a {found} model")]
    WrongModelType {
        /// The device.
        element: String,
        /// The model name.
        model: String,
        /// The type needed.
        expected: &'static str,
        /// The model's type.
        found: &'static str,
    },
    /// An instance names a subcircuit that does not exist.
    #[error("instance `{instance}` uses subcircuit `{subckt}`, which is not defined")]
    UnknownSubckt {
        /// The instance.
        instance: String,
        /// The subcircuit name.
        subckt: String,
    },
    /// An instance connects the wrong number of nodes.
    #[error("instance `{instance}` connects {found} nodes, but subcircuit `{subckt}` has {expected} ports")]
    PortCount {
        /// The instance.
        instance: String,
        /// The subcircuit.
        subckt: String,
        /// Number of ports.
        expected: usize,
        /// Number of nodes given.
        found: usize,
    },
    /// An instance overrides a parameter the subcircuit does not have.
    #[error("instance `{instance}` sets parameter `{param}`, which subcircuit `{subckt}` does not declare")]
    UnknownOverride {
        /// The instance.
        instance: String,
        /// The subcircuit.
        subckt: String,
        /// The parameter.
        param: String,
    },
    /// A subcircuit contains itself.
    #[error("subcircuit `{}` instantiates itself through {}", .chain.first().map(String::as_str).unwrap_or(""), .chain.join(" -> "))]
    RecursiveSubckt {
        /// The chain of subcircuit names, ending where it started.
        chain: Vec<String>,
    },
    /// Parameters whose values depend on each other in a cycle.
    #[error("parameters {} depend on each other in a cycle", quoted(.cycle))]
    ParamCycle {
        /// The parameters in the cycle, starting and ending with the same one.
        cycle: Vec<String>,
    },
    /// A parameter or value expression cannot be evaluated.
    #[error("{context}: cannot evaluate `{expr}`: {reason}")]
    Eval {
        /// What holds the expression.
        context: String,
        /// The expression.
        expr: String,
        /// Why.
        reason: String,
    },
    /// Voltage sources and inductors forming a loop (Kirchhoff's voltage law
    /// would over-determine their currents).
    #[error("voltage sources and inductors {} form a loop", quoted(.elements))]
    SourceLoop {
        /// The elements on the loop.
        elements: Vec<String>,
    },
    /// A value outside its allowed range.
    #[error("{class} `{element}`: {field} must be {requirement}, got {}", crate::units::si(*.value, .unit))]
    BadValue {
        /// Element class (`capacitor`, ...).
        class: &'static str,
        /// The element.
        element: String,
        /// The field, e.g. `capacitance`.
        field: &'static str,
        /// Its unit, e.g. `F` (empty when dimensionless).
        unit: &'static str,
        /// What is required, e.g. `positive and finite`.
        requirement: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A constitutive law, waveform or expression that is malformed.
    #[error("{class} `{element}`: {reason}")]
    BadElement {
        /// Element class.
        class: &'static str,
        /// The element.
        element: String,
        /// What is wrong.
        reason: String,
    },
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Something suspicious that does not stop simulation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Warning {
    /// Nodes with no DC path to ground: their DC voltage is undetermined
    /// (simulators add `gmin` to pin them).
    #[error("nodes {} have no DC path to ground", quoted(.nodes))]
    NoDcPath {
        /// The floating nodes.
        nodes: Vec<String>,
    },
    /// A loop of voltage sources with at least one inductor: a transient
    /// from initial conditions runs (ngspice's too), but the DC operating
    /// point shorts the sources through the inductors.
    #[error(
        "voltage sources and inductors {} form a loop: its DC operating point is singular unless the \
         transient starts from initial conditions (`uic`)",
        quoted(.elements)
    )]
    InductorLoop {
        /// The elements on the loop.
        elements: Vec<String>,
    },
}
