/*
 * Just enough ACPI to power the machine off: find the FADT through the RSDP
 * that GRUB copied into the boot information, take PM1a/PM1b_CNT_BLK from
 * it, and SLP_TYPa/b of the S5 state from the \_S5 package in the DSDT.
 * Entering S5 is writing SLP_TYP | SLP_EN to the PM1 control registers
 * (ACPI 6.4 §4.8.3.2.1, §7.4.2 "\_Sx", §16.1.6 "Transitioning to S5").
 *
 * Everything read from the tables is firmware input: lengths are bounded,
 * checksums verified, addresses kept below the mapped physical range.
 */
#include "arch.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/cpu.h"
#include "kernel.h"

#define TABLE_MAX      (1u << 20)
#define PHYS_LIMIT     (1ull << 32)
#define SDT_HEADER_LEN 36
#define SLP_EN         (1u << 13)

/* FADT field offsets (ACPI 6.4 §5.2.9, table 5.9). */
#define FADT_DSDT     40
#define FADT_SMI_CMD  48
#define FADT_ACPI_EN  52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_X_DSDT   140

static struct {
    bool found;
    uint16_t pm1a, pm1b;
    uint16_t slp_typa, slp_typb;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
} s5;

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

/* The table at phys if its header is sane and its checksum right. */
static const uint8_t *table(uint64_t phys, const char *sig, uint32_t *len)
{
    if (phys == 0 || phys >= PHYS_LIMIT - SDT_HEADER_LEN)
        return NULL;
    const uint8_t *t = phys_to_virt(phys);
    *len = rd32(t + 4);
    if (*len < SDT_HEADER_LEN || *len > TABLE_MAX || phys + *len > PHYS_LIMIT)
        return NULL;
    if (sig && (t[0] != sig[0] || t[1] != sig[1] || t[2] != sig[2] || t[3] != sig[3]))
        return NULL;
    return checksum_ok(t, *len) ? t : NULL;
}

/* Reads one small integer element of an AML package (ACPI 6.4 §20.2.3). */
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
static bool parse_s5(const uint8_t *dsdt, uint32_t len)
{
    const uint8_t *end = dsdt + len;
    for (const uint8_t *p = dsdt + SDT_HEADER_LEN; p + 8 < end; p++) {
        if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_')
            continue;
        if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))
            continue; /* not a NameOp */
        const uint8_t *q = p + 4;
        if (*q++ != 0x12) /* PackageOp */
            continue;
        q += 1 + (*q >> 6); /* PkgLength: lead byte bits 7:6 = extra bytes */
        q++;                /* NumElements */
        return aml_int(&q, end, &s5.slp_typa) && aml_int(&q, end, &s5.slp_typb);
    }
    return false;
}

/* The table with signature sig that the RSDT or XSDT lists (ACPI 6.4
 * §5.2.7, §5.2.8), checksum checked, and its length; NULL if none. */
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

static const uint8_t *find_fadt(const uint8_t *rsdp, size_t rsdp_len)
{
    uint32_t flen;
    const uint8_t *fadt = find_table(rsdp, rsdp_len, "FACP", &flen);
    return fadt && flen >= FADT_PM1B_CNT + 4 ? fadt : NULL;
}

/* The MADT (ACPI 6.4 §5.2.12): its Processor Local APIC entries (type 0,
 * length 8: ACPI id, APIC id, flags; bit 0 enabled, bit 1 online
 * capable) and Processor Local x2APIC entries (type 9, length 16: two
 * reserved bytes, the 32-bit x2APIC id, flags, ACPI uid; §5.2.12.12),
 * which firmware uses for ids of 255 and up, give the CPUs there are. A
 * CPU listed both ways counts once. More are kept than the kernel runs
 * (ARCH_MAX_CPUS), so that the boot can say how many it leaves unused. */
#define MADT_ENTRIES      44
#define MADT_CPUS_MAX     256
#define MADT_LOCAL_APIC   0
#define MADT_LOCAL_X2APIC 9

static uint32_t cpu_apic[MADT_CPUS_MAX];
static unsigned cpus;

static void add_cpu(uint32_t apic)
{
    for (unsigned i = 0; i < cpus; i++)
        if (cpu_apic[i] == apic)
            return;
    if (cpus < MADT_CPUS_MAX)
        cpu_apic[cpus++] = apic;
}

static void parse_madt(const uint8_t *rsdp, size_t rsdp_len)
{
    uint32_t len;
    const uint8_t *madt = find_table(rsdp, rsdp_len, "APIC", &len);
    for (uint32_t off = MADT_ENTRIES; madt && off + 2 <= len;) {
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len)
            break; /* a broken entry ends the walk, never the kernel */
        if (type == MADT_LOCAL_APIC && elen >= 8 && (rd32(madt + off + 4) & 3))
            add_cpu(madt[off + 3]);
        if (type == MADT_LOCAL_X2APIC && elen >= 16 && (rd32(madt + off + 8) & 3))
            add_cpu(rd32(madt + off + 4));
        off += elen;
    }
}

unsigned arch_acpi_cpus(const uint32_t **apic_ids)
{
    *apic_ids = cpu_apic;
    return cpus;
}

void arch_acpi_init(const void *rsdp, size_t rsdp_len)
{
    if (!rsdp || rsdp_len < 20)
        return;
    parse_madt(rsdp, rsdp_len);
    const uint8_t *fadt = find_fadt(rsdp, rsdp_len);
    if (!fadt)
        return;
    uint32_t flen = rd32(fadt + 4), dlen;
    uint64_t dsdt_phys = rd32(fadt + FADT_DSDT);
    if (flen >= FADT_X_DSDT + 8 && rd64(fadt + FADT_X_DSDT))
        dsdt_phys = rd64(fadt + FADT_X_DSDT);
    const uint8_t *dsdt = table(dsdt_phys, "DSDT", &dlen);
    if (!dsdt || !parse_s5(dsdt, dlen))
        return;
    s5.pm1a = (uint16_t)rd32(fadt + FADT_PM1A_CNT);
    s5.pm1b = (uint16_t)rd32(fadt + FADT_PM1B_CNT);
    s5.smi_cmd = rd32(fadt + FADT_SMI_CMD);
    s5.acpi_enable = fadt[FADT_ACPI_EN];
    s5.found = s5.pm1a != 0;
    kprintf("mica: acpi pm1a_cnt=%#x s5=%u\n", s5.pm1a, s5.slp_typa);
}

/* Waits about `ms` milliseconds for a power-off request to take effect. */
static void settle(unsigned ms)
{
    uint64_t until = arch_ms_since_boot() + ms;
    while (arch_ms_since_boot() < until)
        cpu_pause();
}

void arch_poweroff(void)
{
    if (s5.found) {
        /* SCI_EN clear: the firmware still owns the hardware; ask it to
         * hand over (ACPI 6.4 §16.3.1). */
        if (!(inw(s5.pm1a) & 1) && s5.smi_cmd && s5.acpi_enable) {
            outb((uint16_t)s5.smi_cmd, s5.acpi_enable);
            settle(50);
        }
        outw(s5.pm1a, (uint16_t)((s5.slp_typa & 7) << 10) | SLP_EN);
        if (s5.pm1b)
            outw(s5.pm1b, (uint16_t)((s5.slp_typb & 7) << 10) | SLP_EN);
        settle(500);
    }
    /* No usable ACPI: QEMU's test device ends the emulator, if present. */
    arch_qemu_exit(0);
    settle(100);
    kprintf("mica: power off failed; halted\n");
    arch_halt();
}
