//! Printing quantities with their units.

/// Formats `value` with an SI prefix and `unit`, four significant digits:
/// `si(1.5e-12, "F")` is `"1.5 pF"`, `si(0.0, "V")` is `"0 V"`.
///
/// Values outside 1e-24..1e27 are printed in exponent form. Non-finite
/// values print as `inf`/`NaN` with the unit.
pub fn si(value: f64, unit: &str) -> String {
    const PREFIXES: [(f64, &str); 17] = [
        (1e24, "Y"),
        (1e21, "Z"),
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
        (1e-12, "p"),
        (1e-15, "f"),
        (1e-18, "a"),
        (1e-21, "z"),
        (1e-24, "y"),
    ];
    if value == 0.0 || !value.is_finite() {
        return format!("{value} {unit}");
    }
    let mag = value.abs();
    if !(1e-24..1e27).contains(&mag) {
        return format!("{value:.3e} {unit}");
    }
    for (scale, prefix) in PREFIXES {
        if mag >= scale * (1.0 - 5e-5) {
            let scaled = value / scale;
            // Four significant digits: `scaled` lies in [1, 1000).
            let decimals = (3 - scaled.abs().log10().floor() as i32).clamp(0, 3) as usize;
            let s = format!("{scaled:.decimals$}");
            // Trim trailing zeros.
            let s =
                if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
            return format!("{s} {prefix}{unit}");
        }
    }
    format!("{value:.3e} {unit}")
}

#[cfg(test)]
mod tests {
    use super::si;

    #[test]
    fn prefixes() {
        assert_eq!(si(1.5e-12, "F"), "1.5 pF");
        assert_eq!(si(1000.0, "Ω"), "1 kΩ");
        assert_eq!(si(-0.7, "V"), "-700 mV");
        assert_eq!(si(0.0, "A"), "0 A");
        assert_eq!(si(12.5, "H"), "12.5 H");
        assert_eq!(si(2.2e-6, "s"), "2.2 µs");
        assert_eq!(si(0.99999, "V"), "1 V");
        assert_eq!(si(1.0 / 3.0, "A"), "333.3 mA");
        assert_eq!(si(12.3456, "s"), "12.35 s");
    }
}
