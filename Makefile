# pikern: the user's entry points. `make` builds kernel8.img; `make run`
# boots it in QEMU; `make test` runs every test and prints one summary line.
# BOARD=rpi3 (default, QEMU raspi3b) or BOARD=rpi4 (QEMU raspi4b).

BOARD    ?= rpi3
TARGET   := aarch64-unknown-none-softfloat
HOST     := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
OBJCOPY   = $(shell rustc --print sysroot)/lib/rustlib/$(HOST)/bin/llvm-objcopy
CARGO    ?= cargo
QEMU     ?= qemu-system-aarch64
# The experiment `make run` traces: fork (the seed's raspbian_fork, /etc/rc)
# or thread (its thread twin raspbian_thread_c, /etc/rc.thread).
DEMO     ?= fork
# The root filesystem `make run` lays over the built-in programs:
# busybox (Debian's busybox-static, about 1 MB) or debian (Debian's bash,
# coreutils, procps, psmisc, strace ... from Debian's archive, about 15 MB:
# tools/rootfs-debian.sh), whose /etc/rc.debian runs the same experiment
# under bash and leaves a bash login shell.
ROOTFS   ?= busybox
ifeq ($(ROOTFS),debian)
  APPEND ?= -- /bin/bash /etc/rc.debian$(if $(filter thread,$(DEMO)), rc.thread)
  INITRD ?= build/rootfs-debian.cpio.gz
else ifneq ($(ROOTFS),busybox)
  $(error ROOTFS must be busybox or debian, not '$(ROOTFS)')
endif
# The kernel command line. By default init runs /etc/rc (or
# /etc/rc.thread): the experiment traced with ftrace, then a shell.
APPEND   ?= -- /bin/sh /etc/rc$(if $(filter thread,$(DEMO)),.thread)
# What `make run` adds with -initrd: Debian's busybox-static as /bin/sh (so
# /etc/rc and the interactive shell are busybox's ash, with line editing,
# history, tab completion and job control) over the built-in programs.
# INITRD= boots the built-in initramfs alone, with pikern's own shell.
INITRD   ?= build/userland.cpio.gz

KERNEL_ELF      := target/$(TARGET)/release/pikern
KERNEL_TEST_ELF := target/ktest/$(TARGET)/release/pikern
TOOLS_DIR       := target/debug
RUNNER          := $(TOOLS_DIR)/ktest-runner
SUMMARY         := $(TOOLS_DIR)/test-summary
MKDTB           := $(TOOLS_DIR)/mkdtb
RESULTS         := build/results

ifeq ($(BOARD),rpi4)
  MACHINE := raspi4b
else ifeq ($(BOARD),rpi3)
  MACHINE := raspi3b
else
  $(error BOARD must be rpi3 or rpi4, not '$(BOARD)')
endif

# `make run DISPLAY=1` opens QEMU's window on the HDMI framebuffer (fbcon:
# the kernel's messages and the shell's output, the per-CPU status line);
# without it QEMU shows no window (-display none) and the UART is all. On
# make's command line DISPLAY hides the X display's own name: 1 means :0,
# and DISPLAY=:1 names another.
ifeq ($(origin DISPLAY),command line)
  export QEMU_WINDOW := 1
endif

QEMU_RUN = $(QEMU) -M $(MACHINE) -kernel build/kernel8.img -dtb build/$(BOARD).dtb \
	-append "$(APPEND)" -display none -serial mon:stdio -semihosting

.PHONY: font test-fbcon all kernel kernel-test tools dtbs run sdboot-test test test-vfat trace-dat bench bench-smoke bench-initrd gdb clippy fmt lint doc clean \
	deps setup chainloader chainboot test-busybox test-busybox-subset rootfs-debian test-debian test-mmc

# Every build target first makes sure the toolchain, the aarch64 targets,
# QEMU and the cross compiler are there (`deps`, a no-op in 0.2 s when they
# are): a fresh clone builds with a bare `make`.
all: kernel tools

# User programs and the initramfs (build/initramfs.cpio): user/user.mk.
include user/user.mk
INITRAMFS_ABS := $(abspath $(INITRAMFS))

# SD-card images for real hardware: sdcard, sdcard-chainloader, sdcard-check.
include tools/sdcard.mk

# The system-call fuzzer: fuzz-test (fixed seed, both boards) and fuzz (soak).
include user/fuzz.mk

