package main

import "github.com/spf13/cobra"

// TEMPORARY placeholder; the real command replaces this file.
func newImportCmd() *cobra.Command {
	return &cobra.Command{Use: "import", Short: "(not built yet)", Hidden: true}
}
