#!/usr/bin/env python3
"""A `node_modules`-like tree for bench/pull.sh's many-small-files image.

    gen-node-modules.py OUT [--files 30000] [--seed 9]

Writes OUT/app/node_modules: packages (some scoped, some with nested
node_modules of their own, up to three deep), each with package.json, README.md,
LICENSE, lib/ and dist/ JavaScript, type declarations, source maps, sometimes a
CHANGELOG, and for some a bin/ script linked from node_modules/.bin (symbolic
links, relative, as npm makes them). Sizes follow a log-normal law: most files
between 100 B and 20 KB, a tail of bundles and maps up to a few hundred KB.
Content is JavaScript-like text with repeats inside each file, so it compresses
about as real packages do. The same seed gives the same bytes (random.Random is
stable across Python versions for the calls used here), so the image's digest is
stable too. Prints the number of files, symlinks, directories and bytes.
"""
import argparse
import json
import math
import os
import random

KEYWORDS = ("const let var function return if else for while typeof instanceof new this "
            "module exports require async await class extends import from export default "
            "null undefined true false try catch throw switch case break continue").split()
WORDS = ("value options config buffer stream parse format resolve reject promise callback "
         "handler event emitter listener request response error message result index "
         "length keys object array string number path file dir cache state context node "
         "tree token scope parent child item entry list map set get has add remove").split()
LICENSE = ("MIT License\n\nCopyright (c) {year} {author}\n\n"
           "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
           "software and associated documentation files (the \"Software\"), to deal in the Software "
           "without restriction, including without limitation the rights to use, copy, modify, merge, "
           "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons "
           "to whom the Software is furnished to do so, subject to the following conditions:\n\n"
           "The above copyright notice and this permission notice shall be included in all copies or "
           "substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT "
           "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.\n")


class Gen:
    def __init__(self, out, files, seed):
        self.out, self.target, self.rng = out, files, random.Random(seed)
        self.files = self.links = self.dirs = self.bytes = 0
        r = self.rng
        # A pool of identifiers and of code lines; each file draws a few of each and repeats them.
        self.idents = [r.choice(WORDS) + r.choice(WORDS).capitalize() + (str(r.randrange(100)) if r.random() < 0.2 else "")
                       for _ in range(3000)]
        self.lines = [self.code_line() for _ in range(6000)]

    def code_line(self):
        r, i = self.rng, self.idents
        forms = (
            lambda: f"const {r.choice(i)} = require('{r.choice(WORDS)}-{r.choice(WORDS)}');",
            lambda: f"function {r.choice(i)}({r.choice(i)}, {r.choice(i)}) {{",
            lambda: f"  if ({r.choice(i)} === {r.choice(['null', 'undefined', str(r.randrange(1000))])}) return {r.choice(i)};",
            lambda: f"  {r.choice(i)}.{r.choice(i)}({r.choice(i)}, {r.randrange(10000)});",
            lambda: f"  return {r.choice(KEYWORDS)} {r.choice(i)}.{r.choice(WORDS)} || {r.choice(i)};",
            lambda: "}",
            lambda: f"module.exports.{r.choice(i)} = {r.choice(i)};",
            lambda: f"  // {' '.join(r.choice(WORDS) for _ in range(r.randrange(4, 12)))}",
            lambda: f"  var {r.choice(i)} = {{ {r.choice(WORDS)}: {r.randrange(100)}, {r.choice(WORDS)}: '{r.choice(i)}' }};",
        )
        return r.choice(forms)()

    def size(self, median, sigma, lo=60, hi=400_000):
        return int(min(hi, max(lo, math.exp(math.log(median) + sigma * self.rng.gauss(0, 1)))))

    def text(self, n):
        r = self.rng
        local = [r.choice(self.lines) for _ in range(r.randrange(40, 160))]
        parts, total = [], 0
        while total < n:
            line = r.choice(local)
            parts.append(line)
            total += len(line) + 1
        return ("\n".join(parts) + "\n")[:n].encode()

    def write(self, path, data, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        self.files += 1
        self.bytes += len(data)

    def mkdir(self, path):
        if not os.path.isdir(path):
            os.makedirs(path)
            self.dirs += 1

    def package(self, nm, depth, names):
        r = self.rng
        name = f"{r.choice(WORDS)}-{r.choice(WORDS)}" + (f"-{r.randrange(100)}" if r.random() < 0.5 else "")
        if r.random() < 0.15:
            name = f"@{r.choice(WORDS)}/{name}"
        if name in names:
            return
        names.add(name)
        d = os.path.join(nm, name)
        self.mkdir(d)
        version = f"{r.randrange(10)}.{r.randrange(30)}.{r.randrange(20)}"
        meta = {"name": name, "version": version, "description": " ".join(r.choice(WORDS) for _ in range(8)),
                "main": "lib/index.js", "license": "MIT",
                "dependencies": {f"{r.choice(WORDS)}-{r.choice(WORDS)}": f"^{r.randrange(5)}.{r.randrange(9)}.0"
                                 for _ in range(r.randrange(0, 8))},
                "keywords": [r.choice(WORDS) for _ in range(r.randrange(0, 10))]}
        has_bin = r.random() < 0.04
        if has_bin:
            meta["bin"] = {name.split("/")[-1]: "bin/cli.js"}
        self.write(os.path.join(d, "package.json"), json.dumps(meta, indent=2).encode() + b"\n")
        self.write(os.path.join(d, "README.md"), self.text(self.size(2500, 1.0)))
        self.write(os.path.join(d, "LICENSE"), LICENSE.format(year=2010 + r.randrange(15), author=r.choice(self.idents)).encode())
        if r.random() < 0.2:
            self.write(os.path.join(d, "CHANGELOG.md"), self.text(self.size(6000, 1.0)))
        for k in range(r.randrange(1, 9)):
            base = "index" if k == 0 else r.choice(self.idents)
            self.write(os.path.join(d, "lib", base + ".js"), self.text(self.size(1800, 1.1)))
            if r.random() < 0.5:
                self.write(os.path.join(d, "lib", base + ".d.ts"), self.text(self.size(900, 0.9)))
        if r.random() < 0.3:
            n = self.size(8000, 1.1, hi=400_000)
            self.write(os.path.join(d, "dist", "index.js"), self.text(n))
            self.write(os.path.join(d, "dist", "index.js.map"), self.text(int(n * 1.3)))
        if has_bin:
            self.write(os.path.join(d, "bin", "cli.js"), b"#!/usr/bin/env node\n" + self.text(self.size(600, 0.6)), 0o755)
            top = os.path.join(self.out, "app", "node_modules", ".bin")
            self.mkdir(top)
            link = os.path.join(top, name.split("/")[-1])
            if not os.path.lexists(link):
                os.symlink(os.path.relpath(os.path.join(d, "bin", "cli.js"), top), link)
                self.links += 1
        if depth < 3 and r.random() < 0.12 / depth:
            inner = os.path.join(d, "node_modules")
            self.mkdir(inner)
            inner_names = set()
            for _ in range(r.randrange(1, 5)):
                self.package(inner, depth + 1, inner_names)

    def run(self):
        nm = os.path.join(self.out, "app", "node_modules")
        self.mkdir(nm)
        names = set()
        while self.files < self.target:
            self.package(nm, 1, names)
        self.write(os.path.join(self.out, "app", "package.json"),
                   json.dumps({"name": "bench-app", "private": True}).encode() + b"\n")
        print(f"{self.files} files, {self.links} symlinks, {self.dirs} directories, {self.bytes} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args()
    os.umask(0o022)
    Gen(a.out, a.files, a.seed).run()


if __name__ == "__main__":
    main()
