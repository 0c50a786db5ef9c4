#!/usr/bin/env bash
# Refresh the web page's vendored JavaScript and map shapes from the npm registry.
#
# Only built files are copied (no source, no node_modules), each with its licence,
# into youcheng/web/vendor/, so the page works offline and needs no build step.
# Usage: scripts/vendor_web.sh [ECHARTS_VERSION] [WORLD_ATLAS_VERSION] [TOPOJSON_CLIENT_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."

ECHARTS=${1:-5.6.0}
WORLD_ATLAS=${2:-2.0.2}
TOPOJSON_CLIENT=${3:-3.1.0}
DEST=youcheng/web/vendor

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$ECHARTS" "world-atlas@$WORLD_ATLAS" \
    "topojson-client@$TOPOJSON_CLIENT" >/dev/null)
for pkg in echarts world-atlas topojson-client; do
    mkdir -p "$work/$pkg" && tar xzf "$work/$pkg"-*.tgz -C "$work/$pkg"
done

rm -rf "$DEST" && mkdir -p "$DEST/licenses"
cp "$work/echarts/package/dist/echarts.min.js" "$DEST/"
cp "$work/echarts/package/LICENSE" "$DEST/licenses/echarts-LICENSE.txt"
cp "$work/echarts/package/NOTICE" "$DEST/licenses/echarts-NOTICE.txt"
cp "$work/echarts/package/licenses/LICENSE-d3" "$DEST/licenses/echarts-LICENSE-d3.txt"
cp "$work/world-atlas/package/countries-110m.json" "$DEST/"
cp "$work/world-atlas/package/LICENSE" "$DEST/licenses/world-atlas-LICENSE.txt"
cp "$work/topojson-client/package/dist/topojson-client.min.js" "$DEST/"
cp "$work/topojson-client/package/LICENSE" "$DEST/licenses/topojson-client-LICENSE.txt"

cat > "$DEST/README.md" <<MD
# Vendored files of the web page

Copied unchanged from the npm registry by \`scripts/vendor_web.sh\`; rerun it to refresh.

| file | npm package | licence |
|---|---|---|
| \`echarts.min.js\` | echarts@$ECHARTS (\`dist/echarts.min.js\`) | Apache-2.0, \`licenses/echarts-LICENSE.txt\`, \`licenses/echarts-NOTICE.txt\`, d3 parts BSD-3-Clause \`licenses/echarts-LICENSE-d3.txt\` |
| \`countries-110m.json\` | world-atlas@$WORLD_ATLAS (\`countries-110m.json\`, TopoJSON from Natural Earth, public domain) | ISC, \`licenses/world-atlas-LICENSE.txt\` |
| \`topojson-client.min.js\` | topojson-client@$TOPOJSON_CLIENT (\`dist/topojson-client.min.js\`) | ISC, \`licenses/topojson-client-LICENSE.txt\` |
MD
echo "vendored echarts@$ECHARTS world-atlas@$WORLD_ATLAS topojson-client@$TOPOJSON_CLIENT into $DEST"
