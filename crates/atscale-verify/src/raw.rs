//! Reader for SPICE3/ngspice raw files (binary and ASCII, real and complex).
//!
//! A raw file is a sequence of plots. Each plot is a text header of `Key: value`
//! lines (`Title`, `Date`, `Command` (ngspice 42+), `Plotname`, `Flags`,
//! `No. Variables`, `No. Points`, `Variables:` followed by one line per variable)
//! and then either `Binary:` (point-major little-endian `f64`, every value of a
//! complex plot stored as `(re, im)`) or `Values:` (ASCII: point index, then one
//! value per variable, `re,im` for complex plots).
//!
//! Robustness rules, all tested:
//! - Unknown header keys are ignored; extra `Flags` tokens are kept in
//!   [`Plot::flags`]; extra tokens on variable lines (`grid=3`) are ignored.
//! - `No. Points: 0` (an aborted `-b -r` run) means "as many complete points as
//!   the data holds": the count is inferred from the data length.
//! - Fewer points than declared gives a plot with the complete points only and
//!   [`Plot::truncated`] set; it is not an error.
//! - Arbitrary bytes never panic (property test).
//!
//! Columns are looked up by name, case-insensitively, with the ngspice aliases
//! `x` = `v(x)` and `i(x)` = `x#branch` ([`Plot::find`]), and VACASK's
//! `i(x)` = `x:flow(br)` (VACASK names node voltages by the node alone).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A complex value of an AC plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// Magnitude `sqrt(re² + im²)`.
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
}

/// One variable (column) of a plot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// 0-based column index.
    pub index: usize,
    /// Name as written by the simulator, e.g. `time`, `v(x0.n1)`, `i(l.x0.l1)`.
    pub name: String,
    /// Kind as written by the simulator: `time`, `voltage`, `current`, `frequency`, ...
    pub kind: String,
}

/// Column data of a plot, column-major (one vector per variable).
#[derive(Debug, Clone, PartialEq)]
pub enum Columns {
    /// Real plot (`Flags: real`).
    Real(Vec<Vec<f64>>),
    /// Complex plot (`Flags: complex`).
    Complex(Vec<Vec<Complex>>),
}

/// Whether the data section was binary or ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `Binary:` section.
    Binary,
    /// `Values:` section.
    Ascii,
}

/// One plot (one analysis or one `write`) of a raw file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// `Title:` line (the netlist title, lower-cased by ngspice).
    pub title: String,
    /// `Date:` line.
    pub date: String,
    /// `Command:` line of ngspice 42+, if present.
    pub command: Option<String>,
    /// `Plotname:`, e.g. `Transient Analysis`, `AC Analysis`, `Operating Point`.
    pub plotname: String,
    /// All `Flags:` tokens (`real`/`complex` plus any extra ones).
    pub flags: Vec<String>,
    /// Variables in column order.
    pub variables: Vec<Variable>,
    /// `No. Points` as declared in the header (0 after an aborted run).
    pub declared_points: usize,
    /// Fewer complete points were present than declared.
    pub truncated: bool,
    /// Data section encoding.
    pub encoding: Encoding,
    /// The data, one column per variable.
    pub columns: Columns,
}

/// A parsed raw file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFile {
    /// Plots in file order.
    pub plots: Vec<Plot>,
}

impl RawFile {
    /// Reads and parses a raw file from disk.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "read the raw file",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&bytes, path)
    }

    /// Parses raw-file bytes; `path` is only used in error messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let mut plots = Vec::new();
        let mut pos = 0usize;
        let mut line_no = 0usize;
        loop {
            // Skip blank lines between plots.
            while pos < bytes.len() && matches!(bytes[pos], b'\n' | b'\r' | b' ' | b'\t') {
                if bytes[pos] == b'\n' {
                    line_no += 1;
                }
                pos += 1;
            }
            if pos >= bytes.len() {
                break;
            }
            let (plot, next, lines) = parse_plot(bytes, pos, line_no, path)?;
            plots.push(plot);
            line_no += lines;
            if next <= pos {
                break;
            }
            pos = next;
        }
        if plots.is_empty() {
            return Err(Error::RawEmpty { path: path.to_path_buf(), len: bytes.len() });
        }
        Ok(Self { plots })
    }

    /// The first plot whose `Plotname` contains `Transient` (case-insensitive).
    pub fn transient(&self) -> Option<&Plot> {
        self.plots.iter().find(|p| p.is_transient())
    }
}

