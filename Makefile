# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# ja4sentinel: `make` builds build/ja4sentinel, `make test` builds and runs
# every test layer and ends with a counting line. V=1 shows full commands,
# WERROR=1 turns warnings into errors (CI does).

.DELETE_ON_ERROR:
.SUFFIXES:

V ?= 0
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD   ?= build
CC      ?= cc
CLANG   ?= clang
PKG_CONFIG ?= pkg-config

# BPF=0 builds without the eBPF modes (el8): no libbpf, libxdp, clang-bpf.
BPF ?= 1
LIBS_PC := libpcap json-c yaml-0.1 libcrypto
ifeq ($(BPF),1)
LIBS_PC += libbpf libxdp
endif
PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS   := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null || echo -lpcap -ljson-c -lyaml -lcrypto)

WARN := -Wall -Wextra -Werror=undef -Wmissing-field-initializers -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
# Hardening as p0f's build.sh; the RPM passes its own through CFLAGS/LDFLAGS.
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT    ?= -O2 -g
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(HARDEN) -Iinclude -I$(BUILD)/bpf $(PC_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)

# The pure core and the daemon's modules; main.c is only in the binary.
# The core needs no library but libcrypto (fp_hash): its unit tests and the
# fuzzers link it from an archive, so each takes the objects it calls and
# nothing of libbpf, libxdp, libpcap or the skeleton.
CORE := packet ipfrag reasm flow hello fp_hash fp_ja4 fp_ja3 fp_ja4t record quic quic_hold capfile pcapng
CORE_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
MODS := $(CORE) config config_host log output out_stdout out_file out_unix pipeline stats capture capture_file capture_pcap \
	capture_filter loop notify ifaddr localips privs instance
ifeq ($(BPF),1)
MODS += capture_bpf capture_tc capture_xdp
else
MODS += capture_nobpf
endif
OBJS := $(MODS:%=$(BUILD)/obj/%.o)

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
# Tests of core modules link the core archive; tests of daemon modules the
# objects and libraries named here; any other test_*.c every module and
# library, with the linker keeping the ones it calls (--as-needed).
CORE_TESTS := $(filter $(CORE:%=test_%),$(UNIT_TESTS))
# test_record reads the records back with json-c.
test_record_PC   := json-c
test_config_MODS := config log capture capture_filter
test_config_PC   := yaml-0.1 json-c libpcap
test_log_MODS    := log
test_log_PC      := json-c
test_capture_MODS := capture capture_filter
test_capture_PC   := libpcap
test_output_MODS  := output out_stdout out_file out_unix log
test_output_PC    := json-c
test_privs_MODS   := privs
test_privs_PC     :=
DAEMON_TESTS := $(filter test_config test_log test_capture test_output test_privs,$(UNIT_TESTS))
OTHER_TESTS  := $(filter-out $(CORE_TESTS) $(DAEMON_TESTS),$(UNIT_TESTS))
pc_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
FUZZERS    := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all clean test unit asan fuzz fuzz-smoke corpus bench install help bpftest el8-check

all: $(BUILD)/ja4sentinel

help:
	@echo "make            build $(BUILD)/ja4sentinel"
	@echo "make test       every stage of tests/run.sh (root for the live ones; counting line at the end)"
	@echo "make unit       unit tests only;  make corpus  corpus test only"
	@echo "make el8-check  BPF=0 build, unit and corpus tests against OpenSSL 1.1.1 (bullseye chroot, root)"
	@echo "make fuzz       build the libFuzzer harnesses (clang);  make bench  offline benchmark"
	@echo "make install    [DESTDIR=dir] [PREFIX=/usr]: the RPM's layout;  make uninstall"
	@echo "make rpm        build the RPM (packaging/rpm);  make rpmlint, make man (groff check of the man page)"
	@echo "make kernel-matrix  BPF and live tests under qemu on other kernels (root)"
	@echo "V=1 full commands, WERROR=1 warnings are errors, BPF=0 pcap-only build"

# ---- the BPF object, embedded through a bpftool skeleton ----
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Ivmlinux/$(ARCH) \
	-Iinclude -Ibpf -MMD -MP

$(BUILD)/bpf/ja4sentinel.bpf.o: bpf/ja4sentinel.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/bpf/ja4sentinel.skel.h: $(BUILD)/bpf/ja4sentinel.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name ja4sentinel_bpf > $@ 2> $@.log || { cat $@.log; false; }

