#!/usr/bin/env bash
# Installs the Debian packages a source build needs when they are missing: cmake, a C/C++
# compiler, make, patch, xz (for the lws source) and the keyring apt uses for it.
set -euo pipefail
needed=(cmake g++ make patch xz-utils debian-archive-keyring ca-certificates)
missing=()
for p in "${needed[@]}"; do
  case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
    *" installed") ;;
    *) missing+=("$p") ;;
  esac
done
[ "${#missing[@]}" -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "ensure-build-tools: missing ${missing[*]} and no apt-get" >&2; exit 1; }
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
echo "ensure-build-tools: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
