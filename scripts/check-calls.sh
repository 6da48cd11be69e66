#!/bin/sh
# No two files call each other in a loop (README, "Source layout"): read
# from the objects of a build with nm, so that it is what the compiler saw,
# macros and inline functions included. A file uses another when one of
# its undefined symbols (a function called or taken by address, a global
# read) is defined there; every strongly connected set of two or more files
# in that graph is a loop. tests/, fuzz/ and bench/ are left out: they may
# call anything.
#
#   sh scripts/check-calls.sh [TREE [BUILD]]   (default: this checkout, TREE/build)
#
# Exit 0 when no files form a loop; 1 after each loop (its files, for each
# call between them one symbol that makes it, and what to do); 2 when TREE
# has no C files or BUILD lacks the object of one (run 'make build' first).
set -u
tree=${1:-$(dirname "$0")/..}
cd "$tree" || exit 2
build=${2:-build}

sources=$(find . \( -path ./tests -o -path ./fuzz -o -path ./bench -o -path './build*' \
	-o -path './.?*' \) -prune -o -name '*.c' -type f -print | sed 's|^\./||' | LC_ALL=C sort)
if [ -z "$sources" ]; then
	echo "check-calls: no C files in $tree" >&2
	exit 2
fi
objects=""
for c in $sources; do
	o="$build/${c%.c}.o"
	if [ ! -f "$o" ] || [ -n "$(find "$c" -newer "$o")" ]; then
		echo "check-calls: $o is missing or older than $c: run 'make build' first" >&2
		exit 2
	fi
	objects="$objects $o"
done

# nm -A -P: "OBJECT: NAME TYPE [VALUE SIZE]", one line per external symbol.
# U (and w, an undefined weak one) is used here; any other capital letter
# is defined here.
# shellcheck disable=SC2086 # one word per object: no path has a space
nm -A -P -g $objects | LC_ALL=C awk -v build="$build/" -v sources="$(printf '%s ' $sources)" '
function source(obj) {
	sub(/:$/, "", obj)
	if (index(obj, build) == 1)
		obj = substr(obj, length(build) + 1)
	sub(/\.o$/, ".c", obj)
	return obj
}
{
	file = source($1)
	if ($3 == "U" || $3 == "w")
		uses[++nuses] = file SUBSEP $2
	else if ($3 ~ /^[A-Z]$/)
		defined_in[$2] = file
}
# Tarjan: one pass, each file once; depth at most the number of files.
function visit(v,    i, n, w, list, members) {
	index_of[v] = low[v] = ++counter
	stack[++top] = v
	on_stack[v] = 1
	n = split(succ[v], list, " ")
	for (i = 1; i <= n; i++) {
		w = list[i]
		if (!(w in index_of)) {
			visit(w)
			if (low[w] < low[v])
				low[v] = low[w]
		} else if (on_stack[w] && index_of[w] < low[v])
			low[v] = index_of[w]
	}
	if (low[v] != index_of[v])
		return
	members = 0
	do {
		w = stack[top--]
		on_stack[w] = 0
		component[w] = v
		members++
	} while (w != v)
	if (members > 1)
		roots[v] = members
}
function sorted(text,    list, n, i, j, t) {
	n = split(text, list, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
			t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
		}
	text = ""
	for (i = 1; i <= n; i++)
		text = text (i > 1 ? " " : "") list[i]
	return text
}
END {
	for (i = 1; i <= nuses; i++) {
		split(uses[i], u, SUBSEP)
		if (!(u[2] in defined_in) || defined_in[u[2]] == u[1])
			continue
		edge = u[1] SUBSEP defined_in[u[2]]
		if (!(edge in symbol)) {
			succ[u[1]] = succ[u[1]] " " defined_in[u[2]]
			symbol[edge] = u[2]
			more[edge] = 0
		} else {
			if (u[2] < symbol[edge])
				symbol[edge] = u[2]
			more[edge]++
		}
	}
	nfiles = split(sources, all, " ")
	for (i = 1; i <= nfiles; i++)
		succ[all[i]] = sorted(succ[all[i]])
	for (i = 1; i <= nfiles; i++)
		if (!(all[i] in index_of))
			visit(all[i])
	loops = 0
	for (i = 1; i <= nfiles; i++) {
		r = all[i]
		if (!(r in roots) || (r in told))
			continue
		told[r] = 1
		loops++
		members = ""
		for (j = 1; j <= nfiles; j++)
			if (component[all[j]] == component[r])
				members = members " " all[j]
		printf "check-calls: %d files call each other in a loop:%s\n", roots[r], members
		for (j = 1; j <= nfiles; j++) {
			a = all[j]
			if (component[a] != component[r])
				continue
			n = split(succ[a], list, " ")
			for (k = 1; k <= n; k++) {
				b = list[k]
				if (component[b] != component[r])
					continue
				edge = a SUBSEP b
				printf "  %s uses %s: %s", a, b, symbol[edge]
				if (more[edge])
					printf " (and %d more)", more[edge]
				printf "\n"
			}
		}
		printf "  to break it, find the file that is both the top and the bottom of the loop: " \
		       "move what the others use of it into a file below them all, or what uses " \
		       "them into a file above (a function pointer that only hides the call does not " \
		       "break the loop)\n"
	}
	if (loops) {
		printf "check-calls: %d loop%s among %d files\n", loops, loops == 1 ? "" : "s", nfiles
		exit 1
	}
	printf "check-calls: %d files, no two call each other in a loop\n", nfiles
}'
