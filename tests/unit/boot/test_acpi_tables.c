/*
 * Host unit tests for acpi_parse() (kernel/arch/x86_64/acpi_tables.c).
 *
 * The tables are built in a fake physical memory: a heap block that
 * acpi_phys() maps at MEM_BASE and refuses outside, so a read past a table
 * that lies at the end of it is caught by ASan. A valid set (RSDP, RSDT or
 * XSDT, MADT, FADT, DSDT with \_S5) is checked first, then one breakage per
 * rule: bad checksums and lengths, broken MADT entries, x2APIC entries,
 * duplicates and the CPU cap, a cut-off \_S5, and every length of the DSDT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/acpi_tables.h"
#include "boot/check.h"

#define MEM_BASE 0x000e0000u
#define MEM_SIZE 0x10000u
#define RSDT_PA  (MEM_BASE + 0x0000)
#define XSDT_PA  (MEM_BASE + 0x0100)
#define FADT_PA  (MEM_BASE + 0x0200)
#define MADT_PA  (MEM_BASE + 0x1000) /* room for 300 entries */
#define MADT2_PA (MEM_BASE + 0x4000) /* the one only the RSDT lists */
#define DSDT_PA  (MEM_BASE + 0x8000)
#define DSDT2_PA (MEM_BASE + 0x9000)

static uint8_t *mem;
static uint8_t rsdp[36];
static struct acpi_facts facts;

const uint8_t *acpi_phys(uint64_t pa, uint64_t len)
{
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return NULL;
    return mem + (pa - MEM_BASE);
}

static uint8_t *at(uint32_t pa)
{
    return mem + (pa - MEM_BASE);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* Sets the length and makes the checksum right (ACPI 6.4 §5.2.6). */
static void seal(uint32_t pa, uint32_t len)
{
    uint8_t *t = at(pa), sum = 0;
    wr32(t + 4, len);
    t[9] = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += t[i];
    t[9] = (uint8_t)-sum;
}

static void header(uint32_t pa, const char *sig)
{
    memset(at(pa), 0, 36);
    memcpy(at(pa), sig, 4);
    at(pa)[8] = 1;
}

/* The MADT: 44 bytes of header, then what add_lapic()/add_x2apic() put. */
static uint32_t madt_len;

static void madt_begin(uint32_t pa)
{
    header(pa, "APIC");
    wr32(at(pa) + 36, 0xfee00000u);
    wr32(at(pa) + 40, 1);
    madt_len = 44;
}

static void add_lapic(uint32_t pa, uint8_t apic, uint32_t flags)
{
    uint8_t *e = at(pa) + madt_len;
    e[0] = 0, e[1] = 8, e[2] = apic, e[3] = apic;
    wr32(e + 4, flags);
    madt_len += 8;
}

static void add_x2apic(uint32_t pa, uint32_t apic, uint32_t flags)
{
    uint8_t *e = at(pa) + madt_len;
    memset(e, 0, 16);
    e[0] = 9, e[1] = 16;
    wr32(e + 4, apic);
    wr32(e + 8, flags);
    wr32(e + 12, apic);
    madt_len += 16;
}

/* The DSDT: Name(\_S5, Package(4) {5, 7, 0, 0}) after some other AML. */
static const uint8_t s5_aml[] = {
    0x10, 0x05, '_',  'S',  'B',  '_',        /* Scope(\_SB) with nothing in it */
    0x08, '\\', '_',  'S',  '5',  '_',  0x12, /* Name(\_S5, Package( */
    0x08, 0x04,                               /* PkgLength 8, NumElements 4 */
    0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00,       /* BytePrefix 5, BytePrefix 7, 0, 0 */
};

static uint32_t dsdt(uint32_t pa, const uint8_t *aml, uint32_t n)
{
    header(pa, "DSDT");
    memcpy(at(pa) + 36, aml, n);
    seal(pa, 36 + n);
    return 36 + n;
}

static void fadt(uint32_t dsdt32, uint64_t x_dsdt, uint32_t len)
{
    header(FADT_PA, "FACP");
    memset(at(FADT_PA) + 36, 0, 244 - 36);
    wr32(at(FADT_PA) + 40, dsdt32);
    wr32(at(FADT_PA) + 48, 0xb2);  /* SMI_CMD */
    at(FADT_PA)[52] = 0xf1;        /* ACPI_ENABLE */
    wr32(at(FADT_PA) + 64, 0x604); /* PM1a_CNT_BLK */
    wr32(at(FADT_PA) + 68, 0);     /* PM1b_CNT_BLK */
    wr64(at(FADT_PA) + 140, x_dsdt);
    seal(FADT_PA, len);
}

/* RSDT (32-bit entries) and XSDT (64-bit) each listing `n` tables. */
static void rsdt(const uint32_t *pas, unsigned n)
{
    header(RSDT_PA, "RSDT");
    for (unsigned i = 0; i < n; i++)
        wr32(at(RSDT_PA) + 36 + 4 * i, pas[i]);
    seal(RSDT_PA, 36 + 4 * n);
}

static void xsdt(const uint32_t *pas, unsigned n)
{
    header(XSDT_PA, "XSDT");
    for (unsigned i = 0; i < n; i++)
        wr64(at(XSDT_PA) + 36 + 8 * i, pas[i]);
    seal(XSDT_PA, 36 + 8 * n);
}

static void rsdp_v1(void)
{
    memset(rsdp, 0, sizeof(rsdp));
    memcpy(rsdp, "RSD PTR ", 8);
    wr32(rsdp + 16, RSDT_PA);
}

static void rsdp_v2(void)
{
    rsdp_v1();
    rsdp[15] = 2;
    wr32(rsdp + 20, 36);
    wr64(rsdp + 24, XSDT_PA);
}

/* A valid machine: four CPUs (one disabled, one online capable), S5. */
static void build_valid(void)
{
    memset(mem, 0xcc, MEM_SIZE);
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 0, 1);
    add_lapic(MADT_PA, 1, 1);
    add_lapic(MADT_PA, 2, 0); /* neither enabled nor online capable */
    add_lapic(MADT_PA, 3, 2); /* online capable */
    seal(MADT_PA, madt_len);
    dsdt(DSDT_PA, s5_aml, sizeof(s5_aml));
    fadt(DSDT_PA, 0, 244);
    uint32_t list[] = {FADT_PA, MADT_PA};
    rsdt(list, 2);
    xsdt(list, 2);
    rsdp_v1();
}

