package main

import "github.com/spf13/cobra"

// TEMPORARY placeholder; the real command replaces this file.
func newSimulateCmd() *cobra.Command {
	return &cobra.Command{Use: "simulate", Short: "(not built yet)", Hidden: true}
}
