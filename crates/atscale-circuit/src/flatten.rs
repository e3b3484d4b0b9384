//! Flattening: parameters resolved, subcircuits expanded with hierarchical names.

use std::collections::{HashMap, HashSet};

use crate::circuit::{Circuit, FlatCircuit, Instance, Param};
use crate::element::{Element, GROUND};
use crate::error::{Error, Problem, Result};
use crate::expr::Expr;
use crate::model::Model;
use crate::value::Value;

/// Parameter values in scope, keyed by lower-case name.
type Scope = HashMap<String, f64>;

/// The variable name that laws and kinetic rates use for their branch voltage.
pub(crate) const BRANCH_VOLTAGE_VAR: &str = "v";

/// Limits on the size of a flattened circuit, checked before anything is
/// expanded (a few lines of subcircuits can describe billions of elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitLimits {
    /// Largest number of elements after flattening (default 100,000: at the
    /// limit a tree of level-1 MOSFETs peaks at 236 MB in the native solver
    /// and one of BSIM4 devices at 631 MB in ngspice; 491,000 elements took
    /// the native solver to 1.17 GB).
    pub max_elements: usize,
    /// Deepest nesting of subcircuit instances (default 100).
    pub max_depth: usize,
}

impl Default for CircuitLimits {
    fn default() -> Self {
        CircuitLimits { max_elements: 100_000, max_depth: 100 }
    }
}

impl Circuit {
    /// The number of elements the flattened circuit would have and its
    /// deepest instance nesting, counted without expanding anything (a
    /// subcircuit that instantiates itself counts as empty here; flattening
    /// reports it).
    pub fn flat_size(&self) -> (u128, usize) {
        let index: HashMap<String, usize> =
            self.subckts.iter().enumerate().map(|(k, s)| (s.name.to_ascii_lowercase(), k)).collect();
        let sub_of = |inst: &Instance| index.get(&inst.subckt.to_ascii_lowercase()).copied();
        // Iterative post-order, so a deep hierarchy cannot exhaust the stack.
        let mut size: Vec<Option<(u128, usize)>> = vec![None; self.subckts.len()];
        let mut on_path = vec![false; self.subckts.len()];
        let roots: Vec<usize> = self.instances.iter().filter_map(sub_of).collect();
        for root in roots {
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some(&mut (s, ref mut next)) = stack.last_mut() {
                if size[s].is_some() {
                    stack.pop();
                    continue;
                }
                on_path[s] = true;
                let insts = &self.subckts[s].instances;
                if let Some(child) = insts.get(*next).and_then(sub_of) {
                    *next += 1;
                    if size[child].is_none() && !on_path[child] {
                        stack.push((child, 0));
                    }
                    continue;
                }
                if *next < insts.len() {
                    *next += 1;
                    continue;
                }
                let (mut count, mut depth) = (self.subckts[s].elements.len() as u128, 0usize);
                for c in insts.iter().filter_map(sub_of) {
                    let (n, d) = size[c].unwrap_or((0, 0));
                    count = count.saturating_add(n);
                    depth = depth.max(d);
                }
                size[s] = Some((count, depth + 1));
                on_path[s] = false;
                stack.pop();
            }
        }
        let mut count = self.elements.len() as u128;
        let mut depth = 0;
        for s in self.instances.iter().filter_map(sub_of) {
            let (n, d) = size[s].unwrap_or((0, 0));
            count = count.saturating_add(n);
            depth = depth.max(d);
        }
        (count, depth)
    }

    /// Checks [`Circuit::flat_size`] against `limits`.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] naming the count, the limit and the option that raises it.
    pub fn check_size(&self, limits: &CircuitLimits) -> Result<()> {
        let (count, depth) = self.flat_size();
        if depth > limits.max_depth {
            return Err(Error::Limit {
                what: "subcircuit nesting depth".into(),
                found: depth as u128,
                limit: limits.max_depth,
                flag: "--max-depth",
            });
        }
        if count > limits.max_elements as u128 {
            return Err(Error::Limit {
                what: "elements after flattening".into(),
                found: count,
                limit: limits.max_elements,
                flag: "--max-elements",
            });
        }
        Ok(())
    }

