/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bpf_pins.h - the tests' clean-up of a pin directory
 * DESCRIPTION
 *	pin_dir_remove unpins every map the daemon pins (include/rcptgate/
 *	bpf_maps.h) under DIR and removes DIR, so a test leaves nothing in
 *	bpffs, also after a failure in a previous run.
 * TRUST
 *	DIR is the test's own.
 */
#ifndef RG_TEST_BPF_PINS_H
#define RG_TEST_BPF_PINS_H

#include <stdio.h>
#include <unistd.h>

#include <rcptgate/bpf_maps.h>

static inline void
pin_dir_remove(const char *dir)
{
	static const char *const names[] = { RG_XDP_MAP_BLOCK4, RG_XDP_MAP_BLOCK6, RG_XDP_MAP_CONFIG,
					     RG_XDP_MAP_STATS };
	char path[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

#endif /* RG_TEST_BPF_PINS_H */
