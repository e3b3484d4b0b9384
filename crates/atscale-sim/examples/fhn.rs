//! Runs the FitzHugh-Nagumo reference cell for 1000 time units `REPS` times
//! (default 200) and prints the best time and the 10th-spike error: a
//! target for profilers (`valgrind --tool=callgrind`, `perf record`).
use atscale_sim::{reference, Output};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut case = reference::fitzhugh_nagumo();
    case.tstop = 1000.0;
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..reps {
        let t0 = std::time::Instant::now();
        let res = case.simulation()?.output(Output::Every(100)).run()?;
        best = best.min(t0.elapsed().as_secs_f64());
        last = Some(res);
    }
    if let Some(res) = last {
        let ev = res.event_times("v");
        let err = (ev.get(9).copied().unwrap_or(f64::NAN) - case.expected_events[9]).abs()
            / case.expected_events[9];
        println!("fhn 1000: best {:.3} ms, 10th-spike error {err:.2e}, {:?}", best * 1e3, res.stats);
    }
    Ok(())
}
