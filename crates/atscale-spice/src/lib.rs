//! SPICE netlists in and out for atscale.
//!
//! A tour, in the order a user meets it:
//!
//! - [`write_netlist`] writes an [`atscale_circuit::Circuit`] and an
//!   [`Analysis`] (`.tran`, [`Options`], `.ic`) as a netlist in a
//!   [`Dialect`] ([`Ngspice`] or [`Xyce`]), with a [`Header`];
//!   [`write_flat_netlist`] flattens first. The [`write`](mod@write) module documents
//!   the netlist conventions (B-sources for laws, state nodes for memristive
//!   elements, `*@atscale` annotations).
//! - [`parse_str`] and [`parse_file`] read the ngspice netlist language into
//!   a [`Netlist`]: the circuit, the analysis, any `.control` blocks
//!   ([`ControlBlock`]) and warnings. Errors are [`Error::Parse`] with a
//!   [`Diagnostic`] naming file, line and column.
//! - [`Deck`] is a netlist as ngspice reads it: the file and everything it
//!   includes, expanded, with every route by which ngspice would run
//!   commands ([`ControlRoute`]); the parser reads decks and the ngspice
//!   runner runs them, so both see the same lines.
//! - [`number`] owns how numbers are printed and read; [`names`] owns
//!   injection safety.

pub mod circuit_file;
mod control_vars;
pub mod deck;
pub mod dialect;
pub mod error;
pub mod names;
pub mod number;
pub mod parse;
pub mod vacask;
pub mod veriloga;
pub mod write;

pub use atscale_circuit::{Analysis, Method, Options, Tran};
pub use circuit_file::{read_circuit, CircuitFile};
pub use deck::{ControlRoute, Deck, DeckLimits, RouteKind};
pub use dialect::{Dialect, Ngspice, Xyce};
pub use error::{Diagnostic, Error, Result};
pub use parse::{parse_deck, parse_file, parse_str, ControlBlock, Netlist, Warning};
pub use vacask::{write_vacask, write_vacask_with, VacaskDeck};
pub use veriloga::VaModule;
pub use write::{
    check_library_path, write_flat_netlist, write_netlist, write_netlist_with, Header, Library, Setup,
};
