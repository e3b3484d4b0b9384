//! `.meas`/`.measure` cards: the measurements of a deck, as
//! [`atscale_circuit::Measure`]s.
//!
//! [`read_measures`] reads every `.meas tran` card of a [`Deck`] (outside
//! `.control` blocks, up to `.end`), with the netlist's parameters when the
//! netlist could be read (values in braces need them) and without them when
//! it could not (a deck only ngspice runs: its measurements are still read,
//! from these cards alone). The main parser accepts the cards and leaves
//! them to this reader, so both paths read them the same way.
//!
//! Read, in ngspice's syntax (keywords in any case, numbers with SI
//! suffixes): `TRIG sig VAL= [TD=] [RISE=|FALL=|CROSS=n|LAST] [FROM=] [TO=]
//! TARG ...` (or `TRIG AT=t`), `WHEN sig=level ...`, `FIND sig AT=t`,
//! `FIND sig WHEN sig2=level ...`, and `AVG`, `MIN`, `MAX`, `PP`, `RMS`,
//! `INTEG`, `MIN_AT`, `MAX_AT` of a signal over `FROM=`/`TO=`. Signals are
//! `v(node)`, `v(node,node)`, `i(source)` and bare node names; a level is a
//! number or a signal.
//!
//! Every other form is a warning that names it and says it is not
//! evaluated, never a guessed result: measurements of other analyses
//! (`ac`, `dc`, `sp`, ...), `DERIV` and `ERR` (ngspice 39 does not evaluate
//! them either), `PARAM`/`EXPR`, expressions as signals, unknown keywords.
//! Keywords ngspice accepts but ignores on a statistic (`TD`, `RISE`, ...)
//! are ignored too, with a warning.

use atscale_circuit::measure::{Crossing, Instant, Level, MeasureKind, Signal, Statistic, Which, Window};
use atscale_circuit::{Circuit, Expr, Measure};

use super::source::{self, tokenize, Logical, Tk, Token};
use super::Warning;
use crate::deck::Deck;
use crate::error::Error;
use crate::number::parse_number;

/// The `.meas tran` cards of `deck`, with warnings for the cards (or parts)
/// that are not evaluated. `circuit` gives the parameters for values in
/// braces, quotes or by name; without it (a deck atscale could not read) the
/// deck's top-level `.param` and `.func` cards are read alone for them, and
/// a value they cannot give is a warning.
pub fn read_measures(deck: &Deck, circuit: Option<&Circuit>) -> (Vec<Measure>, Vec<Warning>) {
    let read = source::read(deck.lines().map(|(f, n, t, shown)| (f.clone(), n, t, shown)), true);
    let lines = match read {
        Ok(r) => r.lines,
        Err(e) => return (Vec::new(), vec![unread(&e)]),
    };
    let own = match circuit {
        Some(_) => None,
        None => params_alone(deck, &lines),
    };
    let circuit = circuit.or(own.as_ref());
    let mut measures = Vec::new();
    let mut warnings = Vec::new();
    for line in lines.iter().filter(|l| !l.annotation) {
        let word = line.text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        if word == ".end" {
            break;
        }
        if word != ".meas" && word != ".measure" {
            continue;
        }
        let mut card = Card { line, circuit, notes: Vec::new() };
        let result = card.read();
        let (file, n) = line.origin();
        let warn = |message: String| Warning { file: file.clone(), line: n, message };
        warnings.extend(card.notes.drain(..).map(warn));
        match result {
            Ok(m) => measures.push(m),
            Err(why) => warnings.push(warn(why)),
        }
    }
    (measures, warnings)
}

/// The top-level parameters of a deck read from its `.param` and `.func`
/// cards alone (as ngspice, a parameter may be used before it is defined);
/// `None` when they do not read either.
fn params_alone(deck: &Deck, lines: &[Logical]) -> Option<Circuit> {
    let mut text = String::from("parameters\n");
    let mut depth = 0usize;
    for line in lines.iter().filter(|l| !l.annotation) {
        let word = line.text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        match word.as_str() {
            ".subckt" => depth += 1,
            ".ends" => depth = depth.saturating_sub(1),
            ".param" | ".params" | ".func" if depth == 0 => {
                text.push_str(&line.text);
                text.push('\n');
            }
            ".end" => break,
            _ => {}
        }
    }
    let name = deck.lines().next().map_or_else(String::new, |l| l.0.to_string());
    super::parse_str(&text, &name).ok().map(|n| n.circuit)
}

