//! `atscale realise DESIGN.json --tech TECH -o DIR`: a designed neuron
//! realised in transistors, its netlists, sizing report and, unless
//! `--no-sim`, the evidence from the technology's simulator (ngspice, or
//! VACASK for `ihp-sg13g2`): rate (or bursts) against the
//! behavioural design, the time-scale calibration factor, an optional bias
//! sweep with its fitted log-log slope, and a comparison plot.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_design::realise::mapping::ReferenceSource;
use atscale_design::realise::{Amplifier, BiasSource, Followers, Options, Realisation, Technology};
use atscale_design::spec::Design;
use atscale_explore::characterise::Characterisation;
use atscale_explore::realise::{
    check_ideal_blocks, realise_with_evidence, Evidence, Outcome, Request, IDEAL_BLOCKS_NETLIST,
};
use atscale_explore::simulator::{netlist_files, Simulator};
use atscale_explore::technology::{measured, monte_carlo_section};
use atscale_render::plots::design::{comparison, Comparison};
use atscale_render::Format;
use serde::Serialize;

use crate::output::write_all;

/// Arguments of `atscale realise`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The design (`design.json` written by `atscale design`).
    design: PathBuf,
    /// Technology: a built-in (`generic-bsim4`, `generic-level1`, `sky130`,
    /// `sky130-hv`, `gf180`, `ihp-sg13g2`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    tech: String,
    /// Output directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Multiply every bias current by this factor (the circuit runs that much faster).
    #[arg(long, default_value_t = 1.0)]
    bias_scale: f64,
    /// Bias currents from ideal sources (`ideal`) or from current mirrors of
    /// one reference current (`mirrors`; below threshold only). With mirrors
    /// the bias scale and `--sweep` scale the reference current alone.
    #[arg(long, value_enum, default_value_t = BiasArg::Ideal)]
    bias: BiasArg,
    /// Reference voltages from ideal sources (`ideal`) or as taps of one
    /// resistor string from the supply to ground (`ladder`; the technology's
    /// `[resistor]` table sizes it, ideal resistors without one). With
    /// `--bias mirrors --references ladder` only the supply and one
    /// reference current are ideal.
    #[arg(long, value_enum, default_value_t = ReferencesArg::Ideal)]
    references: ReferencesArg,
    /// Also realise and simulate at these bias scales (comma-separated) and fit rate ∝ scale^slope.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    sweep: Vec<f64>,
    /// Also run the sized circuit on these sections of the technology's
    /// model library (process corners, comma-separated: e.g. `tt,ff,ss,sf,fs`)
    /// and report rate, bursts and energy per spike for each.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    corners: Vec<String>,
    /// Also run the sized circuit at these temperatures, °C (comma-separated:
    /// e.g. `-40,27,85`; with `--corners`, every corner at every temperature).
    #[arg(long, value_delimiter = ',', value_name = "LIST", allow_hyphen_values = true)]
    temperatures: Vec<f64>,
    /// Also run the sized circuit N times on the technology's statistical
    /// library section (process variation and mismatch from the PDK's own
    /// models), one seed per run, and report the spread with a histogram
    /// (monte-carlo.png). The simulator draws from the seed; for a
    /// technology whose simulator cannot (IHP in VACASK), atscale draws
    /// from the PDK's statistics files and writes each draw's netlist
    /// (monte-carlo-seed-K.sim).
    #[arg(long, value_name = "N")]
    monte_carlo: Option<usize>,
    /// First seed of the Monte Carlo runs (run k has seed SEED + k).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop time of the ngspice run in model units (default: the realisation's window).
    #[arg(long, value_name = "MODEL_UNITS")]
    tstop_model: Option<f64>,
    /// Maximum step of the ngspice runs in model units (default: the realisation's).
    #[arg(long, value_name = "MODEL_UNITS")]
    max_step_model: Option<f64>,
    /// With `--bias mirrors`: put the membrane's bias mirror under a
    /// cascode, so that its current does not follow the membrane voltage
    /// (a diode stacked on the reference diode sets the cascode's gate).
    #[arg(long)]
    cascode_membrane: bool,
    /// Measure the transistors' stray capacitance on the membrane (ngspice,
    /// a small sine at rest) and take it off the membrane capacitor, so that
    /// the membrane's total capacitance is the design's.
    #[arg(long)]
    compensate_strays: bool,
    /// Measure each linearised follower's offset x - v (ngspice, the
    /// membrane held at its output pair's reference) and move the output
    /// pair's reference by it.
    #[arg(long)]
    cancel_follower_offsets: bool,
    /// Also run the transistor circuit with these design elements' blocks
    /// (the report's names: `Gl,Rf`, ...) replaced by their part of the
    /// ideal model (behavioural sources, in ngspice), and report what that
    /// circuit does: which block makes the circuit depart from its ideal
    /// model (all of them: the ideal model itself, run in ngspice)
    #[arg(long, value_delimiter = ',', value_name = "ELEMENTS")]
    ideal_blocks: Vec<String>,
    /// Trim the membrane bias: measure the transistor circuit's static
    /// current error at the design's knee (its DC operating point) and
    /// cancel it with a trim source (a design without a knee, e.g. the
    /// spiker, is not trimmed). Off by default: the realisation is run as
    /// designed.
    #[arg(long)]
    trim: bool,
    /// The amplifiers' topology: `five-transistor` (NMOS pair, PMOS
    /// mirror), `cascoded` (its PMOS mirror cascoded, two more transistors)
    /// `symmetric` (each input device into its own PMOS diode stack,
    /// every mirror cascoded: the pair's drains match at balance) or
    /// `self-cascoded` (the symmetric amplifier with composite mirrors,
    /// one `V_GS` per diode: fits a 1.8 V supply). The cascodes remove
    /// most of the amplifiers' systematic output offset, the static
    /// current error the report gives, at the cost of headroom. Default:
    /// the technology's `amplifier` (symmetric on gf180, sky130-hv and
    /// ihp-sg13g2), else five-transistor.
    #[arg(long, value_enum, value_name = "TOPOLOGY")]
    amplifier: Option<AmplifierArg>,
    /// How a memristive element's state follows the membrane (below
    /// threshold): `linearised` (two nine-pair linearised transconductors,
    /// lin(v) into the state capacitor and lin(x) out of it: linear over the
    /// whole spike; symmetric amplifiers only) or `offset-pairs` (three pairs
    /// with offsets built into their lengths: fewer amplifiers, bending up to
    /// 28 % from linear). Default: the technology's `followers` (linearised on
    /// gf180, sky130-hv and ihp-sg13g2), else offset-pairs
    #[arg(long, value_enum, value_name = "KIND")]
    followers: Option<FollowersArg>,
    /// Write the netlists and the sizing report only; run no simulation (and no trim).
    #[arg(long)]
    no_sim: bool,
    /// Wall-clock limit of each ngspice run, s.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
}

