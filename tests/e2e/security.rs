//! Hostile input: no netlist, included file, init file or environment
//! variable makes ngspice run a command unless `--allow-control` is given.
//!
//! Every route plants a `shell touch MARKER` and checks that the marker never
//! appears; a positive control shows each planted route is live (ngspice run
//! by hand, or atscale with `--allow-control`, does create the marker).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RC: &str = "rc\nC1 a 0 1e-6 IC=1\nR1 a 0 1000\n.tran 5e-6 0.002 0 5e-6 uic\n";

/// Runs atscale from `cwd` with extra environment variables.
fn atscale_in(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atscale"));
    c.args(args).current_dir(cwd);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the atscale binary runs")
}

fn shell(marker: &Path) -> String {
    format!("shell touch {}", marker.display())
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A netlist route: the deck is refused by `verify` and `sim --engine ngspice`
/// (exit 2, the route named) and the marker never appears; with
/// `--allow-control` ngspice runs it.
fn refused(dir: &Path, name: &str, netlist: &str, marker: &Path, files: &[(&str, String)]) {
    for (f, body) in files {
        std::fs::write(dir.join(f), body).expect("writes");
    }
    let path = dir.join(name);
    std::fs::write(&path, netlist).expect("writes");
    let p = path.to_str().expect("UTF-8");
    for args in [vec!["verify", p, "--events", "a,0.5"], vec!["sim", p, "--engine", "ngspice"]] {
        let out = atscale_in(dir, &[], &args);
        assert_eq!(out.status.code(), Some(2), "{name}: {args:?}\n{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--allow-control"), "{name}: {err}");
        assert!(!marker.exists(), "{name}: {args:?} ran the command\n{}", text(&out));
    }
    let out = atscale_in(dir, &[], &["sim", p, "--engine", "ngspice", "--allow-control"]);
    assert!(
        marker.exists(),
        "{name}: the planted route is not live even with --allow-control\n{}",
        text(&out)
    );
    std::fs::remove_file(marker).expect("removes the marker");
}

/// A temporary folder whose path is lower case: ngspice lower-cases the
/// lines of a netlist, commands included, so a marker path in a netlist
/// must survive that.
fn lower_case_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("atscale-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    assert_eq!(d.to_str().map(str::to_lowercase).as_deref(), d.to_str(), "temp folder is not lower case");
    d
}