impl Plot {
    /// Number of complete points held.
    pub fn len(&self) -> usize {
        match &self.columns {
            Columns::Real(c) => c.first().map_or(0, Vec::len),
            Columns::Complex(c) => c.first().map_or(0, Vec::len),
        }
    }

    /// Whether the plot holds no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is a complex plot.
    pub fn is_complex(&self) -> bool {
        matches!(self.columns, Columns::Complex(_))
    }

    /// Whether this is a transient analysis plot.
    pub fn is_transient(&self) -> bool {
        self.plotname.to_ascii_lowercase().contains("transient")
    }

    /// Variable names in column order.
    pub fn names(&self) -> Vec<String> {
        self.variables.iter().map(|v| v.name.clone()).collect()
    }

    /// Column index of a signal, case-insensitively, with ngspice's aliases:
    /// `x1.n2` finds `v(x1.n2)` and the reverse, `i(v1)` finds `v1#branch` (or
    /// VACASK's `v1:flow(br)`) and the reverse.
    pub fn find(&self, name: &str) -> Option<usize> {
        let want = name.trim().to_ascii_lowercase();
        let exact = |n: &str| self.variables.iter().position(|v| v.name.eq_ignore_ascii_case(n));
        if let Some(i) = exact(&want) {
            return Some(i);
        }
        let inner =
            |prefix: &str| want.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')).map(str::to_string);
        if let Some(node) = inner("v(") {
            return exact(&node);
        }
        if let Some(dev) = inner("i(") {
            // ngspice's `v1#branch`, VACASK's `v1:flow(br)`.
            return exact(&format!("{dev}#branch")).or_else(|| exact(&format!("{dev}:flow(br)")));
        }
        if let Some(dev) = want.strip_suffix("#branch") {
            return exact(&format!("i({dev})"));
        }
        exact(&format!("v({want})"))
    }

    fn missing(&self, name: &str) -> Error {
        Error::MissingSignal { name: name.to_string(), plot: self.plotname.clone(), available: self.names() }
    }

    /// A real column by name (see [`Plot::find`]). Fails on a complex plot.
    pub fn real(&self, name: &str) -> Result<&[f64]> {
        match (&self.columns, self.find(name)) {
            (Columns::Real(c), Some(i)) => c.get(i).map(Vec::as_slice).ok_or_else(|| self.missing(name)),
            _ => Err(self.missing(name)),
        }
    }

    /// A complex column by name (see [`Plot::find`]). Fails on a real plot.
    pub fn complex(&self, name: &str) -> Result<&[Complex]> {
        match (&self.columns, self.find(name)) {
            (Columns::Complex(c), Some(i)) => c.get(i).map(Vec::as_slice).ok_or_else(|| self.missing(name)),
            _ => Err(self.missing(name)),
        }
    }

    /// The scale (first variable: `time`, `frequency`, ...) of a real plot, in its SI unit.
    pub fn scale(&self) -> Result<&[f64]> {
        match &self.columns {
            Columns::Real(c) => c.first().map(Vec::as_slice).ok_or_else(|| self.missing("time")),
            Columns::Complex(_) => Err(self.missing("time")),
        }
    }

    /// The `time` column of a real plot, in seconds.
    pub fn time(&self) -> Result<&[f64]> {
        self.real("time")
    }

