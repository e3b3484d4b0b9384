//! Element cards, one function per family, on a parsed [`Card`].

use atscale_circuit::{
    Element, ElementKind, Expr, Instance, MosInstance, Param, SwitchControl, Value, GROUND,
};

use super::source::{Logical, Tk, Token};
use super::{node, scaled, unsupported_element, Item, Parser};
use crate::error::Result;

/// An element card being read: its line, tokens, name and card letter.
pub(super) struct Card<'l, 't> {
    pub line: &'l Logical,
    pub toks: &'t [Token<'t>],
    pub name: String,
    pub letter: char,
}

impl Card<'_, '_> {
    /// The first `count` node names.
    fn nodes(&self, count: usize) -> Result<Vec<String>> {
        (1..=count)
            .map(|k| match self.toks.get(k) {
                Some(t) if t.kind == Tk::Word => Ok(node(t)),
                Some(t) => Err(self.line.diag(
                    t.start,
                    format!("`{}` is not a node name", t.text),
                    Some("a node name"),
                )),
                None => Err(self.line.diag(
                    self.line.text.len(),
                    format!("{} needs {count} nodes", self.name),
                    Some("a node name"),
                )),
            })
            .collect()
    }

    fn el(&self, kind: ElementKind<Value>) -> Result<Item> {
        Ok(Item::El(Box::new(Element { name: self.name.clone(), kind })))
    }
}

/// Whether token `k` is an option keyword (`OFF`, `name=`) rather than a
/// name (after a bipolar transistor's nodes).
fn is_option_word(toks: &[Token<'_>], k: usize) -> bool {
    toks[k].is_word("off") || toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq)
}

/// Whether a value reads node voltages, currents or time.
fn reads_circuit(v: &Value) -> bool {
    match v {
        Value::Expr(e) => !e.nodes().is_empty() || !e.currents().is_empty() || e.reads_time(),
        Value::Num(_) => false,
    }
}

impl Parser {
    /// An element card: dispatched on its letter.
    pub(super) fn element(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<Item> {
        let name_tok = &toks[0];
        if name_tok.kind != Tk::Word {
            return Err(line.diag(
                name_tok.start,
                format!("unexpected `{}`", name_tok.text),
                Some("an element card"),
            ));
        }
        let name = name_tok.text.to_string();
        let letter = name.chars().next().map(|c| c.to_ascii_lowercase()).unwrap_or(' ');
        let c = Card { line, toks, name, letter };
        match letter {
            'r' | 'c' | 'l' => self.passive_card(&c),
            'v' | 'i' => self.source_card(&c),
            'b' => self.b_card(&c),
            'e' | 'g' => self.voltage_controlled_card(&c),
            'f' | 'h' => self.current_controlled_card(&c),
            'd' => self.diode_card(&c),
            'm' => self.mosfet_card(&c),
            'q' => self.bjt_card(&c),
            's' | 'w' => self.switch_card(&c),
            'k' => self.coupling_card(&c),
            'x' => self.instance_card(&c),
            other => match unsupported_element(other) {
                Some(what) => Err(line.diag(
                    name_tok.start,
                    format!("{what} are not supported by atscale"),
                    Some("R C L K V I B D M Q S W X E G F H"),
                )),
                None => Err(line.diag(
                    name_tok.start,
                    format!("`{}` does not start a known card", name_tok.text),
                    Some("an element (R C L K V I B D M Q S W X E G F H) or a `.` card"),
                )),
            },
        }
    }

    /// R, C, L: a value (a resistor reading the circuit becomes a behavioural current).
    fn passive_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let (p, n) = (nn[0].clone(), nn[1].clone());
        let (value, ic) = self.passive(c.line, c.toks, c.letter)?;
        if reads_circuit(&value) {
            if c.letter != 'r' {
                return Err(c.line.diag(
                    c.toks[3].start,
                    format!(
                        "behavioural {} values (reading voltages, currents or time) are not supported",
                        if c.letter == 'c' { "capacitor" } else { "inductor" }
                    ),
                    Some("a value of parameters only"),
                ));
            }
            let e = match value {
                Value::Expr(e) => *e,
                Value::Num(x) => Expr::Num(x),
            };
            let v = if n == GROUND { Expr::v(p.clone()) } else { Expr::v_diff(p.clone(), n.clone()) };
            return c.el(ElementKind::BehaviouralCurrent { p, n, expr: v / e });
        }
        match c.letter {
            'r' => {
                if let Some((_, at)) = ic {
                    return Err(c.line.diag(at, "a resistor has no initial condition", None));
                }
                c.el(ElementKind::Resistor { p, n, r_ohm: value })
            }
            'c' => c.el(ElementKind::Capacitor { p, n, c_farad: value, ic_volt: ic.map(|x| x.0) }),
            _ => c.el(ElementKind::Inductor { p, n, l_henry: value, ic_amp: ic.map(|x| x.0) }),
        }
    }

