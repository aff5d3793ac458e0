/* SPDX-License-Identifier: MIT */
/* Board files (<addrspace-machine/board.h>) and the internal machine API. */
#ifndef HW_TEST_DEVICES_BOARD_JSON_H
#define HW_TEST_DEVICES_BOARD_JSON_H

#include <addrspace-machine/board.h>

#include "machine.h"

#endif /* HW_TEST_DEVICES_BOARD_JSON_H */
