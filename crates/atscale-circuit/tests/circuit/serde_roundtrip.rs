//! A circuit round-trips losslessly through JSON and TOML (property test
//! over generated circuits covering every element, law, waveform and model).

use std::collections::BTreeMap;

use atscale_circuit::{
    Circuit, DiodeParams, Element, ElementKind, Expr, Gate, Instance, MemristiveLaw, Model, ModelKind,
    MosInstance, MosParams, Param, Relaxation, ResistiveLaw, Slope, SoftplusTerm, StateTerm, Subckt, Value,
    Waveform,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

const EXPRS: &[&str] = &[
    "V(a)*2.5e-3",
    "tanh((V(a,b) - 0.1)/0.05) * 1e-9",
    "I(V1) > 0 ? 1 : -1",
    "pwr(V(a), 3) - pow(V(b), 2)",
    "-gain*exp(-time/tau)",
    "min(max(v, -1), 1)",
    "0.1*(v+40)/(1-exp(-(v+40)/10))",
];

fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL,
        -1e3..1e3f64,
        Just(0.1),
        Just(1.0 / 3.0),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    proptest::sample::select(EXPRS).prop_map(|s| Expr::parse(s).expect("pool expressions parse"))
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![3 => num().prop_map(Value::Num), 1 => expr().prop_map(Value::from)]
}

fn node() -> impl Strategy<Value = String> {
    prop_oneof![Just("0".to_string()), "[a-z][a-z0-9_.]{0,5}"]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,7}"
}

/// MOSFET instance parameters: any subset of `M AD AS PD PS NRD NRS`, `OFF`, `IC=`.
fn mos_instance() -> impl Strategy<Value = MosInstance<Value>> {
    (vec(opt(), 7), any::<bool>(), vec(value(), 0..=3)).prop_map(|(v, off, ic_volt)| {
        let mut v = v.into_iter();
        let mut n = || v.next().flatten();
        MosInstance { m: n(), ad_m2: n(), as_m2: n(), pd_m: n(), ps_m: n(), nrd: n(), nrs: n(), off, ic_volt }
    })
}

fn opt() -> impl Strategy<Value = Option<Value>> {
    option::of(value())
}

fn pairs() -> impl Strategy<Value = Vec<(Value, Value)>> {
    vec((value(), value()), 0..4)
}

fn waveform() -> impl Strategy<Value = Waveform<Value>> {
    prop_oneof![
        value().prop_map(|value| Waveform::Dc { value }),
        (value(), value(), opt(), opt(), opt(), opt(), opt(), opt()).prop_map(
            |(v1, v2, td, tr, tf, pw, per, np)| { Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } }
        ),
        pairs().prop_map(|points| Waveform::Pwl { points }),
        (value(), value(), opt(), opt(), opt(), opt())
            .prop_map(|(vo, va, freq, td, theta, phase)| Waveform::Sin { vo, va, freq, td, theta, phase }),
        (value(), value(), opt(), opt(), opt(), opt())
            .prop_map(|(v1, v2, td1, tau1, td2, tau2)| Waveform::Exp { v1, v2, td1, tau1, td2, tau2 }),
    ]
}

fn resistive_law() -> impl Strategy<Value = ResistiveLaw<Value>> {
    prop_oneof![
        (value(), value()).prop_map(|(a, b)| ResistiveLaw::Cubic { a, b }),
        (value(), value(), value()).prop_map(|(alpha, delta, w)| ResistiveLaw::Tanh { alpha, delta, w }),
        (value(), value(), value()).prop_map(|(alpha, a, c)| ResistiveLaw::Logistic { alpha, a, c }),
        (value(), value(), value()).prop_map(|(alpha, a, c)| ResistiveLaw::Softplus { alpha, a, c }),
        (value(), vec((value(), value(), value()).prop_map(|(w, a, c)| SoftplusTerm { w, a, c }), 0..3))
            .prop_map(|(g0, terms)| ResistiveLaw::Glm { g0, terms }),
        pairs().prop_map(|points| ResistiveLaw::Pwl { points }),
        expr().prop_map(|expr| ResistiveLaw::Expression { expr }),
    ]
}

fn relaxation() -> impl Strategy<Value = Relaxation<Value>> {
    prop_oneof![
        (value(), value()).prop_map(|(tau_s, x0)| Relaxation::Linear { tau_s, x0 }),
        (expr(), expr(), value()).prop_map(|(alpha, beta, x0)| Relaxation::Kinetic { alpha, beta, x0 }),
    ]
}

fn memristive_law() -> impl Strategy<Value = MemristiveLaw<Value>> {
    prop_oneof![
        (0..3usize, value(), value()).prop_map(|(state, alpha, delta)| MemristiveLaw::Tanh {
            state,
            alpha,
            delta
        }),
        (
            value(),
            value(),
            vec(
                (0..3usize, 1..5u32, option::of((value(), value()).prop_map(|(a, c)| Slope { a, c })))
                    .prop_map(|(state, power, logistic)| Gate { state, power, logistic }),
                0..3
            )
        )
            .prop_map(|(gbar, e_volt, gates)| MemristiveLaw::Gates { gbar, e_volt, gates }),
        (
            value(),
            value(),
            vec(
                (0..3usize, value(), value(), value()).prop_map(|(state, w, a, c)| StateTerm {
                    state,
                    w,
                    a,
                    c
                }),
                0..3
            )
        )
            .prop_map(|(gbar, e_volt, terms)| MemristiveLaw::Glm { gbar, e_volt, terms }),
    ]
}

