//! gpurad: radiomics features from medical images, PyRadiomics- and IBSI-compatible.
//!
//! The library reads NIfTI images and masks ([`io::nifti`]), validates them ([`checks`]),
//! preprocesses them as PyRadiomics does ([`preprocess`]), computes feature classes
//! ([`features`]) and assembles named output rows ([`extract`]).

pub mod bench;
pub mod bench_cohort;
pub mod catalogue;
pub mod checks;
pub mod cohort;
pub mod demo;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod features;
pub mod filters;
pub mod image;
pub mod io;
pub mod limits;
pub mod matrices;
pub mod model;
pub mod preprocess;
pub mod report;
mod rng;
pub mod row;
pub mod settings;
pub mod study;
pub mod synth;

pub use error::{Error, Result};

/// `println!` that returns an error instead of panicking when standard output cannot be
/// written ([`io::output::stdout_line`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::io::output::stdout_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics: a message for the user on standard error
/// ([`io::output::stderr_line`]).
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::io::output::stderr_line(format_args!($($arg)*))
    };
}
pub use settings::Params;
