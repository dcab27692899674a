//go:build variant2

package main

// answer is what "version" returns when built with -tags variant2.
const answer = "tally v2"
