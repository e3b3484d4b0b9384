//! Summaries of a results table: per numeric metric the mean, spread and
//! quantiles; per class metric the count of each class; status and
//! verification counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::table::{column_name, column_unit, Table};

/// Statistics of one numeric column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Column name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Points with a value.
    pub count: usize,
    /// Points without a value (undefined or failed).
    pub missing: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// 5 % quantile.
    pub q05: f64,
    /// 25 % quantile.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// 75 % quantile.
    pub q75: f64,
    /// 95 % quantile.
    pub q95: f64,
    /// Largest value.
    pub max: f64,
}

/// The `q` quantile of sorted values (linear interpolation between order
/// statistics, "type 7" of Hyndman and Fan, as numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Statistics of values (`None` when there is none).
pub fn stats(name: &str, unit: &str, values: &[Option<f64>]) -> Option<Stats> {
    let mut v: Vec<f64> = values.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let std =
        if n > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    Some(Stats {
        name: name.into(),
        unit: unit.into(),
        count: n,
        missing: values.len() - n,
        mean,
        std,
        min: v[0],
        q05: quantile(&v, 0.05),
        q25: quantile(&v, 0.25),
        median: quantile(&v, 0.5),
        q75: quantile(&v, 0.75),
        q95: quantile(&v, 0.95),
        max: v[n - 1],
    })
}

/// The summary of a results table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The header's meta lines.
    pub meta: BTreeMap<String, String>,
    /// Points in the table.
    pub points: usize,
    /// Points by status (`ok`, `failed`).
    pub status: BTreeMap<String, usize>,
    /// Verified points by verdict (`agree`, `disagree`, `error`).
    pub verify: BTreeMap<String, usize>,
    /// Statistics of the parameters and numeric metrics.
    pub numeric: Vec<Stats>,
    /// Counts of each class of the class metrics.
    pub classes: BTreeMap<String, BTreeMap<String, usize>>,
}

fn counts<'a>(cells: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in cells.filter(|c| !c.is_empty()) {
        let key = c.split([' ', ':']).next().unwrap_or(c).to_string();
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

/// Summarises a table.
pub fn summarise(t: &Table) -> Summary {
    let h = &t.header;
    let col = |n: &str| h.column(n);
    let mut numeric = Vec::new();
    let mut classes = BTreeMap::new();
    let names: Vec<String> = h.parameters().into_iter().chain(h.metrics()).collect();
    for name in &names {
        let Some(c) = col(name) else { continue };
        let unit = column_unit(&h.columns[c]).to_string();
        if unit == "class" {
            classes.insert(name.clone(), counts(t.cells(c).into_iter()));
        } else if let Some(s) = stats(column_name(&h.columns[c]), &unit, &t.numbers(c)) {
            numeric.push(s);
        }
    }
    Summary {
        meta: h.meta.iter().cloned().collect(),
        points: t.rows.len(),
        status: col("status").map(|c| counts(t.cells(c).into_iter())).unwrap_or_default(),
        verify: col("verify").map(|c| counts(t.cells(c).into_iter())).unwrap_or_default(),
        numeric,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 4, 8, 16], [0.05, 0.25, 0.5, 0.75, 0.95])
        // = [1.2, 2, 4, 8, 14.4]
        let v = [1.0, 2.0, 4.0, 8.0, 16.0];
        for (q, e) in [(0.05, 1.2), (0.25, 2.0), (0.5, 4.0), (0.75, 8.0), (0.95, 14.4)] {
            // Measured at most 1.8e-15 (at 14.4); 2e-14 is an 11x margin.
            assert!((quantile(&v, q) - e).abs() < 2e-14, "q {q}: {}", quantile(&v, q));
        }
    }

    #[test]
    fn stats_of_known_values() {
        let s = stats("x", "s", &[Some(1.0), None, Some(3.0), Some(5.0)]).unwrap();
        assert_eq!((s.count, s.missing), (3, 1));
        assert!((s.mean - 3.0).abs() < 1e-15);
        assert!((s.std - 2.0).abs() < 1e-15);
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
        assert!(stats("x", "s", &[None]).is_none());
    }
}
