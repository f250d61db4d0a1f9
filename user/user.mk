# user/user.mk: pikern's user space: builds the user programs and the
# initramfs, and tests the programs on this Linux host under qemu-aarch64.
#
# Included by the top Makefile; also works on its own from the repository
# root:   make -f user/user.mk user user-hosttest
#
#   user           Rust programs (user/programs) + C programs (user/c/*.c),
#                  assembled into $(INITRAMFS_DIR) and packed with $(MKCPIO)
#                  into $(INITRAMFS) (cpio newc).
#   user-tree      only the build and the tree (no packing).
#   user-hosttest  runs hello, hello_c, raspbian_fork(_c), sh, init and
#                  usertests under qemu-aarch64 (usertests runs the other
#                  programs through qemu-aarch64 too: the host cannot exec
#                  aarch64 binaries); writes $(USER_RESULTS)/user-host.txt
#                  (passed/failed/skipped) and user-host.log; fails if any
#                  test failed.
#
# INITRD_EXTRA=dir/ copies that directory's contents into the tree too
# (after the standard files, so it may replace them).
#
# Initramfs layout: /init; /bin/ with the shell and tools (sh echo cat ls
# sleep kill ps true false mkdir mount poweroff reboot), hello, raspbian_fork,
# raspbian_thread, usertests, forkloop, faultinject, bench (make bench), fuzz
# (the system-call fuzzer, user/fuzz.mk), tracedump (the binary trace over
# the console, for trace.dat), notelf and the C programs
# <name>_c (hello_c, raspbian_fork_c, raspbian_thread_c, jobctl_c, vdso_c,
# threads_c); /etc/motd and /etc/rc (the boot script: init --
# /bin/sh /etc/rc); empty /dev and /proc (the kernel fills them); /tmp
# (mode 1777, for the tests' scratch files). Programs are
# installed with debug info stripped (the unstripped ELFs stay in target/
# for gdb).

USER_DIR       := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

USER_CARGO     ?= cargo
USER_TARGET    ?= aarch64-unknown-none
USER_CC        ?= aarch64-linux-gnu-gcc
USER_CFLAGS    ?= -static -O2 -Wall -Wextra -Werror
QEMU_USER      ?= qemu-aarch64
MKCPIO         ?= target/debug/mkcpio
INITRD_EXTRA   ?=
USER_BUILD     ?= build/user
INITRAMFS_DIR  ?= build/initramfs
INITRAMFS      ?= build/initramfs.cpio
USER_RESULTS   ?= build/results
USER_HOST      ?= $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
USER_OBJCOPY   ?= $(shell rustc --print sysroot)/lib/rustlib/$(USER_HOST)/bin/llvm-objcopy

USER_RUST_OUT  := target/$(USER_TARGET)/release
USER_RUST_BINS := sh echo cat ls sleep kill ps true false mkdir mount poweroff \
                  hello raspbian_fork raspbian_thread usertests forkloop faultinject \
                  bench fuzz tracedump
USER_C_SRCS    := $(wildcard $(USER_DIR)/c/*.c)
USER_C_BINS    := $(patsubst $(USER_DIR)/c/%.c,$(USER_BUILD)/%_c,$(USER_C_SRCS))

.PHONY: user user-rust user-c user-tree user-hosttest

user: user-tree
	@test -x $(MKCPIO) || { echo "user.mk: $(MKCPIO) not found (build the host tools first)"; exit 1; }
	$(MKCPIO) $(INITRAMFS_DIR) -o $(INITRAMFS)
	@echo "built $(INITRAMFS) ($$(stat -c %s $(INITRAMFS)) bytes)"

user-rust: | deps
	$(USER_CARGO) build -p pikern-user --target $(USER_TARGET) --release

user-c: $(USER_C_BINS)

$(USER_C_BINS): | deps

$(USER_BUILD)/%_c: $(USER_DIR)/c/%.c $(wildcard $(USER_DIR)/c/*.h)
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

# The programs that make threads. glibc >= 2.34 has pthreads in libc
# itself, but -pthread is still how a program says it uses them (it
# defines _REENTRANT and links -lpthread on an older glibc).
USER_C_PTHREAD := threads raspbian_thread
$(patsubst %,$(USER_BUILD)/%_c,$(USER_C_PTHREAD)): USER_CFLAGS += -pthread

user-tree: user-rust user-c
	rm -rf $(INITRAMFS_DIR)
	mkdir -p $(INITRAMFS_DIR)/bin $(INITRAMFS_DIR)/etc $(INITRAMFS_DIR)/dev $(INITRAMFS_DIR)/proc \
		$(INITRAMFS_DIR)/tmp
	$(USER_OBJCOPY) --strip-debug $(USER_RUST_OUT)/init $(INITRAMFS_DIR)/init
	$(foreach p,$(USER_RUST_BINS),$(USER_OBJCOPY) --strip-debug $(USER_RUST_OUT)/$(p) $(INITRAMFS_DIR)/bin/$(p) &&) true
	cp $(INITRAMFS_DIR)/bin/poweroff $(INITRAMFS_DIR)/bin/reboot
	$(if $(USER_C_BINS),cp $(USER_C_BINS) $(INITRAMFS_DIR)/bin/)
	cp -R $(USER_DIR)/rootfs/. $(INITRAMFS_DIR)/
	chmod 755 $(INITRAMFS_DIR)/init $(INITRAMFS_DIR)/bin/*
	chmod 644 $(INITRAMFS_DIR)/etc/motd
	chmod 1777 $(INITRAMFS_DIR)/tmp
	$(if $(INITRD_EXTRA),cp -R $(INITRD_EXTRA)/. $(INITRAMFS_DIR)/)

user-hosttest: user-tree
	@mkdir -p $(USER_RESULTS)
	QEMU_USER=$(QEMU_USER) bash $(USER_DIR)/hosttest.sh $(INITRAMFS_DIR) $(USER_RESULTS)/user-host.txt $(USER_RESULTS)/user-host.log
