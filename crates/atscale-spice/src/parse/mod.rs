//! The parser of the ngspice netlist language.
//!
//! [`parse_deck`] reads a [`Deck`] (a netlist with its includes expanded,
//! see [`crate::deck`]); [`parse_file`] loads the deck from a file first and
//! [`parse_str`] from text (where `.include` and `.lib` are errors). All
//! return a [`Netlist`].
//!
//! What is read: the title line; `*` comments and `;`/`$` inline comments;
//! `+` continuations; keywords in any case; numbers with SI suffixes and
//! unit letters ([`crate::number::parse_number`]); `.param` (values as
//! numbers, `{expr}`, `'expr'` or bare expressions), `.func`,
//! `.subckt`/`.ends` with `params:`, `.include`, `.lib`/`.endl`, `.model`
//! (D, NMOS, PMOS, NPN, PNP, SW, CSW), `.ic`, `.nodeset`, `.global`,
//! `.options`, `.tran`, `.title`, `.end`, `.control` blocks (recorded, not
//! run), output requests (`.save`, `.print`, `.plot`, `.probe`: recorded)
//! and `.meas` cards (read by [`measure::read_measures`]). Elements R C L K V
//! I B D M Q S W X E G F H. `gnd` is ground `0`, as in ngspice.
//!
//! How ngspice constructs map onto the circuit model: `E`/`G`/`F`/`H`
//! become behavioural sources (`gain*V(cp,cn)`, `gain*I(vname)`); a resistor
//! whose value reads node voltages, currents or `time` becomes a behavioural
//! current `V(p,n)/(value)`; `.func` calls are expanded in place; `.param`
//! inside a subcircuit becomes a parameter of the subcircuit; `.model` inside a
//! subcircuit is global. Lines written by atscale with a `*@atscale`
//! annotation are read back as the annotated element (see [`crate::write`]).
//!
//! Cards that cannot change a transient result (`.ac`, `.op`, `.width`, an
//! `AC` spec, ...) are set aside with a warning; everything else is an error
//! naming the construct (`T` lines, other `.model` types, ...), never dropped
//! silently.

mod conditional;
mod elements;
mod funcs;
pub mod measure;
mod models;
mod resistor;
pub(crate) mod source;
mod waveform;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use atscale_circuit::{Circuit, Element, Expr, Instance, Param, Subckt, Value, Waveform, GROUND};

use crate::deck::{Deck, DeckLimits};
use crate::dialect::Ngspice;
use crate::error::{Error, Result};
use crate::number::{parse_number, NumberError};
use crate::write::{
    card_count, element_cards, instance_card, ordered_params, scope_renames, Header, ANNOTATION_PREFIX,
};
use atscale_circuit::analysis::{Analysis, Method, Tran};
use funcs::{FuncDef, Funcs};
pub use source::ControlBlock;
use source::{tokenize, Logical, Tk, Token};
use waveform::SHAPES;

/// A parsed netlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Netlist {
    /// The title (first line), also in `circuit.title`.
    pub title: String,
    /// The circuit.
    pub circuit: Circuit,
    /// `.tran`, `.options` and `.ic`.
    pub analysis: Analysis,
    /// `.control` blocks found (the native engine does not run them).
    pub control_blocks: Vec<ControlBlock>,
    /// Output requests (`.save`, `.print`, `.plot`, `.probe`) as written.
    pub output_requests: Vec<String>,
    /// The header comment: `* Written by <generator> (...)` and the comment
    /// lines right after the title.
    pub header: Header,
    /// Things worth knowing that are not errors.
    pub warnings: Vec<Warning>,
}

/// A remark about a netlist that did not stop it from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// File.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.as_str(), self.line) {
            ("", _) => write!(f, "{}", self.message),
            (file, 0) => write!(f, "{file}: {}", self.message),
            (file, line) => write!(f, "{file}:{line}: {}", self.message),
        }
    }
}

/// Parses a netlist from text. `file_name` is used in diagnostics.
/// `.include` and `.lib` are errors here (no file system): use
/// [`parse_file`].
pub fn parse_str(text: &str, file_name: &str) -> Result<Netlist> {
    parse_deck(&Deck::from_text(text, file_name, None, &DeckLimits::default())?)
}

/// Reads and parses a netlist file, following `.include` and `.lib`
/// relative to the including file ([`Deck::load`] with default limits).
pub fn parse_file(path: &Path) -> Result<Netlist> {
    parse_deck(&Deck::load(path, &DeckLimits::default())?)
}

/// Parses a deck: a netlist with its includes expanded.
pub fn parse_deck(deck: &Deck) -> Result<Netlist> {
    let mut p = Parser::new();
    for note in deck.notes() {
        p.warnings.push(Warning { file: String::new(), line: 0, message: note.clone() });
    }
    p.run(deck)
}

/// An annotated element or instance.
#[derive(Debug, Clone)]
enum Ann {
    Element(Box<Element<Value>>),
    Instance(Instance),
}

#[derive(Debug, Clone)]
enum Item {
    El(Box<Element<Value>>),
    Inst(Instance),
    Group(Group),
}

/// An annotation and the cards after it.
#[derive(Debug, Clone)]
struct Group {
    ann: Ann,
    texts: Vec<String>,
    plain: Vec<Item>,
    origin: (String, usize),
}

struct Pending {
    group: Group,
    remaining: usize,
}

#[derive(Default)]
struct Scope {
    items: Vec<Item>,
    params: Vec<Param>,
    /// Where each parameter was defined, for cycle diagnostics.
    param_lines: Vec<(Logical, usize)>,
}

struct OpenSubckt {
    name: String,
    ports: Vec<String>,
    scope: Scope,
    line: Logical,
}

struct Parser {
    circuit: Circuit,
    analysis: Analysis,
    tran_seen: bool,
    /// A `.tran` line with times in braces, read once every `.param` is known.
    pending_tran: Option<Logical>,
    top: Scope,
    sub: Option<OpenSubckt>,
    funcs: Funcs,
    /// `.func` tables of subcircuits, found by the pre-pass.
    sub_funcs: HashMap<String, HashMap<String, FuncDef>>,
    pending: Option<Pending>,
    /// Resistor models (`.model NAME R`), found by the pre-pass.
    res_models: HashMap<String, resistor::ResModel>,
    /// The circuit's temperature, found by the pre-pass.
    temperatures: resistor::Temperatures,
    /// Open `.if` blocks.
    conds: Vec<conditional::Frame>,
    control_blocks: Vec<ControlBlock>,
    output_requests: Vec<String>,
    warnings: Vec<Warning>,
    ended: bool,
}

