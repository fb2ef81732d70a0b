/**
 * The protocol models that take part in every run, in setup order (DESIGN.md §5). Order matters: it fixes event
 * kind ids, message type ids and metric order, so appending a model never changes what earlier models did.
 * Each plugin reads its own scenario section (`scenario.models.<name>`) and does nothing when it is disabled.
 */
import type { ModelPlugin } from "./run.ts";
import { storagePlugin } from "../../models/storage/model.ts";
import { chainPlugin } from "../../models/chain/plugin.ts";
import { economyPlugin } from "../../models/agents/plugin.ts";

export const MODEL_PLUGINS: readonly ModelPlugin[] = [storagePlugin, chainPlugin, economyPlugin];
