#!/usr/bin/env node
// A stand-in for the native `solc` binary, for machines that can reach the npm registry
// but not binaries.soliditylang.org (py-solc-x's download site). py-solc-x, and through it
// Brownie, call it exactly as they call native solc:
//   solc --version
//   solc --standard-json [--allow-paths a,b,...]   (Standard JSON input on stdin)
// It runs the official compiler built to WebAssembly (npm package `solc`) in-process, so
// none of the solcjs command line's quirks reach Brownie (its ">>> Cannot retry compilation
// with SMT" line on stdout, its output truncated at 64 KiB on a pipe).
"use strict";
const fs = require("fs");
const path = require("path");

const here = __dirname;
const solcDir = path.join(here, "solcjs", "node_modules", "solc");

function nativeVersionLine() {
  // Native solc prints "Version: 0.8.28+commit.7893614a.Linux.g++"; py-solc-x parses the
  // version and commit from it. The commit is recorded at install time so that `--version`
  // does not have to load the 9 MB WebAssembly compiler.
  const recorded = JSON.parse(fs.readFileSync(path.join(here, "solcjs", "version.json"), "utf8"));
  return `solc, the solidity compiler commandline interface\nVersion: ${recorded.long}.Linux.g++\n`;
}

function allowedRoots(argv) {
  // py-solc-x passes --allow-paths as one comma-separated value; solc-js has no such flag,
  // it resolves imports through a callback: we resolve them under these roots (and the
  // working directory, as native solc does with its default base path).
  const roots = [process.cwd()];
  for (let i = 0; i < argv.length; i++) {
    let value = null;
    if (argv[i] === "--allow-paths" || argv[i] === "--base-path" || argv[i] === "--include-path") {
      value = argv[++i];
    } else if (argv[i].startsWith("--allow-paths=")) {
      value = argv[i].slice("--allow-paths=".length);
    }
    if (value) roots.push(...value.split(",").filter(Boolean).map((p) => path.resolve(p)));
  }
  return [...new Set(roots)];
}

function makeImportCallback(roots) {
  return function findImport(sourceUnitName) {
    for (const root of roots) {
      const candidate = path.resolve(root, sourceUnitName);
      // Never read outside the allowed roots, as native solc refuses to.
      if (!candidate.startsWith(root + path.sep)) continue;
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `File not found under the allowed paths (${roots.join(", ")}): ${sourceUnitName}` };
  };
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("--version")) {
    process.stdout.write(nativeVersionLine());
    return;
  }
  if (!argv.includes("--standard-json")) {
    process.stderr.write("solc-shim: only --version and --standard-json are supported (see tools/solc/README.md)\n");
    process.exitCode = 1;
    return;
  }
  const input = fs.readFileSync(0, "utf8");
  const solc = require(solcDir);
  const output = solc.compile(input, { import: makeImportCallback(allowedRoots(argv)) });
  // Let Node flush stdout by itself (no process.exit): large outputs arrive whole on a pipe.
  process.stdout.write(output);
}

main();
