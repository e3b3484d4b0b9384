//! The scalar variables a `.control` block's `tran` command may read, so
//! the command can stand for the netlist's `.tran` when the block is set
//! aside: `.csparam name={expr}` (a parameter handed to the control
//! language) and `let name = expr` before the `tran`, substituted into
//! `$&name` arguments as parameter expressions (`tran $&deltime $&stime`
//! becomes `.tran {((stime)/100)} {(stime)}`). Nothing here runs a command:
//! the result is a `.tran` card read with the netlist's parameters.
//!
//! Only arithmetic is carried over (names, numbers with SPICE suffixes,
//! `+ - * / ( )`); a `let` of anything else (vectors, functions, strings)
//! makes every variable it defines unknown, and a `tran` reading an unknown
//! variable is not used.

use std::collections::HashMap;

/// Variables known so far, each as a parenthesised parameter expression.
#[derive(Debug, Default)]
pub(crate) struct ControlVars {
    vars: HashMap<String, Option<String>>,
}

/// Whether `text` is plain arithmetic: the only text passed on.
fn is_arithmetic(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || " \t_.+-*/()".contains(c))
}

impl ControlVars {
    /// Reads a `.csparam a={x} b=2` line outside the block.
    pub(crate) fn csparam(&mut self, line: &str) {
        let rest = line.trim_start().get(".csparam".len()..).unwrap_or("");
        for part in rest.split_whitespace() {
            if let Some((name, value)) = part.split_once('=') {
                let value = value.trim_start_matches('{').trim_end_matches('}');
                let value = value.trim_matches('\'');
                self.define(name, is_arithmetic(value).then(|| format!("({value})")));
            }
        }
    }

    /// Reads a `let name = expr` command of the block.
    pub(crate) fn let_command(&mut self, line: &str) {
        let rest = line.trim_start().get("let".len()..).unwrap_or("");
        let Some((name, expr)) = rest.split_once('=') else { return };
        let value = if is_arithmetic(expr) { self.substitute(expr.trim()) } else { None };
        self.define(name.trim(), value.map(|v| format!("({v})")));
    }

    fn define(&mut self, name: &str, value: Option<String>) {
        let name = name.trim().to_ascii_lowercase();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.vars.insert(name, value);
        }
    }

    /// `expr` with each variable replaced by its expression; `None` if it
    /// reads a name that is not a known variable (a vector of an earlier
    /// run, a function).
    fn substitute(&self, expr: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = expr;
        while let Some(c) = rest.chars().next() {
            if c.is_ascii_alphabetic() || c == '_' {
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                let word = &rest[..end];
                out.push_str(self.vars.get(&word.to_ascii_lowercase())?.as_deref()?);
                rest = &rest[end..];
            } else if c.is_ascii_digit() || c == '.' {
                // A number with its suffix (`10n`, `1e-3`): letters here are not names.
                let mut end = 0;
                let b = rest.as_bytes();
                while end < b.len()
                    && (b[end].is_ascii_alphanumeric()
                        || b[end] == b'.'
                        || (matches!(b[end], b'+' | b'-') && end > 0 && matches!(b[end - 1], b'e' | b'E')))
                {
                    end += 1;
                }
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        Some(out)
    }

    /// A `tran` command's line with every `$&name` argument replaced by
    /// `{expression}`; `None` when an argument reads an unknown variable or
    /// the line has no such argument.
    pub(crate) fn tran_line(&self, line: &str) -> Option<String> {
        if !line.contains("$&") {
            return None;
        }
        let mut words = Vec::new();
        for w in line.split_whitespace() {
            match w.strip_prefix("$&") {
                Some(name) => match self.vars.get(&name.to_ascii_lowercase()) {
                    Some(Some(v)) => words.push(format!("{{{v}}}")),
                    _ => return None,
                },
                None if w.contains('$') => return None,
                None => words.push(w.to_string()),
            }
        }
        Some(words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_and_csparams_reach_the_tran_arguments() {
        let mut v = ControlVars::default();
        v.csparam(".csparam stime={stime}");
        v.csparam(".csparam vmax={vmax}");
        v.let_command("let deltime = stime/100");
        v.let_command("let newstime = stime/1.1e0");
        assert_eq!(
            v.tran_line("tran $&deltime $&stime uic").as_deref(),
            Some("tran {((stime)/100)} {(stime)} uic")
        );
        assert_eq!(v.tran_line("tran $&newstime 10n").as_deref(), Some("tran {((stime)/1.1e0)} 10n"));
        assert_eq!(v.tran_line("tran 1n 10n"), None);
    }

    #[test]
    fn anything_but_arithmetic_leaves_the_variable_unknown() {
        let mut v = ControlVars::default();
        v.let_command("let a = vector(10)");
        v.let_command("let b = 2 ; rm -rf");
        v.let_command("let c = {1}");
        v.let_command("let d = a*2");
        v.let_command("let e = sqrt(4)");
        for name in ["a", "b", "c", "d", "e", "undefined"] {
            assert_eq!(v.tran_line(&format!("tran 1n $&{name}")), None, "{name}");
        }
        v.let_command("let a = 3");
        assert_eq!(v.tran_line("tran 1n $&a").as_deref(), Some("tran 1n {(3)}"));
    }
}
