//! The netlist writer.
//!
//! # Conventions
//!
//! - **Card names.** An element is written under its own name when that
//!   starts with the letter of its SPICE card (`R`, `C`, `L`, `V`, `I`, `B`,
//!   `D`, `M`; `X` for instances), otherwise under the letter followed by
//!   the name (`Rnl` as a B-source is `BRnl`). `I(name)` in expressions
//!   follows the renaming.
//! - **Behavioural laws** become B-sources `B<name> p n I={...}` with the law
//!   in closed form: integer powers as products (`x*x*x`, never `^` or `pow`,
//!   which ngspice computes as `|x|^y`; beyond the 8th power `pow` for even
//!   and `pwr` for odd powers, both exact), softplus as
//!   `max(x,0)+ln(1+exp(-abs(x)))` (no overflow), logistic as
//!   `1/(1+exp(-x))`, piecewise-linear laws as a sum of hinge terms
//!   `(x+abs(x))/2` (ngspice gives ternaries and `u()` zero slope; `abs`
//!   has the right one).
//! - **Memristive states** are state nodes `<name>_x<k>`: a unit capacitor
//!   `C<name>_x<k> <node> 0 1 IC=<x0>` charged by a B-source current
//!   `B<name>_x<k> 0 <node> I={dx/dt}`, so the node voltage is the state. The
//!   law is a B-source between the element's nodes reading `V(<node>)`.
//!   Initial values take effect with `uic`; without it the operating point
//!   puts every state at its steady state.
//! - **Annotations.** Before every element or instance that plain SPICE
//!   cannot carry back into the same atscale element (nonlinear resistors,
//!   memristive elements, renamed cards, expressions reading renamed
//!   currents) the writer puts a comment `*@atscale element {json}` (or
//!   `*@atscale instance {json}`) holding the element as JSON (the
//!   serialisation of [`atscale_circuit::Element`]). The parser uses the
//!   annotation only if the lines after it are exactly what the writer makes
//!   of that element; a hand-edited card is read as plain SPICE instead.
//! - **Numbers** go through [`format_number`];
//!   parameter expressions are written `{expr}`.
//! - **Parameters** are written in dependency order (`.param` lines, and
//!   `params:` of subcircuits), since ngspice reads them in order.
//! - The title and header are sanitised ([`sanitize_text`]); every name is
//!   checked ([`crate::names`]); the output is checked again before it is
//!   returned.

use std::collections::{HashMap, HashSet};

use atscale_circuit::{
    Circuit, Element, ElementKind, Expr, Gate, Instance, MemristiveLaw, Model, ModelKind, Param, Relaxation,
    ResistiveLaw, Subckt, SwitchControl, Value, Waveform, GROUND,
};

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::names::{check_name, check_node, check_output, check_param, safe_title, sanitize_text};
use crate::number::format_number;
use atscale_circuit::analysis::Analysis;

/// Prefix of the structured comments the writer adds and the parser reads.
pub const ANNOTATION_PREFIX: &str = "*@atscale";

/// The header comment: what produced the netlist and anything the caller
/// wants a reader to know (the design's scales and parameters, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The program that wrote the netlist (default `atscale-spice <version>`).
    pub generator: String,
    /// Further comment lines, one per entry; sanitised when written.
    pub lines: Vec<String>,
}

impl Default for Header {
    fn default() -> Self {
        Header { generator: format!("atscale-spice {}", env!("CARGO_PKG_VERSION")), lines: Vec::new() }
    }
}

/// Writes a circuit and its analysis as a netlist in `dialect`,
/// hierarchically (subcircuits stay subcircuits, parameters stay
/// parameters). See the [module documentation](self) for the conventions.
pub fn write_netlist(
    circuit: &Circuit,
    analysis: &Analysis,
    dialect: &dyn Dialect,
    header: &Header,
) -> Result<String> {
    write_netlist_with(circuit, analysis, &Setup::default(), dialect, header)
}

/// A model library a netlist reads: `.lib "path" section` (or `.include
/// "path"` without a section), as foundry and open PDKs ship their corners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The file, as the simulator should open it (relative to the netlist's
    /// folder or absolute). Written in double quotes; it may not hold a
    /// double quote, whitespace or a line-breaking character.
    pub path: String,
    /// The corner section (`tt`, `ff`, ...), a name; `None` for `.include`.
    pub section: Option<String>,
}

/// Deck-level settings beyond the circuit and its analysis: model libraries,
/// the parameters they read and the temperature.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Setup {
    /// Libraries read before the circuit, in order.
    pub libraries: Vec<Library>,
    /// Parameters the libraries read (a Monte Carlo draw of a PDK's process
    /// parameters, say), written before them: `.param name=value`, VACASK
    /// `parameters name=value`.
    pub parameters: Vec<(String, f64)>,
    /// Simulation temperature, °C (`.options temp=`; Xyce `.OPTIONS DEVICE TEMP=`); `None`: the simulator's 27 °C.
    pub temp_c: Option<f64>,
}

/// Checks a library path before it is written in double quotes: not empty,
/// no double quote, no line-breaking character (see
/// [`crate::names::is_line_breaking`]) and no whitespace.
pub fn check_library_path(path: &str) -> Result<()> {
    let reason = if path.trim().is_empty() {
        Some("it is empty")
    } else if path.contains('"') {
        Some("a library path may not contain a double quote (it is written in double quotes)")
    } else if path.chars().any(crate::names::is_line_breaking) {
        Some("a library path may not contain a line break or other control character")
    } else if path.chars().any(char::is_whitespace) {
        Some("a library path may not contain spaces (ngspice 39 splits `.lib` paths at spaces, even in quotes)")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::UnsafeName { what: "library path", name: path.to_string(), reason }),
        None => Ok(()),
    }
}