# Installs QEMU (raspi4b needs >= 9.0), the cross compiler and the pinned
# Rust toolchain when something is missing; says what it does.
deps:
	@bash tools/setup.sh --quiet

setup:
	@bash tools/setup.sh

# The framebuffer console's font: Debian's Terminus 8x16 (console-setup-linux,
# fetched with apt by tools/fetch-debian.sh), unpacked for kernel/build.rs.
FONT := build/font/console.psf
FONT_PKG_PATH := ./usr/share/consolefonts/Uni2-Terminus16.psf.gz
font: $(FONT)
$(FONT):
	@bash tools/fetch-debian.sh --only '$(FONT_PKG_PATH)' console-setup-linux
	@mkdir -p $(dir $(FONT))
	@gzip -dc build/debian/console-setup-linux/$(FONT_PKG_PATH) > $@.tmp && mv $@.tmp $@

kernel: tools user $(FONT) | deps
	PIKERN_INITRAMFS=$(INITRAMFS_ABS) $(CARGO) build -p pikern --target $(TARGET) --release
	@mkdir -p build
	$(OBJCOPY) -O binary $(KERNEL_ELF) build/kernel8.img
	$(TOOLS_DIR)/kallsyms $(KERNEL_ELF) build/kernel8.img
	@echo "built build/kernel8.img ($$(stat -c %s build/kernel8.img) bytes)"

kernel-test: tools user $(FONT) | deps
	PIKERN_INITRAMFS=$(INITRAMFS_ABS) $(CARGO) build -p pikern --target $(TARGET) --release --features ktest --target-dir target/ktest
	@mkdir -p build
	$(OBJCOPY) -O binary $(KERNEL_TEST_ELF) build/kernel8-test.img
	$(TOOLS_DIR)/kallsyms $(KERNEL_TEST_ELF) build/kernel8-test.img

tools: | deps
	$(CARGO) build -p pikern-tools

# The chainloader (boot/chainloader): flashed once as kernel8.img, it takes
# kernels over the serial line. It runs with the MMU off, where unaligned
# accesses fault, so its code is built with strict alignment (rustc calls
# the flag unstable and says so; it is what LLVM's AArch64 backend uses).
# RUSTFLAGS, not `cargo rustc -- ...`, so libkernel is built that way too;
# its own target directory keeps those objects apart from the kernel's.
CHAINLOADER_ELF := target/chainloader/$(TARGET)/release/pikern-chainloader
chainloader: | deps
	RUSTFLAGS="-C target-feature=+strict-align" $(CARGO) build -p pikern-chainloader \
		--release --target $(TARGET) --target-dir target/chainloader
	@mkdir -p build
	$(OBJCOPY) -O binary $(CHAINLOADER_ELF) build/chainloader.img
	@echo "built build/chainloader.img ($$(stat -c %s build/chainloader.img) bytes)"

# Sends build/kernel8.img to a board running the chainloader, then stays on
# as its console: make chainboot DEV=/dev/ttyUSB0
chainboot: kernel tools
	@test -n "$(DEV)" || { echo "usage: make chainboot DEV=/dev/ttyUSB0 (the USB serial adapter)"; exit 2; }
	$(TOOLS_DIR)/chainboot --dev $(DEV) build/kernel8.img

dtbs: tools
	@mkdir -p build
	$(MKDTB) --board rpi3 -o build/rpi3.dtb
	$(MKDTB) --board rpi4 -o build/rpi4.dtb

# The SD card make run attaches (SDCARD= for none). Its cmdline.txt is the
# command line, as the firmware makes it on a board, unless APPEND (or
# DEMO or ROOTFS, which choose the script) is given.
SDCARD   ?= $(SDCARD_IMG)
RUN_CMDLINE_FROM_CARD := $(if $(filter command line environment,$(origin APPEND) $(origin DEMO) $(origin ROOTFS)),,1)
run: deps kernel dtbs $(filter build/userland.cpio.gz,$(INITRD)) $(if $(filter build/rootfs-debian.cpio.gz,$(INITRD)),rootfs-debian) \
		$(if $(filter $(SDCARD_IMG),$(SDCARD)),sdcard-qemu)
	@INITRD="$(INITRD)" SDCARD="$(SDCARD)" CMDLINE_FROM_CARD=$(RUN_CMDLINE_FROM_CARD) \
		bash tools/run.sh $(MACHINE) build/kernel8.img build/$(BOARD).dtb "$(APPEND)"

