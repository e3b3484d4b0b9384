//! The engines behind one interface: a netlist is loaded once
//! ([`Prepared::load`]) and run through the native solver ([`run_native`]) or
//! ngspice ([`run_ngspice`]) or VACASK ([`run_vacask`]); each run gives an [`EngineRun`] with the
//! engine's report entry (settings, wall time, events) and the probed
//! waveforms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atscale_circuit::measure::Signal;
use atscale_circuit::{Analysis, Circuit, FlatCircuit, Measure};
use atscale_sim::Simulation;
use atscale_spice::Deck;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::events::{crossings, event_keys, EventSpec};
use crate::limits::Limits;
use crate::ngspice::{MaxStepChoice, MaxStepSource, NgspiceRunner, RunOptions};
use crate::report::{EngineReport, EngineSettings, MeasureResult, ReltolSource};
use crate::vacask::{JobModule, VacaskJob, VacaskOptions, VacaskRunner};

/// A netlist read, parsed and checked once, for every engine.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Path as the user named it.
    pub path: PathBuf,
    /// The netlist with its includes expanded (what ngspice runs).
    pub deck: Deck,
    /// The circuit as written (parameters, subcircuits).
    pub source: Circuit,
    /// `.tran`, `.options` and `.ic`.
    pub analysis: Analysis,
    /// The flattened, validated circuit (what the native engines run).
    pub circuit: FlatCircuit,
    /// Warnings from parsing and validation, as sentences.
    pub warnings: Vec<String>,
    /// The netlist's `.meas tran` measurements, evaluated on every engine's run.
    pub measures: Vec<Measure>,
}

impl Prepared {
    /// Reads the netlist once (with its includes, under `limits`), parses
    /// and validates it. Whether ngspice may run its commands is decided
    /// when ngspice runs ([`NgspiceSettings::allow_control`]).
    ///
    /// # Errors
    ///
    /// The reader's, parser's or validator's error.
    pub fn load(path: &Path, limits: &Limits) -> Result<Prepared> {
        let deck = Deck::load(path, &limits.deck())?;
        Self::from_deck(deck, path, limits)
    }

    /// Parses and validates a deck read or built elsewhere; `path` names it.
    ///
    /// # Errors
    ///
    /// As [`Prepared::load`].
    pub fn from_deck(deck: Deck, path: &Path, limits: &Limits) -> Result<Prepared> {
        let netlist = atscale_spice::parse_deck(&deck)?;
        if netlist.circuit.elements.is_empty() && netlist.circuit.instances.is_empty() {
            return Err(Error::EmptyNetlist { path: path.to_path_buf() });
        }
        let checked = netlist
            .circuit
            .check_within(&limits.circuit())
            .map_err(|source| Error::Circuit { path: path.to_path_buf(), source })?;
        let mut warnings: Vec<String> = netlist.warnings.iter().map(|w| w.to_string()).collect();
        warnings.extend(checked.warnings.iter().map(|w| w.to_string()));
        let (measures, notes) = atscale_spice::parse::measure::read_measures(&deck, Some(&netlist.circuit));
        warnings.extend(notes.iter().map(|w| w.to_string()));
        Ok(Prepared {
            path: path.to_path_buf(),
            deck,
            source: netlist.circuit,
            analysis: netlist.analysis,
            circuit: checked.circuit,
            warnings,
            measures,
        })
    }

    /// A circuit built in memory (a sweep point, a realisation), with the
    /// deck written for it for ngspice (`name` names it in messages). The
    /// native engines run `circuit` itself: nothing is parsed back.
    ///
    /// # Errors
    ///
    /// [`Error::Circuit`] when the circuit does not validate.
    pub fn in_memory(name: &str, circuit: FlatCircuit, analysis: Analysis, deck: Deck) -> Result<Prepared> {
        let path = PathBuf::from(name);
        let warnings = circuit
            .validate()
            .map_err(|source| Error::Circuit { path: path.clone(), source })?
            .iter()
            .map(ToString::to_string)
            .collect();
        let source = Circuit::from(circuit.clone());
        Ok(Prepared { path, deck, source, analysis, circuit, warnings, measures: Vec::new() })
    }

