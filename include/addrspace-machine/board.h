/* SPDX-License-Identifier: MIT */
/**
 * @file board.h
 * @brief Board files: a test machine described in JSON (format in
 * README.md, section "Board files").
 *
 * A board file is an object with three arrays: "regions" (kind ram, rom,
 * romd, io, container, alias, reservation, iommu or ram-device; id, name,
 * size, parent, addr, priority, overlap, enabled, readonly, nonvolatile,
 * target, offset, address_space, page_size, perm, owner), "devices" (type:
 * a registered device type, device.h, such as hpet, testdev, dma-testdev
 * or console; id, name, parent, addr, priority, overlap, irqs, owner and
 * the type's properties) and "address_spaces" (id, name, root,
 * endianness). Sizes, addresses and offsets are JSON integers or
 * strings ("0xfed00000", "4096", "128M", "0x10000000000000000" for 2^64).
 * Ids (default: the name) are unique and are what references name; names
 * may repeat, as in QEMU. Size 0 (except for RAM-backed kinds) and alias
 * windows past their target's end load, as QEMU accepts them.
 *
 * Only strict JSON (RFC 8259) is read: comments, single quotes, trailing
 * commas, duplicate member names, `\u0000` in strings and more than one
 * top-level value are refused (json-strict.h).
 *
 * Loading never aborts: a malformed file is refused with a GError
 * (ADDRSPACE_ERROR) whose message starts with the JSON path of the
 * offending value, e.g. `$.regions[3].size: must be a non-negative
 * integer`: syntax errors, wrong types, unknown members, kinds or types,
 * unknown members of a device's type, the errors of its type's realize,
 * duplicate ids, unknown parents, targets, roots or address spaces, alias
 * cycles, regions that would contain themselves, siblings that overlap
 * without "overlap": true, regions that do not fit in their parent,
 * absurd sizes (RAM above 64 GiB), files above BOARD_JSON_MAX_BYTES,
 * nesting deeper than BOARD_JSON_MAX_DEPTH, more than BOARD_JSON_MAX_VALUES
 * values or BOARD_JSON_MAX_REGIONS entries in one array or object.
 */
#ifndef ADDRSPACE_MACHINE_BOARD_H
#define ADDRSPACE_MACHINE_BOARD_H

#include <stddef.h>

#include <glib.h>

#include <addrspace-machine/machine.h>

ADDRSPACE_BEGIN_DECLS

/** Largest board file accepted. */
#define BOARD_JSON_MAX_BYTES (4u << 20)
/** Deepest nesting of arrays and objects accepted. */
#define BOARD_JSON_MAX_DEPTH 16
/** Most values (strings, numbers, literals, arrays, objects) in a file. */
#define BOARD_JSON_MAX_VALUES (1u << 17)
/** Most entries in "regions" (and in any array or object of the file). */
#define BOARD_JSON_MAX_REGIONS 4096u
/** Most entries in "devices". */
#define BOARD_JSON_MAX_DEVICES 256u
/** Most entries in "address_spaces". */
#define BOARD_JSON_MAX_SPACES 64u

/**
 * board_json_load_data() - Build and realize the machine described by a
 * board file's text.
 * @data: the text (need not be NUL-terminated; any bytes are safe).
 * @len: its length in bytes.
 * @errp: error return, naming the JSON path of the problem.
 *
 * Context: as machine_realize().
 * Return: the realized machine (machine_free()), or NULL.
 */
Machine *board_json_load_data(const char *data, size_t len, GError **errp);

/**
 * board_json_load_file() - board_json_load_data() on a file's contents.
 * @path: the file.
 * @errp: error return (also for a file that cannot be read); messages are
 *        prefixed with the file name.
 *
 * Context: as machine_realize().
 * Return: the realized machine (machine_free()), or NULL.
 */
Machine *board_json_load_file(const char *path, GError **errp);

/**
 * board_json_to_data() - Write a machine as a board file.
 * @m: the machine (realized or not).
 *
 * Regions, devices and AddressSpaces are written in the order they were
 * added, with the addresses, priorities, parents and flags they have now,
 * so loading the text builds the same tree and writing that out gives the
 * same text (romd regions start in romd mode again; RAM contents are not
 * part of a board). An "id" is written only where it is not the name; a
 * device's properties in its type's order, each in the syntax of its kind
 * (MachinePropKind), left out where equal to the declared default.
 * Context: while the topology is not being changed.
 * Return: the JSON text, newline-terminated (g_free()).
 */
char *board_json_to_data(Machine *m);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MACHINE_BOARD_H */
