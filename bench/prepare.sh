#!/usr/bin/env bash
# Sourced by bench/bench.sh and bench/profile.sh: gets everything the benchmark needs ready.
#  1. installs (Debian packages, if missing) and builds the native echo server: Go's
#     gorilla/websocket from Debian's packaged source, offline, in GOPATH mode (no module
#     proxy), into bench/.build/echo-server;
#  2. makes a fresh certificate authority and a server certificate it signs, for wss://
#     (clients trust the authority through NODE_EXTRA_CA_CERTS, which Node's tls, undici, our
#     addon and Bun honour; Deno gets it as DENO_CERT). Not one self-signed certificate:
#     Deno (rustls/webpki) rejects a CA certificate used as the server's own;
#  3. compiles lib/ to dist/ when stale (our clients load dist/);
#  4. raises the open-files limit (10,000 idle connections, in the client and the server).
# Leaves: $bench, $root, $build, $server, $tls_dir, $cert, $key (the server's), $ca (the
# authority); the working directory is $root.
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
build="$bench/.build"
mkdir -p "$build"
log() { echo "bench: $*" >&2; }

# --- Debian packages ---------------------------------------------------------------------
packages=(golang-go golang-github-gorilla-websocket-dev openssl)
missing=()
for p in "${packages[@]}"; do
  case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
    *" installed") ;;
    *) missing+=("$p") ;;
  esac
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || { log "missing ${missing[*]} and no apt-get"; exit 1; }
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q </dev/null >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# --- the Go echo server (offline: Debian's source in /usr/share/gocode) --------------------
server="$build/echo-server"
if [ ! -x "$server" ] || [ "$bench/echo-server/main.go" -nt "$server" ]; then
  log "building the Go echo server"
  (cd "$bench/echo-server" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
     GOCACHE="$build/gocache" go build -o "$server" .)
fi

# --- a fresh certificate authority and server certificate (ECDSA P-256) for 127.0.0.1 ------
# In a directory of this invocation's own (two benchmarks at once must not share it); the
# caller removes "$tls_dir" when done.
tls_dir="$(mktemp -d "${TMPDIR:-/tmp}/netstack-bench-tls.XXXXXX")"
ca="$tls_dir/ca.pem"
cert="$tls_dir/cert.pem"
key="$tls_dir/key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=netstack-websocket bench CA" -keyout "$tls_dir/ca-key.pem" -out "$ca" >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
  -keyout "$key" -out "$tls_dir/server.csr" >/dev/null 2>&1
printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
  'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tls_dir/server.ext"
openssl x509 -req -in "$tls_dir/server.csr" -CA "$ca" -CAkey "$tls_dir/ca-key.pem" -set_serial 1 \
  -days 2 -extfile "$tls_dir/server.ext" -out "$cert" >/dev/null 2>&1

# --- dist/ (our clients load it) ----------------------------------------------------------
cd "$root"
newest_lib="$(find lib -name '*.ts' -newer dist/native.js 2>/dev/null | head -n 1 || true)"
if [ ! -f dist/native.js ] || [ -n "$newest_lib" ]; then
  log "compiling lib/ to dist/"
  node node_modules/typescript/bin/tsc -p tsconfig.build.json >&2 || log "warning: tsc reported errors (dist/ may be stale)"
fi
if ! { compgen -G "build/Release/*.node" || compgen -G "prebuilds/*/*.node"; } >/dev/null; then
  log "warning: the addon is not built (npm install): our clients will be left out"
fi

# --- file descriptors for 10,000 idle connections ------------------------------------------
hard="$(ulimit -Hn)"
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$hard" ]; then ulimit -n "$hard" || true; fi

# What the user trusts (e.g. a proxy's authority) still counts for npm (prepare-runtimes.sh).
user_extra_ca_certs="${NODE_EXTRA_CA_CERTS:-}"
export NODE_EXTRA_CA_CERTS="$ca"
