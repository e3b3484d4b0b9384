//! The Xyce dialect against Xyce's own documentation. Xyce cannot be
//! installed here, so these are writer tests: each states the rule of the
//! Xyce Reference Guide (`doc/Reference_Guide/*.tex` in github.com/Xyce/Xyce,
//! develop branch of 2026) or of Xyce's sources it follows. Where Xyce's
//! function differs from ngspice's and the writer reproduces ngspice's value
//! with Xyce functions, the written formula is evaluated with Xyce's
//! semantics (as its source defines them) against ngspice's, measured.

use atscale_circuit::{
    BjtParams, Circuit, Element, ElementKind, Expr, Instance, Model, ModelKind, MosParams, Param, Subckt,
    SwitchParams, Value, Waveform,
};
use atscale_spice::dialect::XYCE_RESERVED;
use atscale_spice::{write_netlist, Analysis, Dialect, Error, Header, Ngspice, Xyce};

use crate::ngspice::run;

fn num(x: f64) -> Value {
    Value::Num(x)
}

fn source(name: &str, waveform: Waveform<Value>) -> Element<Value> {
    Element {
        name: name.into(),
        kind: ElementKind::VoltageSource { p: "a".into(), n: "0".into(), waveform, dc: None },
    }
}

fn with(elements: Vec<Element<Value>>) -> Circuit {
    let r = Element {
        name: "R1".into(),
        kind: ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: num(1e3) },
    };
    Circuit { title: "xyce".into(), elements: [elements, vec![r]].concat(), ..Circuit::default() }
}

fn xyce(c: &Circuit, a: &Analysis) -> Result<String, Error> {
    write_netlist(c, a, &Xyce, &Header::default())
}

/// The reason of a refusal in the Xyce dialect.
fn refused(r: Result<String, Error>) -> String {
    match r {
        Err(Error::Unrepresentable { dialect: "Xyce", context, reason }) => format!("{context}: {reason}"),
        other => panic!("expected a refusal in the Xyce dialect, got {other:?}"),
    }
}

fn expr(text: &str) -> String {
    Xyce.expr(&Expr::parse(text).unwrap()).unwrap()
}

/// Xyce's `NINT` is `std::round` (`src/UtilityPKG/ExpressionSrc/ast.h`,
/// class `roundOp`: "nint(x) Rounds x up or down, to the nearest integer";
/// Reference Guide `Expression_Arithmetic_Functions.tex`, `NINT(x)`);
/// `FLOOR` is the floor; `==` compares exactly. This is the written
/// `IF((x-FLOOR(x))==0.5, 2*NINT(x/2), NINT(x))` with those semantics.
fn written_nint(x: f64) -> f64 {
    if x - x.floor() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        x.round()
    }
}

#[test]
fn nint_is_written_as_nint_rounding_halves_as_ngspice() {
    // Xyce has no ROUND (its expression lexer, ExpressionLexer.l, knows
    // `nint(`, not `round(`): NINT is written, inside the correction.
    let text = expr("nint(v(a) * 2.5)");
    assert_eq!(text, "IF(((V(a)*2.5)-FLOOR((V(a)*2.5)))==0.5, 2*NINT((V(a)*2.5)/2), NINT((V(a)*2.5)))");
    assert!(!text.contains("ROUND"));
    // ngspice rounds halves to even, in B-sources and in .param (measured
    // here with ngspice 39.3, and the same with ngspice 45.2 through
    // scripts/ngspice45.mjs: nint(0.5) = 0, nint(2.5) = 2, nint(-2.5) = -2),
    // where Xyce's NINT gives 1, 3, -3.
    let halves: [f64; 8] = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5];
    let mut net = String::from("nint halves\nV1 a 0 DC 1\nR1 a 0 1k\n");
    for (k, h) in halves.iter().enumerate() {
        net.push_str(&format!("B{k} b{k} 0 V={{nint({h}*v(a))}}\nRb{k} b{k} 0 1k\n"));
    }
    net.push_str(".tran 1m 2m\n.end\n");
    let r = run(&net, "nint halves", 2e-3);
    for (k, h) in halves.iter().enumerate() {
        let got = r.column(&format!("v(b{k})")).unwrap()[0];
        assert_eq!(got, h.round_ties_even(), "ngspice nint({h})");
        // Xyce's NINT (away from zero) differs at 0.5, 2.5, -0.5 and -2.5.
        assert_eq!(got != h.round(), (*h > 0.0) == (h.floor() % 2.0 == 0.0), "Xyce's NINT({h})");
        assert_eq!(written_nint(*h), got, "the written form at {h}");
    }
    // Exactly ngspice's rounding everywhere: halves, their neighbours one ulp
    // away, the subtraction x - FLOOR(x) that rounds (just above -0.5), and
    // values past 2^52 where every double is an integer. Measured exact.
    let mut xs: Vec<f64> = (-400..=400).map(|k| f64::from(k) / 8.0).collect();
    for h in [0.5, 1.5, 2.5, 1e15 + 0.5, 2f64.powi(52) - 0.5] {
        for s in [1.0, -1.0] {
            let x: f64 = s * h;
            xs.extend([x, x.next_up(), x.next_down()]);
        }
    }
    xs.extend([-0.5 + 2f64.powi(-55), -0.5 + 2f64.powi(-54), 2f64.powi(53) + 2.0, -1e300, 1e-310, -0.0]);
    for x in xs {
        assert_eq!(written_nint(x), x.round_ties_even(), "x = {x:e}");
    }
}

