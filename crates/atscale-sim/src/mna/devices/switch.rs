//! ngspice's voltage- and current-controlled switches (`S` with an SW
//! model, `W` with a CSW model), as swload.c and cswload.c decide their
//! state: a conductance `1/RON` or `1/ROFF` chosen by the control `c`
//! (`v(cp) - v(cn)` for `S`, the branch current of a source or inductor for
//! `W`) against the band `[VT - |VH|, VT + |VH|]`, with memory inside it.
//!
//! States, as ngspice names them: `REALLY_ON`/`REALLY_OFF` outside the
//! band, `HYST_ON`/`HYST_OFF` inside it. Above the band the switch is
//! `REALLY_ON`, below it `REALLY_OFF`. Inside it, for `VH > 0` it keeps its
//! state (ordinary hysteresis: it closes when `c` rises above `VT + VH` and
//! opens when `c` falls below `VT - VH`); for `VH <= 0` it takes the state
//! opposite to where `c` came from (`REALLY_ON` becomes `HYST_OFF`,
//! `REALLY_OFF` becomes `HYST_ON`, a `HYST_` state stays): an inverted
//! loop that closes when `c` rises above `VT - |VH|` and opens when it
//! falls below `VT + |VH|`. `VH = 0` is a comparator at `VT`, and `c = VT`
//! exactly is the band (the switch is on there when it came from below).
//!
//! How the state is found:
//! - Operating point: first solved with the instance flag (`ON` closed,
//!   otherwise open; ngspice's MODEINITJCT/MODEINITFIX), then released to
//!   the rules above (MODEINITFLOAT), where ngspice's "previous state" is
//!   its zeroed `REALLY_OFF`: inside the band a `VH <= 0` switch is on, a
//!   CSW with `VH > 0` off, and an SW with `VH > 0` keeps the state of the
//!   Newton iterate (the flag, unless an iterate left the band).
//! - `uic`: the flag at the initial conditions as ngspice's first load sees
//!   them (nodes without `.ic` at 0 V, source currents at 0 A), then the
//!   rules at the first time point.
//! - Transient: the state is constant during a step and changes only at
//!   accepted time points. A step at whose end a conductance would change
//!   ends instead where the control crosses the threshold (found on the
//!   step's polynomial from [`Switch::pending`]'s threshold, just past it),
//!   so the switching instant is located to the control's error tolerance,
//!   not to ngspice's time step; the integrator then restarts from that
//!   corner as at a source breakpoint, with a full Newton for the jump of
//!   the algebraic unknowns.

use super::{add, get, stamp_g};
use crate::mna::{EvalCtx, EvalOut, NONE};

/// A switch state, as swload.c numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwState {
    /// Off with the control below the band.
    ReallyOff,
    /// On with the control above the band.
    ReallyOn,
    /// Off with the control inside the band.
    HystOff,
    /// On with the control inside the band.
    HystOn,
}

impl SwState {
    /// Whether the switch conducts with `RON`.
    pub(crate) fn on(self) -> bool {
        matches!(self, SwState::ReallyOn | SwState::HystOn)
    }
}

/// Where the control is relative to the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Zone {
    /// `c < VT - |VH|`.
    Below,
    /// `VT - |VH| <= c <= VT + |VH|`.
    Band,
    /// `c > VT + |VH|`.
    Above,
}

/// Which rules decide the state now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Operating point, first solve: the instance flag.
    Fixed,
    /// `uic`: the instance flag at the initial conditions, kept through
    /// the solve of the algebraic unknowns.
    Held,
    /// Operating point after that: the rules, with ngspice's zeroed
    /// previous state and the Newton iterate's state.
    Float,
    /// Transient: the state changes only at accepted time points.
    Tran,
}

/// A threshold crossing that changes a switch's conductance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Crossing {
    /// The control's value at the threshold (V or A).
    pub(crate) threshold: f64,
    /// +1 when the control rises through it, -1 when it falls.
    pub(crate) dir: f64,
}

