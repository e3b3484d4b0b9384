//! The transistor-level building blocks of a realisation: sizing against the
//! technology's limits, amplifiers, references, mirrors and capacitors,
//! each recorded in the sizing report as it is placed.

use atscale_circuit::expr::Expr;
use atscale_circuit::units::si;
use atscale_circuit::{Element, ElementKind, MosInstance, Waveform};

use super::mapping::{
    mirror_geometry, mirror_unit, series_chain, string_current, string_segments, tap_voltages, Amplifier,
    BiasSource, Biased, BlockReport, DeviceKind, DeviceReport, Followers, Ladder, LadderSegment, LadderTap,
    RealisedScales, ReferenceSource, Role, StringGeometry, CASCODE_NODE_N, CASCODE_NODE_P,
    MAX_SERIES_SEGMENTS, MIRROR_REFERENCE_FINGERS, REF_CASCODE_N, REF_CASCODE_P, REF_DIODE_N, REF_DIODE_P,
    REF_NODE_N, REF_NODE_P, REF_SOURCE, SELF_CASCODE_WIDTH_RATIO,
};
use super::tech::{Region, Technology};
use crate::error::{Error, Result};

pub(super) fn el(name: String, kind: ElementKind<f64>) -> Element<f64> {
    Element { name, kind }
}

/// A transistor's size and operating point as the sizing report lists them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sized {
    pub w: f64,
    pub l: f64,
    /// Devices in parallel (bias mirrors' fingers; else 1).
    pub fingers: u32,
    /// Inversion coefficient (below threshold).
    pub inversion: Option<f64>,
    pub region: &'static str,
}

/// The ` (W/L = …)` detail of a sizing message.
fn wl(w: f64, l: f64) -> String {
    format!(" (W/L = {:.3e})", w / l)
}

/// A bias current waiting for its mirror transistor ([`Builder::finish_mirrors`]).
#[derive(Debug, Clone)]
struct PendingMirror {
    device: String,
    element: String,
    of: Biased,
    drain: String,
    pmos: bool,
    current_a: f64,
}

/// What a mirror's devices have above them ([`Builder::mirror`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MirrorStack {
    /// Nothing: a diode and an output device.
    Plain,
    /// A cascode, biased by a second diode in series with the first.
    Cascode,
    /// A wider device with the same gate (a composite, self-cascoded device).
    SelfCascode,
}

/// Where a transistor connects, drain first.
pub(super) struct Nodes<'n>(pub [&'n str; 4]);

/// The circuit, its report and its behavioural model as they are built.
pub(super) struct Builder<'a> {
    pub tech: &'a Technology,
    pub scales: RealisedScales,
    pub membrane: String,
    pub bias: BiasSource,
    pub references: ReferenceSource,
    pub els: Vec<Element<f64>>,
    pub devices: Vec<DeviceReport>,
    pub blocks: Vec<BlockReport>,
    /// The behavioural model ([`super::Realisation::ideal_model`]).
    pub ideal: Vec<Element<f64>>,
    /// Initial node voltages, V.
    pub ic: Vec<(String, f64)>,
    /// The offset references placed: key (micro model volts), node, offset (model V).
    refs: Vec<(i64, String, f64)>,
    mirrors: Vec<PendingMirror>,
    leak_weights: Option<Vec<f64>>,
    /// The amplifiers' topology ([`super::Options::amplifier`]).
    pub amplifier: Amplifier,
    /// The membrane's bias mirror cascoded ([`super::Options::cascode_membrane`]).
    pub cascode_membrane: bool,
    /// The followers' kind ([`super::Options::followers`]).
    pub followers: Followers,
    /// Whether a linearised follower was built (its run needs a shunt).
    pub linearised_followers: bool,
    /// The followers' offsets ([`super::Options::follower_offsets`]).
    pub follower_offsets: Vec<(String, f64)>,
    /// The elements whose follower offsets were applied.
    pub offsets_used: Vec<String>,
}

fn report(name: String, kind: DeviceKind, element: &str, role: Role) -> DeviceReport {
    DeviceReport {
        name,
        kind,
        element: element.into(),
        role,
        w_m: None,
        l_m: None,
        fingers: None,
        current_a: None,
        value: None,
        inversion: None,
        region: None,
    }
}

impl<'a> Builder<'a> {
    /// A builder with the supply `Vdd` and, with ideal references, the
    /// reference `Vref` (model 0 V) placed.
    pub fn new(
        tech: &'a Technology,
        scales: RealisedScales,
        membrane: String,
        (bias, references): (BiasSource, ReferenceSource),
    ) -> Self {
        let mut b = Builder {
            tech,
            scales,
            membrane,
            bias,
            references,
            els: Vec::new(),
            devices: Vec::new(),
            blocks: Vec::new(),
            ideal: Vec::new(),
            ic: Vec::new(),
            refs: Vec::new(),
            mirrors: Vec::new(),
            leak_weights: None,
            amplifier: Amplifier::FiveTransistor,
            cascode_membrane: false,
            followers: Followers::OffsetPairs,
            linearised_followers: false,
            follower_offsets: Vec::new(),
            offsets_used: Vec::new(),
        };
        b.els.push(dc_voltage("Vdd", "vdd", tech.supply_v));
        if references == ReferenceSource::Ideal {
            b.els.push(dc_voltage("Vref", "vref", scales.v_ref_v));
        }
        b
    }