#[test]
fn step_and_exp_keep_ngspice_values() {
    // STP(x) is 1 if x > 0, 0 otherwise (Expression_Arithmetic_Functions.tex);
    // ngspice's u(0) is 0.5: u(x) is written IF(x==0, 0.5, STP(x)).
    assert_eq!(expr("u(v(a))"), "IF(V(a)==0, 0.5, STP(V(a)))");
    // ngspice's exp is 1e99 above 227.9559242 (PTexp); Xyce's EXP is exp.
    assert_eq!(expr("exp(v(a))"), "IF(V(a)>227.9559242, 1e99, EXP(V(a)))");
    // u2 is LIMIT(x, 0, 1), pwr is PWRS (the guide's table, same file).
    assert_eq!(expr("u2(v(a)) + pwr(v(a), 3)"), "(LIMIT(V(a), 0, 1)+PWRS(V(a), 3))");
}

fn options_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with(".OPTIONS") || l.starts_with("* ngspice option")).collect()
}

#[test]
fn tolerances_map_by_meaning() {
    // Reference Guide OPTIONS_Command.tex and its tables: TIMEINT RELTOL /
    // ABSTOL are the truncation-error tolerances (timetbl.tex; Users' Guide
    // "Tol_LTE = abstol + reltol*ref" on node values); NONLIN and
    // NONLIN-TRAN ABSTOL are the "Absolute residual vector tolerance" (a KCL
    // residual: amperes) and RELTOL the relative one, with defaults 1e-12/1e-3
    // (NONLIN) and 1e-6/1e-2 (NONLIN-TRAN) (nlstbl.tex); DEVICE GMIN is the
    // minimum conductance (devtbl.tex).
    let mut a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    a.options.reltol = Some(1e-4);
    a.options.abstol = Some(1e-9);
    a.options.vntol = Some(1e-7);
    a.options.chgtol = Some(1e-15);
    a.options.gmin = Some(1e-13);
    let text = xyce(&with(vec![]), &a).unwrap();
    assert_eq!(
        options_lines(&text),
        [
            ".OPTIONS TIMEINT RELTOL=0.0001 ABSTOL=1e-7",
            ".OPTIONS NONLIN RELTOL=0.0001 ABSTOL=1e-9",
            ".OPTIONS NONLIN-TRAN RELTOL=0.0001 ABSTOL=1e-9",
            ".OPTIONS DEVICE GMIN=1e-13",
            "* ngspice option chgtol=1e-15 has no Xyce equivalent",
        ],
        "{text}"
    );
    // Nothing given: the transient Newton tolerances are still ngspice's
    // (reltol 1e-3, abstol 1e-12 A), not Xyce's looser NONLIN-TRAN defaults;
    // TIMEINT's defaults (1e-3, 1e-6 V) are ngspice's reltol and vntol.
    let text = xyce(&with(vec![]), &Analysis::tran_uic(1e-6, 1e-3, 1e-7)).unwrap();
    assert_eq!(options_lines(&text), [".OPTIONS NONLIN-TRAN RELTOL=0.001 ABSTOL=1e-12"], "{text}");
}