/// A switch between nodes `a` and `b`.
#[derive(Debug, Clone)]
pub(crate) struct Switch {
    pub(crate) a: usize,
    pub(crate) b: usize,
    /// The control is `y[cp] - y[cn]` (either may be ground); a current
    /// control has `cn` = [`NONE`].
    pub(crate) cp: usize,
    pub(crate) cn: usize,
    /// Whether the model is a CSW (current control).
    current: bool,
    /// Threshold `VT`/`IT` and hysteresis `VH`/`IH` (V or A).
    vt: f64,
    vh: f64,
    /// On and off conductances, S.
    g_on: f64,
    g_off: f64,
    /// The instance flag `ON`.
    flag_on: bool,
    state: SwState,
    /// The control's zone at the last accepted time point (transient).
    zone: Zone,
    /// `uic`: the control at the initial conditions (V or A).
    c_uic: f64,
    phase: Phase,
    pub(crate) s: [usize; 4],
}

impl Switch {
    /// A switch with control `(cp, cn)`, threshold `vt`, hysteresis `vh`,
    /// resistances `(ron, roff)` in Ω and the instance flag.
    pub(crate) fn new(
        (a, b): (usize, usize),
        (cp, cn): (usize, usize),
        current: bool,
        (vt, vh): (f64, f64),
        (ron, roff): (f64, f64),
        flag_on: bool,
    ) -> Switch {
        Switch {
            a,
            b,
            cp,
            cn,
            current,
            vt,
            vh,
            g_on: 1.0 / ron,
            g_off: 1.0 / roff,
            flag_on,
            state: if flag_on { SwState::HystOn } else { SwState::HystOff },
            zone: Zone::Band,
            c_uic: 0.0,
            phase: Phase::Fixed,
            s: [NONE; 4],
        }
    }

    /// The control at `y` (V or A).
    pub(crate) fn control(&self, y: &[f64]) -> f64 {
        get(y, self.cp) - get(y, self.cn)
    }

    /// The band's lower and upper edges.
    fn band(&self) -> (f64, f64) {
        (self.vt - self.vh.abs(), self.vt + self.vh.abs())
    }

    fn zone_of(&self, c: f64) -> Zone {
        let (lo, hi) = self.band();
        if c > hi {
            Zone::Above
        } else if c < lo {
            Zone::Below
        } else {
            Zone::Band
        }
    }

    /// The state in `zone` after `prev` (the state at the previous time
    /// point) and `iter` (the state of the current Newton iterate; an SW
    /// with `VH > 0` keeps that one inside the band, a CSW `prev`).
    fn next(&self, zone: Zone, prev: SwState, iter: SwState) -> SwState {
        match zone {
            Zone::Above => SwState::ReallyOn,
            Zone::Below => SwState::ReallyOff,
            Zone::Band if self.vh > 0.0 => {
                if self.current {
                    prev
                } else {
                    iter
                }
            }
            Zone::Band => match prev {
                SwState::ReallyOn => SwState::HystOff,
                SwState::ReallyOff => SwState::HystOn,
                hyst => hyst,
            },
        }
    }

    /// The state the instance flag gives at control `c` (MODEINITJCT).
    fn flagged(&self, c: f64) -> SwState {
        let (lo, hi) = self.band();
        match (self.flag_on, c) {
            (true, c) if c > hi => SwState::ReallyOn,
            (true, _) => SwState::HystOn,
            (false, c) if c < lo => SwState::ReallyOff,
            (false, _) => SwState::HystOff,
        }
    }

    /// `uic`: the state is the flag's at the initial conditions `y` (nodes
    /// without one at 0 V, source currents at 0 A, as ngspice's
    /// MODEINITJCT load sees them) and stays so until the transient starts.
    pub(crate) fn uic(&mut self, y: &[f64]) {
        self.phase = Phase::Held;
        self.c_uic = self.control(y);
        self.state = self.flagged(self.c_uic);
    }

    /// Starts an operating-point solve: the instance flag decides.
    pub(crate) fn dc_start(&mut self) {
        if self.phase == Phase::Held {
            return;
        }
        self.phase = Phase::Fixed;
        self.state = if self.flag_on { SwState::HystOn } else { SwState::HystOff };
    }

    /// The operating point converged with the flag: the rules decide from
    /// now on. Whether the conductance changed (the solve goes on).
    pub(crate) fn dc_release(&mut self, y: &[f64]) -> bool {
        if self.phase != Phase::Fixed {
            return false;
        }
        let c = self.control(y);
        let old = self.state;
        self.state = self.next(self.zone_of(c), SwState::ReallyOff, self.flagged(c));
        self.phase = Phase::Float;
        old.on() != self.state.on()
    }

