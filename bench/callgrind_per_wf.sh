#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Server instructions per workflow, free of machine noise: runs the server under callgrind twice,
# once for N and once for 2N workflows driven by raw_worker, and prints (I(2N) - I(N)) / N, so
# start-up, shutdown and warm-up cancel out.
#
#   bench/callgrind_per_wf.sh [--n 300] [--k 0] [--db file|memory] [--bin build/sandglass]
#                             [--out DIR]   (keeps the callgrind files there for callgrind_annotate)
#                             [-- SERVER FLAGS…] (e.g. --sqlite-pragma page_size=8192)
#
# Extra environment for the server (e.g. a local experiment's switch) passes through.
set -euo pipefail
cd "$(dirname "$0")/.."
n=300 k=0 db=file bin=build/sandglass out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --k) k=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
[ -x bench/raw_worker ] || make -C bench raw_worker >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$out" ] && mkdir -p "$out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Prints the instruction total of one run of `count` workflows.
count_run() {
  local count=$1 port; port=$(free_port)
  local dbargs=()
  [ "$db" = file ] && dbargs=(--db-filename "$work/db-$count.sqlite")
  local cg="$work/cg.$count"
  valgrind --tool=callgrind --callgrind-out-file="$cg" "$bin" server start-dev --port "$port" \
    --ip 127.0.0.1 --headless "${dbargs[@]}" "${extra[@]}" >"$work/server-$count.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  bench/raw_worker --address "127.0.0.1:$port" --n "$count" --k "$k" --wf-threads 4 \
    --act-threads 4 >"$work/worker-$count.log" 2>&1 || { cat "$work/worker-$count.log" >&2; kill -INT $pid; exit 1; }
  kill -INT $pid
  for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ -n "$out" ] && cp "$cg" "$out/callgrind.$count"
  awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}

a=$(count_run "$n")
b=$(count_run $((2 * n)))
echo "instructions: $n workflows $a, $((2 * n)) workflows $b"
echo "per workflow (k=$k, $db): $(( (b - a) / n ))"