fn pulse(per: Option<Value>, np: Option<Value>) -> Waveform<Value> {
    Waveform::Pulse {
        v1: num(0.0),
        v2: num(1.0),
        td: Some(num(1e-4)),
        tr: Some(num(1e-6)),
        tf: Some(num(1e-6)),
        pw: Some(num(1e-4)),
        per,
        np,
    }
}

#[test]
fn pulse_np_is_refused_where_it_matters() {
    // V_Device.tex, "Pulse": PULSE(V1 V2 TD TR TF PW PER), 7 arguments; the
    // source (N_DEV_SourceData.C, PulseData) reads no 8th.
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    // 3 pulses of period 0.2 ms from 0.1 ms end at 0.7 ms < tstop 1 ms: refused.
    let why = refused(xyce(&with(vec![source("V1", pulse(Some(num(2e-4)), Some(num(3.0))))]), &a));
    assert!(why.contains("voltage source V1") && why.contains("np"), "{why}");
    // A parameter np cannot be decided: refused.
    let np = Value::from(Expr::parse("n").unwrap());
    refused(xyce(&with(vec![source("V1", pulse(Some(num(2e-4)), Some(np)))]), &a));
    // 5 pulses reach tstop (0.1 + 5 * 0.2 = 1.1 ms), np 0 is unlimited: np
    // does not matter and is left out.
    for np in [5.0, 0.0] {
        let text = xyce(&with(vec![source("V1", pulse(Some(num(2e-4)), Some(num(np))))]), &a).unwrap();
        assert!(text.contains("\nV1 a 0 PULSE(0 1 0.0001 1e-6 1e-6 0.0001 0.0002)\n"), "{text}");
    }
    // ngspice keeps it.
    let c = with(vec![source("V1", pulse(Some(num(2e-4)), Some(num(3.0))))]);
    let text = write_netlist(&c, &a, &Ngspice, &Header::default()).unwrap();
    assert!(text.contains("PULSE(0 1 0.0001 1e-6 1e-6 0.0001 0.0002 3)"), "{text}");
}

#[test]
fn reserved_parameter_names_are_refused() {
    // PARAM_Command.tex and GLOBAL_PARAM_Command.tex: "reserved words that may
    // not be used as names for parameters": Time, Freq, Hertz, Vt, Temp,
    // Temper, GMIN; ExpressionLexer.l also reads dt, pi, exp, ctok and
    // constctok as built-ins.
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    let names =
        ["time", "freq", "hertz", "vt", "temp", "temper", "gmin", "dt", "pi", "exp", "ctok", "constctok"];
    assert_eq!(XYCE_RESERVED, names);
    for name in names.iter().flat_map(|n| [n.to_string(), n.to_ascii_uppercase()]) {
        let p = || vec![Param { name: name.clone(), value: num(1.0) }];
        let top = Circuit { params: p(), ..with(vec![]) };
        match xyce(&top, &a) {
            // `time`, `pi`, `exp`: no dialect takes them (atscale's expression keywords).
            Err(Error::UnsafeName { name: n, .. }) => assert_eq!(n, name),
            r => assert!(refused(r).contains(&format!("parameter {name}: Xyce reserves")), "{name}"),
        }
        let sub = Subckt {
            name: "s".into(),
            ports: vec!["p".into()],
            params: p(),
            elements: vec![],
            instances: vec![],
        };
        let inst = Instance { name: "X1".into(), subckt: "s".into(), nodes: vec!["a".into()], params: p() };
        let nested = Circuit { subckts: vec![sub], instances: vec![inst], ..with(vec![]) };
        assert!(matches!(
            xyce(&nested, &a),
            Err(Error::Unrepresentable { dialect: "Xyce", .. } | Error::UnsafeName { .. })
        ));
    }
    let fine = Circuit { params: vec![Param { name: "vt1".into(), value: num(1.0) }], ..with(vec![]) };
    assert!(xyce(&fine, &a).unwrap().contains("\n.param vt1=1\n"));
}

fn mos(level: u32) -> Circuit {
    let p = MosParams {
        level,
        vto: None,
        kp: None,
        lambda: None,
        gamma: None,
        phi: None,
        extra: Default::default(),
    };
    Circuit { models: vec![Model { name: "nch".into(), kind: ModelKind::Nmos(p) }], ..with(vec![]) }
}