    /// A circuit changed in memory (a sweep point, parameters set from
    /// Python), with its ngspice deck written from it (`title` heads it,
    /// `name` names it in messages); the netlist's measurements are kept.
    ///
    /// # Errors
    ///
    /// The writer's error (a name or value no netlist can hold), the deck
    /// reader's (limits) or [`Error::Circuit`].
    pub fn for_circuit(
        name: &str,
        title: &str,
        circuit: FlatCircuit,
        analysis: Analysis,
        measures: Vec<Measure>,
        limits: &Limits,
    ) -> Result<Prepared> {
        let header = atscale_spice::Header { lines: vec![title.to_string()], ..Default::default() };
        let text = atscale_spice::write_flat_netlist(
            &Circuit::from(circuit.clone()),
            &analysis,
            &atscale_spice::Ngspice,
            &header,
        )?;
        let deck = Deck::from_text(&text, name, None, &limits.deck())?;
        let mut p = Prepared::in_memory(name, circuit, analysis, deck)?;
        p.measures = measures;
        Ok(p)
    }

    /// A deck atscale cannot read as a circuit, for ngspice alone: no
    /// circuit (the native engines cannot run it), the `.tran` read from the
    /// deck when atscale can read that line, and `why` as its one warning.
    pub fn ngspice_only(deck: Deck, path: &Path, why: &Error) -> Prepared {
        let tran = deck.tran().ok().flatten();
        let analysis = Analysis { tran, ..Analysis::default() };
        let why = why.to_string();
        let warnings = vec![format!(
            "atscale cannot read this netlist ({}); ngspice runs it as written, and probes and events are read \
             from its output",
            why.lines().next().unwrap_or_default()
        )];
        let circuit = FlatCircuit { title: String::new(), models: Vec::new(), elements: Vec::new() };
        // Its measurements are read from the `.meas` cards alone (without parameters).
        let (measures, notes) = atscale_spice::parse::measure::read_measures(&deck, None);
        let mut warnings = warnings;
        warnings.extend(notes.iter().map(|w| w.to_string()));
        Prepared {
            path: path.to_path_buf(),
            deck,
            source: Circuit::default(),
            analysis,
            circuit,
            warnings,
            measures,
        }
    }

    /// The stop time: the override, else the netlist's `.tran`.
    pub fn tstop_s(&self, o: &Overrides) -> Result<f64> {
        o.tstop_s
            .or(self.analysis.tran.map(|t| t.tstop_s))
            .ok_or_else(|| Error::NoStopTime { path: self.path.clone() })
    }
}

/// Settings given on the command line that override the netlist's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overrides {
    /// Stop time, s.
    pub tstop_s: Option<f64>,
    /// Largest time step, s.
    pub max_step_s: Option<f64>,
    /// Relative tolerance of the native engine (ngspice's accuracy is set by
    /// its maximum step).
    pub reltol: Option<f64>,
}

/// Sampled waveforms of one engine.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Waveforms {
    /// Time points, s.
    pub time_s: Vec<f64>,
    /// Signals by name, one value per time point (V for node voltages, A for currents).
    pub signals: Vec<(String, Vec<f64>)>,
}

/// One engine's run.
#[derive(Debug, Clone)]
pub struct EngineRun {
    /// Name, version, settings, wall time and events.
    pub report: EngineReport,
    /// The probed waveforms.
    pub waveforms: Waveforms,
    /// The native solver's work statistics (native engine only).
    pub native_stats: Option<atscale_sim::Stats>,
}

