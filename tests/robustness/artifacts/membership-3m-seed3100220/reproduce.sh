#!/bin/sh
# membership-3m-seed3100220: revision went back: rob/lease/2-467=l2-467 was acknowledged at revision 1105 but the members converged at 1104
# Run from the repository's top directory; the server's timing is not seeded.
ROBUSTNESS_SEED=3100220 ROBUSTNESS_SCENARIO=membership ROBUSTNESS_MEMBERS=3 ROBUSTNESS_SECS=6 \
  cargo test --release --features failpoints --test it robustness::one -- --ignored --nocapture
