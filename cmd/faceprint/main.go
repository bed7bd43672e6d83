// Command faceprint is the faceprint server and its tools.
package main

import (
	"fmt"
	"os"

	"github.com/faceprint/faceprint/internal/cli"
)

func main() {
	if err := cli.NewRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "faceprint:", err)
		os.Exit(1)
	}
}