/// `v(n)` → `n`; other names unchanged.
pub fn node_name(signal: &str) -> &str {
    let l = signal.to_ascii_lowercase();
    if l.starts_with("v(") && l.ends_with(')') && !signal.contains(',') {
        &signal[2..signal.len() - 1]
    } else {
        signal
    }
}

/// The native simulation the netlist asks for: its `.tran` (stop time,
/// print step, maximum step, `uic`), `.options` (reltol, abstol, vntol,
/// chgtol, maxstep) and `.ic`, each overridden by `o`.
pub fn native_simulation(p: &Prepared, o: &Overrides) -> Result<(Simulation, EngineSettings)> {
    let tstop = p.tstop_s(o)?;
    simulation_for(&p.circuit, &p.analysis, o, tstop)
        .map_err(|source| Error::Native { path: p.path.clone(), source })
}

/// The native simulation of `circuit` under `analysis` (its `.tran`,
/// `.options` and `.ic`) to `tstop_s`, each setting overridden by `o`: the
/// rule [`native_simulation`] applies to a netlist, for a circuit built in
/// memory (a sweep point).
///
/// # Errors
///
/// The solver's error when the circuit cannot be set up.
pub fn simulation_for(
    circuit: &FlatCircuit,
    analysis: &atscale_circuit::Analysis,
    o: &Overrides,
    tstop_s: f64,
) -> std::result::Result<(Simulation, EngineSettings), atscale_sim::Error> {
    let mut sim = Simulation::for_analysis(circuit, analysis, tstop_s)?;
    if let Some(r) = o.reltol {
        sim = sim.reltol(r);
    }
    if let Some(h) = o.max_step_s {
        sim = sim.max_step(h);
    }
    let tol = sim.current_tolerances();
    let netlist_tmax = analysis.tran.and_then(|t| t.tmax_s);
    let settings = EngineSettings {
        max_step: sim.current_max_step().map(|v| crate::ngspice::MaxStepChoice {
            value_s: v,
            source: if o.max_step_s.is_some() {
                MaxStepSource::Explicit { replaced_netlist_value_s: netlist_tmax }
            } else {
                MaxStepSource::FromNetlist
            },
        }),
        fixed_step_s: None,
        reltol: Some(tol.reltol),
        reltol_source: Some(if o.reltol.is_some() {
            ReltolSource::Explicit
        } else if analysis.options.reltol.is_some() {
            ReltolSource::FromNetlist
        } else {
            ReltolSource::EngineDefault
        }),
        abstol: Some(tol.abstol),
    };
    Ok((sim, settings))
}

/// Runs the native engine, probing `probes` and the event signals, within
/// `limits` (steps, stored bytes, the timeout) and stopping on an
/// interruption.
pub fn run_native(
    p: &Prepared,
    o: &Overrides,
    probes: &[String],
    events: &[EventSpec],
    limits: &Limits,
) -> Result<EngineRun> {
    let (sim, settings) = native_simulation(p, o)?;
    let deadline = std::time::Instant::now().checked_add(limits.timeout);
    let mut sim = sim.limits(limits.sim()).stop_check(crate::interrupt::stop_check(deadline));
    let mut names: Vec<String> = Vec::new();
    for s in probes.iter().map(String::as_str).chain(events.iter().map(|e| e.signal.as_str())) {
        let s = node_name(s).to_string();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&s)) {
            names.push(s);
        }
    }
    let requested = names.len();
    for n in native_measure_probes(p) {
        if !names.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            names.push(n);
        }
    }
    for n in &names {
        sim = sim.probe(n);
    }
    for e in events {
        sim = sim.event_spec(&EventSpec { signal: node_name(&e.signal).to_string(), ..e.clone() });
    }
    let started = Instant::now();
    let result = sim.run().map_err(|source| Error::Native { path: p.path.clone(), source })?;
    let wall = started.elapsed().as_secs_f64();
    let ev: BTreeMap<String, Vec<f64>> =
        event_keys(events).into_iter().enumerate().map(|(k, key)| (key, result.event_times_of(k))).collect();
    let trace = |name: &str| {
        let t = result.traces.iter().find(|t| t.name.eq_ignore_ascii_case(name))?;
        Some(t.values.clone())
    };
    let amps = |element: &str| trace(&format!("i({element})"));
    let measures = measure_results(&p.measures, &result.time, &trace, &amps);
    let signals = result.traces.iter().take(requested).map(|t| (t.name.clone(), t.values.clone())).collect();
    Ok(EngineRun {
        report: EngineReport {
            name: "native".into(),
            version: Some(format!("atscale-sim {}", env!("CARGO_PKG_VERSION"))),
            settings,
            wall_time_s: wall,
            events: ev,
            unmodelled: atscale_sim::unmodelled(&p.circuit, &p.analysis.options),
            measures,
        },
        waveforms: Waveforms { time_s: result.time, signals },
        native_stats: Some(result.stats),
    })
}

