//! Reading a circuit from any file a user names: an ngspice netlist
//! (`.cir`, `.sp`, `.spice`, `.net`, `.ckt`) or atscale's own circuit form
//! in JSON (`.json`) or TOML (`.toml`). Errors name the file, line and column.

use std::path::Path;

use atscale_circuit::Circuit;

use crate::error::{Error, Result};

/// The netlist extensions read as SPICE.
const NETLIST: [&str; 5] = ["cir", "sp", "spice", "net", "ckt"];

/// A circuit file read, with its reading remarks (a file read as Latin-1).
#[derive(Debug, Clone)]
pub struct CircuitFile {
    /// The circuit as written.
    pub circuit: Circuit,
    /// Remarks, as sentences naming the place.
    pub warnings: Vec<String>,
}

/// Reads the circuit in `path` by its extension.
///
/// # Errors
///
/// [`Error::Input`] when the file may not be read; [`Error::Parse`] or
/// [`Error::CircuitFile`] naming the place of a syntax or schema error, or an
/// unknown extension.
pub fn read_circuit(path: &Path) -> Result<CircuitFile> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if NETLIST.contains(&ext.as_str()) {
        let netlist = crate::parse_file(path)?;
        let warnings = netlist.warnings.iter().map(ToString::to_string).collect();
        return Ok(CircuitFile { circuit: netlist.circuit, warnings });
    }
    let place = |line: usize, column: usize, message: String| Error::CircuitFile {
        file: path.display().to_string(),
        line,
        column,
        message,
    };
    if ext != "json" && ext != "toml" {
        return Err(place(
            0,
            0,
            format!(
                "unknown circuit file type `.{ext}`; atscale reads circuits as .json, .toml or SPICE netlists \
                 (.cir, .sp, .spice, .net, .ckt)"
            ),
        ));
    }
    let rules = atscale_files::InputRules::named(atscale_files::DEFAULT_MAX_INPUT_BYTES);
    let input =
        atscale_files::read_input(path, "the circuit file", &rules).map_err(|e| Error::Input(Box::new(e)))?;
    let warnings: Vec<String> = input
        .latin1
        .map(|line| format!("{}:{line}: not UTF-8 (first at this line); read as Latin-1", path.display()))
        .into_iter()
        .collect();
    let text = input.text;
    let circuit = if ext == "json" {
        serde_json::from_str(&text).map_err(|e| place(e.line(), e.column(), e.to_string()))?
    } else {
        toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_column(&text, s.start));
            place(line, column, e.message().to_string())
        })?
    };
    Ok(CircuitFile { circuit, warnings })
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}
