//! `atscale sweep`: run a sweep (or one shard), merge shards, report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use atscale_explore::sweep::summary::summarise;
use atscale_explore::sweep::table::{merge, Table};
use atscale_explore::sweep::{
    run as run_sweep, Progress, RunOptions, Shard, Sweep, SweepLimits, SweepSpec, MAX_JOBS,
};
use atscale_render::Format;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{write_all, write_atomically};
use crate::run_args::{count, timeout, LimitArgs};

/// Arguments of `atscale sweep`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Join the shard files of one sweep, checking that every point is in exactly one.
    Merge(MergeArgs),
    /// Summaries and plots of a results file.
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The sweep file (TOML).
    #[arg(required = true, value_name = "SWEEP.toml")]
    sweep: Option<PathBuf>,
    /// Results file: CSV, or Parquet when it ends in `.parquet` (units and the sweep's header in its metadata).
    #[arg(short = 'o', long = "output", value_name = "OUT.csv", required = true)]
    output: Option<PathBuf>,
    /// Run only the I-th of N disjoint parts (point i is in part i mod N + 1).
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Continue an interrupted run from OUT.csv.partial.
    #[arg(long)]
    resume: bool,
    /// Overwrite existing results (and a partial file).
    #[arg(long)]
    force: bool,
    /// Also run K random points through ngspice and record the verdict.
    #[arg(long, value_name = "K", default_value_t = 0)]
    verify_sample: usize,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Wall-clock limit of each run of each point (native and ngspice), s.
    #[arg(long, value_name = "SECONDS", default_value = "300")]
    timeout: String,
    /// Largest number of points a sweep may have [default: 1meg].
    #[arg(long, value_name = "N")]
    max_points: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Write a summary and plots into DIR when the run is complete (not with --shard).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// The metric of the report's heatmap (default firing_rate).
    #[arg(long)]
    metric: Option<String>,
    /// Write the report's plots as SVG instead of PNG.
    #[arg(long)]
    svg: bool,
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The merged results file (CSV, or Parquet when it ends in `.parquet`).
    output: PathBuf,
    /// The shard files.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Overwrite an existing merged file.
    #[arg(long)]
    force: bool,
    /// Write a summary and plots into DIR.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// The metric of the report's heatmap (default firing_rate).
    #[arg(long)]
    metric: Option<String>,
    /// Write the report's plots as SVG instead of PNG.
    #[arg(long)]
    svg: bool,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// The results file.
    results: PathBuf,
    /// Output folder.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// The metric of the heatmap (default firing_rate).
    #[arg(long)]
    metric: Option<String>,
    /// Write the plots as SVG instead of PNG.
    #[arg(long)]
    svg: bool,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// Runs `atscale sweep`.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Some(Action::Merge(m)) => run_merge(m),
        Some(Action::Report(r)) => {
            let t = Table::read(&r.results)?;
            report(&t, &r.output, r.metric.as_deref(), r.svg, r.force)?;
            Ok(ExitCode::SUCCESS)
        }
        None => run_points(args.run),
    }
}

