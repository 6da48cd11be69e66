# runbook: for hub and edge, Exchange 2007/2010/2013 (and 2016/2019): the exact
# import lines, the EdgeSync steps only for an Edge, and the real thumbprint of the
# host's certificate in the store.
. "$(dirname "$0")/../lib.sh"

make_ca --domain corp.example --no-passphrase
for h in mail-hub1 mail-edge1; do
	run issue --host $h --key ec:P-256 --out "$T"
	assert_rc 0 "issue $h"
done
thumb() { openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :; }
hub_thumb=$(thumb "$T/mail-hub1.crt")
edge_thumb=$(thumb "$T/mail-edge1.crt")
hub_serial=$(openssl x509 -in "$T/mail-hub1.crt" -noout -serial | cut -d= -f2)

imp_2007='Import-ExchangeCertificate -Path C:\NAME.pfx -Password (Get-Credential).Password'
imp_2010='Import-ExchangeCertificate -FileData ([Byte[]]$(Get-Content -Path C:\NAME.pfx -Encoding Byte -ReadCount 0)) -Password (Get-Credential).Password'
imp_2013="Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('C:\\NAME.pfx')) -Password (Get-Credential).Password"
sub_2007='New-EdgeSubscription -FileName C:\edgesub.xml -Site "<AD site>"'
sub_2010='New-EdgeSubscription -FileData ([Byte[]]$(Get-Content -Path C:\edgesub.xml -Encoding Byte -ReadCount 0)) -Site "<AD site>"'
sub_2013="New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('C:\\edgesub.xml')) -Site \"<AD site>\""
edge_only="New-EdgeSubscription -FileName C:\\edgesub.xml
Remove-EdgeSubscription -Identity mail-edge1
Restart-Service ADAM_MSExchange -Force
Start-EdgeSynchronization
Test-EdgeSynchronization"

# commands of the last --json run, one per line (jq once per run)
commands() {
	[ "$out" = "${cached_out-}" ] || { cached=$(printf '%s\n' "$out" | jq -r '.steps[].commands[]'); cached_out=$out; }
	printf '%s\n' "$cached"
}
# the commands that contain a string
line_of() { commands | grep -F -- "$1" || true; }

for role in hub edge; do
	host=mail-$role
	[ $role = hub ] && host=mail-hub1 t=$hub_thumb
	[ $role = edge ] && host=mail-edge1 t=$edge_thumb
	for v in 2007 2010 2013 2016 2019; do
		case $v in 2007) imp=$imp_2007 sub=$sub_2007 ;; 2010) imp=$imp_2010 sub=$sub_2010 ;;
		*) imp=$imp_2013 sub=$sub_2013 ;; esac
		run --json runbook --host $host --role $role --exchange $v
		assert_rc 0 "runbook $role $v"
		what="$role $v"
		assert_eq "$(printf '%s\n' "$out" | jq -r '"\(.host) \(.role) \(.exchange) \(.thumbprint) \(.pfx)"')" \
			"$host $role $v $t $host.pfx" "$what: header"
		assert_eq "$(line_of Import-ExchangeCertificate)" "$(printf '%s' "$imp" | sed "s/NAME/$host/")" \
			"$what: import line"
		assert_eq "$(line_of Enable-ExchangeCertificate)" \
			"Enable-ExchangeCertificate -Thumbprint $t -Services SMTP" "$what: enable line"
		assert_eq "$(line_of 'Get-ExchangeCertificate')" "Get-ExchangeCertificate -Thumbprint $t | fl" \
			"$what: check"
		assert_eq "$(line_of certutil)" 'certutil -addstore -f Root C:\minica-ca.cer' "$what: CA"
		assert_eq "$(line_of 'minica ca export')" 'minica ca export --der --out minica-ca.cer' \
			"$what: CA export"
		# steps are numbered 1..n in order
		assert_eq "$(printf '%s\n' "$out" | jq -r '[.steps[].number] == [range(1; (.steps | length) + 1)]')" \
			true "$what: numbering"
		if [ $role = edge ]; then
			printf '%s\n' "$edge_only" | while IFS= read -r c; do
				[ -n "$(line_of "$c")" ] || fail "$what: missing '$c'"
			done
			assert_eq "$(line_of 'New-EdgeSubscription -FileData'; line_of 'New-EdgeSubscription -FileName C:\edgesub.xml -Site')" \
				"$sub" "$what: subscription import on the Hub"
			assert_eq "$(printf '%s\n' "$out" | jq '.steps | length')" 12 "$what: steps"
		else
			for c in New-EdgeSubscription Remove-EdgeSubscription ADAM_MSExchange EdgeSynchronization; do
				assert_eq "$(line_of $c)" "" "$what: no $c on a Hub"
			done
			case $v in 2007) assert_eq "$(line_of Test-Mailflow)" "" "$what: no Test-Mailflow" ;;
			*) assert_eq "$(line_of Test-Mailflow)" "Test-Mailflow" "$what: Test-Mailflow" ;; esac
			assert_eq "$(printf '%s\n' "$out" | jq '.steps | length')" 6 "$what: steps"
		fi
		ok "$what"
	done
