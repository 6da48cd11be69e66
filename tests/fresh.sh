#!/bin/sh
# make fresh-check: README's first commands on a truly fresh Debian 12.
#
# Builds a minimal Debian 12 root with debootstrap (variant minbase, plus git,
# nothing else), clones the committed HEAD of this checkout into its /root
# (mode 0700, as on a real machine), and runs there, as root, with no stdin
# and CI=true, exactly the commands of README's first shell block. Passes
# only if all of them pass. Run it before each release and put the date it
# last passed into README.
#
#   sh tests/fresh.sh                 (as root; installs debootstrap if missing)
#   FRESH_DIR=/var/tmp/x              where the roots go (default /var/tmp/minica-fresh)
#   FRESH_KEEP_BASE=1                 reuse the debootstrap result of an earlier run
#   FRESH_MIRROR=URL                  Debian mirror (default: this machine's first one)
#
# Uncommitted changes are not tested: the point is what a clone gets.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
work=${FRESH_DIR:-/var/tmp/minica-fresh}
base=$work/base
root=$work/root
log=$work/run.log

[ "$(id -u)" -eq 0 ] || { echo "fresh.sh: must run as root (debootstrap, chroot)" >&2; exit 77; }
if [ -z "${FRESH_MIRROR:-}" ]; then
	FRESH_MIRROR=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p; s/^deb \(http[^ ]*debian\) bookworm .*/\1/p' \
		/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1)
	: "${FRESH_MIRROR:=http://deb.debian.org/debian}"
fi
command -v debootstrap >/dev/null || sh "$src/tests/install-deps.sh" debootstrap

# The README's first fenced block that holds shell commands.
commands=$(awk '/^```(sh)?$/ { if (inblock) exit; inblock = 1; next } inblock' "$src/README.md")
case "$commands" in
*"make demo"*"make check"*) ;;
*) echo "fresh.sh: README's first code block does not hold 'make demo' and 'make check'" >&2; exit 65 ;;
esac

mounted=""
cleanup() {
	for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

mkdir -p "$work"
if [ -z "${FRESH_KEEP_BASE:-}" ] || [ ! -x "$base/usr/bin/git" ]; then
	rm -rf "$base"
	echo "== debootstrap --variant=minbase --include=git bookworm ($FRESH_MIRROR)"
	debootstrap --variant=minbase --include=git bookworm "$base" "$FRESH_MIRROR" >"$work/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$work/debootstrap.log" >&2; echo "fresh.sh: debootstrap failed" >&2; exit 69; }
fi
rm -rf "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$src" "$root/root/minica"
commit=$(git -C "$root/root/minica" rev-parse --short HEAD) # the commit tested, even if $src moves on
echo "== cloned $commit into $root/root/minica (/root is mode $(stat -c %a "$root/root"))"

# the root a mount point of its own, as / is on a real machine (unshare -m, which the
# DANE test uses, sets / private and fails on a directory that is not one)
mount --bind "$root" "$root" && mount --make-private "$root" && mounted="$root"
mount -t proc proc "$root/proc" && mounted="$root/proc $mounted"
mount --rbind /sys "$root/sys" && mounted="$root/sys $mounted"
mount --rbind /dev "$root/dev" && mounted="$root/dev $mounted"
mount -t tmpfs tmpfs "$root/dev/shm" && mounted="$root/dev/shm $mounted"

echo "== in the fresh root, as root, CI=true, no stdin:"
printf '%s\n' "$commands" | sed 's/^/   /'
start=$(date +%s)
set +e
chroot "$root" /usr/bin/env -i HOME=/root CI=true LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/sh -ec "cd /root/minica; $commands" </dev/null >"$log" 2>&1
rc=$?
set -e
took=$(( $(date +%s) - start ))
tail -n 25 "$log"
if [ "$rc" -eq 0 ]; then
	echo "fresh.sh: PASSED on $(date -u +%Y-%m-%d) in ${took}s (commit $commit; log $log)"
else
	echo "fresh.sh: FAILED (exit $rc after ${took}s; whole log in $log)" >&2
fi
exit "$rc"
