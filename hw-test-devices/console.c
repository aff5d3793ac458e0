/* SPDX-License-Identifier: MIT */
/* console: a UART-like output device (transmit register, status). */
#include <string.h>

#include "console.h"

struct Console {
    MemoryOwner owner; /* first: recovered from the release callback */
    MemoryRegion mr;
    GMutex lock;
    GString *buf;
    FILE *out;
};

static uint64_t console_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return addr == CONSOLE_REG_LSR ? CONSOLE_LSR_READY : 0;
}

static void console_write(void *opaque, hwaddr addr, uint64_t data,
                          unsigned size)
{
    Console *con = opaque;
    char c = (char)(data & 0xff);

    (void)size;
    if (addr != CONSOLE_REG_THR) {
        return;
    }
    g_mutex_lock(&con->lock);
    if (con->buf->len < CONSOLE_BUFFER_MAX) {
        g_string_append_c(con->buf, c);
    }
    if (con->out) {
        fputc((unsigned char)c, con->out);
        if (c == '\n') {
            fflush(con->out);
        }
    }
    g_mutex_unlock(&con->lock);
}

/* Byte registers, as QEMU's serial_io_ops. */
static const MemoryRegionOps console_ops = {
    .read = console_read,
    .write = console_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void console_release(MemoryOwner *owner)
{
    Console *con = (Console *)owner;

    memory_region_finalize(&con->mr);
    g_mutex_clear(&con->lock);
    g_string_free(con->buf, TRUE);
    g_free(con);
}

Console *console_new(const char *name, GError **errp)
{
    Console *con = g_new0(Console, 1);

    if (!memory_region_init_io(&con->mr, &con->owner, &console_ops, con, name,
                               CONSOLE_REGION_SIZE, errp)) {
        g_free(con);
        return NULL;
    }
    memory_owner_init(&con->owner, name, console_release);
    g_mutex_init(&con->lock);
    con->buf = g_string_new(NULL);
    return con;
}

void console_unref(Console *con)
{
    memory_owner_unref(&con->owner);
}

MemoryRegion *console_region(Console *con)
{
    return &con->mr;
}

void console_set_output(Console *con, FILE *out)
{
    g_mutex_lock(&con->lock);
    if (con->out) {
        fflush(con->out);
    }
    con->out = out;
    g_mutex_unlock(&con->lock);
}

char *console_take_output(Console *con, size_t *len)
{
    char *s;

    g_mutex_lock(&con->lock);
    s = g_malloc(con->buf->len + 1);
    memcpy(s, con->buf->str, con->buf->len + 1);
    if (len) {
        *len = con->buf->len;
    }
    g_string_truncate(con->buf, 0);
    g_mutex_unlock(&con->lock);
    return s;
}
