/**
 * The builtin skills types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Skills from "../../../skills/Skills.js"
import { NoConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const skills = {
  none: builtin({
    description: "No skills.",
    config: NoConfig,
    make: () => Skills.layerNone
  })
} as const satisfies Table<"skills">
