#!/usr/bin/env bash
# setup.sh: installs the Debian packages Sandglass builds and tests with, if any is missing.
# Idempotent and quick when everything is present; needs root (or sudo) only when installing.
set -euo pipefail
pkgs=(build-essential pkg-config libuv1-dev libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
      protobuf-compiler libsqlite3-dev zlib1g-dev nodejs npm valgrind)
missing=()
for p in "${pkgs[@]}"; do
    # npm/nodejs may come from outside Debian (e.g. a preinstalled node); accept a working binary.
    case $p in
        nodejs) command -v node >/dev/null && continue ;;
        npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