done

# The human form: numbered steps, the thumbprint from the store, the Edge wording.
run runbook --host mail-edge1 --role edge --exchange 2010
assert_rc 0 "human runbook"
assert_contains "$out" "Install the certificate of mail-edge1 on an Exchange 2010 Edge Transport server"
assert_contains "$out" " 4. [mail-edge1] Import the certificate with its key (Exchange Management Shell, as administrator)
      $(printf '%s' "$imp_2010" | sed s/NAME/mail-edge1/)"
assert_contains "$out" " 5. [mail-edge1] Use it for SMTP
      Enable-ExchangeCertificate -Thumbprint $edge_thumb -Services SMTP
    It asks whether to overwrite the existing default SMTP certificate: answer Yes (Y)."
assert_contains "$out" " 9. [Hub Transport server] Note the Edge's site, then remove the old subscription"
assert_contains "$out" "within 24 hours"
assert_contains "$out" "12. [Hub Transport server] Synchronise now and test
      Start-EdgeSynchronization
      Test-EdgeSynchronization"
run runbook --host mail-edge1 --role edge --exchange 2013
assert_contains "$out" " 9. [Mailbox server] Note the Edge's site"
ok "human runbook"

# Without --exchange: every version's syntax, labelled.
run --json runbook --host mail-hub1
assert_eq "$(printf '%s\n' "$out" | jq -r '"\(.role) \(.exchange)"')" "hub null" "defaults"
assert_eq "$(commands | grep -A1 '^# Exchange' | grep -v '^--' | head -n 6)" "# Exchange 2007:
$(printf '%s' "$imp_2007" | sed s/NAME/mail-hub1/)
# Exchange 2010:
$(printf '%s' "$imp_2010" | sed s/NAME/mail-hub1/)
# Exchange 2013 and later:
$(printf '%s' "$imp_2013" | sed s/NAME/mail-hub1/)" "every version"
ok "every version"

# --pfx and --site; the host's newest certificate; --serial for an older one
run --json runbook --host mail-edge1 --role edge --exchange 2010 --pfx /srv/out/edge-2026.pfx --site Berlin
assert_eq "$(line_of Import-ExchangeCertificate)" "$(printf '%s' "$imp_2010" | sed s/NAME/edge-2026/)" "--pfx"
assert_eq "$(line_of 'New-EdgeSubscription -FileData')" "$(printf '%s' "$sub_2010" | sed 's/<AD site>/Berlin/')" "--site"
mkdir "$T/later"
run issue --host mail-hub1 --key ec:P-256 --days 3000 --out "$T/later"
assert_rc 0 "a later certificate for mail-hub1"
later=$(thumb "$T/later/mail-hub1.crt")
run --json runbook --host mail-hub1 --exchange 2013
assert_eq "$(printf '%s\n' "$out" | jq -r .thumbprint)" "$later" "the newest certificate"
run --json runbook --serial "$hub_serial" --exchange 2013
assert_eq "$(printf '%s\n' "$out" | jq -r .thumbprint)" "$hub_thumb" "--serial"
ok "--pfx, --site, newest, --serial"

# Bad input
expect_error 66 "no certificate for host mail-hub9" runbook --host mail-hub9
expect_error 64 "give --host NAME or --serial S" runbook
expect_error 64 "--role 'mailbox': hub or edge" runbook --host mail-hub1 --role mailbox
expect_error 64 "--exchange '2003'" runbook --host mail-hub1 --exchange 2003
expect_error 64 "--site" runbook --host mail-edge1 --role edge --site 'Ber"lin'
expect_error 65 "host name 'mail_hub1'" runbook --host mail_hub1
expect_error 66 "not initialised" --store "$T/nostore" runbook --host mail-hub1
finish
