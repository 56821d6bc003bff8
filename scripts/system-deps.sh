#!/usr/bin/env bash
# Install the system packages geo_risk needs, from Debian's packages, when they are missing.
#   PostgreSQL 15 + PostGIS 3 (the embedded store and the tests), GDAL's tools (ogr2ogr, ogrinfo:
#   peers and client tests), Chromium + ChromeDriver (web-map tests), a CJK font (Chinese labels in
#   screenshots), Node.js + npm (Leaflet from the npm registry at build time), python3-venv, mosquitto
#   (the MQTT broker of live monitoring, started by the project like its PostGIS).
# As root on Debian/Ubuntu it installs them; otherwise it prints the command and fails.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
[ -x /usr/lib/postgresql/15/bin/initdb ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] \
  || need+=(postgresql-15 postgresql-15-postgis-3)
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
have_pkg fonts-noto-cjk || need+=(fonts-noto-cjk)
command -v npm >/dev/null || need+=(nodejs npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)

[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "geo_risk needs these system packages: ${need[*]}" >&2
  echo "install them (as root): apt-get update && apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends: the recommends of chromium, gdal-bin and postgresql pull ~170 packages
# (avahi, cups, samba, udev …) that geo_risk never uses. apt's own progress stays on the terminal.
apt_install() { apt-get install -y --no-install-recommends "${need[@]}"; }
apt_install || { apt-get update && apt_install; }
