# SD-card images for a real Raspberry Pi 3 or 4 (tools/sdcard.sh; docs/hardware.md).
#   make sdcard               build/pikern-sdcard.img: firmware, DTBs, config.txt,
#                             cmdline.txt ($(APPEND)) and the kernel as kernel8.img;
#                             with ROOTFS=debian also the Debian root filesystem
#                             (build/rootfs-debian.cpio.gz) as initramfs.cpio.gz
#   make sdcard-chainloader   the same card with build/chainloader.img as kernel8.img
#   make sdcard-check         builds a card (build/results/sdcard-check.img) and
#                             reads it back (build/results/sdcard.txt)
#   make sdcard-qemu          the card `make run` attaches: build/pikern-sdcard.img
#                             written as `make sdcard` does if it does not exist
#                             yet (without firmware when none can be had), and
#                             never overwritten, so what was copied onto it stays
# FIRMWARE_DIR=/path takes the firmware and DTBs from there (e.g. Raspberry Pi
# OS's boot partition) instead of downloading Debian's once into SDCARD_CACHE.

SDCARD_KERNEL      ?= build/kernel8.img
SDCARD_IMG         ?= build/pikern-sdcard.img
SDCARD_CHAINLOADER ?= build/chainloader.img
SDCARD_CACHE       ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pikern/sdcard
# ROOTFS=debian: the Debian root filesystem goes on the card as its initramfs.
SDCARD_INITRD      ?= $(if $(filter debian,$(ROOTFS)),build/rootfs-debian.cpio.gz)
export SDCARD_CACHE FIRMWARE_DIR SDCARD_INITRD

# Build the kernel first only when the card carries the one `make kernel` builds.
SDCARD_KERNEL_DEP := $(if $(filter build/kernel8.img,$(SDCARD_KERNEL)),kernel)

.PHONY: sdcard sdcard-chainloader sdcard-check sdcard-qemu

sdcard: $(SDCARD_KERNEL_DEP) $(if $(filter build/rootfs-debian.cpio.gz,$(SDCARD_INITRD)),rootfs-debian)
	@bash tools/sdcard.sh build $(SDCARD_IMG) $(SDCARD_KERNEL) "$(APPEND)"

sdcard-chainloader: $(if $(filter build/chainloader.img,$(SDCARD_CHAINLOADER)),chainloader)
	@test -f $(SDCARD_CHAINLOADER) || { echo "sdcard: $(SDCARD_CHAINLOADER) is missing: build it first (make chainloader)"; exit 1; }
	@bash tools/sdcard.sh build build/pikern-chainloader-sdcard.img $(SDCARD_CHAINLOADER) "$(APPEND)"

sdcard-check: $(SDCARD_KERNEL_DEP)
	@mkdir -p $(RESULTS)
	@# Its own image: build/pikern-sdcard.img is the card make run attaches,
	@# which may hold the user's files.
	@bash tools/sdcard.sh check $(RESULTS)/sdcard-check.img $(SDCARD_KERNEL) "$(APPEND)" $(RESULTS)/sdcard.txt

sdcard-qemu: $(SDCARD_KERNEL_DEP)
	@test -f $(SDCARD_IMG) || bash tools/sdcard.sh build-qemu $(SDCARD_IMG) $(SDCARD_KERNEL) "$(APPEND)"
