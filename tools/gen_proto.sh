#!/usr/bin/env bash
# gen_proto.sh OUT_DIR: generates protobuf-c sources for every file in proto/files.txt into OUT_DIR,
# and the HTTP API's route table (http_routes.inc, tools/gen_http_routes.py).
# Files whose generated text did not change keep their timestamps, so make rebuilds only what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
root="$here/proto/node_modules/@temporalio/core-bridge/sdk-core/crates/protos/protos"
[ -d "$root/api_upstream" ] || { echo "gen_proto: $root missing; run 'npm ci' in proto/" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t files < <(grep -v '^#' "$here/proto/files.txt" | grep -v '^$')
protoc-c -I"$here/proto" -I"$root/api_upstream" -I"$root/testsrv_upstream" -I"$root" -I/usr/include \
    --c_out="$tmp" "${files[@]}"
# The HTTP API's routes, from the same pinned protos' google.api.http options.
python3 "$here/tools/gen_http_routes.py" "$root/api_upstream/temporal/api/workflowservice/v1/service.proto" \
    "$root/api_upstream/temporal/api/operatorservice/v1/service.proto" > "$tmp/http_routes.inc"
mkdir -p "$out"
(cd "$tmp" && find . -type f) | while read -r f; do
    mkdir -p "$out/$(dirname "$f")"
    cmp -s "$tmp/$f" "$out/$f" || cp "$tmp/$f" "$out/$f"
done
