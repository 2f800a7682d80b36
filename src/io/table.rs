//! Feature tables out: CSV (one row per case, a stable union of columns) and JSON.

use std::io::Write;

use crate::row::{Row, Value};

/// Union of the columns of `rows`, in first-seen order.
pub fn columns(rows: &[Row]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut cols = Vec::new();
    for row in rows {
        for (k, _) in row {
            if seen.insert(k.clone()) {
                cols.push(k.clone());
            }
        }
    }
    cols
}

/// Writes rows as CSV with the given column order; missing cells are empty.
pub fn write_csv<W: Write>(out: W, cols: &[String], rows: &[Row]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(cols)?;
    for row in rows {
        let map: std::collections::HashMap<&str, &Value> =
            row.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let rec: Vec<String> = cols
            .iter()
            .map(|c| {
                map.get(c.as_str())
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect();
        w.write_record(&rec)?;
    }
    w.flush()
}

/// One row as a JSON object (numbers stay numbers; NaN becomes null).
pub fn row_to_json(row: &Row) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in row {
        let j = match v {
            Value::Number(x) => serde_json::Number::from_f64(*x)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Text(s) => serde_json::Value::String(s.clone()),
        };
        m.insert(k.clone(), j);
    }
    serde_json::Value::Object(m)
}
