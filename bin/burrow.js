#!/usr/bin/env node
// The CLI as one esbuild bundle (with lazily loaded chunks): resolving some sixty
// separate modules costs more than a container's namespaces and mounts together.
import { main } from '../build/cli-bundle/main.js';

process.exitCode = await main(process.argv.slice(2));
