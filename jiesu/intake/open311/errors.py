# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The errors an Open311 view answers with, in the spec's status codes.

GeoReport v2: 404 for a resource that does not exist (service_code, service_request_id,
token, jurisdiction_id), 403 for a missing or wrong api_key, 400 for any other request that
cannot be fulfilled. The body's `code` repeats the HTTP status; one error document may carry
several errors (one per bad field).
"""

from __future__ import annotations


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(str(d) for d in descriptions))
        self.status = status
        self.descriptions = [str(d) for d in descriptions]

    @property
    def items(self) -> list[tuple[int, str]]:
        return [(self.status, d) for d in self.descriptions]


class BadRequest(Open311Error):
    def __init__(self, *descriptions: str):
        super().__init__(400, *descriptions)


class Forbidden(Open311Error):
    def __init__(self, *descriptions: str):
        super().__init__(403, *descriptions)


class NotFound(Open311Error):
    def __init__(self, *descriptions: str):
        super().__init__(404, *descriptions)
