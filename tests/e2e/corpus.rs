//! The corpus of public third-party netlists (`tests/corpus`, sources and
//! licences in `tests/corpus/SOURCES.md`): every deck goes through `atscale
//! verify` (native against ngspice, at the default tolerance) and must meet
//! the outcome recorded for it in `tests/corpus/outcomes.toml`: its events
//! agree (or disagree, as recorded), or it is refused with the recorded
//! message, or only ngspice runs it. The independent truth is ngspice, run
//! for real; a deck without a node that crosses anything compares its final
//! value with ngspice's instead.
//!
//! What each deck compares (node, threshold, a shorter stop time where the
//! full run would not fit the time budget) is chosen by hand in
//! `tests/corpus/decks.toml`. The outcomes are recorded, never edited by hand:
//! `scripts/corpus-record.sh` (`UPDATE_CORPUS=1`) reruns the corpus and
//! rewrites `outcomes.toml`; without it the test only compares.
//!
//! The test also prints the acceptance figure of issue 15: among the decks
//! whose elements are only R, C, L, K, V, I, B, E, F, G, H, D, Q, S, W and
//! MOSFETs of levels 1 to 3, the fraction the native engine runs to its stop
//! time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::{atscale, root};

/// Longest run of one engine on one deck, s (a hang shows as a refusal, not a stuck test).
const RUN_TIMEOUT_S: &str = "60";

/// One deck as `decks.toml` describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeckSpec {
    /// Relative to `tests/corpus`.
    path: String,
    /// `NODE,THRESHOLD[,HYSTERESIS]` for `verify --events`.
    events: Option<String>,
    /// A node whose final value is compared instead (no crossing in the deck).
    probe: Option<String>,
    /// `--tstop` override.
    tstop: Option<String>,
    /// The deck draws random samples (TRNOISE, TRRANDOM): ngspice seeds its
    /// generator anew each run, so its event count is not compared.
    #[serde(default)]
    random: bool,
}

#[derive(Debug, Deserialize)]
struct Decks {
    deck: Vec<DeckSpec>,
}

/// What happened to a deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    /// Both engines ran; the events (or final values) agree at the default tolerance.
    Agree,
    /// Both engines ran; they do not agree.
    Disagree,
    /// Neither engine runs it through atscale: `message` says why.
    Refused,
    /// The native engine refuses it (`message`); atscale's ngspice run works.
    NgspiceOnly,
    /// The native engine runs it, but `verify` failed (`message`).
    VerifyFailed,
}

/// The recorded outcome of one deck (`outcomes.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outcome {
    path: String,
    /// Element kinds found by [`devices`]: letters, MOSFETs as `M<level>`,
    /// models outside SPICE's built-in level 1 as `Q:<type or level>`, `D:<type>`.
    devices: Vec<String>,
    outcome: Kind,
    /// The native engine reached the stop time.
    native_to_stop: bool,
    /// ngspice's event count (agree, disagree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events: Option<usize>,
    /// The native engine's event count (disagree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    native_events: Option<usize>,
    /// The first error line, numbers masked as `#` (refused, ngspice-only,
    /// verify-failed); the run's must contain it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// Why atscale's ngspice run failed too (refused), masked the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ngspice_message: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Outcomes {
    deck: Vec<Outcome>,
}

fn corpus_dir() -> PathBuf {
    root().join("tests/corpus")
}

fn read_toml<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// Element kinds, read from the deck text (not by atscale's parser).

