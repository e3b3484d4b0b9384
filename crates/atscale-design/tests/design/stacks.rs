//! Devices longer or wider than the technology allows: an offset pair's
//! long device beyond `sizing.l_max_m` drawn as equal devices in series,
//! and the self-cascoded mirrors' upper devices refused by name beyond
//! `sizing.w_max_m`.

use atscale_circuit::ElementKind;
use atscale_design::realise::{realise, Amplifier, Options, Realisation, Role, Technology};
use atscale_design::spec::{design, Spec};

fn burster() -> atscale_design::spec::Design {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/bursting.toml"))
            .expect("bursting.toml");
    design(&Spec::from_toml_str(&text, "bursting.toml").expect("spec")).expect("design")
}

/// `(name, drain, gate, source, length)` of every MOSFET.
fn mosfets(r: &Realisation) -> Vec<(String, String, String, String, f64)> {
    r.circuit
        .elements
        .iter()
        .filter_map(|e| match &e.kind {
            ElementKind::Mosfet { d, g, s, l_m, .. } => {
                Some((e.name.clone(), d.clone(), g.clone(), s.clone(), *l_m))
            }
            _ => None,
        })
        .collect()
}

/// generic-bsim4 (l_m 2 µm, offset length factor 1.757): the followers'
/// 1.5 model V offsets need e^3 1.757 2 µm = 70.6 µm. With `l_max_m` at
/// 30 µm that is three devices of 23.5 µm in series, one gate, from the
/// pair's drain to its tail, and the same offset; at 8 µm it would be nine,
/// one more than `MAX_SERIES_SEGMENTS`: refused
/// by name.
#[test]
fn a_long_offset_device_beyond_the_longest_length_is_a_stack() {
    let d = burster();
    let mut tech = Technology::builtin("generic-bsim4").expect("technology");
    let whole = realise(&d, &tech, &Options::default()).expect("realisation");
    tech.sizing.l_max_m = 30e-6;
    let stacked = realise(&d, &tech, &Options::default()).expect("realisation");
    let (one, three) = (mosfets(&whole), mosfets(&stacked));
    let long = one.iter().find(|m| m.0 == "MMspf0_n").expect("long device");
    let segments: Vec<_> = three.iter().filter(|m| m.0.starts_with("MMspf0_n")).collect();
    assert_eq!(segments.len(), 3, "{segments:?}");
    let total: f64 = segments.iter().map(|m| m.4).sum();
    // Each a third of the whole, snapped to the 10 nm grid.
    assert!((total - long.4).abs() <= 3.0 * 1e-8, "{total} m against {} m", long.4);
    assert!(segments.iter().all(|m| m.4 <= 30e-6 && (m.4 - segments[0].4).abs() < 1e-15 && m.2 == long.2));
    assert_eq!((segments[0].1.as_str(), segments[2].3.as_str()), (long.1.as_str(), long.3.as_str()));
    assert_eq!(segments[1].1, segments[0].3, "the second device's drain is the first's source");
    assert_eq!(segments[2].1, segments[1].3);
    // The offsets the report gives are the same to the grid's rounding
    // (a few 10 nm steps in 70.6 µm: 1e-3 model V is ample).
    let offsets = |r: &Realisation| -> Vec<f64> {
        r.devices
            .iter()
            .filter_map(|x| match x.role {
                Role::OffsetShort { offset, .. } => Some(offset),
                _ => None,
            })
            .collect()
    };
    let (a, b) = (offsets(&whole), offsets(&stacked));
    assert!(a.len() == b.len() && a.len() >= 6, "{a:?} {b:?}");
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-3 && x.abs() > 1.4), "{a:?} {b:?}");
    tech.sizing.l_max_m = 8e-6;
    let e = realise(&d, &tech, &Options::default()).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("exceeds 8 segments of the technology's sizing.l_max_m = 8 µm in series"), "{e}");
}

/// A self-cascoded mirror's upper device is eight times as wide as the
/// lower one: with `w_max_m` twice the widest lower device it does not
/// fit, and the error names the limit and the topology.
#[test]
fn a_self_cascode_wider_than_the_technology_allows_is_refused_by_name() {
    let d = burster();
    let mut tech = Technology::builtin("generic-bsim4").expect("technology");
    let opts = Options { amplifier: Amplifier::SelfCascoded, ..Options::default() };
    let r = realise(&d, &tech, &opts).expect("realisation");
    let widest =
        r.devices.iter().filter(|x| x.name.ends_with("_d")).filter_map(|x| x.w_m).fold(0.0, f64::max);
    tech.sizing.w_max_m = 2.0 * widest;
    let e = realise(&d, &tech, &opts).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("self-cascode width") && e.contains("sizing.w_max_m"), "{e}");
    assert!(e.contains("use another --amplifier"), "{e}");
}
