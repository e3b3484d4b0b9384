//! What the native engine does not model exactly in a circuit, by name.
//!
//! The native engine reads every card atscale parses but simulates only
//! part of some device models and options. Each such item is listed here,
//! so that no result differs from ngspice without a warning: a parameter
//! the native device equations ignore, a breakdown it does not have, an
//! option that changes ngspice's circuit but not the native one.

use atscale_circuit::units::si;
use atscale_circuit::{ElementKind, FlatCircuit, ModelKind, Options, SwitchControl};

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
    out.extend(random_sources(circuit));
    out.extend(switch_gaps(circuit, options));
    out.extend(circuit.elements.iter().filter_map(bjt_instance_gaps));
    out.extend(circuit.elements.iter().filter_map(mosfet_instance_gaps));
    out.extend(breakdown_tolerance(circuit, options));
    out.extend(time_derivatives(circuit));
    if options.gmin.is_some_and(|g| g != SPICE_GMIN) {
        out.push(format!(
            "`.options gmin` is not used: the native engine puts {SPICE_GMIN:e} S across junctions, ngspice the \
             value given"
        ));
    }
    let semiconductors = circuit.elements.iter().any(|e| {
        matches!(e.kind, ElementKind::Diode { .. } | ElementKind::Bjt { .. } | ElementKind::Mosfet { .. })
    });
    let ignored: Vec<&str> = options
        .other
        .iter()
        .filter(|(k, v)| {
            !NUMERICS_AND_OUTPUT.contains(&k.as_str())
                && !at_native_temperature(k, v.as_deref())
                && (!is_temperature(k) || semiconductors)
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

/// The sources drawn at random (TRNOISE, TRRANDOM), as a sentence: their
/// samples come from atscale's generator, not ngspice's.
fn random_sources(circuit: &FlatCircuit) -> Option<String> {
    let names: Vec<&str> = circuit
        .elements
        .iter()
        .filter(|e| match &e.kind {
            ElementKind::VoltageSource { waveform, .. } | ElementKind::CurrentSource { waveform, .. } => {
                waveform.is_random()
            }
            _ => false,
        })
        .map(|e| e.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "random source{} {}: drawn from atscale's own generator (same distribution, other samples than \
             ngspice's), so waveforms and events differ from ngspice's run sample by sample",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        )
    })
}

/// What differs from ngspice around switches (every SW and CSW model
/// parameter is modelled): a `W` controlled by an inductor's current, which
/// ngspice 39 refuses, and the default ROFF, which is 1/gmin in ngspice.
fn switch_gaps(circuit: &FlatCircuit, options: &Options) -> Vec<String> {
    let mut out = Vec::new();
    for e in &circuit.elements {
        let ElementKind::Switch { control: SwitchControl::Current { source }, .. } = &e.kind else {
            continue;
        };
        let inductor = circuit
            .elements
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(source) && matches!(x.kind, ElementKind::Inductor { .. }));
        if inductor {
            out.push(format!(
                "switch `{}` is controlled by the current of inductor `{source}`: ngspice 39 accepts only a \
                 voltage source there and refuses the netlist (a 0 V source in series with the inductor runs \
                 on both engines)",
                e.name
            ));
        }
    }
    if let Some(g) = options.gmin.filter(|&g| g != SPICE_GMIN) {
        for m in &circuit.models {
            if let ModelKind::Sw(p) | ModelKind::Csw(p) = &m.kind {
                if p.roff.is_none() {
                    out.push(format!(
                        "switch model `{}`: ROFF not given, ngspice's default is 1/gmin = {}, the native engine's {}",
                        m.name,
                        si(1.0 / g, "Ω"),
                        si(1.0 / SPICE_GMIN, "Ω")
                    ));
                }
            }
        }
    }
    out
}

/// ngspice adjusts a diode's breakdown voltage by an iteration that stops
/// at `RELTOL`; the native engine iterates as ngspice does at its default
/// 1e-3, so another `.options reltol` can move BV by up to `RELTOL·NBV·vt`.
fn breakdown_tolerance(circuit: &FlatCircuit, options: &Options) -> Option<String> {
    let reltol = options.reltol.filter(|&r| r != 1e-3)?;
    let names: Vec<&str> = circuit
        .models
        .iter()
        .filter(|m| matches!(&m.kind, ModelKind::Diode(d) if d.bv.is_some()))
        .map(|m| m.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "diode model{} {}: the breakdown voltage is adjusted to IBV with ngspice's default RELTOL 1e-3, \
             ngspice's run with `.options reltol={reltol}` (a difference of at most RELTOL·NBV·kT/q)",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        )
    })
}

