#!/usr/bin/env bash
# make demo: a tour of peersim in both of a Fabric peer's operating modes.
#
#   1. builds peersim and the sacc sample;
#   2. production mode: starts a peer on its embedded (bolt) ledger, installs
#      and instantiates samples/abstore through lscc (the peer builds and
#      launches it), invokes and queries it; then deploys
#      samples/assettransfer through Fabric 2.x's lifecycle (package, install,
#      approveformyorg, checkcommitreadiness, commit) and runs its
#      fabric-gateway application against the peer's Gateway service;
#   3. development mode: starts a second peer with --dev, installs sacc, runs
#      the chaincode by hand with the start line of Fabric's dev-mode guide,
#      instantiates, invokes and queries it, and shows a transaction's trace;
#   4. stops everything it started and removes its temporary directory.
#
# Needs only Go. Every peer listens on free ports of 127.0.0.1 (it picks them
# and prints them in its "peersim ready" line), so nothing else is disturbed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CHANNEL=mychannel

WORK=$(mktemp -d "${TMPDIR:-/tmp}/peersim-demo.XXXXXX")
BIN="$WORK/bin"
PIDS=()      # processes to stop at exit, in the order they were started
STATUS=fail  # becomes ok at the very end

# --- presentation -------------------------------------------------------------

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
say() { printf '    %s\n' "$*"; }

# shell_words prints its arguments as you would type them, quoting those
# that need it.
shell_words() {
	local out="" a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
			out+=" $a"
		else
			out+=" '${a//\'/\'\\\'\'}'"
		fi
	done
	printf '%s' "${out# }"
}

# run prints a command the way you would type it, runs it and indents what it
# prints (stdout and stderr alike).
run() {
	printf '    $ %s\n' "$(shell_words "$@")"
	"$@" 2>&1 | sed 's/^/      /'
}

# --- cleanup ------------------------------------------------------------------

