#!/usr/bin/env python3
"""Generate ELF modules for the boot test of the kernel's module validator.

Usage: make_bad_modules.py OUTDIR

Writes into OUTDIR:
  good.elf          a minimal valid ELF64 x86_64 ET_EXEC (name 'good')
  bad-*.elf         one malformed variant of it per rejection reason
  modules.cfg       GRUB fragment: 'module2 /boot/extra/<file> <name>' per file
  expected.txt      the names of the bad modules, one per line; the boot test
                    expects 'mica: module name=<name> result=rejected' for
                    each of them and 'result=ok' for 'good'

good.elf has one PT_LOAD R+X segment at 0x400000 (file offset 0x1000)
holding a few instructions that tell init's name service the task is up
(NS_READY, so that boot completes with it), then park it for good in a wait
on a notification of its own; e_entry points at them.  Output is deterministic.
"""

import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
EHDR_FIELDS = ("e_ident", "e_type", "e_machine", "e_version", "e_entry", "e_phoff",
               "e_shoff", "e_flags", "e_ehsize", "e_phentsize", "e_phnum",
               "e_shentsize", "e_shnum", "e_shstrndx")
PHDR_FIELDS = ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz",
               "p_memsz", "p_align")

ET_REL, ET_EXEC = 1, 2
EM_386, EM_X86_64 = 3, 62
PT_NULL, PT_LOAD = 0, 1
PF_X, PF_W, PF_R = 1, 2, 4

# SYS_CALL (5) on handle 1 (init's name service) with label NS_READY
# (0x104), all words 0, no timeout (r12 = -1); then it parks for good in a
# wait on a notification of its own (NOTIFY_CREATE = 11, NOTIFY_WAIT = 9),
# using no CPU: a spinning task would starve lower-priority ones.
# Numbers from include/mica/abi.h and libc-mini/include/mica/ns.h.
CODE = bytes.fromhex(
    "b805000000"      # mov eax, 5          SYS_CALL
    "bf01000000"      # mov edi, 1          MICA_HANDLE_NS
    "be04010000"      # mov esi, 0x104      info = NS_READY
    "31d2"            # xor edx, edx
    "4531d2"          # xor r10d, r10d
    "4531c0"          # xor r8d, r8d
    "4531c9"          # xor r9d, r9d
    "49c7c4ffffffff"  # mov r12, -1         MICA_WAIT_FOREVER
    "0f05"            # syscall
    "b80b000000"      # mov eax, 11         SYS_NOTIFY_CREATE
    "0f05"            # syscall             -> rax = handle
    "4889c7"          # mov rdi, rax
    "b809000000"      # park: mov eax, 9    SYS_NOTIFY_WAIT (r12 still -1)
    "0f05"            # syscall
    "ebf7")           # jmp park           # jmp back to the pause
CODE_OFFSET = 0x1000
BASE = 0x400000
KERNEL_HALF = 0xFFFFFFFF80000000
USER_TOP = 0x0000800000000000
U64 = 1 << 64


def good_fields():
    """Header and program header fields of the valid module."""
    ehdr = dict(e_ident=ident(), e_type=ET_EXEC, e_machine=EM_X86_64, e_version=1,
                e_entry=BASE, e_phoff=EHDR.size, e_shoff=0, e_flags=0,
                e_ehsize=EHDR.size, e_phentsize=PHDR.size, e_phnum=1,
                e_shentsize=0, e_shnum=0, e_shstrndx=0)
    phdr = dict(p_type=PT_LOAD, p_flags=PF_R | PF_X, p_offset=CODE_OFFSET, p_vaddr=BASE,
                p_paddr=BASE, p_filesz=len(CODE), p_memsz=len(CODE), p_align=0x1000)
    return ehdr, phdr


def build(ehdr, phdr):
    """Lay out an ELF image: header, one program header, code at 0x1000."""
    image = bytearray(CODE_OFFSET + len(CODE))
    image[0:EHDR.size] = EHDR.pack(*(ehdr[f] for f in EHDR_FIELDS))
    image[EHDR.size:EHDR.size + PHDR.size] = PHDR.pack(*(phdr[f] for f in PHDR_FIELDS))
    image[CODE_OFFSET:] = CODE
    return bytes(image)


