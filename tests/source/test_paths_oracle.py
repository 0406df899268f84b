"""Property test: the LCFG's paths equal those of a reference interpreter on random structured Java methods.

Hypothesis builds small methods from logs, if/else, while, do-while, switch with fall-through, break, continue,
return, throw and try/catch/finally; each condition is an unknown boolean field. A direct interpreter of that
little language explores every outcome of every condition (loops up to the same bound) and yields the log
sequences and exit kinds; the LCFG enumeration must give exactly that set, its dynamic-programming count must
equal the number of paths it enumerates, and uniformly sampled paths must be among the enumerated ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lcfg_helpers import key_of, one, templates

from anomalygen.source.paths import PathConfig, PathFinder

NORMAL, BREAK, CONTINUE, RETURN, THROW, CUT = "normal", "break", "continue", "return", "throw", "cut"


def gen_block(data, depth: int, in_loop: bool, breakable: bool) -> list:
    out = []
    for _ in range(data.draw(st.integers(0, 3))):
        kinds = ["log", "log", "if", "return", "throw"]
        if depth < 3:
            kinds += ["if", "while", "do", "try", "switch"]
        if in_loop:
            kinds.append("continue")
        if breakable:
            kinds.append("break")
        k = data.draw(st.sampled_from(kinds))
        if k in ("log", "return", "throw", "break", "continue"):
            out.append((k,))
        elif k == "if":
            then = gen_block(data, depth + 1, in_loop, breakable)
            other = gen_block(data, depth + 1, in_loop, breakable) if data.draw(st.booleans()) else None
            out.append(("if", then, other))
        elif k in ("while", "do"):
            out.append((k, gen_block(data, depth + 1, True, True)))
        elif k == "try":
            body = gen_block(data, depth + 1, in_loop, breakable)
            has_catch, has_fin = data.draw(st.sampled_from([(True, False), (False, True), (True, True)]))
            catch = gen_block(data, depth + 1, in_loop, breakable) if has_catch else None
            fin = gen_block(data, depth + 1, in_loop, breakable) if has_fin else None
            out.append(("try", body, catch, fin))
        else:
            cases = [gen_block(data, depth + 1, in_loop, True) for _ in range(data.draw(st.integers(1, 3)))]
            out.append(("switch", cases, data.draw(st.booleans())))
    return out


class Render:
    def __init__(self):
        self.n_log = self.n_cond = self.n_sel = 0

    def block(self, stmts: list, ind: str) -> str:
        return "".join(self.stmt(s, ind) for s in stmts)

    def stmt(self, s: tuple, ind: str) -> str:
        k = s[0]
        if k == "log":
            self.n_log += 1
            return f'{ind}LOG.info("e{self.n_log}");\n'
        if k == "return":
            return f"{ind}return;\n"
        if k == "throw":
            return f"{ind}throw new RuntimeException();\n"
        if k in ("break", "continue"):
            return f"{ind}{k};\n"
        if k == "if":
            c = self._cond()
            code = f"{ind}if ({c}) {{\n{self.block(s[1], ind + '  ')}{ind}}}"
            if s[2] is not None:
                code += f" else {{\n{self.block(s[2], ind + '  ')}{ind}}}"
            return code + "\n"
        if k == "while":
            c = self._cond()
            return f"{ind}while ({c}) {{\n{self.block(s[1], ind + '  ')}{ind}}}\n"
        if k == "do":
            body = self.block(s[1], ind + "  ")
            return f"{ind}do {{\n{body}{ind}}} while ({self._cond()});\n"
        if k == "try":
            code = f"{ind}try {{\n{self.block(s[1], ind + '  ')}{ind}}}"
            if s[2] is not None:
                code += f" catch (RuntimeException e) {{\n{self.block(s[2], ind + '  ')}{ind}}}"
            if s[3] is not None:
                code += f" finally {{\n{self.block(s[3], ind + '  ')}{ind}}}"
            return code + "\n"
        self.n_sel += 1
        sel = f"s{self.n_sel}"
        code = f"{ind}switch ({sel}) {{\n"
        for i, case in enumerate(s[1]):
            label = "default" if s[2] and i == len(s[1]) - 1 else f"case {i}"
            code += f"{ind}  {label}:\n{self.block(case, ind + '    ')}"
        return code + f"{ind}}}\n"

    def _cond(self) -> str:
        self.n_cond += 1
        return f"c{self.n_cond}"


class Interp:
    """Runs the little language, exploring every condition outcome; logs are numbered in source order."""

    def __init__(self, k: int):
        self.k = k

    def number(self, stmts: list) -> list:
        """Give each log its source-order number (the renderer's numbering) by a pre-order walk."""
        counter = [0]

        def walk(b):
            res = []
            for s in b:
                if s[0] == "log":
                    counter[0] += 1
                    res.append(("log", f"e{counter[0]}"))
                elif s[0] == "if":
                    then = walk(s[1])
                    res.append(("if", then, walk(s[2]) if s[2] is not None else None))
                elif s[0] in ("while", "do"):
                    res.append((s[0], walk(s[1])))
                elif s[0] == "try":
                    body = walk(s[1])
                    catch = walk(s[2]) if s[2] is not None else None
                    res.append(("try", body, catch, walk(s[3]) if s[3] is not None else None))
                elif s[0] == "switch":
                    res.append(("switch", [walk(c) for c in s[1]], s[2]))
                else:
                    res.append(s)
            return res

        return walk(stmts)

    def block(self, stmts: list, i: int = 0):
        if i == len(stmts):
            yield (), NORMAL
            return
        for ev, sig in self.stmt(stmts[i]):
            if sig != NORMAL:
                yield ev, sig
                continue
            for ev2, sig2 in self.block(stmts, i + 1):
                yield ev + ev2, sig2

    def stmt(self, s: tuple):
        k = s[0]
        if k == "log":
            yield (s[1],), NORMAL
        elif k == "return":
            yield (), RETURN
        elif k == "throw":
            yield (), THROW
        elif k == "break":
            yield (), BREAK
        elif k == "continue":
            yield (), CONTINUE
        elif k == "if":
            yield from self.block(s[1])
            yield from (self.block(s[2]) if s[2] is not None else [((), NORMAL)])
        elif k in ("while", "do") and not _relevant(s[1]):
            yield (), NORMAL  # a loop with nothing that logs or jumps is no part of an LCFG
        elif k == "while":
            yield from self._while(s[1], 0)
        elif k == "do":
            yield from self._do(s[1], 0)
        elif k == "try":
            yield from self._try(*s[1:])
        else:
            yield from self._switch(s[1], s[2])

    def _after_body(self, body, ev, sig, nxt):
        if sig in (NORMAL, CONTINUE):
            for ev2, sig2 in nxt():
                yield ev + ev2, sig2
        elif sig == BREAK:
            yield ev, NORMAL
        else:
            yield ev, sig

    def _while(self, body, i):
        yield (), NORMAL  # condition false
        if i == self.k:
            yield (), CUT  # condition true once more: past the bound
            return
        for ev, sig in self.block(body):
            yield from self._after_body(body, ev, sig, lambda: self._while(body, i + 1))

    def _do(self, body, i):
        iterations = max(self.k, 1)

        def check():
            yield (), NORMAL
            if i + 1 == iterations:
                yield (), CUT
            else:
                yield from self._do(body, i + 1)

        for ev, sig in self.block(body):
            yield from self._after_body(body, ev, sig, check)

    def _try(self, body, catch, fin):
        for ev, sig in self.block(body):
            outs = (
                [(ev + ev2, sig2) for ev2, sig2 in self.block(catch)]
                if sig == THROW and catch is not None
                else [(ev, sig)]
            )
            for ev1, sig1 in outs:
                if fin is None or sig1 == CUT:
                    yield ev1, sig1
                    continue
                for evf, sigf in self.block(fin):
                    yield ev1 + evf, (sig1 if sigf == NORMAL else sigf)

    def _switch(self, cases, has_default):
        starts = list(range(len(cases))) + ([] if has_default else [None])
        for start in starts:
            if start is None:
                yield (), NORMAL
                continue
            flat = [s for c in cases[start:] for s in c]
            for ev, sig in self.block(flat):
                yield ev, (NORMAL if sig == BREAK else sig)

    def method(self, stmts: list) -> set:
        kinds = {NORMAL: "normal", RETURN: "normal", THROW: "exception", CUT: "cut"}
        return {(ev, kinds[sig]) for ev, sig in self.block(self.number(stmts))}


def _relevant(stmts: list) -> bool:
    for s in stmts:
        if s[0] in ("log", "return", "throw", "break", "continue"):
            return True
        if any(
            isinstance(part, list)
            and (_relevant(part) if part and isinstance(part[0], tuple) else any(_relevant(c) for c in part))
            for part in s[1:]
        ):
            return True
    return False


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), k=st.sampled_from([1, 2]))
def test_lcfg_paths_equal_reference_interpreter(data, k):
    prog = gen_block(data, 0, False, False)
    r = Render()
    body = r.block(prog, "    ")
    fields = "".join(f"  boolean c{i};\n" for i in range(1, r.n_cond + 1)) + "".join(
        f"  int s{i};\n" for i in range(1, r.n_sel + 1)
    )
    expected = Interp(k).method(prog)
    if len(expected) > 3000:
        return
    with tempfile.TemporaryDirectory() as tmp:
        a = one(Path(tmp), f"{fields}  void m() {{\n{body}  }}\n  void caller() {{ m(); }}", loop_bound=k)
        names = templates(a)
        if not names:  # nothing logs: m is not a logging method, and both sides must agree on that
            assert all(ev == () for ev, _ in expected)
            return
        key = key_of(a, "A#m()")
        pf = PathFinder(a, PathConfig(max_paths=10**6))
        if sum(pf.count(key)) > 10**5:  # few distinct sequences can still be many paths: too many to enumerate
            return
        ep = pf.entry_paths(key)
        got = {(tuple(names[s] for s in p.events), p.exit) for p in ep.paths}
        assert got == expected, f"\n{body}"
        assert ep.mode == "enumerated" and sum(pf.count(key)) == len(ep.paths)
        sampled_seed = data.draw(st.integers(0, 99))
        sampler = PathFinder(a, PathConfig(sample=50, seed=sampled_seed))
        sampled = sampler.entry_paths(key)
        assert len(sampled.paths) == 50 + sampled.covering
        assert {(tuple(names[s] for s in p.events), p.exit) for p in sampled.paths} <= expected
        uniform = PathFinder(a, PathConfig(sample=50, seed=sampled_seed, cover=False)).entry_paths(key)
        assert uniform.paths == sampled.paths[:50] and uniform.covering == 0
        # covering paths: from one uniform path, every statement some path prints, each on a real path
        single = PathFinder(a, PathConfig(sample=1, seed=sampled_seed)).entry_paths(key)
        assert {(tuple(names[s] for s in p.events), p.exit) for p in single.paths} <= expected
        assert {names[s] for p in single.paths for s in p.events} == {e for ev, _ in expected for e in ev}
        # ... and one that avoids a statement wherever a path through the other one does
        ids = {names[s]: s for p in ep.paths for s in p.events}
        if len(ids) >= 2:
            want, shun = data.draw(st.permutations(sorted(ids)))[:2]
            ways = [ev for ev, _ in expected if want in ev]
            got = sampler.covering_paths(key, set(ids.values()) - {ids[want]}, sampled_seed, frozenset([ids[shun]]))
            assert len(got) == 1
            path = tuple(names[s] for s in got[0].events)
            assert want in path and (path, got[0].exit) in expected
            if any(shun not in ev for ev in ways):
                assert shun not in path
