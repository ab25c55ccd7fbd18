package main

import "github.com/spf13/cobra"

// TEMPORARY placeholder; the real command replaces this file.
func newExplainCmd() *cobra.Command {
	return &cobra.Command{Use: "explain", Short: "(not built yet)", Hidden: true}
}
