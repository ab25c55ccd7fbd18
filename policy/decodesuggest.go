package policy

import (
	"strconv"
	"strings"
)

// maxSuggestCandidates bounds the work of one suggestion: with more
// candidates than this (a policy with thousands of resources) no
// suggestion is made.
const maxSuggestCandidates = 5000

// didYouMean returns `; did you mean "x"?` for the candidate closest to
// word, or "" when none is close. Close: equal ignoring case, or an edit
// distance of at most a third of the word's length (at least 1, at most 3).
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return "; did you mean " + strconv.Quote(s) + "?"
	}
	return ""
}

func suggest(word string, candidates []string) string {
	if len(candidates) > maxSuggestCandidates || len(word) > 256 {
		return ""
	}
	lw := strings.ToLower(word)
	maxDist := min(max(len(word)/3, 1), 3)
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if strings.ToLower(c) == lw {
			return c
		}
		if len(c) > 256 || abs(len(c)-len(word)) > maxDist {
			continue
		}
		if d := editDistance(lw, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and transpositions of
// adjacent bytes ("alpah" is 1 from "alpha") count 1 each.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
