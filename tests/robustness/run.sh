#!/usr/bin/env bash
# Robustness campaign (issue 13): runs randomized robustness runs (tests/it/robustness) with
# the failpoints build, one process per run, and stops at the first violation with its seed.
#
#   tests/robustness/run.sh [-n RUNS] [-t SECONDS] [-s FIRST_SEED] [-o OUT_DIR] [-d RUN_SECS]
#                           [-S LIST] [-j JOBS] [-a] [-r]
#
#   -n RUNS       at most this many runs (default 1000)
#   -t SECONDS    stop starting runs after this much time (default: no limit)
#   -s SEED       seed of the first run; run i uses SEED+i (default: random)
#   -o DIR        where runs.log, summary.txt and a violation's artifacts go
#                 (default target/robustness-campaign)
#   -d SECS       seconds of faults per run (default 10)
#   -S LIST       comma-separated scenarios to draw from (default: all), e.g. -S power_cut
#   -j JOBS       runs at a time (default 1); each run has its own members, ports and dirs
#   -a            append: continue a campaign in OUT_DIR (keep its runs.log; the summary
#                 covers every run in it), e.g. a second stretch with the next seeds
#   -r            use the release build (faster runs, so more of them per hour)
#
# Each run picks its scenario (kill, pause, failpoint, failpoint_restart, slow_disk, mixed,
# partition_minority, partition_leader, bridge, one_way, delay_loss, snapshot_catchup,
# membership, power_cut and power_cut_member (the whole cluster / one member of 3 loses
# power): need FUSE, see tests/it/powerloss; clock_skew: members' clocks
# skewed, lease expiry checked against the skew) and its size (1 or 3 members;
# network, membership and power_cut_member use at least 3, bridge 5) from its seed. Runs are niced
# (the machine is shared).
# Reproduce run i: ROBUSTNESS_SEED=<seed> ROBUSTNESS_SCENARIO=<s> ROBUSTNESS_MEMBERS=<n>
#   cargo test --features failpoints --test it robustness::one -- --ignored --nocapture
# The summary (runs, results, operations checked, faults injected by kind) is printed and
# written to OUT_DIR/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=1000
BUDGET=0
SEED=$(( (RANDOM << 15) | RANDOM ))
OUT=target/robustness-campaign
RUN_SECS=10
JOBS=1
APPEND=0
PROFILE=()
SCENARIOS=(kill pause failpoint failpoint_restart slow_disk mixed partition_minority
  partition_leader bridge one_way delay_loss snapshot_catchup membership power_cut clock_skew
  power_cut_member)
while getopts "n:t:s:o:d:S:j:arh" opt; do
  case $opt in
    n) RUNS=$OPTARG ;;
    t) BUDGET=$OPTARG ;;
    s) SEED=$OPTARG ;;
    o) OUT=$OPTARG ;;
    d) RUN_SECS=$OPTARG ;;
    S) IFS=, read -ra SCENARIOS <<< "$OPTARG" ;;
    j) JOBS=$OPTARG ;;
    a) APPEND=1 ;;
    r) PROFILE=(--release) ;;
    *) sed -n '2,28p' "$0"; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ "$APPEND" = 1 ] || : > "$OUT/runs.log"

BIN=$(cargo test --locked "${PROFILE[@]}" --features failpoints --test it --no-run 2>&1 \
  | sed -n 's/.*Executable tests\/it\/main.rs (\(.*\))/\1/p' | tail -1)
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "could not build the failpoints test binary" >&2
  exit 1
fi

