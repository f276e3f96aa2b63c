# mount.clrheap - plain Makefile. `make` builds, `make check` runs every test,
# `make asan` builds with sanitizers, `make demo` runs the bundled sample.
CC      ?= cc
BUILD   ?= build
WERROR  ?= $(if $(CI),-Werror,)
SAN     ?=
PKGS    := fuse3 jansson
OPT     ?= -O2 -g
# `make asan check` (asan among the goals): build into build-asan with
# address and undefined-behaviour sanitizers and run the whole suite there.
ifneq ($(filter asan,$(MAKECMDGOALS)),)
BUILD   := build-asan
OPT     := -O1 -g
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# `make tsan check`: the same with ThreadSanitizer, in build-tsan; reports
# (of daemonized mounts too) are written to build-tsan/tsan-report.PID.
# SUITES=all runs every suite there.
ifneq ($(filter tsan,$(MAKECMDGOALS)),)
BUILD   := build-tsan
OPT     := -O1 -g
SAN     := -fsanitize=thread -fno-omit-frame-pointer
export TSAN_OPTIONS := log_path=$(CURDIR)/build-tsan/tsan-report
# Only the suites that run code on more than one thread: the parallel heap
# walk and graph build, the mount's concurrent readers (FUSE threads).
export SUITES ?= test_as test_fsv test_val test_heap test_graph \
                 t_mount t_readers t_seed t_stat t_graph t_tree
endif
CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wstrict-prototypes \
           -Wmissing-declarations -Wwrite-strings -Wshadow $(WERROR) \
           -Iinclude $(SAN) -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS += $(SAN)

