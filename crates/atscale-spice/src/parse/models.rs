//! `.model` cards: the device type and its parameters, one function per
//! device family.

use atscale_circuit::{BjtParams, DiodeParams, Model, ModelKind, MosParams, SwitchParams, Value};

use super::source::{Logical, Tk, Token};
use super::Parser;
use crate::error::Result;

/// The model types atscale reads, for messages.
const TYPES: &str = "D, NMOS, PMOS, NPN, PNP, SW or CSW";

/// `name=value` pairs of a card with the offset of each name.
type Assignments = Vec<(String, Value, usize)>;

impl Parser {
    pub(super) fn model(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        let name = toks.get(1).filter(|t| t.kind == Tk::Word).ok_or_else(|| {
            line.diag(toks[0].end, "missing model name", Some("`.model name type(params)`"))
        })?;
        let ty = toks
            .get(2)
            .filter(|t| t.kind == Tk::Word)
            .ok_or_else(|| line.diag(name.end, "missing model type", Some(TYPES)))?;
        let rest: Vec<Token<'_>> = toks[3..]
            .iter()
            .filter(|t| !matches!(t.kind, Tk::LParen | Tk::RParen | Tk::Comma))
            .copied()
            .collect();
        let params = self.assignments(line, &rest, false)?;
        let kind = match ty.text.to_ascii_lowercase().as_str() {
            "d" => ModelKind::Diode(diode_params(line, params)?),
            "nmos" => ModelKind::Nmos(mos_params(line, params)?),
            "pmos" => ModelKind::Pmos(mos_params(line, params)?),
            "npn" => ModelKind::Npn(bjt_params(line, params)?),
            "pnp" => ModelKind::Pnp(bjt_params(line, params)?),
            "sw" => ModelKind::Sw(switch_params(line, params, ["vt", "vh"])?),
            "csw" => ModelKind::Csw(switch_params(line, params, ["it", "ih"])?),
            other => {
                return Err(line.diag(
                    ty.start,
                    format!("`.model` type `{other}` is not supported"),
                    Some(TYPES),
                ))
            }
        };
        self.circuit.models.push(Model { name: name.text.to_string(), kind });
        Ok(())
    }
}

/// A `LEVEL=` value: a whole number.
fn level(line: &Logical, value: &Value, at: usize) -> Result<u32> {
    match value {
        Value::Num(x) if *x >= 1.0 && x.fract() == 0.0 && *x <= f64::from(u32::MAX) => Ok(*x as u32),
        _ => Err(line.diag(at, "`level` must be a whole number", Some("LEVEL=1"))),
    }
}

fn diode_params(line: &Logical, params: Assignments) -> Result<DiodeParams<Value>> {
    let mut d = DiodeParams::default();
    for (key, value, at) in params {
        let slot = match key.to_ascii_lowercase().as_str() {
            "is" => &mut d.is,
            "n" => &mut d.n,
            "rs" => &mut d.rs,
            "cjo" | "cj0" => &mut d.cjo,
            "vj" => &mut d.vj,
            "m" => &mut d.m,
            "tt" => &mut d.tt,
            "bv" => &mut d.bv,
            "ibv" => &mut d.ibv,
            _ => {
                return Err(line.diag(
                    at,
                    format!("diode model parameter `{key}` is not supported"),
                    Some("one of IS N RS CJO VJ M TT BV IBV"),
                ))
            }
        };
        *slot = Some(value);
    }
    Ok(d)
}

fn mos_params(line: &Logical, params: Assignments) -> Result<MosParams<Value>> {
    let mut m = MosParams {
        level: 1,
        vto: None,
        kp: None,
        lambda: None,
        gamma: None,
        phi: None,
        extra: Default::default(),
    };
    for (key, value, at) in params {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "level" => m.level = level(line, &value, at)?,
            "vto" | "vt0" => m.vto = Some(value),
            "kp" => m.kp = Some(value),
            "lambda" => m.lambda = Some(value),
            "gamma" => m.gamma = Some(value),
            "phi" => m.phi = Some(value),
            _ => {
                m.extra.insert(lower, value);
            }
        }
    }
    Ok(m)
}

fn bjt_params(line: &Logical, params: Assignments) -> Result<BjtParams<Value>> {
    let mut b = BjtParams { level: 1, params: Default::default() };
    for (key, value, at) in params {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "level" => b.level = level(line, &value, at)?,
            _ => {
                b.params.insert(lower, value);
            }
        }
    }
    Ok(b)
}

/// Switch parameters; `[threshold, hysteresis]` are `VT VH` for SW models
/// and `IT IH` for CSW models.
fn switch_params(line: &Logical, params: Assignments, [th, hy]: [&str; 2]) -> Result<SwitchParams<Value>> {
    let mut s = SwitchParams::default();
    for (key, value, at) in params {
        let lower = key.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "ron" => &mut s.ron,
            "roff" => &mut s.roff,
            k if k == th => &mut s.threshold,
            k if k == hy => &mut s.hysteresis,
            _ => {
                return Err(line.diag(
                    at,
                    format!("switch model parameter `{key}` is not supported"),
                    Some(&format!("one of {} {} RON ROFF", th.to_uppercase(), hy.to_uppercase())),
                ))
            }
        };
        *slot = Some(value);
    }
    Ok(s)
}
