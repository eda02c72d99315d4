#!/usr/bin/env bash
# Makes the README's board pictures from one live local stack: `./dispatch up` on its own ports with tables in
# memory, a few incidents of the sample station beilin-01 reported and dispatched through the API at real places of
# Beilin, a minute and a half for the first deadlines to pass and the sweep to escalate them, the two patrols'
# positions, then in headless Chromium the sample chief's board once in a browser set to zh-CN and once in one set
# to en (docs/board.zh-CN.png, docs/board.png), and the phone pictures docs/phone-*.zh-CN.png (360 × 740 at device
# scale 3, zh-CN: officer, chief, incident, report, dispatch, units; docs/phone-shots.mjs drives the same Chromium over
# the DevTools protocol). Needs what `./dispatch test` installs (Chromium, fonts-noto-cjk) and Node 20.10 or later.
# About 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-7391}"
API="http://127.0.0.1:$PORT/api"
CHROMIUM="${DISPATCH_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
log="$(mktemp)"

./dispatch up --in-memory --port "$PORT" --storage-port "${STORAGE_PORT:-10391}" --bus-port "${BUS_PORT:-5991}" \
  --sweep "*/5 * * * * *" >"$log" 2>&1 &
stack=$!
# SIGTERM stops the stack as Ctrl+C does (Azurite and the broker with it).
trap 'kill -TERM "$stack" 2>/dev/null; wait "$stack" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 300); do
  grep -q "board#token=" "$log" && break
  kill -0 "$stack" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
# The banner's board link of a person of the sample roster, found by role and station.
link() { grep -o "^ .* $1 .*" "$log" | grep -o 'http[^ ]*board#token=[^ ]*' | head -1; }
chief="$(link 'chief@beilin-01')"
dispatcher="$(link 'dispatcher@beilin-01')"
officer="$(link 'officer@beilin-01/patrol-7')"
dispatcher_token="${dispatcher#*#token=}"
[[ -n "$chief" && -n "$dispatcher" && -n "$officer" ]] || { cat "$log" >&2; echo "no board links in the banner" >&2; exit 1; }

post() {
  curl -fsS -X POST "$API/$1" -H "Authorization: Bearer $dispatcher_token" -H 'Content-Type: application/json' -d "$2"
}
report() { # priority category address latitude longitude → the new incident's id
  post incidents "{\"station\":\"beilin-01\",\"category\":\"$2\",\"priority\":\"$1\",\"zone\":\"urban\",\"channel\":\"phone\",
    \"location\":{\"address\":\"$3\",\"latitude\":$4,\"longitude\":$5},\"description\":\"sample\"}" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4
}

report P1 theft "西安市碑林区钟楼" 34.2610 108.9423 >/dev/null
report P2 fight "西安市碑林区鼓楼" 34.2630 108.9395 >/dev/null
sent="$(report P2 burglary "西安市碑林区南门（永宁门）" 34.2518 108.9469)"
post "incidents/$sent/dispatch" '{"unit":"patrol-7","officer":"wang.lei"}' >/dev/null
sleep 90 # past P1's 1-minute dispatch deadline: the sweep (every 5 s here) escalates it
report P3 noise "西安市碑林区书院门" 34.2537 108.9480 >/dev/null
report P4 lost-property "西安市碑林区碑林博物馆" 34.2557 108.9535 >/dev/null
# Where the two patrols are (the desk may report a unit's position): the dispatch form's candidates and the unit panel.
post stations/beilin-01/units/patrol-5/position '{"latitude":34.2630,"longitude":108.9395,"accuracy":15}' >/dev/null
post stations/beilin-01/units/patrol-7/position '{"latitude":34.2530,"longitude":108.9460,"accuracy":25}' >/dev/null

shoot() { # browser language, picture
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --lang="$1" --accept-lang="$1" \
    --window-size=1500,700 --virtual-time-budget=10000 --screenshot="$2" "$chief" 2>/dev/null
}
shoot zh-CN docs/board.zh-CN.png
shoot en docs/board.png
node --experimental-websocket --no-warnings docs/phone-shots.mjs "$CHROMIUM" "$officer" "$chief" "$dispatcher"
echo "docs/board.zh-CN.png, docs/board.png and the phone pictures above made from $API/board"
