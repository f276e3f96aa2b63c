# mount.clrheap - plain Makefile. `make` builds, `make check` runs every test,
# `make asan` builds with sanitizers, `make demo` runs the bundled sample.
CC      ?= cc
BUILD   ?= build
WERROR  ?= $(if $(CI),-Werror,)
SAN     ?=
PKGS    := fuse3 jansson
OPT     ?= -O2 -g
CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wstrict-prototypes \
           -Wmissing-declarations -Wwrite-strings -Wshadow $(WERROR) \
           -Iinclude $(SAN) -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS += $(SAN)

LIB_SRC   := $(filter-out src/main_%.c,$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK   := $(BUILD)/.deps-ok

.PHONY: all deps check unit e2e asan demo fixtures bench clean install
all: $(BUILD)/clrheap $(BUILD)/mount.clrheap

# Installs missing Debian packages (as root) or prints the apt-get line.
$(DEPS_OK): contrib/deps.sh
	@mkdir -p $(BUILD)
	@sh contrib/deps.sh
	@touch $@
deps: $(DEPS_OK)

$(BUILD)/obj/%.o: src/%.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/libclrheap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/clrheap: $(BUILD)/obj/main_cli.o $(BUILD)/libclrheap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/mount.clrheap: $(BUILD)/obj/main_mount.o $(BUILD)/libclrheap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

$(BUILD)/tests/%: tests/%.c $(BUILD)/libclrheap.a | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests -o $@ $< $(BUILD)/libclrheap.a \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka -lm -lpthread

# Unit suites, then end-to-end scripts, with one closing count line.
check: all $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

unit: all $(TEST_BIN)
	@BUILD=$(BUILD) ONLY=unit sh tests/run.sh

e2e: all
	@BUILD=$(BUILD) ONLY=e2e sh tests/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

demo: all
	@BUILD=$(BUILD) sh contrib/demo.sh

fixtures:
	sh fixtures/make-dumps.sh $(BUILD)/fresh

bench: all
	bash bench/run.sh

install: all
	install -D -m 0755 $(BUILD)/mount.clrheap $(DESTDIR)/sbin/mount.clrheap
	install -D -m 0755 $(BUILD)/clrheap $(DESTDIR)/usr/local/bin/clrheap
	install -D -m 0644 contrib/mount.clrheap.8 $(DESTDIR)/usr/local/share/man/man8/mount.clrheap.8

clean:
	rm -rf build build-asan

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