/// [`write_netlist`] with deck-level settings: the `.lib`/`.include` lines
/// after the header and the temperature before the analysis cards.
pub fn write_netlist_with(
    circuit: &Circuit,
    analysis: &Analysis,
    setup: &Setup,
    dialect: &dyn Dialect,
    header: &Header,
) -> Result<String> {
    let mut out = Vec::new();
    out.push(safe_title(&circuit.title));
    out.push(format!("* Written by {} ({} dialect).", sanitize_text(&header.generator), dialect.name()));
    for l in &header.lines {
        out.push(format!("* {}", sanitize_text(l)));
    }
    let xyce = dialect.name() == "Xyce";
    for (name, v) in &setup.parameters {
        check_param(name)?;
        dialect.check_param_name(name)?;
        let v = format_number(*v)
            .ok_or_else(|| Error::NonFinite { context: format!("library parameter {name}"), value: *v })?;
        out.push(format!("{} {name}={v}", if xyce { ".PARAM" } else { ".param" }));
    }
    for lib in &setup.libraries {
        check_library_path(&lib.path)?;
        match &lib.section {
            Some(section) => {
                check_name("library section", section)?;
                out.push(format!("{} \"{}\" {section}", if xyce { ".LIB" } else { ".lib" }, lib.path));
            }
            None => out.push(format!("{} \"{}\"", if xyce { ".INCLUDE" } else { ".include" }, lib.path)),
        }
    }
    for p in ordered_params(&circuit.params, "the top level")? {
        check_param(&p.name)?;
        dialect.check_param_name(&p.name)?;
        out.push(format!(
            ".param {}={}",
            p.name,
            value(&p.value, dialect, &format!("parameter {}", p.name))?
        ));
    }
    if !circuit.globals.is_empty() {
        for g in &circuit.globals {
            check_node(g)?;
        }
        out.push(format!("{} {}", if xyce { ".GLOBAL" } else { ".global" }, circuit.globals.join(" ")));
    }
    if xyce {
        check_xyce_pulses(circuit, analysis)?;
    }
    for m in &circuit.models {
        out.extend(model_card(m, dialect)?);
    }
    for s in &circuit.subckts {
        subckt_lines(s, dialect, &mut out)?;
    }
    body_lines(&circuit.elements, &circuit.instances, &[], "the top level", dialect, &mut out)?;
    if let Some(t) = setup.temp_c {
        let t = format_number(t)
            .ok_or_else(|| Error::NonFinite { context: "the temperature".to_string(), value: t })?;
        // `.options temp=` rather than `.temp`: the same in ngspice, and the parser keeps it.
        out.push(if xyce { format!(".OPTIONS DEVICE TEMP={t}") } else { format!(".options temp={t}") });
    }
    out.extend(dialect.analysis_cards(analysis)?);
    out.push(".end".to_string());
    let mut text = out.join("\n");
    text.push('\n');
    check_output(&text)?;
    Ok(text)
}

/// Flattens the circuit ([`Circuit::flatten`]: parameters resolved,
/// subcircuits expanded with hierarchical names such as `x1.n2`) and writes
/// the result with [`write_netlist`].
pub fn write_flat_netlist(
    circuit: &Circuit,
    analysis: &Analysis,
    dialect: &dyn Dialect,
    header: &Header,
) -> Result<String> {
    let flat = circuit.flatten().map_err(|e| Error::Unrepresentable {
        context: format!("circuit `{}` flat", circuit.title),
        dialect: dialect.name(),
        reason: e.to_string(),
    })?;
    let mut models = Vec::new();
    for m in &flat.models {
        let kind = m.kind.try_map(&mut |x: &f64| Ok::<_, ()>(Value::Num(*x))).map_err(|_| {
            Error::Unrepresentable {
                context: format!("model {}", m.name),
                dialect: dialect.name(),
                reason: "its parameters could not be converted".into(),
            }
        })?;
        models.push(Model { name: m.name.clone(), kind });
    }
    let mut elements = Vec::new();
    for e in &flat.elements {
        let kind = e
            .kind
            .try_map(&mut |x: &f64| Ok::<_, ()>(Value::Num(*x)), &mut |x: &Expr| Ok(x.clone()))
            .map_err(|_| Error::Unrepresentable {
                context: format!("element {}", e.name),
                dialect: dialect.name(),
                reason: "its values could not be converted".into(),
            })?;
        elements.push(Element { name: e.name.clone(), kind });
    }
    let c = Circuit { title: flat.title.clone(), models, elements, ..Circuit::default() };
    write_netlist(&c, analysis, dialect, header)
}

/// Parameters in an order where each comes after those it reads (stable:
/// otherwise the given order).
pub(crate) fn ordered_params<'a>(params: &'a [Param], scope: &str) -> Result<Vec<&'a Param>> {
    let index: HashMap<String, usize> =
        params.iter().enumerate().map(|(k, p)| (p.name.to_ascii_lowercase(), k)).collect();
    let mut state = vec![0u8; params.len()]; // 0 new, 1 visiting, 2 done
    let mut out = Vec::new();
    fn visit<'a>(
        k: usize,
        params: &'a [Param],
        index: &HashMap<String, usize>,
        state: &mut [u8],
        path: &mut Vec<usize>,
        out: &mut Vec<&'a Param>,
        scope: &str,
    ) -> Result<()> {
        match state[k] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == k).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|&p| params[p].name.clone()).collect();
                cycle.push(params[k].name.clone());
                return Err(Error::ParamCycle { scope: scope.to_string(), cycle });
            }
            _ => {}
        }
        state[k] = 1;
        path.push(k);
        if let Value::Expr(e) = &params[k].value {
            for v in e.variables() {
                if let Some(&d) = index.get(&v.to_ascii_lowercase()) {
                    visit(d, params, index, state, path, out, scope)?;
                }
            }
        }
        path.pop();
        state[k] = 2;
        out.push(&params[k]);
        Ok(())
    }
    for k in 0..params.len() {
        visit(k, params, &index, &mut state, &mut Vec::new(), &mut out, scope)?;
    }
    Ok(out)
}

/// Prints a value: a number, or `{expr}`.
pub(crate) fn value(v: &Value, dialect: &dyn Dialect, context: &str) -> Result<String> {
    match v {
        Value::Num(x) => {
            format_number(*x).ok_or_else(|| Error::NonFinite { context: context.to_string(), value: *x })
        }
        Value::Expr(e) => {
            check_expr_names(e)?;
            Ok(format!("{{{}}}", dialect.expr(e)?))
        }
    }
}

/// Checks every name an expression reads.
pub(crate) fn check_expr_names(e: &Expr) -> Result<()> {
    let mut res = Ok(());
    e.visit_leaves(&mut |leaf| {
        if res.is_err() {
            return;
        }
        use atscale_circuit::expr::Leaf;
        res = match leaf {
            Leaf::Node(n) => check_node(n),
            Leaf::Current(c) => check_name("current", c),
            Leaf::Var(v) => {
                if v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    Ok(())
                } else {
                    Err(Error::UnsafeName {
                        what: "expression variable",
                        name: v.to_string(),
                        reason:
                            "variables must be identifiers (a letter or `_`, then letters, digits or `_`)",
                    })
                }
            }
            Leaf::Time => Ok(()),
        };
    });
    res
}

