//! A time-bounded mutation fuzzer of the three readers of untrusted text:
//! the netlist reader (deck, parser, flattening), the expression parser and
//! the raw-file reader. Every input must give a value or an error, in
//! bounded time, without a panic (a stack overflow aborts the test binary).
//!
//! It runs for `ATSCALE_FUZZ_SECONDS` seconds (default 5; `make test` runs
//! it for 20, `scripts/fuzz.sh` for as long as asked) from the seed
//! `ATSCALE_FUZZ_SEED` (default 1), mutating a corpus of the repository's
//! netlists, raw files and expressions. A failing input is written to
//! `target/fuzz-failures/` and its seed and case number printed, so it can
//! be replayed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atscale_circuit::expr::{CompiledExpr, Expr};
use atscale_spice::{parse_deck, Deck, DeckLimits};
use atscale_verify::raw::RawFile;

/// A small, fast, seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&[u8]] = &[
    b"\n",
    b"+",
    b"{",
    b"}",
    b"(",
    b")",
    b"'",
    b"\"",
    b"=",
    b",",
    b".subckt s a\n",
    b".ends\n",
    b"X1 a s\n",
    b".control\n",
    b".endc\n",
    b"*#",
    b"*ng_script",
    b".func f(x) {f(x)}\n",
    b".param a={a}\n",
    b".param e=1\n",
    b"*@atscale element {\"name\":\"x\"}\n",
    b" params: ",
    b"1e999",
    b"-",
    b"?",
    b":",
    b"v(",
    b"i(",
    b"PULSE(",
    b"PWL(",
    b".include x\n",
    b".lib x y\n",
    b".lib y\n",
    b".endl\n",
    b".end\n",
    b"\xef\xbb\xbf",
    b"\r",
    b"\xe2\x80\xa8",
    b"\xc3\xa9",
    b";",
    b"$",
    b"gnd",
    b"0",
    b"1k",
    b"meg",
    b"^",
    b"**",
    b"&&",
    b"||",
    b"Binary:\n",
    b"Values:\n",
    b"No. Points: 99999999999\n",
    b"No. Variables: 3\n",
    b"\t0\ttime\ttime\n",
    b"Plotname: Transient Analysis\n",
    b"nan",
    b"inf",
    b"@",
];

/// Inputs of one reader.
type Pool = Vec<Vec<u8>>;

/// Netlists, raw files and expressions.
fn corpus() -> (Pool, Pool, Pool) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = |dir: &Path, ext: &str| -> Pool {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default();
        v.sort();
        v.into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .filter_map(|p| std::fs::read(p).ok())
            .collect()
    };
    let mut netlists = files(&root.join("netlists/ngspice"), "cir");
    netlists.extend(files(&root.join("docs/examples"), "cir"));
    netlists.extend(files(&root.join("crates/atscale-verify/tests/fixtures"), "cir"));
    let raws = files(&root.join("crates/atscale-verify/tests/fixtures"), "raw");
    let exprs: Pool = [
        "v(a)*v(a)*v(a)/3 - v(a) + i(vx)",
        "a > 0 ? tanh(2*v(x,y)) : -exp(-time/1m)",
        "pwr(v(a), 3) + pow(2, 0.5) - sgn(-1) * u(time - 1u)",
        "min(max(v(a), -1), 1) + 1e-3 * ln(1 + exp(v(b)/25m))",
        "(((1 + 2) * 3 - 4) / 5) ^ 2 && !0 || 1 == 1",
        "pi * e - sqrt(abs(v(a))) + atan(1)",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    assert!(netlists.len() > 5 && raws.len() > 5, "the corpus is missing");
    (netlists, raws, exprs)
}

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let len = b.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let s = SNIPPETS[rng.below(SNIPPETS.len())];
                let i = rng.below(len + 1);
                b.splice(i..i, s.iter().copied());
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(64);
                b.drain(i..(i + n).min(len));
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let piece: Vec<u8> = b[i..(i + 1 + rng.below(200)).min(len)].to_vec();
                let most = if rng.below(10) == 0 { 2000 } else { 4 };
                let times = 1 + rng.below(most);
                for _ in 0..times {
                    b.splice(i..i, piece.iter().copied());
                }
            }
            4 if !other.is_empty() => {
                let i = rng.below(len + 1);
                let j = rng.below(other.len());
                b.splice(i..i, other[j..(j + 1 + rng.below(300)).min(other.len())].iter().copied());
            }
            _ => {
                let i = rng.below(len + 1);
                b.insert(i, (rng.next() & 0xff) as u8);
            }
        }
    }
    b
}

fn netlist(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let limits = DeckLimits { max_bytes: 1 << 20, max_cards: 20_000 };
    if let Ok(deck) = Deck::from_text(&text, "fuzz.cir", None, &limits) {
        let _ = deck.tran();
        let _ = deck.ngspice_text(false, None);
        let _ = deck.ngspice_text(true, None);
        if let Ok(n) = parse_deck(&deck) {
            let _ = n.circuit.check();
        }
    }
}

fn expression(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(e) = Expr::parse(&text) {
        let printed = e.to_string();
        assert_eq!(Expr::parse(&printed).as_ref(), Ok(&e), "printed form `{printed}` reads back differently");
        let _ = e.fold_constants();
        let _ = e.eval_const(&mut |_| Some(0.5));
        if let Ok(c) = CompiledExpr::compile(&e, &mut |_| Ok(Some(0))) {
            let mut ws = c.workspace();
            let _ = c.eval(&[0.25], 1e-3, &mut ws);
        }
    }
}

fn raw(bytes: &[u8]) {
    let _ = RawFile::parse(bytes, Path::new("fuzz.raw"));
}

#[test]
fn mutated_netlists_expressions_and_raw_files_never_panic_or_hang() {
    let seconds: f64 = std::env::var("ATSCALE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let seed: u64 = std::env::var("ATSCALE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let (netlists, raws, exprs) = corpus();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let start = Instant::now();
    let mut cases = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let which = rng.below(3);
        let pool = match which {
            0 => &netlists,
            1 => &exprs,
            _ => &raws,
        };
        let (a, b) = (rng.below(pool.len()), rng.below(pool.len()));
        let input = mutate(&mut rng, &pool[a], &pool[b]);
        let t0 = Instant::now();
        let outcome = std::panic::catch_unwind(|| match which {
            0 => netlist(&input),
            1 => expression(&input),
            _ => raw(&input),
        });
        let slow = t0.elapsed() > Duration::from_secs(2);
        if outcome.is_err() || slow {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("seed{seed}-case{cases}-target{which}"));
            let _ = std::fs::write(&path, &input);
            panic!(
                "fuzz case {cases} of seed {seed} (target {}) {}; input saved to {}",
                ["netlist", "expression", "raw"][which],
                if slow { format!("took {:?}", t0.elapsed()) } else { "panicked".to_string() },
                path.display()
            );
        }
        cases += 1;
    }
    eprintln!("fuzz: {cases} cases in {seconds} s from seed {seed}");
    assert!(cases > 0);
}