# The no-serial workflow on both boards (tools/sdboot-test.sh): the card
# make run attaches, /boot, bin/ by PATH and init=, the trace read back
# from the card byte for byte, an unclean stop, bad cards.
sdboot-test: kernel dtbs build/userland.cpio.gz
	@mkdir -p $(RESULTS)
	@for b in rpi3 rpi4; do \
		echo "== the no-serial workflow on $$b: the SD card at /boot, its programs and traces =="; \
		bash tools/sdboot-test.sh $$b build/kernel8.img build/$$b.dtb build/userland.cpio.gz \
			$(RESULTS)/sdboot-$$b.txt; \
	done

# Debian's busybox-static (apt, arm64: tools/fetch-debian.sh) with /bin/sh
# linked to it, gzip-compressed as distributions ship an initramfs.
build/userland.cpio.gz: tools
	@bash tools/fetch-debian.sh busybox-static
	@rm -rf build/userland && mkdir -p build/userland/bin
	@cp build/debian/busybox-static/bin/busybox build/userland/bin/busybox
	@ln -s busybox build/userland/bin/sh
	@$(MKCPIO) build/userland -o build/userland.cpio > /dev/null
	@gzip -9 -f build/userland.cpio
	@echo "built build/userland.cpio.gz (busybox as /bin/sh)"

# The Debian root filesystem (issue 21): tools/rootfs-debian.sh resolves
# bash, coreutils, procps, psmisc, strace, grep, sed, less, util-linux and
# mount with apt (arm64, a private state), unpacks them without root into
# build/rootfs-debian-tree (merged /usr) with pikern's own programs, and
# packs build/rootfs-debian.cpio.gz. The .debs are fetched once.
rootfs-debian: tools user-tree
	@bash tools/rootfs-debian.sh

# Debian's programs on both boards with the Debian initramfs (not part of
# `make test`): bash's script suite against the same bash under
# qemu-aarch64, coreutils/procps/psmisc/strace checks, the memory of 10
# idle bash processes. Writes $(RESULTS)/debian-{rpi3,rpi4}.txt.
# DEBIAN_BASH=/bin/bash-static runs the bash cases with Debian's static bash.
test-debian: deps kernel dtbs rootfs-debian
	@mkdir -p $(RESULTS)
	-bash tools/rootfs-debian-test.sh $(RESULTS) rpi3 rpi4
	@$(SUMMARY) --results $(RESULTS)/debian-rpi3.txt --results $(RESULTS)/debian-rpi4.txt

