#!/usr/bin/env bash
# check_layers.sh OBJ_DIR BIN: the dependency rules of docs/architecture.md, checked on the
# built objects (so a call through a macro or a header counts too):
#   - no call cycle among src/history's files (tools/callcycles.py);
#   - no file of src/rpc calls the store: handlers reach data through domain modules
#     (history engine, namespace registry);
#   - src/cli includes nothing from history/, store/, matching/ or rpc/ (it parses flags and
#     calls server/ or, through the gRPC client, a server);
#   - only src/cli calls the gRPC client: the server side of the binary never dials out.
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
server_objs=$(find "$obj" -name '*.o' ! -path "$obj/cli/*" ! -path "$obj/tests/*" ! -name grpc_client.o)
if calls=$(nm $server_objs 2>/dev/null | grep -E ' U sg_grpc_client_' | sort -u) && [ -n "$calls" ]; then
    echo "the server side calls the gRPC client (only src/cli may):"; echo "$calls"; fail=1
fi
[ $fail = 0 ] && echo "layers: ok"
exit $fail
