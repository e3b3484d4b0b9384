//! Building the formulation of a flat circuit: its unknowns, one device per
//! element, and the sparsity pattern with every device's slots.

use std::collections::HashMap;

use atscale_circuit::expr::{CompiledExpr, Input};
use atscale_circuit::{
    Element, ElementKind, FlatCircuit, ModelKind, Relaxation, ResistiveLaw, TranTiming, Waveform, GROUND,
};

use super::devices::{Behav, Dev, Diode, MemDev, Mosfet, NlLaw, Relax};
use super::{lc, unsupported, Mna, UnknownKind, NONE, VT_NOMINAL};
use crate::error::Result;
use crate::linalg::Pattern;

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
    cap_ics: Vec<(usize, usize, f64)>,
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

    /// A behavioural expression over node voltages and branch currents.
    fn compile_circuit_expr(&self, ename: &str, expr: &atscale_circuit::Expr) -> Result<Behav> {
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
                Input::Var(nm) => Err(format!("unresolved parameter {nm}")),
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
                    self.cap_ics.push((self.node(p), self.node(n), *v));
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
                    wave: Box::new(waveform.clone()),
                    s: [NONE; 4],
                }
            }
            ElementKind::CurrentSource { p, n, waveform, .. } => {
                match waveform {
                    // Constant sources (the bias of every neuron cell) skip the waveform.
                    Waveform::Dc { value } => Dev::IDc { a: self.node(p), b: self.node(n), i: *value },
                    w => Dev::ISource { a: self.node(p), b: self.node(n), wave: Box::new(w.clone()) },
                }
            }
            ElementKind::BehaviouralCurrent { p, n, expr } => {
                let f = Box::new(self.compile_circuit_expr(name, expr)?);
                Dev::BCurrent { a: self.node(p), b: self.node(n), f, sa: Vec::new(), sb: Vec::new() }
            }
            ElementKind::BehaviouralVoltage { p, n, expr } => {
                let k = self.branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                let f = Box::new(self.compile_circuit_expr(name, expr)?);
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
            ElementKind::Mosfet { d, g, s, b, model, w_m, l_m } => {
                self.mosfet(circuit, name, [d, g, s, b], model, (*w_m, *l_m))?
            }
            ElementKind::Bjt { .. } | ElementKind::Switch { .. } | ElementKind::Coupling { .. } => {
                return Err(unsupported(
                    name,
                    format!(
                        "{}s are not simulated natively yet; run it with --engine ngspice",
                        e.kind.class_name()
                    ),
                ))
            }
        })
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
        let area = area.unwrap_or(1.0);
        let isat = dp.is_amp() * area;
        let nvt = dp.emission() * VT_NOMINAL;
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
        Ok(Dev::Diode(Box::new(Diode {
            a: ja,
            b,
            isat,
            nvt,
            vcrit: nvt * (nvt / (std::f64::consts::SQRT_2 * isat)).ln(),
            cjo: dp.cjo.unwrap_or(0.0) * area,
            vj: dp.vj.unwrap_or(1.0),
            m: dp.m.unwrap_or(0.5),
            tt: dp.tt.unwrap_or(0.0),
            vold: 0.0,
            s: [NONE; 4],
        })))
    }

    fn mosfet(
        &self,
        circuit: &FlatCircuit,
        name: &str,
        [d, g, s, b]: [&str; 4],
        model: &str,
        (w_m, l_m): (f64, f64),
    ) -> Result<Dev> {
        let (sign, mp) = match circuit.model(model).map(|m| &m.kind) {
            Some(ModelKind::Nmos(mp)) => (1.0, mp),
            Some(ModelKind::Pmos(mp)) => (-1.0, mp),
            _ => return Err(unsupported(name, format!("no MOSFET model {model:?}"))),
        };
        // Bulk junctions as ngspice's MOS1 without areas: `IS` (default 1e-14 A).
        let isat = mp.extra.get("is").copied().unwrap_or(1e-14);
        if !(isat.is_finite() && isat > 0.0) {
            return Err(unsupported(name, format!("junction saturation current IS = {isat} A")));
        }
        if mp.level != 1 {
            return Err(unsupported(
                name,
                format!(
                    "MOSFET level {} (only level 1 is simulated natively; run it with --engine ngspice)",
                    mp.level
                ),
            ));
        }
        Ok(Dev::Mosfet(Box::new(Mosfet {
            d: self.node(d),
            g: self.node(g),
            s: self.node(s),
            b: self.node(b),
            sign,
            beta: mp.kp() * w_m / l_m,
            vto: sign * mp.vto_volt(),
            lambda: mp.lambda(),
            gamma: mp.gamma(),
            phi: mp.phi(),
            vgs_old: 0.0,
            vds_old: 0.0,
            isat,
            vcrit: VT_NOMINAL * (VT_NOMINAL / (std::f64::consts::SQRT_2 * isat)).ln(),
            vbs_old: 0.0,
            vbd_old: 0.0,
            g_jac: 0.0,
            slots: [[NONE; 4]; 2],
            slots_rev: [[NONE; 4]; 2],
            slots_bs: [NONE; 4],
            slots_bd: [NONE; 4],
        })))
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
        let limited =
            (0..devices.len()).filter(|&i| matches!(devices[i], Dev::Diode(_) | Dev::Mosfet(_))).collect();
        let storage = (0..devices.len())
            .filter(|&i| {
                matches!(devices[i], Dev::Capacitor { .. } | Dev::Inductor { .. } | Dev::Memristive(_))
                    || matches!(&devices[i], Dev::Diode(d) if d.cjo > 0.0 || d.tt > 0.0)
            })
            .collect();
        Mna {
            n,
            names: self.names,
            limited,
            storage,
            kinds: self.kinds,
            node_map: self.node_map,
            branch_map: self.branch_map,
            state_map: self.state_map,
            differential,
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
