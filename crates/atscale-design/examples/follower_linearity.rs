//! Where the burster's ideal model departs from its design: the realised
//! followers' large-signal characteristic. Runs the ideal model of
//! `docs/examples/bursting.toml` (13 spikes per 500 ms designed; 13 per
//! 471.9 ms as realised) with its three followers' characteristic replaced:
//! linear (the design's), and multi-tanh sums of other offsets, fits and
//! input attenuations (`g`: a pair whose model volt is `g` times the
//! technology's, as a source-degenerated pair's would be), and followers of
//! pairs one model volt apart (the leak's spacing), whose offsets beyond
//! ±1.5 no length ratio builds.
//!
//! `cargo run --release -p atscale-design --example follower_linearity`

use std::error::Error;

use atscale_circuit::{ElementKind, Expr};
use atscale_design::realise::mapping::follower_weights_over;
use atscale_design::realise::{predict, realise, Options, Technology};
use atscale_design::spec::{design, Spec};

/// The follower current into `x` with time constant `tau` (model units).
fn characteristic(x: &str, tau: f64, shape: &Shape) -> Result<String, Box<dyn Error>> {
    let Some((offsets, range, g)) = shape else { return Ok(format!("(v(v) - v({x})) / {tau}")) };
    // The realisation's own fit, on its 0.05 model V grid.
    let w = follower_weights_over(offsets, (range * 20.0).round() as i32)?;
    let terms: Vec<String> = offsets
        .iter()
        .zip(&w)
        .map(|(d, wj)| format!("{} * tanh((v(v) - v({x})) / {g} - ({d}))", wj * g / tau))
        .collect();
    Ok(terms.join(" + "))
}

/// Offsets, fitted half range and attenuation; `None`: linear.
type Shape = Option<(Vec<f64>, f64, f64)>;

fn main() -> Result<(), Box<dyn Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/bursting.toml");
    let text = std::fs::read_to_string(path)?;
    let d = design(&Spec::from_toml_str(&text, "bursting.toml")?)?;
    let tech = Technology::builtin("generic-bsim4")?;
    let r = realise(&d, &tech, &Options::default())?;
    let (th, hy) = (d.event.threshold_v / d.scales.s_volt, d.event.hysteresis_v / d.scales.s_volt);
    let three = vec![-1.5, 0.0, 1.5];
    let five = vec![-3.0, -1.5, 0.0, 1.5, 3.0];
    let shapes: Vec<(&str, Shape)> = vec![
        ("linear (the design)", None),
        ("3 pairs ±1.5, fit |u| <= 3 (the realisation's fit)", Some((three.clone(), 3.0, 1.0))),
        ("3 pairs ±1.5, fit |u| <= 2.5", Some((three.clone(), 2.5, 1.0))),
        ("3 pairs ±1.5, fit |u| <= 3.5", Some((three.clone(), 3.5, 1.0))),
        ("3 pairs ±2, fit |u| <= 4", Some((vec![-2.0, 0.0, 2.0], 4.0, 1.0))),
        ("5 pairs ±1.5 ±3, fit |u| <= 4.5", Some((five, 4.5, 1.0))),
        ("3 pairs ±1.5, attenuated g = 2, fit |u/g| <= 2", Some((three.clone(), 2.0, 2.0))),
        ("3 pairs ±1.5, attenuated g = 3, fit |u/g| <= 2", Some((three.clone(), 2.0, 3.0))),
        ("3 pairs ±1.5, attenuated g = 3, fit |u/g| <= 3", Some((three.clone(), 3.0, 3.0))),
        ("3 pairs ±1.5, attenuated g = 3.5, fit |u/g| <= 3", Some((three, 3.0, 3.5))),
        ("5 pairs -2..2 step 1, fit |u| <= 3", Some((vec![-2.0, -1.0, 0.0, 1.0, 2.0], 3.0, 1.0))),
        ("7 pairs -3..3 step 1, fit |u| <= 3.5", Some(((-3..=3).map(f64::from).collect(), 3.5, 1.0))),
        ("7 pairs -3..3 step 1, fit |u| <= 4", Some(((-3..=3).map(f64::from).collect(), 4.0, 1.0))),
        ("9 pairs -4..4 step 1, fit |u| <= 4.5", Some(((-4..=4).map(f64::from).collect(), 4.5, 1.0))),
        ("9 pairs -4..4 step 1, fit |u| <= 5", Some(((-4..=4).map(f64::from).collect(), 5.0, 1.0))),
        ("11 pairs -5..5 step 1, fit |u| <= 6", Some(((-5..=5).map(f64::from).collect(), 6.0, 1.0))),
    ];
    let ms = |t: Option<f64>| t.map_or("none".to_string(), |t| format!("{:.2} ms", t * 1e3));
    let row = |name: &str, p: &atscale_design::realise::Prediction| {
        let spikes = p.spikes_per_burst.map_or("none".to_string(), |n| n.to_string());
        println!("{name} | {spikes} | {} | {}", ms(p.burst_period_s), ms(p.intra_burst_interval_s));
    };
    println!("followers' characteristic | spikes per burst | burst period | intra-burst interval");
    row("as realised (offsets on the length grid)", &predict(&r, th, hy, 25_000.0)?);
    for (name, shape) in &shapes {
        let mut m = r.clone();
        let mut replaced = 0;
        for e in &mut m.ideal_model.elements {
            let (x, tau) = match e.name.as_str() {
                "BMsp_f" => ("Msp_x", 50.0),
                "BMsn_f" => ("Msn_x", 50.0),
                "BMus_f" => ("Mus_x", 2500.0),
                _ => continue,
            };
            if let ElementKind::BehaviouralCurrent { expr, .. } = &mut e.kind {
                *expr = Expr::parse(&characteristic(x, tau, shape)?)?;
                replaced += 1;
            }
        }
        if replaced != 3 {
            return Err(format!("{replaced} followers replaced, not the burster's three").into());
        }
        row(name, &predict(&m, th, hy, 25_000.0)?);
    }
    Ok(())
}
