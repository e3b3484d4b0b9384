//! Event error vs tolerance for the spiking reference cases.
use atscale_sim::reference;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which: Vec<String> = std::env::args().skip(1).collect();
    for case in reference::spiking_cases() {
        if !which.is_empty() && !which.iter().any(|w| case.name.contains(w.as_str())) {
            continue;
        }
        for rt in [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9] {
            let sim = case
                .simulation()?
                .trtol(1.0)
                .reltol(rt)
                .vntol(rt * 1e-3)
                .abstol(rt * 1e-3)
                .statetol(rt * 1e-3);
            let t0 = std::time::Instant::now();
            let res = match sim.run() {
                Ok(r) => r,
                Err(e) => {
                    println!("{} rt={rt:e}: {e}", case.name);
                    continue;
                }
            };
            let dt = t0.elapsed();
            let ev = res.event_times(case.signal);
            let maxerr = ev.iter().zip(&case.expected_events).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            let s = res.stats;
            println!(
                "{:16} rt={rt:.0e} ev={}/{} err/isi={:.2e} {:>9.3}ms acc={} rej={} nf={} nit={} fac={}",
                case.name,
                ev.len(),
                case.expected_events.len(),
                maxerr / case.isi,
                dt.as_secs_f64() * 1e3,
                s.accepted,
                s.rejected,
                s.newton_failures,
                s.newton_iterations,
                s.factorizations
            );
        }
    }
    Ok(())
}
