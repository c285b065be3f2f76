/**
 * `openagents schema`: prints the JSON Schema of agent.json.
 */
import * as Command from "@effect/cli/Command"
import { printLine } from "./internal/exit.js"
import * as ConfigLoader from "../config/ConfigLoader.js"

export const command = Command.make("schema", {}, () => printLine(JSON.stringify(ConfigLoader.jsonSchema(), null, 2))).pipe(
  Command.withDescription("Print the JSON Schema of agent.json")
)
