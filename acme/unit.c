/*
 * The systemd service for `minica serve` (`minica serve --systemd DIR`):
 * the same options, the absolute paths of this binary and store, the CA
 * passphrase handed over as a credential (LoadCredential=, read from
 * $CREDENTIALS_DIRECTORY/minica-pass, never in the unit or the
 * environment), SIGHUP for reload, and a sandbox that `systemd-analyze
 * security` rates below 2.0: no capabilities (but CAP_NET_BIND_SERVICE for a
 * port under 1024), a read-only system but the store, no devices, no
 * kernel knobs, native system calls of a service only (and those the
 * front needs to sandbox itself further: seccomp, Landlock).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "expiry/expiry.h"

#define SERVE_UNIT "minica-serve.service"

static const char hardening[] =
	"NoNewPrivileges=yes\n"
	"ProtectSystem=strict\n"
	"PrivateTmp=yes\n"
	"PrivateDevices=yes\n"
	"DevicePolicy=closed\n"
	"PrivateIPC=yes\n"
	"PrivateMounts=yes\n"
	"ProtectKernelTunables=yes\n"
	"ProtectKernelModules=yes\n"
	"ProtectKernelLogs=yes\n"
	"ProtectControlGroups=yes\n"
	"ProtectClock=yes\n"
	"ProtectHostname=yes\n"
	"ProtectProc=invisible\n"
	"ProcSubset=pid\n"
	/* AF_UNIX: the socketpair between the signer and the front */
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
	"RestrictNamespaces=yes\n"
	"RestrictRealtime=yes\n"
	"RestrictSUIDSGID=yes\n"
	"LockPersonality=yes\n"
	"MemoryDenyWriteExecute=yes\n"
	"RemoveIPC=yes\n"
	"KeyringMode=private\n"
	"SystemCallArchitectures=native\n"
	"SystemCallFilter=@system-service\n"
	/* the front sandboxes itself further: its own seccomp filter and Landlock domain */
	"SystemCallFilter=seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self\n"
	"SystemCallFilter=~@privileged @resources @mount @swap @reboot @raw-io @module @obsolete @cpu-emulation @debug\n"
	"SystemCallErrorNumber=EPERM\n"
	"UMask=0077\n"
	"LimitCORE=0\n";

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static int in_home(const char *path)
{
	return under(path, "/home") || under(path, "/root");
}

/*
 * The sandbox hides /tmp (PrivateTmp=yes) and, unless the store is in one,
 * home directories (ProtectHome=yes): a store or passphrase file there is
 * not what the service sees, and it fails at its first start. Said here,
 * with the setting to change, not found later in the journal.
 */
static void warn_hidden(const struct acme_unit *u)
{
	const char *files[2] = {u->store, u->pass_file}, *what[2] = {"store", "passphrase file"};
	size_t i;

	for (i = 0; i < 2; i++) {
		if (!files[i])
			continue;
		if (under(files[i], "/tmp") || under(files[i], "/var/tmp"))
			warning("--systemd: the %s %s lies under %s, which the unit's PrivateTmp=yes "
				"hides from the service: move it (for example under /var/lib/minica "
				"or /etc/minica), or set PrivateTmp=no in the unit",
				what[i], files[i], under(files[i], "/tmp") ? "/tmp" : "/var/tmp");
		else if (i == 1 && in_home(files[i]) && !in_home(u->store))
			warning("--systemd: the passphrase file %s lies under %s, which the unit's "
				"ProtectHome=yes hides from the service: move it (for example to "
				"/etc/minica/pass, readable by root only), or set "
				"ProtectHome=read-only in the unit",
				files[i], under(files[i], "/home") ? "/home" : "/root");
	}
}

static char *unit_text(const struct acme_unit *u, const char *user)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# Written by 'minica serve --systemd': the ACME server of one store.\n"
	      "[Unit]\nDescription=minica: ACME server (store ",
	      f);
	unit_put_text(f, u->store);
	fputs(")\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\n"
	      "Type=simple\nUser=",
	      f);
	unit_put_text(f, user);
	fputs("\nExecStart=", f);
	for (i = 0; i < u->n_words; i++) {
		if (i)
			fputc(' ', f);
		unit_put_word(f, u->words[i]);
	}
	fputs("\nExecReload=/bin/kill -HUP $MAINPID\n"
	      "# SIGTERM: finish the requests in flight and the validations (at most their\n"
	      "# deadline, --validation-timeout), exit 0\nKillSignal=SIGTERM\n",
	      f);
	fprintf(f, "TimeoutStopSec=%ld\nRestart=on-failure\nRestartSec=5\n",
		u->stop_seconds > 30 ? u->stop_seconds : 30);
	/* systemd's soft default is 1,024 descriptors: --max-connections and a margin */
	fprintf(f, "LimitNOFILE=%ld\n", u->open_files > 0 ? u->open_files : 8192);
	if (u->pass_file) {
		fputs("# the CA passphrase, read once at start from $CREDENTIALS_DIRECTORY/minica-pass\n"
		      "LoadCredential=minica-pass:",
		      f);
		unit_put_text(f, u->pass_file);
		fputc('\n', f);
	}
	if (u->pin_file) {
		fputs("# the PIN of the token that holds the CA key, read once by the signer at start\n"
		      "LoadCredential=minica-pin:",
		      f);
		unit_put_text(f, u->pin_file);
		fputc('\n', f);
	}
	/* home directories hidden, unless the store is in one */
	fputs(in_home(u->store) ? "ProtectHome=read-only\n" : "ProtectHome=yes\n", f);
	fputs("ReadWritePaths=", f);
	unit_put_word(f, u->store);
	fputc('\n', f);
	if (u->low_port)
		fputs("AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
		      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
		      f);
	else
		fputs("CapabilityBoundingSet=\nPrivateUsers=yes\n", f);
	fputs(hardening, f);
	fputs("\n[Install]\nWantedBy=multi-user.target\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int acme_unit_write(const struct acme_unit *u)
{
	char *path = NULL, *user = NULL, *text = NULL;
	size_t i;
	int rc;

	if ((rc = out_check_dir(u->dir)))
		return rc;
	path = path_join(u->dir, SERVE_UNIT);
	user = unit_store_owner(u->store);
	text = user ? unit_text(u, user) : NULL;
	if (!path || !text) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if ((rc = out_check_absent(path, u->force)) ||
	    (rc = out_write_atomic(path, text, strlen(text), 0644, u->force)))
		goto out;
	warn_hidden(u);
	if (g_opts.json) {
		rc = json_emit(json_pack("{s:s, s:s, s:s?, s:s?}", "service", path, "user", user,
					 "credential", u->pass_file, "pin_credential", u->pin_file));
		goto out;
	}
	printf("Wrote %s\n  runs      ", path);
	for (i = 0; i < u->n_words; i++) {
		if (i)
			putchar(' ');
		unit_put_word(stdout, u->words[i]);
	}
	printf("\n  as        %s\n", user);
	if (u->pass_file)
		printf("  passphrase LoadCredential=minica-pass:%s\n", u->pass_file);
	if (u->pin_file)
		printf("  token PIN LoadCredential=minica-pin:%s\n", u->pin_file);
	if (!g_opts.quiet)
		printf("\nEnable it (when DIR is not /etc/systemd/system, copy the file there first):\n"
		       "  systemctl daemon-reload\n  systemctl enable --now " SERVE_UNIT "\n"
		       "  systemctl reload " SERVE_UNIT "   # after changing templates\n");
out:
	free(path);
	free(user);
	free(text);
	return rc;
}
