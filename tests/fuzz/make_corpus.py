#!/usr/bin/env python3
"""Regenerates the libFuzzer seed corpora for the boot fuzzers.

Writes small valid and invalid Multiboot2 boot information blobs (spec
§3.6) to corpus/fuzz_multiboot2/ and ELF64 executables (gABI, AMD64 psABI)
to corpus/fuzz_elf_check/, next to this script. Standard library only;
output is deterministic, so rerunning it leaves a clean tree unchanged.

Usage: python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- Multiboot2 (§3.6) ----

AVAIL, RESERVED, ACPI, NVS = 1, 2, 3, 4


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def tag(type_, body):
    return pad8(struct.pack("<II", type_, 8 + len(body)) + body)


def cstr(s):
    return s.encode() + b"\0"


def mmap(entries, entry_size=24, version=0):
    body = struct.pack("<II", entry_size, version)
    for base, length, kind in entries:
        e = struct.pack("<QQII", base, length, kind, 0)
        body += e + b"\0" * (entry_size - len(e))
    return tag(6, body)


def module(start, end, name):
    return tag(3, struct.pack("<II", start, end) + cstr(name))


def fb_rgb(addr):
    common = struct.pack("<QIIIBBH", addr, 4096, 1024, 768, 32, 1, 0)
    return tag(8, common + bytes([16, 8, 8, 8, 0, 8]))


def fb_ega():
    return tag(8, struct.pack("<QIIIBBH", 0xB8000, 160, 80, 25, 16, 2, 0))


def boot_info(tags, end=True, total=None):
    body = b"".join(tags) + (struct.pack("<II", 0, 8) if end else b"")
    size = 8 + len(body) if total is None else total
    return struct.pack("<II", size, 0) + body


BIOS_MAP = [
    (0x0, 0x9FC00, AVAIL),
    (0x9FC00, 0x400, RESERVED),
    (0xF0000, 0x10000, RESERVED),
    (0x100000, 0x7EE0000, AVAIL),
    (0x7FE0000, 0x20000, RESERVED),
    (0xFFFC0000, 0x40000, RESERVED),
]

UEFI_MAP = [
    (0x0, 0xA0000, AVAIL),
    (0x100000, 0x700000, AVAIL),
    (0x800000, 0x8000, NVS),
    (0x808000, 0x3000, AVAIL),
    (0x900000, 0x3E5F000, AVAIL),
    (0x7F5F000, 0x80000, ACPI),
    (0xFFC00000, 0x400000, RESERVED),
]


def multiboot2_seeds():
    rsdp1 = b"RSD PTR " + bytes(12)
    rsdp2 = b"RSD PTR " + bytes(28)
    bios = boot_info([
        tag(1, cstr("mica.log=serial")),
        tag(2, cstr("GRUB 2.06")),
        module(0x10A000, 0x10C123, "/boot/init.elf init"),
        tag(4, struct.pack("<II", 639, 129920)),
        mmap(BIOS_MAP),
        fb_ega(),
        tag(14, rsdp1),
    ])
    uefi = boot_info([
        tag(1, cstr("")),
        tag(2, cstr("GRUB 2.06")),
        module(0x7C00000, 0x7C10000, "/boot/init.elf"),
        tag(12, struct.pack("<Q", 0x7FBEE018)),
        tag(14, rsdp1),
        tag(15, rsdp2),
        mmap(UEFI_MAP),
        fb_rgb(0x80000000),
        tag(17, struct.pack("<II", 48, 1) + bytes(96)),
        tag(18, b""),
        tag(20, struct.pack("<Q", 0x7E5A1998)),
    ])
    messy_map = [
        (0x500000, 0x100000, AVAIL),
        (0x100000, 0x100000, AVAIL),
        (0x100000, 0x100000, AVAIL),
        (0x180800, 0x800, RESERVED),
        (0x101234, 0x4000, AVAIL),
        (0x200000, 0xFFFFFFFFFFFFFFFF, AVAIL),
        (0x0, 0, AVAIL),
    ]
    return {
        "bios": bios,
        "uefi": uefi,
        "minimal": boot_info([]),
        "messy_mmap": boot_info([
            mmap(messy_map, entry_size=32, version=1),
            module(0x150000, 0x160000, "m"),
            module(0x200000, 0x100000, "backwards"),
        ]),
        "no_end_tag": boot_info([tag(1, cstr("x"))], end=False),
        "total_too_big": boot_info([tag(1, cstr("x"))], total=4096),
        "tag_size_zero": boot_info([struct.pack("<II", 1, 0)]),
        "bad_mmap_entry_size": boot_info([mmap(BIOS_MAP[:2], entry_size=20)]),
        "string_no_nul": boot_info([tag(1, b"abcdefgh"), tag(2, b"GRU")]),
        "fb_short": boot_info([tag(8, bytes(20))]),
    }


# ---- ELF64 (gABI; AMD64 psABI) ----

PT_LOAD, PT_NOTE, PT_GNU_STACK = 1, 4, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4


def elf(segments, entry=0x400100, size=0x240, e_type=2, machine=62, phoff=64):
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, entry, phoff, 0,
                              0, 64, 56, len(segments), 64, 0, 0)
    img = bytearray(size)
    img[:64] = hdr
    for i, (ptype, flags, off, vaddr, filesz, memsz, align) in enumerate(segments):
        ph = struct.pack("<IIQQQQQQ", ptype, flags, off, vaddr, vaddr, filesz, memsz,
                         align)
        at = phoff + 56 * i
        img[at:at + 56] = ph
    for i in range(0x100, 0x200):
        if i < size:
            img[i] = 0xCC
    return bytes(img[:size])  # headers placed past the end stay outside


TEXT = (PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x200, 0x200, 0x1000)
DATA = (PT_LOAD, PF_R | PF_W, 0x200, 0x401200, 0x40, 0x2000, 0x1000)
STACK = (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)


def elf_seeds():
    valid = elf([TEXT, DATA, STACK])
    bad_magic = b"\x7fELG" + valid[4:]
    return {
        "valid": valid,
        "valid_text_only": elf([TEXT], size=0x200),
        "valid_unaligned_copy": elf([TEXT, (PT_LOAD, PF_R, 0x200, 0x402800, 0x40, 0x100,
                                            16)]),
        "bad_magic": bad_magic,
        "truncated": valid[:0x220],
        "wx": elf([(PT_LOAD, PF_R | PF_W | PF_X) + TEXT[2:], DATA]),
        "overlap": elf([TEXT, (PT_LOAD, PF_R | PF_W, 0x200, 0x400200, 0x40, 0x100,
                               0x1000)]),
        "entry_not_x": elf([TEXT, DATA], entry=0x401200),
        "kernel_half": elf([(PT_LOAD, PF_R | PF_X, 0, 0xFFFFFFFF80000000, 0x200,
                             0x200, 0x1000)], entry=0xFFFFFFFF80000100),
        "no_load": elf([(PT_NOTE, PF_R, 0x100, 0, 0x10, 0, 4)]),
        "dyn": elf([TEXT, DATA], e_type=3),
        "phdrs_outside": elf([TEXT, DATA], phoff=0x230),
    }


def write(dirname, seeds):
    path = os.path.join(HERE, "corpus", dirname)
    os.makedirs(path, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def main():
    write("fuzz_multiboot2", multiboot2_seeds())
    write("fuzz_elf_check", elf_seeds())


if __name__ == "__main__":
    main()
