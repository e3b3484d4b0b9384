//! Transistor-level realisation of a design (issue 8): a [`tech::Technology`]
//! (TOML, or a built-in: `generic-bsim4`, `generic-level1`) and
//! [`mapping::realise`], which maps every element of a designed
//! four-conductance neuron to transconductance amplifiers, sizes every
//! device, checks it against the technology's limits and reports it.
//!
//! The mapping (theory section 7; one model volt is `2 U_T / kappa`
//! below threshold):
//!
//! - a tanh conductance element `alpha tanh(v - delta)` is a five-transistor
//!   transconductance amplifier (NMOS differential pair, PMOS mirror) whose
//!   tail current `|alpha| I_unit` sets the gain and whose reference input
//!   `V_ref + s delta` sets the offset; the sign of `alpha` picks which input
//!   the membrane drives;
//! - a first-order relaxation `tau dx/dt = v - x` is a follower-integrator
//!   driving a capacitor `C` with `tau = 2 U_T C / (kappa I_f)`; below
//!   threshold it is three amplifiers whose input pairs have offsets
//!   [`mapping::FOLLOWER_OFFSETS`] built in by length ratios (times the
//!   technology's `offset_length_factor`), slope 1 at balance, linear over
//!   `|v - x| <= 3` model volts; above threshold one amplifier, which slews
//!   as the pair characteristic for large `v - x` (the behavioural model of
//!   the realisation, [`mapping::Realisation::ideal_model`], keeps these
//!   characteristics so that their effect on the rate is predicted, not fitted);
//! - the membrane capacitor is a capacitor; the linear leak is nine
//!   amplifiers in parallel with offsets [`mapping::LEAK_OFFSETS`]
//!   (a multi-tanh linearisation: one amplifier saturates at one model
//!   volt, the membrane swings over three);
//! - below threshold, the FitzHugh-Nagumo cubic is nine amplifiers with
//!   signed weights ([`mapping::CUBIC_OFFSETS`], [`mapping::cubic_weights`])
//!   and its inductor branch a state capacitor holding the branch current
//!   with three nine-amplifier linearised transconductors;
//! - bias currents are ideal current sources or, with
//!   [`mapping::BiasSource::Mirrors`], mirror transistors of one reference
//!   current sized by their width ratio to the reference device;
//!   a membrane trim source ([`mapping::Options::membrane_trim_a`]) cancels
//!   the transistor circuit's static current error at the design's knee
//!   ([`mapping::design_knee`], measured on [`mapping::trim_probe`]).
//!
//! Model 0 V is `V_ref`, half the supply. The design's time scale and
//! capacitance are kept, its amplitude scale is replaced by the
//! technology's model volt, so currents are `s C0 / omega` times the model
//! currents. Above threshold (level-1 models, which have no subthreshold
//! conduction) the same circuit runs with each pair at the technology's
//! overdrive, which then is the model volt, and the pair's square-law
//! characteristic replaces tanh.

mod blocks;
mod builder;
pub mod characterise;
pub mod mapping;
pub mod tech;

pub use mapping::{
    current_sensitivity, predict, realise, with_subckt_devices, Amplifier, BiasSource, Biased, BlockReport,
    DeviceKind, DeviceReport, Followers, Options, Prediction, Realisation, RealisedScales, Role, RunSettings,
    Sensitivity, SENSITIVITY_STEP_MODEL,
};
pub use tech::{DrawFiles, Engine, ModelSource, Region, SubcktDevice, Technology};
