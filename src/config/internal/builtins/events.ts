/**
 * The builtin events types of agent.json: one row each (description, config Schema, constructor).
 */
import * as EventBus from "../../../events/EventBus.js"
import { AsyncEventsConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const events = {
  async: builtin({
    description: "In-process event bus that never blocks a run; keeps the last `max_history` events.",
    config: AsyncEventsConfig,
    make: (c) => EventBus.layer(c.max_history !== undefined ? { maxHistory: c.max_history } : {})
  })
} as const satisfies Table<"events">
