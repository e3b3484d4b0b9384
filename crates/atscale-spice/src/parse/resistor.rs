//! Resistor models, and the instance parameters of R, C and L that fold
//! into their value (ngspice's `res`, `cap` and `ind` devices: `restemp.c`,
//! `captemp.c`, `indtemp.c`).
//!
//! `R1 a b [value] [MODEL] [r=] [l=] [w=] [m=] [scale=] [tc1=] [tc2=] [temp=]
//! [dtemp=] [ac=] [noisy=] [bv_max=]` with `.model MODEL R(...)`. Everything
//! folds into one resistance, as `REStemp` computes it: the value if given,
//! else `RSH (L - 2 SHORT) / (W - 2 NARROW)` when `L W RSH > 0` (ngspice 39's
//! `RESupdate_conduct`), else the model's `R`; times the temperature factor
//! `1 + TC1 dT + TC2 dT^2`, or `1.01^(TCE dT)` when a `TCE` is given
//! (instance coefficients over the model's), and `SCALE`. `dT` is the instance's
//! temperature (`temp=`, else 27 °C plus `dtemp=`) minus the model's `TNOM`
//! (27 °C by default): the native engine runs at 27 °C and names any other
//! `.options temp`/`tnom` it does not model.

use std::collections::HashMap;

use atscale_circuit::{Expr, Value};

use super::{tokenize, Logical, Parser, Result, Tk, Token};

/// SPICE's default circuit and nominal temperature, °C.
const DEFAULT_CELSIUS: f64 = 27.0;

/// The circuit's temperature and the default `TNOM`, °C: `.temp`,
/// `.options temp=`/`tnom=` given as numbers (the pre-pass reads them).
#[derive(Debug, Clone, Copy)]
pub(super) struct Temperatures {
    circuit: f64,
    nominal: f64,
}

impl Default for Temperatures {
    fn default() -> Self {
        Temperatures { circuit: DEFAULT_CELSIUS, nominal: DEFAULT_CELSIUS }
    }
}
/// ngspice's default width and length of a resistor with a model, m (`restemp.c`).
const DEFAULT_SIZE_M: f64 = 10e-6;
/// What ngspice sets a resistor without any resistance to, Ω (with a warning).
const FALLBACK_OHM: f64 = 1e-3;

/// Model parameters ngspice's resistor model reads (aliases mapped to one
/// name); noise and breakdown-check parameters cannot change a transient.
const MODEL_PARAMS: &[(&str, &str)] = &[
    ("rsh", "rsh"),
    ("narrow", "narrow"),
    ("dw", "narrow"),
    ("short", "short"),
    ("dlr", "short"),
    ("tc1", "tc1"),
    ("tc1r", "tc1"),
    ("tc2", "tc2"),
    ("tc2r", "tc2"),
    ("tce", "tce"),
    ("defw", "defw"),
    ("w", "defw"),
    ("l", "defl"),
    ("tnom", "tnom"),
    ("r", "r"),
    ("res", "r"),
    ("kf", ""),
    ("af", ""),
    ("ef", ""),
    ("lf", ""),
    ("wf", ""),
    ("bv_max", ""),
];

/// A `.model NAME R(...)` card: parameters by canonical name.
#[derive(Debug, Clone, Default)]
pub(super) struct ResModel {
    params: HashMap<&'static str, Value>,
}

/// A resistor card's parameters beyond its value.
#[derive(Debug, Default)]
pub(super) struct ResInstance {
    /// The model and the offset of its name on the line.
    pub(super) model: Option<(String, usize)>,
    params: HashMap<&'static str, Value>,
}

/// Instance parameters of a resistor (beyond the value, `m=` and `ic=`, which
/// the caller reads); `ac=` and `noisy=` only matter to other analyses.
/// Capacitors and inductors take those of [`TEMPERATURE_PARAMS`].
const INSTANCE_PARAMS: &[(&str, &str)] = &[
    ("l", "l"),
    ("w", "w"),
    ("scale", "scale"),
    ("tc", "tc1"),
    ("tc1", "tc1"),
    ("tc2", "tc2"),
    ("tce", "tce"),
    ("temp", "temp"),
    ("dtemp", "dtemp"),
    ("bv_max", ""),
    ("noisy", ""),
    ("ac", ""),
];

