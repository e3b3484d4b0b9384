//! Every Markdown report atscale writes.

pub mod realise;
pub mod reliability;
pub mod sweep;
pub mod verify;
