// Python: shell/eval rules on tree-sitter's tree, requirements pinning and hashes, pyproject against locks.

import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { scanPythonFile } from "../../src/scan/rules/python-code.js";
import { declaredDeps } from "../../src/scan/rules/python-lock.js";
import { checkRequirements } from "../../src/scan/rules/python-pinning.js";
import { cleanupProjects, project } from "./helpers.js";

const ids = async (src: string): Promise<string[]> => {
  const r = await scanPythonFile("a.py", src);
  expect(r.errors).toEqual([]);
  return r.findings.map((f) => f.ruleId);
};

describe("python code rules", () => {
  it.each([
    ["import os\nos.system(cmd)\n", "code-shell-exec"],
    ["import os\nos.popen('ls ' + d)\n", "code-shell-exec"],
    ["from os import system as s\ns(f'rm {p}')\n", "code-shell-exec"],
    ["import subprocess as sp\nsp.run(cmd, shell=True)\n", "code-shell-exec"],
    ["from subprocess import Popen\nPopen(line, shell=flag)\n", "code-shell-exec"],
    ["eval(expr)\n", "code-dynamic-eval"],
    ["exec(compile_me)\n", "code-dynamic-eval"],
  ])("flags %j", async (src, rule) => {
    expect(await ids(src)).toEqual([rule]);
  });

  it.each([
    // Modules and members named by folded literals.
    ["__import__('o' + 's').system(cmd)\n", "code-shell-exec"],
    ["import importlib\nimportlib.import_module('subprocess').run(cmd, shell=True)\n", "code-shell-exec"],
    [
      "from importlib import import_module\nNAME = 'o' 's'\nimport_module(NAME).popen(cmd)\n",
      "code-shell-exec",
    ],
    ["import os\ngetattr(os, 'sys' + 'tem')(cmd)\n", "code-shell-exec"],
    ["import os\ngetattr(os, '\\x73ystem')(cmd)\n", "code-shell-exec"],
    // A member picked by a name that is not a literal.
    ["import os\ngetattr(os, name)(cmd)\n", "code-shell-exec"],
    ["import subprocess\nf = getattr(subprocess, how)\nf(cmd, shell=True)\n", "code-shell-exec"],
    ["import builtins\ngetattr(builtins, name)(src)\n", "code-dynamic-eval"],
    // Aliases.
    ["import os\nrun = os.system\nrun(cmd)\n", "code-shell-exec"],
    ["import subprocess\nsp = subprocess\nsp.Popen(cmd, shell=True)\n", "code-shell-exec"],
    ["e = eval\ne(code)\n", "code-dynamic-eval"],
    ["import builtins\nbuiltins.exec(code)\n", "code-dynamic-eval"],
    ["from builtins import eval as ev\nev(code)\n", "code-dynamic-eval"],
    ["__builtins__.eval(code)\n", "code-dynamic-eval"],
  ])("flags the evasion %j", async (src, rule) => {
    expect(await ids(src)).toEqual([rule]);
  });

  it.each([
    // A shell or evaluator handed on as a value: whatever calls it picks the command or the code.
    ["import os\nlist(map(os.system, cmds))\n", "code-shell-exec"],
    ["import functools, os\nfunctools.partial(os.system, cmd)()\n", "code-shell-exec"],
    ["import subprocess\npool.submit(subprocess.run, cmd, shell=True)\n", "code-shell-exec"],
    ["from functools import partial\nimport os\nrun = partial(os.system)\nrun(cmd)\n", "code-shell-exec"],
    ["import subprocess\npool.submit(subprocess.getoutput, cmd)\n", "code-shell-exec"],
    ["results = map(eval, exprs)\n", "code-dynamic-eval"],
    ["sorted(items, key=eval)\n", "code-dynamic-eval"],
    ["import builtins\nrunner(getattr(builtins, 'ex' + 'ec'))\n", "code-dynamic-eval"],
    ["import importlib\nmods = map(importlib.import_module, names)\n", "code-dynamic-module"],
    // Builtins reached by a folded name (followed already: kept here so they stay followed).
    ["import builtins\ngetattr(builtins, 'ev' + 'al')(src)\n", "code-dynamic-eval"],
    ["getattr(__builtins__, 'ex' 'ec')(src)\n", "code-dynamic-eval"],
    // A builtin's name rebound inside a function or a method does not hide the module-level builtin.
    ["def f():\n    eval = str\neval(code)\n", "code-dynamic-eval"],
    ["class C:\n    def exec(self, q):\n        return q\nexec(code)\n", "code-dynamic-eval"],
    // Through a dict literal's entry, and through what a function returns.
    ["import os\nops = {'run': os.system}\nops['run'](cmd)\n", "code-shell-exec"],
    ["import subprocess\nops = {'go': subprocess.run}\nops['go'](cmd, shell=True)\n", "code-shell-exec"],
    ["import os\ndef pick():\n    return os.system\npick()(cmd)\n", "code-shell-exec"],
    [
      "def pick(x):\n    if x:\n        return print\n    return eval\nrun = pick(1)\nrun(code)\n",
      "code-dynamic-eval",
    ],
  ])("flags the indirect use %j", async (src, rule) => {
    expect(await ids(src)).toEqual([rule]);
  });

  it.each([
    ["import functools, os\nfunctools.partial(os.system, 'uptime')()\n"],
    ["import os\nlist(map(os.path.join, a, b))\nprint(os.getcwd)\nlist(map(str, xs))\n"],
    ["def eval(s):\n    return s\neval(x)\n"],
    ["@cache\ndef exec(q):\n    return q\nexec(query)\n"],
    ["eval = make_evaluator()\neval(x)\n"],
    ["class Runner:\n    def exec(self, q):\n        return q\nRunner().exec(cmd)\ncursor.execute(q)\n"],
    ["import os\nops = {'run': os.system, 'say': print}\nops['say'](cmd)\nops['run']('uptime')\n"],
    ["import os\ndef pick():\n    def inner():\n        return os.system\n    return print\npick()(cmd)\n"],
    ["import os\ndef status():\n    return os.system('uptime')\ncode = status()\ncode(x)\n"],
  ])("does not flag the look-alike %j", async (src) => {
    expect(await ids(src)).toEqual([]);
  });

  it.each([
    ["import os\ndef a():\n    run = os.system\ndef b(run):\n    run(cmd)\n"],
    ["def f(eval):\n    return eval(x)\n"],
    ["def f():\n    exec = runner.exec\n    exec(code)\n"],
    ["import os\ndef f(os):\n    os.system(cmd)\n"],
    ["handlers = map(lambda eval: eval(x), items)\n"],
  ])("a local name hides the outer one: %j", async (src) => {
    expect(await ids(src)).toEqual([]);
  });

  it.each([
    ["import os\nrun = os.system\ndef f():\n    run(cmd)\n"],
    ["import os\ndef f():\n    run = os.system\n    run(cmd)\n"],
    ["def f():\n    import os as o\n    o.system(cmd)\n"],
    ["import os\ndef f(run):\n    run = os.system\n    run(cmd)\n"],
    ["class C:\n    system = None\n    def m(self):\n        import os\n        os.system(cmd)\n"],
  ])("an alias reaches the uses in its scope: %j", async (src) => {
    expect(await ids(src)).toEqual(["code-shell-exec"]);
  });

  it.each([
    ["import importlib\nimportlib.import_module(name)\n"],
    ["import importlib\nimportlib.import_module(f'plugins.{name}')\n"],
    ["__import__(modname)\n"],
  ])("flags the load %j as code-dynamic-module", async (src) => {
    expect(await ids(src)).toEqual(["code-dynamic-module"]);
  });

  it.each([
    ["import os\nos.system('uptime')\n"],
    ["import subprocess\nsubprocess.run(['ls', path])\n"],
    ["import subprocess\nsubprocess.run(cmd, shell=False)\n"],
    ["import subprocess\nCMD = 'ls'\nsubprocess.run(CMD, shell=True)\n"],
    ["eval('1 + 1')\n"],
    ["from mylib import eval\neval(x)\n"],
    ["import os\nos.system('ls' + ' -l')\n"],
    ["import importlib\nimportlib.import_module('json').loads(text)\n"],
    ["import importlib\nPKG = 'plugins.' + 'base'\nimportlib.import_module(PKG)\n"],
    ["import os\ngetattr(os, name)\ngetattr(os, 'getcwd')()\ngetattr(obj, name)(x)\n"],
    ["import os\ngetattr(os.path, name)(p)\n"],
    ["import re\ncompile = re.compile\ncompile(pattern)\n"],
    ["import os\nrun = os.path.join\nrun(base, name)\n"],
  ])("does not flag %j", async (src) => {
    expect(await ids(src)).toEqual([]);
  });

  it("reports syntax errors with a position", async () => {
    const r = await scanPythonFile("bad.py", "x = 1\ndef f(:\n  pass\n");
    expect(r.errors[0]).toMatchObject({ file: "bad.py", line: 2, kind: "parse" });
  });
});