#[test]
fn mosfet_levels_map_or_are_refused() {
    // M_Device.tex: levels 1, 2, 3 and 6 are SPICE's; "BSIM3 (model level 9)"
    // (N_DEV_MOSFET_B3.C registers 9 and 49), "BSIM4 (model level 14 or 54)";
    // otherSpiceIncompTbl.tex: "In Xyce, a BSIM3 is MOSFET level 9. Other
    // simulators have different levels". ngspice: 8/49 BSIM3, 14/54 BSIM4.
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    for (ngspice, xyce_level) in [(1, 1), (2, 2), (3, 3), (6, 6), (8, 9), (49, 9), (14, 14), (54, 14)] {
        let text = xyce(&mos(ngspice), &a).unwrap();
        assert!(text.contains(&format!("\n.model nch NMOS(LEVEL={xyce_level})\n")), "{ngspice}: {text}");
        // A BSIM's version difference is said in the netlist.
        assert_eq!(text.contains("* atscale: model nch:"), ngspice > 6, "{text}");
    }
    // ngspice's BSIM1/2 (4, 5), MOS9 (9: Xyce's 9 is BSIM3), B4SOI (10), EKV (44): no equivalent.
    for level in [4, 5, 9, 10, 44] {
        let why = refused(xyce(&mos(level), &a));
        assert!(
            why.contains(&format!("MOSFET model nch: ngspice's MOSFET level {level} has no Xyce")),
            "{why}"
        );
    }
}

#[test]
fn bjt_levels_other_than_gummel_poon_are_refused() {
    // Q_Device.tex, "BJT Level selection": level 1 (Gummel-Poon), VBIC 1.3 as
    // levels 11 and 12, FBH HBT 23, HICUM 230/234, MEXTRAM 504/505; ngspice's
    // level 4 is VBIC 1.2, 6 MEXTRAM, 8 HICUM/L2: no level maps to the same model.
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    let bjt = |level| {
        let p = BjtParams { level, params: Default::default() };
        Circuit { models: vec![Model { name: "qn".into(), kind: ModelKind::Npn(p) }], ..with(vec![]) }
    };
    assert!(xyce(&bjt(1), &a).unwrap().contains("\n.model qn NPN\n"));
    for level in [4, 6, 8] {
        let why = refused(xyce(&bjt(level), &a));
        assert!(
            why.contains(&format!("bipolar transistor model qn: ngspice's BJT level {level} has no")),
            "{why}"
        );
    }
}

#[test]
fn switches_and_missing_sources_are_refused() {
    // S_Device.tex: `.MODEL <name> VSWITCH|ISWITCH` with VON/VOFF, a smooth
    // transition; otherSpiceIncompTbl.tex: "Switch is not the same as SPICE3F5".
    let a = Analysis::tran_uic(1e-6, 1e-3, 1e-7);
    let sw =
        ModelKind::Sw(SwitchParams { threshold: Some(num(0.5)), hysteresis: None, ron: None, roff: None });
    let c = Circuit { models: vec![Model { name: "s1".into(), kind: sw }], ..with(vec![]) };
    assert!(refused(xyce(&c, &a)).starts_with("switch model s1: "));
    // V_Device.tex: the transient sources are PULSE, SIN, EXP, PAT, PWL, SFFM;
    // SFFM reads V0 VA FC MDI FS; SIN requires FREQ (N_DEV_SourceData.C).
    let am = Waveform::Am {
        va: num(1.0),
        vo: num(0.0),
        mf: Some(num(1e3)),
        fc: None,
        td: None,
        phasec: None,
        phases: None,
    };
    assert!(refused(xyce(&with(vec![source("V1", am)]), &a)).contains("Xyce has no AM source"));
    let sin = |freq| Waveform::Sin { vo: num(0.0), va: num(1.0), freq, td: None, theta: None, phase: None };
    assert!(refused(xyce(&with(vec![source("V1", sin(None))]), &a)).contains("requires FREQ"));
    assert!(xyce(&with(vec![source("V1", sin(Some(num(1e3))))]), &a).unwrap().contains("SIN(0 1 1000)"));
    let sffm = |phasec| Waveform::Sffm {
        vo: num(0.0),
        va: num(1.0),
        fc: Some(num(1e4)),
        mdi: Some(num(2.0)),
        fs: Some(num(1e3)),
        phasec,
        phases: None,
    };
    assert!(refused(xyce(&with(vec![source("V1", sffm(Some(num(90.0))))]), &a)).contains("reads 5"));
    assert!(xyce(&with(vec![source("V1", sffm(None))]), &a).unwrap().contains("SFFM(0 1 10000 2 1000)"));
}
