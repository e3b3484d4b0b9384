//! Times the chain and network reference circuits:
//! `large chain|network N TSTOP [auto|sparse|block]`.
use atscale_sim::{reference, Output, SolverKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map_or("chain", |s| s.as_str());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let tstop: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100.0);
    let solver = match args.get(4).map(|s| s.as_str()) {
        Some("sparse") => SolverKind::SparseLu,
        Some("block") => SolverKind::BlockKrylov,
        _ => SolverKind::Auto,
    };
    let case =
        if kind == "network" { reference::fhn_network(n, 1, tstop) } else { reference::fhn_chain(n, tstop) };
    let t0 = std::time::Instant::now();
    let tr = case.simulation()?.linear_solver(solver).output(Output::Every(100)).start()?;
    println!("setup {:?}, solver {}", t0.elapsed(), tr.linear_solver());
    let t0 = std::time::Instant::now();
    let res = case.simulation()?.linear_solver(solver).output(Output::Every(100)).run()?;
    println!(
        "{kind} n={n} tstop={tstop}: {:?} events={} {:?}",
        t0.elapsed(),
        res.event_times(case.signal).len(),
        res.stats
    );
    println!("events: {:?}", res.event_times(case.signal));
    Ok(())
}