static void parse(size_t rsdp_len)
{
    acpi_parse(rsdp, rsdp_len, &facts);
}

static void test_valid(void)
{
    build_valid();
    parse(20);
    CHECK_EQ(facts.cpus, 3);
    CHECK_EQ(facts.cpu_apic[0], 0);
    CHECK_EQ(facts.cpu_apic[1], 1);
    CHECK_EQ(facts.cpu_apic[2], 3);
    CHECK(facts.s5_found);
    CHECK_EQ(facts.pm1a, 0x604);
    CHECK_EQ(facts.pm1b, 0);
    CHECK_EQ(facts.slp_typa, 5);
    CHECK_EQ(facts.slp_typb, 7);
    CHECK_EQ(facts.smi_cmd, 0xb2);
    CHECK_EQ(facts.acpi_enable, 0xf1);
}

static void test_no_rsdp(void)
{
    build_valid();
    facts.cpus = 99;
    acpi_parse(NULL, 36, &facts);
    CHECK_EQ(facts.cpus, 0);
    CHECK(!facts.s5_found);
    parse(19); /* shorter than an ACPI 1.0 RSDP */
    CHECK_EQ(facts.cpus, 0);
    CHECK(!facts.s5_found);
}

/* Revision 2 and a 36-byte RSDP: the XSDT, not the RSDT. */
static void test_xsdt_preferred(void)
{
    build_valid();
    madt_begin(MADT2_PA);
    add_lapic(MADT2_PA, 9, 1);
    seal(MADT2_PA, madt_len);
    uint32_t old[] = {FADT_PA, MADT2_PA};
    rsdt(old, 2);
    rsdp_v2();
    parse(36);
    CHECK_EQ(facts.cpus, 3);
    CHECK_EQ(facts.cpu_apic[0], 0);
    CHECK(facts.s5_found);
    parse(20); /* the same RSDP cut to its 1.0 part: the RSDT */
    CHECK_EQ(facts.cpus, 1);
    CHECK_EQ(facts.cpu_apic[0], 9);
    /* A broken XSDT is not made up for by the RSDT. */
    at(XSDT_PA)[10] ^= 1;
    parse(36);
    CHECK_EQ(facts.cpus, 0);
    CHECK(!facts.s5_found);
}