/// Unsupported element letters and what they are.
fn unsupported_element(c: char) -> Option<&'static str> {
    Some(match c {
        't' => "lossless transmission lines (T)",
        'o' => "lossy transmission lines (O)",
        'u' => "uniform RC lines (U)",
        'y' => "transmission lines (Y)",
        'p' => "coupled multiconductor lines (P)",
        'j' => "JFETs (J)",
        'z' => "MESFETs (Z)",
        'a' => "XSPICE code models (A)",
        'n' => "OSDI devices (N)",
        _ => return None,
    })
}

/// The words that start a source's waveform (`sine` is KiCad's `sin`).
const WAVEFORM_WORDS: &[&str] =
    &["pulse", "sin", "sine", "exp", "pwl", "trnoise", "trrandom", "sffm", "am", "external", "pat"];

const UNSUPPORTED_DOTS: &[&str] = &[".option_", ".spinit", ".data", ".step"];

/// Cards that cannot change a transient result, read and set aside with a
/// warning that says why: other analyses (ngspice runs them besides the
/// transient one), output width, parameters for control scripts.
const SET_ASIDE_DOTS: &[(&str, &str)] = &[
    (".ac", "another analysis; atscale runs the transient one"),
    (".dc", "another analysis; atscale runs the transient one"),
    (".op", "another analysis; atscale runs the transient one"),
    (".noise", "another analysis; atscale runs the transient one"),
    (".tf", "another analysis; atscale runs the transient one"),
    (".pz", "another analysis; atscale runs the transient one"),
    (".sens", "another analysis; atscale runs the transient one"),
    (".disto", "another analysis; atscale runs the transient one"),
    (".sp", "another analysis; atscale runs the transient one"),
    (".pss", "another analysis; atscale runs the transient one"),
    (".four", "a Fourier analysis printed by ngspice"),
    (".width", "it sets ngspice's print width"),
    (".csparam", "it passes parameters to ngspice's control scripts"),
];

impl Parser {
    fn new() -> Self {
        Parser {
            circuit: Circuit::default(),
            analysis: Analysis::default(),
            tran_seen: false,
            pending_tran: None,
            top: Scope::default(),
            sub: None,
            funcs: Funcs { scopes: vec![HashMap::new()] },
            sub_funcs: HashMap::new(),
            pending: None,
            res_models: HashMap::new(),
            temperatures: resistor::Temperatures::default(),
            conds: Vec::new(),
            control_blocks: Vec::new(),
            output_requests: Vec::new(),
            warnings: Vec::new(),
            ended: false,
        }
    }

    fn run(mut self, deck: &Deck) -> Result<Netlist> {
        let read = source::read(deck.lines().map(|(f, n, t, shown)| (f.clone(), n, t, shown)), true)?;
        let title = read.title.unwrap_or_default();
        self.control_blocks.extend(read.control_blocks);
        let header = header_from(&read.leading_comments);
        self.predefine_funcs(&read.lines)?;
        self.predefine_res_models(&read.lines)?;
        self.lines(&read.lines)?;
        self.unclosed_conditional()?;
        self.flush_pending();
        if let Some(open) = &self.sub {
            return Err(open.line.diag(
                0,
                format!("subcircuit `{}` is not closed", open.name),
                Some("`.ends`"),
            ));
        }
        let top = std::mem::take(&mut self.top);
        check_param_order(&top, "the top level")?;
        let (elements, instances) = self.resolve(top.items);
        self.circuit.params = top.params;
        if let Some(line) = self.pending_tran.take() {
            self.analysis.tran = Some(self.tran_with_params(&line)?);
        }
        self.circuit.elements = elements;
        self.circuit.instances = instances;
        if self.circuit.title.is_empty() {
            self.circuit.title = title.clone();
        }
        let title = self.circuit.title.clone();
        Ok(Netlist {
            title,
            circuit: self.circuit,
            analysis: self.analysis,
            control_blocks: self.control_blocks,
            output_requests: self.output_requests,
            header,
            warnings: self.warnings,
        })
    }

    /// ngspice reads every `.func` before the cards that call it: define the
    /// top-level ones now, and keep each subcircuit's for when it opens.
    fn predefine_funcs(&mut self, lines: &[Logical]) -> Result<()> {
        let mut sub: Option<String> = None;
        for line in lines {
            if line.annotation {
                continue;
            }
            let word = line.text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            match word.as_str() {
                ".subckt" => {
                    sub = line.text.split_whitespace().nth(1).map(str::to_ascii_lowercase);
                    if let Some(name) = &sub {
                        self.sub_funcs.entry(name.clone()).or_default();
                    }
                }
                ".ends" => sub = None,
                ".func" => {
                    let toks = tokenize(line)?;
                    // Define in the right table by parsing with that table on top.
                    match &sub {
                        None => self.func(line, &toks)?,
                        Some(name) => {
                            let table = self.sub_funcs.remove(name).unwrap_or_default();
                            self.funcs.scopes.push(table);
                            let res = self.func(line, &toks);
                            let table = self.funcs.scopes.pop().unwrap_or_default();
                            self.sub_funcs.insert(name.clone(), table);
                            res?;
                        }
                    }
                }
                ".end" => break,
                _ => {}
            }
        }
        Ok(())
    }

    fn lines(&mut self, lines: &[Logical]) -> Result<()> {
        for line in lines {
            if self.ended {
                break;
            }
            self.line(line)?;
        }
        Ok(())
    }

    fn scope(&mut self) -> &mut Scope {
        match &mut self.sub {
            Some(s) => &mut s.scope,
            None => &mut self.top,
        }
    }

    fn warn(&mut self, line: &Logical, message: String) {
        let (file, line) = line.origin();
        self.warnings.push(Warning { file, line, message });
    }

