package policy

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// The typed decoder walks the generic map that toml.Decode produced and
// fills the model through its toml tags. Unlike decoding straight into the
// structs, it keeps going after a type error, so that one wrong field does
// not hide the errors elsewhere, and it rejects unknown keys with a "did
// you mean" suggestion.

var (
	unmarshalerType = reflect.TypeFor[toml.Unmarshaler]()
	roleType        = reflect.TypeFor[Role]()
)

// decoder decodes one file; fields caches the key table of each struct.
type decoder struct {
	errs   *collector
	fields map[reflect.Type]*structKeys
}

// structKeys maps the toml keys of a struct type (embedded structs
// flattened) to field index paths.
type structKeys struct {
	index map[string][]int
	names []string // sorted, for suggestions
}

func newDecoder(errs *collector) *decoder {
	return &decoder{errs: errs, fields: map[reflect.Type]*structKeys{}}
}

func (d *decoder) keysOf(t reflect.Type) *structKeys {
	if k, ok := d.fields[t]; ok {
		return k
	}
	k := &structKeys{index: map[string][]int{}}
	var add func(t reflect.Type, prefix []int)
	add = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int{}, prefix...), i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				add(f.Type, idx)
				continue
			}
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			k.index[name] = idx
			k.names = append(k.names, name)
		}
	}
	add(t, nil)
	sort.Strings(k.names)
	d.fields[t] = k
	return k
}

// decode sets v from raw, recording every problem under path. secret is
// true inside secret_params: values are then never quoted in messages.
func (d *decoder) decode(v reflect.Value, raw any, path keyPath, secret bool) {
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(toml.Unmarshaler).UnmarshalTOML(raw); err != nil {
			d.errs.decodeErr(path, "%s", err.Error())
		}
		return
	}
	if v.Type() == roleType {
		d.decodeRole(v, raw, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(p.Elem(), raw, path, secret)
		v.Set(p)
	case reflect.String:
		switch x := raw.(type) {
		case string:
			v.SetString(x)
		case time.Time:
			s, ok := offsetDateTime(x)
			if !ok {
				d.errs.decodeErr(path, "date-time %s has no time zone offset; write it quoted with one, as in \"2026-01-02T15:04:05Z\"", x.Format("2006-01-02T15:04:05"))
				return
			}
			v.SetString(s)
		default:
			d.typeErr(path, "a string", raw, secret)
		}
	case reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			d.typeErr(path, "true or false", raw, secret)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(int64)
		if !ok {
			d.typeErr(path, "an integer", raw, secret)
			return
		}
		if v.OverflowInt(n) {
			d.errs.decodeErr(path, "%d is out of range", n)
			return
		}
		v.SetInt(n)
	case reflect.Struct:
		d.decodeStruct(v, raw, path)
	case reflect.Slice:
		d.decodeSlice(v, raw, path, secret)
	case reflect.Map:
		d.decodeMap(v, raw, path, secret)
	default:
		d.errs.decodeErr(path, "cannot be decoded (unsupported field type %s)", v.Type())
	}
}

func (d *decoder) decodeStruct(v reflect.Value, raw any, path keyPath) {
	m, ok := raw.(map[string]any)
	if !ok {
		d.typeErr(path, "a table", raw, false)
		return
	}
	keys := d.keysOf(v.Type())
	for _, k := range sortedKeys(m) {
		idx, ok := keys.index[k]
		if !ok {
			if d.errs.full() {
				continue
			}
			hint := didYouMean(k, keys.names)
			if hint == "" {
				hint = "; the keys here are " + strings.Join(keys.names, ", ")
			}
			d.errs.decodeErr(path.with(k), "unknown key %s%s", strconv.Quote(k), hint)
			continue
		}
		f := v.FieldByIndex(idx)
		d.decode(f, m[k], path.with(k), k == "secret_params")
	}
}