/// The `.model` card of `m`, after a comment line when the dialect has one
/// for it.
fn model_card(m: &Model<Value>, dialect: &dyn Dialect) -> Result<Vec<String>> {
    check_name("model", &m.name)?;
    let mut params: Vec<String> = Vec::new();
    let mut note = None;
    let ctx = |k: &str| format!("parameter {k} of model {}", m.name);
    let named: Vec<(&str, &Option<Value>)> = match &m.kind {
        ModelKind::Diode(d) => vec![
            ("IS", &d.is),
            ("N", &d.n),
            ("RS", &d.rs),
            ("CJO", &d.cjo),
            ("VJ", &d.vj),
            ("M", &d.m),
            ("TT", &d.tt),
            ("BV", &d.bv),
            ("IBV", &d.ibv),
        ],
        ModelKind::Nmos(p) | ModelKind::Pmos(p) => {
            let (level, comment) = dialect.mos_level(p.level, &m.name)?;
            note = comment;
            params.push(format!("LEVEL={level}"));
            vec![("VTO", &p.vto), ("KP", &p.kp), ("LAMBDA", &p.lambda), ("GAMMA", &p.gamma), ("PHI", &p.phi)]
        }
        ModelKind::Npn(p) | ModelKind::Pnp(p) => {
            let level = dialect.bjt_level(p.level, &m.name)?;
            if level != 1 {
                params.push(format!("LEVEL={level}"));
            }
            for (k, v) in &p.params {
                check_name("model parameter", k)?;
                params.push(format!("{}={}", k.to_ascii_uppercase(), value(v, dialect, &ctx(k))?));
            }
            vec![]
        }
        ModelKind::Sw(_) | ModelKind::Csw(_) if dialect.name() == "Xyce" => {
            return Err(Error::Unrepresentable {
                context: format!("switch model {}", m.name),
                dialect: dialect.name(),
                reason: "Xyce's switches (VSWITCH, ISWITCH) change their resistance smoothly between \
                         VOFF and VON and have no VT/VH (IT/IH): ngspice's SW/CSW switch abruptly at the \
                         threshold with hysteresis"
                    .into(),
            });
        }
        ModelKind::Sw(p) => {
            vec![("VT", &p.threshold), ("VH", &p.hysteresis), ("RON", &p.ron), ("ROFF", &p.roff)]
        }
        ModelKind::Csw(p) => {
            vec![("IT", &p.threshold), ("IH", &p.hysteresis), ("RON", &p.ron), ("ROFF", &p.roff)]
        }
    };
    for (k, v) in named {
        if let Some(v) = v {
            params.push(format!("{k}={}", value(v, dialect, &ctx(k))?));
        }
    }
    if let ModelKind::Diode(d) = &m.kind {
        for (k, v) in &d.extra {
            check_name("model parameter", k)?;
            params.push(format!("{}={}", k.to_ascii_uppercase(), value(v, dialect, &ctx(k))?));
        }
    }
    if let ModelKind::Nmos(p) | ModelKind::Pmos(p) = &m.kind {
        for (k, v) in &p.extra {
            check_name("model parameter", k)?;
            let lower = k.to_ascii_lowercase();
            if lower != *k || ["level", "vto", "kp", "lambda", "gamma", "phi"].contains(&lower.as_str()) {
                return Err(Error::Unrepresentable {
                    context: format!("parameter {k} of model {}", m.name),
                    dialect: dialect.name(),
                    reason: "extra MOS parameters must be lower-case and not one of the named fields".into(),
                });
            }
            params.push(format!("{k}={}", value(v, dialect, &ctx(k))?));
        }
    }
    let kw = m.kind.keyword();
    let card = if params.is_empty() {
        format!(".model {} {kw}", m.name)
    } else {
        format!(".model {} {kw}({})", m.name, params.join(" "))
    };
    Ok(note.into_iter().chain([card]).collect())
}

/// Refuses a PULSE whose 8th argument `np` (number of pulses) Xyce would
/// need: Xyce's PULSE reads 7 arguments (`V1 V2 TD TR TF PW PER`) and
/// repeats forever. `np` does not matter when it is not positive
/// (unlimited, as in ngspice) or when the pulses it stops would start at or
/// after the transient's stop time (`td + np·per ≥ tstop`, `per` defaulting
/// to `tstop`); the writer then leaves it out.
fn check_xyce_pulses(circuit: &Circuit, analysis: &Analysis) -> Result<()> {
    let scopes = std::iter::once(&circuit.elements).chain(circuit.subckts.iter().map(|s| &s.elements));
    for e in scopes.flatten() {
        let (ElementKind::VoltageSource { waveform, .. } | ElementKind::CurrentSource { waveform, .. }) =
            &e.kind
        else {
            continue;
        };
        let Waveform::Pulse { td, per, np: Some(np), .. } = waveform else {
            continue;
        };
        let num = |v: Option<&Value>, default: f64| match v {
            None => Some(default),
            Some(Value::Num(x)) => Some(*x),
            Some(Value::Expr(_)) => None,
        };
        let matters = match (&analysis.tran, num(Some(np), 0.0)) {
            (None, _) => false,
            (Some(_), Some(n)) if n <= 0.0 => false,
            (Some(t), n) => {
                let per = num(per.as_ref(), t.tstop_s).map(|p| if p == 0.0 { t.tstop_s } else { p });
                match (n, num(td.as_ref(), 0.0), per) {
                    (Some(n), Some(td), Some(per)) => td + n * per < t.tstop_s,
                    _ => true,
                }
            }
        };
        if matters {
            return Err(Error::Unrepresentable {
                context: format!("{} {}", e.kind.class_name(), e.name),
                dialect: "Xyce",
                reason: "its PULSE has an 8th argument np (number of pulses) that ends the pulses before \
                         the stop time, and Xyce's PULSE reads 7 arguments and repeats forever"
                    .into(),
            });
        }
    }
    Ok(())
}

fn subckt_lines(s: &Subckt, dialect: &dyn Dialect, out: &mut Vec<String>) -> Result<()> {
    check_name("subcircuit", &s.name)?;
    let mut head = format!(".subckt {}", s.name);
    for p in &s.ports {
        check_node(p)?;
        if p == GROUND {
            return Err(Error::UnsafeName {
                what: "port",
                name: p.clone(),
                reason: "ground `0` cannot be a port",
            });
        }
        head.push(' ');
        head.push_str(p);
    }
    let scope = format!("subcircuit `{}`", s.name);
    let params = ordered_params(&s.params, &scope)?;
    if !params.is_empty() {
        head.push_str(" params:");
        for p in params {
            check_param(&p.name)?;
            dialect.check_param_name(&p.name)?;
            head.push_str(&format!(
                " {}={}",
                p.name,
                value(&p.value, dialect, &format!("parameter {}", p.name))?
            ));
        }
    }
    out.push(head);
    body_lines(&s.elements, &s.instances, &s.ports, &scope, dialect, out)?;
    out.push(format!(".ends {}", s.name));
    Ok(())
}

