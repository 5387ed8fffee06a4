#!/usr/bin/env bash
# check_layers.sh OBJ_DIR BIN: the dependency rules of docs/architecture.md, checked on the
# built objects (so a call through a macro or a header counts too):
#   - no call cycle among src/history's files (tools/callcycles.py);
#   - no file of src/rpc calls the store: handlers reach data through domain modules
#     (history engine, namespace registry);
#   - src/cli includes nothing from history/, store/, matching/ or rpc/ (it parses flags and
#     calls server/ or, later, the gRPC client);
#   - the server binary does not link the test/bench gRPC client.
set -euo pipefail
obj=${1:-build/obj}
bin=${2:-build/sandglass}
fail=0
python3 "$(dirname "$0")/callcycles.py" "$obj/history" || fail=1
if calls=$(nm "$obj"/rpc/*.o | grep -E ' U sg_store_' | sort -u) && [ -n "$calls" ]; then
    echo "src/rpc calls the store directly:"; echo "$calls"; fail=1
fi
if inc=$(grep -nE '#include "(history|store|matching|rpc)/' src/cli/*.c src/cli/*.h) && [ -n "$inc" ]; then
    echo "src/cli depends on inner layers:"; echo "$inc"; fail=1
fi
if [ "$(nm "$bin" | grep -c ' sg_grpc_client_' || true)" != 0 ]; then
    echo "$bin links the gRPC client (tests and bench only)"; fail=1
fi
[ $fail = 0 ] && echo "layers: ok"
exit $fail
