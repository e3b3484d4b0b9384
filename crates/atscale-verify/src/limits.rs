//! The limits of a run, in one place: every resource an input of a few
//! bytes could otherwise exhaust has a limit here, with a default and the
//! command-line option that raises it.
//!
//! | limit | default | option | bounds |
//! |---|---|---|---|
//! | [`Limits::max_input_bytes`] | 16 MiB | `--max-input-bytes` | a netlist with its includes, a spec |
//! | [`Limits::max_elements`] | 100,000 | `--max-elements` | elements after flattening (counted before expanding), and twice as many cards read |
//! | [`Limits::max_depth`] | 100 | `--max-depth` | subcircuit nesting |
//! | [`Limits::max_steps`] | 10,000,000 | `--max-steps` | time steps of a native or spice21 run |
//! | [`Limits::max_memory_bytes`] | 256 MiB | `--max-memory` | waveforms a run holds (native results, an ngspice raw file, spice21's) |
//! | [`Limits::max_engine_memory_bytes`] | 4 GiB | `--max-engine-memory` | ngspice's address space (`RLIMIT_AS`) |
//! | [`Limits::timeout`] | 600 s | `--timeout` | wall-clock time of one run of any engine |
//!
//! With the defaults atscale stays under 1 GiB (a subcircuit tree at the
//! element limit: 236 MB native, 631 MB in ngspice with BSIM4 devices);
//! ngspice's own limit is 4 GiB because a PDK's model library alone can need
//! more than 1 GiB (sky130's measured 1.8 GB).

use std::time::Duration;

use atscale_circuit::CircuitLimits;
use atscale_sim::SimLimits;

/// The limits of a run (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input read (a netlist with its includes), bytes.
    pub max_input_bytes: u64,
    /// Largest number of elements after flattening.
    pub max_elements: usize,
    /// Deepest subcircuit nesting.
    pub max_depth: usize,
    /// Largest number of time steps of one run.
    pub max_steps: u64,
    /// Largest waveform data one run holds, bytes.
    pub max_memory_bytes: u64,
    /// ngspice's address space, bytes.
    pub max_engine_memory_bytes: u64,
    /// Wall-clock limit of one run.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let c = CircuitLimits::default();
        let s = SimLimits::default();
        Limits {
            max_input_bytes: atscale_files::DEFAULT_MAX_INPUT_BYTES,
            max_elements: c.max_elements,
            max_depth: c.max_depth,
            max_steps: s.max_steps,
            max_memory_bytes: s.max_stored_bytes,
            max_engine_memory_bytes: crate::ngspice::DEFAULT_MAX_ENGINE_MEMORY,
            timeout: Duration::from_secs(600),
        }
    }
}

impl Limits {
    /// The circuit's share.
    pub fn circuit(&self) -> CircuitLimits {
        CircuitLimits { max_elements: self.max_elements, max_depth: self.max_depth }
    }

    /// The native solver's share.
    pub fn sim(&self) -> SimLimits {
        SimLimits { max_steps: self.max_steps, max_stored_bytes: self.max_memory_bytes }
    }

    /// The deck reader's share: the input bytes, and twice the element
    /// limit in cards (a netlist has model, parameter and subcircuit cards
    /// besides its elements).
    pub fn deck(&self) -> atscale_spice::DeckLimits {
        atscale_spice::DeckLimits {
            max_bytes: self.max_input_bytes,
            max_cards: self.max_elements.saturating_mul(2),
        }
    }
}
