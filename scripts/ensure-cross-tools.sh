#!/usr/bin/env bash
# Installs, when missing, the Debian packages that cross-build the linux-arm64 prebuilt
# binary on an x64 host and run it under emulation (scripts/prebuild.sh --arch arm64,
# scripts/node-matrix.sh --arm64): the aarch64 cross compiler (with the arm64 glibc and
# libstdc++ runtime it brings) and qemu-user.
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-debian-packages.sh" ensure-cross-tools \
  g++-aarch64-linux-gnu qemu-user
