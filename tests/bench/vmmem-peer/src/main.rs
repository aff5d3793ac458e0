// SPDX-License-Identifier: MIT
//! vmmem-peer: addrspace-bench's workloads W1h, W2, W3, W7 and W11 done
//! through rust-vmm's vm-memory (GuestMemoryMmap), the same work as the C
//! workloads (tests/bench/w1-ram.c, w5-many.c, w11-guest-memory.c): the
//! same guest addresses (splitmix64, the same seeds), the same memory
//! contents (bench_pattern()), the same loops, and the same method: one
//! self-check per figure, then repetitions of at least MIN_REP_NS each and
//! their median.
//!
//! Usage: vmmem-peer WORKLOAD QUICK MIN_REP_NS REPS
//!   WORKLOAD    W1h, W2, W3, W7, W11, or `version` (the first line only)
//!   QUICK       1 for a smoke run: the self-checks in full, then one
//!               repetition per figure; 0 for REPS repetitions
//!   MIN_REP_NS  the shortest timed repetition, in ns
//!   REPS        repetitions whose median is reported (1 to 64)
//!
//! Output on stdout: first `# vmmem-peer rustc=... vm_memory=... profile=...
//! opt_level=... lto=... codegen_units=...`, then one line per figure:
//!   W1h figure=load ns_per_op=5.12 iters=41943040 addrs_hash=0x...
//! where addrs_hash is a hash of the address array (the bench compares it
//! with its own). A self-check that fails prints `CHECK FAILED: ...` on
//! stderr and exits 1; a usage error exits 2.
//!
//! Figures per workload (the first is the one the bench compares first):
//!   W1h  load (Bytes::load::<u32>, Ordering::Relaxed), read_obj::<u32>
//!   W2   store (Bytes::store::<u32>, Relaxed), write_obj::<u32>
//!   W3   read_slice, read (4096 bytes)
//!   W7   read_slice, read (16 bytes across two regions)
//!   W11  load through a function generic over `M: GuestMemory`, given a
//!        GuestMemoryAtomic snapshot (`memory()`) taken once, as the C
//!        workload takes its view once (GuestMemory and Bytes have generic
//!        methods, so they cannot be trait objects); atomic: `memory()`
//!        taken anew for every load (the current map each time)
//! Loads are little-endian u32 (`u32::from_le`, free on this host).

use std::arch::asm;
use std::process::exit;
use std::sync::atomic::Ordering;
use std::time::Instant;

use vm_memory::{
    Bytes, GuestAddress, GuestAddressSpace, GuestMemory, GuestMemoryAtomic, GuestMemoryMmap,
};

/// Guest address of the RAM region (BENCH_RAM_BASE).
const RAM_BASE: u64 = 0x4000_0000;
/// Size of the RAM region (BENCH_RAM_SIZE).
const RAM_SIZE: u64 = 64 << 20;
/// The cache-resident window (BENCH_WINDOW).
const WINDOW: u64 = 16 << 10;
/// Entries of every address array (BENCH_N_ADDRS).
const N_ADDRS: usize = 4096;
const MASK: usize = N_ADDRS - 1;
/// The seed of every address generator (BENCH_SEED).
const SEED: u64 = 0x6164_6472_7370_6365;
/// W7: 64 adjacent 4 KiB regions from here (w5-many.c's MANY_BASE).
const MANY_BASE: u64 = 0x1_0000_0000;
const CROSS_REGIONS: u64 = 64;

type Mem = GuestMemoryMmap<()>;
type Addrs = [u64; N_ADDRS];

/// The destination of the reads (W3: 4096 bytes; W7: the first 16).
#[repr(align(64))]
struct Buf([u8; 4096]);

/// A timed loop: `iters` operations at `addrs[i & MASK]`, into `buf` for
/// reads; returns the sum of what it loaded (0 for stores).
type Loop<'a> = Box<dyn FnMut(&Addrs, u64, &mut Buf) -> u64 + 'a>;

struct Figure<'a> {
    name: &'static str,
    run: Loop<'a>,
}

/// bench_rand(): splitmix64.
fn rand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// bench_pattern(): the 32-bit value at 4-aligned offset `offset`.
fn pattern(offset: u64) -> u32 {
    ((offset.wrapping_mul(0x9e37_79b1) >> 3) as u32) ^ 0xa5a5_a5a5
}

/// The byte at `offset` of memory filled with pattern().
fn pattern_byte(offset: u64) -> u8 {
    pattern(offset & !3).to_le_bytes()[(offset & 3) as usize]
}

/// bench_keep(): make `v` observable so its computation is kept.
#[inline(always)]
fn keep(v: u64) {
    // SAFETY: an empty assembly statement that only takes a register.
    unsafe { asm!("/* {0} */", in(reg) v, options(nomem, nostack, preserves_flags)) }
}