/// The SPICE card letter of an element kind.
pub(crate) fn card_letter<V>(kind: &ElementKind<V>) -> char {
    match kind {
        ElementKind::Resistor { .. } => 'R',
        ElementKind::Capacitor { .. } => 'C',
        ElementKind::Inductor { .. } => 'L',
        ElementKind::VoltageSource { .. } => 'V',
        ElementKind::CurrentSource { .. } => 'I',
        ElementKind::BehaviouralCurrent { .. }
        | ElementKind::BehaviouralVoltage { .. }
        | ElementKind::NonlinearResistor { .. }
        | ElementKind::Memristive { .. } => 'B',
        ElementKind::Diode { .. } => 'D',
        ElementKind::Mosfet { .. } => 'M',
        ElementKind::Bjt { .. } => 'Q',
        ElementKind::Switch { control: SwitchControl::Voltage { .. }, .. } => 'S',
        ElementKind::Switch { control: SwitchControl::Current { .. }, .. } => 'W',
        ElementKind::Coupling { .. } => 'K',
    }
}

/// The name a card is written under: the name, with the card letter in
/// front unless it already starts with it.
pub(crate) fn card_name(letter: char, name: &str) -> String {
    if name.starts_with(|c: char| c.eq_ignore_ascii_case(&letter)) {
        name.to_string()
    } else {
        format!("{letter}{name}")
    }
}

/// Renamed branch-current owners of a scope: lower-case name -> card name.
pub(crate) type Renames = HashMap<String, String>;

pub(crate) fn scope_renames(elements: &[Element<Value>]) -> Renames {
    elements
        .iter()
        .filter(|e| e.kind.has_branch_current())
        .filter_map(|e| {
            let card = card_name(card_letter(&e.kind), &e.name);
            (card != e.name).then(|| (e.name.to_ascii_lowercase(), card))
        })
        .collect()
}

/// Whether plain SPICE would read the element back as something else.
pub(crate) fn needs_annotation(e: &Element<Value>, renames: &Renames) -> bool {
    if matches!(e.kind, ElementKind::NonlinearResistor { .. } | ElementKind::Memristive { .. }) {
        return true;
    }
    if card_name(card_letter(&e.kind), &e.name) != e.name {
        return true;
    }
    e.kind
        .expressions()
        .iter()
        .any(|x| x.currents().iter().any(|c| renames.contains_key(&c.to_ascii_lowercase())))
}

/// How many card lines the writer makes of an element.
pub(crate) fn card_count<V>(e: &Element<V>) -> usize {
    match &e.kind {
        ElementKind::Memristive { states, .. } => 1 + 2 * states.len(),
        _ => 1,
    }
}

/// The state node of state `k` of a memristive element.
pub(crate) fn state_node(element: &str, k: usize) -> String {
    format!("{element}_x{k}")
}

fn body_lines(
    elements: &[Element<Value>],
    instances: &[Instance],
    ports: &[String],
    scope: &str,
    dialect: &dyn Dialect,
    out: &mut Vec<String>,
) -> Result<()> {
    let renames = scope_renames(elements);
    // Nodes of the scope, to keep state nodes from clashing with them.
    let mut nodes: HashSet<String> = ports.iter().map(|p| p.to_ascii_lowercase()).collect();
    for e in elements {
        nodes.extend(e.kind.nodes().into_iter().map(str::to_ascii_lowercase));
    }
    for i in instances {
        nodes.extend(i.nodes.iter().map(|n| n.to_ascii_lowercase()));
    }
    for e in elements {
        if let ElementKind::Memristive { states, .. } = &e.kind {
            for k in 0..states.len() {
                let node = state_node(&e.name, k);
                if !nodes.insert(node.to_ascii_lowercase()) {
                    return Err(Error::StateNodeClash {
                        element: e.name.clone(),
                        node,
                        scope: scope.to_string(),
                    });
                }
            }
        }
    }
    // Card names must be unique in the scope (case-insensitively, as SPICE
    // compares them), including the cards of memristive state nodes.
    let mut cards: HashSet<String> = HashSet::new();
    let mut claim = |card: String, owner: String| -> Result<()> {
        if cards.insert(card.to_ascii_lowercase()) {
            Ok(())
        } else {
            Err(Error::CardNameClash { element: owner, card, scope: scope.to_string() })
        }
    };
    for e in elements {
        let owner = format!("{} `{}`", e.kind.class_name(), e.name);
        claim(card_name(card_letter(&e.kind), &e.name), owner.clone())?;
        if let ElementKind::Memristive { states, .. } = &e.kind {
            for k in 0..states.len() {
                let node = state_node(&e.name, k);
                claim(format!("C{node}"), owner.clone())?;
                claim(format!("B{node}"), owner.clone())?;
            }
        }
    }
    for i in instances {
        claim(card_name('X', &i.name), format!("instance `{}`", i.name))?;
    }
    for e in elements {
        if dialect.annotates() && needs_annotation(e, &renames) {
            out.push(annotation("element", e)?);
        }
        out.extend(element_cards(e, dialect, &renames)?);
    }
    for i in instances {
        let card = card_name('X', &i.name);
        if dialect.annotates() && card != i.name {
            out.push(annotation("instance", i)?);
        }
        out.push(instance_card(i, dialect)?);
    }
    Ok(())
}

fn annotation<T: serde::Serialize + NamedItem>(what: &str, item: &T) -> Result<String> {
    let json = serde_json::to_string(item).map_err(|e| Error::Unrepresentable {
        context: format!("the annotation of {what} {}", item.item_name()),
        dialect: "any",
        reason: e.to_string(),
    })?;
    Ok(format!("{ANNOTATION_PREFIX} {what} {json}"))
}

/// Something with a name, for messages.
pub(crate) trait NamedItem {
    fn item_name(&self) -> &str;
}

impl NamedItem for Element<Value> {
    fn item_name(&self) -> &str {
        &self.name
    }
}

impl NamedItem for Instance {
    fn item_name(&self) -> &str {
        &self.name
    }
}

pub(crate) fn instance_card(i: &Instance, dialect: &dyn Dialect) -> Result<String> {
    check_name("instance", &i.name)?;
    let name = card_name('X', &i.name);
    check_name("subcircuit", &i.subckt)?;
    let mut line = name;
    for n in &i.nodes {
        check_node(n)?;
        line.push(' ');
        line.push_str(n);
    }
    line.push(' ');
    line.push_str(&i.subckt);
    if let (false, Some(kw)) = (i.params.is_empty(), dialect.instance_params_keyword()) {
        line.push(' ');
        line.push_str(kw);
    }
    for p in &i.params {
        check_param(&p.name)?;
        dialect.check_param_name(&p.name)?;
        line.push_str(&format!(
            " {}={}",
            p.name,
            value(&p.value, dialect, &format!("parameter {} of instance {}", p.name, i.name))?
        ));
    }
    Ok(line)
}

/// The branch voltage `v(p) - v(n)` as an expression.
fn branch_voltage(p: &str, n: &str) -> Expr {
    if n == GROUND {
        Expr::v(p)
    } else {
        Expr::v_diff(p, n)
    }
}

fn ex(v: &Value) -> Expr {
    match v {
        Value::Num(x) => Expr::Num(*x),
        Value::Expr(e) => (**e).clone(),
    }
}

