//! Built-in example circuits, as public data.

use crate::circuit::Circuit;
use crate::element::{Element, ElementKind};
use crate::law::ResistiveLaw;
use crate::value::Value;
use crate::waveform::Waveform;

/// The names accepted by [`builtin`].
pub const BUILTIN_NAMES: &[&str] = &["fitzhugh-nagumo"];

/// A built-in circuit by name (see [`BUILTIN_NAMES`]).
pub fn builtin(name: &str) -> Option<Circuit> {
    match name {
        "fitzhugh-nagumo" | "fhn" => Some(fitzhugh_nagumo()),
        _ => None,
    }
}

fn num(x: f64) -> Value {
    Value::Num(x)
}

fn el(name: &str, kind: ElementKind<Value>) -> Element<Value> {
    Element { name: name.into(), kind }
}

/// The dimensionless FitzHugh-Nagumo mother circuit of theory section 3
/// (`a = 0.7, b = 0.8, eps = 0.08`, bias 0.5), in model units (volts,
/// farads, henries, ohms, amperes with `s = omega = C0 = 1`):
///
/// ```text
/// C dv/dt   = -(v³/3 - v) - i_L + I      C = 1, I = 0.5
/// L di_L/dt = v + E - R i_L              L = 12.5, R = 0.8, E = 0.7
/// ```
///
/// The membrane node is `v`; the inductor branch runs `v -> L1 -> m -> R1 -> e`
/// with the battery `Vbat` holding `e` at `-E`. Initial state `v = -1`,
/// `i_L = 1` (the reference case of `crates/atscale-spice/tests/spice/data/reference/events.json`).
pub fn fitzhugh_nagumo() -> Circuit {
    let s = |x: &str| x.to_string();
    Circuit {
        title: "FitzHugh-Nagumo circuit (dimensionless mother circuit)".into(),
        elements: vec![
            el(
                "C1",
                ElementKind::Capacitor { p: s("v"), n: s("0"), c_farad: num(1.0), ic_volt: Some(num(-1.0)) },
            ),
            el(
                "Rnl",
                ElementKind::NonlinearResistor {
                    p: s("v"),
                    n: s("0"),
                    law: ResistiveLaw::Cubic { a: num(1.0 / 3.0), b: num(1.0) },
                },
            ),
            el(
                "L1",
                ElementKind::Inductor { p: s("v"), n: s("m"), l_henry: num(12.5), ic_amp: Some(num(1.0)) },
            ),
            el("R1", ElementKind::Resistor { p: s("m"), n: s("e"), r_ohm: num(0.8) }),
            el(
                "Vbat",
                ElementKind::VoltageSource {
                    p: s("e"),
                    n: s("0"),
                    waveform: Waveform::Dc { value: num(-0.7) },
                    dc: None,
                },
            ),
            el(
                "Iext",
                ElementKind::CurrentSource {
                    p: s("0"),
                    n: s("v"),
                    waveform: Waveform::Dc { value: num(0.5) },
                    dc: None,
                },
            ),
        ],
        ..Circuit::default()
    }
}
