// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of include/list.h, the intrusive age list of the flow and QUIC
 * tables: order, unlinking from the head, middle and tail, a zeroed list and
 * node, and getting the entry back from a node that is not its first member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "list.h"

struct item {
	uint64_t before; /* so the node is not at offset 0 */
	struct list_node age;
	int id;
};

/* The ids on l, oldest first, both ways round. */
static void check(struct list *l, const int *ids, int n)
{
	struct item *e = list_first(l, struct item, age);
	struct list_node *p = l->tail;

	for (int i = 0; i < n; i++) {
		assert_non_null(e);
		assert_int_equal(e->id, ids[i]);
		e = list_next(e, age);
	}
	assert_null(e);
	for (int i = n - 1; i >= 0; i--) {
		assert_non_null(p);
		assert_int_equal(list_entry(p, struct item, age)->id, ids[i]);
		p = p->prev;
	}
	assert_null(p);
	if (!n) {
		assert_null(l->head);
		assert_null(l->tail);
	}
}

static void test_list_empty(void **state)
{
	struct list l;

	(void)state;
	memset(&l, 0, sizeof(l)); /* as in a calloc'd table */
	assert_null(list_first(&l, struct item, age));
	check(&l, NULL, 0);
}

static void test_list_order_and_del(void **state)
{
	struct item it[5];
	struct list l = { 0 };

	(void)state;
	memset(it, 0, sizeof(it)); /* as in a memset pool entry */
	for (int i = 0; i < 5; i++) {
		it[i].id = i;
		list_add_tail(&l, &it[i].age);
	}
	check(&l, (const int[]){ 0, 1, 2, 3, 4 }, 5);

	list_del(&l, &it[2].age); /* middle */
	assert_null(it[2].age.prev);
	assert_null(it[2].age.next);
	check(&l, (const int[]){ 0, 1, 3, 4 }, 4);
	list_del(&l, &it[0].age); /* head */
	check(&l, (const int[]){ 1, 3, 4 }, 3);
	list_del(&l, &it[4].age); /* tail */
	check(&l, (const int[]){ 1, 3 }, 2);

	/* Back on at the young end, as a flow restarted by a new SYN. */
	list_del(&l, &it[1].age);
	list_add_tail(&l, &it[1].age);
	check(&l, (const int[]){ 3, 1 }, 2);
	list_del(&l, &it[3].age);
	list_del(&l, &it[1].age);
	check(&l, NULL, 0);
	list_add_tail(&l, &it[4].age);
	check(&l, (const int[]){ 4 }, 1);
}

/* Two lists, an entry moved between them (waiting to done). */
static void test_list_move(void **state)
{
	struct item it[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct list wait = { 0 }, done = { 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		list_add_tail(&wait, &it[i].age);
	list_del(&wait, &it[1].age);
	list_add_tail(&done, &it[1].age);
	check(&wait, (const int[]){ 0, 2 }, 2);
	check(&done, (const int[]){ 1 }, 1);
	assert_ptr_equal(list_first(&done, struct item, age), &it[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_list_order_and_del),
		cmocka_unit_test(test_list_move),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