    /// The leak linearisation's weights of the technology's region (fitted once).
    pub fn leak_weights(&mut self) -> Result<Vec<f64>> {
        if let Some(w) = &self.leak_weights {
            return Ok(w.clone());
        }
        let w = super::mapping::leak_weights(self.tech.region)?;
        self.leak_weights = Some(w.clone());
        Ok(w)
    }

    pub fn block(&mut self, element: &str, block: String, realises: String) {
        self.blocks.push(BlockReport { element: element.into(), block, realises });
    }

    /// Checks a bias current of a device of one square (an ideal source, the
    /// mirrors' reference) against both limits.
    pub fn check_bias(&self, device: &str, i: f64) -> Result<()> {
        let l = &self.tech.limits;
        if i < l.bias_min_a {
            let fix = "raise the design's capacitance or rate (currents scale as C0 / omega)";
            return Err(Self::bias_error(device, i, ("limits.bias_min_a", l.bias_min_a, "below"), fix));
        }
        self.check_bias_max(device, i)
    }

    /// Checks a bias current against `limits.bias_max_a`.
    pub fn check_bias_max(&self, device: &str, i: f64) -> Result<()> {
        let l = &self.tech.limits;
        if i > l.bias_max_a {
            let fix = "lower the design's capacitance or rate";
            return Err(Self::bias_error(device, i, ("limits.bias_max_a", l.bias_max_a, "above"), fix));
        }
        Ok(())
    }

