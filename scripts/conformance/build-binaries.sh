#!/usr/bin/env bash
# Builds the real software the conformance suite runs against, from the Go module proxy, once:
#   3X-UI v3.6.0, 3X-UI v2.9.4 (newest 2.x) and xray-core v26.3.27 (tag v1.260327.0).
# Output: tools/conformance/<name>-<version>/<binary>; a present binary is reused (warm runs
# build nothing). `go install mod@version` cannot be used: the proxy serves exact versions but
# refuses version lists, so `go install` fails on "loading deprecation". Instead the exact module
# is downloaded, copied (writable) and built in the copy.
# Needs Go >= 1.21 (GOTOOLCHAIN=auto fetches the 1.26 toolchain the modules ask for) and a C
# compiler (3X-UI uses go-sqlite3 through cgo). Cold: about 15 min on 2 cores (xray 1.3 min, v3
# 3.4 min, v2 up to 11 min under load), mostly compiling; warm: nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="$PWD/tools/conformance"
mkdir -p "$OUT"
export GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
need() { command -v "$1" >/dev/null || { echo "conformance: '$1' not found: $2" >&2; exit 1; }; }

# build NAME MODULE VERSION BINARY PREPARE
build() {
  local name=$1 module=$2 version=$3 binary=$4 prepare=$5
  local dest="$OUT/$name-$version"
  if [ -x "$dest/$binary" ]; then echo "conformance: $name $version cached"; return; fi
  local started=$SECONDS work
  work=$(mktemp -d)
  local dir
  dir=$(cd "$work" && go mod download -json "$module@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "conformance: go mod download $module@$version gave no Dir" >&2; exit 1; }
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
  (cd "$work/src" && $prepare && CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o "$work/$binary" "${6:-.}")
  mkdir -p "$dest" && mv "$work/$binary" "$dest/$binary"
  rm -rf "$work"
  echo "conformance: built $name $version in $((SECONDS - started)) s"
}

prepare_v3() { mkdir -p internal/web/dist && cp -r frontend/public/. internal/web/dist/; }

if [ ! -x "$OUT/xray-v1.260327.0/xray" ] || [ ! -x "$OUT/3x-ui-v3.6.0/x-ui" ] || [ ! -x "$OUT/3x-ui-v2.9.4/x-ui" ]; then
  need go "install Go >= 1.21 (https://go.dev/dl)"
  need cc "install a C compiler (e.g. apt-get install gcc)"
fi

build xray github.com/xtls/xray-core v1.260327.0 xray true ./main
build 3x-ui github.com/mhsanaei/3x-ui/v3 v3.6.0 x-ui prepare_v3
build 3x-ui github.com/mhsanaei/3x-ui/v2 v2.9.4 x-ui true
