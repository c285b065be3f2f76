/**
 * `openagents schema`: prints the JSON Schema of agent.json.
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as ConfigLoader from "../config/ConfigLoader.js"

export const command = Command.make("schema", {}, () => Console.log(JSON.stringify(ConfigLoader.jsonSchema(), null, 2))).pipe(
  Command.withDescription("Print the JSON Schema of agent.json")
)
