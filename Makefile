# ngx_webrtc_module
#
#   make demo        build, then run the demo server in the foreground
#   make test        install what is missing, build, run every test
#   make test-quick  the same without the slow browser and load cases
#   make test-asan   the suite against a static ASan+UBSan nginx
#   make build       just the dynamic module, build/nginx/ngx_webrtc_module.so
#   make bench       the SFU benchmark, side by side with Janus (bench/README.md)

SHELL       := /bin/bash
BUILD       := build
CC          ?= cc
NGX_SRC     := /usr/share/nginx/src
NGX_BIN     := /usr/sbin/nginx
STREAM_SO   := /usr/lib/nginx/modules/ngx_stream_module.so
MODULE      := $(CURDIR)/$(BUILD)/nginx/ngx_webrtc_module.so

MODULE_SRCS := config $(wildcard src/*.c src/*.h src/proto/*.c src/proto/*.h)

# The flags nginx builds modules with, so protocol code meets the same bar.
UNIT_CFLAGS  = -g -O1 -W -Wall -Wpointer-arith -Wno-unused-parameter -Werror \
               -Isrc/proto -It/unit
UNIT_LIBS    = -ljansson -lsrtp2 -lnice -lssl -lcrypto

PROTO_SRCS  := $(wildcard src/proto/*.c)
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

PROVE        = prove -It/lib
NGINX_ENV    = TEST_NGINX_BINARY=$(NGX_BIN) \
               TEST_NGINX_LOAD_MODULES="$(STREAM_SO) $(MODULE)"

ASAN_DIR    := $(CURDIR)/$(BUILD)/asan
ASAN_FLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fsanitize-recover=undefined
ASAN_ENV     = TEST_NGINX_BINARY=$(ASAN_DIR)/obj/nginx TEST_NGINX_LOAD_MODULES= \
               ASAN_OPTIONS=detect_leaks=0:log_path=$(ASAN_DIR)/report \
               UBSAN_OPTIONS=print_stacktrace=1:suppressions=$(CURDIR)/t/ubsan.supp:log_path=$(ASAN_DIR)/report

.PHONY: all build deps deps-test unit test-js test-nginx test test-quick \
        asan test-asan deps-bench bench bench-quick bench-floor demo clean FORCE

all: build

deps:
	@util/deps.sh build

deps-test: node_modules/.installed
	@util/deps.sh build test browser

# clients written by others (Janode, janus.js) and playwright-core
node_modules/.installed: package.json package-lock.json
	@util/deps.sh test
	npm ci --no-audit --no-fund
	@touch $@

# --- the dynamic module, against Debian's nginx-dev headers -------------

# configure again when the set of source files changes
$(BUILD)/nginx/sources: FORCE
	@mkdir -p $(dir $@)
	@echo $(sort $(wildcard src/*.c src/proto/*.c)) > $@.new
	@cmp -s $@.new $@ || mv $@.new $@
	@rm -f $@.new

$(BUILD)/nginx/Makefile: config $(BUILD)/nginx/sources
	@mkdir -p $(dir $@)
	cd $(NGX_SRC) && eval ./configure \
	    $$($(NGX_BIN) -V 2>&1 | sed -n 's/^configure arguments: //p') \
	    --add-dynamic-module=$(CURDIR) --builddir=$(CURDIR)/$(BUILD)/nginx \
	    > $(CURDIR)/$(BUILD)/nginx/configure.log

$(MODULE): $(BUILD)/nginx/Makefile $(MODULE_SRCS)
	$(MAKE) -C $(NGX_SRC) -f $(CURDIR)/$(BUILD)/nginx/Makefile $(MODULE)

build: deps $(MODULE)

-include t/peer/peer.mk

# --- tests ---------------------------------------------------------------

$(BUILD)/unit/%: t/unit/%.c $(PROTO_SRCS) $(wildcard src/proto/*.h) t/unit/wr_test.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(PROTO_SRCS) $(UNIT_LIBS)

unit: $(UNIT_BINS)
	$(PROVE) -e '' $(UNIT_BINS)

test-js:
	node --test t/js/

test-nginx: $(MODULE)
	$(NGINX_ENV) $(PROVE) -r t

test: deps-test
	$(MAKE) build peer
	$(MAKE) unit
	$(MAKE) test-js
	$(MAKE) test-nginx

test-quick: deps-test
	$(MAKE) build peer
	$(MAKE) unit test-js
	TEST_NGINX_QUICK=1 $(MAKE) test-nginx

# --- a static nginx with the module, under ASan and UBSan ----------------

$(ASAN_DIR)/src/.unpacked:
	util/deps.sh build asan
	util/nginx-source.sh $(ASAN_DIR)/src
	@touch $@

$(ASAN_DIR)/obj/Makefile: $(ASAN_DIR)/src/.unpacked config $(BUILD)/nginx/sources
	cd $(ASAN_DIR)/src/nginx-* && ./configure \
	    --prefix=$(ASAN_DIR) --builddir=$(ASAN_DIR)/obj \
	    --with-debug --with-threads --with-stream --with-http_ssl_module \
	    --with-http_realip_module --with-http_auth_request_module \
	    --with-http_stub_status_module \
	    --with-cc-opt="$(ASAN_FLAGS)" --with-ld-opt="-fsanitize=address,undefined" \
	    --add-module=$(CURDIR) > $(ASAN_DIR)/configure.log

$(ASAN_DIR)/obj/nginx: $(ASAN_DIR)/obj/Makefile $(MODULE_SRCS)
	cd $(ASAN_DIR)/src/nginx-* && $(MAKE) -f $(ASAN_DIR)/obj/Makefile

asan: $(ASAN_DIR)/obj/nginx

test-asan: deps-test asan
	rm -f $(ASAN_DIR)/report.*
	$(ASAN_ENV) $(PROVE) -r t
	@if ls $(ASAN_DIR)/report.* >/dev/null 2>&1; then \
	    cat $(ASAN_DIR)/report.*; echo "sanitizer reports above"; exit 1; fi

# --- benchmarks: they print figures, they assert nothing ------------------

deps-bench:
	@util/deps.sh build test bench

bench: deps-bench build peer bench-floor
	bench/bench.pl $(BENCH_ARGS)

# the fan-out's floor on this machine: copy, GCM protect, sendmmsg
bench-floor: $(BUILD)/udp_floor
	unshare -n sh -c 'ip link set lo up; $(BUILD)/udp_floor 200 1000000'

$(BUILD)/udp_floor: bench/udp_floor.c src/proto/wr_srtp.c src/proto/wr_srtp.h
	@mkdir -p $(BUILD)
	$(CC) -O2 -W -Wall -Wpointer-arith -Werror -pthread -Isrc/proto \
	    -o $@ bench/udp_floor.c \
	    src/proto/wr_srtp.c -lcrypto

bench-quick: deps-bench build peer
	bench/bench.pl --quick $(BENCH_ARGS)

# --- the demo --------------------------------------------------------------

demo: build
	@mkdir -p $(BUILD)/demo/tmp
	@echo "demo: http://127.0.0.1:8080/  (Ctrl-C stops it)"
	$(NGX_BIN) -p $(CURDIR)/ -c conf/demo.conf -e $(BUILD)/demo/error.log \
	    -g "daemon off; master_process on;$$( [ $$(id -u) = 0 ] && echo ' user root;')"

clean:
	rm -rf $(BUILD) t/servroot*

FORCE:
