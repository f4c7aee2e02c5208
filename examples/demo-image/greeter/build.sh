#!/usr/bin/env bash
# Rebuilds examples/demo-image/layers/2-app/opt/app/bin/greeter and greeter.version-m.txt next to this script.
# Offline and reproducible: the only dependency, golang.org/x/text at the exact pseudo-version Go 1.19
# vendors into its standard library (v0.3.8-0.20220509174342-b4bca84b0361, a real x/text commit), is
# taken from the installed toolchain's GOROOT/src/vendor and built with -mod=vendor (no proxy, no go.sum).
# Needs Debian's golang-go 1.19 (go1.19.8), the toolchain the committed binary was built with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../layers/2-app/opt/app/bin
work=$(mktemp -d); trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
goroot=$(go env GOROOT)
mod=golang.org/x/text
ver=$(awk -v m="$mod" '$1 == "#" && $2 == m { print $3 }' "$goroot/src/vendor/modules.txt")
[ "$ver" = v0.3.8-0.20220509174342-b4bca84b0361 ] || { echo "unexpected $mod $ver in $goroot" >&2; exit 1; }
cp "$here/go.mod" "$here/main.go" "$work/"
mkdir -p "$work/vendor/$mod/unicode"
cp "$goroot/src/vendor/$mod/LICENSE" "$goroot/src/vendor/$mod/PATENTS" "$work/vendor/$mod/"
cp -r "$goroot/src/vendor/$mod/transform" "$work/vendor/$mod/"
cp -r "$goroot/src/vendor/$mod/unicode/norm" "$work/vendor/$mod/unicode/"
printf '# %s %s\n## explicit; go 1.17\n%s/transform\n%s/unicode/norm\n' "$mod" "$ver" "$mod" "$mod" \
  >"$work/vendor/modules.txt"
mkdir -p "$out"
cd "$work"
GOFLAGS=-mod=vendor GOPATH=$work/gopath GOCACHE=$work/cache CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
  go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$out/greeter" .
(cd "$out" && go version -m greeter >"$here/greeter.version-m.txt")
