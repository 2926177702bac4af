# mk/image.mk: the system image. Included by the top-level Makefile
# (`include mk/image.mk`); see docs/image.md.
#
#   make image         build/image/$(BOARD)/{disk.img,vmlinuz,initramfs.cpio.gz,rootfs.squashfs}
#   make qemu          boot it through OVMF + GRUB (TCG, console on stdio,
#                      https://localhost:8443/); DIRECT=1: direct kernel boot
#   make keys          update signing keys for development (build/keys; docs/update.md)
#   make bundle        a signed update bundle of the image (build/image/$(BOARD)/update.bundle)
#   make update-powercut  the full power-cut matrix of updates under QEMU
#   make sbom          build/image/$(BOARD)/sbom.spdx.json (SPDX 2.3; also in the
#                      image at /usr/share/classbox/sbom.spdx.json)
#   make system-test   tests/system/*.sh and tests/system/slow/*.sh (QEMU,
#                      headless; slow/: the pc-x86_64 board, not in make test)
#   make image-tools   install the host tools with apt-get (as root)
#
# BOARD=qemu-x86_64 (default). CLASSBOX_BIN=FILE installs FILE as
# /usr/bin/classbox instead of building $(BUILD)/musl/classbox.

BOARD ?= qemu-x86_64
BUILD ?= build
IMAGE_DIR := $(BUILD)/image/$(BOARD)
IMAGE_CLASSBOX := $(BUILD)/musl/classbox
# What `make image` needs on a fresh Debian machine: build-essential (gcc,
# make, strip: the host classbox for `make keys`, BusyBox's build tools),
# bzip2 (BusyBox's and mbedTLS's tarballs are .tar.bz2), musl-tools and
# musl-dev (tools/sbom records the musl-dev package; musl-tools depends on
# it, named here all the same).
IMAGE_APT := build-essential bzip2 squashfs-tools mtools dosfstools e2fsprogs gdisk cpio xz-utils \
	qemu-system-x86 musl-tools musl-dev file curl openssl zstd jq grub-common
IMAGE_TOOLS := gcc make strip bzip2 mksquashfs mcopy mkfs.vfat mkfs.ext4 sgdisk cpio xz \
	qemu-system-x86_64 musl-gcc file curl openssl zstd jq grub-mkimage

.PHONY: image qemu system-test image-tools image-clean sbom keys bundle update-powercut

image-tools:
	@missing=; for t in $(IMAGE_TOOLS); do command -v $$t >/dev/null 2>&1 || \
	  [ -x /usr/sbin/$$t ] || [ -x /sbin/$$t ] || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "image.mk: missing$$missing; installing $(IMAGE_APT)"; \
	    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $(IMAGE_APT) || \
	    { apt-get -o DPkg::Lock::Timeout=600 update && \
	      apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $(IMAGE_APT); } || exit 1; \
	  else echo "image.mk: missing$$missing: apt-get install $(IMAGE_APT)" >&2; exit 1; fi; \
	fi

# Development update keys (the root key stays offline in real life).
UPDATE_KEYS ?= $(BUILD)/keys
keys: $(UPDATE_KEYS)/root.pub
$(UPDATE_KEYS)/root.pub:
	$(MAKE) TARGET=host $(BUILD)/host/classbox
	CLASSBOX=$(BUILD)/host/classbox tools/update/make-keys $(UPDATE_KEYS)

image: image-tools keys
ifeq ($(CLASSBOX_BIN),)
	$(MAKE) TARGET=musl $(IMAGE_CLASSBOX)
	UPDATE_KEYS=$(abspath $(UPDATE_KEYS)) PATH="$$PATH:/usr/sbin:/sbin" KINC=$(abspath $(BUILD))/musl/kernel-include \
	  CLASSBOX_BIN=$(IMAGE_CLASSBOX) tools/image/build-image $(BOARD) $(IMAGE_DIR)
else
	$(MAKE) TARGET=musl deps
	UPDATE_KEYS=$(abspath $(UPDATE_KEYS)) PATH="$$PATH:/usr/sbin:/sbin" KINC=$(abspath $(BUILD))/musl/kernel-include \
	  CLASSBOX_BIN=$(CLASSBOX_BIN) tools/image/build-image $(BOARD) $(IMAGE_DIR)
endif

qemu:
	@test -f $(IMAGE_DIR)/disk.img || $(MAKE) image
	board/$(BOARD)/qemu --dir $(IMAGE_DIR) $(if $(DIRECT),--direct,--efi)

bundle: keys
	@test -f $(IMAGE_DIR)/rootfs.squashfs || $(MAKE) image
	$(MAKE) TARGET=host $(BUILD)/host/classbox
	CLASSBOX=$(BUILD)/host/classbox tools/update/make-bundle --keys $(UPDATE_KEYS) \
	  --dir $(IMAGE_DIR) --out $(IMAGE_DIR)/update.bundle

update-powercut:
	@test -f $(IMAGE_DIR)/disk.img || $(MAKE) image
	IMAGE_DIR=$(IMAGE_DIR) POWERCUT_POINTS=full sh tests/system/update_powercut.sh

# The SBOM of the image as built (make image writes it too and puts it in
# the image; this target rewrites it, e.g. after a deps.lock change).
sbom: image-tools
	@test -d $(IMAGE_DIR)/kernel || $(MAKE) image
	IMAGE_DIR=$(abspath $(IMAGE_DIR)) tools/sbom $(BOARD) $(IMAGE_DIR)/sbom.spdx.json

system-test:
	@test -f $(IMAGE_DIR)/disk.img || $(MAKE) image
	@for t in tests/system/*.sh tests/system/slow/*.sh; do echo "== $$t"; IMAGE_DIR=$(IMAGE_DIR) sh $$t || exit 1; done

image-clean:
	rm -rf $(BUILD)/image
