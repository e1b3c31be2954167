#!/usr/bin/env bash
# Packs the extension into mpcc-<version>.vsix with vsce, from the npm registry.
# Usage: editors/vscode/package.sh   (needs node and npm; writes the .vsix next to package.json)
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund
npx --no-install vsce package --out "mpcc-$(node -p 'require("./package.json").version').vsix"