# Every runner writes a results file; test-summary adds them up, prints the
# closing `N passed, N failed, N skipped` line and fails if anything failed.
# ktest-runner also writes NAME.ktap, one KTAP document over all its QEMU
# runs that `kunit.py parse` reads (tools/kunit-check.sh checks them), beside
# NAME-console.log, the raw console with every restart appended.
test: deps kernel kernel-test dtbs chainloader build/userland.cpio.gz
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@echo "== host unit tests (cargo test) =="
	-$(CARGO) test 2>&1 | tee $(RESULTS)/host.log
	@echo "== lint (cargo fmt --check, cargo clippy -D warnings) =="
	-@$(MAKE) --no-print-directory lint > $(RESULTS)/lint.log 2>&1 \
		&& printf 'passed 1\nfailed 0\nskipped 0\n' > $(RESULTS)/lint.txt \
		|| { cat $(RESULTS)/lint.log; printf 'passed 0\nfailed 1\nskipped 0\n' > $(RESULTS)/lint.txt; }
	@echo "== in-kernel suites on raspi3b =="
	-$(RUNNER) --board rpi3 --kernel build/kernel8-test.img --dtb build/rpi3.dtb \
		--results $(RESULTS)/rpi3.txt --ktap $(RESULTS)/rpi3.ktap \
		--log $(RESULTS)/rpi3-console.log
	@echo "== in-kernel suites on raspi4b =="
	-$(RUNNER) --board rpi4 --kernel build/kernel8-test.img --dtb build/rpi4.dtb \
		--results $(RESULTS)/rpi4.txt --ktap $(RESULTS)/rpi4.ktap \
		--log $(RESULTS)/rpi4-console.log
	@echo "== user space on raspi3b: usertests and the C (glibc) programs =="
	-$(RUNNER) --board rpi3 --kernel build/kernel8.img --dtb build/rpi3.dtb \
		--append "lockdep init=/init -- /bin/usertests" \
		--results $(RESULTS)/user-rpi3.txt --ktap $(RESULTS)/user-rpi3.ktap \
		--log $(RESULTS)/user-rpi3-console.log
	@echo "== user space on raspi4b =="
	-$(RUNNER) --board rpi4 --kernel build/kernel8.img --dtb build/rpi4.dtb \
		--append "lockdep init=/init -- /bin/usertests" \
		--results $(RESULTS)/user-rpi4.txt --ktap $(RESULTS)/user-rpi4.ktap \
		--log $(RESULTS)/user-rpi4-console.log
	@echo "== external initramfs (-initrd): gzip, zstd, xz, lz4 -l, concatenated, corrupt; stock static ELF layouts =="
	-bash tools/initrd-test.sh $(RESULTS) rpi3 rpi4
	@echo "== Debian's busybox-static (apt, arm64) as the shell: on Linux (qemu-aarch64), then on both boards =="
	-bash tools/busybox-test.sh $(RESULTS) rpi3 rpi4
	@echo "== vfat: FAT16 on the brd RAM disk, mounted, written by busybox, read back by fsck.vfat and mtools =="
	-bash tools/vfat-test.sh $(RESULTS) rpi3 rpi4
	@echo "== busybox's own testsuite, 24 applets (make test-busybox runs all): Linux (qemu-aarch64), then both boards =="
	-@$(MAKE) --no-print-directory test-busybox-subset
	@echo "== fault injection (fail_alloc=) under fork, exec, exit, pipes, files, mmap =="
	-$(RUNNER) --board rpi3 --kernel build/kernel8.img --dtb build/rpi3.dtb \
		--append "fail_alloc=1,20,0,-1,task-filter init=/init -- /bin/faultinject" \
		--results $(RESULTS)/fail-rpi3.txt --ktap $(RESULTS)/fail-rpi3.ktap \
		--log $(RESULTS)/fail-rpi3-console.log
	-$(RUNNER) --board rpi4 --kernel build/kernel8.img --dtb build/rpi4.dtb \
		--append "fail_alloc=3,100,0,-1,task-filter init=/init -- /bin/faultinject" \
		--results $(RESULTS)/fail-rpi4.txt --ktap $(RESULTS)/fail-rpi4.ktap \
		--log $(RESULTS)/fail-rpi4-console.log
	@echo "== the system-call fuzzer: a fixed seed, 200,000 calls on each board =="
	-@$(MAKE) --no-print-directory fuzz-test
	@echo "== the same user programs on Linux's ABI (qemu-aarch64 user mode): proves the tests =="
	-@$(MAKE) --no-print-directory user-hosttest > $(RESULTS)/user-host-make.log 2>&1 \
		|| tail -20 $(RESULTS)/user-host-make.log
	@for b in rpi3 rpi4; do \
		m=$$( [ $$b = rpi4 ] && echo raspi4b || echo raspi3b ); \
		echo "== make run without a terminal on $$m: the seed's experiment, its trace checked =="; \
		if OUT=$(RESULTS)/run-$$b INITRD=build/userland.cpio.gz timeout 600 bash tools/run.sh \
			$$m build/kernel8.img build/$$b.dtb \
			"$(APPEND)" < /dev/null > $(RESULTS)/run-$$b.log 2>&1; then \
			echo "ok: make run exited 0"; printf 'passed 1\nfailed 0\nskipped 0\n' > $(RESULTS)/run-$$b.txt; \
		else echo "not ok: make run failed; see $(RESULTS)/run-$$b.log"; tail -20 $(RESULTS)/run-$$b.log; \
			printf 'passed 0\nfailed 1\nskipped 0\n' > $(RESULTS)/run-$$b.txt; fi; \
		$(TOOLS_DIR)/pikern-trace expect $(RESULTS)/run-$$b/console.log --results $(RESULTS)/trace-$$b.txt \
			| grep -E '^(ok|not ok)' ; \
		echo "== its trace.dat read by trace-cmd report and KernelShark on $$m =="; \
		bash tools/tracedat-test.sh $(RESULTS)/run-$$b $(RESULTS)/tracedat-$$b.txt | grep -E '^(ok|not ok|skip)'; \
	done
	@echo "== the shell driven through the console, as typed at a keyboard =="
	-$(TOOLS_DIR)/console-test --board rpi3 --kernel build/kernel8.img --dtb build/rpi3.dtb \
		--results $(RESULTS)/console-rpi3.txt
	-$(TOOLS_DIR)/console-test --board rpi4 --kernel build/kernel8.img --dtb build/rpi4.dtb \
		--results $(RESULTS)/console-rpi4.txt
	@echo "== busybox's ash as make run gives it: Ctrl-C, Ctrl-Z, jobs, bg, fg, completion, history =="
	-$(TOOLS_DIR)/console-test --board rpi3 --kernel build/kernel8.img --dtb build/rpi3.dtb \
		--busybox build/userland.cpio.gz --results $(RESULTS)/console-busybox-rpi3.txt
	-$(TOOLS_DIR)/console-test --board rpi4 --kernel build/kernel8.img --dtb build/rpi4.dtb \
		--busybox build/userland.cpio.gz --results $(RESULTS)/console-busybox-rpi4.txt
	@echo "== the HDMI console: QEMU's screendump read back glyph by glyph (boot, scrolling, status line) =="
	-@$(MAKE) --no-print-directory test-fbcon
	@echo "== the SD card image, built and read back =="
	-@$(MAKE) --no-print-directory sdcard-check
	@echo "== the SD card as a block device (-drive if=sd): usertests block, the image read back, no card, no partition table =="
	-bash tools/mmc-test.sh $(RESULTS) rpi3 rpi4
	-@$(MAKE) --no-print-directory sdboot-test
	@echo "== real-board paths under QEMU: chainloader, watchdog power off and reboot, UART clock, real DTBs =="
	-$(TOOLS_DIR)/hw-test --board rpi3 --results $(RESULTS)/hw-rpi3.txt \
		--real-dtb "$$(ls $(SDCARD_CACHE)/*/boot/bcm2837-rpi-3-b.dtb 2>/dev/null | head -1)"
	-$(TOOLS_DIR)/hw-test --board rpi4 --results $(RESULTS)/hw-rpi4.txt \
		--real-dtb "$$(ls $(SDCARD_CACHE)/*/boot/bcm2711-rpi-4-b.dtb 2>/dev/null | head -1)"
	@echo "== the benchmark, short (every measurement present; no thresholds) =="
	-@$(MAKE) --no-print-directory bench-smoke
	@echo "== harness self-check: a failing, a hanging and a crashing suite are caught =="
	-$(RUNNER) selfcheck --board rpi3 --kernel build/kernel8-test.img --dtb build/rpi3.dtb \
		--results $(RESULTS)/selfcheck.txt --log $(RESULTS)/selfcheck-console.log
	@$(SUMMARY) --cargo-log $(RESULTS)/host.log --results $(RESULTS)/lint.txt \
		--results $(RESULTS)/rpi3.txt --results $(RESULTS)/rpi4.txt \
		--results $(RESULTS)/user-rpi3.txt --results $(RESULTS)/user-rpi4.txt \
		--results $(RESULTS)/user-host.txt \
		--results $(RESULTS)/initrd-rpi3.txt --results $(RESULTS)/initrd-rpi4.txt \
		--results $(RESULTS)/busybox-host.txt \
		--results $(RESULTS)/busybox-rpi3.txt --results $(RESULTS)/busybox-rpi4.txt \
		--results $(RESULTS)/vfat-rpi3.txt --results $(RESULTS)/vfat-rpi4.txt \
		--results $(RESULTS)/bbsuite-host.txt \
		--results $(RESULTS)/bbsuite-rpi3.txt --results $(RESULTS)/bbsuite-rpi4.txt \
		--results $(RESULTS)/fail-rpi3.txt --results $(RESULTS)/fail-rpi4.txt \
		--results $(RESULTS)/fuzz-rpi3.txt --results $(RESULTS)/fuzz-rpi4.txt \
		--results $(RESULTS)/run-rpi3.txt --results $(RESULTS)/trace-rpi3.txt \
		--results $(RESULTS)/console-rpi3.txt --results $(RESULTS)/console-rpi4.txt \
		--results $(RESULTS)/fbcon-rpi3.txt --results $(RESULTS)/fbcon-rpi4.txt \
		--results $(RESULTS)/console-busybox-rpi3.txt --results $(RESULTS)/console-busybox-rpi4.txt \
		--results $(RESULTS)/run-rpi4.txt --results $(RESULTS)/trace-rpi4.txt \
		--results $(RESULTS)/tracedat-rpi3.txt --results $(RESULTS)/tracedat-rpi4.txt \
		--results $(RESULTS)/hw-rpi3.txt --results $(RESULTS)/hw-rpi4.txt \
		--results $(RESULTS)/sdcard.txt --results $(RESULTS)/mmc-rpi3.txt --results $(RESULTS)/mmc-rpi4.txt \
		--results $(RESULTS)/bench.txt \
		--results $(RESULTS)/sdboot-rpi3.txt --results $(RESULTS)/sdboot-rpi4.txt \
		--results $(RESULTS)/selfcheck.txt

