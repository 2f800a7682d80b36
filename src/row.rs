//! The output of one case: ordered, named values (features and diagnostics), as every
//! writer (CSV, JSON, cohort tables) receives them.

/// A value in an output row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A feature or numeric diagnostic.
    Number(f64),
    /// Text (versions, hashes, tuples).
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Shortest representation that reads back to the same f64.
            Value::Number(x) if x.is_nan() => write!(f, "nan"),
            Value::Number(x) => write!(f, "{x:?}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// Ordered `(column, value)` pairs of one case.
pub type Row = Vec<(String, Value)>;