/// `--bias`: where the bias currents come from.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BiasArg {
    /// One ideal current source per bias.
    Ideal,
    /// Current mirrors of one reference current.
    Mirrors,
}

/// `--amplifier`: the amplifiers' topology ([`Amplifier`]).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AmplifierArg {
    /// NMOS pair, PMOS mirror, tail.
    FiveTransistor,
    /// The five-transistor amplifier with a cascoded PMOS mirror.
    Cascoded,
    /// The symmetric amplifier, every mirror cascoded.
    Symmetric,
    /// The symmetric amplifier with self-cascoded (composite) mirrors: fits a 1.8 V supply.
    SelfCascoded,
}

/// `--followers`: how a memristive element's state follows the membrane ([`Followers`]).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FollowersArg {
    /// Two nine-pair linearised transconductors: lin(v) in, lin(x) out.
    Linearised,
    /// Three pairs with offsets built into their lengths.
    OffsetPairs,
}

/// `--references`: where the reference voltages come from.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReferencesArg {
    /// One ideal voltage source per reference voltage.
    Ideal,
    /// Taps of one resistor string from `vdd` to ground.
    Ladder,
}

/// The files beside the netlists ([`netlist_files`]).
const FILES: [&str; 4] = ["report.json", "report.md", "comparison.png", "monte-carlo.png"];

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    design: String,
    /// The `--tech` the realisation was made with: a built-in name, or the
    /// technology file's absolute path (`atscale clamp` loads it again).
    technology_source: String,
    /// The technology's measured subthreshold parameters, when it measures them.
    characterisation: Option<Characterisation>,
    realisation: &'a Realisation,
    evidence: Option<Evidence>,
}

/// The technology `arg` names and the folder its library path is relative
/// to ([`atscale_explore::technology::load`]).
pub(crate) fn tech_from(arg: &str) -> Result<(Technology, Option<PathBuf>)> {
    Ok(atscale_explore::technology::load(arg)?)
}

