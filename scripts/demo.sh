#!/bin/sh
# make demo: a CA in ./demo-store (passphrase in ./demo-pass.txt) and a
# certificate for mail-hub1 with its PFX in ./demo-out. Re-running starts over.
# The binary finds the checkout's templates/ itself (beside its build
# directory), so the commands printed at the end work as they are.
set -eu
MINICA=$1
cd "$(dirname "$0")/.."
# as typed in the checkout: ./build/minica rather than its absolute path
case $MINICA in
"$PWD"/*) shown=./${MINICA#"$PWD"/} ;;
*) shown=$MINICA ;;
esac
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
echo "Try:"
echo "  $shown --store demo-store show --host mail-hub1"
echo "  $shown --store demo-store issue --host mail-edge1 --pass-file demo-pass.txt --out demo-out"
