//! The analysis a netlist asks for: `.tran`, `.options`, `.ic` and `.nodeset`.

/// What to simulate and how: the transient analysis, simulator options and
/// initial node voltages. Written as `.tran`, `.options` and `.ic` lines and
/// read back from them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// The transient analysis (`.tran`), if any.
    pub tran: Option<Tran>,
    /// Simulator options (`.options`).
    pub options: Options,
    /// Initial node voltages (`.ic v(node)=value`): node name as written and
    /// voltage in volts, in the order given.
    pub ic: Vec<(String, f64)>,
    /// Operating-point guesses (`.nodeset v(node)=value`): held for a first
    /// solution, then released, as ngspice does; in volts.
    pub nodeset: Vec<(String, f64)>,
}

impl Analysis {
    /// A transient analysis from 0 to `tstop_s` with print step `tstep_s`
    /// and maximum step `tmax_s`, starting from the given initial conditions
    /// (`uic`).
    pub fn tran_uic(tstep_s: f64, tstop_s: f64, tmax_s: f64) -> Self {
        Analysis {
            tran: Some(Tran { tstep_s, tstop_s, tstart_s: 0.0, tmax_s: Some(tmax_s), uic: true }),
            ..Analysis::default()
        }
    }

    /// The maximum step in force: `.tran`'s `tmax`, else `.options maxstep`,
    /// else ngspice's default `min(tstep, (tstop - tstart) / 50)`; `None`
    /// without a `.tran`.
    pub fn max_step_s(&self) -> Option<f64> {
        let tran = self.tran.as_ref()?;
        Some(tran.tmax_s.or(self.options.maxstep_s).unwrap_or_else(|| tran.default_tmax_s()))
    }
}

/// `.tran tstep tstop [tstart [tmax]] [uic]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tran {
    /// Print (output) step, s; ngspice also uses it for waveform defaults.
    pub tstep_s: f64,
    /// Stop time, s.
    pub tstop_s: f64,
    /// Time from which results are kept, s (default 0).
    pub tstart_s: f64,
    /// Maximum internal step, s (`None`: the simulator's default).
    pub tmax_s: Option<f64>,
    /// Skip the operating point and start from the `IC=` values and `.ic`
    /// (`uic`).
    pub uic: bool,
}

impl Tran {
    /// ngspice's default maximum step: `min(tstep, (tstop - tstart) / 50)`.
    pub fn default_tmax_s(&self) -> f64 {
        self.tstep_s.min((self.tstop_s - self.tstart_s) / 50.0)
    }
}

/// Integration method (`.options method=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Trapezoidal rule (`trap`, ngspice's default).
    Trap,
    /// Gear (backward differentiation; ngspice stops at order 2).
    Gear,
}

impl Method {
    /// The keyword (`trap`, `gear`).
    pub fn keyword(self) -> &'static str {
        match self {
            Method::Trap => "trap",
            Method::Gear => "gear",
        }
    }
}

/// Simulator options. Every field is `None` when not given, meaning the
/// simulator's default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    /// Relative tolerance `reltol` (ngspice default 1e-3).
    pub reltol: Option<f64>,
    /// Absolute current tolerance `abstol`, A (default 1e-12).
    pub abstol: Option<f64>,
    /// Absolute voltage tolerance `vntol`, V (default 1e-6).
    pub vntol: Option<f64>,
    /// Charge tolerance `chgtol`, C (default 1e-14).
    pub chgtol: Option<f64>,
    /// Minimum conductance `gmin`, S (default 1e-12).
    pub gmin: Option<f64>,
    /// Integration method (default trapezoidal).
    pub method: Option<Method>,
    /// Maximum integration order `maxord` (ngspice default 2).
    pub maxord: Option<u32>,
    /// Maximum step from `.options maxstep=` (s); `.tran`'s `tmax` wins.
    pub maxstep_s: Option<f64>,
    /// Other options, by lower-case name, with their value as written
    /// (`None` for a flag). They are kept and written back, not interpreted.
    pub other: Vec<(String, Option<String>)>,
}
