#!/usr/bin/env bash
# ensure-debian-packages.sh WHO PACKAGE...: installs those of the Debian packages that are
# missing (apt-get; as root, or with sudo -n), with no prompt and no stdin. WHO names the
# caller in messages. Does nothing when all are installed.
set -euo pipefail
who="$1"
shift
missing=()
for p in "$@"; do
  case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
    *" installed") ;;
    *) missing+=("$p") ;;
  esac
done
[ "${#missing[@]}" -eq 0 ] && exit 0
# npm test sets it: the local suite installs nothing.
if [ "${NETSTACK_NO_INSTALL:-0}" = 1 ]; then
  echo "$who: missing ${missing[*]}; not installing them (NETSTACK_NO_INSTALL=1)" >&2
  exit 1
fi
command -v apt-get >/dev/null || { echo "$who: missing ${missing[*]} and no apt-get to install them" >&2; exit 1; }
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "$who: missing ${missing[*]}; run as root or install them" >&2; exit 1; }
  sudo=(sudo -n)
fi
echo "$who: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q </dev/null >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2