/// The behavioural sources that take `ddt`, as a sentence: ngspice's `ddt`
/// is a difference of past time points, the native one the derivative of
/// the integration formula.
fn time_derivatives(circuit: &FlatCircuit) -> Option<String> {
    let names: Vec<&str> = circuit
        .elements
        .iter()
        .filter(|e| match &e.kind {
            ElementKind::BehaviouralCurrent { expr, .. } | ElementKind::BehaviouralVoltage { expr, .. } => {
                expr.has_ddt()
            }
            _ => false,
        })
        .map(|e| e.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "`ddt` in {}: ngspice takes the difference of the argument between its two previous time points \
             (0 for the first two steps, then about 1.5 steps late), the native engine the derivative of its \
             integration formula; results differ by about the argument's change over 1.5 of ngspice's steps",
            names.join(", ")
        )
    })
}

/// Whether the option is the circuit's or the nominal temperature. Without
/// semiconductors it changes only R, C and L temperature coefficients, which
/// the parser folds into their values at that temperature.
fn is_temperature(key: &str) -> bool {
    matches!(key, "temp" | "tnom")
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
        ModelKind::Diode(d) => diode_gaps(name, d),
        ModelKind::Nmos(p) | ModelKind::Pmos(p) if (1..=3).contains(&p.level) => mos_gaps(name, p),
        // Other levels are refused when an element uses them.
        ModelKind::Nmos(_) | ModelKind::Pmos(_) => None,
        ModelKind::Npn(p) | ModelKind::Pnp(p) => bjt_gaps(name, p),
        ModelKind::Sw(_) | ModelKind::Csw(_) => None,
    }
}

/// The extra parameters of ngspice's diode the native one reads
/// (devices/diode.rs; IS, N, RS, CJO, VJ, M, TT, BV and IBV are fields).
const DIODE_READ: &[&str] = &[
    "fc", "fcs", "nbv", "ikf", "ikr", "isr", "nr", "jsw", "ns", "cjp", "php", "mjsw", "area", "pj", "jtun",
    "jtunsw", "ntun",
];

/// Diode parameters that cannot change a native transient: temperature
/// coefficients (no effect at TEMP = TNOM = 27 °C), noise (KF, AF),
/// ngspice's safe-operating-area limits (warnings only), self-heating (it
/// needs a thermal node, which atscale does not read) and the metal and
/// poly capacitances of level 3 (named with LEVEL when it is 3).
const DIODE_HARMLESS: &[&str] = &[
    "eg", "xti", "xtitun", "keg", "tlev", "tlevc", "trs", "trs2", "ttt1", "ttt2", "tm1", "tm2", "cta", "ctp",
    "tpb", "tphp", "tcv", "kf", "af", "fv_max", "bv_max", "id_max", "te_max", "pd_max", "rth0", "cth0", "lm",
    "lp", "wm", "wp", "xom", "xoi", "xm", "xp", "level", "tnom",
];

/// The unmodelled parameters of a diode model card, as a sentence.
fn diode_gaps(name: &str, d: &atscale_circuit::DiodeParams<f64>) -> Option<String> {
    let mut gaps = Vec::new();
    if let Some(level) = d.extra.get("level").filter(|&&l| l != 1.0) {
        gaps.push(format!(
            "LEVEL = {level} (ngspice's scalable diode: IBV by area, W/L geometry, metal and poly \
             capacitances; simulated as level 1)"
        ));
    }
    if let Some(t) = d.extra.get("tnom").filter(|&&t| t != NATIVE_CELSIUS) {
        gaps.push(format!("TNOM = {t} °C (the native engine takes the parameters as measured at 27 °C)"));
    }
    if sidewall_charge_jumps(d) {
        gaps.push(
            "CJP above FCS·PHP (ngspice 39 extends the sidewall charge with the bottom junction's F1, so it \
             jumps there; the native engine's is continuous)"
                .to_string(),
        );
    }
    let known = |k: &str| DIODE_READ.contains(&k) || DIODE_HARMLESS.contains(&k);
    for k in d.extra.keys().filter(|k| !known(k)) {
        gaps.push(format!("{} (not a parameter of ngspice's diode)", k.to_ascii_uppercase()));
    }
    let gaps: Vec<&str> = gaps.iter().map(String::as_str).collect();
    (!gaps.is_empty()).then(|| format!("diode model `{name}`: {} not modelled", list(&gaps)))
}

