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

/// Reads a circuit from a JSON or TOML file; errors name the file, line and column.
pub fn read_circuit(path: &Path) -> Result<Circuit> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if matches!(ext.as_str(), "cir" | "sp" | "spice" | "net" | "ckt") {
        return Ok(atscale_spice::parse_file(path)?.circuit);
    }
    let text = crate::input::read_text(path, "the circuit file")?;
    match ext.as_str() {
        "json" => serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column())),
        "toml" => toml::from_str(&text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| {
                    let before = text.get(..s.start).unwrap_or(text.as_str());
                    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
                })
                .unwrap_or((0, 0));
            anyhow::anyhow!("{}:{line}:{col}: {}", path.display(), e.message())
        }),
        "cir" | "sp" | "spice" | "net" | "ckt" => Ok(atscale_spice::parse_file(path)?.circuit),
        _ => bail!(
            "{}: unknown circuit file type `.{ext}`; atscale reads circuits as .json, .toml or SPICE netlists (.cir, .sp, .spice, .net, .ckt)",
            path.display()
        ),
    }
}

/// Runs `atscale summary`.
pub fn run(args: Args) -> Result<ExitCode> {
    let circuit = match args.source()? {
        Source::File(path) => read_circuit(&path)?,
        Source::Builtin(name) => builtin(&name).context("built-in circuit vanished")?,
    };
    let checked = circuit.check()?;
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
