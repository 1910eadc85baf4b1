// mapbench.go — the Go 1.19 twin of tools/bench/mapbench.c: the same
// operations on the same keys in the same order (see that file's header).
// Output lines: "map K N op ns_per_op".
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MAPBENCH_CLOCK=cpu times with the process's CPU time (getrusage: every
// thread, so the collector's too) instead of the wall clock, and
// MAPBENCH_OPS=hit,delete runs only the named operations: the same knobs
// as mapbench.c, for comparisons on a busy machine.  bench.sh sets neither.
var clock = func() time.Duration { return time.Duration(time.Now().UnixNano()) }

func cpuClock() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var smState uint64

func splitmix64() uint64 {
	smState += 0x9e3779b97f4a7c15
	z := smState
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

var sink int64

type bench[K comparable] struct {
	keys, miss []K
	m          map[K]int64
}

func (b *bench[K]) fill() {
	b.m = make(map[K]int64)
	for i, k := range b.keys {
		b.m[k] = int64(i)
	}
}

var opNames = []string{"insert", "hit", "miss", "delete", "iterate"}

func (b *bench[K]) pass(op int) time.Duration {
	var sum int64
	var t0, d time.Duration
	switch op {
	case 0:
		t0 = clock()
		b.fill()
		d = clock() - t0
	case 1, 2:
		ks := b.keys
		if op == 2 {
			ks = b.miss
		}
		m := b.m
		t0 = clock()
		for _, k := range ks {
			if v, ok := m[k]; ok {
				sum += v
			}
		}
		d = clock() - t0
	case 3:
		b.fill()
		m := b.m
		t0 = clock()
		for _, k := range b.keys {
			delete(m, k)
		}
		d = clock() - t0
		b.fill()
	default:
		t0 = clock()
		for _, v := range b.m {
			sum += v
		}
		d = clock() - t0
	}
	sink += sum
	return d
}

func (b *bench[K]) measure(op int) float64 {
	best := 0.0
	for trial := 0; trial < 3; trial++ {
		var spent time.Duration
		ops := 0
		for spent < 100*time.Millisecond {
			spent += b.pass(op)
			ops += len(b.keys)
		}
		ns := float64(spent.Nanoseconds()) / float64(ops)
		if trial == 0 || ns < best {
			best = ns
		}
	}
	return best
}

func perm(n int) []int64 {
	p := make([]int64, n)
	smState = 42
	for i := range p {
		p[i] = int64(i)
	}
	for i := n - 1; i > 0; i-- {
		j := int(splitmix64() % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func run[K comparable](kind string, n int, mk func(int64) K) {
	p := perm(n)
	b := &bench[K]{keys: make([]K, n), miss: make([]K, n)}
	for i, v := range p {
		b.keys[i] = mk(v)
		b.miss[i] = mk(v + int64(n))
	}
	b.fill()
	only := os.Getenv("MAPBENCH_OPS")
	for op := range opNames {
		if only != "" && !strings.Contains(only, opNames[op]) {
			continue
		}
		fmt.Printf("map %s %d %s %.2f\n", kind, n, opNames[op], b.measure(op))
	}
}

func main() {
	if os.Getenv("MAPBENCH_CLOCK") == "cpu" {
		clock = cpuClock
	}
	sizes := []int{1000, 100000, 1000000}
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: mapbench [N]")
			os.Exit(2)
		}
		sizes = []int{n}
	}
	for _, n := range sizes {
		run("int64", n, func(v int64) int64 { return v })
	}
	for _, n := range sizes {
		run("string", n, func(v int64) string { return "key-" + strconv.FormatInt(v, 10) })
	}
}
