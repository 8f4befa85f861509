#!/usr/bin/env bash
# Builds each decoder fuzz target with clang's libFuzzer (plus ASan and
# UBSan) and runs it for $1 seconds (default 60) on a seed corpus of real
# archive objects. A crash, a sanitizer report or a leak fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=${WALE_FUZZ_DIR:-build-fuzz}
mkdir -p "$out"

# target: the sources it needs besides its own file.
declare -A targets=(
  [lzop_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/adler32.cpp common/codec/lzop.cpp"
  [tar_reader_fuzz]="common/core/error.cpp common/core/stream.cpp common/archive/tar.cpp"
  [xml_fuzz]="common/core/error.cpp common/net/xml.cpp"
  [lz4_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/frame_stream.cpp common/codec/lz4_frame.cpp"
  [zstd_decoder_fuzz]="common/core/error.cpp common/core/stream.cpp common/codec/frame_stream.cpp common/codec/zstd_frame.cpp"
)
declare -A seeds=(
  [lzop_decoder_fuzz]="tests/fixtures/wale-archive-1/wal_005"
  [tar_reader_fuzz]="tests/fuzz/seeds/tar"
  [xml_fuzz]="tests/fuzz/seeds/xml"
  [lz4_decoder_fuzz]="tests/fuzz/seeds/lz4"
  [zstd_decoder_fuzz]="tests/fuzz/seeds/zstd"
)

for target in "${!targets[@]}"; do
  echo "fuzz: building $target" >&2
  # shellcheck disable=SC2086
  clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. -I/usr/include/lzo \
    ${targets[$target]} "tests/fuzz/$target.cpp" -llzo2 -llz4 -lzstd -o "$out/$target"
  corpus=$out/$target.corpus
  mkdir -p "$corpus"
  echo "fuzz: running $target for $seconds s" >&2
  "$out/$target" -max_total_time="$seconds" -max_len=1048576 -print_final_stats=1 \
    -artifact_prefix="$out/$target-" "$corpus" ${seeds[$target]} > "$out/$target.log" 2>&1 \
    || { tail -n 60 "$out/$target.log" >&2; echo "fuzz: $target failed; the input is in $out" >&2; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$out/$target.log" >&2 || true
done