/// The deck's logical lines (continuations joined), its includes expanded,
/// `.control` blocks and comments dropped; the title line is skipped.
fn logical_lines(path: &Path, depth: usize, out: &mut Vec<String>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let mut in_control = false;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let lower = line.to_ascii_lowercase();
        if (k == 0 && depth == 0) || line.is_empty() || line.starts_with('*') {
            continue;
        }
        if lower.starts_with(".control") || lower.starts_with(".endc") {
            in_control = lower.starts_with(".control");
            continue;
        }
        if in_control {
            continue;
        }
        if let Some(rest) = lower.strip_prefix('+') {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(rest);
            }
            continue;
        }
        if let Some(file) = include_target(&lower, line) {
            let inc = path.parent().expect("a folder").join(file);
            if inc.is_file() && depth < 8 {
                logical_lines(&inc, depth + 1, out);
            }
            continue;
        }
        out.push(lower);
    }
}

/// The file an `.include`/`.inc`/`.lib FILE [SECTION]` line names.
fn include_target<'a>(lower: &str, line: &'a str) -> Option<&'a str> {
    let card = lower.split_whitespace().next()?;
    if !matches!(card, ".include" | ".inc" | ".lib") {
        return None;
    }
    line.split_whitespace().nth(1).map(|w| w.trim_matches(['"', '\'']))
}

/// `.model NAME TYPE(... level=N ...)` cards: name to (type, level).
fn models(lines: &[String]) -> BTreeMap<String, (String, u32)> {
    let mut out = BTreeMap::new();
    for l in lines.iter().filter(|l| l.starts_with(".model")) {
        let words: Vec<&str> =
            l.split(|c: char| c.is_whitespace() || c == '(').filter(|w| !w.is_empty()).collect();
        if words.len() < 3 {
            continue;
        }
        let squeezed = l.replace(' ', "");
        let level = squeezed
            .split("level=")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(1);
        out.insert(words[1].to_string(), (words[2].to_string(), level));
    }
    out
}

/// The kind of an element card, e.g. `R`, `M3`, `Q`, `Q:vbic`, `D:numd`.
fn element_kind(card: &str, models: &BTreeMap<String, (String, u32)>) -> Option<String> {
    let letter = card.chars().next()?.to_ascii_uppercase();
    if !letter.is_ascii_alphabetic() || letter == 'X' {
        return None;
    }
    if !matches!(letter, 'M' | 'Q' | 'D') {
        return Some(letter.to_string());
    }
    // A binned model `nch` is defined as `nch.1`, `nch.2`, ...
    let find = |w: &str| models.get(w).or_else(|| models.get(&format!("{w}.1")));
    let model = card.split_whitespace().skip(1).find_map(find);
    Some(match (letter, model) {
        (_, None) => format!("{letter}:unknown-model"),
        ('M', Some((kind, level))) if matches!(kind.as_str(), "nmos" | "pmos") => format!("M{level}"),
        ('Q', Some((kind, 1))) if matches!(kind.as_str(), "npn" | "pnp") => "Q".to_string(),
        ('D', Some((kind, _))) if kind == "d" => "D".to_string(),
        (_, Some((kind, level))) => format!("{letter}:{kind}{level}"),
    })
}

/// The element kinds a deck (with its includes and subcircuits) uses.
fn devices(path: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    logical_lines(path, 0, &mut lines);
    let models = models(&lines);
    let kinds: BTreeSet<String> =
        lines.iter().filter(|l| !l.starts_with('.')).filter_map(|l| element_kind(l, &models)).collect();
    kinds.into_iter().collect()
}

/// Issue 15's acceptance set: decks with only these element kinds.
fn in_acceptance_set(devices: &[String]) -> bool {
    const PLAIN: &[&str] = &["R", "C", "L", "K", "V", "I", "B", "E", "F", "G", "H", "D", "Q", "S", "W"];
    devices.iter().all(|d| PLAIN.contains(&d.as_str()) || matches!(d.as_str(), "M1" | "M2" | "M3"))
}

// ---------------------------------------------------------------------------
// Running a deck.

/// The first `error:` line of a run's stderr, corpus paths made relative and
/// every number masked as `#` (line and column numbers, times, step sizes).
fn error_line(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or("(no error line)");
    mask_numbers(&relative_paths(line.trim_start_matches("error:").trim()))
}

