# mpmscope — build, test and demo.
#   make          build build/mpmscope
#   make demo     install what is missing, build, compare the three MPMs (seed baseline)
#   make test     install what is missing, build, run every test
#   make vmlinux  regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
CPPFLAGS += -I$(BUILD) -Ibpf -Iuser -D_GNU_SOURCE -DMPMSCOPE_VERSION='"$(VERSION)"' \
	-DMPMSCOPE_PREFIX='"$(PREFIX)"'
# OpenSSL (libssl-dev): the load generator's TLS and the run's certificate
OPENSSL_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)
OPENSSL_LIBS := $(or $(shell pkg-config --libs openssl 2>/dev/null),-lssl -lcrypto)
CPPFLAGS += $(OPENSSL_CFLAGS)
LDLIBS += -lbpf -lelf -lz -lhttp_parser -lcap $(OPENSSL_LIBS) -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
	-Wall -Wno-unused-function -mcpu=v3 $(BPF_EXTRA)

# The BPF programs, one file per concern, linked into one object in this order
# (the skeleton's program order, so the order in which they attach).
BPF_UNITS := maps tasks syscalls listen sched sockets
BPF_OBJS := $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(BPF_UNITS))
SKELS := $(BUILD)/mpmscope.skel.h
ifneq ($(sort $(BPF_UNITS)),$(sort $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))))
$(error BPF_UNITS ($(BPF_UNITS)) must name every bpf/*.bpf.c once)
endif

# user/ is a tree of layers (base, scenario, apache, load, trace, model,
# report, cmd: see README, Architecture); includes name their layer.
USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_TOOLS_SRCS := $(wildcard tests/tools/*.c)
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TEST_TOOLS_SRCS))

.PHONY: all deps demo test unit-test test-tools vmlinux clean install uninstall
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/mpmscope

$(BUILD) $(BUILD)/bpf $(BUILD)/user $(BUILD)/tests:
	@mkdir -p $@

# --- BPF: CO-RE objects against the vendored vmlinux.h, linked, then the skeleton
# Each file compiles on its own (maps and knobs are extern but in maps.bpf.c);
# libbpf's static linker (bpftool gen object) resolves them into one object.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/mpmscope.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/mpmscope.skel.h: $(BUILD)/mpmscope.bpf.o
	$(BPFTOOL) gen skeleton $< name mpmscope_bpf > $@

# --- user space ----------------------------------------------------------------
# Only the tracer includes the skeletons: the rest builds without clang/bpftool.
# Header dependencies come from the compiler (-MMD).
$(BUILD)/user/trace/tracer.o: $(SKELS)
$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

-include $(USER_OBJS:.o=.d)

$(BUILD)/mpmscope: $(USER_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# --- tests ---------------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) $< $(LIB_OBJS) $(LDLIBS) -o $@

# the tools share the base layer's helpers (write_all, sleep_ms), nothing else
$(BUILD)/tests/%: tests/tools/%.c $(BUILD)/user/base/util.o | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $^ -lpthread -o $@

unit-test: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

test-tools: $(TEST_TOOLS)

# deps first, then the build: under make -j the two would race (a fresh
# machine compiles before libbpf-dev is installed).
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TEST_TOOLS) $(CORE_CHECK)
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/mpmscope compare -s baseline

# Debian 12 packages: what building and running need, what the tests add,
# and what `make deb` needs (dpkg-buildpackage, debhelper, lintian).
DEB_PKGS := make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libhttp-parser-dev libcap-dev \
	libssl-dev pkg-config apache2-bin iproute2 procps $(PHP_PKGS)
# the php scenarios' PHP: mod_php (prefork) and php-fpm (worker, event), each
# run privately by mpmscope (its own php.ini / conf: nothing from /etc/php)
PHP_PKGS := libapache2-mod-php8.2 php8.2-fpm
TEST_PKGS := php8.2-cli jq apache2-utils chromium prometheus curl fonts-noto-cjk man-db groff libcap2-bin \
	systemd git dpkg-dev debhelper lintian fakeroot bash-completion
DEB_BUILD_PKGS := dpkg-dev debhelper lintian fakeroot
# node and npm run the tests' JSON Schema validator; a machine whose node
# already brings npm (not a Debian package then) keeps it
NODE_PKGS := $(if $(shell command -v npm 2>/dev/null),,nodejs npm)

deps:
	@missing=; for p in $(DEB_PKGS) $(if $(filter test,$(MAKECMDGOALS)),$(TEST_PKGS) $(NODE_PKGS)) \
		$(if $(filter deb,$(MAKECMDGOALS)),$(DEB_BUILD_PKGS)); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@$(if $(filter test,$(MAKECMDGOALS)),$(MAKE) --no-print-directory $(AJV))

# The tests' JSON Schema validator (ajv-cli, pinned by tests/schema/package-lock.json)
AJV := $(BUILD)/node/node_modules/.bin/ajv
$(AJV): tests/schema/package.json tests/schema/package-lock.json
	@mkdir -p $(BUILD)/node
	cp tests/schema/package.json tests/schema/package-lock.json $(BUILD)/node/
	cd $(BUILD)/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h.tmp
	mv vmlinux/$(ARCH)/vmlinux.h.tmp vmlinux/$(ARCH)/vmlinux.h

# The binary finds its scenarios at ../share/mpmscope/scenarios from itself,
# whatever PREFIX and DESTDIR say (user/scenario/files.c).
install: all
	install -D -m 0755 $(BUILD)/mpmscope $(DESTDIR)$(PREFIX)/bin/mpmscope
	install -d $(DESTDIR)$(PREFIX)/share/mpmscope/scenarios $(DESTDIR)$(PREFIX)/share/mpmscope/schema
	install -m 0644 scenarios/*.scn $(DESTDIR)$(PREFIX)/share/mpmscope/scenarios/
	install -m 0644 doc/schema/*.schema.json $(DESTDIR)$(PREFIX)/share/mpmscope/schema/
	install -m 0644 doc/grafana-dashboard.json $(DESTDIR)$(PREFIX)/share/mpmscope/
	install -D -m 0644 doc/mpmscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/mpmscope.1
	install -D -m 0644 doc/mpmscope.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mpmscope

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mpmscope
	rm -rf $(DESTDIR)$(PREFIX)/share/mpmscope
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/mpmscope.1
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mpmscope

# make deb: build/mpmscope_VERSION_amd64.deb with dpkg-buildpackage (debian/),
# from a copy of this tree in build/deb/ (dpkg-buildpackage writes its
# results beside the source directory), then lintian on it.
DEB_DIR := $(BUILD)/deb
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := $(BUILD)/mpmscope_$(VERSION)_$(DEB_ARCH).deb
.PHONY: deb
deb: deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/mpmscope-$(VERSION)
	tar --exclude=./build --exclude=./build-asan --exclude=./build-tsan --exclude=./.git -cf - . | tar -xf - -C $(DEB_DIR)/mpmscope-$(VERSION)
	cd $(DEB_DIR)/mpmscope-$(VERSION) && DEB_BUILD_OPTIONS="parallel=$$(nproc) $${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	cp $(DEB_DIR)/mpmscope_$(VERSION)_$(DEB_ARCH).deb $(DEB)
	lintian --info --display-info $(DEB_DIR)/*.changes 2>&1 | grep -v "^running with root" | tee $(DEB_DIR)/lintian.log
	@echo "deb: $(DEB) ($$(stat -c %s $(DEB)) bytes)"

clean:
	rm -rf $(BUILD)

# ==== kernels (issue 10): CO-RE checked on a second kernel ======================
# make test-kernels: boots Debian 12's own current kernel (linux-image-6.1.0-*-amd64,
# found through linux-image-amd64's dependency, cached in build/kernels/) under
# qemu TCG with this machine's root read-only over 9p, and runs
# tests/kernels/guest.sh inside: doctor, compare -s baseline, the raw_tp path and
# the CO-RE helper check. KERNEL_PKG=linux-image-... picks another package.
KERNELS_DIR := $(BUILD)/kernels
KERNEL_PKG ?=
KERNELS_TIMEOUT ?= 600
CORE_CHECK := $(KERNELS_DIR)/core_check

.PHONY: test-kernels core-check

$(KERNELS_DIR):
	@mkdir -p $@

# bpf/core_fixes.bpf.h exercised on the running kernel (tests/doctor.sh, and the guest)
$(KERNELS_DIR)/core_check.bpf.o: tests/kernels/core_check.bpf.c bpf/core_fixes.bpf.h vmlinux/$(ARCH)/vmlinux.h | $(KERNELS_DIR)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp
	@rm -f $@.tmp

$(KERNELS_DIR)/core_check.skel.h: $(KERNELS_DIR)/core_check.bpf.o
	$(BPFTOOL) gen skeleton $< name core_check_bpf > $@

$(CORE_CHECK): tests/kernels/core_check.c $(KERNELS_DIR)/core_check.skel.h
	$(CC) -I$(KERNELS_DIR) $(CFLAGS) $(WARN) $< -lbpf -lelf -lz -lpthread -o $@

core-check: $(CORE_CHECK)

test-kernels: all $(CORE_CHECK) $(TEST_TOOLS)
	@KERNEL_PKG='$(KERNEL_PKG)' KERNELS_DIR='$(KERNELS_DIR)' KERNELS_TIMEOUT='$(KERNELS_TIMEOUT)' \
		tests/kernels/boot.sh
# ==== end of kernels =============================================================

# ==== hardening (issue 9): fuzzing and sanitizers ================================
# make fuzz [FUZZ_SECONDS=60]: builds the libFuzzer targets of tests/fuzz/ into
#   build/fuzz/ (clang -fsanitize=fuzzer,address,undefined) and runs each for
#   FUZZ_SECONDS, from the seed corpus tests/fuzz/corpus_NAME/ (new inputs go
#   to build/fuzz/corpus_NAME/, crashes to build/fuzz/crash-*). Fails on a crash.
# make asan: build-asan/mpmscope and the unit tests with ASan+UBSan
#   (tests/asan.sh runs them, and one compare, under the sanitizers).
# make tsan: build-tsan/mpmscope with ThreadSanitizer (bench/tsan runs serve
#   and trace under it: their threads).
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iuser -Ibpf -D_GNU_SOURCE
FUZZ_TARGETS := $(FUZZ_DIR)/fuzz_http $(FUZZ_DIR)/fuzz_scenario $(FUZZ_DIR)/fuzz_serve
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
TEST_PKGS += valgrind

.PHONY: fuzz fuzz-build asan tsan

$(FUZZ_DIR):
	@mkdir -p $@

FUZZ_HTTP_SRCS := user/load/http.c
$(FUZZ_DIR)/fuzz_http: tests/fuzz/fuzz_http.c $(FUZZ_HTTP_SRCS) user/load/*.h user/base/*.h | $(FUZZ_DIR)
	$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_http.c $(FUZZ_HTTP_SRCS) -lhttp_parser -o $@

# the scenario parser and the base layer, nothing else (tests/layout.sh checks)
FUZZ_SCENARIO_SRCS := $(wildcard user/scenario/*.c) $(wildcard user/base/*.c)
$(FUZZ_DIR)/fuzz_scenario: tests/fuzz/fuzz_scenario.c $(FUZZ_SCENARIO_SRCS) user/scenario/*.h user/base/*.h | $(FUZZ_DIR)
	$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_scenario.c $(FUZZ_SCENARIO_SRCS) -lm -o $@

# the exporter's request parser (cmd/serve_http.c) and the base layer
FUZZ_SERVE_SRCS := user/cmd/serve_http.c $(wildcard user/base/*.c)
$(FUZZ_DIR)/fuzz_serve: tests/fuzz/fuzz_serve.c $(FUZZ_SERVE_SRCS) user/cmd/serve_http.h user/base/*.h | $(FUZZ_DIR)
	$(CLANG) $(FUZZ_CFLAGS) -DMPMSCOPE_VERSION='"$(VERSION)"' tests/fuzz/fuzz_serve.c $(FUZZ_SERVE_SRCS) -lm -o $@

fuzz-build: $(FUZZ_TARGETS)

fuzz: fuzz-build
	@for t in http scenario serve; do \
		mkdir -p $(FUZZ_DIR)/corpus_$$t; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$t- $(FUZZ_DIR)/corpus_$$t tests/fuzz/corpus_$$t \
			>$(FUZZ_DIR)/$$t.log 2>&1; rc=$$?; \
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FUZZ_DIR)/$$t.log | sed "s/^/fuzz: $$t: /"; \
		if [ $$rc -ne 0 ]; then tail -40 $(FUZZ_DIR)/$$t.log; echo "fuzz: $$t: crash (log $(FUZZ_DIR)/$$t.log)"; exit 1; fi; \
	done

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CC=$(CC) \
		CFLAGS='-O1 -g $(ASAN_FLAGS)' LDFLAGS='$(ASAN_FLAGS)' \
		build-asan/mpmscope $(patsubst tests/unit/%.c,build-asan/tests/%,$(UNIT_SRCS)) \
		$(patsubst tests/tools/%.c,build-asan/tests/%,$(TEST_TOOLS_SRCS))

tsan:
	@$(MAKE) --no-print-directory BUILD=build-tsan CC=$(CC) \
		CFLAGS='-O1 -g -fsanitize=thread' LDFLAGS='-fsanitize=thread' build-tsan/mpmscope
# ==== end of hardening ============================================================