    /// The transient starts from `y`: the state the operating point or
    /// `uic` left meets the rules once, as at ngspice's first time point.
    /// With `uic`, ngspice's first iterate (MODEINITTRAN) still sees the
    /// control at the initial conditions: an SW with `VH > 0` keeps the
    /// state that gives inside the band.
    pub(crate) fn start_transient(&mut self, y: &[f64]) {
        let c = self.control(y);
        let mut iter = self.state;
        match self.phase {
            Phase::Held => iter = self.next(self.zone_of(self.c_uic), self.state, self.state),
            // No operating point was solved.
            Phase::Fixed => self.state = self.flagged(c),
            Phase::Float | Phase::Tran => {}
        }
        self.zone = self.zone_of(c);
        self.state = self.next(self.zone, self.state, iter);
        self.phase = Phase::Tran;
    }

    /// The states met walking from the committed zone to `to`, one zone
    /// at a time, and the first crossing that changes the conductance.
    fn walk(&self, to: Zone) -> (SwState, Option<Crossing>) {
        let (lo, hi) = self.band();
        let mut state = self.state;
        let mut zone = self.zone;
        let mut first = None;
        while zone != to {
            let (next_zone, threshold, dir) = match (zone, to > zone) {
                (Zone::Below, _) => (Zone::Band, lo, 1.0),
                (Zone::Band, true) => (Zone::Above, hi, 1.0),
                (Zone::Band, false) => (Zone::Below, lo, -1.0),
                (Zone::Above, _) => (Zone::Band, hi, -1.0),
            };
            let s = self.next(next_zone, state, state);
            if first.is_none() && s.on() != state.on() {
                first = Some(Crossing { threshold, dir });
            }
            state = s;
            zone = next_zone;
        }
        (state, first)
    }

    /// The crossing that would change the conductance if a step ended at
    /// `y` (transient), if any.
    pub(crate) fn pending(&self, y: &[f64]) -> Option<Crossing> {
        if self.phase != Phase::Tran {
            return None;
        }
        self.walk(self.zone_of(self.control(y))).1
    }

