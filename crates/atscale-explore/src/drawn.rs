//! Monte Carlo draws atscale makes itself, for a technology whose
//! simulator has no random functions (VACASK): a PDK's process parameters
//! and each device's mismatch, drawn from the PDK's own ngspice statistics
//! ([`DrawFiles`]) with atscale's seeded generator.
//!
//! ngspice's `gauss(nom, rvar, sig)` is `nom + nom rvar / sig N(0, 1)` and
//! `agauss(nom, avar, sig)` is `nom + avar / sig N(0, 1)` (the ngspice
//! manual, "Parameters, functions, expressions"). A run draws:
//!
//! - once, every process parameter the `process` file defines as
//!   `.param NAME = mc_NAME` with `.param mc_NAME = 'gauss(NAME_norm, r,
//!   num_sigmas)'`, the nominal `NAME_norm` read from the `nominal` file's
//!   section; the values go into the netlist as parameters the library
//!   reads (the library's Monte Carlo section leaves them undefined);
//! - for each instance of a device subcircuit, the law the `law` file
//!   gives that subcircuit, which must be IHP's (checked line by line,
//!   refused otherwise): `w + agauss(0, P_dw_mm, 1)`, `l + agauss(0,
//!   P_dl_mm, 1)`, `delvto = agauss(0, P_delvto_mm / sqrt(m l w 1e12), 1)`,
//!   `factuo = agauss(1, P_factuo_mm / sqrt(m l w 1e12), 1)`, with the
//!   constants `P_*_mm` of the `mismatch` file and `w`, `l`, `m` the
//!   instance's own (in the subcircuit's units). They go into the instance
//!   as [`MISMATCH_PARAMS`], which `scripts/install-ihp.sh` adds to the
//!   library's subcircuits.
//!
//! A run's values depend on its seed alone: the process parameters in file
//! order, then each instance in the circuit's order, from one [`Rng`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atscale_circuit::random::Rng;
use atscale_circuit::{Circuit, Param, Value};
use atscale_design::realise::{DrawFiles, SubcktDevice};

use crate::error::{Error, Result};

/// The per-instance parameters a draw gives each device: the threshold
/// shift (V), the mobility factor, and the width and length shifts (in the
/// subcircuit's units), as `scripts/install-ihp.sh` names them.
pub const MISMATCH_PARAMS: [&str; 4] = ["mc_delvto", "mc_factuo", "mc_dw", "mc_dl"];

/// Largest statistics file read, bytes.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// A PDK's statistics, read and checked: what a run draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Process parameters: name, the random variable it is set to
    /// (`mc_NAME`: ngspice draws each once, however many parameters read
    /// it), nominal value, standard deviation.
    pub process: Vec<(String, String, f64, f64)>,
    /// Each device subcircuit's mismatch constants.
    pub devices: Vec<Mismatch>,
    /// Where they come from, for the report.
    pub source: String,
}

/// One device subcircuit's mismatch constants (IHP's `P_*_mm`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The subcircuit (`sg13_hv_nmos`).
    pub subckt: String,
    /// The model prefix the law names (`sg13g2_hv_nmos`).
    pub prefix: String,
    /// Threshold-shift constant, V (sigma times sqrt(m l w 1e12)).
    pub delvto: f64,
    /// Mobility-factor constant (the same).
    pub factuo: f64,
    /// Width shift sigma, in the subcircuit's units.
    pub dw: f64,
    /// Length shift sigma.
    pub dl: f64,
}

/// What one run drew: the library's parameters (the circuit's instances
/// carry their own).
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// The process parameters, in the process file's order.
    pub parameters: Vec<(String, f64)>,
    /// How many device instances drew mismatch.
    pub instances: usize,
}

