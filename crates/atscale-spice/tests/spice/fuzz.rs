//! Random bytes and random mutations of valid netlists never panic and never
//! loop: they give an error or a circuit.

use std::time::{Duration, Instant};

use atscale_spice::{parse_str, write_netlist, Ngspice};
use proptest::prelude::*;

use crate::reference;

fn seeds() -> Vec<String> {
    let mut out: Vec<String> = reference::all()
        .into_iter()
        .map(|c| write_netlist(&c.circuit, &c.analysis, &Ngspice, &c.header).unwrap())
        .collect();
    out.push(include_str!("data/hand.cir").to_string());
    out
}

const SNIPPETS: &[&str] = &[
    "\n",
    "+",
    "{",
    "}",
    "(",
    ")",
    "'",
    "=",
    ".subckt s a",
    ".ends",
    ".control\n",
    ".endc\n",
    ".func f(x) {f(x)}\n",
    ".param a={a}\n",
    "*@atscale element {\"name\":\"x\"}\n",
    "*@atscale element ",
    "X1 a b",
    " params: ",
    "1e999",
    "-",
    "?",
    ":",
    "v(",
    "PULSE(",
    ".include x\n",
    ".lib x y\n",
    "\u{2028}",
    "é",
    "\0",
    ";",
    "$",
    ".end\n",
    "gnd",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), proptest::sample::select(SNIPPETS)).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), 1..200usize).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in muts {
        let len = bytes.len().max(1);
        match m {
            Mutation::Delete(a, n) => {
                let a = a % len;
                let b = (a + n).min(bytes.len());
                if a < b {
                    bytes.drain(a..b);
                }
            }
            Mutation::Insert(a, s) => {
                let a = a % (bytes.len() + 1);
                bytes.splice(a..a, s.bytes());
            }
            Mutation::Duplicate(a, n) => {
                let a = a % len;
                let b = (a + n).min(bytes.len());
                if a < b {
                    let piece = bytes[a..b].to_vec();
                    bytes.splice(b..b, piece);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let start = Instant::now();
    match parse_str(text, "fuzz.cir") {
        Ok(n) => {
            // Whatever parses can be written again (or is refused with an error).
            let _ = write_netlist(&n.circuit, &n.analysis, &Ngspice, &n.header);
        }
        Err(e) => {
            let shown = e.to_string();
            prop_assert!(!shown.is_empty());
        }
    }
    prop_assert!(start.elapsed() < Duration::from_secs(2), "parsing took {:?}", start.elapsed());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_text_never_panics(text in "[ -~\\n\\t]{0,300}") {
        check(&format!("title\n{text}"))?;
    }

    #[test]
    fn mutated_netlists_never_panic(k in 0..7usize, muts in proptest::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let seed = &seeds[k % seeds.len()];
        check(&apply(seed, &muts))?;
    }
}
