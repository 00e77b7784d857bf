#!/usr/bin/env node
// Entry point of `switchboard` (npx switchboard, node_modules/.bin/switchboard).
//
// Plain JavaScript that even an old Node can read: Switchboard needs Node 24 (it runs TypeScript
// directly), and the machines it lands on often have an older `node` first on PATH. The `node`
// package among the dependencies installs Node 24 into node_modules, so when started by an older
// Node this file re-executes itself with that one, passing arguments, stdio, signals and the exit
// code through.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { missingServerEnv, missingServerFlags } from '../platform/node-runtime.js';

var REQUIRED_MAJOR = 24;
var thisFile = fileURLToPath(import.meta.url);
var packageRoot = path.resolve(path.dirname(thisFile), '..');
var major = Number(process.versions.node.split('.')[0]);

function findProjectNode() {
  // The project's own node_modules first, then the ones above it (when installed as a dependency).
  var dir = packageRoot;
  for (;;) {
    var candidates = [path.join(dir, 'node_modules', 'node', 'bin', 'node'), path.join(dir, 'node_modules', '.bin', 'node')];
    for (var i = 0; i < candidates.length; i++) {
      if (fs.existsSync(candidates[i])) return candidates[i];
    }
    var parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function fail(message) {
  process.stderr.write('switchboard: ' + message + '\n');
  process.exit(1);
}

// `start` runs the server for days: it gets the server's V8 flags and environment (platform/node-runtime.js).
var isStart = process.argv.slice(2).filter(function (arg) {
  return arg.charAt(0) !== '-';
})[0] === 'start';
var serverFlags = isStart ? missingServerFlags(process.execArgv, process.env.NODE_OPTIONS) : [];
var serverEnv = isStart ? missingServerEnv(process.env) : {};
var needsServerStart = serverFlags.length > 0 || Object.keys(serverEnv).length > 0;

if (major >= REQUIRED_MAJOR && needsServerStart && typeof process.execve === 'function') {
  // V8 and the C library read these only when the process starts: replace this process with one
  // that has them (same PID, so service managers and signals see no difference).
  process.execve(process.execPath, [process.execPath].concat(process.execArgv, serverFlags, [thisFile], process.argv.slice(2)), Object.assign({}, process.env, serverEnv));
} else if (major >= REQUIRED_MAJOR) {
  // Caches compiled (and type-stripped) modules in the OS temp dir: halves the CLI's start-up time.
  if (typeof module.enableCompileCache === 'function') module.enableCompileCache();
  import(pathToFileURL(path.join(packageRoot, 'cli', 'main.ts')).href).then(
    function (cli) {
      return cli.main(process.argv);
    },
    function (error) {
      fail('cannot load the CLI: ' + (error && error.message ? error.message : String(error)));
    },
  );
} else if (process.env.SWITCHBOARD_REEXEC) {
  // We are the re-executed child and still too old: the "project Node" is not Node 24.
  fail('needs Node.js ' + REQUIRED_MAJOR + ' or newer, but ' + process.execPath + ' is ' + process.version + '.');
} else {
  var projectNode = findProjectNode();
  if (!projectNode) {
    fail(
      'needs Node.js ' + REQUIRED_MAJOR + ' or newer (this is ' + process.version + ').\n' +
        'Run `npm install` in ' + packageRoot + ' (it installs Node ' + REQUIRED_MAJOR + ' into node_modules), or install Node ' + REQUIRED_MAJOR + '.',
    );
  }
  var env = Object.assign({}, process.env, serverEnv, { SWITCHBOARD_REEXEC: '1' });
  var child = spawn(projectNode, serverFlags.concat([thisFile], process.argv.slice(2)), { stdio: 'inherit', env: env });
  var forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  var forward = function (signal) {
    child.kill(signal);
  };
  forwarded.forEach(function (signal) {
    process.on(signal, forward);
  });
  child.on('error', function (error) {
    fail('cannot run ' + projectNode + ': ' + error.message);
  });
  child.on('exit', function (code, signal) {
    forwarded.forEach(function (s) {
      process.off(s, forward);
    });
    // Die of the same signal, so callers see what the child saw.
    if (signal) process.kill(process.pid, signal);
    else process.exit(code === null ? 1 : code);
  });
}
