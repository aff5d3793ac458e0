/* SPDX-License-Identifier: MIT */
/*
 * Private to the qtest front end (qtest.c, qtest-memory.c,
 * qtest-server.c): the session's state and the command table's types.
 */
#ifndef HW_TEST_DEVICES_QTEST_INTERNAL_H
#define HW_TEST_DEVICES_QTEST_INTERNAL_H

#include "qtest.h"

struct QTestSession {
    Machine *m;
    GString *inbuf;  /* the incomplete line of qtest_session_feed() */
    bool discarding; /* the current input line is too long */
    char *intercept; /* device whose lines are reported, or NULL */
    int irq_levels[QTEST_MAX_IRQ];
    GString *out;            /* responses of the command being run */
    GString *pending;        /* IRQ lines produced outside a command */
    QTestOutputFn output_fn; /* where output is streamed, or NULL */
    void *output_opaque;
    bool output_failed;    /* output_fn refused: later output is dropped */
    size_t peak_buffered;  /* most output bytes held at once */
    GHashTable *snapshots; /* name -> QTestSnapshot * (`snapshot save`) */
    bool loading;          /* `snapshot load` runs: lines are not reported */
    uint8_t *block;        /* qtest_block_get()'s buffer, or NULL */
};

typedef struct Command Command;
typedef void (*CommandFn)(QTestSession *s, const Command *cmd, char **words,
                          int nwords, GString *out);

struct Command {
    const char *name;
    int min_args;
    int max_args;
    CommandFn fn;
    unsigned size; /* access width of the sized commands (readb: 1) */
};

/* Append @w as an error message echoes a word: its first 64 bytes, and
 * "..." when it is longer. */
void qtest_append_echo(GString *out, const char *w);

/* Parse words[@i] as a number; on failure answer "FAIL invalid WHAT ..." */
bool qtest_arg_u64(char **words, int i, const char *what, uint64_t *v,
                   GString *out);
/* A SIZE argument, at most QTEST_MAX_SIZE; else answer FAIL. */
bool qtest_arg_size(char **words, int i, uint64_t *len, GString *out);
/* A PORT argument, at most 0xffff; else answer FAIL. */
bool qtest_arg_port(char **words, int i, uint64_t *port, GString *out);

/*
 * Called after each bounded piece (at most QTEST_OUTPUT_SLACK bytes) a
 * command appends to @out (the session's output or its pending IRQ
 * lines): with an output function, passes the buffer on once it holds
 * QTEST_OUTPUT_CHUNK bytes, so no reply is ever held whole.
 */
void qtest_out_progress(QTestSession *s, GString *out);

/* At the end of a command: pass @out on to the output function, if any. */
void qtest_out_flush(QTestSession *s, GString *out);

/*
 * The data buffer of one memory command (read, write, memset and their
 * base64 forms): @len bytes (at least one), not initialised. Up to
 * QTEST_BLOCK_KEEP bytes it is the session's own, kept from command to
 * command (a command stream pays no allocation, and no fresh pages, per
 * command); longer ones are allocated. Give it back with
 * qtest_block_put() before the next command.
 */
#define QTEST_BLOCK_KEEP (64u << 10)
uint8_t *qtest_block_get(QTestSession *s, uint64_t len);
void qtest_block_put(QTestSession *s, uint8_t *block);
/* At the session's end: its buffer is kept for the next session (one is
 * kept in all). */
void qtest_block_release(QTestSession *s);

/* The AddressSpace of memory commands (the first); NULL after FAIL. */
AddressSpace *qtest_memory_as(QTestSession *s, GString *out);

/* Memory and port commands (qtest-memory.c). */
void qtest_cmd_readn(QTestSession *s, const Command *cmd, char **words,
                     int nwords, GString *out);
void qtest_cmd_writen(QTestSession *s, const Command *cmd, char **words,
                      int nwords, GString *out);
void qtest_cmd_read(QTestSession *s, const Command *cmd, char **words,
                    int nwords, GString *out);
void qtest_cmd_b64read(QTestSession *s, const Command *cmd, char **words,
                       int nwords, GString *out);
void qtest_cmd_write(QTestSession *s, const Command *cmd, char **words,
                     int nwords, GString *out);
void qtest_cmd_memset(QTestSession *s, const Command *cmd, char **words,
                      int nwords, GString *out);
void qtest_cmd_in(QTestSession *s, const Command *cmd, char **words, int nwords,
                  GString *out);
void qtest_cmd_out(QTestSession *s, const Command *cmd, char **words,
                   int nwords, GString *out);

#endif /* HW_TEST_DEVICES_QTEST_INTERNAL_H */
