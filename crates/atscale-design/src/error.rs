//! Errors of the designer.

/// Result of this crate's fallible operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while designing. Each module adds the variants it
/// needs; every message names the quantity, its value with units and the
/// constraint it violates.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scale or parameter outside its allowed range.
    #[error("{name} must be {requirement}, got {value}")]
    BadParameter {
        /// The parameter and its unit, e.g. `amplitude scale s (V)`.
        name: String,
        /// What is required.
        requirement: &'static str,
        /// The value given.
        value: f64,
    },
    /// The circuit is invalid.
    #[error(transparent)]
    Circuit(#[from] atscale_circuit::Error),
    /// The solver failed.
    #[error(transparent)]
    Sim(#[from] atscale_sim::Error),
    /// A stop check (an interruption, a time limit) stopped a computation.
    #[error("stopped: {reason}")]
    Stopped {
        /// Why, as the check said it.
        reason: String,
    },
    /// More distinct timescales than a landscape analysis draws.
    #[error(
        "the membrane has {count} distinct timescales, more than the {limit} the landscape analysis draws \
         (one landscape each, each over every element)"
    )]
    TooManyTimescales {
        /// Distinct timescales found.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An element that has no exact image under a change of scales.
    #[error(
        "element {element} ({class}) is not scalable: a device model has its own physical scale; \
         replace it by a law-based element before scaling"
    )]
    NotScalable {
        /// The element's name.
        element: String,
        /// Its class (`diode`, `MOSFET`).
        class: &'static str,
    },
    /// A template was asked for with arguments it cannot build.
    #[error("template {template}: {reason}")]
    BadTemplate {
        /// The template's name.
        template: &'static str,
        /// What is wrong, as a sentence fragment.
        reason: String,
    },
    /// The landscape analysis found no membrane capacitor at the node.
    #[error(
        "the node `{node}` has no capacitor to ground, so it is not a membrane a landscape can be drawn for"
    )]
    NoMembrane {
        /// The node asked for.
        node: String,
    },
    /// A node the circuit does not have.
    #[error("the circuit has no node `{node}` (its nodes: {known})")]
    UnknownNode {
        /// The node asked for.
        node: String,
        /// The circuit's nodes, as a list (the first few).
        known: String,
    },
    /// A node an ideal voltage clamp cannot hold.
    #[error("the node `{node}` cannot be voltage-clamped: {reason}")]
    Unclampable {
        /// The node asked for.
        node: String,
        /// Why, as a sentence fragment naming the elements in the way.
        reason: String,
    },
    /// A voltage-clamp run that does not hold what the protocol reads.
    #[error("{run}: {problem}")]
    ClampRun {
        /// The run (`clamp step 3 of 41 (0.5 V), native`).
        run: String,
        /// What is missing, with the times.
        problem: String,
    },
    /// An element the landscape or energy analysis cannot read.
    #[error("the {class} `{element}` is not supported by the {analysis} analysis: {reason}")]
    UnsupportedElement {
        /// Element name.
        element: String,
        /// Element class (`diode`, `behavioural current source`, ...).
        class: &'static str,
        /// `landscape` or `energy`.
        analysis: &'static str,
        /// Why, and what is supported instead.
        reason: String,
    },
    /// A probed signal the energy account needs is missing from a result.
    #[error("the simulation result has no trace `{signal}`, which the energy account needs (probe it)")]
    MissingTrace {
        /// The signal name.
        signal: String,
    },
    /// The least-squares fit of a softplus basis failed.
    #[error("the softplus fit of {samples} samples on {basis} basis functions failed: {reason}")]
    FitFailed {
        /// Number of samples.
        samples: usize,
        /// Number of basis functions.
        basis: usize,
        /// Why the solver gave up.
        reason: &'static str,
    },
    /// A design specification that cannot be read: its file, line and the problem.
    #[error("{file}:{line}: {message}")]
    Spec {
        /// The spec's file name (as given).
        file: String,
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A specification whose targets conflict with a constraint, or that no
    /// template setting reaches.
    #[error("{message}")]
    Infeasible {
        /// The constraint or template range in conflict (`max_bias_a`, `supply_v`, ...).
        constraint: &'static str,
        /// The target it conflicts with (`rate_hz`, `spikes_per_burst`, ...).
        target: &'static str,
        /// The full sentence: the target, the constraint, their values with units, and a way out.
        message: String,
    },
    /// A device of a realisation outside the technology's limits.
    #[error("device {device}: {message}")]
    Limit {
        /// The device (`MRf_p`, `CMsp`, `IRf_b`, ...).
        device: String,
        /// The limit it breaks (`sizing.w_max_m`, `limits.bias_min_a`, ...).
        limit: &'static str,
        /// The value, the limit and its value with units, and a way out.
        message: String,
    },
    /// A design element whose ideal block cannot replace its transistors
    /// (`atscale realise --ideal-blocks`).
    #[error("--ideal-blocks {element}: {reason}")]
    IdealBlock {
        /// The design element.
        element: String,
        /// Why, with what would do.
        reason: String,
    },
    /// An element of a design that the transistor-level mapping cannot realise.
    #[error("element {element} cannot be realised in transistors: {reason}")]
    Unrealisable {
        /// The element.
        element: String,
        /// Why, and what is supported.
        reason: String,
    },
}
