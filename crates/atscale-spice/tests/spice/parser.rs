//! The parser on hand-written netlists: every construct of the ngspice
//! language atscale reads, and netlists in the style of ngspice's examples.

use atscale_circuit::{Element, ElementKind, Expr, ModelKind, Param, Value, Waveform};
use atscale_spice::{parse_file, parse_str, Method};

const HAND: &str = include_str!("data/hand.cir");

fn el<'a>(els: &'a [Element<Value>], name: &str) -> &'a ElementKind<Value> {
    &els.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("no element {name}")).kind
}

fn ex(s: &str) -> Expr {
    Expr::parse(s).unwrap()
}

fn num(x: f64) -> Value {
    Value::Num(x)
}

#[test]
fn every_construct_of_a_hand_written_netlist() {
    let n = parse_str(HAND, "hand.cir").unwrap_or_else(|e| panic!("{e}"));
    let c = &n.circuit;
    assert_eq!(n.title, "Hand-written test netlist");
    // .param: braces, quotes, bare expressions with blanks, any order, case-insensitive keyword.
    assert_eq!(
        c.params,
        vec![
            Param::new("rload", Value::from(ex("2*rbase"))),
            Param::new("rbase", 1000.0),
            Param::new("cval", Value::from(ex("1n*scale"))),
            Param::new("scale", Value::from(ex("2 * 5"))),
        ]
    );
    // Models: D with cj0 alias, NMOS with an extra parameter, PMOS in parentheses.
    let ModelKind::Diode(d) = &c.models[0].kind else { panic!() };
    assert_eq!(
        (d.is.clone(), d.n.clone(), d.cjo.clone()),
        (Some(num(1e-14)), Some(num(1.5)), Some(num(2e-12)))
    );
    let ModelKind::Nmos(m) = &c.models[1].kind else { panic!() };
    assert_eq!((m.level, m.vto.clone(), m.kp.clone()), (1, Some(num(0.5)), Some(num(120e-6))));
    assert_eq!(m.extra.get("tox"), Some(&num(10e-9)));
    assert!(matches!(&c.models[2].kind, ModelKind::Pmos(p) if p.vto == Some(num(-0.5))));
    // Subcircuit with params: defaults, E source with a parameter gain.
    let s = &c.subckts[0];
    assert_eq!((s.name.as_str(), s.ports.clone()), ("cell", vec!["in".to_string(), "out".to_string()]));
    assert_eq!(s.params, vec![Param::new("gain", 2.0), Param::new("tau", Value::from(ex("1m")))]);
    assert_eq!(
        el(&s.elements, "E1"),
        &ElementKind::BehaviouralVoltage { p: "out".into(), n: "0".into(), expr: ex("gain*v(mid)") }
    );
    assert_eq!(
        el(&s.elements, "Cm"),
        &ElementKind::Capacitor {
            p: "mid".into(),
            n: "0".into(),
            c_farad: num(1e-6),
            ic_volt: Some(num(0.1))
        }
    );
    // Sources: DC beside PULSE, SIN, EXP without parentheses, PWL over a continuation line, units.
    assert_eq!(
        el(&c.elements, "V1"),
        &ElementKind::VoltageSource {
            p: "in".into(),
            n: "0".into(),
            waveform: Waveform::Pulse {
                v1: num(0.0),
                v2: num(1.0),
                td: Some(num(1e-9)),
                tr: Some(num(1e-9)),
                tf: Some(num(1e-9)),
                pw: Some(num(5e-9)),
                per: Some(num(1e-8)),
                np: Some(num(3.0)),
            },
            dc: Some(num(0.0)),
        }
    );
    assert!(
        matches!(el(&c.elements, "V2"), ElementKind::VoltageSource { waveform: Waveform::Sin { freq: Some(f), td: None, .. }, .. } if *f == num(1e3))
    );
    assert!(
        matches!(el(&c.elements, "V3"), ElementKind::VoltageSource { waveform: Waveform::Exp { tau1: Some(t), td2: None, .. }, .. } if *t == num(2e-6))
    );
    let ElementKind::VoltageSource { waveform: Waveform::Pwl { points }, .. } = el(&c.elements, "V4") else {
        panic!()
    };
    assert_eq!(points, &vec![(num(0.0), num(0.0)), (num(1e-3), num(1.0)), (num(2e-3), num(0.5))]);
    assert_eq!(
        el(&c.elements, "I1"),
        &ElementKind::CurrentSource {
            p: "0".into(),
            n: "a".into(),
            waveform: Waveform::Dc { value: num(1e-5) },
            dc: None
        }
    );
    // Passive elements: positional and keyword values, IC=, unit suffixes.
    assert_eq!(
        el(&c.elements, "Rl"),
        &ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: Value::from(ex("rload")) }
    );
    assert_eq!(
        el(&c.elements, "R2"),
        &ElementKind::Resistor { p: "a".into(), n: "b".into(), r_ohm: num(4700.0) }
    );
    assert_eq!(
        el(&c.elements, "C1"),
        &ElementKind::Capacitor {
            p: "b".into(),
            n: "0".into(),
            c_farad: num(10e-12),
            ic_volt: Some(num(0.5))
        }
    );
    assert_eq!(
        el(&c.elements, "L1"),
        &ElementKind::Inductor { p: "b".into(), n: "c".into(), l_henry: num(1e-3), ic_amp: None }
    );
    // A resistor whose value reads a voltage is a behavioural current.
    assert_eq!(
        el(&c.elements, "Rbeh"),
        &ElementKind::BehaviouralCurrent { p: "c".into(), n: "0".into(), expr: ex("v(c)/(1k + v(a))") }
    );
    // B sources with .func calls (expanded), ternaries, unbraced expressions.
    assert_eq!(
        el(&c.elements, "B1"),
        &ElementKind::BehaviouralCurrent {
            p: "d".into(),
            n: "0".into(),
            expr: ex("(v(a,b)*v(a,b))*1e-3 + (v(a) > 0.5 ? 1m : 0)")
        }
    );
    assert_eq!(
        el(&c.elements, "B2"),
        &ElementKind::BehaviouralVoltage {
            p: "e".into(),
            n: "0".into(),
            expr: ex("1 - (2*v(a)-1)*(2*v(a)-1)")
        }
    );
    // Linear controlled sources become behavioural ones.
    assert_eq!(
        el(&c.elements, "G1"),
        &ElementKind::BehaviouralCurrent { p: "f".into(), n: "0".into(), expr: ex("2m*v(a)") }
    );
    assert_eq!(
        el(&c.elements, "F1"),
        &ElementKind::BehaviouralCurrent { p: "g".into(), n: "0".into(), expr: ex("3*i(V1)") }
    );
    assert_eq!(
        el(&c.elements, "H1"),
        &ElementKind::BehaviouralVoltage { p: "h".into(), n: "0".into(), expr: ex("50*i(V1)") }
    );
    assert_eq!(
        el(&c.elements, "D1"),
        &ElementKind::Diode { p: "a".into(), n: "0".into(), model: "dmod".into(), area: Some(num(2.0)) }
    );
    assert_eq!(
        el(&c.elements, "M1"),
        &ElementKind::Mosfet {
            d: "d".into(),
            g: "g".into(),
            s: "0".into(),
            b: "0".into(),
            model: "nch".into(),
            w_m: num(10e-6),
            l_m: num(1e-6),
            instance: Default::default(),
        }
    );
    // Instances with overrides, with and without `params:`.
    assert_eq!(c.instances[0].params, vec![Param::new("gain", 5.0)]);
    assert_eq!(c.instances[1].nodes, vec!["in".to_string(), "out2".to_string()]);
    assert_eq!(c.instances[1].params, vec![Param::new("tau", 2e-3)]);
    // Nothing after .end is read.
    assert!(c.elements.iter().all(|e| e.name != "R99"));
    // Analysis, options, initial conditions, control block, output requests.
    let t = n.analysis.tran.unwrap();
    assert_eq!((t.tstep_s, t.tstop_s, t.tstart_s, t.tmax_s, t.uic), (1e-9, 100e-9, 0.0, Some(0.1e-9), true));
    let o = &n.analysis.options;
    assert_eq!(
        (o.reltol, o.abstol, o.gmin, o.method),
        (Some(1e-4), Some(1e-12), Some(1e-15), Some(Method::Gear))
    );
    assert_eq!(o.other, vec![("post".to_string(), None)]);
    assert_eq!(n.analysis.ic, vec![("a".to_string(), 0.1), ("b".to_string(), -1e-3)]);
    assert_eq!(n.control_blocks.len(), 1);
    assert_eq!((n.control_blocks[0].line, n.control_blocks[0].text.as_str()), (38, "run\nplot v(a)"));
    assert_eq!(n.output_requests, vec![".save v(a)".to_string()]);
    assert!(n.warnings.is_empty());
    // And the circuit is valid for the circuit model.
    c.flatten().unwrap_or_else(|e| panic!("{e}"));
}

