/*
 * The front's sandbox (sandbox.h). Each layer covers what another may miss:
 * a separate user (when started as root) keeps the store's files out of
 * reach by their mode; Landlock does the same for a front that runs as the
 * store's owner (a systemd unit with User=); the seccomp filter (libseccomp)
 * removes the acts a subverted front would need to get at the signer's key:
 * starting a program, tracing or reading another process, forking, writing
 * a file. The filter answers EPERM instead of killing the process, so that
 * the front can prove at start that each act is refused (sandbox_probe).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/common.h"
#include "sandbox.h"

/* LeakSanitizer stops the process's threads with ptrace from a forked helper. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

static int drop_user(const char *name)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!name)
		name = "nobody";
	errno = 0;
	if (!(pw = getpwnam(name)))
		return fail(EX_NOUSER, "serve: front: no user '%s' to run the front as (give "
				       "--front-user NAME, an unprivileged user)",
			    name);
	if (pw->pw_uid == 0)
		return fail(EX_USAGE, "serve: front: --front-user %s is root; give an unprivileged "
				      "user",
			    name);
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return fail(EX_OSERR, "serve: front: cannot become user %s: %s", name,
			    strerror(errno));
	if (setuid(0) == 0)
		return fail(EX_SOFTWARE, "serve: front: could become root again after dropping it");
	return 0;
}

/* ---- Landlock (raw system calls: Debian 12 has no library for it) ---- */

static int landlock_allow(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr rule = {0};
	int fd = open(path, O_PATH | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return 0; /* not on this system: nothing to allow */
	rule.allowed_access = access;
	rule.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	return rc;
}

/* The ABI version in force, or 0 when the kernel has no Landlock (then nothing is done). */
static int landlock_enter(void)
{
	struct landlock_ruleset_attr attr = {0};
	/*
	 * What the validations read after start (libresolv's configuration, the
	 * C library's and OpenSSL's files): named one by one, since a store may
	 * live under /etc and Landlock can only allow, never take away.
	 */
	static const char *const readable[] = {
		"/etc/resolv.conf", "/etc/hosts",      "/etc/host.conf", "/etc/nsswitch.conf",
		"/etc/gai.conf",    "/etc/localtime",  "/etc/ssl",       "/usr/lib",
		"/usr/lib64",       "/usr/share/zoneinfo", "/lib",       "/lib64",
		"/proc",            "/dev/null",       "/dev/urandom"};
	__u64 read_only = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int ruleset = -1, rc = 0;
	size_t i;

	if (abi < 1)
		return 0;
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
				 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
				 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
				 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
				 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
				 LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return 0;
	for (i = 0; i < sizeof(readable) / sizeof(readable[0]) && rc == 0; i++) {
		struct stat st;

		/* a file may take only file rights */
		if (stat(readable[i], &st) == 0)
			rc = landlock_allow(ruleset, readable[i],
					    S_ISDIR(st.st_mode) ? read_only
								: LANDLOCK_ACCESS_FS_READ_FILE);
	}
	if (rc == 0)
		rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
	close(ruleset);
	return rc == 0 ? (int)abi : -1;
}

/* ---- seccomp ---- */

static int seccomp_enter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	static const int write_bits[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND};
	static const int denied[] = {
		SCMP_SYS(execve),	     SCMP_SYS(execveat),	  SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(fork),		  SCMP_SYS(vfork),
		SCMP_SYS(creat),	     SCMP_SYS(truncate),	  SCMP_SYS(unlink),
		SCMP_SYS(unlinkat),	     SCMP_SYS(rename),		  SCMP_SYS(renameat),
		SCMP_SYS(renameat2),	     SCMP_SYS(link),		  SCMP_SYS(linkat),
		SCMP_SYS(symlink),	     SCMP_SYS(symlinkat),	  SCMP_SYS(mkdir),
		SCMP_SYS(mkdirat),	     SCMP_SYS(rmdir),		  SCMP_SYS(chmod),
		SCMP_SYS(fchmodat),	     SCMP_SYS(chown),		  SCMP_SYS(fchownat),
		SCMP_SYS(mknod),	     SCMP_SYS(mknodat),		  SCMP_SYS(mount),
		SCMP_SYS(umount2),	     SCMP_SYS(pivot_root),	  SCMP_SYS(chroot),
		SCMP_SYS(setns),	     SCMP_SYS(unshare),		  SCMP_SYS(bpf),
		SCMP_SYS(perf_event_open),   SCMP_SYS(kexec_load),	  SCMP_SYS(init_module),
		SCMP_SYS(finit_module),	     SCMP_SYS(delete_module),	  SCMP_SYS(keyctl),
		SCMP_SYS(add_key),	     SCMP_SYS(request_key),	  SCMP_SYS(userfaultfd),
		SCMP_SYS(personality),	     SCMP_SYS(memfd_create),	  SCMP_SYS(name_to_handle_at),
		SCMP_SYS(open_by_handle_at),
	};
	size_t i;
	int rc = 0;

	if (!ctx)
		return -1;
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	/* threads are fine (the validations run in some); new processes are not */
	if (rc == 0 && !SANITIZER_BUILD)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	if (rc == 0 && !SANITIZER_BUILD)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0);
	/* clone3's flags are in memory the filter cannot read: glibc then uses clone */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	/* files: read, never written (a flag test per bit: the filter compares, it cannot OR) */
	for (i = 0; i < sizeof(write_bits) / sizeof(write_bits[0]) && rc == 0; i++) {
		scmp_datum_t bit = (scmp_datum_t)write_bits[i];

		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, bit, bit));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1,
					      SCMP_A2(SCMP_CMP_MASKED_EQ, bit, bit));
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* ---- proving it ---- */

