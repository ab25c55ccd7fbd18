package policy

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// WriteTOML writes c as a policy file, keys in the model's order, leaving
// out keys that are unset or empty (false, "", 0, 0s, empty lists). A
// Config that Load accepted loads again from the output with the same
// meaning. Call it on c.Redacted() to print a policy for people.
//
// The model's toml tags carry no omitempty, so WriteTOML encodes a
// shadow copy built with reflect.StructOf whose tags do, and whose score
// fields hold integers (or "INFINITY" strings) instead of quoted numbers.
func (c *Config) WriteTOML(w io.Writer) error {
	s := &shadower{types: map[reflect.Type]*shadowType{}}
	v := s.value(reflect.ValueOf(*c))
	enc := toml.NewEncoder(w)
	enc.Indent = ""
	if err := enc.Encode(v.Interface()); err != nil {
		return fmt.Errorf("policy: encode toml: %w", err)
	}
	return nil
}

var scoreType = reflect.TypeFor[Score]()

// shadowType is a struct type built from a model struct type: fields maps
// each shadow field to the model field's index path (embedded structs
// flattened).
type shadowType struct {
	t      reflect.Type
	fields [][]int
}

type shadower struct {
	types map[reflect.Type]*shadowType
}

// typeOf returns the shadow type of a model type.
func (s *shadower) typeOf(t reflect.Type) reflect.Type {
	switch {
	case t == scoreType:
		return reflect.TypeFor[any]()
	case t.Kind() == reflect.Pointer && t.Elem() == scoreType:
		// *any rather than any: a nil pointer counts as empty for
		// omitempty, so an empty resource_defaults is left out.
		return reflect.TypeFor[*any]()
	case t.Kind() == reflect.Struct:
		return s.structOf(t).t
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return reflect.SliceOf(s.typeOf(t.Elem()))
	}
	return t
}

func (s *shadower) structOf(t reflect.Type) *shadowType {
	if st, ok := s.types[t]; ok {
		return st
	}
	st := &shadowType{}
	var fields []reflect.StructField
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
			opts := ",omitempty"
			switch {
			case f.Type == scoreType:
				opts = "" // a required score may be 0
			case f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Int64:
				opts += ",omitzero"
			}
			fields = append(fields, reflect.StructField{
				Name: f.Name,
				Type: s.typeOf(f.Type),
				Tag:  reflect.StructTag(fmt.Sprintf(`toml:"%s%s"`, name, opts)),
			})
			st.fields = append(st.fields, idx)
		}
	}
	add(t, nil)
	st.t = reflect.StructOf(fields)
	s.types[t] = st
	return st
}

// value converts a model value to its shadow.
func (s *shadower) value(v reflect.Value) reflect.Value {
	t := v.Type()
	switch {
	case t == scoreType:
		return reflect.ValueOf(scoreValue(Score(v.Int())))
	case t.Kind() == reflect.Pointer && t.Elem() == scoreType:
		if v.IsNil() {
			return reflect.Zero(reflect.TypeFor[*any]())
		}
		sv := scoreValue(Score(v.Elem().Int()))
		return reflect.ValueOf(&sv)
	case t.Kind() == reflect.Struct:
		st := s.structOf(t)
		out := reflect.New(st.t).Elem()
		for i, idx := range st.fields {
			sv := s.value(v.FieldByIndex(idx))
			if sv.IsValid() {
				out.Field(i).Set(sv)
			}
		}
		return out
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if v.IsNil() {
			return reflect.Zero(s.typeOf(t))
		}
		out := reflect.MakeSlice(s.typeOf(t), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(s.value(v.Index(i)))
		}
		return out
	}
	return v
}

// scoreValue is a score as TOML writes it best: an integer, or the string
// "INFINITY" / "-INFINITY".
func scoreValue(sc Score) any {
	if sc >= Infinity || sc <= -Infinity {
		return sc.String()
	}
	return int64(sc)
}
