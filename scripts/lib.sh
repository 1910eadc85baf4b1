# lib.sh — sourced by the scripts in this directory right after their
# header comment: strict mode, the C locale, $src (the source tree), and
# usage(), which prints the script's header comment (its second line up to
# the first line that is not a comment) and exits with status 2.
set -u -o pipefail
export LC_ALL=C
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
	awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
}