/// The instance parameters C and L share with R.
const TEMPERATURE_PARAMS: &[&str] = &["scale", "tc", "tc1", "tc2", "temp", "dtemp"];

impl ResInstance {
    /// Takes `key=value` if it is an instance parameter of R, C or L
    /// (`letter`).
    pub(super) fn take(&mut self, letter: char, key: &str, v: Value) -> bool {
        if letter != 'r' && !TEMPERATURE_PARAMS.contains(&key) {
            return false;
        }
        match INSTANCE_PARAMS.iter().find(|(k, _)| *k == key) {
            Some((_, "")) => true,
            Some((_, name)) => {
                self.params.insert(name, v);
                true
            }
            None => false,
        }
    }
}

impl Parser {
    /// Pre-pass: the deck's resistor models, which cards may use before the
    /// `.model` line (models are global, as every `.model` here is).
    pub(super) fn predefine_res_models(&mut self, lines: &[Logical]) -> Result<()> {
        for line in lines.iter().filter(|l| !l.annotation) {
            let first = line.text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            if matches!(first.as_str(), ".temp" | ".options" | ".option" | ".opt" | ".opts") {
                self.read_temperatures(&tokenize(line)?);
            }
            if first != ".model" {
                continue;
            }
            let toks = tokenize(line)?;
            let is_res = toks.get(2).is_some_and(|t| {
                t.kind == Tk::Word && matches!(t.text.to_ascii_lowercase().as_str(), "r" | "res")
            });
            if let (true, Some(name)) = (is_res, toks.get(1)) {
                let model = self.res_model(line, &toks[3..])?;
                self.res_models.insert(name.text.to_ascii_lowercase(), model);
            }
        }
        Ok(())
    }