    /// Under `uic` ngspice does not write the t = 0 row. When the first time of this
    /// real plot is later than `row[0]`, prepends `row` (one value per variable, the
    /// time first, in variable order) and returns `true`; returns `false` and leaves
    /// the plot alone when the first point is already at or before `row[0]`.
    pub fn prepend_initial_row(&mut self, row: &[f64]) -> Result<bool> {
        let plot = self.plotname.clone();
        let n = self.variables.len();
        let t0 = row.first().copied().unwrap_or(f64::NAN);
        let bad = || Error::BadInitialRow { plot: plot.clone(), got: row.len(), expected: n, time_s: t0 };
        let Columns::Real(cols) = &mut self.columns else { return Err(bad()) };
        if row.len() != n || cols.len() != n || !t0.is_finite() {
            return Err(bad());
        }
        match cols.first().and_then(|c| c.first()) {
            Some(&first) if first <= t0 => return Ok(false),
            _ => {}
        }
        for (col, &v) in cols.iter_mut().zip(row) {
            col.insert(0, v);
        }
        Ok(true)
    }

    /// Like [`Plot::prepend_initial_row`] with the initial values given by name
    /// (see [`Plot::find`]); variables not named take their first recorded value.
    pub fn prepend_initial_state(&mut self, t0_s: f64, initial: &[(&str, f64)]) -> Result<bool> {
        let Columns::Real(cols) = &self.columns else {
            return Err(Error::BadInitialRow {
                plot: self.plotname.clone(),
                got: initial.len(),
                expected: self.variables.len(),
                time_s: t0_s,
            });
        };
        let mut row: Vec<f64> = cols.iter().map(|c| c.first().copied().unwrap_or(0.0)).collect();
        if let Some(r) = row.first_mut() {
            *r = t0_s;
        }
        for (name, value) in initial {
            let i = self.find(name).ok_or_else(|| self.missing(name))?;
            if let Some(slot) = row.get_mut(i) {
                *slot = *value;
            }
        }
        self.prepend_initial_row(&row)
    }
}

/// Header being assembled.
#[derive(Default)]
struct Header {
    title: String,
    date: String,
    command: Option<String>,
    plotname: String,
    flags: Vec<String>,
    nvars: Option<usize>,
    npoints: Option<usize>,
    variables: Vec<Variable>,
}

fn shorten(s: &str) -> String {
    let mut t: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        t.push('…');
    }
    t
}

