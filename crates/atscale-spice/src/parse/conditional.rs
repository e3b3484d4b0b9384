//! Netlist conditionals: `.if (expr)`, `.elseif (expr)`, `.else`, `.endif`,
//! nested, as ngspice reads them in the circuit part of a deck: a branch's
//! cards are read when its condition, evaluated with the top-level
//! parameters defined above it, is nonzero. ngspice evaluates a
//! conditional inside a subcircuit per instance, with the instance's
//! parameters; atscale reads one there only when its condition uses
//! top-level parameters alone, and otherwise says so.

use atscale_circuit::Circuit;

use super::{Logical, Parser, Result};

/// One open `.if`.
#[derive(Debug)]
pub(super) struct Frame {
    /// The `.if` line, for "not closed" messages.
    line: Logical,
    /// Whether the branch being read is taken.
    taking: bool,
    /// Whether an earlier branch was taken (later ones are skipped).
    done: bool,
    /// Whether the enclosing branches are all taken.
    outer: bool,
    /// Whether `.else` was seen (no `.elseif`/`.else` may follow).
    in_else: bool,
}

/// The conditional keyword a line starts with, and the text after it.
fn keyword(text: &str) -> Option<(&'static str, &str)> {
    let t = text.trim_start();
    let lower = t.get(..7.min(t.len()))?.to_ascii_lowercase();
    for kw in [".elseif", ".endif", ".else", ".if"] {
        if lower.starts_with(kw)
            && !t[kw.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            return Some((kw, &t[kw.len()..]));
        }
    }
    None
}

impl Parser {
    /// Whether cards are being read (every open branch is taken).
    pub(super) fn reading(&self) -> bool {
        self.conds.last().is_none_or(|f| f.taking && f.outer)
    }

    /// Handles `line` if it is a conditional card; `Ok(true)` when it was.
    pub(super) fn conditional(&mut self, line: &Logical) -> Result<bool> {
        let Some((kw, rest)) = keyword(&line.text) else { return Ok(false) };
        let at = line.text.len() - rest.len();
        match kw {
            ".if" => {
                let outer = self.reading();
                let taking = outer && self.condition(line, rest, at)?;
                self.conds.push(Frame { line: line.clone(), taking, done: taking, outer, in_else: false });
            }
            ".elseif" | ".else" => {
                let Some(f) = self.conds.last() else {
                    return Err(line.diag(
                        0,
                        format!("`{kw}` without `.if`"),
                        Some("`.if (condition)` first"),
                    ));
                };
                if f.in_else {
                    return Err(line.diag(0, format!("`{kw}` after `.else`"), Some("`.endif`")));
                }
                let open = f.outer && !f.done;
                let taking = open && (kw == ".else" || self.condition(line, rest, at)?);
                if let Some(f) = self.conds.last_mut() {
                    f.taking = taking;
                    f.done |= taking;
                    f.in_else = kw == ".else";
                }
            }
            _ => {
                if self.conds.pop().is_none() {
                    return Err(line.diag(0, "`.endif` without `.if`", None));
                }
            }
        }
        Ok(true)
    }

    /// An error for a conditional still open at the end of the deck.
    pub(super) fn unclosed_conditional(&self) -> Result<()> {
        match self.conds.last() {
            Some(f) => Err(f.line.diag(0, "`.if` is not closed", Some("`.endif`"))),
            None => Ok(()),
        }
    }

    /// The value of a `.if`/`.elseif` condition: nonzero is true.
    fn condition(&self, line: &Logical, text: &str, at: usize) -> Result<bool> {
        let lead = text.len() - text.trim_start().len();
        let text = text.trim();
        if text.is_empty() {
            return Err(line.diag(at, "a condition is missing", Some("`(expression)`")));
        }
        let e = self.expr(line, text, at + lead)?;
        if let Some(sub) = &self.sub {
            let local = e
                .variables()
                .into_iter()
                .find(|v| sub.scope.params.iter().any(|p| p.name.eq_ignore_ascii_case(v)));
            if let Some(name) = local {
                return Err(line.diag(
                    at + lead,
                    format!(
                        "this condition reads `{name}`, a parameter of subcircuit `{}`: ngspice decides it per \
                         instance, which atscale does not",
                        sub.name
                    ),
                    Some("a condition on top-level parameters, or --engine ngspice"),
                ));
            }
        }
        let globals = Circuit { params: self.top.params.clone(), ..Circuit::default() };
        let v = globals.eval_global(&e).map_err(|err| {
            line.diag(at + lead, format!("cannot evaluate the condition `{text}`: {err}"), None)
        })?;
        Ok(v != 0.0)
    }
}
