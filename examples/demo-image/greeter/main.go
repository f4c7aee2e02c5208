// greeter: the demo image's Go program. It links golang.org/x/text/unicode/norm so that the binary's
// build information records a real golang.org/x/text version next to the Go toolchain version.
package main

import (
	"os"
	"strings"

	"golang.org/x/text/unicode/norm"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = strings.Join(os.Args[1:], " ")
	}
	os.Stdout.WriteString("hello, " + norm.NFC.String(name) + "\n")
}
