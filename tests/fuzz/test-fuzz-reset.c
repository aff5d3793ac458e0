/* SPDX-License-Identifier: MIT */
/*
 * The fuzzers' reset is complete: inputs run on the harnesses' machine
 * (fuzz-machine.h), each followed by a reset, give the same transcript
 * (every value read, every result, every interrupt line change, the
 * clock) the second time round, byte for byte, whatever ran in between;
 * and resets leave no allocations behind. The inputs: the seed corpus,
 * mutations of it and random ones (GLib's test seed, printed as
 * "# random seed", is taken back with --seed).
 *
 * Planted: compiled with FUZZ_RESET_PLANTED_SKIP the reset puts nothing
 * back, and the test must fail.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "fuzz-machine.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FUZZ_SANITIZER_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUZZ_SANITIZER_ALLOCATOR 1
#endif
#ifdef FUZZ_SANITIZER_ALLOCATOR
#include <sanitizer/allocator_interface.h>
#endif

#define RANDOM_INPUTS 24
#define MAX_INPUTS    200

typedef void BodyFn(Machine *m, const uint8_t *data, size_t size,
                    GString *transcript);

typedef struct Inputs {
    GPtrArray *bytes; /* GBytes */
} Inputs;

static void add_input(Inputs *in, const void *data, size_t len)
{
    g_ptr_array_add(in->bytes, g_bytes_new(data, len));
}

