//! Injection safety: which names may be written into a netlist, and how free
//! text (titles, comments) is made harmless.
//!
//! A netlist is a line-oriented program: a newline (or a character some tool
//! treats as one) inside a name or comment would let a design start a line of
//! its own, such as `.control` followed by `shell rm -rf ~`. The writer
//! therefore
//!
//! - **rejects** names outside a small safe character set
//!   ([`SAFE_NAME_CHARS`]): element, node, model, subcircuit and parameter
//!   names, and every node, current and variable an expression reads;
//! - **replaces** every control character and Unicode line or paragraph
//!   separator in the title and in comments with a space
//!   ([`sanitize_text`]);
//! - checks its whole output once more before returning it
//!   (`check_output`).

use atscale_circuit::expr::Func;

use crate::error::{Error, Result};

/// The characters a name may contain: ASCII letters and digits, `_`, `.` and
/// `#` (never as the second character: ngspice reads `*#` as a command).
/// Nothing here can end a line, start a comment (`*`, `;`, `$`), open an
/// expression (`{`, `'`), separate fields (`=`, `(`, `,`) or be read as an
/// operator inside `v(...)`.
pub const SAFE_NAME_CHARS: &str = "A-Z a-z 0-9 _ . #";

fn safe_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '#'
}

/// Names a parameter may not take: the expression keywords and the built-in
/// function names, which ngspice would read as something else.
fn reserved_param(name: &str) -> bool {
    const WORDS: [&str; 7] = ["time", "pi", "e", "temper", "hertz", "v", "i"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(name)) || Func::from_name(name).is_some()
}

/// Checks a device, instance, model or subcircuit name.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::UnsafeName { what, name: name.into(), reason: "it is empty" });
    }
    if !name.chars().all(safe_char) {
        return Err(Error::UnsafeName {
            what,
            name: name.into(),
            reason: "names may only contain ASCII letters, digits, `_`, `.` and `#`",
        });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::UnsafeName {
            what,
            name: name.into(),
            reason: "names must start with a letter, digit or `_`",
        });
    }
    if name.chars().nth(1) == Some('#') {
        return Err(Error::UnsafeName {
            what,
            name: name.into(),
            reason: "a `#` as second character makes a card that ngspice runs as a `*#` command once it \
                     comments the card out",
        });
    }
    Ok(())
}

/// Checks an option value (`.options key=value`): the name characters and
/// `+`, `-` (for numbers such as `1e-3`).
pub(crate) fn check_option_value(value: &str) -> Result<()> {
    let ok = !value.is_empty() && value.chars().all(|c| safe_char(c) || c == '+' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::UnsafeName {
            what: "option value",
            name: value.into(),
            reason: "option values may only contain ASCII letters, digits, `_`, `.`, `#`, `+` and `-`",
        })
    }
}

/// Checks a node name.
pub(crate) fn check_node(name: &str) -> Result<()> {
    check_name("node", name)?;
    if name.eq_ignore_ascii_case("gnd") {
        return Err(Error::UnsafeName {
            what: "node",
            name: name.into(),
            reason: "ngspice treats `gnd` as ground `0`; call the node `0` or rename it",
        });
    }
    Ok(())
}

/// Checks a parameter (or expression variable) name.
pub(crate) fn check_param(name: &str) -> Result<()> {
    let ident = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(Error::UnsafeName {
            what: "parameter",
            name: name.into(),
            reason: "parameter names must be identifiers (a letter or `_`, then letters, digits or `_`)",
        });
    }
    if reserved_param(name) {
        return Err(Error::UnsafeName {
            what: "parameter",
            name: name.into(),
            reason: "it is an expression keyword or a built-in function name",
        });
    }
    Ok(())
}

/// Whether a character could end a line for some reader: ASCII and C1
/// control characters (NUL, CR, LF, VT, FF, NEL U+0085, ...) and the Unicode
/// line and paragraph separators U+2028 and U+2029.
pub fn is_line_breaking(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// Makes free text (a title or a comment) safe to write on one line: every
/// character for which [`is_line_breaking`] holds (tabs included) becomes a
/// space.
///
/// ```
/// use atscale_spice::names::sanitize_text;
/// assert_eq!(sanitize_text("a\n.control\nshell rm x"), "a .control shell rm x");
/// ```
pub fn sanitize_text(text: &str) -> String {
    text.chars().map(|c| if is_line_breaking(c) { ' ' } else { c }).collect()
}

/// The title line of a written netlist: line breaks removed, and a title
/// that ngspice could read as something other than a title (`*ng_script`
/// makes the whole file a command script; a leading `.` looks like a
/// control card to people and tools) prefixed with `title: `. An empty
/// title becomes `untitled`.
pub fn safe_title(title: &str) -> String {
    let t = sanitize_text(title);
    let trimmed = t.trim_start();
    if trimmed.is_empty() {
        "untitled".to_string()
    } else if trimmed.starts_with('*') || trimmed.starts_with('.') || trimmed.starts_with('!') {
        format!("title: {t}")
    } else {
        t
    }
}

/// The last line of defence: every line of a written netlist is free of line
/// breaking characters, and only the title line and comment lines (`*`) hold
/// free text, so no line of the output but the ones the writer made can be a
/// command.
pub(crate) fn check_output(text: &str) -> Result<()> {
    for line in text.split('\n') {
        if let Some(c) = line.chars().find(|&c| is_line_breaking(c)) {
            return Err(Error::UnsafeName {
                what: "netlist line",
                name: format!("{line:?} (character U+{:04X})", u32::from(c)),
                reason: "a line-breaking character reached the output",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("element", "R1").is_ok());
        assert!(check_name("element", "x1.n#2").is_ok());
        assert!(
            check_name("element", "b#shell").is_err(),
            "second `#` becomes `*#` when ngspice comments the card out"
        );
        assert!(check_node("n#1").is_err());
        for bad in ["", "a b", "a\nb", ".control", "a;b", "a$b", "a{b", "a=b", "a(b", "-a", "é"] {
            assert!(check_name("element", bad).is_err(), "{bad:?}");
        }
        assert!(check_node("GND").is_err());
        assert!(check_param("tau_s").is_ok());
        for bad in ["time", "exp", "Tanh", "1a", "a.b", "pi", "v"] {
            assert!(check_param(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize_text("a\r\nb\u{2028}c\u{85}d\0e\u{2029}f\tg"), "a  b c d e f g");
        assert!(check_output("title\n* ok\nR1 a b 1\n").is_ok());
        assert!(check_output("x\u{2028}y").is_err());
    }
}