/// Whether a diode has a sidewall capacitance whose charge ngspice 39
/// extends above `FCS·PHP` with the bottom junction's `F1`, which differs
/// from the sidewall's own unless `VJ`, `M`, `FC` (as ngspice limits them)
/// equal `PHP`, `MJSW`, `FCS`.
fn sidewall_charge_jumps(d: &atscale_circuit::DiodeParams<f64>) -> bool {
    if d.get("cjp", 0.0) == 0.0 || d.get("pj", 0.0) == 0.0 {
        return false;
    }
    let fc = d.get("fc", 0.5);
    let vj = d.vj.unwrap_or(1.0).min(1.0 / fc);
    let m = d.m.unwrap_or(0.5).min(0.9);
    let fcs = d.get("fcs", 0.5);
    let php = d.get("php", 1.0).min(1.0 / fcs);
    let f1 = |pb: f64, m: f64, fc: f64| pb * (1.0 - (1.0 - fc).powf(1.0 - m)) / (1.0 - m);
    (f1(vj, m, fc) - f1(php, d.get("mjsw", 0.33), fcs)).abs() > 1e-12 * f1(vj, m, fc).abs()
}

/// The extra parameters of ngspice's level-1 MOSFET the native one reads
/// (devices/mosfet.rs; VTO, KP, LAMBDA, GAMMA and PHI are fields).
const MOS1_READ: &[&str] = &[
    "rd", "rs", "cbd", "cbs", "is", "pb", "cgso", "cgdo", "cgbo", "rsh", "cj", "mj", "cjsw", "mjsw", "js",
    "tox", "ld", "u0", "fc", "nsub", "tpg", "nss",
];

/// The extra parameters of ngspice's level-2 MOSFET the native one reads
/// (devices/mos2.rs; VTO, KP, LAMBDA, GAMMA and PHI are fields).
const MOS2_READ: &[&str] = &[
    "rd", "rs", "cbd", "cbs", "is", "pb", "cgso", "cgdo", "cgbo", "rsh", "cj", "mj", "cjsw", "mjsw", "js",
    "tox", "ld", "u0", "fc", "nsub", "tpg", "nss", "delta", "uexp", "ucrit", "vmax", "xj", "neff", "nfs",
];

/// The extra parameters of ngspice's level-3 MOSFET the native one reads
/// (devices/mos3.rs; VTO, KP, GAMMA and PHI are fields, LAMBDA is not a
/// level-3 parameter).
const MOS3_READ: &[&str] = &[
    "rd", "rs", "cbd", "cbs", "is", "pb", "cgso", "cgdo", "cgbo", "rsh", "cj", "mj", "cjsw", "mjsw", "js",
    "tox", "ld", "xl", "wd", "xw", "delvto", "delvt0", "u0", "fc", "nsub", "tpg", "nss", "vmax", "xj", "nfs",
    "eta", "delta", "theta", "kappa",
];

/// The unmodelled parameters of a level-1, -2 or -3 MOSFET model card, as
/// a sentence. KF and AF (noise) cannot change a transient; a parameter
/// of no level is ignored by ngspice too (with a warning), and so by the
/// native engine.
fn mos_gaps(name: &str, p: &atscale_circuit::MosParams<f64>) -> Option<String> {
    let read = match p.level {
        2 => MOS2_READ,
        3 => MOS3_READ,
        _ => MOS1_READ,
    };
    let level = p.level;
    let mut gaps = Vec::new();
    if let Some(t) = p.extra.get("tnom").filter(|&&t| t != NATIVE_CELSIUS) {
        gaps.push(format!("TNOM = {t} °C (the native engine takes the parameters as measured at 27 °C)"));
    }
    if level == 3 && p.lambda.is_some() {
        gaps.push("LAMBDA (not a level-3 parameter; ngspice ignores it too)".to_string());
    }
    let known = |k: &str| read.contains(&k) || matches!(k, "kf" | "af" | "tnom");
    for k in p.extra.keys().filter(|k| !known(k)) {
        gaps.push(format!(
            "{} (not a level-{level} parameter; ngspice ignores it too)",
            k.to_ascii_uppercase()
        ));
    }
    let gaps: Vec<&str> = gaps.iter().map(String::as_str).collect();
    (!gaps.is_empty()).then(|| format!("level-{level} MOSFET model `{name}`: {} not modelled", list(&gaps)))
}