    /// Ends a pending annotation whose cards did not all follow.
    fn flush_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            let (file, line) = p.group.origin.clone();
            self.warnings.push(Warning {
                file,
                line,
                message: format!(
                    "the `{ANNOTATION_PREFIX}` annotation here is not followed by the {} card(s) it describes; \
                     it is ignored",
                    card_count_of(&p.group.ann)
                ),
            });
            let plain = p.group.plain;
            self.scope().items.extend(plain);
        }
    }

    fn line(&mut self, line: &Logical) -> Result<()> {
        if !line.annotation && self.conditional(line)? || !self.reading() {
            return Ok(());
        }
        if line.annotation {
            self.flush_pending();
            return self.annotation(line);
        }
        let toks = tokenize(line)?;
        let Some(first) = toks.first() else { return Ok(()) };
        let word = first.text.to_ascii_lowercase();
        if word.starts_with('.') {
            self.flush_pending();
            return self.dot(line, &toks, &word);
        }
        let item = self.element(line, &toks)?;
        match &mut self.pending {
            Some(p) => {
                p.group.texts.push(line.text.clone());
                p.group.plain.push(item);
                p.remaining -= 1;
                if p.remaining == 0 {
                    if let Some(p) = self.pending.take() {
                        self.scope().items.push(Item::Group(p.group));
                    }
                }
            }
            None => self.scope().items.push(item),
        }
        Ok(())
    }

    fn annotation(&mut self, line: &Logical) -> Result<()> {
        let rest = line.text[ANNOTATION_PREFIX.len()..].trim_start();
        let (what, json) = rest.split_once(' ').unwrap_or((rest, ""));
        let ann = match what {
            "element" => serde_json::from_str::<Element<Value>>(json)
                .map(|e| Ann::Element(Box::new(e)))
                .map_err(|e| e.to_string()),
            "instance" => {
                serde_json::from_str::<Instance>(json).map(Ann::Instance).map_err(|e| e.to_string())
            }
            other => Err(format!("unknown annotation kind `{other}`")),
        };
        match ann {
            Ok(ann) => {
                let remaining = card_count_of(&ann);
                self.pending = Some(Pending {
                    group: Group { ann, texts: Vec::new(), plain: Vec::new(), origin: line.origin() },
                    remaining,
                });
            }
            Err(e) => self.warn(line, format!("unreadable `{ANNOTATION_PREFIX}` annotation ignored: {e}")),
        }
        Ok(())
    }

    /// Chooses, for every annotation, the annotated item (when the cards are
    /// exactly what the writer makes of it) or the plain cards.
    fn resolve(&mut self, items: Vec<Item>) -> (Vec<Element<Value>>, Vec<Instance>) {
        let candidates: Vec<Element<Value>> = items
            .iter()
            .flat_map(|it| match it {
                Item::El(e) => vec![(**e).clone()],
                Item::Group(Group { ann: Ann::Element(e), .. }) => vec![(**e).clone()],
                Item::Group(g) => plain_elements(&g.plain),
                Item::Inst(_) => vec![],
            })
            .collect();
        let renames = scope_renames(&candidates);
        let mut elements = Vec::new();
        let mut instances = Vec::new();
        let push = |it: Item, elements: &mut Vec<Element<Value>>, instances: &mut Vec<Instance>| match it {
            Item::El(e) => elements.push(*e),
            Item::Inst(i) => instances.push(i),
            Item::Group(_) => {}
        };
        for it in items {
            match it {
                Item::Group(g) => {
                    let regenerated = match &g.ann {
                        Ann::Element(e) => element_cards(e, &Ngspice, &renames),
                        Ann::Instance(i) => instance_card(i, &Ngspice).map(|l| vec![l]),
                    };
                    if regenerated.as_ref().is_ok_and(|r| *r == g.texts) {
                        match g.ann {
                            Ann::Element(e) => elements.push(*e),
                            Ann::Instance(i) => instances.push(i),
                        }
                    } else {
                        let (file, line) = g.origin.clone();
                        self.warnings.push(Warning {
                            file,
                            line,
                            message: format!(
                                "the cards after the `{ANNOTATION_PREFIX}` annotation here differ from what \
                                 atscale writes for it (edited by hand?); they are read as plain SPICE"
                            ),
                        });
                        for p in g.plain {
                            push(p, &mut elements, &mut instances);
                        }
                    }
                }
                other => push(other, &mut elements, &mut instances),
            }
        }
        (elements, instances)
    }

    // ---------------------------------------------------------------
    // Values and expressions

    fn expr(&self, line: &Logical, text: &str, at: usize) -> Result<Expr> {
        // ngspice allows `{...}` as grouping inside expressions (numparam
        // leaves the braces of circuit expressions alone): read them as `(...)`.
        let text = &text.replace('{', "(").replace('}', ")");
        let expanded = self.funcs.expand(text).map_err(|m| line.diag(at, m, None))?;
        let parsed = Expr::parse(&expanded).map_err(|e| {
            let msg = e.to_string();
            let msg = match msg.split_once(": ") {
                Some((head, tail)) if head.starts_with("column ") => tail.to_string(),
                _ => msg,
            };
            let col = if expanded == *text { at + e.offset().min(text.len()) } else { at };
            line.diag(col, format!("bad expression: {msg}"), None)
        })?;
        // `gnd` is ground in `v(...)` as in node lists (ngspice maps it
        // everywhere, also inside subcircuits).
        let ground = |n: &str| if n.eq_ignore_ascii_case("gnd") { GROUND.to_string() } else { n.to_string() };
        Ok(parsed.rename(&mut |n: &str| ground(n), &mut |c: &str| c.to_string()))
    }

    /// The expression inside a brace or quote token.
    fn inner_expr(&self, line: &Logical, t: &Token<'_>) -> Result<Expr> {
        self.expr(line, t.inner(), t.start + 1)
    }

    fn value(&self, line: &Logical, t: &Token<'_>) -> Result<Value> {
        match t.kind {
            Tk::Brace | Tk::Quote => Ok(Value::from(self.inner_expr(line, t)?)),
            Tk::Word => number(line, t).map(Value::Num),
            _ => Err(line.diag(t.start, format!("`{}` is not a value", t.text), Some(VALUE))),
        }
    }

    fn value_at(&self, line: &Logical, toks: &[Token<'_>], k: usize, what: &str) -> Result<Value> {
        match toks.get(k) {
            Some(t) => self.value(line, t),
            None => Err(line.diag(line.text.len(), format!("missing {what}"), Some(VALUE))),
        }
    }

    // ---------------------------------------------------------------
    // Dot cards

    fn dot(&mut self, line: &Logical, toks: &[Token<'_>], word: &str) -> Result<()> {
        match word {
            ".end" => {
                self.ended = true;
                Ok(())
            }
            ".title" => {
                self.circuit.title = line.text[toks[0].end..].trim().to_string();
                Ok(())
            }
            ".param" | ".params" => {
                for (name, value, at) in self.assignments(line, &toks[1..], true)? {
                    let scope = self.scope();
                    scope.params.push(Param { name, value });
                    scope.param_lines.push((line.clone(), at));
                }
                Ok(())
            }
            ".func" => self.func(line, toks),
            ".subckt" => self.subckt(line, toks),
            ".ends" => self.ends(line, toks),
            ".endl" => Err(line.diag(0, "`.endl` outside a library section", Some("a card"))),
            ".model" => self.model(line, toks),
            ".ic" => self.ic(line, toks, false),
            ".nodeset" => self.ic(line, toks, true),
            ".global" => self.global(line, toks),
            ".temp" => self.temp(line, toks),
            ".options" | ".option" | ".opt" | ".opts" => self.options(line, toks),
            ".tran" => self.tran(line),
            // Read by [`measure::read_measures`], with the parameters.
            ".meas" | ".measure" => Ok(()),
            ".save" | ".print" | ".plot" | ".probe" => {
                self.output_requests.push(line.text.clone());
                Ok(())
            }
            _ if SET_ASIDE_DOTS.iter().any(|(d, _)| *d == word) => {
                let why = SET_ASIDE_DOTS.iter().find(|(d, _)| *d == word).map_or("", |(_, w)| w);
                self.warn(line, format!("`{}` set aside: {why}", toks[0].text));
                Ok(())
            }
            _ if UNSUPPORTED_DOTS.contains(&word) => Err(line.diag(
                0,
                format!("`{}` is not supported by atscale", toks[0].text),
                Some("a transient netlist (.tran, .param, .func, .subckt, .model, .ic, .options, elements)"),
            )),
            _ => Err(line.diag(
                0,
                format!("unknown control card `{}`", toks[0].text),
                Some("a known `.` card"),
            )),
        }
    }

    /// `name=value` pairs. With `bare`, a value may be an expression written
    /// without braces and with blanks (`.param a = b * 2`).
    fn assignments(
        &self,
        line: &Logical,
        toks: &[Token<'_>],
        bare: bool,
    ) -> Result<Vec<(String, Value, usize)>> {
        let mut out = Vec::new();
        let mut k = 0;
        while k < toks.len() {
            let name = &toks[k];
            if name.kind != Tk::Word || toks.get(k + 1).map(|t| t.kind) != Some(Tk::Eq) {
                return Err(line.diag(
                    name.start,
                    format!("`{}` is not an assignment", name.text),
                    Some("name=value"),
                ));
            }
            check_ident(line, name)?;
            let Some(first) = toks.get(k + 2) else {
                return Err(line.diag(
                    line.text.len(),
                    format!("missing value of `{}`", name.text),
                    Some(VALUE),
                ));
            };
            // The value runs to the next `name =`.
            let mut end = k + 3;
            if bare {
                while end < toks.len()
                    && !(toks[end].kind == Tk::Word && toks.get(end + 1).map(|t| t.kind) == Some(Tk::Eq))
                {
                    end += 1;
                }
            }
            let value = if end == k + 3 {
                match first.kind {
                    Tk::Word if bare => match parse_number(first.text) {
                        Ok(x) => Value::Num(x),
                        Err(_) => Value::from(self.expr(line, first.text, first.start)?),
                    },
                    _ => self.value(line, first)?,
                }
            } else {
                let last = &toks[end - 1];
                let text = &line.text[first.start..last.end];
                let text = if matches!(first.kind, Tk::Brace | Tk::Quote) && first.end == last.end {
                    first.inner()
                } else {
                    text
                };
                Value::from(self.expr(line, text, first.start)?)
            };
            out.push((name.text.to_string(), value, name.start));
            k = end;
        }
        Ok(out)
    }

    fn func(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        let name = toks.get(1).filter(|t| t.kind == Tk::Word).ok_or_else(|| {
            line.diag(toks[0].end, "missing function name", Some("`.func name(args) {body}`"))
        })?;
        check_ident(line, name)?;
        if atscale_circuit::expr::Func::from_name(name.text).is_some() {
            return Err(line.diag(
                name.start,
                format!("`.func {}` would redefine a built-in function", name.text),
                Some("another name"),
            ));
        }
        if toks.get(2).map(|t| t.kind) != Some(Tk::LParen) {
            return Err(line.diag(name.end, "missing parameter list", Some("`(`")));
        }
        let mut params = Vec::new();
        let mut k = 3;
        loop {
            match toks.get(k) {
                Some(t) if t.kind == Tk::RParen => break,
                Some(t) if t.kind == Tk::Comma => k += 1,
                Some(t) if t.kind == Tk::Word => {
                    check_ident(line, t)?;
                    params.push(t.text.to_ascii_lowercase());
                    k += 1;
                }
                Some(t) => {
                    return Err(line.diag(
                        t.start,
                        format!("unexpected `{}`", t.text),
                        Some("a parameter name or `)`"),
                    ))
                }
                None => {
                    return Err(line.diag(line.text.len(), "the parameter list is not closed", Some("`)`")))
                }
            }
        }
        k += 1;
        if toks.get(k).map(|t| t.kind) == Some(Tk::Eq) {
            k += 1;
        }
        let Some(body_tok) = toks.get(k) else {
            return Err(line.diag(
                line.text.len(),
                format!("missing body of `.func {}`", name.text),
                Some("`{expression}`"),
            ));
        };
        let body = match body_tok.kind {
            Tk::Brace | Tk::Quote if k + 1 == toks.len() => body_tok.inner().to_string(),
            _ => line.text[body_tok.start..].to_string(),
        };
        // Check the body parses (with the parameters as variables); a call of
        // a `.func` defined further down is checked where it is used.
        let checked = self.funcs.expand(&body.replace('{', "(").replace('}', ")")).map(|t| Expr::parse(&t));
        if let Ok(Err(e)) = checked {
            if !matches!(e, atscale_circuit::expr::ExprError::UnknownFunction { .. }) {
                self.expr(line, &body, body_tok.start)?;
            }
        }
        if let Some(scope) = self.funcs.scopes.last_mut() {
            scope.insert(name.text.to_ascii_lowercase(), FuncDef { params, body });
        }
        Ok(())
    }

    fn subckt(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        if let Some(open) = &self.sub {
            return Err(line.diag(
                0,
                format!("nested `.subckt` definitions are not supported (inside `{}`)", open.name),
                Some("`.ends` first"),
            ));
        }
        let name = toks.get(1).filter(|t| t.kind == Tk::Word).ok_or_else(|| {
            line.diag(toks[0].end, "missing subcircuit name", Some("`.subckt name ports...`"))
        })?;
        let mut ports = Vec::new();
        let mut k = 2;
        while k < toks.len() {
            let t = &toks[k];
            if t.is_word("params:") {
                k += 1;
                break;
            }
            if t.kind == Tk::Word && toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq) {
                break;
            }
            if t.kind != Tk::Word {
                return Err(line.diag(
                    t.start,
                    format!("unexpected `{}`", t.text),
                    Some("a port name or `params:`"),
                ));
            }
            ports.push(node(t));
            k += 1;
        }
        let mut scope = Scope::default();
        for (name, value, at) in self.assignments(line, &toks[k..], true)? {
            scope.params.push(Param { name, value });
            scope.param_lines.push((line.clone(), at));
        }
        let table = self.sub_funcs.remove(&name.text.to_ascii_lowercase()).unwrap_or_default();
        self.funcs.scopes.push(table);
        self.sub = Some(OpenSubckt { name: name.text.to_string(), ports, scope, line: line.clone() });
        Ok(())
    }

    fn ends(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        let Some(open) = self.sub.take() else {
            return Err(line.diag(0, "`.ends` without an open `.subckt`", Some("a `.subckt` before it")));
        };
        if let Some(t) = toks.get(1) {
            if !t.text.eq_ignore_ascii_case(&open.name) {
                let msg = format!("`.ends {}` closes subcircuit `{}`", t.text, open.name);
                self.sub = Some(open);
                return Err(line.diag(t.start, msg, None));
            }
        }
        self.funcs.scopes.pop();
        check_param_order(&open.scope, &format!("subcircuit `{}`", open.name))?;
        let (elements, instances) = self.resolve(open.scope.items);
        self.circuit.subckts.push(Subckt {
            name: open.name,
            ports: open.ports,
            params: open.scope.params,
            elements,
            instances,
        });
        Ok(())
    }

    /// `.global n1 n2 ...`: nodes that are the same in every subcircuit.
    fn global(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        if toks.len() < 2 {
            return Err(line.diag(line.text.len(), "`.global` names no node", Some("node names")));
        }
        for t in &toks[1..] {
            if t.kind != Tk::Word {
                return Err(line.diag(
                    t.start,
                    format!("`{}` is not a node name", t.text),
                    Some("a node name"),
                ));
            }
            let n = node(t);
            if n != GROUND && !self.circuit.globals.iter().any(|g| g.eq_ignore_ascii_case(&n)) {
                self.circuit.globals.push(n);
            }
        }
        Ok(())
    }

    /// `.ic` (or `.nodeset` when `nodeset`) `v(node)=value ...`.
    fn ic(&mut self, line: &Logical, toks: &[Token<'_>], nodeset: bool) -> Result<()> {
        let mut k = 1;
        while k < toks.len() {
            let ok = toks[k].is_word("v")
                && toks.get(k + 1).map(|t| t.kind) == Some(Tk::LParen)
                && toks.get(k + 2).map(|t| t.kind) == Some(Tk::Word)
                && toks.get(k + 3).map(|t| t.kind) == Some(Tk::RParen)
                && toks.get(k + 4).map(|t| t.kind) == Some(Tk::Eq);
            if !ok {
                return Err(line.diag(
                    toks[k].start,
                    format!("unexpected `{}`", toks[k].text),
                    Some("v(node)=value"),
                ));
            }
            let n = node(&toks[k + 2]);
            let Some(vt) = toks.get(k + 5) else {
                return Err(line.diag(line.text.len(), "missing initial voltage", Some("a number")));
            };
            if vt.kind != Tk::Word {
                return Err(line.diag(vt.start, "`.ic` values must be numbers here", Some("a number")));
            }
            let list = if nodeset { &mut self.analysis.nodeset } else { &mut self.analysis.ic };
            list.push((n, number(line, vt)?));
            k += 6;
        }
        Ok(())
    }

    fn options(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        let mut k = 1;
        while k < toks.len() {
            let key = &toks[k];
            if key.kind != Tk::Word {
                return Err(line.diag(
                    key.start,
                    format!("unexpected `{}`", key.text),
                    Some("an option name"),
                ));
            }
            let lower = key.text.to_ascii_lowercase();
            let value = if toks.get(k + 1).map(|t| t.kind) == Some(Tk::Eq) {
                let v = toks
                    .get(k + 2)
                    .ok_or_else(|| line.diag(line.text.len(), "missing option value", Some(VALUE)))?;
                k += 3;
                Some(*v)
            } else {
                k += 1;
                None
            };
            let num = |v: Option<Token<'_>>| -> Result<f64> {
                match v {
                    Some(t) if t.kind == Tk::Word => number(line, &t),
                    Some(t) => {
                        Err(line.diag(t.start, "option values must be numbers here", Some("a number")))
                    }
                    None => Err(line.diag(
                        key.end,
                        format!("option `{}` needs a value", key.text),
                        Some("=value"),
                    )),
                }
            };
            let o = &mut self.analysis.options;
            match lower.as_str() {
                "reltol" => o.reltol = Some(num(value)?),
                "abstol" => o.abstol = Some(num(value)?),
                "vntol" => o.vntol = Some(num(value)?),
                "chgtol" => o.chgtol = Some(num(value)?),
                "gmin" => o.gmin = Some(num(value)?),
                "maxstep" | "tmax" => o.maxstep_s = Some(num(value)?),
                "maxord" => {
                    let x = num(value)?;
                    if !(1.0..=6.0).contains(&x) || x.fract() != 0.0 {
                        return Err(line.diag(
                            key.start,
                            "`maxord` must be a whole number from 1 to 6",
                            None,
                        ));
                    }
                    o.maxord = Some(x as u32);
                }
                "method" => {
                    let t = value.ok_or_else(|| {
                        line.diag(key.end, "option `method` needs a value", Some("=trap or =gear"))
                    })?;
                    o.method = Some(match t.text.to_ascii_lowercase().as_str() {
                        "trap" | "trapezoidal" => Method::Trap,
                        "gear" => Method::Gear,
                        _ => {
                            return Err(line.diag(
                                t.start,
                                format!("unknown integration method `{}`", t.text),
                                Some("trap or gear"),
                            ))
                        }
                    });
                }
                _ => {
                    let v = value.map(|t| t.text.to_string());
                    o.other.push((lower, v));
                }
            }
        }
        Ok(())
    }

    /// `.temp t`: the same as `.options temp=t` in ngspice (the native
    /// engine then names the temperature it does not model).
    fn temp(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<()> {
        match toks {
            [_, t] if t.kind == Tk::Word => {
                number(line, t)?;
                self.analysis.options.other.push(("temp".into(), Some(t.text.to_string())));
                Ok(())
            }
            _ => Err(line.diag(
                toks.get(1).map_or(line.text.len(), |t| t.start),
                "`.temp` takes one temperature",
                Some("a number of degrees Celsius"),
            )),
        }
    }

    fn tran(&mut self, line: &Logical) -> Result<()> {
        if self.tran_seen {
            return Err(line.diag(0, "a second `.tran`", Some("one transient analysis per netlist")));
        }
        if tokenize(line)?.iter().any(|t| matches!(t.kind, Tk::Brace | Tk::Quote)) {
            self.pending_tran = Some(line.clone());
        } else {
            self.analysis.tran = Some(tran_card(line)?);
        }
        self.tran_seen = true;
        Ok(())
    }

    // ---------------------------------------------------------------
    // Elements

    /// The expression after `I=`/`V=`/`value=`: the rest of the line, braces
    /// or quotes optional.
    fn rest_expr(&self, line: &Logical, from: usize) -> Result<Expr> {
        let raw = &line.text[from..];
        let lead = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        let at = from + lead;
        if text.is_empty() {
            return Err(line.diag(at, "missing expression", Some("an expression")));
        }
        let b = text.as_bytes();
        let wrapped =
            (b[0] == b'{' && b[b.len() - 1] == b'}' && matching_brace(text) == Some(text.len() - 1))
                || (text.len() >= 2
                    && (b[0] == b'\'' || b[0] == b'"')
                    && b[b.len() - 1] == b[0]
                    && !text[1..text.len() - 1].contains(b[0] as char));
        if wrapped {
            self.expr(line, &text[1..text.len() - 1], at + 1)
        } else {
            self.expr(line, text, at)
        }
    }

    /// The value (positional or `r=`/`c=`/`l=`) and `IC=` of R, C, L; a
    /// resistor's model and instance parameters fold into its value
    /// ([`resistor`]).
    fn passive(
        &mut self,
        line: &Logical,
        toks: &[Token<'_>],
        letter: char,
    ) -> Result<(Value, Option<(Value, usize)>)> {
        let mut value = None;
        let mut ic = None;
        let mut mult: Option<Value> = None;
        let mut res = resistor::ResInstance::default();
        let mut k = 3;
        while k < toks.len() {
            let t = &toks[k];
            if t.kind == Tk::Word && toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq) {
                let key = t.text.to_ascii_lowercase();
                let v = self.value_at(line, toks, k + 2, &format!("value of `{}`", t.text))?;
                if key == "ic" && letter != 'r' {
                    ic = Some((v, t.start));
                } else if key == "m" {
                    mult = Some(v);
                } else if (key.len() == 1 && key.starts_with(letter) || letter == 'r' && key == "resistance")
                    && value.is_none()
                {
                    value = Some(v);
                } else if res.take(letter, &key, v) {
                    if key == "ac" {
                        self.warn(
                            line,
                            format!("`{}=` set aside: the AC resistance only changes AC analyses", t.text),
                        );
                    }
                } else if key == "ic" {
                    return Err(line.diag(t.start, "a resistor has no initial condition", None));
                } else {
                    return Err(line.diag(
                        t.start,
                        format!("instance parameter `{}` is not supported", t.text),
                        Some(if letter == 'r' {
                            "the value, a model, M=, L=, W=, SCALE=, TC1=, TC2=, TEMP=, DTEMP="
                        } else {
                            "the value, M=, SCALE=, TC1=, TC2=, TEMP=, DTEMP=, or IC="
                        }),
                    ));
                }
                k += 3;
            } else if letter == 'r' && t.kind == Tk::Word && res.model.is_none() && self.is_res_model(t.text)
            {
                res.model = Some((t.text.to_string(), t.start));
                k += 1;
            } else if value.is_none() {
                if t.kind == Tk::Word && t.text.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    return Err(not_a_value(line, t, letter));
                }
                value = Some(self.value(line, t)?);
                k += 1;
            } else if t.kind == Tk::Word && t.text.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return Err(line.diag(
                    t.start,
                    format!(
                        "unexpected `{}` after the value: {}",
                        t.text,
                        if letter == 'r' {
                            "not a resistor model of this netlist (`.model NAME R(...)`) nor an instance \
                             parameter"
                                .to_string()
                        } else {
                            format!(
                                "{} models and instance parameters other than IC= are not supported",
                                passive_noun(letter)
                            )
                        }
                    ),
                    Some(if letter == 'r' {
                        "a model name, name=value, or the end of the line"
                    } else {
                        "IC= or the end of the line"
                    }),
                ));
            } else {
                return Err(line.diag(
                    t.start,
                    format!("unexpected `{}`", t.text),
                    Some("IC= or the end of the line"),
                ));
            }
        }
        if letter == 'r' && (value.is_some() || res.model.is_some()) {
            let r = self.resistance(line, value, &res)?;
            return Ok((parallel(r, mult, letter), ic));
        }
        match value {
            Some(v) => Ok((parallel(self.scaled_value(v, &res), mult, letter), ic)),
            None => Err(line.diag(line.text.len(), "missing value", Some(VALUE))),
        }
    }

    /// Source specification: `[DC] value`, `DC value SHAPE(args)`, ...
    fn source(&mut self, line: &Logical, toks: &[Token<'_>]) -> Result<(Waveform<Value>, Option<Value>)> {
        let mut dc = None;
        let mut shape: Option<Waveform<Value>> = None;
        let mut pwl_opts = Vec::new();
        let mut k = 0;
        while k < toks.len() {
            let t = &toks[k];
            let mut word = t.text.to_ascii_lowercase();
            if word == "sine" {
                // KiCad and eSim write SIN as `sine`; ngspice reads both.
                word = "sin".into();
            }
            let shape_next = toks.get(k + 1).is_some_and(|n| {
                n.kind == Tk::Word && WAVEFORM_WORDS.contains(&n.text.to_ascii_lowercase().as_str())
            });
            if t.kind == Tk::Word && word == "dc" && shape_next {
                // `DC TRNOISE(...)`: a bare DC keyword gives no value, as in ngspice.
                k += 1;
            } else if t.kind == Tk::Word && word == "dc" {
                let v = self.value_at(line, toks, k + 1, "DC value")?;
                if dc.is_some() {
                    return Err(line.diag(t.start, "a second DC value", None));
                }
                dc = Some(v);
                k += 2;
            } else if t.kind == Tk::Word
                && matches!(
                    word.as_str(),
                    "pulse" | "sin" | "exp" | "pwl" | "sffm" | "am" | "trnoise" | "trrandom"
                )
            {
                if shape.is_some() {
                    return Err(line.diag(t.start, "a second waveform", Some(SHAPES)));
                }
                let (args, next) = self.shape_args(line, toks, k + 1, &word, &mut pwl_opts)?;
                k = next;
                shape = Some(self.shape(line, &word, args, t.start)?);
            } else if t.kind == Tk::Word && matches!(word.as_str(), "ac" | "distof1" | "distof2") {
                // `AC [mag [phase]]`: small-signal only, it cannot change a
                // transient result; read and set aside with a warning.
                let args = toks[k + 1..]
                    .iter()
                    .take(2)
                    .take_while(|a| {
                        a.kind == Tk::Brace || (a.kind == Tk::Word && parse_number(a.text).is_ok())
                    })
                    .count();
                self.warn(
                    line,
                    format!(
                        "`{}` specification ignored: atscale runs transient analyses, which it does not change",
                        toks[k..=k + args].iter().map(|a| a.text).collect::<Vec<_>>().join(" ")
                    ),
                );
                k += 1 + args;
            } else if t.kind == Tk::Word && matches!(word.as_str(), "external" | "pat") {
                return Err(line.diag(
                    t.start,
                    format!(
                        "`{}` waveforms are not supported by atscale's parser; run the netlist with \
                         --engine ngspice",
                        word.to_uppercase()
                    ),
                    Some(SHAPES),
                ));
            } else if waveform::is_pwl_option(toks, k) {
                // PWL `r=` / `td=`; checked against the waveform after the loop.
                pwl_opts.push(self.pwl_option(line, toks, k)?);
                k += 3;
            } else if dc.is_none() && shape.is_none() && matches!(t.kind, Tk::Word | Tk::Brace | Tk::Quote) {
                let call = toks.get(k + 1).is_some_and(|x| x.kind == Tk::LParen);
                let v = self.value(line, t).map_err(|e| {
                    if t.kind != Tk::Word {
                        return e;
                    }
                    let what = if call {
                        format!(
                            "`{}(...)` is not a waveform: an expression goes in braces, {{{}(...)}}",
                            t.text, t.text
                        )
                    } else {
                        format!("`{}` is not a source value or waveform", t.text)
                    };
                    line.diag(t.start, what, Some("a value, DC, PULSE, SIN, EXP or PWL"))
                })?;
                dc = Some(v);
                k += 1;
            } else {
                return Err(line.diag(
                    t.start,
                    format!("unexpected `{}`", t.text),
                    Some("a transient waveform or the end of the line"),
                ));
            }
        }
        let shape = self.with_pwl_options(line, shape, pwl_opts)?;
        match (shape, dc) {
            // SPICE adds a random source's DC value to it, in the transient too.
            (Some(mut w @ Waveform::TrNoise { .. }), dc) => {
                if let Waveform::TrNoise { offset, .. } = &mut w {
                    *offset = dc.unwrap_or(Value::Num(0.0));
                }
                Ok((w, None))
            }
            (Some(Waveform::TrRandom { dist, ts, td, p1, p2, seed, .. }), dc) => Ok((
                Waveform::TrRandom { offset: dc.unwrap_or(Value::Num(0.0)), dist, ts, td, p1, p2, seed },
                None,
            )),
            (Some(w), dc) => Ok((w, dc)),
            (None, Some(v)) => Ok((Waveform::Dc { value: v }, None)),
            (None, None) => {
                // As ngspice: a source without a value is DC 0 (`V1 a 0 AC 1`).
                self.warn(
                    line,
                    "the source has no DC value or waveform: DC 0 assumed, as ngspice does".into(),
                );
                Ok((Waveform::Dc { value: Value::Num(0.0) }, None))
            }
        }
    }
}

const VALUE: &str = "a number (such as 1k or 2.5e-3) or an expression in braces";

impl Parser {
    /// A `.tran` card whose times are expressions of the top-level parameters.
    fn tran_with_params(&self, line: &Logical) -> Result<Tran> {
        let circuit = &self.circuit;
        read_tran(line, &mut |t| match t.kind {
            Tk::Brace | Tk::Quote => {
                let e = self.inner_expr(line, t)?;
                circuit
                    .eval_global(&e)
                    .map_err(|err| line.diag(t.start, format!("cannot evaluate `{}`: {}", t.text, err), None))
            }
            _ => number(line, t),
        })
    }
}

/// Reads a `.tran tstep tstop [tstart [tmax]] [uic]` card of numbers: the
/// one `.tran` reader, used by the parser and by [`Deck::tran`]. Times in
/// braces need the netlist's parameters: the parser reads them
/// (`Parser::tran_with_params`), a bare deck cannot.
pub(crate) fn tran_card(line: &Logical) -> Result<Tran> {
    read_tran(line, &mut |t| {
        match t.kind {
        Tk::Word => number(line, t),
        _ => Err(line.diag(
            t.start,
            "`.tran` times in braces are read with the netlist's parameters, which atscale could not read here",
            Some("numbers"),
        )),
    }
    })
}

fn read_tran(line: &Logical, value: &mut dyn FnMut(&Token<'_>) -> Result<f64>) -> Result<Tran> {
    let toks = tokenize(line)?;
    let mut nums = Vec::new();
    let mut uic = false;
    for t in toks.iter().skip(1) {
        if t.is_word("uic") {
            uic = true;
        } else if uic {
            return Err(line.diag(
                t.start,
                format!("unexpected `{}` after `uic`", t.text),
                Some("the end of the line"),
            ));
        } else if nums.len() == 4 {
            return Err(line.diag(
                t.start,
                format!("unexpected `{}`", t.text),
                Some("`uic` or the end of the line"),
            ));
        } else if matches!(t.kind, Tk::Word | Tk::Brace | Tk::Quote) {
            nums.push((value(t)?, t.start));
        } else {
            return Err(line.diag(t.start, format!("unexpected `{}`", t.text), Some("a time")));
        }
    }
    if nums.len() < 2 {
        return Err(line.diag(
            line.text.len(),
            "`.tran` needs a step and a stop time",
            Some("`.tran tstep tstop [tstart [tmax]] [uic]`"),
        ));
    }
    for &(x, at) in &nums {
        if !(x.is_finite() && x >= 0.0) {
            return Err(line.diag(at, "`.tran` times must be finite and not negative", None));
        }
    }
    let tran = Tran {
        tstep_s: nums[0].0,
        tstop_s: nums[1].0,
        tstart_s: nums.get(2).map_or(0.0, |x| x.0),
        tmax_s: nums.get(3).map(|x| x.0),
        uic,
    };
    if tran.tstop_s <= tran.tstart_s {
        return Err(line.diag(nums[1].1, "`.tran` stops before it starts", Some("tstop > tstart")));
    }
    Ok(tran)
}

fn card_count_of(ann: &Ann) -> usize {
    match ann {
        Ann::Element(e) => card_count(e),
        Ann::Instance(_) => 1,
    }
}

fn plain_elements(items: &[Item]) -> Vec<Element<Value>> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::El(e) => Some((**e).clone()),
            _ => None,
        })
        .collect()
}