/// A threshold memristor as in ngspice's `examples/memristor/memristor.sp`:
/// `.func` used before it is defined, braces inside a quoted expression,
/// ternaries with `&&`, a behavioural resistor `r={V(x)}`, `.param` chains.
const MEMRISTOR: &str = "\
Memristor with threshold (ngspice example style)
.param stime=10n
.param vmax = 4.2
.param vhalf = {vmax/2} vq='vhalf/2'
.subckt memristor plus minus PARAMS: Ron=1K Roff=10K Rinit=7.0K alpha=0 beta=20e3 Vt=1.6
Bx 0 x I='((f1(V(plus)-V(minus))> 0) && (V(x) < Roff)) ? {f1(V(plus)-V(minus))}: ((((f1(V(plus)-V(minus)) < 0) && (V(x)>Ron)) ? {f1(V(plus)-V(minus))}: {0}))'
Cx x 0 1 IC={Rinit}
R0 x 0 1e12
Rmem plus minus r={V(x)}
.func f1(y)={beta*y+0.5*(alpha-beta)*(abs(y+Vt)-abs(y-Vt))}
.ends
xmem 1 0 memristor
V1 1 0 DC 0 PWL(0 0 {stime} {vmax} {2*stime} {-vq})
.tran 1n 20n uic
.end
";

