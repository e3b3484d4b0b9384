//! The one place that decides how numbers are printed into netlists and read
//! back from them.
//!
//! [`format_number`] prints the shortest decimal text that reads back as the
//! same `f64` (Rust's shortest round-trip algorithm), in plain notation for
//! magnitudes in `[1e-4, 1e15)` and with an `e` exponent otherwise. It never
//! prints an SI suffix: `m` would be milli to ngspice but could be read as
//! mega by a person or another tool.
//!
//! [`parse_number`] reads SPICE numbers: a decimal with an optional exponent,
//! then an optional scale suffix (`t g meg k m u n p f a mil`, any case, or
//! `µ`), then
//! any letters, which are ignored (`10pF`, `1mA`, `5V`). The value is rounded
//! once, from the decimal text with the suffix folded into its exponent, so
//! whatever [`format_number`] prints reads back exactly.

use std::str::FromStr;

/// Prints a finite `f64` so that [`parse_number`] (and ngspice) read it back.
///
/// Returns `None` for NaN and infinities, which no netlist can hold.
///
/// ```
/// use atscale_spice::number::format_number;
/// assert_eq!(format_number(0.1).as_deref(), Some("0.1"));
/// assert_eq!(format_number(12.5).as_deref(), Some("12.5"));
/// assert_eq!(format_number(2.0).as_deref(), Some("2"));
/// assert_eq!(format_number(1e-12).as_deref(), Some("1e-12"));
/// assert_eq!(format_number(-2.5e20).as_deref(), Some("-2.5e20"));
/// ```
pub fn format_number(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let mag = x.abs();
    if x == 0.0 || (1e-4..1e15).contains(&mag) {
        // Display is the shortest round-trip text without an exponent.
        Some(format!("{x}"))
    } else {
        // LowerExp is the shortest round-trip text with an exponent.
        Some(format!("{x:e}"))
    }
}

/// Why a token is not a SPICE number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// No digits where the number should start.
    #[error("expected a number (digits, optionally with a SPICE suffix such as `10p` or `1meg`)")]
    NoDigits,
    /// Characters after the number (and its suffix and unit letters) that are
    /// not letters, at this byte offset.
    #[error("unexpected characters after the number at column {}", .0 + 1)]
    Trailing(usize),
}

/// Reads a SPICE number (see the [module documentation](self)).
///
/// ```
/// use atscale_spice::number::parse_number;
/// assert_eq!(parse_number("10pF"), Ok(10e-12));
/// assert_eq!(parse_number("1meg"), Ok(1e6));
/// assert_eq!(parse_number("2.5k"), Ok(2500.0));
/// assert_eq!(parse_number("1e-3"), Ok(1e-3));
/// assert_eq!(parse_number("3mil"), Ok(3.0 * 25.4e-6));
/// assert_eq!(parse_number("5V"), Ok(5.0));
/// assert_eq!(parse_number("2\u{b5}s"), Ok(2e-6));
/// ```
pub fn parse_number(text: &str) -> Result<f64, NumberError> {
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return Err(NumberError::NoDigits);
    }
    let mantissa_end = i;
    let mut exponent: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        let mut neg = false;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            neg = b[j] == b'-';
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            // Saturate: anything this large is 0 or infinite anyway.
            let mut e: i64 = 0;
            for &d in &b[exp_start..j] {
                e = (e * 10 + i64::from(d - b'0')).min(100_000);
            }
            exponent = if neg { -e } else { e };
            i = j;
        }
        // `1e` with no exponent digits: `e` is a unit letter, ignored below.
    }
    let rest = &text[i..];
    let lower = rest.to_ascii_lowercase();
    let micro = ['\u{b5}', '\u{3bc}'].into_iter().find(|&c| rest.starts_with(c));
    let (scale_exp, factor, suffix_len) = if let Some(c) = micro {
        // The micro sign (or Greek mu), as ngspice 39 reads `2µ`.
        (-6, 1.0, c.len_utf8())
    } else if lower.starts_with("meg") {
        (6, 1.0, 3)
    } else if lower.starts_with("mil") {
        (0, 25.4e-6, 3)
    } else {
        match lower.as_bytes().first() {
            Some(b't') => (12, 1.0, 1),
            Some(b'g') => (9, 1.0, 1),
            Some(b'k') => (3, 1.0, 1),
            Some(b'm') => (-3, 1.0, 1),
            Some(b'u') => (-6, 1.0, 1),
            Some(b'n') => (-9, 1.0, 1),
            Some(b'p') => (-12, 1.0, 1),
            Some(b'f') => (-15, 1.0, 1),
            Some(b'a') => (-18, 1.0, 1),
            _ => (0, 1.0, 0),
        }
    };
    let units = &rest[suffix_len..];
    if let Some(pos) = units.find(|c: char| !c.is_ascii_alphabetic()) {
        return Err(NumberError::Trailing(i + suffix_len + pos));
    }
    let literal = format!("{}e{}", &text[..mantissa_end], exponent + scale_exp);
    let value = f64::from_str(&literal).map_err(|_| NumberError::NoDigits)?;
    Ok(value * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-0.7, "-0.7"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e-4, "0.0001"),
            (9e-5, "9e-5"),
            (1e15, "1e15"),
            (123456789012345.0, "123456789012345"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
        ];
        for (x, s) in cases {
            assert_eq!(format_number(x).as_deref(), Some(s), "{x:e}");
        }
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::INFINITY), None);
    }

    #[test]
    fn suffixes() {
        assert_eq!(parse_number("1k"), Ok(1e3));
        assert_eq!(parse_number("1K"), Ok(1e3));
        assert_eq!(parse_number("1Meg"), Ok(1e6));
        assert_eq!(parse_number("1M"), Ok(1e-3));
        assert_eq!(parse_number("1mF"), Ok(1e-3));
        assert_eq!(parse_number("4.7uF"), Ok(4.7e-6));
        assert_eq!(parse_number("10p"), Ok(1e-11));
        assert_eq!(parse_number("1t"), Ok(1e12));
        assert_eq!(parse_number("1g"), Ok(1e9));
        assert_eq!(parse_number("1f"), Ok(1e-15));
        assert_eq!(parse_number("1a"), Ok(1e-18));
        assert_eq!(parse_number(".5"), Ok(0.5));
        assert_eq!(parse_number("-2."), Ok(-2.0));
        assert_eq!(parse_number("+3"), Ok(3.0));
        assert_eq!(parse_number("1e3k"), Ok(1e6));
        assert_eq!(parse_number("2ohm"), Ok(2.0));
        assert_eq!(parse_number("abc"), Err(NumberError::NoDigits));
        assert_eq!(parse_number("-"), Err(NumberError::NoDigits));
        assert_eq!(parse_number("1k5"), Err(NumberError::Trailing(2)));
        assert_eq!(parse_number("1e999999999999999"), Ok(f64::INFINITY));
    }

    #[test]
    fn round_trip_edges() {
        for x in [0.1, 1.0 / 3.0, 1e-300, 5e-324, 2.2250738585072014e-308, 1e308, 123.456e-7, -4.5e19] {
            let s = format_number(x).unwrap();
            assert_eq!(parse_number(&s), Ok(x), "{s}");
        }
    }
}