# One run: its own output file, kept only when it fails.
one_run() {
  local seed=$1 scenario=$2 members=$3 log="$OUT/run-seed$1.txt"
  if ROBUSTNESS_OUT="$OUT" ROBUSTNESS_SEED=$seed ROBUSTNESS_SCENARIO=$scenario \
      ROBUSTNESS_MEMBERS=$members ROBUSTNESS_SECS=$RUN_SECS \
      timeout --kill-after=10s 600s nice -n 10 "$BIN" robustness::one --exact --ignored \
      --nocapture > "$log" 2>&1; then
    mv -f "$log" "$OUT/last-run.txt"
  else
    echo "VIOLATION or failure at seed $seed (scenario $scenario, $members members):"
    grep -E "robustness (VIOLATION|FAILURE)|artifacts:" "$log" | head -5 || tail -20 "$log"
    echo "  minimized reproduction (history violations): minimal-history.txt / minimal-watch.txt in the artifacts"
    echo "  rerun: ROBUSTNESS_SEED=$seed ROBUSTNESS_SCENARIO=$scenario ROBUSTNESS_MEMBERS=$members ROBUSTNESS_SECS=$RUN_SECS $BIN robustness::one --exact --ignored --nocapture"
    mv -f "$log" "$OUT/failed-seed$seed.txt"
    return 1
  fi
}

start=$(date +%s)
status=0
i=0
running=0
while [ "$i" -lt "$RUNS" ] && [ "$status" = 0 ]; do
  if [ "$BUDGET" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$BUDGET" ]; then
    break
  fi
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || status=1
    running=$(( running - 1 ))
    continue
  fi
  seed=$(( SEED + i ))
  scenario=${SCENARIOS[$(( seed % ${#SCENARIOS[@]} ))]}
  members=$(( (seed / ${#SCENARIOS[@]}) % 2 == 0 ? 3 : 1 ))
  i=$(( i + 1 ))
  echo "run $i: seed=$seed scenario=$scenario members=$members"
  one_run "$seed" "$scenario" "$members" &
  running=$(( running + 1 ))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$(( running - 1 ))
done
elapsed=$(( $(date +%s) - start ))

awk -v elapsed="$elapsed" -v date="$(date -u +%Y-%m-%dT%H:%MZ)" '
  {
    for (f = 1; f <= NF; f++) {
      split($f, kv, "=")
      if (kv[1] == "result") res[kv[2]]++
      else if (kv[1] == "run") { split(kv[2], p, "-"); size = p[2]; sz[p[2]]++ ; sc[p[1]]++ }
      else if (kv[1] == "points") {
        n = split(kv[2], fs, ",")
        for (j = 1; j <= n; j++) {
          split(fs[j], c, ":")
          if (c[1] != "") { if (size == "1m") p1[c[1]] += c[2]; else pn[c[1]] += c[2]; pt[c[1]] = 1 }
        }
      }
      else if (kv[1] == "faults") {
        n = split(kv[2], fs, ",")
        for (j = 1; j <= n; j++) { split(fs[j], c, ":"); if (c[1] != "") fault[c[1]] += c[2] }
      }
      else sum[kv[1]] += kv[2]
    }
    runs++
  }
  END {
    printf "robustness campaign %s: %d runs (this invocation: %d s)\n", date, runs, elapsed
    printf "results:"; for (r in res) printf " %s=%d", r, res[r]; printf "\n"
    printf "sizes:"; for (s in sz) printf " %s=%d", s, sz[s]; printf "\n"
    printf "scenarios:"; for (s in sc) printf " %s=%d", s, sc[s]; printf "\n"
    printf "operations checked (linearizability): %d (%d with unknown outcome)\n", sum["ops"], sum["unknown"]
    printf "acknowledged writes: %d, checked against the watch history: %d\n", sum["acks"], sum["acks_checked"]
    printf "watch events checked: %d in %d segments\n", sum["watch_events"], sum["segments"]
    printf "also: serializable reads %d, lease operations %d, compactions %d\n", sum["serializable"], sum["lease_ops"], sum["compactions"]
    printf "faults:"; for (f in fault) printf " %s=%d", f, fault[f]; printf "\n"
    printf "failpoint crashes by name (1 member/3+ members):"; for (f in pt) printf " %s=%d/%d", f, p1[f], pn[f]; printf "\n"
  }' "$OUT/runs.log" | tee "$OUT/summary.txt"
exit $status