fn sub(a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (_, Expr::Num(y)) if *y == 0.0 => a,
        (_, Expr::Num(y)) if *y < 0.0 => a + Expr::Num(-y),
        _ => a - b,
    }
}

fn mul(a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (Expr::Num(x), _) if *x == 1.0 => b,
        (_, Expr::Num(y)) if *y == 1.0 => a,
        _ => a * b,
    }
}

fn div(a: Expr, b: Expr) -> Expr {
    match &b {
        Expr::Num(y) if *y == 1.0 => a,
        _ => a / b,
    }
}

fn softplus(x: Expr) -> Expr {
    x.clone().max(0.0) + (1.0 + (-(x.abs())).exp()).ln()
}

fn logistic(x: Expr) -> Expr {
    1.0 / (1.0 + (-x).exp())
}

/// `x^p` for an integer `p >= 1`, exactly (products up to the 8th power).
fn int_power(x: Expr, p: u32) -> Expr {
    if p == 0 {
        return Expr::Num(1.0);
    }
    if p > 8 {
        let e = Expr::Num(f64::from(p));
        return if p.is_multiple_of(2) { x.pow(e) } else { x.pwr(e) };
    }
    let mut acc = x.clone();
    for _ in 1..p {
        acc = acc * x.clone();
    }
    acc
}

/// The current of a resistive law at branch voltage `v`.
fn resistive_current(
    law: &ResistiveLaw<Value>,
    v: Expr,
    context: &str,
    dialect: &dyn Dialect,
) -> Result<Expr> {
    Ok(match law {
        ResistiveLaw::Cubic { a, b } => sub(mul(ex(a), int_power(v.clone(), 3)), mul(ex(b), v)),
        ResistiveLaw::Tanh { alpha, delta, w } => mul(ex(alpha), div(sub(v, ex(delta)), ex(w)).tanh()),
        ResistiveLaw::Logistic { alpha, a, c } => mul(ex(alpha), logistic(mul(ex(a), sub(v, ex(c))))),
        ResistiveLaw::Softplus { alpha, a, c } => mul(ex(alpha), softplus(mul(ex(a), sub(v, ex(c))))),
        ResistiveLaw::Glm { g0, terms } => {
            let base = mul(ex(g0), v.clone());
            match sum(terms.iter().map(|t| mul(ex(&t.w), softplus(mul(ex(&t.a), sub(v.clone(), ex(&t.c)))))))
            {
                Some(s) => base * s.exp(),
                None => base,
            }
        }
        ResistiveLaw::Pwl { points } => {
            if points.len() < 2 {
                return Err(Error::Unrepresentable {
                    context: context.to_string(),
                    dialect: dialect.name(),
                    reason: format!(
                        "a piecewise-linear law needs at least 2 points, it has {}",
                        points.len()
                    ),
                });
            }
            let slope = |k: usize| -> Result<Expr> {
                let (v0, i0) = &points[k];
                let (v1, i1) = &points[k + 1];
                match (v0, i0, v1, i1) {
                    (Value::Num(v0), Value::Num(i0), Value::Num(v1), Value::Num(i1)) => {
                        let s = (i1 - i0) / (v1 - v0);
                        if s.is_finite() {
                            Ok(Expr::Num(s))
                        } else {
                            Err(Error::Unrepresentable {
                                context: context.to_string(),
                                dialect: dialect.name(),
                                reason: format!(
                                    "the slope of its piecewise-linear law between points {k} and {} is {s}; \
                                     the voltages must increase strictly",
                                    k + 1
                                ),
                            })
                        }
                    }
                    _ => Ok((ex(i1) - ex(i0)) / (ex(v1) - ex(v0))),
                }
            };
            let (v0, i0) = &points[0];
            let mut acc = ex(i0) + mul(slope(0)?, sub(v.clone(), ex(v0)));
            for (k, corner) in points.iter().enumerate().take(points.len() - 1).skip(1) {
                let ds = match (slope(k)?, slope(k - 1)?) {
                    (Expr::Num(a), Expr::Num(b)) => Expr::Num(a - b),
                    (a, b) => a - b,
                };
                let d = sub(v.clone(), ex(&corner.0));
                acc = acc + mul(ds, (d.clone() + d.abs()) / 2.0);
            }
            acc
        }
        ResistiveLaw::Expression { expr } => substitute_v(expr, &v),
    })
}

fn sum(terms: impl Iterator<Item = Expr>) -> Option<Expr> {
    terms.reduce(|a, b| a + b)
}

/// Replaces the branch-voltage variable `v` of a law or rate.
fn substitute_v(e: &Expr, v: &Expr) -> Expr {
    e.substitute_vars(&mut |name| (name == "v").then(|| v.clone()))
}

fn gate_factor(g: &Gate<Value>, x: Expr) -> Expr {
    match &g.logistic {
        None => int_power(x, g.power),
        Some(s) => {
            let l = logistic(mul(ex(&s.a), sub(x, ex(&s.c))));
            if g.power > 8 {
                l.pow(Expr::Num(f64::from(g.power)))
            } else {
                int_power(l, g.power)
            }
        }
    }
}

fn state_expr(element: &str, states: usize, k: usize, context: &str, dialect: &dyn Dialect) -> Result<Expr> {
    if k >= states {
        return Err(Error::Unrepresentable {
            context: context.to_string(),
            dialect: dialect.name(),
            reason: format!("its law reads state {k}, but it has {states} states"),
        });
    }
    Ok(Expr::v(state_node(element, k)))
}

fn memristive_current(
    name: &str,
    states: usize,
    law: &MemristiveLaw<Value>,
    v: Expr,
    context: &str,
    dialect: &dyn Dialect,
) -> Result<Expr> {
    Ok(match law {
        MemristiveLaw::Tanh { state, alpha, delta } => {
            let x = state_expr(name, states, *state, context, dialect)?;
            mul(ex(alpha), sub(x, ex(delta)).tanh())
        }
        MemristiveLaw::Gates { gbar, e_volt, gates } => {
            let mut acc = ex(gbar);
            for g in gates {
                let x = state_expr(name, states, g.state, context, dialect)?;
                acc = mul(acc, gate_factor(g, x));
            }
            mul(acc, sub(v, ex(e_volt)))
        }
        MemristiveLaw::Glm { gbar, e_volt, terms } => {
            let mut parts = Vec::new();
            for t in terms {
                let x = state_expr(name, states, t.state, context, dialect)?;
                parts.push(mul(ex(&t.w), softplus(mul(ex(&t.a), sub(x, ex(&t.c))))));
            }
            let g = match sum(parts.into_iter()) {
                Some(s) => mul(ex(gbar), s.exp()),
                None => ex(gbar),
            };
            mul(g, sub(v, ex(e_volt)))
        }
    })
}

fn rename_currents(e: &Expr, renames: &Renames) -> Expr {
    e.rename(&mut |n: &str| n.to_string(), &mut |c: &str| {
        renames.get(&c.to_ascii_lowercase()).cloned().unwrap_or_else(|| c.to_string())
    })
}

