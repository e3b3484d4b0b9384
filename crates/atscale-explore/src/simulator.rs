//! The simulator a technology's models run in ([`Engine`]: ngspice, or
//! VACASK for OSDI models such as IHP's PSP 103), behind one interface for
//! the characterisation and the realisation's evidence: a circuit is
//! written for it ([`write()`]: the netlist text, and for VACASK the
//! Verilog-A modules it loads) and run ([`Simulator::run`]), giving the
//! transient plot, whose probe names (`v(node)`, `i(source)`) read the same
//! in both ([`atscale_verify::raw::Plot::find`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_circuit::{Analysis, Circuit};
use atscale_design::realise::Engine;
use atscale_spice::{
    write_netlist_with, write_vacask_with, Deck, DeckLimits, Header, Ngspice, Setup, VaModule,
};
use atscale_verify::ngspice::{NgspiceRunner, RunOptions, DEFAULT_MAX_ENGINE_MEMORY, DEFAULT_MAX_RAW_BYTES};
use atscale_verify::raw::{Plot, RawFile};
use atscale_verify::vacask::{JobModule, VacaskJob, VacaskOptions, VacaskRunner};

use crate::error::{Error, Result};

/// A circuit written for a simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The simulator it is written for.
    pub engine: Engine,
    /// The netlist.
    pub text: String,
    /// The Verilog-A modules it loads (VACASK; none for ngspice).
    pub modules: Vec<VaModule>,
}

/// Writes `circuit` (top-level instances of the library's subcircuits
/// allowed) with `analysis`, its libraries and temperature for `engine`.
///
/// # Errors
///
/// The writer's refusal, naming what it cannot write.
pub fn write(
    engine: Engine,
    circuit: &Circuit,
    analysis: &Analysis,
    setup: &Setup,
    header: &Header,
) -> Result<Written> {
    Ok(match engine {
        Engine::Ngspice => Written {
            engine,
            text: write_netlist_with(circuit, analysis, setup, &Ngspice, header)?,
            modules: Vec::new(),
        },
        Engine::Vacask => {
            let (c, an) = shunts_as_resistors(circuit, analysis);
            let deck = write_vacask_with(&c, &an, setup, header)?;
            Written { engine, text: deck.netlist, modules: deck.modules }
        }
    })
}

/// `circuit` and `analysis` with ngspice's `.options rshunt` (which VACASK
/// and Xyce have not) written as a resistor `Rshunt_<node>` from every node
/// of the circuit, its elements' and its library instances', to ground
/// (ngspice's also reaches the nodes inside the library's subcircuits);
/// unchanged without the option.
pub fn shunts_as_resistors(circuit: &Circuit, analysis: &Analysis) -> (Circuit, Analysis) {
    let value = analysis.options.other.iter().find(|(k, _)| k.eq_ignore_ascii_case("rshunt"));
    let Some(ohm) = value.and_then(|(_, v)| v.as_deref()?.parse::<f64>().ok()) else {
        return (circuit.clone(), analysis.clone());
    };
    let mut an = analysis.clone();
    an.options.other.retain(|(k, _)| !k.eq_ignore_ascii_case("rshunt"));
    let mut seen = std::collections::HashSet::new();
    let nodes: Vec<String> = circuit
        .elements
        .iter()
        .flat_map(|e| e.kind.nodes())
        .chain(circuit.instances.iter().flat_map(|i| i.nodes.iter().map(String::as_str)))
        .filter(|n| *n != atscale_circuit::GROUND && seen.insert(n.to_ascii_lowercase()))
        .map(str::to_string)
        .collect();
    let mut c = circuit.clone();
    c.elements.extend(nodes.into_iter().map(|n| atscale_circuit::Element {
        name: format!("Rshunt_{n}"),
        kind: atscale_circuit::ElementKind::Resistor {
            p: n,
            n: atscale_circuit::GROUND.into(),
            r_ohm: ohm.into(),
        },
    }));
    (c, an)
}

/// The netlist files a realisation in `engine` writes: the netlist each
/// simulator reads (ngspice's and Xyce's, or VACASK's).
pub fn netlist_files(engine: Engine) -> &'static [&'static str] {
    match engine {
        Engine::Ngspice => &["realised.cir", "realised.xyce.cir"],
        Engine::Vacask => &["realised.sim"],
    }
}