    fn bias_error(
        device: &str,
        i: f64,
        (limit, bound, relation): (&'static str, f64, &str),
        fix: &str,
    ) -> Error {
        Error::Limit {
            device: device.into(),
            limit,
            message: format!(
                "bias current {} is {relation} the technology's {limit} = {}; {fix}",
                si(i, "A"),
                si(bound, "A")
            ),
        }
    }

    fn snap(&self, x: f64) -> f64 {
        self.tech.sizing.on_grid(x, f64::ceil)
    }

    fn snap_down(&self, x: f64) -> f64 {
        self.tech.sizing.on_grid(x, f64::floor)
    }

    /// The largest `W/L` of a device carrying `id` at balance: one square
    /// down to `limits.bias_min_a` (ten times a square's current at `V_GS =
    /// 0`), below it `id / bias_min_a`, so that the device's current at
    /// `V_GS = 0`, which a diode-connected device cannot go below, stays a
    /// tenth of its current.
    pub fn leak_ratio(&self, id: f64) -> f64 {
        (id / self.tech.limits.bias_min_a).min(1.0)
    }

    /// The `W/L` a transistor carrying `id` at balance needs. Below threshold it is at least `I_D / (IC_max I_spec)` and else
    /// `ratio` (one square, or less for a device carrying less than
    /// `limits.bias_min_a`: [`Builder::leak_ratio`]).
    fn aspect_ratio(&self, name: &str, pmos: bool, id: f64, ratio: f64) -> Result<f64> {
        match (self.tech.region, self.tech.subthreshold, self.tech.above_threshold) {
            (Region::Subthreshold, Some(s), _) => {
                let ispec = if pmos { s.specific_current_p_a } else { s.specific_current_n_a };
                Ok((id / (self.tech.limits.inversion_max * ispec)).max(ratio))
            }
            (_, _, Some(a)) => {
                let kp = if pmos { a.kp_p_a_per_v2 } else { a.kp_n_a_per_v2 };
                Ok(2.0 * id / (kp * a.overdrive_v * a.overdrive_v))
            }
            _ => Err(Error::Unrealisable {
                element: name.into(),
                reason: "the technology gives no parameters for its region".into(),
            }),
        }
    }

    /// Sizes a transistor carrying `id` at balance (its `W/L` at most
    /// [`Builder::leak_ratio`] below threshold): `sizing.l_m` long and wide
    /// enough, and for a `W/L` below one square longer (up to
    /// `sizing.l_max_m`, then narrower), or with `narrow` (the short device
    /// of an offset pair, whose partner is a multiple of its length)
    /// narrower and then longer. Devices a few hundred nm wide slow the
    /// simulators (GF180: a burster's run 4x), hence longer first.
    pub fn size(&self, name: &str, pmos: bool, id: f64, narrow: bool) -> Result<Sized> {
        let sz = &self.tech.sizing;
        let ratio = self.aspect_ratio(name, pmos, id, self.leak_ratio(id))?;
        let (w, l) = if ratio >= 1.0 || self.tech.region != Region::Subthreshold {
            let w = self.snap(ratio * sz.l_m);
            if w < sz.w_min_m {
                // Above threshold W/L is exact: lengthen the device to keep it.
                let l = self.snap(sz.w_min_m / ratio);
                (self.snap(ratio * l), l)
            } else {
                (w, sz.l_m)
            }
        } else if !narrow && sz.l_m / ratio <= sz.l_max_m {
            (self.snap(sz.l_m.max(sz.w_min_m)), self.snap(sz.l_m.max(sz.w_min_m) / ratio))
        } else {
            // Rounded down, so that W/L stays within the leakage ratio.
            let l = if narrow { sz.l_m } else { sz.l_max_m };
            let w = self.snap_down(ratio * l);
            if w < sz.w_min_m {
                (self.snap(sz.w_min_m), self.snap(sz.w_min_m / ratio))
            } else {
                (w, l)
            }
        };
        for (limit, value, bound, what, advice) in [
            (
                "sizing.l_max_m",
                l,
                sz.l_max_m,
                "length",
                if self.tech.region == Region::Subthreshold {
                    "; the current is too small for the technology's leakage (limits.bias_min_a per square of W/L)"
                } else {
                    ""
                },
            ),
            (
                "sizing.w_max_m",
                w,
                sz.w_max_m,
                "width",
                "; lower the bias currents (the design's capacitance or rate)",
            ),
        ] {
            if value > bound {
                return Err(Error::Limit {
                    device: name.into(),
                    limit,
                    message: format!(
                        "{what} {} (W/L = {ratio:.3e} at {}) exceeds the technology's {limit} = {}{advice}",
                        si(value, "m"),
                        si(id, "A"),
                        si(bound, "m")
                    ),
                });
            }
        }
        self.operating_point(name, pmos, id, w, l, "")
    }

    /// The inversion coefficient and region of a sized transistor, checked
    /// against the technology's inversion limit (`detail` adds to the message).
    fn operating_point(
        &self,
        name: &str,
        pmos: bool,
        id: f64,
        w: f64,
        l: f64,
        detail: &str,
    ) -> Result<Sized> {
        let (Region::Subthreshold, Some(s)) = (self.tech.region, self.tech.subthreshold) else {
            return Ok(Sized { w, l, fingers: 1, inversion: None, region: "saturation (square law)" });
        };
        let ispec = if pmos { s.specific_current_p_a } else { s.specific_current_n_a };
        let ic = id / (ispec * w / l);
        if ic > self.tech.limits.inversion_max {
            return Err(Error::Limit {
                device: name.into(),
                limit: "limits.inversion_max",
                message: format!(
                    "inversion coefficient {ic:.3} at {}{detail} exceeds limits.inversion_max = {}",
                    si(id, "A"),
                    self.tech.limits.inversion_max
                ),
            });
        }
        let region = if ic < 0.1 { "weak inversion" } else { "moderate inversion" };
        Ok(Sized { w, l, fingers: 1, inversion: Some(ic), region })
    }

    /// Sizes and places a transistor carrying `id` at balance.
    pub fn mos(
        &mut self,
        name: String,
        nodes: Nodes<'_>,
        pmos: bool,
        id: f64,
        element: &str,
        role: Role,
    ) -> Result<()> {
        let sized = self.size(&name, pmos, id, false)?;
        self.push_mos(name, nodes, pmos, id, sized, element, role);
        Ok(())
    }

    /// Places a sized transistor.
    #[allow(clippy::too_many_arguments)]
    pub fn push_mos(
        &mut self,
        name: String,
        Nodes([d, g, s, b]): Nodes<'_>,
        pmos: bool,
        id: f64,
        sized: Sized,
        element: &str,
        role: Role,
    ) {
        let model = if pmos { self.tech.pmos.clone() } else { self.tech.nmos.clone() };
        let (d, g, s, b) = (d.into(), g.into(), s.into(), b.into());
        let fingers = (sized.fingers > 1).then_some(sized.fingers);
        let instance = MosInstance { m: fingers.map(f64::from), ..MosInstance::default() };
        self.els.push(el(
            name.clone(),
            ElementKind::Mosfet { d, g, s, b, model, w_m: sized.w, l_m: sized.l, instance },
        ));
        self.devices.push(DeviceReport {
            w_m: Some(sized.w),
            l_m: Some(sized.l),
            fingers,
            current_a: Some(id),
            inversion: sized.inversion,
            region: Some(sized.region.into()),
            ..report(name, DeviceKind::mos(pmos), element, role)
        });
    }

    /// Places an ideal DC current source of `i` from `p` through itself to `n`.
    pub fn current_source(&mut self, name: String, p: &str, n: &str, i: f64, element: &str, role: Role) {
        self.els.push(el(
            name.clone(),
            ElementKind::CurrentSource {
                p: p.into(),
                n: n.into(),
                waveform: Waveform::Dc { value: i },
                dc: None,
            },
        ));
        self.devices.push(DeviceReport {
            current_a: Some(i),
            ..report(name, DeviceKind::CurrentSource, element, role)
        });
    }

    /// The node at `V_ref + s delta`, created once per offset: a reference
    /// voltage source, or a tap of the ladder ([`Builder::finish_references`]).
    pub fn reference(&mut self, delta: f64) -> String {
        if delta == 0.0 {
            return "vref".into();
        }
        let key = (delta * 1e6).round() as i64;
        if let Some((_, n, _)) = self.refs.iter().find(|(k, _, _)| *k == key) {
            return n.clone();
        }
        let node = format!("ref{}", self.refs.len() + 1);
        let v = self.scales.v_ref_v + self.scales.s_volt * delta;
        if self.references == ReferenceSource::Ideal {
            let name = format!("V{node}");
            self.els.push(dc_voltage(&name, &node, v));
            self.devices.push(DeviceReport {
                value: Some(v),
                ..report(name, DeviceKind::VoltageSource, "bias", Role::Reference { offset: delta })
            });
        }
        self.refs.push((key, node.clone(), delta));
        node
    }

    /// With [`ReferenceSource::Ladder`]: every reference voltage (`V_ref`
    /// included) a tap of one resistor string from `vdd` to ground
    /// ([`string_segments`]), its current [`string_current`] of the largest
    /// bias placed; the segments are the technology's resistors (ideal `R`
    /// elements without a `[resistor]` table).
    pub fn finish_references(&mut self) -> Result<Option<Ladder>> {
        if self.references == ReferenceSource::Ideal {
            return Ok(None);
        }
        let (v_ref, s) = (self.scales.v_ref_v, self.scales.s_volt);
        let mut taps: Vec<(String, f64)> = vec![("vref".into(), 0.0)];
        taps.extend(self.refs.iter().map(|(_, n, d)| (n.clone(), *d)));
        taps.sort_by(|a, b| a.1.total_cmp(&b.1));
        let vdd = self.tech.supply_v;
        let targets: Vec<f64> = taps.iter().map(|(_, d)| v_ref + s * d).collect();
        if let Some(v) = targets.iter().find(|v| !(**v > 0.0 && **v < vdd)) {
            return Err(Error::Unrealisable {
                element: "references".into(),
                reason: format!(
                    "a ladder tap at {} is outside the supply (0 V, {}): the offsets span too many model volts",
                    si(*v, "V"),
                    si(vdd, "V")
                ),
            });
        }
        let i_bias = self
            .devices
            .iter()
            .filter(|d| matches!(d.role, Role::Bias { .. } | Role::MirrorReference))
            .filter_map(|d| d.current_a)
            .fold(0.0, |a: f64, b| a.max(b.abs()));
        let res = self.tech.resistor.as_ref();
        let current = string_current(res, vdd, i_bias);
        let geometry = res.map(|r| StringGeometry {
            sheet_ohm: r.sheet_ohm_per_square,
            width_m: r.width_m,
            end_ohm: r.end_ohm,
            grid_m: self.tech.sizing.grid_m,
        });
        let segments = string_segments(vdd, &targets, current, geometry);
        let realised = tap_voltages(vdd, &segments);
        let nodes: Vec<&str> =
            std::iter::once("0").chain(taps.iter().map(|(n, _)| n.as_str())).chain(["vdd"]).collect();
        let mut placed = Vec::new();
        for (k, seg) in segments.iter().enumerate() {
            let name = format!("Rladder{}", k + 1);
            let (p, n) = (nodes[k + 1], nodes[k]);
            self.els
                .push(el(name.clone(), ElementKind::Resistor { p: p.into(), n: n.into(), r_ohm: seg.r_ohm }));
            let w = res.map(|r| r.width_m);
            let squares = seg.l_m.zip(w).map_or(f64::NAN, |(l, w)| l / w);
            self.devices.push(DeviceReport {
                w_m: w,
                l_m: seg.l_m,
                value: Some(seg.r_ohm),
                current_a: Some(current),
                ..report(name.clone(), DeviceKind::Resistor, "bias", Role::LadderSegment { squares })
            });
            placed.push(LadderSegment { name, r_ohm: seg.r_ohm, w_l_m: w.zip(seg.l_m) });
        }
        let total: f64 = segments.iter().map(|x| x.r_ohm).sum();
        let taps = taps
            .iter()
            .zip(targets.iter().zip(&realised))
            .map(|((node, d), (t, r))| LadderTap {
                node: node.clone(),
                offset_model_v: *d,
                target_v: *t,
                realised_v: *r,
                error_v: r - t,
                error_model_v: (r - t) / s,
            })
            .collect();
        let area_m2 = res.map(|r| r.width_m * segments.iter().filter_map(|x| x.l_m).sum::<f64>());
        Ok(Some(Ladder {
            string_current_a: current,
            total_ohm: total,
            supply_current_a: vdd / total,
            area_m2,
            taps,
            segments: placed,
            subckt: res.and_then(|r| r.subckt.clone()),
        }))
    }

    /// A five-transistor transconductance amplifier: NMOS pair, PMOS mirror,
    /// tail bias `ib`; the output sources `ib f((V+ - V-)/s)` into `out`.
    pub fn ta(
        &mut self,
        tag: &str,
        element: &str,
        plus: &str,
        minus: &str,
        out: &str,
        ib: f64,
    ) -> Result<()> {
        let tail = format!("{tag}_t");
        let mirror = format!("{tag}_m");
        let half = ib / 2.0;
        let pair = Role::InputPair { plus: true };
        self.mos(format!("M{tag}_p"), Nodes([&mirror, plus, &tail, "0"]), false, half, element, pair)?;
        let pair = Role::InputPair { plus: false };
        let drain = self.minus_drain(tag, out);
        self.mos(format!("M{tag}_n"), Nodes([&drain, minus, &tail, "0"]), false, half, element, pair)?;
        self.load(tag, element, out, half)?;
        self.bias(tag, element, ib)
    }

    /// The node the `-` input device of amplifier `tag` drains: the output,
    /// or in the symmetric amplifiers its own mirror.
    fn minus_drain(&self, tag: &str, out: &str) -> String {
        if self.amplifier.symmetric() {
            format!("{tag}_q")
        } else {
            out.into()
        }
    }

    /// The load of amplifier `tag` ([`Amplifier`]), each mirror carrying `i`
    /// at balance: a PMOS mirror from the `+` device's drain `{tag}_m` into
    /// `out` (cascoded unless five-transistor); in the symmetric amplifiers
    /// also a PMOS mirror `{tag}_x` from the `-` device's drain `{tag}_q`
    /// into node `{tag}_k`, and an NMOS mirror `{tag}_y` from `{tag}_k` out
    /// of `out`.
    fn load(&mut self, tag: &str, element: &str, out: &str, i: f64) -> Result<()> {
        let stack = match self.amplifier {
            Amplifier::FiveTransistor => MirrorStack::Plain,
            Amplifier::Cascoded | Amplifier::Symmetric => MirrorStack::Cascode,
            Amplifier::SelfCascoded => MirrorStack::SelfCascode,
        };
        self.mirror(tag, true, &format!("{tag}_m"), out, (i, element), stack)?;
        if self.amplifier.symmetric() {
            let (minus, fold) = (format!("{tag}_q"), format!("{tag}_k"));
            self.mirror(&format!("{tag}_x"), true, &minus, &fold, (i, element), stack)?;
            self.mirror(&format!("{tag}_y"), false, &fold, out, (i, element), stack)?;
        }
        Ok(())
    }

    /// A 1:1 mirror carrying `i` at balance for `element`, from `vdd`
    /// (`pmos`) or to ground: diode `M{prefix}_d` on `input` and output
    /// `M{prefix}_o` on `out`, and with a [`MirrorStack`] other than plain
    /// an upper device on each: `M{prefix}_dc` between `input` and the
    /// diode, `M{prefix}_oc` between the output device and `out`.
    fn mirror(
        &mut self,
        prefix: &str,
        pmos: bool,
        input: &str,
        out: &str,
        (i, element): (f64, &str),
        stack: MirrorStack,
    ) -> Result<()> {
        let rail = if pmos { "vdd" } else { "0" };
        let (a, c) = (format!("{prefix}_a"), format!("{prefix}_c"));
        let (gate, diode_drain, drain) = match stack {
            MirrorStack::Plain => (input, input, out),
            MirrorStack::Cascode => (a.as_str(), a.as_str(), c.as_str()),
            MirrorStack::SelfCascode => (input, a.as_str(), c.as_str()),
        };
        let lower = self.size(&format!("M{prefix}_d"), pmos, i, false)?;
        let diode = Nodes([diode_drain, gate, rail, rail]);
        self.push_mos(format!("M{prefix}_d"), diode, pmos, i, lower, element, Role::MirrorDiode);
        let output = Nodes([drain, gate, rail, rail]);
        self.push_mos(format!("M{prefix}_o"), output, pmos, i, lower, element, Role::MirrorOutput);
        // The upper devices' gates are at `input`: with stacked diodes one
        // V_GS above the lower diode's gate, in a composite the same gate.
        let upper = match stack {
            MirrorStack::Plain => return Ok(()),
            MirrorStack::Cascode => lower,
            // Composite: the upper device wider.
            MirrorStack::SelfCascode => self.self_cascode_upper(&format!("M{prefix}_dc"), pmos, i, lower)?,
        };
        let diode = Nodes([input, input, diode_drain, rail]);
        self.push_mos(format!("M{prefix}_dc"), diode, pmos, i, upper, element, Role::MirrorCascodeDiode);
        let output = Nodes([out, input, drain, rail]);
        self.push_mos(format!("M{prefix}_oc"), output, pmos, i, upper, element, Role::MirrorCascodeOutput);
        Ok(())
    }

    /// The upper device of a composite whose lower device is `lower`:
    /// [`SELF_CASCODE_WIDTH_RATIO`] times as wide, as long.
    fn self_cascode_upper(&self, name: &str, pmos: bool, i: f64, lower: Sized) -> Result<Sized> {
        let w = self.snap(SELF_CASCODE_WIDTH_RATIO * lower.w);
        let w_max = self.tech.sizing.w_max_m;
        if w > w_max {
            return Err(Error::Limit {
                device: name.into(),
                limit: "sizing.w_max_m",
                message: format!(
                    "self-cascode width {} ({SELF_CASCODE_WIDTH_RATIO} times the lower device's {} for {}) exceeds \
                     the technology's sizing.w_max_m = {}; lower the bias currents or use another --amplifier",
                    si(w, "m"),
                    si(lower.w, "m"),
                    si(i, "A"),
                    si(w_max, "m")
                ),
            });
        }
        self.operating_point(name, pmos, i, w, lower.l, "")
    }

    /// The tail bias of amplifier `tag` (an ideal current source from its
    /// tail node, or an NMOS mirror device sized in [`Builder::finish_mirrors`]).
    fn bias(&mut self, tag: &str, element: &str, ib: f64) -> Result<()> {
        let tail = format!("{tag}_t");
        let iname = format!("I{tag}_b");
        // Below limits.bias_min_a the amplifier's devices are narrower
        // (Builder::leak_ratio): the sizing checks the lower limit.
        self.check_bias_max(&iname, ib)?;
        match self.bias {
            BiasSource::Mirrors => {
                self.pending_mirror(format!("M{tag}_b"), element, Biased::Tail, tail, false, ib)
            }
            BiasSource::Ideal => {
                let role = Role::Bias { of: Biased::Tail, source: BiasSource::Ideal };
                self.current_source(iname, &tail, "0", ib, element, role);
            }
        }
        Ok(())
    }

    /// A bias current `current_a` into (`pmos`: a source from `vdd`) or out
    /// of `drain`, realised as a mirror transistor when the mirrors are sized.
    pub fn pending_mirror(
        &mut self,
        device: String,
        element: &str,
        of: Biased,
        drain: String,
        pmos: bool,
        current_a: f64,
    ) {
        self.mirrors.push(PendingMirror { device, element: element.into(), of, drain, pmos, current_a });
    }

    /// A transconductance amplifier (below threshold) whose input pair has
    /// a built-in offset `delta` model volts: the weaker input device is
    /// `exp(2 |delta|)` times longer, times the technology's
    /// `offset_length_factor` (the short device's reverse short-channel
    /// deficit; same width, so narrow-width effects cancel), and
    /// the output sources `ib tanh((V+ - V-)/s - delta)` into `out`.
    /// Returns the offset realised after the lengths are snapped to the grid.
    #[allow(clippy::too_many_arguments)]
    pub fn ta_offset(
        &mut self,
        tag: &str,
        element: &str,
        plus: &str,
        minus: &str,
        out: &str,
        ib: f64,
        delta: f64,
    ) -> Result<f64> {
        if delta == 0.0 {
            self.ta(tag, element, plus, minus, out, ib)?;
            return Ok(0.0);
        }
        let tail = format!("{tag}_t");
        let mirror = format!("{tag}_m");
        let r = (2.0 * delta.abs()).exp();
        // At balance the short device carries ib r / (1 + r), the long one
        // ib / (1 + r): both at the same inversion coefficient.
        let i_short = ib * r / (1.0 + r);
        let i_long = ib / (1.0 + r);
        // delta > 0: the + device is the weaker (longer) one.
        let long_is_plus = delta > 0.0;
        let (name_p, name_n) = (format!("M{tag}_p"), format!("M{tag}_n"));
        let (short_name, long_name) = if long_is_plus { (&name_n, &name_p) } else { (&name_p, &name_n) };
        let short = self.size(short_name, false, i_short, true)?;
        // The technology's correction for the short device's deficit (reverse
        // short-channel effect): the current ratio is `r`, not the length ratio.
        let factor = self.tech.subthreshold.map_or(1.0, |s| s.offset_length_factor);
        let (segments, l_segment) = self.series_segments(long_name, r * factor * short.l, delta, r)?;
        let l_long = segments as f64 * l_segment;
        let realised = (l_long / (factor * short.l)).ln() / 2.0 * delta.signum();
        // Each of the `segments` devices `l_segment` long; the inversion is the whole stack's.
        let long = Sized {
            l: l_segment,
            inversion: short.inversion.map(|ic| ic * (i_long / i_short) * (l_long / short.l)),
            ..short
        };
        let role_short = Role::OffsetShort { plus: !long_is_plus, offset: realised };
        let role_long = Role::OffsetLong { plus: long_is_plus, length_ratio: l_long / short.l };
        let (p, n) = if long_is_plus {
            ((i_long, long, role_long), (i_short, short, role_short))
        } else {
            ((i_short, short, role_short), (i_long, long, role_long))
        };
        let drain = self.minus_drain(tag, out);
        for (name, d, g, (i, sized, role)) in
            [(name_p, mirror.as_str(), plus, p), (name_n, drain.as_str(), minus, n)]
        {
            let k = if matches!(role, Role::OffsetLong { .. }) { segments } else { 1 };
            self.push_series(&name, Nodes([d, g, &tail, "0"]), k, (i, sized), element, role);
        }
        self.load(tag, element, out, p.0)?;
        self.bias(tag, element, ib)?;
        Ok(realised)
    }

    /// The series segments of an offset pair's long device of length
    /// `l_long` (the offset `delta` model V needs a current ratio `r`):
    /// one device up to `sizing.l_max_m` (where a PDK's model bins end),
    /// beyond it as few equal segments of at most that length in series,
    /// one gate, as a long device is drawn (a stack carries nearly the
    /// current of one device as long as its total, and the offset length
    /// factor is measured on such stacks: [`super::characterise::length_bench`]).
    /// Returns the count and the segment's length, snapped to the grid.
    fn series_segments(&self, device: &str, l_long: f64, delta: f64, r: f64) -> Result<(usize, f64)> {
        let l_max = self.tech.sizing.l_max_m;
        let segments = (l_long / l_max - 1e-9).ceil().max(1.0);
        if segments > MAX_SERIES_SEGMENTS as f64 {
            return Err(Error::Limit {
                device: device.into(),
                limit: "sizing.l_max_m",
                message: format!(
                    "length {} (offset {delta} model V needs a length ratio {r:.2}) exceeds \
                     {MAX_SERIES_SEGMENTS} segments of the technology's sizing.l_max_m = {} in series",
                    si(l_long, "m"),
                    si(l_max, "m")
                ),
            });
        }
        Ok((segments as usize, self.snap(l_long / segments)))
    }

    /// Places an NMOS as `k` equal devices in series with one gate
    /// (`sized.l` each; [`series_chain`]; `k` = 1: one device named `name`).
    fn push_series(
        &mut self,
        name: &str,
        Nodes([d, g, s, b]): Nodes<'_>,
        k: usize,
        (i, sized): (f64, Sized),
        element: &str,
        role: Role,
    ) {
        for (device, drain, source) in series_chain(name, d, s, k) {
            self.push_mos(device, Nodes([&drain, g, &source, b]), false, i, sized, element, role);
        }
    }

    /// A signed multi-tanh sum: current `sum_j c_j tanh(x - shift - d_j)`
    /// into `out`, `x` the model voltage of `node`, one amplifier per term
    /// (a positive `c_j` drives the `+` input with `node`, a negative one the
    /// `-` input). Terms below the technology's smallest bias are left out;
    /// returns the `(c_j, shift + d_j)` realised.
    #[allow(clippy::too_many_arguments)]
    pub fn multi_tanh(
        &mut self,
        tag: &str,
        element: &str,
        node: &str,
        shift: f64,
        out: &str,
        coefs: &[f64],
        offsets: &[f64],
    ) -> Result<Vec<(f64, f64)>> {
        let mut done = Vec::new();
        for (j, (&c, &d)) in coefs.iter().zip(offsets).enumerate() {
            if c.abs() < self.tech.limits.bias_min_a {
                continue;
            }
            let r = self.reference(shift + d);
            let t = format!("{tag}{j}");
            if c > 0.0 {
                self.ta(&t, element, node, &r, out, c)?;
            } else {
                self.ta(&t, element, &r, node, out, -c)?;
            }
            done.push((c, shift + d));
        }
        Ok(done)
    }

    /// Sizes the pending mirrors from one unit device ([`mirror_unit`]):
    /// the reference diodes are [`MIRROR_REFERENCE_FINGERS`] units whose
    /// current puts the largest mirror at half `sizing.w_max_m` in all (at
    /// least `limits.bias_min_a`), and every mirror is
    /// `I_b / I_ref` times the reference's `W/L` in fingers of the unit
    /// and a length ([`mirror_size`]; its reported current is the one the
    /// snapped length gives).
    pub fn finish_mirrors(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.mirrors);
        if pending.is_empty() {
            return Ok(());
        }
        let i_max = pending.iter().map(|m| m.current_a).fold(0.0, f64::max);
        let (w_unit, l) = mirror_unit(self.tech);
        // The unit's current puts the largest mirror at half the widest
        // device in all (more fingers load its drain: the membrane's
        // mirror is the membrane's capacitance too); smaller biases than
        // the unit's are one finger, longer.
        let i_unit = i_max * w_unit / (0.5 * self.tech.sizing.w_max_m);
        let n_ref = self.reference_fingers(false);
        let i_ref = (f64::from(n_ref) * i_unit).max(self.tech.limits.bias_min_a);
        let on = self.cascode_membrane;
        let cascoded = |pmos: bool| on && pending.iter().any(|m| m.of == Biased::Membrane && m.pmos == pmos);
        let (cascode_n, cascode_p) = (cascoded(false), cascoded(true));
        let reference = self.reference_device(REF_DIODE_N, false, i_ref)?;
        self.check_bias(REF_SOURCE, i_ref)?;
        let top = if cascode_n { CASCODE_NODE_N } else { REF_NODE_N };
        self.current_source(REF_SOURCE.into(), "vdd", top, i_ref, "bias", Role::MirrorReference);
        let nodes = Nodes([REF_NODE_N, REF_NODE_N, "0", "0"]);
        self.push_mos(REF_DIODE_N.into(), nodes, false, i_ref, reference, "bias", Role::MirrorReferenceDiode);
        if cascode_n {
            let nodes = Nodes([CASCODE_NODE_N, CASCODE_NODE_N, REF_NODE_N, "0"]);
            self.push_reference(REF_CASCODE_N, nodes, false, i_ref, Role::MirrorReferenceCascode)?;
        }
        if pending.iter().any(|m| m.pmos) {
            self.pmos_reference(i_ref, cascode_p)?;
        }
        for m in pending {
            // The reference's W/L times the current ratio, as a width at the unit's length.
            let w_ref = w_unit * f64::from(self.reference_fingers(m.pmos));
            let w_eq = w_ref * m.current_a / i_ref;
            let size = mirror_geometry(self.tech, (&m.device, m.pmos), m.current_a, w_eq)?;
            let total_w = size.w_m * f64::from(size.fingers);
            let sized = Sized {
                w: size.w_m,
                fingers: size.fingers,
                ..self.operating_point(
                    &m.device,
                    m.pmos,
                    m.current_a,
                    total_w,
                    size.l_m,
                    &wl(total_w, size.l_m),
                )?
            };
            let realised = i_ref * (total_w / sized.l) / (w_ref / l);
            // Its current per square is the reference's, checked above.
            self.check_bias_max(&m.device, realised)?;
            let (gate, rail, cascode_gate) =
                if m.pmos { (REF_NODE_P, "vdd", CASCODE_NODE_P) } else { (REF_NODE_N, "0", CASCODE_NODE_N) };
            let drain = if m.of == Biased::Membrane && if m.pmos { cascode_p } else { cascode_n } {
                // The cascode, the mirror's size, between it and the membrane.
                let (cascode, node) = (format!("{}c", m.device), format!("{}_c", m.device));
                let nodes = Nodes([m.drain.as_str(), cascode_gate, node.as_str(), rail]);
                self.push_mos(
                    cascode,
                    nodes,
                    m.pmos,
                    realised,
                    sized,
                    &m.element,
                    Role::MembraneMirrorCascode,
                );
                node
            } else {
                m.drain.clone()
            };
            let role = Role::Bias { of: m.of, source: BiasSource::Mirrors };
            self.push_mos(
                m.device,
                Nodes([drain.as_str(), gate, rail, rail]),
                m.pmos,
                realised,
                sized,
                &m.element,
                role,
            );
        }
        Ok(())
    }