/// How ngspice is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NgspiceSettings {
    /// Requested event accuracy, s: sets the maximum step when neither the
    /// options nor the netlist give one.
    pub event_accuracy_s: Option<f64>,
    /// Wall-clock limit of one run.
    pub timeout: Duration,
    /// Let ngspice run the netlist's commands (`--allow-control`).
    pub allow_control: bool,
    /// Largest raw file read, bytes.
    pub max_raw_bytes: u64,
    /// ngspice's address space, bytes.
    pub max_engine_memory_bytes: u64,
}

impl NgspiceSettings {
    /// The settings of a run under `limits`.
    pub fn new(limits: &Limits, allow_control: bool, event_accuracy_s: Option<f64>) -> NgspiceSettings {
        NgspiceSettings {
            event_accuracy_s,
            timeout: limits.timeout,
            allow_control,
            max_raw_bytes: limits.max_memory_bytes,
            max_engine_memory_bytes: limits.max_engine_memory_bytes,
        }
    }
}

/// Runs ngspice on the netlist text and extracts events from its own points.
pub fn run_ngspice(
    runner: &NgspiceRunner,
    p: &Prepared,
    o: &Overrides,
    probes: &[String],
    events: &[EventSpec],
    s: &NgspiceSettings,
) -> Result<EngineRun> {
    let opts = RunOptions {
        tstop_override_s: o.tstop_s,
        timeout: s.timeout,
        max_step_s: o.max_step_s,
        event_accuracy_s: s.event_accuracy_s,
        allow_control: s.allow_control,
        max_raw_bytes: s.max_raw_bytes,
        max_engine_memory_bytes: s.max_engine_memory_bytes,
        tran: p.analysis.tran,
        ..RunOptions::default()
    };
    let run = runner.run(&p.deck, &p.path, &opts)?;
    let plot = run.plot().ok_or_else(|| Error::NoTransientPlot { path: p.path.clone(), plots: vec![] })?;
    let (time, ev, signals) = sampled_events(plot, 0, probes, events)?;
    let column = |name: String| plot.real(&name).ok().map(<[f64]>::to_vec);
    let volts = |node: &str| column(format!("v({node})"));
    let amps = |element: &str| column(format!("i({element})"));
    let measures = measure_results(&p.measures, &time, &volts, &amps);
    Ok(EngineRun {
        report: EngineReport {
            name: "ngspice".into(),
            version: Some(format!("ngspice {}", run.version)),
            settings: EngineSettings {
                max_step: Some(run.max_step.clone()),
                fixed_step_s: None,
                reltol: None,
                reltol_source: None,
                abstol: None,
            },
            wall_time_s: run.wall_time_s,
            events: ev,
            unmodelled: Vec::new(),
            measures,
        },
        waveforms: Waveforms { time_s: time, signals },
        native_stats: None,
    })
}

