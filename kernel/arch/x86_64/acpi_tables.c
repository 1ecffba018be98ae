/*
 * The ACPI tables, read as firmware input: the RSDP's RSDT or XSDT, the
 * MADT's CPUs, the FADT's PM1 control blocks and \_S5 in the DSDT's AML
 * (ACPI 6.4 §5.2.5-§5.2.12, §7.4.2). Every length is bounded, every
 * checksum verified, every read kept inside its table and inside what
 * acpi_phys() lets us read. No kernel services: the host test compiles it.
 */
#include "arch/x86_64/acpi_tables.h"

#define TABLE_MAX      (1u << 20) /* no table we read is near this long */
#define SDT_HEADER_LEN 36         /* §5.2.6 */

/* FADT field offsets (ACPI 6.4 §5.2.9, table 5.9). */
#define FADT_DSDT     40
#define FADT_SMI_CMD  48
#define FADT_ACPI_EN  52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_X_DSDT   140

/* The MADT (§5.2.12): its entries start after the local APIC address and
 * flags. Processor Local APIC entries (type 0, length 8: ACPI id, APIC id,
 * flags) and Processor Local x2APIC entries (type 9, length 16: two
 * reserved bytes, the 32-bit x2APIC id, flags, ACPI uid; §5.2.12.12),
 * which firmware uses for ids of 255 and up, give the CPUs there are.
 * Flags bit 0: enabled; bit 1: online capable (may be enabled by the OS).
 * A CPU listed both ways counts once. */
#define MADT_ENTRIES      44
#define MADT_LOCAL_APIC   0
#define MADT_LOCAL_X2APIC 9

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += p[i];
    return sum == 0;
}

/* The table at phys if its signature is sig, its length sane and its
 * checksum right; its length in *len. */
static const uint8_t *table(uint64_t phys, const char *sig, uint32_t *len)
{
    const uint8_t *t = phys ? acpi_phys(phys, SDT_HEADER_LEN) : NULL;
    if (!t || t[0] != sig[0] || t[1] != sig[1] || t[2] != sig[2] || t[3] != sig[3])
        return NULL;
    *len = rd32(t + 4);
    if (*len < SDT_HEADER_LEN || *len > TABLE_MAX)
        return NULL;
    t = acpi_phys(phys, *len);
    return t && checksum_ok(t, *len) ? t : NULL;
}

/* The table with signature sig that the RSDT or XSDT lists (§5.2.7,
 * §5.2.8); NULL if none. */
static const uint8_t *find_table(const uint8_t *rsdp, size_t rsdp_len, const char *sig,
                                 uint32_t *tlen)
{
    uint32_t len;
    bool xsdt = rsdp_len >= 36 && rsdp[15] >= 2;
    const uint8_t *root = xsdt ? table(rd64(rsdp + 24), "XSDT", &len)
                               : table(rd32(rsdp + 16), "RSDT", &len);
    if (!root)
        return NULL;
    unsigned entry = xsdt ? 8 : 4;
    for (uint32_t off = SDT_HEADER_LEN; off + entry <= len; off += entry) {
        uint64_t phys = xsdt ? rd64(root + off) : rd32(root + off);
        const uint8_t *t = table(phys, sig, tlen);
        if (t)
            return t;
    }
    return NULL;
}

static void add_cpu(struct acpi_facts *f, uint32_t apic)
{
    for (unsigned i = 0; i < f->cpus; i++)
        if (f->cpu_apic[i] == apic)
            return;
    if (f->cpus < ACPI_CPUS_MAX)
        f->cpu_apic[f->cpus++] = apic;
}

static void parse_madt(const uint8_t *rsdp, size_t rsdp_len, struct acpi_facts *f)
{
    uint32_t len;
    const uint8_t *madt = find_table(rsdp, rsdp_len, "APIC", &len);
    for (uint32_t off = MADT_ENTRIES; madt && off + 2 <= len;) {
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len)
            break; /* a broken entry ends the walk, never the kernel */
        if (type == MADT_LOCAL_APIC && elen >= 8 && (rd32(madt + off + 4) & 3))
            add_cpu(f, madt[off + 3]);
        if (type == MADT_LOCAL_X2APIC && elen >= 16 && (rd32(madt + off + 8) & 3))
            add_cpu(f, rd32(madt + off + 4));
        off += elen;
    }
}

/* Reads one small integer element of an AML package (§20.2.3). */
static bool aml_int(const uint8_t **p, const uint8_t *end, uint16_t *out)
{
    if (*p >= end)
        return false;
    uint8_t op = *(*p)++;
    if (op == 0x0a) { /* BytePrefix */
        if (*p >= end)
            return false;
        *out = *(*p)++;
    } else if (op <= 1 || op == 0xff) { /* ZeroOp, OneOp, OnesOp */
        *out = op == 0xff ? 0xff : op;
    } else {
        return false;
    }
    return true;
}

/* Finds Name(_S5, Package() {a, b, ...}) in the DSDT's AML. */
static bool parse_s5(const uint8_t *dsdt, uint32_t len, struct acpi_facts *f)
{
    const uint8_t *end = dsdt + len;
    for (uint32_t at = SDT_HEADER_LEN; at + 8 < len; at++) {
        const uint8_t *p = dsdt + at;
        if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_')
            continue;
        if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))
            continue;     /* not a NameOp */
        if (p[4] != 0x12) /* PackageOp */
            continue;
        /* PkgLength: lead byte bits 7:6 = extra bytes; then NumElements. */
        uint32_t elems = at + 5 + 1 + (p[5] >> 6) + 1;
        if (elems >= len)
            return false;
        const uint8_t *q = dsdt + elems;
        return aml_int(&q, end, &f->slp_typa) && aml_int(&q, end, &f->slp_typb);
    }
    return false;
}

void acpi_parse(const uint8_t *rsdp, size_t rsdp_len, struct acpi_facts *out)
{
    *out = (struct acpi_facts){0};
    if (!rsdp || rsdp_len < 20)
        return;
    parse_madt(rsdp, rsdp_len, out);
    uint32_t flen, dlen;
    const uint8_t *fadt = find_table(rsdp, rsdp_len, "FACP", &flen);
    if (!fadt || flen < FADT_PM1B_CNT + 4)
        return;
    uint64_t dsdt_phys = rd32(fadt + FADT_DSDT);
    if (flen >= FADT_X_DSDT + 8 && rd64(fadt + FADT_X_DSDT))
        dsdt_phys = rd64(fadt + FADT_X_DSDT);
    const uint8_t *dsdt = table(dsdt_phys, "DSDT", &dlen);
    if (!dsdt || !parse_s5(dsdt, dlen, out))
        return;
    out->pm1a = (uint16_t)rd32(fadt + FADT_PM1A_CNT);
    out->pm1b = (uint16_t)rd32(fadt + FADT_PM1B_CNT);
    out->smi_cmd = rd32(fadt + FADT_SMI_CMD);
    out->acpi_enable = fadt[FADT_ACPI_EN];
    out->s5_found = out->pm1a != 0;
}
