#!/usr/bin/env bash
# reach_bad_input.sh — bad snapshots are rejected with exit 1 and one clear
# message naming the file, line and column (DESIGN.md §7): not JSON,
# truncated, wrong schema or version, wrong types, numbers out of range,
# dangling ids, malformed chains; and ids the snapshot does not have.
# shellcheck source-path=SCRIPTDIR source=reach.sh
source "$(dirname "${BASH_SOURCE[0]}")/reach.sh" || exit 1

# rc_bad FILE MESSAGE [ARGS…]: mapgc reach FILE ARGS fails with exit 1 and
# exactly "mapgc reach: MESSAGE" on stderr, nothing on stdout.
rc_bad() {
	local file=$1 want=$2
	shift 2
	cp "$rc_data/$file" "$rc_tmp/$file" 2>/dev/null || true
	rc_run -- reach "$file" "$@"
	[[ $rc_rc -eq 1 ]] || rc_fail "$file: exit status $rc_rc, want 1: $rc_cmd$(rc_tail)"
	[[ ! -s "$rc_out" ]] || rc_fail "$file: wrote to stdout: $rc_cmd$(rc_tail)"
	local got
	got=$(cat "$rc_err")
	[[ "$got" == "mapgc reach: $want" ]] || rc_fail "$file: stderr
  got:  $got
  want: mapgc reach: $want"
}

rc_bad not_json.txt "not_json.txt:1:1: invalid JSON: expected a value, found 't'"
rc_bad truncated.json "truncated.json:10:55: invalid JSON: unterminated string"
rc_bad wrong_schema.json \
	"wrong_schema.json:1:11: not a mapgc heap snapshot: schema \"mapgc.reach\" (want \"mapgc.heapsnapshot\")"
rc_bad version2.json "version2.json:1:42: unsupported snapshot version 2 (this mapgc reads version 1)"
rc_bad wrong_type.json "wrong_type.json:11:84: objects[3].size: expected a non-negative integer, found a string"
rc_bad huge_number.json \
	"huge_number.json:1:85: live_bytes: expected a non-negative integer, found the number 184467440737095516160 (out of range)"
rc_bad dangling_edge.json "dangling_edge.json:16:1: objects[8] (id 9).edges[1].to: no object has id 11 (dangling edge)"
rc_bad dangling_root.json "dangling_root.json:5:1: roots[2].to: no object has id 42 (dangling root)"
rc_bad bad_chain.json \
	"bad_chain.json:8:373: objects[0].map.oldbuckets[0]: malformed chain \"FFFFFFFF|FF-----\" (want buckets of 8 cells from F e - X Y E joined by '|')"
rc_bad no_such_file.json "cannot open no_such_file.json: No such file or directory"
mkdir -p "$rc_tmp/adir"
rc_bad adir "cannot read adir: Is a directory"
: >"$rc_tmp/empty.json"
rc_bad empty.json "empty.json:1:1: invalid JSON: empty document"
# Bytes from a fixed-seed generator (repeatable): whatever they start with,
# one located message and exit 1.
for seed in 1 2 3 4 5 6 7 8; do
	awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 255) + 1 }' \
		>"$rc_tmp/random.bin"
	rc_run -- reach random.bin
	[[ $rc_rc -eq 1 ]] || rc_fail "random bytes (seed $seed): exit status $rc_rc, want 1$(rc_tail)"
	[[ $(wc -l <"$rc_err") -eq 1 ]] && grep -q '^mapgc reach: random.bin:[0-9]*:[0-9]*: ' "$rc_err" ||
		rc_fail "random bytes (seed $seed): $(cat "$rc_err")"
done
# Deep nesting: an error, not a stack overflow.
{
	printf '{"schema":"mapgc.heapsnapshot","version":1,"x":'
	head -c 100000 /dev/zero | tr '\0' '['
} >"$rc_tmp/deep.json"
rc_bad deep.json "deep.json:1:559: invalid JSON: nesting deeper than 512"

# Ids the snapshot does not have: exit 1 too (the input does not match).
cp "$rc_data/small.json" "$rc_tmp/small.json"
rc_bad small.json "no object has id 99 in this snapshot" --object 99
rc_bad small.json "no map has id 4 in this snapshot" --map 4
rc_bad small.json "no map has id 4 in this snapshot" --dot 4
rc_note "ok"
