#!/usr/bin/env bash
# The end-to-end benchmark at 1M and 10M incidents, byrum beside the Python
# peers, in one invocation per size (see benches/pipeline.rs).
#
#   benches/pipeline.sh                 # 1M and 10M
#   benches/pipeline.sh 1000000         # one size
#   BYRUM_BENCH_THREADS=1,2,4,8,16 benches/pipeline.sh 10000000   # scaling table
#
# Generates missing inputs with ../shared/bench-peers/run, builds in release
# (CARGO_TARGET_DIR defaults to /tmp/byrum-bench-target so the debug target
# stays warm) and writes each size's output to target/pipeline-N.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/byrum-bench-target}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
mkdir -p target
for n in "${sizes[@]}"; do
  BYRUM_BENCH_N=$n cargo bench --bench pipeline 2>&1 | tee "target/pipeline-$n.txt"
done
