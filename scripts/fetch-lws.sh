#!/usr/bin/env bash
# Fetch the pinned libwebsockets source from Debian's source archive, verify it,
# apply Debian's security patches (and ours from patches/lws/), and cache the tree
# outside git. Prints the path of the patched tree on stdout (last line).
# A second run with the tree cached does no network work. In an npm tarball the tree is
# already there (deps/libwebsockets, made by scripts/vendor-lws.sh at pack time): it is used
# and nothing is fetched. --no-vendored ignores it (vendor-lws.sh itself uses that).
set -euo pipefail

LWS_DEBIAN_VERSION="4.3.5-1+deb13u3"
LWS_UPSTREAM_VERSION="4.3.5"
ORIG_SHA256="87f99ad32803ed325fceac5327aae1f5c1b417d54ee61ad36cffc8df5f5ab276"
DEBIAN_SHA256="d0566441fea877ce8cdaa901946311b47a66a533c96a490f35e48ca977edd79d"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}"
our_patches_dir="$repo_root/patches/lws"
# netstack (issue 14): sha256sum, or shasum on macOS.
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
# The tree's name includes a hash of our patch set, so editing a patch re-creates it
# (files in C-locale order; CMakeLists.txt computes the same hash for deps/libwebsockets).
our_patches_hash="$(LC_ALL=C; cat "$our_patches_dir"/* 2>/dev/null | sha256 | cut -c1-12 || true)"
tree_name="libwebsockets-$LWS_DEBIAN_VERSION-$our_patches_hash"
tree="$cache_root/$tree_name"
# netstack (issue 14): the npm tarball carries the patched tree (scripts/vendor-lws.sh made it
# at pack time): used as it is, with no network, no apt-get and no cache.
vendored="$repo_root/deps/libwebsockets"
if [ "${1:-}" != --no-vendored ] && [ -f "$vendored/NETSTACK_TREE" ] &&
   [ "$(cat "$vendored/NETSTACK_TREE")" = "$tree_name" ]; then
  echo "$vendored"; exit 0
fi
downloads="$cache_root/downloads"
orig="$downloads/libwebsockets_${LWS_UPSTREAM_VERSION}.orig.tar.gz"
debian="$downloads/libwebsockets_${LWS_DEBIAN_VERSION}.debian.tar.xz"

log() { echo "fetch-lws: $*" >&2; }
fail() { echo "fetch-lws: error: $*" >&2; exit 1; }

if [ -f "$tree/.netstack-ready" ]; then
  echo "$tree"; exit 0
fi
# scripts/check-lws-patches.mjs only reads a tree that is there: it never downloads.
[ -z "${NETSTACK_LWS_NO_DOWNLOAD:-}" ] || fail "no patched tree at $tree (NETSTACK_LWS_NO_DOWNLOAD is set)"

verify() { # file expected-sha256
  [ -f "$1" ] && [ "$(sha256 "$1" | cut -d' ' -f1)" = "$2" ]
}

download_with_apt() {
  command -v apt-get >/dev/null || fail "apt-get not found; cannot fetch libwebsockets $LWS_DEBIAN_VERSION from Debian's source archive (put the orig and debian tarballs in $downloads by hand)"
  local apt_dir="$cache_root/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$downloads"
  # Private apt configuration: changes nothing on the system. Two orders, because the
  # archive serves the orig tarball only from the main archive and the Debian
  # packaging of the security update only from the security archive.
  local order
  for order in main-first security-first; do
    local list="$apt_dir/$order.sources"
    local main_entry="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
    local security_entry="Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
    if [ "$order" = main-first ]; then printf '%s\n%s' "$main_entry" "$security_entry" >"$list"
    else printf '%s\n%s' "$security_entry" "$main_entry" >"$list"; fi
    local opts=(-o "Dir::Etc::SourceList=$list" -o Dir::Etc::SourceParts=/nonexistent
                -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
                -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
    if [ ! -f "$apt_dir/lists/.updated" ]; then
      apt-get "${opts[@]}" update >"$apt_dir/update.log" 2>&1 \
        || fail "could not reach Debian's source archive (apt-get update of trixie and trixie-security deb-src, log: $apt_dir/update.log)"
      touch "$apt_dir/lists/.updated"
    fi
    (cd "$downloads" && apt-get "${opts[@]}" source --download-only "libwebsockets=$LWS_DEBIAN_VERSION" >>"$apt_dir/source.log" 2>&1) || true
    if verify "$orig" "$ORIG_SHA256" && verify "$debian" "$DEBIAN_SHA256"; then return 0; fi
  done
}

if ! verify "$orig" "$ORIG_SHA256" || ! verify "$debian" "$DEBIAN_SHA256"; then
  log "downloading libwebsockets $LWS_DEBIAN_VERSION from Debian's source archive"
  download_with_apt
fi
[ -f "$orig" ] || fail "could not download libwebsockets_${LWS_UPSTREAM_VERSION}.orig.tar.gz from Debian (trixie / trixie-security deb-src via apt-get source; log: $cache_root/apt/source.log)"
[ -f "$debian" ] || fail "could not download libwebsockets_${LWS_DEBIAN_VERSION}.debian.tar.xz from Debian (trixie-security deb-src via apt-get source; log: $cache_root/apt/source.log)"
verify "$orig" "$ORIG_SHA256" || fail "sha256 mismatch for $orig (expected $ORIG_SHA256): refusing to build from it"
verify "$debian" "$DEBIAN_SHA256" || fail "sha256 mismatch for $debian (expected $DEBIAN_SHA256): refusing to build from it"

staging="$(mktemp -d "$cache_root/.unpack.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
tar -xzf "$orig" -C "$staging"
src="$(find "$staging" -mindepth 1 -maxdepth 1 -type d | head -n1)"
tar -xJf "$debian" -C "$src"
apply_series() { # dir-with-series
  local dir="$1" p
  [ -f "$dir/series" ] || return 0
  while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    p="${p%% *}"
    patch -d "$src" -p1 --forward --batch --silent <"$dir/$p" >&2 || fail "patch $dir/$p did not apply"
    log "applied $(basename "$dir")/$p"
  done <"$dir/series"
}
apply_series "$src/debian/patches"
apply_series "$our_patches_dir"
touch "$src/.netstack-ready"
rm -rf "$tree"
mv "$src" "$tree"
echo "$tree"