/// Parses one plot starting at `start`; returns the plot, the offset after it and
/// the number of lines consumed (for error messages).
fn parse_plot(bytes: &[u8], start: usize, first_line: usize, path: &Path) -> Result<(Plot, usize, usize)> {
    let mut h = Header::default();
    let mut pos = start;
    let mut lines = 0usize;
    let err = |line: usize, text: &str, reason: &'static str| Error::RawHeader {
        path: PathBuf::from(path),
        line,
        text: shorten(text),
        reason,
    };
    let mut in_vars = false;
    loop {
        if pos >= bytes.len() {
            return Err(err(
                first_line + lines + 1,
                "",
                "file ends inside the header (no Binary: or Values:)",
            ));
        }
        let end = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| pos + i);
        let raw_line = &bytes[pos..end];
        pos = (end + 1).min(bytes.len());
        lines += 1;
        let line_no = first_line + lines;
        let line = String::from_utf8_lossy(raw_line);
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (key, value) = match trimmed.split_once(':') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
            None => (String::new(), trimmed),
        };
        match key.as_str() {
            "binary" | "values" => {
                let encoding = if key == "binary" { Encoding::Binary } else { Encoding::Ascii };
                let nvars =
                    h.nvars.ok_or_else(|| err(line_no, trimmed, "data section before No. Variables"))?;
                if h.variables.len() != nvars {
                    return Err(err(line_no, trimmed, "number of variable lines differs from No. Variables"));
                }
                let npoints =
                    h.npoints.ok_or_else(|| err(line_no, trimmed, "data section before No. Points"))?;
                let complex = h.flags.iter().any(|f| f.eq_ignore_ascii_case("complex"));
                let (columns, declared, truncated, next, data_lines) = match encoding {
                    Encoding::Binary => {
                        let (c, t, n) = read_binary(bytes, pos, nvars, npoints, complex);
                        (c, npoints, t, n, 0)
                    }
                    Encoding::Ascii => {
                        let (c, t, n, l) = read_ascii(bytes, pos, nvars, npoints, complex, path)?;
                        (c, npoints, t, n, l)
                    }
                };
                if truncated {
                    tracing::warn!(
                        path = %path.display(),
                        plot = %h.plotname,
                        declared,
                        "raw file plot holds fewer points than declared; keeping the complete ones"
                    );
                }
                check_scale(&columns, &h.plotname, path)?;
                let plot = Plot {
                    title: h.title,
                    date: h.date,
                    command: h.command,
                    plotname: h.plotname,
                    flags: h.flags,
                    variables: h.variables,
                    declared_points: declared,
                    truncated,
                    encoding,
                    columns,
                };
                return Ok((plot, next, lines + data_lines));
            }
            _ if in_vars && (key.is_empty() || raw_line.first().is_some_and(|b| b.is_ascii_whitespace())) => {
                h.variables.push(
                    parse_variable(trimmed).ok_or_else(|| {
                        err(line_no, trimmed, "variable line is not `<index> <name> <type>`")
                    })?,
                );
            }
            "title" => h.title = value.to_string(),
            "date" => h.date = value.to_string(),
            "command" => h.command = Some(value.to_string()),
            "plotname" => h.plotname = value.to_string(),
            "flags" => h.flags = value.split_whitespace().map(str::to_string).collect(),
            "no. variables" => {
                let n: usize =
                    value.parse().map_err(|_| err(line_no, trimmed, "No. Variables is not a count"))?;
                if n == 0 || n > 1_000_000 {
                    return Err(err(line_no, trimmed, "No. Variables out of range 1..=1000000"));
                }
                h.nvars = Some(n);
            }
            "no. points" => {
                h.npoints =
                    Some(value.parse().map_err(|_| err(line_no, trimmed, "No. Points is not a count"))?);
            }
            "variables" => {
                in_vars = true;
                if !value.is_empty() {
                    h.variables.push(parse_variable(value).ok_or_else(|| {
                        err(line_no, trimmed, "variable line is not `<index> <name> <type>`")
                    })?);
                }
            }
            "" => return Err(err(line_no, trimmed, "expected a `Key: value` header line")),
            // Unknown keys (Offset, Dimensions, Option, ...) are ignored on purpose.
            _ if !in_vars => tracing::debug!(key = %key, "ignoring raw file header key"),
            _ => {
                // A `Key:` after the variables that is not Binary/Values.
                tracing::debug!(key = %key, "ignoring raw file header key after Variables");
            }
        }
    }
}

fn parse_variable(s: &str) -> Option<Variable> {
    let mut it = s.split_whitespace();
    let index = it.next()?.parse().ok()?;
    let name = it.next()?.to_string();
    let kind = it.next().unwrap_or("").to_string();
    Some(Variable { index, name, kind })
}

fn read_f64(bytes: &[u8], at: usize) -> Option<f64> {
    let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(f64::from_le_bytes(b))
}

/// The scale (time, frequency) must be finite, and a transient's time must
/// not go back: a file that breaks either is not a run's output.
fn check_scale(columns: &Columns, plotname: &str, path: &Path) -> Result<()> {
    let Columns::Real(cols) = columns else { return Ok(()) };
    let Some(scale) = cols.first() else { return Ok(()) };
    let transient = plotname.to_ascii_lowercase().contains("transient");
    for (k, &x) in scale.iter().enumerate() {
        let reason = if !x.is_finite() {
            "is not a finite number"
        } else if transient && k > 0 && x < scale[k - 1] {
            "is before the previous time point"
        } else {
            continue;
        };
        return Err(Error::RawScale {
            path: path.to_path_buf(),
            plot: plotname.to_string(),
            point: k,
            value: x,
            reason,
        });
    }
    Ok(())
}

