package policy

import "testing"

func TestLooksSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "passwd": true, "db_password": true, "Password": true, "api_key": true,
		"auth_token": true, "secret": true, "password_hash": true,
		"password_file": false, "password_script": false, "passwd_script": false, "token_path": false,
		"username": false, "ip": false, "keyfile": false, "ssl_key": false, "tokenizer": false,
	} {
		if got := looksSecret(name); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"stickiness", "priority", "target_role", "agent", "id"}
	for word, want := range map[string]string{
		"stickyness": "stickiness", "Agent": "agent", "agnet": "agent", "od": "id",
		"target-role": "target_role", "zzzzzz": "", "priorty": "priority",
	} {
		if got := suggest(word, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	for addr, ok := range map[string]bool{
		"10.0.0.1": true, "10.0.0.1:7946": true, "fe80::1": true, "[fe80::1]:7946": true,
		"node1": true, "node1.example.com:7946": true, "node_1": true,
		"": false, "10.0.0.1:0": false, "10.0.0.1:x": false, "-bad": false, "a..b": false,
		"fe80::1:7946:x": false, "[fe80::1]": false, "bad host": false,
	} {
		if got := checkAddress(addr) == ""; got != ok {
			t.Errorf("checkAddress(%q) ok = %v, want %v (%s)", addr, got, ok, checkAddress(addr))
		}
	}
}
