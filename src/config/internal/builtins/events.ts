/**
 * The builtin events types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Layer from "effect/Layer"
import * as path from "node:path"
import * as EventBus from "../../../events/EventBus.js"
import * as FileLogging from "../../../events/FileLogging.js"
import { ConfigError } from "../../../kernel/Errors.js"
import { AsyncEventsConfig, FileLoggingEventsConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const events = {
  async: builtin({
    description: "In-process event bus that never blocks a run; keeps the last `max_history` events.",
    config: AsyncEventsConfig,
    make: (c) => EventBus.layer(c.max_history !== undefined ? { maxHistory: c.max_history } : {})
  }),
  file_logging: builtin({
    description: "The async bus, with its events also written to a JSONL file: secrets redacted, rotated by size.",
    config: FileLoggingEventsConfig,
    make: (c, { dir, where }) =>
      FileLogging.layer({
        path: path.resolve(dir, c.log_path),
        include: c.include_events,
        exclude: c.exclude_events,
        redactKeys: c.redact_keys,
        maxValueLength: c.max_value_length,
        maxBytes: c.max_bytes,
        backups: c.backups,
        maxHistory: c.max_history
      }).pipe(Layer.mapError((e) => ConfigError.single(`${where}.config.log_path`, e.message, { hint: e.hint })))
  })
} as const satisfies Table<"events">
