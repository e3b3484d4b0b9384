//! `.model` cards: the device type and its parameters, one function per
//! device family.

use atscale_circuit::{BjtParams, DiodeParams, Model, ModelKind, MosParams, SwitchParams, Value};

use super::source::{Logical, Tk, Token};
use super::Parser;
use crate::error::Result;

/// The model types atscale reads, for messages.
const TYPES: &str = "D, NMOS, PMOS, NPN, PNP, SW, CSW or R";

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
        let mut rest = param_tokens(&toks[3..]);
        self.drop_version(line, name.text, &mut rest);
        let params = self.assignments(line, &rest, false)?;
        let kind = match ty.text.to_ascii_lowercase().as_str() {
            "d" => ModelKind::Diode(diode_params(line, params)?),
            "nmos" => ModelKind::Nmos(mos_params(line, params)?),
            "pmos" => ModelKind::Pmos(mos_params(line, params)?),
            "npn" => ModelKind::Npn(bjt_params(line, params)?),
            "pnp" => ModelKind::Pnp(bjt_params(line, params)?),
            "sw" => ModelKind::Sw(switch_params(line, params, ["vt", "vh"])?),
            "csw" => ModelKind::Csw(switch_params(line, params, ["it", "ih"])?),
            // Read by the pre-pass (`resistor.rs`) and folded into each resistor's value.
            "r" | "res" => return Ok(()),
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

impl Parser {
    /// Removes a `VERSION=` whose value is not a number (`version=3.3.0` of
    /// BSIM cards, which only ngspice runs), with a warning naming it.
    fn drop_version(&mut self, line: &Logical, model: &str, toks: &mut Vec<Token<'_>>) {
        let at = toks.windows(3).position(|w| {
            w[0].is_word("version")
                && w[1].kind == Tk::Eq
                && w[2].kind == Tk::Word
                && crate::number::parse_number(w[2].text).is_err()
        });
        if let Some(k) = at {
            let text = toks[k + 2].text.to_string();
            toks.drain(k..k + 3);
            self.warn(
                line,
                format!(
                    "model `{model}`: `version={text}` is not a number; atscale keeps it for ngspice only (the \
                     native engine does not run such models)"
                ),
            );
        }
    }
}

/// A `LEVEL=` value: a whole number.
fn level(line: &Logical, value: &Value, at: usize) -> Result<u32> {
    match value {
        Value::Num(x) if *x >= 1.0 && x.fract() == 0.0 && *x <= f64::from(u32::MAX) => Ok(*x as u32),
        _ => Err(line.diag(at, "`level` must be a whole number", Some("LEVEL=1"))),
    }
}

/// ngspice 39's diode parameters beyond the named fields, by canonical name,
/// with their aliases (`ik` is `ikf`, `cjsw` is `cjp`, ...).
const DIODE_EXTRA: &[(&str, &[&str])] = &[
    ("level", &[]),
    ("fc", &[]),
    ("fcs", &[]),
    ("nbv", &[]),
    ("ikf", &["ik"]),
    ("ikr", &[]),
    ("isr", &[]),
    ("nr", &[]),
    ("jsw", &[]),
    ("ns", &[]),
    ("cjp", &["cjsw"]),
    ("php", &[]),
    ("mjsw", &[]),
    ("area", &[]),
    ("pj", &[]),
    ("jtun", &[]),
    ("jtunsw", &[]),
    ("ntun", &[]),
    ("xtitun", &[]),
    ("keg", &[]),
    ("tnom", &["tref"]),
    ("eg", &[]),
    ("xti", &[]),
    ("tlev", &[]),
    ("tlevc", &[]),
    ("trs", &["trs1"]),
    ("trs2", &[]),
    ("ttt1", &[]),
    ("ttt2", &[]),
    ("tm1", &[]),
    ("tm2", &[]),
    ("cta", &["ctc"]),
    ("ctp", &[]),
    ("tpb", &["tvj"]),
    ("tphp", &[]),
    ("tcv", &[]),
    ("kf", &[]),
    ("af", &[]),
    ("fv_max", &[]),
    ("bv_max", &[]),
    ("id_max", &[]),
    ("te_max", &[]),
    ("pd_max", &[]),
    ("rth0", &[]),
    ("cth0", &[]),
    ("lm", &[]),
    ("lp", &[]),
    ("wm", &[]),
    ("wp", &[]),
    ("xom", &[]),
    ("xoi", &[]),
    ("xm", &[]),
    ("xp", &[]),
];

/// The canonical name of an extra diode parameter, if `key` (lower case) is one.
fn diode_extra(key: &str) -> Option<&'static str> {
    DIODE_EXTRA.iter().find(|(name, aliases)| *name == key || aliases.contains(&key)).map(|(name, _)| *name)
}

