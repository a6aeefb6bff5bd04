# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Pagination that never counts a whole table.

With a million appeals, `SELECT COUNT(*)` over a broad filter costs as much as the page itself
many times over. `CappedPaginator` counts at most `cap + 1` rows
(`SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)`), so a page can say "10,000+" and offer pages
up to the cap; beyond it the user narrows the search.
"""

from functools import cached_property
from math import ceil

from django.core.paginator import Paginator

COUNT_CAP = 10_000


def capped_count(queryset, cap: int) -> int:
    """The number of rows, counting at most `cap + 1` of them."""
    return queryset.order_by()[: cap + 1].count()


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap=COUNT_CAP, count_queryset=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        # The plain filtered queryset (no select_related or prefetching) for the count.
        self.count_queryset = count_queryset if count_queryset is not None else object_list

    @cached_property
    def count(self) -> int:
        return capped_count(self.count_queryset, self.cap)

    @property
    def capped(self) -> bool:
        """More rows match than were counted: show the count as "cap+"."""
        return self.count > self.cap

    @property
    def shown_count(self) -> int:
        return min(self.count, self.cap)

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.shown_count - self.orphans)
        return ceil(hits / self.per_page)

    def page(self, number):
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.cap)
        return self._get_page(self.object_list[bottom:top], number, self)