/// How long a run may take, what it must reach and what it keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunLimits<'a> {
    /// The transient's stop time, s (its last point must reach it).
    pub tstop_s: f64,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// ngspice: accept a run that recovered from a singular matrix (its
    /// warning), as the realisation's runs do.
    pub accept_recovered_singular: bool,
    /// The vectors ngspice keeps (`v(node)`, `i(source)`), as a `.save`
    /// card added to the run's netlist (not to the written file); empty:
    /// every vector. VACASK keeps every vector.
    pub saves: &'a [String],
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Ran {
    raw: RawFile,
    transient: usize,
    /// Wall time of the simulator (VACASK: with compiling or fetching its modules), s.
    pub wall_s: f64,
}

impl Ran {
    /// The transient plot.
    pub fn plot(&self) -> Option<&Plot> {
        self.raw.plots.get(self.transient)
    }
}

/// A simulator found on this machine.
#[derive(Debug, Clone)]
pub enum Simulator {
    /// ngspice.
    Ngspice(NgspiceRunner),
    /// VACASK.
    Vacask(VacaskRunner),
}

impl Simulator {
    /// Finds the simulator of `engine` (each version query within `timeout`).
    ///
    /// # Errors
    ///
    /// The runner's error when it is not installed, naming how to install it.
    pub fn detect(engine: Engine, timeout: Duration) -> Result<Simulator> {
        Ok(match engine {
            Engine::Ngspice => Simulator::Ngspice(NgspiceRunner::detect_within(timeout)?),
            Engine::Vacask => Simulator::Vacask(VacaskRunner::detect_within(timeout)?),
        })
    }

    /// Which simulator this is.
    pub fn engine(&self) -> Engine {
        match self {
            Simulator::Ngspice(_) => Engine::Ngspice,
            Simulator::Vacask(_) => Engine::Vacask,
        }
    }

    /// Its name and version, as reports give it (`ngspice 39`, `vacask ...`).
    pub fn version(&self) -> String {
        match self {
            Simulator::Ngspice(r) => format!("ngspice {}", r.version()),
            Simulator::Vacask(r) => r.version().to_string(),
        }
    }

    /// Runs a netlist written for this simulator ([`write()`]; its libraries
    /// absolute paths); `name` names it in messages.
    ///
    /// # Errors
    ///
    /// A netlist written for the other simulator; the run's failure (no
    /// convergence, the time limit, a missing library), naming the simulator.
    pub fn run(&self, w: &Written, name: &str, limits: &RunLimits<'_>) -> Result<Ran> {
        if w.engine != self.engine() {
            return Err(atscale_spice::Error::Unrepresentable {
                context: format!("the netlist {name}"),
                dialect: "VACASK or ngspice",
                reason: format!("it is written for {}, the run is in {}", w.engine, self.engine()),
            }
            .into());
        }
        match self {
            Simulator::Ngspice(runner) => {
                let opts = RunOptions {
                    tstop_s: Some(limits.tstop_s),
                    timeout: limits.timeout,
                    accept_recovered_singular: limits.accept_recovered_singular,
                    ..RunOptions::default()
                };
                let here = std::env::current_dir().map_err(|source| Error::Io {
                    action: "read the current folder",
                    path: PathBuf::from("."),
                    source,
                })?;
                let text = with_saves(&w.text, limits.saves);
                let deck = Deck::from_text(&text, name, Some(&here), &DeckLimits::default())?;
                let run = runner.run(&deck, Path::new(name), &opts).map_err(|e| raw_limit(e, name))?;
                Ok(Ran { raw: run.raw, transient: run.transient, wall_s: run.wall_time_s })
            }
            Simulator::Vacask(runner) => {
                let text = with_vacask_saves(&w.text, limits.saves);
                let job = VacaskJob {
                    name: Path::new(name),
                    netlist: &text,
                    modules: w
                        .modules
                        .iter()
                        .map(|m| JobModule { file_stem: &m.file_stem, source: &m.source })
                        .collect(),
                };
                let opts = VacaskOptions {
                    tstop_s: limits.tstop_s,
                    timeout: limits.timeout,
                    max_raw_bytes: DEFAULT_MAX_RAW_BYTES,
                    max_engine_memory_bytes: DEFAULT_MAX_ENGINE_MEMORY,
                };
                let run = runner.run(&job, &opts).map_err(|e| raw_limit(e, name))?;
                let wall_s = run.wall_time_s + run.compile_time_s;
                Ok(Ran { raw: run.raw, transient: run.transient, wall_s })
            }
        }
    }
}

/// `text`, a netlist written by [`write()`], with a `.save` card of `saves`
/// before its `.end` (unchanged when `saves` is empty).
fn with_saves(text: &str, saves: &[String]) -> String {
    if saves.is_empty() {
        return text.to_string();
    }
    let card = format!(".save {}\n", saves.join(" "));
    let body = text.trim_end();
    match body.rsplit_once('\n') {
        Some((head, last)) if last.trim().eq_ignore_ascii_case(".end") => format!("{head}\n{card}{last}\n"),
        _ => format!("{body}\n{card}"),
    }
}

