//! Axes and numbers as every plot and report shows them: a quantity with
//! its unit, SI prefixes for SI units (`time (ms)`, ticks `0, 5, 10`),
//! plain numbers for others, never `1.00e1`.

pub use atscale_circuit::units::si;

/// Units that take SI prefixes.
const SI_UNITS: [&str; 15] =
    ["V", "A", "s", "Hz", "F", "H", "S", "Ohm", "Ω", "W", "J", "m", "C", "B", "rad/s"];

/// Whether `unit` takes SI prefixes.
pub fn is_si(unit: &str) -> bool {
    SI_UNITS.contains(&unit)
}

const PREFIXES: [(i32, &str); 17] = [
    (24, "Y"),
    (21, "Z"),
    (18, "E"),
    (15, "P"),
    (12, "T"),
    (9, "G"),
    (6, "M"),
    (3, "k"),
    (0, ""),
    (-3, "m"),
    (-6, "µ"),
    (-9, "n"),
    (-12, "p"),
    (-15, "f"),
    (-18, "a"),
    (-21, "z"),
    (-24, "y"),
];

/// A number as a tick or a table shows it: up to four significant
/// digits, trailing zeros trimmed, exponent form only outside 1e-3..1e5.
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.3e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.') } else { m };
        return format!("{m}e{e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A value with its unit: SI-prefixed for SI units, else a plain number
/// followed by the unit (nothing for an empty unit).
pub fn quantity(v: f64, unit: &str) -> String {
    if is_si(unit) {
        si(v, unit)
    } else if unit.is_empty() {
        num(v)
    } else {
        format!("{} {unit}", num(v))
    }
}

/// An axis: what it shows, in which unit, linear or logarithmic, over
/// which range (`None`: from the data).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The quantity (`time`, `membrane voltage`).
    pub quantity: String,
    /// Its unit (`s`, `V`, `model V`, empty for a count or a ratio).
    pub unit: String,
    /// Logarithmic (data must be positive).
    pub log: bool,
    /// Range, in the unit (`None`: the data's, padded).
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis.
    pub fn new(quantity: impl Into<String>, unit: impl Into<String>) -> Axis {
        Axis { quantity: quantity.into(), unit: unit.into(), log: false, range: None }
    }

    /// The same axis, logarithmic.
    pub fn log(mut self) -> Axis {
        self.log = true;
        self
    }

    /// The same axis over `range`.
    pub fn range(mut self, lo: f64, hi: f64) -> Axis {
        self.range = Some((lo, hi));
        self
    }
}

/// An axis laid out on data: its coordinate range (log10 of the values on
/// a log axis) and the scale of its ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// Lower end, in coordinates.
    pub lo: f64,
    /// Upper end, in coordinates.
    pub hi: f64,
    log: bool,
    unit: String,
    quantity: String,
    /// Power of ten of the axis prefix (linear SI axes).
    exponent: i32,
}

impl Scale {
    /// Lays `axis` out over `values` (in the axis unit); `include_zero`
    /// keeps 0 in a linear range (bars).
    pub fn new(axis: &Axis, values: impl Iterator<Item = f64>, include_zero: bool) -> Scale {
        let map = |v: f64| if axis.log { v.log10() } else { v };
        let (lo, hi) = match axis.range {
            Some((a, b)) => (map(a), map(b)),
            None => padded(
                values.filter(|v| v.is_finite() && (!axis.log || *v > 0.0)).map(map),
                include_zero && !axis.log,
            ),
        };
        let m = lo.abs().max(hi.abs());
        let exponent = if !axis.log && is_si(&axis.unit) && m > 0.0 && m.is_finite() {
            let e = (m.log10().floor() as i32).div_euclid(3) * 3;
            e.clamp(-24, 24)
        } else {
            0
        };
        Scale { lo, hi, log: axis.log, unit: axis.unit.clone(), quantity: axis.quantity.clone(), exponent }
    }

    /// A value's coordinate (`None` off a log axis's domain or not finite).
    pub fn map(&self, v: f64) -> Option<f64> {
        let c = if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                return None;
            }
        } else {
            v
        };
        c.is_finite().then_some(c)
    }

    /// The axis title: `time (ms)`, `rate (Hz, log scale)`, `trial`.
    pub fn title(&self) -> String {
        let prefix = PREFIXES.iter().find(|p| p.0 == self.exponent).map_or("", |p| p.1);
        match (self.unit.as_str(), self.log) {
            ("", false) => self.quantity.clone(),
            ("", true) => format!("{} (log scale)", self.quantity),
            (u, false) => format!("{} ({prefix}{u})", self.quantity),
            (u, true) => format!("{} ({u}, log scale)", self.quantity),
        }
    }

    /// The label of the tick at coordinate `c`.
    pub fn tick(&self, c: f64) -> String {
        if self.log {
            let v = 10f64.powf(c);
            return if is_si(&self.unit) { si(v, &self.unit) } else { num(v) };
        }
        // Ticks are sums of steps: a residue of 1e-14 around zero is zero.
        let c = if c.abs() < 1e-9 * (self.hi - self.lo).abs() { 0.0 } else { c };
        num(c / 10f64.powi(self.exponent))
    }
}

/// The range of `values`, padded by 5 % (a unit either side of a single value).
fn padded(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        a = a.min(v);
        b = b.max(v);
    }
    if include_zero {
        a = a.min(0.0);
        b = b.max(0.0);
    }
    if !a.is_finite() {
        return (0.0, 1.0);
    }
    if b > a {
        let pad = 0.05 * (b - a);
        (if include_zero && a == 0.0 { 0.0 } else { a - pad }, b + pad)
    } else {
        let d = if a == 0.0 { 1.0 } else { 0.05 * a.abs() };
        (a - d, b + d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(num(10.0), "10");
        assert_eq!(num(0.031391), "0.03139");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(123456.0), "1.235e5");
        assert_eq!(num(2e-7), "2e-7");
        assert_eq!(num(-0.00001), "-1e-5");
        assert_eq!(quantity(0.03139131, "s"), "31.39 ms");
        assert_eq!(quantity(2.0, "model V"), "2 model V");
        assert_eq!(quantity(0.5, ""), "0.5");
    }

    #[test]
    fn an_si_axis_takes_one_prefix() {
        let s = Scale::new(&Axis::new("time", "s"), [0.0, 0.02].into_iter(), false);
        assert_eq!(s.title(), "time (ms)");
        assert_eq!(s.tick(0.015), "15");
        assert_eq!(s.tick(-5.551e-17), "0");
        let v = Scale::new(&Axis::new("current", "A"), [-3e-9, 2e-9].into_iter(), false);
        assert_eq!(v.title(), "current (nA)");
        let m = Scale::new(&Axis::new("membrane", "model V"), [-3.0, 3.0].into_iter(), false);
        assert_eq!(m.title(), "membrane (model V)");
        assert_eq!(m.tick(10.0), "10");
        let l = Scale::new(&Axis::new("rate", "Hz").log(), [10.0, 1000.0].into_iter(), false);
        assert_eq!(l.title(), "rate (Hz, log scale)");
        assert_eq!(l.tick(2.0), "100 Hz");
        assert_eq!(l.map(-1.0), None);
    }
}