fn relative_paths(text: &str) -> String {
    let abs = format!("{}/", corpus_dir().display());
    text.replace(&abs, "").replace("tests/corpus/", "")
}

/// Each number standing on its own (not part of a name such as `TLC555` or
/// `rts-1`), exponent included, becomes `#`.
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    while k < chars.len() {
        let starts = chars[k].is_ascii_digit() && (k == 0 || !word(chars[k - 1]));
        if !starts {
            out.push(chars[k]);
            k += 1;
            continue;
        }
        k = number_end(&chars, k);
        out.push('#');
    }
    out
}

/// The index just past the number starting at `k`: digits, `.` between
/// digits, and an exponent `e[+-]digits`.
fn number_end(chars: &[char], mut k: usize) -> usize {
    let digit = |k: usize| chars.get(k).is_some_and(|c| c.is_ascii_digit());
    while digit(k) || (chars.get(k) == Some(&'.') && digit(k + 1)) {
        k += 1;
    }
    if chars.get(k).is_some_and(|c| matches!(c, 'e' | 'E')) {
        let sign = usize::from(chars.get(k + 1).is_some_and(|c| matches!(c, '+' | '-')));
        if digit(k + 1 + sign) {
            k += 1 + sign;
            while digit(k) {
                k += 1;
            }
        }
    }
    k
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = atscale(args);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sim`/`verify` arguments every run of `spec` shares: the deck's `.control`
/// blocks are set aside (a `tran` in them becomes the analysis), as a user
/// running a third-party deck through atscale would do.
fn common_args(spec: &DeckSpec) -> Vec<String> {
    let mut args = vec![format!("tests/corpus/{}", spec.path), "--skip-control".into()];
    args.extend(["--timeout".into(), RUN_TIMEOUT_S.into()]);
    if let Some(t) = &spec.tstop {
        args.extend(["--tstop".into(), t.clone()]);
    }
    args
}

fn run_sub(sub: &str, spec: &DeckSpec, extra: &[&str]) -> Run {
    let common = common_args(spec);
    let mut args: Vec<&str> = vec![sub];
    args.extend(common.iter().map(String::as_str));
    args.extend_from_slice(extra);
    run(&args)
}

/// Event counts of `verify --json`'s engines, in order (native, ngspice).
fn event_counts(json: &serde_json::Value) -> Vec<usize> {
    let engines = json["engines"].as_array().cloned().unwrap_or_default();
    engines
        .iter()
        .map(|e| {
            e["events"]
                .as_object()
                .and_then(|m| m.values().next())
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len)
        })
        .collect()
}

/// The outcome of `verify` on a deck with an event node.
fn observe_events(spec: &DeckSpec, events: &str, devices: Vec<String>) -> Outcome {
    let v = run_sub("verify", spec, &["--events", events, "--json"]);
    let mut out = outcome_stub(spec, devices);
    match v.code {
        Some(0) | Some(1) => {
            let json: serde_json::Value = serde_json::from_str(&v.stdout)
                .unwrap_or_else(|e| panic!("{}: verify printed no JSON ({e}):\n{}", spec.path, v.stderr));
            let counts = event_counts(&json);
            out.native_to_stop = true;
            out.events = counts.get(1).copied();
            if v.code == Some(0) {
                out.outcome = Kind::Agree;
            } else {
                out.outcome = Kind::Disagree;
                out.native_events = counts.first().copied();
            }
            out
        }
        _ => classify_failure(spec, out, &v.stderr),
    }
}

/// The final value of `node` on `engine`, from the CSV `sim -o` writes.
fn final_value(spec: &DeckSpec, node: &str, engine: &str) -> Result<f64, String> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let csv = dir.path().join("out.csv");
    let r = run_sub("sim", spec, &["--engine", engine, "--probe", node, "-o", csv.to_str().expect("UTF-8")]);
    if r.code != Some(0) {
        return Err(r.stderr);
    }
    let text = std::fs::read_to_string(&csv).map_err(|e| e.to_string())?;
    let last = text.lines().last().unwrap_or_default();
    last.split(',').nth(1).and_then(|x| x.trim().parse().ok()).ok_or_else(|| format!("no value in `{last}`"))
}

/// The outcome of a deck with no crossing: final values of `node`, native
/// against ngspice, each engine at the deck's own settings.
fn observe_probe(spec: &DeckSpec, node: &str, devices: Vec<String>) -> Outcome {
    let mut out = outcome_stub(spec, devices);
    let native = match final_value(spec, node, "native") {
        Ok(v) => v,
        Err(stderr) => return classify_failure(spec, out, &stderr),
    };
    out.native_to_stop = true;
    match final_value(spec, node, "ngspice") {
        Ok(ng) => {
            // Measured: 1.6e-6 relative on fourbitadder (2.9e-8 V at 17.8 mV), 0 on
            // somador_4bits_digital (5 V); 2e-5 relative is a 12x margin, 1 nV a floor
            // for a node at 0 V.
            let agree = (native - ng).abs() <= 2e-5 * native.abs().max(ng.abs()) + 1e-9;
            eprintln!("{}: final v({node}) {native:e} V native, {ng:e} V ngspice", spec.path);
            out.outcome = if agree { Kind::Agree } else { Kind::Disagree };
        }
        Err(stderr) => {
            out.outcome = Kind::VerifyFailed;
            out.message = Some(error_line(&stderr));
        }
    }
    out
}

fn outcome_stub(spec: &DeckSpec, devices: Vec<String>) -> Outcome {
    Outcome {
        path: spec.path.clone(),
        devices,
        outcome: Kind::Refused,
        native_to_stop: false,
        events: None,
        native_events: None,
        message: None,
        ngspice_message: None,
    }
}

/// After a failed `verify`: which engine could not run it, and why.
fn classify_failure(spec: &DeckSpec, mut out: Outcome, verify_stderr: &str) -> Outcome {
    let native = run_sub("sim", spec, &[]);
    if native.code == Some(0) {
        out.native_to_stop = true;
        out.outcome = Kind::VerifyFailed;
        out.message = Some(error_line(verify_stderr));
        return out;
    }
    out.message = Some(error_line(&native.stderr));
    let ngspice = run_sub("sim", spec, &["--engine", "ngspice"]);
    if ngspice.code == Some(0) {
        out.outcome = Kind::NgspiceOnly;
    } else {
        out.outcome = Kind::Refused;
        out.ngspice_message = Some(error_line(&ngspice.stderr));
    }
    out
}

fn observe(spec: &DeckSpec) -> Outcome {
    let devices = devices(&corpus_dir().join(&spec.path));
    match (&spec.events, &spec.probe) {
        (Some(events), None) => observe_events(spec, events, devices),
        (None, Some(node)) => observe_probe(spec, node, devices),
        _ => panic!("{}: give exactly one of `events` and `probe` in decks.toml", spec.path),
    }
}

/// Every deck, on a few threads (each run is a separate process), with the
/// wall time each took, s.
fn observe_all(specs: &[DeckSpec]) -> Vec<(Outcome, f64)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; specs.len()]);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(spec) = specs.get(k) else { break };
                let start = Instant::now();
                let o = observe(spec);
                results.lock().expect("no poisoned lock")[k] = Some((o, start.elapsed().as_secs_f64()));
            });
        }
    });
    results.into_inner().expect("no poisoned lock").into_iter().map(|o| o.expect("observed")).collect()
}

// ---------------------------------------------------------------------------
// Comparing, reporting, recording.

/// Why `seen` does not meet `recorded`, if it does not.
fn mismatch(recorded: &Outcome, seen: &Outcome, random: bool) -> Option<String> {
    let contains = |r: &Option<String>, s: &Option<String>| match (r, s) {
        (Some(r), Some(s)) => s.contains(r.as_str()),
        (None, None) => true,
        _ => false,
    };
    let message_ok = contains(&recorded.message, &seen.message)
        && contains(&recorded.ngspice_message, &seen.ngspice_message);
    let same = recorded.outcome == seen.outcome
        && recorded.native_to_stop == seen.native_to_stop
        && recorded.devices == seen.devices
        && (random || recorded.events == seen.events)
        && recorded.native_events == seen.native_events
        && message_ok;
    (!same).then(|| format!("recorded {recorded:?}\n    now  {seen:?}"))
}

fn table(outcomes: &[(Outcome, f64)]) -> String {
    let mut s =
        String::from("| deck | devices | outcome | events | message | time |\n|---|---|---|---|---|---|\n");
    for (o, secs) in outcomes {
        let events = match (o.native_events, o.events) {
            (Some(n), Some(g)) => format!("{n} native, {g} ngspice"),
            (None, Some(g)) => g.to_string(),
            _ => String::new(),
        };
        let kind = serde_json::to_value(o.outcome).expect("kind");
        let mut msg = o.message.clone().unwrap_or_default();
        if let Some(ng) = &o.ngspice_message {
            msg.push_str(&format!("; ngspice: {ng}"));
        }
        let msg = msg.replace('|', "\\|");
        let (path, devs, kind) = (&o.path, o.devices.join(" "), kind.as_str().unwrap_or(""));
        s.push_str(&format!("| {path} | {devs} | {kind} | {events} | {msg} | {secs:.1} s |\n"));
    }
    s
}

/// Issue 15's figure: (decks in the acceptance set, of which run natively to stop, of which agree).
fn acceptance(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let set: Vec<&Outcome> = outcomes.iter().filter(|o| in_acceptance_set(&o.devices)).collect();
    let to_stop = set.iter().filter(|o| o.native_to_stop).count();
    let agree = set.iter().filter(|o| o.outcome == Kind::Agree).count();
    (set.len(), to_stop, agree)
}

fn summary(outcomes: &[Outcome]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        *counts.entry(format!("{:?}", o.outcome)).or_default() += 1;
    }
    let (set, to_stop, agree) = acceptance(outcomes);
    format!(
        "{} decks: {counts:?}\nacceptance set (R C L K V I B E F G H D Q S W, MOSFET levels 1-3): {set} decks, \
         {to_stop} run natively to their stop time ({:.0} %), {agree} agree with ngspice",
        outcomes.len(),
        100.0 * to_stop as f64 / set.max(1) as f64
    )
}

fn write_outcomes(outcomes: Vec<Outcome>) {
    let header = "# Recorded by scripts/corpus-record.sh (UPDATE_CORPUS=1): what tests/e2e/corpus.rs\n\
                  # saw on each deck of decks.toml. Do not edit by hand; rerun the script.\n\n";
    let body = toml::to_string(&Outcomes { deck: outcomes }).expect("TOML");
    std::fs::write(corpus_dir().join("outcomes.toml"), format!("{header}{body}"))
        .expect("outcomes.toml written");
}

fn require_ngspice() {
    let ok = Command::new("ngspice").arg("-v").output().is_ok_and(|o| o.status.success());
    assert!(ok, "the corpus test runs ngspice: install it (scripts/install-ngspice.sh) and put it on PATH");
}

#[test]
fn every_corpus_deck_meets_its_recorded_outcome() {
    require_ngspice();
    let start = Instant::now();
    let specs = read_toml::<Decks>("decks.toml").deck;
    let timed = observe_all(&specs);
    let seen: Vec<Outcome> = timed.iter().map(|(o, _)| o.clone()).collect();
    eprintln!("{}\n{}\ncorpus run in {:.1} s", table(&timed), summary(&seen), start.elapsed().as_secs_f64());
    if std::env::var_os("UPDATE_CORPUS").is_some() {
        write_outcomes(seen);
        return;
    }
    let recorded: BTreeMap<String, Outcome> =
        read_toml::<Outcomes>("outcomes.toml").deck.into_iter().map(|o| (o.path.clone(), o)).collect();
    let mut problems = Vec::new();
    for s in &seen {
        match recorded.get(&s.path) {
            Some(r) => {
                let random = specs.iter().any(|d| d.path == s.path && d.random);
                problems.extend(mismatch(r, s, random).map(|m| format!("{}:\n    {m}", s.path)))
            }
            None => problems.push(format!("{}: no recorded outcome", s.path)),
        }
    }
    let listed: BTreeSet<&str> = specs.iter().map(|s| s.path.as_str()).collect();
    problems.extend(
        recorded
            .keys()
            .filter(|p| !listed.contains(p.as_str()))
            .map(|p| format!("{p}: recorded, not in decks.toml")),
    );
    assert!(
        problems.is_empty(),
        "{} corpus deck(s) changed outcome; if the change is intended, rerun scripts/corpus-record.sh \
         and review the diff of tests/corpus/outcomes.toml:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_corpus_file_is_listed_in_sources() {
    // Each deck of decks.toml, and each file beside it, has its origin and licence in SOURCES.md.
    let sources = std::fs::read_to_string(corpus_dir().join("SOURCES.md")).expect("SOURCES.md");
    let mut files = Vec::new();
    collect_files(&corpus_dir(), &mut files);
    let own = ["SOURCES.md", "decks.toml", "outcomes.toml"];
    for f in files {
        let rel = f.strip_prefix(corpus_dir()).expect("inside").to_string_lossy().into_owned();
        if own.contains(&rel.as_str()) {
            continue;
        }
        assert!(sources.contains(&format!("`{rel}`")), "{rel} is not listed in tests/corpus/SOURCES.md");
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn the_device_scan_reads_subcircuits_includes_and_levels() {
    // The scan that sorts decks into issue 15's acceptance set, on decks whose
    // contents are known: a BJT NAND in subcircuits (Q level 1 and diodes), a
    // level-2 amplifier, BSIM3 (level 49) gates, the UJT deck whose model is
    // in an included file, and XSPICE A devices.
    let cases: [(&str, &[&str]); 7] = [
        ("ngspice/tests/general/fourbitadder.cir", &["D", "Q", "R", "V"]),
        ("ngspice/tests/general/mosamp.cir", &["C", "M2", "V"]),
        ("ngspice/examples/digital/compare/adder_mos.cir", &["M49", "V"]),
        (
            "esim/Examples/UJT_Relaxation_Oscillator/UJT_Relaxation_Oscillator.cir.out",
            &["B", "C", "D", "H", "R", "V"],
        ),
        ("ngspice/examples/xspice/various/xspice_c2.cir", &["A", "C", "R", "V"]),
        // `+ LEVEL=6` on a continuation line, in capitals.
        ("ngspice/tests/mos6/simpleinv.cir", &["M6", "V"]),
        // Binned models `nch.1`, `nch.2` used as `nch`.
        ("ngspice/examples/measure/inv-meas-tran.sp", &["C", "M54", "V"]),
    ];
    for (path, expected) in cases {
        assert_eq!(devices(&corpus_dir().join(path)), expected, "{path}");
    }
    assert!(in_acceptance_set(&["D".into(), "Q".into(), "M3".into()]));
    assert!(!in_acceptance_set(&["M49".into()]));
    assert!(!in_acceptance_set(&["Q:npn4".into()]));
    assert_eq!(
        mask_numbers("rts-1.cir:12:3: t = 2.5e-3 s, `20e3/x`, TLC555"),
        "rts-1.cir:#:#: t = # s, `#/x`, TLC555"
    );
}
