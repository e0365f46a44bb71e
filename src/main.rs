//! The `etcd` multi-call binary (placeholder until the CLI lands).
fn main() {}
