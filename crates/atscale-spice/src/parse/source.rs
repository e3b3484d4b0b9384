//! Physical lines to logical lines: comments, `+` continuations, `.control`
//! blocks; and positions for diagnostics.

use std::sync::Arc;

use crate::error::{Diagnostic, Error};
use crate::write::ANNOTATION_PREFIX;

/// One physical line of a file.
#[derive(Debug)]
pub(crate) struct Phys {
    pub file: Arc<str>,
    /// From 1.
    pub line: usize,
    pub text: String,
    /// Whether the line may be shown in messages (its file looks like a netlist).
    pub shown: bool,
}

/// A piece of a logical line taken from one physical line.
#[derive(Debug, Clone)]
struct Seg {
    /// Byte offset in the logical text where the piece starts.
    start: usize,
    phys: Arc<Phys>,
    /// Byte offset in the physical text where the piece starts.
    col: usize,
}

/// A logical line: a card with its continuations joined, inline comments
/// removed.
#[derive(Debug, Clone)]
pub(crate) struct Logical {
    pub text: String,
    segs: Vec<Seg>,
    /// A `*@atscale` comment line.
    pub annotation: bool,
}

impl Logical {
    /// The diagnostic for a problem at byte `at` of the logical text.
    pub fn diag(&self, at: usize, message: impl Into<String>, expected: Option<&str>) -> Error {
        let seg = self.segs.iter().rev().find(|s| s.start <= at).or(self.segs.first());
        if let Some(s) = seg.filter(|s| !s.phys.shown) {
            // A line of a file that does not look like a netlist: where, but
            // neither the line nor anything quoted from it.
            return Error::Parse(Box::new(Diagnostic {
                file: s.phys.file.to_string(),
                line: s.phys.line,
                column: 1,
                line_text: String::new(),
                message: HIDDEN_LINE.to_string(),
                expected: None,
            }));
        }
        let (file, line, line_text, column) = match seg {
            Some(s) => {
                let mut b = s.col + (at - s.start.min(at));
                b = b.min(s.phys.text.len());
                while !s.phys.text.is_char_boundary(b) {
                    b -= 1;
                }
                (
                    s.phys.file.to_string(),
                    s.phys.line,
                    s.phys.text.clone(),
                    s.phys.text[..b].chars().count() + 1,
                )
            }
            None => (String::new(), 0, String::new(), 1),
        };
        Error::Parse(Box::new(Diagnostic {
            file,
            line,
            column,
            line_text,
            message: message.into(),
            expected: expected.map(str::to_string),
        }))
    }

    /// A logical line of one physical line (no continuation).
    pub fn single(file: Arc<str>, line: usize, raw: &str, shown: bool) -> Logical {
        let trimmed = raw.trim_start();
        let phys = Arc::new(Phys { file, line, text: raw.to_string(), shown });
        Logical {
            text: trimmed.trim_end().to_string(),
            segs: vec![Seg { start: 0, phys, col: raw.len() - trimmed.len() }],
            annotation: false,
        }
    }

    /// File and line of the start, for warnings.
    pub fn origin(&self) -> (String, usize) {
        match self.segs.first() {
            Some(s) => (s.phys.file.to_string(), s.phys.line),
            None => (String::new(), 0),
        }
    }
}

/// The message for any problem on a line of a file whose lines are not shown.
pub(crate) const HIDDEN_LINE: &str =
    "this line of an included file is not netlist text (the file does not look like a netlist, so its lines are not shown)";

/// A `.control` ... `.endc` block, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlBlock {
    /// File it is in.
    pub file: String,
    /// Line of `.control`, from 1.
    pub line: usize,
    /// The lines between `.control` and `.endc`, joined with `\n`.
    pub text: String,
}

/// What reading a file's text gives.
pub(crate) struct Read {
    pub title: Option<String>,
    /// Comment lines right after the title (top file only), without `*`.
    pub leading_comments: Vec<String>,
    pub lines: Vec<Logical>,
    pub control_blocks: Vec<ControlBlock>,
}

fn first_word_lower(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
}

/// Removes an inline comment: from `;`, or from `$` at the start or after
/// a blank.
fn strip_inline(s: &str) -> &str {
    let mut prev_blank = true;
    for (k, c) in s.char_indices() {
        if c == ';' || (c == '$' && prev_blank) {
            return &s[..k];
        }
        prev_blank = c == ' ' || c == '\t';
    }
    s
}

