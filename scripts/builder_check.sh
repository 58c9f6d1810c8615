#!/usr/bin/env bash
# The builder's committed bundle must be what its source builds (the product runs with Python
# alone, so the bundle is committed): npm ci from the lock file, the Vitest unit tests, the
# build, then fail if workflows/static/workflows/builder/ differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=workflows/static/workflows/builder
(
  cd workflows/builder
  npm ci --no-audit --no-fund --loglevel=error
  npm test --silent
  npm run build --silent
)
if ! git diff --quiet -- "$BUNDLE" || [ -n "$(git ls-files --others --exclude-standard -- "$BUNDLE")" ]; then
  echo "The committed builder bundle is stale: run 'cd workflows/builder && npm ci && npm run build'" >&2
  echo "and commit $BUNDLE/. Differences:" >&2
  git status --short -- "$BUNDLE" >&2
  exit 1
fi
echo "builder bundle: up to date"
