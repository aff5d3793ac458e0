/* SPDX-License-Identifier: MIT */
/*
 * RAM discard: the RamDiscardManager interface (QEMU 7.2's, without QOM)
 * and RamPlugManager, the memory half of QEMU's virtio-mem: a region in
 * blocks of a fixed power-of-two size, each plugged or unplugged; unplug
 * discards the block (ram_block_discard_range()) and tells the listeners
 * afterwards, plug asks them first.
 *
 * Everything runs under the update lock: the manager's state, the
 * listener list, and every callback. The plugged bitmap has one bit per
 * block; runs of plugged or unplugged blocks are found word by word
 * (bitmap.h).
 */
#include <string.h>

#include "bitmap.h"
#include "memory-internal.h"

/* ---- The interface ------------------------------------------------------ */

/* QEMU's memory_region_is_mapped(): a container, or a mapped alias. */
static bool region_is_mapped_locked(const MemoryRegion *mr)
{
    if (mr->priv.container) {
        return true;
    }
    for (GSList *l = mr->priv.alias_users; l; l = l->next) {
        if (((MemoryRegion *)l->data)->priv.container) {
            return true;
        }
    }
    return false;
}

static bool region_is_plain_ram(const MemoryRegion *mr)
{
    return mr_is_initialised(mr) && mr->priv.kind == MR_KIND_RAM &&
           mr->priv.ram_block && !mr->priv.ram_device;
}