/// A MOSFET's `OFF` and `IC=`, which only ngspice reads.
fn mosfet_instance_gaps(e: &atscale_circuit::Element<f64>) -> Option<String> {
    let ElementKind::Mosfet { instance, .. } = &e.kind else { return None };
    let mut gaps = Vec::new();
    if instance.off {
        gaps.push(
            "OFF (ngspice starts its operating point with the device off; the native one may find another \
             solution of a multistable circuit)",
        );
    }
    if !instance.ic_volt.is_empty() {
        gaps.push(
            "IC= (ngspice's device voltages at the start of a `uic` run; the native engine starts from the \
             node voltages)",
        );
    }
    (!gaps.is_empty()).then(|| format!("MOSFET `{}`: {} not modelled", e.name, list(&gaps)))
}

/// The parameters of ngspice's level-1 bipolar transistor the native one
/// reads (devices/bjt.rs, under the names the parser gives its aliases).
const BJT_READ: &[&str] = &[
    "is", "ibe", "ibc", "bf", "nf", "vaf", "ikf", "nkf", "ise", "ne", "br", "nr", "var", "ikr", "isc", "nc",
    "rb", "irb", "rbm", "re", "rc", "cje", "vje", "mje", "tf", "xtf", "vtf", "itf", "cjc", "vjc", "mjc",
    "xcjc", "tr", "cjs", "vjs", "mjs", "fc", "iss", "ns", "subs",
];

/// Level-1 bipolar parameters that cannot change a native transient at
/// 27 °C: temperature coefficients (no effect at TEMP = TNOM = 27 °C),
/// noise (KF, AF), ngspice's safe-operating-area limits (warnings only) and
/// the quasi-saturation parameters other than RCO (unused without it).
const BJT_HARMLESS: &[&str] = &[
    "xtb", "eg", "xti", "tlev", "tlevc", "tbf1", "tbf2", "tbr1", "tbr2", "tikf1", "tikf2", "tikr1", "tikr2",
    "tirb1", "tirb2", "tnc1", "tnc2", "tne1", "tne2", "tnf1", "tnf2", "tnr1", "tnr2", "trb1", "trb2", "trc1",
    "trc2", "tre1", "tre2", "trm1", "trm2", "tvaf1", "tvaf2", "tvar1", "tvar2", "ctc", "cte", "cts", "tvjc",
    "tvje", "tvjs", "titf1", "titf2", "ttf1", "ttf2", "ttr1", "ttr2", "tmje1", "tmje2", "tmjc1", "tmjc2",
    "tmjs1", "tmjs2", "tns1", "tns2", "tis1", "tis2", "tise1", "tise2", "tisc1", "tisc2", "tiss1", "tiss2",
    "kf", "af", "vbe_max", "vbc_max", "vce_max", "pd_max", "ic_max", "ib_max", "te_max", "rth0", "vo",
    "gamma", "qco", "quasimod", "vg", "cn", "d",
];

/// A bipolar transistor's `OFF` and `IC=`, which only ngspice reads.
fn bjt_instance_gaps(e: &atscale_circuit::Element<f64>) -> Option<String> {
    let atscale_circuit::ElementKind::Bjt { off, ic_volt, .. } = &e.kind else {
        return None;
    };
    let mut gaps = Vec::new();
    if *off {
        gaps.push(
            "OFF (ngspice starts its operating point with the device off; the native one may find another \
             solution of a multistable circuit)",
        );
    }
    if !ic_volt.is_empty() {
        gaps.push("IC= (ngspice's device voltages at the start of a `uic` run; the native engine starts from the node voltages)");
    }
    (!gaps.is_empty()).then(|| format!("bipolar transistor `{}`: {} not modelled", e.name, list(&gaps)))
}