describe("requirements files", () => {
  const hash = "--hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6";
  const ids = (text: string) =>
    checkRequirements("requirements.txt", text).map((f) => `${f.ruleId}:${f.line}`);

  it("accepts == pins with hashes, continuation lines, comments and options", () => {
    expect(
      ids(`# comment\n-r base.txt\n--index-url https://pypi.org/simple\nrequests==2.32.3 \\\n    ${hash}\n`),
    ).toEqual([]);
    expect(ids(`pkg[extra]===1.0 ${hash}  # trailing comment\n`)).toEqual([]);
  });

  it("flags ranges, bare names, wildcards, URLs and editables", () => {
    expect(ids(`a>=1 ${hash}\nb ${hash}\nc==1.* ${hash}\ngit+https://x/y.git\n-e https://x/y.zip\n`)).toEqual(
      [
        "py-unpinned-requirement:1",
        "py-unpinned-requirement:2",
        "py-unpinned-requirement:3",
        "py-unpinned-requirement:4",
        "py-unpinned-requirement:5",
      ],
    );
  });

  it("flags an editable VCS install not pinned to a full commit, in every spelling; a local path is the project's own", () => {
    const commit = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";
    const text = [
      "-e git+https://github.com/x/y.git#egg=y",
      "-egit+https://github.com/x/z.git@main#egg=z",
      "--editable=git+https://github.com/x/w.git@v1.2",
      `-e git+https://github.com/x/v.git@${commit}#egg=v`,
      "-e .",
      "-e ./local/pkg",
      "--editable ../sibling",
    ].join("\n");
    expect(ids(text)).toEqual([
      "py-unpinned-requirement:1",
      "py-unpinned-requirement:2",
      "py-unpinned-requirement:3",
    ]);
  });

  it("accepts a direct reference pinned to a full commit or to its archive's sha256, and flags the rest", () => {
    const commit = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";
    const sha256 = "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6";
    const text = [
      `mypkg @ git+https://github.com/x/y.git@${commit}`,
      `git+https://github.com/x/z.git@${commit}#egg=z`,
      `other @ https://example.com/other-1.0.tar.gz#sha256=${sha256}`,
      "tagged @ git+https://github.com/x/t.git@v1.0",
      "plain @ https://example.com/plain-1.0.tar.gz",
      `insecure @ http://example.com/i-1.0.tar.gz#sha256=${sha256}`,
      `short @ git+https://github.com/x/s.git@${commit.slice(0, 12)}`,
    ].join("\n");
    expect(ids(text)).toEqual([
      "py-unpinned-requirement:4",
      "py-unpinned-requirement:5",
      "py-unpinned-requirement:6",
      "py-unpinned-requirement:7",
    ]);
  });

  it("flags pins without a hash", () => {
    expect(ids("requests==2.32.3\n")).toEqual(["py-missing-hash:1"]);
  });
});