/// Index of the `}` matching the `{` at 0.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// `resistor`, `capacitor` or `inductor` for R, C, L.
/// A word where a value of R, C or L should be.
fn not_a_value(line: &Logical, t: &Token<'_>, letter: char) -> Error {
    let what = if letter == 'r' {
        format!(
            "`{}` is neither a value nor a resistor model of this netlist (`.model {} R(...)`)",
            t.text, t.text
        )
    } else {
        format!(
            "`{}` is not a value: {} models (`.model {} {}(...)`) are not supported",
            t.text,
            passive_noun(letter),
            t.text,
            letter.to_ascii_uppercase()
        )
    };
    line.diag(t.start, what, Some("the value itself, e.g. 10k, or {expression}"))
}

fn passive_noun(letter: char) -> &'static str {
    match letter {
        'r' => "resistor",
        'c' => "capacitor",
        _ => "inductor",
    }
}

/// The value of `m` elements in parallel (SPICE's `M=` on R, C and L): a
/// capacitance times `m`, a resistance or inductance over `m`.
fn parallel(value: Value, m: Option<Value>, letter: char) -> Value {
    let Some(m) = m else {
        return value;
    };
    match (value, m) {
        (Value::Num(x), Value::Num(m)) if letter == 'c' => Value::Num(x * m),
        (Value::Num(x), Value::Num(m)) => Value::Num(x / m),
        (x, m) => {
            let (x, m) = (scaled(x, Expr::Num(1.0)), scaled(m, Expr::Num(1.0)));
            Value::from(if letter == 'c' { x * m } else { x / m })
        }
    }
}