#[test]
fn no_netlist_route_runs_a_command_without_allow_control() {
    let dir = lower_case_dir("routes");
    let d = dir.as_path();
    let m = |n: &str| d.join(format!("marker-{n}"));
    let star = m("star");
    refused(d, "star.cir", &format!("{RC}*# {}\n.end\n", shell(&star)), &star, &[]);
    let indented = m("indented");
    refused(d, "indented.cir", &format!("{RC}\t *#{}\n.end\n", shell(&indented)), &indented, &[]);
    let ctl = m("control");
    refused(d, "ctl.cir", &format!("{RC} .CONTROL\n{}\n.endc\n.end\n", shell(&ctl)), &ctl, &[]);
    let after = m("after-end");
    refused(d, "after.cir", &format!("{RC}.end\n*# {}\n", shell(&after)), &after, &[]);
    let inc = m("include");
    refused(
        d,
        "inc.cir",
        &format!("{RC}.include parts.inc\n.end\n"),
        &inc,
        &[("parts.inc", format!("* parts\nR2 a 0 1e6\n*# {}\n", shell(&inc)))],
    );
    let lib = m("lib");
    refused(
        d,
        "lib.cir",
        &format!("{RC}.lib models.lib tt\n.end\n"),
        &lib,
        &[(
            "models.lib",
            format!("* corners\n.lib tt\nR3 a 0 1e6\n.control\n{}\n.endc\n.endl tt\n", shell(&lib)),
        )],
    );
    // A card whose second character is `#` turns into a `*#` command line
    // when ngspice comments it out: it rewrites B sources and E/G `value=`
    // sources, and drops the lines of an unused subcircuit and `;` comments.
    type Card = fn(&str) -> String;
    let hashed: [(&str, Card); 4] = [
        ("bsource", |p| format!("b#shell touch {p} i={{0}}\nR9 touch 0 1k\nR8 {p} 0 1k\n")),
        ("evalue", |p| format!("e#shell touch {p} value={{0}}\nR9 touch 0 1k\nR8 {p} 0 1k\n")),
        ("unused", |p| format!(".subckt unused x y\nr#shell touch {p} 1k\n.ends\n")),
        ("semicolon", |p| format!(";#shell touch {p}\n")),
    ];
    for (name, card) in hashed {
        let marker = m(name);
        let body = format!("{RC}{}.end\n", card(marker.to_str().expect("UTF-8")));
        refused(d, &format!("{name}.cir"), &body, &marker, &[]);
    }
    let script = m("ng-script");
    let body = format!("*ng_script\n{}\nR1 a 0 1\n.end\n", shell(&script));
    // A `.title *ng_script` turns the deck into a script once ngspice swaps the title in.
    let title = m("title");
    refused(
        d,
        "title.cir",
        &format!("{RC}.title *ng_script\n.options foo=`touch {}`\n.end\n", title.display()),
        &title,
        &[],
    );
    // ngspice drops every carriage return: `*\r#` is a command line to it.
    let cr = m("cr");
    refused(d, "cr.cir", &format!("{RC}*\r# {}\n.end\n", shell(&cr)), &cr, &[]);
    // A first line longer than ngspice's 5000-byte first-line buffer, or one
    // ngspice would act on (`.include`), is only ever a title.
    let long = m("long");
    let net =
        format!("{}*# {}\n{}", "T".repeat(4999), shell(&long), &RC[RC.find('\n').map_or(0, |i| i + 1)..]);
    let p = d.join("long.cir");
    std::fs::write(&p, format!("{net}.end\n")).expect("writes");
    let out = atscale_in(d, &[], &["sim", p.to_str().expect("UTF-8"), "--engine", "ngspice"]);
    assert!(!long.exists(), "a long title ran a command\n{}", text(&out));
    let first = m("first");
    std::fs::write(d.join("first.inc"), format!("*# {}\n", shell(&first))).expect("writes");
    let p = d.join("first.cir");
    std::fs::write(&p, format!(".include {}\n{}.end\n", d.join("first.inc").display(), &RC[3..]))
        .expect("writes");
    let out = atscale_in(d, &[], &["sim", p.to_str().expect("UTF-8"), "--engine", "ngspice"]);
    assert!(!first.exists(), "a first line `.include` ran a command\n{}", text(&out));
    let f = d.join("script.cir");
    std::fs::write(&f, &body).expect("writes");
    let out = atscale_in(d, &[], &["sim", f.to_str().expect("UTF-8"), "--engine", "ngspice"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("*ng_script"), "{}", text(&out));
    assert!(!script.exists());
    std::fs::remove_dir_all(d).expect("cleans up");
}

/// The init files and environment variables ngspice reads: a `.spiceinit`
/// in the netlist's folder, in the current folder and in `$HOME`, and a
/// `spinit` behind `SPICE_SCRIPTS` or `SPICE_LIB_DIR`.
#[test]
fn no_init_file_or_environment_route_runs_a_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let (net_dir, cwd, home, scripts, lib_dir) =
        (d.join("net"), d.join("cwd"), d.join("home"), d.join("scripts"), d.join("lib"));
    for p in [&net_dir, &cwd, &home, &scripts, &lib_dir.join("scripts")] {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    let m = |n: &str| d.join(format!("marker-{n}"));
    let planted: Vec<(PathBuf, PathBuf)> = vec![
        (net_dir.join(".spiceinit"), m("netlist-folder")),
        (cwd.join(".spiceinit"), m("current-folder")),
        (home.join(".spiceinit"), m("home")),
        (scripts.join("spinit"), m("spice-scripts")),
        (lib_dir.join("scripts/spinit"), m("spice-lib-dir")),
    ];
    for (file, marker) in &planted {
        std::fs::write(file, format!("* init\n{}\n", shell(marker))).expect("writes");
    }
    let net = net_dir.join("rc.cir");
    std::fs::write(&net, format!("{RC}.end\n")).expect("writes");
    let env: Vec<(&str, &Path)> =
        vec![("HOME", &home), ("SPICE_SCRIPTS", &scripts), ("SPICE_LIB_DIR", &lib_dir)];
    let n = net.to_str().expect("UTF-8");
    for args in
        [vec!["verify", n, "--events", "a,0.5", "--allow-control"], vec!["sim", n, "--engine", "ngspice"]]
    {
        let out = atscale_in(&cwd, &env, &args);
        assert!(out.status.success(), "{args:?}\n{}", text(&out));
        for (file, marker) in &planted {
            assert!(!marker.exists(), "{} ran through {args:?}\n{}", file.display(), text(&out));
        }
    }
    // Positive control: ngspice started the ordinary way reads every one of them.
    for (file, marker) in &planted {
        // (ngspice reads the current folder's .spiceinit instead of $HOME's: start those from `d`.)
        let (cwd_for, envs): (&Path, Vec<(&str, &Path)>) = if file.starts_with(&net_dir) {
            (&net_dir, vec![])
        } else if file.starts_with(&cwd) {
            (&cwd, vec![])
        } else if file.starts_with(&home) {
            (d, vec![("HOME", &home)])
        } else if file.starts_with(&scripts) {
            (d, vec![("SPICE_SCRIPTS", &scripts)])
        } else {
            (d, vec![("SPICE_LIB_DIR", &lib_dir)])
        };
        let mut c = Command::new("ngspice");
        c.arg("-b").arg(&net).current_dir(cwd_for);
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().expect("ngspice runs (install it with scripts/install-ngspice.sh)");
        assert!(marker.exists(), "the planted {} is not live\n{}", file.display(), text(&out));
    }
}

/// `.include` of anything but a stored netlist is refused, and the refused
/// file's contents are never shown.
#[test]
fn includes_of_devices_pipes_pseudo_files_and_non_netlists_are_refused_unseen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let secret = d.join("secret.txt");
    std::fs::write(&secret, "root:x:0:0:SECRET-LINE:/root:/bin/bash\n").expect("writes");
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs").success());
    // Text whose first line passes for a comment or an element card (a
    // `.netrc` line reads as a MOSFET) but that holds no netlist card and has
    // no netlist name: refused at the include, its contents never shown.
    let motd = d.join("motd");
    std::fs::write(&motd, "* welcome\nThe SECRET programs included with this system are free software;\n")
        .expect("writes");
    let netrc = d.join("netrc");
    std::fs::write(&netrc, "machine api.example.com login bob password SECRET-PW\n").expect("writes");
    for inc in [&motd, &netrc] {
        let net = d.join("inc-text.cir");
        std::fs::write(&net, format!("{RC}.include {}\n.end\n", inc.display())).expect("writes");
        for cmd in [vec!["summary"], vec!["sim", "--engine", "ngspice"], vec!["verify", "--events", "a,0.5"]]
        {
            let mut args = vec![cmd[0], net.to_str().expect("UTF-8")];
            args.extend(&cmd[1..]);
            let out = atscale_in(d, &[], &args);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out));
            assert!(text(&out).contains("inc-text.cir:5:"), "{}", text(&out));
            assert!(text(&out).contains("does not read as a netlist"), "{}", text(&out));
            assert!(!text(&out).contains("SECRET"), "contents shown: {}", text(&out));
        }
    }
    // The same lines under a netlist name are a netlist the user wrote.
    let named = d.join("parts.inc");
    std::fs::write(&named, "R9 a 0 1e6\n").expect("writes");
    let net = d.join("named.cir");
    std::fs::write(&net, format!("{RC}.include {}\n.end\n", named.display())).expect("writes");
    let out = atscale_in(d, &[], &["summary", net.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A first line `.include /etc/passwd` is a title, never an include.
    let p = d.join("passwd.cir");
    std::fs::write(&p, format!(".include {}\n{}.end\n", secret.display(), &RC[3..])).expect("writes");
    let out = atscale_in(d, &[], &["sim", p.to_str().expect("UTF-8"), "--engine", "ngspice"]);
    assert!(!text(&out).contains("SECRET"), "contents shown: {}", text(&out));
    for (target, why) in [
        ("/proc/self/environ", "pseudo file system"),
        ("/dev/zero", "character device"),
        (fifo.to_str().expect("UTF-8"), "FIFO"),
        (secret.to_str().expect("UTF-8"), "does not read as a netlist"),
        (d.to_str().expect("UTF-8"), "directory"),
    ] {
        let net = d.join("inc.cir");
        std::fs::write(&net, format!("{RC}.include {target}\n.end\n")).expect("writes");
        for cmd in ["summary", "sim"] {
            let out = atscale_in(
                d,
                &[("SECRET_FOR_TEST", Path::new("SECRET-ENV"))],
                &[cmd, net.to_str().expect("UTF-8")],
            );
            assert_eq!(out.status.code(), Some(2), "{target}: {}", text(&out));
            let all = text(&out);
            assert!(all.contains(why), "{target}: {all}");
            assert!(all.contains("inc.cir:5:"), "{target}: the error names the including line: {all}");
            assert!(!all.contains("SECRET"), "{target}: contents shown: {all}");
        }
    }
}

/// `--skip-control` sets `.control` blocks aside: ngspice runs the netlist
/// without any of their commands (the planted one never runs), and the
/// block's `tran` command becomes the analysis, on every engine.
#[test]
fn skip_control_runs_the_netlist_without_its_commands() {
    let dir = lower_case_dir("skip");
    let marker = dir.join("marker-skip");
    let deck = format!(
        "rc\nC1 a 0 1e-6 IC=1\nR1 a 0 1000\n.end\n.control\n{}\ntran 5e-6 0.002 0 5e-6 uic\nplot v(a)\n.endc\n",
        shell(&marker)
    );
    let path = dir.join("skip.cir");
    std::fs::write(&path, deck).expect("writes");
    let p = path.to_str().expect("UTF-8");
    for engine in ["ngspice", "native"] {
        let csv = dir.join(format!("{engine}.csv"));
        let c = csv.to_str().expect("UTF-8");
        let out =
            atscale_in(&dir, &[], &["sim", p, "--engine", engine, "--skip-control", "--probe", "a", "-o", c]);
        assert!(out.status.success(), "{engine}: {}", text(&out));
        assert!(!marker.exists(), "{engine} ran the command\n{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("set aside") && err.contains("plot"), "{engine}: {err}");
        let body = std::fs::read_to_string(&csv).expect("reads the waveform");
        let last: Vec<f64> =
            body.lines().last().expect("rows").split(',').map(|x| x.parse().expect("number")).collect();
        // v(a) = e^(-t/RC) with RC = 1 ms, at t = 2 ms: measured 2.7e-7
        // (native) and 4.1e-6 (ngspice, 5 us steps) relative; 2e-5 is a 5x
        // margin on the larger.
        let want = (-2.0f64).exp();
        assert!((last[0] - 2e-3).abs() < 1e-12, "{engine}: stop time {}", last[0]);
        assert!((last[1] - want).abs() < 2e-5 * want, "{engine}: v(a) = {}, want {want}", last[1]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