/// The C loops' `__asm__ volatile("" : : "r"(buf) : "memory")`: the
/// buffer's contents are used, the copy cannot be dropped.
#[inline(always)]
fn clobber(p: *const u8) {
    // SAFETY: an empty assembly statement; it neither reads nor writes
    // memory, the compiler only has to assume it may.
    unsafe { asm!("/* {0} */", in(reg) p, options(nostack, preserves_flags)) }
}

fn fail(msg: String) -> ! {
    eprintln!("CHECK FAILED: vmmem-peer: {}", msg);
    exit(1)
}

/// bench_ram_addrs(): random `align`-aligned addresses in the first
/// `window` bytes of the RAM region.
fn ram_addrs(window: u64, align: u64, seed: u64) -> Box<Addrs> {
    let mut state = seed;
    let mut a = Box::new([0u64; N_ADDRS]);
    for x in a.iter_mut() {
        *x = RAM_BASE + ((rand(&mut state) % window) & !(align - 1));
    }
    a
}

/// FNV-1a over the addresses, as peer-vmmem.c computes it.
fn addrs_hash(a: &Addrs) -> u64 {
    a.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x).wrapping_mul(0x100_0000_01b3)
    })
}

/// `len` bytes of pattern() from offset 0.
fn pattern_bytes(len: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len as usize);
    for off in (0..len).step_by(4) {
        v.extend_from_slice(&pattern(off).to_le_bytes());
    }
    v
}

/// bench_ram_new(): one region of `size` bytes at RAM_BASE whose first
/// `fill` bytes hold pattern().
fn ram(size: u64, fill: u64) -> Mem {
    let mem = Mem::from_ranges(&[(GuestAddress(RAM_BASE), size as usize)])
        .unwrap_or_else(|e| fail(format!("set-up: {:?}", e)));
    mem.write_slice(&pattern_bytes(fill), GuestAddress(RAM_BASE))
        .unwrap_or_else(|e| fail(format!("set-up: fill: {:?}", e)));
    mem
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// The thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID), for
/// ADDRSPACE_BENCH_CLOCK=cpu as the C harness.
fn thread_cpu_ns() -> u64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec to a valid pointer.
    unsafe { clock_gettime(3, &mut ts) };
    ts.sec as u64 * 1_000_000_000 + ts.nsec as u64
}

fn time_loop(f: &mut Loop, a: &Addrs, iters: u64, buf: &mut Buf) -> u64 {
    if std::env::var("ADDRSPACE_BENCH_CLOCK").map_or(false, |v| v == "cpu") {
        let start = thread_cpu_ns();
        keep(f(a, iters, buf));
        return thread_cpu_ns() - start;
    }
    let start = Instant::now();
    keep(f(a, iters, buf));
    start.elapsed().as_nanos() as u64
}

/// An iteration count for which one run lasts at least `min_ns` (the C
/// harness's calibrate()).
fn calibrate(f: &mut Loop, a: &Addrs, min_ns: u64, buf: &mut Buf) -> u64 {
    let mut iters: u64 = 16;
    loop {
        let t = time_loop(f, a, iters, buf);
        if t >= min_ns {
            return iters;
        }
        if t < min_ns / 64 {
            iters *= 16;
        } else {
            // Aim 10% above the minimum.
            iters = (iters as f64 * 1.1 * min_ns as f64 / t.max(1) as f64) as u64;
        }
    }
}

/// Calibrates each figure, runs `reps` rounds of them interleaved, and
/// prints each figure's median.
fn measure(workload: &str, figures: &mut [Figure], a: &Addrs, min_ns: u64, reps: usize) {
    let mut buf = Buf([0; 4096]);
    let iters: Vec<u64> = figures
        .iter_mut()
        .map(|f| calibrate(&mut f.run, a, min_ns, &mut buf))
        .collect();
    let mut ns = vec![Vec::with_capacity(reps); figures.len()];
    for _ in 0..reps {
        for (k, f) in figures.iter_mut().enumerate() {
            ns[k].push(time_loop(&mut f.run, a, iters[k], &mut buf));
        }
    }
    for (k, f) in figures.iter().enumerate() {
        ns[k].sort_unstable();
        println!(
            "{} figure={} ns_per_op={:.6} iters={} addrs_hash={:#x}",
            workload,
            f.name,
            ns[k][reps / 2] as f64 / iters[k] as f64,
            iters[k],
            addrs_hash(a)
        );
    }
}

