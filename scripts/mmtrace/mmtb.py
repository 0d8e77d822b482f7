"""The binary trace format .mmtb (docs/trace-format.md, "The binary form").

MmtbSink takes the text of an mmtrace 1 file, as TraceWriter writes it, and
writes the same records in the binary form: each access in the canonical
form ("CPU OP ADDR [SIZE]", single spaces) as a fixed 16-byte record,
every other record as its text, with the line numbers of the text, so
mmusim gives the same statistics and the same errors (at the same
LINE:COL) as for the text. Its records are exactly those
`mmusim --pack` writes for that text; only the header's name differs
(empty here: messages name the .mmtb file itself).
"""

import re
import struct

MAGIC = b"\x89MMTB\r\n\x1a"
VERSION = 1
TEXT, BLANK, END = 0x80, 0x81, 0xFF
HAS_SIZE = 0x80
MAX_ADDR_LEN = 20
OPS = {"r": 1, "w": 2, "x": 3, "kr": 4, "kw": 5, "kx": 6}
# the canonical access line; the values are checked below
CANONICAL = re.compile(r"(0|[1-9][0-9]{0,2}) (k?[rwx]) ([0-9A-Za-z]{1,20})(?: ([1-9][0-9]{0,3}))?\Z")
_ACCESS = struct.Struct("<BBBBHHQ")


def _number(text):
    """The value of an mmtrace number, or None when the reader would refuse it."""
    if len(text) > 2 and text[:2] in ("0x", "0X"):
        digits, base = text[2:], 16
        if any(c not in "0123456789abcdefABCDEF" for c in digits):
            return None
    else:
        digits, base = text, 10
        if not digits.isdigit():
            return None
    value = int(digits, base)
    return value if value < 1 << 64 else None


class MmtbSink:
    """A write()/flush()/close() text stream that writes .mmtb to RAW (a
    binary file). The first two records must be the header lines."""

    def __init__(self, raw, name=""):
        self.raw = raw
        self.name = name.encode("ascii")[:255]
        self.cpus = None
        self.version_seen = False
        self.line = 0          # lines of the text so far
        self.last = 0          # the line of the last record written
        self.records = 0
        self.partial = ""
        self.out = []

    # -- text in ------------------------------------------------------------
    def write(self, text):
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self._line(line)
        if len(self.out) > 4096:
            self._drain()
        return len(text)

    def _line(self, line):
        self.line += 1
        body = line.split("#", 1)[0].strip(" \t")
        if not body:
            return
        if self.cpus is None:
            self._header(body)
            return
        m = CANONICAL.match(line)
        if m:
            cpu, size = int(m.group(1)), int(m.group(4) or 1)
            addr = _number(m.group(3))
            if cpu < self.cpus and size <= 4096 and addr is not None:
                self._skip()
                self.out.append(_ACCESS.pack(OPS[m.group(2)], cpu,
                                             len(m.group(3)) | (HAS_SIZE if m.group(4) else 0),
                                             0, size, self._skip_field, addr))
                return
        data = line.encode("ascii")
        if not 1 <= len(data) <= 4096:
            raise ValueError("line %d: %d characters (1..4096 in a .mmtb)" % (self.line, len(data)))
        self._skip()
        self.out.append(struct.pack("<BBBBHH", TEXT, 0, 0, 0, len(data), self._skip_field) + data
                        + b"\0" * (-len(data) % 8))

    def _header(self, body):
        fields = body.split()
        if not self.version_seen:
            if fields != ["mmtrace", "1"]:
                raise ValueError("a .mmtb needs the text to start with 'mmtrace 1'")
            self.version_seen = True
            return
        if len(fields) != 2 or fields[0] != "cpus" or not fields[1].isdigit() \
                or not 1 <= int(fields[1]) <= 256:
            raise ValueError("a .mmtb needs 'cpus N' (1..256) as the second record")
        self.cpus = int(fields[1])
        self.out.append(MAGIC + struct.pack("<HHHH", VERSION, self.cpus, len(self.name), 0)
                        + self.name + b"\0" * (-len(self.name) % 8))

    def _skip(self):
        skip = self.line - self.last - 1
        while skip > 0xFFFF:
            k = min(skip - 0xFFFF, 0xFFFFFFFF)
            self.out.append(struct.pack("<BBBBI", BLANK, 0, 0, 0, k))
            skip -= k
        self._skip_field = skip
        self.last = self.line
        self.records += 1

    # -- bytes out ----------------------------------------------------------
    def _drain(self):
        self.raw.write(b"".join(self.out))
        self.out = []

    def flush(self):
        self._drain()
        self.raw.flush()

    def close(self):
        if self.partial:
            self._line(self.partial)
            self.partial = ""
        if self.cpus is not None:
            self.out.append(struct.pack("<BBBBBBBBQ", END, 0, 0, 0, 0, 0, 0, 0, self.records))
        self._drain()
        self.raw.close()
