# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Adapters for tests that stand in for a process dying at the worst moment.

They wrap the real adapters: the message really reaches the (local) receiver, and then the
"process" stops before the worker can record that it was sent. KeyboardInterrupt is what a
worker gets on Ctrl+C and SystemExit on sys.exit(): neither is an `Exception`, so no handler in
the delivery code sees it, exactly like SIGKILL (which the subprocess tests use for real).
"""

from jiesu.notify.adapters.email import DjangoEmailAdapter
from jiesu.notify.adapters.sms import SmsHttpAdapter
from jiesu.notify.adapters.webhook import WebhookAdapter


class CrashAfterSend:
    crash = KeyboardInterrupt

    def send(self, message):
        super().send(message)
        raise self.crash("the worker died after the receiver took the message")


class CrashAfterSendSms(CrashAfterSend, SmsHttpAdapter):
    pass


class ExitAfterSendWebhook(CrashAfterSend, WebhookAdapter):
    crash = SystemExit


class CrashAfterSendEmail(CrashAfterSend, DjangoEmailAdapter):
    pass
