//! Waveform specifications of V and I cards: the arguments of each shape,
//! ngspice's PWL `r=`/`td=`, and the warnings for what ngspice 39 reads
//! differently from later versions.

use atscale_circuit::waveform::WaveformError;
use atscale_circuit::{Value, Waveform};

use super::source::{Logical, Tk, Token};
use super::Parser;
use crate::error::Result;
use crate::number::parse_number;

/// A PWL instance parameter `r=` (repeat) or `td=` (delay) as written.
pub(super) struct PwlOption {
    /// `true` for `r`, `false` for `td`.
    repeat: bool,
    value: Value,
    /// Byte offset of its name in the logical line.
    at: usize,
}

/// Whether tokens `k..` start `r =` or `td =`.
pub(super) fn is_pwl_option(toks: &[Token<'_>], k: usize) -> bool {
    toks.get(k).is_some_and(|t| t.is_word("r") || t.is_word("td"))
        && toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq)
}

impl Parser {
    /// The arguments of waveform `word` from token `k` (in parentheses or
    /// bare), with the index of the token after them. A PWL's `r=` and
    /// `td=` inside its parentheses (ngspice reads them there too) go to
    /// `opts`.
    pub(super) fn shape_args(
        &self,
        line: &Logical,
        toks: &[Token<'_>],
        k: usize,
        word: &str,
        opts: &mut Vec<PwlOption>,
    ) -> Result<(Vec<(Value, usize)>, usize)> {
        let mut args = Vec::new();
        let mut k = k;
        let paren = toks.get(k).map(|x| x.kind) == Some(Tk::LParen);
        if paren {
            k += 1;
        }
        loop {
            match toks.get(k) {
                Some(a) if a.kind == Tk::RParen && paren => {
                    k += 1;
                    break;
                }
                Some(a) if a.kind == Tk::Comma => k += 1,
                Some(a) if matches!(a.kind, Tk::Word | Tk::Brace | Tk::Quote) => {
                    if word == "pwl" && is_pwl_option(toks, k) {
                        opts.push(self.pwl_option(line, toks, k)?);
                        k += 3;
                        continue;
                    }
                    if a.kind == Tk::Word && toks.get(k + 1).map(|x| x.kind) == Some(Tk::Eq) {
                        return Err(line.diag(
                            a.start,
                            format!("{} option `{}` is not supported", word.to_uppercase(), a.text),
                            Some("plain arguments"),
                        ));
                    }
                    if a.kind == Tk::Word && !paren && parse_number(a.text).is_err() {
                        break;
                    }
                    args.push((self.value(line, a)?, a.start));
                    k += 1;
                }
                Some(_) if !paren => break,
                Some(a) => {
                    return Err(line.diag(
                        a.start,
                        format!("unexpected `{}`", a.text),
                        Some("an argument or `)`"),
                    ))
                }
                None if paren => {
                    return Err(line.diag(
                        line.text.len(),
                        format!("the {} arguments are not closed", word.to_uppercase()),
                        Some("`)`"),
                    ))
                }
                None => break,
            }
        }
        Ok((args, k))
    }

    /// `r = value` or `td = value` at token `k` (see [`is_pwl_option`]).
    pub(super) fn pwl_option(&self, line: &Logical, toks: &[Token<'_>], k: usize) -> Result<PwlOption> {
        let name = &toks[k];
        let what = if name.is_word("r") { "PWL repeat time" } else { "PWL delay" };
        let value = self.value_at(line, toks, k + 2, what)?;
        Ok(PwlOption { repeat: name.is_word("r"), value, at: name.start })
    }

    /// The waveform `word(args)` of the card on `line`, with a warning
    /// when AM or SFFM has arguments ngspice 39 does not read.
    pub(super) fn shape(
        &mut self,
        line: &Logical,
        word: &str,
        args: Vec<(Value, usize)>,
        at: usize,
    ) -> Result<Waveform<Value>> {
        if matches!(word, "am" | "sffm") && args.len() > MODULATED_ARGS {
            let later = if word == "am" {
                "AM(vo vmo vma fm fc td phasem phasec)"
            } else {
                "SFFM(vo va fc mdi fm td phasem phasec)"
            };
            let read =
                if word == "am" { "va vo mf fc td phasec phases" } else { "vo va fc mdi fs phasec phases" };
            self.warn(
                line,
                format!(
                    "{} has {} arguments; ngspice 39, which atscale follows, reads the first {MODULATED_ARGS} \
                     ({read}) and ignores the rest. The netlist may be written for ngspice 43 or later, \
                     which reads {later} and gives another waveform",
                    word.to_uppercase(),
                    args.len()
                ),
            );
        }
        waveform(line, word, args, at)
    }

    /// A PWL with its `r=`/`td=` (`opts`, the last of each name counting,
    /// as in ngspice) as a [`Waveform::PwlRepeat`]; other waveforms as they
    /// are. ngspice 39 reads `r=` and `td=` on voltage sources only.
    pub(super) fn with_pwl_options(
        &self,
        line: &Logical,
        shape: Option<Waveform<Value>>,
        opts: Vec<PwlOption>,
    ) -> Result<Option<Waveform<Value>>> {
        let Some((first_r, first_at)) = opts.first().map(|o| (o.repeat, o.at)) else {
            return Ok(shape);
        };
        if line.text.trim_start().starts_with(['i', 'I']) {
            return Err(line.diag(
                first_at,
                format!(
                    "PWL `{}=` on a current source: ngspice 39 reads `r=` and `td=` on voltage sources only \
                     (it stops with \"unknown parameter\")",
                    if first_r { "r" } else { "td" }
                ),
                Some("the repeated points written out, or a voltage source"),
            ));
        }
        let Some(Waveform::Pwl { points }) = shape else {
            return Err(line.diag(
                first_at,
                "`r=` and `td=` belong to a PWL waveform, after its points",
                Some("PWL(t1 v1 t2 v2 ...) r=... td=..."),
            ));
        };
        let (mut r, mut td) = (None, None);
        for o in opts {
            *(if o.repeat { &mut r } else { &mut td }) = Some(o.value);
        }
        let w = Waveform::PwlRepeat { points, r, td };
        check_numbers(line, &w, first_at)?;
        Ok(Some(w))
    }
}

/// [`Waveform::check`] on a waveform whose values are all numbers, the
/// problem reported at byte `at`; one with expressions is checked once
/// its parameters are known.
fn check_numbers(line: &Logical, w: &Waveform<Value>, at: usize) -> Result<()> {
    let numbers = w.try_map(&mut |v| match v {
        Value::Num(x) => Ok(*x),
        Value::Expr(_) => Err(()),
    });
    match numbers.ok().and_then(|n| n.check().err()) {
        Some(err) => Err(line.diag(at, err.to_string(), None)),
        None => Ok(()),
    }
}

/// `TRNOISE(na nt [nalpha namp [rtsam rtscapt rtsemt]])` (white, 1/f and
/// random telegraph noise) or `TRRANDOM(type ts [td [param1 [param2]]])`;
/// the offset (the source's DC value) is added by the caller.
fn random_waveform(
    line: &Logical,
    shape: &str,
    args: Vec<(Value, usize)>,
    at: usize,
) -> Result<Waveform<Value>> {
    let zero = Value::Num(0.0);
    if shape == "trnoise" {
        return trnoise(line, args);
    }
    let (kind, pos) = &args[0];
    let dist = match kind {
        Value::Num(t) => atscale_circuit::Distribution::from_type(*t),
        Value::Expr(_) => None,
    };
    let Some(dist) = dist else {
        return Err(line.diag(
            *pos,
            "TRRANDOM type must be 1 (uniform), 2 (Gaussian), 3 (exponential) or 4 (Poisson)",
            Some("1, 2, 3 or 4"),
        ));
    };
    let mut it = args.into_iter().skip(1).map(|a| a.0);
    let ts = it.next().unwrap_or(zero.clone());
    let _ = at;
    Ok(Waveform::TrRandom { offset: zero, dist, ts, td: it.next(), p1: it.next(), p2: it.next(), seed: 0 })
}

/// `TRNOISE`'s arguments in order, as the waveform's fields name them.
const TRNOISE_ARGS: [&str; 7] = ["na", "nt", "nalpha", "namp", "rtsam", "rtscapt", "rtsemt"];

/// `TRNOISE(na nt [nalpha namp [rtsam rtscapt rtsemt]])`, its numbers
/// checked here (the problem located at its argument) when none is an
/// expression.
fn trnoise(line: &Logical, args: Vec<(Value, usize)>) -> Result<Waveform<Value>> {
    let positions: Vec<usize> = args.iter().map(|a| a.1).collect();
    let mut it = args.into_iter().map(|a| a.0);
    let mut next = || it.next();
    let zero = Value::Num(0.0);
    let (na, nt) = (next().unwrap_or(zero.clone()), next().unwrap_or(zero.clone()));
    let w = Waveform::TrNoise {
        offset: zero,
        na,
        nt,
        nalpha: next(),
        namp: next(),
        rtsam: next(),
        rtscapt: next(),
        rtsemt: next(),
        seed: 0,
        flicker: Default::default(),
    };
    let numbers = w.try_map(&mut |v| match v {
        Value::Num(x) => Ok(*x),
        Value::Expr(_) => Err(()),
    });
    if let Some(err) = numbers.ok().and_then(|n| n.check().err()) {
        let field = match &err {
            WaveformError::NonFinite { field, .. } | WaveformError::Negative { field, .. } => *field,
            WaveformError::TelegraphSpikes { .. } => "rtsemt",
            _ => "na",
        };
        let k = TRNOISE_ARGS.iter().position(|f| *f == field).unwrap_or(0);
        return Err(line.diag(positions.get(k).copied().unwrap_or(0), err.to_string(), None));
    }
    Ok(w)
}

/// The transient waveforms atscale reads, for messages.
pub(super) const SHAPES: &str = "PULSE, SIN, EXP, PWL, SFFM, AM, TRNOISE or TRRANDOM";

/// How many arguments ngspice 39 reads of AM and SFFM (it accepts more and
/// ignores them).
const MODULATED_ARGS: usize = 7;

pub(super) fn waveform(
    line: &Logical,
    shape: &str,
    args: Vec<(Value, usize)>,
    at: usize,
) -> Result<Waveform<Value>> {
    let count = args.len();
    let (min, max) = match shape {
        "pulse" => (2, 8),
        "sin" => (2, 6),
        "exp" => (2, 6),
        "trnoise" => (2, 7),
        "trrandom" => (2, 5),
        // ngspice 39 reads 7 and ignores the rest (`Parser::shape` warns).
        _ => (2, usize::MAX),
    };
    if count < min || count > max {
        let expected = match shape {
            "pulse" => "PULSE(v1 v2 [td [tr [tf [pw [per [np]]]]]])",
            "sin" => "SIN(vo va [freq [td [theta [phase]]]])",
            "exp" => "EXP(v1 v2 [td1 [tau1 [td2 [tau2]]]])",
            "trnoise" => "TRNOISE(na nt [nalpha namp [rtsam rtscapt rtsemt]])",
            "trrandom" => "TRRANDOM(type ts [td [param1 [param2]]])",
            "sffm" => "SFFM(vo va [fc [mdi [fs [phasec [phases]]]]])",
            "am" => "AM(va vo [mf [fc [td [phasec [phases]]]]])",
            _ => "PWL(t1 v1 t2 v2 ...)",
        };
        let at = args.get(max).map_or(at, |a| a.1);
        return Err(line.diag(
            at,
            format!(
                "{} takes {} arguments, found {count}",
                shape.to_uppercase(),
                if max == usize::MAX { format!("at least {min}") } else { format!("{min} to {max}") }
            ),
            Some(expected),
        ));
    }
    if shape == "trnoise" || shape == "trrandom" {
        return random_waveform(line, shape, args, at);
    }
    let mut it = args.into_iter().map(|a| a.0);
    let mut next = || it.next();
    let (a, b) = match (next(), next()) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(line.diag(at, "missing arguments", None)),
    };
    Ok(match shape {
        "pulse" => Waveform::Pulse {
            v1: a,
            v2: b,
            td: next(),
            tr: next(),
            tf: next(),
            pw: next(),
            per: next(),
            np: next(),
        },
        "sin" => Waveform::Sin { vo: a, va: b, freq: next(), td: next(), theta: next(), phase: next() },
        "exp" => Waveform::Exp { v1: a, v2: b, td1: next(), tau1: next(), td2: next(), tau2: next() },
        "sffm" => Waveform::Sffm {
            vo: a,
            va: b,
            fc: next(),
            mdi: next(),
            fs: next(),
            phasec: next(),
            phases: next(),
        },
        "am" => {
            Waveform::Am { va: a, vo: b, mf: next(), fc: next(), td: next(), phasec: next(), phases: next() }
        }
        _ => {
            if !count.is_multiple_of(2) {
                return Err(line.diag(
                    at,
                    format!("PWL needs time-value pairs, found {count} numbers"),
                    Some("an even number of arguments"),
                ));
            }
            let mut points = vec![(a, b)];
            while let (Some(t), Some(v)) = (next(), next()) {
                points.push((t, v));
            }
            Waveform::Pwl { points }
        }
    })
}

#[cfg(test)]
mod tests {
    use atscale_circuit::{ElementKind, Value, Waveform};

