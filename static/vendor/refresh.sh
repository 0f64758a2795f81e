#!/usr/bin/env bash
# refresh.sh re-vendors htmx from the npm registry into static/vendor/htmx/.
# Usage: static/vendor/refresh.sh [version]   (default: the newest 2.x)
# Afterwards update the version line in static/vendor/README.md.
set -euo pipefail

version="${1:-2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack --silent "htmx.org@${version}")"
tar -xzf "$tarball"

mkdir -p "$here/htmx"
cp package/dist/htmx.min.js "$here/htmx/htmx.min.js"
cp package/LICENSE "$here/htmx/LICENSE"

resolved="$(node -p 'require("./package/package.json").version')"
echo "vendored htmx.org ${resolved} into ${here}/htmx"
