//! `.func` definitions, expanded in the text of an expression before it is
//! parsed (the expression language has built-in functions only).

use std::collections::HashMap;

/// The longest text an expansion may produce.
const MAX_EXPANDED: usize = 100_000;
/// How deeply `.func` calls may nest (a recursive `.func` hits this).
const MAX_DEPTH: usize = 32;

/// A user function: parameter names (lower case) and body text.
#[derive(Debug, Clone)]
pub(crate) struct FuncDef {
    pub params: Vec<String>,
    pub body: String,
}

/// Scoped tables of user functions (top level, then the open subcircuit).
#[derive(Debug, Default)]
pub(crate) struct Funcs {
    pub scopes: Vec<HashMap<String, FuncDef>>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Index of the `)` matching the `(` at `open`.
fn matching(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// Calls `f` on every identifier outside `v(...)` and `i(...)`; copies
/// everything else. `f` returns the replacement text and how many bytes
/// after the identifier it consumed, or `None` to keep the identifier.
/// A replacement of an identifier: the text and the bytes after it consumed.
type Replacement = Result<Option<(String, usize)>, String>;

fn map_idents(text: &str, f: &mut dyn FnMut(&str, usize) -> Replacement) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // A number's exponent or suffix letters are not identifiers.
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                // `1e-3`: keep the sign of an exponent with the number.
                if (b[i] == b'e' || b[i] == b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                i += 1;
            }
            out.push_str(&text[start..i.min(b.len())]);
            continue;
        }
        if !is_ident_start(c) {
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let ident = &text[start..i];
        let next = skip_blanks(b, i);
        if (ident.eq_ignore_ascii_case("v") || ident.eq_ignore_ascii_case("i")) && b.get(next) == Some(&b'(')
        {
            let end = matching(b, next).map_or(b.len(), |e| e + 1);
            out.push_str(&text[start..end]);
            i = end;
            continue;
        }
        match f(ident, i)? {
            Some((replacement, consumed)) => {
                out.push_str(&replacement);
                i += consumed;
            }
            None => out.push_str(ident),
        }
        if out.len() > MAX_EXPANDED {
            return Err(format!(
                "expanding `.func` calls makes the expression longer than {MAX_EXPANDED} characters"
            ));
        }
    }
    Ok(out)
}

/// Splits call arguments at top-level commas.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    if out.len() == 1 && out[0].trim().is_empty() {
        out.clear();
    }
    out
}

impl Funcs {
    fn lookup(&self, name: &str) -> Option<&FuncDef> {
        let key = name.to_ascii_lowercase();
        self.scopes.iter().rev().find_map(|s| s.get(&key))
    }

    /// Whether any user function is defined.
    pub fn is_empty(&self) -> bool {
        self.scopes.iter().all(HashMap::is_empty)
    }

    /// Expands every call of a user function in `text`.
    pub fn expand(&self, text: &str) -> Result<String, String> {
        if self.is_empty() {
            return Ok(text.to_string());
        }
        self.expand_at(text, 0)
    }

    fn expand_at(&self, text: &str, depth: usize) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "`.func` calls nest deeper than {MAX_DEPTH} levels (is a `.func` recursive?)"
            ));
        }
        let b = text.as_bytes();
        map_idents(text, &mut |ident, after| {
            let Some(def) = self.lookup(ident) else { return Ok(None) };
            let open = skip_blanks(b, after);
            if b.get(open) != Some(&b'(') {
                return Ok(None);
            }
            let close =
                matching(b, open).ok_or_else(|| format!("the call of `.func {ident}` is not closed"))?;
            let args = split_args(&text[open + 1..close]);
            if args.len() != def.params.len() {
                return Err(format!(
                    "`.func {ident}` takes {} argument{}, found {}",
                    def.params.len(),
                    if def.params.len() == 1 { "" } else { "s" },
                    args.len()
                ));
            }
            let mut expanded_args = Vec::new();
            for a in args {
                expanded_args.push(self.expand_at(a.trim(), depth + 1)?);
            }
            let body = map_idents(&def.body, &mut |name, _| {
                let key = name.to_ascii_lowercase();
                Ok(def.params.iter().position(|p| *p == key).map(|k| (format!("({})", expanded_args[k]), 0)))
            })?;
            let inner = self.expand_at(&body, depth + 1)?;
            Ok(Some((format!("({inner})"), close + 1 - after)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs(defs: &[(&str, &[&str], &str)]) -> Funcs {
        let mut m = HashMap::new();
        for (name, params, body) in defs {
            m.insert(
                name.to_string(),
                FuncDef { params: params.iter().map(|p| p.to_string()).collect(), body: body.to_string() },
            );
        }
        Funcs { scopes: vec![m] }
    }

    #[test]
    fn expands() {
        let f = funcs(&[("sq", &["x"], "x*x"), ("win", &["x", "p"], "1 - sq(2*x-1)^(2*p)"), ("k", &[], "2")]);
        assert_eq!(f.expand("sq(v(x))").unwrap(), "((v(x))*(v(x)))");
        assert_eq!(
            f.expand("win(V(a,b), 1e-3)").unwrap(),
            "(1 - ((2*(V(a,b))-1)*(2*(V(a,b))-1))^(2*(1e-3)))"
        );
        assert_eq!(f.expand("k()+1e-3+sq").unwrap(), "(2)+1e-3+sq");
        assert!(f.expand("sq(1,2)").unwrap_err().contains("takes 1 argument, found 2"));
        let r = funcs(&[("f", &["x"], "f(x)")]);
        assert!(r.expand("f(1)").unwrap_err().contains("recursive"));
        let boom = funcs(&[("a", &["x"], "x+x+x+x+x+x+x+x"), ("b", &["x"], "a(a(a(a(x))))")]);
        assert!(boom.expand("b(b(b(1)))").unwrap_err().contains("longer than"));
    }
}
