# SPDX-License-Identifier: GPL-2.0
# iketcp: build, test, demo, bench, install.  `make help` lists the targets.
# The module itself is built by Kbuild (see Kbuild and kernel/Kbuild).

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
CACHE ?= /var/cache/iketcp
export IKETCP_CACHE := $(CACHE)

# Debian kernel release of the newest installed headers; KVER= overrides.
KVER ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -1)

# KERNEL= picks the kernel the VM tests run on (and the module is built for):
#   (empty)     Debian's $(KVER), module in kernel/iketcp.ko
#   6.1, 6.12   the newest installed Debian kernel of that series
#   debug, ref  kernels from `make kernel-debug` / `make kernel-ref`
KERNEL ?=
ifeq ($(KERNEL),)
VM_KDIR = /lib/modules/$(KVER)/build
VM_MODDIR = $(TOP)
VM_ARGS = --kver $(KVER)
else ifneq ($(filter debug ref,$(KERNEL)),)
VM_KDIR = $(shell $(TOP)/selftests/vm/build-kernel --path-only $(KERNEL))
VM_MODDIR = $(BUILD)/mod-$(KERNEL)
# their espintcp's known bugs are named, not failures (README)
VM_ARGS = --kernel $(VM_KDIR)/arch/x86/boot/bzImage \
	--known-issues $(TOP)/selftests/vm/known-issues
else
SERIES_KVER = $(shell ls -d /usr/src/linux-headers-$(KERNEL).*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -1)
VM_KDIR = /lib/modules/$(SERIES_KVER)/build
VM_MODDIR = $(BUILD)/mod-$(KERNEL)
VM_ARGS = --kver $(SERIES_KVER)
endif
VM_KO = $(VM_MODDIR)/kernel/iketcp.ko
# Whole VM runs: the debug kernel is 5-10x slower than Debian's.
VM_TIMEOUT ?= $(if $(filter debug,$(KERNEL)),7200,3600)
# ... and so is each C test's kselftest_harness timeout (selftests/lib's alarm())
VM_TIMEOUT_SCALE ?= $(if $(filter debug,$(KERNEL)),8,1)

# Files of linux-source-6.1 the build needs: the kselftest harness and
# checkpatch.  Extracted once into the cache; build/ksrc points there.
KSRC := $(CACHE)/ksrc-6.1
KSRC_FILES := tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h scripts/checkpatch.pl \
	scripts/spelling.txt scripts/const_structs.checkpatch

DEB_PACKAGES := linux-headers-amd64 linux-image-amd64 qemu-system-x86 \
	busybox-static kmod cpio iproute2 iputils-ping iperf3 nftables tcpdump \
	libmnl-dev libnl-3-dev libnl-xfrm-3-dev libssl-dev libinih-dev \
	libjson-c-dev libcap-dev pkg-config clang sparse \
	linux-source-6.1 gcc make bc flex bison libelf-dev dkms xz-utils \
	libclang-rt-14-dev python3 python3-yaml ethtool valgrind gnuplot-nox \
	charon-systemd strongswan-swanctl libstrongswan-standard-plugins \
	libstrongswan-extra-plugins
# Debian 12's backported 6.12 kernel (the series Debian 13 ships).
BPO_SERIES := 6.12.95+deb12
DEB_PACKAGES_612 := linux-image-$(BPO_SERIES)-amd64 \
	linux-headers-$(BPO_SERIES)-amd64

CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-I$(TOP)/include -I$(TOP)/user
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
KSFT_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(TOP)/include -I$(TOP)/user \
	-I$(KSRC)/tools/testing/selftests