fn run_points(a: RunArgs) -> Result<ExitCode> {
    let (Some(file), Some(out)) = (a.sweep, a.output) else {
        bail!("give the sweep file and -o OUT.csv");
    };
    let shard = a.shard.as_deref().map(Shard::parse).transpose().map_err(anyhow::Error::msg)?;
    if shard.is_some() && a.report.is_some() {
        bail!("--report needs the whole sweep: merge the shards with `atscale sweep merge --report DIR`");
    }
    let limits = a.limits.limits(timeout("--timeout", &a.timeout)?)?;
    if let Some(j) = a.jobs.filter(|j| *j == 0 || *j > MAX_JOBS) {
        bail!("--jobs {j}: give 1 to {MAX_JOBS} worker threads");
    }
    let max_points = count("--max-points", &a.max_points)?
        .map_or(Ok(SweepLimits::default().max_points), usize::try_from)
        .map_err(|_| anyhow::anyhow!("--max-points: too large"))?;
    let spec = SweepSpec::from_file(&file)?;
    crate::errln!("preparing {} ...", file.display());
    let sweep = Sweep::prepare(spec, &SweepLimits { max_points, run: limits })?;
    let opts = RunOptions {
        shard,
        resume: a.resume,
        force: a.force,
        verify_sample: a.verify_sample,
        jobs: a.jobs,
        limits,
    };
    let terminal = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut failed = 0usize;
    let mut progress = |p: Progress<'_>| match p {
        Progress::Started { todo, resumed } => {
            crate::errln!(
                "sweep of {} points{}: {todo} to compute{} on {} threads",
                sweep.total(),
                shard.map(|s| format!(" (shard {}/{})", s.index, s.count)).unwrap_or_default(),
                if resumed > 0 { format!(", {resumed} already done") } else { String::new() },
                a.jobs.unwrap_or_else(rayon_threads)
            );
            if terminal {
                let b = ProgressBar::new(todo as u64);
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} points, {elapsed} elapsed, eta {eta} {msg}",
                ) {
                    b.set_style(style);
                }
                bar = Some(b);
            }
        }
        Progress::Point { done, todo, failed: f, row } => {
            if f {
                failed += 1;
                tracing::warn!(point = %row[0], "point failed");
            }
            if let Some(b) = &bar {
                b.set_position(done as u64);
                if failed > 0 {
                    b.set_message(format!("({failed} failed)"));
                }
            } else if done == todo || last_log.elapsed() >= Duration::from_secs(10) {
                last_log = Instant::now();
                crate::errln!(
                    "sweep: {done}/{todo} points ({failed} failed), {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    };
    let summary = run_sweep(&sweep, &out, &opts, &mut progress)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let per_point = if summary.computed > 0 {
        format!(", {:.2} ms per point", 1e3 * summary.wall_s / summary.computed as f64)
    } else {
        String::new()
    };
    crate::outln!(
        "wrote {}: {} points ({} failed); computed {} in {:.2} s{per_point}{}",
        summary.path.display(),
        summary.points,
        summary.failed,
        summary.computed,
        summary.wall_s,
        if summary.resumed > 0 { format!(", {} resumed", summary.resumed) } else { String::new() }
    )?;
    if let Some(dir) = &a.report {
        report(&Table::read(&out)?, dir, a.metric.as_deref(), a.svg, a.force)?;
    }
    if summary.points > 0 && summary.failed == summary.points {
        crate::errln!("error: every point failed; the errors are in the `error` column of {}", out.display());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn run_merge(m: MergeArgs) -> Result<ExitCode> {
    let mut parts = Vec::new();
    for p in &m.parts {
        parts.push((p.display().to_string(), Table::read(p)?));
    }
    let merged = merge(&parts)?;
    write_atomically(&m.output, &merged.bytes_for(&m.output)?, m.force)?;
    let status = merged.header.column("status").map(|c| merged.cells(c)).unwrap_or_default();
    let failed = status.iter().filter(|s| **s == "failed").count();
    crate::outln!(
        "wrote {}: {} points from {} parts ({failed} failed)",
        m.output.display(),
        merged.rows.len(),
        parts.len()
    )?;
    if let Some(dir) = &m.report {
        report(&merged, dir, m.metric.as_deref(), m.svg, m.force)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn report(t: &Table, dir: &Path, metric: Option<&str>, svg: bool, force: bool) -> Result<()> {
    let s = summarise(t);
    let format = if svg { Format::Svg } else { Format::Png };
    let plots = atscale_render::plots::sweep::plots(t, metric, format)?;
    let md = atscale_render::markdown::sweep::summary(&s);
    let json = serde_json::to_string_pretty(&s)?;
    let mut files: Vec<(PathBuf, &[u8])> =
        vec![(dir.join("summary.md"), md.as_bytes()), (dir.join("summary.json"), json.as_bytes())];
    let mut names = vec!["summary.md".to_string(), "summary.json".to_string()];
    for (name, bytes) in &plots {
        files.push((dir.join(name), bytes));
        names.push(name.clone());
    }
    write_all(&files, force)?;
    crate::out!("{md}")?;
    crate::outln!("wrote {}/{{{}}}", dir.display(), names.join(", "))?;
    Ok(())
}
