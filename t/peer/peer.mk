# wr-peer, the C WebRTC test peer (t/peer/README.md). Included by the root
# Makefile; builds with the same warning flags as nginx.

PEER_SRCS   := $(wildcard t/peer/*.c)
PEER_HDRS   := $(wildcard t/peer/*.h)
PEER_CFLAGS  = -g -O2 -W -Wall -Wpointer-arith -Wno-unused-parameter -Werror \
               $(shell pkg-config --cflags nice)
PEER_LIBS    = $(shell pkg-config --libs nice) -lsrtp2 -ljansson -lssl -lcrypto

.PHONY: peer

peer: $(BUILD)/peer/wr-peer

$(BUILD)/peer/wr-peer: $(PEER_SRCS) $(PEER_HDRS) t/peer/peer.mk
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) -o $@ $(PEER_SRCS) $(PEER_LIBS)