# Library versions this build was compiled against, for --version: libxdp
# and libpcap have no version macro in their headers.
$(BUILD)/obj/capture_bpf.o: ALL_CFLAGS += \
	-DJ4S_BUILT_LIBXDP='"$(shell $(PKG_CONFIG) --modversion libxdp 2>/dev/null || echo unknown)"'
$(BUILD)/obj/main.o: ALL_CFLAGS += \
	-DJ4S_BUILT_LIBYAML='"$(shell $(PKG_CONFIG) --modversion yaml-0.1 2>/dev/null || echo unknown)"'
$(BUILD)/obj/capture_pcap.o: ALL_CFLAGS += \
	-DJ4S_BUILT_LIBPCAP='"$(shell $(PKG_CONFIG) --modversion libpcap 2>/dev/null || echo unknown)"'

$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The eBPF backends include the generated skeleton.
SKEL_USERS := capture_bpf capture_tc capture_xdp
$(SKEL_USERS:%=$(BUILD)/obj/%.o) $(SKEL_USERS:%=$(BUILD)/asan/obj/%.o): $(BUILD)/bpf/ja4sentinel.skel.h

$(BUILD)/ja4sentinel: $(OBJS) $(BUILD)/obj/main.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PC_LIBS) -o $@

# ---- unit tests (cmocka), plain and with ASan+UBSan ----
$(BUILD)/libcore.a: $(CORE:%=$(BUILD)/obj/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# -pthread: test_capfile feeds a pipe from a thread (glibc before 2.34
# has pthread_* in libpthread).
TEST_LD := $(ALL_LDFLAGS) -pthread -Wl,--as-needed

$(CORE_TESTS:%=$(BUILD)/unit/%): $(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libcore.a | $(BUILD)/unit
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(TEST_LD) $< $(BUILD)/libcore.a $(CORE_LIBS) \
		$(call pc_libs,$($*_PC)) -lcmocka -o $@

.SECONDEXPANSION:
$(DAEMON_TESTS:%=$(BUILD)/unit/%): $(BUILD)/unit/%: tests/unit/%.c \
		$$(addprefix $(BUILD)/obj/,$$(addsuffix .o,$$($$*_MODS))) | $(BUILD)/unit
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(TEST_LD) $< $(filter %.o,$^) \
		$(call pc_libs,$($*_PC)) -lcmocka -o $@

$(OTHER_TESTS:%=$(BUILD)/unit/%): $(BUILD)/unit/%: tests/unit/%.c $(OBJS) | $(BUILD)/unit
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(TEST_LD) $< $(OBJS) $(PC_LIBS) -lcmocka -o $@

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS := $(MODS:%=$(BUILD)/asan/obj/%.o)

$(BUILD)/asan/obj/%.o: user/%.c | $(BUILD)/asan/obj
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c $< -o $@

$(BUILD)/asan/libcore.a: $(CORE:%=$(BUILD)/asan/obj/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(CORE_TESTS:%=$(BUILD)/asan/unit/%): $(BUILD)/asan/unit/%: tests/unit/%.c $(BUILD)/asan/libcore.a \
		| $(BUILD)/asan/unit
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests/unit $(TEST_LD) $< $(BUILD)/asan/libcore.a \
		$(CORE_LIBS) $(call pc_libs,$($*_PC)) -lcmocka -o $@

$(DAEMON_TESTS:%=$(BUILD)/asan/unit/%): $(BUILD)/asan/unit/%: tests/unit/%.c \
		$$(addprefix $(BUILD)/asan/obj/,$$(addsuffix .o,$$($$*_MODS))) | $(BUILD)/asan/unit
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests/unit $(TEST_LD) $< $(filter %.o,$^) \
		$(call pc_libs,$($*_PC)) -lcmocka -o $@

$(OTHER_TESTS:%=$(BUILD)/asan/unit/%): $(BUILD)/asan/unit/%: tests/unit/%.c $(ASAN_OBJS) \
		| $(BUILD)/asan/unit
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests/unit $(TEST_LD) $< $(ASAN_OBJS) $(PC_LIBS) \
		-lcmocka -o $@

$(BUILD)/asan/ja4sentinel: $(ASAN_OBJS) $(BUILD)/asan/obj/main.o
	$(call msg,ASAN-LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) $(ALL_LDFLAGS) $^ $(PC_LIBS) -o $@

# ---- libFuzzer harnesses (clang only): the core, instrumented, and libcrypto ----
FUZZ_SAN   := address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := -std=gnu11 -g -O1 -Iinclude $(PC_CFLAGS) -MMD -MP
# capfile.c's read buffer a few bytes: every record crosses its edge.
$(BUILD)/fuzz/obj/capfile.o: FUZZ_FLAGS += -DCAPFILE_BUFFER=61

$(BUILD)/fuzz/obj/%.o: user/%.c | $(BUILD)/fuzz/obj
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

$(BUILD)/fuzz/libcore.a: $(CORE:%=$(BUILD)/fuzz/obj/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libcore.a | $(BUILD)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -Wl,--as-needed $< \
		$(BUILD)/fuzz/libcore.a $(CORE_LIBS) -o $@

# ---- kernel program tests (BPF_PROG_TEST_RUN; root) ----
$(BUILD)/bpftest/test_bpf: tests/bpf/test_bpf.c $(BUILD)/bpf/ja4sentinel.skel.h | $(BUILD)/bpftest
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PC_LIBS) -lcmocka -o $@

bpftest: $(BUILD)/bpftest/test_bpf

unit: $(UNIT_TESTS:%=$(BUILD)/unit/%)
asan: $(UNIT_TESTS:%=$(BUILD)/asan/unit/%) $(BUILD)/asan/ja4sentinel
fuzz: $(FUZZERS:%=$(BUILD)/fuzz/%)

ifeq ($(BPF),1)
test: bpftest $(BUILD)/kernels/verifier_log
endif
test: all unit asan fuzz
	$(Q)tests/run.sh

corpus: all
	$(Q)tests/run.sh corpus

# el8's libraries (OpenSSL 1.1.1, json-c, libpcap 1.10; BPF=0): the unit and
# corpus tests built and run in a Debian bullseye chroot, made once under
# EL8_ROOT (default /var/cache/ja4sentinel-bullseye). Root; part of `make test`.
el8-check:
	$(Q)tests/run.sh el8

bench: all
	$(Q)bench/run.sh

$(BUILD)/obj $(BUILD)/unit $(BUILD)/asan/obj $(BUILD)/asan/unit $(BUILD)/fuzz $(BUILD)/fuzz/obj \
$(BUILD)/bpf $(BUILD)/bpftest:
	$(Q)mkdir -p $@

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

# ==== Packaging: install, rpm, rpmlint, man (packaging/) ======================
# Targets of their own; install builds `all` first.
#   make install [DESTDIR=dir] [PREFIX=/usr] [BPF=0]   the RPM's layout
#   make uninstall [DESTDIR=dir]        remove it again (configuration kept)
#   make rpm [RPMBUILD_ARGS=...]        source tarball + rpmbuild -ba under $(BUILD)/rpm
#   make rpmlint                        rpmlint the spec and what `make rpm` built
#   make man                            check packaging/man/ja4sentinel.8 with groff
PREFIX        ?= /usr
BINDIR        ?= $(PREFIX)/bin
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/ja4sentinel
UNITDIR       ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
RUNDIR        ?= /run
INSTALL       ?= install

PKG_DOCS := README.md NOTICE $(wildcard docs/*.md)
# The unit as installed: paths follow BINDIR/SYSCONFDIR/DOCDIR; a BPF=0 build
# (el8) is pcap-only and keeps CAP_NET_RAW alone (systemd 239 does not even
# know the names CAP_BPF and CAP_PERFMON).
PKG_UNIT_SED := -e 's|/usr/bin/ja4sentinel|$(BINDIR)/ja4sentinel|' \
	-e 's|/etc/ja4sentinel/|$(SYSCONFDIR)/ja4sentinel/|' \
	-e 's|/usr/share/doc/ja4sentinel/|$(DOCDIR)/|'
ifneq ($(BPF),1)
PKG_UNIT_SED += -e 's/^\(CapabilityBoundingSet\|AmbientCapabilities\)=.*/\1=CAP_NET_RAW/' \
	-e 's/^CapabilityBoundingSet=/\# pcap-only build (BPF=0): CAP_NET_RAW is all it needs.\n&/'
endif

.PHONY: install uninstall rpm rpmlint man

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(SYSCONFDIR)/ja4sentinel $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
		$(DESTDIR)$(DATADIR)/ja4sentinel $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	$(Q)$(INSTALL) -m 0755 $(BUILD)/ja4sentinel $(DESTDIR)$(BINDIR)/ja4sentinel
	$(Q)sed $(PKG_UNIT_SED) packaging/systemd/ja4sentinel.service > $(DESTDIR)$(UNITDIR)/ja4sentinel.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/ja4sentinel.service.tmp
	$(Q)mv -f $(DESTDIR)$(UNITDIR)/ja4sentinel.service.tmp $(DESTDIR)$(UNITDIR)/ja4sentinel.service
	$(Q)$(INSTALL) -m 0644 packaging/tmpfiles/ja4sentinel.conf $(DESTDIR)$(TMPFILESDIR)/ja4sentinel.conf
	$(Q)$(INSTALL) -m 0644 packaging/logrotate/ja4sentinel $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ja4sentinel
	$(Q)$(INSTALL) -m 0644 packaging/config/config.yml $(DESTDIR)$(DATADIR)/ja4sentinel/config.yml
	@# The Go package's name for the default to copy from (docs/migrating.md).
	$(Q)$(INSTALL) -m 0644 packaging/config/config.yml $(DESTDIR)$(SYSCONFDIR)/ja4sentinel/config.yml.default
	@# The live configuration is never overwritten (the RPM's %config(noreplace)).
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/ja4sentinel/config.yml ]; then \
		echo "  kept     $(DESTDIR)$(SYSCONFDIR)/ja4sentinel/config.yml (default: $(DATADIR)/ja4sentinel/config.yml)"; \
	else \
		$(INSTALL) -m 0644 packaging/config/config.yml $(DESTDIR)$(SYSCONFDIR)/ja4sentinel/config.yml; \
	fi
	$(Q)$(INSTALL) -m 0644 packaging/man/ja4sentinel.8 $(DESTDIR)$(MANDIR)/man8/ja4sentinel.8
	$(Q)$(INSTALL) -m 0644 $(PKG_DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(LOCALSTATEDIR)/log/ja4sentinel $(DESTDIR)$(LOCALSTATEDIR)/lib/ja4sentinel
	@# The correlator's socket directory: created if missing, an existing one untouched.
	$(Q)mkdir -p $(DESTDIR)$(RUNDIR)/logcorrelator

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/ja4sentinel $(DESTDIR)$(UNITDIR)/ja4sentinel.service \
		$(DESTDIR)$(TMPFILESDIR)/ja4sentinel.conf $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ja4sentinel \
		$(DESTDIR)$(SYSCONFDIR)/ja4sentinel/config.yml.default \
		$(DESTDIR)$(DATADIR)/ja4sentinel/config.yml $(DESTDIR)$(MANDIR)/man8/ja4sentinel.8 \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(PKG_DOCS)))
	$(Q)rmdir $(DESTDIR)$(DATADIR)/ja4sentinel $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@echo "  kept     $(DESTDIR)$(SYSCONFDIR)/ja4sentinel/, $(DESTDIR)$(LOCALSTATEDIR)/log/ja4sentinel/, $(DESTDIR)$(LOCALSTATEDIR)/lib/ja4sentinel/"

# ---- rpm: the tarball is the working tree (what was just built and tested),
# minus build output and .git, so no commit is needed; RPM_FROM_GIT=1 takes
# `git archive HEAD` instead (release builds from a tag). On a host whose rpm
# has no distribution macros (Debian) %{dist} is empty: dist is defined as
# .el9 (and rhel as 9, so the el9 branch of the spec is what gets built) and
# packaging/rpm/macros.host stands in for the systemd and directory macros.
RPM_TOPDIR    ?= $(abspath $(BUILD))/rpm
RPMBUILD      ?= rpmbuild
RPMBUILD_ARGS ?=
RPMLINT       ?= rpmlint
RPM_FROM_GIT  ?= 0
PKG_SPEC      := packaging/rpm/ja4sentinel.spec
# Lazy (=): evaluated only by the rules below.
PKG_VERSION    = $(shell sed -n 's/^\#define J4S_VERSION "\(.*\)"/\1/p' include/defaults.h)
PKG_SPEC_VER   = $(shell sed -n 's/^Version: *//p' $(PKG_SPEC))
PKG_TARBALL    = $(RPM_TOPDIR)/SOURCES/ja4sentinel-$(PKG_VERSION).tar.gz
RPM_HOST_ARGS  = $(if $(shell rpm --eval '%{?dist}' 2>/dev/null),,--load $(CURDIR)/packaging/rpm/macros.host \
	--define 'dist .el9' --define 'rhel 9' \
	$(if $(shell command -v find-debuginfo && command -v eu-strip),--define '_enable_debug_packages 1'))

rpm:
	$(Q)command -v $(RPMBUILD) >/dev/null || { echo "make rpm: $(RPMBUILD) not found (dnf install rpm-build, apt-get install rpm)" >&2; exit 1; }
	$(Q)[ "$(PKG_VERSION)" = "$(PKG_SPEC_VER)" ] || { echo "make rpm: version $(PKG_VERSION) in include/defaults.h but $(PKG_SPEC_VER) in $(PKG_SPEC)" >&2; exit 1; }
	$(Q)rm -rf $(RPM_TOPDIR) && mkdir -p $(RPM_TOPDIR)/SOURCES $(RPM_TOPDIR)/SPECS
	$(call msg,TAR,$(PKG_TARBALL))
ifeq ($(RPM_FROM_GIT),1)
	$(Q)git archive --format=tar.gz --prefix=ja4sentinel-$(PKG_VERSION)/ -o $(PKG_TARBALL) HEAD
else
	$(Q)tar -C $(CURDIR) --exclude=./.git --exclude=./build --exclude='./$(BUILD)' \
		--exclude='*.o' --exclude='*.d' --exclude=__pycache__ \
		--sort=name --owner=0 --group=0 --numeric-owner \
		--transform 's,^\.,ja4sentinel-$(PKG_VERSION),' -czf $(PKG_TARBALL) .
endif
	$(Q)cp $(PKG_SPEC) $(RPM_TOPDIR)/SPECS/
	$(call msg,RPMBUILD,$(RPM_TOPDIR))
	$(Q)$(RPMBUILD) -ba --nodeps --define '_topdir $(RPM_TOPDIR)' $(RPM_HOST_ARGS) $(RPMBUILD_ARGS) \
		$(RPM_TOPDIR)/SPECS/ja4sentinel.spec
	$(Q)ls -1 $(RPM_TOPDIR)/RPMS/*/*.rpm $(RPM_TOPDIR)/SRPMS/*.rpm

rpmlint:
	$(Q)command -v $(RPMLINT) >/dev/null || { echo "make rpmlint: $(RPMLINT) not found (dnf install rpmlint, apt-get install rpmlint)" >&2; exit 1; }
	$(Q)ls $(RPM_TOPDIR)/RPMS/*/*.rpm >/dev/null 2>&1 || { echo "make rpmlint: no RPM under $(RPM_TOPDIR); run make rpm" >&2; exit 1; }
	@# -debuginfo/-debugsource are rpm's own output (find-debuginfo), not the spec's.
	$(Q)$(RPMLINT) -c packaging/rpm/rpmlint.toml $(PKG_SPEC) \
		$$(ls $(RPM_TOPDIR)/RPMS/*/*.rpm | grep -v -e '-debuginfo-' -e '-debugsource-') $(RPM_TOPDIR)/SRPMS/*.rpm

man:
	$(Q)out=$$(LC_ALL=C.UTF-8 groff -man -ww -z packaging/man/ja4sentinel.8 2>&1); \
		if [ -n "$$out" ]; then echo "$$out" >&2; exit 1; fi; echo "packaging/man/ja4sentinel.8: no groff warnings"
# ==== end of packaging ========================================================

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/asan/obj/*.d $(BUILD)/unit/*.d $(BUILD)/asan/unit/*.d \
	$(BUILD)/fuzz/obj/*.d $(BUILD)/fuzz/*.d $(BUILD)/bpf/*.d)

# ==== Kernel matrix (scripts/kernel-matrix.sh, tests/kernels/) ================
# kernel-matrix builds `all`, `bpftest` and the verifier-log probe below first.
#   make kernel-matrix [KERNELS=5.10,6.1,6.12,host] [KERNEL_MATRIX_ARGS=...]
# boots Debian's kernels under qemu (KVM, else TCG), runs the BPF and live
# tests in each and on this machine's kernel, and (for the whole default
# list) rewrites the matrix in docs/compatibility.md. Needs root. Kernels
# are cached in $(BUILD)/kernels.
KERNELS ?= 5.10,6.1,6.12,host
KERNEL_MATRIX_ARGS ?=

.PHONY: kernel-matrix

$(BUILD)/kernels/verifier_log: tests/kernels/verifier_log.c $(BUILD)/bpf/ja4sentinel.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PC_LIBS) -o $@

kernel-matrix: all bpftest $(BUILD)/kernels/verifier_log
	$(Q)BUILD=$(BUILD) scripts/kernel-matrix.sh --kernels $(KERNELS) $(KERNEL_MATRIX_ARGS)
# ==== end of kernel matrix ====================================================