static const char *errno_word(int e)
{
	return e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : e == ENOENT ? "ENOENT"
			  : e == ESRCH ? "ESRCH" : e == EINVAL ? "EINVAL" : strerror(e);
}

/*
 * Each act is tried in a form that does nothing if it were allowed: exec of
 * a path that does not exist (ENOENT unless refused), ptrace of pid 0 (ESRCH
 * unless refused), a clone with flags the kernel rejects (EINVAL unless
 * refused), and the store opened for reading and for writing.
 */
static int sandbox_probe(const char *store_dir, int landlock_abi)
{
	char path[4096], line[600];
	char *const argv[] = {(char *)"minica-front-probe", NULL};
	int e_exec, e_ptrace, e_fork, e_read, e_write, fd, rc = 0;

	errno = 0;
	execve("/nonexistent/minica-front-probe", argv, argv + 1);
	e_exec = errno;
	errno = 0;
	(void)ptrace(PTRACE_PEEKUSER, 0, NULL, NULL);
	e_ptrace = errno;
	errno = 0;
	(void)syscall(SYS_clone, (unsigned long)CLONE_SIGHAND, NULL, NULL, NULL, 0UL);
	e_fork = errno;
	snprintf(path, sizeof(path), "%s/data.mdb", store_dir ? store_dir : ".");
	errno = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
		close(fd);
	e_read = fd >= 0 ? 0 : errno;
	errno = 0;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0)
		close(fd);
	e_write = fd >= 0 ? 0 : errno;
	snprintf(line, sizeof(line),
		 "uid %ld, no_new_privs, seccomp, landlock %s: exec %s, ptrace %s, fork %s, store "
		 "read %s, store write %s",
		 (long)getuid(), landlock_abi > 0 ? "on" : "unavailable", errno_word(e_exec),
		 SANITIZER_BUILD ? "allowed (sanitizer build)" : errno_word(e_ptrace),
		 SANITIZER_BUILD ? "allowed (sanitizer build)" : errno_word(e_fork),
		 e_read ? errno_word(e_read) : "ALLOWED", e_write ? errno_word(e_write) : "ALLOWED");
	if (e_exec != EPERM || (!SANITIZER_BUILD && (e_ptrace != EPERM || e_fork != EPERM)) ||
	    !e_write)
		return fail(EX_SOFTWARE, "serve: front: the sandbox does not hold (%s); not serving",
			    line);
	if (!e_read)
		warning("serve: front: the front can read the store (%s): start serve as root (the "
			"front then runs as --front-user) or on a kernel with Landlock",
			line);
	else if (!g_opts.quiet)
		notice("serve: front: sandbox: %s", line);
	return rc;
}

int sandbox_enter(const char *front_user, const char *store_dir)
{
	int rc, abi;

	if ((rc = drop_user(front_user)))
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(EX_OSERR, "serve: front: cannot set no_new_privs: %s", strerror(errno));
	if ((abi = landlock_enter()) < 0)
		return fail(EX_OSERR, "serve: front: cannot enter its Landlock domain: %s",
			    strerror(errno));
	if (seccomp_enter() != 0)
		return fail(EX_OSERR, "serve: front: cannot load its seccomp filter");
	return sandbox_probe(store_dir, abi);
}
