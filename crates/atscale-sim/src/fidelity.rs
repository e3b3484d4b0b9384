//! What the native engine does not model exactly in a circuit, by name.
//!
//! The native engine reads every card atscale parses but simulates only
//! part of some device models and options. Each such item is listed here,
//! so that no result differs from ngspice without a warning: a parameter
//! the native device equations ignore, a breakdown it does not have, an
//! option that changes ngspice's circuit but not the native one.

use atscale_circuit::{FlatCircuit, ModelKind, Options};

/// `.options` that change only how ngspice computes or prints, not the
/// circuit it solves (tolerances the native engine reads itself, iteration
/// limits, output formats).
const NUMERICS_AND_OUTPUT: &[&str] = &[
    "abstol",
    "reltol",
    "vntol",
    "chgtol",
    "trtol",
    "maxord",
    "method",
    "maxstep",
    "tmax",
    "itl1",
    "itl2",
    "itl3",
    "itl4",
    "itl5",
    "itl6",
    "gminsteps",
    "srcsteps",
    "noopiter",
    "klu",
    "sparse",
    "kluarg",
    "post",
    "acct",
    "noacct",
    "list",
    "nomod",
    "nopage",
    "node",
    "opts",
    "numdgt",
    "ingold",
    "savecurrents",
    "keepopinfo",
    "interp",
    "noinit",
    "warn",
    "norefvalue",
    "pivtol",
    "pivrel",
    "bypass",
    "xmu",
    "autostop",
    "noautoconv",
    "nousertp",
    "indverbosity",
];

/// The conductance ngspice puts across junctions unless `.options gmin`
/// says otherwise; the native engine always uses this value.
const SPICE_GMIN: f64 = 1e-12;

/// The parameters, options and model features of `circuit` run with
/// `options` that the native engine does not model as ngspice does, one
/// sentence each naming them. Empty when the native result rests on the
/// same equations as ngspice's.
pub fn unmodelled(circuit: &FlatCircuit, options: &Options) -> Vec<String> {
    let mut out: Vec<String> = circuit.models.iter().filter_map(|m| model_gaps(&m.name, &m.kind)).collect();
    if options.gmin.is_some_and(|g| g != SPICE_GMIN) {
        out.push(format!(
            "`.options gmin` is not used: the native engine puts {SPICE_GMIN:e} S across junctions, ngspice the \
             value given"
        ));
    }
    let ignored: Vec<&str> = options
        .other
        .iter()
        .filter(|(k, v)| {
            !NUMERICS_AND_OUTPUT.contains(&k.as_str()) && !at_native_temperature(k, v.as_deref())
        })
        .map(|(k, _)| k.as_str())
        .collect();
    if !ignored.is_empty() {
        out.push(format!(
            "`.options` {} not used (the native engine models devices at 27 °C, no shunts)",
            list(&ignored)
        ));
    }
    out
}

/// Whether the option is `temp` or `tnom` at the 27 °C the native engine
/// models devices at.
fn at_native_temperature(key: &str, value: Option<&str>) -> bool {
    matches!(key, "temp" | "tnom") && value.and_then(|v| v.parse::<f64>().ok()) == Some(NATIVE_CELSIUS)
}

/// The temperature of the native device models, °C.
const NATIVE_CELSIUS: f64 = 27.0;

/// The unmodelled parameters of one model card, as a sentence.
fn model_gaps(name: &str, kind: &ModelKind<f64>) -> Option<String> {
    match kind {
        ModelKind::Diode(d) => {
            let mut gaps = Vec::new();
            if d.bv.is_some() {
                gaps.push("BV");
            }
            if d.ibv.is_some() {
                gaps.push("IBV");
            }
            (!gaps.is_empty())
                .then(|| format!("diode model `{name}`: {} not modelled (no reverse breakdown)", list(&gaps)))
        }
        ModelKind::Nmos(p) | ModelKind::Pmos(p) if p.level == 1 => {
            // `IS` is read (bulk junctions); every other extra parameter is not.
            let gaps: Vec<String> =
                p.extra.keys().filter(|k| k.as_str() != "is").map(|k| k.to_ascii_uppercase()).collect();
            let gaps: Vec<&str> = gaps.iter().map(String::as_str).collect();
            (!gaps.is_empty()).then(|| {
                format!(
                    "level-1 MOSFET model `{name}`: {} not modelled (the native level 1 reads VTO, KP, LAMBDA, \
                     GAMMA, PHI and IS; no gate or junction capacitances)",
                    list(&gaps)
                )
            })
        }
        // Other levels are refused when an element uses them.
        ModelKind::Nmos(_) | ModelKind::Pmos(_) => None,
        ModelKind::Npn(_) | ModelKind::Pnp(_) | ModelKind::Sw(_) | ModelKind::Csw(_) => None,
    }
}

/// `A`, `A and B`, `A, B and C` with `is`/`are`.
fn list(names: &[&str]) -> String {
    let verb = if names.len() == 1 { "is" } else { "are" };
    match names {
        [one] => format!("{one} {verb}"),
        [init @ .., last] => format!("{} and {last} {verb}", init.join(", ")),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_temperatures_other_than_27_c_are_named() {
        let empty = FlatCircuit { title: String::new(), models: vec![], elements: vec![] };
        let with = |other: Vec<(String, Option<String>)>| Options { other, ..Options::default() };
        let at_27 = with(vec![("temp".into(), Some("27".into())), ("tnom".into(), Some("27.0".into()))]);
        assert!(unmodelled(&empty, &at_27).is_empty());
        let hot = with(vec![
            ("temp".into(), Some("85".into())),
            ("post".into(), None),
            ("rshunt".into(), Some("1g".into())),
        ]);
        let u = unmodelled(&empty, &hot);
        assert_eq!(u, ["`.options` temp and rshunt are not used (the native engine models devices at 27 °C, no shunts)"]);
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(list(&["BV"]), "BV is");
        assert_eq!(list(&["BV", "IBV"]), "BV and IBV are");
        assert_eq!(list(&["TOX", "CJ", "LD"]), "TOX, CJ and LD are");
    }
}
