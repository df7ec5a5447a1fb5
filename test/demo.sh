#!/bin/sh
# test/demo.sh - install build dependencies, build pinfold, and run it on
# configs/demo.cfg in front of a small demo backend.  Ctrl-C stops both.
# This is the README's "try it" command.
set -eu
cd "$(dirname "$0")/.."

sh test/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

site=build/demo-site
mkdir -p "$site"
echo "Hello from the demo backend behind pinfold." > "$site/index.html"

python3 -m http.server --bind 127.0.0.2 8123 --directory "$site" >build/demo-backend.log 2>&1 &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT INT TERM

cat <<MSG

pinfold is starting on http://127.0.0.1:7080/ (demo backend on 127.0.0.2:8123).
Try, from another terminal:
    curl -i http://127.0.0.1:7080/
    curl -i -H 'X-Forwarded-For: 6.6.6.6' http://127.0.0.1:7080/   # the spoofed value is dropped
    curl -i -X DELETE http://127.0.0.1:7080/                         # xHTTP 1 allows it; PROPFIND is refused
    curl -i -X PROPFIND http://127.0.0.1:7080/
Press Ctrl-C to stop.

MSG
./build/pinfold -e -f configs/demo.cfg
