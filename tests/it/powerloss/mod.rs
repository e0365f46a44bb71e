//! Power loss (issue 13, point 2): members whose data dirs are on [`fs::PowerLossMount`], a
//! FUSE layer that drops every write not yet fsynced at a simulated power cut.

pub mod fs;
