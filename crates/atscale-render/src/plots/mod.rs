//! Every figure atscale writes, built as a [`Figure`](crate::figure::Figure)
//! from the data of the crate that computed it.

pub mod design;
pub mod sweep;
pub mod verify;
