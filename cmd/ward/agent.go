package main

import "github.com/spf13/cobra"

// TEMPORARY placeholder; the real command replaces this file.
func newAgentCmd() *cobra.Command {
	return &cobra.Command{Use: "agent", Short: "(not built yet)", Hidden: true}
}