# The SD card and the block layer alone (part of make test): see
# tools/mmc-test.sh.
test-mmc: deps kernel dtbs
	@mkdir -p $(RESULTS)
	bash tools/mmc-test.sh $(RESULTS) rpi3 rpi4

# Busybox's own testsuite (issue 18), from Debian's busybox source package,
# with Debian's busybox-static and its build configuration: on Linux
# through qemu-aarch64 (the reference), then on both boards; every test
# that passes on Linux must pass on pikern (tools/busybox-suite.sh).
# test-busybox runs all of it (an hour or more); test-busybox-subset the
# applets in tests/busybox/suite-subset.txt, which pass on both. Each writes
# $(RESULTS)/bbsuite-{host,rpi3,rpi4}.txt and bbsuite-compare.txt.
BBSUITE_TIMEOUT ?= 300
test-busybox: deps kernel tools dtbs
	@mkdir -p $(RESULTS)
	bash tools/busybox-suite.sh --timeout $(BBSUITE_TIMEOUT) $(RESULTS) host rpi3 rpi4

# vfat alone (tools/vfat-test.sh, also part of `make test`): FAT images
# made by mkfs.vfat/mtools on the brd RAM disks; the disk comes back over
# the console for fsck.vfat and mtools. Writes $(RESULTS)/vfat-{rpi3,rpi4}.txt.
test-vfat: deps kernel tools dtbs build/userland.cpio.gz
	@mkdir -p $(RESULTS)
	bash tools/vfat-test.sh $(RESULTS) rpi3 rpi4