fn diode_params(line: &Logical, params: Assignments) -> Result<DiodeParams<Value>> {
    let mut d = DiodeParams::default();
    for (key, value, at) in params {
        let lower = key.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "is" | "js" => &mut d.is,
            "n" => &mut d.n,
            "rs" => &mut d.rs,
            "cjo" | "cj0" | "cj" => &mut d.cjo,
            "vj" | "pb" => &mut d.vj,
            "m" | "mj" => &mut d.m,
            "tt" => &mut d.tt,
            "bv" => &mut d.bv,
            "ibv" | "ib" => &mut d.ibv,
            other => match diode_extra(other) {
                Some("level") => {
                    let lv = level(line, &value, at)?;
                    d.extra.insert("level".into(), Value::Num(f64::from(lv)));
                    continue;
                }
                Some(name) => {
                    d.extra.insert(name.to_string(), value);
                    continue;
                }
                None => {
                    return Err(line.diag(
                        at,
                        format!("diode model parameter `{key}` is not one of ngspice's"),
                        Some("IS N RS CJO VJ M TT BV IBV FC NBV IKF IKR ISR NR JSW NS CJP PHP MJSW, ..."),
                    ))
                }
            },
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
            // ngspice's alias of the surface mobility, kept under one name.
            "uo" => {
                m.extra.insert("u0".into(), value);
            }
            _ => {
                m.extra.insert(lower, value);
            }
        }
    }
    Ok(m)
}

/// ngspice's other names of bipolar model parameters, with the name they
/// are kept under.
const BJT_ALIASES: &[(&str, &str)] = &[
    ("va", "vaf"),
    ("ik", "ikf"),
    ("c2", "ise"),
    ("vb", "var"),
    ("c4", "isc"),
    ("pe", "vje"),
    ("me", "mje"),
    ("pc", "vjc"),
    ("mc", "mjc"),
    ("csub", "cjs"),
    ("ccs", "cjs"),
    ("ps", "vjs"),
    ("ms", "mjs"),
    ("nk", "nkf"),
    ("tref", "tnom"),
    ("trb", "trb1"),
    ("trc", "trc1"),
    ("tre", "tre1"),
];

/// Bipolar model parameters by lower-case name, aliases under their main
/// name (the last given wins, as in ngspice).
fn bjt_params(line: &Logical, params: Assignments) -> Result<BjtParams<Value>> {
    let mut b = BjtParams { level: 1, params: Default::default() };
    for (key, value, at) in params {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "level" => b.level = level(line, &value, at)?,
            other => {
                let name = BJT_ALIASES.iter().find(|(alias, _)| *alias == other).map_or(other, |(_, n)| n);
                b.params.insert(name.to_string(), value);
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

/// The parameter tokens of a `.model` card after its type: parentheses,
/// commas and stray `+` signs (left inside a line by some exporters)
/// separate parameters and nothing else, as in ngspice.
pub(super) fn param_tokens<'a>(toks: &[Token<'a>]) -> Vec<Token<'a>> {
    toks.iter()
        .filter(|t| !matches!(t.kind, Tk::LParen | Tk::RParen | Tk::Comma) && t.text != "+")
        .copied()
        .collect()
}
