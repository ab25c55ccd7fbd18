package ocf

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ward-ha/ward/resources"
)

// Env returns the environment a command or OCF agent runs with: PATH,
// OCF_RESOURCE_INSTANCE, OCF_RESKEY_<param>, OCF_RESKEY_CRM_meta_<meta>
// (with '-' turned into '_'), OCF_RESKEY_CRM_meta_timeout and _interval
// in milliseconds, and the notify variables of a notify action. Names
// that cannot be environment variables are an error.
func Env(c resources.Call) ([]string, error) {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"OCF_RESOURCE_INSTANCE=" + c.Resource,
		"OCF_RESKEY_CRM_meta_timeout=" + strconv.FormatInt(c.Timeout.Milliseconds(), 10),
		"OCF_RESKEY_CRM_meta_interval=" + strconv.FormatInt(c.Interval.Milliseconds(), 10),
	}
	if v, ok := os.LookupEnv("HOME"); ok {
		env = append(env, "HOME="+v)
	}
	add := func(prefix string, m map[string]string, what string) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := strings.ReplaceAll(k, "-", "_")
			if !validName(name) {
				return fmt.Errorf("resource %q: %s %q cannot be passed to the agent: use letters, digits and _ only", c.Resource, what, k)
			}
			if strings.ContainsRune(m[k], 0) {
				return fmt.Errorf("resource %q: %s %q: value contains a NUL byte", c.Resource, what, k)
			}
			if prefix == "OCF_RESKEY_CRM_meta_" && (name == "timeout" || name == "interval") {
				continue
			}
			env = append(env, prefix+name+"="+m[k])
		}
		return nil
	}
	if err := add("OCF_RESKEY_", c.Params, "param"); err != nil {
		return nil, err
	}
	if err := add("OCF_RESKEY_CRM_meta_", c.Meta, "meta attribute"); err != nil {
		return nil, err
	}
	if n := c.Notify; n != nil {
		env = append(env, "OCF_RESKEY_CRM_meta_notify_type="+n.Type, "OCF_RESKEY_CRM_meta_notify_operation="+n.Operation)
		cats := make([]string, 0, len(n.Instances))
		for k := range n.Instances {
			cats = append(cats, k)
		}
		sort.Strings(cats)
		for _, cat := range cats {
			if !validName(cat) {
				return nil, fmt.Errorf("resource %q: notify category %q is not a valid name", c.Resource, cat)
			}
			var rs, us []string
			for _, in := range n.Instances[cat] {
				rs = append(rs, in.Resource)
				us = append(us, in.Node)
			}
			names := []string{cat}
			// Agents written for older Pacemaker read master/slave.
			switch cat {
			case "promoted":
				names = append(names, "master")
			case "unpromoted":
				names = append(names, "slave")
			}
			for _, name := range names {
				env = append(env,
					"OCF_RESKEY_CRM_meta_notify_"+name+"_resource="+strings.Join(rs, " "),
					"OCF_RESKEY_CRM_meta_notify_"+name+"_uname="+strings.Join(us, " "))
			}
		}
	}
	return env, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
