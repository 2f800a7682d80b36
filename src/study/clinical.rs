//! Clinical predictors given on the command line: a column name (`alp`) used as it is, or a
//! threshold expression (`age>60`, `alp>=120`, `psa<4`) that becomes a 0/1 indicator, as
//! the binary clinical variables of a nomogram (age > 60 years, ALP > 120 U/L).

use crate::error::{Error, Result};

/// A comparison of a threshold expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Comparison {
    /// `>` (strict).
    Greater,
    /// `>=`.
    GreaterEqual,
    /// `<` (strict).
    Less,
    /// `<=`.
    LessEqual,
}

/// One clinical predictor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clinical {
    /// The name as written (`age>60`), used as the predictor's name in models and output.
    pub name: String,
    /// The source column.
    pub column: String,
    /// The threshold test, if the predictor is an indicator.
    pub test: Option<(Comparison, f64)>,
}

impl Clinical {
    /// Parses `column`, or `column OP number` with OP one of `>`, `>=`, `<`, `<=`.
    pub fn parse(expr: &str) -> Result<Clinical> {
        let e = expr.trim();
        let bad = |why: &str| Error::Settings(format!("clinical predictor '{expr}': {why}"));
        if e.is_empty() {
            return Err(bad("empty"));
        }
        let Some(pos) = e.find(['>', '<']) else {
            return Ok(Clinical {
                name: e.to_string(),
                column: e.to_string(),
                test: None,
            });
        };
        let column = e[..pos].trim();
        let rest = &e[pos..];
        let (cmp, num) = if let Some(v) = rest.strip_prefix(">=") {
            (Comparison::GreaterEqual, v)
        } else if let Some(v) = rest.strip_prefix("<=") {
            (Comparison::LessEqual, v)
        } else if let Some(v) = rest.strip_prefix('>') {
            (Comparison::Greater, v)
        } else {
            (Comparison::Less, &rest[1..])
        };
        if column.is_empty() {
            return Err(bad("no column before the comparison"));
        }
        let threshold: f64 = num
            .trim()
            .parse()
            .map_err(|_| bad("the threshold is not a number"))?;
        Ok(Clinical {
            name: e.replace(' ', ""),
            column: column.to_string(),
            test: Some((cmp, threshold)),
        })
    }

    /// The predictor's value for a raw column value: the value itself, or 1/0.
    pub fn value(&self, raw: f64) -> f64 {
        match self.test {
            None => raw,
            Some((c, t)) => {
                let yes = match c {
                    Comparison::Greater => raw > t,
                    Comparison::GreaterEqual => raw >= t,
                    Comparison::Less => raw < t,
                    Comparison::LessEqual => raw <= t,
                };
                f64::from(u8::from(yes))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_thresholds_and_plain_columns() {
        let a = Clinical::parse("age>60").unwrap();
        assert_eq!(
            (a.column.as_str(), a.value(60.0), a.value(61.0)),
            ("age", 0.0, 1.0)
        );
        let b = Clinical::parse("alp >= 120").unwrap();
        assert_eq!((b.name.as_str(), b.value(120.0)), ("alp>=120", 1.0));
        assert_eq!(Clinical::parse("psa<4").unwrap().value(3.9), 1.0);
        assert_eq!(Clinical::parse("sex").unwrap().value(1.0), 1.0);
        assert!(Clinical::parse(">3").is_err());
        assert!(Clinical::parse("age>old").is_err());
    }
}
