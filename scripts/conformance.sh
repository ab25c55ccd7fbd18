#!/usr/bin/env bash
# Runs Pacemaker's scheduler cases from ../shared/conformance against ward,
# with a ratchet: fewer passing cases than MIN fails the build.
set -euo pipefail
corpus=${WARD_CONFORMANCE:-}
if [ -z "$corpus" ]; then
	for c in ../shared/conformance /work/shared/conformance; do
		[ -x "$c/check" ] && corpus=$c && break
	done
fi
min=${CONFORMANCE_MIN:-93}
if [ ! -x "$corpus/check" ]; then
	echo "conformance: corpus not found at $corpus (set WARD_CONFORMANCE)" >&2
	exit 1
fi
"$corpus/check" --ward ./bin/ward --min "$min"