/// The warning for a deck whose lines could not be joined into cards.
fn unread(e: &Error) -> Warning {
    let (file, line) = match e {
        Error::Parse(d) => (d.file.clone(), d.line),
        _ => (String::new(), 0),
    };
    Warning { file, line, message: format!("the `.meas` cards were not read: {e}") }
}

/// One card being read.
struct Card<'a> {
    line: &'a Logical,
    circuit: Option<&'a Circuit>,
    /// Warnings about parts of the card that are ignored.
    notes: Vec<String>,
}

/// `KEY=value` settings of a clause.
#[derive(Default)]
struct Params {
    val: Option<f64>,
    td: Option<f64>,
    from: Option<f64>,
    to: Option<f64>,
    at: Option<f64>,
    which: Option<Which>,
    /// The keys given, upper case, in order.
    given: Vec<String>,
}

type Read<T> = std::result::Result<T, String>;

impl<'a> Card<'a> {
    fn read(&mut self) -> Read<Measure> {
        let toks = tokenize(self.line).map_err(|e| format!("this `.meas` card is not evaluated: {e}"))?;
        let head = |k: usize| toks.get(k).filter(|t| t.kind == Tk::Word).map(|t| t.text);
        let analysis = head(1).unwrap_or("");
        let name = head(2).unwrap_or("");
        let function = head(3).unwrap_or("");
        let what = format!("`{} {analysis} {name}`", toks[0].text);
        let not = |why: String| format!("{what} is not evaluated: {why}");
        match analysis.to_ascii_lowercase().as_str() {
            "tran" => {}
            "ac" | "dc" | "sp" | "noise" | "op" | "tf" | "pz" | "disto" | "sens" => {
                return Err(not(format!(
                    "it measures the `{analysis}` analysis; atscale runs transient analyses"
                )))
            }
            _ => {
                return Err(format!(
                "`{}` is not evaluated: the analysis (`tran`) must come before the result name, as ngspice \
                     requires",
                self.line.text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            ))
            }
        }
        if name.is_empty() || function.is_empty() {
            return Err(not("it needs a result name and a measurement (TRIG, WHEN, FIND, AVG, ...)".into()));
        }
        let rest = &toks[4..];
        let kind = self.kind(function, rest).map_err(not)?;
        Ok(Measure { name: name.to_string(), kind })
    }

