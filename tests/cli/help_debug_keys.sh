#!/usr/bin/env bash
# help_debug_keys.sh — the MAPGC_DEBUG keys that `mapgc --help` lists (from
# the parser's own table, runtime/config.c) are exactly the rows of the
# README's table of debug settings, in the same order: a key added to the
# parser and not documented, or documented and gone, fails here.
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh" || exit 1
cli_find_bin
readme=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/README.md
[[ -r $readme ]] || cli_fail "no README at $readme"

cli_run -- --help
cli_expect_rc 0
# The wrapped, comma-separated list after the "MAPGC_DEBUG keys" line.
help=$(awk '/^MAPGC_DEBUG keys/ { on = 1; next } on && /^$/ { exit } on' "$cli_out" |
	tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$')
[[ -n $help ]] || cli_fail "mapgc --help lists no MAPGC_DEBUG keys$(cli_tail)"
# The first column of the table under "## Debug settings", unescaped.
doc=$(awk '/^## / { on = ($0 == "## Debug settings"); next } on' "$readme" |
	sed -n 's/^| `\([^`]*\)` |.*/\1/p' | sed 's/\\|/|/g')
[[ -n $doc ]] || cli_fail "README.md: no table of debug settings found"
[[ $help == "$doc" ]] || cli_fail "mapgc --help and README.md list different MAPGC_DEBUG keys:
$(diff <(echo "$doc") <(echo "$help") | sed 's/^</README:/; s/^>/--help:/')"
grep -qx 'gcsmallbuf=1' <<<"$help" || cli_fail "gcsmallbuf=1 is not listed"
cli_note "ok: $(wc -l <<<"$help") keys"
