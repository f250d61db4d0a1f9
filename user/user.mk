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
# sleep kill ps true false mkdir mount sync poweroff reboot), hello, raspbian_fork,
# raspbian_thread, usertests, forkloop, faultinject, bench (make bench), fuzz
# (the system-call fuzzer, user/fuzz.mk), tracedump (the binary trace over
# the console, for trace.dat), tracesave (the trace as text, SVG and
# JSON to the SD card's /boot/trace), notelf and the C programs
# <name>_c (hello_c, raspbian_fork_c, raspbian_thread_c, jobctl_c, vdso_c,
# threads_c); hello and auxv again as static-pie and dynamically linked
# programs (<name>_spie_c, <name>_dyn_c; vdso_dyn_c too), the cross toolchain's loader and
# C library where those look for them (/lib/ld-linux-aarch64.so.1,
# /lib/aarch64-linux-gnu/libc.so.6), and the bad-input cases of
# dynamic linking (dynbad_*_c: an interpreter that is missing, not ELF,
# truncated, or the program itself; /lib/trunc/ holds truncated copies of
# the loader and libc); /etc/motd and /etc/rc (the boot script: init --
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
USER_RUST_BINS := sh echo cat ls sleep kill ps true false mkdir mount sync poweroff \
                  hello raspbian_fork raspbian_thread usertests forkloop faultinject \
                  bench fuzz tracedump tracesave
# auxv.c is built only as static-pie and dynamic (below): its static
# build would add 700 KB to every boot and test nothing those two miss.
USER_C_SRCS    := $(filter-out $(USER_DIR)/c/auxv.c,$(wildcard $(USER_DIR)/c/*.c))
USER_C_BINS    := $(patsubst $(USER_DIR)/c/%.c,$(USER_BUILD)/%_c,$(USER_C_SRCS))

.PHONY: user user-rust user-c user-tree user-hosttest

user: user-tree
	@test -x $(MKCPIO) || { echo "user.mk: $(MKCPIO) not found (build the host tools first)"; exit 1; }
	$(MKCPIO) $(INITRAMFS_DIR) -o $(INITRAMFS).new
	@# Replaced only when it changed: the kernel embeds it, and a new
	@# mtime alone would rebuild the kernel (every make kernel of make
	@# test's sub-makes did, 30 s each).
	@if cmp -s $(INITRAMFS).new $(INITRAMFS); then rm $(INITRAMFS).new; \
		else mv $(INITRAMFS).new $(INITRAMFS); fi
	@echo "built $(INITRAMFS) ($$(stat -c %s $(INITRAMFS)) bytes)"

user-rust: | deps
	$(USER_CARGO) build -p pikern-user --target $(USER_TARGET) --release

user-c: $(USER_C_BINS)

$(USER_C_BINS): | deps

# The same programs linked the other two ways glibc offers: static-pie
# (ET_DYN without an interpreter) and dynamic (gcc's default: a PIE with
# PT_INTERP /lib/ld-linux-aarch64.so.1, needing libc.so.6).
USER_C_LINKED  := hello auxv
USER_DYN_CFLAGS ?= -O2 -Wall -Wextra -Werror
USER_C_SPIE    := $(patsubst %,$(USER_BUILD)/%_spie_c,$(USER_C_LINKED))
# vdso.c dynamic too: the loader, not static glibc's start-up, finds the
# vDSO there.
USER_C_DYN     := $(patsubst %,$(USER_BUILD)/%_dyn_c,$(USER_C_LINKED) vdso)
# Dynamic programs whose interpreter is bad, by PT_INTERP: missing
# (ENOENT), not ELF (ELIBBAD), truncated (ELIBBAD), the program itself.
USER_C_DYNBAD  := $(USER_BUILD)/dynbad_missing_c $(USER_BUILD)/dynbad_notelf_c \
                  $(USER_BUILD)/dynbad_trunc_c $(USER_BUILD)/dynbad_self_c
# Where the cross toolchain keeps the loader and libc it links against.
USER_LIBDIR    ?= $(patsubst %/,%,$(dir $(shell $(USER_CC) -print-file-name=libc.so.6 2>/dev/null)))

$(USER_C_SPIE) $(USER_C_DYN) $(USER_C_DYNBAD): | deps
user-c: $(USER_C_SPIE) $(USER_C_DYN) $(USER_C_DYNBAD)

$(USER_BUILD)/%_spie_c: $(USER_DIR)/c/%.c $(wildcard $(USER_DIR)/c/*.h)
	@mkdir -p $(@D)
	$(USER_CC) -static-pie $(USER_DYN_CFLAGS) -o $@ $<

$(USER_BUILD)/%_dyn_c: $(USER_DIR)/c/%.c $(wildcard $(USER_DIR)/c/*.h)
	@mkdir -p $(@D)
	$(USER_CC) $(USER_DYN_CFLAGS) -o $@ $<

$(USER_BUILD)/dynbad_missing_c: USER_INTERP := /lib/ld-missing.so.1
$(USER_BUILD)/dynbad_notelf_c: USER_INTERP := /bin/notelf
$(USER_BUILD)/dynbad_trunc_c: USER_INTERP := /lib/trunc/ld-linux-aarch64.so.1
$(USER_BUILD)/dynbad_self_c: USER_INTERP := /bin/dynbad_self_c
$(USER_C_DYNBAD): $(USER_DIR)/c/hello.c
	@mkdir -p $(@D)
	$(USER_CC) $(USER_DYN_CFLAGS) -Wl,--dynamic-linker=$(USER_INTERP) -o $@ $<

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
	cp $(USER_C_SPIE) $(USER_C_DYN) $(USER_C_DYNBAD) $(INITRAMFS_DIR)/bin/
	mkdir -p $(INITRAMFS_DIR)/lib/aarch64-linux-gnu $(INITRAMFS_DIR)/lib/trunc
	$(USER_OBJCOPY) --strip-unneeded $(USER_LIBDIR)/ld-linux-aarch64.so.1 \
		$(INITRAMFS_DIR)/lib/ld-linux-aarch64.so.1
	$(USER_OBJCOPY) --strip-unneeded $(USER_LIBDIR)/libc.so.6 \
		$(INITRAMFS_DIR)/lib/aarch64-linux-gnu/libc.so.6
	head -c 8192 $(INITRAMFS_DIR)/lib/ld-linux-aarch64.so.1 >$(INITRAMFS_DIR)/lib/trunc/ld-linux-aarch64.so.1
	head -c 65536 $(INITRAMFS_DIR)/lib/aarch64-linux-gnu/libc.so.6 >$(INITRAMFS_DIR)/lib/trunc/libc.so.6
	chmod 755 $(INITRAMFS_DIR)/lib/*.so.* $(INITRAMFS_DIR)/lib/*/*.so.*
	cp -R $(USER_DIR)/rootfs/. $(INITRAMFS_DIR)/
	chmod 755 $(INITRAMFS_DIR)/init $(INITRAMFS_DIR)/bin/*
	chmod 644 $(INITRAMFS_DIR)/etc/motd
	chmod 1777 $(INITRAMFS_DIR)/tmp
	$(if $(INITRD_EXTRA),cp -R $(INITRD_EXTRA)/. $(INITRAMFS_DIR)/)

user-hosttest: user-tree
	@mkdir -p $(USER_RESULTS)
	QEMU_USER=$(QEMU_USER) bash $(USER_DIR)/hosttest.sh $(INITRAMFS_DIR) $(USER_RESULTS)/user-host.txt $(USER_RESULTS)/user-host.log
