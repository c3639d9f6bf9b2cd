#!/bin/sh
# Installs the Debian packages named in $PKGS that are missing, when run as
# root; otherwise prints the exact command and fails. Used by the Makefile.
set -eu

have() {
	case "$1" in
	clickhouse-server) command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse >/dev/null 2>&1 ;;
	clickhouse-client) command -v clickhouse-client >/dev/null 2>&1 || command -v clickhouse >/dev/null 2>&1 ;;
	prometheus-alertmanager) command -v prometheus-alertmanager >/dev/null 2>&1 || [ -x /usr/bin/prometheus-alertmanager ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

if ! command -v go >/dev/null 2>&1; then
	echo "Go is not on PATH: install Go 1.26 or later (https://go.dev/dl/) and put it on PATH." >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	have "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing with apt:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	exit 0
fi
echo "missing:$missing" >&2
echo "install them with:  sudo apt-get install -y --no-install-recommends$missing" >&2
exit 1
