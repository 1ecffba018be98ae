#ifndef MICA_ARCH_X86_64_ACPI_TABLES_H
#define MICA_ARCH_X86_64_ACPI_TABLES_H
/*
 * The ACPI tables the kernel reads, parsed with no kernel services so that
 * the host unit test (tests/unit/boot/test_acpi_tables.c) compiles the same
 * file: the RSDT or XSDT, the MADT's CPUs, the FADT's PM1 control blocks and
 * the DSDT's \_S5 package (ACPI 6.4 §5.2).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPUs kept from the MADT: more than the kernel runs (ARCH_MAX_CPUS), so
 * that the boot can say how many it leaves unused. */
#define ACPI_CPUS_MAX 256

struct acpi_facts {
    unsigned cpus;                    /* distinct enabled CPUs, MADT order */
    uint32_t cpu_apic[ACPI_CPUS_MAX]; /* their local APIC (or x2APIC) ids */
    bool s5_found;                    /* the rest is set only when true */
    uint16_t pm1a, pm1b;              /* PM1a/PM1b_CNT_BLK I/O ports (0: none) */
    uint16_t slp_typa, slp_typb;      /* \_S5's SLP_TYPa/b */
    uint32_t smi_cmd;                 /* SMI_CMD port and ACPI_ENABLE value */
    uint8_t acpi_enable;
};

/* Provided by the caller: `len` bytes of physical memory at `pa`, or NULL
 * when any of them lies outside what may be read. */
const uint8_t *acpi_phys(uint64_t pa, uint64_t len);

/* Fills *out from the tables the RSDP (rsdp_len bytes: 20 for ACPI 1.0,
 * 36 and up for 2.0+) leads to. Every field the tables give is checked:
 * lengths bounded, checksums verified, entries walked within their table;
 * what fails a check is left out, never read past. */
void acpi_parse(const uint8_t *rsdp, size_t rsdp_len, struct acpi_facts *out);

#endif
