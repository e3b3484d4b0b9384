//! Building the formulation of a flat circuit: its unknowns, one device per
//! element, and the sparsity pattern with every device's slots.

use std::collections::HashMap;

use atscale_circuit::expr::{CompiledExpr, Input};
use atscale_circuit::{
    Element, ElementKind, Expr, FlatCircuit, ModelKind, MosInstance, Relaxation, ResistiveLaw, TranTiming,
    Waveform, GROUND,
};

use super::devices::{
    series_conductances, Behav, Bjt, Dev, Dio, Diode, GummelPoon, MemDev, Mos1, Mosfet, NlLaw, Relax,
};
use super::{lc, unsupported, Mna, UnknownKind, NONE};
use crate::error::Result;
use crate::linalg::Pattern;

use super::devices::Switch;
use super::GMIN;
use atscale_circuit::SwitchControl;

/// A bipolar transistor's series resistances (model parameter) and the
/// suffixes of the internal nodes they make: collector, base, emitter.
const BJT_INTERNAL: [[&str; 2]; 3] = [["rc", "collector"], ["rb", "base"], ["re", "emitter"]];

// The variable through which a compiled expression reads the `k`-th time
// derivative of its element (`#ddt0`, ...: no parameter can be named so).
use super::DDT_NODE as DDT_VAR;

/// The unknowns of a circuit and the devices built so far.
pub(super) struct Builder {
    names: Vec<String>,
    kinds: Vec<UnknownKind>,
    node_map: HashMap<String, usize>,
    /// Internal nodes of diodes with series resistance, by element.
    internal: HashMap<String, usize>,
    branch_map: HashMap<String, usize>,
    state_map: HashMap<String, (usize, usize)>,
    state_x0: Vec<(usize, f64)>,
    devices: Vec<Dev>,
    cap_ics: Vec<(usize, usize, f64, f64)>,
    branch_ics: Vec<(usize, f64)>,
}

impl Builder {
    /// The unknowns of `circuit`, in order: node voltages (diodes' internal
    /// nodes last), branch currents, memristive states.
    pub(super) fn new(circuit: &FlatCircuit) -> Builder {
        let mut b = Builder {
            names: Vec::new(),
            kinds: Vec::new(),
            node_map: HashMap::new(),
            internal: HashMap::new(),
            branch_map: HashMap::new(),
            state_map: HashMap::new(),
            state_x0: Vec::new(),
            devices: Vec::with_capacity(circuit.elements.len()),
            cap_ics: Vec::new(),
            branch_ics: Vec::new(),
        };
        for e in &circuit.elements {
            for nd in e.kind.nodes() {
                b.node_of(nd);
            }
        }
        for e in &circuit.elements {
            if let ElementKind::Diode { model, .. } = &e.kind {
                if let Some(ModelKind::Diode(p)) = circuit.model(model).map(|m| &m.kind) {
                    if p.rs.is_some_and(|r| r > 0.0) {
                        let i = b.node_of(&format!("{}#int", e.name));
                        b.internal.insert(lc(&e.name), i);
                    }
                }
            }
        }
        b.bjt_internal_nodes(circuit);
        b.mosfet_internal_nodes(circuit);
        for e in &circuit.elements {
            if e.kind.has_branch_current() {
                let i = b.push(format!("i({})", e.name), UnknownKind::Current);
                b.branch_map.insert(lc(&e.name), i);
            }
        }
        for e in &circuit.elements {
            if let ElementKind::Memristive { states, .. } = &e.kind {
                let first = b.names.len();
                for (k, s) in states.iter().enumerate() {
                    b.state_x0.push((b.names.len(), *s.x0()));
                    b.push(format!("x({},{k})", e.name), UnknownKind::State);
                }
                b.state_map.insert(lc(&e.name), (first, states.len()));
            }
        }
        b
    }

    fn push(&mut self, name: String, kind: UnknownKind) -> usize {
        self.names.push(name);
        self.kinds.push(kind);
        self.names.len() - 1
    }

    /// The unknown of node `name`, made if new.
    fn node_of(&mut self, name: &str) -> usize {
        if name == GROUND {
            return NONE;
        }
        let key = lc(name);
        if let Some(&i) = self.node_map.get(&key) {
            return i;
        }
        let i = self.push(name.to_string(), UnknownKind::Voltage);
        self.node_map.insert(key, i);
        i
    }

