#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet.
# Runs apt-get only when something is missing, and update only then.
set -eu
missing=""
for pkg in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
# exim4-daemon-light (the MTA test's server where there is no MTA) conflicts
# with any other MTA, and apt-get -y would remove that MTA: keep it.
# tests/cmd/mta.sh runs a machine's Postfix as a private instance instead.
case " $missing " in
*" exim4-daemon-light "*)
	mta=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
		awk '/^ii .*mail-transport-agent/ { print $2; exit }')
	if [ -n "$mta" ]; then
		case $mta in
		postfix) echo "minica: not installing exim4-daemon-light: this machine's MTA is postfix, which tests/cmd/mta.sh runs as a private instance" ;;
		*) echo "minica: not installing exim4-daemon-light: it would replace this machine's MTA ($mta); tests/cmd/mta.sh runs only Exim or Postfix and will fail" ;;
		esac
		missing=$(echo "$missing" | sed 's/ exim4-daemon-light\( \|$\)/ /')
	fi ;;
esac
[ -z "$(echo "$missing" | tr -d ' ')" ] && exit 0
echo "minica: installing missing packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "minica: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
else
	SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
# a fresh machine has no package lists; a stale one may point at removed versions
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