fn behavioural(
    name: &str,
    p: &str,
    n: &str,
    kind: char,
    e: &Expr,
    renames: &Renames,
    dialect: &dyn Dialect,
) -> Result<String> {
    let e = rename_currents(e, renames);
    check_expr_names(&e)?;
    Ok(format!("{name} {p} {n} {kind}={{{}}}", dialect.expr(&e)?))
}

/// The card name another element refers to `name` by.
fn renamed(name: &str, renames: &Renames) -> Result<String> {
    check_name("element", name)?;
    Ok(renames.get(&name.to_ascii_lowercase()).cloned().unwrap_or_else(|| name.to_string()))
}

/// The card lines of one element (without its annotation).
pub(crate) fn element_cards(
    e: &Element<Value>,
    dialect: &dyn Dialect,
    renames: &Renames,
) -> Result<Vec<String>> {
    check_name("element", &e.name)?;
    let name = card_name(card_letter(&e.kind), &e.name);
    for n in e.kind.nodes() {
        check_node(n)?;
    }
    let context = format!("{} {}", e.kind.class_name(), e.name);
    let val = |v: &Value, what: &str| value(v, dialect, &format!("the {what} of {context}"));
    let opt = |o: &Option<Value>, key: &str, what: &str| -> Result<String> {
        Ok(match o {
            Some(v) => format!(" {key}={}", val(v, what)?),
            None => String::new(),
        })
    };
    Ok(match &e.kind {
        ElementKind::Resistor { p, n, r_ohm } => {
            vec![format!("{name} {p} {n} {}", val(r_ohm, "resistance")?)]
        }
        ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
            vec![format!(
                "{name} {p} {n} {}{}",
                val(c_farad, "capacitance")?,
                opt(ic_volt, "IC", "initial voltage")?
            )]
        }
        ElementKind::Inductor { p, n, l_henry, ic_amp } => {
            vec![format!(
                "{name} {p} {n} {}{}",
                val(l_henry, "inductance")?,
                opt(ic_amp, "IC", "initial current")?
            )]
        }
        ElementKind::VoltageSource { p, n, waveform, dc }
        | ElementKind::CurrentSource { p, n, waveform, dc } => {
            vec![format!("{name} {p} {n} {}", source_spec(waveform, dc.as_ref(), &context, dialect)?)]
        }
        ElementKind::BehaviouralCurrent { p, n, expr } => {
            vec![behavioural(&name, p, n, 'I', expr, renames, dialect)?]
        }
        ElementKind::BehaviouralVoltage { p, n, expr } => {
            vec![behavioural(&name, p, n, 'V', expr, renames, dialect)?]
        }
        ElementKind::NonlinearResistor { p, n, law } => {
            let i = resistive_current(law, branch_voltage(p, n), &context, dialect)?;
            vec![behavioural(&name, p, n, 'I', &i, renames, dialect)?]
        }
        ElementKind::Memristive { p, n, states, law } => {
            let v = branch_voltage(p, n);
            let i = memristive_current(&e.name, states.len(), law, v.clone(), &context, dialect)?;
            let mut lines = vec![behavioural(&name, p, n, 'I', &i, renames, dialect)?];
            for (k, s) in states.iter().enumerate() {
                let node = state_node(&e.name, k);
                check_node(&node)?;
                let x = Expr::v(node.clone());
                let rate = match s {
                    Relaxation::Linear { tau_s, .. } => div(sub(v.clone(), x), ex(tau_s)),
                    Relaxation::Kinetic { alpha, beta, .. } => {
                        let a = substitute_v(alpha, &v);
                        let b = substitute_v(beta, &v);
                        a * (1.0 - x.clone()) - b * x
                    }
                };
                lines.push(format!(
                    "C{node} {node} 0 1 IC={}",
                    val(s.x0(), &format!("initial value of state {k}"))?
                ));
                lines.push(behavioural(&format!("B{node}"), "0", &node, 'I', &rate, renames, dialect)?);
            }
            lines
        }
        ElementKind::Diode { p, n, model, area } => {
            check_name("model", model)?;
            // Named: ngspice 39 reads a fifth positional field of a diode
            // as its model (the fourth being a thermal node) and refuses it.
            let area = match area {
                Some(a) => format!(" area={}", val(a, "area")?),
                None => String::new(),
            };
            vec![format!("{name} {p} {n} {model}{area}")]
        }
        ElementKind::Mosfet { d, g, s, b, model, w_m, l_m, instance } => {
            check_name("model", model)?;
            let mut card =
                format!("{name} {d} {g} {s} {b} {model} W={} L={}", val(w_m, "width")?, val(l_m, "length")?);
            for (key, v) in instance.named() {
                if let Some(v) = v {
                    card.push_str(&format!(" {key}={}", val(v, key)?));
                }
            }
            if instance.off {
                card.push_str(" OFF");
            }
            if !instance.ic_volt.is_empty() {
                let ic: Vec<String> = instance.ic_volt.iter().map(|v| val(v, "IC")).collect::<Result<_>>()?;
                card.push_str(&format!(" IC={}", ic.join(",")));
            }
            vec![card]
        }
        ElementKind::Bjt { c, b, e: emitter, sub, model, area, m, off, ic_volt } => {
            check_name("model", model)?;
            let sub = sub.as_ref().map(|s| format!(" {s}")).unwrap_or_default();
            let mut card = format!("{name} {c} {b} {emitter}{sub} {model}");
            if let Some(a) = area {
                card.push_str(&format!(" {}", val(a, "area")?));
            }
            if let Some(m) = m {
                card.push_str(&format!(" M={}", val(m, "M")?));
            }
            if *off {
                card.push_str(" OFF");
            }
            if !ic_volt.is_empty() {
                let ic: Vec<String> = ic_volt.iter().map(|v| val(v, "IC")).collect::<Result<_>>()?;
                card.push_str(&format!(" IC={}", ic.join(",")));
            }
            vec![card]
        }
        ElementKind::Switch { p, n, control, model, on } => {
            check_name("model", model)?;
            let ctl = match control {
                SwitchControl::Voltage { cp, cn } => format!("{cp} {cn}"),
                SwitchControl::Current { source } => renamed(source, renames)?,
            };
            let state = match on {
                Some(true) => " ON",
                Some(false) => " OFF",
                None => "",
            };
            vec![format!("{name} {p} {n} {ctl} {model}{state}")]
        }
        ElementKind::Coupling { l1, l2, k } => {
            vec![format!(
                "{name} {} {} {}",
                renamed(l1, renames)?,
                renamed(l2, renames)?,
                val(k, "coupling")?
            )]
        }
    })
}

