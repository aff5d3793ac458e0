/* SPDX-License-Identifier: MIT */
/*
 * The rust-vmm vm-memory peer (tests/bench/vmmem-peer/): a Rust program
 * built with Debian's cargo against librust-vm-memory-dev that does W1h,
 * W2, W3, W7 and W11 through GuestMemoryMmap. The bench starts it as a
 * child process right after measuring its own workload and prints its
 * figures as peer_vmmem_* on the workload's line, with the speedups.
 *
 * Protocol: `vmmem-peer WORKLOAD QUICK MIN_REP_NS REPS` (WORKLOAD W1h, W2,
 * W3, W7 or W11; QUICK 0 or 1) prints a "# vmmem-peer <build info>" line,
 * then one line per figure:
 *     W1h figure=load ns_per_op=5.1 iters=... addrs_hash=0x...
 * exits 0, or 1 after "CHECK FAILED: ..." on stderr.
 * `vmmem-peer version` prints the first line only.
 *
 * Which program: $ADDRSPACE_BENCH_VMMEM_PEER when set (empty: no peer),
 * else the one meson built (BENCH_VMMEM_PEER in bench-config.h), else none.
 */
#ifndef ADDRSPACE_BENCH_PEER_VMMEM_H
#define ADDRSPACE_BENCH_PEER_VMMEM_H

#include "bench.h"

/** The most fields peer_vmmem_fields() writes. */
#define PEER_VMMEM_MAX_FIELDS 4

/**
 * peer_vmmem_note() - Print a note line: the vm-memory peer's program and
 * build (rustc, vm-memory version, profile), or why it will not run.
 */
void peer_vmmem_note(void);

/**
 * peer_vmmem_fields() - Run the vm-memory peer's @workload and turn its
 * figures into fields for our workload's record.
 * @ctx: the context: --quick, the repetition length and count (the peer
 *       uses ours; with --quick it runs one repetition). A
 *       peer that fails its self-check, crashes, prints what we cannot
 *       parse, or used other addresses than @addrs is a check failure.
 * @workload: "W1h", "W2", "W3", "W7" or "W11".
 * @addrs: our BENCH_N_ADDRS addresses, which the peer must have used too.
 * @ns_per_op: our figure, for the speedups (peer time / ours).
 * @out: PEER_VMMEM_MAX_FIELDS fields: per figure of the peer, its
 *       peer_vmmem[_<figure>]_ns_per_op (or _GB_per_s for W3) and
 *       speedup_vs_vmmem[_<figure>]; the keys are static strings.
 * Return: the number of fields written; 0 without a peer or on failure.
 */
size_t peer_vmmem_fields(BenchContext *ctx, const char *workload,
                         const uint64_t *addrs, double ns_per_op,
                         BenchField *out);

#endif /* ADDRSPACE_BENCH_PEER_VMMEM_H */
