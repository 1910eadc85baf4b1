#!/usr/bin/env bash
# tools/bench/bench.sh — benchmarks that compare mapgc with a peer run in the
# same invocation.  Never a timed test: run it by hand on a quiet machine.
#
#   tools/bench/bench.sh map [N]    the map benchmark: mapgc vs its Go 1.19 twin
#                                   (tools/bench/go/mapbench.go), ns/op and the
#                                   ratio mapgc/Go per row; CSV in build/bench/
#
# The release preset is built first; Go 1.19 comes from Debian's
# golang-1.19-go (installed by scripts/setup.sh --bench).  Both sides run
# single-threaded for the mutator: GOMAXPROCS=1 for Go.  Each row is the best
# of 3 trials of >= 100 ms (see mapbench.c); the script runs the pair
# MAPGC_BENCH_RUNS times (default 3) and reports the median of those.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

usage() { echo "usage: tools/bench/bench.sh map [N]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
what=$1; shift
[[ $what == map ]] || usage
n=${1:-}
[[ -z $n || $n =~ ^[0-9]+$ ]] || usage

scripts/setup.sh --bench >&2
cmake --preset release >/dev/null
cmake --build --preset release --target mapgc-mapbench >/dev/null

GO=/usr/lib/go-1.19/bin/go
out=build/bench
mkdir -p "$out/go"
cp tools/bench/go/mapbench.go "$out/go/"
[[ -f $out/go/go.mod ]] || printf 'module mapbench\n\ngo 1.19\n' > "$out/go/go.mod"
(cd "$out/go" && GOCACHE="$PWD/../gocache" GOFLAGS=-mod=mod "$GO" build -o ../go-mapbench .)

runs=${MAPGC_BENCH_RUNS:-3}
for ((i = 1; i <= runs; i++)); do
  echo "run $i/$runs" >&2
  build/release/mapgc-mapbench $n > "$out/mapgc.$i.txt"
  GOMAXPROCS=1 "$out/go-mapbench" $n > "$out/go.$i.txt"
done

# Median over the runs of each row, then the ratio.
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
csv=$out/map.csv
echo "key,n,op,mapgc_ns,go_ns,ratio" > "$csv"
printf '%-7s %8s %-8s %10s %10s %7s\n' key N op mapgc_ns go_ns ratio
while read -r _ key size op _; do
  c=$(for ((i = 1; i <= runs; i++)); do awk -v k="$key" -v s="$size" -v o="$op" '$2==k && $3==s && $4==o {print $5}' "$out/mapgc.$i.txt"; done | median)
  g=$(for ((i = 1; i <= runs; i++)); do awk -v k="$key" -v s="$size" -v o="$op" '$2==k && $3==s && $4==o {print $5}' "$out/go.$i.txt"; done | median)
  r=$(awk -v c="$c" -v g="$g" 'BEGIN {printf "%.2f", c / g}')
  printf '%-7s %8s %-8s %10.2f %10.2f %7s\n' "$key" "$size" "$op" "$c" "$g" "$r"
  echo "$key,$size,$op,$c,$g,$r" >> "$csv"
done < "$out/mapgc.1.txt"
echo "csv: $csv" >&2