/// Joins physical lines (file, line number, text) into logical lines. With
/// `title`, the first line is the title.
pub(crate) fn read<'a>(
    lines: impl IntoIterator<Item = (Arc<str>, usize, &'a str, bool)>,
    title: bool,
) -> Result<Read, Error> {
    let mut out =
        Read { title: None, leading_comments: Vec::new(), lines: Vec::new(), control_blocks: Vec::new() };
    let mut control: Option<(Arc<Phys>, Vec<String>)> = None;
    let mut in_leading = title;
    for (k, (file, line, raw, shown)) in lines.into_iter().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let phys = Arc::new(Phys { file, line, text: raw.to_string(), shown });
        if k == 0 && title {
            out.title = Some(raw.to_string());
            continue;
        }
        let trimmed = raw.trim_start();
        let word = first_word_lower(trimmed);
        if let Some((_, body)) = &mut control {
            if word == ".endc" {
                if let Some((start, body)) = control.take() {
                    out.control_blocks.push(ControlBlock {
                        file: start.file.to_string(),
                        line: start.line,
                        text: body.join("\n"),
                    });
                }
            } else {
                body.push(raw.to_string());
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('*') {
            if trimmed.starts_with(ANNOTATION_PREFIX) {
                in_leading = false;
                let col = raw.len() - trimmed.len();
                out.lines.push(Logical {
                    text: trimmed.trim_end().to_string(),
                    segs: vec![Seg { start: 0, phys, col }],
                    annotation: true,
                });
            } else if in_leading {
                let c = trimmed.strip_prefix('*').unwrap_or(trimmed);
                out.leading_comments.push(c.strip_prefix(' ').unwrap_or(c).to_string());
            }
            continue;
        }
        in_leading = false;
        if word == ".control" {
            control = Some((phys, Vec::new()));
            continue;
        }
        if word == ".endc" {
            let col = raw.len() - trimmed.len();
            let l = Logical {
                text: trimmed.to_string(),
                segs: vec![Seg { start: 0, phys, col }],
                annotation: false,
            };
            return Err(l.diag(0, "`.endc` without a `.control` before it", Some("a card")));
        }
        let col = raw.len() - trimmed.len();
        // A bare `)` line closes a multi-line `.model (...)` without a `+`:
        // ngspice reads it as a continuation.
        let closes_model = strip_inline(trimmed).trim() == ")"
            && out
                .lines
                .last()
                .is_some_and(|l| l.text.get(..6).is_some_and(|w| w.eq_ignore_ascii_case(".model")));
        let continued = match trimmed.strip_prefix('+') {
            Some(rest) => Some((rest, col + 1)),
            None => closes_model.then_some((trimmed, col)),
        };
        if let Some((rest, body_col)) = continued {
            let body = strip_inline(rest);
            match out.lines.last_mut().filter(|l| {
                !l.annotation && l.segs.last().is_some_and(|g| Arc::ptr_eq(&g.phys.file, &phys.file))
            }) {
                Some(prev) => {
                    prev.text.push(' ');
                    let start = prev.text.len();
                    prev.text.push_str(body);
                    let trimmed_len = prev.text.trim_end().len();
                    prev.text.truncate(trimmed_len);
                    prev.segs.push(Seg { start, phys, col: body_col });
                }
                None => {
                    let l = Logical {
                        text: trimmed.to_string(),
                        segs: vec![Seg { start: 0, phys, col }],
                        annotation: false,
                    };
                    return Err(l.diag(
                        0,
                        "a `+` continuation line with no card before it to continue",
                        Some("a card"),
                    ));
                }
            }
            continue;
        }
        let body = strip_inline(trimmed).trim_end();
        if body.is_empty() {
            continue;
        }
        out.lines.push(Logical {
            text: body.to_string(),
            segs: vec![Seg { start: 0, phys, col }],
            annotation: false,
        });
    }
    if let Some((start, _)) = control {
        let l = Logical {
            text: start.text.trim_start().to_string(),
            segs: vec![Seg {
                start: 0,
                phys: start.clone(),
                col: start.text.len() - start.text.trim_start().len(),
            }],
            annotation: false,
        };
        return Err(l.diag(
            0,
            "this `.control` block is not closed",
            Some("`.endc` before the end of the file"),
        ));
    }
    Ok(out)
}

/// A token of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tk {
    /// A run of characters other than blanks and `=(),{}'"`.
    Word,
    /// `{...}`, braces included.
    Brace,
    /// `'...'` or `"..."`, quotes included.
    Quote,
    Eq,
    LParen,
    RParen,
    Comma,
}

/// A token with its byte span in the logical text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub kind: Tk,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

impl<'a> Token<'a> {
    /// The text inside braces or quotes.
    pub fn inner(&self) -> &'a str {
        match self.kind {
            Tk::Brace | Tk::Quote if self.text.len() >= 2 => &self.text[1..self.text.len() - 1],
            _ => self.text,
        }
    }

    pub fn is_word(&self, w: &str) -> bool {
        self.kind == Tk::Word && self.text.eq_ignore_ascii_case(w)
    }
}

/// Splits a logical line into tokens.
pub(crate) fn tokenize(line: &Logical) -> Result<Vec<Token<'_>>, Error> {
    let s = line.text.as_str();
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            continue;
        }
        let start = i;
        let kind = match c {
            b'=' => {
                i += 1;
                Tk::Eq
            }
            b'(' => {
                i += 1;
                Tk::LParen
            }
            b')' => {
                i += 1;
                Tk::RParen
            }
            b',' => {
                i += 1;
                Tk::Comma
            }
            b'{' => {
                let mut depth = 0usize;
                loop {
                    match b.get(i) {
                        Some(b'{') => depth += 1,
                        Some(b'}') => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => {}
                        None => return Err(line.diag(start, "this `{` is not closed", Some("`}`"))),
                    }
                    i += 1;
                }
                Tk::Brace
            }
            b'}' => return Err(line.diag(start, "a `}` with no `{` before it", Some("a value"))),
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += 1;
                }
                if i >= b.len() {
                    return Err(line.diag(
                        start,
                        "this quote is not closed",
                        Some(if c == b'"' { "`\"`" } else { "`'`" }),
                    ));
                }
                i += 1;
                Tk::Quote
            }
            _ => {
                while i < b.len()
                    && !matches!(
                        b[i],
                        b' ' | b'\t' | b'\r' | b'=' | b'(' | b')' | b',' | b'{' | b'}' | b'\'' | b'"'
                    )
                {
                    i += 1;
                }
                Tk::Word
            }
        };
        out.push(Token { kind, text: &s[start..i], start, end: i });
    }
    Ok(out)
}
