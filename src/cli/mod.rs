//! Command-line personalities (minimal stand-in; the integrator owns this file).
pub mod ctl;
