# SPDX-License-Identifier: MIT
# The host daemon (linked into build/ringvisor as `ringvisor serve`) and its
# thin client build/ringctl.  HTTP parsing: http_parser; JSON: cJSON.
DAEMON_SRCS := daemon/serve.c daemon/vmtable.c daemon/supervisor.c daemon/vmconfig.c \
               daemon/api/server.c daemon/api/http.c daemon/api/router.c \
               daemon/api/system.c daemon/api/vms.c daemon/console.c \
               daemon/sched.c daemon/schedconf.c daemon/api/sched.c
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_ASAN_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/asan/%.o)
HOST_LDLIBS += -lhttp_parser -lcjson

all: $(BUILD)/ringctl

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/asan/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(VMM_ASAN_FLAGS) -c $< -o $@

# `ringvisor serve` lives in the ringvisor binary: the recipes link $^.
$(BUILD)/ringvisor: $(DAEMON_OBJS)
$(BUILD)/asan/ringvisor: $(DAEMON_ASAN_OBJS)

$(BUILD)/ringctl: cli/ringctl.c daemon/api/proto.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ cli/ringctl.c -lhttp_parser -lcjson

-include $(DAEMON_OBJS:.o=.d) $(DAEMON_ASAN_OBJS:.o=.d)
