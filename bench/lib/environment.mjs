// What the report must state for its figures to be read right: machine, versions, command line.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function pkgVersion(name) {
  try {
    const root = new URL('../../', import.meta.url);
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8')).version;
  } catch (error) {
    return `unknown (${error instanceof Error ? error.code ?? error.message : String(error)})`;
  }
}

function redisVersion() {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 }).match(/v=(\S+)/)?.[1] ?? 'unknown';
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Machine, runtime and package versions. */
export function describeEnvironment(pgVersion) {
  const cpus = os.cpus();
  return {
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()} ${os.arch()}`, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    versions: {
      node: process.versions.node, postgresql: pgVersion, redis: redisVersion(),
      ...Object.fromEntries(['@nestjs/core', '@nestjs/platform-fastify', 'fastify', '@nestjs/cache-manager', 'cache-manager', 'keyv', '@keyv/redis', 'bentocache', 'ioredis', 'typeorm', 'pg', 'lru-cache', 'autocannon'].map((n) => [n, pkgVersion(n)])),
    },
  };
}
