// Command gcload allocates enough to make Go's collector run a few dozen
// cycles, some of them forced with runtime.GC(), so that
//
//	GODEBUG=gctrace=1 go run main.go 2>go119.log
//
// captures a real Go gctrace log (tests/data/trace/go119.log was made this
// way with Go 1.19; see tests/data/trace/README.md).  It keeps a live set
// that grows and shrinks (a map of byte slices and a linked list), so the
// heap figures move; it prints one line of its own per round on stderr (an
// unrelated line among the gc lines, as in any real log) and its summary
// on stdout.
package main

import (
	"fmt"
	"os"
	"runtime"
)

// sink makes the churned slices escape to the heap.
var sink []byte

type node struct {
	next    *node
	payload []byte
}

func main() {
	live := make(map[int][]byte)
	var list *node
	sum := 0
	for round := 0; round < 16; round++ {
		// Grow: a map of 64 KiB values and a list of small nodes.
		for i := 0; i < 400; i++ {
			live[round*1000+i] = make([]byte, 64<<10)
			for j := 0; j < 200; j++ {
				list = &node{next: list, payload: make([]byte, 128)}
			}
		}
		// Churn: short-lived garbage (through a global, so it escapes).
		for i := 0; i < 30000; i++ {
			sink = make([]byte, 1024)
			sum += len(sink)
		}
		// Shrink: drop half the map and cut the list.
		for k := range live {
			if k%2 == round%2 {
				delete(live, k)
			}
		}
		n := 0
		for p := list; p != nil && n < 20000; p = p.next {
			n++
			if n == 20000 {
				p.next = nil
			}
		}
		if round%3 == 2 {
			runtime.GC() // a forced cycle: the line ends in " (forced)"
		}
		// An unrelated line among the gc lines, as in any real log.
		fmt.Fprintf(os.Stderr, "round %d: %d entries\n", round, len(live))
	}
	runtime.GC()
	fmt.Println("entries", len(live), "bytes churned", sum)
}