stop_all() {
	local rc=$?
	set +e
	if [ ${#PIDS[@]} -gt 0 ]; then
		step "Stopping everything the demo started"
		# Last started first: the dev chaincode, then the peers (which stop
		# the chaincode they launched themselves).
		for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
			stop_pid "${PIDS[i]}"
		done
	fi
	if [ "$STATUS" != ok ]; then
		for log in "$WORK"/*.log; do
			[ -f "$log" ] || continue
			printf '\n--- last lines of %s ---\n' "$(basename "$log")"
			tail -n 20 "$log"
		done
	fi
	rm -rf "$WORK"
	if [ "$STATUS" = ok ]; then
		say "all processes stopped, temporary files removed"
	else
		printf '\nmake demo failed (exit %s); the logs above say why\n' "$rc" >&2
	fi
	exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# stop_pid sends SIGTERM, waits up to 30s for the process to exit, then
# sends SIGKILL.
stop_pid() {
	local pid=$1 name
	kill -0 "$pid" 2>/dev/null || return 0
	name=$(ps -o comm= -p "$pid" 2>/dev/null || echo "process")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	say "killed $name (pid $pid): it did not stop within 30s"
}

# --- peers --------------------------------------------------------------------

# start_peer NAME [flags...]: starts `peersim node start` with its data in
# $WORK/NAME and its log in $WORK/NAME.log, waits for its ready line and sets
# PEER_CLIENT and PEER_CHAINCODE to the addresses it bound.
start_peer() {
	local name=$1 log="$WORK/$1.log" pid line
	shift
	printf '    $ peersim node start --data-dir %s --address 127.0.0.1:0 --chaincode-address 127.0.0.1:0 --operations-address 127.0.0.1:0 %s\n' \
		"$WORK/$name" "$*"
	peersim node start --data-dir "$WORK/$name" \
		--address 127.0.0.1:0 --chaincode-address 127.0.0.1:0 --operations-address 127.0.0.1:0 "$@" \
		>"$log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 600); do
		line=$(grep -m1 'peersim ready' "$log" || true)
		[ -n "$line" ] && break
		kill -0 "$pid" 2>/dev/null || { echo "peersim ($name) exited before it was ready" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$line" ] || { echo "peersim ($name) was not ready within 60s" >&2; exit 1; }
	PEER_CLIENT=$(sed -E 's/.* client=([^ ]+).*/\1/' <<<"$line")
	PEER_CHAINCODE=$(sed -E 's/.* chaincode=([^ ]+).*/\1/' <<<"$line")
	say "ready (pid $pid): clients connect to $PEER_CLIENT, chaincode to $PEER_CHAINCODE"
	say "log: $log"
}

# use_peer points the client commands at a peer: they read its address and
# data directory (for the Admin identity) from these two variables.
use_peer() {
	export PEERSIM_DATA_DIR="$WORK/$1" PEERSIM_PEER_ADDRESS="$2"
	say "client commands now talk to it: PEERSIM_PEER_ADDRESS=$PEERSIM_PEER_ADDRESS PEERSIM_DATA_DIR=$PEERSIM_DATA_DIR"
}

# --- the tour -----------------------------------------------------------------

command -v go >/dev/null || { echo "make demo needs Go (1.26 or later) on PATH: https://go.dev/dl/" >&2; exit 1; }

step "1. Building peersim, the sacc sample and a fabric-gateway application (first run downloads modules and takes a minute)"
mkdir -p "$BIN"
run go build -o "$BIN/peersim" ./peersim/cmd/peersim
run go build -o "$BIN/sacc" ./samples/sacc
run go build -o "$BIN/assettransfer-app" ./samples/assettransfer/application
export PATH="$BIN:$PATH"
# Only the flags below configure the peers: ignore any PEERSIM_ settings of
# the calling shell.
while IFS='=' read -r var _; do unset "$var"; done < <(env | grep '^PEERSIM_' || true)

step "2. Production mode: a peer that builds and runs the chaincode itself"
# The first production build compiles the chaincode's dependencies too (a
# minute or two on a fresh machine): give the launch time.
start_peer production --ledger bolt --chaincode-startup-timeout 5m
use_peer production "$PEER_CLIENT"

say ""
say "Install abstore (packaged from samples/abstore); the peer answers with the package ID:"
run peersim chaincode install -n abstore -v 1.0 -p "$ROOT/samples/abstore"
say ""
say "Instantiate it on $CHANNEL: the peer builds it with Go, launches it and runs Init (a=100, b=200)."
say "(The first build compiles abstore's dependencies as well; --timeout gives it the time.)"
run peersim chaincode instantiate -C "$CHANNEL" -n abstore -v 1.0 -c '{"Args":["init","a","100","b","200"]}' --timeout 5m
say ""
say "The process the peer launched:"
run peersim chaincode list --running
say ""
say "Move 10 from a to b (the invoke waits until the transaction is committed):"
run peersim chaincode invoke -C "$CHANNEL" -n abstore -c '{"Args":["invoke","a","b","10"]}'
say ""
say "Query both balances (a query is endorsed only, nothing is committed):"
run peersim chaincode query -C "$CHANNEL" -n abstore -c '{"Args":["query","a"]}'
run peersim chaincode query -C "$CHANNEL" -n abstore -c '{"Args":["query","b"]}'
say ""
say "A Fabric application, unchanged: samples/assettransfer/application is written with Fabric's"
say "fabric-gateway client and talks to the peer's Gateway service, as it would to a real network."
say "Deploy its chaincode as every Fabric 2.x network does, through the _lifecycle system chaincode"
say "(abstore above went through Fabric 1.4's lscc): package, install, approve for Org1MSP, check that"
say "the definition is ready, commit. The peer builds and launches the package at the first invoke."
run peersim lifecycle chaincode package "$WORK/assettransfer.tar.gz" --path "$ROOT/samples/assettransfer" --label assettransfer_1.0
run peersim lifecycle chaincode install "$WORK/assettransfer.tar.gz"
PACKAGE_ID=$(peersim lifecycle chaincode queryinstalled | sed -nE 's/^Package ID: (assettransfer_1\.0:[0-9a-f]+), Label: .*/\1/p')
[ -n "$PACKAGE_ID" ] || { echo "queryinstalled does not list the assettransfer_1.0 package" >&2; exit 1; }
run peersim lifecycle chaincode queryinstalled
run peersim lifecycle chaincode approveformyorg -C "$CHANNEL" -n assettransfer -v 1.0 --sequence 1 --package-id "$PACKAGE_ID"
run peersim lifecycle chaincode checkcommitreadiness -C "$CHANNEL" -n assettransfer -v 1.0 --sequence 1
run peersim lifecycle chaincode commit -C "$CHANNEL" -n assettransfer -v 1.0 --sequence 1
run peersim lifecycle chaincode querycommitted -C "$CHANNEL" -n assettransfer
say ""
say "Give the application an identity allowed to create assets:"
run peersim identity add appuser --attr abac.creator=true
say ""
say "Run it: events with a checkpoint, InitLedger, GetAllAssets, CreateAsset, TransferAsset, ReadAsset,"
say "an endorsement error and an MVCC conflict handled as fabric-gateway's documentation recommends:"
run assettransfer-app -peer "$PEER_CLIENT" -channel "$CHANNEL" \
	-msp "$WORK/production/organizations/peerOrganizations/org1.example.com/users/appuser@org1.example.com/msp"

step "3. Development mode: a second peer; you run the chaincode yourself"
start_peer development --dev
use_peer development "$PEER_CLIENT"

say ""
say "Install sacc:"
run peersim chaincode install -n sacc -v 1.0 -p "$ROOT/samples/sacc"
say ""
say "Start the chaincode by hand, with the start line of Fabric's dev-mode guide:"
printf '    $ CORE_ID_CHAINCODE_NAME=sacc:1.0 CORE_PEER_TLS_ENABLED=false sacc -peer.address %s &\n' "$PEER_CHAINCODE"
say "(sacc uses this repo's shim. A chaincode on Fabric's own shim reads CORE_CHAINCODE_ID_NAME instead, and"
say " if it calls shim.GetMSPID() it needs CORE_PEER_LOCALMSPID=Org1MSP on that line too.)"
CORE_ID_CHAINCODE_NAME=sacc:1.0 CORE_PEER_TLS_ENABLED=false sacc -peer.address "$PEER_CHAINCODE" >"$WORK/sacc.log" 2>&1 &
PIDS+=("$!")
say "sacc is running (pid $!), log: $WORK/sacc.log"
say ""
say "Instantiate it (Init stores a=10):"
run peersim chaincode instantiate -C "$CHANNEL" -n sacc -v 1.0 -c '{"Args":["a","10"]}'
say ""
say "Set a to 20, then read it back:"
run peersim chaincode invoke -C "$CHANNEL" -n sacc -c '{"Args":["set","a","20"]}'
run peersim chaincode query -C "$CHANNEL" -n sacc -c '{"Args":["get","a"]}'
say ""
say "What no Fabric peer shows: the trace of a transaction (proposal, chaincode messages, read-write set, verdict):"
printf '    $ peersim chaincode invoke -C %s -n sacc -c %s
' "$CHANNEL" "'{\"Args\":[\"set\",\"a\",\"30\"]}'"
TXID=$(peersim chaincode invoke -C "$CHANNEL" -n sacc -c '{"Args":["set","a","30"]}' 2>&1 | sed -n 's/^txid: //p')
[ -n "$TXID" ] || { echo "the invoke printed no txid" >&2; exit 1; }
run peersim tx trace "$TXID"
say ""
say "The development peer accepts only installed versions: sacc started as sacc:2.0 is refused:"
printf '    $ CORE_ID_CHAINCODE_NAME=sacc:2.0 CORE_PEER_TLS_ENABLED=false sacc -peer.address %s\n' "$PEER_CHAINCODE"
if CORE_ID_CHAINCODE_NAME=sacc:2.0 CORE_PEER_TLS_ENABLED=false sacc -peer.address "$PEER_CHAINCODE" 2>&1 | sed 's/^/      /'; then
	echo "sacc:2.0 was accepted, but it was never installed" >&2
	exit 1
fi

STATUS=ok
step "Done: abstore (lscc) and the assettransfer application (2.x lifecycle) ran in production mode, sacc in development mode"