test-busybox-subset: deps kernel tools dtbs
	@mkdir -p $(RESULTS)
	bash tools/busybox-suite.sh --list tests/busybox/suite-subset.txt --timeout 120 $(RESULTS) host rpi3 rpi4

# Benchmarks (docs/performance.md): QEMU's virtual clock counts guest
# instructions (-icount shift=0), so the numbers repeat exactly. Prints the
# table against the targets and writes build/bench.json.
bench: deps kernel dtbs bench-initrd
	$(TOOLS_DIR)/bench-report run --board $(BOARD) --kernel build/kernel8.img \
		--dtb build/$(BOARD).dtb --initrd $(BENCH_INITRD) --bash-initrd $(BENCH_BASH_INITRD) \
		--sdcard $(BENCH_SDCARD) \
		--log build/bench-console.log --json build/bench.json

# Debian's busybox-static (apt, arm64: tools/fetch-debian.sh) alone in an
# initramfs: bench-report boots it as -initrd for the shell measurement
# (busybox sh running /bin/true), in a boot of its own. A second one holds
# Debian's bash with its loader, libc and libtinfo (the files of
# build/rootfs-debian.cpio.gz that bash uses, from the same packages; three
# .debs rather than that image's 51, which would add minutes to make test)
# for the memory of 10 idle bash processes, in a boot of its own too.
BENCH_INITRD := build/bench-initrd.cpio
BENCH_BASH_INITRD := build/bench-bash-initrd.cpio
# A scratch SD card (64 MiB, no partition table) for the SD measurements:
# made afresh by bench-initrd, which every bench target depends on.
BENCH_SDCARD := build/bench-sdcard.img
bench-initrd: tools
	@rm -f $(BENCH_SDCARD) && truncate -s 64M $(BENCH_SDCARD)
	@bash tools/fetch-debian.sh busybox-static
	@rm -rf build/bench-initrd && mkdir -p build/bench-initrd/bin
	@cp build/debian/busybox-static/bin/busybox build/bench-initrd/bin/busybox
	@$(MKCPIO) build/bench-initrd -o $(BENCH_INITRD) > /dev/null
	@bash tools/fetch-debian.sh bash libc6 libtinfo6
	@rm -rf build/bench-bash-initrd && mkdir -p build/bench-bash-initrd/usr/bin build/bench-bash-initrd/lib/aarch64-linux-gnu
	@cp build/debian/bash/bin/bash build/bench-bash-initrd/usr/bin/bash
	@cp -L build/debian/libc6/lib/ld-linux-aarch64.so.1 build/bench-bash-initrd/lib/
	@cp -L build/debian/libc6/lib/aarch64-linux-gnu/libc.so.6 \
		build/debian/libtinfo6/lib/aarch64-linux-gnu/libtinfo.so.6 build/bench-bash-initrd/lib/aarch64-linux-gnu/
	@$(MKCPIO) build/bench-bash-initrd -o $(BENCH_BASH_INITRD) > /dev/null

