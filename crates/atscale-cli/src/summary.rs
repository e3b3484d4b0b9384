//! `atscale summary`: what a circuit is made of.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::builtin::{builtin, BUILTIN_NAMES};
use atscale_circuit::{Circuit, EnergyNature, Summary};

/// Arguments of `atscale summary`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Circuit file: atscale's JSON (`.json`) or TOML (`.toml`) form, or an
    /// ngspice netlist (`.cir`, `.sp`, `.spice`, `.net`, `.ckt`).
    #[arg(conflicts_with = "builtin", required_unless_present = "builtin")]
    file: Option<PathBuf>,
    /// Use a built-in circuit instead of a file (fitzhugh-nagumo).
    #[arg(long, value_name = "NAME")]
    builtin: Option<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Where the circuit comes from, validated.
enum Source {
    File(PathBuf),
    Builtin(String),
}

impl Args {
    fn source(&self) -> Result<Source> {
        match (&self.file, &self.builtin) {
            (Some(f), None) => Ok(Source::File(f.clone())),
            (None, Some(b)) => {
                if builtin(b).is_none() {
                    bail!("unknown built-in circuit `{b}`; built-ins are: {}", BUILTIN_NAMES.join(", "));
                }
                Ok(Source::Builtin(b.clone()))
            }
            _ => bail!("give either a circuit file or --builtin NAME"),
        }
    }
}

/// Reads a circuit file (netlist, JSON or TOML); errors name the file, line
/// and column, and reading remarks are printed as warnings.
pub fn read_circuit(path: &Path) -> Result<Circuit> {
    let file = atscale_spice::read_circuit(path)?;
    for w in &file.warnings {
        crate::errln!("warning: {w}");
    }
    Ok(file.circuit)
}

/// Runs `atscale summary`.
pub fn run(args: Args) -> Result<ExitCode> {
    let (circuit, origin) = match args.source()? {
        Source::File(path) => (read_circuit(&path)?, path.display().to_string()),
        Source::Builtin(name) => (builtin(&name).context("built-in circuit vanished")?, name),
    };
    let checked = circuit.check().with_context(|| format!("in {origin}"))?;
    for w in &checked.warnings {
        crate::errln!("warning: {w}");
    }
    let summary = checked.circuit.summary();
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        crate::out!("{}", render(&summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.title);
    let _ = writeln!(
        out,
        "{} elements, {} nodes (besides ground `0`), {} internal states",
        s.elements.len(),
        s.node_count,
        s.internal_states
    );
    let w_name = s.elements.iter().map(|e| e.name.len()).max().unwrap_or(4).max(4);
    let w_class = s.elements.iter().map(|e| e.class.len()).max().unwrap_or(5).max(5);
    let w_nodes = s.elements.iter().map(|e| e.nodes.join(" ").len()).max().unwrap_or(5).max(5);
    let w_energy = s.elements.iter().map(|e| e.energy.describe().len()).max().unwrap_or(6).max(6);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:w_name$}  {:w_class$}  {:w_nodes$}  {:w_energy$}  value",
        "name", "class", "nodes", "energy"
    );
    for e in &s.elements {
        let _ = writeln!(
            out,
            "  {:w_name$}  {:w_class$}  {:w_nodes$}  {:w_energy$}  {}",
            e.name,
            e.class,
            e.nodes.join(" "),
            e.energy.describe(),
            e.value
        );
    }
    let count = |n: EnergyNature| s.elements.iter().filter(|e| e.energy == n).count();
    let _ = writeln!(
        out,
        "\nenergy: {} store, {} dissipate, {} dissipate with a battery, {} supply",
        count(EnergyNature::Storage),
        count(EnergyNature::Dissipation),
        count(EnergyNature::DissipationWithBattery),
        count(EnergyNature::Supply)
    );
    out
}
