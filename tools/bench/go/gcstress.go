// gcstress.go — the Go 1.19 twin of `mapgc stress ptr-values` (the gcstress
// benchmark).  It follows the specification at the top of
// tools/mapgc/stress_ptr_values.c exactly — the splitmix64 stream, the
// operation mix, the periodic iteration sums and the final digest — so for
// the same -seed, -live and -ops it prints the same result line, checksum
// included; tools/bench/bench.sh gcstress refuses to compare runs whose
// checksums differ.  The checks mapgc's workload makes are made here too
// (every iteration yields each key once, with payload[0] == k), so the two
// do the same work; mapgc's final mg_map_check has no Go counterpart.
//
// Output, on stdout:
//
//	result ptr-values seed=N ops=N checksum=HEX16
//	gostats wall_ns=N numgc=N pause_total_ns=N gc_cpu_fraction=F heap_alloc=N sys=N
//
// Run it with GOMAXPROCS=1 (one mutator thread and one mark worker, as
// mapgc) and GODEBUG=gctrace=1 for the per-cycle figures.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

// splitmix64 (stress.h): state += golden; the finaliser mixes.
type rng struct{ state uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// stress_pair and stress_digest (stress.h).
func pair(k, v uint64) uint64 {
	return mix64(mix64(k^0x243f6a8885a308d3) + v)
}

type digest struct{ h, n uint64 }

func newDigest() digest { return digest{h: 0x6a09e667f3bcc908} }

func (d *digest) add(w uint64) {
	d.h = mix64(d.h ^ mix64(w+0x9e3779b97f4a7c15))
	d.n++
}

func (d *digest) final() uint64 { return mix64(d.h ^ d.n) }

type node struct {
	payload [4]int64
	next    *node // always nil
}

// Ops between full iterations (the benchmark's constant).
const iterEvery = 500000

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fatal error: ptr-values: "+format+"\n", args...)
	os.Exit(2)
}

// iterate: every key 0..n-1 exactly once with payload[0] == k; returns
// Σ k ^ payload[1] and the order-independent digest terms.
func iterate(m map[int64]*node, n int64, seen []uint8) (sum, ps, px uint64) {
	for i := range seen {
		seen[i] = 0
	}
	var count int64
	for k, v := range m {
		if k < 0 || k >= n || seen[k] != 0 {
			fail("iteration produced key %d out of range or twice", k)
		}
		seen[k]++
		if v == nil || v.payload[0] != k {
			fail("iteration gave a bad node for key %d", k)
		}
		sum += uint64(k ^ v.payload[1])
		p := pair(uint64(k), uint64(v.payload[1]))
		ps += p
		px ^= mix64(p)
		count++
	}
	if count != n || int64(len(m)) != n {
		fail("iteration produced %d entries, len %d, want %d", count, len(m), n)
	}
	return
}

func run(seed, ops uint64, n int64) uint64 {
	r := rng{seed}
	d := newDigest()
	seen := make([]uint8, n)
	m := map[int64]*node{}
	for i := int64(0); i < n; i++ {
		m[i] = &node{payload: [4]int64{i, 0, 0, 0}}
	}
	for op := uint64(0); op < ops; op++ {
		x := r.next()
		k := int64((x & 0xFFFFFFFF) % uint64(n))
		switch x >> 62 {
		case 0, 1:
			m[k] = &node{payload: [4]int64{k, int64(op), 0, 0}}
		case 2:
			v, ok := m[k]
			if !ok {
				fail("key %d missing", k)
			}
			delete(m, k)
			m[k] = v
		case 3:
			if v, ok := m[k]; !ok || v == nil || v.payload[0] != k {
				fail("m[%d].payload[0] is wrong", k)
			}
		}
		if (op+1)%iterEvery == 0 {
			sum, _, _ := iterate(m, n, seen)
			d.add(sum)
		}
	}
	_, ps, px := iterate(m, n, seen)
	d.add(uint64(len(m)))
	d.add(ps)
	d.add(px)
	return d.final()
}

func main() {
	seed := flag.Uint64("seed", 1, "workload seed")
	ops := flag.Uint64("ops", 5000000, "operations after setup")
	live := flag.Int64("live", 1000000, "keys (live nodes)")
	flag.Parse()
	if *live < 1 {
		fmt.Fprintln(os.Stderr, "gcstress: -live must be at least 1")
		os.Exit(2)
	}
	t0 := time.Now()
	sum := run(*seed, *ops, *live)
	wall := time.Since(t0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("result ptr-values seed=%d ops=%d checksum=%016x\n", *seed, *ops, sum)
	fmt.Printf("gostats wall_ns=%d numgc=%d pause_total_ns=%d gc_cpu_fraction=%.6f heap_alloc=%d sys=%d\n",
		wall.Nanoseconds(), ms.NumGC, ms.PauseTotalNs, ms.GCCPUFraction, ms.HeapAlloc, ms.Sys)
}