    /// Takes `y` as an accepted time point; whether the conductance changed.
    pub(crate) fn commit(&mut self, y: &[f64]) -> bool {
        if self.phase != Phase::Tran {
            return false;
        }
        let to = self.zone_of(self.control(y));
        let (state, crossing) = self.walk(to);
        self.state = state;
        self.zone = to;
        crossing.is_some()
    }

    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        if self.phase == Phase::Float {
            let c = self.control(y);
            let s = self.next(self.zone_of(c), SwState::ReallyOff, self.state);
            if s.on() != self.state.on() {
                // ngspice's `noncon++`: one more iteration with the new conductance.
                out.limited = true;
                out.stale = true;
            }
            self.state = s;
        }
        let g = if self.state.on() { self.g_on } else { self.g_off };
        let i = g * (get(y, self.a) - get(y, self.b));
        add(&mut out.f, self.a, i);
        add(&mut out.f, self.b, -i);
        if ctx.jac {
            stamp_g(&mut out.jac, &self.s, g);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sw(vh: f64, current: bool, flag_on: bool) -> Switch {
        // Control y[0], threshold 1.
        Switch::new((NONE, NONE), (0, NONE), current, (1.0, vh), (1.0, 1e6), flag_on)
    }

    /// Runs the transient rules through the control values `cs` (one
    /// accepted point each, from an operating point at `cs[0]`) and returns
    /// the conductance state after each.
    fn trace(mut s: Switch, cs: &[f64]) -> Vec<bool> {
        s.dc_start();
        s.dc_release(&[cs[0]]);
        s.start_transient(&[cs[0]]);
        let mut on = vec![s.state.on()];
        for &c in &cs[1..] {
            s.commit(&[c]);
            on.push(s.state.on());
        }
        on
    }

    #[test]
    fn positive_hysteresis_closes_above_and_opens_below_the_band() {
        // Band [0.5, 1.5]: closes above 1.5, opens below 0.5, keeps inside.
        let cs = [0.0, 1.0, 1.49, 1.51, 1.0, 0.51, 0.49, 1.0];
        let on = [false, false, false, true, true, true, false, false];
        assert_eq!(trace(sw(0.5, false, false), &cs), on);
        assert_eq!(trace(sw(0.5, true, false), &cs), on);
    }

    #[test]
    fn negative_hysteresis_is_an_inverted_loop() {
        // Band [0.5, 1.5]: entering it from below closes, from above opens;
        // a HYST_ state stays while the control is inside.
        let cs = [0.0, 0.51, 1.49, 1.6, 1.49, 0.51, 0.4, 1.0];
        let on = [false, true, true, true, false, false, false, true];
        assert_eq!(trace(sw(-0.5, false, false), &cs), on);
        assert_eq!(trace(sw(-0.5, true, false), &cs), on);
    }

    #[test]
    fn zero_hysteresis_is_a_comparator_on_at_the_threshold_from_below() {
        let cs = [0.0, 0.99, 1.0, 1.01, 1.0, 0.99, 1.01];
        let on = [false, false, true, true, false, false, true];
        assert_eq!(trace(sw(0.0, false, false), &cs), on);
    }

    #[test]
    fn the_operating_point_inside_the_band_follows_ngspice() {
        // Measured with ngspice 39 (`.op`, control inside the band): an SW
        // with VH > 0 keeps its flag; a CSW with VH > 0 is off whatever its
        // flag; VH <= 0 is on whatever the flag.
        for (vh, current, flag, on) in [
            (0.5, false, true, true),
            (0.5, false, false, false),
            (0.5, true, true, false),
            (-0.5, false, false, true),
            (-0.5, true, false, true),
            (0.0, false, false, true),
        ] {
            let mut s = sw(vh, current, flag);
            s.dc_start();
            assert_eq!(s.state.on(), flag, "the flag decides first");
            s.dc_release(&[1.0]);
            assert_eq!(s.state.on(), on, "vh {vh} current {current} flag {flag}");
        }
    }

    #[test]
    fn uic_takes_the_flag_at_the_initial_conditions() {
        // Measured with ngspice 39 (uic_band.cir of the e2e tests): the flag
        // labels the state at the initial conditions (`c_uic`); the first
        // time point (control 1, inside the band) applies the rules with it,
        // an SW with VH > 0 from its first iterate at `c_uic`.
        for (vh, current, c_uic, on) in [
            (-0.5, false, 0.0, true),
            (-0.5, false, 1.0, false),
            (0.5, true, 0.0, true),
            (0.5, false, 0.0, false),
            (0.5, false, 1.0, true),
        ] {
            let flag = vh > 0.0;
            let mut s = sw(vh, current, flag);
            s.uic(&[c_uic]);
            s.dc_start();
            assert_eq!(s.state.on(), flag, "the flag holds through the solve of the algebraic unknowns");
            assert!(!s.dc_release(&[1.0]));
            s.start_transient(&[1.0]);
            assert_eq!(s.state.on(), on, "vh {vh} current {current} c_uic {c_uic}");
        }
    }

    #[test]
    fn a_crossing_names_the_first_threshold_that_changes_the_conductance() {
        let mut s = sw(0.5, false, false);
        s.dc_start();
        s.dc_release(&[0.0]);
        s.start_transient(&[0.0]);
        // Below to above in one step: the band's lower edge changes nothing.
        assert_eq!(s.pending(&[2.0]), Some(Crossing { threshold: 1.5, dir: 1.0 }));
        assert_eq!(s.pending(&[1.2]), None);
        let mut n = sw(-0.5, false, false);
        n.dc_start();
        n.dc_release(&[0.0]);
        n.start_transient(&[0.0]);
        assert_eq!(n.pending(&[2.0]), Some(Crossing { threshold: 0.5, dir: 1.0 }));
        assert!(n.commit(&[2.0]));
        assert_eq!(n.pending(&[1.0]), Some(Crossing { threshold: 1.5, dir: -1.0 }));
    }

    #[test]
    fn the_stamp_is_the_state_conductance() {
        let mut s = Switch::new((0, 1), (2, NONE), false, (1.0, 0.5), (2.0, 1e6), true);
        s.s = [0, 1, 2, 3];
        s.dc_start();
        let mut out =
            EvalOut { f: vec![0.0; 3], q: vec![0.0; 3], jac: vec![0.0; 4], limited: false, stale: false };
        let ctx = EvalCtx { t: 0.0, src_scale: 1.0, cj: 0.0, jac: true, limit: true };
        s.eval(&[3.0, 1.0, 0.0], ctx, &mut out);
        // ON: (3 - 1) V / 2 Ω = 1 A leaves a, enters b.
        assert_eq!(out.f, [1.0, -1.0, 0.0]);
        assert_eq!(out.jac, [0.5, -0.5, -0.5, 0.5]);
        assert!(!out.limited);
    }
}
