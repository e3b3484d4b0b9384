//! One block per design element: the membrane capacitor, the linearised
//! leak, tanh conductances, follower-integrators, bias currents, the cubic
//! and the recovery branch, each with its report and its behavioural model.

use atscale_circuit::expr::Expr;
use atscale_circuit::units::si;
use atscale_circuit::{Element, ElementKind, MemristiveLaw, Relaxation, ResistiveLaw, Waveform};

use super::builder::{el, Builder};
use super::mapping::{
    cubic_weights, follower_weights, pair_expr, BiasSource, Biased, Followers, Role, CUBIC_OFFSETS,
    FOLLOWER_OFFSETS, LEAK_OFFSETS, TRIM_SOURCE,
};
use super::tech::Region;
use crate::error::{Error, Result};
use crate::spec::Design;

pub(super) fn unsupported(e: &Element<f64>, reason: &str) -> Error {
    Error::Unrealisable { element: e.name.clone(), reason: reason.into() }
}

/// `sum_j (c_j / unit) f(x - d_j)` as an expression, `f` the pair characteristic.
fn sum_expr(region: Region, terms: &[(f64, f64)], unit: f64, x: &str) -> Expr {
    terms
        .iter()
        .map(|&(c, d)| Expr::Num(c / unit) * pair_expr(region, Expr::v(x.to_string()) - Expr::Num(d)))
        .reduce(|a, b| a + b)
        .unwrap_or(Expr::Num(0.0))
}

fn rounded(xs: impl IntoIterator<Item = f64>) -> Vec<f64> {
    xs.into_iter().map(|x| (x * 1e4).round() / 1e4).collect()
}

/// The FitzHugh-Nagumo recovery branch of a design: an inductor from the
/// membrane through a resistor to a DC source to ground (or through the
/// resistor to ground).
#[derive(Debug, Clone)]
pub(super) struct Recovery {
    /// The inductor's name.
    pub inductor: String,
    /// Inductance, model units.
    pub l: f64,
    /// Initial branch current, model units.
    pub i0: f64,
    /// Series resistance, model units.
    pub r: f64,
    /// The DC source's voltage (0 without one), model units.
    pub vb: f64,
    /// The design elements the branch consists of.
    pub consumed: Vec<String>,
}

impl Recovery {
    /// Finds the recovery branch of `design`, if it has one.
    pub fn of(design: &Design) -> Option<Recovery> {
        let els = &design.mother.elements;
        let m = design.membrane.as_str();
        els.iter().find_map(|e| {
            let ElementKind::Inductor { p, n: mid, l_henry, ic_amp } = &e.kind else { return None };
            if p != m {
                return None;
            }
            let (rname, r, far) = els.iter().find_map(|x| match &x.kind {
                ElementKind::Resistor { p, n, r_ohm } if p == mid => {
                    Some((x.name.clone(), *r_ohm, n.clone()))
                }
                ElementKind::Resistor { p, n, r_ohm } if n == mid => {
                    Some((x.name.clone(), *r_ohm, p.clone()))
                }
                _ => None,
            })?;
            let mut consumed = vec![e.name.clone(), rname];
            let vb = if far == "0" {
                0.0
            } else {
                let (vname, v) = els.iter().find_map(|x| match &x.kind {
                    ElementKind::VoltageSource { p, n, waveform: Waveform::Dc { value }, .. }
                        if *p == far && n == "0" =>
                    {
                        Some((x.name.clone(), *value))
                    }
                    _ => None,
                })?;
                consumed.push(vname);
                v
            };
            let (l, i0) = (*l_henry, ic_amp.unwrap_or(0.0));
            Some(Recovery { inductor: e.name.clone(), l, i0, r, vb, consumed })
        })
    }
}

/// A follower-integrator as placed.
struct Follower {
    /// What it is, for the report.
    block: String,
    /// Its current into the state node in the ideal model (unit capacitor,
    /// model units).
    into_x: Expr,
    /// State capacitance, F.
    c_x: f64,
    /// Bias, A.
    i_f: f64,
}

