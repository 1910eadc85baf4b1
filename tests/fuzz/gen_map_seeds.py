#!/usr/bin/env python3
"""gen_map_seeds.py — writes the hand-made seeds of the map fuzzer's corpus.

The input format is documented at the top of tests/fuzz/src/fuzz_map.c; the
opcode numbers below follow its FZ_OP_LIST order (a test would catch a
drift: the replayed seeds stop reaching what their names say, and the
negative test, which needs the evac-* seeds to reach evacuation during
mark, fails).  Each seed is a scenario that random mutation would reach
only slowly: grows under a hand-driven mark, iteration across grows and
clears, replaced maps with live iterators, every barrier, gcevery=1.
Next to these in the corpus: `mut-*` inputs, found by a directed random
search for inputs that catch single barrier removals (scripts/
barrier-mutation.sh) which no seed here caught, named for the barrier; and
libFuzzer's own finds, merged with `scripts/fuzz.sh --merge` (named by their
SHA-1).  This script rewrites only the files it names.

Usage: gen_map_seeds.py [DIR]   (default: tests/fuzz/corpus/map next to this file)
"""
import os
import sys

OPS = ["set", "set2", "set3", "get", "get2", "del", "del2", "clear",
       "fill", "drain", "newmap", "iter", "next", "next2", "nil", "garbage",
       "safepoint", "gc", "mark_begin", "mark_step", "mark_step2", "mark_finish",
       "heapcheck", "verify", "sweep",
       "shelf_put", "shelf_copy", "shelf_clear", "shelf_from_map", "shelf_to_map"]
OP = {name: i for i, name in enumerate(OPS)}
MAPS = {"i64": 0, "str": 1, "ptr": 2, "big": 3}
WB = {"hybrid": 0, "yuasa": 1, "dijkstra": 2}
GOGC = {100: 0, 10: 1, 1: 2}
GCEVERY = {0: 0, 1: 4, 5: 5, 31: 6, 257: 7}


class Seed:
    def __init__(self, wb="hybrid", heapcheck=False, gogc=100, gcevery=0, slice_shift=0,
                 kspace_shift=4, stw=False, hints=False, seed=1):
        h0 = WB[wb] | (4 if heapcheck else 0) | (GOGC[gogc] << 3) | (GCEVERY[gcevery] << 5)
        h1 = slice_shift | (kspace_shift << 3) | (0x40 if stw else 0) | (0x80 if hints else 0)
        self.b = bytearray([h0, h1, seed & 0xff, (seed >> 8) & 0xff])

    def op(self, name, m="i64", slot=0, *args):
        self.b.append(OP[name] | (MAPS[m] << 5) | (slot << 7))
        self.b.extend(args)
        return self

    @staticmethod
    def kid(k):
        return bytes([k & 0xff, (k >> 8) & 0xff])

    def set(self, m, k, flavour=0):
        return self.op("set", m, 0, *self.kid(k), flavour)

    def get(self, m, k):
        return self.op("get", m, 0, *self.kid(k))

    def delete(self, m, k):
        return self.op("del", m, 0, *self.kid(k))

    def fill(self, m, k, n4, flavour=1):
        return self.op("fill", m, 0, *self.kid(k), n4, flavour)

    def drain(self, m, k, n4):
        return self.op("drain", m, 0, *self.kid(k), n4)

    def iter(self, m, slot=0):
        return self.op("iter", m, slot)

    def next(self, slot=0, n=15):
        return self.op("next", "i64", slot, n)

    def mark_step(self, shift):
        return self.op("mark_step", "i64", 0, shift)