    fn res_model(&self, line: &Logical, toks: &[Token<'_>]) -> Result<ResModel> {
        let rest = super::models::param_tokens(toks);
        let mut model = ResModel::default();
        for (key, v, at) in self.assignments(line, &rest, false)? {
            let lower = key.to_ascii_lowercase();
            match MODEL_PARAMS.iter().find(|(k, _)| *k == lower) {
                Some((_, "")) => {}
                Some((_, name)) => {
                    model.params.insert(name, v);
                }
                None => {
                    return Err(line.diag(
                        at,
                        format!("resistor model parameter `{key}` is not known to ngspice's resistor model"),
                        Some("RSH, NARROW (DW), SHORT (DLR), TC1, TC2, DEFW (W), L, TNOM, R (RES), KF, AF"),
                    ))
                }
            }
        }
        Ok(model)
    }

    /// The circuit's temperature from a `.temp t` or `.options temp=t
    /// tnom=t` card, when given as a number (else ngspice evaluates it, and
    /// the native engine names the option it does not use).
    fn read_temperatures(&mut self, toks: &[Token<'_>]) {
        let num = |t: Option<&Token<'_>>| t.and_then(|t| crate::number::parse_number(t.text).ok());
        if toks[0].is_word(".temp") {
            if let Some(t) = num(toks.get(1)) {
                self.temperatures.circuit = t;
            }
            return;
        }
        for w in toks.windows(3).filter(|w| w[1].kind == Tk::Eq) {
            match (w[0].text.to_ascii_lowercase().as_str(), num(Some(&w[2]))) {
                ("temp", Some(t)) => self.temperatures.circuit = t,
                ("tnom", Some(t)) => self.temperatures.nominal = t,
                _ => {}
            }
        }
    }

    /// The value of a capacitor or inductor with its temperature factor and
    /// `SCALE` (`captemp.c`, `indtemp.c`).
    pub(super) fn scaled_value(&self, value: Value, inst: &ResInstance) -> Value {
        scaled_by_temperature(value, &ResModel::default(), inst, self.temperatures)
    }

    /// The model a resistor card names, if `word` is one.
    pub(super) fn is_res_model(&self, word: &str) -> bool {
        self.res_models.contains_key(&word.to_ascii_lowercase())
    }

    /// The resistance of a resistor card, as ngspice's `REStemp` computes it
    /// (module docs), with a warning where ngspice falls back to 1 mΩ.
    pub(super) fn resistance(
        &mut self,
        line: &Logical,
        value: Option<Value>,
        inst: &ResInstance,
    ) -> Result<Value> {
        let model = match &inst.model {
            Some((name, _)) => self.res_models.get(&name.to_ascii_lowercase()).cloned().unwrap_or_default(),
            None => ResModel::default(),
        };
        let base = match value {
            Some(v) => v,
            None => match geometric(&model, inst) {
                Some(r) => r,
                None => match model.params.get("r") {
                    Some(r) => r.clone(),
                    None => {
                        self.warn(
                            line,
                            "resistor without a resistance (no value, no RSH with L and W, no model R): set to \
                             1 mΩ, as ngspice does"
                                .into(),
                        );
                        Value::Num(FALLBACK_OHM)
                    }
                },
            },
        };
        Ok(scaled_by_temperature(base, &model, inst, self.temperatures))
    }
}

/// `RSH (L - 2 SHORT) / (W - 2 NARROW)`, when `RSH` is given and `L W RSH > 0`
/// (an expression counts as positive).
fn geometric(model: &ResModel, inst: &ResInstance) -> Option<Value> {
    let rsh = model.params.get("rsh")?;
    let size = |inst_key: &str, model_key: &str| {
        inst.params
            .get(inst_key)
            .or(model.params.get(model_key))
            .cloned()
            .unwrap_or(Value::Num(DEFAULT_SIZE_M))
    };
    let (l, w) = (size("l", "defl"), size("w", "defw"));
    if [rsh, &l, &w].iter().any(|v| matches!(v, Value::Num(x) if *x <= 0.0)) {
        return None;
    }
    let get = |k: &str| model.params.get(k).cloned().unwrap_or(Value::Num(0.0));
    let two = |k: &str| Expr::Num(2.0) * expr(&get(k));
    Some(fold(Value::from(expr(rsh) * (expr(&l) - two("short")) / (expr(&w) - two("narrow")))))
}

/// The resistance times the temperature factor and `SCALE`.
fn scaled_by_temperature(base: Value, model: &ResModel, inst: &ResInstance, temps: Temperatures) -> Value {
    let coeff = |k: &str| inst.params.get(k).or(model.params.get(k)).cloned();
    let tc = |k: &str| coeff(k).map_or(Expr::Num(0.0), |v| expr(&v));
    let temp = match inst.params.get("temp") {
        Some(t) => expr(t),
        None => Expr::Num(temps.circuit) + inst.params.get("dtemp").map_or(Expr::Num(0.0), expr),
    };
    let dt = temp - model.params.get("tnom").map_or(Expr::Num(temps.nominal), expr);
    let factor = if coeff("tce").is_some() {
        Some(Expr::Num(1.01).pow(tc("tce") * dt))
    } else if coeff("tc1").is_some() || coeff("tc2").is_some() {
        Some(Expr::Num(1.0) + tc("tc1") * dt.clone() + tc("tc2") * dt.clone() * dt)
    } else {
        None
    };
    let factor = match (factor, inst.params.get("scale")) {
        (Some(f), Some(s)) => f * expr(s),
        (Some(f), None) => f,
        (None, Some(s)) => expr(s),
        // Nothing to scale: the value as written (a round trip keeps it).
        (None, None) => return base,
    };
    fold(Value::from(expr(&base) * factor))
}

fn expr(v: &Value) -> Expr {
    match v {
        Value::Num(x) => Expr::Num(*x),
        Value::Expr(e) => (**e).clone(),
    }
}

/// A number where the expression has no parameters.
fn fold(v: Value) -> Value {
    match &v {
        Value::Expr(e) if e.is_constant() => match e.eval_const(&mut |_| None) {
            Ok(x) => Value::Num(x),
            Err(_) => v,
        },
        Value::Expr(_) => v,
        Value::Num(_) => v,
    }
}
