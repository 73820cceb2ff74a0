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
CORE := packet reasm flow hello fp_hash fp_ja4 fp_ja3 record
MODS := $(CORE) config log output out_stdout out_file out_unix pipeline stats capture_pcap \
	loop notify ifaddr
ifeq ($(BPF),1)
MODS += capture_bpf capture_tc capture_xdp
else
MODS += capture_nobpf
endif
OBJS := $(MODS:%=$(BUILD)/obj/%.o)

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZERS    := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all clean test unit asan fuzz fuzz-smoke corpus bench install help bpftest

all: $(BUILD)/ja4sentinel

help:
	@echo "make            build $(BUILD)/ja4sentinel"
	@echo "make test       unit, corpus, ASan+UBSan and fuzz-smoke tests (counting line at the end)"
	@echo "make unit       unit tests only;  make corpus  corpus test only"
	@echo "make fuzz       build the libFuzzer harnesses (clang);  make bench  offline benchmark"
	@echo "V=1 full commands, WERROR=1 warnings are errors"

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
$(BUILD)/unit/%: tests/unit/%.c $(OBJS) | $(BUILD)/unit
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) $< $(OBJS) $(PC_LIBS) -lcmocka -o $@

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS := $(MODS:%=$(BUILD)/asan/obj/%.o)

$(BUILD)/asan/obj/%.o: user/%.c | $(BUILD)/asan/obj
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c $< -o $@

$(BUILD)/asan/unit/%: tests/unit/%.c $(ASAN_OBJS) | $(BUILD)/asan/unit
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests/unit $(ALL_LDFLAGS) $< $(ASAN_OBJS) $(PC_LIBS) -lcmocka -o $@

$(BUILD)/asan/ja4sentinel: $(ASAN_OBJS) $(BUILD)/asan/obj/main.o
	$(call msg,ASAN-LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) $(ALL_LDFLAGS) $^ $(PC_LIBS) -o $@

# ---- libFuzzer harnesses (clang only) ----
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude $(PC_CFLAGS)
FUZZ_SRCS := $(CORE:%=user/%.c)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) include/*.h | $(BUILD)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $< $(FUZZ_SRCS) $(PC_LIBS) -o $@

# ---- kernel program tests (BPF_PROG_TEST_RUN; root) ----
$(BUILD)/bpftest/test_bpf: tests/bpf/test_bpf.c $(BUILD)/bpf/ja4sentinel.skel.h | $(BUILD)/bpftest
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PC_LIBS) -lcmocka -o $@

bpftest: $(BUILD)/bpftest/test_bpf

unit: $(UNIT_TESTS:%=$(BUILD)/unit/%)
asan: $(UNIT_TESTS:%=$(BUILD)/asan/unit/%) $(BUILD)/asan/ja4sentinel
fuzz: $(FUZZERS:%=$(BUILD)/fuzz/%)

ifeq ($(BPF),1)
test: bpftest
endif
test: all unit asan fuzz
	$(Q)tests/run.sh

corpus: all
	$(Q)tests/run.sh corpus

bench: all
	$(Q)bench/run.sh

$(BUILD)/obj $(BUILD)/unit $(BUILD)/asan/obj $(BUILD)/asan/unit $(BUILD)/fuzz $(BUILD)/bpf \
$(BUILD)/bpftest:
	$(Q)mkdir -p $@

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/asan/obj/*.d $(BUILD)/unit/*.d $(BUILD)/asan/unit/*.d \
	$(BUILD)/bpf/*.d)
