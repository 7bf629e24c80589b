#!/usr/bin/env bash
# Installs, when missing, the Debian packages that cross-build the linux-arm64 prebuilt
# binary on an x64 host and run it under emulation (scripts/prebuild.sh --arch arm64,
# scripts/node-matrix.sh --arm64): the aarch64 cross compiler (with the arm64 glibc and
# libstdc++ runtime it brings) and qemu-user.
set -euo pipefail
needed=(g++-aarch64-linux-gnu qemu-user)
missing=()
for p in "${needed[@]}"; do
  case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
    *" installed") ;;
    *) missing+=("$p") ;;
  esac
done
[ "${#missing[@]}" -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "ensure-cross-tools: missing ${missing[*]} and no apt-get" >&2; exit 1; }
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
echo "ensure-cross-tools: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
