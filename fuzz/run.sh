#!/usr/bin/env bash
# Builds byrum's fuzz targets and runs each for a while; prints one summary
# line per target (runs, cov, ft, corpus size) and fails on a crash.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]      (default 10 s, all targets)
#
# Works on stable Rust: the targets are built with `--sanitizer none` (the
# coverage instrumentation that libFuzzer needs is stable). With a nightly
# toolchain, FUZZ_SANITIZER=address adds AddressSanitizer. Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`); FUZZ_INSTALL=1 installs it when missing.
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: new
# inputs go to fuzz/target/corpus/<target>/ (git-ignored), which later runs
# reuse. A crash leaves its input in fuzz/artifacts/<target>/ and the script
# exits non-zero; add the input to the seeds and a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
shift || true
sanitizer="${FUZZ_SANITIZER:-none}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(incidents_csv geojson_places geojson_services geojson_routes interventions_csv opening_hours)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  if [ "${FUZZ_INSTALL:-0}" = 1 ]; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
  else
    echo "fuzz: cargo-fuzz is not installed (cargo install cargo-fuzz --locked, or FUZZ_INSTALL=1)" >&2
    exit 2
  fi
fi

# Keep the fuzz build apart from the main build (other RUSTFLAGS), but inside
# the cache directory when one is set.
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}}"
target_dir="${target_dir:-fuzz/target}"
echo "== cargo fuzz build (sanitizer $sanitizer, target dir $target_dir)"
start=$(date +%s)
mkdir -p fuzz/target
if ! cargo fuzz build --sanitizer "$sanitizer" --target-dir "$target_dir" >fuzz/target/build.log 2>&1; then
  tail -40 fuzz/target/build.log
  echo "fuzz: the build failed (log above)" >&2
  exit 1
fi
echo "fuzz build: $(( $(date +%s) - start )) s"

status=0
passed=0
for t in "${targets[@]}"; do
  work="fuzz/target/corpus/$t"
  mkdir -p "$work" "fuzz/artifacts/$t"
  log="fuzz/target/$t.log"
  set +e
  cargo fuzz run --sanitizer "$sanitizer" --target-dir "$target_dir" "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  if [ $rc -ne 0 ]; then
    echo "fuzz $t: FAILED (exit $rc); the log's end:"
    tail -40 "$log"
    status=1
  else
    echo "fuzz $t: ${runs:-?} runs in ${secs} s; ${done_line:-no DONE line}"
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $(( ${#targets[@]} - passed )) failed"
exit $status
