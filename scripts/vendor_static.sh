#!/usr/bin/env bash
# Copy the front-end libraries of package.json from node_modules into the static folders,
# where they are committed: `make run` and `make test` need no npm. Run this after changing a
# version in package.json:
#
#   npm ci && scripts/vendor_static.sh
#
# Only the built, minified files and their licences are copied (no source maps, no sources).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/leaflet ] || [ ! -d node_modules/htmx.org ] || [ ! -d node_modules/echarts ]; then
    echo "node_modules is missing: run 'npm ci' first." >&2
    exit 1
fi

vendor=jiesu/intake/static/intake/vendor
rm -rf "$vendor"
mkdir -p "$vendor/leaflet/images" "$vendor/htmx"

# No source maps: drop the comment pointing at one (the manifest storage of collectstatic
# would refuse a reference to a file that is not there).
sed '/^\/\/# sourceMappingURL=/d' node_modules/leaflet/dist/leaflet.js > "$vendor/leaflet/leaflet.js"
cp node_modules/leaflet/dist/leaflet.css "$vendor/leaflet/"
# Every image leaflet.css refers to.
cp node_modules/leaflet/dist/images/*.png "$vendor/leaflet/images/"
cp node_modules/leaflet/LICENSE "$vendor/leaflet/LICENSE"

sed '/^\/\/# sourceMappingURL=/d' node_modules/htmx.org/dist/htmx.min.js > "$vendor/htmx/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$vendor/htmx/LICENSE"

# Record what was copied, so a reader of the static folder knows the versions.
node -e '
const p = (n) => require("./node_modules/" + n + "/package.json").version;
console.log(JSON.stringify({leaflet: p("leaflet"), "htmx.org": p("htmx.org")}, null, 2));
' > "$vendor/VERSIONS.json"
echo "Vendored into $vendor:"
cat "$vendor/VERSIONS.json"

# ECharts (the insights pages' charts): the full minified build, its licence and notice.
charts=jiesu/insights/static/insights/vendor
rm -rf "$charts"
mkdir -p "$charts/echarts"
sed '/^\/\/# sourceMappingURL=/d' node_modules/echarts/dist/echarts.min.js > "$charts/echarts/echarts.min.js"
cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$charts/echarts/"
node -e '
const p = (n) => require("./node_modules/" + n + "/package.json").version;
console.log(JSON.stringify({echarts: p("echarts")}, null, 2));
' > "$charts/VERSIONS.json"
echo "Vendored into $charts:"
cat "$charts/VERSIONS.json"
