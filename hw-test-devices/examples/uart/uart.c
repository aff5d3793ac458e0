/* SPDX-License-Identifier: MIT */
/*
 * An out-of-tree device for the addrspace test machine: a small UART
 * ("tiny-uart") in one file, built against the installed package
 *
 *     cc -o uart-machine uart.c $(pkg-config --cflags --libs addrspace-machine)
 *
 * and run as the test machine with one more device type:
 *
 *     ./uart-machine -board board.json -script uart.qtest
 *
 * Registers (bytes): 0 THR (write: transmit a character), 1 IER (bit 1:
 * interrupt when the transmitter is empty), 2 IIR (read: 0x02 while that
 * interrupt is pending, which the read clears; 0x01 otherwise), 5 LSR
 * (bit 5: the transmitter is empty), 7 SCR (scratch). A character takes
 * the "char_ns" property's time (default 1000 ns of virtual time) to
 * leave; then the line is empty again and interrupt output 0 is raised
 * when IER asks for it. The state (registers, the pending transmission
 * relative to the clock, the output's level) is saved and restored
 * through the type's hooks.
 */
#include <string.h>

#include <addrspace-machine/addrspace-machine.h>

#define UART_THR      0
#define UART_IER      1
#define UART_IIR      2
#define UART_LSR      5
#define UART_SCR      7
#define UART_IER_THRI 0x02u
#define UART_IIR_NONE 0x01u
#define UART_IIR_THRI 0x02u
#define UART_LSR_THRE 0x20u
#define UART_SIZE     8u
#define UART_STATE    "(yyyxb)"

typedef struct Uart {
    MemoryOwner owner; /* first: recovered from the release callback */
    MemoryRegion mr;
    MachineDevice *dev;
    VClockTimer tx;
    GMutex lock; /* the registers, against the clock's thread */
    uint64_t char_ns;
    uint8_t ier, lsr, scr;
    bool thri; /* transmitter-empty interrupt pending */
    bool irq;  /* output 0's level */
    FILE *out;
} Uart;

/* Output 0 follows the pending interrupt; the caller holds the lock. */
static void uart_update_irq(Uart *u)
{
    bool level = u->thri && (u->ier & UART_IER_THRI);

    if (level != u->irq) {
        u->irq = level;
        machine_device_set_irq(u->dev, 0, level);
    }
}

static void uart_tx_done(void *opaque)
{
    Uart *u = opaque;

    g_mutex_lock(&u->lock);
    u->lsr |= UART_LSR_THRE;
    u->thri = true;
    uart_update_irq(u);
    g_mutex_unlock(&u->lock);
}

static uint64_t uart_read(void *opaque, hwaddr addr, unsigned size)
{
    Uart *u = opaque;
    uint64_t v = 0;

    (void)size;
    g_mutex_lock(&u->lock);
    switch (addr) {
    case UART_IER:
        v = u->ier;
        break;
    case UART_IIR:
        v = u->thri && (u->ier & UART_IER_THRI) ? UART_IIR_THRI : UART_IIR_NONE;
        u->thri = false; /* reading IIR acknowledges it */
        uart_update_irq(u);
        break;
    case UART_LSR:
        v = u->lsr;
        break;
    case UART_SCR:
        v = u->scr;
        break;
    }
    g_mutex_unlock(&u->lock);
    return v;
}

static void uart_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    Uart *u = opaque;

    (void)size;
    g_mutex_lock(&u->lock);
    switch (addr) {
    case UART_THR:
        if (u->out) {
            fputc((int)(data & 0xff), u->out);
            fflush(u->out);
        }
        u->lsr &= (uint8_t)~UART_LSR_THRE;
        u->thri = false;
        vclock_timer_mod(&u->tx, vclock_now_ns(machine_device_clock(u->dev)) +
                                     (int64_t)u->char_ns);
        break;
    case UART_IER:
        u->ier = (uint8_t)(data & 0x0f);
        break;
    case UART_SCR:
        u->scr = (uint8_t)data;
        break;
    }
    uart_update_irq(u);
    g_mutex_unlock(&u->lock);
}

