/* SPDX-License-Identifier: MIT */
/**
 * @file addrspace.h
 * @brief Umbrella header: includes every public addrspace header.
 */
#ifndef ADDRSPACE_ADDRSPACE_H
#define ADDRSPACE_ADDRSPACE_H

#include <addrspace/types.h>
#include <addrspace/error.h>
#include <addrspace/rcu.h>
#include <addrspace/bql.h>
#include <addrspace/memory.h>
#include <addrspace/guest-memory.h>
#include <addrspace/flatview.h>
#include <addrspace/address-space.h>
#include <addrspace/ldst-phys.h>
#include <addrspace/dma.h>
#include <addrspace/iommu.h>
#include <addrspace/listener.h>
#include <addrspace/ram-discard.h>
#include <addrspace/snapshot.h>
#include <addrspace/hooks.h>
#include <addrspace/tlb.h>

#endif /* ADDRSPACE_ADDRSPACE_H */