static void test_checksums(void)
{
    build_valid();
    at(MADT_PA)[40] ^= 0x80;
    parse(20);
    CHECK_EQ(facts.cpus, 0); /* the MADT is refused */
    CHECK(facts.s5_found);   /* the rest stands */
    build_valid();
    at(DSDT_PA)[40] ^= 0x01;
    parse(20);
    CHECK_EQ(facts.cpus, 3);
    CHECK(!facts.s5_found);
    build_valid();
    at(RSDT_PA)[20] ^= 0x01;
    parse(20);
    CHECK_EQ(facts.cpus, 0);
    CHECK(!facts.s5_found);
}

static void test_lengths(void)
{
    /* Shorter than a header, longer than memory, past TABLE_MAX. */
    const uint32_t bad[] = {0, 35, MEM_SIZE, 0x7fffffffu, 0xffffffffu};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build_valid();
        wr32(at(MADT_PA) + 4, bad[i]);
        parse(20);
        CHECK_EQ(facts.cpus, 0);
        CHECK(facts.s5_found);
    }
    /* Addresses outside memory, zero, and a table just fitting its end. */
    build_valid();
    uint32_t list[] = {0, MEM_BASE + MEM_SIZE - 8, 0xffffffffu, FADT_PA, MADT_PA};
    rsdt(list, 5);
    parse(20);
    CHECK_EQ(facts.cpus, 3);
    CHECK(facts.s5_found);
    /* An RSDT whose entries run past its length: the partial one is not read. */
    build_valid();
    uint32_t one[] = {MADT_PA};
    rsdt(one, 1);
    seal(RSDT_PA, 36 + 4 + 3);
    parse(20);
    CHECK_EQ(facts.cpus, 3);
    CHECK(!facts.s5_found);
    /* A FADT too short to hold PM1b_CNT_BLK. */
    build_valid();
    fadt(DSDT_PA, 0, 71);
    parse(20);
    CHECK(!facts.s5_found);
}

static void test_madt_entries(void)
{
    /* A zero-length entry ends the walk: no endless loop, none after. */
    build_valid();
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 0, 1);
    at(MADT_PA)[madt_len] = 0, at(MADT_PA)[madt_len + 1] = 0;
    madt_len += 8;
    add_lapic(MADT_PA, 5, 1);
    seal(MADT_PA, madt_len);
    parse(20);
    CHECK_EQ(facts.cpus, 1);
    /* An entry longer than what is left of the table. */
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 0, 1);
    add_lapic(MADT_PA, 1, 1);
    at(MADT_PA)[madt_len - 8 + 1] = 200;
    seal(MADT_PA, madt_len);
    parse(20);
    CHECK_EQ(facts.cpus, 1);
    /* Entries too short for their type are skipped, not read past. */
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 4, 1);
    at(MADT_PA)[madt_len - 8 + 1] = 4;
    madt_len -= 4;
    add_x2apic(MADT_PA, 0x1234, 1);
    at(MADT_PA)[madt_len - 16 + 1] = 8;
    madt_len -= 8;
    add_lapic(MADT_PA, 6, 1);
    seal(MADT_PA, madt_len);
    parse(20);
    CHECK_EQ(facts.cpus, 1);
    CHECK_EQ(facts.cpu_apic[0], 6);
    /* A table cut in the middle of its last entry. */
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 0, 1);
    add_lapic(MADT_PA, 1, 1);
    seal(MADT_PA, madt_len - 3);
    parse(20);
    CHECK_EQ(facts.cpus, 1);
}

/* x2APIC entries (ids of 255 and up), a CPU listed both ways, disabled ones. */
static void test_x2apic(void)
{
    build_valid();
    madt_begin(MADT_PA);
    add_lapic(MADT_PA, 0, 1);
    add_x2apic(MADT_PA, 0, 1); /* the same CPU again */
    add_x2apic(MADT_PA, 255, 1);
    add_x2apic(MADT_PA, 0x10000, 2);
    add_x2apic(MADT_PA, 0x20000, 0); /* disabled */
    add_x2apic(MADT_PA, 0xffffffffu, 1);
    seal(MADT_PA, madt_len);
    parse(20);
    CHECK_EQ(facts.cpus, 4);
    CHECK_EQ(facts.cpu_apic[0], 0);
    CHECK_EQ(facts.cpu_apic[1], 255);
    CHECK_EQ(facts.cpu_apic[2], 0x10000);
    CHECK_EQ(facts.cpu_apic[3], 0xffffffffu);
}

