//! Pinned solver statistics of the reference circuits: a change in the work
//! done shows here. Update deliberately, with the reason, when the solver
//! changes.

use atscale_sim::reference;
use atscale_sim::Stats;

fn run(case: reference::ReferenceCase) -> Stats {
    case.simulation().unwrap().run().unwrap().stats
}

#[test]
fn pinned_statistics() {
    let got: Vec<(&str, Stats)> = vec![
        ("rc", run(reference::rc())),
        ("rlc", run(reference::rlc())),
        ("fitzhugh_nagumo", run(reference::fitzhugh_nagumo())),
        ("tanh_spiker", run(reference::tanh_spiker())),
        ("hodgkin_huxley", run(reference::hodgkin_huxley())),
    ];
    let text: String = got
        .iter()
        .map(|(n, s)| {
            format!(
                "{n}: accepted {} rejected {} newton_failures {} newton {} jac {} factor {} f {} events {}\n",
                s.accepted,
                s.rejected,
                s.newton_failures,
                s.newton_iterations,
                s.jacobian_evals,
                s.factorizations,
                s.function_evals,
                s.events
            )
        })
        .collect();
    let expected = include_str!("stats.snap");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        // Print for a deliberate update of tests/sim/stats.snap (the test never writes it).
        eprintln!("{text}");
    }
    assert_eq!(text, expected, "solver statistics changed:\n{text}");
}