/// Why Xyce cannot take a source waveform as ngspice reads it, if it
/// cannot (Xyce's sources: Reference Guide, `V_Device.tex`, "Transient
/// Specifications").
fn check_xyce_source(w: &Waveform<Value>) -> std::result::Result<(), String> {
    match w {
        Waveform::Am { .. } | Waveform::TrNoise { .. } | Waveform::TrRandom { .. } => Err(format!(
            "Xyce has no {} source (its transient sources are PULSE, SIN, EXP, PAT, PWL and SFFM)",
            w.keyword()
        )),
        Waveform::Sin { freq: None, .. } => Err("its SIN leaves FREQ to ngspice's default 1/tstop, and \
             Xyce requires FREQ (`V0, VA and FREQ are required for the SIN source function`)"
            .into()),
        Waveform::Sffm { phasec, phases, .. } if phasec.is_some() || phases.is_some() => {
            Err("its SFFM has phases (6th and 7th arguments), and Xyce's SFFM reads 5 (V0 VA FC MDI FS)"
                .into())
        }
        _ => Ok(()),
    }
}

/// `[DC d] SHAPE(args)`, or `DC value`.
fn source_spec(
    w: &Waveform<Value>,
    dc: Option<&Value>,
    context: &str,
    dialect: &dyn Dialect,
) -> Result<String> {
    let unrep = |reason: String| Error::Unrepresentable {
        context: context.to_string(),
        dialect: dialect.name(),
        reason,
    };
    let val = |v: &Value| value(v, dialect, &format!("the waveform of {context}"));
    let args = |required: &[&Value], optional: &[(&str, &Option<Value>)]| -> Result<String> {
        let mut parts = Vec::new();
        for v in required {
            parts.push(val(v)?);
        }
        let last = optional.iter().rposition(|(_, o)| o.is_some());
        if let Some(last) = last {
            for (k, (field, o)) in optional[..=last].iter().enumerate() {
                match o {
                    Some(v) => parts.push(val(v)?),
                    None => {
                        let later = optional[k + 1..=last].iter().find(|(_, o)| o.is_some()).map(|(f, _)| *f);
                        return Err(unrep(format!(
                            "its {} argument `{field}` is left to the default but `{}` is given; SPICE \
                             arguments are positional",
                            w.keyword(),
                            later.unwrap_or("a later one")
                        )));
                    }
                }
            }
        }
        Ok(parts.join(" "))
    };
    let xyce = dialect.name() == "Xyce";
    if xyce {
        check_xyce_source(w).map_err(unrep)?;
    }
    let shape = match w {
        Waveform::Dc { value } => {
            if dc.is_some() {
                return Err(unrep("a DC waveform cannot have a separate DC value".into()));
            }
            return Ok(format!("DC {}", val(value)?));
        }
        // Xyce reads 7 arguments: `np` was checked by `check_xyce_pulses`.
        Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => format!(
            "PULSE({})",
            args(
                &[v1, v2],
                &[
                    ("td", td),
                    ("tr", tr),
                    ("tf", tf),
                    ("pw", pw),
                    ("per", per),
                    ("np", if xyce { &None } else { np })
                ]
            )?
        ),
        Waveform::Pwl { points } | Waveform::PwlRepeat { points, .. } => {
            if points.is_empty() {
                return Err(unrep("a PWL waveform needs at least one point".into()));
            }
            let mut parts = Vec::new();
            for (t, v) in points {
                parts.push(val(t)?);
                parts.push(val(v)?);
            }
            // ngspice's instance parameters `r=` and `td=` follow the points.
            let mut extra = String::new();
            if let Waveform::PwlRepeat { r, td, .. } = w {
                for (name, o) in [("r", r), ("td", td)] {
                    if let Some(x) = o {
                        extra.push_str(&format!(" {name}={}", val(x)?));
                    }
                }
            }
            format!("PWL({}){extra}", parts.join(" "))
        }
        Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => format!(
            "SFFM({})",
            args(&[vo, va], &[("fc", fc), ("mdi", mdi), ("fs", fs), ("phasec", phasec), ("phases", phases)])?
        ),
        Waveform::Am { va, vo, mf, fc, td, phasec, phases } => format!(
            "AM({})",
            args(&[va, vo], &[("mf", mf), ("fc", fc), ("td", td), ("phasec", phasec), ("phases", phases)])?
        ),
        Waveform::Sin { vo, va, freq, td, theta, phase } => format!(
            "SIN({})",
            args(&[vo, va], &[("freq", freq), ("td", td), ("theta", theta), ("phase", phase)])?
        ),
        Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => format!(
            "EXP({})",
            args(&[v1, v2], &[("td1", td1), ("tau1", tau1), ("td2", td2), ("tau2", tau2)])?
        ),
        // SPICE adds the DC value to a random source: the offset is written
        // as it (the seed is atscale's and has no SPICE form).
        Waveform::TrNoise { offset, na, nt, nalpha, namp, rtsam, rtscapt, rtsemt, .. } => {
            if dc.is_some() {
                return Err(unrep("a TRNOISE offset is its DC value; it cannot have another".into()));
            }
            // NALPHA and NAMP always written (0 when absent), as ngspice's examples do.
            let or_zero = |v: &Option<Value>| Some(v.clone().unwrap_or(Value::Num(0.0)));
            let (nalpha, namp) = (or_zero(nalpha), or_zero(namp));
            let optional = [
                ("nalpha", &nalpha),
                ("namp", &namp),
                ("rtsam", rtsam),
                ("rtscapt", rtscapt),
                ("rtsemt", rtsemt),
            ];
            let rest = args(&[na, nt], &optional)?;
            return Ok(format!("DC {} TRNOISE({rest})", val(offset)?));
        }
        Waveform::TrRandom { offset, dist, ts, td, p1, p2, .. } => {
            if dc.is_some() {
                return Err(unrep("a TRRANDOM offset is its DC value; it cannot have another".into()));
            }
            let rest = args(&[ts], &[("td", td), ("param1", p1), ("param2", p2)])?;
            return Ok(format!("DC {} TRRANDOM({} {rest})", val(offset)?, dist.type_number()));
        }
    };
    Ok(match dc {
        Some(d) => format!("DC {} {shape}", val(d)?),
        None => shape,
    })
}

#[cfg(test)]
mod tests {
    use atscale_circuit::expr::{CompiledExpr, Input};
    use atscale_circuit::SoftplusTerm;

    use super::*;
    use crate::dialect::Ngspice;

    fn num(x: &f64) -> std::result::Result<Value, ()> {
        Ok(Value::Num(*x))
    }