/* Every file of the harness's seed corpus. */
static void add_corpus(Inputs *in, const char *name)
{
    char *dir = g_build_filename(FUZZ_SOURCE_DIR, "corpus", name, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *f;

    g_assert_nonnull(d);
    while ((f = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_build_filename(dir, f, NULL));
    }
    g_dir_close(d);
    for (guint i = 0; i < names->len && in->bytes->len < MAX_INPUTS; i++) {
        char *data;
        gsize len;

        g_assert_true(g_file_get_contents(names->pdata[i], &data, &len, NULL));
        add_input(in, data, len);
        g_free(data);
    }
    g_ptr_array_free(names, true);
    g_free(dir);
}

/* Copies of corpus inputs with bytes changed at random. */
static void add_mutations(Inputs *in, guint count)
{
    guint seeds = in->bytes->len;

    for (guint i = 0; i < count && seeds; i++) {
        gsize len;
        const uint8_t *src = g_bytes_get_data(
            in->bytes->pdata[g_test_rand_int_range(0, (gint32)seeds)], &len);
        uint8_t *copy = g_memdup2(src, len);

        for (gsize k = 0; k < len / 16 + 1 && len; k++) {
            copy[g_test_rand_int_range(0, (gint32)len)] =
                (uint8_t)g_test_rand_int();
        }
        add_input(in, copy, len);
        g_free(copy);
    }
}

static void add_random_bytes(Inputs *in, guint count)
{
    for (guint i = 0; i < count; i++) {
        gsize len = (gsize)g_test_rand_int_range(16, 1024);
        uint8_t *data = g_malloc(len);

        for (gsize k = 0; k < len; k++) {
            data[k] = (uint8_t)g_test_rand_int();
        }
        add_input(in, data, len);
        g_free(data);
    }
}

/* Command lines aimed at the devices' registers and at RAM. */
static void add_random_qtest(Inputs *in, guint count)
{
    static const uint64_t targets[] = {
        MACHINE_HPET_BASE,
        MACHINE_HPET_BASE + 0x10,
        MACHINE_HPET_BASE + 0x20,
        MACHINE_HPET_BASE + 0xf0,
        MACHINE_HPET_BASE + 0x100,
        MACHINE_HPET_BASE + 0x108,
        MACHINE_HPET_BASE + 0x120,
        MACHINE_HPET_BASE + 0x128,
        MACHINE_TESTDEV_BASE,
        MACHINE_TESTDEV_BASE + 0x10,
        MACHINE_DMA_TESTDEV_BASE,
        MACHINE_DMA_TESTDEV_BASE + 0x8,
        MACHINE_DMA_TESTDEV_BASE + 0x10,
        MACHINE_DMA_TESTDEV_BASE + 0x14,
        MACHINE_CONSOLE_BASE,
        MACHINE_FLASH_BASE,
        0x1000,
        0x2000,
    };
    static const char *const ops[] = {"writel", "writeq", "readl",
                                      "readq",  "writeb", "readb"};

    for (guint i = 0; i < count; i++) {
        GString *s = g_string_new("irq_intercept_in ioapic\n");
        guint lines = (guint)g_test_rand_int_range(4, 40);

        for (guint k = 0; k < lines; k++) {
            uint64_t a =
                targets[g_test_rand_int_range(0, G_N_ELEMENTS(targets))] +
                (uint64_t)g_test_rand_int_range(0, 4) * 4;
            guint op = (guint)g_test_rand_int_range(0, G_N_ELEMENTS(ops) + 2);

            if (op == G_N_ELEMENTS(ops)) {
                g_string_append_printf(s, "clock_step %d\n",
                                       g_test_rand_int_range(1, 1000000));
            } else if (op > G_N_ELEMENTS(ops)) {
                g_string_append_printf(s, "outb 0x%x 0x%x\n",
                                       g_test_rand_int_range(0, 0x100),
                                       g_test_rand_int_range(0, 0x100));
            } else if (ops[op][0] == 'w') {
                g_string_append_printf(s, "%s 0x%" PRIx64 " 0x%x\n", ops[op], a,
                                       g_test_rand_int());
            } else {
                g_string_append_printf(s, "%s 0x%" PRIx64 "\n", ops[op], a);
            }
        }
        add_input(in, s->str, s->len);
        g_string_free(s, true);
    }
}

static Inputs *inputs_for(const char *name)
{
    Inputs *in = g_new0(Inputs, 1);

    in->bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    add_corpus(in, name);
    add_mutations(in, RANDOM_INPUTS);
    if (!strcmp(name, "qtest")) {
        add_random_qtest(in, RANDOM_INPUTS);
    } else {
        add_random_bytes(in, RANDOM_INPUTS);
    }
    return in;
}

static void inputs_free(Inputs *in)
{
    g_ptr_array_free(in->bytes, true);
    g_free(in);
}

static GString *run(FuzzMachine *fm, BodyFn *body, GBytes *input)
{
    GString *t = g_string_new("");
    gsize len;
    const uint8_t *data = g_bytes_get_data(input, &len);

    body(fuzz_machine_get(fm), data, len, t);
    fuzz_machine_reset(fm);
    return t;
}

/* Each input twice: in order, then in reverse order (so that another
 * input ran just before it, and all had run), the transcripts must agree. */
static void check_same_transcripts(const char *name, BodyFn *body)
{
    Inputs *in = inputs_for(name);
    FuzzMachine *fm = fuzz_machine_new();
    GPtrArray *first = g_ptr_array_new();
    guint differ = 0, changed = 0;

    for (guint i = 0; i < in->bytes->len; i++) {
        g_ptr_array_add(first, run(fm, body, in->bytes->pdata[i]));
    }
    for (guint i = in->bytes->len; i-- > 0;) {
        GString *a = first->pdata[i];
        GString *b = run(fm, body, in->bytes->pdata[i]);

        if (a->len != b->len || memcmp(a->str, b->str, a->len)) {
            if (!differ) {
                gsize at = 0;

                while (at < a->len && at < b->len && a->str[at] == b->str[at]) {
                    at++;
                }
                g_test_message("input %u: transcripts of %zu and %zu bytes "
                               "differ from byte %zu",
                               i, a->len, b->len, at);
            }
            differ++;
        }
        changed += b->len > 0;
        g_string_free(a, true);
        g_string_free(b, true);
    }
    g_ptr_array_free(first, true);
    fuzz_machine_free(fm);
    g_test_message("%u inputs, %u transcripts differ", in->bytes->len, differ);
    g_assert_cmpuint(changed, >, 0); /* the transcripts say something */
    g_assert_cmpuint(differ, ==, 0);
    inputs_free(in);
}

static void test_access_same(void)
{
    check_same_transcripts("access", fuzz_access_body);
}

static void test_qtest_same(void)
{
    check_same_transcripts("qtest", fuzz_qtest_body);
}

static size_t allocated_bytes(void)
{
#ifdef FUZZ_SANITIZER_ALLOCATOR
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
#endif
}

/* Resets give back what the inputs took: after a warm-up, another pass
 * over the inputs leaves the heap where it was (within slack for the
 * allocator's and GLib's own caches). */
static void check_no_growth(const char *name, BodyFn *body)
{
    Inputs *in = inputs_for(name);
    FuzzMachine *fm = fuzz_machine_new();
    size_t before, after;

    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < in->bytes->len; i++) {
            g_string_free(run(fm, body, in->bytes->pdata[i]), true);
        }
    }
    before = allocated_bytes();
    for (int pass = 0; pass < 3; pass++) {
        for (guint i = 0; i < in->bytes->len; i++) {
            g_string_free(run(fm, body, in->bytes->pdata[i]), true);
        }
    }
    after = allocated_bytes();
    g_test_message("heap in use: %zu bytes, then %zu after %u more inputs",
                   before, after, 3 * in->bytes->len);
    g_assert_cmpuint(after, <=, before + 64 * 1024);
    fuzz_machine_free(fm);
    inputs_free(in);
}

static void test_access_no_growth(void)
{
    check_no_growth("access", fuzz_access_body);
}

static void test_qtest_no_growth(void)
{
    check_no_growth("qtest", fuzz_qtest_body);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz-reset/access/same-transcripts", test_access_same);
    g_test_add_func("/fuzz-reset/qtest/same-transcripts", test_qtest_same);
    g_test_add_func("/fuzz-reset/access/no-growth", test_access_no_growth);
    g_test_add_func("/fuzz-reset/qtest/no-growth", test_qtest_no_growth);
    return g_test_run();
}