# espintcp_race: a proof about the kernel's own espintcp (README, known
# issues), run by hand on the reference kernel, not a test of ours.
VM_TESTS_C := $(filter-out espintcp_race,$(patsubst selftests/%.c,%,$(wildcard selftests/*.c)))
VM_TESTS_SH := $(filter-out demo vm-tests,$(patsubst selftests/%.sh,%,$(wildcard selftests/*.sh)))
TESTS ?= $(VM_TESTS_C) $(VM_TESTS_SH)
# The helper's tests (userspace over XFRM): make check runs them on one
# kernel series, DAEMON_KERNEL, to keep its time; the module's tests run
# on every series of CHECK_KERNELS.
# interop_libreswan_tcp needs the kernel's own espintcp (pluto puts it on
# its TCP socket): it runs on the reference kernel only, in REF_TESTS.
REF_ONLY_TESTS := interop_libreswan_tcp
DAEMON_TESTS := $(filter-out $(REF_ONLY_TESTS),$(filter iketcpd% interop% xfrm_own,$(TESTS)))
MODULE_TESTS := $(filter-out $(DAEMON_TESTS) $(REF_ONLY_TESTS),$(TESTS))
DAEMON_KERNEL ?= 6.12
# The router configuration of the ESP suite (esp_router, 5 combinations of
# family, mode and encapsulation, about 45 s each) runs on every series,
# but make check shares the combinations out to keep its time: each leg has
# IPv4 and IPv6 bare ESP (the offload path of issue 17), ESP in UDP, and
# between them all five; make check-vm alone runs all five.
ROUTER_COMBOS_6.1 ?= 4:tunnel:none 6:transport:none 4:tunnel:udp
ROUTER_COMBOS_6.12 ?= 6:tunnel:none 4:tunnel:none:dual 4:tunnel:udp
# The tests of a make check leg for kernel series $(1).
leg_tests = $(if $(filter $(1),$(DAEMON_KERNEL)),$(DAEMON_TESTS)) $(MODULE_TESTS)
UNIT_TESTS := $(patsubst selftests/unit/%.c,%,$(wildcard selftests/unit/*.c))
SELFTEST_LIB := $(wildcard selftests/lib/*.c)

.PHONY: all help deps deps-6.12 module module-vm user selftests unit \
	check check-unit check-harness check-vm demo bench fuzz check-fuzz-seeds install dkms kernel-debug \
	check-mlkem check-mlkem-slow check-mlkem-diff \
	kernel-ref checkpatch sparse clean

all: module user selftests

help:
	@echo 'make deps          install build and test dependencies (apt)'
	@echo 'make               module ($(KVER)), iketcpd, test programs'
	@echo 'make check         unit tests, then VM tests; summary line at the end'
	@echo 'make check-unit    host unit tests under ASan+UBSan'
	@echo 'make check-vm      VM tests [KERNEL=6.1|6.12|debug|ref] [TESTS="a b"]'
	@echo 'make demo          boot a VM and show the module at work'
	@echo 'make bench         benchmarks; tables under build/bench/ (BENCH_PARTS="transports ...": some)'
	@echo 'make fuzz          run the libFuzzer targets briefly'
	@echo 'make kernel-debug  build the debug kernel (20-30 min, cached)'
	@echo 'make kernel-ref    build the reference kernel (15-20 min, cached)'
	@echo 'make checkpatch sparse   kernel code checks'
	@echo 'make install       install module and iketcpd; make dkms: DKMS'

# ---------------------------------------------------------------- deps
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing \
			>/dev/null || exit 1; \
	fi
	@$(MAKE) --no-print-directory $(KSRC)/.done
	@mkdir -p $(BUILD) && ln -sfn $(KSRC) $(BUILD)/ksrc
	@# libreswan conflicts with strongSwan as a package: unpacked beside it
	@$(TOP)/selftests/peers/libreswan-prefix.sh > /dev/null

$(KSRC)/.done:
	@echo "deps: extracting kselftest headers and checkpatch into $(KSRC)"
	@rm -rf $(KSRC) && mkdir -p $(KSRC) && \
	tar -C $(KSRC) --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		$(addprefix linux-source-6.1/,$(KSRC_FILES)) && touch $@

deps-6.12:
	@n=$$(dpkg-query -W -f='$${Status}\n' $(DEB_PACKAGES_612) 2>/dev/null | \
		grep -c 'ok installed'); \
	if [ "$$n" != 2 ]; then \
		echo "deps: adding bookworm-backports for Linux $(BPO_SERIES)"; \
		printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
		'Suites: bookworm-backports' 'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
		> /etc/apt/sources.list.d/iketcp-backports.sources; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends \
			$(DEB_PACKAGES_612) >/dev/null || exit 1; \
	fi

# -------------------------------------------------------------- module
# Kbuild does not notice a different kernel: clean when KVER changes.
module:
	@if [ "$$(cat kernel/.kver 2>/dev/null)" != "$(KVER)" ]; then \
		$(MAKE) -s -C /lib/modules/$(KVER)/build M=$(TOP) clean; fi
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) W=1 modules
	@echo "$(KVER)" > kernel/.kver

# The module for KERNEL=...: built in a tree of links under build/.
module-vm:
ifeq ($(KERNEL),)
	@$(MAKE) --no-print-directory module
else
	@test -d "$(VM_KDIR)" || { echo "no kernel build dir for KERNEL=$(KERNEL)"; exit 2; }
	@# From scratch (seconds): an interrupted build must not leave a bad .ko.
	@rm -rf $(VM_MODDIR) && mkdir -p $(VM_MODDIR)/kernel
	@ln -sf $(TOP)/Kbuild $(VM_MODDIR)/Kbuild
	@ln -sfn $(TOP)/include $(VM_MODDIR)/include
	@# Sources only: a link to a generated file (iketcp.mod.c) would let
	@# this build write through it into the tree's own build.
	@for f in $(TOP)/kernel/*.[ch] $(TOP)/kernel/Kbuild; do \
		case $$f in *.mod.c) continue;; esac; \
		ln -sf $$f $(VM_MODDIR)/kernel/; done
	$(MAKE) -C $(VM_KDIR) M=$(VM_MODDIR) W=1 modules
endif

kernel-debug kernel-ref:
	$(TOP)/selftests/vm/build-kernel $(@:kernel-%=%)

checkpatch: deps
	perl $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		--show-types -f $(filter-out %.mod.c,$(wildcard kernel/*.[ch])) \
		include/*.h include/uapi/linux/*.h

sparse:
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) W=1 C=2 modules

# ---------------------------------------------------------------- user
user: $(BUILD)/user/.done

$(BUILD)/user/.done: $(wildcard user/*.c user/*.h user/*/*.c user/*/*.h) $(wildcard include/*.h include/uapi/linux/*.h)
	@mkdir -p $(BUILD)/user
	@if [ -f user/Makefile ]; then $(MAKE) -C user TOP=$(TOP) BUILD=$(BUILD); fi
	@touch $@

# ---------------------------------------------------------- selftests
TOOLS := $(patsubst selftests/tools/%.c,%,$(wildcard selftests/tools/*.c))
selftests: $(addprefix $(BUILD)/selftests/,$(VM_TESTS_C)) \
	$(addprefix $(BUILD)/tools/,$(TOOLS))

$(BUILD)/tools/%: selftests/tools/%.c include/uapi/linux/iketcp.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -o $@ $(filter %.c,$^)

# iketcp-sock speaks generic netlink through the selftests' client.
$(BUILD)/tools/iketcp-sock: selftests/lib/genl_sa.c selftests/lib/genl_sa.h

# xfrm_own tests user/sys/xfrm.c itself (one translation unit with it).
$(BUILD)/selftests/xfrm_own: selftests/xfrm_own.c user/sys/xfrm.c user/sys/xfrm.h \
		user/nlmsg.c user/nlmsg.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -o $@ $< \
		$$(pkg-config --cflags --libs libnl-xfrm-3.0 libnl-3.0 libmnl)

$(BUILD)/selftests/%: selftests/%.c $(SELFTEST_LIB) $(wildcard selftests/lib/*.h) \
		include/uapi/linux/iketcp.h include/iketcp_framing.h | $(KSRC)/.done
	@mkdir -p $(dir $@)
	$(CC) $(KSFT_CFLAGS) -o $@ $< $(SELFTEST_LIB) -lpthread

$(BUILD)/unit/%: selftests/unit/%.c include/iketcp_framing.h \
		$(wildcard selftests/unit/*.h) | $(KSRC)/.done
	@mkdir -p $(dir $@)
	$(CC) $(KSFT_CFLAGS) $(SAN) -o $@ $<

unit: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

# ------------------------------------------------------------- checks
# Every suite prints KTAP; selftests/summarize counts the whole log.
# CHECK_KERNELS="6.12 6.1" runs the VM tests on each (default: $(KVER)).
# "ref" among them builds the reference kernel once (make kernel-ref, cached)
# and runs REF_TESTS on it: the tests that need the kernel's own espintcp.
# That build (14 min on a fresh machine) starts at nice 19 beside the other
# legs, whose VMs leave the CPUs idle much of the time, and is waited for
# before the ref leg; its output goes to build/kernel-ref.log.
# CHECK_LEGS picks the legs: unit, harness, vm (default all three).
# esp_router's share of each series (ROUTER_COMBOS_*) reaches the VM in
# the environment, IKETCP_ROUTER_COMBOS, not as a make argument: a failed
# leg's name stays the make command (selftests/verdict checks it).
# A leg that exits non-zero (it did not build, its VM died, a test failed)
# becomes a "not ok N leg ..." line after the "check: ..." line, so that the
# summary fails even when the leg never printed a result.
CHECK_LEGS ?= unit harness vm
REF_TESTS ?= espintcp_wire interop_libreswan_tcp
check: deps
	@mkdir -p $(BUILD) && rm -f $(BUILD)/summary
	@{ failed=(); u=- h=- v=-; \
	  leg() { $(MAKE) --no-print-directory "$$@"; local rc=$$?; \
		[ $$rc = 0 ] || failed+=("$$* # exit $$rc"); return $$rc; }; \
	  router_combos() { case $$1 in 6.1) echo "$(ROUTER_COMBOS_6.1)" ;; \
		6.12) echo "$(ROUTER_COMBOS_6.12)" ;; esac; }; \
	  $(if $(and $(filter vm,$(CHECK_LEGS)),$(filter ref,$(CHECK_KERNELS))), \
	  nice -n 19 $(MAKE) --no-print-directory kernel-ref \
		> $(BUILD)/kernel-ref.log 2>&1 & refpid=$$!;) \
	  $(if $(filter unit,$(CHECK_LEGS)),leg check-unit; u=$$?;) \
	  $(if $(filter harness,$(CHECK_LEGS)),leg check-harness; h=$$?;) \
	  $(if $(filter vm,$(CHECK_LEGS)),v=0; \
	  $(if $(filter 6.12,$(CHECK_KERNELS)),leg deps-6.12 || v=1;) \
	  for k in $(or $(CHECK_KERNELS),default); do \
		if [ $$k = ref ]; then \
			[ -z "$${refpid:-}" ] || wait $$refpid; \
			leg kernel-ref && \
			leg check-vm KERNEL=ref TESTS="$(REF_TESTS)" || v=1; \
		elif [ $$k = default ]; then leg check-vm || v=1; \
		elif [ $$k = $(DAEMON_KERNEL) ]; then \
			IKETCP_ROUTER_COMBOS="$$(router_combos $$k)" leg check-vm \
			KERNEL=$$k TESTS="$(strip $(call leg_tests,$(DAEMON_KERNEL)))" || v=1; \
		else IKETCP_ROUTER_COMBOS="$$(router_combos $$k)" leg check-vm \
			KERNEL=$$k TESTS="$(strip $(call leg_tests,$$k))" || v=1; fi; done;) \
	  echo "check: unit exit $$u, harness exit $$h, vm exit $$v"; \
	  for i in "$${!failed[@]}"; do \
		echo "not ok $$((i + 1)) leg $${failed[i]}"; done; } 2>&1 | \
	  tee $(BUILD)/check.log; \
	$(TOP)/selftests/summarize $(BUILD)/check.log $(BUILD)/summary

# Every program runs even when one fails; its exit status is the leg's.
check-unit: unit user
	@rc=0; for t in $(UNIT_TESTS); do echo "# unit: $$t"; \
		$(BUILD)/unit/$$t || { echo "# $$t exited with status $$?"; rc=1; }; \
	done; \
	if [ -f user/Makefile ]; then $(MAKE) --no-print-directory -C user \
		TOP=$(TOP) BUILD=$(BUILD) check || rc=1; fi; \
	echo "# unit: yaml_sync"; $(TOP)/selftests/unit/yaml_sync.sh || rc=1; \
	echo "# unit: fuzz seeds"; $(MAKE) --no-print-directory check-fuzz-seeds || rc=1; \
	echo "# unit: mlkem"; $(MAKE) --no-print-directory check-mlkem || rc=1; \
	exit $$rc

# ML-KEM (issue 21) beyond test_mlkem.c: the 10 000-test accumulated hashes
# of ../shared/vectors, unsanitized (about 8 s; minutes under ASan), and
# the constant-time proof under valgrind memcheck.  check-mlkem-slow: the
# 1 000 000-test hashes (about 20 min).  check-mlkem-diff: against OpenSSL
# 3.5 in a Debian 13 chroot (selftests/mlkem/diff-openssl35.sh; slow the
# first time, not part of make check).
IKETCP_VECTORS ?= $(TOP)/selftests/vectors
MLKEM_SRCS := user/crypto/mlkem.c user/crypto/rand.c
$(BUILD)/mlkem/accumulated: selftests/mlkem/accumulated.c $(MLKEM_SRCS) \
		user/crypto/mlkem.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -o $@ $< $(MLKEM_SRCS) -lcrypto

check-mlkem: $(BUILD)/mlkem/accumulated
	@rc=0; IKETCP_VECTORS=$(IKETCP_VECTORS) $(BUILD)/mlkem/accumulated 10000 || rc=1; \
	$(TOP)/selftests/mlkem/ct-valgrind.sh $(BUILD)/mlkem || rc=1; exit $$rc

check-mlkem-slow: $(BUILD)/mlkem/accumulated
	IKETCP_VECTORS=$(IKETCP_VECTORS) $(BUILD)/mlkem/accumulated 1000000

check-mlkem-diff:
	IKETCP_CACHE=$(CACHE) $(TOP)/selftests/mlkem/diff-openssl35.sh $(BUILD)/mlkem

# Only the tests asked for are built: one broken test does not stop others.
VM_BUILD = $(addprefix $(BUILD)/selftests/,$(filter $(VM_TESTS_C),$(TESTS))) \
	$(addprefix $(BUILD)/tools/,$(TOOLS))

# A user/ktap.h unit test whose cases crash, for selftests/verdict.
$(BUILD)/verdict/ktap_crash: selftests/verdict/ktap_crash.c user/ktap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(SAN) -o $@ $<

# The verdict of make check (no VM), then the VM harness itself: exit codes,
# and a WARN or a hung task from a test module fails it.
check-harness: $(BUILD)/verdict/ktap_crash
	@rc=0; $(TOP)/selftests/verdict/test-verdict.sh $(BUILD)/verdict || rc=1; \
	KVER=$(KVER) $(TOP)/selftests/vm/test-harness.sh || rc=1; exit $$rc

# A throw-away test PKI, made on the host (seconds; minutes in the VM).
$(BUILD)/pki/.done: selftests/certs/make-certs.sh
	@rm -rf $(BUILD)/pki && mkdir -p $(BUILD)/pki
	sh selftests/certs/make-certs.sh $(BUILD)/pki > $(BUILD)/pki.log 2>&1
	@touch $@

check-vm: $(if $(filter 6.12,$(KERNEL)),deps-6.12) module-vm user $(VM_BUILD) \
		$(if $(filter interop_cert interop_libreswan iketcpd_large,$(TESTS)),$(BUILD)/pki/.done)
	@start=$$(date +%s); \
	$(TOP)/selftests/vm/run $(VM_ARGS) --timeout $(VM_TIMEOUT) --module $(VM_KO) \
		--env IKETCP_MODULE=$(VM_KO) --env IKETCP_TEST_PKI=$(BUILD)/pki \
		--env IKETCP_TIMEOUT_SCALE=$(VM_TIMEOUT_SCALE) -- \
		$(TOP)/selftests/vm-tests.sh $(TESTS); rc=$$?; \
	echo "check-vm: KERNEL=$(or $(KERNEL),$(KVER)) took $$(( $$(date +%s) - start )) s, exit $$rc"; \
	exit $$rc

# deps first, in its own make: KVER is read when make starts, and a fresh
# machine has no kernel headers before deps.
demo bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $@-run

demo-run: all
	$(TOP)/selftests/vm/run $(VM_ARGS) --module $(VM_KO) --env IKETCP_MODULE=$(VM_KO) -- $(TOP)/selftests/demo.sh

BENCH_BINS = $(addprefix $(BUILD)/bench/bin/,ikebench-rr ikebench-mem ikebench-encap \
	kex_bench)

# kex_bench: ML-KEM-768 against X25519 through user/crypto/kex.c, on the host.
KEX_BENCH_SRCS := user/crypto/kex.c user/crypto/mlkem.c user/crypto/mlkem_evp.c \
	user/crypto/rand.c
$(BUILD)/bench/bin/kex_bench: selftests/bench/kex_bench.c $(KEX_BENCH_SRCS) \
		user/crypto/crypto.h user/crypto/mlkem.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -o $@ $< $(KEX_BENCH_SRCS) -lcrypto

$(BUILD)/bench/bin/%: selftests/bench/%.c include/uapi/linux/iketcp.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -o $@ $<

# One VM boot per kernel: Debian's $(KVER) (ULP round trips, memory, ESP
# over UDP vs TCP), then the reference kernel if `make kernel-ref` built it
# (iketcp vs espintcp), then Debian's 6.12 for iketcpd's handshake under loss
# (selftests/bench/handshake.sh), the comparison with other IKE daemons
# (peers.sh, capacity.sh) and the IKE/ESP transports (transports.sh).
# BENCH_PARTS="transports ..." runs only those parts (bench.sh names them).
# BENCH_* knobs: selftests/bench/run.sh and each part's script.  Tables:
# build/bench/README.md.  Never fails on a missed target.
bench-run: all $(BENCH_BINS)
	KVER=$(KVER) $(TOP)/selftests/bench/bench.sh $(BUILD)/bench $(BENCH_PARTS)

# libFuzzer targets: the TCP framing, the IKE message parser, the config
# parser, the RFC 7383 reassembly.  `make fuzz` runs each for FUZZ_SECONDS
# (60); make check replays the committed seeds of each
# (selftests/fuzz/corpus-NAME) once.
FUZZ_TARGETS := framing ike_msg config frag mlkem
FUZZ_CC = clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
	-D_GNU_SOURCE -I$(TOP)/include -I$(TOP)/user
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz_framing: selftests/fuzz/fuzz_framing.c include/iketcp_framing.h \
		| $(KSRC)/.done
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -o $@ $<
$(BUILD)/fuzz/fuzz_ike_msg: selftests/fuzz/fuzz_ike_msg.c user/ike/msg.c user/ike/msg.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -o $@ $< user/ike/msg.c
$(BUILD)/fuzz/fuzz_config: selftests/fuzz/fuzz_config.c user/config.c user/proposal.c \
		user/config.h user/proposal.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -o $@ $< user/config.c user/proposal.c \
		$$(pkg-config --cflags --libs inih libcrypto)
FUZZ_FRAG_SRCS := user/ike/frag.c user/ike/msg.c user/crypto/sk.c \
	user/crypto/prf.c user/crypto/rand.c
$(BUILD)/fuzz/fuzz_frag: selftests/fuzz/fuzz_frag.c $(FUZZ_FRAG_SRCS) \
		user/ike/frag.h user/ike/msg.h user/crypto/crypto.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -o $@ $< $(FUZZ_FRAG_SRCS) \
		$$(pkg-config --cflags --libs libcrypto)
FUZZ_MLKEM_SRCS := user/crypto/kex.c user/crypto/mlkem.c user/crypto/mlkem_evp.c \
	user/crypto/rand.c
$(BUILD)/fuzz/fuzz_mlkem: selftests/fuzz/fuzz_mlkem.c $(FUZZ_MLKEM_SRCS) \
		user/crypto/crypto.h user/crypto/mlkem.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -o $@ $< $(FUZZ_MLKEM_SRCS) \
		$$(pkg-config --cflags --libs libcrypto)

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		echo "# fuzz: $$t, $(or $(FUZZ_SECONDS),60) s"; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(or $(FUZZ_SECONDS),60) \
			-max_len=4096 $(BUILD)/fuzz/corpus-$$t \
			$(wildcard selftests/fuzz/corpus-$$t) || exit 1; done

# Each seed once, as a KTAP line per target: a crash is a "not ok".
check-fuzz-seeds: $(FUZZ_BINS)
	@echo "1..$(words $(FUZZ_TARGETS))"; n=0 rc=0; \
	for t in $(FUZZ_TARGETS); do n=$$((n + 1)); \
		seeds=$$(ls -d $(TOP)/selftests/fuzz/corpus-$$t/* 2>/dev/null); \
		if [ -z "$$seeds" ]; then echo "not ok $$n fuzz_seeds_$$t # no seeds"; \
			rc=1; continue; fi; \
		if $(BUILD)/fuzz/fuzz_$$t $$seeds > $(BUILD)/fuzz/replay-$$t.log 2>&1; \
		then echo "ok $$n fuzz_seeds_$$t"; \
		else echo "not ok $$n fuzz_seeds_$$t"; rc=1; \
			tail -20 $(BUILD)/fuzz/replay-$$t.log | sed 's/^/# /'; fi; \
	done; exit $$rc

# ------------------------------------------------------------- install
install: module user
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)
	$(MAKE) -C user TOP=$(TOP) BUILD=$(BUILD) install

dkms:
	dkms add $(TOP) && dkms build iketcp/0.1 -k $(KVER) && \
		dkms install iketcp/0.1 -k $(KVER)

clean:
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) clean
	rm -rf $(BUILD)
