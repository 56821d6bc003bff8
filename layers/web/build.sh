#!/usr/bin/env bash
# Fetch the front-end libraries from the npm registry (pinned by package-lock.json) and copy what
# the app serves into layers/static/vendor/ (git-ignored; this script recreates it):
#   leaflet/     the web map (/map) and the files of `geo-risk render-map`
#   swagger-ui/  the API documentation (/docs)
# Run at BUILD time only: at run time neither the map nor /docs loads anything from the Internet.
# Install scripts are not run (--ignore-scripts): the libraries need none, and swagger-ui-dist's
# dependency @scarf/scarf would otherwise report the installation to a third party.
#
# Idempotent and fast when already built: `npm ci` runs only when package-lock.json changed since
# the last install, and files are copied only when they differ.
#
#   bash layers/web/build.sh          (or: make vendor)
#   FORCE=1 bash layers/web/build.sh  (reinstall and recopy)
set -euo pipefail

WEB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATIC_DIR="$(cd "$WEB_DIR/.." && pwd)/static"
VENDOR_DIR="$STATIC_DIR/vendor"
STAMP="$WEB_DIR/node_modules/.geo_risk_lock.sha256"

command -v npm >/dev/null 2>&1 || {
    echo "build.sh: npm not found. Install Node.js 18+ and npm (Debian: apt-get install -y nodejs npm)." >&2
    exit 1
}

lock_hash="$(sha256sum "$WEB_DIR/package-lock.json" "$WEB_DIR/package.json" | sha256sum | cut -d' ' -f1)"

if [[ "${FORCE:-0}" != "1" && -f "$STAMP" && "$(cat "$STAMP")" == "$lock_hash" \
      && -f "$WEB_DIR/node_modules/leaflet/dist/leaflet.js" \
      && -f "$WEB_DIR/node_modules/swagger-ui-dist/swagger-ui-bundle.js" ]]; then
    echo "build.sh: node_modules is up to date"
else
    echo "build.sh: npm ci (pinned by package-lock.json) …"
    (cd "$WEB_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" > "$STAMP"
fi

# copy SRC DEST: copy only when missing or different (keeps mtimes stable, fast on re-runs)
changed=0
copy() {
    if [[ ! -f "$2" ]] || ! cmp -s "$1" "$2"; then
        mkdir -p "$(dirname "$2")"
        cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
        changed=$((changed + 1))
    fi
}

LEAFLET_SRC="$WEB_DIR/node_modules/leaflet/dist"
LEAFLET_DST="$VENDOR_DIR/leaflet"
copy "$LEAFLET_SRC/leaflet.js" "$LEAFLET_DST/leaflet.js"
copy "$LEAFLET_SRC/leaflet.css" "$LEAFLET_DST/leaflet.css"
for img in "$LEAFLET_SRC"/images/*; do
    copy "$img" "$LEAFLET_DST/images/$(basename "$img")"
done
copy "$WEB_DIR/node_modules/leaflet/LICENSE" "$LEAFLET_DST/LICENSE"

# Drop files that are no longer part of the vendor set (e.g. after a version change).
find "$LEAFLET_DST" -type f | while read -r f; do
    rel="${f#"$LEAFLET_DST"/}"
    case "$rel" in
        leaflet.js|leaflet.css|LICENSE) ;;
        images/*) [[ -f "$LEAFLET_SRC/$rel" ]] || rm -f "$f" ;;
        *) rm -f "$f" ;;
    esac
done

SWAGGER_SRC="$WEB_DIR/node_modules/swagger-ui-dist"
SWAGGER_DST="$VENDOR_DIR/swagger-ui"
SWAGGER_FILES=(swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE)
for f in "${SWAGGER_FILES[@]}"; do
    copy "$SWAGGER_SRC/$f" "$SWAGGER_DST/$f"
done
find "$SWAGGER_DST" -type f | while read -r f; do
    rel="${f#"$SWAGGER_DST"/}"
    [[ " ${SWAGGER_FILES[*]} " == *" $rel "* ]] || rm -f "$f"
done

# Make's `$(LEAFLET)` target compares mtimes with package.json / package-lock.json: touched last,
# once every library above is in place.
touch "$LEAFLET_DST/leaflet.js"

version() { node -p "require('$WEB_DIR/node_modules/$1/package.json').version" 2>/dev/null || echo '?'; }
echo "build.sh: leaflet $(version leaflet), swagger-ui-dist $(version swagger-ui-dist) in" \
     "${VENDOR_DIR#"$(pwd)"/} ($changed file(s) updated)"