    /// [`Circuit::flatten_within`] the default limits.
    ///
    /// # Errors
    ///
    /// As [`Circuit::flatten_within`].
    pub fn flatten(&self) -> Result<FlatCircuit> {
        self.flatten_within(&CircuitLimits::default())
    }

    /// The value of `e` with the top-level parameters (a `.tran` time
    /// written in braces, say).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming an unknown parameter, a cycle or a failed
    /// evaluation.
    pub fn eval_global(&self, e: &Expr) -> Result<f64> {
        let mut problems = Vec::new();
        let globals = resolve_params(&self.params, &Scope::new(), "the top level", &mut problems);
        if problems.is_empty() {
            eval_in_scope(e, &globals, "the expression").map_err(|p| Error::Invalid(vec![p]))
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// Resolves every parameter, expands every subcircuit instance and returns
    /// the flat circuit simulators consume.
    ///
    /// Inside an instance `x1`, local nodes become `x1.<node>`, elements
    /// `x1.<element>`, and expressions' `V(n)` and `I(name)` are renamed the
    /// same way; ports map to the nodes the instance connects and ground `0`
    /// stays global. Parameter overrides are evaluated in the scope that
    /// holds the instance; subcircuit defaults may read enclosing parameters.
    /// The variable `v` is reserved in laws and kinetic rates for the branch
    /// voltage and is never substituted.
    ///
    /// Every problem found is reported, not only the first.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] when the circuit is beyond `limits` (checked first,
    /// expanding nothing); [`Error::Invalid`] with every problem found.
    pub fn flatten_within(&self, limits: &CircuitLimits) -> Result<FlatCircuit> {
        self.check_size(limits)?;
        let mut fl = Flattener { circuit: self, problems: Vec::new(), elements: Vec::new() };
        check_unique(
            "subcircuit",
            self.subckts.iter().map(|s| s.name.as_str()),
            "the top level",
            &mut fl.problems,
        );
        check_unique("model", self.models.iter().map(|m| m.name.as_str()), "the top level", &mut fl.problems);
        let globals = resolve_params(&self.params, &Scope::new(), "the top level", &mut fl.problems);
        let models: Vec<Model<f64>> = self
            .models
            .iter()
            .filter_map(|m| {
                let ctx = format!("model `{}`", m.name);
                let kind = m
                    .kind
                    .try_map(&mut |v| resolve_value(v, &globals, &ctx))
                    .map_err(|p| fl.problems.push(p))
                    .ok()?;
                Some(Model { name: m.name.clone(), kind })
            })
            .collect();
        let top =
            Body { elements: &self.elements, instances: &self.instances, scope_name: "the top level".into() };
        fl.expand(&top, "", &|n: &str| n.to_string(), &globals, &mut Vec::new());
        if fl.problems.is_empty() {
            Ok(FlatCircuit { title: self.title.clone(), models, elements: fl.elements })
        } else {
            Err(Error::Invalid(fl.problems))
        }
    }
}

struct Body<'a> {
    elements: &'a [Element<Value>],
    instances: &'a [Instance],
    scope_name: String,
}

struct Flattener<'a> {
    circuit: &'a Circuit,
    problems: Vec<Problem>,
    elements: Vec<Element<f64>>,
}

