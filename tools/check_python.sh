#!/usr/bin/env bash
# check_python.sh [--warn]: exits 0 if `python3` can run the Python end-to-end suite (its pinned
# requirements were resolved on Python 3.11; 3.10 would need extra backports pinned too, and
# the venv needs the venv/ensurepip modules);
# otherwise prints one line saying what is needed and exits 1 (with --warn: a note, exit 0).
set -uo pipefail
warn=0
[ "${1:-}" = --warn ] && warn=1

problem=""
if ! command -v python3 >/dev/null; then
    problem="no python3 on PATH"
elif ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    problem="found $(python3 --version 2>&1) at $(command -v python3); the pinned requirements need 3.11 or newer"
elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    problem="$(command -v python3) cannot create a venv; on Debian install python3-venv"
fi
[ -z "$problem" ] && exit 0

msg="Python >= 3.11 with venv is needed for the Python end-to-end tests ($problem)"
if [ $warn = 1 ]; then
    echo "setup: note: $msg. The server itself builds without it." >&2
    exit 0
fi
echo "e2e-py: $msg." >&2
exit 1
