/* SPDX-License-Identifier: MIT */
/*
 * Command-line options: QEMU's single-dash spelling and GNU's double-dash
 * one, from one table per program (cmdline.h).
 */
#include <stdarg.h>
#include <string.h>

#include "cmdline.h"

CmdlineResult cmdline_error(const CmdlineProgram *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s --help)\n", prog->name);
    return CMDLINE_ERROR;
}

/* "  HEAD  HELP", the help wrapped at 79 columns under its first line. */
static void print_entry(FILE *out, const char *head, const char *help)
{
    const int indent = 31, width = 79;
    int col = fprintf(out, "  %-28s", head);

    while (*help) {
        size_t word = strcspn(help, " ");

        if (col > indent && col + 1 + (int)word > width) {
            col = fprintf(out, "\n%*s", indent - 1, "") - 1;
        }
        col += fprintf(out, " %.*s", (int)word, help);
        help += word;
        help += strspn(help, " ");
    }
    fputc('\n', out);
}

void cmdline_print_usage(const CmdlineProgram *prog, FILE *out)
{
    fprintf(out, "Usage: %s [OPTION...]\n", prog->name);
    if (prog->summary) {
        fprintf(out, "%s\n", prog->summary);
    }
    fprintf(out, "\nOptions (-name and --name are the same; a value is the "
                 "next argument\nor follows '='):\n");
    for (const CmdlineOption *o = prog->options; o->name; o++) {
        char head[64];
        int n = snprintf(head, sizeof(head), "-%s%s%s%s%s%s", o->name,
                         o->alias ? ", -" : "", o->alias ? o->alias : "",
                         o->metavar ? " " : "",
                         o->kind == CMDLINE_OPTIONAL_VALUE ? "[" : "",
                         o->metavar ? o->metavar : "");

        if (o->kind == CMDLINE_OPTIONAL_VALUE && n > 0 &&
            (size_t)n + 1 < sizeof(head)) {
            strcat(head, "]");
        }
        print_entry(out, head, o->help);
    }
    print_entry(out, "-h, -help", "Print this help and exit");
}

static const CmdlineOption *find_option(const CmdlineProgram *prog,
                                        const char *name, size_t len)
{
    for (const CmdlineOption *o = prog->options; o->name; o++) {
        if ((strlen(o->name) == len && !strncmp(o->name, name, len)) ||
            (o->alias && strlen(o->alias) == len &&
             !strncmp(o->alias, name, len))) {
            return o;
        }
    }
    return NULL;
}

static bool is_help(const char *name, size_t len)
{
    return (len == 1 && name[0] == 'h') ||
           (len == 4 && !strncmp(name, "help", 4));
}

CmdlineResult cmdline_parse(const CmdlineProgram *prog, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *name, *eq, *value;
        const CmdlineOption *o;
        size_t len, n;

        if (arg[0] != '-' || arg[1] == '\0') {
            return cmdline_error(prog, "unexpected argument '%s'", arg);
        }
        if (!strcmp(arg, "--")) {
            if (i + 1 < argc) {
                return cmdline_error(prog, "unexpected argument '%s'",
                                     argv[i + 1]);
            }
            break;
        }
        name = arg + (arg[1] == '-' ? 2 : 1);
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        if (is_help(name, len) && !eq) {
            cmdline_print_usage(prog, stdout);
            return CMDLINE_HELP;
        }
        o = find_option(prog, name, len);
        if (!o) {
            return cmdline_error(prog, "unknown option '%.*s'",
                                 (int)(name - arg + len), arg);
        }
        if (o->kind == CMDLINE_FLAG) {
            if (eq) {
                return cmdline_error(prog, "option '%.*s' takes no value",
                                     (int)(name - arg + len), arg);
            }
            *o->flag = true;
            continue;
        }
        value = eq ? eq + 1 : NULL;
        if (!value && i + 1 < argc &&
            (o->kind != CMDLINE_OPTIONAL_VALUE || argv[i + 1][0] != '-')) {
            value = argv[++i];
        } else if (!value && o->kind == CMDLINE_OPTIONAL_VALUE) {
            value = "";
        } else if (!value) {
            return cmdline_error(prog, "option '%s' needs a value (%s)", arg,
                                 o->metavar);
        }
        if (o->kind != CMDLINE_LIST) {
            *o->value = value;
            continue;
        }
        for (n = 0; n < CMDLINE_LIST_MAX && o->value[n]; n++) {
        }
        if (n == CMDLINE_LIST_MAX) {
            return cmdline_error(prog, "option '%s' given more than %d times",
                                 arg, CMDLINE_LIST_MAX);
        }
        o->value[n] = value;
    }
    return CMDLINE_OK;
}
