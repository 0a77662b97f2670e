# ngx_webrtc_module: the two front-door commands are `make demo` and `make test`.

SHELL      := /bin/bash
BUILD      := build
CC         ?= cc

# The flags nginx builds modules with, so protocol code is held to the same bar.
UNIT_CFLAGS = -g -O1 -W -Wall -Wpointer-arith -Wno-unused-parameter -Werror \
              -Isrc/proto -It/unit
UNIT_LIBS   = -ljansson -lssl -lcrypto

PROTO_SRCS  = $(wildcard src/proto/*.c)
UNIT_SRCS   = $(wildcard t/unit/test_*.c)
UNIT_BINS   = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

.PHONY: unit

$(BUILD)/unit/%: t/unit/%.c $(PROTO_SRCS) $(wildcard src/proto/*.h) t/unit/wr_test.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(PROTO_SRCS) $(UNIT_LIBS)

unit: $(UNIT_BINS)
	prove -e '' $(UNIT_BINS)
