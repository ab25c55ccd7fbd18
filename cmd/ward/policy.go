package main

import "github.com/spf13/cobra"

// TEMPORARY placeholder; the real command replaces this file.
func newPolicyCmd() *cobra.Command {
	return &cobra.Command{Use: "policy", Short: "(not built yet)", Hidden: true}
}
