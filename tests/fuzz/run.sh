#!/usr/bin/env bash
# Builds the fuzz targets (clang++ with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer; one per decoder and parser wal-e has) and runs
# each on its seed corpus, tests/fuzz/seeds/<name>/, which also keeps the
# input of every crash ever found and fixed, so that each run replays them.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#       each target for SECONDS (default 20), WALE_FUZZ_JOBS at once
#       (default: one a core): what scripts/test.sh runs
#   tests/fuzz/run.sh --long [RUNS] [TARGET...]
#       each target until RUNS executions (default 10000000) at nice 19
#       (WALE_FUZZ_JOBS at once, default 1) on a faster build without
#       AddressSanitizer, then what it kept replayed under AddressSanitizer;
#       a table of the executions reached
#
# A crash, a sanitizer report, a leak, a timeout (30 s for one input) or an
# input using more than 2 GiB fails the run; the input is kept in
# $WALE_FUZZ_DIR (default build-fuzz) and its log's tail is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=${WALE_FUZZ_DIR:-build-fuzz}
mode=short seconds=20 runs=10000000
if [ "${1:-}" = --long ]; then
  mode=long
  shift
  if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
elif [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

# target: the sources it needs besides its own file.
declare -A sources=(
  [lzop_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/adler32.cpp common/codec/lzop.cpp"
  [tar_reader_fuzz]="common/core/error.cpp common/core/stream.cpp common/archive/tar.cpp"
  [xml_fuzz]="common/core/error.cpp common/net/xml.cpp"
  [s3_answers_fuzz]="common/core/error.cpp common/net/xml.cpp common/storage/s3/s3_xml.cpp"
  [sentinel_fuzz]="common/core/error.cpp common/archive/sentinel.cpp"
  [proto_fuzz]="proto/frame.cpp proto/request.cpp proto/walg_message.cpp"
  [sigv4_fuzz]="common/core/error.cpp common/net/uri.cpp common/codec/digest.cpp common/codec/hmac.cpp common/codec/xxh3_avx2.cpp common/storage/s3/sigv4.cpp"
  [timeline_history_fuzz]="common/core/error.cpp common/pg/wal_name.cpp common/archive/timeline_history.cpp"
  [options_fuzz]="common/core/error.cpp common/config/options.cpp common/storage/store_url.cpp common/net/url.cpp common/storage/s3/s3_settings.cpp"
  [names_fuzz]="common/core/error.cpp common/core/stream.cpp common/pg/wal_name.cpp common/archive/layout.cpp common/archive/sentinel.cpp common/archive/backup_catalog.cpp common/storage/store_url.cpp common/net/url.cpp common/storage/s3/s3_settings.cpp"
  [lz4_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/frame_stream.cpp common/codec/lz4_frame.cpp"
  [zstd_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/frame_stream.cpp common/codec/zstd_frame.cpp"
  [store_answers_fuzz]="common/core/error.cpp common/net/xml.cpp common/storage/azure/azure_xml.cpp common/storage/azure/blob_naming.cpp common/storage/gcs/gcs_json.cpp common/storage/swift/swift_json.cpp common/storage/s3/s3_xml.cpp common/codec/digest.cpp common/codec/xxh3_avx2.cpp common/net/uri.cpp common/core/file.cpp common/storage/file_store.cpp common/storage/store_url.cpp common/net/url.cpp common/storage/s3/s3_settings.cpp common/core/stream.cpp"
)
# target: its seed corpora (read, never written), and the longest input.
declare -A seeds=(
  [lzop_decoder_fuzz]="tests/fuzz/seeds/lzop tests/fixtures/wale-archive-1/wal_005"
  [tar_reader_fuzz]="tests/fuzz/seeds/tar"
  [xml_fuzz]="tests/fuzz/seeds/xml"
  [s3_answers_fuzz]="tests/fuzz/seeds/xml"
  [sentinel_fuzz]="tests/fuzz/seeds/sentinel"
  [proto_fuzz]="tests/fuzz/seeds/proto"
  [sigv4_fuzz]="tests/fuzz/seeds/sigv4"
  [timeline_history_fuzz]="tests/fuzz/seeds/timeline_history"
  [options_fuzz]="tests/fuzz/seeds/options"
  [names_fuzz]="tests/fuzz/seeds/names"
  [lz4_decoder_fuzz]="tests/fuzz/seeds/lz4"
  [zstd_decoder_fuzz]="tests/fuzz/seeds/zstd"
  [store_answers_fuzz]="tests/fuzz/seeds/store_answers"
)
declare -A max_len=(
  [lzop_decoder_fuzz]=1048576 [tar_reader_fuzz]=1048576 [xml_fuzz]=1048576 [s3_answers_fuzz]=1048576 [sentinel_fuzz]=65536
  [proto_fuzz]=131072 [sigv4_fuzz]=4096 [timeline_history_fuzz]=65536 [options_fuzz]=4096 [names_fuzz]=1024
  [lz4_decoder_fuzz]=1048576 [zstd_decoder_fuzz]=1048576 [store_answers_fuzz]=262144
)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(printf '%s\n' "${!sources[@]}" | sort)
for target in "${targets[@]}"; do
  [ -n "${sources[$target]:-}" ] || { echo "fuzz: unknown target $target (known: ${!sources[*]})" >&2; exit 2; }
done

# build DIR SANITIZERS OPTIMISATION: every source compiled once, in
# parallel, by a generated Makefile in DIR (make also follows header
# dependencies between runs); each target is then linked.
build() {
  local dir=$1 sanitizers=$2 opt=$3 target objs src
  mkdir -p "$dir"
  {
    echo "CXX := clang++"
    echo "CXXFLAGS := -std=c++20 -g $opt -fsanitize=fuzzer-no-link,$sanitizers -fno-sanitize-recover=undefined -I$root -I/usr/include/lzo -MMD -MP"
    echo "LDFLAGS := -fsanitize=fuzzer,$sanitizers"
    echo "LIBS := -llzo2 -llz4 -lzstd -lcrypto -lxxhash"
    echo "obj/%.o: $root/%.cpp"
    # shellcheck disable=SC2016
    printf '\t@mkdir -p $(@D) && $(CXX) $(CXXFLAGS) -c $< -o $@\n'
    echo "obj/common/codec/xxh3_avx2.o: CXXFLAGS += -mavx2"
    for target in "${targets[@]}"; do
      objs="obj/tests/fuzz/$target.o"
      for src in ${sources[$target]}; do objs+=" obj/${src%.cpp}.o"; done
      echo "$target: $objs"
      # shellcheck disable=SC2016
      printf '\t$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS)\n'
    done
    echo "all: ${targets[*]}"
    echo "-include \$(shell find obj -name '*.d' 2>/dev/null)"
  } > "$dir/Makefile"
  echo "fuzz: building ${#targets[@]} targets ($sanitizers $opt) in $dir" >&2
  make -s -C "$dir" -j "$(nproc)" all
}
build "$out" address,undefined -O1

failed() {
  tail -n 60 "$out/$1.log" >&2
  echo "fuzz: $1 failed; the input is in $out (replay: $out/$1 $out/$1-crash-*)" >&2
  exit 1
}

# run BINARY_DIR TARGET OPTIONS...: the target on a working corpus and its seeds.
run() {
  local bin=$1 target=$2; shift 2
  local corpus=$out/$target.corpus
  mkdir -p "$corpus"
  # shellcheck disable=SC2086
  "$bin/$target" "$@" -max_len="${max_len[$target]}" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$target-" "$corpus" ${seeds[$target]} > "$out/$target.log" 2>&1 || failed "$target"
}

executions() { sed -n 's/^stat::number_of_executed_units: *//p' "$out/$1.log" | tail -n 1; }

# each JOBS FUNCTION: FUNCTION TARGET for every target, JOBS at once; the
# first to fail ends the script.
each() {
  local jobs=$1 fn=$2 target pids=() pid
  for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || exit 1; done
    "$fn" "$target" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
}

# Short runs: one target a core (WALE_FUZZ_JOBS, default all of them), each
# for SECONDS of its own.
short() {
  echo "fuzz: $1 for $seconds s" >&2
  run "$out" "$1" -max_total_time="$seconds"
  echo "fuzz: $1: $(executions "$1") executions" >&2
}
if [ "$mode" = short ]; then
  each "${WALE_FUZZ_JOBS:-$(nproc)}" short
  exit 0
fi

# Long runs. AddressSanitizer's allocator maps and unmaps every large
# buffer (a decoder's window, its output slice) afresh, which holds the
# stream decoders to a few thousand executions a second; so the long runs
# use a build with UndefinedBehaviorSanitizer only, at -O2, and then replay
# everything they kept (the working corpus, every seed, every crash input)
# under the AddressSanitizer build. WALE_FUZZ_JOBS targets run at once
# (default 1: the machine is shared; the runs take what others leave).
renice -n 19 $$ > /dev/null
build "$out/fast" undefined -O2
long() {
  local target=$1 start=$SECONDS took count
  echo "fuzz: $target until $runs executions (nice 19)" >&2
  run "$out/fast" "$target" -runs="$runs"
  took=$((SECONDS - start))
  count=$(executions "$target")
  cp "$out/$target.log" "$out/$target.long.log"
  run "$out" "$target" -runs=0
  printf '%-24s %14s %10s %10s %8s\n' "$target" "$count" "$took" "$((count / (took > 0 ? took : 1)))" \
    "$(find "$out/$target.corpus" -type f | wc -l)" > "$out/$target.long-row"
  cat "$out/$target.long-row" >&2
}
each "${WALE_FUZZ_JOBS:-1}" long
{
  printf '%-24s %14s %10s %10s %8s\n' target executions seconds "exec/s" corpus
  for target in "${targets[@]}"; do cat "$out/$target.long-row"; done
} > "$out/long-table.txt"
echo >&2
cat "$out/long-table.txt"
