//! Native-side benchmarks of issue 3 on the reference circuits.
//!
//! `cargo bench -p atscale-sim --bench transient` runs all; pass a filter
//! (`fhn_cell`, `chain_1000`, `network_1000`, `chain_10k`) to run one. The
//! large cases are run once per sample with a small sample count.

use std::time::Duration;

use atscale_sim::reference::{self, ReferenceCase};
use atscale_sim::Output;
use criterion::{criterion_group, criterion_main, Criterion};

fn run(case: &ReferenceCase) -> usize {
    match case.simulation().and_then(|s| s.output(Output::Every(100)).run()) {
        Ok(res) => res.stats.accepted,
        Err(e) => {
            eprintln!("{}: {e}", case.name);
            0
        }
    }
}

fn small(c: &mut Criterion) {
    let mut fhn = reference::fitzhugh_nagumo();
    fhn.tstop = 1000.0;
    c.bench_function("fhn_cell_1000", |b| b.iter(|| run(&fhn)));
}

fn large(c: &mut Criterion) {
    let mut g = c.benchmark_group("large");
    g.sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(1));
    let chain = reference::fhn_chain(1000, 1000.0);
    g.bench_function("chain_1000", |b| b.iter(|| run(&chain)));
    let net = reference::fhn_network(1000, 1, 1000.0);
    g.bench_function("network_1000", |b| b.iter(|| run(&net)));
    let chain10k = reference::fhn_chain(10_000, 100.0);
    g.bench_function("chain_10k", |b| b.iter(|| run(&chain10k)));
    g.finish();
}

criterion_group!(benches, small, large);
criterion_main!(benches);