def scenarios():
    out = {}
    maps = list(MAPS)
    # Every map under every barrier: fill, read, delete, iterate, collect.
    for wb in WB:
        for m in maps:
            s = Seed(wb=wb, kspace_shift=3, seed=7)
            s.fill(m, 0, 40).op("get", m, 0, 5, 0).delete(m, 3).delete(m, 70)
            s.iter(m).next(0, 15).next(0, 15).op("gc").op("verify", m)
            s.drain(m, 0, 20).op("heapcheck").op("verify", m)
            out[f"basic-{wb}-{m}"] = s
    # A doubling grow that starts and progresses during a hand-driven mark
    # (the evacuation barrier's territory): with MAPGC_FUZZ_BREAK=evac these
    # must end in a checkmark failure.
    for wb in WB:
        for m in ("ptr", "big", "str"):
            s = Seed(wb=wb, kspace_shift=4, slice_shift=0, seed=11)
            s.fill(m, 0, 12)                      # 52 keys: B = 3, full
            s.op("gc")
            s.op("mark_begin").mark_step(0).mark_step(3)
            s.fill(m, 52, 2)                      # grow starts in mark
            for k in range(0, 52, 3):
                s.get(m, k).delete(m, 200 + k)    # deletes of absent keys evacuate
                s.mark_step(2)
            s.op("mark_finish").op("verify", m)
            out[f"evac-{wb}-{m}"] = s
    # Iteration across grows, deletes and a clear, on two iterators.
    for m in maps:
        s = Seed(wb="hybrid", kspace_shift=5, gogc=10, slice_shift=1, seed=3)
        s.fill(m, 0, 10).iter(m, 0).next(0, 5)
        s.op("mark_begin").fill(m, 40, 30).next(0, 7).mark_step(4)
        s.iter(m, 1).delete(m, 2).delete(m, 45).next(1, 15).next(0, 15)
        s.op("set", m, 0, *Seed.kid(2), 1).next(0, 15).next(1, 15).op("mark_finish")
        s.op("clear", m).next(0, 15).fill(m, 100, 5).next(0, 15).next(1, 15)
        out[f"iter-mutate-{m}"] = s
    # A map replaced while iterators walk it: they keep the old map alive.
    for m in maps:
        s = Seed(wb="yuasa", kspace_shift=4, seed=5)
        s.fill(m, 0, 20).iter(m, 0).next(0, 3).op("newmap", m, 0, 10)
        s.op("gc").next(0, 15).fill(m, 0, 5).op("garbage", "i64", 0, 63)
        s.op("gc").next(0, 15).next(0, 15).next(0, 15)
        out[f"newmap-iter-{m}"] = s
    # Same-size grows: churn through many keys at a constant count.
    for m in ("i64", "ptr"):
        s = Seed(wb="dijkstra", kspace_shift=7, gogc=1, seed=9)
        for r in range(8):
            s.fill(m, r * 100, 10).drain(m, r * 100, 10)
        s.iter(m).op("mark_begin")
        for r in range(8, 12):
            s.fill(m, r * 100, 10).next(0, 9).drain(m, r * 100, 9).mark_step(5)
        s.op("mark_finish").next(0, 15).next(0, 15)
        out[f"churn-{m}"] = s
    # A full cycle at every allocation, every map, heap verifier on.
    for m in maps:
        s = Seed(wb="hybrid", gcevery=1, heapcheck=True, kspace_shift=3, seed=13)
        s.fill(m, 0, 10).iter(m).next(0, 10).delete(m, 1).next(0, 15).op("clear", m)
        s.fill(m, 5, 8).op("verify", m)
        out[f"gcevery1-{m}"] = s
    # Stop-the-world cycles, hints, nil maps, sweeping, garbage.
    s = Seed(stw=True, hints=True, gogc=1, kspace_shift=6, seed=17)
    for m in maps:
        s.fill(m, 0, 30).op("nil", m, 0, 1, 0).op("garbage", m, 0, 40)
    s.op("sweep").op("safepoint", "i64", 0, 200).op("gc")
    out["stw-hints-nil"] = s
    # Tiny budgets: one object per mark step, a step between every op.
    for wb in WB:
        s = Seed(wb=wb, kspace_shift=5, slice_shift=0, seed=19)
        s.op("mark_begin")
        for k in range(0, 120):
            m = maps[k % 4]
            s.set(m, k, k).mark_step(0)
            if k % 5 == 0:
                s.delete(m, k // 2).op("heapcheck")
        s.op("mark_finish")
        out[f"onestep-{wb}"] = s
    return out


def barrier_scenarios():
    """Hazards of particular barriers, one scenario each (scripts/
    barrier-mutation.sh removes one barrier at a time; these are what
    catch the removals the random inputs miss)."""
    out = {}
    for wb in WB:
        # A noscan map's overflow list grows (cap 4 -> 8) during mark while
        # its old array is unscanned: the copy's bulk barrier (dijkstra)
        # and the deletion barrier on the old array (yuasa, hybrid) keep
        # the overflow buckets (map.c, ovflist_append).
        s = Seed(wb=wb, kspace_shift=7, slice_shift=7, seed=1)
        for k in range(44):
            s.set("i64", k)
        for r in range(60):
            s.delete("i64", r).set("i64", 44 + r)
        s.op("mark_begin")
        for r in range(60, 120):
            s.delete("i64", r).set("i64", 44 + r).op("heapcheck")
        s.op("mark_finish").op("verify", "i64")
        out[f"ovflist-grow-in-mark-{wb}"] = s
        # Keys and elems read out and held (as in Go locals) while the
        # map replaces or deletes them during mark, before their buckets
        # are scanned: the deletion barriers of the string-key update
        # (assign_k), of delete (delete_k, direct and indirect cells) must
        # shade them (yuasa, hybrid).  Tiny slices keep the buckets white.
        for m in ("str", "big", "ptr"):
            n4 = 0 if m == "big" else 2
            s = Seed(wb=wb, kspace_shift=1, slice_shift=0, seed=1)
            s.fill(m, 0, n4, 1).iter(m, 0).op("mark_begin")
            s.op("next", "i64", 0, 16)       # one entry, held
            s.fill(m, 0, n4, 1)              # every key set again (str: new key strings)
            s.op("mark_finish").op("verify", m)
            out[f"hold-across-replace-{m}-{wb}"] = s
            s = Seed(wb=wb, kspace_shift=1, slice_shift=0, seed=1)
            s.fill(m, 0, n4, 1).iter(m, 0).op("mark_begin")
            s.op("next", "i64", 0, 16)       # one entry, held
            s.op("get", m, 1, 3, 0)          # kid 3's elem, held
            s.drain(m, 0, n4)                # every key deleted
            s.op("mark_finish").op("verify", m)
            out[f"hold-across-delete-{m}-{wb}"] = s
    out.update(window_scenarios())
    return out


def window_scenarios():
    """Barriers whose duty falls between two allocations inside one map
    operation, where a mark phase can start (at a span refill) or an assist
    can scan the object just allocated:
     - mg_map_iter: the iterator (allocated black, and queued for its scan
       hook) can be scanned by an assist before it.oldoverflow is written
       (map_create_overflow allocates in between; our reading of why these
       inputs catch the removals, not confirmed in a debugger); that store
       must shade a white old overflow list under dijkstra and hybrid
       (iter.c), and the map's dropping of the list at growdone or clear
       must shade it under yuasa and hybrid (map.c);
     - mg_map_new with a hint (B >= 4): a cycle starts at the allocation of
       h.extra, after the bucket array; storing nextOverflow (into the
       array) in the black extra must shade the white array (hybrid before
       the root scan, dijkstra: inv.no-black-to-white).
    Only the timing of one allocation matters, so the parameters below
    (GOGC 1, slice size, garbage counts, seed) were found by a directed
    search with the barrier removed (scripts/barrier-mutation.sh, history
    in tests/fuzz/README.md).  The inputs replay identically, but a change
    in what the runtime allocates can move the window: if the mutation run
    reports these sites undetected again, search again."""
    out = {}
    for wb, sl, g1, steps, g2, seed, end in (
            ("dijkstra", 0, 51, 1, 53, 3, "heapcheck"),
            ("dijkstra", 0, 51, 1, 53, 3, "growdone"),
            ("yuasa", 0, 57, 0, 14, 1, "growdone"),
            ("yuasa", 0, 57, 0, 14, 1, "clear"),
            ("hybrid", 1, 24, 1, 5, 2, "growdone"),
            ("hybrid", 1, 24, 1, 5, 2, "clear")):
        s = Seed(wb=wb, gogc=1, slice_shift=sl, kspace_shift=3, seed=seed)
        # 53 keys: B = 3 grows; an iterator made the overflow list that the
        # grow turns into the old one, then slot 0 moves to another map.
        s.fill("i64", 0, 12).iter("i64", 0).iter("str", 0).set("i64", 52)
        s.op("garbage", "i64", 0, g1 - 1).op("mark_begin")
        for _ in range(steps):
            s.mark_step(0)
        s.op("garbage", "i64", 0, g2 - 1).iter("i64", 1)
        if end == "heapcheck":
            s.op("heapcheck")
        elif end == "clear":
            s.op("clear", "i64")
        else:
            s.fill("i64", 53, 3)                  # 16 sets evacuate the 8 old buckets
        s.op("mark_finish").op("verify", "i64")
        out[f"window-iter-oldoverflow-{end}-{wb}"] = s
    s = Seed(wb="hybrid", gogc=1, slice_shift=2, kspace_shift=3, seed=1)
    for g in (24, 51, 48, 1):
        s.op("garbage", "i64", 0, g - 1).op("newmap", "ptr", 0, 57).op("heapcheck")
    out["window-newmap-extra-hybrid"] = s
    return out


def shelf_scenarios():
    out = {}
    # Objects moved between the shelves (typed copy/clear) and the ptr map
    # while a mark phase is driven one object at a time.
    for wb in WB:
        s = Seed(wb=wb, kspace_shift=3, slice_shift=0, seed=23)
        for i in range(16):
            s.op("shelf_put", "i64", 0, i, *Seed.kid(i))
        s.fill("ptr", 0, 8)
        s.op("mark_begin")
        for step in range(24):
            s.mark_step(0)
            a, b = step % 16, (step * 7) % 32
            s.op("shelf_copy", ["i64", "str", "ptr", "big"][step % 4], 0, a, b, 3)
            s.op("shelf_clear", ["i64", "str"][step % 2], 0, a, 2)
            s.op("shelf_from_map", ["i64", "str"][step % 2], 0, b, *Seed.kid(step), 1)
            s.op("shelf_to_map", ["i64", "str"][(step + 1) % 2], 0, (b + 5) % 32, step % 3)
            s.op("heapcheck")
        s.op("mark_finish").op("verify", "ptr")
        out[f"shelf-moves-{wb}"] = s
    return out


def regressions():
    """Reproducers of bugs the fuzzer found (tests/fuzz/known-bugs/README.md),
    kept in the corpus once fixed, under their bug's name."""
    out = {}
    # An iterator on the last preallocated overflow bucket when the map is
    # cleared follows the end marker into bucket 0: duplicates.
    s = Seed(wb="hybrid", gcevery=1, heapcheck=True, kspace_shift=3, seed=13)
    s.fill("ptr", 0, 16).iter("ptr").next(0, 10).delete("ptr", 1).next(0, 15).op("clear", "ptr")
    s.fill("ptr", 5, 8).op("verify", "ptr")
    out["iter-clear-endmarker"] = s
    # An iterator alive across a clear holds the old overflow lists; the
    # reused array's new (separately allocated: B = 3) overflow buckets are
    # kept only by the map's new list, which the map drops when it grows on;
    # the collector frees them and the iterator walks into freed memory.
    s = Seed(wb="hybrid", kspace_shift=4, seed=1)
    s.fill("i64", 0, 10).iter("i64").next(0, 1).op("clear", "i64")
    s.fill("i64", 100, 10).fill("i64", 150, 25).op("gc").op("gc")
    for _ in range(12):
        s.next(0, 15)
    out["iter-clear-stale-overflow"] = s
    return out


def write(d, prefix, seeds):
    os.makedirs(d, exist_ok=True)
    for name, s in sorted(seeds.items()):
        with open(os.path.join(d, prefix + name), "wb") as f:
            f.write(bytes(s.b))
    print(f"wrote {len(seeds)} inputs to {d}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "map")
    seeds = scenarios()
    seeds.update(shelf_scenarios())
    seeds.update(barrier_scenarios())
    write(d, "seed-", seeds)
    write(d, "", regressions())


if __name__ == "__main__":
    main()
