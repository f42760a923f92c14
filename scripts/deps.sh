#!/usr/bin/env bash
# Installs the Debian packages k8c needs to build, test and run, and only the missing ones.
# Idempotent: when everything is present it changes nothing and never touches the network.
set -euo pipefail

# Build tools and the libraries of the chosen dependencies (see README.md).
packages=(
    build-essential cmake ninja-build pkg-config clang-format
    libh2o-evloop-dev libwslay-dev liblmdb-dev libjansson-dev libyaml-dev
    libssl-dev libcurl4-openssl-dev libcmocka-dev libjemalloc-dev
    liblz4-dev # the API server's stored objects (apiserver/codec.c)
    openssl curl python3
    etcd-server etcd-client python3-kubernetes
    valgrind # bench/instr_bench.py counts instructions with callgrind
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done

# Debian's kubectl 1.20 (package kubernetes-client) conflicts with the preinstalled kubectl dispatcher, so it is
# not installed but unpacked into a folder of its own for the compatibility tests: .deps/kubectl-1.20/kubectl.
unpack_kubectl_120() {
    local root dir tmp
    root=$(cd "$(dirname "$0")/.." && pwd)
    dir="${K8C_DEPS_DIR:-$root/.deps}/kubectl-1.20"
    [ -x "$dir/kubectl" ] && return 0
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null 2>&1); then
        echo "deps.sh: error: apt-get download kubernetes-client failed (kubectl 1.20 for the compatibility" \
            "tests; no network or no package lists: run apt-get update)" >&2
        rm -rf "$tmp"
        exit 1
    fi
    mkdir -p "$dir"
    dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$tmp/x"
    mv "$tmp/x/usr/bin/kubectl" "$dir/kubectl"
    rm -rf "$tmp"
    echo "deps.sh: unpacked kubectl $("$dir/kubectl" version --client --short 2>/dev/null || true) into $dir"
}

if [ ${#missing[@]} -eq 0 ]; then
    unpack_kubectl_120
    exit 0
fi

echo "deps.sh: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        echo "deps.sh: error: need root (or password-less sudo) to install: ${missing[*]}" >&2
        echo "deps.sh: run as root: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get update -qq; then
    echo "deps.sh: error: apt-get update failed (no network or no reachable Debian mirror)" >&2
    exit 1
fi
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    echo "deps.sh: error: apt-get install failed for: ${missing[*]}" >&2
    exit 1
fi
unpack_kubectl_120
echo "deps.sh: done"
