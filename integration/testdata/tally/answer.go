//go:build !variant2

package main

// answer is what "version" returns in the default build.
const answer = "tally v1"
