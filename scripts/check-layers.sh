#!/bin/sh
# Layers only point down (README, "Source layout"): a C file may include its
# own folder and the folders below it, never one above it, nor one beside
# it. tests/, fuzz/ and bench/ may include anything.
#
#   sh scripts/check-layers.sh [TREE]   (default: the checkout holding this script)
#
# Exit 0 when every include points down; 1 after one line per include that
# does not (file:line, the include, and why); 2 when TREE has no C files.
set -u
tree=${1:-$(dirname "$0")/..}
cd "$tree" || exit 2

# Bottom up; areas joined by '=' are side by side (neither includes the
# other); '.' is the top-level minica.c. A new area gets its place here.
LAYERS='common store ca issue expiry exchange=report=acme=dane cmd .'

files=$(find . \( -path ./tests -o -path ./fuzz -o -path ./bench -o -path './build*' \
	-o -path './.?*' \) -prune -o \( -name '*.c' -o -name '*.h' \) -type f -print |
	sed 's|^\./||' | LC_ALL=C sort)
if [ -z "$files" ]; then
	echo "check-layers: no C files in $tree" >&2
	exit 2
fi

# shellcheck disable=SC2086 # one word per file name: none has a space
awk -v layers="$LAYERS" '
BEGIN {
	n = split(layers, level, " ")
	for (i = 1; i <= n; i++) {
		m = split(level[i], peer, "=")
		for (j = 1; j <= m; j++)
			rank[peer[j]] = i
	}
}
function label(a) {
	return a == "." ? "the top level" : a "/"
}
function area(path) {
	return index(path, "/") ? substr(path, 1, index(path, "/") - 1) : "."
}
FNR == 1 {
	files++
	from = area(FILENAME)
	skip = 0
	if (!(from in rank)) {
		printf "%s: %s/ is in no layer: give it a place in scripts/check-layers.sh " \
		       "and in README\n", FILENAME, from
		bad++
		skip = 1
	}
}
skip { next }
/^[ \t]*#[ \t]*include[ \t]*"/ {
	includes++
	match($0, /"[^"]*"/)
	inc = substr($0, RSTART + 1, RLENGTH - 2)
	if (!index(inc, "/")) {
		# a bare name is looked up beside the file first, then at the top
		if (from != "." && (getline line < (from "/" inc)) >= 0) {
			close(from "/" inc)
			next
		}
		to = "."
	} else
		to = area(inc)
	if (to == from)
		next
	where = FILENAME ":" FNR ": includes \"" inc "\""
	if (!(to in rank)) {
		printf "%s: %s is in no layer\n", where, label(to)
		bad++
	} else if (rank[to] > rank[from]) {
		printf "%s, which points up a layer (%s is above %s): move what it needs " \
		       "down instead\n", where, label(to), label(from)
		bad++
	} else if (rank[to] == rank[from]) {
		printf "%s: %s/ and %s/ are side by side; move what both need down a layer\n",
		       where, from, to
		bad++
	}
}
END {
	if (bad) {
		printf "check-layers: %d include%s not pointing down (layers, bottom up: %s)\n",
		       bad, bad == 1 ? "" : "s", layers
		exit 1
	}
	printf "check-layers: %d files, %d includes, every one points down\n", files, includes
}' $files
