package policy

import (
	"os"

	"github.com/BurntSushi/toml"
)

// TEMPORARY: the real loader (limits, positions, unknown keys, defaults,
// validation) replaces this file. The signatures stay.

// Load reads, decodes, defaults and validates the policy file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes, defaults and validates a policy from data; name is used
// in error messages as the file name.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	if _, err := toml.Decode(string(data), &c); err != nil {
		return nil, err
	}
	return &c, nil
}
