#!/bin/sh
# make demo: a CA in ./demo-store (passphrase in ./demo-pass.txt) and a
# certificate for mail-hub1 with its PFX in ./demo-out. Re-running starts over.
set -eu
MINICA=$1
cd "$(dirname "$0")/.."
export MINICA_TEMPLATES="$PWD/templates"
rm -rf demo-store demo-out demo-pass.txt
mkdir demo-out
(umask 077 && head -c 18 /dev/urandom | base64 > demo-pass.txt)
echo "== minica init (passphrase in demo-pass.txt)"
"$MINICA" --store demo-store --pass-file demo-pass.txt init --name "Demo Mail CA" \
	--org "Demo Corp" --domain corp.example
echo
echo "== minica issue --host mail-hub1"
"$MINICA" --store demo-store --pass-file demo-pass.txt issue --host mail-hub1 --out demo-out
"$MINICA" --store demo-store -q ca export --der --out demo-out/minica-ca.cer
echo
echo "== minica list"
"$MINICA" --store demo-store list
echo
echo "Demo done: CA store in ./demo-store, files in ./demo-out (minica-ca.cer is the CA for Windows)."
echo "Try: $MINICA --store demo-store show --host mail-hub1"
