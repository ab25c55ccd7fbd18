#!/bin/sh
# exec_fence.sh PORT: the exec plugin's test command. The host behind
# PORT is the file $WARD_FENCE_PARAM_STATE_DIR/PORT ("on" or "off").
# WARD_FENCE_PARAM_MODE=fail fails, =hang never answers.
port=$1
dir=$WARD_FENCE_PARAM_STATE_DIR
case "$WARD_FENCE_PARAM_MODE" in
fail) echo "power switch did not answer" >&2; exit 1 ;;
hang) exec sleep 3600 ;;
esac
case "$port" in ""|*/*|.*) echo "bad port '$port'" >&2; exit 1 ;; esac
[ -f "$dir/$port" ] || { echo "unknown port '$port'" >&2; exit 1; }
case "$WARD_FENCE_ACTION" in
off) printf off > "$dir/$port" ;;
reboot) printf on > "$dir/$port" ;;
*) echo "bad action '$WARD_FENCE_ACTION'" >&2; exit 1 ;;
esac
