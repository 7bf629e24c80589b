#!/usr/bin/env bash
# Puts the pinned, checksum-verified, patched libwebsockets tree (Debian's security patches
# and ours applied, by scripts/fetch-lws.sh) into deps/libwebsockets for the npm tarball
# (run by the prepack script; deps/ is never committed). A source build from the tarball
# then needs no network, no apt-get and no Debian: scripts/fetch-lws.sh and CMakeLists.txt
# use deps/libwebsockets when its NETSTACK_TREE names the tree the package's pins and
# patches/lws/ make. Only what lws's build reads is copied (not its examples, test apps or
# docs), with its LICENSE and debian/ (copyright, changelog, the patches applied).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/deps/libwebsockets"
# Already there for the current pins and patches (fetch-lws.sh checks NETSTACK_TREE): kept.
if [ "$(bash "$root/scripts/fetch-lws.sh" 2>/dev/null | tail -n 1)" = "$out" ]; then
  echo "vendor-lws: $out is up to date ($(cat "$out/NETSTACK_TREE"))" >&2
  echo "$out"; exit 0
fi
tree="$(bash "$root/scripts/fetch-lws.sh" --no-vendored | tail -n 1)"
rm -rf "$out"
mkdir -p "$out"
for entry in CMakeLists.txt CMakeLists-implied-options.txt LICENSE README.md changelog \
             cmake include lib plugins lwsws scripts win32port debian; do
  [ -e "$tree/$entry" ] || { echo "vendor-lws: error: $tree/$entry is missing" >&2; exit 1; }
  cp -R "$tree/$entry" "$out/"
done
basename "$tree" >"$out/NETSTACK_TREE"
echo "vendor-lws: $out from $(basename "$tree") ($(du -sk "$out" | cut -f1) KiB)" >&2
echo "$out"
