# minica: build, test, demo, install.
#
#   make demo     install missing build dependencies, build, create a demo CA
#                 in ./demo-store and issue mail-hub1 with a PFX into ./demo-out
#   make check    install missing dependencies, check that every include points
#                 down a layer, build, check that no two files call each other
#                 in a loop, run every test, then build with AddressSanitizer +
#                 UBSan and run them again
#   make install  PREFIX=/usr/local (Debian's unrelated 'minica' is in /usr/bin)
#   make fresh-check  the first two on a minimal Debian 12 made by debootstrap (root)

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(PREFIX)/bin
DATADIR    = $(PREFIX)/share/minica
MANDIR     = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions
BUILD     ?= build
CC        ?= cc
SAN_FLAGS  = -fsanitize=address,undefined -fsanitize-undefined-trap-on-error \
             -fno-omit-frame-pointer -fno-sanitize-recover=all

VERSION   := 0.1.0
# The git revision: from git in a checkout (only this directory's own .git,
# never an enclosing repository's); in a 'git archive' tarball (make dist),
# from the REVISION file that export-subst filled in; else none, and
# 'minica --version' prints the release alone.
REVISION  := $(shell test -e .git && git rev-parse --short HEAD 2>/dev/null || \
               sed -n 's/^\([0-9a-f]\{7,40\}\)$$/\1/p' REVISION 2>/dev/null)

# Evaluated when used, so that 'make deps' can install pkg-config first.
PKG_CFLAGS = $(shell pkg-config --cflags libcrypto libssl lmdb jansson libevent libevent_openssl libseccomp libp11 p11-kit-1 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs libcrypto libssl lmdb jansson libevent libevent_openssl libseccomp libp11 p11-kit-1 2>/dev/null || \
               echo -lssl -lcrypto -llmdb -ljansson -levent_openssl -levent -lseccomp -lp11 -lp11-kit) -lresolv
# glibc has argp; musl and the BSDs need argp-standalone.
ARGP_LIBS  = $(shell printf '\043include <argp.h>\nint main(int c,char**v){return argp_parse(0,c,v,0,0,0);}\n' | \
               $(CC) -x c -o /dev/null - 2>/dev/null || echo -largp)

WARN      = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) $(PKG_CFLAGS) \
             -DMINICA_VERSION='"$(VERSION)"' -DMINICA_REVISION='"$(REVISION)"' \
             -DMINICA_TEMPLATEDIR='"$(DATADIR)/templates"' -MMD -MP
LDLIBS     = $(PKG_LIBS) $(ARGP_LIBS) -lpthread

