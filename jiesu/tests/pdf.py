# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reading the PDFs the project makes, in tests: the file's bytes with every compressed stream
(page contents, fonts, object streams holding the catalogue) decompressed beside them."""

import re
import zlib

_STREAM = re.compile(rb"<<((?:(?!<<|>>).)*?)>>\s*stream\r?\n", re.S)


def readable(data: bytes) -> bytes:
    """The PDF's bytes followed by each Flate stream decompressed. Each stream is read by its
    dictionary's /Length: a stream's bytes may end in a carriage return, which a search for
    the end marker would take as part of it."""
    streams = []
    for m in _STREAM.finditer(data):
        length = re.search(rb"/Length (\d+)", m.group(1))
        if length and b"/FlateDecode" in m.group(1):
            streams.append(zlib.decompress(data[m.end() : m.end() + int(length.group(1))]))
    assert streams, "no compressed stream found: not a PDF of WeasyPrint's kind"
    return data + b"".join(streams)
