//! Clinical predictors given on the command line: a column name (`alp`) used as it is; a
//! threshold expression (`age>60`, `alp>=120`, `psa<4`) or a level (`stage=3`) that becomes
//! a 0/1 indicator, as the binary clinical variables of a nomogram (age > 60 years,
//! ALP > 120 U/L); or a multi-level categorical variable `factor(stage)`, coded as R codes a
//! factor (treatment contrasts): one indicator per level but the smallest, the reference,
//! with the levels those of the training patients ([`Clinical::expand_factor`]). The
//! indicators of a factor form one term: selected, and eliminated, together.

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
    /// `=` (a level of a categorical variable).
    Equal,
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
    /// Whether this is a whole categorical variable (`factor(stage)`), to be expanded into
    /// level indicators before fitting.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub factor: bool,
    /// The categorical variable a level indicator belongs to (`factor(stage)` for
    /// `stage=2`): indicators of one variable enter and leave a model together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Most levels of a categorical predictor.
pub const MAX_LEVELS: usize = 20;

/// A level as written in an indicator's name: whole numbers without decimals.
fn level_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Clinical {
    /// Parses `column`, or `column OP number` with OP one of `>`, `>=`, `<`, `<=`.
    pub fn parse(expr: &str) -> Result<Clinical> {
        let e = expr.trim();
        let bad = |why: &str| Error::Settings(format!("clinical predictor '{expr}': {why}"));
        if e.is_empty() {
            return Err(bad("empty"));
        }
        if let Some(inner) = e.strip_prefix("factor(").and_then(|r| r.strip_suffix(')')) {
            let column = inner.trim();
            if column.is_empty() || column.contains(['(', ')', '>', '<', '=']) {
                return Err(bad("factor(COLUMN) names one column"));
            }
            return Ok(Clinical {
                name: format!("factor({column})"),
                column: column.to_string(),
                test: None,
                factor: true,
                group: None,
            });
        }
        let Some(pos) = e.find(['>', '<', '=']) else {
            return Ok(Clinical {
                name: e.to_string(),
                column: e.to_string(),
                test: None,
                factor: false,
                group: None,
            });
        };
        let column = e[..pos].trim();
        let rest = &e[pos..];
        let (cmp, num) = if let Some(v) = rest.strip_prefix(">=") {
            (Comparison::GreaterEqual, v)
        } else if let Some(v) = rest.strip_prefix("<=") {
            (Comparison::LessEqual, v)
        } else if let Some(v) = rest.strip_prefix("==") {
            (Comparison::Equal, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (Comparison::Equal, v)
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
            name: e.replace(' ', "").replace("==", "="),
            column: column.to_string(),
            test: Some((cmp, threshold)),
            factor: false,
            group: None,
        })
    }

    /// The level indicators of a categorical predictor (`factor(stage)`) given its values
    /// in the training patients: one `stage=L` per level `L` but the smallest (the
    /// reference, as R's treatment contrasts), in increasing order, each grouped under the
    /// factor's name. A predictor that is not a factor is returned as it is.
    ///
    /// # Errors
    /// Fewer than 2 or more than [`MAX_LEVELS`] distinct values, or a value that is not
    /// finite.
    pub fn expand_factor(&self, training: &[f64]) -> Result<Vec<Clinical>> {
        if !self.factor {
            return Ok(vec![self.clone()]);
        }
        if let Some(v) = training.iter().find(|v| !v.is_finite()) {
            return Err(Error::Settings(format!(
                "clinical predictor '{}': the level {v} is not a number",
                self.name
            )));
        }
        let mut levels = training.to_vec();
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        if levels.len() < 2 || levels.len() > MAX_LEVELS {
            return Err(Error::Settings(format!(
                "clinical predictor '{}': the training patients have {} distinct value(s) of '{}'; a categorical predictor needs 2 to {MAX_LEVELS} levels",
                self.name,
                levels.len(),
                self.column
            )));
        }
        Ok(levels[1..]
            .iter()
            .map(|&l| Clinical {
                name: format!("{}={}", self.column, level_text(l)),
                column: self.column.clone(),
                test: Some((Comparison::Equal, l)),
                factor: false,
                group: Some(self.name.clone()),
            })
            .collect())
    }

    /// The name of the model term this predictor belongs to: its group (a factor) or its
    /// own name.
    pub fn term(&self) -> &str {
        self.group.as_deref().unwrap_or(&self.name)
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
                    Comparison::Equal => raw == t,
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
        let s = Clinical::parse("stage == 3").unwrap();
        assert_eq!(
            (s.name.as_str(), s.value(3.0), s.value(2.0)),
            ("stage=3", 1.0, 0.0)
        );
    }

    #[test]
    fn a_factor_expands_to_its_levels_but_the_reference() {
        let f = Clinical::parse("factor(stage)").unwrap();
        assert!(f.factor);
        let dummies = f.expand_factor(&[3.0, 1.0, 2.0, 3.0, 1.0]).unwrap();
        let names: Vec<&str> = dummies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["stage=2", "stage=3"]);
        assert!(dummies.iter().all(|d| d.term() == "factor(stage)"));
        assert_eq!(dummies[1].value(3.0), 1.0);
        assert_eq!(dummies[1].value(1.0), 0.0);
        assert!(f.expand_factor(&[1.0, 1.0]).is_err(), "one level");
        let many: Vec<f64> = (0..30).map(f64::from).collect();
        assert!(f.expand_factor(&many).is_err(), "30 levels");
        assert!(f.expand_factor(&[1.0, f64::NAN]).is_err());
        assert!(Clinical::parse("factor()").is_err());
        assert!(Clinical::parse("factor(a>1)").is_err());
        let plain = Clinical::parse("age").unwrap();
        assert_eq!(plain.expand_factor(&[1.0]).unwrap(), vec![plain.clone()]);
        assert_eq!(plain.term(), "age");
    }
}
