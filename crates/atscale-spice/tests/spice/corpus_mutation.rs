//! Mutated third-party netlists never panic and never hang: every deck of
//! the corpus (`tests/corpus`, public decks from ngspice, eSim and a
//! tutorial; see its `SOURCES.md`), with lines deleted, duplicated or
//! swapped, the file truncated, bits flipped, and `{`, `(`, `=`, huge and
//! tiny numbers, non-UTF-8 bytes, deep nesting of braces, parentheses and
//! subcircuits inserted, or a word of a card (where values, nodes and
//! parameters are read) replaced by such text, goes through everything `atscale sim` does before
//! and at the start of a native run: the deck is read from a file (with its
//! includes), its control blocks set aside, parsed (netlist and
//! `.measure`s), written for ngspice, flattened and validated, set up for the
//! native engine and run for a few hundred steps. Each stage returns a
//! result or an error whose message says something; a panic fails the test
//! and proptest shrinks it to a small reproducer.
//!
//! 256 cases by default (a few seconds); `PROPTEST_CASES=2000` for a deeper run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atscale_circuit::CircuitLimits;
use atscale_sim::{SimLimits, Simulation, StopCheck};
use atscale_spice::{parse_deck, Deck, DeckLimits};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestRunner};

/// A private copy of the corpus, removed when dropped: each mutated deck is
/// written beside its original, so its includes resolve as they do there.
struct Corpus {
    /// Folder of the copy.
    dir: PathBuf,
    /// Each deck and include file: path relative to `dir`, and contents.
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Corpus {
    /// Copies the corpus into a folder named after `test` and this process.
    fn copy(test: &str) -> Corpus {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
        let dir = std::env::temp_dir().join(format!("atscale-{test}-{}", std::process::id()));
        let mut files = Vec::new();
        copy_tree(&source, &dir, Path::new(""), &mut files);
        assert!(files.len() >= 50, "the corpus at {} holds {} files", source.display(), files.len());
        Corpus { dir, files }
    }
}

impl Drop for Corpus {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies `from` into `to`, listing every netlist file (not the licences,
/// sources and outcome records).
fn copy_tree(from: &Path, to: &Path, rel: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    std::fs::create_dir_all(to.join(rel)).unwrap();
    for entry in std::fs::read_dir(from.join(rel)).unwrap() {
        let name = entry.unwrap().file_name();
        let r = rel.join(&name);
        if from.join(&r).is_dir() {
            copy_tree(from, to, &r, files);
            continue;
        }
        let bytes = std::fs::read(from.join(&r)).unwrap();
        std::fs::write(to.join(&r), &bytes).unwrap();
        let n = name.to_string_lossy();
        if !(n.ends_with(".md") || n.ends_with(".toml") || n == "LICENSE" || n == "COPYING") {
            files.push((r, bytes));
        }
    }
}

/// Inserted text: syntax characters, numbers at and past the ends of `f64`,
/// bytes that are not UTF-8, and cards that open or close blocks.
const SNIPPETS: &[&[u8]] = &[
    b"{",
    b"}",
    b"(",
    b")",
    b"=",
    b"'",
    b",",
    b"1e308",
    b"1e999",
    b"-1e-320",
    b"99999999999999999999999999",
    b"0",
    b"-0",
    b"nan",
    b"inf",
    b"\xff",
    b"\xfe\xff",
    b"\x80\x81\x82",
    b"\xc3",
    b"\0",
    b"\r",
    b"\t",
    b"\n+",
    b"\n+ level=3",
    b"\n.subckt s a b\n",
    b"\n.ends\n",
    b"\n.control\n",
    b"\n.endc\n",
    b"\n.include x.lib\n",
    b"\n.lib x.lib tt\n",
    b"\n.param e=0.7\n",
    b"\n.tran 1u 1m\n",
    b"\n.end\n",
    b" level=49 version=4.5.0 ",
    b" m=0 ",
    b" area=-1 ",
    b"v(",
    b"i(",
    "µ".as_bytes(),
    b"gnd",
    b"X1 a b s\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize, usize),
    SwapLines(usize, usize),
    Truncate(usize),
    FlipBit(usize, u8),
    Insert(usize, &'static [u8]),
    /// `depth` opening characters, a number, `depth` closing ones.
    Nest(usize, usize, u8),
    /// A chain of `n` subcircuits, each instancing the next, called from the top.
    DeepSubckts(usize),
    /// A word of a card (an element or a dot card, not a comment) replaced:
    /// where values, nodes and parameters are read.
    ReplaceWord(usize, usize, Word),
}

/// What replaces a word of a card.
#[derive(Debug, Clone)]
enum Word {
    Snippet(&'static str),
    /// A braced expression nested `depth` deep in `open`.
    Nested(usize, u8),
}

/// Replacement words: values at the edges of `f64` and of the syntax.
const WORDS: &[&str] = &[
    "1e308",
    "1e999",
    "-1e-320",
    "0",
    "-1",
    "nan",
    "{1/0}",
    "{0/0}",
    "{-1e308*10}",
    "{sqrt(-1)}",
    "{log(0)}",
    "{x}",
    "'1+'",
    "{",
    "(",
    "=",
    "pulse(",
    "sin(0",
    "pwl(0",
    "level=49",
    "level=3",
    "m=0",
    "w=0",
    "l=-1",
    "ic=1e308",
    "2\u{b5}",
    "0.5.0",
    "1k5",
    "10meg",
    "X",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), 1..60usize).prop_map(|(a, n)| Mutation::DuplicateLine(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..8u8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        (any::<usize>(), proptest::sample::select(SNIPPETS)).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), 1..600usize, proptest::sample::select(&b"({'["[..]))
            .prop_map(|(a, d, c)| Mutation::Nest(a, d, c)),
        (1..300usize).prop_map(Mutation::DeepSubckts),
        (any::<usize>(), any::<usize>(), word()).prop_map(|(a, b, w)| Mutation::ReplaceWord(a, b, w)),
    ]
}

fn word() -> impl Strategy<Value = Word> {
    prop_oneof![
        proptest::sample::select(WORDS).prop_map(Word::Snippet),
        (1..600usize, proptest::sample::select(&b"({"[..])).prop_map(|(d, c)| Word::Nested(d, c)),
    ]
}

fn word_text(w: &Word) -> String {
    match *w {
        Word::Snippet(s) => s.to_string(),
        Word::Nested(depth, open) => {
            let close = if open == b'(' { ")" } else { "}" };
            let open = char::from(open).to_string();
            format!("{{{}1{}}}", open.repeat(depth), close.repeat(depth))
        }
    }
}

/// Replaces word `b` (not the first, which names the card) of card line `a`.
fn replace_word(b: Vec<u8>, a: usize, k: usize, w: &Word) -> Vec<u8> {
    let mut ls = lines(&b);
    let cards: Vec<usize> = (0..ls.len())
        .filter(|&i| {
            ls[i]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'.')
        })
        .collect();
    if cards.is_empty() {
        return b;
    }
    let i = cards[a % cards.len()];
    let text = String::from_utf8_lossy(&ls[i]).into_owned();
    let mut words: Vec<String> = text.split_whitespace().map(String::from).collect();
    if words.len() > 1 {
        let j = 1 + k % (words.len() - 1);
        words[j] = word_text(w);
    } else {
        words.push(word_text(w));
    }
    ls[i] = words.join(" ").into_bytes();
    ls.join(&b'\n')
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn apply(bytes: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in muts {
        out = apply_one(out, m);
    }
    out
}

fn apply_one(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let at = |a: usize, len: usize| a % (len + 1);
    match *m {
        Mutation::DeleteLine(a) | Mutation::DuplicateLine(a, _) | Mutation::SwapLines(a, _) => {
            let mut ls = lines(&b);
            let k = a % ls.len();
            match *m {
                Mutation::DeleteLine(_) => {
                    ls.remove(k);
                }
                Mutation::DuplicateLine(_, n) => {
                    let line = ls[k].clone();
                    for _ in 0..n {
                        ls.insert(k, line.clone());
                    }
                }
                Mutation::SwapLines(_, c) => {
                    let j = c % ls.len();
                    ls.swap(k, j);
                }
                _ => unreachable!(),
            }
            ls.join(&b'\n')
        }
        Mutation::Truncate(a) => {
            b.truncate(at(a, b.len()));
            b
        }
        Mutation::FlipBit(a, bit) => {
            if !b.is_empty() {
                let k = a % b.len();
                b[k] ^= 1 << bit;
            }
            b
        }
        Mutation::Insert(a, s) => {
            let k = at(a, b.len());
            b.splice(k..k, s.iter().copied());
            b
        }
        Mutation::Nest(a, depth, open) => {
            let close = match open {
                b'(' => b')',
                b'{' => b'}',
                b'[' => b']',
                other => other,
            };
            let mut s = vec![open; depth];
            s.extend_from_slice(b"1");
            s.extend(std::iter::repeat_n(close, depth));
            let k = at(a, b.len());
            b.splice(k..k, s);
            b
        }
        Mutation::ReplaceWord(a, k, ref w) => replace_word(b, a, k, w),
        Mutation::DeepSubckts(n) => {
            let mut s = String::from("\nXdeep a 0 s0\n");
            for k in 0..n {
                s.push_str(&format!(".subckt s{k} p q\nX{k} p q s{}\nR{k} p q 1k\n.ends\n", k + 1));
            }
            s.push_str(&format!(".subckt s{n} p q\nR p q 1k\n.ends\n"));
            let k = b.len().min(b.iter().position(|&c| c == b'\n').map_or(b.len(), |p| p + 1));
            b.splice(k..k, s.into_bytes());
            b
        }
    }
}

/// Everything `atscale sim` does with a netlist up to a short native run;
/// `Err` holds the message of the first stage that refused it.
fn pipeline(path: &Path) -> Result<(), String> {
    let mut deck = Deck::load(path, &DeckLimits::default()).map_err(|e| e.to_string())?;
    let _ = deck.skip_control_blocks();
    let _ = deck.tran();
    let netlist = parse_deck(&deck).map_err(|e| e.to_string())?;
    let _ = atscale_spice::parse::measure::read_measures(&deck, Some(&netlist.circuit));
    let _ = deck.ngspice_text(false, None);
    let checked = netlist.circuit.check_within(&CircuitLimits::default()).map_err(|e| e.to_string())?;
    let _ = atscale_sim::unmodelled(&checked.circuit, &netlist.analysis.options);
    let tstop = netlist.analysis.tran.map_or(1e-6, |t| t.tstop_s);
    let sim =
        Simulation::for_analysis(&checked.circuit, &netlist.analysis, tstop).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_millis(300);
    let stop =
        StopCheck::new(move || (Instant::now() > deadline).then(|| "the test's time limit".to_string()));
    sim.limits(SimLimits { max_steps: 300, max_stored_bytes: 64 << 20 })
        .stop_check(stop)
        .run()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Runs the pipeline on file `seed` of corpus `c` mutated by `muts`.
fn check(c: &Corpus, seed: usize, muts: &[Mutation]) -> Result<(), TestCaseError> {
    let (rel, bytes) = &c.files[seed % c.files.len()];
    let mutated = apply(bytes, muts);
    // Beside the original, under a name of its own (the originals are left as they are).
    let path = c.dir.join(rel).with_file_name("mutated-deck.cir");
    std::fs::write(&path, &mutated).unwrap();
    let start = Instant::now();
    let result = pipeline(&path);
    let took = start.elapsed();
    if let Err(msg) = &result {
        prop_assert!(!msg.trim().is_empty(), "{}: an empty error message", rel.display());
    }
    // Measured: at most 0.096 s per case over 3000 cases (debug build, loaded
    // 2-core machine; the run stops at 300 steps or 0.3 s); 1 s is a 10x margin:
    // past it a stage loops or grows without bound.
    prop_assert!(took < Duration::from_secs(1), "{}: {took:?} for {muts:?}", rel.display());
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

#[test]
fn mutated_corpus_decks_never_panic() {
    let corpus = Corpus::copy("corpus-mutation");
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    };
    let input = (any::<usize>(), proptest::collection::vec(mutation(), 1..5));
    // The runner turns a panic in a case into a failure and shrinks it.
    let result = TestRunner::new(config).run(&input, |(seed, muts)| check(&corpus, seed, &muts));
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn every_corpus_deck_goes_through_the_pipeline_unmutated() {
    // The unmutated decks (and include files read as decks) pass every stage
    // or stop with a message: the baseline the mutations start from.
    let corpus = Corpus::copy("corpus-unmutated");
    for k in 0..corpus.files.len() {
        check(&corpus, k, &[]).unwrap();
    }
}
