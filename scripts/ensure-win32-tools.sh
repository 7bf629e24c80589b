#!/usr/bin/env bash
# Installs, when missing, what cross-builds the win32-x64 prebuilt binary and runs it:
#  - the Debian packages of mingw-w64 with the POSIX thread model (std::mutex/std::thread;
#    winpthread is linked in statically), gendef (mingw-w64-tools) and dlltool;
#  - a Wine that runs Node 20 to 26 for Windows: the host's if it is Wine 9 or later, else
#    Wine 10 in a Debian 13 root (scripts/wine-root.sh: Debian 12's Wine 8.0 runs Node 20 and
#    22 but not 24 and 26).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/ensure-debian-packages.sh" ensure-win32-tools \
  g++-mingw-w64-x86-64-posix mingw-w64-tools binutils-mingw-w64-x86-64
# No Wine on the host at all is the common case on a fresh machine: not an error here.
host_major="$( (wine --version 2>/dev/null || true) | sed -n 's/^wine-\([0-9]*\).*/\1/p')"
if [ "${host_major:-0}" -ge 9 ]; then
  echo "ensure-win32-tools: $(wine --version), prefix $(bash "$here/wine-prefix.sh")" >&2
else
  echo "ensure-win32-tools: Wine 10 in $(bash "$here/wine-root.sh")" >&2
fi