impl Statistics {
    /// Reads `files` under `dir` for the device subcircuits `subckts`.
    ///
    /// # Errors
    ///
    /// [`Error::Technology`] naming the file and line of anything atscale
    /// does not draw as the PDK defines it: a line of another form, a
    /// nominal value or mismatch constant that is missing, a device whose
    /// law is not IHP's or is missing.
    pub fn load(files: &DrawFiles, dir: &Path, subckts: &[&str]) -> Result<Statistics> {
        let nominal = nominal_values(&dir.join(&files.nominal), &files.nominal_section)?;
        let process = process_parameters(&dir.join(&files.process), &nominal)?;
        let constants = mismatch_constants(&dir.join(&files.mismatch))?;
        let law_path = dir.join(&files.law);
        let law = read(&law_path)?;
        let devices = subckts
            .iter()
            .map(|s| {
                let prefix = law_prefix(&law_path, &law, s)?;
                let c = |k: &str| {
                    let name = format!("{prefix}_{k}_mm");
                    constants.get(&name).copied().ok_or_else(|| {
                        Error::Technology(format!(
                            "{}: no `.param {name}`, which the law of {s} in {} reads",
                            dir.join(&files.mismatch).display(),
                            law_path.display()
                        ))
                    })
                };
                Ok(Mismatch {
                    subckt: (*s).to_string(),
                    delvto: c("delvto")?,
                    factuo: c("factuo")?,
                    dw: c("dw")?,
                    dl: c("dl")?,
                    prefix,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let source = format!(
            "{} process parameters ({}, nominal from {} section {}) and the mismatch of {} ({}, law of {})",
            process.len(),
            files.process,
            files.nominal,
            files.nominal_section,
            subckts.join(", "),
            files.mismatch,
            files.law
        );
        Ok(Statistics { process, devices, source })
    }

    /// Draws one run with `seed`: the process parameters (returned) and
    /// every device instance's mismatch (into `c`'s instances, as
    /// [`MISMATCH_PARAMS`]; `devices` names each subcircuit's width and
    /// length parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Technology`] for a device instance without a numeric
    /// width or length or that already has a mismatch parameter.
    pub fn draw(&self, c: &mut Circuit, seed: u64, devices: &[SubcktDevice]) -> Result<Draw> {
        let mut rng = Rng::new(seed);
        let mut drawn: HashMap<&str, f64> = HashMap::new();
        let parameters = self
            .process
            .iter()
            .map(|(n, var, nom, sd)| {
                (n.clone(), *drawn.entry(var).or_insert_with(|| nom + sd * rng.normal()))
            })
            .collect();
        let mut instances = 0;
        for i in &mut c.instances {
            let Some(m) = self.devices.iter().find(|d| d.subckt.eq_ignore_ascii_case(&i.subckt)) else {
                continue;
            };
            let (w_param, l_param) = devices
                .iter()
                .find(|d| d.subckt.eq_ignore_ascii_case(&i.subckt))
                .map_or(("w", "l"), |d| (d.w_param.as_str(), d.l_param.as_str()));
            let num = |name: &str| {
                i.params.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| match p.value {
                    Value::Num(x) => Ok(x),
                    Value::Expr(_) => Err(Error::Technology(format!(
                        "instance {} of {}: {name} is an expression; a Monte Carlo draw needs numbers",
                        i.name, i.subckt
                    ))),
                })
            };
            let missing = |name: &str| {
                Error::Technology(format!(
                    "instance {} of {} has no {name}: no mismatch to draw",
                    i.name, i.subckt
                ))
            };
            // IHP's law draws nothing for an instance with `mm_ok` other than 1.
            if num("mm_ok").transpose()?.is_some_and(|ok| ok != 1.0) {
                continue;
            }
            let w = num(w_param).ok_or_else(|| missing(w_param))??;
            let l = num(l_param).ok_or_else(|| missing(l_param))??;
            let mult = num("m").transpose()?.unwrap_or(1.0);
            if let Some(p) =
                i.params.iter().find(|p| MISMATCH_PARAMS.iter().any(|n| p.name.eq_ignore_ascii_case(n)))
            {
                return Err(Error::Technology(format!(
                    "instance {} of {} already has {}: drawn twice",
                    i.name, i.subckt, p.name
                )));
            }
            let area = (mult * l * w * 1e12).sqrt();
            let dw = m.dw * rng.normal();
            let dl = m.dl * rng.normal();
            let delvto = m.delvto / area * rng.normal();
            let factuo = 1.0 + m.factuo / area * rng.normal();
            for (name, v) in MISMATCH_PARAMS.iter().zip([delvto, factuo, dw, dl]) {
                i.params.push(Param::new(*name, Value::Num(v)));
            }
            instances += 1;
        }
        Ok(Draw { parameters, instances })
    }
}

fn read(path: &Path) -> Result<String> {
    let rules = atscale_files::InputRules::named(MAX_FILE_BYTES);
    atscale_files::read_input(path, "a PDK statistics file", &rules)
        .map(|i| i.text)
        .map_err(|e| Error::Technology(format!("cannot read the PDK's statistics: {e}")))
}

fn at(path: &Path, line: usize, what: String) -> Error {
    Error::Technology(format!("{}:{line}: {what}", path.display()))
}

/// The `.param` lines of an ngspice file (comments and blank lines left
/// out; any other line, a continuation line too, refused), with their line
/// numbers, each as `name`, `value` text.
fn param_lines(path: &Path, text: &str) -> Result<Vec<(usize, String, String)>> {
    let mut out = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('*') {
            continue;
        }
        let keyword = line.get(..6).filter(|p| p.eq_ignore_ascii_case(".param"));
        let Some(rest) = keyword.map(|_| &line[6..]).filter(|r| r.starts_with(char::is_whitespace)) else {
            return Err(at(path, k + 1, format!("`{}` is not a `.param` line", line.escape_debug())));
        };
        let (name, value) = rest.split_once('=').ok_or_else(|| {
            at(path, k + 1, format!("`{}` is not `.param name = value`", line.escape_debug()))
        })?;
        out.push((k + 1, name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(out)
}

/// `parameters NAME=value ...` lines of `section` of a VACASK library.
fn nominal_values(path: &Path, section: &str) -> Result<HashMap<String, f64>> {
    let text = read(path)?;
    let mut inside = false;
    let mut found = false;
    let mut values = HashMap::new();
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["section", s] if *s == section => (inside, found) = (true, true),
            ["endsection", ..] => inside = false,
            ["parameters", assignments @ ..] if inside => {
                for a in assignments {
                    let (n, v) = a
                        .split_once('=')
                        .ok_or_else(|| at(path, k + 1, format!("`{a}` is not `name=value`")))?;
                    let x = v
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| at(path, k + 1, format!("{n}: `{v}` is not a number")))?;
                    values.insert(n.to_ascii_lowercase(), x);
                }
            }
            _ => {}
        }
    }
    if !found {
        return Err(Error::Technology(format!("{}: no section {section}", path.display())));
    }
    Ok(values)
}

/// The process parameters of an ngspice statistics file: name, random
/// variable, nominal, standard deviation (see the module documentation).
fn process_parameters(
    path: &Path,
    nominal: &HashMap<String, f64>,
) -> Result<Vec<(String, String, f64, f64)>> {
    let text = read(path)?;
    let mut numbers: HashMap<String, f64> = HashMap::new();
    let mut spreads: HashMap<String, (f64, f64)> = HashMap::new();
    let mut out = Vec::new();
    for (line, name, value) in param_lines(path, &text)? {
        let v = value
            .trim_matches(|c| c == '\'' || c == '"')
            .replace(char::is_whitespace, "")
            .to_ascii_lowercase();
        if let Ok(x) = v.parse::<f64>() {
            numbers.insert(name, x);
        } else if let Some(args) = v.strip_prefix("gauss(").and_then(|a| a.strip_suffix(')')) {
            let parts: Vec<&str> = args.split(',').collect();
            let [nom, rvar, sig] = parts.as_slice() else {
                return Err(at(path, line, format!("`{value}`: gauss() takes three arguments")));
            };
            let nom = nominal.get(*nom).copied().ok_or_else(|| {
                at(path, line, format!("`{nom}` has no nominal value in the nominal section"))
            })?;
            let number = |s: &str| s.parse::<f64>().ok().or_else(|| numbers.get(s).copied());
            let (Some(r), Some(s)) = (number(rvar), number(sig)) else {
                return Err(at(path, line, format!("`{value}`: its spread is not a number")));
            };
            if !(s.is_finite() && s > 0.0 && r.is_finite()) {
                return Err(at(path, line, format!("`{value}`: a spread of {r} over {s} sigma")));
            }
            spreads.insert(name, (nom, (nom * r / s).abs()));
        } else if let Some(&(nom, sd)) = spreads.get(&v) {
            out.push((name, v, nom, sd));
        } else {
            return Err(at(
                path,
                line,
                format!(
                    "`.param {name} = {value}`: atscale draws `gauss(nominal, relative spread, sigmas)` \
                     parameters only, and parameters set to one of them"
                ),
            ));
        }
    }
    Ok(out)
}

/// The numeric `.param` lines of an ngspice file.
fn mismatch_constants(path: &Path) -> Result<HashMap<String, f64>> {
    let text = read(path)?;
    param_lines(path, &text)?
        .into_iter()
        .map(|(line, name, value)| {
            value
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(|x| (name, x))
                .ok_or_else(|| at(path, line, format!("`{value}` is not a number")))
        })
        .collect()
}

/// The model prefix `P` of subcircuit `subckt`'s mismatch law in `text`:
/// every line of the subcircuit that calls `gauss`/`agauss` must be one of
/// IHP's four (module documentation), all with the same `P`, and each of
/// the four present.
fn law_prefix(path: &Path, text: &str, subckt: &str) -> Result<String> {
    const SIGMA: &str = ",(mm_ok!=1?0:1))'";
    let forms: [(&str, &str); 4] = [
        ("w='agauss(w,", "_dw_mm"),
        ("l='agauss(l,", "_dl_mm"),
        ("delvto='agauss(0,", "_delvto_mm/sqrt(m*l*w*1e12)"),
        ("factuo='agauss(1,", "_factuo_mm/sqrt(m*l*w*1e12)"),
    ];
    let mut inside = false;
    let mut prefix: Option<String> = None;
    let mut seen = [false; 4];
    for (k, raw) in text.lines().enumerate() {
        let line: String =
            raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let words: Vec<&str> = raw.split_whitespace().collect();
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case(".subckt")) {
            inside = words.get(1).is_some_and(|n| n.eq_ignore_ascii_case(subckt));
            continue;
        }
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case(".ends")) {
            inside = false;
        }
        if !inside || !line.contains("gauss(") || line.starts_with('*') {
            continue;
        }
        let body = line.trim_start_matches('+');
        let matched = forms.iter().enumerate().find_map(|(j, (pre, suf))| {
            let p = body.strip_prefix(pre)?.strip_suffix(SIGMA)?.strip_suffix(suf)?;
            Some((j, p.to_string()))
        });
        let Some((j, p)) = matched else {
            return Err(at(
                path,
                k + 1,
                format!("`{}`: {subckt}'s mismatch is not the law atscale draws (IHP's; see atscale_explore::drawn)", raw.trim()),
            ));
        };
        if prefix.as_ref().is_some_and(|q| *q != p) {
            return Err(at(
                path,
                k + 1,
                format!("{subckt}'s law names two models, {} and {p}", prefix.unwrap_or_default()),
            ));
        }
        prefix = Some(p);
        seen[j] = true;
    }
    match prefix {
        Some(p) if seen.iter().all(|s| *s) => Ok(p),
        Some(_) => Err(Error::Technology(format!(
            "{}: {subckt}'s law lacks one of w, l, delvto, factuo's agauss()",
            path.display()
        ))),
        None => {
            Err(Error::Technology(format!("{}: no mismatch law for subcircuit {subckt}", path.display())))
        }
    }
}

