package controller

import "strings"

// maxDiffLines bounds the LCS table of lineDiff; larger inputs get a
// plain "-all +all" diff.
const maxDiffLines = 4000

// lineDiff returns a minimal diff of two texts, one line per changed
// line ("-old", "+new"), with unchanged lines as " line"; "" when equal.
func lineDiff(a, b string) string {
	if a == b {
		return ""
	}
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	if len(x)*len(y) > maxDiffLines*maxDiffLines/4 {
		for _, s := range x {
			out.WriteString("-" + s + "\n")
		}
		for _, s := range y {
			out.WriteString("+" + s + "\n")
		}
		return out.String()
	}
	// lcs[i][j] = length of the LCS of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString(" " + x[i] + "\n")
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+" + y[j] + "\n")
			j++
		default:
			out.WriteString("-" + x[i] + "\n")
			i++
		}
	}
	return out.String()
}
