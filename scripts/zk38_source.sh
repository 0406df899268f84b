#!/usr/bin/env bash
# Fetch and unpack the ZooKeeper 3.8.0 source that matches the testbed's server (Debian bookworm's `zookeeper`
# source package, Debian patches applied) into DEST (default /work/src/zk38/src), outside the repository, and
# build its log-statement inventory. Third-party source: never commit it.
#   bash scripts/zk38_source.sh [DEST_PARENT]
# Needs root for the deb-src entry (a copy of the system's Debian sources file with Types: deb-src) and apt-get update.
set -euo pipefail
parent="${1:-/work/src/zk38}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f /etc/apt/sources.list.d/debian-src.sources ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "need root to add /etc/apt/sources.list.d/debian-src.sources (deb-src); or do it by hand" >&2
    exit 2
  fi
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
  apt-get update -q
fi
mkdir -p "$parent"
cd "$parent"
apt-get source --download-only zookeeper
dsc=$(ls zookeeper_3.8.0-*.dsc | sort | tail -n 1)
rm -rf src
dpkg-source -x "$dsc" src
echo "source: $parent/src (server code: $parent/src/zookeeper-server/src/main/java)"
(cd "$repo" && PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "${PYTHON:-python}" -m anomalygen.cli inventory \
  "$parent/src/zookeeper-server/src/main/java" --out "$parent/inventory.jsonl" | tail -n 1)
