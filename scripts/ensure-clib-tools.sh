#!/usr/bin/env bash
# Installs, when missing, the Debian packages the C library (libnet_websocket.so, built
# against the system's libraries) and its tests need: libuv, OpenSSL and zlib development
# files and pkg-config. npm test runs the C tests only when they are there.
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-debian-packages.sh" ensure-clib-tools \
  libuv1-dev libssl-dev zlib1g-dev pkg-config
