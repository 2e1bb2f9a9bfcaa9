#!/usr/bin/env bash
# Coverage-guided fuzzing campaign: SharpFuzz-instrumented readers under AFL++ (persistent mode).
#   fuzz/run-campaign.sh [seconds-per-target] [target ...]
# Targets: pb pbtxt import npy typeraw json (default: all). Needs afl++ (Debian: apt-get install afl++).
# Results: out/fuzz/findings/<target>/default/{fuzzer_stats,crashes,hangs}; a summary table is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(pb pbtxt import npy typeraw json)

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
[ -x out/tools/sharpfuzz ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path out/tools >/dev/null
rm -rf out/fuzz/bin
dotnet publish fuzz/DeepMdCompress.Fuzz -c Release -o out/fuzz/bin --nologo -v:q
# Seeds first: instrumented assemblies only run under afl-fuzz (they write to its shared memory).
for t in "${targets[@]}"; do
  rm -rf "out/fuzz/seeds/$t" && mkdir -p "out/fuzz/seeds/$t"
  dotnet out/fuzz/bin/DeepMdCompress.Fuzz.dll --write-seeds "$t" "out/fuzz/seeds/$t"
done
# Instrument our core and the protobuf runtime it drives (coverage of both guides the fuzzer).
out/tools/sharpfuzz out/fuzz/bin/DeepMdCompress.Core.dll
out/tools/sharpfuzz out/fuzz/bin/Google.Protobuf.dll

mkdir -p out/fuzz/findings
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
for t in "${targets[@]}"; do
  seeds=out/fuzz/seeds/$t
  out=out/fuzz/findings/$t
  rm -rf "$out"
  echo "fuzzing $t for $seconds s"
  afl-fuzz -i "$seeds" -o "$out" -t 10000 -m none -V "$seconds" -- dotnet out/fuzz/bin/DeepMdCompress.Fuzz.dll "$t" > "out/fuzz/$t.log" 2>&1 || true
done

printf '%-8s %12s %10s %10s %8s %8s\n' target execs execs/s coverage crashes hangs
for t in "${targets[@]}"; do
  s=out/fuzz/findings/$t/default/fuzzer_stats
  [ -f "$s" ] || { echo "$t: no stats (see out/fuzz/$t.log)"; continue; }
  v() { grep "^$1 " "$s" | sed 's/.*: //'; }
  printf '%-8s %12s %10s %10s %8s %8s\n' "$t" "$(v execs_done)" "$(v execs_per_sec)" "$(v bitmap_cvg)" "$(v saved_crashes)" "$(v saved_hangs)"
done