/// The unmodelled parameters of a level-1 bipolar model card, as a sentence.
fn bjt_gaps(name: &str, p: &atscale_circuit::BjtParams<f64>) -> Option<String> {
    if p.level != 1 {
        // Refused when an element uses it.
        return None;
    }
    let mut gaps = Vec::new();
    if p.get("ptf", 0.0) != 0.0 && p.get("tf", 0.0) != 0.0 {
        gaps.push("PTF (excess phase)".to_string());
    }
    if p.params.contains_key("rco") {
        gaps.push("RCO (quasi-saturation, with VO, GAMMA and QCO)".to_string());
    }
    if let Some(t) = p.params.get("tnom").filter(|&&t| t != NATIVE_CELSIUS) {
        gaps.push(format!("TNOM = {t} °C (the native engine takes the parameters as measured at 27 °C)"));
    }
    let known =
        |k: &str| BJT_READ.contains(&k) || BJT_HARMLESS.contains(&k) || matches!(k, "ptf" | "rco" | "tnom");
    for k in p.params.keys().filter(|k| !known(k)) {
        gaps.push(format!(
            "{} (not a parameter of ngspice's level-1 bipolar transistor)",
            k.to_ascii_uppercase()
        ));
    }
    let gaps: Vec<&str> = gaps.iter().map(String::as_str).collect();
    (!gaps.is_empty()).then(|| format!("bipolar transistor model `{name}`: {} not modelled", list(&gaps)))
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
        // Without semiconductors the temperature changes only R, C and L,
        // whose coefficients the parser folds in at that temperature.
        let u = unmodelled(&empty, &hot);
        assert_eq!(
            u,
            ["`.options` rshunt is not used (the native engine models devices at 27 °C, no shunts)"]
        );
        let diode = ElementKind::Diode { p: "a".into(), n: "0".into(), model: "d".into(), area: None };
        let with_diode = FlatCircuit {
            elements: vec![atscale_circuit::Element { name: "D1".into(), kind: diode }],
            ..empty.clone()
        };
        let u = unmodelled(&with_diode, &hot);
        assert_eq!(u, ["`.options` temp and rshunt are not used (the native engine models devices at 27 °C, no shunts)"]);
    }

    #[test]
    fn behavioural_sources_taking_ddt_are_named() {
        use atscale_circuit::{Element, Expr};
        let b = |name: &str, expr: &str| Element {
            name: name.into(),
            kind: ElementKind::BehaviouralCurrent {
                p: "a".into(),
                n: "0".into(),
                expr: Expr::parse(expr).unwrap(),
            },
        };
        let circuit = FlatCircuit {
            title: String::new(),
            models: vec![],
            elements: vec![b("B1", "1n*ddt(v(a))"), b("B2", "v(a)/1k"), b("B3", "tanh(ddt(time))")],
        };
        let gaps = unmodelled(&circuit, &Options::default());
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].starts_with("`ddt` in B1, B3: ngspice takes the difference"), "{gaps:?}");
    }

    #[test]
    fn switches_controlled_by_inductors_and_default_roff_under_gmin_are_named() {
        use atscale_circuit::{Element, Model, SwitchParams};
        let inductor = ElementKind::Inductor { p: "a".into(), n: "0".into(), l_henry: 1e-3, ic_amp: None };
        let w = |name: &str, source: &str| Element {
            name: name.into(),
            kind: ElementKind::Switch {
                p: "a".into(),
                n: "0".into(),
                control: SwitchControl::Current { source: source.into() },
                model: "wm".into(),
                on: None,
            },
        };
        let circuit = FlatCircuit {
            title: String::new(),
            models: vec![Model { name: "wm".into(), kind: ModelKind::Csw(SwitchParams::default()) }],
            elements: vec![Element { name: "L1".into(), kind: inductor }, w("W1", "l1"), w("W2", "V1")],
        };
        let gaps = unmodelled(&circuit, &Options::default());
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].starts_with("switch `W1` is controlled by the current of inductor `l1`"), "{gaps:?}");
        let gmin = Options { gmin: Some(1e-9), ..Options::default() };
        let gaps = unmodelled(&circuit, &gmin);
        let roff = "switch model `wm`: ROFF not given, ngspice's default is 1/gmin = 1 GΩ";
        assert!(gaps.iter().any(|g| g.starts_with(roff)), "{gaps:?}");
    }

    #[test]
    fn a_bjt_card_of_modelled_and_harmless_parameters_is_not_named() {
        use atscale_circuit::BjtParams;
        let card = |keys: &[&str]| BjtParams {
            level: 1,
            params: keys.iter().map(|k| (k.to_string(), 1.0)).collect(),
        };
        let all: Vec<&str> = BJT_READ.iter().chain(BJT_HARMLESS).copied().collect();
        assert_eq!(bjt_gaps("q", &card(&all)), None);
        // PTF without TF is no excess phase (ngspice's delay is PTF·TF); TNOM at 27 °C is the native one.
        let mut p = card(&["ptf"]);
        p.params.insert("tnom".into(), 27.0);
        assert_eq!(bjt_gaps("q", &p), None);
        let gaps = bjt_gaps("q", &card(&["ptf", "tf", "bff"])).unwrap();
        assert!(
            gaps.starts_with("bipolar transistor model `q`: PTF (excess phase) and BFF (not a parameter"),
            "{gaps}"
        );
        // Another level is refused when used, not listed here.
        assert_eq!(bjt_gaps("q", &BjtParams { level: 4, ..card(&["bff"]) }), None);
    }

    #[test]
    fn every_modelled_mos1_and_diode_parameter_passes_unnamed() {
        let mos = |keys: &[&str]| atscale_circuit::MosParams {
            level: 1,
            vto: Some(0.5),
            kp: None,
            lambda: None,
            gamma: None,
            phi: None,
            extra: keys.iter().map(|k| (k.to_string(), 1.0)).collect(),
        };
        let mut all: Vec<&str> = MOS1_READ.to_vec();
        all.extend(["kf", "af"]);
        assert_eq!(mos_gaps("m", &mos(&all)), None);
        let named = mos_gaps("m", &mos(&["tox", "vmax"])).unwrap();
        assert!(named.contains("VMAX (not a level-1 parameter") && !named.contains("TOX"), "{named}");
        let mut d = atscale_circuit::DiodeParams {
            extra: DIODE_READ.iter().chain(DIODE_HARMLESS).map(|k| (k.to_string(), 1.0)).collect(),
            ..Default::default()
        };
        d.extra.insert("tnom".into(), 27.0);
        assert_eq!(diode_gaps("d", &d), None);
        d.extra.insert("tnom".into(), 25.0);
        d.extra.insert("level".into(), 3.0);
        let named = diode_gaps("d", &d).unwrap();
        assert!(named.contains("LEVEL = 3") && named.contains("TNOM = 25 °C"), "{named}");
    }

    #[test]
    fn every_modelled_level_2_and_3_parameter_passes_unnamed() {
        // The model parameters of ngspice 39's mos2.c and mos3.c tables (as
        // the parser keeps them: VTO, KP, GAMMA, PHI, LAMBDA in fields, UO
        // as U0), without those ngspice refuses on a level-3 card (XD,
        // ALPHA, INPUT_DELTA), with KF, AF and TNOM at 27 °C.
        let junctions =
            "rd rs cbd cbs is pb cgso cgdo cgbo rsh cj mj cjsw mjsw js tox ld u0 fc nsub tpg nss kf af";
        let level2 = format!("{junctions} delta uexp ucrit vmax xj neff nfs");
        let level3 = format!("{junctions} xl wd xw delvto delvt0 vmax xj nfs eta delta theta kappa");
        let mos = |level: u32, keys: &str| atscale_circuit::MosParams {
            level,
            vto: Some(0.5),
            kp: Some(2e-5),
            lambda: None,
            gamma: Some(0.4),
            phi: Some(0.6),
            extra: keys
                .split(' ')
                .map(|k| (k.to_string(), 1.0))
                .chain([("tnom".to_string(), 27.0)])
                .collect(),
        };
        assert_eq!(mos_gaps("m", &mos(2, &level2)), None);
        assert_eq!(mos_gaps("m", &mos(3, &level3)), None);
        // LAMBDA is a level-2 parameter.
        assert_eq!(mos_gaps("m", &atscale_circuit::MosParams { lambda: Some(0.02), ..mos(2, "kf") }), None);
        let named = mos_gaps("m", &atscale_circuit::MosParams { lambda: Some(0.02), ..mos(3, "theta neff") });
        assert_eq!(
            named.as_deref(),
            Some(
                "level-3 MOSFET model `m`: LAMBDA (not a level-3 parameter; ngspice ignores it too) and NEFF (not a \
                 level-3 parameter; ngspice ignores it too) are not modelled"
            )
        );
        let named = mos_gaps("m", &mos(2, "eta xj")).unwrap();
        assert!(named.contains("ETA (not a level-2 parameter") && !named.contains("XJ"), "{named}");
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(list(&["BV"]), "BV is");
        assert_eq!(list(&["BV", "IBV"]), "BV and IBV are");
        assert_eq!(list(&["TOX", "CJ", "LD"]), "TOX, CJ and LD are");
    }
}
