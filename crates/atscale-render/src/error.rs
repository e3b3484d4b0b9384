//! Errors of rendering.

/// What went wrong drawing a plot.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {what}: {reason}")]
pub struct Error {
    /// The plot (`the verification overlay`, `the heatmap of firing_rate`).
    pub what: String,
    /// Why.
    pub reason: String,
}

impl Error {
    /// An error drawing `what`.
    pub fn new(what: impl Into<String>, reason: impl std::fmt::Display) -> Error {
        Error { what: what.into(), reason: reason.to_string() }
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
