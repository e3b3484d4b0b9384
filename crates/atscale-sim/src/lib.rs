//! The native transient solver of atscale.
//!
//! **Not implemented yet.** This crate will hold the modified-nodal-analysis
//! formulation, operating point and adaptive transient integration with
//! root-found events (issue 3). It currently exports nothing.
