# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What every payout provider shares: the transfer it is asked to make, its answer, its error.

A provider pays one reward under one request id, and must be idempotent on that id: asked twice
(a retry after a timeout, a second worker after a crash), it pays once and answers for the one
transfer. `query` says what became of a request id (None: the provider has no record of it),
`records` lists the transfers of a day for reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SUCCESS, PROCESSING, FAILED = "success", "processing", "failed"


@dataclass(frozen=True)
class Transfer:
    request_id: str
    amount_fen: int
    phone: str
    remark: str = ""


@dataclass(frozen=True)
class Result:
    """`state`: success (paid), processing (accepted, not final yet) or failed (the provider
    will never pay under this request id; `reason` says why)."""

    state: str
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Record:
    request_id: str
    amount_fen: int
    payee: str = ""


class ProviderError(Exception):
    """The provider could not be asked or did not answer clearly (a timeout, a 5xx, a
    connection error, a bad signature): nothing is known, the worker retries later."""


class Provider:
    name = ""

    def __init__(self, config: dict):
        self.config = config

    def transfer(self, transfer: Transfer) -> Result:
        raise NotImplementedError

    def query(self, request_id: str) -> Result | None:
        raise NotImplementedError

    def records(self, day: date) -> list[Record]:
        raise NotImplementedError

    def check(self) -> list[str]:
        """Problems with the configuration, in words for the operator."""
        return []
