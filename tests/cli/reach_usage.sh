#!/usr/bin/env bash
# reach_usage.sh — `mapgc reach` usage errors exit 2 with a usage on stderr
# and nothing on stdout; --help succeeds on stdout (DESIGN.md §7).
# shellcheck source-path=SCRIPTDIR source=reach.sh
source "$(dirname "${BASH_SOURCE[0]}")/reach.sh" || exit 1

small=$rc_data/small.json

# rc_usage_error WHY ARGS…: mapgc ARGS must be a usage error.
rc_usage_error() {
	local why=$1
	shift
	rc_run -- "$@"
	[[ $rc_rc -eq 2 ]] || rc_fail "$why: exit status $rc_rc, want 2: $rc_cmd$(rc_tail)"
	grep -q 'usage: mapgc reach' "$rc_err" || rc_fail "$why: no usage on stderr: $rc_cmd$(rc_tail)"
	[[ ! -s "$rc_out" ]] || rc_fail "$why: usage error wrote to stdout: $rc_cmd$(rc_tail)"
}

rc_usage_error "no snapshot" reach
rc_usage_error "options but no snapshot" reach --json
rc_usage_error "two snapshots" reach "$small" "$small"
rc_usage_error "a file and --run" reach "$small" --run grow-iterate
rc_usage_error "unknown option" reach "$small" --frobnicate
rc_usage_error "unknown option sharing a prefix" reach "$small" --jsonx
rc_usage_error "flag with a value" reach "$small" --json=yes
rc_usage_error "missing value at the end" reach "$small" --object
rc_usage_error "unknown workload" reach --run no-such-workload
for bad in abc -1 +1 ' 5' 5x 1e3 '' 0x10 99999999999999999999999; do
	rc_usage_error "bad --object '$bad'" reach "$small" --object "$bad"
	rc_usage_error "bad --cycle '$bad'" reach --run grow-iterate --cycle "$bad"
done
rc_usage_error "--object 0" reach "$small" --object 0
rc_usage_error "--cycle 0" reach --run grow-iterate --cycle 0
rc_usage_error "bad --map" reach "$small" --map x
rc_usage_error "bad --dot" reach "$small" --dot x
rc_usage_error "--live 0" reach --run grow-iterate --live 0
rc_usage_error "bad --gogc" reach --run grow-iterate --gogc fast
rc_usage_error "--cycle without --run" reach "$small" --cycle 3
rc_usage_error "--seed without --run" reach "$small" --seed 3
rc_usage_error "--save-snapshot without --run" reach "$small" --save-snapshot x.json
rc_usage_error "--svg without --dot" reach "$small" --svg x.svg
rc_usage_error "--dot with --json" reach "$small" --dot 3 --json
rc_usage_error "--dot with --arrays" reach "$small" --dot 3 --arrays
rc_usage_error "--dot with --svg-dir" reach "$small" --dot 3 --svg-dir d
rc_usage_error "--svg and -o" reach "$small" --dot 3 --svg a.svg -o b.svg
rc_usage_error "-o with --svg-dir alone" reach "$small" --svg-dir d -o x
rc_usage_error "empty -o" reach "$small" -o ''

rc_ok -- reach --help
rc_has "usage: mapgc reach SNAPSHOT.json"
rc_has "--svg-dir DIR"
[[ -s "$rc_err" ]] && rc_fail "--help wrote to stderr$(rc_tail)"
rc_ok -- --help
rc_has "  reach "
rc_note "ok"