    /// A reference diode (or the NMOS copying the reference into the PMOS
    /// diode) carrying `i_ref`: [`Builder::reference_fingers`] unit devices.
    fn reference_device(&self, name: &str, pmos: bool, i_ref: f64) -> Result<Sized> {
        let (w, l) = mirror_unit(self.tech);
        let n = self.reference_fingers(pmos);
        let total_w = w * f64::from(n);
        let sized = self.operating_point(name, pmos, i_ref, total_w, l, &wl(total_w, l))?;
        Ok(Sized { w, fingers: n, ..sized })
    }

    /// Fingers of a reference diode of this polarity:
    /// [`MIRROR_REFERENCE_FINGERS`], or one where the technology draws no
    /// fingers ([`Technology::fingers`]).
    fn reference_fingers(&self, pmos: bool) -> u32 {
        if self.tech.fingers(pmos) {
            MIRROR_REFERENCE_FINGERS
        } else {
            1
        }
    }

    /// The PMOS reference: an NMOS mirror of the reference current into a
    /// diode-connected PMOS (with `cascode`, through a second PMOS diode
    /// under it, whose gate biases a PMOS membrane mirror's cascode).
    fn pmos_reference(&mut self, i_ref: f64, cascode: bool) -> Result<()> {
        let bottom = if cascode { CASCODE_NODE_P } else { REF_NODE_P };
        let nodes = Nodes([bottom, REF_NODE_N, "0", "0"]);
        self.push_reference("Mref_pn", nodes, false, i_ref, Role::MirrorReferenceToPmos)?;
        if cascode {
            let nodes = Nodes([CASCODE_NODE_P, CASCODE_NODE_P, REF_NODE_P, "vdd"]);
            self.push_reference(REF_CASCODE_P, nodes, true, i_ref, Role::MirrorReferenceCascode)?;
        }
        let nodes = Nodes([REF_NODE_P, REF_NODE_P, "vdd", "vdd"]);
        self.push_reference(REF_DIODE_P, nodes, true, i_ref, Role::MirrorReferencePmosDiode)
    }

