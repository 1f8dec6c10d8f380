//go:build !unix

package main

import "os"

// maxRSSMB is 0: this system's rusage has no peak resident set.
func maxRSSMB(*os.ProcessState) float64 { return 0 }

// cpuSelf is 0: this system's rusage is not read.
func cpuSelf() float64 { return 0 }
