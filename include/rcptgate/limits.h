/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	limits.h - the limits every part of rcptgate shares
 * DESCRIPTION
 *	One copy of each: the configuration parser enforces them, the
 *	daemon sizes its arrays with them, the XDP program sizes its maps
 *	with them. Other names for the same limit are derived from these
 *	and held to them with _Static_assert where they are defined.
 *	Plain macros: this header is included by the BPF program too.
 */
#ifndef RCPTGATE_LIMITS_H
#define RCPTGATE_LIMITS_H

/* Worker lcores, and so RX/TX queues and AF_XDP sockets ("workers"). */
#define RG_MAX_WORKERS 64

#endif /* RCPTGATE_LIMITS_H */
