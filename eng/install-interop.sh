#!/usr/bin/env bash
# Installs the independent format implementations the interop tests compare StreamKit against:
# python3-msgpack (MessagePack) and python3-avro / avro-bin (Avro), all from Debian's own archive so the
# tests run them with /usr/bin/python3 rather than whatever python3 is first on PATH.
#
# Idempotent and non-interactive: does nothing when every package is already installed, and runs
# `apt-get update` at most once, only when a package cannot be found in the current package lists.
set -euo pipefail

packages=(python3-msgpack python3-avro avro-bin)

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${packages[@]}"; do
    if ! is_installed "$pkg"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-interop: already installed: ${packages[*]}"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install-interop: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Another job (a parallel CI step, unattended-upgrades) may hold the dpkg lock: wait for it rather than fail.
apt_opts=(-o DPkg::Lock::Timeout=600)

# Update the package lists only when apt does not know a candidate for every missing package (a fresh
# container ships with empty lists); a second run after a successful install never gets here.
needs_update=false
for pkg in "${missing[@]}"; do
    candidate="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
        needs_update=true
        break
    fi
done

if [ "$needs_update" = true ]; then
    echo "install-interop: apt-get update"
    "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update -q
fi

echo "install-interop: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}"

/usr/bin/python3 -c 'import msgpack, avro; print("install-interop: msgpack", msgpack.version)'