/// How VACASK is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VacaskSettings {
    /// Requested event accuracy, s: sets the maximum step when neither the
    /// options nor the netlist give one ([`crate::vacask::TMAX_PER_EVENT_ACCURACY`]).
    pub event_accuracy_s: Option<f64>,
    /// Wall-clock limit of one run (and of each module's compilation).
    pub timeout: Duration,
    /// Largest raw file read, bytes.
    pub max_raw_bytes: u64,
    /// VACASK's address space, bytes.
    pub max_engine_memory_bytes: u64,
}

impl VacaskSettings {
    /// The settings of a run under `limits`.
    pub fn new(limits: &Limits, event_accuracy_s: Option<f64>) -> VacaskSettings {
        VacaskSettings {
            event_accuracy_s,
            timeout: limits.timeout,
            max_raw_bytes: limits.max_memory_bytes,
            max_engine_memory_bytes: limits.max_engine_memory_bytes,
        }
    }
}

/// VACASK's maximum step and where it came from, in the order ngspice's
/// runner uses: `--max-step`, the netlist's (`.tran` TMAX or `.options
/// maxstep`), [`crate::vacask::TMAX_PER_EVENT_ACCURACY`] times the event
/// accuracy, else ngspice's default `min(TSTEP, span/50)` (written
/// explicitly, so that VACASK runs with ngspice's cap).
pub fn vacask_max_step(
    analysis: &Analysis,
    o: &Overrides,
    event_accuracy_s: Option<f64>,
) -> Option<MaxStepChoice> {
    let tran = analysis.tran?;
    let netlist = tran.tmax_s.or(analysis.options.maxstep_s);
    let tstop_s = o.tstop_s.unwrap_or(tran.tstop_s);
    let default_tmax = atscale_circuit::Tran { tstop_s, ..tran }.default_tmax_s();
    let factor = crate::vacask::TMAX_PER_EVENT_ACCURACY;
    Some(MaxStepChoice::choose(o.max_step_s, netlist, event_accuracy_s, factor, default_tmax))
}

/// Runs VACASK on the circuit (written by [`atscale_spice::write_vacask`]
/// with the stop time and the maximum step of [`vacask_max_step`]) and
/// extracts events from its own points, as for ngspice.
///
/// # Errors
///
/// [`Error::NoStopTime`] or [`Error::NoTranCard`]; the writer's refusal
/// ([`Error::Netlist`]); VACASK's failure ([`Error::Vacask`]); a missing signal.
pub fn run_vacask(
    runner: &VacaskRunner,
    p: &Prepared,
    o: &Overrides,
    probes: &[String],
    events: &[EventSpec],
    s: &VacaskSettings,
) -> Result<EngineRun> {
    let tstop_s = p.tstop_s(o)?;
    let max_step = vacask_max_step(&p.analysis, o, s.event_accuracy_s)
        .ok_or_else(|| Error::NoTranCard { path: p.path.clone() })?;
    let mut analysis = p.analysis.clone();
    analysis.tran =
        analysis.tran.map(|t| atscale_circuit::Tran { tstop_s, tmax_s: Some(max_step.value_s), ..t });
    let deck = atscale_spice::write_vacask(&p.circuit, &analysis)?;
    let job = VacaskJob {
        name: &p.path,
        netlist: &deck.netlist,
        modules: deck
            .modules
            .iter()
            .map(|m| JobModule { file_stem: &m.file_stem, source: &m.source })
            .collect(),
    };
    let opts = VacaskOptions {
        tstop_s,
        timeout: s.timeout,
        max_raw_bytes: s.max_raw_bytes,
        max_engine_memory_bytes: s.max_engine_memory_bytes,
    };
    let run = runner.run(&job, &opts)?;
    let plot = run.plot().ok_or_else(|| Error::NoTransientPlot { path: p.path.clone(), plots: vec![] })?;
    // Under `uic` VACASK's t = 0 row holds the initial conditions and 0 for
    // every other unknown (the sources' nodes among them: not solved);
    // ngspice writes no such row, so it is dropped.
    let first = usize::from(analysis.tran.is_some_and(|t| t.uic) && plot.len() > 1);
    let (time, ev, signals) = sampled_events(plot, first, probes, events)?;
    let column = |name: String| plot.real(&name).ok().and_then(|c| c.get(first..)).map(<[f64]>::to_vec);
    let volts = |node: &str| column(format!("v({node})"));
    let amps = |element: &str| column(format!("i({element})"));
    let measures = measure_results(&p.measures, &time, &volts, &amps);
    Ok(EngineRun {
        report: EngineReport {
            name: "vacask".into(),
            version: Some(runner.version().to_string()),
            settings: EngineSettings {
                max_step: Some(max_step),
                fixed_step_s: None,
                reltol: Some(analysis.options.reltol.unwrap_or(VACASK_DEFAULT_RELTOL)),
                reltol_source: Some(if analysis.options.reltol.is_some() {
                    ReltolSource::FromNetlist
                } else {
                    ReltolSource::EngineDefault
                }),
                abstol: None,
            },
            wall_time_s: run.wall_time_s + run.compile_time_s,
            events: ev,
            unmodelled: vacask_unmodelled(p),
            measures,
        },
        waveforms: Waveforms { time_s: time, signals },
        native_stats: None,
    })
}

