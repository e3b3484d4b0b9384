//! The results file of a sweep: CSV with a commented header.
//!
//! ```text
//! # atscale sweep results
//! # atscale: 0.1.0
//! # sweep: sweep.toml
//! # sweep_hash: 3f2a...
//! # seed: 1
//! # points: 400
//! # parameters: Iext|Msn.law.alpha
//! # metrics: firing_rate|spike_count
//! point,seed,Iext [A],Msn.law.alpha [A],firing_rate [Hz],spike_count [1],status,error,verify,atscale_version,ngspice_version
//! 0,1,1e-10,...
//! ```
//!
//! Every column name carries its unit in brackets. Rows are in point order
//! in a finished file; a file being written (`.partial`) has them in the
//! order they finished, each written and flushed whole, so an interrupted
//! run loses nothing but the points in flight. A shard's file also has a
//! `# shard: I/N` line. Numbers are written in Rust's shortest round-trip
//! form, so equal runs give equal bytes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest results file read, bytes: a sweep at its default limit of a
/// million points writes about 150 MB.
pub const MAX_TABLE_BYTES: u64 = 512 << 20;

/// The header of a results file.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// `# key: value` lines in order.
    pub meta: Vec<(String, String)>,
    /// Column names.
    pub columns: Vec<String>,
}

impl Header {
    /// A header whose values and column names are made single-line (line
    /// breaks and other control characters become spaces), so that the
    /// file it heads reads back as the same header.
    pub fn new(meta: Vec<(String, String)>, columns: Vec<String>) -> Header {
        let flat = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
        Header {
            meta: meta.iter().map(|(k, v)| (flat(k), flat(v))).collect(),
            columns: columns.iter().map(|c| flat(c)).collect(),
        }
    }

    /// A meta value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The header without `key`.
    pub fn without(&self, key: &str) -> Header {
        Header {
            meta: self.meta.iter().filter(|(k, _)| k != key).cloned().collect(),
            columns: self.columns.clone(),
        }
    }

    /// The header's text (comment lines and the column line).
    pub fn text(&self) -> String {
        let mut s = String::from("# atscale sweep results\n");
        for (k, v) in &self.meta {
            s.push_str(&format!("# {k}: {v}\n"));
        }
        s.push_str(&self.columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        s.push('\n');
        s
    }

    /// The number of points of the whole sweep.
    pub fn points(&self) -> Option<usize> {
        self.get("points")?.parse().ok()
    }

    /// The names of the varied parameters.
    pub fn parameters(&self) -> Vec<String> {
        split_list(self.get("parameters"))
    }

    /// The names of the recorded metrics.
    pub fn metrics(&self) -> Vec<String> {
        split_list(self.get("metrics"))
    }

    /// The column index of a parameter or metric (by name, unit ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| column_name(c) == name)
    }
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.filter(|s| !s.is_empty()).map(|s| s.split('|').map(str::to_string).collect()).unwrap_or_default()
}

/// A column's name without its `[unit]`.
pub fn column_name(column: &str) -> &str {
    column.split_once(" [").map_or(column, |(n, _)| n)
}

/// A column's unit (inside the brackets).
pub fn column_unit(column: &str) -> &str {
    column.split_once(" [").and_then(|(_, u)| u.strip_suffix(']')).unwrap_or("")
}

/// One CSV field, quoted when it holds a comma, quote or line break (line
/// breaks are replaced by spaces first: a row is one line).
pub fn quote(field: &str) -> String {
    let flat: String = field.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    if flat.contains([',', '"']) {
        format!("\"{}\"", flat.replace('"', "\"\""))
    } else {
        flat
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting).
pub fn split(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    out.push(field);
    Ok(out)
}

/// What a column holds: what Parquet and data frames store it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A whole number (`point`, `seed`, `engine_seed`).
    Integer,
    /// A number in the column's unit, empty when there is none (parameters, metrics).
    Number,
    /// Text (a landscape class, `status`, `error`, `verify`, versions).
    Text,
}

impl Header {
    /// The kind of column `k`: `point`, `seed` and `engine_seed` are integers, the
    /// parameters and numeric metrics numbers, the rest text.
    pub fn kind(&self, k: usize) -> ColumnKind {
        let Some(column) = self.columns.get(k) else { return ColumnKind::Text };
        let name = column_name(column);
        if name == "point" || name == "seed" || name == super::ENGINE_SEED {
            return ColumnKind::Integer;
        }
        let metric = self.metrics().iter().any(|m| m == name);
        let class = crate::sweep::metrics::Metric::parse(name).is_some_and(|m| m.is_class());
        if (metric && !class) || self.parameters().iter().any(|p| p == name) {
            ColumnKind::Number
        } else {
            ColumnKind::Text
        }
    }
}

/// A results file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The header.
    pub header: Header,
    /// Rows by point index: the fields, and the line they were on.
    pub rows: BTreeMap<usize, (Vec<String>, usize)>,
    /// Byte length of the complete lines (a torn last line is not counted).
    pub complete_len: usize,
}