impl Builder<'_> {
    /// Realises one element of the design between the membrane and ground
    /// (the recovery branch's elements are realised by [`Builder::recovery`]).
    pub fn element(&mut self, e: &Element<f64>) -> Result<()> {
        let m = self.membrane.clone();
        let on = |p: &str, n: &str| p == m && n == "0";
        match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, ic_volt } if on(p, n) => {
                self.membrane_capacitor(e, *c_farad, ic_volt.unwrap_or(0.0))
            }
            ElementKind::Resistor { p, n, r_ohm } if on(p, n) => self.leak(e, *r_ohm),
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Tanh { alpha, delta, w } } if on(p, n) => {
                self.tanh_conductance(e, *alpha, *delta, *w)
            }
            ElementKind::Memristive { p, n, states, law: MemristiveLaw::Tanh { state, alpha, delta } }
                if on(p, n) && states.len() == 1 && *state == 0 =>
            {
                let Relaxation::Linear { tau_s, x0 } = &states[0] else {
                    return Err(unsupported(e, "only a linear relaxation maps to a follower-integrator"));
                };
                self.memristive(e, *tau_s, *x0, *alpha, *delta)
            }
            ElementKind::CurrentSource { p, n, waveform: Waveform::Dc { value }, .. }
                if (p == "0" && *n == m) || (*p == m && n == "0") =>
            {
                self.bias_current(e, p == "0", *value)
            }
            ElementKind::NonlinearResistor { p, n, law: ResistiveLaw::Cubic { a, b } } if on(p, n) => {
                self.cubic(e, *a, *b)
            }
            _ => Err(unsupported(
                e,
                "supported: membrane capacitor, linear leak, tanh conductance elements, tanh memristive \
                 elements over one linear relaxation and DC bias currents, all between the membrane and ground",
            )),
        }
    }

    fn membrane_capacitor(&mut self, e: &Element<f64>, c_farad: f64, v0: f64) -> Result<()> {
        let name = e.name.as_str();
        let (membrane, c) = (self.membrane.clone(), c_farad * self.scales.c0_farad);
        self.capacitor(format!("C{name}"), &membrane, c, name, Role::MembraneCapacitor)?;
        self.ic.push((membrane, self.scales.v_ref_v + self.scales.s_volt * v0));
        self.block(name, "capacitor".into(), format!("membrane capacitance {} (C0 x {c_farad})", si(c, "F")));
        self.ideal.push(e.clone());
        Ok(())
    }

    /// A linear leak: nine amplifiers whose currents sum to a line (multi-tanh linearisation).
    fn leak(&mut self, e: &Element<f64>, r_ohm: f64) -> Result<()> {
        let name = e.name.as_str();
        let (g, k, s) = (1.0 / r_ohm, self.scales.current_a, self.scales.s_volt);
        let (region, membrane) = (self.tech.region, self.membrane.clone());
        let w = self.leak_weights()?;
        let mut terms = Vec::new();
        for (j, (&delta, &wj)) in LEAK_OFFSETS.iter().zip(&w).enumerate() {
            if wj <= 0.0 {
                return Err(unsupported(e, "the leak linearisation needs positive weights"));
            }
            let r = self.reference(delta);
            // Sinks g w_j k f(v - delta_j).
            self.ta(&format!("{name}{j}"), name, &r, &membrane, &membrane, g * wj * k)?;
            terms.push(Expr::Num(g * wj) * pair_expr(region, Expr::v(membrane.clone()) - Expr::Num(delta)));
        }
        self.block(
            name,
            format!(
                "{} transconductance amplifiers in parallel (multi-tanh linearised leak)",
                LEAK_OFFSETS.len()
            ),
            format!(
                "leak conductance {} over |v| <= {} (offsets {LEAK_OFFSETS:?} model V, weights {:?})",
                si(g * k / s, "S"),
                si(3.0 * s, "V"),
                rounded(w.iter().copied())
            ),
        );
        if let Some(expr) = terms.into_iter().reduce(|a, b| a + b) {
            self.ideal_current(format!("B{name}"), &membrane, "0", expr);
        }
        Ok(())
    }

    /// A tanh conductance element: one amplifier between the membrane and an offset reference.
    fn tanh_conductance(&mut self, e: &Element<f64>, alpha: f64, delta: f64, w: f64) -> Result<()> {
        if (w - 1.0).abs() > 1e-9 {
            return Err(unsupported(
                e,
                "a tanh law of width other than 1 model volt (a pair's width is fixed)",
            ));
        }
        let name = e.name.as_str();
        let (k, s, membrane) = (self.scales.current_a, self.scales.s_volt, self.membrane.clone());
        let r = self.reference(delta);
        let ib = alpha.abs() * k;
        // Current out of the membrane is alpha tanh(v - delta).
        if alpha < 0.0 {
            self.ta(name, name, &membrane, &r, &membrane, ib)?;
        } else {
            self.ta(name, name, &r, &membrane, &membrane, ib)?;
        }
        self.block(
            name,
            "transconductance amplifier".into(),
            format!(
                "i = {} tanh((v - {})/{}) out of the membrane (gain {alpha} x {}, bias {})",
                si(alpha * k, "A"),
                si(s * delta, "V"),
                si(s, "V"),
                si(k, "A"),
                si(ib, "A")
            ),
        );
        let expr =
            Expr::Num(alpha) * pair_expr(self.tech.region, Expr::v(membrane.clone()) - Expr::Num(delta));
        self.ideal_current(format!("B{name}"), &membrane, "0", expr);
        Ok(())
    }

    /// A tanh memristive element over one linear relaxation: a
    /// follower-integrator holds the state, an amplifier draws the current.
    fn memristive(&mut self, e: &Element<f64>, tau_s: f64, x0: f64, alpha: f64, delta: f64) -> Result<()> {
        let name = e.name.as_str();
        let (k, s, membrane) = (self.scales.current_a, self.scales.s_volt, self.membrane.clone());
        let x = format!("{name}_x");
        let Follower { block, into_x, c_x, i_f } = self.follower(name, tau_s, &x)?;
        self.ic.push((x.clone(), self.scales.v_ref_v + s * x0));
        let offset = self.follower_offset(name);
        let r = self.reference(delta + offset);
        let ib = alpha.abs() * k;
        if alpha < 0.0 {
            self.ta(name, name, &x, &r, &membrane, ib)?;
        } else {
            self.ta(name, name, &r, &x, &membrane, ib)?;
        }
        let tau_phys = tau_s * self.scales.omega_s;
        let cancelled = if offset == 0.0 {
            String::new()
        } else {
            format!("; the reference moved by {}, the follower's measured offset x - v", si(s * offset, "V"))
        };
        self.block(
            name,
            format!("{block} and transconductance amplifier"),
            format!(
                "tau = s C / I_f = {} x {} / {} = {} (model {tau_s}); i = {} tanh((x - {})/{}) (bias \
                 {}){cancelled}",
                si(s, "V"),
                si(c_x, "F"),
                si(i_f, "A"),
                si(tau_phys, "s"),
                si(alpha * k, "A"),
                si(s * delta, "V"),
                si(s, "V"),
                si(ib, "A")
            ),
        );
        self.ideal_follower(name, into_x, x0, alpha, delta);
        Ok(())
    }

    /// The offset of `name`'s follower to cancel in its output pair's
    /// reference ([`super::Options::follower_offsets`]), model units; 0
    /// unless given and the follower is linearised (an offset for any other
    /// follower is refused when the realisation is finished).
    fn follower_offset(&mut self, name: &str) -> f64 {
        let linearised = self.tech.region == Region::Subthreshold && self.followers == Followers::Linearised;
        match self.follower_offsets.iter().find(|(e, _)| e == name) {
            Some(&(_, o)) if linearised => {
                self.offsets_used.push(name.to_string());
                o
            }
            _ => 0.0,
        }
    }

    /// The follower-integrator of state node `x` with time constant `tau_s`
    /// model units: below threshold linearised ([`Followers::Linearised`])
    /// or a wide-linear-range follower of three offset pairs
    /// ([`Followers::OffsetPairs`]); above threshold one pair (its square
    /// law gives no clean offset by sizing), which slews.
    fn follower(&mut self, name: &str, tau_s: f64, x: &str) -> Result<Follower> {
        let (k, s, membrane) = (self.scales.current_a, self.scales.s_volt, self.membrane.clone());
        let (region, tau_phys) = (self.tech.region, tau_s * self.scales.omega_s);
        let lim = &self.tech.limits;
        // Follower-integrator: tau = s C / I_f. The capacitor is chosen
        // for I_f = max(I_unit / 10, 10 bias_min_a), within the
        // capacitance limit (then I_f is smaller).
        let i_target = (k / 10.0).max(10.0 * lim.bias_min_a);
        let c_x = (tau_phys * i_target / s).min(lim.capacitance_max_f);
        let i_f = s * c_x / tau_phys;
        let (block, into_x) = match (region, self.followers) {
            (Region::Subthreshold, Followers::Linearised) => self.linearised_follower(name, x, tau_s, i_f)?,
            (Region::Subthreshold, Followers::OffsetPairs) => {
                self.offset_pair_follower(name, x, tau_s, i_f)?
            }
            (Region::AboveThreshold, _) => {
                self.ta(&format!("{name}f"), name, &membrane, x, x, i_f)?;
                let u = Expr::v(membrane.clone()) - Expr::v(x.to_string());
                (
                    "follower-integrator (amplifier + capacitor)".to_string(),
                    Expr::Num(1.0 / tau_s) * pair_expr(region, u),
                )
            }
        };
        self.capacitor(format!("C{name}"), x, c_x, name, Role::StateCapacitor)?;
        Ok(Follower { block, into_x, c_x, i_f })
    }

    /// A linearised follower ([`Followers::Linearised`]) into state node
    /// `x` with bias `i_f`: what it is and its current into `x` in the
    /// ideal model.
    fn linearised_follower(&mut self, name: &str, x: &str, tau_s: f64, i_f: f64) -> Result<(String, Expr)> {
        let (region, membrane) = (self.tech.region, self.membrane.clone());
        if !self.amplifier.symmetric() {
            return Err(Error::Unrealisable {
                element: name.into(),
                reason: format!(
                    "linearised followers need the symmetric amplifiers (`symmetric` or \
                     `self-cascoded`), not `{}`: their lin(v) pairs compare the membrane with fixed \
                     references, and in a five-transistor amplifier the reference device drains into \
                     the state node, which leaves it out of saturation when the state sits below the \
                     reference (or take `--followers offset-pairs`)",
                    self.amplifier.name()
                ),
            });
        }
        self.linearised_followers = true;
        let w = self.leak_weights()?;
        let mut terms = Vec::new();
        for (j, (&d, &wj)) in LEAK_OFFSETS.iter().zip(&w).enumerate() {
            let r = self.reference(d);
            // Sources i_f w_j f(v - d_j) into x and sinks i_f w_j f(x - d_j).
            self.ta(&format!("{name}fi{j}"), name, &membrane, &r, x, i_f * wj)?;
            self.ta(&format!("{name}fo{j}"), name, &r, x, x, i_f * wj)?;
            terms.push((wj, d));
        }
        let into_x = sum_expr(region, &terms, tau_s, &membrane) - sum_expr(region, &terms, tau_s, x);
        let block = format!(
            "linearised follower-integrator ({} amplifiers: the leak's nine pairs at offsets \
             {LEAK_OFFSETS:?} model V, weights {:?}, lin(v) into the state capacitor and lin(x) out of \
             it; v - x within 1.2e-3 model units for |v|, |x| <= 3 model V)",
            2 * terms.len(),
            rounded(w.iter().copied())
        );
        Ok((block, into_x))
    }

    /// A wide-linear-range follower of three offset pairs
    /// ([`Followers::OffsetPairs`]) into state node `x` with bias `i_f`:
    /// what it is and its current into `x` in the ideal model.
    fn offset_pair_follower(&mut self, name: &str, x: &str, tau_s: f64, i_f: f64) -> Result<(String, Expr)> {
        let (region, membrane) = (self.tech.region, self.membrane.clone());
        let fw = follower_weights()?;
        let mut terms = Vec::new();
        for (j, (&d, &wj)) in FOLLOWER_OFFSETS.iter().zip(&fw).enumerate() {
            let realised = self.ta_offset(&format!("{name}f{j}"), name, &membrane, x, x, i_f * wj, d)?;
            terms.push((wj, realised));
        }
        let into_x = terms
            .iter()
            .map(|&(wj, dj)| {
                let u = Expr::v(membrane.clone()) - Expr::v(x.to_string()) - Expr::Num(dj);
                Expr::Num(wj / tau_s) * pair_expr(region, u)
            })
            .reduce(|a, b| a + b)
            .unwrap_or(Expr::Num(0.0));
        let block = format!(
            "wide-linear-range follower-integrator ({} amplifiers with built-in offsets {:?} model V, \
             weights {:?}; slope 1 at v = x, bending from v - x by up to 0.56 model units over \
             |v - x| <= 3 model V)",
            terms.len(),
            rounded(terms.iter().map(|f| f.1)),
            rounded(terms.iter().map(|f| f.0))
        );
        Ok((block, into_x))
    }

    /// The ideal model of a memristive element: a state node with a unit
    /// capacitor, the follower's current `into_x` into it and the
    /// element's current out of the membrane.
    fn ideal_follower(&mut self, name: &str, into_x: Expr, x0: f64, alpha: f64, delta: f64) {
        let (region, membrane, x) = (self.tech.region, self.membrane.clone(), format!("{name}_x"));
        self.ideal.push(el(
            format!("C{name}_x"),
            ElementKind::Capacitor { p: x.clone(), n: "0".into(), c_farad: 1.0, ic_volt: Some(x0) },
        ));
        self.ideal_current(format!("B{name}_f"), "0", &x, into_x);
        let expr = Expr::Num(alpha) * pair_expr(region, Expr::v(x) - Expr::Num(delta));
        self.ideal_current(format!("B{name}"), &membrane, "0", expr);
    }

    /// A DC bias current `value` model units into the membrane (`into`) or
    /// out of it: an ideal source or a mirror transistor.
    fn bias_current(&mut self, e: &Element<f64>, into_membrane: bool, value: f64) -> Result<()> {
        let name = e.name.as_str();
        let k = self.scales.current_a;
        let i = value * k;
        // An ideal source of the design's sign (the technology limits apply to its size).
        self.check_bias(&format!("I{name}"), i.abs())?;
        let into = if into_membrane { i } else { -i };
        let realises = format!("bias {} ({value} x {})", si(i, "A"), si(k, "A"));
        if self.bias == BiasSource::Mirrors && into != 0.0 {
            // Into the membrane: a PMOS source from vdd; out of it: an NMOS sink.
            let drain = self.membrane.clone();
            self.pending_mirror(format!("M{name}_b"), name, Biased::Membrane, drain, into > 0.0, into.abs());
            self.block(name, "current mirror".into(), realises);
        } else {
            let membrane = self.membrane.clone();
            let (p, n) = if into_membrane { ("0", membrane.as_str()) } else { (membrane.as_str(), "0") };
            let role = Role::Bias { of: Biased::Membrane, source: BiasSource::Ideal };
            self.current_source(format!("I{name}"), p, n, i, name, role);
            self.block(name, "current source".into(), realises);
        }
        self.ideal.push(e.clone());
        Ok(())
    }

    /// The FitzHugh-Nagumo cubic `a v^3 - b v`: a signed multi-tanh fit (below threshold).
    fn cubic(&mut self, e: &Element<f64>, a: f64, b: f64) -> Result<()> {
        let region = self.tech.region;
        if region != Region::Subthreshold {
            return Err(unsupported(e, "the cubic is realised below threshold only (a tanh fit)"));
        }
        let name = e.name.as_str();
        let (k, s, membrane) = (self.scales.current_a, self.scales.s_volt, self.membrane.clone());
        // Current out of the membrane a v^3 - b v = sum_j w_j tanh(v - d_j).
        let cw = cubic_weights(a, b)?;
        let coefs: Vec<f64> = cw.iter().map(|w| -k * w).collect();
        let terms = self.multi_tanh(name, name, &membrane, 0.0, &membrane, &coefs, &CUBIC_OFFSETS)?;
        self.block(
            name,
            format!("{} transconductance amplifiers, signed multi-tanh fit of the cubic", terms.len()),
            format!(
                "i = {} ({a} v^3 - {b} v) out of the membrane over |v| <= {} (offsets {CUBIC_OFFSETS:?} \
                 model V, weights {:?})",
                si(k, "A"),
                si(2.5 * s, "V"),
                rounded(cw.iter().copied())
            ),
        );
        let neg: Vec<(f64, f64)> = terms.iter().map(|&(c, d)| (-c, d)).collect();
        self.ideal_current(format!("B{name}"), &membrane, "0", sum_expr(region, &neg, k, &membrane));
        Ok(())
    }

    /// The recovery branch `L dy/dt = v - R y - V_b`, `y` the branch current
    /// (model units), below threshold: `tau dy/dt = lin(v - V_b) / R - lin(y)`,
    /// `tau = L / R`, and the branch draws `lin(y)` from the membrane; `lin`
    /// is the nine-pair linearised transconductor.
    pub fn recovery(&mut self, e: &Element<f64>, rec: &Recovery) -> Result<()> {
        let region = self.tech.region;
        if region != Region::Subthreshold {
            return Err(unsupported(e, "the recovery branch is realised below threshold only"));
        }
        if !(rec.r > 0.0 && rec.l > 0.0) {
            return Err(unsupported(e, "the recovery branch needs a positive inductance and resistance"));
        }
        let w = self.leak_weights()?;
        let (k, s, membrane) = (self.scales.current_a, self.scales.s_volt, self.membrane.clone());
        let lname = rec.inductor.as_str();
        let tau = rec.l / rec.r;
        let tau_phys = tau * self.scales.omega_s;
        let lim = &self.tech.limits;
        // I_f = the unit current (not a tenth, as for the followers):
        // the eighteen amplifiers on the state node add their
        // parasitic capacitance to it, which at 1.56 pF (I_f = I_unit
        // / 10) slowed the FitzHugh-Nagumo spiker by 19 %.
        let i_target = k.max(10.0 * lim.bias_min_a);
        let c_y = (tau_phys * i_target / s).min(lim.capacitance_max_f);
        let g = s * c_y / tau_phys;
        let y = format!("{lname}_y");
        let scaled = |c: f64| -> Vec<f64> { w.iter().map(|wj| c * wj).collect() };
        let t_in = self.multi_tanh(
            &format!("{lname}i"),
            lname,
            &membrane,
            rec.vb,
            &y,
            &scaled(g / rec.r),
            &LEAK_OFFSETS,
        )?;
        let t_out = self.multi_tanh(&format!("{lname}o"), lname, &y, 0.0, &y, &scaled(-g), &LEAK_OFFSETS)?;
        let t_mem =
            self.multi_tanh(&format!("{lname}m"), lname, &y, 0.0, &membrane, &scaled(-k), &LEAK_OFFSETS)?;
        self.capacitor(format!("C{lname}"), &y, c_y, lname, Role::RecoveryStateCapacitor)?;
        self.ic.push((y.clone(), self.scales.v_ref_v + s * rec.i0));
        let (l, r, vb) = (rec.l, rec.r, rec.vb);
        self.blocks.push(super::mapping::BlockReport {
            element: rec.consumed.join(" + "),
            block: format!(
                "recovery branch: state capacitor and three nine-amplifier linearised transconductors \
                 ({} amplifiers)",
                t_in.len() + t_out.len() + t_mem.len()
            ),
            realises: format!(
                "L dy/dt = v - R y - V_b (L {l}, R {r}, V_b {vb} model units): tau = L/R = {} with {} \
                 and {}; branch current {} per model unit",
                si(tau_phys, "s"),
                si(c_y, "F"),
                si(g, "A"),
                si(k, "A")
            ),
        });
        self.ideal.push(el(
            format!("C{y}"),
            ElementKind::Capacitor { p: y.clone(), n: "0".into(), c_farad: 1.0, ic_volt: Some(rec.i0) },
        ));
        let into_y = sum_expr(region, &t_in, g * tau, &membrane) + sum_expr(region, &t_out, g * tau, &y);
        self.ideal_current(format!("B{y}"), "0", &y, into_y);
        self.ideal_current(format!("B{lname}"), "0", &membrane, sum_expr(region, &t_mem, k, &y));
        Ok(())
    }

    /// The membrane trim: an ideal source of `i` into the membrane (none for 0).
    pub fn trim(&mut self, i: f64) {
        if i == 0.0 {
            return;
        }
        let membrane = self.membrane.clone();
        self.current_source(TRIM_SOURCE.into(), "0", &membrane, i, "trim", Role::Trim);
        self.block(
            "trim",
            "current source".into(),
            format!(
                "{} into the membrane: the transistor circuit's static current error at the design's knee, \
                 cancelled",
                si(i, "A")
            ),
        );
    }
}