/// `text`, a VACASK netlist written by [`write()`], saving only `saves`
/// (`v(node)`, `i(source)`, as ngspice names them) with a `save` line at
/// the start of its control block, each name spelled as the netlist
/// spells it (VACASK's names are case-sensitive and it refuses a save it
/// cannot find). Unchanged, saving everything, when `saves` is empty or
/// names something the netlist does not have as a plain name (letters,
/// digits, `_`).
fn with_vacask_saves(text: &str, saves: &[String]) -> String {
    let (mut instances, mut nodes): (HashMap<String, &str>, HashMap<String, &str>) = Default::default();
    for line in text.lines().filter(|l| l.starts_with('\'')) {
        // `'name' ('n1' 'n2' ...) model ...`: the instance, then its nodes.
        let (head, _) = line.split_once(')').unwrap_or(("", ""));
        for (k, q) in head.split('\'').skip(1).step_by(2).enumerate() {
            let map = if k == 0 { &mut instances } else { &mut nodes };
            map.entry(q.to_ascii_lowercase()).or_insert(q);
        }
    }
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let spelled: Option<Vec<String>> = saves
        .iter()
        .map(|s| {
            let (kind, rest) = s.split_once('(')?;
            let name = rest.strip_suffix(')')?;
            let kind = kind.to_ascii_lowercase();
            let names = match kind.as_str() {
                "v" => &nodes,
                "i" => &instances,
                _ => return None,
            };
            let found = names.get(&name.to_ascii_lowercase()).filter(|n| plain(n))?;
            Some(format!("{kind}({found})"))
        })
        .collect();
    let (Some(spelled), false) = (spelled, saves.is_empty()) else { return text.to_string() };
    match text.split_once("\ncontrol\n") {
        Some((head, tail)) => format!("{head}\ncontrol\n  save {}\n{tail}", spelled.join(" ")),
        None => text.to_string(),
    }
}

/// A run's raw file above the limit, as this layer's error: the runners'
/// message names the limit options of `sim` and `verify`, which the runs
/// here (a realisation's, a characterisation's) do not take.
fn raw_limit(e: atscale_verify::Error, name: &str) -> Error {
    use atscale_verify::vacask::VacaskFailure;
    let sizes = match &e {
        atscale_verify::Error::RawTooLarge { bytes, limit_bytes, .. } => Some((*bytes, *limit_bytes)),
        atscale_verify::Error::Vacask(f) => match f.failure {
            VacaskFailure::RawTooLarge { bytes, limit_bytes } => Some((bytes, limit_bytes)),
            _ => None,
        },
        _ => None,
    };
    match sizes {
        Some((bytes, limit_bytes)) => Error::RawTooLarge { name: name.to_string(), bytes, limit_bytes },
        None => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{with_saves, with_vacask_saves};

    #[test]
    fn vacask_saves_open_the_control_block_spelled_as_the_netlist() {
        let text = "t\n'Vdd' ('vdd' 0) atscale_vsource dc=3.3e0\n'M1' ('v' 'g' 0 0) 'sg13_hv_nmos' w=1e-6\n\
                    control\n  options reltol=1e-4\n  analysis tran1 tran stop=1e-3\nendc\n";
        let saves = |s: &[&str]| s.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        assert_eq!(
            with_vacask_saves(text, &saves(&["v(v)", "v(VDD)", "i(vdd)"])),
            text.replace("control\n", "control\n  save v(v) v(vdd) i(Vdd)\n")
        );
        // The model name is not a node; an unknown name, an empty list: everything saved.
        for s in [&["v(sg13_hv_nmos)"][..], &["v(x)"], &["i(vdd"], &[]] {
            assert_eq!(with_vacask_saves(text, &saves(s)), text, "{s:?}");
        }
    }

    #[test]
    fn saves_go_before_the_end_card_and_nothing_else_changes() {
        let text = "title\nR1 a 0 1k\n.tran 1u 1m\n.end\n";
        let saves = ["v(vm)".to_string(), "i(vdd)".to_string()];
        assert_eq!(with_saves(text, &saves), "title\nR1 a 0 1k\n.tran 1u 1m\n.save v(vm) i(vdd)\n.end\n");
        assert_eq!(with_saves(text, &[]), text);
        // A text without `.end` gets the card at its end.
        assert_eq!(with_saves("title\nR1 a 0 1k\n", &saves), "title\nR1 a 0 1k\n.save v(vm) i(vdd)\n");
    }
}