impl Table {
    /// Reads a results file. A last line without its line break (a row torn
    /// by a kill) is left out, and `complete_len` ends before it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if it cannot be read; [`Error::Table`] naming the file,
    /// line and problem for a malformed header or row or a repeated point.
    pub fn read(path: &Path) -> Result<Table> {
        if super::parquet::is_parquet(path) {
            return super::parquet::read(path);
        }
        let text = crate::read_text_within(path, "the results file", MAX_TABLE_BYTES)?;
        Table::parse(&text, &path.display().to_string())
    }

    /// Parses a results file's text; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// As [`Table::read`].
    pub fn parse(text: &str, file: &str) -> Result<Table> {
        let err = |line: usize, message: String| Error::Table { file: file.into(), line, message };
        let complete_len = text.rfind('\n').map_or(0, |i| i + 1);
        let body = &text[..complete_len];
        let mut lines = body.lines().enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, "# atscale sweep results")) => {}
            _ => {
                return Err(err(
                    1,
                    "not an atscale sweep results file (its first line is not `# atscale sweep results`)"
                        .into(),
                ))
            }
        }
        let mut meta = Vec::new();
        let mut columns = None;
        for (n, line) in lines.by_ref() {
            if let Some(rest) = line.strip_prefix("# ") {
                let (k, v) =
                    rest.split_once(": ").ok_or_else(|| err(n, format!("malformed header line `{line}`")))?;
                meta.push((k.to_string(), v.to_string()));
            } else {
                columns = Some(split(line).map_err(|m| err(n, m))?);
                break;
            }
        }
        let columns = columns.ok_or_else(|| err(0, "the file has no column line".into()))?;
        if columns.first().map(String::as_str) != Some("point") {
            return Err(err(meta.len() + 2, "the first column must be `point`".into()));
        }
        let header = Header { meta, columns };
        let mut rows = BTreeMap::new();
        for (n, line) in lines {
            let fields = split(line).map_err(|m| err(n, m))?;
            if fields.len() != header.columns.len() {
                return Err(err(
                    n,
                    format!("{} fields, the header has {}", fields.len(), header.columns.len()),
                ));
            }
            let point: usize =
                fields[0].parse().map_err(|_| err(n, format!("point `{}` is not an index", fields[0])))?;
            if let Some((_, first)) = rows.get(&point) {
                return Err(err(n, format!("point {point} appears twice (also on line {first})")));
            }
            rows.insert(point, (fields, n));
        }
        Ok(Table { header, rows, complete_len })
    }

    /// The file form of the table for `path`: Parquet for a `.parquet`
    /// path ([`super::parquet`]), else the CSV text.
    ///
    /// # Errors
    ///
    /// [`Error::Table`] when Parquet cannot hold it.
    pub fn bytes_for(&self, path: &Path) -> Result<Vec<u8>> {
        if super::parquet::is_parquet(path) {
            super::parquet::write(self, &path.display().to_string())
        } else {
            Ok(self.text().into_bytes())
        }
    }

    /// The text of the table with rows in point order.
    pub fn text(&self) -> String {
        let mut s = self.header.text();
        for (fields, _) in self.rows.values() {
            s.push_str(&row_line(fields));
        }
        s
    }

    /// The values of a column as numbers (`None` for empty or non-numeric cells), in point order.
    pub fn numbers(&self, column: usize) -> Vec<Option<f64>> {
        self.rows.values().map(|(f, _)| f.get(column).and_then(|c| c.parse().ok())).collect()
    }

    /// The cells of a column, in point order.
    pub fn cells(&self, column: usize) -> Vec<&str> {
        self.rows.values().map(|(f, _)| f.get(column).map_or("", String::as_str)).collect()
    }
}

/// One row as a CSV line (with its line break).
pub fn row_line(fields: &[String]) -> String {
    let mut s = fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(",");
    s.push('\n');
    s
}

/// The meta keys every part of one sweep must share.
const SHARED: [&str; 6] = ["sweep_hash", "seed", "points", "parameters", "metrics", "verify_sample"];