    /// V, I: a waveform and a DC value of parameters only.
    fn source_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let (waveform, dc) = self.source(c.line, &c.toks[3..])?;
        let mut values = Vec::new();
        let _ = waveform.try_map(&mut |v: &Value| {
            values.push(v.clone());
            Ok::<_, ()>(())
        });
        values.extend(dc.clone());
        if values.iter().any(reads_circuit) {
            return Err(c.line.diag(
                c.toks.get(3).map_or(0, |t| t.start),
                "source values are evaluated once, before the simulation; they cannot read voltages, \
                 currents or time",
                Some("a B source (B1 p n V={...}) for a behavioural source"),
            ));
        }
        let (p, n) = (nn[0].clone(), nn[1].clone());
        if c.letter == 'v' {
            c.el(ElementKind::VoltageSource { p, n, waveform, dc })
        } else {
            c.el(ElementKind::CurrentSource { p, n, waveform, dc })
        }
    }

    /// B: `I=expression` or `V=expression`.
    fn b_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let (p, n) = (nn[0].clone(), nn[1].clone());
        let kind_tok =
            c.toks.get(3).filter(|t| t.kind == Tk::Word && c.toks.get(4).map(|x| x.kind) == Some(Tk::Eq));
        let Some(kt) = kind_tok else {
            return Err(c.line.diag(
                c.toks.get(3).map_or(c.line.text.len(), |t| t.start),
                "a B source needs its expression",
                Some("I=expression or V=expression"),
            ));
        };
        let expr = self.rest_expr(c.line, c.toks[4].end)?;
        match kt.text.to_ascii_lowercase().as_str() {
            "i" => c.el(ElementKind::BehaviouralCurrent { p, n, expr }),
            "v" => c.el(ElementKind::BehaviouralVoltage { p, n, expr }),
            _ => Err(c.line.diag(
                kt.start,
                format!("`{}=` is not a B source output", kt.text),
                Some("I= or V="),
            )),
        }
    }

    /// E, G: a linear gain on a controlling voltage, or `value={expression}`.
    fn voltage_controlled_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let (p, n) = (nn[0].clone(), nn[1].clone());
        let third = c.toks.get(3);
        let expr = match third {
            Some(t) if t.kind == Tk::Word && c.toks.get(4).map(|x| x.kind) == Some(Tk::Eq) => {
                let key = t.text.to_ascii_lowercase();
                let ok =
                    key == "value" || (c.letter == 'e' && key == "vol") || (c.letter == 'g' && key == "cur");
                if !ok {
                    return Err(c.line.diag(
                        t.start,
                        format!("`{}=` is not supported here", t.text),
                        Some("value={expression}"),
                    ));
                }
                self.rest_expr(c.line, c.toks[4].end)?
            }
            Some(t)
                if t.is_word("poly") || t.is_word("table") || t.is_word("laplace") || t.is_word("freq") =>
            {
                return Err(c.line.diag(
                    t.start,
                    format!("`{}` controlled sources are not supported", t.text.to_ascii_uppercase()),
                    Some("linear gain or value={expression}"),
                ))
            }
            _ => {
                let cn = c.nodes(4)?;
                let gain = self.value_at(c.line, c.toks, 5, "gain")?;
                if let Some(extra) = c.toks.get(6) {
                    return Err(c.line.diag(
                        extra.start,
                        format!("unexpected `{}`", extra.text),
                        Some("the end of the line"),
                    ));
                }
                let v = if cn[3] == GROUND {
                    Expr::v(cn[2].clone())
                } else {
                    Expr::v_diff(cn[2].clone(), cn[3].clone())
                };
                scaled(gain, v)
            }
        };
        if c.letter == 'e' {
            c.el(ElementKind::BehaviouralVoltage { p, n, expr })
        } else {
            c.el(ElementKind::BehaviouralCurrent { p, n, expr })
        }
    }

    /// F, H: a linear gain on a voltage source's current.
    fn current_controlled_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let (p, n) = (nn[0].clone(), nn[1].clone());
        let vname = match c.toks.get(3) {
            Some(t) if t.is_word("poly") => {
                return Err(c.line.diag(
                    t.start,
                    "`POLY` controlled sources are not supported",
                    Some("a voltage source name"),
                ))
            }
            Some(t) if t.kind == Tk::Word => t.text.to_string(),
            Some(t) => {
                return Err(c.line.diag(
                    t.start,
                    format!("`{}` is not a source name", t.text),
                    Some("a voltage source name"),
                ))
            }
            None => {
                return Err(c.line.diag(
                    c.line.text.len(),
                    "missing controlling source",
                    Some("a voltage source name"),
                ))
            }
        };
        let gain = self.value_at(c.line, c.toks, 4, "gain")?;
        if let Some(extra) = c.toks.get(5) {
            return Err(c.line.diag(
                extra.start,
                format!("unexpected `{}`", extra.text),
                Some("the end of the line"),
            ));
        }
        let expr = scaled(gain, Expr::i(vname));
        if c.letter == 'f' {
            c.el(ElementKind::BehaviouralCurrent { p, n, expr })
        } else {
            c.el(ElementKind::BehaviouralVoltage { p, n, expr })
        }
    }

    /// D: a model and an optional area.
    fn diode_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(2)?;
        let model = match c.toks.get(3) {
            Some(t) if t.kind == Tk::Word => t.text.to_string(),
            _ => {
                return Err(c.line.diag(
                    c.toks.get(3).map_or(c.line.text.len(), |t| t.start),
                    "missing diode model",
                    Some("a model name"),
                ))
            }
        };
        let mut area = None;
        let mut k = 4;
        while k < c.toks.len() {
            let t = &c.toks[k];
            if t.is_word("area") && c.toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq) {
                area = Some(self.value_at(c.line, c.toks, k + 2, "area")?);
                k += 3;
            } else if area.is_none()
                && matches!(t.kind, Tk::Word | Tk::Brace | Tk::Quote)
                && c.toks.get(k + 1).map(|x| x.kind) != Some(Tk::Eq)
            {
                area = Some(self.value(c.line, t)?);
                k += 1;
            } else {
                return Err(c.line.diag(
                    t.start,
                    format!("diode option `{}` is not supported", t.text),
                    Some("an area"),
                ));
            }
        }
        c.el(ElementKind::Diode { p: nn[0].clone(), n: nn[1].clone(), model, area })
    }

    /// M: four nodes, a model, then `W= L= M= AD= AS= PD= PS= NRD= NRS=`,
    /// `OFF` and `IC=vds[,vgs[,vbs]]` in any order.
    fn mosfet_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(4)?;
        let model = match c.toks.get(5) {
            Some(t) if t.kind == Tk::Word => t.text.to_string(),
            _ => {
                return Err(c.line.diag(
                    c.toks.get(5).map_or(c.line.text.len(), |t| t.start),
                    "missing MOSFET model",
                    Some("a model name"),
                ))
            }
        };
        // ngspice's defaults (DEFW, DEFL): 100 um.
        let mut w = Value::Num(100e-6);
        let mut l = Value::Num(100e-6);
        let mut inst = MosInstance::default();
        const EXPECTED: &str = "W= L= M= AD= AS= PD= PS= NRD= NRS= TEMP= DTEMP= OFF or IC=";
        let toks = c.toks;
        let mut k = 6;
        while k < toks.len() {
            let t = &toks[k];
            if t.is_word("off") {
                inst.off = true;
                k += 1;
                continue;
            }
            if t.kind != Tk::Word || toks.get(k + 1).map(|x| x.kind) != Some(Tk::Eq) {
                return Err(c.line.diag(t.start, format!("unexpected `{}`", t.text), Some(EXPECTED)));
            }
            let key = t.text.to_ascii_lowercase();
            if key == "ic" {
                // Up to three values separated by commas.
                k += 2;
                loop {
                    inst.ic_volt.push(self.value_at(c.line, toks, k, "initial voltage of IC=")?);
                    k += 1;
                    if inst.ic_volt.len() < 3 && toks.get(k).map(|x| x.kind) == Some(Tk::Comma) {
                        k += 1;
                    } else {
                        break;
                    }
                }
                continue;
            }
            let slot = match key.as_str() {
                "w" => {
                    w = self.value_at(c.line, toks, k + 2, "W")?;
                    k += 3;
                    continue;
                }
                "l" => {
                    l = self.value_at(c.line, toks, k + 2, "L")?;
                    k += 3;
                    continue;
                }
                "m" => &mut inst.m,
                "ad" => &mut inst.ad_m2,
                "as" => &mut inst.as_m2,
                "pd" => &mut inst.pd_m,
                "ps" => &mut inst.ps_m,
                "nrd" => &mut inst.nrd,
                "nrs" => &mut inst.nrs,
                "temp" | "dtemp" => {
                    let v = self.value_at(c.line, toks, k + 2, t.text)?;
                    let nominal = if key == "temp" { 27.0 } else { 0.0 };
                    if v != Value::Num(nominal) {
                        self.warn(
                            c.line,
                            format!(
                                "`{}={v}`: the native engine runs every device at 27 °C and does not model an \
                                 instance temperature; its result may differ from ngspice's",
                                t.text
                            ),
                        );
                    }
                    k += 3;
                    continue;
                }
                _ => {
                    return Err(c.line.diag(
                        t.start,
                        format!("MOSFET instance parameter `{}` is not supported", t.text),
                        Some(EXPECTED),
                    ))
                }
            };
            *slot = Some(self.value_at(c.line, toks, k + 2, t.text)?);
            k += 3;
        }
        c.el(ElementKind::Mosfet {
            d: nn[0].clone(),
            g: nn[1].clone(),
            s: nn[2].clone(),
            b: nn[3].clone(),
            model,
            w_m: w,
            l_m: l,
            instance: inst,
        })
    }

    /// Q: collector, base, emitter, an optional substrate node, a model and
    /// an optional area (`AREA=`, `M=` multiplies it).
    fn bjt_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let nn = c.nodes(3)?;
        // A fourth word followed by a name (not a number or keyword) is the
        // substrate node; otherwise the fourth word is the model.
        let word = |k: usize| c.toks.get(k).filter(|t| t.kind == Tk::Word && !is_option_word(c.toks, k));
        let name = |k: usize| word(k).filter(|t| crate::number::parse_number(t.text).is_err());
        let (sub, model, mut k) = match (word(4), name(4), name(5)) {
            (Some(s), _, Some(m)) => (Some(node(s)), m.text.to_string(), 6),
            (_, Some(m), None) => (None, m.text.to_string(), 5),
            _ => {
                return Err(c.line.diag(
                    c.toks.get(4).map_or(c.line.text.len(), |t| t.start),
                    "missing bipolar transistor model",
                    Some("a model name"),
                ))
            }
        };
        let mut area: Option<Value> = None;
        let mut m: Option<Value> = None;
        let mut off = false;
        let mut ic_volt = Vec::new();
        while k < c.toks.len() {
            let t = &c.toks[k];
            let assigned = c.toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq);
            if assigned && (t.is_word("area") || t.is_word("m")) {
                let v = self.value_at(c.line, c.toks, k + 2, t.text)?;
                if t.is_word("m") {
                    m = Some(v);
                } else {
                    area = Some(v);
                }
                k += 3;
            } else if assigned && t.is_word("ic") {
                k = self.bjt_ic(c, k + 2, &mut ic_volt)?;
            } else if !assigned && t.is_word("off") {
                off = true;
                k += 1;
            } else if area.is_none() && !assigned && matches!(t.kind, Tk::Word | Tk::Brace | Tk::Quote) {
                area = Some(self.value(c.line, t)?);
                k += 1;
            } else {
                return Err(c.line.diag(
                    t.start,
                    format!("bipolar transistor option `{}` is not supported", t.text),
                    Some("an area, AREA=, M=, OFF or IC=vbe,vce"),
                ));
            }
        }
        let [c_node, b, e] = [0, 1, 2].map(|i| nn[i].clone());
        c.el(ElementKind::Bjt { c: c_node, b, e, sub, model, area, m, off, ic_volt })
    }

    /// The values of a bipolar transistor's `IC=vbe[,vce]` from token `k`
    /// into `out`; the index of the token after them.
    fn bjt_ic(&self, c: &Card<'_, '_>, mut k: usize, out: &mut Vec<Value>) -> Result<usize> {
        loop {
            if out.len() == 2 {
                let at = c.toks.get(k - 1).map_or(c.line.text.len(), |t| t.start);
                return Err(c.line.diag(
                    at,
                    "a bipolar transistor's IC= has at most two values",
                    Some("IC=vbe,vce"),
                ));
            }
            out.push(self.value_at(c.line, c.toks, k, "initial voltage")?);
            k += 1;
            if c.toks.get(k).map(|t| t.kind) != Some(Tk::Comma) {
                return Ok(k);
            }
            k += 1;
        }
    }

    /// S (`n+ n- nc+ nc- model`) or W (`n+ n- vname model`), then `ON`/`OFF`.
    fn switch_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let voltage = c.letter == 's';
        let nn = c.nodes(if voltage { 4 } else { 2 })?;
        let at = if voltage { 5 } else { 4 };
        let control = if voltage {
            SwitchControl::Voltage { cp: nn[2].clone(), cn: nn[3].clone() }
        } else {
            match c.toks.get(3) {
                Some(t) if t.kind == Tk::Word => SwitchControl::Current { source: t.text.to_string() },
                t => {
                    return Err(c.line.diag(
                        t.map_or(c.line.text.len(), |t| t.start),
                        "missing controlling source",
                        Some("a voltage source name"),
                    ))
                }
            }
        };
        let model = match c.toks.get(at) {
            Some(t) if t.kind == Tk::Word => t.text.to_string(),
            t => {
                return Err(c.line.diag(
                    t.map_or(c.line.text.len(), |t| t.start),
                    "missing switch model",
                    Some("a model name"),
                ))
            }
        };
        let on = match c.toks.get(at + 1) {
            None => None,
            Some(t) if t.is_word("on") => Some(true),
            Some(t) if t.is_word("off") => Some(false),
            Some(t) => {
                return Err(c.line.diag(t.start, format!("unexpected `{}`", t.text), Some("ON or OFF")))
            }
        };
        if let Some(extra) = c.toks.get(at + 2) {
            return Err(c.line.diag(
                extra.start,
                format!("unexpected `{}`", extra.text),
                Some("the end of the line"),
            ));
        }
        c.el(ElementKind::Switch { p: nn[0].clone(), n: nn[1].clone(), control, model, on })
    }

    /// K: two inductors and a coupling coefficient.
    fn coupling_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let mut names = Vec::new();
        for k in 1..=2 {
            match c.toks.get(k) {
                Some(t) if t.kind == Tk::Word && crate::number::parse_number(t.text).is_err() => {
                    names.push(t.text.to_string())
                }
                t => {
                    return Err(c.line.diag(
                        t.map_or(c.line.text.len(), |t| t.start),
                        format!("{} needs two inductor names", c.name),
                        Some("an inductor name"),
                    ))
                }
            }
        }
        let k = self.value_at(c.line, c.toks, 3, "coupling coefficient")?;
        if let Some(extra) = c.toks.get(4) {
            return Err(c.line.diag(
                extra.start,
                format!("unexpected `{}` (atscale couples two inductors per K card)", extra.text),
                Some("the end of the line"),
            ));
        }
        let l2 = names.pop().unwrap_or_default();
        let l1 = names.pop().unwrap_or_default();
        c.el(ElementKind::Coupling { l1, l2, k })
    }

    /// X: nodes, the subcircuit name and parameter overrides.
    fn instance_card(&mut self, c: &Card<'_, '_>) -> Result<Item> {
        let mut k = 1;
        let mut words = Vec::new();
        while k < c.toks.len() {
            let t = &c.toks[k];
            if t.is_word("params:")
                || (t.kind == Tk::Word && c.toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq))
            {
                break;
            }
            if t.kind != Tk::Word {
                return Err(c.line.diag(
                    t.start,
                    format!("unexpected `{}`", t.text),
                    Some("a node or subcircuit name"),
                ));
            }
            words.push(*t);
            k += 1;
        }
        if c.toks.get(k).is_some_and(|t| t.is_word("params:")) {
            k += 1;
        }
        let Some(sub) = words.pop() else {
            return Err(c.line.diag(
                c.toks[0].end,
                "missing subcircuit name",
                Some("nodes, then the subcircuit name"),
            ));
        };
        let params = self
            .assignments(c.line, &c.toks[k..], false)?
            .into_iter()
            .map(|(name, value, _)| Param { name, value })
            .collect();
        Ok(Item::Inst(Instance {
            name: c.name.clone(),
            subckt: sub.text.to_string(),
            nodes: words.iter().map(node).collect(),
            params,
        }))
    }
}
