#!/usr/bin/env bash
# Copy the front-end files we use from node_modules/ into static/vendor/.
#
# The copies are committed, so the app runs with only Python (no npm on the
# user's machine); package-lock.json records exactly which versions they are.
# To upgrade: `npm install --save-exact weui@X htmx.org@Y lucide-static@Z signature_pad@S @expo-google-fonts/noto-sans-sc@F`,
# then `bash scripts/vendor.sh` (or `npm run vendor`) and commit static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund

dest=static/vendor
rm -rf "$dest"
mkdir -p "$dest/weui" "$dest/htmx" "$dest/lucide" "$dest/signature_pad" "$dest/noto-sans-sc"

cp node_modules/weui/dist/style/weui.min.css "$dest/weui/"
cp node_modules/weui/LICENSE.txt "$dest/weui/LICENSE.txt"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp node_modules/htmx.org/LICENSE "$dest/htmx/LICENSE"
cp node_modules/lucide-static/LICENSE "$dest/lucide/LICENSE"
# The UMD build defines window.SignaturePad for a plain <script> (static/js/signature.js).
cp node_modules/signature_pad/dist/signature_pad.umd.min.js "$dest/signature_pad/"
cp node_modules/signature_pad/LICENSE "$dest/signature_pad/LICENSE"

# The Chinese font of the PDF documents (server/reports/pdf.py, static/css/pdf.css): Noto Sans SC,
# regular and bold, whole (WeasyPrint embeds only the glyphs a document uses). From the font
# package so a PDF made on a machine without CJK fonts still shows Chinese.
font=node_modules/@expo-google-fonts/noto-sans-sc
cp "$font/400Regular/NotoSansSC_400Regular.ttf" "$font/700Bold/NotoSansSC_700Bold.ttf" "$dest/noto-sans-sc/"
cp "$font/LICENSE_FONT" "$dest/noto-sans-sc/OFL.txt"

# Only the icons the templates and server/web/nav.py name (used as CSS masks,
# see .icon in static/css/app.css). Add a name here when you use a new icon.
ICONS=(
  house building-2 briefcase users user log-out languages plus pencil
  chevron-right chevron-left layers-3 door-open circle-alert circle-check
  info lock clipboard-check wrench key-round message-circle
  camera check circle-x clock map-pin minus printer rotate-ccw list-checks image
  megaphone table calendar-check ticket download
)
for icon in "${ICONS[@]}"; do
  cp "node_modules/lucide-static/icons/$icon.svg" "$dest/lucide/"
done

# axe-core is for the browser tests only (tests/e2e/), not served by the app.
mkdir -p tests/e2e/vendor
cp node_modules/axe-core/axe.min.js tests/e2e/vendor/
cp node_modules/axe-core/LICENSE tests/e2e/vendor/axe-core.LICENSE

# What was copied, from which versions (read by people, not by code).
node -e '
const lock = require("./package-lock.json").packages;
for (const name of ["weui", "htmx.org", "lucide-static", "signature_pad", "@expo-google-fonts/noto-sans-sc", "axe-core"]) {
  console.log(name + "@" + lock["node_modules/" + name].version);
}' > "$dest/VERSIONS.txt"
echo "vendored into $dest:"; cat "$dest/VERSIONS.txt"