/// One pass of every load figure must sum pattern() over the addresses.
fn check_ld4(figures: &mut [Figure], a: &Addrs, base: u64) {
    let want = a
        .iter()
        .fold(0u64, |s, &x| s.wrapping_add(pattern(x - base) as u64));
    let mut buf = Buf([0; 4096]);
    for f in figures.iter_mut() {
        let got = (f.run)(a, N_ADDRS as u64, &mut buf);
        if got != want {
            fail(format!(
                "{}: checksum {:#x}, expected {:#x}",
                f.name, got, want
            ));
        }
    }
}

/// One pass of each read figure at `a[k]` (k < `count`) must copy `len`
/// bytes equal to pattern() at that address (check_read4k, check_cross).
fn check_reads(figures: &mut [Figure], a: &Addrs, base: u64, len: usize, count: usize) {
    let mut buf = Buf([0; 4096]);
    let mut one = Box::new(*a);
    for f in figures.iter_mut() {
        for &addr in a.iter().take(count) {
            one[0] = addr;
            buf.0.fill(0xee);
            (f.run)(&one, 1, &mut buf);
            let want: Vec<u8> = (0..len as u64)
                .map(|j| pattern_byte(addr - base + j))
                .collect();
            if buf.0[..len] != want[..] {
                fail(format!("{}: {} bytes at {:#x} differ", f.name, len, addr));
            }
        }
    }
}

/// The 4-byte load loop of W1h and W11: the sum of `load` at a[i & MASK].
fn ld4_loop<'a>(load: impl Fn(GuestAddress) -> u32 + 'a) -> Loop<'a> {
    Box::new(move |a: &Addrs, n, _: &mut Buf| {
        let mut sum = 0u64;
        for i in 0..n as usize {
            sum = sum.wrapping_add(u32::from_le(load(GuestAddress(a[i & MASK]))) as u64);
        }
        sum
    })
}

/// W2's loop: `store` of i at a[i & MASK].
fn st4_loop<'a>(store: impl Fn(u32, GuestAddress) + 'a) -> Loop<'a> {
    Box::new(move |a: &Addrs, n, _: &mut Buf| {
        for i in 0..n as usize {
            store((i as u32).to_le(), GuestAddress(a[i & MASK]));
        }
        0
    })
}

fn w1h(min_ns: u64, reps: usize) {
    let mem = ram(RAM_SIZE, WINDOW);
    let a = ram_addrs(WINDOW, 4, SEED);
    let m = &mem;
    let mut figures = [
        Figure {
            name: "load",
            run: ld4_loop(move |g| m.load(g, Ordering::Relaxed).unwrap_or(0)),
        },
        Figure {
            name: "read_obj",
            run: ld4_loop(move |g| m.read_obj(g).unwrap_or(0)),
        },
    ];
    check_ld4(&mut figures, &a, RAM_BASE);
    measure("W1h", &mut figures, &a, min_ns, reps);
}

fn w2(min_ns: u64, reps: usize) {
    let mem = ram(RAM_SIZE, WINDOW);
    let a = ram_addrs(WINDOW, 4, SEED + 2);
    let m = &mem;
    let mut figures = [
        Figure {
            name: "store",
            run: st4_loop(move |v, g| {
                let _ = m.store(v, g, Ordering::Relaxed);
            }),
        },
        Figure {
            name: "write_obj",
            run: st4_loop(move |v, g| {
                let _ = m.write_obj(v, g);
            }),
        },
    ];
    // check_st4(): after one pass of stores of i at a[i], each word holds
    // the index of its last store, every other word 0.
    let mut want = vec![0u32; (WINDOW / 4) as usize];
    for (i, &x) in a.iter().enumerate() {
        want[((x - RAM_BASE) / 4) as usize] = i as u32;
    }
    let mut buf = Buf([0; 4096]);
    for f in figures.iter_mut() {
        let mut got = vec![0u8; WINDOW as usize];
        mem.write_slice(&got, GuestAddress(RAM_BASE))
            .unwrap_or_else(|e| fail(format!("clear: {:?}", e)));
        (f.run)(&a, N_ADDRS as u64, &mut buf);
        mem.read_slice(&mut got, GuestAddress(RAM_BASE))
            .unwrap_or_else(|e| fail(format!("read back: {:?}", e)));
        for (w, &x) in want.iter().enumerate() {
            let v = u32::from_le_bytes(got[w * 4..w * 4 + 4].try_into().unwrap());
            if v != x {
                fail(format!(
                    "{}: word {} holds {}, expected {}",
                    f.name, w, v, x
                ));
            }
        }
    }
    measure("W2", &mut figures, &a, min_ns, reps);
}

