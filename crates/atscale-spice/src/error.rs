//! Errors of the netlist writer and parser.

use std::fmt;

/// Result of this crate's fallible operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a netlist could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name from the design cannot be written safely (it could start a new
    /// netlist line, a `.control` block or a shell command, or SPICE would
    /// misread it).
    #[error("cannot write the {what} name {name:?}: {reason}")]
    UnsafeName {
        /// `node`, `element`, `parameter`, `model`, `subcircuit`, ...
        what: &'static str,
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A number that no netlist can hold (NaN or infinite).
    #[error("cannot write {context}: its value {value} is not a finite number")]
    NonFinite {
        /// Where the number is (`resistance of R1`, ...).
        context: String,
        /// The value.
        value: f64,
    },
    /// Something the circuit model allows that the netlist language cannot
    /// say.
    #[error("cannot write {context} in the {dialect} dialect: {reason}")]
    Unrepresentable {
        /// What is being written.
        context: String,
        /// The dialect (`ngspice`, `Xyce`).
        dialect: &'static str,
        /// Why not.
        reason: String,
    },
    /// Global or subcircuit parameters depend on each other in a cycle, so no
    /// order of `.param` lines defines them.
    #[error("cannot order the parameters of {scope}: they depend on each other in a cycle {}", .cycle.join(" -> "))]
    ParamCycle {
        /// `the top level` or `subcircuit `name``.
        scope: String,
        /// The parameters of the cycle, first repeated at the end.
        cycle: Vec<String>,
    },
    /// A state node that the writer creates for a memristive element already
    /// names another node of the same scope.
    #[error(
        "cannot write memristive element `{element}`: its state node `{node}` \
         is already a node of {scope}; rename the element or the node"
    )]
    StateNodeClash {
        /// The memristive element.
        element: String,
        /// The state node name.
        node: String,
        /// Where.
        scope: String,
    },
    /// Two items of one scope would be written under the same card name
    /// (SPICE names compare case-insensitively, and a card letter is put in
    /// front of names that lack it: a resistor `1` is written `R1`).
    #[error(
        "{element} would be written as card `{card}`, which another element or instance of {scope} \
         already uses; rename one of them"
    )]
    CardNameClash {
        /// The element or instance.
        element: String,
        /// The card name.
        card: String,
        /// Where.
        scope: String,
    },

    /// A netlist could not be parsed: the diagnostic says where and why.
    #[error("{0}")]
    Parse(Box<Diagnostic>),
    /// A circuit file (JSON, TOML) that does not read as a circuit, or of
    /// an unknown type: the place (line and column 0: the file as a whole).
    #[error("{file}{}: {message}", if *.line > 0 { format!(":{line}:{column}") } else { String::new() })]
    CircuitFile {
        /// The file as named.
        file: String,
        /// 1-based line, 0 for the whole file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The netlist file itself could not be read, or may not be (a device,
    /// a pseudo file, too large, binary).
    #[error("{0}")]
    Input(Box<atscale_files::Error>),
    /// The deck would make ngspice run commands and that was not allowed.
    #[error(
        "the netlist would make ngspice run commands: {}; atscale does not let ngspice run a netlist's \
         commands unless you pass --allow-control (or --skip-control to set .control blocks aside and run \
         the netlist without them)",
        .routes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    ControlRefused {
        /// Every route found.
        routes: Vec<crate::deck::ControlRoute>,
    },
    /// A stop time or step was to be set in a netlist without `.tran`.
    #[error("{file} has no .tran line")]
    NoTran {
        /// The netlist.
        file: String,
    },
}

impl Error {
    /// The diagnostic, when this is a parse error.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::Parse(d) => Some(d),
            _ => None,
        }
    }
}

/// A parse error at one place of a netlist: file, line and column, the line
/// itself, what is wrong and what was expected.
///
/// Its [`Display`](fmt::Display) reads
///
/// ```text
/// rc.cir:3:8: `1x` is not a value, expected a number (such as 1k or 2.5e-3) or an expression in braces
///   3 | R1 a b 1x
///     |        ^
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given to the parser (or the path of an included file).
    pub file: String,
    /// Line number, from 1.
    pub line: usize,
    /// Column, from 1, counted in characters.
    pub column: usize,
    /// The text of the line (without its line terminator).
    pub line_text: String,
    /// What is wrong, as a phrase.
    pub message: String,
    /// What the parser expected there, when it can say.
    pub expected: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, clip(&self.message, MESSAGE_CHARS))?;
        if let Some(e) = &self.expected {
            write!(f, ", expected {e}")?;
        }
        if self.line_text.is_empty() {
            return Ok(());
        }
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        // Show control characters harmlessly; keep tabs so the caret lines up.
        let chars: Vec<char> = self
            .line_text
            .chars()
            .map(|c| if c.is_control() && c != '\t' { '\u{fffd}' } else { c })
            .collect();
        // A long line is shown as a window around the column.
        let col = self.column.saturating_sub(1).min(chars.len());
        let start = col.saturating_sub(WINDOW_CHARS / 2);
        let end = (start + WINDOW_CHARS).min(chars.len());
        let (pre, post) = (if start > 0 { "…" } else { "" }, if end < chars.len() { "…" } else { "" });
        let shown: String = chars[start..end].iter().collect();
        let lead: String = pre
            .chars()
            .map(|_| ' ')
            .chain(chars[start..col].iter().map(|&c| if c == '\t' { '\t' } else { ' ' }))
            .collect();
        write!(f, "\n  {number} | {pre}{shown}{post}\n  {pad} | {lead}^")
    }
}

/// Characters of a long line shown around the column of a diagnostic.
const WINDOW_CHARS: usize = 100;
/// Characters of a message shown (a message may quote a token of the line).
const MESSAGE_CHARS: usize = 300;

fn clip(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => std::borrow::Cow::Owned(format!("{}…", &s[..i])),
    }
}
