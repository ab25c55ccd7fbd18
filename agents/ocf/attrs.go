package ocf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Promotable OCF agents publish their promotion score by running
// Pacemaker's crm_attribute or crm_master (ocf-shellfuncs'
// ocf_promotion_score). ward is not Pacemaker, so it points HA_SBIN_DIR
// at a folder holding stand-ins for those two tools. The stand-ins append
// "name=value" lines to the file named by $WARD_ATTR_FILE; after the
// action ward reads them into Outcome.Attributes. Queries (-G) are not
// supported: they exit 1, which agents treat as "attribute not set".

// attrShim is the stand-in for crm_attribute and crm_master.
const attrShim = `#!/bin/sh
# ward's stand-in for Pacemaker's crm_attribute and crm_master: records
# attribute updates for ward to read after the agent's action.
name= value= del= query= promo=
case "$(basename "$0")" in crm_master) promo=1;; esac
while [ $# -gt 0 ]; do
	case "$1" in
	-p|--promotion|--promotion=*) promo=1;;
	-n|--name|--attr-name) shift; name=$1;;
	--name=*|--attr-name=*) name=${1#*=};;
	-v|--update|--value|--attr-value) shift; value=$1;;
	--update=*|--value=*|--attr-value=*) value=${1#*=};;
	-D|--delete|--delete-attr) del=1;;
	-G|--query|--get-value) query=1;;
	-l|--lifetime|-N|--node|-t|--type|-i|--id|-s|--set-name|-d|--default|-r|--resource) shift;;
	esac
	shift
done
if [ -n "$query" ]; then
	echo "ward: attribute queries are not supported" >&2
	exit 1
fi
[ -z "$WARD_ATTR_FILE" ] && { echo "ward: WARD_ATTR_FILE is not set" >&2; exit 1; }
if [ -n "$promo" ] && [ -z "$name" ]; then
	name="master-${OCF_RESOURCE_INSTANCE%:*}"
fi
[ -z "$name" ] && { echo "ward: no attribute name" >&2; exit 1; }
[ -n "$del" ] && value=
printf '%s=%s\n' "$name" "$value" >> "$WARD_ATTR_FILE"
`

// InstallShims writes the crm_attribute and crm_master stand-ins into
// dir (created if needed) and returns dir, ready to be Options.SbinDir.
func InstallShims(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("ocf: create attribute tool folder: %w", err)
	}
	for _, name := range []string{"crm_attribute", "crm_master"} {
		p := filepath.Join(dir, name)
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, []byte(attrShim), 0o755); err != nil {
			return "", fmt.Errorf("ocf: write %s: %w", p, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return "", fmt.Errorf("ocf: install %s: %w", p, err)
		}
	}
	return dir, nil
}

const (
	maxAttrFile  = 64 << 10
	maxAttrCount = 100
)

// readAttrs reads and removes the attribute file. A missing or empty
// file means no updates.
func readAttrs(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) || len(b) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseAttrs(b)
}

// parseAttrs reads "name=value" lines; the last value of each name wins.
// Lines without '=' are ignored. It bounds size and count.
func parseAttrs(b []byte) (map[string]string, error) {
	if len(b) > maxAttrFile {
		return nil, fmt.Errorf("attribute updates: %d bytes, over the limit of %d", len(b), maxAttrFile)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || name == "" {
			continue
		}
		out[name] = value
		if len(out) > maxAttrCount {
			return nil, fmt.Errorf("attribute updates: more than %d attributes", maxAttrCount)
		}
	}
	return out, nil
}
