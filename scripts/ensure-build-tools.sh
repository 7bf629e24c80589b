#!/usr/bin/env bash
# Installs the Debian packages a source build needs when they are missing: cmake, a C/C++
# compiler, make, patch, xz (for the lws source) and the keyring apt uses for it.
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-debian-packages.sh" ensure-build-tools \
  cmake g++ make patch xz-utils debian-archive-keyring ca-certificates
