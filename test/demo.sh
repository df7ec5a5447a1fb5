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
sleep 1
if ! kill -0 "$backend" 2>/dev/null; then
	echo "the demo backend could not start on 127.0.0.2:8123 (is the port in use?):" >&2
	cat build/demo-backend.log >&2
	exit 1
fi

cat <<MSG

pinfold is starting on http://127.0.0.1:7080/ (demo backend on 127.0.0.2:8123).
Try, from another terminal:
    curl -i http://127.0.0.1:7080/
    curl -i -H 'X-Forwarded-For: 6.6.6.6' http://127.0.0.1:7080/   # the spoofed value never reaches the backend
    curl -i -X PUT http://127.0.0.1:7080/                           # xHTTP 0: refused by pinfold with 501
    curl -i http://127.0.0.1:7080/admin                             # refused by pinfold with 403
Press Ctrl-C to stop.

MSG
./build/pinfold -e -f configs/demo.cfg