LIB_SRC   := $(filter-out src/main_%.c,$(wildcard src/*.c))
# The built-in runtime facts (facts/, include/clr_facts.h) become a C table.
FACTS     := $(wildcard facts/*/*.facts facts/json/*.json)
FACTS_C   := $(BUILD)/gen/clr_facts_data.c
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/clr_facts_data.o
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK   := $(BUILD)/.deps-ok
DEPS_TEST := $(BUILD)/.deps-test-ok
# fuzz targets (contrib/fuzz/fuzz_NAME.c): corpus replayers and libFuzzer;
# the corruption suite's planner; the truth comparer (tests/refcmp.h)
FUZZ_NAMES := $(patsubst contrib/fuzz/fuzz_%.c,%,$(wildcard contrib/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%) $(BUILD)/fuzz/corrupt_plan \
              $(BUILD)/tests/refcmp
FUZZ_BIN   := $(FUZZ_NAMES:%=$(BUILD)/fuzz-lf/fuzz_%)

.PHONY: all deps check unit e2e asan tsan demo fixtures bench clean install deb fuzz fuzz-cc
all: $(BUILD)/clrheap $(BUILD)/mount.clrheap

# Installs missing Debian packages (as root) or prints the apt-get line:
# what building needs, and for the tests what they need besides.
$(DEPS_OK): contrib/deps.sh
	@mkdir -p $(BUILD)
	@sh contrib/deps.sh build
	@touch $@
$(DEPS_TEST): contrib/deps.sh | $(DEPS_OK)
	@sh contrib/deps.sh test
	@touch $@
deps: $(DEPS_OK)

$(BUILD)/obj/%.o: src/%.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(FACTS_C): contrib/runtime-facts/gen.sh $(FACTS)
	@mkdir -p $(dir $@)
	sh contrib/runtime-facts/gen.sh facts >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/clr_facts_data.o: $(FACTS_C) include/clr_facts.h | $(DEPS_OK)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libclrheap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/clrheap: $(BUILD)/obj/main_cli.o $(BUILD)/obj/main_facts.o $(BUILD)/obj/main_graph.o \
                 $(BUILD)/obj/main_threads.o $(BUILD)/obj/main_exceptions.o $(BUILD)/obj/main_inspect.o $(BUILD)/obj/main_tree.o $(BUILD)/obj/main_walk.o $(BUILD)/obj/main_prog.o \
                 $(BUILD)/libclrheap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

$(BUILD)/mount.clrheap: $(BUILD)/obj/main_mount.o $(BUILD)/libclrheap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

$(BUILD)/tests/%: tests/%.c $(BUILD)/libclrheap.a | $(DEPS_TEST)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests -o $@ $< $(BUILD)/libclrheap.a \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka -lm -lpthread

# Unit suites, then end-to-end scripts, with one closing count line.
check: all $(TEST_BIN) $(REPLAY_BIN) $(filter asan tsan,$(MAKECMDGOALS))
	@rm -f $(BUILD)/tsan-report.*
	@BUILD=$(BUILD) sh tests/run.sh
	@! ls $(BUILD)/tsan-report.* 2>/dev/null || { echo "ThreadSanitizer reports above" >&2; exit 1; }

unit: all $(TEST_BIN)
	@BUILD=$(BUILD) ONLY=unit sh tests/run.sh

e2e: all $(REPLAY_BIN)
	@BUILD=$(BUILD) ONLY=e2e sh tests/run.sh

# The sanitized build reads the same fixture dumps (and uses the same
# ClrMD oracle) as the plain one: linked, not copied or regenerated.
ASAN_SHARED := dumps fresh seed oracle
asan tsan: all
	@for x in $(ASAN_SHARED); do mkdir -p build/$$x; \
		[ -e $(BUILD)/$$x ] || ln -s ../build/$$x $(BUILD)/$$x; done

# ---- fuzzing (contrib/fuzz/README.md) ----
# Each contrib/fuzz/fuzz_NAME.c is a libFuzzer target: `make fuzz` builds
# them with clang into $(BUILD)/fuzz-lf/. `make check` links the same
# files with $(CC) and contrib/fuzz/replay.c into $(BUILD)/fuzz/replay_NAME,
# which tests/e2e/t_fuzz_corpus.sh runs over the committed corpus.
FUZZ_CC    ?= $(firstword $(shell for c in clang clang-14; do command -v $$c; done))
FUZZ_FLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -Iinclude -Icontrib/fuzz \
              -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_HDRS  := $(wildcard include/*.h src/*.h contrib/fuzz/*.h)

$(BUILD)/fuzz/replay_%: contrib/fuzz/fuzz_%.c contrib/fuzz/replay.c $(FUZZ_HDRS) $(BUILD)/libclrheap.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(PKG_CFLAGS) -Icontrib/fuzz -o $@ $< \
		contrib/fuzz/replay.c $(BUILD)/libclrheap.a $(LDFLAGS) $(PKG_LIBS) -lm -lpthread

# tests/e2e/t_corrupt.sh: where to damage a copy of a fixture dump
$(BUILD)/fuzz/corrupt_plan: contrib/fuzz/corrupt_plan.c $(FUZZ_HDRS) tests/mkdump.h $(BUILD)/libclrheap.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(PKG_CFLAGS) -Itests -o $@ $< $(BUILD)/libclrheap.a \
		$(LDFLAGS) $(PKG_LIBS) -lm -lpthread

fuzz: $(FUZZ_BIN)
fuzz-cc:
	@test -n "$(FUZZ_CC)" || { echo "make fuzz needs clang with libFuzzer;" \
		"as root: apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; }
$(BUILD)/fuzz-lf/obj/%.o: src/%.c $(FUZZ_HDRS) | fuzz-cc $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz-lf/obj/clr_facts_data.o: $(FACTS_C) | fuzz-cc
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
$(BUILD)/fuzz-lf/libclrheap.a: $(LIB_SRC:src/%.c=$(BUILD)/fuzz-lf/obj/%.o) $(BUILD)/fuzz-lf/obj/clr_facts_data.o
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz-lf/fuzz_%: contrib/fuzz/fuzz_%.c $(FUZZ_HDRS) $(BUILD)/fuzz-lf/libclrheap.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< \
		$(BUILD)/fuzz-lf/libclrheap.a $(PKG_LIBS) -lm -lpthread

demo: all
	@BUILD=$(BUILD) sh contrib/demo.sh

fixtures:
	sh fixtures/make-dumps.sh $(BUILD)/fresh

bench: all
	bash bench/run.sh
	bash bench/seed.sh

# /sbin/mount.clrheap is what `mount -t clrheap` runs.
PREFIX  ?= /usr/local
install: all
	install -D -m 0755 $(BUILD)/mount.clrheap $(DESTDIR)/sbin/mount.clrheap
	install -D -m 0755 $(BUILD)/clrheap $(DESTDIR)$(PREFIX)/bin/clrheap
	install -D -m 0644 contrib/mount.clrheap.8 $(DESTDIR)$(PREFIX)/share/man/man8/mount.clrheap.8
	install -D -m 0644 contrib/clrheap.1 $(DESTDIR)$(PREFIX)/share/man/man1/clrheap.1
	install -D -m 0644 contrib/clrheap.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/clrheap

# `make deb`: $(BUILD)/clrheap_VERSION_ARCH.deb, the install above under
# /usr (man pages compressed, as Debian has them), built with dpkg-deb.
VERSION  = $(shell sed -n 's/.*CLRHEAP_VERSION "\(.*\)".*/\1/p' include/version.h)
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB      = $(BUILD)/clrheap_$(VERSION)_$(DEB_ARCH).deb
deb: all
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory -o all install BUILD=$(BUILD) DESTDIR=$(CURDIR)/$(BUILD)/deb PREFIX=/usr
	gzip -9n $(BUILD)/deb/usr/share/man/man1/clrheap.1 $(BUILD)/deb/usr/share/man/man8/mount.clrheap.8
	mkdir -p $(BUILD)/deb/DEBIAN
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
		-e "s/@SIZE@/$$(du -sk $(BUILD)/deb/usr $(BUILD)/deb/sbin | awk '{ s += $$1 } END { print s }')/" \
		contrib/deb-control >$(BUILD)/deb/DEBIAN/control
	dpkg-deb --root-owner-group --build $(BUILD)/deb $(DEB)

clean:
	rm -rf build build-asan build-tsan

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