/* More CPUs than ACPI_CPUS_MAX: the first ones are kept, nothing overflows. */
static void test_many_cpus(void)
{
    build_valid();
    madt_begin(MADT_PA);
    for (uint32_t i = 0; i < ACPI_CPUS_MAX + 40; i++)
        add_x2apic(MADT_PA, 1000 + i, 1);
    seal(MADT_PA, madt_len);
    parse(20);
    CHECK_EQ(facts.cpus, ACPI_CPUS_MAX);
    CHECK_EQ(facts.cpu_apic[ACPI_CPUS_MAX - 1], 1000 + ACPI_CPUS_MAX - 1);
}

/* The 64-bit X_DSDT wins over the 32-bit DSDT when set. */
static void test_x_dsdt(void)
{
    build_valid();
    uint8_t other[sizeof(s5_aml)];
    memcpy(other, s5_aml, sizeof(other));
    other[16] = 0x03;
    dsdt(DSDT2_PA, other, sizeof(other));
    fadt(DSDT_PA, DSDT2_PA, 244);
    parse(20);
    CHECK(facts.s5_found);
    CHECK_EQ(facts.slp_typa, 3);
    fadt(DSDT_PA, 0x100000000ull, 244); /* out of reach: no DSDT at all */
    parse(20);
    CHECK(!facts.s5_found);
    fadt(DSDT_PA, DSDT2_PA, 139); /* too short to hold X_DSDT */
    parse(20);
    CHECK_EQ(facts.slp_typa, 5);
}

static void test_s5_forms(void)
{
    /* Not after a NameOp: a method call's argument, say. */
    build_valid();
    uint8_t aml[sizeof(s5_aml)];
    memcpy(aml, s5_aml, sizeof(aml));
    aml[6] = 0x70; /* StoreOp */
    dsdt(DSDT_PA, aml, sizeof(aml));
    parse(20);
    CHECK(!facts.s5_found);
    /* Without the root prefix, and with OneOp/OnesOp elements. */
    const uint8_t plain[] = {0x08, '_',  'S',  '5',  '_',  0x12,
                             0x06, 0x04, 0x01, 0xff, 0x00, 0x00};
    dsdt(DSDT_PA, plain, sizeof(plain));
    parse(20);
    CHECK(facts.s5_found);
    CHECK_EQ(facts.slp_typa, 1);
    CHECK_EQ(facts.slp_typb, 0xff);
    /* An element that is not a small integer (a WordPrefix). */
    const uint8_t word[] = {0x08, '_',  'S',  '5',  '_',  0x12, 0x08,
                            0x04, 0x0b, 0x05, 0x00, 0x00, 0x00, 0x00};
    dsdt(DSDT_PA, word, sizeof(word));
    parse(20);
    CHECK(!facts.s5_found);
    /* PM1a_CNT_BLK zero: nothing to write to. */
    build_valid();
    wr32(at(FADT_PA) + 64, 0);
    seal(FADT_PA, 244);
    parse(20);
    CHECK(!facts.s5_found);
}

/* Every length of a DSDT that ends where memory ends: each cut is parsed
 * without a read past it (ASan), and \_S5 is found only when whole. */
static void test_dsdt_truncation(void)
{
    build_valid();
    uint32_t full = 36 + sizeof(s5_aml);
    uint32_t pa = MEM_BASE + MEM_SIZE - full;
    fadt(pa, 0, 244);
    for (uint32_t len = 0; len <= full; len++) {
        header(pa, "DSDT");
        memcpy(at(pa) + 36, s5_aml, sizeof(s5_aml));
        if (len >= 36)
            seal(pa, len);
        else
            wr32(at(pa) + 4, len);
        parse(20);
        /* The two elements are whole from 36 + 19 bytes on. */
        CHECK_EQ(facts.s5_found, len >= 36 + 19);
    }
}

int main(void)
{
    mem = malloc(MEM_SIZE);
    if (!mem)
        return 2;
    test_valid();
    test_no_rsdp();
    test_xsdt_preferred();
    test_checksums();
    test_lengths();
    test_madt_entries();
    test_x2apic();
    test_many_cpus();
    test_x_dsdt();
    test_s5_forms();
    test_dsdt_truncation();
    free(mem);
    return check_exit("test_acpi_tables");
}
