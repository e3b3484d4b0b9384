//! A sweep's summary in Markdown.

use std::fmt::Write as _;

use atscale_explore::sweep::summary::Summary;

use crate::axis::quantity;

/// The summary as Markdown; every number with its unit.
pub fn summary(s: &Summary) -> String {
    let mut m = String::from("# Sweep summary\n\n");
    for key in ["sweep", "base", "seed", "sampling", "points", "monte_carlo", "atscale", "ngspice"] {
        if let Some(v) = s.meta.get(key) {
            let _ = writeln!(m, "- {key}: {v}");
        }
    }
    let status: Vec<String> = s.status.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(m, "- points in the table: {} ({})", s.points, status.join(", "));
    if !s.verify.is_empty() {
        let v: Vec<String> = s.verify.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(m, "- verified through ngspice: {}", v.join(", "));
    }
    if !s.numeric.is_empty() {
        m.push_str("\n| quantity | n | mean | std | min | 5 % | median | 95 % | max |\n");
        m.push_str("|---|---|---|---|---|---|---|---|---|\n");
        for st in &s.numeric {
            let u = if st.unit == "1" { "" } else { st.unit.as_str() };
            let f = |x: f64| quantity(x, u);
            let _ = writeln!(
                m,
                "| {} [{}] | {} | {} | {} | {} | {} | {} | {} | {} |",
                st.name,
                st.unit,
                st.count,
                f(st.mean),
                f(st.std),
                f(st.min),
                f(st.q05),
                f(st.median),
                f(st.q95),
                f(st.max)
            );
        }
    }
    for (name, c) in &s.classes {
        let parts: Vec<String> = c.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(m, "\n{name}: {}", parts.join(", "));
    }
    m
}
