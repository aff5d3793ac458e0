/* SPDX-License-Identifier: MIT */
/**
 * @file cmdline.h
 * @brief Command-line options of the project's programs, in QEMU's
 * spelling as well as GNU's.
 *
 * A program describes its options in one table, one line each, and calls
 * cmdline_parse(). Each option is accepted as `-name` (QEMU) and
 * `--name` (GNU), its alias likewise (`-M`, `-m`), with its value as the
 * next argument or after '=' (`-m 512`, `--ram=512`). `-h`, `-help`,
 * `--help` print the usage, generated from the table, on stdout. Unknown
 * options, a missing or unexpected value and stray arguments are refused
 * with a message on stderr that names the argument.
 *
 * Values point into argv: they stay valid as long as argv does.
 */
#ifndef HW_TEST_DEVICES_CMDLINE_H
#define HW_TEST_DEVICES_CMDLINE_H

#include <stdbool.h>
#include <stdio.h>

/**
 * enum CmdlineKind - what an option takes.
 * @CMDLINE_FLAG: no value; sets *@CmdlineOption.flag to true.
 * @CMDLINE_VALUE: a value (the next argument, or after '='); stores it in
 *                 *@CmdlineOption.value, the last one given winning.
 * @CMDLINE_OPTIONAL_VALUE: like CMDLINE_VALUE, but given without one (at
 *                 the end, or before another option) it stores "" instead.
 * @CMDLINE_LIST: a value each time it is given (QEMU's -global): stored in
 *                order into @CmdlineOption.value[0 .. CMDLINE_LIST_MAX - 1],
 *                an array of CMDLINE_LIST_MAX + 1 entries that the caller
 *                fills with NULL; one more is refused.
 */
typedef enum CmdlineKind {
    CMDLINE_FLAG,
    CMDLINE_VALUE,
    CMDLINE_OPTIONAL_VALUE,
    CMDLINE_LIST,
} CmdlineKind;

/**
 * struct CmdlineOption - one option of a program.
 * @name: the name (without dashes).
 * @alias: another name, or NULL (a short one such as "M", or an old one).
 * @kind: what it takes.
 * @flag: where a CMDLINE_FLAG is stored.
 * @value: where a value is stored (NULL until the option is given); for
 *         CMDLINE_LIST an array (see there).
 * @metavar: the value's name in the usage ("FILE"), or NULL for a flag.
 * @help: one line of usage text.
 */
typedef struct CmdlineOption {
    const char *name;
    const char *alias;
    CmdlineKind kind;
    bool *flag;
    const char **value;
    const char *metavar;
    const char *help;
} CmdlineOption;

/** The most values a CMDLINE_LIST option takes. */
#define CMDLINE_LIST_MAX 32

/**
 * enum CmdlineResult - outcome of cmdline_parse().
 * @CMDLINE_OK: the options were stored; run the program.
 * @CMDLINE_HELP: the usage was printed; exit with status 0.
 * @CMDLINE_ERROR: a message naming the problem was printed; exit with
 *                 status 2.
 */
typedef enum CmdlineResult {
    CMDLINE_OK,
    CMDLINE_HELP,
    CMDLINE_ERROR,
} CmdlineResult;

/**
 * struct CmdlineProgram - what the usage says about the program.
 * @name: the program's name, also the prefix of error messages.
 * @summary: what it does, printed under the usage line (may be NULL).
 * @options: the table, ended by an entry whose @name is NULL.
 */
typedef struct CmdlineProgram {
    const char *name;
    const char *summary;
    const CmdlineOption *options;
} CmdlineProgram;

/**
 * cmdline_parse() - Parse a program's arguments.
 * @prog: the program and its options.
 * @argc: the argument count, as main() got it.
 * @argv: the arguments; the program takes no positional argument.
 *
 * Return: what to do next (see enum CmdlineResult).
 */
CmdlineResult cmdline_parse(const CmdlineProgram *prog, int argc, char **argv);

/**
 * cmdline_print_usage() - Print the usage generated from @prog's table.
 * @prog: the program.
 * @out: where to.
 */
void cmdline_print_usage(const CmdlineProgram *prog, FILE *out);

/**
 * cmdline_error() - Print "NAME: MESSAGE\n" and a hint at --help on stderr.
 * @prog: the program.
 * @fmt: printf format of the message.
 * @...: its arguments.
 *
 * For the programs' own checks of the values, so that every usage error
 * reads the same. Return: CMDLINE_ERROR.
 */
CmdlineResult cmdline_error(const CmdlineProgram *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* HW_TEST_DEVICES_CMDLINE_H */