impl Flattener<'_> {
    fn expand(
        &mut self,
        body: &Body<'_>,
        prefix: &str,
        node_map: &dyn Fn(&str) -> String,
        scope: &Scope,
        stack: &mut Vec<String>,
    ) {
        check_unique(
            "element",
            body.elements
                .iter()
                .map(|e| e.name.as_str())
                .chain(body.instances.iter().map(|i| i.name.as_str())),
            &body.scope_name,
            &mut self.problems,
        );
        for el in body.elements {
            let name = format!("{prefix}{}", el.name);
            let ctx = format!("{} `{name}`", el.kind.class_name());
            let mut f = |v: &Value| resolve_value(v, scope, &ctx);
            let mut g = |e: &Expr| transform_expr(e, scope, prefix, node_map, &ctx);
            match el.kind.try_map(&mut f, &mut g) {
                Ok(mut kind) => {
                    for n in kind.nodes_mut() {
                        *n = node_map(n);
                    }
                    for r in kind.element_refs_mut() {
                        *r = format!("{prefix}{r}");
                    }
                    self.elements.push(Element { name, kind });
                }
                Err(p) => self.problems.push(p),
            }
        }
        for inst in body.instances {
            self.instance(inst, prefix, node_map, scope, stack);
        }
    }

    fn instance(
        &mut self,
        inst: &Instance,
        prefix: &str,
        node_map: &dyn Fn(&str) -> String,
        scope: &Scope,
        stack: &mut Vec<String>,
    ) {
        let circuit = self.circuit;
        let full = format!("{prefix}{}", inst.name);
        let Some(sub) = circuit.subckts.iter().find(|s| s.name.eq_ignore_ascii_case(&inst.subckt)) else {
            self.problems.push(Problem::UnknownSubckt { instance: full, subckt: inst.subckt.clone() });
            return;
        };
        let key = sub.name.to_ascii_lowercase();
        if stack.contains(&key) {
            let mut chain: Vec<String> = stack.clone();
            chain.push(key);
            self.problems.push(Problem::RecursiveSubckt { chain });
            return;
        }
        if sub.ports.len() != inst.nodes.len() {
            self.problems.push(Problem::PortCount {
                instance: full,
                subckt: sub.name.clone(),
                expected: sub.ports.len(),
                found: inst.nodes.len(),
            });
            return;
        }
        // Overrides are evaluated where the instance is written.
        let ctx = format!("instance `{full}`");
        let mut overrides: HashMap<String, f64> = HashMap::new();
        for p in &inst.params {
            if !sub.params.iter().any(|d| d.name.eq_ignore_ascii_case(&p.name)) {
                self.problems.push(Problem::UnknownOverride {
                    instance: full.clone(),
                    subckt: sub.name.clone(),
                    param: p.name.clone(),
                });
                continue;
            }
            match resolve_value(&p.value, scope, &ctx) {
                Ok(x) => {
                    overrides.insert(p.name.to_ascii_lowercase(), x);
                }
                Err(e) => self.problems.push(e),
            }
        }
        let locals: Vec<Param> = sub
            .params
            .iter()
            .map(|d| match overrides.get(&d.name.to_ascii_lowercase()) {
                Some(x) => Param { name: d.name.clone(), value: Value::Num(*x) },
                None => d.clone(),
            })
            .collect();
        let scope_name = format!("subcircuit `{}`", sub.name);
        let inner_scope = resolve_params(&locals, scope, &scope_name, &mut self.problems);
        let inner_prefix = format!("{full}.");
        let port_nodes: Vec<String> = inst.nodes.iter().map(|n| node_map(n)).collect();
        let ports: Vec<String> = sub.ports.clone();
        let globals = &circuit.globals;
        let map = |n: &str| -> String {
            if n == GROUND {
                return GROUND.to_string();
            }
            if let Some(g) = globals.iter().find(|g| g.eq_ignore_ascii_case(n)) {
                return g.clone();
            }
            match ports.iter().position(|p| p.eq_ignore_ascii_case(n)) {
                Some(k) => port_nodes[k].clone(),
                None => format!("{inner_prefix}{n}"),
            }
        };
        stack.push(key);
        let body = Body { elements: &sub.elements, instances: &sub.instances, scope_name };
        self.expand(&body, &inner_prefix, &map, &inner_scope, stack);
        stack.pop();
    }
}

fn check_unique<'a>(
    what: &'static str,
    names: impl Iterator<Item = &'a str>,
    scope: &str,
    problems: &mut Vec<Problem>,
) {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    for n in names {
        let key = n.to_ascii_lowercase();
        if !seen.insert(key.clone()) && reported.insert(key) {
            problems.push(Problem::DuplicateName { what, name: n.to_string(), scope: scope.to_string() });
        }
    }
}

/// Evaluates a value in a scope.
fn resolve_value(v: &Value, scope: &Scope, context: &str) -> Result<f64, Problem> {
    match v {
        Value::Num(x) => Ok(*x),
        Value::Expr(e) => eval_in_scope(e, scope, context),
    }
}