static const MemoryRegionOps uart_ops = {
    .read = uart_read,
    .write = uart_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void uart_release(MemoryOwner *owner)
{
    Uart *u = (Uart *)owner;

    memory_region_finalize(&u->mr);
    g_mutex_clear(&u->lock);
    g_free(u);
}

static const MachinePropInfo uart_props[] = {
    {.name = "char_ns",
     .kind = MACHINE_PROP_U64,
     .help = "virtual time one character takes to leave (default 1000 ns)"},
    {0},
};

static void *uart_realize(MachineDevice *dev, const MachineProps *props,
                          GError **errp)
{
    uint64_t char_ns = 1000;
    Uart *u;

    if (!machine_props_get_u64(props, "char_ns", &char_ns, errp)) {
        return NULL;
    }
    if (char_ns == 0 || char_ns > INT32_MAX) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_INVALID, "char_ns",
                            "must be 1 to %d", INT32_MAX);
        return NULL;
    }
    u = g_new0(Uart, 1);
    if (!memory_region_init_io(&u->mr, &u->owner, &uart_ops, u,
                               machine_device_name(dev), UART_SIZE, errp)) {
        g_free(u);
        return NULL;
    }
    memory_owner_init(&u->owner, machine_device_name(dev), uart_release);
    g_mutex_init(&u->lock);
    u->dev = dev;
    u->char_ns = char_ns;
    u->lsr = UART_LSR_THRE;
    vclock_timer_init(&u->tx, machine_device_clock(dev), uart_tx_done, u);
    if (!machine_device_add_region(dev, NULL, &u->mr, errp) ||
        !machine_device_init_irqs(dev, 1, errp)) {
        memory_owner_unref(&u->owner);
        return NULL;
    }
    return u;
}

static void uart_reset(MachineDevice *dev, void *opaque)
{
    Uart *u = opaque;

    (void)dev;
    vclock_timer_del(&u->tx);
    g_mutex_lock(&u->lock);
    u->ier = 0;
    u->scr = 0;
    u->lsr = UART_LSR_THRE;
    u->thri = false;
    uart_update_irq(u);
    g_mutex_unlock(&u->lock);
}

static GVariant *uart_save(MachineDevice *dev, void *opaque)
{
    Uart *u = opaque;
    int64_t deadline = vclock_timer_deadline(&u->tx);
    int64_t left = -1;
    GVariant *v;

    if (deadline >= 0) {
        left = deadline - vclock_now_ns(machine_device_clock(dev));
        left = left < 0 ? 0 : left;
    }
    g_mutex_lock(&u->lock);
    v = g_variant_new(UART_STATE, u->ier, u->lsr, u->scr, left,
                      (gboolean)u->thri);
    g_mutex_unlock(&u->lock);
    return v;
}

static bool uart_restore(MachineDevice *dev, void *opaque, uint32_t version,
                         GVariant *state, GError **errp)
{
    Uart *u = opaque;
    guint8 ier, lsr, scr;
    gint64 left;
    gboolean thri;

    (void)version;
    g_variant_get(state, UART_STATE, &ier, &lsr, &scr, &left, &thri);
    if (left < -1) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "tiny-uart: bad transmission time");
        return false;
    }
    if (left >= 0) {
        vclock_timer_mod(&u->tx,
                         vclock_now_ns(machine_device_clock(dev)) + left);
    } else {
        vclock_timer_del(&u->tx);
    }
    g_mutex_lock(&u->lock);
    u->ier = ier & 0x0f;
    u->lsr = lsr;
    u->scr = scr;
    u->thri = thri;
    uart_update_irq(u);
    g_mutex_unlock(&u->lock);
    return true;
}

static void uart_set_output(MachineDevice *dev, void *opaque, FILE *out)
{
    Uart *u = opaque;

    (void)dev;
    g_mutex_lock(&u->lock);
    u->out = out;
    g_mutex_unlock(&u->lock);
}

static void uart_unrealize(MachineDevice *dev, void *opaque)
{
    Uart *u = opaque;

    (void)dev;
    vclock_timer_del_sync(&u->tx);
}

static void uart_free(MachineDevice *dev, void *opaque)
{
    Uart *u = opaque;

    (void)dev;
    memory_owner_unref(&u->owner);
}

static const MachineDeviceType uart_type = {
    .name = "tiny-uart",
    .description = "a small UART: transmitter, one interrupt output",
    .props = uart_props,
    .realize = uart_realize,
    .reset = uart_reset,
    .state_type = UART_STATE,
    .state_version = 1,
    .save = uart_save,
    .restore = uart_restore,
    .set_output = uart_set_output,
    .unrealize = uart_unrealize,
    .free = uart_free,
};

int main(int argc, char **argv)
{
    GError *err = NULL;

    if (!machine_register_device_type(&uart_type, &err)) {
        fprintf(stderr, "%s\n", err->message);
        g_error_free(err);
        return 1;
    }
    return addrspace_machine_main(argc, argv);
}
