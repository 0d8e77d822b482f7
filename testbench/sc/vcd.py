"""A small VCD reader (standard library only) for the SystemC tests.

read_vcd(path) -> Vcd with .timescale (text), .signals {full name: Signal},
each Signal with .width and .changes [(time, value)] (value an int, or None
for x/z), .times (every time stamp in order) and .declarations (each $var
as (full name, type, width, range or ""), in order).  Full names join
scopes with dots: "mmusim.cpu0.walk_active".
"""


class Signal:
    def __init__(self, name, width):
        self.name = name
        self.width = width
        self.changes = []

    def values(self):
        return [v for _, v in self.changes]

    def rising_edges(self):
        n, prev = 0, 0
        for _, v in self.changes:
            if prev == 0 and v == 1:
                n += 1
            prev = v
        return n

    def final(self):
        return self.changes[-1][1] if self.changes else None


class Vcd:
    def __init__(self):
        self.timescale = None
        self.signals = {}
        self.times = []
        self.declarations = []


def _value(text):
    if any(c in text for c in "xXzZ"):
        return None
    return int(text, 2)


def read_vcd(path):
    vcd = Vcd()
    by_id = {}
    scopes = []
    with open(path, encoding="ascii") as f:
        tokens = iter(f.read().split())
    time = 0
    for tok in tokens:
        if tok == "$scope":
            next(tokens)
            scopes.append(next(tokens))
            _skip_end(tokens)
        elif tok == "$upscope":
            scopes.pop()
            _skip_end(tokens)
        elif tok == "$var":
            kind = next(tokens)
            width = int(next(tokens))
            ident = next(tokens)
            name = next(tokens)
            rng = " ".join(_until_end(tokens))
            sig = Signal(".".join(scopes + [name]), width)
            vcd.declarations.append((sig.name, kind, width, rng))
            vcd.signals[sig.name] = sig
            by_id.setdefault(ident, []).append(sig)
        elif tok == "$timescale":
            vcd.timescale = " ".join(_until_end(tokens))
        elif tok in ("$dumpvars", "$end", "$enddefinitions"):
            continue
        elif tok.startswith("$"):
            _skip_end(tokens)
        elif tok.startswith("#"):
            time = int(tok[1:])
            vcd.times.append(time)
        elif tok[0] in "bBrR":
            ident = next(tokens)
            for sig in by_id[ident]:
                sig.changes.append((time, _value(tok[1:])))
        elif tok[0] in "01xXzZ":
            for sig in by_id[tok[1:]]:
                sig.changes.append((time, _value(tok[0])))
        else:
            raise ValueError(f"{path}: unexpected token {tok!r}")
    return vcd


def _until_end(tokens):
    out = []
    for tok in tokens:
        if tok == "$end":
            return out
        out.append(tok)
    return out


def _skip_end(tokens):
    _until_end(tokens)