    fn kind(&mut self, function: &str, rest: &[Token<'_>]) -> Read<MeasureKind> {
        let f = function.to_ascii_uppercase();
        if let Some(stat) = Statistic::from_keyword(&f) {
            return self.statistic(stat, rest);
        }
        match f.as_str() {
            "TRIG" | "DELAY" => self.delay(rest),
            "WHEN" => Ok(MeasureKind::When { when: self.when(rest)? }),
            "FIND" => self.find(rest),
            "DERIV" | "DERIVATIVE" | "ERR" | "ERR1" | "ERR2" | "ERR3" => {
                Err(format!("`{function}` measurements are not evaluated by ngspice 39 either"))
            }
            "PARAM" | "EXPR" => {
                Err(format!("`{function}` measurements (expressions of results) are not supported"))
            }
            _ => Err(format!(
                "unknown measurement `{function}` (expected TRIG, WHEN, FIND, AVG, MIN, MAX, PP, RMS, INTEG, \
                 MIN_AT or MAX_AT)"
            )),
        }
    }

    /// `TRIG clause TARG clause`.
    fn delay(&mut self, rest: &[Token<'_>]) -> Read<MeasureKind> {
        let split = rest
            .iter()
            .position(|t| t.is_word("targ"))
            .ok_or("a TRIG measurement needs a TARG clause".to_string())?;
        let (mut trig, from_trig) = self.instant(&rest[..split], "TRIG")?;
        let (mut targ, from_targ) = self.instant(&rest[split + 1..], "TARG")?;
        // As ngspice: a FROM given on one side only holds for both.
        let shared = if from_trig != 0.0 && from_targ == 0.0 {
            Some((&mut targ, from_trig))
        } else if from_targ != 0.0 && from_trig == 0.0 {
            Some((&mut trig, from_targ))
        } else {
            None
        };
        if let Some((Instant::Crossing(c), from)) = shared {
            c.window.from_s = from;
        }
        Ok(MeasureKind::Delay { trig, targ })
    }

    /// A trigger or target clause, and its `FROM` (0 when none).
    fn instant(&mut self, toks: &[Token<'_>], role: &str) -> Read<(Instant, f64)> {
        let mut k = 0;
        let signal = if starts_signal(toks) { Some(self.signal(toks, &mut k)?) } else { None };
        let p = self.params(&toks[k..], role)?;
        let from = p.from.unwrap_or(0.0);
        if let Some(at) = p.at {
            return Ok((Instant::At(at), from));
        }
        let signal = signal.ok_or(format!("the {role} clause needs a signal or AT="))?;
        let val = p.val.ok_or(format!("the {role} clause needs VAL="))?;
        let which = p.which.ok_or(format!("the {role} clause needs RISE=, FALL=, CROSS=, LAST or AT="))?;
        let window = Window { from_s: from, to_s: p.to.filter(|&t| t != 0.0) };
        let c = Crossing { signal, level: Level::Value(val), which, td_s: p.td.unwrap_or(0.0), window };
        Ok((Instant::Crossing(c), from))
    }

    /// `sig=level [TD=] [RISE=|FALL=|CROSS=] [FROM=] [TO=]`.
    fn when(&mut self, toks: &[Token<'_>]) -> Read<Crossing> {
        let mut k = 0;
        if !starts_signal(toks) {
            return Err("WHEN needs `signal=level`".into());
        }
        let signal = self.signal(toks, &mut k)?;
        if toks.get(k).map(|t| t.kind) != Some(Tk::Eq) {
            return Err(format!("WHEN needs `{signal}=level`"));
        }
        k += 1;
        let level = match toks.get(k) {
            Some(t) if t.kind == Tk::Word && parse_number(t.text).is_ok() => {
                k += 1;
                Level::Value(self.number(t)?)
            }
            Some(t) if matches!(t.kind, Tk::Brace | Tk::Quote) => {
                k += 1;
                Level::Value(self.number(t)?)
            }
            // As ngspice: a parameter's name is its value.
            Some(t) if t.kind == Tk::Word && self.is_param(t.text) && !starts_call(&toks[k..]) => {
                k += 1;
                Level::Value(self.number(t)?)
            }
            Some(_) if starts_signal(&toks[k..]) => Level::Signal(self.signal(toks, &mut k)?),
            _ => return Err(format!("WHEN needs `{signal}=level` with a number or a signal")),
        };
        let p = self.params(&toks[k..], "WHEN")?;
        if p.val.is_some() || p.at.is_some() {
            return Err("VAL= and AT= do not belong in a WHEN clause".into());
        }
        let window = Window { from_s: p.from.unwrap_or(0.0), to_s: p.to.filter(|&t| t != 0.0) };
        Ok(Crossing {
            signal,
            level,
            which: p.which.unwrap_or(Which::First),
            td_s: p.td.unwrap_or(0.0),
            window,
        })
    }

    /// `FIND sig AT=t` or `FIND sig WHEN ...`.
    fn find(&mut self, toks: &[Token<'_>]) -> Read<MeasureKind> {
        let mut k = 0;
        if !starts_signal(toks) {
            return Err("FIND needs a signal".into());
        }
        let signal = self.signal(toks, &mut k)?;
        match toks.get(k) {
            Some(t) if t.is_word("when") => {
                Ok(MeasureKind::FindWhen { signal, when: self.when(&toks[k + 1..])? })
            }
            Some(t) if t.is_word("at") => {
                let p = self.params(&toks[k..], "FIND")?;
                if p.given.len() > 1 {
                    self.notes.push(format!(
                        "{} ignored after FIND ... AT=, as ngspice ignores them",
                        p.given[1..].join(", ")
                    ));
                }
                Ok(MeasureKind::FindAt { signal, at_s: p.at.unwrap_or(0.0) })
            }
            _ => Err(format!("FIND {signal} needs AT=time or WHEN")),
        }
    }

    /// `AVG|MIN|... sig [FROM=] [TO=]`.
    fn statistic(&mut self, stat: Statistic, toks: &[Token<'_>]) -> Read<MeasureKind> {
        let mut k = 0;
        if !starts_signal(toks) {
            return Err(format!("{} needs a signal", stat.keyword()));
        }
        let signal = self.signal(toks, &mut k)?;
        let p = self.params(&toks[k..], stat.keyword())?;
        let ignored: Vec<&str> =
            p.given.iter().map(String::as_str).filter(|g| !matches!(*g, "FROM" | "TO")).collect();
        if !ignored.is_empty() {
            self.notes.push(format!(
                "{} ignored on {} (only FROM and TO count), as ngspice ignores them",
                ignored.join(", "),
                stat.keyword()
            ));
        }
        let window = Window { from_s: p.from.unwrap_or(0.0), to_s: p.to.filter(|&t| t != 0.0) };
        Ok(MeasureKind::Statistic { stat, signal, window })
    }

    /// A signal at `toks[*k]`: `v(a)`, `v(a,b)`, `i(x)` or a bare node name.
    fn signal(&self, toks: &[Token<'_>], k: &mut usize) -> Read<Signal> {
        let Some(t) = toks.get(*k) else { return Err("a signal is missing".into()) };
        let call = toks.get(*k + 1).map(|x| x.kind) == Some(Tk::LParen);
        if t.kind != Tk::Word {
            return Err(format!("`{}`: expressions are not supported as measured signals", t.text));
        }
        if !call {
            *k += 1;
            return Ok(Signal::Voltage { node: node(t.text), reference: None });
        }
        let close = toks[*k..].iter().position(|x| x.kind == Tk::RParen).map(|p| *k + p);
        let Some(close) = close else { return Err(format!("`{}(` is not closed", t.text)) };
        let text = &self.line.text[t.start..toks[close].end];
        let args: Vec<&str> = toks[*k + 2..close]
            .iter()
            .filter(|x| x.kind != Tk::Comma)
            .map(|x| if x.kind == Tk::Word { Some(x.text) } else { None })
            .collect::<Option<_>>()
            .ok_or_else(|| format!("`{text}`: expressions are not supported as measured signals"))?;
        let signal = match (t.text.to_ascii_lowercase().as_str(), args.as_slice()) {
            ("v", [a]) => Signal::Voltage { node: node(a), reference: None },
            ("v", [a, b]) => {
                let b = node(b);
                Signal::Voltage { node: node(a), reference: (b != "0").then_some(b) }
            }
            ("i", [x]) => Signal::Current { element: x.to_string() },
            _ => {
                return Err(format!(
                "`{text}` is not a signal atscale measures (v(node), v(node,node), i(source) or a node name)"
            ))
            }
        };
        *k = close + 1;
        Ok(signal)
    }

    /// `KEY=value ...` and `LAST` up to the end of `toks`.
    fn params(&mut self, toks: &[Token<'_>], role: &str) -> Read<Params> {
        let mut p = Params::default();
        let mut k = 0;
        while k < toks.len() {
            let key = &toks[k];
            let upper = key.text.to_ascii_uppercase();
            if key.is_word("last") {
                p.which = Some(Which::LastCross);
                p.given.push(upper);
                k += 1;
                continue;
            }
            let value = match (key.kind, toks.get(k + 1).map(|t| t.kind), toks.get(k + 2)) {
                (Tk::Word, Some(Tk::Eq), Some(v)) => v,
                _ => {
                    return Err(format!(
                        "unexpected `{}` in the {role} clause (expected KEY=value)",
                        key.text
                    ))
                }
            };
            k += 3;
            let last = value.is_word("last");
            match upper.as_str() {
                "RISE" | "FALL" | "CROSS" => p.which = Some(self.which(&upper, value, last)?),
                _ if last => return Err(format!("`{}=LAST`: LAST belongs to RISE, FALL or CROSS", key.text)),
                "VAL" => p.val = Some(self.number(value)?),
                "TD" => p.td = Some(self.number(value)?),
                "FROM" => p.from = Some(self.number(value)?),
                "TO" => p.to = Some(self.number(value)?),
                "AT" => p.at = Some(self.number(value)?),
                _ => return Err(format!("unknown keyword `{}` in the {role} clause", key.text)),
            }
            p.given.push(upper);
        }
        Ok(p)
    }

    /// `RISE=n`, `FALL=LAST`, ...
    fn which(&self, key: &str, value: &Token<'_>, last: bool) -> Read<Which> {
        if last {
            return Ok(match key {
                "RISE" => Which::LastRise,
                "FALL" => Which::LastFall,
                _ => Which::LastCross,
            });
        }
        // ngspice rounds to the nearest whole number.
        let x = (self.number(value)? + 0.5).floor();
        if !(x >= 1.0 && x <= f64::from(u32::MAX)) {
            return Err(format!("{key}={} must be a whole number from 1, or LAST", value.text));
        }
        let n = x as u32;
        Ok(match key {
            "RISE" => Which::Rise(n),
            "FALL" => Which::Fall(n),
            _ => Which::Cross(n),
        })
    }

    /// Whether `name` is one of the netlist's top-level parameters.
    fn is_param(&self, name: &str) -> bool {
        self.circuit.is_some_and(|c| c.params.iter().any(|p| p.name.eq_ignore_ascii_case(name)))
    }

    /// An expression over the netlist's parameters (`shown` as written).
    fn expr(&self, text: &str, shown: &str) -> Read<f64> {
        let circuit = self
            .circuit
            .ok_or(format!("`{shown}` needs the netlist's parameters, which atscale could not read"))?;
        let e = Expr::parse(text).map_err(|e| format!("`{shown}`: {e}"))?;
        circuit.eval_global(&e).map_err(|e| format!("cannot evaluate `{shown}`: {e}"))
    }

    /// A number, a parameter, or an expression in braces or quotes over the
    /// netlist's parameters.
    fn number(&self, t: &Token<'_>) -> Read<f64> {
        let x = match t.kind {
            Tk::Word => match parse_number(t.text) {
                Ok(x) => x,
                Err(_) if self.is_param(t.text) => self.expr(t.text, t.text)?,
                Err(_) => return Err(format!("`{}` is not a number or a parameter", t.text)),
            },
            Tk::Brace | Tk::Quote => self.expr(t.inner(), t.text)?,
            _ => return Err(format!("`{}` is not a number", t.text)),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("`{}` is not finite", t.text))
        }
    }
}

/// Whether `toks` starts with a signal (a word that is not a keyword, or a call).
fn starts_signal(toks: &[Token<'_>]) -> bool {
    match toks.first() {
        Some(t) if t.kind == Tk::Word => {
            toks.get(1).map(|x| x.kind) == Some(Tk::LParen)
                || !(toks.get(1).map(|x| x.kind) == Some(Tk::Eq) && is_keyword(t.text)
                    || ["when", "targ", "last", "at"].iter().any(|w| t.is_word(w)))
        }
        _ => false,
    }
}

/// Whether `toks` starts with `name(`.
fn starts_call(toks: &[Token<'_>]) -> bool {
    toks.get(1).map(|x| x.kind) == Some(Tk::LParen)
}

fn is_keyword(w: &str) -> bool {
    ["val", "td", "rise", "fall", "cross", "from", "to", "at"].iter().any(|k| w.eq_ignore_ascii_case(k))
}

/// A node name, `gnd` as ground `0`.
fn node(name: &str) -> String {
    if name.eq_ignore_ascii_case("gnd") {
        "0".into()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    //! The cards of ngspice's manual (chapter 15.4, `.meas`), read into the
    //! forms they name; the other forms named in warnings.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::deck::DeckLimits;

    fn read(body: &str, params: bool) -> (Vec<Measure>, Vec<Warning>) {
        let text = format!(
            "title\n.param half=0.5\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u\n.tran 1u 1m\n{body}\n.end\n"
        );
        let deck = Deck::from_text(&text, "t.cir", None, &DeckLimits::default()).unwrap();
        let circuit = crate::parse::parse_deck(&deck).unwrap().circuit;
        read_measures(&deck, params.then_some(&circuit))
    }

    fn one(card: &str) -> MeasureKind {
        let (m, w) = read(card, true);
        assert!(w.is_empty(), "{card}: {w:?}");
        assert_eq!(m.len(), 1, "{card}");
        m.into_iter().next().unwrap().kind
    }

    fn v(n: &str) -> Signal {
        Signal::Voltage { node: n.into(), reference: None }
    }

    fn cross(signal: Signal, level: f64, which: Which) -> Crossing {
        Crossing { signal, level: Level::Value(level), which, td_s: 0.0, window: Window::default() }
    }

    #[test]
    fn trig_targ() {
        let k = one(".meas tran tdelay TRIG v(in) VAL=0.5 RISE=1 TARG v(out) VAL=0.5 RISE=1");
        let want = MeasureKind::Delay {
            trig: Instant::Crossing(cross(v("in"), 0.5, Which::Rise(1))),
            targ: Instant::Crossing(cross(v("out"), 0.5, Which::Rise(1))),
        };
        assert_eq!(k, want);
        // TD, FALL=LAST, a FROM on one side holding for both, TRIG AT=.
        let k =
            one(".measure TRAN t2 trig v(in) val=0.2 td=1u fall=last from=2u targ v(out) val=0.8 cross=2");
        let MeasureKind::Delay { trig: Instant::Crossing(a), targ: Instant::Crossing(b) } = k else {
            panic!()
        };
        assert_eq!((a.td_s, a.which, a.window.from_s), (1e-6, Which::LastFall, 2e-6));
        assert_eq!((b.which, b.window.from_s), (Which::Cross(2), 2e-6));
        let k = one(".meas tran t3 TRIG AT=10u TARG v(out) VAL={half} FALL=1");
        let MeasureKind::Delay { trig, targ: Instant::Crossing(b) } = k else { panic!() };
        assert_eq!(trig, Instant::At(1e-5));
        assert_eq!(b.level, Level::Value(0.5));
    }

    #[test]
    fn when_and_find() {
        assert_eq!(
            one(".meas tran t WHEN v(out)=0.3 FALL=2 TD=1m"),
            MeasureKind::When { when: Crossing { td_s: 1e-3, ..cross(v("out"), 0.3, Which::Fall(2)) } }
        );
        let k = one(".meas tran t when out=v(in) cross=LAST");
        let want = Crossing { level: Level::Signal(v("in")), ..cross(v("out"), 0.0, Which::LastCross) };
        assert_eq!(k, MeasureKind::When { when: want });
        assert_eq!(
            one(".meas tran x FIND v(out) AT=2m"),
            MeasureKind::FindAt { signal: v("out"), at_s: 2e-3 }
        );
        let k = one(".meas tran x FIND i(V1) WHEN v(in,out)=0.5 LAST");
        let diff = Signal::Voltage { node: "in".into(), reference: Some("out".into()) };
        let want = MeasureKind::FindWhen {
            signal: Signal::Current { element: "V1".into() },
            when: cross(diff, 0.5, Which::LastCross),
        };
        assert_eq!(k, want);
    }

    #[test]
    fn statistics() {
        let k = one(".meas tran a AVG v(out) FROM=1m TO=6m");
        let window = Window { from_s: 1e-3, to_s: Some(6e-3) };
        assert_eq!(k, MeasureKind::Statistic { stat: Statistic::Avg, signal: v("out"), window });
        for (word, stat) in [("min_at", Statistic::MinAt), ("PP", Statistic::Pp), ("integ", Statistic::Integ)]
        {
            // TO=0 is no end, as in ngspice; `gnd` is ground.
            let k = one(&format!(".meas tran a {word} v(out,gnd) to=0"));
            let want = MeasureKind::Statistic { stat, signal: v("out"), window: Window::default() };
            assert_eq!(k, want, "{word}");
        }
        // Keywords ngspice ignores on a statistic: read, ignored, said.
        let (m, w) = read(".meas tran a MAX v(out) TD=1m FROM=2m", true);
        assert_eq!(m.len(), 1);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("TD ignored on MAX"), "{}", w[0]);
    }

    #[test]
    fn unsupported_forms_are_named_with_their_line() {
        let cases = [
            (".meas ac bw WHEN vdb(out)=-3 FALL=1", "measures the `ac` analysis"),
            (".meas tran d DERIV v(out) AT=1m", "not evaluated by ngspice 39 either"),
            (".meas tran p PARAM='a*2'", "`PARAM` measurements"),
            (".meas tran e FIND par('v(out)*2') AT=1m", "expressions are not supported"),
            (".meas tran e FIND vm(out) AT=1m", "`vm(out)` is not a signal"),
            (".meas tran e AVG v(out) WEIGHT=2", "unknown keyword `WEIGHT`"),
            (".meas tran e TRIG v(in) VAL=0.5 TARG v(out) VAL=0.5 RISE=1", "TRIG clause needs RISE="),
            (".meas tran e WHEN v(out)=0.5 RISE=0", "RISE=0 must be a whole number from 1"),
            (".meas tdelay TRIG v(in) VAL=0.5 RISE=1", "the analysis (`tran`) must come before"),
            (".meas tran e FIND v(out)", "needs AT=time or WHEN"),
        ];
        for (card, why) in cases {
            let (m, w) = read(card, true);
            assert!(m.is_empty(), "{card}: {m:?}");
            assert_eq!(w.len(), 1, "{card}: {w:?}");
            assert_eq!((w[0].file.as_str(), w[0].line), ("t.cir", 7), "{card}");
            assert!(w[0].message.contains(why), "{card}: {}", w[0].message);
        }
    }

    #[test]
    fn parameters_by_name_and_without_the_netlist() {
        // As ngspice, a parameter's name stands for its value.
        let k = one(".meas tran t WHEN v(out)=half FROM=half TO={2*half}");
        let want = Crossing {
            window: Window { from_s: 0.5, to_s: Some(1.0) },
            ..cross(v("out"), 0.5, Which::First)
        };
        assert_eq!(k, MeasureKind::When { when: want });
        // Without the netlist, its `.param` cards are read alone; what they
        // cannot give is named.
        let (m, w) = read(".meas tran t WHEN v(out)={half} RISE=1\n.meas tran u WHEN v(out)={nope}", false);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, MeasureKind::When { when: cross(v("out"), 0.5, Which::Rise(1)) });
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].message.contains("cannot evaluate `{nope}`"), "{}", w[0]);
    }

    #[test]
    fn continuation_lines_and_control_blocks() {
        let (m, w) =
            read(".meas tran t WHEN v(out)=0.5\n+ RISE=2\n.control\nmeas tran x WHEN v(out)=1\n.endc", true);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, MeasureKind::When { when: cross(v("out"), 0.5, Which::Rise(2)) });
    }

    /// Words a `.meas` card is made of, right and wrong.
    const VOCABULARY: [&str; 40] = [
        "TRIG",
        "TARG",
        "WHEN",
        "FIND",
        "AT=0.3",
        "AT",
        "AVG",
        "INTEG",
        "RMS",
        "PP",
        "MIN_AT",
        "MAX",
        "DERIV",
        "v(a)",
        "v(a,b)",
        "i(V1)",
        "v(",
        "(",
        ")",
        "=",
        "VAL=0.5",
        "RISE=1",
        "FALL=LAST",
        "CROSS=2",
        "LAST",
        "TD=0.1",
        "FROM=0.2",
        "TO=0.8",
        "TO=0",
        "{half}",
        "'half*2'",
        "0.5",
        "half",
        "par('x')",
        "b",
        ",",
        "1e308",
        "-1",
        "RISE=0",
        "RISE=1e12",
    ];

    /// Evaluates `m` on a sine and a ramp sampled with a repeated time and a NaN.
    fn evaluate_on_awkward_samples(m: &Measure) {
        let t = [0.0, 0.1, 0.2, 0.2, 0.5, 0.7, 1.0];
        let s: Vec<f64> = t.iter().map(|x: &f64| (6.0 * x).sin()).collect();
        let mut r: Vec<f64> = t.to_vec();
        r[4] = f64::NAN;
        let read = |sig: &Signal| match sig {
            Signal::Voltage { node, .. } if node == "a" => Some(s.clone()),
            Signal::Voltage { .. } => Some(r.clone()),
            Signal::Current { .. } => None,
        };
        let _ = atscale_sim::measure::evaluate(m, &t, &read);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 1000, ..Default::default() })]

        /// Any card of these words is read or named in a warning, never a
        /// panic; whatever is read evaluates (to a value or a named failure)
        /// on samples with a repeated time and a NaN.
        #[test]
        fn any_card_reads_and_evaluates_without_panicking(
            words in proptest::collection::vec(0..VOCABULARY.len(), 0..12),
            analysis in proptest::sample::select(vec!["tran", "ac", "TRAN", ""]),
        ) {
            let card: Vec<&str> = words.iter().map(|&k| VOCABULARY[k]).collect();
            let (measures, warnings) = read(&format!(".meas {analysis} m {}", card.join(" ")), true);
            let refused = warnings.iter().any(|w| w.message.contains("is not evaluated"));
            proptest::prop_assert!(measures.len() == 1 || refused, "{card:?}: {measures:?} {warnings:?}");
            for m in &measures {
                evaluate_on_awkward_samples(m);
            }
        }
    }
}