/// The folder the draws' files are relative to: the library's.
pub fn files_dir(tech_dir: Option<&Path>, library: &str) -> PathBuf {
    let lib = tech_dir.map_or_else(|| PathBuf::from(library), |d| d.join(library));
    lib.parent().map_or_else(PathBuf::new, Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use atscale_circuit::Instance;

    const PROCESS: &str = "* process\n.param num_sigmas=2\n\
        .param mc_p_nmos_vfbo ='gauss(p_nmos_vfbo_norm, 0.004, num_sigmas)'\n\
        .param mc_p_nmos_mueo ='gauss(p_nmos_mueo_norm, 0.0335, num_sigmas)'\n\
        .param p_nmos_vfbo = mc_p_nmos_vfbo\n.param p_nmos_mueo = mc_p_nmos_mueo\n";
    const NOMINAL: &str = "section mos_tt\n  parameters p_nmos_vfbo_norm=9\nendsection\n\
        section mos_tt_stat\n  parameters p_nmos_vfbo_norm=1.0\n  parameters p_nmos_mueo_norm=1.078\nendsection\n";
    const MISMATCH: &str = "* ngspice mismatch parameters\n.param p_nmos_delvto_mm  = 0.007\n\
        .param p_nmos_factuo_mm = 0.005\n.param p_nmos_dw_mm = 3e-9\n.param p_nmos_dl_mm = 2e-9\n";
    const LAW: &str = ".subckt dev_n d g s b\n+ w=0.35u l=0.34u m=1 mm_ok=1\n.if (rfmode == 0)\n\
        Ndev d g s b p_nmos_psp\n\
        + w='agauss(w, p_nmos_dw_mm, (mm_ok != 1 ? 0 : 1))'\n\
        + l='agauss(l, p_nmos_dl_mm, (mm_ok != 1 ? 0 : 1))'\n\
        + nf='ng' mult='m'\n\
        + delvto='agauss(0, p_nmos_delvto_mm/sqrt(m*l*w*1e12), (mm_ok != 1 ? 0 : 1))'\n\
        + factuo='agauss(1, p_nmos_factuo_mm/sqrt(m*l*w*1e12), (mm_ok != 1 ? 0 : 1))'\n\
        .endif\n.ends\n";

    fn files() -> DrawFiles {
        DrawFiles {
            process: "stat.lib".into(),
            nominal: "corner.lib".into(),
            nominal_section: "mos_tt_stat".into(),
            mismatch: "mm.lib".into(),
            law: "law.lib".into(),
        }
    }

    /// The four files in a folder, `law` and `process` as given.
    fn folder(process: &str, law: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("temp dir");
        for (f, text) in
            [("stat.lib", process), ("corner.lib", NOMINAL), ("mm.lib", MISMATCH), ("law.lib", law)]
        {
            std::fs::write(d.path().join(f), text).expect("write");
        }
        d
    }

    fn devices(n: usize, w: f64, l: f64) -> Circuit {
        let instances = (0..n)
            .map(|k| Instance {
                name: format!("M{k}"),
                subckt: "DEV_N".into(),
                nodes: vec!["d".into(), "g".into(), "0".into(), "0".into()],
                params: vec![Param::new("w", Value::Num(w)), Param::new("l", Value::Num(l))],
            })
            .collect();
        Circuit { instances, ..Circuit::default() }
    }

    fn param(i: &Instance, name: &str) -> f64 {
        match i.params.iter().find(|p| p.name == name).map(|p| &p.value) {
            Some(Value::Num(x)) => *x,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn mean_sd(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (m, (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
    }

    #[test]
    fn the_files_are_read_as_ngspice_defines_gauss_and_agauss() {
        let d = folder(PROCESS, LAW);
        let s = Statistics::load(&files(), d.path(), &["dev_n"]).unwrap_or_else(|e| panic!("{e}"));
        // gauss(nom, r, sig): standard deviation nom r / sig, the nominal from mos_tt_stat (not mos_tt).
        let var = |n: &str| (n.to_string(), format!("mc_{n}"));
        assert_eq!(
            s.process.iter().map(|(n, v, nom, sd)| ((n.clone(), v.clone()), *nom, *sd)).collect::<Vec<_>>(),
            vec![(var("p_nmos_vfbo"), 1.0, 0.002), (var("p_nmos_mueo"), 1.078, 1.078 * 0.0335 / 2.0)]
        );
        assert_eq!(
            s.devices,
            vec![Mismatch {
                subckt: "dev_n".into(),
                prefix: "p_nmos".into(),
                delvto: 0.007,
                factuo: 0.005,
                dw: 3e-9,
                dl: 2e-9
            }]
        );
    }

    #[test]
    fn draws_have_the_laws_spreads_and_depend_on_the_seed_alone() {
        let d = folder(PROCESS, LAW);
        let s = Statistics::load(&files(), d.path(), &["dev_n"]).unwrap_or_else(|e| panic!("{e}"));
        // 4000 devices of W = 2 um, L = 0.5 um (sqrt(W L) = 1 um): delvto's sigma is 7 mV.
        let mut c = devices(4000, 2e-6, 0.5e-6);
        let draw = s.draw(&mut c, 7, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draw.instances, 4000);
        let col = |name: &str| c.instances.iter().map(|i| param(i, name)).collect::<Vec<_>>();
        // Standard error of a sample sd over 4000 draws: 1.1 %; of a mean: 1.6 % of sigma.
        for (name, mean, sd) in
            [("mc_delvto", 0.0, 0.007), ("mc_factuo", 1.0, 0.005), ("mc_dw", 0.0, 3e-9), ("mc_dl", 0.0, 2e-9)]
        {
            let (m, s) = mean_sd(&col(name));
            assert!((m - mean).abs() < 0.06 * sd, "{name}: mean {m}");
            assert!((s / sd - 1.0).abs() < 0.05, "{name}: sd {s} against {sd}");
        }
        // Pelgrom: a device 4 times the area has half the sigma; m multiplies the area.
        let mut big = devices(4000, 2e-6, 0.5e-6);
        for i in &mut big.instances {
            i.params.push(Param::new("m", Value::Num(4.0)));
        }
        s.draw(&mut big, 8, &[]).unwrap_or_else(|e| panic!("{e}"));
        let (_, sd) = mean_sd(&big.instances.iter().map(|i| param(i, "mc_delvto")).collect::<Vec<_>>());
        assert!((sd / 0.0035 - 1.0).abs() < 0.05, "{sd}");
        // The process parameters over 4000 seeds.
        let p: Vec<f64> = (0..4000)
            .map(|k| s.draw(&mut Circuit::default(), k, &[]).map(|d| d.parameters[1].1))
            .collect::<Result<_>>()
            .unwrap_or_else(|e| panic!("{e}"));
        let (m, sd) = mean_sd(&p);
        assert!(
            (m / 1.078 - 1.0).abs() < 1e-3 && (sd / (1.078 * 0.0335 / 2.0) - 1.0).abs() < 0.05,
            "{m} {sd}"
        );
        // The same seed draws the same values; another seed others.
        let again = |seed| {
            let mut c = devices(3, 1e-6, 1e-6);
            let d = s.draw(&mut c, seed, &[]).unwrap_or_else(|e| panic!("{e}"));
            (c, d)
        };
        assert_eq!(again(3), again(3));
        assert_ne!(again(3).0, again(4).0);
        // A variable two parameters read is drawn once, as ngspice evaluates it once.
        let shared = folder(&format!("{PROCESS}.param p_nmos_other = mc_p_nmos_mueo\n"), LAW);
        let st = Statistics::load(&files(), shared.path(), &["dev_n"]).unwrap_or_else(|e| panic!("{e}"));
        let d = st.draw(&mut Circuit::default(), 5, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.parameters[1].1, d.parameters[2].1, "{:?}", d.parameters);
        assert_ne!(d.parameters[0].1, d.parameters[1].1);
        // An instance with mm_ok = 0 draws no mismatch (IHP's law: sigma 0).
        let mut off = devices(2, 1e-6, 1e-6);
        off.instances[0].params.push(Param::new("mm_ok", Value::Num(0.0)));
        let d = s.draw(&mut off, 1, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.instances, 1);
        assert!(off.instances[0].params.iter().all(|p| !p.name.starts_with("mc_")));
        // Drawn twice is refused.
        let mut c = devices(1, 1e-6, 1e-6);
        s.draw(&mut c, 1, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.draw(&mut c, 1, &[]).is_err_and(|e| e.to_string().contains("drawn twice")));
    }

    #[test]
    fn what_atscale_does_not_draw_as_the_pdk_defines_it_is_refused_with_its_line() {
        let refused = |process: &str, law: &str, want: &str| {
            let d = folder(process, law);
            let e = Statistics::load(&files(), d.path(), &["dev_n"]).expect_err(want).to_string();
            assert!(e.contains(want), "{e}\nwanted: {want}");
        };
        // IHP's lv PMOS muew line lacks a comma: two arguments.
        let comma = PROCESS.replace("0.0335, num_sigmas", "0.0335  num_sigmas");
        refused(
            &comma,
            LAW,
            "stat.lib:4: `'gauss(p_nmos_mueo_norm, 0.0335  num_sigmas)'`: gauss() takes three",
        );
        refused(
            &PROCESS.replace("p_nmos_mueo_norm", "p_nmos_other_norm"),
            LAW,
            "stat.lib:4: `p_nmos_other_norm` has no nominal",
        );
        refused(&format!("{PROCESS}.lib x\n"), LAW, "stat.lib:7: `.lib x` is not a `.param` line");
        refused(
            &format!("{PROCESS}.parameters q=1\n"),
            LAW,
            "stat.lib:7: `.parameters q=1` is not a `.param` line",
        );
        refused(&format!("{PROCESS}+ q=1\n"), LAW, "stat.lib:7: `+ q=1` is not a `.param` line");
        for sig in ["0", "-1", "inf", "nan"] {
            let p = PROCESS.replace("num_sigmas=2", &format!("num_sigmas={sig}"));
            refused(&p, LAW, "stat.lib:3: `'gauss(p_nmos_vfbo_norm, 0.004, num_sigmas)'`: a spread of");
        }
        refused(
            &format!("{PROCESS}.param q = agauss(1, 2, 3)\n"),
            LAW,
            "stat.lib:7: `.param q = agauss(1, 2, 3)`",
        );
        // A law other than IHP's: another sigma, a Gaussian on another parameter, a missing one.
        refused(PROCESS, &LAW.replace("sqrt(m*l*w*1e12)", "sqrt(l*w*1e12)"), "law.lib:8: `+ delvto=");
        refused(PROCESS, &LAW.replace("+ nf='ng' mult='m'", "+ toxo='agauss(1, 0.01, 1)'"), "law.lib:7:");
        refused(
            PROCESS,
            &LAW.replace("+ l='agauss(l, p_nmos_dl_mm, (mm_ok != 1 ? 0 : 1))'\n", ""),
            "lacks one of",
        );
        refused(PROCESS, &LAW.replace("p_nmos_dl_mm", "q_nmos_dl_mm"), "law names two models");
        refused(PROCESS, &LAW.replace("dev_n", "dev_p"), "no mismatch law for subcircuit dev_n");
        let d = folder(PROCESS, LAW);
        std::fs::write(d.path().join("mm.lib"), MISMATCH.replace(".param p_nmos_dl_mm = 2e-9\n", ""))
            .expect("write");
        let e = Statistics::load(&files(), d.path(), &["dev_n"]).expect_err("no dl").to_string();
        assert!(e.contains("no `.param p_nmos_dl_mm`"), "{e}");
        std::fs::write(d.path().join("corner.lib"), "section mos_tt\nendsection\n").expect("write");
        let e = Statistics::load(&files(), d.path(), &["dev_n"]).expect_err("no section").to_string();
        assert!(e.contains("corner.lib: no section mos_tt_stat"), "{e}");
    }
}
