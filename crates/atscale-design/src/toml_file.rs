//! Reading the crate's TOML files (design specs, sweeps, reliability
//! experiments, technologies): one rule for turning a byte offset into the
//! line an error names, and the checks every file shares.

use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::error::{Error, Result};

/// A TOML file's text and the name errors give it.
pub struct TomlFile<'a> {
    /// The text.
    pub text: &'a str,
    /// The file's name as given.
    pub file: &'a str,
}

impl TomlFile<'_> {
    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.text.get(..offset.min(self.text.len())).map_or(1, |t| t.matches('\n').count() + 1)
    }

    /// [`Error::Spec`] at the line of `offset`.
    pub fn err(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Spec { file: self.file.to_string(), line: self.line(offset), message: message.into() }
    }

    /// The text deserialised; a TOML error names its line.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        toml::from_str(self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.err(offset, e.message().trim().to_string())
        })
    }

    /// A value that must be positive and finite, and within 1e-24..1e24 of
    /// its SI unit (yocto to yotta): beyond, products of such values
    /// overflow or vanish in `f64` and the error would surface far from the
    /// key that caused it.
    pub fn positive(&self, key: &str, v: &Spanned<f64>) -> Result<f64> {
        let x = *v.get_ref();
        if !(x > 0.0 && x.is_finite()) {
            Err(self.err(v.span().start, format!("{key} must be positive and finite, got {x}")))
        } else if !(1e-24..=1e24).contains(&x) {
            Err(self.err(v.span().start, format!("{key} = {x:e} is outside 1e-24..1e24 (yocto to yotta)")))
        } else {
            Ok(x)
        }
    }

    /// An optional value that must be positive and finite when given.
    pub fn positive_opt(&self, key: &str, v: &Option<Spanned<f64>>) -> Result<Option<f64>> {
        v.as_ref().map(|x| self.positive(key, x)).transpose()
    }
}
