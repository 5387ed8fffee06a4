#!/usr/bin/env bash
# check_node.sh [--warn]: exits 0 if `node` is at least the version the TypeScript end-to-end
# suite needs; otherwise prints one line saying what is needed and how to get it, and exits 1
# (with --warn: prints it as a note and exits 0).
# Why 20.3: @temporalio/core-bridge 1.24.0 declares node >= 20.3.0 and the suite runs
# `node --test --test-timeout`, which Node 18 (Debian 12's own nodejs) rejects as a bad option.
set -uo pipefail
need_major=20 need_minor=3
warn=0
[ "${1:-}" = --warn ] && warn=1

found=$(node --version 2>/dev/null) || found=""
ok=0
if [[ $found =~ ^v([0-9]+)\.([0-9]+)\. ]]; then
    major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
    if [ "$major" -gt $need_major ] || { [ "$major" -eq $need_major ] && [ "$minor" -ge $need_minor ]; }; then
        ok=1
    fi
fi
[ $ok = 1 ] && exit 0

what=${found:-no node on PATH}
[ -n "$found" ] && what="found $found at $(command -v node)"
msg="Node.js >= $need_major.$need_minor is needed for the end-to-end tests ($what; @temporalio/* 1.24.0 requires it): install Node 20 or newer, e.g. from the nodesource repository or Debian 13's nodejs, then run the command again"
if [ $warn = 1 ]; then
    echo "setup: note: $msg. The server itself builds without it." >&2
    exit 0
fi
echo "e2e: $msg." >&2
exit 1
