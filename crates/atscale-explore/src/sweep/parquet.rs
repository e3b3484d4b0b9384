//! A results table as Parquet (`atscale sweep … -o out.parquet`): one row
//! group, one column per results column, typed by [`Header::kind`](super::table::Header::kind) (whole
//! numbers INT64, numbers DOUBLE with nulls where a point has no value,
//! text UTF-8 strings). Column names carry no unit; the units and the
//! sweep's header are in the file's key-value metadata:
//!
//! - `atscale.header`: the CSV header text (so the file reads back as the same [`Table`]);
//! - `atscale.units`: `{column: unit}` as JSON;
//! - `PANDAS_ATTRS`: `{"units": …, "meta": …}`, which pandas restores as `DataFrame.attrs`.
//!
//! Numbers are stored as the `f64` the CSV cell spells (shortest round
//! trip), so the Parquet and CSV forms of a table hold the same values.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;

use super::table::{column_name, column_unit, ColumnKind, Table, MAX_TABLE_BYTES};
use crate::error::{Error, Result};

/// Whether a results path names a Parquet file (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

fn table_err(file: &str, message: String) -> Error {
    Error::Table { file: file.to_string(), line: 0, message }
}

/// The Parquet bytes of `t`; `file` names it in errors.
///
/// # Errors
///
/// [`Error::Table`] for a cell its column's kind cannot hold (a number
/// column with text), or when Parquet cannot write it.
pub fn write(t: &Table, file: &str) -> Result<Vec<u8>> {
    let pq = |e: parquet::errors::ParquetError| table_err(file, format!("cannot write it as Parquet: {e}"));
    let kinds: Vec<ColumnKind> = (0..t.header.columns.len()).map(|k| t.header.kind(k)).collect();
    let mut fields = Vec::with_capacity(kinds.len());
    for (c, kind) in t.header.columns.iter().zip(&kinds) {
        fields.push(Arc::new(field_type(column_name(c), *kind).map_err(pq)?));
    }
    let schema = Type::group_type_builder("atscale_sweep").with_fields(fields).build().map_err(pq)?;
    let props = WriterProperties::builder()
        .set_created_by(format!("atscale {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata(t)))
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(props)).map_err(pq)?;
    let mut group = writer.next_row_group().map_err(pq)?;
    let mut k = 0;
    while let Some(mut column) = group.next_column().map_err(pq)? {
        let cells = t.cells(k);
        let name = column_name(&t.header.columns[k]);
        match kinds[k] {
            ColumnKind::Integer => {
                let v = cells
                    .iter()
                    .map(|c| {
                        c.parse::<i64>()
                            .map_err(|_| table_err(file, format!("{name}: `{c}` is not a whole number")))
                    })
                    .collect::<Result<Vec<i64>>>()?;
                column.typed::<Int64Type>().write_batch(&v, None, None).map_err(pq)?;
            }
            ColumnKind::Number => {
                let (values, levels) = numbers(&cells, name, file)?;
                column.typed::<DoubleType>().write_batch(&values, Some(&levels), None).map_err(pq)?;
            }
            ColumnKind::Text => {
                let v: Vec<ByteArray> =
                    cells.iter().map(|c| ByteArray::from(c.as_bytes().to_vec())).collect();
                column.typed::<ByteArrayType>().write_batch(&v, None, None).map_err(pq)?;
            }
        }
        column.close().map_err(pq)?;
        k += 1;
    }
    group.close().map_err(pq)?;
    writer.into_inner().map_err(pq)
}

fn field_type(name: &str, kind: ColumnKind) -> parquet::errors::Result<Type> {
    let (physical, repetition, logical) = match kind {
        ColumnKind::Integer => (PhysicalType::INT64, Repetition::REQUIRED, None),
        ColumnKind::Number => (PhysicalType::DOUBLE, Repetition::OPTIONAL, None),
        ColumnKind::Text => (PhysicalType::BYTE_ARRAY, Repetition::REQUIRED, Some(LogicalType::String)),
    };
    Type::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(logical)
        .build()
}

/// The non-empty values of a number column and its definition levels (0: null).
fn numbers(cells: &[&str], name: &str, file: &str) -> Result<(Vec<f64>, Vec<i16>)> {
    let mut values = Vec::new();
    let mut levels = Vec::with_capacity(cells.len());
    for c in cells {
        if c.is_empty() {
            levels.push(0);
        } else {
            let x =
                c.parse::<f64>().map_err(|_| table_err(file, format!("{name}: `{c}` is not a number")))?;
            values.push(x);
            levels.push(1);
        }
    }
    Ok((values, levels))
}

fn metadata(t: &Table) -> Vec<KeyValue> {
    let units: BTreeMap<&str, &str> =
        t.header.columns.iter().map(|c| (column_name(c), column_unit(c))).collect();
    let meta: BTreeMap<&str, &str> = t.header.meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let attrs = serde_json::json!({ "units": units, "meta": meta });
    vec![
        KeyValue::new("atscale.header".into(), t.header.text()),
        KeyValue::new("atscale.units".into(), serde_json::json!(units).to_string()),
        KeyValue::new("PANDAS_ATTRS".into(), attrs.to_string()),
    ]
}

/// Reads a Parquet results file written by [`write()`] back as the table it holds.
///
/// # Errors
///
/// [`Error::File`] when the file may not be read; [`Error::Table`] naming
/// the file for one that is not an atscale results table.
pub fn read(path: &Path) -> Result<Table> {
    let file = path.display().to_string();
    let rules = atscale_files::InputRules::named(MAX_TABLE_BYTES);
    let bytes = atscale_files::read_bytes(path, "the results file", &rules)?;
    let pq = |e: parquet::errors::ParquetError| table_err(&file, format!("not a readable Parquet file: {e}"));
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(pq)?;
    let header_text = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "atscale.header").and_then(|k| k.value.clone()))
        .ok_or_else(|| {
            table_err(&file, "no `atscale.header` metadata: not an atscale sweep results file".into())
        })?;
    let mut text = header_text;
    for row in reader.get_row_iter(None).map_err(pq)? {
        let row = row.map_err(pq)?;
        let cells: Vec<String> = row.get_column_iter().map(|(_, f)| cell(f)).collect();
        text.push_str(&super::table::row_line(&cells));
    }
    Table::parse(&text, &file)
}

/// A Parquet value as the CSV cell that holds it.
fn cell(f: &Field) -> String {
    match f {
        Field::Null => String::new(),
        Field::Long(i) => i.to_string(),
        Field::Double(x) => format!("{x:?}"),
        Field::Str(s) => s.clone(),
        other => other.to_string(),
    }
}
