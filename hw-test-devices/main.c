/* SPDX-License-Identifier: MIT */
/*
 * addrspace-machine: the project's main program, the test machine's
 * command line with the built-in device types only (main.h).
 */
#include <addrspace-machine/main.h>

int main(int argc, char **argv)
{
    return addrspace_machine_main(argc, argv);
}