/// VACASK's default relative tolerance (`reltol`, as ngspice's).
const VACASK_DEFAULT_RELTOL: f64 = 1e-3;

/// A simulator's time points, the events found on them and the probed
/// signals (each once), read from its transient plot.
type Sampled = (Vec<f64>, BTreeMap<String, Vec<f64>>, Vec<(String, Vec<f64>)>);

/// What VACASK is known to run differently from ngspice in this netlist:
/// under `uic`, device junctions that VACASK's start forward-biases
/// ([`atscale_spice::vacask::uic_forward_junctions`]; ngspice starts every
/// junction at 0 V, and from such a start VACASK 0.3.4 can accept a wrong
/// solution or stop on a NaN).
fn vacask_unmodelled(p: &Prepared) -> Vec<String> {
    let junctions = atscale_spice::vacask::uic_forward_junctions(&p.circuit, &p.analysis);
    let Some(first) = junctions.first() else {
        return Vec::new();
    };
    let others = match junctions.len() - 1 {
        0 => String::new(),
        1 => " and 1 other".to_string(),
        n => format!(" and {n} others"),
    };
    vec![format!(
        "VACASK starts `uic` at the initial conditions with every other node at 0 V (a supply too when a \
         capacitor or a device with charge touches it) and evaluates the devices there, where ngspice \
         starts every junction at 0 V: {first}{others}. From such a start VACASK 0.3.4 can hold a node \
         above its supply or stop on a NaN: cross-check with ngspice, or give the junction's nodes an .ic"
    )]
}

fn sampled_events(
    plot: &crate::raw::Plot,
    first: usize,
    probes: &[String],
    events: &[EventSpec],
) -> Result<Sampled> {
    let column = |name: &str| plot.real(name).map(|c| c.get(first..).unwrap_or_default());
    let time = column("time")?.to_vec();
    let mut ev = BTreeMap::new();
    for (e, key) in events.iter().zip(event_keys(events)) {
        ev.insert(key, crossings(&time, column(&e.signal)?, e));
    }
    let mut signals: Vec<(String, Vec<f64>)> = Vec::new();
    for name in probes.iter().chain(events.iter().map(|e| &e.signal)) {
        let n = node_name(name).to_string();
        if !signals.iter().any(|(x, _)| x.eq_ignore_ascii_case(&n)) {
            signals.push((n, column(name)?.to_vec()));
        }
    }
    Ok((time, ev, signals))
}