#[test]
fn ngspice_example_memristor() {
    let n = parse_str(MEMRISTOR, "memristor.sp").unwrap_or_else(|e| panic!("{e}"));
    let s = &n.circuit.subckts[0];
    assert_eq!(s.params.len(), 6);
    let f1 =
        "(beta*(v(plus)-v(minus))+0.5*(alpha-beta)*(abs((v(plus)-v(minus))+Vt)-abs((v(plus)-v(minus))-Vt)))";
    let expected =
        ex(&format!("((({f1})> 0) && (V(x) < Roff)) ? ({f1}): (((({f1}) < 0) && (V(x)>Ron)) ? ({f1}): (0))"));
    assert_eq!(
        el(&s.elements, "Bx"),
        &ElementKind::BehaviouralCurrent { p: "0".into(), n: "x".into(), expr: expected }
    );
    assert_eq!(
        el(&s.elements, "Rmem"),
        &ElementKind::BehaviouralCurrent {
            p: "plus".into(),
            n: "minus".into(),
            expr: ex("v(plus,minus)/v(x)")
        }
    );
    assert_eq!(n.circuit.instances[0].subckt, "memristor");
    let flat = n.circuit.flatten().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flat.elements.len(), 5);
    // The .param chain resolves.
    let Some(ElementKind::VoltageSource { waveform: Waveform::Pwl { points }, .. }) =
        flat.element("V1").map(|e| &e.kind)
    else {
        panic!("{:?}", flat.elements)
    };
    assert_eq!(points[2], (20e-9, -1.05));
}

#[test]
fn ground_aliases_and_comments() {
    let text = "title\n\
        R1 a GND 1k ; to ground\n\
        * full comment\n\
        \tR2 a b 2k $ spice3 comment\n\
        R3 b gnd\n+ 3k\n\
        .tran 1u 1m\n";
    let n = parse_str(text, "g.cir").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        el(&n.circuit.elements, "R1"),
        &ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: num(1e3) }
    );
    assert_eq!(
        el(&n.circuit.elements, "R3"),
        &ElementKind::Resistor { p: "b".into(), n: "0".into(), r_ohm: num(3e3) }
    );
    assert_eq!(n.circuit.elements.len(), 3);
}