    /// A device of the reference branch carrying `i_ref`, sized as
    /// [`Builder::reference_device`], placed at `nodes`.
    fn push_reference(
        &mut self,
        name: &str,
        nodes: Nodes<'_>,
        pmos: bool,
        i_ref: f64,
        role: Role,
    ) -> Result<()> {
        let sized = self.reference_device(name, pmos, i_ref)?;
        self.push_mos(name.into(), nodes, pmos, i_ref, sized, "bias", role);
        Ok(())
    }

    /// Places a capacitor `c` from `node` to ground, checked against the technology's limit.
    pub fn capacitor(&mut self, name: String, node: &str, c: f64, element: &str, role: Role) -> Result<()> {
        if c > self.tech.limits.capacitance_max_f {
            return Err(Error::Limit {
                device: name,
                limit: "limits.capacitance_max_f",
                message: format!(
                    "capacitance {} exceeds the technology's limits.capacitance_max_f = {}",
                    si(c, "F"),
                    si(self.tech.limits.capacitance_max_f, "F")
                ),
            });
        }
        self.els.push(el(
            name.clone(),
            ElementKind::Capacitor { p: node.into(), n: "0".into(), c_farad: c, ic_volt: None },
        ));
        self.devices
            .push(DeviceReport { value: Some(c), ..report(name, DeviceKind::Capacitor, element, role) });
        Ok(())
    }