fn scaled(gain: Value, x: Expr) -> Expr {
    match gain {
        Value::Num(1.0) => x,
        Value::Num(g) => Expr::Num(g) * x,
        Value::Expr(e) => *e * x,
    }
}

fn node(t: &Token<'_>) -> String {
    if t.text.eq_ignore_ascii_case("gnd") {
        GROUND.to_string()
    } else {
        t.text.to_string()
    }
}

fn number(line: &Logical, t: &Token<'_>) -> Result<f64> {
    parse_number(t.text).map_err(|e| match e {
        NumberError::NoDigits => line.diag(t.start, format!("`{}` is not a number", t.text), Some(VALUE)),
        NumberError::Trailing(at) => line.diag(
            t.start + at,
            format!("`{}` is not a number: unexpected `{}`", t.text, &t.text[at..]),
            Some("a number with an optional scale suffix and unit letters (such as 10pF)"),
        ),
    })
}

fn check_ident(line: &Logical, t: &Token<'_>) -> Result<()> {
    let ok = t.text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && t.text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(line.diag(
            t.start,
            format!("`{}` is not a valid name", t.text),
            Some("a name of letters, digits and `_`"),
        ))
    }
}

/// `* Written by <generator> (<dialect> dialect).` then other comment lines.
fn header_from(comments: &[String]) -> Header {
    let mut header = Header { generator: String::new(), lines: Vec::new() };
    let mut rest = comments;
    if let Some(first) = comments.first() {
        if let Some(g) = first.strip_prefix("Written by ") {
            if let Some(k) = g.rfind(" (") {
                header.generator = g[..k].to_string();
                rest = &comments[1..];
            }
        }
    }
    header.lines = rest.to_vec();
    header
}

/// Parameters that depend on each other in a cycle are an error at the
/// first of them.
fn check_param_order(scope: &Scope, name: &str) -> Result<()> {
    match ordered_params(&scope.params, name) {
        Ok(_) => Ok(()),
        Err(Error::ParamCycle { cycle, .. }) => {
            let first = cycle.first().cloned().unwrap_or_default();
            let pos = scope.params.iter().position(|p| p.name.eq_ignore_ascii_case(&first));
            match pos.and_then(|k| scope.param_lines.get(k)) {
                Some((line, at)) => Err(line.diag(
                    *at,
                    format!("parameters depend on each other in a cycle: {}", cycle.join(" -> ")),
                    Some("parameters defined without circular references"),
                )),
                None => Err(Error::ParamCycle { scope: name.to_string(), cycle }),
            }
        }
        Err(e) => Err(e),
    }
}