def variant(ehdr_changes=None, phdr_changes=None, truncate=None):
    """The good module with some fields changed and/or cut short."""
    ehdr, phdr = good_fields()
    ehdr.update(ehdr_changes or {})
    phdr.update(phdr_changes or {})
    image = build(ehdr, phdr)
    return image if truncate is None else image[:truncate]


def ident(magic=b"\x7fELF", elf_class=2, data=1):
    """e_ident: by default ELFCLASS64, ELFDATA2LSB, EV_CURRENT, SysV ABI."""
    return magic + bytes([elf_class, data, 1, 0]) + bytes(8)


def modules():
    """(name, description, image) for good and every bad module, in order."""
    size = CODE_OFFSET + len(CODE)
    return [
        ("good", "valid ELF64 x86_64 executable", variant()),
        ("bad-short", "10 bytes, shorter than an ELF header", variant(truncate=10)),
        ("bad-magic", "e_ident magic is not \\x7fELF", variant({"e_ident": ident(magic=b"\x7fELG")})),
        ("bad-class32", "ELFCLASS32", variant({"e_ident": ident(elf_class=1)})),
        ("bad-bigendian", "ELFDATA2MSB", variant({"e_ident": ident(data=2)})),
        ("bad-machine", "e_machine EM_386", variant({"e_machine": EM_386})),
        ("bad-type-rel", "e_type ET_REL", variant({"e_type": ET_REL})),
        ("bad-phentsize", "e_phentsize 32, not 56", variant({"e_phentsize": 32})),
        ("bad-phdrs-eof", "program header table ends past end of file",
         variant({"e_phoff": size - 16})),
        ("bad-phoff-overflow", "e_phoff + table size wraps around 2^64",
         variant({"e_phoff": U64 - 16})),
        ("bad-seg-eof", "p_offset + p_filesz past end of file",
         variant(phdr_changes={"p_filesz": 0x2000, "p_memsz": 0x2000})),
        ("bad-seg-offset-overflow", "p_offset + p_filesz wraps around 2^64",
         variant(phdr_changes={"p_offset": U64 - 0x1000, "p_filesz": 0x2000, "p_memsz": 0x2000})),
        ("bad-filesz", "p_filesz > p_memsz", variant(phdr_changes={"p_memsz": 2})),
        ("bad-kernel-half", "segment at 0xffffffff80000000",
         variant({"e_entry": KERNEL_HALF}, {"p_vaddr": KERNEL_HALF, "p_paddr": KERNEL_HALF})),
        ("bad-wrap", "p_vaddr + p_memsz wraps around 2^64",
         variant(phdr_changes={"p_memsz": U64 - 0x1000})),
        ("bad-wrap-high", "segment just below 2^64 running past it",
         variant({"e_entry": U64 - 0x1000},
                 {"p_vaddr": U64 - 0x1000, "p_paddr": U64 - 0x1000, "p_memsz": 0x2000})),
        ("bad-noncanonical", "segment runs from the user half into the non-canonical hole",
         variant({"e_entry": USER_TOP - 0x1000},
                 {"p_vaddr": USER_TOP - 0x1000, "p_paddr": USER_TOP - 0x1000, "p_memsz": 0x2000})),
        ("bad-wx", "segment writable and executable",
         variant(phdr_changes={"p_flags": PF_R | PF_W | PF_X})),
        ("bad-no-load", "no PT_LOAD segment", variant(phdr_changes={"p_type": PT_NULL})),
        ("bad-entry", "e_entry outside any executable segment", variant({"e_entry": BASE + 0x100000})),
        ("bad-truncated-phdrs", "file ends in the middle of the program headers",
         variant(truncate=EHDR.size + PHDR.size // 2)),
    ]


def write_all(outdir):
    """Write every module plus modules.cfg and expected.txt into outdir."""
    os.makedirs(outdir, exist_ok=True)
    cfg, expected = [], []
    for name, description, image in modules():
        with open(os.path.join(outdir, f"{name}.elf"), "wb") as out:
            out.write(image)
        cfg.append(f"# {description}\nmodule2 /boot/extra/{name}.elf {name}\n")
        if name != "good":
            expected.append(f"{name}\n")
    with open(os.path.join(outdir, "modules.cfg"), "w") as out:
        out.write("".join(cfg))
    with open(os.path.join(outdir, "expected.txt"), "w") as out:
        out.write("".join(expected))


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    write_all(argv[1])


if __name__ == "__main__":
    main(sys.argv)
