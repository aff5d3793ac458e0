/* SPDX-License-Identifier: MIT */
/**
 * @file addrspace-machine.h
 * @brief Umbrella header of libaddrspace-machine, the test machine:
 * virtual clock (vclock.h), device types (device.h), machines (machine.h),
 * board files (board.h) and the program (main.h). Build with
 * `pkg-config --cflags --libs addrspace-machine`.
 */
#ifndef ADDRSPACE_MACHINE_ADDRSPACE_MACHINE_H
#define ADDRSPACE_MACHINE_ADDRSPACE_MACHINE_H

#include <addrspace-machine/board.h>
#include <addrspace-machine/device.h>
#include <addrspace-machine/machine.h>
#include <addrspace-machine/main.h>
#include <addrspace-machine/vclock.h>

#endif /* ADDRSPACE_MACHINE_ADDRSPACE_MACHINE_H */