ADDRSPACE_EXPORT bool
memory_region_set_ram_discard_manager(MemoryRegion *mr, RamDiscardManager *rdm,
                                      GError **errp)
{
    bool ok = false;

    memory_update_lock();
    if (!region_is_plain_ram(mr)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\" is not RAM: no RamDiscardManager",
                            mr_is_initialised(mr) ? memory_region_name(mr)
                                                  : "");
    } else if (region_is_mapped_locked(mr)) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
            "region \"%s\" is mapped: its RamDiscardManager cannot "
            "change",
            memory_region_name(mr));
    } else if (rdm && mr->priv.ram_block->rdm) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "region \"%s\" already has a RamDiscardManager",
                            memory_region_name(mr));
    } else {
        mr->priv.ram_block->rdm = rdm;
        ok = true;
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT RamDiscardManager *
memory_region_get_ram_discard_manager(MemoryRegion *mr)
{
    RamDiscardManager *rdm = NULL;

    memory_update_lock();
    if (region_is_plain_ram(mr) && region_is_mapped_locked(mr)) {
        rdm = mr->priv.ram_block->rdm;
    }
    memory_update_unlock();
    return rdm;
}

ADDRSPACE_EXPORT bool memory_region_has_ram_discard_manager(MemoryRegion *mr)
{
    return memory_region_get_ram_discard_manager(mr) != NULL;
}

ADDRSPACE_EXPORT uint64_t ram_discard_manager_get_min_granularity(
    const RamDiscardManager *rdm, const MemoryRegion *mr)
{
    uint64_t g;

    memory_update_lock();
    g = rdm->ops->get_min_granularity(rdm, mr);
    memory_update_unlock();
    return g;
}

ADDRSPACE_EXPORT bool
ram_discard_manager_is_populated(const RamDiscardManager *rdm,
                                 const MemoryRegionSection *section)
{
    bool populated;

    memory_update_lock();
    populated = rdm->ops->is_populated(rdm, section);
    memory_update_unlock();
    return populated;
}

ADDRSPACE_EXPORT int
ram_discard_manager_replay_populated(const RamDiscardManager *rdm,
                                     MemoryRegionSection *section,
                                     ReplayRamPopulate replay_fn, void *opaque)
{
    int ret;

    memory_update_lock();
    ret = rdm->ops->replay_populated(rdm, section, replay_fn, opaque);
    memory_update_unlock();
    return ret;
}

ADDRSPACE_EXPORT void
ram_discard_manager_replay_discarded(const RamDiscardManager *rdm,
                                     MemoryRegionSection *section,
                                     ReplayRamDiscard replay_fn, void *opaque)
{
    memory_update_lock();
    rdm->ops->replay_discarded(rdm, section, replay_fn, opaque);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void
ram_discard_manager_register_listener(RamDiscardManager *rdm,
                                      RamDiscardListener *rdl,
                                      MemoryRegionSection *section)
{
    memory_update_lock();
    rdm->ops->register_listener(rdm, rdl, section);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void
ram_discard_manager_unregister_listener(RamDiscardManager *rdm,
                                        RamDiscardListener *rdl)
{
    memory_update_lock();
    rdm->ops->unregister_listener(rdm, rdl);
    memory_update_unlock();
}

/* ---- RamPlugManager ----------------------------------------------------- */

struct RamPlugManager {
    RamDiscardManager rdm; /* first: the instance header */
    MemoryRegion *mr;
    uint64_t block_size;
    uint64_t nr_blocks;
    uint64_t *plugged;             /* one bit per block */
    RamDiscardListener *listeners; /* newest first, as QEMU's QLIST */
};

static const RamDiscardManagerOps plug_ops;

static RamPlugManager *plug_of(const RamDiscardManager *rdm)
{
    return ADDRSPACE_CONTAINER_OF(rdm, RamPlugManager, rdm);
}

/*
 * Narrow @s to its intersection with [@offset, @offset + @size) of the
 * region (QEMU's virtio_mem_intersect_memory_section()).
 * Return: false when the intersection is empty.
 */
static bool section_intersect(MemoryRegionSection *s, uint64_t offset,
                              uint64_t size)
{
    uint64_t start = MAX(s->offset_within_region, offset);
    uint64_t end =
        (uint64_t)MIN((addrspace_u128)s->offset_within_region + s->size,
                      (addrspace_u128)offset + size);

    if (end <= start) {
        return false;
    }
    s->offset_within_address_space += start - s->offset_within_region;
    s->offset_within_region = start;
    s->size = end - start;
    return true;
}

typedef int (*SectionFn)(MemoryRegionSection *s, void *arg);

/*
 * Call @fn on each run of blocks in state @plugged, narrowed to @s, in
 * address order; stop at the first non-zero return, which is returned.
 * The search starts at @s's first block (QEMU 7.2 starts at the block
 * numbered offset / bitmap size, a bug that skips every run when a run
 * ends before the section starts).
 */
static int for_each_section(const RamPlugManager *pm,
                            const MemoryRegionSection *s, bool plugged,
                            SectionFn fn, void *arg)
{
    uint64_t b = s->offset_within_region / pm->block_size;

    for (;;) {
        MemoryRegionSection tmp = *s;
        uint64_t end;
        int ret;

        b = bitmap_find_next(pm->plugged, pm->nr_blocks, b, !plugged);
        if (b >= pm->nr_blocks) {
            return 0;
        }
        end = bitmap_find_next(pm->plugged, pm->nr_blocks, b + 1, plugged);
        if (!section_intersect(&tmp, b * pm->block_size,
                               (end - b) * pm->block_size)) {
            return 0; /* the run starts past the section */
        }
        ret = fn(&tmp, arg);
        if (ret) {
            return ret;
        }
        b = end;
    }
}

static int notify_populate_cb(MemoryRegionSection *s, void *arg)
{
    RamDiscardListener *rdl = arg;

    return rdl->notify_populate(rdl, s);
}

static int notify_discard_cb(MemoryRegionSection *s, void *arg)
{
    RamDiscardListener *rdl = arg;

    rdl->notify_discard(rdl, s);
    return 0;
}

/* Tell every listener whose section meets the range that it is gone. */
static void notify_unplug(RamPlugManager *pm, uint64_t offset, uint64_t size)
{
    for (RamDiscardListener *rdl = pm->listeners; rdl; rdl = rdl->next) {
        MemoryRegionSection tmp = *rdl->section;

        if (section_intersect(&tmp, offset, size)) {
            rdl->notify_discard(rdl, &tmp);
        }
    }
}

/*
 * Ask every listener whose section meets the range; on a refusal, tell
 * those already asked that it is discarded again (QEMU narrows their
 * sections with the refusing listener's section; we use each one's own).
 */
static int notify_plug(RamPlugManager *pm, uint64_t offset, uint64_t size)
{
    RamDiscardListener *rdl;
    int ret = 0;

    for (rdl = pm->listeners; rdl; rdl = rdl->next) {
        MemoryRegionSection tmp = *rdl->section;

        if (section_intersect(&tmp, offset, size) &&
            (ret = rdl->notify_populate(rdl, &tmp)) != 0) {
            break;
        }
    }
    if (ret) {
        for (RamDiscardListener *r2 = pm->listeners; r2 != rdl; r2 = r2->next) {
            MemoryRegionSection tmp = *r2->section;

            if (section_intersect(&tmp, offset, size)) {
                r2->notify_discard(r2, &tmp);
            }
        }
    }
    return ret;
}

/* Whether every block of [@offset, @offset + @size) is in state @plugged
 * (QEMU's virtio_mem_test_bitmap()); the range is valid. */
static bool range_in_state(const RamPlugManager *pm, uint64_t offset,
                           uint64_t size, bool plugged)
{
    uint64_t first = offset / pm->block_size;
    uint64_t end = first + size / pm->block_size;

    return bitmap_find_next(pm->plugged, end, first, plugged) >= end;
}

/* QEMU's virtio_mem_valid_range(), relative to the region. */
static bool range_valid(const RamPlugManager *pm, uint64_t offset,
                        uint64_t size)
{
    uint64_t region = pm->nr_blocks * pm->block_size;

    return offset % pm->block_size == 0 && size % pm->block_size == 0 &&
           size != 0 && offset < region && size <= region - offset;
}

/*
 * ram_block_discard_range(), and tell RAM snapshots that the contents
 * changed (to zeros): a restore must put back what was plugged.
 */
static bool discard(RAMBlock *rb, uint64_t offset, uint64_t size, GError **errp)
{
    if (!ram_block_discard_range(rb, offset, size, errp)) {
        return false;
    }
    ram_block_set_dirty_range(rb, offset, size, 1u << DIRTY_MEMORY_SNAPSHOT);
    return true;
}

/* QEMU's virtio_mem_set_block_state(); the range is valid. */
static bool set_block_state(RamPlugManager *pm, uint64_t offset, uint64_t size,
                            bool plug, GError **errp)
{
    RAMBlock *rb = pm->mr->priv.ram_block;

    if (!plug) {
        if (!discard(rb, offset, size, errp)) {
            return false;
        }
        notify_unplug(pm, offset, size);
    } else if (notify_plug(pm, offset, size)) {
        /* a listener may have populated memory meanwhile */
        discard(rb, offset, size, NULL);
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
            "region \"%s\": a listener refused to populate 0x%" PRIx64
            "+0x%" PRIx64,
            memory_region_name(pm->mr), offset, size);
        return false;
    }
    bitmap_assign(pm->plugged, offset / pm->block_size, size / pm->block_size,
                  plug);
    return true;
}

/* QEMU's virtio_mem_state_change_request(), without the size policy. */
static bool change_request(RamPlugManager *pm, uint64_t offset, uint64_t size,
                           bool plug, GError **errp)
{
    bool ok = false;

    memory_update_lock();
    if (!range_valid(pm, offset, size)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": 0x%" PRIx64 "+0x%" PRIx64
                            " is not a non-empty range of whole 0x%" PRIx64
                            "-byte blocks inside the region",
                            memory_region_name(pm->mr), offset, size,
                            pm->block_size);
    } else if (!range_in_state(pm, offset, size, !plug)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": 0x%" PRIx64 "+0x%" PRIx64
                            " has blocks already %s",
                            memory_region_name(pm->mr), offset, size,
                            plug ? "plugged" : "unplugged");
    } else {
        ok = set_block_state(pm, offset, size, plug, errp);
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT bool ram_plug_manager_plug(RamPlugManager *pm, uint64_t offset,
                                            uint64_t size, GError **errp)
{
    return change_request(pm, offset, size, true, errp);
}

ADDRSPACE_EXPORT bool ram_plug_manager_unplug(RamPlugManager *pm,
                                              uint64_t offset, uint64_t size,
                                              GError **errp)
{
    return change_request(pm, offset, size, false, errp);
}

static bool any_plugged(const RamPlugManager *pm)
{
    return find_next_bit(pm->plugged, pm->nr_blocks, 0) < pm->nr_blocks;
}

/* Tell @rdl that every plugged part of its section is gone. */
static void discard_all_for(RamPlugManager *pm, RamDiscardListener *rdl)
{
    if (!any_plugged(pm)) {
        return;
    }
    if (rdl->double_discard_supported) {
        rdl->notify_discard(rdl, rdl->section);
    } else {
        for_each_section(pm, rdl->section, true, notify_discard_cb, rdl);
    }
}

ADDRSPACE_EXPORT bool ram_plug_manager_unplug_all(RamPlugManager *pm,
                                                  GError **errp)
{
    bool ok;

    memory_update_lock();
    ok = discard(pm->mr->priv.ram_block, 0, pm->nr_blocks * pm->block_size,
                 errp);
    if (ok) {
        for (RamDiscardListener *rdl = pm->listeners; rdl; rdl = rdl->next) {
            discard_all_for(pm, rdl);
        }
        memset(pm->plugged, 0, bitmap_words(pm->nr_blocks) * sizeof(uint64_t));
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT bool
ram_plug_manager_is_plugged(RamPlugManager *pm, uint64_t offset, uint64_t size)
{
    uint64_t region = pm->nr_blocks * pm->block_size;
    uint64_t first, end;
    bool plugged;

    if (size == 0 || offset >= region || size > region - offset) {
        return false;
    }
    first = offset / pm->block_size * pm->block_size;
    end =
        (offset + size + pm->block_size - 1) / pm->block_size * pm->block_size;
    memory_update_lock();
    plugged = range_in_state(pm, first, end - first, true);
    memory_update_unlock();
    return plugged;
}

ADDRSPACE_EXPORT uint64_t ram_plug_manager_plugged_size(RamPlugManager *pm)
{
    uint64_t n = 0;

    memory_update_lock();
    for (uint64_t w = 0; w < bitmap_words(pm->nr_blocks); w++) {
        n += (uint64_t)__builtin_popcountll(pm->plugged[w]);
    }
    memory_update_unlock();
    return n * pm->block_size;
}

ADDRSPACE_EXPORT uint64_t ram_plug_manager_block_size(const RamPlugManager *pm)
{
    return pm->block_size;
}

ADDRSPACE_EXPORT RamDiscardManager *ram_plug_manager_get_rdm(RamPlugManager *pm)
{
    return &pm->rdm;
}

/* The RamDiscardManager ops (QEMU's virtio_mem_rdm_*). */

static uint64_t plug_get_min_granularity(const RamDiscardManager *rdm,
                                         const MemoryRegion *mr)
{
    (void)mr;
    return plug_of(rdm)->block_size;
}

static bool plug_is_populated(const RamDiscardManager *rdm,
                              const MemoryRegionSection *s)
{
    const RamPlugManager *pm = plug_of(rdm);
    uint64_t bs = pm->block_size;
    uint64_t start, end;

    if (s->mr != pm->mr) {
        return false;
    }
    /* QEMU aligns outwards to blocks, then checks the range */
    start = s->offset_within_region / bs * bs;
    end = (uint64_t)(((addrspace_u128)s->offset_within_region + s->size + bs -
                      1) /
                     bs * bs);
    return range_valid(pm, start, end - start) &&
           range_in_state(pm, start, end - start, true);
}

typedef struct ReplayData {
    ReplayRamPopulate populate;
    ReplayRamDiscard discard;
    void *opaque;
} ReplayData;

static int replay_populated_cb(MemoryRegionSection *s, void *arg)
{
    ReplayData *data = arg;

    return data->populate(s, data->opaque);
}

static int plug_replay_populated(const RamDiscardManager *rdm,
                                 MemoryRegionSection *s,
                                 ReplayRamPopulate replay_fn, void *opaque)
{
    ReplayData data = {.populate = replay_fn, .opaque = opaque};

    if (s->mr != plug_of(rdm)->mr) {
        return 0;
    }
    return for_each_section(plug_of(rdm), s, true, replay_populated_cb, &data);
}

static int replay_discarded_cb(MemoryRegionSection *s, void *arg)
{
    ReplayData *data = arg;

    data->discard(s, data->opaque);
    return 0;
}

static void plug_replay_discarded(const RamDiscardManager *rdm,
                                  MemoryRegionSection *s,
                                  ReplayRamDiscard replay_fn, void *opaque)
{
    ReplayData data = {.discard = replay_fn, .opaque = opaque};

    if (s->mr == plug_of(rdm)->mr) {
        for_each_section(plug_of(rdm), s, false, replay_discarded_cb, &data);
    }
}

static void plug_register_listener(RamDiscardManager *rdm,
                                   RamDiscardListener *rdl,
                                   MemoryRegionSection *s)
{
    RamPlugManager *pm = plug_of(rdm);

    if (s->mr != pm->mr || rdl->section) {
        return; /* QEMU asserts: another region, or registered already */
    }
    /* QEMU's memory_region_section_new_copy(): the copy refs the region */
    rdl->section = g_memdup2(s, sizeof(*s));
    rdl->section->fv = NULL;
    memory_region_ref(s->mr);
    rdl->next = pm->listeners;
    pm->listeners = rdl;
    /* a refusal stops the replay; QEMU only reports it */
    for_each_section(pm, rdl->section, true, notify_populate_cb, rdl);
}

static void unlink_listener(RamPlugManager *pm, RamDiscardListener *rdl)
{
    for (RamDiscardListener **p = &pm->listeners; *p; p = &(*p)->next) {
        if (*p == rdl) {
            *p = rdl->next;
            break;
        }
    }
    memory_region_unref(rdl->section->mr);
    g_free(rdl->section);
    rdl->section = NULL;
    rdl->next = NULL;
}

static void plug_unregister_listener(RamDiscardManager *rdm,
                                     RamDiscardListener *rdl)
{
    RamPlugManager *pm = plug_of(rdm);
    bool found = false;

    for (RamDiscardListener *l = pm->listeners; l; l = l->next) {
        found |= l == rdl;
    }
    if (found) {
        discard_all_for(pm, rdl);
        unlink_listener(pm, rdl);
    }
}

static const RamDiscardManagerOps plug_ops = {
    .get_min_granularity = plug_get_min_granularity,
    .is_populated = plug_is_populated,
    .replay_populated = plug_replay_populated,
    .replay_discarded = plug_replay_discarded,
    .register_listener = plug_register_listener,
    .unregister_listener = plug_unregister_listener,
};

static bool check_new(MemoryRegion *mr, uint64_t block_size, GError **errp)
{
    const char *name = mr_is_initialised(mr) ? memory_region_name(mr) : "";
    uint64_t size;

    if (!region_is_plain_ram(mr) || mr->priv.ram_block->resizeable) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\" is not fixed-size RAM: it cannot be "
                            "plugged in blocks",
                            name);
        return false;
    }
    size = memory_region_size(mr);
    if (block_size < ram_host_page_size() || (block_size & (block_size - 1)) ||
        size % block_size ||
        (uintptr_t)mr->priv.ram_block->host % ram_host_page_size()) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": block size 0x%" PRIx64
                            " must be a power of two of at least the host page "
                            "(0x%" PRIx64 ") dividing the size 0x%" PRIx64
                            ", on page-aligned memory",
                            name, block_size, ram_host_page_size(), size);
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT RamPlugManager *
ram_plug_manager_new(MemoryRegion *mr, uint64_t block_size, GError **errp)
{
    RamPlugManager *pm;

    memory_update_lock();
    if (!check_new(mr, block_size, errp)) {
        memory_update_unlock();
        return NULL;
    }
    pm = g_new0(RamPlugManager, 1);
    pm->rdm.ops = &plug_ops;
    pm->mr = mr;
    pm->block_size = block_size;
    pm->nr_blocks = memory_region_size(mr) / block_size;
    pm->plugged = g_new0(uint64_t, bitmap_words(pm->nr_blocks));
    /* virtio-mem's realize: everything starts discarded */
    if (!memory_region_set_ram_discard_manager(mr, &pm->rdm, errp) ||
        !discard(mr->priv.ram_block, 0, pm->nr_blocks * block_size, errp)) {
        if (mr->priv.ram_block->rdm == &pm->rdm) {
            mr->priv.ram_block->rdm = NULL;
        }
        g_free(pm->plugged);
        g_free(pm);
        pm = NULL;
    }
    memory_update_unlock();
    return pm;
}

ADDRSPACE_EXPORT void ram_plug_manager_free(RamPlugManager *pm)
{
    MemoryRegion *mr;

    if (!pm) {
        return;
    }
    mr = pm->mr;
    memory_update_lock();
    while (pm->listeners) {
        RamDiscardListener *rdl = pm->listeners;

        discard_all_for(pm, rdl);
        unlink_listener(pm, rdl);
    }
    if (mr_is_initialised(mr) && mr->priv.ram_block &&
        mr->priv.ram_block->rdm == &pm->rdm) {
        mr->priv.ram_block->rdm = NULL;
    }
    memory_update_unlock();
    g_free(pm->plugged);
    g_free(pm);
}

/* ---- For snapshots (snapshot.c) ---------------------------------------- */

RamPlugManager *ram_plug_manager_of(RamDiscardManager *rdm)
{
    return rdm && rdm->ops == &plug_ops ? plug_of(rdm) : NULL;
}

uint64_t *ram_plug_manager_save_locked(RamPlugManager *pm, uint64_t *nr_blocks)
{
    *nr_blocks = pm->nr_blocks;
    return g_memdup2(pm->plugged,
                     bitmap_words(pm->nr_blocks) * sizeof(uint64_t));
}

bool ram_plug_manager_load_locked(RamPlugManager *pm, const uint64_t *bitmap,
                                  uint64_t nr_blocks, GError **errp)
{
    if (nr_blocks != pm->nr_blocks) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": the plug manager has %" PRIu64
                            " blocks, the saved state %" PRIu64,
                            memory_region_name(pm->mr), pm->nr_blocks,
                            nr_blocks);
        return false;
    }
    /* unplug first: a plug that a listener refuses leaves less plugged */
    for (int plug = 0; plug < 2; plug++) {
        for (uint64_t w = 0; w < bitmap_words(pm->nr_blocks); w++) {
            uint64_t diff = pm->plugged[w] ^ bitmap[w];

            diff &= plug ? bitmap[w] : pm->plugged[w];
            while (diff) {
                uint64_t b =
                    w * BITS_PER_WORD + (uint64_t)__builtin_ctzll(diff);

                diff &= diff - 1;
                if (!set_block_state(pm, b * pm->block_size, pm->block_size,
                                     plug, errp)) {
                    return false;
                }
            }
        }
    }
    return true;
}
