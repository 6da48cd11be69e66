/*
 * What serve's front gives up before it reads anything from the network
 * (sandbox.c, docs/serve-processes.md).
 */
#ifndef MINICA_ACME_SANDBOX_H
#define MINICA_ACME_SANDBOX_H

/*
 * Started as root: becomes front_user (default nobody), no groups. Then
 * no_new_privs, non-dumpable, Landlock (the system files it reads, read-only; no
 * file under store_dir; no TCP port bound) where the kernel has it, and a
 * seccomp filter: no program started, no process traced or forked, no
 * process memory read, no file opened for writing. Then it proves each of
 * these by trying it. 0, or an exit code after a message (the front must not
 * run without its filter).
 */
int sandbox_enter(const char *front_user, const char *store_dir);

#endif