LIB_SRCS  := $(wildcard common/*.c store/*.c ca/*.c issue/*.c expiry/*.c exchange/*.c report/*.c acme/*.c dane/*.c cmd/*.c)
LIB_OBJS   = $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# make check compiles each of its four builds on every core (the tests then
# run two files at a time, tests/run.sh): one core took 160 of its 780 s.
NPROC     := $(shell nproc 2>/dev/null || echo 2)

# Build dependencies, and the real tools the tests check minica's output with.
# libp11-dev: the EVP_PKEY of a key on a PKCS#11 token; libp11-kit-dev: RFC 7512
# URIs, the registered modules and the raw PKCS#11 calls (docs/token.md).
DEB_BUILD  = gcc libc6-dev make pkg-config libssl-dev liblmdb-dev libjansson-dev libevent-dev libseccomp-dev \
             libp11-dev libp11-kit-dev
DEB_TEST   = openssl libcmocka-dev lmdb-utils faketime jq perl python3 systemd chromium \
             python3-icalendar bash-completion groff-base man-db \
             postfix swaks libnet-ssleay-perl iproute2 \
             default-jre-headless libnss3-tools gnutls-bin python3-cryptography python3-pyasn1-modules \
             python3-jsonschema mono-runtime mono-mcs \
             certbot lego dehydrated uacme acme-tiny pebble curl \
             strace clang libclang-rt-dev nsd unbound ldnsutils softhsm2

# Fuzzing (clang + libFuzzer): one target per fuzz/fuzz_NAME.c, its seeds in
# fuzz/corpus/NAME/, kept crash inputs in fuzz/regressions/NAME/. 'make fuzz'
# fuzzes each for FUZZ_SECONDS; 'make check' replays the kept inputs and
# fuzzes each for FUZZ_CHECK_SECONDS. The fuzz build hunts run-time bugs; the
# -Werror gates are the gcc build and 'make clang-check'.
FUZZ_CC            ?= clang
FUZZ_BUILD         ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_FLAGS          = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -Wno-error \
                      -fno-omit-frame-pointer
FUZZ_SRCS          := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS           = $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/%)

# The same -Werror build with clang, its unit tests and a few command tests:
# the two compilers warn about different things, and code that depends on
# what the C standard leaves unspecified (the order in which a call's
# arguments are evaluated) behaves differently under each. About a minute.
CLANG_CC    ?= clang
CLANG_BUILD ?= build-clang
CLANG_TESTS ?= /(secrets|issue|lifecycle)\.sh$$

.PHONY: all build deps deps-test check layers calls test test-bins unit cmdtest asan clang-check fuzz fuzz-check fuzz-build \
        fuzz-bins demo bench install install-docs dist clean fresh-check FORCE

all: build

build: $(BUILD)/minica

$(BUILD)/minica: $(BUILD)/minica.o $(LIB_OBJS)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

$(BUILD)/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(LIB_OBJS)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDFLAGS) $(LDLIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --version must name the revision that was built: recompile the file that
# prints it when the revision changes.
$(BUILD)/common/cli.o: $(BUILD)/revision
$(BUILD)/revision: FORCE
	@mkdir -p $(BUILD)
	@echo '$(REVISION)' | cmp -s - $@ || echo '$(REVISION)' > $@
FORCE:

# Installs only what is missing; apt-get update runs only when it must.
deps:
	@sh tests/install-deps.sh $(DEB_BUILD)

deps-test:
	@sh tests/install-deps.sh $(DEB_BUILD) $(DEB_TEST)

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

cmdtest: $(BUILD)/minica
	@MINICA=$(CURDIR)/$(BUILD)/minica sh tests/run.sh

test: unit cmdtest

# What 'test' runs, built on every core first.
test-bins: $(BUILD)/minica $(UNIT_BINS)

# Every #include points down a layer (scripts/check-layers.sh, README "Source layout").
layers:
	@sh scripts/check-layers.sh

# No two files call each other in a loop, read from the objects with nm
# (scripts/check-calls.sh, docs/development.md "Source layout").
calls: $(BUILD)/minica
	@sh scripts/check-calls.sh . $(BUILD)

check:
	@$(MAKE) --no-print-directory deps-test
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory -j$(NPROC) test-bins
	@$(MAKE) --no-print-directory calls
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory clang-check
	@$(MAKE) --no-print-directory fuzz-check

# AddressSanitizer + UndefinedBehaviorSanitizer, leak checking on. A 16 MiB
# quarantine instead of ASan's 256: PBKDF2's 600,000 iterations allocate and
# free at every step, and cycling through 256 MiB of fresh pages made every
# passphrase-unlocking command 3 times slower (2.9 s against 0.96 s) for no
# more use-after-free found in minica's own, much smaller, allocations.
# UBSan's checks trap instead of calling its runtime: gcc links that runtime
# as libubsan.so, whose 6 MB of zeroed globals LeakSanitizer scanned at every
# exit, 30 of the 90 ms that each command took. A finding is then ASan's
# "ILL" report (handle_sigill=1) with the file and line of the check.
# Options in the caller's ASAN_OPTIONS come later and win.
asan:
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build-asan EXTRA_CFLAGS="$(SAN_FLAGS) -O1" \
		LDFLAGS="$(SAN_FLAGS)" test-bins
	@ASAN_OPTIONS="quarantine_size_mb=16:handle_sigill=1$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
		$(MAKE) --no-print-directory BUILD=build-asan EXTRA_CFLAGS="$(SAN_FLAGS) -O1" \
		LDFLAGS="$(SAN_FLAGS)" test

clang-check:
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=$(CLANG_BUILD) CC=$(CLANG_CC) test-bins
	@$(MAKE) --no-print-directory BUILD=$(CLANG_BUILD) CC=$(CLANG_CC) unit
	@TESTS='$(CLANG_TESTS)' $(MAKE) --no-print-directory BUILD=$(CLANG_BUILD) CC=$(CLANG_CC) cmdtest

# SPEC section 9: takes minutes; BENCH_SIZES="1000 100000" for a shorter run.
bench:
	@$(MAKE) --no-print-directory deps-test
	@$(MAKE) --no-print-directory build $(BUILD)/keygen_rate $(BUILD)/acme_load $(BUILD)/proto_rtt
	@ACME_LOAD=$(CURDIR)/$(BUILD)/acme_load sh bench/run.sh $(CURDIR)/$(BUILD)/minica \
		$(CURDIR)/$(BUILD)/keygen_rate

$(BUILD)/keygen_rate: bench/keygen_rate.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -O2 -Wall -Wextra -Werror $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS) -lpthread

# The ACME finalize load client (bench/acme.sh); base64url from acme/.
$(BUILD)/acme_load: bench/acme_load.c $(BUILD)/acme/b64url.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=gnu11 -D_GNU_SOURCE -I. -O2 -Wall -Wextra -Werror $(PKG_CFLAGS) -o $@ $^ \
		$(PKG_LIBS) -lpthread

# The front-signer round trip of one finalize (bench/acme.sh).
$(BUILD)/proto_rtt: bench/proto_rtt.c $(BUILD)/acme/proto.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=gnu11 -D_GNU_SOURCE -I. -O2 -Wall -Wextra -Werror $(PKG_CFLAGS) -o $@ $^ \
		$(PKG_LIBS) -lpthread

fuzz-build:
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) EXTRA_CFLAGS="$(FUZZ_FLAGS) -O1" \
		LDFLAGS="-fsanitize=address,undefined" fuzz-bins

.PRECIOUS: $(BUILD)/fuzz/%.o

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-check: fuzz-build
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_CHECK_SECONDS)

# README's first commands on a minimal Debian 12 made by debootstrap (root; minutes).
fresh-check:
	@sh tests/fresh.sh

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory build
	@sh scripts/demo.sh $(CURDIR)/$(BUILD)/minica

install: build install-docs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates
	install -m 0755 $(BUILD)/minica $(DESTDIR)$(BINDIR)/minica
	install -m 0644 templates/*.cnf $(DESTDIR)$(DATADIR)/templates/

# The man page and the bash completion (bash-completion also searches
# $(PREFIX)/share through XDG_DATA_DIRS, which includes /usr/local/share).
install-docs:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 man/minica.1 $(DESTDIR)$(MANDIR)/man1/minica.1
	install -m 0644 completion/minica.bash $(DESTDIR)$(COMPLETIONDIR)/minica

# A release tarball of the committed tree; REVISION inside it names the commit.
dist:
	git archive --format=tar.gz --prefix=minica-$(VERSION)/ -o minica-$(VERSION).tar.gz HEAD
	@echo "  DIST    minica-$(VERSION).tar.gz"

clean:
	rm -rf build build-asan build-clang build-fuzz
