//! Parameter points: grids, uniform draws and Latin hypercubes, linear or
//! logarithmic, seeded.

use super::spec::{Parameter, Sampling};
use atscale_circuit::random::Rng;

/// The stream index of the sampling draws (point streams use `0..points`).
const SAMPLING_STREAM: u64 = u64::MAX;

/// The grid values of one parameter.
pub fn grid_values(p: &Parameter) -> Vec<f64> {
    if let Some(v) = &p.values {
        return v.clone();
    }
    let n = p.steps.max(1);
    if n == 1 {
        return vec![p.min];
    }
    (0..n)
        .map(|k| {
            let w = k as f64 / (n - 1) as f64;
            if k == n - 1 {
                p.max
            } else if p.log {
                (p.min.ln() + w * (p.max.ln() - p.min.ln())).exp()
            } else {
                // k * step rather than w * span: grid points that are round
                // numbers come out exact (0 + 10 * 1.5 / 15 = 1).
                p.min + k as f64 * (p.max - p.min) / (n - 1) as f64
            }
        })
        .collect()
}

fn from_unit(p: &Parameter, u: f64) -> f64 {
    if p.log {
        (p.min.ln() + u * (p.max.ln() - p.min.ln())).exp()
    } else {
        p.min + u * (p.max - p.min)
    }
}

/// The parameter points, one vector of values (in parameter order) per
/// point. A grid runs the first parameter slowest. With no parameters there
/// is one empty point (Monte Carlo around the nominal circuit).
pub fn points(
    parameters: &[Parameter],
    sampling: Sampling,
    count: Option<usize>,
    seed: u64,
) -> Vec<Vec<f64>> {
    if parameters.is_empty() {
        return vec![Vec::new()];
    }
    match sampling {
        Sampling::Grid => {
            let axes: Vec<Vec<f64>> = parameters.iter().map(grid_values).collect();
            let mut out = vec![Vec::new()];
            for axis in &axes {
                out = out
                    .iter()
                    .flat_map(|prefix| {
                        axis.iter().map(move |x| {
                            let mut v = prefix.clone();
                            v.push(*x);
                            v
                        })
                    })
                    .collect();
            }
            out
        }
        Sampling::Uniform => {
            let n = count.unwrap_or(1);
            let mut rng = Rng::stream(seed, SAMPLING_STREAM);
            (0..n).map(|_| parameters.iter().map(|p| from_unit(p, rng.uniform())).collect()).collect()
        }
        Sampling::LatinHypercube => {
            let n = count.unwrap_or(1);
            let mut rng = Rng::stream(seed, SAMPLING_STREAM);
            let columns: Vec<Vec<f64>> = parameters
                .iter()
                .map(|p| {
                    let perm = rng.permutation(n);
                    perm.iter()
                        .map(|&stratum| from_unit(p, (stratum as f64 + rng.uniform()) / n as f64))
                        .collect()
                })
                .collect();
            (0..n).map(|i| columns.iter().map(|c| c[i]).collect()).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(min: f64, max: f64, steps: usize, log: bool) -> Parameter {
        Parameter {
            name: "p".into(),
            min,
            max,
            steps,
            values: None,
            log,
            relative: false,
            unit: None,
            line: 1,
        }
    }

    #[test]
    fn grids_hit_both_ends_and_space_evenly() {
        assert_eq!(grid_values(&param(1.0, 3.0, 5, false)), vec![1.0, 1.5, 2.0, 2.5, 3.0]);
        let g = grid_values(&param(1e-3, 1e1, 5, true));
        for (x, e) in g.iter().zip([1e-3, 1e-2, 1e-1, 1.0, 1e1]) {
            // Measured at most 8.9e-16; 1e-14 is an 11x margin.
            assert!((x / e - 1.0).abs() < 1e-14, "{x} vs {e}");
        }
    }

    #[test]
    fn grid_product_runs_first_parameter_slowest() {
        let p = points(&[param(0.0, 1.0, 2, false), param(10.0, 30.0, 3, false)], Sampling::Grid, None, 0);
        assert_eq!(
            p,
            vec![
                vec![0.0, 10.0],
                vec![0.0, 20.0],
                vec![0.0, 30.0],
                vec![1.0, 10.0],
                vec![1.0, 20.0],
                vec![1.0, 30.0]
            ]
        );
    }

    #[test]
    fn latin_hypercube_uses_every_stratum_once() {
        let ps = [param(0.0, 1.0, 0, false), param(1.0, 100.0, 0, true)];
        let n = 50;
        let p = points(&ps, Sampling::LatinHypercube, Some(n), 9);
        for (d, par) in ps.iter().enumerate() {
            let mut strata: Vec<usize> = p
                .iter()
                .map(|v| {
                    let u = if par.log { v[d].ln() / 100f64.ln() } else { v[d] };
                    (u * n as f64).floor() as usize
                })
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {d}");
        }
        assert_eq!(p, points(&ps, Sampling::LatinHypercube, Some(n), 9));
        assert_ne!(p, points(&ps, Sampling::LatinHypercube, Some(n), 10));
    }

    #[test]
    fn uniform_draws_stay_in_range_with_the_right_mean() {
        let p = points(&[param(2.0, 4.0, 0, false)], Sampling::Uniform, Some(20_000), 1);
        assert!(p.iter().all(|v| (2.0..4.0).contains(&v[0])));
        let mean = p.iter().map(|v| v[0]).sum::<f64>() / p.len() as f64;
        // Standard error 2/sqrt(12 * 20000) = 4.1e-3.
        assert!((mean - 3.0).abs() < 0.02, "{mean}");
    }
}