# The same measurements with small counts, for make test: every line must
# be there and > 0 (no thresholds). Writes $(RESULTS)/bench.txt.
bench-smoke: deps kernel dtbs bench-initrd
	@mkdir -p $(RESULTS)
	$(TOOLS_DIR)/bench-report run --quick --board $(BOARD) --kernel build/kernel8.img \
		--dtb build/$(BOARD).dtb --initrd $(BENCH_INITRD) --bash-initrd $(BENCH_BASH_INITRD) \
		--sdcard $(BENCH_SDCARD) \
		--log $(RESULTS)/bench-console.log \
		--results $(RESULTS)/bench.txt

# build/trace.dat (trace-cmd's format) from the last `make run`'s console
# (make run writes it too), then the checks make test runs on it: trace-cmd
# report agrees with build/trace.txt, KernelShark draws it
# (build/kernelshark.png).
trace-dat: tools
	$(TOOLS_DIR)/pikern-trace dat build/console.log --kernel build/kernel8.img -o build/trace.dat
	bash tools/tracedat-test.sh build build/tracedat.txt

gdb: deps kernel dtbs
	@echo "QEMU waits for gdb on :1234. In another terminal:"
	@echo "  gdb-multiarch $(KERNEL_ELF) -ex 'target remote :1234'"
	$(QEMU_RUN) -s -S

# The framebuffer console on both boards (tools/src/bin/fbcon-test.rs):
# the screen after boot and after scrolling, decoded with the kernel's font
# and compared with the UART. Keeps the last screen in $(RESULTS)/fbcon-*.
test-fbcon: deps kernel dtbs tools
	@mkdir -p $(RESULTS)
	-$(TOOLS_DIR)/fbcon-test --board rpi3 --kernel build/kernel8.img --dtb build/rpi3.dtb \
		--font $(FONT) --panic --results $(RESULTS)/fbcon-rpi3.txt --screen $(RESULTS)/fbcon-rpi3-screen.txt \
		--ppm $(RESULTS)/fbcon-rpi3.ppm
	-$(TOOLS_DIR)/fbcon-test --board rpi4 --kernel build/kernel8.img --dtb build/rpi4.dtb \
		--font $(FONT) --panic --results $(RESULTS)/fbcon-rpi4.txt --screen $(RESULTS)/fbcon-rpi4-screen.txt \
		--ppm $(RESULTS)/fbcon-rpi4.ppm

fmt:
	$(CARGO) fmt --all

lint: $(FONT) | deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy -p pikern --target $(TARGET) --release -- -D warnings
	$(CARGO) clippy -p pikern --target $(TARGET) --release --features ktest --target-dir target/ktest -- -D warnings
	$(CARGO) clippy -p pikern-rt -p pikern-user --target $(USER_TARGET) --release -- -D warnings
	$(CARGO) clippy -p pikern-chainloader --target $(TARGET) --release --target-dir target/chainloader -- -D warnings
	$(CARGO) clippy -p pikern-vdso --target $(TARGET) --release -- -D warnings

clippy: lint

doc:
	$(CARGO) doc -p pikern --target $(TARGET) --no-deps
	$(CARGO) doc --no-deps
	@echo "open target/$(TARGET)/doc/pikern/index.html"

clean:
	$(CARGO) clean
	rm -rf build