func (d *decoder) decodeSlice(v reflect.Value, raw any, path keyPath, secret bool) {
	var elems []any
	switch x := raw.(type) {
	case []any:
		elems = x
	case []map[string]any:
		elems = make([]any, len(x))
		for i := range x {
			elems[i] = x[i]
		}
	default:
		want := "an array"
		if v.Type().Elem().Kind() == reflect.Struct {
			want = fmt.Sprintf("an array of tables ([[%s]])", path.String())
		}
		d.typeErr(path, want, raw, secret)
		return
	}
	if len(elems) > maxEntries {
		d.errs.decodeErr(path, "has %d entries; the limit is %d", len(elems), maxEntries)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(elems), len(elems))
	for i, e := range elems {
		d.decode(s.Index(i), e, path.with(i), secret)
	}
	v.Set(s)
}

func (d *decoder) decodeMap(v reflect.Value, raw any, path keyPath, secret bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		d.typeErr(path, "a table", raw, secret)
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errs.decodeErr(path, "cannot be decoded (unsupported map key type)")
		return
	}
	if len(m) > maxEntries {
		d.errs.decodeErr(path, "has %d entries; the limit is %d", len(m), maxEntries)
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m))
	for _, k := range sortedKeys(m) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(e, m[k], path.with(k), secret)
		out.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
	}
	v.Set(out)
}

// decodeRole accepts the roles in any case and the legacy names Master
// and Slave, and stores the canonical name.
func (d *decoder) decodeRole(v reflect.Value, raw any, path keyPath) {
	s, ok := raw.(string)
	if !ok {
		d.typeErr(path, "a role (Stopped, Started, Unpromoted or Promoted)", raw, false)
		return
	}
	r, ok := normalizeRole(s)
	if !ok {
		d.errs.decodeErr(path, "role %q is not one of Stopped, Started, Unpromoted, Promoted%s", s, didYouMean(s, roleNames))
		return
	}
	v.SetString(string(r))
}

var roleNames = []string{"Stopped", "Started", "Unpromoted", "Promoted"}

// normalizeRole maps any case of a role name, and the legacy Master and
// Slave, to the canonical role.
func normalizeRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "stopped":
		return RoleStopped, true
	case "started":
		return RoleStarted, true
	case "unpromoted", "slave":
		return RoleUnpromoted, true
	case "promoted", "master":
		return RolePromoted, true
	}
	return RoleUnknown, false
}

// typeErr records that the value at path is not of the wanted kind.
func (d *decoder) typeErr(path keyPath, want string, raw any, secret bool) {
	d.errs.decodeErr(path, "must be %s, not %s", want, describe(raw, secret))
}

// describe names a decoded TOML value for a message, with the value itself
// for short scalars unless it is secret.
func describe(raw any, secret bool) string {
	kind, val := "", ""
	switch x := raw.(type) {
	case string:
		kind, val = "the string", strconv.Quote(x)
	case int64:
		kind, val = "the integer", strconv.FormatInt(x, 10)
	case float64:
		kind, val = "the float", strconv.FormatFloat(x, 'g', -1, 64)
		if math.IsInf(x, 0) || math.IsNaN(x) {
			val = fmt.Sprint(x)
		}
	case bool:
		kind, val = "the boolean", strconv.FormatBool(x)
	case time.Time:
		kind, val = "a date-time", ""
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("a %T", raw)
	}
	if secret {
		article := "a "
		if kind == "the integer" {
			article = "an "
		}
		return article + kind[strings.IndexByte(kind, ' ')+1:] + " (value not shown: secret)"
	}
	if val == "" {
		return kind
	}
	if len(val) > 60 {
		val = val[:60] + "..."
	}
	return kind + " " + val
}

// offsetDateTime formats a TOML offset date-time as RFC 3339; local
// date-times, dates and times (no offset) are refused.
func offsetDateTime(t time.Time) (string, bool) {
	switch t.Location().String() {
	case "datetime-local", "date-local", "time-local":
		return "", false
	}
	return t.Format(time.RFC3339Nano), true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