/// Refuses arguments that are wrong on their own or together, before any file is read.
fn check_args(args: &Args) -> Result<()> {
    if !(args.bias_scale > 0.0 && args.bias_scale.is_finite()) {
        bail!("--bias-scale must be positive, got {}", args.bias_scale);
    }
    if args.cascode_membrane && matches!(args.bias, BiasArg::Ideal) {
        bail!("--cascode-membrane cascodes the membrane's bias mirror: it needs --bias mirrors");
    }
    if let Some(x) = args.sweep.iter().find(|x| !(**x > 0.0 && x.is_finite())) {
        bail!("--sweep values must be positive bias scales, got {x}");
    }
    if let Some(x) = args.max_step_model.filter(|x| !(*x > 0.0 && x.is_finite())) {
        bail!("--max-step-model must be a positive number of model units, got {x}");
    }
    if let Some(t) = args.temperatures.iter().find(|t| !(**t > -273.15 && **t < 1000.0)) {
        bail!("--temperatures values must be between -273.15 and 1000 °C, got {t}");
    }
    if let Some(c) = args.corners.iter().find(|c| !is_section_name(c)) {
        bail!("--corners: `{}` is not a library section name (letters, digits, `_`, `.`)", c.escape_debug());
    }
    if let Some(twice) =
        args.ideal_blocks.iter().enumerate().find(|(i, e)| args.ideal_blocks[..*i].contains(e))
    {
        bail!("--ideal-blocks names {} twice", twice.1);
    }
    if !args.ideal_blocks.is_empty() && args.no_sim {
        bail!("--ideal-blocks asks for a run of the transistor circuit: drop --no-sim");
    }
    Ok(())
}

/// Runs `atscale realise`.
pub fn run(args: Args) -> Result<ExitCode> {
    check_args(&args)?;
    let timeout = crate::run_args::timeout("--timeout", &args.timeout)?;
    let (tech, tech_dir) = tech_from(&args.tech)?;
    // Before the characterisation runs.
    check_ideal_blocks(&args.ideal_blocks, tech.engine, args.trim)?;
    let ideal_blocks = if args.ideal_blocks.is_empty() { &[][..] } else { &[IDEAL_BLOCKS_NETLIST][..] };
    for f in netlist_files(tech.engine).iter().chain(FILES.iter()).chain(ideal_blocks) {
        atscale_files::check_target(&args.output.join(f), args.force)?;
    }
    if let (Some(n), Some(_)) = (args.monte_carlo, &tech.monte_carlo_draws) {
        for k in 0..n.min(MAX_RUNS) as u64 {
            atscale_files::check_target(
                &args.output.join(drawn_netlist_file(args.seed.saturating_add(k))),
                args.force,
            )?;
        }
    }
    let text = crate::input::read_text(&args.design, "the design")?;
    let design: Design = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a design.json written by `atscale design`", args.design.display())
    })?;
    check_statistics(&args, &tech)?;
    if !args.corners.is_empty()
        && !matches!(tech.models, atscale_design::realise::tech::ModelSource::Library { .. })
    {
        bail!(
            "--corners needs a technology whose models come from a library with corner sections; {} has model cards",
            tech.name
        );
    }
    let (tech, characterisation) = if tech.measure_subthreshold {
        let runner = Simulator::detect(tech.engine, timeout)
            .with_context(|| format!("characterising the technology's transistors needs {}", tech.engine))?;
        measured(tech, tech_dir.as_deref(), &runner, timeout)?
    } else {
        (tech, None)
    };
    let opts = options(&args, &tech);
    let req = Request {
        design: &design,
        design_path: &args.design,
        tech: &tech,
        tech_dir: tech_dir.as_deref(),
        options: opts,
        no_sim: args.no_sim,
        trim: args.trim,
        sweep: &args.sweep,
        corners: &args.corners,
        monte_carlo: args.monte_carlo.map(|n| (n, args.seed)),
        compensate_strays: args.compensate_strays,
        cancel_follower_offsets: args.cancel_follower_offsets,
        ideal_blocks: &args.ideal_blocks,
        temperatures_c: &args.temperatures,
        max_step_model: args.max_step_model,
        tstop_model: args.tstop_model,
        timeout,
    };
    let Outcome { realisation: r, netlists, evidence, trace } = realise_with_evidence(&req)?;
    let png = match &trace {
        None => None,
        Some(tr) => Some(
            comparison(
                &Comparison {
                    technology: &r.technology,
                    transistor: &tr.transistor,
                    behavioural: &tr.behavioural,
                    calibration: tr.calibration,
                    sweep: &tr.sweep_points,
                },
                Format::Png,
            )?
            .bytes,
        ),
    };
    let report = Report {
        schema_version: 1,
        design: args.design.display().to_string(),
        technology_source: atscale_explore::technology::source(&args.tech),
        characterisation,
        realisation: &r,
        evidence,
    };
    let json = serde_json::to_string_pretty(&report)?;
    let mut md = atscale_render::markdown::realise::markdown(report.realisation, report.evidence.as_ref());
    if let Some(c) = &report.characterisation {
        md.push_str(&atscale_render::markdown::realise::characterisation(c));
    }
    let mut files: Vec<(PathBuf, &[u8])> =
        netlists.iter().map(|(f, text)| (args.output.join(f), text.as_bytes())).collect();
    files.push((args.output.join(FILES[0]), json.as_bytes()));
    files.push((args.output.join(FILES[1]), md.as_bytes()));
    if let Some(png) = &png {
        files.push((args.output.join(FILES[2]), png));
    }
    // No histogram when no run has the quantity (the report says so).
    let mc_png = match report.evidence.as_ref().and_then(|e| e.monte_carlo.as_ref()) {
        Some(mc) if !mc.values().1.is_empty() => {
            let (what, values) = mc.values();
            let unit = if what == "rate" { "Hz" } else { "s" };
            Some(atscale_render::plots::sweep::values_histogram(what, unit, &values, Format::Png)?.bytes)
        }
        _ => None,
    };
    if let Some(png) = &mc_png {
        files.push((args.output.join(FILES[3]), png));
    }
    // A draw atscale made lives in its netlist alone (no simulator seed reproduces it).
    let drawn: Vec<(PathBuf, &str)> = report
        .evidence
        .iter()
        .flat_map(|e| e.monte_carlo.iter().flat_map(|mc| &mc.runs))
        .filter_map(|run| Some((args.output.join(drawn_netlist_file(run.seed)), run.netlist.as_deref()?)))
        .collect();
    files.extend(drawn.iter().map(|(p, text)| (p.clone(), text.as_bytes())));
    write_all(&files, args.force)?;
    crate::out!("{md}")?;
    Ok(ExitCode::SUCCESS)
}