/// Reads binary data; returns columns, truncated flag and the offset after the data.
fn read_binary(
    bytes: &[u8],
    start: usize,
    nvars: usize,
    npoints: usize,
    complex: bool,
) -> (Columns, bool, usize) {
    let width = if complex { 16 } else { 8 };
    let row = nvars.saturating_mul(width);
    let avail_bytes = bytes.len().saturating_sub(start);
    let avail = avail_bytes.checked_div(row).unwrap_or(0);
    let (n, truncated) = if npoints == 0 {
        // Aborted run: as many rows as present, stopping at a following plot header.
        let mut n = avail;
        for k in 0..avail {
            let at = start + k * row;
            if bytes.get(at..at + 6) == Some(b"Title:") {
                n = k;
                break;
            }
        }
        (n, n == avail && !avail_bytes.is_multiple_of(row))
    } else if avail >= npoints {
        (npoints, false)
    } else {
        (avail, true)
    };
    let at = |p: usize, v: usize, part: usize| read_f64(bytes, start + p * row + v * width + part * 8);
    let columns = if complex {
        Columns::Complex(
            (0..nvars)
                .map(|v| {
                    (0..n)
                        .map(|p| Complex {
                            re: at(p, v, 0).unwrap_or(f64::NAN),
                            im: at(p, v, 1).unwrap_or(f64::NAN),
                        })
                        .collect()
                })
                .collect(),
        )
    } else {
        Columns::Real((0..nvars).map(|v| (0..n).map(|p| at(p, v, 0).unwrap_or(f64::NAN)).collect()).collect())
    };
    // A truncated plot ends the file: the partial row left over is not a header.
    let next = if truncated { bytes.len() } else { start + n * row };
    (columns, truncated, next)
}

/// Parses one ASCII value (`1.0e-3` or `re,im`).
fn parse_value(tok: &str, complex: bool) -> Option<Complex> {
    if complex {
        let (re, im) = tok.split_once(',')?;
        Some(Complex { re: re.trim().parse().ok()?, im: im.trim().parse().ok()? })
    } else {
        Some(Complex { re: tok.parse().ok()?, im: 0.0 })
    }
}

type AsciiData = (Columns, bool, usize, usize);

/// Reads an ASCII `Values:` section: per point an index token then `nvars` values.
fn read_ascii(
    bytes: &[u8],
    start: usize,
    nvars: usize,
    npoints: usize,
    complex: bool,
    path: &Path,
) -> Result<AsciiData> {
    let mut cols: Vec<Vec<Complex>> = vec![Vec::new(); nvars];
    let mut pos = start;
    let mut lines = 0usize;
    let mut tokens: Vec<String> = Vec::new();
    let mut points = 0usize;
    let want = if npoints == 0 { usize::MAX } else { npoints };
    let mut end_pos = pos;
    while points < want {
        // Refill tokens line by line, stopping at the next plot header.
        while tokens.len() < nvars + 1 && pos < bytes.len() {
            let end = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| pos + i);
            let line = String::from_utf8_lossy(&bytes[pos..end]).into_owned();
            if line.trim_start().starts_with("Title:")
                || line.contains(": ") && !line.starts_with(['\t', ' '])
            {
                break;
            }
            pos = (end + 1).min(bytes.len());
            lines += 1;
            tokens.extend(line.split_whitespace().map(str::to_string));
        }
        if tokens.len() < nvars + 1 {
            break;
        }
        let mut row = Vec::with_capacity(nvars);
        for tok in tokens.drain(..nvars + 1).skip(1) {
            match parse_value(&tok, complex) {
                Some(v) => row.push(v),
                None => {
                    return Err(Error::RawValue {
                        path: path.to_path_buf(),
                        point: points,
                        text: shorten(&tok),
                    })
                }
            }
        }
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
        points += 1;
        if tokens.is_empty() {
            end_pos = pos;
        }
    }
    if tokens.is_empty() {
        end_pos = pos;
    }
    let truncated = npoints != 0 && points < npoints;
    let columns = if complex {
        Columns::Complex(cols)
    } else {
        Columns::Real(cols.into_iter().map(|c| c.into_iter().map(|v| v.re).collect()).collect())
    };
    Ok((columns, truncated, end_pos.max(start), lines))
}