/// Joins the shard files of one sweep into the table of the whole sweep,
/// checking that they come from the same sweep and that every point is in
/// exactly one of them.
///
/// # Errors
///
/// [`Error::Table`] naming the part and the problem: another sweep, other
/// columns, a point in two parts, points in no part.
pub fn merge(parts: &[(String, Table)]) -> Result<Table> {
    let Some((first_name, first)) = parts.first() else {
        return Err(Error::Table { file: "(none)".into(), line: 0, message: "no parts to merge".into() });
    };
    let points = first.header.points().ok_or_else(|| Error::Table {
        file: first_name.clone(),
        line: 0,
        message: "the header has no `points` line".into(),
    })?;
    let mut rows: BTreeMap<usize, (Vec<String>, usize)> = BTreeMap::new();
    let mut owner: BTreeMap<usize, &str> = BTreeMap::new();
    for (name, t) in parts {
        for key in SHARED {
            if t.header.get(key) != first.header.get(key) {
                return Err(Error::Table {
                    file: name.clone(),
                    line: 0,
                    message: format!(
                        "its {key} ({}) differs from {first_name}'s ({}): the parts are not of one sweep",
                        t.header.get(key).unwrap_or("absent"),
                        first.header.get(key).unwrap_or("absent")
                    ),
                });
            }
        }
        if t.header.columns != first.header.columns {
            return Err(Error::Table {
                file: name.clone(),
                line: 0,
                message: format!("its columns differ from {first_name}'s"),
            });
        }
        for (p, row) in &t.rows {
            if *p >= points {
                return Err(Error::Table {
                    file: name.clone(),
                    line: row.1,
                    message: format!("point {p} is beyond the sweep's {points} points"),
                });
            }
            if let Some(other) = owner.insert(*p, name) {
                return Err(Error::Table {
                    file: name.clone(),
                    line: row.1,
                    message: format!("point {p} is also in {other}: the parts overlap"),
                });
            }
            rows.insert(*p, row.clone());
        }
    }
    // Every row is below `points`, so the count of missing points needs no
    // walk over them (the header's count may be anything a file says).
    let missing = points - rows.len();
    if missing > 0 {
        let shown: Vec<String> =
            (0..points).filter(|p| !rows.contains_key(p)).take(10).map(|p| p.to_string()).collect();
        return Err(Error::Table {
            file: first_name.clone(),
            line: 0,
            message: format!(
                "{missing} of {points} points are in no part (points {}{}): a shard is missing or unfinished",
                shown.join(", "),
                if missing > 10 { ", ..." } else { "" }
            ),
        });
    }
    let header = first.header.without("shard");
    let complete_len = 0;
    Ok(Table { header, rows, complete_len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        let fields: Vec<String> = ["plain", "with, comma", "with \"quotes\"", "", "line\nbreak"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let line = row_line(&fields);
        assert_eq!(line.matches('\n').count(), 1);
        let back = split(line.trim_end_matches('\n')).unwrap();
        assert_eq!(back[..4], fields[..4]);
        assert_eq!(back[4], "line break");
    }

    fn table(meta: &[(&str, &str)], rows: &[usize]) -> Table {
        let mut text = String::from("# atscale sweep results\n");
        for (k, v) in meta {
            text.push_str(&format!("# {k}: {v}\n"));
        }
        text.push_str("point,x [1]\n");
        for r in rows {
            text.push_str(&format!("{r},{}\n", r * 2));
        }
        Table::parse(&text, "t.csv").unwrap()
    }

    #[test]
    fn merge_checks_coverage_and_overlap() {
        let m = [("points", "4"), ("sweep_hash", "ab")];
        let a = table(&[("points", "4"), ("sweep_hash", "ab"), ("shard", "1/2")], &[0, 2]);
        let b = table(&[("points", "4"), ("sweep_hash", "ab"), ("shard", "2/2")], &[3, 1]);
        let merged = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
        assert_eq!(merged.text(), table(&m, &[0, 1, 2, 3]).text());
        let e = merge(&[("a".into(), a.clone())]).unwrap_err().to_string();
        assert_eq!(e, "a: 2 of 4 points are in no part (points 1, 3): a shard is missing or unfinished");
        let e = merge(&[("a".into(), a.clone()), ("a2".into(), a.clone())]).unwrap_err().to_string();
        assert_eq!(e, "a2:6: point 0 is also in a: the parts overlap");
        // A header claiming 2^64 - 1 points costs nothing.
        let huge = [("points", "18446744073709551615"), ("sweep_hash", "ab")];
        let e =
            merge(&[("h".into(), table(&huge, &[0, 1]))]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.starts_with(
                "h: 18446744073709551613 of 18446744073709551615 points are in no part (points 2, 3,"
            ),
            "{e}"
        );
        let other = table(&[("points", "4"), ("sweep_hash", "cd")], &[1, 3]);
        let e = merge(&[("a".into(), a), ("o".into(), other)]).unwrap_err().to_string();
        assert!(e.starts_with("o: its sweep_hash (cd) differs from a's (ab)"), "{e}");
    }

    #[test]
    fn a_torn_last_line_is_left_out() {
        let text = "# atscale sweep results\n# points: 3\npoint,x [1]\n0,1\n1,2\n2,";
        let t = Table::parse(text, "p.csv").unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.complete_len, text.len() - 2);
    }

    #[test]
    fn bad_rows_name_the_line() {
        let e = Table::parse("# atscale sweep results\npoint,x [1]\n0,1\n0,2\n", "r.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "r.csv:4: point 0 appears twice (also on line 3)");
        let e =
            Table::parse("# atscale sweep results\npoint,x [1]\n0,1,2\n", "r.csv").unwrap_err().to_string();
        assert_eq!(e, "r.csv:3: 3 fields, the header has 2");
        let e = Table::parse("id,x\n", "r.csv").unwrap_err().to_string();
        assert!(e.starts_with("r.csv:1: not an atscale sweep results file"), "{e}");
    }
}
