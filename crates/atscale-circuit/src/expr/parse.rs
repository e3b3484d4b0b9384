//! Lexer and recursive-descent parser following ngspice's B-source grammar
//! (`inpptree-parser.y`) and lexer (`PTlex` in `inpptree.c`, numbers as
//! `INPevaluate` reads them).

use super::{BinaryOp, Constant, Expr, Func, UnaryOp};

/// How deeply parentheses, function arguments, ternary branches and prefix
/// operators may nest in parsed text.
pub const MAX_NESTING: usize = 200;
/// The largest tree depth a parsed expression may have.
pub const MAX_DEPTH: usize = 1000;
/// The most tokens an expression may have (numbers, names, operators): a
/// million-term sum takes about 60 MB parsed, and no netlist needs more.
pub const MAX_TOKENS: usize = 2_000_000;
/// A left-associative chain of one precedence level with more operands than
/// this is held flat ([`Expr::Chain`]), so that a sum of many terms is not
/// as deep as it is long.
pub const CHAIN_MIN: usize = 32;

/// A syntax error. `offset()` is the byte offset of the problem in the text
/// given to [`Expr::parse`]; the message gives it as a 1-based column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// Something else was expected here.
    #[error("column {}: expected {expected}, found {found}", .offset + 1)]
    Expected {
        /// Byte offset.
        offset: usize,
        /// What would have been accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A parenthesis was not closed.
    #[error("column {}: expected `)` to close `{opener}` opened at column {}, found {found}", .offset + 1, .open_offset + 1)]
    Unclosed {
        /// Byte offset where `)` was expected.
        offset: usize,
        /// The opening text, e.g. `(` or `tanh(`.
        opener: String,
        /// Byte offset of the opener.
        open_offset: usize,
        /// What was found instead.
        found: String,
    },
    /// A call of a function that does not exist.
    #[error("column {}: unknown function `{name}`", .offset + 1)]
    UnknownFunction {
        /// Byte offset of the name.
        offset: usize,
        /// The name as written.
        name: String,
    },
    /// A call with the wrong number of arguments.
    #[error("column {}: `{name}` takes {expected} argument{}, found {found}", .offset + 1, if *.expected == 1 { "" } else { "s" })]
    ArgCount {
        /// Byte offset of the function name.
        offset: usize,
        /// The function.
        name: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// A character that is not part of the language.
    #[error("column {}: unexpected character `{ch}`{hint}", .offset + 1)]
    BadChar {
        /// Byte offset.
        offset: usize,
        /// The character.
        ch: char,
        /// A suggestion, possibly empty.
        hint: &'static str,
    },
    /// The expression has more than [`MAX_TOKENS`] tokens.
    #[error("column {}: the expression has more than {limit} tokens", .offset + 1)]
    TooLong {
        /// Byte offset where the limit was reached.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// The expression nests deeper than [`MAX_NESTING`] or [`MAX_DEPTH`].
    #[error("column {}: expression nested deeper than {limit} levels", .offset + 1)]
    TooDeep {
        /// Byte offset where the limit was reached.
        offset: usize,
        /// The limit.
        limit: usize,
    },
}

impl ExprError {
    /// Byte offset of the problem in the parsed text (0-based; messages say
    /// "column" for offset + 1).
    pub fn offset(&self) -> usize {
        match self {
            ExprError::Expected { offset, .. }
            | ExprError::Unclosed { offset, .. }
            | ExprError::UnknownFunction { offset, .. }
            | ExprError::ArgCount { offset, .. }
            | ExprError::BadChar { offset, .. }
            | ExprError::TooDeep { offset, .. }
            | ExprError::TooLong { offset, .. } => *offset,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Num(f64),
    Ident(&'a str),
    Voltage(&'a str, Option<&'a str>),
    Current(&'a str),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Question,
    Colon,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Characters of a node or device name inside `v(...)`/`i(...)`: anything
/// but whitespace, `,`, `(` and `)` (ngspice's `%[^ \t,()]`).
fn is_name_byte(b: u8) -> bool {
    !is_space(b) && !matches!(b, b',' | b'(' | b')')
}

fn describe_at(src: &str, pos: usize) -> String {
    match src.get(pos..).and_then(|s| s.chars().next()) {
        Some(c) => format!("`{c}`"),
        None => "end of input".to_string(),
    }
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn peek_byte(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn skip_space(&mut self) {
        while self.peek_byte(0).is_some_and(is_space) {
            self.i += 1;
        }
    }

    fn digits(&mut self) -> &'a str {
        let start = self.i;
        while self.peek_byte(0).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        &self.src[start..self.i]
    }

    /// A number as `INPevaluate` reads it: digits with an optional point,
    /// an optional exponent (`e`/`d`, sign, digits), an optional scale
    /// suffix (`f p n u m k meg g t mil`, any case) and any further letters,
    /// which are ignored (`10pF`).
    fn number(&mut self) -> Result<f64, ExprError> {
        let start = self.i;
        let int = self.digits();
        let frac = if self.peek_byte(0) == Some(b'.') {
            self.i += 1;
            self.digits()
        } else {
            ""
        };
        if int.is_empty() && frac.is_empty() {
            return Err(ExprError::BadChar { offset: start, ch: '.', hint: " (a number needs a digit)" });
        }
        let mut exp: i64 = 0;
        if matches!(self.peek_byte(0), Some(b'e' | b'E' | b'd' | b'D')) {
            let (sign, skip) = match self.peek_byte(1) {
                Some(b'-') => (-1, 2),
                Some(b'+') => (1, 2),
                _ => (1, 1),
            };
            if self.peek_byte(skip).is_some_and(|c| c.is_ascii_digit()) {
                self.i += skip;
                let e = self.digits();
                // Saturate: anything beyond 10^±100000 is 0 or inf anyway.
                let mag = e.parse::<i64>().unwrap_or(i64::MAX).min(100_000);
                exp = sign * mag;
            }
        }
        let rest = &self.b[self.i..];
        let starts = |p: &str| rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        let mut mil = false;
        let scale = if starts("meg") {
            6
        } else if starts("mil") {
            mil = true;
            -6
        } else {
            match rest.first().map(u8::to_ascii_lowercase) {
                Some(b'f') => -15,
                Some(b'p') => -12,
                Some(b'n') => -9,
                Some(b'u') => -6,
                Some(b'm') => -3,
                Some(b'k') => 3,
                Some(b'g') => 9,
                Some(b't') => 12,
                _ => 0,
            }
        };
        while self.peek_byte(0).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let int = if int.is_empty() { "0" } else { int };
        let value = if mil {
            // x mil = x * 25.4e-6 = (x * 254) e-7, computed on the digits so
            // that the result is rounded once.
            let digits = times_254(&format!("{int}{frac}"));
            decimal(&digits, "", exp - 7 - frac.len() as i64)
        } else {
            decimal(int, frac, exp + scale)
        };
        Ok(value)
    }

    fn ident(&mut self) -> &'a str {
        let start = self.i;
        while self.peek_byte(0).is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.') {
            self.i += 1;
        }
        &self.src[start..self.i]
    }

    fn name(&mut self, what: &str) -> Result<&'a str, ExprError> {
        let start = self.i;
        while self.peek_byte(0).is_some_and(is_name_byte) {
            self.i += 1;
        }
        if self.i == start {
            return Err(ExprError::Expected {
                offset: start,
                expected: what.to_string(),
                found: describe_at(self.src, start),
            });
        }
        Ok(&self.src[start..self.i])
    }

    /// After `v`/`i` at `start` and a `(` at the current position: the
    /// names and the closing parenthesis.
    fn probe(&mut self, start: usize, voltage: bool) -> Result<Tok<'a>, ExprError> {
        self.i += 1; // '('
        self.skip_space();
        let what = if voltage { "a node name" } else { "a device name" };
        let a = self.name(what)?;
        self.skip_space();
        let mut b = None;
        if voltage && self.peek_byte(0) == Some(b',') {
            self.i += 1;
            self.skip_space();
            b = Some(self.name(what)?);
            self.skip_space();
        }
        if self.peek_byte(0) != Some(b')') {
            return Err(ExprError::Unclosed {
                offset: self.i,
                opener: format!("{}(", &self.src[start..start + 1]),
                open_offset: start,
                found: describe_at(self.src, self.i),
            });
        }
        self.i += 1;
        Ok(if voltage { Tok::Voltage(a, b) } else { Tok::Current(a) })
    }

    fn next(&mut self) -> Result<Token<'a>, ExprError> {
        self.skip_space();
        let start = self.i;
        let Some(c) = self.peek_byte(0) else {
            return Ok(Token { tok: Tok::Eof, start, end: start });
        };
        let next = self.peek_byte(1);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b',' => (Tok::Comma, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'/' => (Tok::Slash, 1),
            b'^' => (Tok::Caret, 1),
            b'?' => (Tok::Question, 1),
            b':' => (Tok::Colon, 1),
            b'*' if next == Some(b'*') => (Tok::Caret, 2),
            b'*' => (Tok::Star, 1),
            b'<' if next == Some(b'>') => (Tok::Ne, 2),
            b'<' if next == Some(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if next == Some(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'=' if next == Some(b'=') => (Tok::EqEq, 2),
            b'!' if next == Some(b'=') => (Tok::Ne, 2),
            b'!' => (Tok::Bang, 1),
            b'&' if next == Some(b'&') => (Tok::AndAnd, 2),
            b'|' if next == Some(b'|') => (Tok::OrOr, 2),
            b'=' | b'&' | b'|' => {
                let hint = match c {
                    b'=' => " (compare with `==`)",
                    b'&' => " (logical and is `&&`)",
                    _ => " (logical or is `||`)",
                };
                return Err(ExprError::BadChar { offset: start, ch: char::from(c), hint });
            }
            b'0'..=b'9' | b'.' => {
                let tok = Tok::Num(self.number()?);
                return Ok(Token { tok, start, end: self.i });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.ident();
                let after = self.i;
                if name.eq_ignore_ascii_case("v") || name.eq_ignore_ascii_case("i") {
                    self.skip_space();
                    if self.peek_byte(0) == Some(b'(') {
                        let tok = self.probe(start, name.eq_ignore_ascii_case("v"))?;
                        return Ok(Token { tok, start, end: self.i });
                    }
                    self.i = after;
                }
                return Ok(Token { tok: Tok::Ident(name), start, end: self.i });
            }
            _ => {
                let ch = self.src.get(start..).and_then(|s| s.chars().next()).unwrap_or('\u{fffd}');
                let hint = match ch {
                    '{' | '}' | '\'' | '"' => " (give the expression without its braces or quotes)",
                    _ => "",
                };
                return Err(ExprError::BadChar { offset: start, ch, hint });
            }
        };
        self.i += len;
        Ok(Token { tok, start, end: self.i })
    }
}

/// The decimal `int.frac × 10^exp`, correctly rounded.
fn decimal(int: &str, frac: &str, exp: i64) -> f64 {
    format!("{int}.{frac}0e{exp}").parse::<f64>().unwrap_or(f64::NAN)
}

/// A string of decimal digits times 254.
fn times_254(digits: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(digits.len() + 3);
    let mut carry = 0u32;
    for d in digits.bytes().rev() {
        let t = u32::from(d - b'0') * 254 + carry;
        out.push(b'0' + (t % 10) as u8);
        carry = t / 10;
    }
    while carry > 0 {
        out.push(b'0' + (carry % 10) as u8);
        carry /= 10;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn lex(src: &str) -> Result<Vec<Token<'_>>, ExprError> {
    let mut lx = Lexer { src, b: src.as_bytes(), i: 0 };
    let mut out = Vec::new();
    loop {
        let t = lx.next()?;
        out.push(t);
        if t.tok == Tok::Eof {
            return Ok(out);
        }
        if out.len() > MAX_TOKENS {
            return Err(ExprError::TooLong { offset: t.start, limit: MAX_TOKENS });
        }
    }
}

/// An expression with its tree depth.
type P = (Expr, usize);

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token<'a>>,
    pos: usize,
    nesting: usize,
    eof: Token<'a>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Token<'a> {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> Token<'a> {
        self.toks.get(self.pos + k).copied().unwrap_or(self.eof)
    }

    fn advance(&mut self) {
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
    }

    fn describe(&self, t: Token<'_>) -> String {
        let text = self.src.get(t.start..t.end).unwrap_or("");
        match t.tok {
            Tok::Eof => "end of input".to_string(),
            Tok::Num(_) => format!("number `{text}`"),
            _ => format!("`{text}`"),
        }
    }

    fn expected(&self, what: &str, t: Token<'_>) -> ExprError {
        ExprError::Expected { offset: t.start, expected: what.to_string(), found: self.describe(t) }
    }

    fn node(&self, e: Expr, depth: usize, at: usize) -> Result<P, ExprError> {
        if depth > MAX_DEPTH {
            Err(ExprError::TooDeep { offset: at, limit: MAX_DEPTH })
        } else {
            Ok((e, depth))
        }
    }

    /// Runs `f` one nesting level deeper.
    fn nested(
        &mut self,
        at: usize,
        f: impl FnOnce(&mut Self) -> Result<P, ExprError>,
    ) -> Result<P, ExprError> {
        if self.nesting >= MAX_NESTING {
            return Err(ExprError::TooDeep { offset: at, limit: MAX_NESTING });
        }
        self.nesting += 1;
        let r = f(self);
        self.nesting -= 1;
        r
    }

    /// `exp '?' exp ':' exp`, right-associative, loosest of all.
    fn ternary(&mut self) -> Result<P, ExprError> {
        let at = self.peek().start;
        self.nested(at, |p| {
            let (c, dc) = p.binary(1)?;
            let q = p.peek();
            if q.tok != Tok::Question {
                return Ok((c, dc));
            }
            p.advance();
            let (t, dt) = p.ternary()?;
            let colon = p.peek();
            if colon.tok != Tok::Colon {
                return Err(p.expected(&format!("`:` to complete the `?` at column {}", q.start + 1), colon));
            }
            p.advance();
            let (e, de) = p.ternary()?;
            let depth = 1 + dc.max(dt).max(de);
            p.node(Expr::Ternary(Box::new(c), Box::new(t), Box::new(e)), depth, q.start)
        })
    }

    /// Left-associative binary operators of `level` (1 = `||` ... 6 = `*`).
    fn binary(&mut self, level: u8) -> Result<P, ExprError> {
        if level > 6 {
            return self.unary();
        }
        let (first, d0) = self.binary(level + 1)?;
        let mut terms: Vec<(BinaryOp, Expr, usize, usize)> = Vec::new();
        loop {
            let t = self.peek();
            let op = match (level, t.tok) {
                (1, Tok::OrOr) => BinaryOp::Or,
                (2, Tok::AndAnd) => BinaryOp::And,
                (3, Tok::EqEq) => BinaryOp::Eq,
                (3, Tok::Ne) => BinaryOp::Ne,
                (4, Tok::Lt) => BinaryOp::Lt,
                (4, Tok::Le) => BinaryOp::Le,
                (4, Tok::Gt) => BinaryOp::Gt,
                (4, Tok::Ge) => BinaryOp::Ge,
                (5, Tok::Plus) => BinaryOp::Add,
                (5, Tok::Minus) => BinaryOp::Sub,
                (6, Tok::Star) => BinaryOp::Mul,
                (6, Tok::Slash) => BinaryOp::Div,
                _ => break,
            };
            self.advance();
            let (rhs, dr) = self.binary(level + 1)?;
            terms.push((op, rhs, dr, t.start));
        }
        if terms.len() + 1 > CHAIN_MIN {
            // Held flat: as deep as its deepest operand, plus one.
            let deepest = terms.iter().fold(d0, |d, t| d.max(t.2));
            let at = terms.first().map_or(0, |t| t.3);
            let rest = terms.into_iter().map(|(op, e, _, _)| (op, e)).collect();
            return self.node(Expr::Chain(Box::new(first), rest), deepest + 1, at);
        }
        let (mut lhs, mut d) = (first, d0);
        for (op, rhs, dr, at) in terms {
            (lhs, d) = self.node(Expr::binary(op, lhs, rhs), 1 + d.max(dr), at)?;
        }
        Ok((lhs, d))
    }

    /// Prefix `-`, `+`, `!` (binding looser than `^`). A literal directly
    /// after `-` and not followed by `^` becomes a negative number.
    fn unary(&mut self) -> Result<P, ExprError> {
        let t = self.peek();
        let op = match t.tok {
            Tok::Minus => UnaryOp::Neg,
            Tok::Bang => UnaryOp::Not,
            Tok::Plus => {
                self.advance();
                return self.nested(t.start, Self::unary);
            }
            _ => return self.power(),
        };
        self.advance();
        if op == UnaryOp::Neg {
            if let Tok::Num(x) = self.peek().tok {
                if self.peek_at(1).tok != Tok::Caret {
                    self.advance();
                    return Ok((Expr::Num(-x), 1));
                }
            }
        }
        let (a, d) = self.nested(t.start, Self::unary)?;
        self.node(Expr::unary(op, a), d + 1, t.start)
    }

    /// `atom ('^' rhs)*`, left-associative; the right operand may carry
    /// prefix operators, which then take in the `^` chain after them
    /// (`2^-3^2` is `2^(-(3^2))`), as ngspice's grammar does.
    fn power(&mut self) -> Result<P, ExprError> {
        let (mut lhs, mut d) = self.atom()?;
        while self.peek().tok == Tok::Caret {
            let t = self.peek();
            self.advance();
            let (rhs, dr) = match self.peek().tok {
                Tok::Minus | Tok::Plus | Tok::Bang => self.unary()?,
                _ => self.atom()?,
            };
            (lhs, d) = self.node(Expr::binary(BinaryOp::Pow, lhs, rhs), 1 + d.max(dr), t.start)?;
        }
        Ok((lhs, d))
    }

    fn atom(&mut self) -> Result<P, ExprError> {
        let t = self.peek();
        match t.tok {
            Tok::Num(x) => {
                self.advance();
                Ok((Expr::Num(x), 1))
            }
            Tok::Voltage(a, b) => {
                self.advance();
                Ok((Expr::Voltage(a.to_string(), b.map(str::to_string)), 1))
            }
            Tok::Current(n) => {
                self.advance();
                Ok((Expr::Current(n.to_string()), 1))
            }
            Tok::Ident(name) => {
                self.advance();
                if self.peek().tok == Tok::LParen {
                    return self.call(name, t.start);
                }
                let e = if name.eq_ignore_ascii_case("time") {
                    Expr::Time
                } else if name.eq_ignore_ascii_case("pi") {
                    Expr::Const(Constant::Pi)
                } else if name.eq_ignore_ascii_case("e") {
                    Expr::Const(Constant::E)
                } else {
                    Expr::Var(name.to_string())
                };
                Ok((e, 1))
            }
            Tok::LParen => {
                self.advance();
                let inner = self.ternary()?;
                let close = self.peek();
                if close.tok != Tok::RParen {
                    return Err(ExprError::Unclosed {
                        offset: close.start,
                        opener: "(".to_string(),
                        open_offset: t.start,
                        found: self.describe(close),
                    });
                }
                self.advance();
                Ok(inner)
            }
            _ => Err(self.expected("an expression", t)),
        }
    }

    /// `name '(' args ')'`, the name at `at` and the `(` next.
    fn call(&mut self, name: &str, at: usize) -> Result<P, ExprError> {
        let func = Func::from_name(name)
            .ok_or_else(|| ExprError::UnknownFunction { offset: at, name: name.to_string() })?;
        self.advance(); // '('
        let mut args = Vec::with_capacity(func.arity());
        let mut depth = 0;
        if self.peek().tok != Tok::RParen {
            loop {
                let (a, d) = self.ternary()?;
                args.push(a);
                depth = depth.max(d);
                if self.peek().tok != Tok::Comma {
                    break;
                }
                self.advance();
            }
        }
        let close = self.peek();
        if close.tok != Tok::RParen {
            return Err(ExprError::Unclosed {
                offset: close.start,
                opener: format!("{name}("),
                open_offset: at,
                found: self.describe(close),
            });
        }
        self.advance();
        if !func.takes(args.len()) {
            return Err(ExprError::ArgCount {
                offset: at,
                name: func.name(),
                expected: func.arity(),
                found: args.len(),
            });
        }
        self.node(Expr::Call(func, args), depth + 1, at)
    }
}

/// Parses a whole expression.
pub(crate) fn parse(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src)?;
    let eof = Token { tok: Tok::Eof, start: src.len(), end: src.len() };
    let mut p = Parser { src, toks, pos: 0, nesting: 0, eof };
    let (e, _) = p.ternary()?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(p.expected("an operator or the end of the expression", t));
    }
    Ok(e)
}
