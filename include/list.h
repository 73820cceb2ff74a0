/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * list: an intrusive doubly-linked list, oldest first. The flow table and
 * the QUIC connection table keep their entries on age lists (waiting,
 * done): appended when they start or finish, taken from the head when they
 * expire or are evicted, unlinked from the middle when they end early. The
 * node lives inside the entry (list_entry() gets the entry back), so an
 * entry costs no allocation to list, and unlinking is O(1).
 *
 * Not circular: a zeroed node and a zeroed list are valid (the flow pool is
 * calloc'd and entries are memset to zero when handed out).
 */
#ifndef J4S_LIST_H
#define J4S_LIST_H

#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

struct list {
	struct list_node *head, *tail; /* oldest, youngest */
};

/* The entry of type holding node as its member (node may not be NULL). */
#define list_entry(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* The entry of node, or NULL for a NULL node. */
#define list_entry_or_null(node, type, member)                                                     \
	({                                                                                         \
		struct list_node *n_ = (node);                                                     \
		n_ ? list_entry(n_, type, member) : (type *)NULL;                                  \
	})

/* Oldest entry of l, or NULL when l is empty. */
#define list_first(l, type, member) list_entry_or_null((l)->head, type, member)

/* The entry after e (younger), or NULL. */
#define list_next(e, member) list_entry_or_null((e)->member.next, __typeof__(*(e)), member)

static inline void list_add_tail(struct list *l, struct list_node *n)
{
	n->next = NULL;
	n->prev = l->tail;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

/* n must be on l. */
static inline void list_del(struct list *l, struct list_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

#endif
