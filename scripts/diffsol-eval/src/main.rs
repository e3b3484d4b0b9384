#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! diffsol 0.18 (BDF and TR-BDF2, singular mass matrix, root finding) against
//! the native integrator on the FitzHugh-Nagumo reference cell, 1000 time units.
//! Unknowns as in the native MNA: v (node), m (node, algebraic), iL (branch).
//!   1  * dv/dt  = 0.5 - (v^3/3 - v) - iL
//!   0           = iL - (m + 0.7) / 0.8
//!   12.5 diL/dt = v - m
use diffsol::{NalgebraLU, NalgebraMat, OdeBuilder, OdeSolverMethod, OdeSolverStopReason};
use std::time::Instant;

const REF10: f64 = 378.54555568;

fn rising(y: &[f64]) -> bool {
    0.5 - (y[0] * y[0] * y[0] / 3.0 - y[0]) - y[2] > 0.0
}

fn run(method: &str, tol: f64) -> Result<(Vec<f64>, usize, usize), Box<dyn std::error::Error>> {
    let problem = OdeBuilder::<NalgebraMat<f64>>::new()
        .rtol(tol)
        .atol([tol * 1e-3, tol * 1e-3, tol * 1e-3])
        .rhs_implicit(
            |x, _p, _t, y| {
                y[0] = 0.5 - (x[0] * x[0] * x[0] / 3.0 - x[0]) - x[2];
                y[1] = x[2] - (x[1] + 0.7) / 0.8;
                y[2] = x[0] - x[1];
            },
            |x, _p, _t, v, y| {
                y[0] = (1.0 - x[0] * x[0]) * v[0] - v[2];
                y[1] = v[2] - v[1] / 0.8;
                y[2] = v[0] - v[1];
            },
        )
        .mass(|v, _p, _t, beta, y| {
            y[0] = v[0] + beta * y[0];
            y[1] = beta * y[1];
            y[2] = 12.5 * v[2] + beta * y[2];
        })
        .init(
            |_p, _t, y| {
                y[0] = -1.0;
                y[1] = 0.1;
                y[2] = 1.0;
            },
            3,
        )
        .root(|x, _p, _t, y| y[0] = x[0] - 1.0, 1)
        .build()?;
    let mut events = Vec::new();
    let (steps, newton);
    macro_rules! drive {
        ($s:expr) => {{
            let mut s = $s;
            s.set_stop_time(1000.0)?;
            loop {
                match s.step()? {
                    OdeSolverStopReason::RootFound(t, _) => {
                        let y = s.interpolate(t)?;
                        if rising(&diffsol::Vector::clone_as_vec(&y)) {
                            events.push(t);
                        }
                    }
                    OdeSolverStopReason::TstopReached => break,
                    OdeSolverStopReason::InternalTimestep => {}
                }
            }
            let st = s.get_statistics();
            steps = st.number_of_steps;
            newton = st.number_of_nonlinear_solver_iterations;
        }};
    }
    match method {
        "bdf" => drive!(problem.bdf::<NalgebraLU<f64>>()?),
        _ => drive!(problem.tr_bdf2::<NalgebraLU<f64>>()?),
    }
    Ok((events, steps, newton))
}

fn native(reltol: f64) -> Result<(Vec<f64>, usize, usize), Box<dyn std::error::Error>> {
    let mut case = atscale_sim::reference::fitzhugh_nagumo();
    case.tstop = 1000.0;
    let mut sim = case.simulation()?.output(atscale_sim::Output::Every(100));
    if reltol != 1e-3 {
        sim = sim.reltol(reltol).vntol(reltol * 1e-3).abstol(reltol * 1e-3);
    }
    let r = sim.run()?;
    Ok((r.event_times("v"), r.stats.accepted, r.stats.newton_iterations))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps = 40;
    println!("| solver | tol | 10th-spike rel. error | events | steps | Newton its | best wall (ms) |");
    println!("|---|---|---|---|---|---|---|");
    let mut rows: Vec<(String, f64)> =
        vec![("native".into(), 1e-3), ("native".into(), 1e-4), ("native".into(), 1e-5)];
    for m in ["bdf", "tr_bdf2"] {
        for tol in [1e-5, 1e-6, 1e-7, 1e-8, 1e-9] {
            rows.push((m.into(), tol));
        }
    }
    for (m, tol) in rows {
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..reps {
            let t0 = Instant::now();
            let r = if m == "native" { native(tol) } else { run(&m, tol) };
            best = best.min(t0.elapsed().as_secs_f64());
            last = Some(r);
        }
        match last {
            Some(Ok((ev, steps, newton))) => {
                let err = ev.get(9).map_or(f64::NAN, |t| (t - REF10).abs() / REF10);
                println!(
                    "| {m} | {tol:e} | {err:.2e} | {} | {steps} | {newton} | {:.2} |",
                    ev.len(),
                    best * 1e3
                );
            }
            Some(Err(e)) => println!("| {m} | {tol:e} | failed: {e} | | | | |"),
            None => {}
        }
    }
    Ok(())
}
