#!/usr/bin/env bash
# The source build of a user for whom no prebuilt binary fits, with nothing but the tarball
# (part of npm run test:release; needs root or unprivileged user namespaces for unshare):
#   the packed tarball with its prebuilds/ removed is installed into an empty project INSIDE a
#   network namespace with no network (unshare -n; only its own loopback, brought up for
#   the echo), with apt-get not on PATH, an empty libwebsockets cache and HOME: the install
#   script must build the addon with cmake from deps/libwebsockets, and an echo (ws:// and
#   from a worker) must work through it. First, the same install with neither cmake nor a
#   compiler on PATH must fail saying exactly that it needs them.
# Ends with "source-build: N passed, M failed" (test/pack/source-build.mjs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "offline-source-build: $*" >&2; }
command -v unshare >/dev/null || { log "error: unshare (util-linux) not found"; echo "source-build: 0 passed, 1 failed"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netstack-offline.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The tarball, then the same without prebuilds/.
env_clean=(env -u npm_config_prefix -u npm_lifecycle_event -u npm_lifecycle_script)
tarball="$("${env_clean[@]}" npm pack --silent --pack-destination "$tmp" | tail -n 1)"
mkdir "$tmp/unpacked"
tar -xzf "$tmp/$tarball" -C "$tmp/unpacked"
# The release tarball's size, with every prebuilt binary and the lws source (README: Making a release).
log "the tarball $tarball with $(ls "$tmp/unpacked/package/prebuilds" 2>/dev/null | tr '\n' ' '): $(stat -c %s "$tmp/$tarball") bytes, $(du -sb "$tmp/unpacked/package" | cut -f1) unpacked, $(find "$tmp/unpacked/package" -type f | wc -l) files ($(find "$tmp/unpacked/package/deps" -type f 2>/dev/null | wc -l) in deps/libwebsockets)"
rm -rf "$tmp/unpacked/package/prebuilds"
tar -czf "$tmp/no-prebuilds.tgz" -C "$tmp/unpacked" package
rm -rf "$tmp/unpacked"

# PATH without apt-get (and all apt*); a second one without cmake and compilers either.
mkdir -p "$tmp/path" "$tmp/path-no-tools"
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n="$(basename "$f")"
    [ -x "$f" ] && [ ! -d "$f" ] || continue
    case "$n" in apt|apt-*|aptitude) continue ;; esac
    [ -e "$tmp/path/$n" ] || ln -s "$f" "$tmp/path/$n"
    case "$n" in cmake|ctest|cpack|cc|c++|gcc|g++|clang|clang++|*-gcc|*-g++|*-gcc-[0-9]*|*-g++-[0-9]*|gcc-[0-9]*|g++-[0-9]*|ninja) continue ;; esac
    [ -e "$tmp/path-no-tools/$n" ] || ln -s "$f" "$tmp/path-no-tools/$n"
  done
done
mkdir -p "$tmp/home" "$tmp/empty-cache"
npm_cache="$(npm config get cache)"

ns=(unshare -n)
[ "$(id -u)" = 0 ] || ns=(unshare -rn)
log "installing $(basename "$tmp/no-prebuilds.tgz") (from $tarball) with no network, no apt-get on PATH"
"${ns[@]}" env -i PATH="$tmp/path" HOME="$tmp/home" NETSTACK_WS_CACHE="$tmp/empty-cache" \
  XDG_CACHE_HOME="$tmp/home/.cache" npm_config_cache="$npm_cache" npm_config_offline=true \
  NODE_PATH="$root/node_modules" TMPDIR="$tmp" \
  bash -c '
    ip link set lo up 2>/dev/null || true   # the echo server and client talk over loopback
    if command -v apt-get >/dev/null; then echo "apt-get is on PATH"; exit 1; fi
    if node -e "require(\"net\").connect(80, \"deb.debian.org\").on(\"connect\", () => process.exit(0)).on(\"error\", () => process.exit(1))"; then
      echo "the network namespace reaches the network"; exit 1
    fi
    exec node "$1/test/pack/source-build.mjs" --tarball "$2" --no-tools-path "$3"
  ' _ "$root" "$tmp/no-prebuilds.tgz" "$tmp/path-no-tools"
