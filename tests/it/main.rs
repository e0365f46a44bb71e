//! The one integration-test binary: every module runs the real executables.

mod lock_election;
