#!/usr/bin/env bash
# Make `solc-v<version>` available where py-solc-x looks for it (~/.solcx, or $SOLCX_BINARY_PATH).
#   1. already there and answering --version: nothing to do (quick on every `make`);
#   2. otherwise try py-solc-x's own download of native solc (works on a machine with internet);
#   3. otherwise install solc-js from npm beside a small shim that speaks native solc's
#      command line (see solc-shim.js and tools/solc/README.md).
# Usage: tools/solc/install.sh <python-of-the-brownie-venv>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${1:?usage: install.sh PYTHON}

version=$(sed -n 's/^ *version: *\([0-9][0-9.]*\) *$/\1/p' "$root/brownie-config.yaml" | head -n 1)
[ -n "$version" ] || { echo "tools/solc/install.sh: no compiler version in brownie-config.yaml" >&2; exit 1; }
pinned=$(node -p "require('$here/package.json').dependencies.solc")
[ "$pinned" = "$version" ] || { echo "tools/solc/install.sh: brownie-config.yaml pins solc $version but tools/solc/package.json pins $pinned" >&2; exit 1; }

dir=${SOLCX_BINARY_PATH:-$HOME/.solcx}
bin="$dir/solc-v$version"
mkdir -p "$dir"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "Version: $version+"; then
  exit 0
fi

echo "solc $version: trying py-solc-x's download of the native compiler..."
if timeout 120 "$python" -c "import solcx, sys; solcx.install_solc(sys.argv[1], show_progress=False)" "$version" 2>/dev/null \
   && "$bin" --version 2>/dev/null | grep -q "Version: $version+"; then
  echo "solc $version: native compiler installed in $dir"
  exit 0
fi

echo "solc $version: native download unavailable; installing solc-js $version from npm with the shim"
rm -rf "$bin" "$dir/solcjs"
mkdir -p "$dir/solcjs"
cp "$here/package.json" "$here/package-lock.json" "$dir/solcjs/"
npm ci --prefix "$dir/solcjs" --no-audit --no-fund --loglevel=error
# Record "0.8.28+commit.7893614a" once, so that --version stays instant.
node -e '
  const solc = require(process.argv[1]);
  const long = solc.version().replace(/\.Emscripten.*$/, "");
  require("fs").writeFileSync(process.argv[2], JSON.stringify({ long }) + "\n");
' "$dir/solcjs/node_modules/solc" "$dir/solcjs/version.json"
cp "$here/solc-shim.js" "$bin"
chmod +x "$bin"
"$bin" --version | grep -q "Version: $version+" || { echo "tools/solc/install.sh: the shim does not answer --version" >&2; exit 1; }
echo "solc $version: solc-js shim installed as $bin"