    /// The unknown of an existing node ([`NONE`] for ground).
    fn node(&self, name: &str) -> usize {
        if name == GROUND {
            NONE
        } else {
            self.node_map.get(&lc(name)).copied().unwrap_or(NONE)
        }
    }

    /// A B, E or G source's expression with its time derivatives: each
    /// argument `x` of a `ddt(x)` call (innermost first, see
    /// [`Expr::split_ddt`]) sets the voltage of an internal node
    /// `{element}#ddt{k}` through a behavioural voltage source, and a 1 F
    /// capacitor from that node to ground draws the source's branch current
    /// `-dx/dt`, which the expression reads. So the engine's integration
    /// formula differentiates `x` as it does every charge: `x` is error
    /// tested as a capacitor's voltage is, the current (a capacitor's
    /// current) is not, and `ddt` is 0 at the operating point, as in ngspice.
    fn behaviour(&mut self, ename: &str, expr: &Expr) -> Result<Behav> {
        if let Some(call) = expr.nested_ddt() {
            return Err(unsupported(
                ename,
                format!(
                    "`{call}` takes the time derivative of a time derivative, which the native engine does \
                     not simulate (the inner derivative's discretisation error would drive the step control); \
                     run it with --engine ngspice"
                ),
            ));
        }
        let (outer, args) = expr.split_ddt(&mut |k| -Expr::var(format!("{DDT_VAR}{k}")));
        let mut derivatives = Vec::with_capacity(args.len());
        for (k, arg) in args.iter().enumerate() {
            let f = Box::new(self.compile_circuit_expr(ename, arg, &derivatives)?);
            // A derivative of currents only is held to the current tolerance.
            let kind = if arg.nodes().is_empty() && !arg.currents().is_empty() {
                UnknownKind::Current
            } else {
                UnknownKind::Voltage
            };
            let node = self.push(format!("{ename}{DDT_VAR}{k}"), kind);
            let current = self.push(format!("i({ename}#ddt{k})"), UnknownKind::Current);
            let s = [NONE; 4];
            self.devices.push(Dev::BVoltage { a: node, b: NONE, k: current, f, s, sk: Vec::new() });
            self.devices.push(Dev::Capacitor { a: node, b: NONE, c: 1.0, s });
            derivatives.push(current);
        }
        self.compile_circuit_expr(ename, &outer, &derivatives)
    }