    /// Takes `stray_f` (the capacitance the transistors add to the
    /// membrane, measured) off the membrane capacitor, so that the membrane's
    /// total is the design's; the ideal model keeps the design's capacitor.
    pub fn compensate_membrane(&mut self, stray_f: f64) -> Result<()> {
        if stray_f == 0.0 {
            return Ok(());
        }
        let Some(d) = self.devices.iter_mut().find(|d| d.role == Role::MembraneCapacitor) else {
            return Err(Error::Unrealisable {
                element: "membrane".into(),
                reason: "no membrane capacitor to take the stray capacitance off".into(),
            });
        };
        let c = d.value.unwrap_or(0.0) - stray_f;
        if c <= 0.0 || c.is_nan() {
            return Err(Error::Unrealisable {
                element: d.element.clone(),
                reason: format!(
                    "the transistors' stray capacitance on the membrane, {}, is not below its capacitor's {}: \
                     a smaller membrane than the design's is not realisable (scale the design's capacitance up)",
                    si(stray_f, "F"),
                    si(d.value.unwrap_or(0.0), "F")
                ),
            });
        }
        d.value = Some(c);
        for e in self.els.iter_mut().filter(|e| e.name == d.name) {
            if let ElementKind::Capacitor { c_farad, .. } = &mut e.kind {
                *c_farad = c;
            }
        }
        Ok(())
    }

    /// Adds a behavioural current `expr` from `p` through itself to `n` to the ideal model.
    pub fn ideal_current(&mut self, name: String, p: &str, n: &str, expr: Expr) {
        self.ideal.push(el(name, ElementKind::BehaviouralCurrent { p: p.into(), n: n.into(), expr }));
    }
}

fn dc_voltage(name: &str, node: &str, v: f64) -> Element<f64> {
    el(
        name.into(),
        ElementKind::VoltageSource {
            p: node.into(),
            n: "0".into(),
            waveform: Waveform::Dc { value: v },
            dc: None,
        },
    )
}