    use crate::dialect::Ngspice;
    use crate::parse::parse_str;
    use crate::write::write_netlist;

    const DECK: &str = "\
new waveforms
.param rr=1m
V1 a 0 PWL(0 0 1m 1 2m 0) r=1m td=0.5m
V2 b 0 PWL(0 0 1m 1 2m 0 r=0)
V3 c 0 PWL 0 0 1m 1 2m 0 td=-2u r={rr}
V4 d 0 AM(0.5 2 1.8k 10k 0.2m 30 60)
V5 e 0 SFFM 0.1 2 2k 3 500
I6 0 f AM(1m 1)
I7 0 g DC 1 SFFM(0 1m 3k 2 400 0 90)
.tran 10u 4.8m
.end
";

    fn waveform(text: &str, name: &str) -> Waveform<Value> {
        let n = parse_str(text, "w.cir").unwrap_or_else(|e| panic!("{e}"));
        let e = n.circuit.elements.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name}"));
        match &e.kind {
            ElementKind::VoltageSource { waveform, .. } | ElementKind::CurrentSource { waveform, .. } => {
                waveform.clone()
            }
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn new_waveforms_are_read_with_their_arguments_in_ngspice_39s_order() {
        let n = |x: f64| Some(Value::Num(x));
        let pts = vec![
            (Value::Num(0.0), Value::Num(0.0)),
            (Value::Num(1e-3), Value::Num(1.0)),
            (Value::Num(2e-3), Value::Num(0.0)),
        ];
        assert_eq!(
            waveform(DECK, "V1"),
            Waveform::PwlRepeat { points: pts.clone(), r: n(1e-3), td: n(0.5e-3) }
        );
        assert_eq!(waveform(DECK, "V2"), Waveform::PwlRepeat { points: pts.clone(), r: n(0.0), td: None });
        let Waveform::PwlRepeat { r: Some(Value::Expr(_)), td, .. } = waveform(DECK, "V3") else {
            panic!("V3: a PWL repeating from an expression");
        };
        assert_eq!(td, n(-2e-6));
        assert_eq!(
            waveform(DECK, "V4"),
            Waveform::Am {
                va: Value::Num(0.5),
                vo: Value::Num(2.0),
                mf: n(1.8e3),
                fc: n(10e3),
                td: n(0.2e-3),
                phasec: n(30.0),
                phases: n(60.0),
            }
        );
        assert_eq!(
            waveform(DECK, "V5"),
            Waveform::Sffm {
                vo: Value::Num(0.1),
                va: Value::Num(2.0),
                fc: n(2e3),
                mdi: n(3.0),
                fs: n(500.0),
                phasec: None,
                phases: None,
            }
        );
    }

    #[test]
    fn new_waveforms_are_written_back_as_ngspice_reads_them() {
        let first = parse_str(DECK, "w.cir").unwrap_or_else(|e| panic!("{e}"));
        let text = write_netlist(&first.circuit, &first.analysis, &Ngspice, &first.header).unwrap();
        for card in [
            "PWL(0 0 0.001 1 0.002 0) r=0.001 td=0.0005",
            "PWL(0 0 0.001 1 0.002 0) r=0\n",
            "AM(0.5 2 1800 10000 0.0002 30 60)",
            "SFFM(0.1 2 2000 3 500)",
            "AM(0.001 1)",
            "DC 1 SFFM(0 0.001 3000 2 400 0 90)",
        ] {
            assert!(text.contains(card), "{card} not in\n{text}");
        }
        let again = parse_str(&text, "again.cir").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again.circuit, first.circuit, "{text}");
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }
}
