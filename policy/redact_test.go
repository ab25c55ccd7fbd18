package policy

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadTestdata(t *testing.T, name string) *Config {
	t.Helper()
	c, err := Load("testdata/load/" + name)
	if err != nil {
		t.Fatalf("Load(%s) = %v", name, err)
	}
	return c
}

func TestRedacted(t *testing.T) {
	c := loadTestdata(t, "valid-full.toml")
	r := c.Redacted()
	var out bytes.Buffer
	if err := r.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t", "hunter2", "abc", ":pass@"} {
		if strings.Contains(out.String(), secret) || strings.Contains(string(js), secret) {
			t.Errorf("Redacted() output contains the secret %q", secret)
		}
	}
	if got := r.Primitives[0].SecretParams["password"]; got != RedactedValue {
		t.Errorf("Redacted().Primitives[0].SecretParams[password] = %q, want %q", got, RedactedValue)
	}
	if got := r.Fencing.Devices[0].SecretParams["password"]; got != RedactedValue {
		t.Errorf("Redacted() fence secret = %q, want %q", got, RedactedValue)
	}
	if got := r.Alerts[0].SecretParams["token"]; got != RedactedValue {
		t.Errorf("Redacted() alert secret = %q, want %q", got, RedactedValue)
	}
	// The original keeps its secrets.
	if c.Primitives[0].SecretParams["password"] != "s3cr3t" || c.Alerts[0].URL != "https://ward:pass@alerts.example.com/x" {
		t.Errorf("Redacted() changed the original config")
	}
}

// TestCloneSharesNothing fills every field of a Config through reflection
// and checks that clone() shares no pointer, slice or map with it, so that
// a field added to the model without a line in clone() fails here.
func TestCloneSharesNothing(t *testing.T) {
	var c Config
	fillAll(reflect.ValueOf(&c).Elem(), 0)
	d := c.clone()
	if !reflect.DeepEqual(&c, d) {
		t.Fatalf("clone() differs from the original")
	}
	checkNoAlias(t, "Config", reflect.ValueOf(c), reflect.ValueOf(*d))
}

func fillAll(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem() == reflect.TypeFor[Expr]() {
			return // parsed rules are shared on purpose
		}
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type().PkgPath() != "github.com/ward-ha/ward/policy" {
			return // time.Location and friends
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fillAll(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		k.SetString("k")
		e := reflect.New(v.Type().Elem()).Elem()
		fillAll(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	}
}

func checkNoAlias(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Type().Elem() == reflect.TypeFor[Expr]() || a.Type().Elem() == reflect.TypeFor[time.Location]() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("clone() shares the pointer %s", path)
		}
		checkNoAlias(t, path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).IsExported() {
				checkNoAlias(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("clone() shares the slice %s", path)
		}
		for i := 0; i < a.Len(); i++ {
			checkNoAlias(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("clone() shares the map %s", path)
		}
	}
}

func TestRedactedExamplesHideSecrets(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.toml")
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Fatalf("Load(%s) = %v", f, err)
		}
		var out bytes.Buffer
		if err := c.Redacted().WriteTOML(&out); err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Primitives {
			for k, v := range p.SecretParams {
				if v != "" && strings.Contains(out.String(), `"`+v+`"`) {
					t.Errorf("show %s prints secret_params.%s", f, k)
				}
			}
		}
	}
}
