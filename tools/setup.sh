#!/usr/bin/env bash
# setup.sh: installs the Debian packages Sandglass builds and tests with, if any is missing.
# Idempotent and quick when everything is present; needs root (or sudo) only when installing.
# `setup.sh --browser` installs only the browser of the web UI's e2e (make e2e-ts asks for it).
#
# Every package the build and the tests read is named here, never left to Recommends: apt runs
# with --no-install-recommends, and a machine that happens to have a package must not hide its
# absence from a fresh one (protobuf-compiler only *recommends* libprotobuf-dev, which holds the
# google/protobuf/*.proto files protoc-c reads).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

pkgs=(
    build-essential       # cc, make, ar
    ca-certificates       # npm and pip fetch over HTTPS
    libuv1-dev            # event loop
    libnghttp2-dev        # HTTP/2
    libhttp-parser-dev    # HTTP/1.1 requests (the metrics endpoint; later the HTTP API and web UI)
    libjansson-dev        # JSON parsing: the HTTP API's request bodies
    libprotobuf-c-dev     # protobuf-c runtime
    protobuf-c-compiler   # protoc-c, generates C from the pinned .proto files
    libprotobuf-dev       # google/protobuf/*.proto (well-known types) that the Temporal protos import
    libsqlite3-dev        # storage
    zlib1g-dev            # gzip grpc-encoding
    valgrind              # make valgrind
    clang                 # make fuzz: libFuzzer targets (fuzz/)
    libclang-rt-14-dev    # libFuzzer and the sanitizer runtimes for clang
    jq                    # the CLI e2e runs seed 002's runbook, which pipes `workflow list -o json` into jq
    prometheus            # promtool: the metrics e2e checks a scrape with `promtool check metrics`
)
# The browser the web UI's e2e drives: a few hundred MB, so only `setup.sh --browser` (make e2e-ts)
# installs it, not the first build of a user who only wants to run the server.
browser_pkgs=(
    chromium              # tests/e2e/ui.test.mjs drives /usr/bin/chromium with playwright-core (no browser download)
    chromium-driver       # chromedriver of the same version, for WebDriver clients (playwright-core itself talks CDP)
)
if [ "${1:-}" = --browser ]; then
    pkgs=("${browser_pkgs[@]}")
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js and Python may come from outside Debian (nodesource, pyenv, ...): a working binary counts.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ! command -v python3 >/dev/null; then
    missing+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian's python3 leaves ensurepip (which `python3 -m venv` needs) to python3-venv.
    missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = --browser ] && exit 0

# The server builds with any Node (npm only fetches the .proto files); the end-to-end tests need
# a newer one. Say so now, once; `make e2e` stops with the same line.
bash "$here/check_node.sh" --warn
bash "$here/check_python.sh" --warn
