package policy

import "testing"

func TestLineIndexFind(t *testing.T) {
	src := `# comment [[not.a.header]]
[cluster]
name = "c" # trailing
"quoted.key" = 1
text = """
[[primitive]]
id = "inside a string"
"""
lit = '''x'''

[[primitive]]
id = "a"
params = { a = 1, "b.c" = { d = [1, 2] } }

[[primitive.op]]
name = "start"

[[primitive]]
id = "b"
list = [
  { x = 1 },   # first
  'two, ]',
  { y = [ "]" ] },
]

[[primitive.op]]
name = "monitor"
[primitive.op.extra]
k.l = 1
`
	ix := buildLineIndex([]byte(src))
	tests := []struct {
		path      keyPath
		line, col int
	}{
		{kp("cluster"), 2, 1},
		{kp("cluster", "name"), 3, 1},
		{kp("cluster", "quoted.key"), 4, 1},
		{kp("cluster", "lit"), 9, 1},
		{kp("primitive", 0), 11, 1},
		{kp("primitive", 0, "id"), 12, 1},
		{kp("primitive", 0, "params", "a"), 13, 12},
		{kp("primitive", 0, "params", "b.c", "d", 1), 13, 37},
		{kp("primitive", 0, "op", 0, "name"), 16, 1},
		{kp("primitive", 1, "id"), 19, 1},
		{kp("primitive", 1, "list", 0, "x"), 21, 5},
		{kp("primitive", 1, "list", 1), 22, 3},
		{kp("primitive", 1, "list", 2, "y", 0), 23, 11},
		{kp("primitive", 1, "op", 0, "name"), 27, 1},
		{kp("primitive", 1, "op", 0, "extra", "k", "l"), 29, 1},
		{kp("primitive", 1, "op", 0, "missing"), 26, 1}, // falls back to the parent
		{kp("nothing"), 0, 0},
	}
	for _, tt := range tests {
		line, col := ix.find(tt.path)
		if line != tt.line || col != tt.col {
			t.Errorf("find(%s) = %d:%d, want %d:%d", tt.path, line, col, tt.line, tt.col)
		}
	}
	if _, ok := ix.pos["primitive[2]"]; ok {
		t.Errorf("the [[primitive]] inside a multi-line string was indexed")
	}
}

func TestLineIndexSecretLines(t *testing.T) {
	src := "[[primitive]]\nsecret_params = { a = \"x\" }\nparams = { b = 1 }\n[primitive.secret_params]\nc = \"y\"\n"
	ix := buildLineIndex([]byte(src))
	for line, want := range map[int]bool{1: false, 2: true, 3: false, 4: false, 5: true} {
		if _, got := ix.source([]byte(src), line); got != want {
			t.Errorf("source(line %d) secret = %v, want %v", line, got, want)
		}
	}
}

func TestLineIndexNeverHangs(t *testing.T) {
	for _, src := range []string{"[", "[[", "a", "a =", "a = [", "a = {", "a = {b", "a = \"", "a = '''", "\"", "[a.\"b", "= = =", "a = [,,,]", "a = {,}", "x = [}"} {
		buildLineIndex([]byte(src)) // must return
	}
}