/// The file of Monte Carlo run `seed`'s netlist when atscale drew its
/// values (`--monte-carlo` on a technology whose simulator does not draw).
fn drawn_netlist_file(seed: u64) -> String {
    format!("monte-carlo-seed-{seed}.sim")
}

/// The realisation's options: the arguments, else the technology's defaults.
fn options(args: &Args, tech: &Technology) -> Options {
    let bias = match args.bias {
        BiasArg::Ideal => BiasSource::Ideal,
        BiasArg::Mirrors => BiasSource::Mirrors,
    };
    let references = match args.references {
        ReferencesArg::Ideal => ReferenceSource::Ideal,
        ReferencesArg::Ladder => ReferenceSource::Ladder,
    };
    Options {
        bias_scale: args.bias_scale,
        bias,
        references,
        amplifier: match args.amplifier {
            None => tech.amplifier,
            Some(AmplifierArg::FiveTransistor) => Amplifier::FiveTransistor,
            Some(AmplifierArg::Cascoded) => Amplifier::Cascoded,
            Some(AmplifierArg::Symmetric) => Amplifier::Symmetric,
            Some(AmplifierArg::SelfCascoded) => Amplifier::SelfCascoded,
        },
        cascode_membrane: args.cascode_membrane,
        followers: match args.followers {
            None => tech.followers,
            Some(FollowersArg::Linearised) => Followers::Linearised,
            Some(FollowersArg::OffsetPairs) => Followers::OffsetPairs,
        },
        ..Options::default()
    }
}

/// A `.lib` section name: a letter or `_`, then letters, digits, `_`, `.`.
fn is_section_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
}

/// Most corner, temperature or Monte Carlo runs of one command.
const MAX_RUNS: usize = 10_000;

/// `--corners` names sections the technology lists (when it lists them);
/// `--monte-carlo` needs a statistical section and at least one run.
fn check_statistics(args: &Args, tech: &Technology) -> Result<()> {
    if let Some(c) = args.corners.iter().find(|c| !tech.corners.is_empty() && !tech.corners.contains(c)) {
        bail!("--corners: {} has no corner `{c}`; its corners: {}", tech.name, tech.corners.join(", "));
    }
    let simulates = !args.corners.is_empty()
        || !args.temperatures.is_empty()
        || args.monte_carlo.is_some()
        || args.compensate_strays
        || args.cancel_follower_offsets
        || args.trim;
    if args.no_sim && simulates {
        bail!(
            "--corners, --temperatures, --monte-carlo, --compensate-strays, --cancel-follower-offsets and --trim \
             run simulations: not with --no-sim"
        );
    }
    if args.corners.len() * args.temperatures.len().max(1) > MAX_RUNS {
        bail!("--corners times --temperatures asks for more than {MAX_RUNS} runs");
    }
    if let Some(n) = args.monte_carlo {
        // ngspice takes `.options seed` below 2^31 (larger seeds wrap or are replaced by the clock).
        let last = u64::try_from(n).ok().and_then(|n| args.seed.checked_add(n.saturating_sub(1)));
        if n > MAX_RUNS || last.is_none_or(|l| l > i32::MAX as u64) {
            bail!(
                "--monte-carlo {n} --seed {}: at most {MAX_RUNS} runs, with seeds up to {} (ngspice's largest)",
                args.seed,
                i32::MAX
            );
        }
    }
    match args.monte_carlo {
        Some(0) => bail!("--monte-carlo needs at least one run"),
        Some(_) => Ok(monte_carlo_section(tech).map(|_| ())?),
        None => Ok(()),
    }
}
