//! Error type of the model and evaluation stages: every message says what is wrong with the
//! data and, where there is one, what to do about it.

/// Everything that can go wrong while fitting a prediction model or evaluating it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Two inputs that describe the same patients have different lengths.
    #[error("length mismatch: {what} has {got} values, expected {expected} (one per patient)")]
    LengthMismatch {
        /// Which input is too short or too long.
        what: String,
        /// The number of patients.
        expected: usize,
        /// The length that was passed.
        got: usize,
    },
    /// No patients at all.
    #[error("no patients: {0} is empty")]
    Empty(String),
    /// An outcome value other than 0 or 1.
    #[error("outcome must be 0 or 1, but patient {index} has {value}")]
    NonBinaryOutcome {
        /// Zero-based position of the offending patient.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// The outcome has a single class, so neither a logistic model nor a ROC curve exists.
    #[error(
        "outcome has only one class: all {n} patients are {class} ({detail}); \
         both events (1) and non-events (0) are needed"
    )]
    OneClass {
        /// The class every patient has (0 or 1).
        class: u8,
        /// Number of patients.
        n: usize,
        /// What could not be computed.
        detail: String,
    },
    /// A predictor, prediction or offset is NaN or infinite.
    #[error("{what} of patient {index} is not finite ({value})")]
    NonFinite {
        /// Which input.
        what: String,
        /// Zero-based position of the offending patient.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// A predicted probability outside the range the statistic accepts.
    #[error("predicted probability of patient {index} is {value}, outside {range}")]
    InvalidProbability {
        /// Zero-based position of the offending patient.
        index: usize,
        /// The value found.
        value: f64,
        /// The accepted range, e.g. "(0, 1)".
        range: &'static str,
    },
    /// The outcome is (quasi-)perfectly separated by the predictors: the maximum-likelihood
    /// estimate does not exist because some coefficients diverge to infinity.
    #[error(
        "perfect or quasi-perfect separation: {detail}; the maximum-likelihood coefficients \
         do not exist (they diverge to infinity). Remove or merge the separating predictor, \
         or use penalised regression (e.g. Firth or LASSO)"
    )]
    Separation {
        /// What was observed (iteration, diverging term, fitted probabilities).
        detail: String,
    },
    /// The design matrix is rank deficient (collinear or constant predictors, or more
    /// coefficients than patients).
    #[error("singular design matrix: {0}")]
    SingularDesign(String),
    /// The iterations stopped without meeting the convergence criterion.
    #[error("logistic regression did not converge in {iterations} iterations: {detail}")]
    NotConverged {
        /// Iterations performed.
        iterations: usize,
        /// Last relative deviance change and hint.
        detail: String,
    },
    /// An argument outside its valid range (confidence level, threshold, group count...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Result alias of the model and evaluation stages.
pub type StatsResult<T> = std::result::Result<T, StatsError>;
