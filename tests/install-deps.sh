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
# postfix (the MTA of tests/cmd/mta.sh and tests/cmd/dane_postfix.sh, run as
# private instances) conflicts with any other MTA, and apt-get -y would remove
# that MTA: keep it. tests/cmd/mta.sh runs an Exim as well; dane_postfix.sh
# needs Postfix and says so.
case " $missing " in
*" postfix "*)
	mta=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
		awk '/^ii .*mail-transport-agent/ { print $2; exit }')
	if [ -n "$mta" ]; then
		echo "minica: not installing postfix: it would replace this machine's MTA ($mta); tests/cmd/mta.sh runs Exim or Postfix, tests/cmd/dane_postfix.sh needs Postfix and will fail"
		missing=$(echo "$missing" | sed 's/ postfix\( \|$\)/ /')
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
# Postfix unconfigured: no main.cf, so no system mail service starts or binds
# port 25; the tests run private instances from their own directories.
case " $missing " in
*" postfix "*) echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections ;;
esac
# a fresh machine has no package lists; a stale one may point at removed versions
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
