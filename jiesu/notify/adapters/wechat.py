# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""WeChat template messages (微信模板消息 / 订阅通知) through the official-account API.

Request: POST <URL>?access_token=<ACCESS_TOKEN>, JSON body

    {"touser": "<openid>", "template_id": "…", "url": "<link, optional>",
     "data": {"character_string1": {"value": "PS20261126000123"}, …},
     "client_msg_id": "<idempotency key>"}

Answer: `{"errcode": 0, "errmsg": "ok", "msgid": …}`; any other errcode is an error.
`client_msg_id` is WeChat's own deduplication key: a repeated id is not delivered again.

The access token is read from the settings: WeChat tokens expire after two hours, so a
deployment keeps JIESU_WECHAT_ACCESS_TOKEN fresh from its token service (中控服务器), or points
URL at a relay that adds the token itself.
"""

import urllib.parse

from jiesu.notify.adapters.base import Adapter, DeliveryError, Message, external_id
from jiesu.notify.adapters.http import post_json

CLIENT_MSG_ID_MAX = 64


class WechatTemplateAdapter(Adapter):
    name = "http"

    @property
    def wechat(self) -> dict:
        return self.config["WECHAT"]

    def template(self, event: str) -> dict:
        entry = self.wechat["TEMPLATES"].get(event) or self.wechat["DEFAULT_TEMPLATE"]
        if isinstance(entry, str):
            entry = {"template_id": entry} if entry else {}
        if not entry.get("template_id"):
            raise DeliveryError(
                f"No WeChat template id for {event!r}: set one in "
                "JIESU_WECHAT_TEMPLATES or JIESU_WECHAT_DEFAULT_TEMPLATE."
            )
        return entry

    def data(self, message: Message, fields: dict | None) -> dict:
        values = {k: "" if v is None else str(v) for k, v in message.context.items()}
        values["subject"] = message.subject
        values["content"] = message.body
        if fields:
            chosen = {name: values.get(source, "") for name, source in fields.items()}
        else:
            chosen = values
        limit = int(self.wechat["FIELD_MAX"])
        return {name: {"value": _cut(value, limit)} for name, value in chosen.items()}

    def payload(self, message: Message) -> dict:
        entry = self.template(message.event)
        payload = {
            "touser": message.address,
            "template_id": entry["template_id"],
            "data": self.data(message, entry.get("fields")),
            "client_msg_id": external_id(message.key, CLIENT_MSG_ID_MAX),
        }
        link = entry.get("url") or self.config.get("TRACKING_URL")
        if link:
            payload["url"] = link
        return payload

    def send(self, message: Message) -> str:
        if not message.address:
            raise DeliveryError("No WeChat openid to send to.", permanent=True)
        url = self.wechat["URL"]
        if self.wechat["ACCESS_TOKEN"]:
            separator = "&" if urllib.parse.urlsplit(url).query else "?"
            url += separator + urllib.parse.urlencode({"access_token": self.wechat["ACCESS_TOKEN"]})
        answer = post_json(url, self.payload(message), {}, self.config["TIMEOUT"], "WeChat")
        if not isinstance(answer, dict) or "errcode" not in answer:
            raise DeliveryError(f"WeChat: unexpected answer {answer!r}")
        code = answer.get("errcode")
        if code != 0:
            raise DeliveryError(
                f"WeChat refused: errcode {code}: {answer.get('errmsg') or 'no errmsg'}",
                permanent=code in self.wechat["PERMANENT_ERRORS"],
            )
        return str(answer.get("msgid") or "")

    def check(self) -> list[str]:
        problems = []
        if not self.wechat.get("URL"):
            problems.append("The WeChat adapter needs a URL (environment: JIESU_WECHAT_URL).")
        if not self.wechat.get("ACCESS_TOKEN") and "api.weixin.qq.com" in self.wechat.get(
            "URL", ""
        ):
            problems.append(
                "The WeChat adapter calls api.weixin.qq.com without an access token "
                "(environment: JIESU_WECHAT_ACCESS_TOKEN)."
            )
        if not self.wechat.get("DEFAULT_TEMPLATE") and not self.wechat.get("TEMPLATES"):
            problems.append(
                "The WeChat adapter has no template ids (JIESU_WECHAT_TEMPLATES or "
                "JIESU_WECHAT_DEFAULT_TEMPLATE): every message would fail."
            )
        return problems


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"