fn eval_in_scope(e: &Expr, scope: &Scope, context: &str) -> Result<f64, Problem> {
    let e = &e.shadow_constants(&|n: &str| scope.contains_key(n));
    if let Some(missing) = e.variables().into_iter().find(|n| !scope.contains_key(&n.to_ascii_lowercase())) {
        return Err(Problem::UnknownParam { context: context.to_string(), name: missing.to_string() });
    }
    e.eval_const(&mut |n: &str| scope.get(&n.to_ascii_lowercase()).copied()).map_err(|err| Problem::Eval {
        context: context.to_string(),
        expr: e.to_string(),
        reason: err.to_string(),
    })
}

/// Substitutes parameters, renames nodes and currents hierarchically and
/// folds constants. The branch-voltage variable `v` of laws is left alone;
/// validation decides where a remaining variable is allowed.
fn transform_expr(
    e: &Expr,
    scope: &Scope,
    prefix: &str,
    node_map: &dyn Fn(&str) -> String,
    _context: &str,
) -> Result<Expr, Problem> {
    let substituted = e.substitute_vars(&mut |name: &str| {
        if name == BRANCH_VOLTAGE_VAR {
            return None;
        }
        scope.get(&name.to_ascii_lowercase()).map(|x| Expr::Num(*x))
    });
    let renamed = substituted.rename(&mut |n: &str| node_map(n), &mut |c: &str| format!("{prefix}{c}"));
    Ok(renamed.fold_constants())
}

/// Resolves a list of parameters (in any order; dependencies first) on top
/// of an enclosing scope. Problems (unknown names, cycles, evaluation
/// errors) are recorded; the returned scope holds every parameter that
/// could be resolved.
fn resolve_params(params: &[Param], parent: &Scope, scope_name: &str, problems: &mut Vec<Problem>) -> Scope {
    check_unique("parameter", params.iter().map(|p| p.name.as_str()), scope_name, problems);
    let local: HashMap<String, &Param> = params.iter().map(|p| (p.name.to_ascii_lowercase(), p)).collect();
    let mut scope = parent.clone();
    // Local names shadow enclosing ones.
    for k in local.keys() {
        scope.remove(k);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
        Failed,
    }
    let mut state: HashMap<String, State> = HashMap::new();

    #[allow(clippy::too_many_arguments)]
    fn visit(
        key: &str,
        local: &HashMap<String, &Param>,
        parent: &Scope,
        scope: &mut Scope,
        state: &mut HashMap<String, State>,
        path: &mut Vec<String>,
        problems: &mut Vec<Problem>,
    ) -> bool {
        match state.get(key) {
            Some(State::Done) => return true,
            Some(State::Failed) => return false,
            Some(State::Visiting) => {
                let start = path.iter().position(|p| p.eq_ignore_ascii_case(key)).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].to_vec();
                cycle.push(local.get(key).map(|p| p.name.clone()).unwrap_or_else(|| key.to_string()));
                problems.push(Problem::ParamCycle { cycle });
                return false;
            }
            None => {}
        }
        let Some(p) = local.get(key) else { return parent.contains_key(key) };
        state.insert(key.to_string(), State::Visiting);
        path.push(p.name.clone());
        let mut ok = true;
        if let Value::Expr(e) = &p.value {
            for dep in e.shadow_constants(&|n: &str| local.contains_key(n)).variables() {
                let dk = dep.to_ascii_lowercase();
                if local.contains_key(&dk) && !visit(&dk, local, parent, scope, state, path, problems) {
                    ok = false;
                }
            }
        }
        path.pop();
        if ok {
            match resolve_value(&p.value, scope, &format!("parameter `{}`", p.name)) {
                Ok(x) => {
                    scope.insert(key.to_string(), x);
                }
                Err(e) => {
                    problems.push(e);
                    ok = false;
                }
            }
        }
        state.insert(key.to_string(), if ok { State::Done } else { State::Failed });
        ok
    }

    for p in params {
        let key = p.name.to_ascii_lowercase();
        let mut path = Vec::new();
        visit(&key, &local, parent, &mut scope, &mut state, &mut path, problems);
    }
    scope
}
