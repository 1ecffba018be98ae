#!/usr/bin/env bash
# Installs the Debian packages Mica needs to build, boot and test (Debian 12).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    cmake make clang lld libclang-rt-14-dev \
    grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools \
    qemu-system-x86 ovmf python3 librsvg2-bin gdb \
    bochs bochs-term bochsbios vgabios