#[test]
fn include_and_lib_relative_paths() {
    let dir = std::env::temp_dir().join(format!("atscale-spice-include-{}", std::process::id()));
    let sub = dir.join("lib");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        dir.join("top.cir"),
        "top\n.include lib/parts.inc\n.lib 'lib/models.lib' fast\nXa in out amp\nV1 in 0 1\n.end\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("parts.inc"),
        "* parts\n.subckt amp a b\nR1 a b 1k\n.ends amp\n.include more.inc\n",
    )
    .unwrap();
    std::fs::write(sub.join("more.inc"), "R9 out 0 1k\n").unwrap();
    std::fs::write(
        sub.join("models.lib"),
        ".lib slow\n.model d1 D(IS=1e-15)\n.endl\n.lib fast\n.model d1 D(IS=1e-12)\n.endl fast\n",
    )
    .unwrap();
    let n = parse_file(&dir.join("top.cir")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n.circuit.subckts[0].name, "amp");
    assert_eq!(n.circuit.models.len(), 1);
    assert!(matches!(&n.circuit.models[0].kind, ModelKind::Diode(d) if d.is == Some(num(1e-12))));
    let names: Vec<&str> = n.circuit.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["R9", "V1"]);
    // A cycle is an error naming the file.
    std::fs::write(sub.join("more.inc"), ".include ../lib/more.inc\n").unwrap();
    let err = parse_file(&dir.join("top.cir")).unwrap_err().to_string();
    assert!(err.contains("`../lib/more.inc` includes itself (an include cycle)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A hand-edited annotated card is read as plain SPICE, with a warning.
#[test]
fn edited_annotation_falls_back_to_plain_cards() {
    let case = crate::reference::tanh_spiker();
    let text =
        atscale_spice::write_netlist(&case.circuit, &case.analysis, &atscale_spice::Ngspice, &case.header)
            .unwrap();
    let edited = text.replace("BRf v 0 I={-2 * tanh(v(v))}", "BRf v 0 I={-3 * tanh(v(v))}");
    assert_ne!(edited, text);
    let n = parse_str(&edited, "edited.cir").unwrap();
    assert_eq!(
        el(&n.circuit.elements, "BRf"),
        &ElementKind::BehaviouralCurrent { p: "v".into(), n: "0".into(), expr: ex("-3 * tanh(v(v))") }
    );
    assert_eq!(n.warnings.len(), 1);
    assert!(n.warnings[0].message.contains("differ from what atscale writes"), "{}", n.warnings[0]);
    assert_eq!(n.warnings[0].line, 8);
}

#[test]
fn spellings_of_public_decks_read_as_ngspice_reads_them() {
    // From the corpus (tests/corpus): `µ` as micro (ngspice 39 reads `2µ` as
    // 2e-6), a bare `)` closing a multi-line `.model`, a stray `+` inside a
    // model line, a non-numeric `version=`, an unbraced expression as a
    // subcircuit default, `.global`, `.nodeset`.
    let text =
        "t\n.global vdd\nI1 0 a pulse 2\u{b5} 20\u{b5} 50n\n.model nch nmos (level=1\n+ vto=0.5 kp=2e-5\n)\n\
                .model pch pmos (level=1 vto=-0.5   +   kp=1e-5 version=3.3.0)\n\
                .param stime=10n\n.subckt m p n params: beta=20e3/stime\nR1 p n {beta}\n.ends\n\
                .nodeset v(a)=0.25\n.end\n";
    let n = parse_str(text, "pub.cir").unwrap();
    assert_eq!(n.circuit.globals, ["vdd"]);
    assert_eq!(n.analysis.nodeset, [("a".to_string(), 0.25)]);
    match el(&n.circuit.elements, "I1") {
        ElementKind::CurrentSource { waveform: Waveform::Pulse { v1, v2, .. }, .. } => {
            assert_eq!((v1, v2), (&num(2e-6), &num(20e-6)));
        }
        other => panic!("{other:?}"),
    }
    let kp = |name: &str| match &n.circuit.models.iter().find(|m| m.name == name).unwrap().kind {
        ModelKind::Nmos(p) | ModelKind::Pmos(p) => (p.vto.clone(), p.kp.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(kp("nch"), (Some(num(0.5)), Some(num(2e-5))));
    assert_eq!(kp("pch"), (Some(num(-0.5)), Some(num(1e-5))));
    let beta = &n.circuit.subckts[0].params[0];
    assert_eq!((beta.name.as_str(), &beta.value), ("beta", &Value::from(ex("20e3/stime"))));
    assert!(
        n.warnings.iter().any(|w| w.to_string().contains("`version=3.3.0` is not a number")),
        "{:?}",
        n.warnings
    );
}

#[test]
fn a_mosfet_instance_temperature_is_read_and_named_unless_nominal() {
    let text = "t\n.model n1 nmos level=1\nM1 d g 0 0 n1 temp=27 dtemp=0\nM2 d g 0 0 n1 temp=85\n\
                M3 d g 0 0 n1 dtemp={2*5}\n";
    let n = parse_str(text, "t.cir").unwrap();
    let named: Vec<(usize, String)> = n.warnings.iter().map(|w| (w.line, w.message.clone())).collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert_eq!(named[0].0, 4);
    assert!(named[0].1.contains("`temp=85") && named[0].1.contains("27 °C"), "{named:?}");
    assert_eq!(named[1].0, 5);
    assert!(named[1].1.contains("`dtemp="), "{named:?}");
}
