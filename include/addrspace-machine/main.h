/* SPDX-License-Identifier: MIT */
/**
 * @file main.h
 * @brief The test machine's program, as a function: a program that
 * registers its own device types (device.h) and then calls
 * addrspace_machine_main() is `addrspace-machine` with those types: board
 * files place them, qtest drives them.
 *
 * ```c
 * int main(int argc, char **argv)
 * {
 *     machine_register_device_type(&my_uart_type, &error_fatal);
 *     return addrspace_machine_main(argc, argv);
 * }
 * ```
 */
#ifndef ADDRSPACE_MACHINE_MAIN_H
#define ADDRSPACE_MACHINE_MAIN_H

#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

/**
 * addrspace_machine_main() - Run the test machine's command line: build
 * the default board (-M, -m) or a board file (-board), apply -global, then
 * serve qtest (-qtest stdio|unix:PATH[,server=on], -socket), run a qtest
 * script (-script), print the board (-dump-board) or run the demo;
 * `--help` lists every option.
 * @argc: as main() got it.
 * @argv: as main() got it; the program's name in messages is the last
 *        component of argv[0].
 *
 * Context: the program's main thread, once, after the program's device
 * types are registered. Ignores SIGPIPE (a qtest client that goes away
 * gives a write error instead of killing the process).
 * Return: the exit status: 0 on success, 1 on a failure (a board that
 * does not load, a script that cannot be read), 2 on a usage error.
 */
int addrspace_machine_main(int argc, char **argv);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MACHINE_MAIN_H */
