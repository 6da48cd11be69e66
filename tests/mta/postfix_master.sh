# Sourced by the tests that run private Postfix instances (tests/mta/postfix.sh
# for mta.sh, tests/cmd/dane_postfix.sh).

# postfix_master_cf FILE PORT: a master.cf with smtpd on 127.0.0.1:PORT and
# the services a private instance needs, none chrooted (column 5: the queue
# is in the test's directory).
postfix_master_cf() {
	cat > "$1" <<EOF_MASTER
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
relay     unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
virtual   unix  - n n -     - virtual
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF_MASTER
}
