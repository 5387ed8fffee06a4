#!/usr/bin/env bash
# Checks that docs/compatibility.md lists every RPC of the pinned WorkflowService and OperatorService protos
# and every EventType / CommandType value (except *_UNSPECIFIED).
# An RPC counts as listed when it is the first cell of a table row inside the "## ..." section whose heading
# names its service (e.g. "temporal.api.workflowservice.v1.WorkflowService"); an enum value counts as listed
# when it is the first cell of any table row. Exit 1 listing what is missing, exit 0 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
API="$ROOT/proto/node_modules/@temporalio/core-bridge/sdk-core/crates/protos/protos/api_upstream/temporal/api"
DOC="$ROOT/docs/compatibility.md"

WF_PROTO="$API/workflowservice/v1/service.proto"
OP_PROTO="$API/operatorservice/v1/service.proto"
EV_PROTO="$API/enums/v1/event_type.proto"
CMD_PROTO="$API/enums/v1/command_type.proto"

for f in "$DOC" "$WF_PROTO" "$OP_PROTO" "$EV_PROTO" "$CMD_PROTO"; do
    if [[ ! -f "$f" ]]; then
        echo "check_compat: missing file: $f" >&2
        exit 1
    fi
done

# rpc names declared in a service.proto ("rpc Name(" possibly with spaces before the parenthesis)
proto_rpcs() {
    grep -E '^[[:space:]]*rpc[[:space:]]+[A-Za-z0-9_]+[[:space:]]*\(' "$1" |
        sed -E 's/^[[:space:]]*rpc[[:space:]]+([A-Za-z0-9_]+).*/\1/'
}

# values of an enum with the given prefix, without *_UNSPECIFIED
proto_enum_values() {
    grep -E "^[[:space:]]*$2[A-Z0-9_]+[[:space:]]*=" "$1" |
        sed -E 's/^[[:space:]]*([A-Z0-9_]+).*/\1/' |
        grep -v '_UNSPECIFIED$' || true
}

# first cells of table rows; with $1 set, only rows inside "## " sections whose heading contains $1
doc_first_cells() {
    awk -v want="${1:-}" '
        /^## / { insec = (want == "" || index($0, want) > 0); next }
        insec && /^[[:space:]]*\|/ {
            line = $0
            sub(/^[[:space:]]*\|[[:space:]]*/, "", line)
            n = index(line, "|")
            if (n == 0) next
            cell = substr(line, 1, n - 1)
            gsub(/[`*]/, "", cell)
            gsub(/^[[:space:]]+|[[:space:]]+$/, "", cell)
            if (cell != "") print cell
        }
        BEGIN { insec = (want == "") }
    ' "$DOC" | sort -u
}

missing=()

check_list() { # $1 = label, $2 = expected names (newline separated), $3 = listed names
    local name
    while IFS= read -r name; do
        [[ -z "$name" ]] && continue
        if ! grep -qxF -- "$name" <<<"$3"; then
            missing+=("$1 $name")
        fi
    done <<<"$2"
}

wf_rpcs="$(proto_rpcs "$WF_PROTO")"
op_rpcs="$(proto_rpcs "$OP_PROTO")"
events="$(proto_enum_values "$EV_PROTO" EVENT_TYPE_)"
commands="$(proto_enum_values "$CMD_PROTO" COMMAND_TYPE_)"

check_list "WorkflowService RPC" "$wf_rpcs" "$(doc_first_cells temporal.api.workflowservice.v1.WorkflowService)"
check_list "OperatorService RPC" "$op_rpcs" "$(doc_first_cells temporal.api.operatorservice.v1.OperatorService)"
all_cells="$(doc_first_cells)"
check_list "EventType" "$events" "$all_cells"
check_list "CommandType" "$commands" "$all_cells"

count() { grep -c . <<<"$1" || true; }
n_rpcs=$(( $(count "$wf_rpcs") + $(count "$op_rpcs") ))
n_events=$(count "$events")
n_commands=$(count "$commands")

if (( ${#missing[@]} > 0 )); then
    echo "docs/compatibility.md is missing ${#missing[@]} item(s):" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi

echo "compatibility.md lists $n_rpcs RPCs, $n_events events, $n_commands commands"
