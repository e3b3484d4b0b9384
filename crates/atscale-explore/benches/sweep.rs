//! Benchmark of issue 7: a 10,000-point sweep of a single-neuron design,
//! 1000 model time units per point, on all cores.
//!
//! `cargo bench -p atscale-design --bench sweep` designs the 100 Hz
//! tonic-spiking example once, then times whole sweeps (Latin hypercube over
//! the bias current and the recovery resistance, seven event metrics with
//! the energy account) into a temporary results file. The requirement is
//! under 60 s on 2 cores. Set `ATSCALE_BENCH_POINTS` for another size, and
//! `ATSCALE_BENCH_LANDSCAPE=1` to add the landscape class and threshold
//! current (one landscape analysis per point).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::time::Duration;

use atscale_explore::sweep::{run, RunOptions, Sweep, SweepLimits, SweepSpec};
use criterion::Criterion;

fn sweep_text(points: usize, landscape: bool) -> String {
    let design = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/tonic-spiking-100hz.toml");
    let extra = if landscape { ", \"landscape_class\", \"threshold_current\"" } else { "" };
    format!(
        "design = \"{}\"\nseed = 7\nsampling = \"lhs\"\npoints = {points}\n\
         metrics = [\"firing_rate\", \"spike_count\", \"spikes_per_burst\", \"burst_period\", \
         \"first_spike_latency\", \"energy_per_spike\", \"activity\"{extra}]\n\
         [simulation]\ntstop_units = 1000\n\
         [[parameter]]\nname = \"Iext\"\nmin = 0.5\nmax = 1.5\nrelative = true\n\
         [[parameter]]\nname = \"R1\"\nmin = 0.8\nmax = 1.2\nrelative = true\n",
        design.display()
    )
}

fn bench(c: &mut Criterion) {
    let points: usize =
        std::env::var("ATSCALE_BENCH_POINTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let landscape = std::env::var("ATSCALE_BENCH_LANDSCAPE").is_ok_and(|v| v == "1");
    let spec = SweepSpec::from_toml_str(&sweep_text(points, landscape), "bench-sweep.toml").unwrap();
    let sweep = Sweep::prepare(spec, &SweepLimits::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.csv");
    let opts = RunOptions { force: true, ..RunOptions::default() };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10).measurement_time(Duration::from_secs(60)).warm_up_time(Duration::from_secs(1));
    g.bench_function(format!("{points} points x 1000 time units, {threads} threads"), |b| {
        b.iter(|| {
            let s = run(&sweep, &out, &opts, &mut |_| {}).unwrap();
            assert_eq!(s.failed, 0);
            s
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
