#!/usr/bin/env python3
"""callcycles.py OBJ_DIR: the file-level call graph of a directory's object files (from `nm`:
each file's undefined symbols, resolved to the file that defines them) and its cycles.

Prints every edge "a -> b (functions)" with -v, and every cycle; exits 1 if there is one.
Used for src/history (make check-layers): entity files must not call each other, and no two
files may call each other in a circle. Calls through function pointers are not edges."""
import subprocess, sys, os

def nm(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
    return defined, undefined

def main():
    verbose = "-v" in sys.argv
    d = [a for a in sys.argv[1:] if a != "-v"][0]
    objs = sorted(f for f in os.listdir(d) if f.endswith(".o"))
    owner, uses = {}, {}
    for o in objs:
        name = o[:-2] + ".c"
        defs, undefs = nm(os.path.join(d, o))
        for s in defs:
            owner[s] = name
        uses[name] = undefs
    edges = {}
    for f, undefs in uses.items():
        for s in undefs:
            g = owner.get(s)
            if g and g != f:
                edges.setdefault(f, {}).setdefault(g, []).append(s)
    if verbose:
        for f in sorted(edges):
            for g in sorted(edges[f]):
                print(f"{f} -> {g} ({', '.join(sorted(edges[f][g]))})")
    # cycles: strongly connected components with more than one file
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1:
                sccs.append(sorted(comp))
    for v in sorted(uses):
        if v not in index:
            visit(v)
    for comp in sccs:
        print("cycle among: " + ", ".join(comp))
        for f in comp:
            for g in comp:
                if g in edges.get(f, {}):
                    print(f"  {f} -> {g} ({', '.join(sorted(edges[f][g]))})")
    if not sccs:
        print(f"{d}: {len(uses)} files, no call cycles")
    return 1 if sccs else 0

sys.exit(main())
