//! The `atscale` command-line tool.
//!
//! Each subcommand turns its clap arguments into a validated configuration,
//! then calls one library function. Exit status: 0 success, 1 a check
//! failed, 2 a usage or input error, 130 interrupted (Ctrl-C, SIGTERM).
// Output goes through `console`, which never panics on a closed pipe or a full disk.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod clamp;
mod console;
mod design;
mod input;
mod landscape;
mod output;
mod realise;
mod reliability;
mod run_args;
mod scale;
mod sim;
mod summary;
mod sweep;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// atscale: analog neuromorphic hardware co-design.
#[derive(Debug, Parser)]
#[command(name = "atscale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a circuit's elements, their energy nature and its node count.
    Summary(summary::Args),
    /// Simulate an ngspice netlist with the native engine or ngspice.
    Sim(sim::Args),
    /// Run a netlist through several engines and compare their event times.
    Verify(verify::Args),
    /// Energy landscapes of a neuron per timescale and the behaviour they imply.
    Landscape(landscape::Args),
    /// Design a neuron to specification and write its netlists and landscape.
    Design(design::Args),
    /// Amplitude and time scale analyses of one element: softplus fit, fingerprint, Bode.
    Scale(scale::Args),
    /// Sweeps and Monte Carlo over a design or netlist; `merge` joins shards, `report` plots.
    Sweep(sweep::Args),
    /// The reliability experiment: frozen noise against a constant current (exit 1 if not reliable).
    Reliability(reliability::Args),
    /// Realise a designed neuron in transistors: netlists, sizing report, ngspice evidence.
    Realise(realise::Args),
    /// Voltage clamp: I-V curves and potentials per timescale measured in any engine, over the predicted ones.
    Clamp(clamp::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATSCALE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    install_signal_handler();
    atscale_sim::set_default_stop_check(atscale_verify::interrupt::stop_check(None));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    let result = match cli.command {
        Command::Summary(args) => summary::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Landscape(args) => landscape::run(args),
        Command::Design(args) => design::run(args),
        Command::Scale(args) => scale::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Reliability(args) => reliability::run(args),
        Command::Realise(args) => realise::run(args),
        Command::Clamp(args) => clamp::run(args),
    };
    if atscale_verify::interrupt::requested() {
        match &result {
            Err(err) => crate::errln!("error: {}", message(err)),
            Ok(_) => crate::errln!("error: interrupted"),
        }
        return ExitCode::from(130);
    }
    match result {
        Ok(code) => code,
        Err(err) if err.is::<console::ClosedPipe>() => ExitCode::SUCCESS,
        Err(err) => {
            crate::errln!("error: {}", message(&err));
            ExitCode::from(2)
        }
    }
}

/// `--help`, `--version` or a usage error, written without panicking.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => match console::out(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) if err.is::<console::ClosedPipe>() => ExitCode::SUCCESS,
            Err(err) => {
                crate::errln!("error: {err}");
                ExitCode::from(2)
            }
        },
        _ => {
            crate::errln!("{}", text.trim_end());
            ExitCode::from(2)
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP: the first stops the work (simulators are
/// killed, partial results kept, temporary folders removed as the work
/// unwinds); the second exits at once, after killing the simulators and
/// removing the temporary folders.
fn install_signal_handler() {
    let count = std::sync::atomic::AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            crate::errln!("interrupted: stopping (press Ctrl-C again to quit at once)");
            atscale_verify::interrupt::request();
        } else {
            atscale_verify::interrupt::clean_up_and_exit();
        }
    });
    if let Err(e) = installed {
        tracing::warn!("cannot handle Ctrl-C: {e}");
    }
}

/// The error as the user is shown it ([`atscale_files::error_text`]).
fn message(err: &anyhow::Error) -> String {
    atscale_files::error_text(err.as_ref())
}
