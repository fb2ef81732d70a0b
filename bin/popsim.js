#!/usr/bin/env node
// Entry point for `npx popsim` and `npm start`: registers the tsx loader so the TypeScript sources run directly.
import { register } from "tsx/esm/api";
register();
await import("../sim/cli/main.ts");