/// Runs spice21 in-process (fixed-step backward Euler). Its step is
/// `--max-step` when given, else derived from the requested event accuracy;
/// the circuit must be within spice21's element set
/// ([`crate::spice21::capability`]).
pub fn run_spice21(
    p: &Prepared,
    o: &Overrides,
    probes: &[String],
    events: &[EventSpec],
    event_accuracy_s: Option<f64>,
    limits: &Limits,
) -> Result<EngineRun> {
    let tran = p.analysis.tran;
    let opts = crate::spice21::Spice21Options {
        tstop_s: p.tstop_s(o)?,
        step_s: o.max_step_s,
        event_accuracy_s,
        initial: p.analysis.ic.clone(),
        uic: tran.is_some_and(|t| t.uic),
        limits: *limits,
    };
    let run = crate::spice21::run(&p.circuit, &opts)?;
    let mut ev = BTreeMap::new();
    for (e, key) in events.iter().zip(event_keys(events)) {
        ev.insert(key, run.events(e)?);
    }
    let mut signals = Vec::new();
    for name in probes.iter().chain(events.iter().map(|e| &e.signal)) {
        let n = node_name(name).to_string();
        if signals.iter().any(|(x, _): &(String, Vec<f64>)| x.eq_ignore_ascii_case(&n)) {
            continue;
        }
        if let Some(v) = run.signal(&n) {
            signals.push((n, v.to_vec()));
        }
    }
    // spice21 gives node voltages only.
    let volts = |node: &str| run.signal(node).map(<[f64]>::to_vec);
    let measures = measure_results(&p.measures, &run.time, &volts, &|_| None);
    Ok(EngineRun {
        report: EngineReport {
            name: "spice21".into(),
            version: Some("spice21 0.1.5".into()),
            settings: EngineSettings {
                max_step: None,
                fixed_step_s: Some(run.step.value_s),
                reltol: None,
                reltol_source: None,
                abstol: None,
            },
            wall_time_s: run.wall_s,
            events: ev,
            unmodelled: Vec::new(),
            measures,
        },
        waveforms: Waveforms { time_s: run.time, signals },
        native_stats: None,
    })
}

/// A node's samples by name, or a branch current's by element name.
type Column<'a> = &'a dyn Fn(&str) -> Option<Vec<f64>>;

/// Evaluates every measurement on an engine's samples at `time_s`, reading
/// node voltages with `volts` and branch currents with `amps` (ground is 0 V).
fn measure_results(
    measures: &[Measure],
    time_s: &[f64],
    volts: Column<'_>,
    amps: Column<'_>,
) -> Vec<MeasureResult> {
    let node = |n: &str| if n == atscale_circuit::GROUND { Some(vec![0.0; time_s.len()]) } else { volts(n) };
    let read = |s: &Signal| -> Option<Vec<f64>> {
        match s {
            Signal::Current { element } => amps(element),
            Signal::Voltage { node: a, reference: None } => node(a),
            Signal::Voltage { node: a, reference: Some(b) } => {
                let (a, b) = (node(a)?, node(b)?);
                Some(a.iter().zip(&b).map(|(x, y)| x - y).collect())
            }
        }
    };
    measures.iter().map(|m| MeasureResult::new(m, atscale_sim::measure::evaluate(m, time_s, &read))).collect()
}

/// What the native engine must probe for the measurements: each node and
/// branch current they read that the circuit has (a measurement of a signal
/// it lacks fails on its own, naming the signal).
fn native_measure_probes(p: &Prepared) -> Vec<String> {
    let nodes = p.circuit.nodes();
    let has_node = |n: &str| nodes.iter().any(|x| x.eq_ignore_ascii_case(n));
    let mut out = Vec::new();
    for s in p.measures.iter().flat_map(Measure::signals) {
        match s {
            Signal::Voltage { node, reference } => out.extend(
                [Some(node), reference.as_ref()].into_iter().flatten().filter(|n| has_node(n)).cloned(),
            ),
            Signal::Current { element } => {
                if p.circuit.element(element).is_some_and(|e| e.kind.has_branch_current()) {
                    out.push(format!("i({element})"));
                }
            }
        }
    }
    out
}