    /// A behavioural expression over node voltages and branch currents;
    /// the variable `{DDT_VAR}{k}` reads the unknown `derivatives[k]`.
    fn compile_circuit_expr(&self, ename: &str, expr: &Expr, derivatives: &[usize]) -> Result<Behav> {
        let mut resolve = |leaf: Input<'_>| -> std::result::Result<Option<usize>, String> {
            match leaf {
                Input::Node(nm) => {
                    if nm == GROUND {
                        Ok(None)
                    } else {
                        self.node_map.get(&lc(nm)).copied().map(Some).ok_or_else(|| format!("no node {nm}"))
                    }
                }
                Input::Current(nm) => self
                    .branch_map
                    .get(&lc(nm))
                    .copied()
                    .map(Some)
                    .ok_or_else(|| format!("{nm} has no branch current")),
                Input::Var(nm) => nm
                    .strip_prefix(DDT_VAR)
                    .and_then(|k| derivatives.get(k.parse::<usize>().ok()?))
                    .map(|&i| Some(i))
                    .ok_or_else(|| format!("unresolved parameter {nm}")),
            }
        };
        let expr =
            CompiledExpr::compile(expr, &mut resolve).map_err(|e| unsupported(ename, e.to_string()))?;
        let ws = expr.workspace();
        Ok(Behav { expr, ws })
    }

    /// Builds the device of every element.
    pub(super) fn devices(&mut self, circuit: &FlatCircuit) -> Result<()> {
        for e in &circuit.elements {
            let dev = self.device(circuit, e)?;
            self.devices.push(dev);
        }
        Ok(())
    }

    fn device(&mut self, circuit: &FlatCircuit, e: &Element<f64>) -> Result<Dev> {
        let name = &e.name;
        Ok(match &e.kind {
            ElementKind::Resistor { p, n, r_ohm } => {
                if *r_ohm == 0.0 || !r_ohm.is_finite() {
                    return Err(unsupported(name, format!("resistance {r_ohm} Ω")));
                }
                Dev::Resistor { a: self.node(p), b: self.node(n), g: 1.0 / r_ohm, s: [NONE; 4] }
            }
            ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
                if let Some(v) = ic_volt {
                    self.cap_ics.push((self.node(p), self.node(n), *v, *c_farad));
                }
                Dev::Capacitor { a: self.node(p), b: self.node(n), c: *c_farad, s: [NONE; 4] }
            }
            ElementKind::Inductor { p, n, l_henry, ic_amp } => {
                let k = self.branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                if let Some(i) = ic_amp {
                    self.branch_ics.push((k, *i));
                }
                Dev::Inductor { a: self.node(p), b: self.node(n), k, l: *l_henry, s: [NONE; 5] }
            }
            ElementKind::VoltageSource { p, n, waveform, dc } => {
                let k = self.branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                let _ = dc;
                Dev::VSource {
                    a: self.node(p),
                    b: self.node(n),
                    k,
                    wave: Box::new(waveform.clone().reseeded(name)),
                    s: [NONE; 4],
                }
            }
            ElementKind::CurrentSource { p, n, waveform, .. } => {
                match waveform {
                    // Constant sources (the bias of every neuron cell) skip the waveform.
                    Waveform::Dc { value } => Dev::IDc { a: self.node(p), b: self.node(n), i: *value },
                    w => Dev::ISource {
                        a: self.node(p),
                        b: self.node(n),
                        wave: Box::new(w.clone().reseeded(name)),
                    },
                }
            }
            ElementKind::BehaviouralCurrent { p, n, expr } => {
                let f = Box::new(self.behaviour(name, expr)?);
                Dev::BCurrent { a: self.node(p), b: self.node(n), f, sa: Vec::new(), sb: Vec::new() }
            }
            ElementKind::BehaviouralVoltage { p, n, expr } => {
                let k = self.branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                let f = Box::new(self.behaviour(name, expr)?);
                Dev::BVoltage { a: self.node(p), b: self.node(n), k, f, s: [NONE; 4], sk: Vec::new() }
            }
            ElementKind::NonlinearResistor { p, n, law } => {
                let law = match law {
                    ResistiveLaw::Expression { expr } => NlLaw::Expr(compile_v_expr(name, expr)?),
                    other => NlLaw::Law(other.clone()),
                };
                Dev::Nonlinear { a: self.node(p), b: self.node(n), law: Box::new(law), s: [NONE; 4] }
            }
            ElementKind::Memristive { p, n, states, law } => self.memristive(name, p, n, states, law)?,
            ElementKind::Diode { p, n, model, area } => self.diode(circuit, name, (p, n), model, *area)?,
            ElementKind::Mosfet { d, g, s, b, model, w_m, l_m, instance } => {
                self.mosfet(circuit, name, [d, g, s, b], model, (*w_m, *l_m), instance)?
            }
            ElementKind::Bjt { c, b, e: emitter, sub, model, area, m, .. } => {
                self.bjt(circuit, name, [c, b, emitter], sub.as_deref(), model, (*area, *m))?
            }
            ElementKind::Switch { p, n, control, model, on } => {
                self.switch(circuit, name, (p, n), control, model, *on)?
            }
            ElementKind::Coupling { l1, l2, k } => self.coupling(circuit, name, (l1, l2), *k)?,
        })
    }

    /// A switch (`S` or `W`): its control (two nodes, or the branch current
    /// of a source or inductor) and its model's threshold, hysteresis and
    /// resistances, with ngspice's defaults (ROFF is 1/gmin).
    fn switch(
        &self,
        circuit: &FlatCircuit,
        name: &str,
        (p, n): (&str, &str),
        control: &SwitchControl,
        model: &str,
        on: Option<bool>,
    ) -> Result<Dev> {
        let Some(ModelKind::Sw(sp) | ModelKind::Csw(sp)) = circuit.model(model).map(|m| &m.kind) else {
            return Err(unsupported(name, format!("no switch model {model:?}")));
        };
        let (cp, cn, current) = match control {
            SwitchControl::Voltage { cp, cn } => (self.node(cp), self.node(cn), false),
            SwitchControl::Current { source } => match self.branch_map.get(&lc(source)) {
                Some(&k) => (k, NONE, true),
                None => {
                    return Err(unsupported(name, format!("`{source}` has no branch current to control it")))
                }
            },
        };
        let threshold = (sp.threshold.unwrap_or(0.0), sp.hysteresis.unwrap_or(0.0));
        let resistances = (sp.ron.unwrap_or(1.0), sp.roff.unwrap_or(1.0 / GMIN));
        let ends = (self.node(p), self.node(n));
        let sw = Switch::new(ends, (cp, cn), current, threshold, resistances, on == Some(true));
        Ok(Dev::Switch(Box::new(sw)))
    }

    /// A mutual inductance `k √(L1 L2)` between two inductors' branches.
    fn coupling(&self, circuit: &FlatCircuit, name: &str, (l1, l2): (&str, &str), k: f64) -> Result<Dev> {
        let inductor = |l: &str| -> Result<(usize, f64)> {
            let henry = circuit.elements.iter().find_map(|e| match &e.kind {
                ElementKind::Inductor { l_henry, .. } if e.name.eq_ignore_ascii_case(l) => Some(*l_henry),
                _ => None,
            });
            match (self.branch_map.get(&lc(l)), henry) {
                (Some(&branch), Some(henry)) => Ok((branch, henry)),
                _ => Err(unsupported(name, format!("`{l}` is not an inductor of the circuit"))),
            }
        };
        let (k1, la) = inductor(l1)?;
        let (k2, lb) = inductor(l2)?;
        Ok(Dev::Coupling { k1, k2, m: k * (la * lb).sqrt(), s: [NONE; 2] })
    }

    /// The internal nodes of bipolar transistors with series resistances
    /// (named as ngspice names them: `Q1#collector`, `Q1#base`, `Q1#emitter`).
    fn bjt_internal_nodes(&mut self, circuit: &FlatCircuit) {
        for e in &circuit.elements {
            if let ElementKind::Bjt { model, .. } = &e.kind {
                if let Some(ModelKind::Npn(p) | ModelKind::Pnp(p)) = circuit.model(model).map(|m| &m.kind) {
                    for [key, suffix] in BJT_INTERNAL {
                        if p.get(key, 0.0) != 0.0 {
                            self.node_of(&format!("{}#{suffix}", e.name));
                        }
                    }
                }
            }
        }
    }

    /// A bipolar transistor: RC and RE as resistors from its collector and
    /// emitter to its internal nodes, the Gummel-Poon device between those,
    /// the base (with RB inside the device) and the substrate (default ground).
    fn bjt(
        &mut self,
        circuit: &FlatCircuit,
        name: &str,
        [c, b, e]: [&str; 3],
        sub: Option<&str>,
        model: &str,
        (area, m): (Option<f64>, Option<f64>),
    ) -> Result<Dev> {
        let (pnp, p) = match circuit.model(model).map(|m| &m.kind) {
            Some(ModelKind::Npn(p)) => (false, p),
            Some(ModelKind::Pnp(p)) => (true, p),
            _ => return Err(unsupported(name, format!("no bipolar transistor model {model:?}"))),
        };
        if p.level != 1 {
            return Err(unsupported(
                name,
                format!(
                    "bipolar transistor level {} (only level 1, Gummel-Poon, is simulated natively; run it \
                     with --engine ngspice)",
                    p.level
                ),
            ));
        }
        let (area, m) = (area.unwrap_or(1.0), m.unwrap_or(1.0));
        if !(m.is_finite() && m > 0.0) {
            return Err(unsupported(name, format!("multiplier M = {m} (must be positive)")));
        }
        let gp = GummelPoon::new(p, pnp, area)
            .map_err(|why| unsupported(name, format!("model `{model}`: {why}")))?;
        let mut inner = |ext: &str, [key, suffix]: [&str; 2], resistor: bool| -> usize {
            let ext = self.node(ext);
            let r = p.get(key, 0.0);
            if r == 0.0 {
                return ext;
            }
            let i = self.node(&format!("{name}#{suffix}"));
            if resistor {
                self.devices.push(Dev::Resistor { a: ext, b: i, g: m * area / r, s: [NONE; 4] });
            }
            i
        };
        let ci = inner(c, BJT_INTERNAL[0], true);
        let bi = inner(b, BJT_INTERNAL[1], false);
        let ei = inner(e, BJT_INTERNAL[2], true);
        let s = sub.map_or(NONE, |s| self.node(s));
        let terminals = [self.node(c), self.node(b), self.node(e)];
        Ok(Dev::Bjt(Box::new(Bjt::new([self.node(b), bi, ci, ei, s], terminals, pnp, m, gp))))
    }

    fn memristive(
        &self,
        name: &str,
        p: &str,
        n: &str,
        states: &[Relaxation<f64>],
        law: &atscale_circuit::MemristiveLaw<f64>,
    ) -> Result<Dev> {
        let (x0, ns) = self.state_map.get(&lc(name)).copied().unwrap_or((NONE, 0));
        let mut relax = Vec::with_capacity(ns);
        for s in states {
            relax.push(match s {
                Relaxation::Kinetic { alpha, beta, .. } => Relax::Kinetic {
                    alpha: Box::new(compile_v_expr(name, alpha)?),
                    beta: Box::new(compile_v_expr(name, beta)?),
                },
                lin => Relax::Linear(lin.clone()),
            });
        }
        for st in law.states_read() {
            if st >= ns {
                return Err(unsupported(name, format!("the law reads state {st} of {ns}")));
            }
        }
        Ok(Dev::Memristive(Box::new(MemDev {
            a: self.node(p),
            b: self.node(n),
            x0,
            relax,
            law: law.clone(),
            di_dx: vec![0.0; ns],
            s: [NONE; 4],
            sx: vec![[NONE; 5]; ns],
        })))
    }

    fn diode(
        &mut self,
        circuit: &FlatCircuit,
        name: &str,
        (p, n): (&str, &str),
        model: &str,
        area: Option<f64>,
    ) -> Result<Dev> {
        let Some(ModelKind::Diode(dp)) = circuit.model(model).map(|m| &m.kind) else {
            return Err(unsupported(name, format!("no diode model {model:?}")));
        };
        let area = area.unwrap_or_else(|| dp.get("area", 1.0));
        let a = self.node(p);
        let b = self.node(n);
        let ja = match self.internal.get(&lc(name)) {
            Some(&i) => {
                let rs = dp.rs.unwrap_or(0.0) / area;
                self.devices.push(Dev::Resistor { a, b: i, g: 1.0 / rs, s: [NONE; 4] });
                i
            }
            None => a,
        };
        Ok(Dev::Diode(Box::new(Diode { a: ja, b, p: Dio::new(dp, Some(area)), vold: 0.0, s: [NONE; 4] })))
    }

    /// The internal drain and source nodes of MOSFETs with series
    /// resistances (named as ngspice names them: `M1#drain`, `M1#source`).
    fn mosfet_internal_nodes(&mut self, circuit: &FlatCircuit) {
        for e in &circuit.elements {
            if let ElementKind::Mosfet { model, instance, .. } = &e.kind {
                if let Some(ModelKind::Nmos(p) | ModelKind::Pmos(p)) = circuit.model(model).map(|m| &m.kind) {
                    let (gd, gs) = series_conductances(p, instance);
                    for (g, suffix) in [(gd, "drain"), (gs, "source")] {
                        if g != 0.0 {
                            self.node_of(&format!("{}#{suffix}", e.name));
                        }
                    }
                }
            }
        }
    }

    /// A level-1, -2 or -3 MOSFET: RD and RS as resistors from its drain and
    /// source to its internal nodes, the device between those.
    fn mosfet(
        &mut self,
        circuit: &FlatCircuit,
        name: &str,
        [d, g, s, b]: [&str; 4],
        model: &str,
        (w_m, l_m): (f64, f64),
        instance: &MosInstance<f64>,
    ) -> Result<Dev> {
        let (sign, mp) = match circuit.model(model).map(|m| &m.kind) {
            Some(ModelKind::Nmos(mp)) => (1.0, mp),
            Some(ModelKind::Pmos(mp)) => (-1.0, mp),
            _ => return Err(unsupported(name, format!("no MOSFET model {model:?}"))),
        };
        if !(1..=3).contains(&mp.level) {
            return Err(unsupported(
                name,
                format!(
                    "MOSFET level {} (levels 1, 2 and 3 are simulated natively; run it with --engine ngspice)",
                    mp.level
                ),
            ));
        }
        let p = Mos1::new(mp, sign, (w_m, l_m), instance)
            .map_err(|why| unsupported(name, format!("model `{model}`: {why}")))?;
        let mut inner = |ext: &str, g: f64, suffix: &str| -> usize {
            let ext = self.node(ext);
            if g == 0.0 {
                return ext;
            }
            let i = self.node(&format!("{name}#{suffix}"));
            self.devices.push(Dev::Resistor { a: ext, b: i, g, s: [NONE; 4] });
            i
        };
        let di = inner(d, p.g_drain, "drain");
        let si = inner(s, p.g_source, "source");
        Ok(Dev::Mosfet(Box::new(Mosfet::new([di, self.node(g), si, self.node(b)], sign, p))))
    }

    /// The formulation: the pattern of every device's pairs plus the
    /// diagonal, each device's slots, and which unknowns are differential.
    pub(super) fn finish(mut self, timing: TranTiming) -> Mna {
        let n = self.names.len();
        let mut pairs: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
        let mut push = |r: usize, c: usize| {
            if r != NONE && c != NONE {
                pairs.push((r, c));
            }
        };
        for d in &self.devices {
            d.pairs(&mut push);
        }
        let (pattern, _) = Pattern::from_pairs(n, &pairs);
        let slot = |r: usize, c: usize| -> usize {
            if r == NONE || c == NONE {
                NONE
            } else {
                pattern.slot(r, c).unwrap_or(NONE)
            }
        };
        for d in &mut self.devices {
            d.assign(&slot);
        }
        let diag = (0..n).map(|i| slot(i, i)).collect();
        let mut differential = vec![false; n];
        for d in &self.devices {
            d.mark_differential(&mut differential);
        }
        let devices = self.devices;
        let limited = (0..devices.len())
            .filter(|&i| matches!(devices[i], Dev::Diode(_) | Dev::Mosfet(_) | Dev::Bjt(_)))
            .collect();
        let storage = (0..devices.len())
            .filter(|&i| {
                matches!(devices[i], Dev::Capacitor { .. } | Dev::Inductor { .. } | Dev::Memristive(_))
                    || matches!(devices[i], Dev::Coupling { .. })
                    || matches!(&devices[i], Dev::Diode(d) if d.p.has_charge())
                    || matches!(&devices[i], Dev::Mosfet(m) if m.has_charge())
                    || matches!(&devices[i], Dev::Bjt(q) if q.has_charge())
            })
            .collect();
        let switches = (0..devices.len()).filter(|&i| matches!(devices[i], Dev::Switch(_))).collect();
        Mna {
            n,
            switches,
            names: self.names,
            limited,
            storage,
            kinds: self.kinds,
            node_map: self.node_map,
            branch_map: self.branch_map,
            state_map: self.state_map,
            differential,
            roles: Default::default(),
            pattern,
            diag,
            devices,
            cap_ics: self.cap_ics,
            branch_ics: self.branch_ics,
            state_x0: self.state_x0,
            timing,
        }
    }
}

/// A law's expression, which may read only its branch voltage `v`.
fn compile_v_expr(ename: &str, expr: &atscale_circuit::Expr) -> Result<Behav> {
    let mut resolve = |leaf: Input<'_>| -> std::result::Result<Option<usize>, String> {
        match leaf {
            Input::Var(nm) if nm.eq_ignore_ascii_case("v") => Ok(Some(0)),
            other => Err(format!("a law may only read `v`, not {other}")),
        }
    };
    let expr = CompiledExpr::compile(expr, &mut resolve).map_err(|e| unsupported(ename, e.to_string()))?;
    let ws = expr.workspace();
    Ok(Behav { expr, ws })
}