    /// Each law family, in `f64` for the model and as the written expression
    /// of the branch `v(a,b)` is expected to read, with its current scale (A).
    fn cases() -> Vec<(ResistiveLaw<f64>, &'static str, f64)> {
        let sp = |w: f64, a: f64, c: f64| SoftplusTerm { w, a, c };
        vec![
            (ResistiveLaw::Cubic { a: 0.5, b: 2.0 }, "0.5 * (v(a,b) * v(a,b) * v(a,b)) - 2 * v(a,b)", 1.0),
            (
                ResistiveLaw::Tanh { alpha: -2e-3, delta: 0.15, w: 0.3 },
                "-0.002 * tanh((v(a,b) - 0.15) / 0.3)",
                2e-3,
            ),
            (
                ResistiveLaw::Tanh { alpha: 1.0, delta: -0.5, w: 1.0 },
                "tanh(v(a,b) + 0.5)",
                1.0,
            ),
            (
                ResistiveLaw::Logistic { alpha: 1.5e-6, a: -50.0, c: 0.2 },
                "1.5e-6 * (1 / (1 + exp(-(-50 * (v(a,b) - 0.2)))))",
                1.5e-6,
            ),
            (
                ResistiveLaw::Softplus { alpha: 3e-4, a: 200.0, c: -0.5 },
                "0.0003 * (max(200 * (v(a,b) + 0.5), 0) + ln(1 + exp(-abs(200 * (v(a,b) + 0.5)))))",
                3e-4,
            ),
            (
                ResistiveLaw::Glm { g0: 1e-3, terms: vec![sp(1.5, 4.0, 0.3), sp(-0.8, -6.0, -0.4)] },
                "0.001 * v(a,b) * exp(1.5 * (max(4 * (v(a,b) - 0.3), 0) + ln(1 + exp(-abs(4 * (v(a,b) - 0.3))))) \
                 + -0.8 * (max(-6 * (v(a,b) + 0.4), 0) + ln(1 + exp(-abs(-6 * (v(a,b) + 0.4))))))",
                1e-3,
            ),
            (ResistiveLaw::Glm { g0: 2e-3, terms: vec![] }, "0.002 * v(a,b)", 2e-3),
            (
                ResistiveLaw::Pwl { points: vec![(-1.5, -2e-3), (-0.5, 1e-3), (0.5, 1.5e-3), (1.0, -4e-3)] },
                "-0.002 + 0.003 * (v(a,b) + 1.5) + -0.0025 * ((v(a,b) + 0.5 + abs(v(a,b) + 0.5)) / 2) \
                 + -0.0115 * ((v(a,b) - 0.5 + abs(v(a,b) - 0.5)) / 2)",
                4e-3,
            ),
            (
                ResistiveLaw::Expression {
                    expr: Expr::parse("1e-3*(min(max(v, -1), 1) + v^3/3 - pwr(v, 5)/20)").unwrap(),
                },
                "0.001 * (min(max(v(a,b), -1), 1) + v(a,b)^3 / 3 - pwr(v(a,b), 5) / 20)",
                1e-3,
            ),
        ]
    }

    /// The written expression evaluated by atscale's own evaluator (the
    /// ngspice expression semantics of `atscale_circuit::expr`, a different
    /// code path from the closed forms of `ResistiveLaw::current`) at node
    /// voltages `a` and `b`.
    fn evaluate(e: &Expr, a: f64, b: f64) -> f64 {
        let f = CompiledExpr::compile(e, &mut |leaf| match leaf {
            Input::Node("a") => Ok(Some(0)),
            Input::Node("b") => Ok(Some(1)),
            other => Err(format!("unexpected {other}")),
        })
        .unwrap();
        let mut ws = f.workspace();
        f.value(&[a, b], 0.0, &mut ws)
    }

    /// Largest error of the written expression's value against the law's
    /// current, relative to `|i| + scale`: measured 3.6e-15 (the GLM law at
    /// 3 V, where `exp` of a sum near 16 amplifies its rounding; the other
    /// laws agree to 3e-16); 8x margin. The grid stops at 30 V: beyond,
    /// the GLM exponent passes 227.96, where ngspice's `exp` (and so the
    /// written form) is capped at 1e99 while the model's is not.
    const EVAL_TOL: f64 = 3e-14;

    #[test]
    fn resistive_current_writes_each_law_in_closed_form() {
        let b = 0.25;
        let grid = (0..=800).map(|k| -4.0 + 0.01 * f64::from(k)).chain([-100.0, -30.0, 30.0]);
        let grid: Vec<f64> = grid.collect();
        for (law, text, scale) in cases() {
            let written = law.try_map(&mut num).unwrap();
            let e = resistive_current(&written, branch_voltage("a", "b"), "test", &Ngspice).unwrap();
            assert_eq!(Ngspice.expr(&e).unwrap(), text, "{law:?}");
            let mut worst = (0.0f64, f64::NAN);
            for &a in &grid {
                let want = law.current(a - b);
                let got = evaluate(&e, a, b);
                let err = (got - want).abs() / (want.abs() + scale);
                if err.is_nan() || err > worst.0 {
                    worst = (err, a - b);
                }
            }
            assert!(worst.0 <= EVAL_TOL, "{text}: error {:.3e} of |i| + {scale} at v = {}", worst.0, worst.1);
        }
    }

    #[test]
    fn resistive_current_reads_the_branch_and_keeps_parameters() {
        let law = ResistiveLaw::Tanh {
            alpha: Value::from(Expr::parse("gain*2").unwrap()),
            delta: Value::Num(0.0),
            w: Value::Num(1.0),
        };
        let e = resistive_current(&law, branch_voltage("a", GROUND), "test", &Ngspice).unwrap();
        assert_eq!(Ngspice.expr(&e).unwrap(), "gain * 2 * tanh(v(a))");
        // Symbolic PWL corners: slopes stay expressions.
        let law = ResistiveLaw::Pwl {
            points: vec![
                (Value::Num(0.0), Value::from(Expr::parse("i0").unwrap())),
                (Value::Num(1.0), Value::Num(1.0)),
                (Value::Num(2.0), Value::Num(0.0)),
            ],
        };
        let e = resistive_current(&law, branch_voltage("a", GROUND), "test", &Ngspice).unwrap();
        assert_eq!(
            Ngspice.expr(&e).unwrap(),
            "i0 + (1 - i0) / (1 - 0) * v(a) + (-1 - (1 - i0) / (1 - 0)) * ((v(a) - 1 + abs(v(a) - 1)) / 2)"
        );
    }

    #[test]
    fn resistive_current_refuses_a_pwl_it_cannot_write() {
        let v = Value::Num;
        let one = ResistiveLaw::Pwl { points: vec![(v(0.0), v(1.0))] };
        let err = resistive_current(&one, Expr::v("a"), "the law of R1", &Ngspice).unwrap_err();
        assert!(err.to_string().contains("at least 2 points, it has 1"), "{err}");
        let flat = ResistiveLaw::Pwl { points: vec![(v(0.0), v(1.0)), (v(0.0), v(2.0))] };
        let err = resistive_current(&flat, Expr::v("a"), "the law of R1", &Ngspice).unwrap_err();
        assert!(err.to_string().contains("must increase strictly"), "{err}");
    }
}