describe("requirements files included with -r", () => {
  afterAll(cleanupProjects);
  const hash = "--hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6";
  const found = (r: Awaited<ReturnType<typeof scan>>) =>
    r.findings.map((f) => `${f.ruleId}:${f.file}:${f.line}`);

  it("checks an included file whatever its name, relative to the including file, to any depth", async () => {
    const root = await project({
      "requirements.txt": `-r deps/base.in\n--requirement=dev.txt\nrequests==2.32.3 ${hash}\n`,
      "deps/base.in": `-r more/core.txt\nflask==3.0.0 ${hash}\n`,
      "deps/more/core.txt": "numpy\n-r ../base.in\n",
      "dev.txt": `pytest>=8 ${hash}\n`,
    });
    const report = await scan({ root });
    expect(report.errors).toEqual([]);
    expect(found(report)).toEqual([
      "py-missing-hash:deps/more/core.txt:1",
      "py-unpinned-requirement:deps/more/core.txt:1",
      "py-unpinned-requirement:dev.txt:1",
    ]);
  });

  it("checks an included requirements*.txt once", async () => {
    const root = await project({
      "requirements.txt": "-r requirements-base.txt\n",
      "requirements-base.txt": "numpy\n",
    });
    expect(found(await scan({ root }))).toEqual([
      "py-missing-hash:requirements-base.txt:1",
      "py-unpinned-requirement:requirements-base.txt:1",
    ]);
  });

  it("flags a requirements file read from a URL", async () => {
    const root = await project({ "requirements.txt": "-r https://example.com/reqs.txt\n" });
    expect(found(await scan({ root }))).toEqual(["py-unpinned-requirement:requirements.txt:1"]);
  });

  it("reports an include that is missing or outside the scanned folder instead of passing", async () => {
    const root = await project({
      "app/requirements.txt": "-r ../../shared.txt\n-r nope.txt\n-r /etc/reqs.txt\n",
    });
    const report = await scan({ root: join(root, "app") });
    expect(report.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      "requirements.txt:1 -r ../../shared.txt is outside the scanned folder: the requirements it lists were not checked",
      "requirements.txt:2 -r nope.txt: no such file",
      "requirements.txt:3 -r /etc/reqs.txt is outside the scanned folder: the requirements it lists were not checked",
    ]);
  });
});

describe("pyproject.toml", () => {
  it("reads PEP 621, optional, PEP 735 groups and Poetry tables", () => {
    const deps = declaredDeps({
      project: { dependencies: ["Requests[socks]>=2"], "optional-dependencies": { x: ["httpx"] } },
      "dependency-groups": { dev: ["pytest>=8; python_version>'3.10'"] },
      tool: {
        poetry: {
          dependencies: { python: "^3.11", Flask_Login: "*" },
          group: { test: { dependencies: { mypy: "*" } } },
        },
      },
    });
    expect(deps.map((d) => d.key)).toEqual(["requests", "httpx", "pytest", "flask-login", "mypy"]);
  });
});