/// W3's and W7's loop: LEN-byte reads with read_slice (SLICE) or read.
fn read_loop<const SLICE: bool, const LEN: usize>(m: &Mem) -> Loop<'_> {
    Box::new(move |a: &Addrs, n, buf: &mut Buf| {
        let mut sum = 0u64;
        let out = &mut buf.0[..LEN];
        for i in 0..n as usize {
            let addr = GuestAddress(a[i & MASK]);
            if SLICE {
                let _ = m.read_slice(out, addr);
            } else {
                let _ = m.read(out, addr);
            }
            clobber(out.as_ptr());
            sum = sum.wrapping_add(out[i & (LEN - 1)] as u64);
        }
        sum
    })
}

fn w3(min_ns: u64, reps: usize) {
    let mem = ram(RAM_SIZE, RAM_SIZE);
    let a = ram_addrs(RAM_SIZE, 4096, SEED + 3);
    let mut figures = [
        Figure {
            name: "read_slice",
            run: read_loop::<true, 4096>(&mem),
        },
        Figure {
            name: "read",
            run: read_loop::<false, 4096>(&mem),
        },
    ];
    check_reads(&mut figures, &a, RAM_BASE, 4096, 64);
    measure("W3", &mut figures, &a, min_ns, reps);
}

fn w7(min_ns: u64, reps: usize) {
    let ranges: Vec<(GuestAddress, usize)> = (0..CROSS_REGIONS)
        .map(|i| (GuestAddress(MANY_BASE + i * 4096), 4096))
        .collect();
    let mem = Mem::from_ranges(&ranges).unwrap_or_else(|e| fail(format!("set-up: {:?}", e)));
    if mem.num_regions() != CROSS_REGIONS as usize {
        fail(format!("set-up: {} regions", mem.num_regions()));
    }
    // Region i holds pattern(i * 4096 + offset), as w5-many.c's slices.
    mem.write_slice(
        &pattern_bytes(CROSS_REGIONS * 4096),
        GuestAddress(MANY_BASE),
    )
    .unwrap_or_else(|e| fail(format!("set-up: fill: {:?}", e)));
    let mut state = SEED + 7;
    let mut a = Box::new([0u64; N_ADDRS]);
    for x in a.iter_mut() {
        let r = rand(&mut state);
        let boundary = 1 + r % (CROSS_REGIONS - 1);
        let before = 1 + (r >> 32) % 15;
        *x = MANY_BASE + boundary * 4096 - before;
    }
    let mut figures = [
        Figure {
            name: "read_slice",
            run: read_loop::<true, 16>(&mem),
        },
        Figure {
            name: "read",
            run: read_loop::<false, 16>(&mem),
        },
    ];
    check_reads(&mut figures, &a, MANY_BASE, 16, 256);
    measure("W7", &mut figures, &a, min_ns, reps);
}

/// W11's access, written once for any GuestMemory (monomorphised).
fn ld4_generic<M: GuestMemory>(m: &M, addr: GuestAddress) -> u32 {
    m.load(addr, Ordering::Relaxed).unwrap_or(0)
}

fn w11(min_ns: u64, reps: usize) {
    let atomic = GuestMemoryAtomic::new(ram(RAM_SIZE, WINDOW));
    let a = ram_addrs(WINDOW, 4, SEED + 11);
    let snapshot = atomic.memory();
    let (s, at) = (&snapshot, &atomic);
    let mut figures = [
        Figure {
            name: "load",
            run: ld4_loop(move |g| ld4_generic(&**s, g)),
        },
        Figure {
            name: "atomic",
            run: ld4_loop(move |g| ld4_generic(&*at.memory(), g)),
        },
    ];
    check_ld4(&mut figures, &a, RAM_BASE);
    measure("W11", &mut figures, &a, min_ns, reps);
}

fn usage() -> ! {
    eprintln!("usage: vmmem-peer W1h|W2|W3|W7|W11|version QUICK MIN_REP_NS REPS");
    exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("# vmmem-peer {}", env!("PEER_BUILD_INFO"));
    if args.len() == 2 && args[1] == "version" {
        return;
    }
    if args.len() != 5 {
        usage();
    }
    let quick = match args[2].as_str() {
        "0" => false,
        "1" => true,
        _ => usage(),
    };
    let min_ns: u64 = args[3].parse().unwrap_or_else(|_| usage());
    let reps: usize = match args[4].parse() {
        Ok(r) if (1..=64).contains(&r) => r,
        _ => usage(),
    };
    let reps = if quick { 1 } else { reps };
    match args[1].as_str() {
        "W1h" => w1h(min_ns, reps),
        "W2" => w2(min_ns, reps),
        "W3" => w3(min_ns, reps),
        "W7" => w7(min_ns, reps),
        "W11" => w11(min_ns, reps),
        _ => usage(),
    }
}
