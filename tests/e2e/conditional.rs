//! How a deck's logic is read: `.if`/`.elseif`/`.else`/`.endif` in the
//! circuit part (both engines read the same branch), and a `.control`
//! block's `tran` reading `let` variables.

use crate::{root, sim_rows};

#[test]
fn nested_conditionals_pick_the_branch_ngspice_picks() {
    let deck = root().join("tests/e2e/data/conditional/nested.cir");
    for engine in ["native", "ngspice"] {
        let (rows, _) = sim_rows(&deck, engine, &["a"], &[]);
        // sel = 2, big = 1: the `.elseif (sel == 2)` branch, its inner `.if (big)`.
        let v = rows.last().unwrap()[1];
        assert!((v - 5.0).abs() < 1e-12, "{engine}: V(a) = {v} V");
    }
}

#[test]
fn a_control_tran_reading_let_variables_is_the_analysis() {
    let deck = root().join("tests/e2e/data/conditional/control_tran.cir");
    let (rows, stderr) = sim_rows(&deck, "native", &["b"], &["--skip-control"]);
    assert!(stderr.contains("`.tran {((stime)/100)} {(stime)} uic`"), "{stderr}");
    let (t0, v0) = (rows[0][0], rows[0][1]);
    let (t, v) = (rows.last().unwrap()[0], rows.last().unwrap()[1]);
    // uic: starts at the capacitor's IC= 0.25 V, not the operating point (1 V);
    // stops at stime = 2 ms = 2 RC: 1 - 0.75 exp(-2).
    assert!(t0 == 0.0 && (v0 - 0.25).abs() < 1e-12, "first point {t0} s, {v0} V");
    let want = 1.0 - 0.75 * (-2.0f64).exp();
    // measured 7.0e-7 V at the native engine's default reltol 1e-3; 10x.
    assert!((t - 2e-3).abs() < 1e-15 && (v - want).abs() < 7e-6, "last point {t} s, {v} V (want {want} V)");
}