fn kind() -> impl Strategy<Value = ElementKind<Value>> {
    prop_oneof![
        (node(), node(), value()).prop_map(|(p, n, r_ohm)| ElementKind::Resistor { p, n, r_ohm }),
        (node(), node(), value(), opt()).prop_map(|(p, n, c_farad, ic_volt)| ElementKind::Capacitor {
            p,
            n,
            c_farad,
            ic_volt
        }),
        (node(), node(), value(), opt()).prop_map(|(p, n, l_henry, ic_amp)| ElementKind::Inductor {
            p,
            n,
            l_henry,
            ic_amp
        }),
        (node(), node(), waveform(), opt()).prop_map(|(p, n, waveform, dc)| ElementKind::VoltageSource {
            p,
            n,
            waveform,
            dc
        }),
        (node(), node(), waveform(), opt()).prop_map(|(p, n, waveform, dc)| ElementKind::CurrentSource {
            p,
            n,
            waveform,
            dc
        }),
        (node(), node(), expr()).prop_map(|(p, n, expr)| ElementKind::BehaviouralCurrent { p, n, expr }),
        (node(), node(), expr()).prop_map(|(p, n, expr)| ElementKind::BehaviouralVoltage { p, n, expr }),
        (node(), node(), resistive_law()).prop_map(|(p, n, law)| ElementKind::NonlinearResistor {
            p,
            n,
            law
        }),
        (node(), node(), vec(relaxation(), 0..3), memristive_law())
            .prop_map(|(p, n, states, law)| ElementKind::Memristive { p, n, states, law }),
        (node(), node(), name(), opt()).prop_map(|(p, n, model, area)| ElementKind::Diode {
            p,
            n,
            model,
            area
        }),
        (node(), node(), node(), node(), name(), value(), value(), mos_instance()).prop_map(
            |(d, g, s, b, model, w_m, l_m, instance)| ElementKind::Mosfet {
                d,
                g,
                s,
                b,
                model,
                w_m,
                l_m,
                instance
            }
        ),
    ]
}

fn element() -> impl Strategy<Value = Element<Value>> {
    (name(), kind()).prop_map(|(name, kind)| Element { name, kind })
}

fn params() -> impl Strategy<Value = Vec<Param>> {
    vec((name(), value()).prop_map(|(name, value)| Param { name, value }), 0..3)
}

fn instance() -> impl Strategy<Value = Instance> {
    (name(), name(), vec(node(), 0..3), params()).prop_map(|(name, subckt, nodes, params)| Instance {
        name,
        subckt,
        nodes,
        params,
    })
}

fn model() -> impl Strategy<Value = Model<Value>> {
    let diode =
        ((opt(), opt(), opt(), opt(), opt(), opt(), opt(), opt(), opt()), vec(("[a-z]{1,6}", value()), 0..3))
            .prop_map(|((is, n, rs, cjo, vj, m, tt, bv, ibv), extra)| {
                let extra = extra.into_iter().collect::<BTreeMap<_, _>>();
                ModelKind::Diode(DiodeParams { is, n, rs, cjo, vj, m, tt, bv, ibv, extra })
            });
    let mos = || {
        (1..80u32, opt(), opt(), opt(), opt(), opt(), vec(("[a-z]{1,6}", value()), 0..3)).prop_map(
            |(level, vto, kp, lambda, gamma, phi, extra)| MosParams {
                level,
                vto,
                kp,
                lambda,
                gamma,
                phi,
                extra: extra.into_iter().collect::<BTreeMap<_, _>>(),
            },
        )
    };
    let kind = prop_oneof![diode, mos().prop_map(ModelKind::Nmos), mos().prop_map(ModelKind::Pmos)];
    (name(), kind).prop_map(|(name, kind)| Model { name, kind })
}

fn subckt() -> impl Strategy<Value = Subckt> {
    (name(), vec(node(), 0..3), params(), vec(element(), 0..3), vec(instance(), 0..2)).prop_map(
        |(name, ports, params, elements, instances)| Subckt { name, ports, params, elements, instances },
    )
}

fn circuit() -> impl Strategy<Value = Circuit> {
    (
        "[ -~]{0,30}",
        params(),
        vec(model(), 0..2),
        vec(subckt(), 0..2),
        vec(element(), 0..8),
        vec(instance(), 0..2),
    )
        .prop_map(|(title, params, models, subckts, elements, instances)| Circuit {
            title,
            params,
            models,
            subckts,
            elements,
            instances,
            globals: vec![],
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trip_is_lossless(c in circuit()) {
        let text = serde_json::to_string(&c).expect("serialises");
        let back: Circuit = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, c);
    }

    #[test]
    fn toml_round_trip_is_lossless(c in circuit()) {
        let text = toml::to_string(&c).expect("serialises");
        let back: Circuit = toml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, c);
    }
}

#[test]
fn builtin_round_trips_through_toml_as_a_readable_file() {
    let c = atscale_circuit::builtin::fitzhugh_nagumo();
    let text = toml::to_string(&c).expect("serialises");
    assert!(text.contains("kind = \"capacitor\""), "{text}");
    let back: Circuit = toml::from_str(&text).expect("parses");
    assert_eq!(back, c);
}
